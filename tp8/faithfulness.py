"""Faithfulness of a map by deletion and insertion (Petsiuk, Das & Saenko 2018, RISE §4).

A map claims that some pixels matter more than others for the class. The *deletion* curve takes
that claim at its word: remove the pixels in the order the map ranks them, most important first,
and follow the probability of the class — a faithful map makes it fall fast (a small area under
the curve). The *insertion* curve starts from an image with no information and puts the pixels
back in the same order — a faithful map makes it rise fast (a large area). A random order is the
reference every map must beat.

Both curves show the network images unlike any it was trained on (holes, sharp pixels on a blur),
so part of what they measure is the reaction to that distribution shift. ROAR (RemOve And
Retrain; Hooker, Erhan, Kindermans & Kim, *A Benchmark for Interpretability Methods in Deep Neural
Networks*, NeurIPS 2019, https://arxiv.org/abs/1806.10758) removes it by retraining the network on
images with the ranked pixels removed and measuring the accuracy it loses, at the price of one
training per method and per fraction; tp8 does not retrain.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from ._progress import progress_bar
from ._validate import check_count, check_fraction, check_seed
from .attribution import AttributionResult
from .attribution.base import (
    DEFAULT_BATCH_SIZE,
    check_batch_size,
    chunks,
    normalize_index,
    predict_classes,
    prepare,
    resolve_baseline,
)
from .errors import InputError
from .models import Classifier, Target

__all__ = ["FaithfulnessResult", "deletion", "insertion", "pixel_ranks"]


@dataclass
class FaithfulnessResult:
    """A deletion or insertion curve per image.

    Attributes:
        mode: ``"deletion"`` or ``"insertion"``.
        order: what ranked the pixels: the method of the map (``"gradient"``, ``"gradcam"``…),
            ``"map"`` for a plain tensor, or ``"random"``.
        fractions: the fraction of the pixels removed (deletion) or inserted (insertion) at each
            point of the curve, ``(T + 1,)``, from 0 to 1.
        probabilities: the softmax probability of the class at each point, ``(N, T + 1)``.
        scores: its logit ỹ_c at each point, ``(N, T + 1)``.
        auc: the area under each probability curve (trapezoid rule over the fractions), ``(N,)``:
            lower is better for deletion, higher for insertion.
        target: the class followed, ``(N,)``.
        baseline_kind: what replaces removed pixels, or where insertion starts: ``"black"``,
            ``"blur"`` or ``"given"``.
    """

    mode: str
    order: str
    fractions: Tensor
    probabilities: Tensor
    scores: Tensor
    auc: Tensor
    target: Tensor
    baseline_kind: str = "black"

    def __len__(self) -> int:
        return self.target.shape[0]

    def __getitem__(self, index) -> FaithfulnessResult:
        """The curves of some images only: ``r[2]``, ``r[[0, 3]]``, ``r[mask]`` (same type)."""
        index = normalize_index(index, len(self))
        return replace(
            self,
            probabilities=self.probabilities[index],
            scores=self.scores[index],
            auc=self.auc[index],
            target=self.target[index],
        )

    @property
    def mean_auc(self) -> float:
        """The area under the curve averaged over the images."""
        return float(self.auc.mean())

    def rows(self, model: Classifier | None = None) -> list[dict]:
        """One dict per image: class, order, AUC, probability at the start and at the end."""
        out = []
        for k in range(len(self)):
            cls = int(self.target[k])
            out.append(
                {
                    "class": model.categories[cls] if model is not None else cls,
                    "mode": self.mode,
                    "order": self.order,
                    "AUC": float(self.auc[k]),
                    "p start": float(self.probabilities[k, 0]),
                    "p end": float(self.probabilities[k, -1]),
                }
            )
        return out


def pixel_ranks(maps: Tensor) -> Tensor:
    """The rank of each pixel in its map, 0 for the largest value, ``(N, H·W)`` (ties: first pixel first)."""
    flat = maps.flatten(1)
    order = torch.argsort(flat, dim=1, descending=True, stable=True)
    ranks = torch.empty_like(order)
    ranks.scatter_(1, order, torch.arange(flat.shape[1], device=flat.device).expand_as(order))
    return ranks


def _check_fractions(fractions) -> list[float]:
    """An increasing list of fractions from 0 to 1 (the points of a curve), else an InputError."""
    hint = "an increasing list from 0 to 1, e.g. [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1]"
    if isinstance(fractions, (str, bytes)) or not hasattr(fractions, "__iter__"):
        raise InputError(f"fractions must be {hint}, got {fractions!r}")
    values = [
        check_fraction("fractions", f, hint=hint)
        for f in (fractions.tolist() if isinstance(fractions, Tensor) else fractions)
    ]
    if len(values) < 2 or values[0] != 0 or values[-1] != 1 or any(b <= a for a, b in itertools.pairwise(values)):
        raise InputError(f"fractions must be {hint}, got {values!r}")
    return values


def _curves(
    mode: str,
    model: Classifier,
    images: Tensor,
    maps,
    target: Target | None,
    *,
    steps: int,
    fractions,
    baseline,
    blur_sigma: float,
    batch_size: int,
    seed: int,
    progress: bool,
) -> FaithfulnessResult:
    grid = _check_fractions(fractions) if fractions is not None else None
    if grid is None:
        steps = check_count(
            "steps", steps, hint="points of the curve after its start: 32 (the default), 16 for a quick look"
        )
    batch_size = check_batch_size(batch_size)
    seed = check_seed(seed)
    if target is None and isinstance(maps, AttributionResult):
        target = maps.target  # follow the class the map explains
    batch, single, classes = prepare(model, images, target)
    classes, _ = predict_classes(model, batch, classes, batch_size)
    n, (h, w) = batch.shape[0], batch.shape[-2:]
    pixels = h * w

    if isinstance(maps, str):
        if maps != "random":
            raise InputError(f"maps must be a tensor of maps, an attribution result or 'random', got {maps!r}")
        generator = torch.Generator().manual_seed(seed)
        ranks = torch.randperm(pixels, generator=generator).to(batch.device).expand(n, pixels)
        order = "random"
    else:
        if isinstance(maps, AttributionResult):
            values, order = maps.maps, maps.method
        elif isinstance(maps, Tensor):
            values, order = maps, "map"
        else:
            raise InputError(
                f"maps must be a tensor of maps, an attribution result or 'random', not {type(maps).__name__}"
            )
        values = values.detach()
        if values.ndim == 2 and single:
            values = values[None]
        if values.shape != (n, h, w):
            raise InputError(f"maps must be shaped {(n, h, w)} (one H×W map per image), got {tuple(values.shape)}")
        if not bool(torch.isfinite(values).all()):
            raise InputError("maps hold NaN or infinite values; they cannot rank the pixels")
        ranks = pixel_ranks(values.to(batch.device).float())

    reference = resolve_baseline(baseline, batch, blur_sigma)
    kind = baseline if isinstance(baseline, str) else "given"
    if grid is None:
        grid = [t / steps for t in range(steps + 1)]
    steps = len(grid) - 1
    counts = torch.tensor([round(f * pixels) for f in grid], device=batch.device)
    fractions = counts.float() / pixels

    probabilities = torch.empty(n, steps + 1, device=batch.device)
    scores = torch.empty(n, steps + 1, device=batch.device)
    parts = list(chunks(n * (steps + 1), batch_size))
    bar = progress_bar(len(parts), f"{mode} ({n} images × {steps + 1})", progress)
    with torch.no_grad():
        for part in parts:
            pairs = torch.arange(part.start, part.stop, device=batch.device)
            image, step = pairs // (steps + 1), pairs % (steps + 1)
            changed = (ranks[image] < counts[step].view(-1, 1)).view(-1, 1, h, w)
            if mode == "deletion":  # the first k pixels are replaced by the baseline's
                x = torch.where(changed, reference[image], batch[image])
            else:  # insertion: the first k pixels of the photo over the baseline
                x = torch.where(changed, batch[image], reference[image])
            logits = model(x)
            probabilities[image, step] = logits.softmax(dim=1).gather(1, classes[image].view(-1, 1))[:, 0]
            scores[image, step] = logits.gather(1, classes[image].view(-1, 1))[:, 0]
            bar.update(1)
    bar.close()
    auc = torch.trapezoid(probabilities, fractions.view(1, -1).expand(n, -1), dim=1)
    return FaithfulnessResult(
        mode=mode,
        order=order,
        fractions=fractions.cpu(),
        probabilities=probabilities.cpu(),
        scores=scores.cpu(),
        auc=auc.cpu(),
        target=classes.cpu(),
        baseline_kind=kind,
    )


def deletion(
    model: Classifier,
    images: Tensor,
    maps: AttributionResult | Tensor | str,
    target: Target | None = None,
    *,
    steps: int = 32,
    fractions: Sequence[float] | None = None,
    baseline: str | Tensor = "black",
    blur_sigma: float = 10.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    progress: bool = True,
) -> FaithfulnessResult:
    r"""The deletion curve: remove the pixels a map ranks first, follow the class probability (Petsiuk et al. 2018).

    Petsiuk, Das & Saenko, *RISE: Randomized Input Sampling for Explanation of Black-box Models*,
    BMVC 2018, https://arxiv.org/abs/1806.07421, §4 ("deletion"): with x_t the image whose
    round(t·H·W/T) highest-ranked pixels are replaced by the baseline's,

        p_t = softmax(f(x_t))_c,   AUC = ∫₀¹ p d(fraction removed)   (trapezoid rule).

    A faithful map makes the probability fall fast: the **lower** the AUC, the better; a random
    order is the reference. Caveat: an image with holes is far from the photos the network was
    trained on, so part of the fall measures that distribution shift, not the map.

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        maps: what ranks the pixels: an :class:`~tp8.attribution.AttributionResult` (its
            ``maps``; its ``target`` too when ``target`` is ``None``), a tensor of maps
            ``(N, H, W)``, or ``"random"`` for the reference order (one random permutation drawn
            from ``seed``, shared by every image so that a curve does not depend on the batch).
            A pixel is a position: its three channels go together; ties keep the first pixel first.
        target: the class whose probability is followed (index or name, one for all or one per
            image); ``None`` (default): the class a result explains, else the predicted class.
        steps: T ≥ 1, the points of the curve after its start (default 32): at point t, the
            round(t·H·W/T) highest-ranked pixels are changed.
        fractions: the points of the curve instead, as fractions of the pixels (an increasing
            list from 0 to 1, e.g. denser near 0 where the probability moves most); default
            ``None``: T equal steps. The AUC is the trapezoid rule over these points.
        baseline: what removed pixels become: ``"black"`` (default, as in the paper),
            ``"blur"`` (the photo blurred), or RGB pixels in [0, 1] (one image or one per image).
        blur_sigma: standard deviation of the ``"blur"`` image, in pixels (default 10).
        batch_size: images per forward pass (default 64).
        seed: seeds the ``"random"`` order (default 0).
        progress: show a progress bar (default True).

    Returns:
        A :class:`FaithfulnessResult`: the probability curves, their areas, the fractions.
        It costs N·(T + 1) forward passes (no gradient).

    Example::

        >>> cam = tp8.grad_cam(model, images)
        >>> tp8.deletion(model, images, cam).auc             # per image: lower is better
        >>> tp8.deletion(model, images, "random").mean_auc   # the reference
    """
    return _curves(
        "deletion",
        model,
        images,
        maps,
        target,
        steps=steps,
        fractions=fractions,
        baseline=baseline,
        blur_sigma=blur_sigma,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
    )


def insertion(
    model: Classifier,
    images: Tensor,
    maps: AttributionResult | Tensor | str,
    target: Target | None = None,
    *,
    steps: int = 32,
    fractions: Sequence[float] | None = None,
    baseline: str | Tensor = "blur",
    blur_sigma: float = 10.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    progress: bool = True,
) -> FaithfulnessResult:
    r"""The insertion curve: put the pixels a map ranks first back into a blurred image (Petsiuk et al. 2018).

    Petsiuk, Das & Saenko, *RISE: Randomized Input Sampling for Explanation of Black-box Models*,
    BMVC 2018, https://arxiv.org/abs/1806.07421, §4 ("insertion"): starting from the baseline (the
    photo blurred, by default), the round(t·H·W/T) highest-ranked pixels are copied from the photo,

        p_t = softmax(f(x_t))_c,   AUC = ∫₀¹ p d(fraction inserted)   (trapezoid rule).

    A faithful map makes the probability rise fast: the **higher** the AUC, the better; a random
    order is the reference. Caveat: sharp pixels pasted on a blur make an image unlike any photo,
    a distribution shift the curve measures as well.

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        maps: what ranks the pixels: an :class:`~tp8.attribution.AttributionResult` (its
            ``maps``; its ``target`` too when ``target`` is ``None``), a tensor of maps
            ``(N, H, W)``, or ``"random"`` for the reference order (one random permutation drawn
            from ``seed``, shared by every image so that a curve does not depend on the batch).
            A pixel is a position: its three channels go together; ties keep the first pixel first.
        target: the class whose probability is followed (index or name, one for all or one per
            image); ``None`` (default): the class a result explains, else the predicted class.
        steps: T ≥ 1, the points of the curve after its start (default 32): at point t, the
            round(t·H·W/T) highest-ranked pixels are changed.
        fractions: the points of the curve instead, as fractions of the pixels (an increasing
            list from 0 to 1, e.g. denser near 0 where the probability moves most); default
            ``None``: T equal steps. The AUC is the trapezoid rule over these points.
        baseline: where the curve starts: ``"blur"`` (default, as in the paper), ``"black"``,
            or RGB pixels in [0, 1] (one image or one per image).
        blur_sigma: standard deviation of the ``"blur"`` image, in pixels (default 10).
        batch_size: images per forward pass (default 64).
        seed: seeds the ``"random"`` order (default 0).
        progress: show a progress bar (default True).

    Returns:
        A :class:`FaithfulnessResult`: the probability curves, their areas, the fractions.
        It costs N·(T + 1) forward passes (no gradient).

    Example::

        >>> sg = tp8.smoothgrad(model, images)
        >>> tp8.insertion(model, images, sg).auc   # per image: higher is better
    """
    return _curves(
        "insertion",
        model,
        images,
        maps,
        target,
        steps=steps,
        fractions=fractions,
        baseline=baseline,
        blur_sigma=blur_sigma,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
    )
