"""The raw input gradient ∂ỹ_c/∂x (Simonyan, Vedaldi & Zisserman 2014), signed and per channel."""

from __future__ import annotations

import time

import torch
from torch import Tensor

from ..models import Classifier, Target
from .base import (
    DEFAULT_BATCH_SIZE,
    AttributionResult,
    abs_max_over_channels,
    check_batch_size,
    chunks,
    finish,
    prepare,
    score_gradients,
)

__all__ = ["gradient_batches", "input_gradient"]


def gradient_batches(
    model: Classifier, batch: Tensor, classes: Tensor | None, batch_size: int
) -> tuple[Tensor, Tensor, Tensor]:
    """``(∂ỹ_c/∂x, ỹ_c, c)`` of a checked batch on the model's device, ``batch_size`` images per pass.

    ``classes=None``: the predicted class of each image, read from the same forward pass.
    """
    grads, scores, explained = [], [], []
    for part in chunks(batch.shape[0], batch_size):
        g, s, c = score_gradients(model, batch[part], None if classes is None else classes[part])
        grads.append(g)
        scores.append(s)
        explained.append(c)
    return torch.cat(grads), torch.cat(scores), torch.cat(explained)


def input_gradient(
    model: Classifier,
    images: Tensor,
    target: Target | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> AttributionResult:
    r"""The signed gradient of the class score with respect to the pixels (Simonyan et al. 2014).

    Simonyan, Vedaldi & Zisserman, *Deep Inside Convolutional Networks: Visualising Image
    Classification Models and Saliency Maps*, ICLR 2014 workshop, https://arxiv.org/abs/1312.6034,
    eqs. 3–4: near x the class score is almost linear (its first-order Taylor expansion),
    ỹ_c(x') ≈ wᵀx' + b, with

        w = ∂ỹ_c/∂x |ₓ   (one value per pixel and channel, shaped like the image),

    and §3.1 extracts the saliency map from it, M_ij = max_k |w_kij|. The gradient is taken in pixel space (images in
    [0, 1]; the model normalises inside), of the logit ỹ_c, not of the probability.

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        target: the class c of each image, by index or name, one for all or one per image;
            ``None`` (default) explains the class the model predicts.
        batch_size: images per forward+backward pass (default 64); the result does not depend on it.

    Returns:
        An :class:`~tp8.attribution.base.AttributionResult` (method ``"gradient"``, on the CPU,
        a batch even for one image) whose ``attributions`` is ∂ỹ_c/∂x ``(N, 3, H, W)`` and whose
        ``maps`` is max_k |∂ỹ_c/∂x_k| ``(N, H, W)``, the saliency map. It costs one forward and one
        backward pass per image; neither the model nor the images keep a gradient.

    Example::

        >>> model = tp8.load_model()
        >>> x = tp8.sample_images(["coffee"])[0].image
        >>> g = tp8.input_gradient(model, x)          # explains the predicted class
        >>> g.attributions.shape, g.maps.shape
        (torch.Size([1, 3, 224, 224]), torch.Size([1, 224, 224]))
    """
    start = time.perf_counter()
    batch_size = check_batch_size(batch_size)
    batch, _, classes = prepare(model, images, target)
    grads, scores, classes = gradient_batches(model, batch, classes, batch_size)
    return finish(
        AttributionResult(
            maps=abs_max_over_channels(grads).cpu(),
            target=classes.cpu(),
            score=scores.cpu(),
            attributions=grads.cpu(),
            method="gradient",
            passes=1,
        ),
        start,
    )
