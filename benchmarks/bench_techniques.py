"""Cost of tp8's techniques, each as a ratio against a reference measured in the same run.

Run ``make bench`` (or ``python benchmarks/bench_techniques.py``) with TP8_WEIGHTS_DIR holding
squeezenet1_1.pth. Ratios, not seconds, are what we compare across machines:

* saliency / one bare forward+backward of the batch           (goal ≤ 1.05)
* batched fooling / the same images attacked one at a time     (goal ≥ 1.3× faster)
* class visualisation per iteration / one bare forward+backward (goal ≤ 1.2)

It also reports the fooling success rate and median iterations on the labelled ImageNet
photos (TP8_IMAGENET_DIR, default ../shared/images/imagenet-val): correctly classified ones,
random targets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch

import tp8

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int) -> float:
    """The fastest of ``repeat`` runs (seconds): the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bare_forward_backward(model, x):
    x = x.clone().requires_grad_(True)
    scores = model(x)
    (g,) = torch.autograd.grad(scores[:, 0].sum(), x)
    return g


def bare_forward_backward_normalized(model, z, targets):
    z = z.clone().requires_grad_(True)
    scores = model.forward_normalized(z)
    (g,) = torch.autograd.grad(scores.gather(1, targets[:, None]).sum(), z)
    return g


def load_photos(model, n: int | None = None):
    folder = Path(os.environ.get("TP8_IMAGENET_DIR", ROOT.parent / "shared" / "images" / "imagenet-val"))
    labels = json.loads((folder / "labels.json").read_text())
    names = sorted(labels)[:n] if n else sorted(labels)
    images = tp8.load_images([folder / k for k in names])
    y = torch.tensor([labels[k] for k in names])
    with torch.no_grad():
        pred = torch.cat([model(images[i : i + 50]).argmax(1) for i in range(0, len(images), 50)])
    return images, y, pred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-success", action="store_true", help="skip the success-rate run on all photos")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = tp8.load_model("squeezenet1_1", progress=False)
    images, labels, pred = load_photos(model)
    correct = (pred == labels).nonzero()[:, 0]
    g = torch.Generator().manual_seed(0)
    targets_all = torch.randint(0, 1000, (len(correct),), generator=g)
    targets_all = torch.where(targets_all == labels[correct], (targets_all + 1) % 1000, targets_all)
    x = images[correct[: args.batch]]
    targets = targets_all[: args.batch]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {len(x)}, best of {args.repeat}")

    # 1. saliency vs one bare forward+backward of the same batch
    bare = best_of(lambda: bare_forward_backward(model, x), args.repeat)
    sal = best_of(lambda: tp8.saliency_map(model, x), args.repeat)
    print(
        f"saliency / bare fwd+bwd           : {sal / bare:5.2f}   (goal ≤ 1.05; {sal * 1e3:.0f} ms vs {bare * 1e3:.0f} ms)"
    )

    # What batching can gain at best on this machine: one fwd+bwd of the batch vs that many single ones.
    one = best_of(lambda: bare_forward_backward(model, x[:1]), args.repeat * 2)
    print(
        f"batching: fwd+bwd of {len(x)} / {len(x)} × one : {bare / (len(x) * one):5.2f}   "
        f"(so batching alone can speed things up {len(x) * one / bare:.2f}× at most)"
    )

    # 2. batched fooling vs the same images one at a time
    batched = best_of(lambda: tp8.fooling_image(model, x, targets, progress=False), max(1, args.repeat // 2))
    single = best_of(
        lambda: [tp8.fooling_image(model, x[k], int(targets[k]), progress=False) for k in range(len(x))],
        max(1, args.repeat // 2),
    )
    print(
        f"fooling: one at a time / batched  : {single / batched:5.2f}×  (goal ≥ 1.3; {batched:.2f} s vs {single:.2f} s)"
    )

    # 3. class visualisation per iteration vs one bare forward+backward (same batch size)
    n_iter = 50
    classes = targets.tolist()
    z = torch.randn(len(classes), 3, 224, 224)
    bare_z = best_of(lambda: bare_forward_backward_normalized(model, z, targets), args.repeat)
    cv = best_of(
        lambda: tp8.class_visualization(model, classes, num_iterations=n_iter, snapshot_every=0, progress=False),
        max(1, args.repeat // 2),
    )
    print(
        f"class viz per iteration / fwd+bwd : {cv / n_iter / bare_z:5.2f}   (goal ≤ 1.2; "
        f"{cv / n_iter * 1e3:.0f} ms vs {bare_z * 1e3:.0f} ms)"
    )

    if not args.skip_success:
        t0 = time.perf_counter()
        result = tp8.fooling_image(model, images[correct], targets_all, progress=False)
        its = result.iterations[result.success].float()
        print(
            f"fooling success (defaults)        : {result.success.sum()}/{len(correct)} = {result.success_rate:.1%} "
            f"of correctly classified photos, median {statistics.median(its.tolist()):.0f} iterations "
            f"(max {int(result.iterations.max())}), median L∞ {float(result.linf_255.median()):.0f}/255, "
            f"median L2 {float(result.l2_255.median()):.0f}/255; {time.perf_counter() - t0:.0f} s"
        )


if __name__ == "__main__":
    main()
