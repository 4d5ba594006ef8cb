"""How long the site takes to build: cold, warm, switched to a release date, after a code edit.

The builds an instructor meets, each `mkdocs build --strict` as `make site` runs it, in a copy of the
working tree (the project's own ``.cache`` and ``site/`` are left alone):

1. **cold** — a fresh ``.cache`` (MathJax and the fonts are copied from the project's ``.cache/vendor``
   when it holds them, so that the measure does not depend on npm's registry): every page runs once
   (its corrigé; the énoncé is derived from that run);
2. **warm** — nothing changed: nothing runs (issue 23: ≤ 5 s);
3. **switched** — the same, with a release date ahead (``TP8_SOLUTIONS=2099-01-01``): nothing runs;
4. **code edit** — one character added to a code cell of the page that took longest in the cold build
   (a ``#`` comment line at the top of its first code cell): that page alone runs again (≤ 150 s);
5. with ``--cold-date``, a second cold build with the release date ahead (issue 23: at most 15 % more
   than the first).

Prints each build's time (and the CPU time of the build and its processes, which other work on the
machine disturbs less), the pages it executed (``… exécutée en N s`` in its log), and the build's own
split (``.cache/notebooks/last-build.json``: execution, the rest, figures).

    .venv/bin/python benchmarks/bench_build.py                  # the builds (a cold one takes minutes)
    .venv/bin/python benchmarks/bench_build.py --cold-date      # and a cold build with a release date ahead
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
EXECUTED = re.compile(r"(docs/\S+\.py) exécutée en ([\d.]+) s")
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
    import resource

    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        sys.exit(f"the build failed ({seconds:.0f} s):\n{log[-4000:]}")
    record = root / ".cache" / "notebooks" / "last-build.json"
    return {
        "seconds": round(seconds, 1),
        "cpu_s": round(cpu, 1),
        "pages": {label: float(s) for label, s in EXECUTED.findall(log)},
        "split": json.loads(record.read_text(encoding="utf-8")).get("times", {}) if record.is_file() else {},
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
    print(
        f"{name:<28} {result['seconds']:7.1f} s, CPU {result['cpu_s']:.0f} s, {len(result['pages'])} page(s) exécutée(s){extra}"
    )
    for label, seconds in sorted(result["pages"].items(), key=lambda kv: -kv[1]):
        print(f"    {label:<40} {seconds:7.1f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--write-estimates", action="store_true", help="record the page times in " + str(ESTIMATES))
    parser.add_argument("--keep", action="store_true", help="keep the copy of the tree (its path is printed)")
    parser.add_argument("--cold-date", action="store_true", help="also a cold build with a release date ahead")
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
        results["switched"] = build(workdir, {**env, "TP8_SOLUTIONS": "2099-01-01"})
        report("switched to a date ahead", results["switched"])
        heaviest = max(results["cold"]["pages"], key=results["cold"]["pages"].get)
        page = workdir / heaviest.split(" (", 1)[0]
        edit_code(page)
        results["edit"] = build(workdir, env) | {"page": heaviest}
        report(f"one-character code edit of {Path(heaviest).stem}", results["edit"])
        if args.cold_date:
            shutil.rmtree(workdir / ".cache" / "notebooks", ignore_errors=True)
            shutil.rmtree(workdir / ".cache" / "figures", ignore_errors=True)
            shutil.rmtree(workdir / ".cache" / "mkdocs-jupyter", ignore_errors=True)
            results["cold_date"] = build(workdir, {**env, "TP8_SOLUTIONS": "2099-01-01"})
            report("cold build, release date ahead", results["cold_date"])
            ratio = results["cold_date"]["seconds"] / results["cold"]["seconds"]
            print(f"cold with a date ahead / cold with the solutions: {ratio:.2f} (issue 23: at most 1.15)")
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
