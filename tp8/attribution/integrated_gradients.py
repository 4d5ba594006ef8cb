"""Integrated Gradients: the gradient integrated along the path from a baseline (Sundararajan et al. 2017)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
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
    predict_classes,
    prepare,
    resolve_baseline,
    runs,
    score_gradients,
)

__all__ = ["QUADRATURES", "IntegratedGradientsResult", "integrated_gradients", "quadrature"]

#: The sums that approximate the path integral: Riemann sums (Captum's names) and Gauss–Legendre.
QUADRATURES = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre")


def quadrature(method: str, steps: int) -> tuple[list[float], list[float]]:
    """Nodes α_j ∈ [0, 1] and weights w_j (Σ w_j = 1) of ∫₀¹ g(α) dα ≈ Σ_j w_j g(α_j).

    * ``riemann_left`` / ``riemann_right`` / ``riemann_middle``: m equal intervals, the left end,
      the right end (Sundararajan et al.'s eq. 3) or the middle of each; weights 1/m.
    * ``riemann_trapezoid``: the trapezoid rule on m ≥ 2 equally spaced points 0, 1/(m−1), …, 1;
      weights 1/(m−1), halved at both ends. (Captum's ``riemann_trapezoid`` keeps weights 1/m,
      halved at the ends, which sum to 1 − 1/m; tp8's sum to 1.)
    * ``gausslegendre``: the m-point Gauss–Legendre rule mapped to [0, 1], exact for polynomials
      of degree 2m − 1 (Captum's default and its nodes).
    """
    if method not in QUADRATURES:
        raise InputError(f"method must be one of {', '.join(QUADRATURES)}, got {method!r}")
    m = steps
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(m)
        return (0.5 * (1 + x)).tolist(), (0.5 * w).tolist()
    if method == "riemann_trapezoid":
        if m < 2:
            raise InputError(
                f"steps must be at least 2 for the trapezoid rule, got {m}; or use method='riemann_middle'"
            )
        alphas = [j / (m - 1) for j in range(m)]
        weights = [1 / (m - 1)] * m
        weights[0] = weights[-1] = 0.5 / (m - 1)
        return alphas, weights
    offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[method]
    return [(j + offset) / m for j in range(m)], [1 / m] * m


@dataclass
class IntegratedGradientsResult(AttributionResult):
    """What :func:`integrated_gradients` returns: an :class:`AttributionResult` and its completeness check.

    Attributes:
        attributions: IG_k(x) = (x_k − x'_k) · Σ_j w_j ∂ỹ_c/∂x_k (x' + α_j (x − x')), ``(N, 3, H, W)``.
        maps: Σ_k IG_k, the signed attribution of each pixel (its three channels added), ``(N, H, W)``:
            the pixels of a map add up to Σ attributions.
        score: ỹ_c(x), ``(N,)``.
        baseline_score: ỹ_c(x'), the score of the baseline, ``(N,)``.
        delta: the completeness gap Σ attributions − (ỹ_c(x) − ỹ_c(x')) of each image, ``(N,)``
            (zero for the exact integral; it shrinks as ``steps`` grows).
        baseline: the baseline images x', ``(N, 3, H, W)``.
        baseline_kind: ``"black"``, ``"blur"`` or ``"given"``.
        steps: m, the points of the sum; quadrature: its rule (see :func:`quadrature`).
    """

    baseline_score: Tensor | None = None
    delta: Tensor | None = None
    baseline: Tensor | None = None
    baseline_kind: str = "black"
    steps: int = 32
    quadrature: str = "gausslegendre"

    _per_image: ClassVar[tuple[str, ...]] = (*AttributionResult._per_image, "baseline_score", "delta", "baseline")

    @property
    def relative_delta(self) -> Tensor:
        """|delta| / |ỹ_c(x) − ỹ_c(x')|: the gap as a fraction of what the attributions must add up to."""
        return self.delta.abs() / (self.score - self.baseline_score).abs().clamp_min(1e-12)

    def _extra_row(self, k: int) -> dict:
        return {
            "baseline score": float(self.baseline_score[k]),
            "sum of attributions": float(self.attributions[k].sum()),
            "completeness gap": float(self.delta[k]),
            "relative gap": float(self.relative_delta[k]),
        }


def integrated_gradients(
    model: Classifier,
    images: Tensor,
    target: Target | None = None,
    *,
    baseline: str | Tensor = "black",
    steps: int = 32,
    method: str = "gausslegendre",
    blur_sigma: float = 10.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> IntegratedGradientsResult:
    r"""Integrated Gradients along the straight path from a baseline x' to x (Sundararajan et al. 2017).

    Sundararajan, Taly & Yan, *Axiomatic Attribution for Deep Networks*, ICML 2017,
    https://arxiv.org/abs/1703.01365, eq. 1 and its Riemann sum, eq. 3:

        IG_k(x) = (x_k − x'_k) ∫₀¹ ∂ỹ_c/∂x_k (x' + α (x − x')) dα
                ≈ (x_k − x'_k) Σ_{j=1..m} w_j ∂ỹ_c/∂x_k (x' + α_j (x − x')).

    Where the raw gradient only sees the slope at x, and so misses a feature whose effect stopped
    growing before the path reached x (what the paper, §2, calls saturation: in a ReLU network
    units switch on or off along the path, through the biases, the max-pooling switches and the
    input normalisation's offset; without them the score would be linear in α), IG adds up the
    slopes all along the path, so that the attributions satisfy *completeness*:
    Σ_k IG_k(x) = ỹ_c(x) − ỹ_c(x'). With a finite sum they do so up to the completeness gap
    returned per image, which measures the error of the quadrature.

    The attributions depend on x', and "black" is a convention of how pixels are encoded, not a
    property of the network: the same function fed inverted images (x ↦ 1 − x, undone by its
    normalisation) has the white image as its black one, and other attributions (input invariance,
    Kindermans et al., *The (Un)reliability of Saliency Methods*, 2019,
    https://arxiv.org/abs/1711.00867). The raw gradient has no reference and is unaffected.

    The m·N interpolated images run as large batches of ``batch_size``, never one pass per step.
    ỹ_c(x) and ỹ_c(x') come from the passes themselves when the rule has α = 1 or α = 0 among
    its nodes, else from one forward pass each.

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        target: the class c of each image (index or name, one for all or one per image);
            ``None`` (default) explains the predicted class.
        baseline: x', the image "without information": ``"black"`` (default, all zeros, as in
            the paper), ``"blur"`` (the photo blurred by a Gaussian of ``blur_sigma`` pixels), or
            RGB pixels in [0, 1] — one ``(3, H, W)`` image for all or one per image.
        steps: m ≥ 1, the points of the sum (default 32; the paper uses 20 to 300).
        method: the quadrature (default ``"gausslegendre"``, as Captum), or ``"riemann_right"``
            (the paper's eq. 3), ``"riemann_left"``, ``"riemann_middle"``, ``"riemann_trapezoid"``;
            see :func:`quadrature`.
        blur_sigma: standard deviation of the blurred baseline, in pixels (default 10).
        batch_size: interpolated images per forward+backward pass (default 64).
        progress: show a progress bar (default True).

    Returns:
        An :class:`IntegratedGradientsResult` (method ``"ig"``, on the CPU): ``attributions`` IG,
        ``maps`` its sum over channels, ``delta`` the completeness gap per image; ``passes`` = m
        forward+backward passes per image.

    Example::

        >>> ig = tp8.integrated_gradients(model, images, baseline="black", steps=64)
        >>> ig.delta            # Σ IG − (ỹ_c(x) − ỹ_c(0)), per image
        >>> ig.relative_delta   # the same, as a fraction of ỹ_c(x) − ỹ_c(0)
    """
    start = time.perf_counter()
    steps = check_count("steps", steps, hint="points of the path integral: 32 (the default), 8 for a quick look")
    if not isinstance(method, str) or method not in QUADRATURES:
        raise InputError(f"method must be one of {', '.join(QUADRATURES)}, got {method!r}")
    alphas, weights = quadrature(method, steps)
    batch_size = check_batch_size(batch_size)
    batch, _, classes = prepare(model, images, target)
    reference = resolve_baseline(baseline, batch, blur_sigma)
    kind = baseline if isinstance(baseline, str) else "given"
    forward_passes = int(classes is None)
    classes, score = predict_classes(model, batch, classes, batch_size)
    n = batch.shape[0]
    difference = batch - reference

    total = torch.zeros_like(batch)  # Σ_j w_j ∂ỹ_c/∂x (x' + α_j (x − x'))
    weights_32 = torch.tensor(weights, dtype=torch.float32).tolist()  # the weights as float32 numbers
    at_alpha: dict[float, Tensor] = {}  # ỹ_c at α = 0 and α = 1, when they are nodes
    parts = list(chunks(steps * n, batch_size))
    bar = progress_bar(len(parts), f"Integrated Gradients ({n} images × {steps})", progress)
    for part in parts:
        pieces = list(runs(part, n))  # the path points in the order (step j, image i)
        x = [reference[i] + alphas[j] * difference[i] for j, _, i in pieces]
        x = x[0] if len(x) == 1 else torch.cat(x)
        grads, scores, _ = score_gradients(model, x, torch.cat([classes[i] for _, _, i in pieces]))
        for j, rows, i in pieces:
            total[i] += weights_32[j] * grads[rows]
            if alphas[j] in (0.0, 1.0):
                at_alpha.setdefault(alphas[j], torch.zeros(n, device=batch.device))[i] = scores[rows]
        bar.update(1)
    bar.close()

    if score is None:
        if 1.0 in at_alpha:
            score = at_alpha[1.0]
        else:
            score = class_scores(model, batch, batch_size).gather(1, classes.view(-1, 1))[:, 0]
            forward_passes += 1
    if 0.0 in at_alpha:
        baseline_score = at_alpha[0.0]
    else:
        baseline_score = class_scores(model, reference, batch_size).gather(1, classes.view(-1, 1))[:, 0]
        forward_passes += 1
    attributions = difference * total
    delta = attributions.sum(dim=(1, 2, 3)) - (score - baseline_score)
    return finish(
        IntegratedGradientsResult(
            maps=attributions.sum(dim=1).cpu(),
            target=classes.cpu(),
            score=score.cpu(),
            attributions=attributions.cpu(),
            method="ig",
            passes=steps,
            forward_passes=forward_passes,
            baseline_score=baseline_score.cpu(),
            delta=delta.cpu(),
            baseline=reference.cpu(),
            baseline_kind=kind,
            steps=steps,
            quadrature=method,
        ),
        start,
    )
