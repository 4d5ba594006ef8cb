"""Occlusion: hide a patch, see what the class score loses (Zeiler & Fergus 2014), no gradient at all."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import Tensor

from .._progress import progress_bar
from .._validate import check_count
from ..errors import InputError
from ..models import Classifier, Target
from .base import (
    DEFAULT_BATCH_SIZE,
    AttributionResult,
    check_batch_size,
    chunks,
    class_scores,
    finish,
    prepare,
    resolve_baseline,
)

__all__ = ["OcclusionResult", "occlusion", "window_starts"]


def window_starts(size: int, window: int, stride: int) -> list[int]:
    """Where the windows start along one side: 0, s, 2s, … until one reaches the edge.

    ⌈(size − window) / stride⌉ + 1 windows (Captum's count); when ``stride`` does not divide
    ``size − window``, the last one is cut by the edge.
    """
    return [k * stride for k in range(math.ceil((size - window) / stride) + 1)]


@dataclass
class OcclusionResult(AttributionResult):
    """What :func:`occlusion` returns: an :class:`AttributionResult` (no per-channel attributions).

    Attributes:
        maps: the mean loss of score of the windows covering each pixel, ``(N, H, W)``, signed:
            positive where hiding the pixel's neighbourhood lowers ỹ_c, negative where it raises it.
        window: the side of the square patch, in pixels.
        stride: the step between two windows, in pixels.
        baseline_kind: what fills the patch: ``"grey"``, ``"black"``, ``"blur"`` or ``"given"``.
    """

    window: int = 32
    stride: int = 16
    baseline_kind: str = "grey"

    def _extra_row(self, k: int) -> dict:
        return {"window": self.window, "stride": self.stride, "baseline": self.baseline_kind}


def occlusion(
    model: Classifier,
    images: Tensor,
    target: Target | None = None,
    *,
    window: int = 32,
    stride: int = 16,
    baseline: str | Tensor = "grey",
    blur_sigma: float = 10.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> OcclusionResult:
    r"""Occlusion map: the score lost when a square patch hides each place (Zeiler & Fergus 2014).

    Zeiler & Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014,
    https://arxiv.org/abs/1311.2901, §4.2 ("occlusion sensitivity"): a grey square slides over the
    image and the class output is recorded at each position. With W_p the pixels of window p
    (all three channels), x^{(p)} the image whose pixels in W_p are replaced by the baseline's,

        M_ij = mean over the windows p ∋ (i, j) of  ỹ_c(x) − ỹ_c(x^{(p)}),

    the loss of the logit ỹ_c (the paper plots the probability; tp8 explains the logit, as its
    other methods), averaged over the windows that cover the pixel — Captum's ``Occlusion`` with a
    window of all channels. The method reads the network's outputs only: no gradient, no access to
    its layers, so it applies to any model (a *model-agnostic*, or black-box, baseline). It asks
    the question of the deletion curve (what is lost when a region is removed?) one region at a
    time, and shares its caveat: an image with a grey square is unlike the training photos. Its
    resolution is the stride, its cost one forward pass per window and per image (169 for a
    224-pixel image with the defaults), against one forward and one backward pass for the gradient.

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        target: the class c of each image (index or name, one for all or one per image);
            ``None`` (default) explains the predicted class.
        window: side of the square patch in pixels (default 32), at most the image's side.
        stride: step between windows in pixels, 1 ≤ ``stride`` ≤ ``window`` (default 16), so that
            every pixel is covered.
        baseline: what fills the patch: ``"grey"`` (default, 0.5 on every channel, as the paper's
            grey square), ``"black"``, ``"blur"`` (the photo blurred by a Gaussian of
            ``blur_sigma`` pixels), or RGB pixels in [0, 1] (one image for all or one per image).
        blur_sigma: standard deviation of the ``"blur"`` baseline, in pixels (default 10).
        batch_size: occluded images per forward pass (default 64).
        progress: show a progress bar (default True).

    Returns:
        An :class:`OcclusionResult` (method ``"occlusion"``, on the CPU): ``maps`` as above,
        ``score`` ỹ_c(x); ``passes`` = 0 (no backward pass), ``forward_passes`` = the number of
        windows + 1 (the image itself) per image.

    Example::

        >>> occ = tp8.attribution.occlusion(model, images, window=56, stride=28)
        >>> occ.maps.shape  # (N, 224, 224); resolution 28 pixels
    """
    start = time.perf_counter()
    batch_size = check_batch_size(batch_size)
    batch, _, classes = prepare(model, images, target)
    n, (h, w) = batch.shape[0], batch.shape[-2:]
    window = check_count("window", window, hint=f"the side of the patch in pixels, e.g. 32 (at most {min(h, w)})")
    if window > min(h, w):
        raise InputError(f"window must be at most the image's side, {min(h, w)} pixels, got {window}")
    stride = check_count("stride", stride, hint=f"the step between windows in pixels, from 1 to the window ({window})")
    if stride > window:
        raise InputError(
            f"stride must be at most the window ({window} pixels), got {stride}: larger steps would leave "
            "pixels that no window covers"
        )
    if isinstance(baseline, str) and baseline == "grey":
        reference, kind = torch.full_like(batch, 0.5), "grey"
    elif (isinstance(baseline, str) and baseline in ("black", "blur")) or isinstance(baseline, Tensor):
        reference = resolve_baseline(baseline, batch, blur_sigma)
        kind = baseline if isinstance(baseline, str) else "given"
    else:
        raise InputError(f"baseline must be 'grey', 'black', 'blur' or a tensor of pixels in [0, 1], got {baseline!r}")

    boxes = [(y, x) for y in window_starts(h, window, stride) for x in window_starts(w, window, stride)]
    masks = torch.zeros(len(boxes), h, w, dtype=torch.bool, device=batch.device)
    for p, (y, x) in enumerate(boxes):
        masks[p, y : y + window, x : x + window] = True
    covered = masks.sum(dim=0)  # windows covering each pixel (≥ 1 since stride ≤ window)

    logits = class_scores(model, batch, batch_size)
    if classes is None:
        classes = logits.argmax(dim=1)
    score = logits.gather(1, classes.view(-1, 1))[:, 0]

    total = torch.zeros(n, h, w, device=batch.device)
    parts = list(chunks(len(boxes) * n, batch_size))
    bar = progress_bar(len(parts), f"occlusion ({n} images × {len(boxes)} windows)", progress)
    with torch.no_grad():
        for part in parts:
            pairs = torch.arange(part.start, part.stop, device=batch.device)
            box, image = pairs // n, pairs % n  # window p of image i is pair p·n + i
            hidden = masks[box].unsqueeze(1)
            x = torch.where(hidden, reference[image], batch[image])
            lost = score[image] - model(x).gather(1, classes[image].view(-1, 1))[:, 0]
            total.index_add_(0, image, lost.view(-1, 1, 1) * hidden[:, 0])
            bar.update(1)
    bar.close()
    return finish(
        OcclusionResult(
            maps=(total / covered).cpu(),
            target=classes.cpu(),
            score=score.cpu(),
            attributions=None,
            method="occlusion",
            passes=0,
            forward_passes=len(boxes) + 1,
            window=window,
            stride=stride,
            baseline_kind=kind,
        ),
        start,
    )
