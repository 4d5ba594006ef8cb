"""SmoothGrad: the mean of the saliency maps of noisy copies (Smilkov et al. 2017)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from .._progress import progress_bar
from .._validate import check_count, check_number, check_seed
from ..models import Classifier, Target
from .base import (
    DEFAULT_BATCH_SIZE,
    AttributionResult,
    abs_max_over_channels,
    check_batch_size,
    chunks,
    finish,
    predict_classes,
    prepare,
    runs,
    score_gradients,
)

__all__ = ["SmoothGradResult", "smoothgrad"]


@dataclass
class SmoothGradResult(AttributionResult):
    """What :func:`smoothgrad` returns: an :class:`AttributionResult` and its noise.

    Attributes:
        maps: (1/n) Σ_s max_k |∂ỹ_c/∂x_k (x + ε_s)|, the mean of the n saliency maps ``(N, H, W)``
            (magnitudes: sign changes between copies do not cancel here).
        attributions: (1/n) Σ_s ∂ỹ_c/∂x (x + ε_s), the mean signed gradient ``(N, 3, H, W)`` (the
            paper's eq. 3 with M_c the gradient; sign changes between copies cancel here).
        n_samples: n, the noisy copies per image.
        sigma: the noise level σ as a fraction of each image's pixel range.
        score: (1/n) Σ_s ỹ_c(x + ε_s), the mean score of the noisy copies (the score of the
            smoothed classifier whose gradient ``attributions`` is), ``(N,)``.
        noise_std: the standard deviation of the noise added to each image, in pixel units ``(N,)``.
    """

    n_samples: int = 50
    sigma: float = 0.15
    noise_std: Tensor | None = None

    _per_image: ClassVar[tuple[str, ...]] = (*AttributionResult._per_image, "noise_std")

    def _extra_row(self, k: int) -> dict:
        return {"n samples": self.n_samples, "noise std": float(self.noise_std[k])}


def smoothgrad(
    model: Classifier,
    images: Tensor,
    target: Target | None = None,
    *,
    n_samples: int = 50,
    sigma: float = 0.15,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    progress: bool = True,
) -> SmoothGradResult:
    r"""SmoothGrad: average the saliency maps of noisy copies of each image (Smilkov et al. 2017).

    Smilkov, Thorat, Kim, Viégas & Wattenberg, *SmoothGrad: removing noise by adding noise*, 2017,
    https://arxiv.org/abs/1706.03825, eq. 3:

        M̂_c(x) = (1/n) Σ_{s=1..n} M_c(x + ε_s),   ε_s ~ N(0, σ_x² I),

    with the noise level given, as in the paper, relative to the image's range:
    σ_x = ``sigma`` · (max x − min x). The copies are not clipped to [0, 1] (as in the paper).

    *What is averaged.* In the paper's eq. 1, M_c is the gradient ∂ỹ_c/∂x itself, and the authors'
    reference implementation (PAIR's ``saliency`` package) averages the signed gradient (or its
    square) before any magnitude is taken for display. tp8 returns both averages: ``maps``, the mean
    of the saliency maps max_k |∂ỹ_c/∂x_k| (the magnitudes, what the page figures show), and
    ``attributions``, the mean signed gradient. They do not smooth the same thing: a component of
    the gradient that only flips its sign from copy to copy cancels in the signed mean, but not in
    the mean of magnitudes, which tends to E|g| as n grows (only its fluctuation shrinks, as 1/√n).
    What the mean of magnitudes removes is the copy-to-copy variation of the magnitude; a pattern
    present in every copy, such as an architecture's checkerboard, stays.

    All n·N copies run as large batches of ``batch_size`` (never one pass per sample). The same n
    noise draws ε_s/σ_x serve every image of the batch, so the map of an image does not depend on
    the batch it came in, nor on ``batch_size``; ``seed`` fixes them (a ``torch.Generator``, never
    the global random state).

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        target: the class c of each image (index or name, one for all or one per image);
            ``None`` (default) explains the predicted class.
        n_samples: n ≥ 1, noisy copies per image (default 50, the paper's choice).
        sigma: σ ≥ 0, the noise level as a fraction of the image's pixel range (default 0.15; the
            paper finds 0.10–0.20 best). ``sigma=0`` gives the plain saliency map.
        batch_size: copies per forward+backward pass (default 64).
        seed: seeds the noise (default 0).
        progress: show a progress bar (default True).

    Returns:
        A :class:`SmoothGradResult` (method ``"smoothgrad"``, on the CPU): ``maps`` the mean of the
        saliency maps, ``attributions`` the mean signed gradient, ``score`` the mean score of the
        copies; ``passes`` = n forward+backward passes per image (plus one forward pass to find
        the predicted class when ``target`` is ``None``).

    Example::

        >>> sg = tp8.smoothgrad(model, images, n_samples=25, sigma=0.1, seed=0)
        >>> sg.maps.shape  # (N, 224, 224)
    """
    start = time.perf_counter()
    n_samples = check_count(
        "n_samples", n_samples, hint="noisy copies per image: 50 (the default), 10 for a quick look"
    )
    sigma = check_number(
        "sigma", sigma, low=0, hint="the noise level as a fraction of the pixel range: 0.15 (the default), 0 for none"
    )
    batch_size = check_batch_size(batch_size)
    seed = check_seed(seed)
    batch, _, classes = prepare(model, images, target)
    forward_passes = int(classes is None)
    classes, _ = predict_classes(model, batch, classes, batch_size)  # the noisy copies explain the same class
    n, shape = batch.shape[0], batch.shape[1:]
    flat = batch.flatten(1)
    noise_std = sigma * (flat.amax(dim=1) - flat.amin(dim=1))  # σ_x of each image, in pixel units

    generator = torch.Generator().manual_seed(seed)
    drawn: dict[int, Tensor] = {}  # ε_s / σ_x on the model's device, drawn once each, in the order of s
    next_draw = 0

    map_sum = torch.zeros((n, *shape[1:]), device=batch.device)
    grad_sum = torch.zeros_like(batch)
    score_sum = torch.zeros(n, device=batch.device)
    parts = list(chunks(n_samples * n, batch_size))
    bar = progress_bar(len(parts), f"SmoothGrad ({n} images × {n_samples})", progress)
    for part in parts:
        first, last = part.start // n, (part.stop - 1) // n  # the samples s this chunk of copies needs
        while next_draw <= last:
            drawn[next_draw] = torch.randn(shape, generator=generator).to(batch.device)
            next_draw += 1
        for s in [s for s in drawn if s < first]:  # no later chunk needs them
            del drawn[s]
        pieces = list(runs(part, n))  # the copies in the order (sample s, image i)
        x = [torch.addcmul(batch[i], noise_std[i].view(-1, 1, 1, 1), drawn[s]) for s, _, i in pieces]
        x = x[0] if len(x) == 1 else torch.cat(x)
        image_classes = torch.cat([classes[i] for _, _, i in pieces])
        grads, scores, _ = score_gradients(model, x, image_classes)
        maps = abs_max_over_channels(grads)
        for _, rows, i in pieces:
            map_sum[i] += maps[rows]
            grad_sum[i] += grads[rows]
            score_sum[i] += scores[rows]
        bar.update(1)
    bar.close()
    return finish(
        SmoothGradResult(
            maps=(map_sum / n_samples).cpu(),
            target=classes.cpu(),
            score=(score_sum / n_samples).cpu(),
            attributions=(grad_sum / n_samples).cpu(),
            method="smoothgrad",
            passes=n_samples,
            forward_passes=forward_passes,
            n_samples=n_samples,
            sigma=sigma,
            noise_std=noise_std.cpu(),
        ),
        start,
    )
