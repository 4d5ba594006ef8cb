"""Grad-CAM: a convolutional layer's activations weighted by their mean gradient (Selvaraju et al. 2017)."""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import InputError
from ..models import Classifier, Target
from .base import DEFAULT_BATCH_SIZE, AttributionResult, check_batch_size, chunks, finish, prepare

__all__ = ["GradCAMResult", "default_layer", "grad_cam", "layer_names", "resolve_layer"]


@dataclass
class GradCAMResult(AttributionResult):
    """What :func:`grad_cam` returns: an :class:`AttributionResult` (no per-channel attributions).

    Attributes:
        maps: ReLU(Σ_k α_k A^k) upsampled (bilinear) to the image, ``(N, H, W)``, in the units of
            the layer's activations times score per activation (not rescaled to [0, 1]).
        low_res: the same map at the layer's resolution, ``(N, h, w)`` (13 × 13 for SqueezeNet 1.1).
        layer: the layer's name in ``model.net`` (e.g. ``"features.12"``).
    """

    low_res: Tensor | None = None
    layer: str = ""

    _per_image: ClassVar[tuple[str, ...]] = (*AttributionResult._per_image, "low_res")

    def _extra_row(self, k: int) -> dict:
        return {"layer": self.layer, "resolution": "×".join(str(s) for s in self.low_res.shape[-2:])}


def layer_names(model: Classifier) -> list[str]:
    """The names of the layers of ``model.net`` that :func:`grad_cam` can take (``"features.12"``…)."""
    return [name for name, _ in model.net.named_modules() if name]


def resolve_layer(model: Classifier, layer: str) -> tuple[str, nn.Module]:
    """``(name, module)`` of a layer of ``model.net`` given by name (``"net."`` prefix allowed).

    Raises:
        InputError: no such layer; the message lists the closest names.
    """
    if not isinstance(layer, str) or not layer:
        raise InputError(f"layer must be the name of a layer of model.net such as 'features.12', got {layer!r}")
    modules = dict(model.net.named_modules())
    name = layer.removeprefix("net.")
    if name in modules and name:
        return name, modules[name]
    names = layer_names(model)
    close = difflib.get_close_matches(name, names, n=6, cutoff=0.5)
    hint = ("closest: " + ", ".join(close)) if close else ("e.g. " + ", ".join(names[-6:]))
    raise InputError(f"{model.name} has no layer {layer!r}; {hint} (see tp8.attribution.layer_names(model))")


def default_layer(model: Classifier, size: tuple[int, int] = (224, 224)) -> str:
    """Grad-CAM's layer when none is given: the last convolutional block of the architecture.

    * SqueezeNet: its last Fire module (``"features.12"``, 13 × 13 for 224² images);
    * VGG: the rectified output of its last convolution (``"features.29"`` for VGG16, 14 × 14),
      the last convolutional block before the final pooling, as in Selvaraju et al.;
    * ResNet and its relatives: ``"layer4"`` (7 × 7);
    * any other network: the last layer whose output is still an image-shaped ``(N, C, h, w)``
      map with h·w > 1, found with one forward pass of one blank image of ``size`` (height, width).
    """
    net = model.net
    modules = dict(net.named_modules())
    features = modules.get("features")
    if model.name.startswith("squeezenet") and isinstance(features, nn.Sequential):
        fires = [f"features.{i}" for i, m in enumerate(features) if type(m).__name__ == "Fire"]
        if fires:
            return fires[-1]
    if model.name.startswith("vgg") and isinstance(features, nn.Sequential):
        convs = [i for i, m in enumerate(features) if isinstance(m, nn.Conv2d)]
        if convs:
            last = convs[-1]
            after = [i for i in range(last + 1, len(features)) if isinstance(features[i], (nn.ReLU, nn.BatchNorm2d))]
            return f"features.{after[-1] if after else last}"
    if "layer4" in modules:
        return "layer4"
    return _last_spatial_layer(model, size)


def _last_spatial_layer(model: Classifier, size: tuple[int, int]) -> str:
    seen: list[str] = []
    hooks = [
        module.register_forward_hook(
            lambda _m, _i, out, name=name: (
                seen.append(name)
                if isinstance(out, Tensor) and out.ndim == 4 and out.shape[-1] * out.shape[-2] > 1
                else None
            )
        )
        for name, module in model.net.named_modules()
        if name
    ]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, *size, device=model.device))
    finally:
        for h in hooks:
            h.remove()
    if not seen:
        raise InputError(f"{model.name} has no convolutional layer for Grad-CAM; pass layer= explicitly")
    return seen[-1]


class _Capture:
    """A forward hook that makes the layer's output the start of the graph and keeps it."""

    def __init__(self, name: str):
        self.name = name
        self.activation: Tensor | None = None

    def __call__(self, _module, _inputs, output):
        if not isinstance(output, Tensor) or output.ndim != 4:
            shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
            raise InputError(
                f"Grad-CAM needs a layer whose output is a (N, C, h, w) map; {self.name!r} gives {shape}. "
                "Choose a convolutional layer or block"
            )
        self.activation = output.detach().requires_grad_(True)
        return self.activation.clone()  # the rest of the network may work in place on its input


def grad_cam(
    model: Classifier,
    images: Tensor,
    target: Target | None = None,
    *,
    layer: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> GradCAMResult:
    r"""Grad-CAM on a convolutional layer, upsampled to the image (Selvaraju et al. 2017).

    Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra, *Grad-CAM: Visual Explanations from Deep
    Networks via Gradient-based Localization*, ICCV 2017, https://arxiv.org/abs/1610.02391,
    eqs. 1 and 2: with A^k the k-th channel of the layer's output (h × w),

        α_k^c = (1/(h·w)) Σ_ij ∂ỹ_c/∂A^k_ij,        L^c = ReLU(Σ_k α_k^c A^k),

    then L^c is upsampled to the image by bilinear interpolation. The map is coarse (one value
    per h × w cell of the layer) but class-discriminative and far less noisy than the pixel
    gradient; the backward pass stops at the layer.

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        target: the class c of each image (index or name, one for all or one per image);
            ``None`` (default) explains the predicted class.
        layer: the name of a layer of ``model.net`` (``"features.12"``; ``"net.features.12"``
            works too); ``None`` (default) takes :func:`default_layer`. A wrong name gets an
            :class:`~tp8.InputError` listing the closest ones.
        batch_size: images per forward+backward pass (default 64).

    Returns:
        A :class:`GradCAMResult` (method ``"gradcam"``, on the CPU): ``maps`` at the image's size,
        ``low_res`` at the layer's, ``layer`` its name; ``attributions`` is ``None``.
        Maps are not rescaled: divide by ``maps.amax((1, 2), keepdim=True)`` to show them in [0, 1].

    Example::

        >>> cam = tp8.grad_cam(model, images)                 # SqueezeNet: layer "features.12"
        >>> cam = tp8.grad_cam(model, images, layer="features.10")
    """
    start = time.perf_counter()
    batch_size = check_batch_size(batch_size)
    batch, _, classes = prepare(model, images, target)
    name, module = resolve_layer(model, default_layer(model, tuple(batch.shape[-2:])) if layer is None else layer)
    capture = _Capture(name)
    maps, low, scores, explained = [], [], [], []
    handle = module.register_forward_hook(capture)
    try:
        for part in chunks(batch.shape[0], batch_size):
            with torch.enable_grad():
                logits = model(batch[part])
                if capture.activation is None:
                    raise InputError(f"layer {name!r} is not used by {model.name}'s forward pass; choose another")
                cls = logits.detach().argmax(dim=1) if classes is None else classes[part]
                chosen = logits.gather(1, cls.view(-1, 1))[:, 0]
                (grad,) = torch.autograd.grad(chosen.sum(), capture.activation)
            activation = capture.activation.detach()
            capture.activation = None
            weights = grad.mean(dim=(2, 3), keepdim=True)  # α_k
            cam = F.relu((weights * activation).sum(dim=1))
            low.append(cam)
            maps.append(F.interpolate(cam[:, None], size=batch.shape[-2:], mode="bilinear", align_corners=False)[:, 0])
            scores.append(chosen.detach())
            explained.append(cls)
    finally:
        handle.remove()
    return finish(
        GradCAMResult(
            maps=torch.cat(maps).cpu(),
            target=torch.cat(explained).cpu(),
            score=torch.cat(scores).cpu(),
            attributions=None,
            method="gradcam",
            passes=1,
            low_res=torch.cat(low).cpu(),
            layer=name,
        ),
        start,
    )
