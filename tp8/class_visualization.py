"""Class visualisation: the image a network finds most typical of a class.

Starting from noise (or a photo), gradient ascent changes the *input* to raise one class
score, with regularisers that keep the image natural-looking (Simonyan, Vedaldi & Zisserman
2014, §2; Yosinski, Clune, Nguyen, Fuchs & Lipson 2015, §3; the random jitter of DeepDream,
Mordvintsev, Olah & Tyka 2015). The regularisers are needed because an ordinarily trained
network's gradient is dominated by fine, position-locked detail; for an adversarially trained
network the plain ascent already draws object-like images (Santurkar et al. 2019).

References:
    K. Simonyan, A. Vedaldi, A. Zisserman (2014). Deep Inside Convolutional Networks: Visualising
    Image Classification Models and Saliency Maps. ICLR 2014 Workshop. https://arxiv.org/abs/1312.6034

    J. Yosinski, J. Clune, A. Nguyen, T. Fuchs, H. Lipson (2015). Understanding Neural Networks
    Through Deep Visualization. ICML 2015 Deep Learning Workshop. https://arxiv.org/abs/1506.06579

    A. Mordvintsev, C. Olah, M. Tyka (2015). Inceptionism: Going Deeper into Neural Networks.
    Google Research blog (DeepDream).

    S. Santurkar, D. Tsipras, B. Tran, A. Ilyas, L. Engstrom, A. Madry (2019). Image Synthesis
    with a Single (Robust) Classifier. NeurIPS 2019. https://arxiv.org/abs/1906.09453
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor

from ._progress import progress_bar
from ._validate import check_count, check_int, check_number, check_seed
from .errors import InputError
from .images import check_images
from .models import IMAGENET_MEAN, IMAGENET_STD, Classifier, Target

__all__ = ["ClassVisualization", "class_visualization", "gaussian_blur", "jitter"]


def jitter(images: Tensor, dx: int, dy: int) -> Tensor:
    """Translate a batch by (dx, dy) pixels, wrapping around: ``jitter(jitter(x, a, b), -a, -b) == x``.

    The random translation popularised by DeepDream (Mordvintsev, Olah & Tyka 2015) and used with
    Yosinski et al.'s (2015) regularisers in CS231n: a pattern only survives the ascent if it raises
    the score wherever it lands, which removes high-frequency, position-locked noise.
    """
    dx = check_int("dx", dx, hint="a shift in whole pixels (positive moves right)")
    dy = check_int("dy", dy, hint="a shift in whole pixels (positive moves down)")
    return torch.roll(images, shifts=(dy, dx), dims=(-2, -1))


def gaussian_blur(images: Tensor, sigma: float = 0.5) -> Tensor:
    """Separable Gaussian blur of each channel, with circular padding.

    The kernel sums to one and the padding wraps around, so the mean of each channel is kept
    exactly (Yosinski et al. 2015, "Gaussian blur" regulariser: it damps high frequencies).
    ``sigma`` (in pixels) must be ≥ 0 (0 leaves the images unchanged) and at most a third of
    the smaller side, so that the kernel fits in the image.
    """
    sigma = _check_sigma("sigma", sigma)
    if sigma == 0:
        return images
    radius = _blur_radius("sigma", sigma, min(images.shape[-2:]))
    t = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = images.shape[1]
    x = F.pad(images, (radius, radius, radius, radius), mode="circular")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


@dataclass
class ClassVisualization:
    """The result of :func:`class_visualization`.

    Attributes:
        images: the final images, ``(N, 3, H, W)`` RGB in [0, 1].
        target: the class index of each image.
        snapshots: ``(iteration, images)`` pairs along the way, iteration 0 being the start.
        probabilities: softmax probability of the target at each step, ``(T, N)``.
        objective: the maximised objective ỹ_c − λ R(x) at each step, ``(T, N)``.
    """

    images: Tensor
    target: Tensor
    snapshots: list[tuple[int, Tensor]] = field(default_factory=list)
    probabilities: Tensor = field(default_factory=lambda: torch.empty(0))
    objective: Tensor = field(default_factory=lambda: torch.empty(0))

    @property
    def final_probability(self) -> Tensor:
        """Target probability of the final images (no jitter), shaped ``(N,)``."""
        return self.probabilities[-1]

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index) -> ClassVisualization:
        """The results of some classes only, as for :class:`~tp8.adversarial.AttackResult`.

        ``viz[2]``, ``viz[[0, 3]]``, ``viz[:2]`` or ``viz[mask]`` (a boolean tensor, one per image)
        select the same images in :attr:`images`, :attr:`target`, every snapshot, and the same
        columns of :attr:`probabilities` and :attr:`objective`; the result is a
        :class:`ClassVisualization` (an integer keeps one image, still batched).
        """
        if isinstance(index, numbers.Integral) or (isinstance(index, Tensor) and index.ndim == 0):
            index = [int(index)]

        def columns(values: Tensor) -> Tensor:
            return values[:, index] if values.ndim == 2 else values

        return replace(
            self,
            images=self.images[index],
            target=self.target[index],
            snapshots=[(t, images[index]) for t, images in self.snapshots],
            probabilities=columns(self.probabilities),
            objective=columns(self.objective),
        )

    def rows(self, model: Classifier | None = None) -> list[dict]:
        """One dict per image, for a table: its class and how a network sees it.

        With ``model`` — the network that made the images, or another one, to see whether they
        transfer — the final images are classified again: ``class`` is the target's name, ``p``
        its softmax probability, ``score`` its logit ỹ_c, ``rank`` its place among all classes
        (1: the network's first choice; ≤ 5: in its top-5) and ``norm`` ‖z‖₂, the image's norm in
        that network's normalised space z = (x − mean) / std. Without a model, ``class`` is the
        index, ``p`` the probability recorded at the end of the ascent, ``score`` and ``rank``
        are ``None`` and ``norm`` uses ImageNet's mean and standard deviation.
        """
        if model is None:
            mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
            std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
            norms = ((self.images - mean) / std).flatten(1).norm(dim=1)
            recorded = self.final_probability if self.probabilities.ndim == 2 else torch.full((len(self),), math.nan)
            return [
                {"class": int(c), "p": float(p), "score": None, "rank": None, "norm": float(z)}
                for c, p, z in zip(self.target, recorded, norms)
            ]
        out = []
        with torch.no_grad():
            for start in range(0, len(self), 32):
                images = self.images[start : start + 32].to(model.device)
                targets = self.target[start : start + 32].to(model.device)
                scores = model(images)
                picked = scores.gather(1, targets[:, None])[:, 0]
                probs = scores.softmax(dim=1).gather(1, targets[:, None])[:, 0]
                ranks = (scores > picked[:, None]).sum(dim=1) + 1
                norms = model.normalize(images).flatten(1).norm(dim=1)
                for k in range(images.shape[0]):
                    out.append(
                        {
                            "class": model.categories[int(targets[k])],
                            "p": float(probs[k]),
                            "score": float(picked[k]),
                            "rank": int(ranks[k]),
                            "norm": float(norms[k]),
                        }
                    )
        return out


def _check_sigma(name: str, sigma) -> float:
    return check_number(name, sigma, low=0, hint="a standard deviation in pixels: 0.5 (the default), or 0 for no blur")


def _blur_radius(name: str, sigma: float, side: int) -> int:
    """The kernel's half-width ⌈3σ⌉, refused when it does not fit in an image of this side."""
    radius = max(1, math.ceil(3 * sigma))
    if radius > side:
        raise InputError(
            f"{name} must be at most {side / 3:g} for {side}-pixel images, got {sigma!r}: the blur kernel reaches "
            f"⌈3σ⌉ = {radius} pixels; blur less, or not at all ({name}=0)"
        )
    return radius


def _check_percentile(name: str, value) -> float | None:
    if value is None:
        return None
    return check_number(name, value, low=0, high=100, hint="a percentile such as 50, or None to turn the clipping off")


def _check_network_accepts(model: Classifier, height: int, width: int, what: str) -> None:
    """One forward pass of a blank image before any work: a network whose poolings shrink the image
    to nothing, or a fixed-size one, fails here with a message instead of deep inside PyTorch."""
    probe = torch.zeros(1, 3, height, width, device=model.device)
    try:
        with torch.no_grad():
            model.forward_normalized(probe)
    except RuntimeError as exc:
        if isinstance(exc, torch.cuda.OutOfMemoryError):
            raise
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise InputError(
            f"{model.name} cannot classify {height}×{width} images ({reason}); use {what} it accepts: 224 for "
            "torchvision's ImageNet networks (the size they were trained on), at least 32 for most of them "
            "(VGG's five 2× poolings need 32 pixels)"
        ) from None


def _percentile_mask(values: Tensor, percentile: float) -> Tensor:
    """True where a per-pixel value (N, H, W) is at or above the image's percentile."""
    flat = values.flatten(1)
    threshold = torch.quantile(flat, percentile / 100.0, dim=1, keepdim=True)
    return (flat >= threshold).view_as(values)


def class_visualization(
    model: Classifier,
    target: Target,
    *,
    l2_reg: float = 1e-3,
    lr: float = 5.0,
    num_iterations: int = 100,
    blur_every: int = 10,
    blur_sigma: float = 0.5,
    max_jitter: int = 16,
    init_img: Tensor | None = None,
    image_size: int = 224,
    clip_norm_percentile: float | None = None,
    clip_contribution_percentile: float | None = None,
    snapshot_every: int = 25,
    seed: int = 0,
    progress: bool = True,
) -> ClassVisualization:
    """Regularised gradient ascent on a class score (Simonyan 2014; Yosinski 2015; lab eqs. 3–4).

    Maximises the lab's eq. 3,  L(x) = ỹ_c(x) − λ R(x),  by the plain gradient step of eq. 4,
    x ← x + η ∇ₓL, interleaved with implicit regularisers: before each step the image is
    translated by a random (dx, dy) with |dx|, |dy| ≤ ``max_jitter`` and translated back after it
    (DeepDream's jitter); every ``blur_every`` steps it is blurred (Yosinski et al.); after every
    step it is clamped to valid pixels.

    The ascent runs in the network's normalised space z = (x − mean) / std, where the origin is
    the mean image of ImageNet: the L2 penalty pulls toward that mean image, as in Simonyan et al.

    About the norm. Eq. 3 of the lab writes λ‖x‖₂; Simonyan et al. (2014, eq. 1) and CS231n use
    the *squared* norm λ‖x‖₂², whose gradient 2λx is a weight decay proportional to each pixel's
    distance from the mean. The unsquared norm has gradient λx/‖x‖₂: a pull of constant length
    λ whatever the image, so its λ needs to be about 2‖x‖₂ (≈ 2·400 for a 224² noise image) times
    larger for the same effect. We use the squared form, R(x) = ‖x‖₂². A point x* is stationary
    for both objectives only when λ′ = 2λ‖x*‖₂ (there the two penalties' gradients, 2λx* and
    λ′x*/‖x*‖₂, coincide): the two ascents share stationary points image by image, for a λ′ that
    depends on the solution, not for one λ′ on every image (and a stationary point of one need not
    be a maximiser of the other: their curvatures differ).

    Args:
        model: a :class:`~tp8.models.Classifier`.
        target: class c (index or name), or one per image to visualise several at once.
        l2_reg: λ, the weight of R(x) = ‖z‖₂².
        lr: η, the step of eq. 4 (the raw gradient is used, as in the equation).
        num_iterations: number of ascent steps.
        blur_every: blur every k steps (0 disables the blur).
        blur_sigma: standard deviation of the Gaussian blur, in pixels.
        max_jitter: largest random translation, in pixels (0 disables the jitter).
        init_img: start from these RGB images in [0, 1] (``(3, H, W)`` or one per target)
            instead of random noise. The L2 penalty pulls toward the mean image and so fades
            the photo: use a small or zero ``l2_reg`` to keep it recognisable.
        image_size: side of the generated images when starting from noise.
        clip_norm_percentile: Yosinski's "clipping pixels with small norm": after each step,
            pixels whose norm (over channels, from the mean) is below this percentile are reset
            to the mean image (``None``: off).
        clip_contribution_percentile: Yosinski's "clipping pixels with small contribution":
            pixels whose |Σ_c z·∂ỹ/∂z| is below this percentile are reset (``None``: off).
        snapshot_every: keep a copy of the images every k steps (0: only start and end).
        seed: seeds the noise and the jitter; the same seed gives the same images.
        progress: show a tqdm progress bar.

    Returns:
        A :class:`ClassVisualization`.

    Raises:
        InputError: a numeric argument out of its range (each is checked before any work), an
            ``init_img`` that is not RGB pixels in [0, 1] (or holds NaN), as many initial images
            as targets not given, or an image size the network cannot classify.
    """
    l2_reg = check_number(
        "l2_reg", l2_reg, low=0, hint="it is λ, the weight of the L2 penalty: 1e-3 (the default), 0 for none"
    )
    lr = check_number(
        "lr", lr, low=0, low_open=True, hint="it is η, the step of the ascent: 5.0 (the default) is a good start"
    )
    num_iterations = check_count(
        "num_iterations",
        num_iterations,
        minimum=0 if init_img is not None else 1,
        hint="it counts the ascent steps: 100 (the default) is a good start"
        + ("" if init_img is not None else "; 0 is allowed only with init_img (from noise it would return the noise)"),
    )
    blur_every = check_count(
        "blur_every", blur_every, minimum=0, hint="blur every k steps: 10 (the default), 0 for never"
    )
    blur_sigma = _check_sigma("blur_sigma", blur_sigma)
    max_jitter = check_count(
        "max_jitter", max_jitter, minimum=0, hint="the largest shift in pixels: 16 (the default), 0 for none"
    )
    image_size = check_int(
        "image_size",
        image_size,
        low=1,
        high=4096,
        hint="the side in pixels: 224 (the default), what ImageNet networks were trained on",
    )
    clip_norm_percentile = _check_percentile("clip_norm_percentile", clip_norm_percentile)
    clip_contribution_percentile = _check_percentile("clip_contribution_percentile", clip_contribution_percentile)
    snapshot_every = check_count(
        "snapshot_every",
        snapshot_every,
        minimum=0,
        hint="keep the images every k steps: 25 (the default), 0 for start and end only",
    )
    seed = check_seed(seed)

    device = model.device
    generator = torch.Generator().manual_seed(seed)
    if init_img is not None:
        start, _ = check_images(init_img, name="init_img")
        n_init = start.shape[0]
        height, width = start.shape[-2:]
    else:
        height = width = image_size
    targets = model.class_indices(target, n_init if init_img is not None and not _is_multi(target) else _count(target))
    n = targets.numel()
    if init_img is not None and start.shape[0] not in (1, n):
        raise InputError(
            f"got {start.shape[0]} initial images for {n} targets; give one init_img for all, or one per target"
        )
    side = min(height, width)
    if max_jitter > side:  # a shift by the whole side is a full turn of the wrap-around: nothing beyond makes sense
        raise InputError(
            f"max_jitter must be at most the images' side ({side} pixels), got {max_jitter}; "
            f"use about a fourteenth of the side, as the default 16 for 224 pixels (here {max(1, round(side / 14))})"
        )
    if blur_every and blur_sigma > 0:
        _blur_radius("blur_sigma", blur_sigma, side)
    _check_network_accepts(model, height, width, "an init_img size" if init_img is not None else "an image_size")

    if init_img is not None:
        if start.shape[0] == 1 and n > 1:
            start = start.expand(n, -1, -1, -1)
        z = model.normalize(start.to(device)).detach().clone()
    else:
        z = torch.randn((n, 3, image_size, image_size), generator=generator).to(device)
    lo = model.normalize(torch.zeros(1, 3, 1, 1, device=device))
    hi = model.normalize(torch.ones(1, 3, 1, 1, device=device))
    z = torch.maximum(torch.minimum(z, hi), lo)

    rows = torch.arange(n, device=device)
    probabilities, objectives = [], []
    snapshots = [(0, model.denormalize(z).clamp(0, 1).cpu())]
    bar = progress_bar(num_iterations, f"class visualization ({n})", progress)
    with torch.enable_grad():
        for t in range(1, num_iterations + 1):
            if max_jitter > 0:
                dx, dy = (int(v) for v in torch.randint(-max_jitter, max_jitter + 1, (2,), generator=generator))
            else:
                dx = dy = 0
            z = jitter(z, dx, dy).detach().requires_grad_(True)
            scores = model.forward_normalized(z)
            penalty = l2_reg * z.pow(2).flatten(1).sum(dim=1)
            objective = scores[rows, targets] - penalty
            (grad,) = torch.autograd.grad(objective.sum(), z)
            with torch.no_grad():
                z = z + lr * grad
                if clip_contribution_percentile is not None:
                    contribution = (z * grad).sum(dim=1).abs()
                    z = z * _percentile_mask(contribution, clip_contribution_percentile)[:, None]
                if clip_norm_percentile is not None:
                    z = z * _percentile_mask(z.norm(dim=1), clip_norm_percentile)[:, None]
                z = jitter(z, -dx, -dy)
                z = torch.maximum(torch.minimum(z, hi), lo)
                if blur_every and t % blur_every == 0:
                    z = gaussian_blur(z, blur_sigma)
                probabilities.append(scores.softmax(dim=1)[rows, targets].cpu())
                objectives.append(objective.detach().cpu())
                if snapshot_every and t % snapshot_every == 0 and t != num_iterations:
                    snapshots.append((t, model.denormalize(z).clamp(0, 1).cpu()))
            bar.update(1)
    bar.close()
    with torch.no_grad():
        final = model.forward_normalized(z)
        probabilities.append(final.softmax(dim=1)[rows, targets].cpu())
        objectives.append((final[rows, targets] - l2_reg * z.pow(2).flatten(1).sum(dim=1)).cpu())
    images = model.denormalize(z).clamp(0, 1).cpu()
    snapshots.append((num_iterations, images))
    return ClassVisualization(
        images=images,
        target=targets.cpu(),
        snapshots=snapshots,
        probabilities=torch.stack(probabilities),
        objective=torch.stack(objectives),
    )


def _is_multi(target: Target) -> bool:
    return not isinstance(target, (int, str)) and not (isinstance(target, Tensor) and target.ndim == 0)


def _count(target: Target) -> int:
    return len(target) if _is_multi(target) else 1
