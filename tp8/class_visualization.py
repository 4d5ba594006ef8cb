"""Class visualisation: the image a network finds most typical of a class.

Starting from noise (or a photo), gradient ascent changes the *input* to raise one class
score, with regularisers that keep the image natural-looking (Simonyan, Vedaldi & Zisserman
2014, §2; Yosinski, Clune, Nguyen, Fuchs & Lipson 2015, §3; the random jitter of DeepDream,
Mordvintsev, Olah & Tyka 2015).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from ._progress import progress_bar
from .images import check_images
from .models import Classifier, Target

__all__ = ["ClassVisualization", "class_visualization", "gaussian_blur", "jitter"]


def jitter(images: Tensor, dx: int, dy: int) -> Tensor:
    """Translate a batch by (dx, dy) pixels, wrapping around: ``jitter(jitter(x, a, b), -a, -b) == x``.

    The random translation popularised by DeepDream (Mordvintsev, Olah & Tyka 2015) and used with
    Yosinski et al.'s (2015) regularisers in CS231n: a pattern only survives the ascent if it raises
    the score wherever it lands, which removes high-frequency, position-locked noise.
    """
    return torch.roll(images, shifts=(dy, dx), dims=(-2, -1))


def gaussian_blur(images: Tensor, sigma: float = 0.5) -> Tensor:
    """Separable Gaussian blur of each channel, with circular padding.

    The kernel sums to one and the padding wraps around, so the mean of each channel is kept
    exactly (Yosinski et al. 2015, "Gaussian blur" regulariser: it damps high frequencies).
    """
    if sigma <= 0:
        return images
    radius = max(1, math.ceil(3 * sigma))
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
    larger for the same effect. We use the squared form, R(x) = ‖x‖₂²; the two have the same
    maximisers along any ray through the mean image.

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
    """
    device = model.device
    generator = torch.Generator().manual_seed(seed)
    if init_img is not None:
        start, _ = check_images(init_img, name="init_img")
        n_init = start.shape[0]
    targets = model.class_indices(target, n_init if init_img is not None and not _is_multi(target) else _count(target))
    n = targets.numel()
    if init_img is not None:
        if start.shape[0] == 1 and n > 1:
            start = start.expand(n, -1, -1, -1)
        elif start.shape[0] != n:
            raise ValueError(f"got {start.shape[0]} initial images for {n} targets")
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
