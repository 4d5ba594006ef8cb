"""Feature visualisation: seconds per class, and whether a second network recognises the images.

Run ``make bench`` (or ``python benchmarks/bench_feature_visualization.py [--quick]``) with
TP8_WEIGHTS_DIR holding squeezenet1_1.pth and squeezenet1_0.pth. On SqueezeNet 1.1, on 2 CPU
threads, for 10 classes (``--classes``), it measures in the same run:

* ``tp8.feature_visualization`` with its defaults, **one class per call**: seconds per class,
  p(target) on SqueezeNet 1.1, and top-1 / top-5 of the target on the second network
  (SqueezeNet 1.0), which never saw the ascent (targets: ≤ 10 s per class, top-1 ≥ 9/10,
  top-5 10/10);
* the same 10 classes in **one call** (seconds per class, and the ratio to one at a time: goal
  > 1, batching makes each class cheaper);
* the lab's ``tp8.class_visualization`` with its defaults, for comparison;
* the objective variants (``--objectives``, on by default unless ``--quick``): the evidence for
  the default objective;
* **Lucent** (torch-lucent, Lucid for PyTorch) with its defaults (128-px Fourier image upsampled
  to 224, Adam 0.05, standard transforms; 256 steps), one class per call, judged the same way
  (its image upsampled to 224, as Lucent shows it to the network). Lucent pins ``kornia<=0.4.1``,
  so it lives in its own environment: pass ``--lucent-python /path/to/venv/bin/python`` (or set
  TP8_LUCENT_PYTHON); it is imported directly when installed here (the ``bench`` extra).

Times are printed with a bare forward+backward pass of one 224-px image measured in the same run,
so that a disturbed machine shows as a slow reference: compare the "steps-equivalent" columns
across machines, not the seconds.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CLASSES = [
    "flamingo",
    "tarantula",
    "goldfish",
    "king penguin",
    "jellyfish",
    "daisy",
    "hourglass",
    "volcano",
    "school bus",
    "lemon",
]


# --- Lucent, in whatever interpreter has it (no tp8 import here) ---------------------------------------


def lucent_worker(out: Path, weights: Path, classes: list[int], steps: int, seed: int, threads: int) -> None:
    """Run Lucent's defaults on SqueezeNet 1.1, one class per call; save the images and the seconds."""
    import numpy as np
    import torch
    import torchvision
    from lucent.optvis import objectives, render

    torch.set_num_threads(threads)
    net = torchvision.models.squeezenet1_1(weights=None)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    net.eval().requires_grad_(False)
    images, seconds = [], []
    for c in classes:
        torch.manual_seed(seed)
        np.random.seed(seed)
        t0 = time.perf_counter()
        result = render.render_vis(
            net,
            objectives.channel("labels", c),
            thresholds=(steps,),
            show_image=False,
            progress=False,
        )
        seconds.append(time.perf_counter() - t0)
        images.append(result[-1][0])  # (H, W, 3) in [0, 1]
    np.savez(out, images=np.stack(images), seconds=np.array(seconds))


def run_lucent(args, classes: list[int]):
    """Lucent's images (N, H, W, 3) and seconds per class, or the reason it could not run."""
    weights = Path(os.environ.get("TP8_WEIGHTS_DIR", "")) / "squeezenet1_1.pth"
    python = args.lucent_python or os.environ.get("TP8_LUCENT_PYTHON")
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lucent.npz"
        if python is None:
            try:
                import lucent  # noqa: F401
            except ImportError as exc:
                return None, f"torch-lucent is not installed here ({exc}); pass --lucent-python"
            try:
                lucent_worker(out, weights, classes, args.lucent_steps, args.seed, args.threads)
            except Exception as exc:  # report, do not hide, why it cannot run
                return None, f"Lucent failed: {type(exc).__name__}: {exc}"
        else:
            cmd = [
                python,
                str(Path(__file__).resolve()),
                "--lucent-worker",
                str(out),
                "--weights-file",
                str(weights),
                "--class-indices",
                ",".join(map(str, classes)),
                "--lucent-steps",
                str(args.lucent_steps),
                "--seed",
                str(args.seed),
                "--threads",
                str(args.threads),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                return None, f"Lucent failed in {python}: {tail[0]}"
        data = np.load(out)
        return (data["images"], data["seconds"]), None


# --- tp8 ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 classes, no objective variants, no lab baseline")
    parser.add_argument("--classes", default=",".join(CLASSES), help="comma-separated class names")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--objectives", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--lucent", action=argparse.BooleanOptionalAction, default=True, help="also run Lucent")
    parser.add_argument("--lucent-python", help="interpreter of an environment where torch-lucent is installed")
    parser.add_argument("--lucent-steps", type=int, default=256)
    # internal: the Lucent worker, run by --lucent-python
    parser.add_argument("--lucent-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--weights-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--class-indices", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.lucent_worker is not None:
        classes = [int(c) for c in args.class_indices.split(",")]
        lucent_worker(args.lucent_worker, args.weights_file, classes, args.lucent_steps, args.seed, args.threads)
        return

    import torch
    import torch.nn.functional as F

    import tp8

    torch.set_num_threads(args.threads)
    names = [c.strip() for c in args.classes.split(",") if c.strip()]
    if args.quick:
        names = names[:3]
    objectives = not args.quick if args.objectives is None else args.objectives
    model = tp8.load_model("squeezenet1_1", progress=False)
    second = tp8.load_model("squeezenet1_0", progress=False)
    targets = model.class_indices(names, len(names))
    n = len(names)

    x = torch.rand(1, 3, 224, 224)

    def bare():
        z = x.clone().requires_grad_(True)
        torch.autograd.grad(model(z)[0, 0], z)

    bare()
    reference = min(_timed(bare) for _ in range(10))
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {n} classes; one bare forward+backward "
        f"of a 224-px image: {reference * 1e3:.0f} ms (the unit of the steps-equivalent columns)"
    )

    def judge(images: torch.Tensor) -> dict:
        """p on SqueezeNet 1.1, and the target's rank on the second network."""
        with torch.no_grad():
            p = model(images).softmax(1).gather(1, targets[:, None])[:, 0]
            scores = second(images)
        rank = (scores > scores.gather(1, targets[:, None])).sum(1) + 1
        return {
            "p": float(p.mean()),
            "p_min": float(p.min()),
            "top1": int((rank == 1).sum()),
            "top5": int((rank <= 5).sum()),
            "ranks": rank.tolist(),
        }

    def report(label: str, seconds_per_class: float, judged: dict, extra: str = "") -> None:
        print(
            f"{label:<38} {seconds_per_class:6.2f} s/class ({seconds_per_class / reference:5.0f} steps-eq.)  "
            f"p(SqueezeNet 1.1) {judged['p']:.3f} (min {judged['p_min']:.3f})  "
            f"SqueezeNet 1.0 top-1 {judged['top1']}/{n}, top-5 {judged['top5']}/{n}  ranks {judged['ranks']}{extra}"
        )

    # 1. one class per call: the user's case
    singles, times = [], []
    for c in names:
        t0 = time.perf_counter()
        singles.append(tp8.feature_visualization(model, c, progress=False).images)
        times.append(time.perf_counter() - t0)
    single = torch.cat(singles)
    per_class = statistics.fmean(times)
    report(
        "feature_visualization, one per call",
        per_class,
        judge(single),
        f"  [{min(times):.1f}–{max(times):.1f} s]",
    )

    # 2. all classes in one call
    t0 = time.perf_counter()
    batch = tp8.feature_visualization(model, names, progress=False).images
    batched = (time.perf_counter() - t0) / n
    report(f"feature_visualization, {n} in one call", batched, judge(batch))
    print(
        f"  batching: one at a time / one call = {per_class / batched:.2f}× (goal > 1); "
        f"batched vs single images: max |Δ| = {float((batch - single).abs().max()):.2f} (float rounding of the "
        "batch-size-dependent kernels, amplified by the ascent)"
    )

    # 3. the lab's method, for comparison
    if not args.quick:
        t0 = time.perf_counter()
        lab = tp8.class_visualization(model, names, progress=False).images
        report(f"class_visualization (the lab's), {n} in one call", (time.perf_counter() - t0) / n, judge(lab))

    # 4. the objective variants: the evidence for the default
    if objectives:
        for objective in importlib.import_module("tp8.feature_visualization").OBJECTIVES:
            t0 = time.perf_counter()
            images = tp8.feature_visualization(model, names, objective=objective, progress=False).images
            report(f"  objective={objective!r}, one call", (time.perf_counter() - t0) / n, judge(images))

    # 5. Lucent, one class per call
    if args.lucent:
        outcome, reason = run_lucent(args, targets.tolist())
        if outcome is None:
            print(f"Lucent: not measured — {reason}")
        else:
            images, seconds = outcome
            tensor = torch.from_numpy(images).float().movedim(-1, 1)
            if tensor.shape[-1] != 224:  # Lucent shows its 128-px image to the network upsampled to 224
                tensor = F.interpolate(tensor, size=(224, 224), mode="bilinear", align_corners=True)
            lucent_time = float(seconds.mean())
            report(f"Lucent ({args.lucent_steps} steps), one per call", lucent_time, judge(tensor.clamp(0, 1)))
            print(f"  tp8 is {lucent_time / per_class:.1f}× faster per class than Lucent, one class per call")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
