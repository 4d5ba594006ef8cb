"""Cost and faithfulness of tp8's attribution methods, as ratios measured in the same run.

Run ``make bench`` (or ``python benchmarks/bench_attribution.py [--quick]``) with TP8_WEIGHTS_DIR
holding squeezenet1_1.pth. Every ratio compares a method with the bare passes it cannot avoid,
timed in the same run on the same batch (best of ``--repeat``), so that the ratio measures what the
method adds — noise, interpolation, accumulation — and not the machine:

* SmoothGrad with n samples / n bare forward+backward passes            (goal ≤ 1.05)
* Integrated Gradients with m steps / m bare forward+backward passes     (goal ≤ 1.05; the trapezoid
  rule, whose path ends give ỹ_c(x) and ỹ_c(x') for free; the default Gauss–Legendre rule is shown
  against m bare passes plus the two forward passes its completeness gap needs)
* Grad-CAM / one bare forward+backward pass                              (goal ≤ 1.05; its backward
  pass stops at the layer)
* the raw input gradient / one bare forward+backward pass               (goal ≤ 1.05)

On a busy machine the passes themselves vary more than the 5 % the goals allow; the benchmark therefore
also times what SmoothGrad and Integrated Gradients do *besides* their passes (noise, interpolation,
accumulation), alone, with their backward pass replaced by a stub, as a fraction of the passes. ``--clock
cpu --threads 1`` times CPU seconds instead of wall-clock ones, which other programs disturb less.

It then reports the deletion AUC (Petsiuk et al. 2018: the probability of the predicted class as
the pixels a map ranks first are blacked out; lower is better) of each method, and of a random
order, on 64 of the labelled ImageNet photos (TP8_IMAGENET_DIR, default ../shared/images/imagenet-val).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

import tp8
from tp8.attribution.base import score_gradients

ROOT = Path(__file__).resolve().parents[1]


#: Points of the deletion curves: dense near 0, where a CNN's probability falls fastest.
FRACTIONS = [0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1]


#: How a run is timed: wall-clock seconds, or the CPU seconds of this process (all its threads), which
#: other programs sharing the machine disturb much less (``--clock cpu``, best with ``--threads 1``).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def paired(reference, method, repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` runs of each (seconds), alternating the two so that both see the same machine."""
    ref, met = [], []
    for _ in range(repeat):
        for fn, times in ((reference, ref), (method, met)):
            t0 = clock()
            fn()
            times.append(clock() - t0)
    return min(ref), min(met)


def bare_forward_backward(model, x, targets):
    """One forward and one backward pass of the batch: the gradient of the target scores, nothing else."""
    x = x.clone().requires_grad_(True)
    scores = model(x)
    (g,) = torch.autograd.grad(scores.gather(1, targets[:, None]).sum(), x)
    return g


@torch.no_grad()
def bare_forward(model, x):
    return model(x)


def load_photos(n: int):
    folder = Path(os.environ.get("TP8_IMAGENET_DIR", ROOT.parent / "shared" / "images" / "imagenet-val"))
    labels = json.loads((folder / "labels.json").read_text())
    names = sorted(labels)[:n]
    return tp8.load_images([folder / k for k in names]), torch.tensor([labels[k] for k in names])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16, help="images per batch for the ratios (default 16)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument("--n-samples", type=int, default=50, help="SmoothGrad's n (default 50)")
    parser.add_argument("--steps", type=int, default=32, help="Integrated Gradients' m (default 32)")
    parser.add_argument("--photos", type=int, default=64, help="photos for the deletion AUCs (default 64)")
    parser.add_argument(
        "--deletion-steps",
        type=int,
        default=None,
        help="equal steps for the deletion curves (default: 16 points dense near 0)",
    )
    parser.add_argument("--skip-auc", action="store_true", help="skip the deletion AUCs")
    parser.add_argument("--quick", action="store_true", help="small settings for a busy machine (n = m = 8, batch 8)")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall", help="wall (default) or cpu time")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.batch, args.repeat, args.n_samples, args.steps = 8, 3, 8, 8
    torch.manual_seed(0)
    model = tp8.load_model("squeezenet1_1", progress=False)
    images, labels = load_photos(max(args.photos, args.batch))
    with torch.no_grad():
        predicted = torch.cat([model(images[i : i + 32]).argmax(1) for i in range(0, len(images), 32)])
    x, t = images[: args.batch], predicted[: args.batch]
    b, n, m = len(x), args.n_samples, args.steps
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.clock} clock, batch {b}, "
        f"best of {args.repeat}; "
        f"SmoothGrad n = {n}, IG m = {m}"
    )

    def passes(k: int, forwards: int = 0):
        def run():
            for _ in range(k):
                bare_forward_backward(model, x, t)
            for _ in range(forwards):
                bare_forward(model, x)

        return run

    bare_forward_backward(model, x, t)  # the first pass of a shape pays oneDNN's set-up: not timed
    bare_forward(model, x)

    def ratio(label: str, reference: float, seconds: float, what: str) -> None:
        print(f"{label:<44}: {seconds / reference:5.2f}   (goal ≤ 1.05; {seconds:.2f} s vs {reference:.2f} s = {what})")

    ratio(
        "input gradient / 1 bare pass",
        *paired(passes(1), lambda: tp8.input_gradient(model, x, t, batch_size=b), args.repeat),
        "1 bare pass",
    )
    ratio(
        f"SmoothGrad (n = {n}) / {n} bare passes",
        *paired(passes(n), lambda: tp8.smoothgrad(model, x, t, n_samples=n, batch_size=b, progress=False), args.repeat),
        f"{n} bare passes",
    )
    ratio(
        f"IG trapezoid (m = {m}) / {m} bare passes",
        *paired(
            passes(m),
            lambda: tp8.integrated_gradients(
                model, x, t, steps=m, method="riemann_trapezoid", batch_size=b, progress=False
            ),
            args.repeat,
        ),
        f"{m} bare passes",
    )
    ratio(
        f"IG Gauss–Legendre (m = {m}) / {m} passes + 2 fwd",
        *paired(
            passes(m, 2),
            lambda: tp8.integrated_gradients(model, x, t, steps=m, batch_size=b, progress=False),
            args.repeat,
        ),
        f"{m} bare + 2 forward",
    )
    ratio(
        "Grad-CAM / 1 bare pass",
        *paired(passes(1), lambda: tp8.grad_cam(model, x, t, batch_size=b), args.repeat),
        "1 bare pass",
    )

    # What the methods do besides the passes, measured alone: their one backward function is replaced by
    # a stub that returns a gradient computed beforehand, so that the rest (noise, interpolation,
    # accumulation) is timed without the passes and whatever else the machine is running.
    g_x, s_x, _ = score_gradients(model, x, t)
    stub = lambda _model, xx, classes: (g_x[: xx.shape[0]], s_x[: xx.shape[0]], classes)  # noqa: E731
    bare_alone = paired(passes(1), passes(1), args.repeat)[0]
    modules = [sys.modules[f"tp8.attribution.{name}"] for name in ("smoothgrad", "integrated_gradients")]
    for module in modules:
        module.score_gradients = stub
    try:
        besides_sg = paired(
            lambda: None, lambda: tp8.smoothgrad(model, x, t, n_samples=n, batch_size=b, progress=False), args.repeat
        )[1]
        besides_ig = paired(
            lambda: None,
            lambda: tp8.integrated_gradients(
                model, x, t, steps=m, method="riemann_trapezoid", batch_size=b, progress=False
            ),
            args.repeat,
        )[1]
    finally:
        for module in modules:
            module.score_gradients = score_gradients
    print(
        f"work besides the passes (passes stubbed out): SmoothGrad {besides_sg / (n * bare_alone):.1%}, "
        f"IG trapezoid {besides_ig / (m * bare_alone):.1%} of their {n} and {m} passes"
    )

    if args.skip_auc:
        return
    photos, classes = images[: args.photos], predicted[: args.photos]
    grid = (
        FRACTIONS if args.deletion_steps is None else [k / args.deletion_steps for k in range(args.deletion_steps + 1)]
    )
    accuracy = float((classes == labels[: args.photos]).float().mean())
    print(
        f"\ndeletion AUC on {len(photos)} ImageNet photos (predicted class, {accuracy:.0%} correct; "
        f"{len(grid)} points from 0 to 1, removed pixels black; lower is better)"
    )
    t0 = time.perf_counter()
    results = {
        "gradient": tp8.input_gradient(model, photos, classes),
        f"SmoothGrad (n = {n})": tp8.smoothgrad(model, photos, classes, n_samples=n, progress=False),
        f"IG (m = {m}, black)": tp8.integrated_gradients(model, photos, classes, steps=m, progress=False),
        "Grad-CAM": tp8.grad_cam(model, photos, classes),
        "random order": "random",
    }
    maps_seconds = time.perf_counter() - t0
    rows = []
    for name, maps in results.items():
        curve = tp8.deletion(model, photos, maps, classes, fractions=grid, progress=False)
        auc = curve.auc.tolist()
        rows.append((name, statistics.mean(auc), statistics.stdev(auc), float(curve.probabilities[:, 0].mean())))
    reference = rows[-1][1]
    print(f"{'method':<22} {'mean AUC':>9} {'sd':>6} {'÷ random':>9}")
    for name, mean, sd, _ in sorted(rows, key=lambda r: r[1]):
        print(f"{name:<22} {mean:9.3f} {sd:6.3f} {mean / reference:9.2f}")
    print(
        f"(mean probability before deletion {rows[0][3]:.3f}; maps {maps_seconds:.0f} s, "
        f"curves {time.perf_counter() - t0 - maps_seconds:.0f} s)"
    )


if __name__ == "__main__":
    main()
