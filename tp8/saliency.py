"""Saliency maps (Simonyan, Vedaldi & Zisserman 2014, §3).

Near an image x, the network's score for class c is approximately linear,

    ỹ_c = f_c(x) ≈ w_cᵀ x + b_c,   with  w_c = ∂ỹ_c/∂x (evaluated at x),

so |w_c| says how much each pixel value can move the score. The saliency map keeps, for each
pixel, the largest |w_c| over the three colour channels.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .images import check_images
from .models import Classifier, Target

__all__ = ["saliency_map"]


def saliency_map(model: Classifier, images: Tensor, target: Target | None = None) -> Tensor:
    """Saliency map M_ij = max_k |∂ỹ_c/∂x_kij| (Simonyan et al. 2014, eq. 2 and §3.1).

    The gradient of the class score ỹ_c (the logit, before the softmax) with respect to the
    input pixels is computed for the whole batch with one forward and one backward pass;
    its absolute value is then maxed over the RGB channels.

    Args:
        model: a :class:`~tp8.models.Classifier` (normalises its input itself).
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or a single ``(3, H, W)``.
        target: the class c of each image, by index or name (one for all, or one per image);
            ``None`` uses the class the model predicts.

    Returns:
        Maps shaped ``(N, H, W)`` (or ``(H, W)`` for a single image), on the model's device.
        Neither the model nor ``images`` keep any gradient.
    """
    batch, single = check_images(images)
    x = batch.detach().to(model.device).requires_grad_(True)
    with torch.enable_grad():
        scores = model(x)
        if target is None:
            classes = scores.detach().argmax(dim=1)
        else:
            classes = model.class_indices(target, x.shape[0])
        chosen = scores.gather(1, classes[:, None]).sum()  # images are independent: one backward
        (grad,) = torch.autograd.grad(chosen, x)
    maps = grad.abs().amax(dim=1)
    return maps[0] if single else maps
