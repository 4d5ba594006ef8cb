"""Figures of attribution maps: the same photos under several methods, pixel for pixel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from .. import plotting
from .._validate import check_count
from ..errors import InputError
from ..images import to_numpy
from .base import AttributionResult

__all__ = ["METHOD_LABELS", "plot_attributions", "render_map"]

#: How figures name the methods, by language (see :func:`tp8.plotting.set_language`).
METHOD_LABELS = {
    "en": {
        "gradient": "gradient",
        "smoothgrad": "SmoothGrad",
        "ig": "Integrated Gradients",
        "gradcam": "Grad-CAM",
        "occlusion": "occlusion",
    },
    "fr": {
        "gradient": "gradient brut",
        "smoothgrad": "SmoothGrad",
        "ig": "gradients intégrés",
        "gradcam": "Grad-CAM",
        "occlusion": "occultation",
    },
}


def _method_label(method: str) -> str:
    return METHOD_LABELS.get(plotting._language["code"], METHOD_LABELS["en"]).get(method, method)


def render_map(
    saliency: Tensor | np.ndarray, kind: str = "gradient", photo: np.ndarray | None = None, *, levels: int = 64
) -> np.ndarray:
    """An H×W map as an H×W×3 RGB array in [0, 1], drawn the way its method is usually read.

    * ``"gradient"``, ``"smoothgrad"`` (and any unsigned map): black (0) to white (the map's
      99.5th percentile and above), through red and yellow (matplotlib's ``hot``);
    * ``"ig"`` and ``"occlusion"`` (signed): blue (negative) – white (0) – red (positive),
      symmetric, saturating at the 99.5th percentile of |map|;
    * ``"gradcam"``: ``inferno`` from 0 to the map's maximum, blended half and half over ``photo``
      (an H×W×3 array in [0, 1]) when one is given, since a coarse map needs its photo to be read.

    ``levels`` colours per colour map (default 64): more than the eye tells apart in a noisy map,
    and a lossless image of it stays about a third lighter than with 256.
    """
    levels = check_count("levels", levels, minimum=2, hint="colours per colour map, e.g. 64 (the default)")
    m = saliency.detach().float().cpu().numpy() if isinstance(saliency, Tensor) else np.asarray(saliency, float)
    if m.ndim != 2:
        raise InputError(f"a map must be H×W, got shape {m.shape}")
    if kind in ("ig", "occlusion"):
        top = float(np.percentile(np.abs(m), 99.5)) or 1.0
        odd = levels | 1  # an odd number of colours: 0 falls in the middle one, white
        return plt.get_cmap("RdBu_r", odd)(np.clip(0.5 + 0.5 * m / top, 0, 1))[..., :3]
    if kind == "gradcam":
        top = float(m.max()) or 1.0
        heat = plt.get_cmap("inferno", levels)(np.clip(m / top, 0, 1))[..., :3]
        return heat if photo is None else 0.5 * np.asarray(photo) + 0.5 * heat
    top = float(np.percentile(m, 99.5)) or 1.0
    return plt.get_cmap("hot", levels)(np.clip(m / top, 0, 1))[..., :3]


def plot_attributions(
    images: Tensor,
    results: Mapping[str, AttributionResult] | Sequence[AttributionResult] | AttributionResult,
    titles: Sequence[str] | None = None,
    *,
    scale: int = 1,
    fontsize: float = 9,
) -> Figure:
    """The photos (top row) above their maps, one row per method, pixel for pixel.

    Args:
        images: the photos, ``(N, 3, H, W)`` in [0, 1] (or one ``(3, H, W)``).
        results: one :class:`AttributionResult` per method, with N maps each: a mapping
            ``{row label: result}``, a sequence (rows named after each result's method), or one.
        titles: one title per photo (default: none).
        scale: file pixels per image pixel (an integer ≥ 1).
        fontsize: of the titles and row labels.

    Each map is drawn by :func:`render_map` with its method's colours, on its own scale (its
    99.5th percentile, or its maximum for Grad-CAM); the row labels name the methods.
    """
    photos = to_numpy(images if images.ndim == 4 else images[None])
    if isinstance(results, AttributionResult):
        results = [results]
    rows = dict(results) if isinstance(results, Mapping) else {_method_label(r.method): r for r in results}
    if not rows:
        raise InputError("plot_attributions needs at least one result")
    n = photos.shape[0]
    for name, result in rows.items():
        if len(result) != n:
            raise InputError(f"{name!r} holds {len(result)} map(s) for {n} image(s)")
    lines = max((t.count("\n") + 1 for t in titles), default=1) if titles else 0
    fig, axes = plotting.tile_figure(
        1 + len(rows), n, photos.shape[1:3], scale=scale, title_lines=[lines] + [0] * len(rows), row_label_px=18
    )
    for k in range(n):
        plotting.show_tile(axes[0, k], photos[k], titles[k] if titles else None, fontsize=fontsize)
        for r, result in enumerate(rows.values(), start=1):
            plotting.show_tile(axes[r, k], render_map(result.maps[k], result.method, photos[k]))
    plotting.row_label(fig, axes[0, 0], plotting.label("image"), fontsize - 1)
    for r, name in enumerate(rows, start=1):
        plotting.row_label(fig, axes[r, 0], name, fontsize - 1)
    return fig
