"""How long a student waits for a self-check's verdict (``tp8.checks``), over the usual mistakes.

Every attempt of the table in ``tests/test_checks.py`` (right answers written in several styles, the
usual mistakes, stubs, loops that never reach their target) goes through its check as a student's
*first* verdict: the checks' per-process cache is emptied before each one. The real network is the
one a student gets (SqueezeNet 1.1 when TP8_WEIGHTS_DIR holds its weights, loaded beforehand);
``--tiny`` checks on the tiny network only, as the tests do.

Each verdict is printed in seconds and in *passes*: its time over one forward and backward pass of
SqueezeNet 1.1 on one 224 × 224 photo, measured just before it (the machine is shared, so its speed
drifts; the ratio is what compares across machines and moments). Goal: every verdict within 10 s
on the course's machine (2 CPU cores).

``--against DIR`` times the same attempts with another checkout (e.g. the code before a change,
``git worktree add /tmp/before HEAD~3``) in alternation with this one, attempt by attempt, each
tree in a process of its own: both are measured on the same machine state.

Run: ``PYTHONPATH=$PWD python benchmarks/bench_checks.py [--tiny] [--match TEXT] [--against DIR]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 10.0
TAG = "BENCH "


# --- in a worker: one tree's tp8 --------------------------------------------------------------------


def _load_table(root: Path):
    """The module tests/test_checks.py of ``root``: its table ``ATTEMPTS`` and its PASS / TODO marks."""
    spec = importlib.util.spec_from_file_location("_bench_test_checks", root / "tests" / "test_checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def worker(root: Path, tiny: bool) -> None:
    """Answer each attempt name read on stdin with one line: its cold verdict's time and status."""
    import torch

    import tp8
    import tp8.checks as checks

    # The checks' internals, wherever this tree keeps them (tp8/checks.py before it became a package).
    networks = getattr(checks, "networks", checks)
    cache = getattr(checks, "engine", checks)._CACHE
    squeezenet = networks._squeezenet()
    if tiny:
        networks._squeezenet = lambda: None
    table = _load_table(root)
    attempts = {f"{c.__name__}-{a.__name__}": (c, a, e) for c, a, e in table.ATTEMPTS}
    unit_net = squeezenet if squeezenet is not None else checks._mini_model("cpu")
    photo = tp8.sample_images(["chelsea"])[0].image[None]

    def one_pass():
        leaf = photo.clone().requires_grad_(True)
        torch.autograd.grad(unit_net(leaf)[0, 0], leaf)

    one_pass()
    print(
        TAG
        + json.dumps(
            {
                "names": list(attempts),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "real": squeezenet is not None and not tiny,
            }
        ),
        flush=True,
    )
    for line in sys.stdin:
        check, attempt, expected = attempts[line.strip()]
        unit = _best_of(one_pass, 3)
        cache.clear()
        t0 = time.perf_counter()
        result = check(attempt)
        seconds = time.perf_counter() - t0
        if expected == table.PASS:
            ok = result.status == checks.PASSED
        elif expected == table.TODO:
            ok = result.status == checks.NOT_IMPLEMENTED
        else:
            ok = result.status == "failed" and expected in result.failures[0]
        first = result.failures[0][:160] if result.failures else ""
        reply = {"seconds": seconds, "unit": unit, "status": result.status, "ok": ok, "first": first}
        print(TAG + json.dumps(reply), flush=True)


# --- the conductor ----------------------------------------------------------------------------------


class Tree:
    """A worker process running one checkout's tp8."""

    def __init__(self, root: Path, name: str, tiny: bool):
        self.root, self.name = root, name
        env = {**os.environ, "PYTHONPATH": str(root), "TP8_PROGRESS": "0"}
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(root)] + ["--tiny"] * tiny
        self.process = subprocess.Popen(
            command, env=env, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.hello = self._read()
        self.rows: list[dict] = []

    def _read(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(TAG):
                return json.loads(line[len(TAG) :])
        raise RuntimeError(f"the worker for {self.root} stopped (exit code {self.process.wait()})")

    def time(self, name: str) -> dict:
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        row = {"name": name, **self._read()}
        self.rows.append(row)
        return row

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _summary(tree: Tree) -> tuple[float, float]:
    rows = tree.rows
    slowest = max(rows, key=lambda r: r["seconds"])
    most = max(rows, key=lambda r: r["seconds"] / r["unit"])
    within = sum(r["seconds"] <= GOAL_S for r in rows)
    wrong = [r["name"] for r in rows if not r["ok"]]
    print(
        f"{tree.name}: slowest verdict {slowest['seconds']:.2f} s ({slowest['name']}); most passes "
        f"{most['seconds'] / most['unit']:.1f} ({most['name']}); {within}/{len(rows)} within {GOAL_S:.0f} s; "
        f"total {sum(r['seconds'] for r in rows):.0f} s = {sum(r['seconds'] / r['unit'] for r in rows):.0f} passes; "
        f"{len(wrong)} unexpected verdict(s){': ' + ', '.join(wrong) if wrong else ''}"
    )
    return slowest["seconds"], sum(r["seconds"] / r["unit"] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="check on the tiny network only (no real network)")
    parser.add_argument("--match", default="", help="only the attempts whose 'check-attempt' name contains this text")
    parser.add_argument("--against", type=Path, help="another checkout, timed in alternation with this one")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.tiny)
        return

    trees = [Tree(ROOT, "this tree", args.tiny)]
    if args.against is not None:
        trees.append(Tree(args.against.resolve(), f"against {args.against}", args.tiny))
    hello = trees[0].hello
    names = [n for n in hello["names"] if args.match in n]
    print(
        f"torch {hello['torch']}, {hello['threads']} threads; real network: "
        f"{'SqueezeNet 1.1' if hello['real'] else 'none (tiny network only)'}; {len(names)} attempts, cold verdicts; "
        "a pass = one forward+backward of SqueezeNet 1.1 on one photo, measured before each verdict"
    )
    print("  ".join(f"{t.name:>34}" for t in trees) + "  attempt")
    for k, name in enumerate(names):
        order = trees if k % 2 == 0 else trees[::-1]  # alternate who goes first
        rows = {t.name: t.time(name) for t in order}
        cells = []
        for t in trees:
            r = rows[t.name]
            mark = "" if r["ok"] else " UNEXPECTED"
            cells.append(f"{r['seconds']:6.2f} s {r['seconds'] / r['unit']:6.1f} passes {r['status'][:6]:>6}{mark}")
        print("  ".join(f"{c:>34}" for c in cells) + f"  {name}", flush=True)
        for t in trees:
            if not rows[t.name]["ok"]:
                print(f"    {t.name}, first ✘: {rows[t.name]['first']}")
    for t in trees:
        t.close()
    if not names:
        print("no attempt matches", repr(args.match))
        return
    figures = [_summary(t) for t in trees]
    if len(trees) == 2:
        (s0, p0), (s1, p1) = figures
        print(f"this tree / against: slowest verdict {s0 / s1:.2f}, total passes {p0 / p1:.2f}")


if __name__ == "__main__":
    main()
