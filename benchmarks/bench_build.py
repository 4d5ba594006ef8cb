"""How long the site takes to build: cold, warm, and after a one-character code edit of the heaviest page.

The three builds an instructor meets, each `mkdocs build --strict` as `make site` runs it, in a copy
of the working tree (the project's own ``.cache`` and ``site/`` are left alone):

1. **cold** — a fresh ``.cache`` (MathJax and the fonts are copied from the project's ``.cache/vendor``
   when it holds them, so that the measure does not depend on npm's registry): every page runs;
2. **warm** — nothing changed: nothing runs (issue 17: ≤ 10 s);
3. **code edit** — one character added to a code cell of the page that took longest in the cold build
   (a ``#`` comment line at the top of its first code cell): that page alone runs again (≤ 150 s).

Prints each build's time, what the build log says of each page's execution (``… exécuté en N s``),
and the build's own split (``.cache/notebooks/build-times.json``: execution, the rest, figures).

    .venv/bin/python benchmarks/bench_build.py                  # the three builds (a cold one takes minutes)
    .venv/bin/python benchmarks/bench_build.py --json out.json  # also as JSON
    .venv/bin/python benchmarks/bench_build.py --write-estimates
        # and record the cold build's page times in tools/page_timings.json: the order in which a
        # first build (no .cache yet) starts the pages, longest first

``TP8_SITE_WORKERS`` (default 2) and ``TP8_WEIGHTS_DIR`` (default ``../shared/weights`` when it
exists, as in the Makefile) are passed to the builds. Run it on a quiet machine: other work on the
cores shows up in every number.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = re.compile(r"(docs/\S+\.py(?: \(énoncé\))?) exécuté en ([\d.]+) s")
ESTIMATES = ROOT / "tools" / "page_timings.json"


def tree_files() -> list[str]:
    """The files of the working tree that git tracks or would track (not .cache, site/, .venv…)."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


def copy_tree(target: Path) -> None:
    for rel in tree_files():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    vendor = ROOT / ".cache" / "vendor"
    if vendor.is_dir():
        shutil.copytree(vendor, target / ".cache" / "vendor", symlinks=True)


def build(root: Path, env: dict[str, str]) -> dict:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - start
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        sys.exit(f"the build failed ({seconds:.0f} s):\n{log[-4000:]}")
    split = root / ".cache" / "notebooks" / "build-times.json"
    return {
        "seconds": round(seconds, 1),
        "pages": {label: float(s) for label, s in EXECUTED.findall(log)},
        "split": json.loads(split.read_text(encoding="utf-8")) if split.is_file() else {},
    }


def edit_code(page: Path) -> None:
    """Add one character of code (a comment line, ``#``) at the top of the page's first code cell."""
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("# %%") and "[markdown]" not in line and "[md]" not in line:
            lines.insert(i + 1, "#\n")
            page.write_text("".join(lines), encoding="utf-8")
            return
    raise SystemExit(f"{page}: no code cell to edit")


def report(name: str, result: dict) -> None:
    split = result["split"]
    extra = ""
    if split:
        extra = (
            f" (exécution {split.get('execution_s', 0):.0f} s, le reste {split.get('rest_s', 0):.0f} s, "
            f"dont figures {split.get('figures_s', 0):.1f} s)"
        )
    print(f"{name:<28} {result['seconds']:7.1f} s{extra}")
    for label, seconds in sorted(result["pages"].items(), key=lambda kv: -kv[1]):
        print(f"    {label:<40} {seconds:7.1f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--write-estimates", action="store_true", help="record the page times in " + str(ESTIMATES))
    parser.add_argument("--keep", action="store_true", help="keep the copy of the tree (its path is printed)")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("TP8_SITE_WORKERS", "2")
    env.setdefault("TP8_PROGRESS", "0")
    env.setdefault("TP8_NOTEBOOKS_SYNC", "off")
    env.setdefault("NO_MKDOCS_2_WARNING", "1")
    shared = ROOT.parent / "shared" / "weights"
    if "TP8_WEIGHTS_DIR" not in env and shared.is_dir():
        env["TP8_WEIGHTS_DIR"] = str(shared)
    workdir = Path(tempfile.mkdtemp(prefix="tp8-bench-build-"))
    results = {"cpus": os.cpu_count(), "workers": int(env["TP8_SITE_WORKERS"])}
    try:
        copy_tree(workdir)
        print(f"copy of the tree: {workdir} ({os.cpu_count()} CPU, TP8_SITE_WORKERS={env['TP8_SITE_WORKERS']})")
        results["cold"] = build(workdir, env)
        report("cold build", results["cold"])
        results["warm"] = build(workdir, env)
        report("warm rebuild", results["warm"])
        heaviest = max(results["cold"]["pages"], key=results["cold"]["pages"].get)
        page = workdir / heaviest.split(" (", 1)[0]
        edit_code(page)
        results["edit"] = build(workdir, env) | {"page": heaviest}
        report(f"one-character code edit of {Path(heaviest).stem}", results["edit"])
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.write_estimates:
        ESTIMATES.write_text(
            json.dumps({k: round(v) for k, v in sorted(results["cold"]["pages"].items())}, indent=1) + "\n",
            encoding="utf-8",
        )
        print(f"page times written to {ESTIMATES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
