"""Saliency maps (Simonyan, Vedaldi & Zisserman 2014, §3).

Near an image x, the network's score for class c is approximately linear (the first-order
Taylor expansion of the paper's eqs. 3–4),

    ỹ_c = f_c(x) ≈ w_cᵀ x + b_c,   with  w_c = ∂ỹ_c/∂x (evaluated at x),

so |w_c| says how much each pixel value can move the score. The saliency map keeps, for each
pixel, the largest |w_c| over the three colour channels.
"""

from __future__ import annotations

from torch import Tensor

from .attribution.base import DEFAULT_BATCH_SIZE, abs_max_over_channels, check_batch_size, prepare
from .attribution.gradient import gradient_batches
from .models import Classifier, Target

__all__ = ["saliency_map"]


def saliency_map(
    model: Classifier, images: Tensor, target: Target | None = None, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Tensor:
    """Saliency map M_ij = max_k |∂ỹ_c/∂x_kij| (Simonyan et al. 2014, eqs. 3–4 and §3.1).

    The gradient of the class score ỹ_c (the logit, before the softmax) with respect to the
    input pixels is computed with one forward and one backward pass per batch of ``batch_size``
    images (the whole batch at once up to 64); its absolute value is then maxed over the RGB
    channels. It is the |·| max over channels of :func:`tp8.input_gradient`, which returns the
    signed gradient; both share tp8's one backward pass
    (:func:`tp8.attribution.base.score_gradients`).

    Args:
        model: a :class:`~tp8.models.Classifier` (normalises its input itself).
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or a single ``(3, H, W)``.
        target: the class c of each image, by index or name (one for all, or one per image);
            ``None`` uses the class the model predicts.
        batch_size: images per forward+backward pass (default 64); the maps do not depend on it.

    Returns:
        Maps shaped ``(N, H, W)`` (or ``(H, W)`` for a single image), on the model's device.
        Neither the model nor ``images`` keep any gradient.

    Example::

        >>> maps = tp8.saliency_map(model, images)           # the predicted classes
        >>> maps = tp8.saliency_map(model, images, "tabby")  # one class for all
    """
    batch_size = check_batch_size(batch_size)
    batch, single, classes = prepare(model, images, target)
    grads, _, _ = gradient_batches(model, batch, classes, batch_size)
    maps = abs_max_over_channels(grads)
    return maps[0] if single else maps
