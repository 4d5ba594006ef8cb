"""Figures for the three techniques (matplotlib; each function returns a Figure).

Figures have an opaque white background, so they stay legible on a dark page, and every
colour scale is stated: a colour bar for saliency, "grey = 0" for differences.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from .adversarial import AttackResult
from .class_visualization import ClassVisualization
from .images import to_numpy
from .models import Classifier

__all__ = ["image_grid", "plot_attack", "plot_class_visualization", "plot_saliency"]


def _figure(width: float, height: float) -> Figure:
    fig = plt.figure(figsize=(width, height), facecolor="white", layout="constrained")
    return fig


def _clean(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def image_grid(
    images: Tensor | Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int = 4,
    size: float = 2.6,
    suptitle: str | None = None,
) -> Figure:
    """A grid of RGB images (tensors in [0, 1] or H×W×3 arrays), shown without rescaling."""
    arrays = list(to_numpy(images)) if isinstance(images, Tensor) else [np.asarray(a) for a in images]
    n = len(arrays)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = _figure(size * ncols, size * nrows + (0.4 if suptitle else 0) + 0.3)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for k, ax in enumerate(axes):
        _clean(ax)
        if k < n:
            ax.imshow(np.clip(arrays[k], 0, 1))
            if titles is not None:
                ax.set_title(titles[k], fontsize=9)
        else:
            ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_saliency(
    images: Tensor,
    maps: Tensor,
    titles: Sequence[str] | None = None,
    *,
    cmap: str = "hot",
    shared_scale: bool = False,
    size: float = 2.6,
) -> Figure:
    """Photos (top row) above their saliency maps (bottom row).

    Each map is drawn from 0 (black) to its own 99.5th percentile (white) unless
    ``shared_scale`` is set, in which case one scale serves all maps; a colour bar states the
    scale of max_c |∂ỹ/∂x| in score units per unit of pixel value.
    """
    imgs = to_numpy(images if images.ndim == 4 else images[None])
    m = maps.detach().float().cpu()
    m = m if m.ndim == 3 else m[None]
    n = imgs.shape[0]
    fig = _figure(size * n + 0.8, 2 * size + 0.5)
    axes = fig.subplots(2, n, squeeze=False)
    top = float(np.percentile(m.numpy(), 99.5)) if shared_scale else None
    for k in range(n):
        for ax in axes[:, k]:
            _clean(ax)
        axes[0, k].imshow(imgs[k])
        if titles is not None:
            axes[0, k].set_title(titles[k], fontsize=9)
        vmax = top if shared_scale else float(np.percentile(m[k].numpy(), 99.5)) or 1.0
        im = axes[1, k].imshow(m[k].numpy(), cmap=cmap, vmin=0, vmax=vmax)
        if not shared_scale:
            cb = fig.colorbar(im, ax=axes[1, k], orientation="horizontal", fraction=0.05, pad=0.02)
            cb.ax.tick_params(labelsize=7)
            cb.locator = plt.MaxNLocator(3)
            cb.update_ticks()
    if shared_scale:
        cb = fig.colorbar(im, ax=axes[1, :].tolist(), fraction=0.02, pad=0.01)
        cb.set_label("max over RGB of |∂ỹ_c/∂x|", fontsize=8)
    axes[1, 0].set_ylabel("saliency |∂ỹ_c/∂x|", fontsize=9)
    axes[0, 0].set_ylabel("image", fontsize=9)
    return fig


def plot_attack(
    result: AttackResult,
    model: Classifier | None = None,
    *,
    magnify: float = 10.0,
    size: float = 2.4,
) -> Figure:
    """One row per image: original, adversarial, difference, magnified difference.

    The difference is drawn as 0.5 + δ (mid-grey means "unchanged") at its true scale, then as
    0.5 + k·δ with k = ``magnify``; values beyond [0, 1] saturate. Titles give the predicted
    class and probability of the original and of the 8-bit adversarial image.
    """
    n = result.images.shape[0]
    fig = _figure(4 * size, n * (size + 0.35))
    axes = fig.subplots(n, 4, squeeze=False)
    name = (lambda i: model.categories[i]) if model is not None else str
    orig = to_numpy(result.original)
    adv = to_numpy(result.images)
    delta = (result.images - result.original).movedim(1, -1).numpy()
    probs = None
    if model is not None:
        probs = model.probabilities(result.original).gather(1, result.original_class[:, None].to(model.device))[:, 0]
    for k in range(n):
        for ax in axes[k]:
            _clean(ax)
        p0 = f" ({float(probs[k]):.0%})" if probs is not None else ""
        axes[k, 0].imshow(orig[k])
        axes[k, 0].set_title(f"{name(int(result.original_class[k]))}{p0}", fontsize=9)
        axes[k, 1].imshow(adv[k])
        mark = "" if bool(result.success[k]) else " ✗"
        axes[k, 1].set_title(
            f"→ {name(int(result.predicted[k]))} ({float(result.target_prob[k]):.0%}){mark}", fontsize=9
        )
        axes[k, 2].imshow(np.clip(0.5 + delta[k], 0, 1))
        axes[k, 2].set_title(f"δ (grey = 0), ‖δ‖∞ = {float(result.linf_255[k]):.0f}/255", fontsize=9)
        axes[k, 3].imshow(np.clip(0.5 + magnify * delta[k], 0, 1))
        axes[k, 3].set_title(f"{magnify:g} × δ, {int(result.iterations[k])} it.", fontsize=9)
    axes[0, 0].set_ylabel("original", fontsize=9)
    return fig


def plot_class_visualization(
    result: ClassVisualization,
    model: Classifier | None = None,
    *,
    size: float = 2.2,
    max_columns: int = 6,
) -> Figure:
    """The progression of a class visualisation: one row per class, snapshots left to right."""
    snaps = result.snapshots
    if len(snaps) > max_columns:
        pick = np.linspace(0, len(snaps) - 1, max_columns).round().astype(int)
        snaps = [snaps[i] for i in pick]
    n = result.images.shape[0]
    fig = _figure(size * len(snaps), n * (size + 0.3))
    axes = fig.subplots(n, len(snaps), squeeze=False)
    steps = result.probabilities.shape[0] - 1
    for col, (t, imgs) in enumerate(snaps):
        arr = to_numpy(imgs)
        for row in range(n):
            ax = axes[row, col]
            _clean(ax)
            ax.imshow(arr[row])
            prob = float(result.probabilities[min(t, steps), row])
            label = f"it. {t}, p = {prob:.2f}"
            ax.set_title(label, fontsize=8)
        if col == 0:
            for row in range(n):
                cls = int(result.target[row])
                axes[row, 0].set_ylabel(model.categories[cls] if model is not None else str(cls), fontsize=9)
    return fig
