"""What every attribution method shares: the backward pass, the batching, the result object.

* :func:`score_gradients` is the one place where tp8 differentiates a class score with respect to
  the pixels: one forward and one backward pass of a batch, each row with its own class.
  :func:`~tp8.attribution.gradient.input_gradient`, SmoothGrad, Integrated Gradients and
  :func:`~tp8.saliency.saliency_map` all call it.
* :func:`prepare` checks the images and resolves the class to explain (by index, by name, one per
  image, or the predicted one).
* :class:`AttributionResult` is what the methods return: the 2-D maps, the per-channel attributions
  where the method has them, the class explained, the cost in passes and seconds, with the protocol
  of :class:`tp8.AttackResult` (``len``, ``result[2]``, ``result[[0, 3]]``, ``result[mask]``,
  ``rows(model)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from .._validate import check_count, check_number
from ..errors import InputError
from ..images import check_images
from ..models import Classifier, Target

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "AttributionResult",
    "abs_max_over_channels",
    "blur",
    "check_batch_size",
    "chunks",
    "class_scores",
    "predict_classes",
    "prepare",
    "resolve_baseline",
    "runs",
    "score_gradients",
]

#: Images (or noisy copies, or path points) per forward+backward pass when the caller does not say:
#: enough to keep a CPU or a GPU busy; lower it for a large network such as VGG16 if memory runs out.
DEFAULT_BATCH_SIZE = 64


def check_batch_size(batch_size) -> int:
    return check_count(
        "batch_size",
        batch_size,
        hint=f"images per forward+backward pass: {DEFAULT_BATCH_SIZE} (the default); lower it if memory runs out",
    )


def chunks(total: int, size: int) -> Iterator[slice]:
    """``slice(0, size)``, ``slice(size, 2·size)``, … covering ``range(total)``."""
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))


def runs(part: slice, n: int) -> Iterator[tuple[int, slice, slice]]:
    """Split a chunk of the pairs (group g, image i), numbered g·n + i, into runs of one group.

    Yields ``(g, rows of the chunk, images)``: within a run the images are consecutive, so the
    copies are built and their gradients added up with plain slices (no gather, no ``index_add_``).
    """
    for group in range(part.start // n, (part.stop - 1) // n + 1):
        lo, hi = max(part.start, group * n), min(part.stop, (group + 1) * n)
        yield group, slice(lo - part.start, hi - part.start), slice(lo - group * n, hi - group * n)


def abs_max_over_channels(grad: Tensor) -> Tensor:
    """max_k |grad_k| over the channel dimension, ``(N, C, H, W)`` → ``(N, H, W)``.

    For RGB, two element-wise maxima of the three channels: several times faster than ``amax(dim=1)``
    on the channels-last gradients the network returns.
    """
    if grad.shape[1] == 3:
        return torch.maximum(torch.maximum(grad[:, 0].abs(), grad[:, 1].abs()), grad[:, 2].abs())
    return grad.abs().amax(dim=1)


@torch.no_grad()
def class_scores(model: Classifier, batch: Tensor, batch_size: int = DEFAULT_BATCH_SIZE) -> Tensor:
    """The logits of ``batch`` (on the model's device), ``batch_size`` images per forward pass."""
    return torch.cat([model(batch[s]) for s in chunks(batch.shape[0], batch_size)])


def prepare(model: Classifier, images: Tensor, target: Target | None) -> tuple[Tensor, bool, Tensor | None]:
    """``(batch on the model's device, single image given?, class index of each image or None)``.

    The classes are ``None`` when ``target`` is ``None`` (explain the predicted class): a method
    that makes a forward pass of the images themselves reads the prediction there (see
    :func:`score_gradients`); one that needs it beforehand calls :func:`predict_classes`.
    """
    batch, single = check_images(images)
    batch = batch.detach().to(device=model.device, dtype=torch.float32)
    classes = None if target is None else model.class_indices(target, batch.shape[0])
    return batch, single, classes


def predict_classes(
    model: Classifier, batch: Tensor, classes: Tensor | None, batch_size: int = DEFAULT_BATCH_SIZE
) -> tuple[Tensor, Tensor | None]:
    """``(classes, their scores ỹ_c(x))``: the predicted classes when ``classes`` is ``None``.

    Predicting costs one forward pass (no gradient), whose scores are returned; given classes
    cost nothing and come back with ``None`` for the scores.
    """
    if classes is not None:
        return classes, None
    logits = class_scores(model, batch, batch_size)
    classes = logits.argmax(dim=1)
    return classes, logits.gather(1, classes.view(-1, 1))[:, 0]


def score_gradients(model: Classifier, x: Tensor, classes: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
    """``(∂ỹ_c/∂x, ỹ_c, c)`` for each row of ``x``, with one forward and one backward pass.

    The rows are independent, so the gradient of the sum of their scores gives each row the
    gradient of its own score ỹ_{c_i}(x_i) (the logit, before the softmax). ``classes=None``
    takes the class each row is predicted as, read from the same forward pass. ``x`` may lie
    outside [0, 1] (SmoothGrad's noisy copies do); it is not modified and keeps no gradient.
    """
    leaf = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(leaf)
        if classes is None:
            classes = logits.detach().argmax(dim=1)
        scores = logits.gather(1, classes.view(-1, 1))[:, 0]
        (grad,) = torch.autograd.grad(scores.sum(), leaf)
    return grad, scores.detach(), classes


def _gaussian_kernel(sigma: float, radius: int, device, dtype) -> Tensor:
    t = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    return kernel / kernel.sum()


def blur(images: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of each channel (standard deviation ``sigma`` pixels, reflected edges).

    The blurred photo is the "uninformative" image of Integrated Gradients' blurred baseline and
    of the insertion curve (Petsiuk et al. 2018): it keeps the colours and the layout, not the
    details. ``sigma`` must be > 0 and its kernel (half-width ⌈3σ⌉) must fit in the image.
    """
    sigma = check_number("blur_sigma", sigma, low=0, low_open=True, hint="a standard deviation in pixels, e.g. 10")
    side = min(images.shape[-2:])
    radius = max(1, math.ceil(3 * sigma))
    if radius >= side:
        raise InputError(
            f"blur_sigma must be below {side / 3:g} for {side}-pixel images, got {sigma!r}: the blur kernel "
            f"reaches ⌈3σ⌉ = {radius} pixels; use a smaller one such as 10"
        )
    c = images.shape[1]
    kernel = _gaussian_kernel(sigma, radius, images.device, images.dtype)
    x = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def resolve_baseline(baseline, batch: Tensor, blur_sigma: float, *, name: str = "baseline") -> Tensor:
    """The reference image of each image of ``batch``: ``"black"``, ``"blur"`` or given pixels.

    A given baseline is RGB pixels in [0, 1], one ``(3, H, W)`` image for all or one per image.
    """
    if isinstance(baseline, str):
        if baseline == "black":
            return torch.zeros_like(batch)
        if baseline == "blur":
            return blur(batch, blur_sigma)
        raise InputError(f"{name} must be 'black', 'blur' or a tensor of pixels in [0, 1], got {baseline!r}")
    if not isinstance(baseline, Tensor):
        raise InputError(
            f"{name} must be 'black', 'blur' or a tensor of pixels in [0, 1], got {type(baseline).__name__}"
        )
    given, _ = check_images(baseline, name=name)
    given = given.detach().to(device=batch.device, dtype=batch.dtype)
    if given.shape[1:] != batch.shape[1:] or given.shape[0] not in (1, batch.shape[0]):
        raise InputError(
            f"{name} must be shaped like one image {tuple(batch.shape[1:])} or like the batch "
            f"{tuple(batch.shape)}, got {tuple(baseline.shape)}"
        )
    return given.expand_as(batch)


def normalize_index(index, n: int):
    """``result[2]`` keeps a batch of one; a boolean mask or a list selects several images."""
    if isinstance(index, bool):
        raise InputError("select images by index, list of indices, slice or boolean mask, not a bool")
    if isinstance(index, int):
        if not -n <= index < n:
            raise IndexError(f"image {index} is out of range for {n} image(s)")
        return [index % n]
    if isinstance(index, Tensor):
        if index.dtype == torch.bool:
            if index.shape != (n,):
                raise InputError(f"a boolean mask must have one entry per image ({n}), got shape {tuple(index.shape)}")
            return index.cpu()
        return index.cpu().long().view(-1)
    return index


@dataclass
class AttributionResult:
    """The maps of an attribution method, one per image (the raw gradient returns this class).

    Attributes:
        maps: the 2-D map of each image, ``(N, H, W)``: what a figure shows and what the
            deletion/insertion curves rank pixels by. For the gradient it is max_k |∂ỹ_c/∂x_k|
            (the saliency map of Simonyan et al. 2014).
        target: the class each map explains, ``(N,)``.
        score: ỹ_c(x), the logit of that class for each image, ``(N,)``.
        attributions: per-channel attributions shaped like the images ``(N, 3, H, W)`` (the signed
            gradient ∂ỹ_c/∂x for :func:`~tp8.attribution.input_gradient`), or ``None`` where the
            method has none (Grad-CAM).
        method: the method's short name: ``"gradient"``, ``"smoothgrad"``, ``"ig"``, ``"gradcam"``.
        passes: forward+backward passes of the network per image (a Grad-CAM backward pass stops
            at its layer).
        forward_passes: extra forward-only passes per image (e.g. f(x) and f(baseline) for IG).
        seconds: wall-clock time of the call.
    """

    maps: Tensor
    target: Tensor
    score: Tensor
    attributions: Tensor | None = None
    method: str = "gradient"
    passes: int = 1
    forward_passes: int = 0
    seconds: float = 0.0

    #: Fields holding one entry per image (selected by ``result[...]``).
    _per_image: ClassVar[tuple[str, ...]] = ("maps", "target", "score", "attributions")

    def __len__(self) -> int:
        return self.maps.shape[0]

    def __getitem__(self, index) -> AttributionResult:
        """The maps of some images only: ``r[2]``, ``r[[0, 3]]``, ``r[1:]``, ``r[mask]`` (same type)."""
        index = normalize_index(index, len(self))
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self._per_image and isinstance(value, Tensor):
                changes[f.name] = value[index]
        return replace(self, **changes)

    def _extra_row(self, k: int) -> dict:
        return {}

    def rows(self, model: Classifier | None = None) -> list[dict]:
        """One dict per image (class names when ``model`` is given), e.g. for a table."""
        out = []
        for k in range(len(self)):
            cls = int(self.target[k])
            out.append(
                {
                    "method": self.method,
                    "class": model.categories[cls] if model is not None else cls,
                    "score": float(self.score[k]),
                    **self._extra_row(k),
                    "passes": self.passes,
                    "map max": float(self.maps[k].abs().max()),
                }
            )
        return out


def finish(result: AttributionResult, start: float) -> AttributionResult:
    """Stamp the wall-clock time since ``start`` (``time.perf_counter()``) on ``result``."""
    import time

    result.seconds = time.perf_counter() - start
    return result
