"""Figures for the three techniques (matplotlib; each function returns a Figure).

Image tiles are drawn **pixel for pixel**: a 224 × 224 image fills exactly 224 × 224 pixels of the
saved figure (or an integer multiple, ``scale``), never resampled into a tile of another size, so
what a reader zooms into is what the network saw. :func:`tile_figure` lays such a grid out; every
figure below is built on it. Figures have an opaque white background, so they stay legible on a
dark page, and every colour scale is stated: a colour bar for saliency, "grey = 0" for differences.

Labels are in English by default; :func:`set_language` (``"fr"``) switches them to French, as the
course pages do.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from .adversarial import AttackResult
from .class_visualization import ClassVisualization
from .errors import InputError
from .images import to_numpy
from .language import remember
from .models import Classifier

__all__ = [
    "DPI",
    "image_grid",
    "label",
    "plot_attack",
    "plot_class_visualization",
    "plot_saliency",
    "row_label",
    "set_language",
    "show_tile",
    "tile_figure",
]

#: Dots per inch of every tp8 figure: one figure "pixel" of the layout is one pixel of the file.
DPI = 100

_LABELS = {
    "en": {
        "image": "image",
        "saliency": "saliency |∂ỹ/∂x|",
        "saliency_scale": "max over RGB of |∂ỹ_c/∂x|",
        "original": "original: {name}",
        "difference": "δ (grey = 0), ‖δ‖∞ = {linf}/255",
        "magnified": "{k} × δ, {it} it.",
        "iteration": "it. {t}, p = {p}",
        "failed": " ✗",
    },
    "fr": {
        "image": "image",
        "saliency": "saillance |∂ỹ/∂x|",
        "saliency_scale": "max sur RVB de |∂ỹ_c/∂x|",
        "original": "originale : {name}",
        "difference": "δ (gris = 0), ‖δ‖∞ = {linf}/255",
        "magnified": "{k} × δ, {it} it.",
        "iteration": "it. {t}, p = {p}",
        "failed": " ✗",
    },
}
_language = {"code": "en"}


def set_language(code: str) -> None:
    """Language of the labels tp8 writes on its figures: ``"en"`` (default) or ``"fr"``."""
    if code not in _LABELS:
        raise InputError(f"unknown figure language {code!r}; choose among {sorted(_LABELS)}")
    _language["code"] = code


def label(key: str, **values) -> str:
    """A figure label in the current language (see :func:`set_language`).

    A French label is remembered with its English (:func:`tp8.language.remember`, whole and by its
    ", "-separated parts), for the English edition of a course figure.
    """
    text = _LABELS[_language["code"]][key].format(**values)
    if _language["code"] == "fr":
        english = {k: str(v).replace(",", ".").replace("\u00a0%", "%") for k, v in values.items()}
        en = _LABELS["en"][key].format(**english)
        remember(text, en)
        fr_parts, en_parts = text.split(", "), en.split(", ")
        if len(fr_parts) == len(en_parts) > 1:
            for a, b in zip(fr_parts, en_parts, strict=True):
                remember(a, b)
    return text


def _decimal(x: float, digits: int = 2) -> str:
    text = f"{x:.{digits}f}"
    return text.replace(".", ",") if _language["code"] == "fr" else text


def _percent(p: float) -> str:
    return f"{100 * p:.0f}\u00a0%" if _language["code"] == "fr" else f"{100 * p:.0f}%"


def _clean(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _line_px(fontsize: float) -> float:
    return fontsize * DPI / 72 * 1.25


def _wrap(text: str, width_px: float, fontsize: float) -> str:
    """Wrap a title so that it fits over its tile (about 0.55 em per character)."""
    chars = max(8, int(width_px / (0.55 * fontsize * DPI / 72)))
    return "\n".join(textwrap.fill(line, chars) if len(line) > chars else line for line in text.split("\n"))


def tile_figure(
    nrows: int,
    ncols: int,
    tile: tuple[int, int] = (224, 224),
    *,
    scale: int = 1,
    title_lines: int | Sequence[int] = 2,
    fontsize: float = 9,
    gap: int = 8,
    margin: int = 6,
    row_label_px: int = 0,
    below_px: int | Sequence[int] = 0,
    suptitle: str | None = None,
) -> tuple[Figure, np.ndarray]:
    """A figure whose axes are image tiles placed on whole pixels, ``scale`` file pixels per image pixel.

    Args:
        nrows: rows of the grid.
        ncols: columns of the grid.
        tile: ``(height, width)`` of the images shown, in image pixels.
        scale: file pixels per image pixel (an integer ≥ 1: no resampling).
        title_lines: lines of title reserved above each tile (0: none), or one number per row.
        fontsize: size of titles and labels, in points (at :data:`DPI`).
        gap: space between tiles, in pixels.
        margin: space around the grid, in pixels.
        row_label_px: width reserved on the left for a label per row.
        below_px: height reserved under each tile (a colour bar, a caption), or one per row.
        suptitle: a title over the whole grid.

    Returns:
        ``(figure, axes)``, with ``axes`` an ``(nrows, ncols)`` array. Draw images with
            :func:`show_tile` (``imshow`` with ``interpolation="nearest", aspect="auto"``).
            The figure is marked so that :func:`tp8.course.show` saves it at :data:`DPI`, uncropped.
    """
    scale = int(scale)
    if scale < 1:
        raise InputError(f"scale must be an integer ≥ 1, got {scale}")
    th, tw = tile[0] * scale, tile[1] * scale
    lines = [int(title_lines)] * nrows if isinstance(title_lines, (int, float)) else [int(n) for n in title_lines]
    if len(lines) != nrows:
        raise InputError(f"title_lines has {len(lines)} values for {nrows} rows")
    title_px = [round(n * _line_px(fontsize)) + (3 if n else 0) for n in lines]
    below = [int(below_px)] * nrows if isinstance(below_px, (int, float)) else [int(n) for n in below_px]
    sup_px = round(_line_px(fontsize + 1) * (suptitle.count("\n") + 1)) + 4 if suptitle else 0
    width = 2 * margin + row_label_px + ncols * tw + (ncols - 1) * gap
    height = 2 * margin + sup_px + sum(title_px) + sum(below) + nrows * th + (nrows - 1) * gap
    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    fig._tp8_pixel_exact = True  # saved as laid out: no tight bounding box, no other dpi
    axes = np.empty((nrows, ncols), dtype=object)
    top = margin + sup_px
    for r in range(nrows):
        top += title_px[r]
        for c in range(ncols):
            left = margin + row_label_px + c * (tw + gap)
            ax = fig.add_axes([left / width, (height - top - th) / height, tw / width, th / height])
            _clean(ax)
            ax._tp8_tile_px = tw
            axes[r, c] = ax
        top += th + below[r] + gap
    if suptitle:
        fig.text(0.5, 1 - (margin + 2) / height, suptitle, ha="center", va="top", fontsize=fontsize + 1)
    fig._tp8_fontsize = fontsize
    return fig, axes


def show_tile(ax, image: np.ndarray, title: str | None = None, fontsize: float = 9, **kwargs) -> None:
    """An image (H×W×3 in [0, 1], or H×W with a colormap) filling its tile pixel for pixel."""
    ax.imshow(image, interpolation="nearest", aspect="auto", **kwargs)
    if title:
        ax.set_title(_wrap(title, getattr(ax, "_tp8_tile_px", 224), fontsize), fontsize=fontsize, pad=3)


def row_label(fig, ax, text: str, fontsize: float = 8) -> None:
    """A label written vertically left of a tile (reserve ``row_label_px`` in :func:`tile_figure`)."""
    box = ax.get_position()
    fig.text(
        box.x0 - 4 / fig.bbox.width,
        box.y0 + box.height / 2,
        text,
        rotation=90,
        ha="right",
        va="center",
        fontsize=fontsize,
    )


def image_grid(
    images: Tensor | Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int = 4,
    scale: int = 1,
    title_lines: int | None = None,
    suptitle: str | None = None,
    size: float | None = None,
) -> Figure:
    """A grid of RGB images (tensors in [0, 1] or H×W×3 arrays), pixel for pixel, without rescaling values.

    Args:
        images: ``(N, 3, H, W)`` tensor or a sequence of ``H×W×3`` arrays, all the same size.
        titles: one per image (``None``: no titles).
        ncols: images per row.
        scale: file pixels per image pixel (integer).
        title_lines: lines reserved for each title (default: as many as the longest title has).
        suptitle: a title over the grid.
        size: ignored (kept for compatibility: tiles are drawn at their native size).
    """
    arrays = list(to_numpy(images)) if isinstance(images, Tensor) else [np.asarray(a) for a in images]
    n = len(arrays)
    if n == 0:
        raise InputError("image_grid needs at least one image")
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    if title_lines is None:
        title_lines = max((t.count("\n") + 1 for t in titles), default=0) if titles else 0
    fig, axes = tile_figure(nrows, ncols, arrays[0].shape[:2], scale=scale, title_lines=title_lines, suptitle=suptitle)
    for k, ax in enumerate(axes.ravel()):
        if k < n:
            show_tile(ax, np.clip(arrays[k], 0, 1), titles[k] if titles is not None else None)
        else:
            ax.set_visible(False)
    return fig


def plot_saliency(
    images: Tensor,
    maps: Tensor,
    titles: Sequence[str] | None = None,
    *,
    cmap: str = "hot",
    shared_scale: bool = False,
    scale: int = 1,
    size: float | None = None,
) -> Figure:
    """Photos (top row) above their saliency maps (bottom row), pixel for pixel.

    Each map is drawn from 0 (black) to its own 99.5th percentile (white) unless
    ``shared_scale`` is set, in which case one scale serves all maps; a colour bar under each map
    (or one for all) states the scale of max_c |∂ỹ/∂x| in score units per unit of pixel value.
    """
    imgs = to_numpy(images if images.ndim == 4 else images[None])
    m = maps.detach().float().cpu()
    m = m if m.ndim == 3 else m[None]
    n = imgs.shape[0]
    lines = max((t.count("\n") + 1 for t in titles), default=1) if titles else 0
    fig, axes = tile_figure(
        2, n, imgs.shape[1:3], scale=scale, title_lines=[lines, 0], row_label_px=18, below_px=[0, 34]
    )
    top = (float(np.percentile(m.numpy(), 99.5)) or 1.0) if shared_scale else None
    for k in range(n):
        show_tile(axes[0, k], imgs[k], titles[k] if titles is not None else None)
        vmax = top if shared_scale else float(np.percentile(m[k].numpy(), 99.5)) or 1.0
        im = axes[1, k].imshow(m[k].numpy(), cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest", aspect="auto")
        if not shared_scale or k == n - 1:
            box = axes[1, k].get_position()
            cax = fig.add_axes([box.x0, box.y0 - 12 / fig.bbox.height, box.width, 8 / fig.bbox.height])
            cb = fig.colorbar(im, cax=cax, orientation="horizontal")
            cb.ax.tick_params(labelsize=7, length=2, pad=1)
            cb.locator = plt.MaxNLocator(3)
            cb.update_ticks()
            if shared_scale:
                cb.set_label(label("saliency_scale"), fontsize=7)
    row_label(fig, axes[0, 0], label("image"), 8)
    row_label(fig, axes[1, 0], label("saliency"), 8)
    return fig


def plot_attack(
    result: AttackResult,
    model: Classifier | None = None,
    *,
    magnify: float = 10.0,
    panels: Sequence[str] = ("original", "adversarial", "difference", "magnified"),
    scale: int = 1,
    size: float | None = None,
) -> Figure:
    """One row per image: original, adversarial, difference, magnified difference — pixel for pixel.

    ``panels`` chooses the columns, in order, among ``"original"``, ``"adversarial"``,
    ``"difference"`` and ``"magnified"`` (e.g. only the last two to compare perturbations).

    The difference is drawn as 0.5 + δ (mid-grey means "unchanged") at its true scale, then as
    0.5 + k·δ with k = ``magnify``, which the panel's title states; values beyond [0, 1]
    saturate. Titles give the predicted class and probability of the original and of the 8-bit
    adversarial image.
    """
    n = len(result)
    name = (lambda i: model.categories[i]) if model is not None else str
    orig = to_numpy(result.original)
    adv = to_numpy(result.images)
    delta = (result.images - result.original).movedim(1, -1).numpy()
    probs = None
    if model is not None:
        probs = model.probabilities(result.original).gather(1, result.original_class[:, None].to(model.device))[:, 0]
    known = ("original", "adversarial", "difference", "magnified")
    if not panels or any(p not in known for p in panels):
        raise InputError(f"panels must be a non-empty selection of {known}, got {tuple(panels)}")
    fig, axes = tile_figure(n, len(panels), orig.shape[1:3], scale=scale, title_lines=2, row_label_px=0)
    for k in range(n):
        p0 = f"\n({_percent(float(probs[k]))})" if probs is not None else ""
        mark = "" if bool(result.success[k]) else label("failed")
        tiles = {
            "original": (orig[k], label("original", name=name(int(result.original_class[k]))) + p0),
            "adversarial": (
                adv[k],
                f"→ {name(int(result.predicted[k]))}\n({_percent(float(result.target_prob[k]))}){mark}",
            ),
            "difference": (
                np.clip(0.5 + delta[k], 0, 1),
                label("difference", linf=f"{float(result.linf_255[k]):.0f}").replace(", ", "\n", 1),
            ),
            "magnified": (
                np.clip(0.5 + magnify * delta[k], 0, 1),
                label("magnified", k=f"{magnify:g}", it=int(result.iterations[k])).replace(", ", "\n", 1),
            ),
        }
        for col, panel in enumerate(panels):
            show_tile(axes[k, col], *tiles[panel])
    return fig


def plot_class_visualization(
    result: ClassVisualization,
    model: Classifier | None = None,
    *,
    max_columns: int = 6,
    scale: int = 1,
    size: float | None = None,
) -> Figure:
    """The progression of a class visualisation: one row per class, snapshots left to right, pixel for pixel."""
    snaps = result.snapshots
    if len(snaps) > max_columns:
        pick = np.linspace(0, len(snaps) - 1, max_columns).round().astype(int)
        snaps = [snaps[i] for i in pick]
    n = result.images.shape[0]
    fig, axes = tile_figure(n, len(snaps), tuple(result.images.shape[-2:]), scale=scale, title_lines=1, row_label_px=18)
    steps = result.probabilities.shape[0] - 1
    for col, (t, imgs) in enumerate(snaps):
        arr = to_numpy(imgs)
        for row in range(n):
            prob = float(result.probabilities[min(t, steps), row])
            show_tile(axes[row, col], arr[row], label("iteration", t=t, p=_decimal(prob)), fontsize=8)
    for row in range(n):
        cls = int(result.target[row])
        row_label(fig, axes[row, 0], model.categories[cls] if model is not None else str(cls), 8)
    return fig
