"""The ascent of a class visualisation as an animated image (WebP or GIF, written with Pillow).

:func:`animate` turns the snapshots of a :class:`~tp8.class_visualization.ClassVisualization`
(from :func:`~tp8.class_visualization.class_visualization` or
:func:`~tp8.feature_visualization.feature_visualization`) into one frame each, images side by
side at their native size (or an integer enlargement), each with a caption giving the step and
the target's probability. The file is kept under a size limit (1 MB by default): lossless WebP
when it fits, else lossy WebP of decreasing quality; GIF keeps every other frame until it fits.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ._validate import check_int
from .class_visualization import ClassVisualization
from .errors import InputError
from .images import to_numpy
from .models import Classifier

__all__ = ["animate"]

_FORMATS = {".webp": "WEBP", ".gif": "GIF"}
_GAP = 6  # white pixels between the images of a frame
_QUALITIES = (90, 80, 70, 60, 50, 40)  # lossy WebP qualities tried, in order, when lossless is too big


def _caption_font(size: int):
    try:
        return ImageFont.load_default(size=size)  # Pillow's own scalable font, when FreeType is there
    except (TypeError, OSError):  # pragma: no cover - Pillow built without FreeType
        return ImageFont.load_default()


def _frames(
    result: ClassVisualization, names: Sequence[str] | None, scale: int, captions: bool
) -> tuple[list[Image.Image], list[int]]:
    """One RGB frame per snapshot, and the step each one shows."""
    from .plotting import _decimal, label  # the figures' own labels, in their language

    n = result.images.shape[0]
    h, w = result.images.shape[-2] * scale, result.images.shape[-1] * scale
    font = _caption_font(11 if scale == 1 else 13)
    lines = (1 if names is None else 2) if captions else 0
    band = 4 + 14 * lines if captions else 0
    width = n * w + (n - 1) * _GAP
    last = result.probabilities.shape[0] - 1
    frames, steps = [], []
    for t, images in result.snapshots:
        canvas = Image.new("RGB", (width, h + band), "white")
        arrays = (np.round(to_numpy(images) * 255)).astype(np.uint8)
        draw = ImageDraw.Draw(canvas)
        for k in range(n):
            tile = Image.fromarray(arrays[k])
            if scale > 1:
                tile = tile.resize((w, h), Image.Resampling.NEAREST)
            left = k * (w + _GAP)
            canvas.paste(tile, (left, 0))
            if captions:
                p = float(result.probabilities[min(t, last), k]) if last >= 0 else float("nan")
                text = label("iteration", t=t, p=_decimal(p))
                if names is not None:
                    text = f"{names[k]}\n{text}"
                draw.multiline_text((left + 2, h + 2), text, fill=(0, 0, 0), font=font, spacing=2)
        frames.append(canvas)
        steps.append(t)
    return frames, steps


def _encode(frames: list[Image.Image], durations: list[int], fmt: str, quality: int | None, loop: int) -> bytes:
    buffer = io.BytesIO()
    options = {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": loop}
    if fmt == "WEBP":
        options.update(lossless=quality is None, quality=100 if quality is None else quality, method=4)
    else:
        options.update(optimize=True, disposal=1)
    frames[0].save(buffer, format=fmt, **options)
    return buffer.getvalue()


def animate(
    result: ClassVisualization,
    path: str | os.PathLike | None = None,
    *,
    model: Classifier | None = None,
    frame_ms: int = 150,
    hold_ms: int = 1500,
    scale: int = 1,
    captions: bool = True,
    max_bytes: int = 1_000_000,
    lossless: bool = False,
    loop: int = 0,
    format: str | None = None,
    force: bool = False,
) -> Path | bytes:
    """Write the ascent of a class visualisation as an animated WebP or GIF.

    One frame per snapshot of ``result`` (``snapshot_every`` sets how many there are), the
    images of the result side by side, pixel for pixel (``scale`` > 1: an integer enlargement,
    never a resampling), each with the caption "it. t, p = …" (the target's probability at that
    step, in the language of tp8's figures) and, with ``model``, the class name. The last frame
    is held ``hold_ms`` before the animation loops.

    The file stays under ``max_bytes``: lossless WebP when it fits, otherwise lossy WebP at
    qualities 90, 80, … 40; a GIF (256 colours a frame) drops every other intermediate frame
    until it fits. A result that cannot fit raises :class:`~tp8.errors.InputError` (show fewer
    images, or keep fewer snapshots).

    Args:
        result: a :class:`~tp8.class_visualization.ClassVisualization`; select images first
            (``result[0]``, ``result[[0, 2]]``) to animate only those.
        path: ``.webp`` or ``.gif`` file to write (``None``: return the bytes instead).
        model: the network, for class names in the captions (default: none).
        frame_ms: display time of each frame, in milliseconds (default 150).
        hold_ms: display time of the last frame (default 1500).
        scale: file pixels per image pixel, an integer ≥ 1 (default 1).
        captions: write the step and the probability under each image (default True).
        max_bytes: largest file accepted, in bytes (default 1,000,000).
        lossless: never fall back to lossy WebP (default False): every pixel of every frame is
            kept, and a file that does not fit ``max_bytes`` raises. A GIF (256 colours a frame)
            cannot be lossless.
        loop: how many times to play (default 0: forever).
        format: ``"webp"`` or ``"gif"`` when ``path`` is ``None`` (default ``"webp"``); with a
            path, its suffix decides.
        force: overwrite an existing file (default False: refuse).

    Returns:
        The path written, or the file's bytes when ``path`` is ``None`` (for
        :func:`tp8.course.animation`).

    Example:
        >>> viz = tp8.feature_visualization(model, "flamingo", snapshot_every=4)
        >>> tp8.animate(viz, "flamingo.webp", model=model)
    """
    if not isinstance(result, ClassVisualization):
        raise InputError(f"animate() needs a ClassVisualization, got {type(result).__name__}")
    if len(result.snapshots) < 1:
        raise InputError("this result has no snapshots to animate; run it with snapshot_every > 0")
    frame_ms = check_int("frame_ms", frame_ms, low=10, high=60_000, hint="150 ms is the default")
    hold_ms = check_int("hold_ms", hold_ms, low=10, high=60_000, hint="1500 ms is the default")
    scale = check_int("scale", scale, low=1, high=8, hint="an integer enlargement such as 2")
    max_bytes = check_int("max_bytes", max_bytes, low=1_000, hint="1_000_000 (1 MB) is the default")
    loop = check_int("loop", loop, low=0, hint="0 plays forever")
    if not isinstance(lossless, bool):
        raise InputError(f"lossless must be True or False, got {lossless!r}")
    if path is not None:
        path = Path(path)
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise InputError(f"an animation is written as .webp or .gif, not {path.name!r}")
        if path.exists() and not force:
            raise InputError(f"{path} already exists; choose another name or pass --force (force=True)")
        if not path.parent.is_dir():
            raise InputError(f"directory {path.parent} does not exist")
    else:
        fmt = _FORMATS.get(f".{(format or 'webp').lower()}")
        if fmt is None:
            raise InputError(f"format must be 'webp' or 'gif', got {format!r}")

    names = None
    if model is not None:
        names = [model.categories[int(c)] for c in result.target]
    if lossless and fmt != "WEBP":
        raise InputError("a GIF keeps 256 colours a frame and cannot be lossless: write a .webp file")
    frames, _ = _frames(result, names, scale, captions)
    data = None
    if fmt == "WEBP":
        for quality in (None,) if lossless else (None, *_QUALITIES):
            durations = [frame_ms] * (len(frames) - 1) + [hold_ms]
            data = _encode(frames, durations, fmt, quality, loop)
            if len(data) <= max_bytes:
                break
    else:
        keep = frames
        while True:
            durations = [frame_ms * round(len(frames) / len(keep))] * (len(keep) - 1) + [hold_ms]
            data = _encode(keep, durations, fmt, None, loop)
            if len(data) <= max_bytes or len(keep) <= 2:
                break
            keep = [*keep[:-1:2], keep[-1]]  # every other frame, always ending on the last
    if data is None or len(data) > max_bytes:
        raise InputError(
            f"the animation takes {len(data or b'') / 1e6:.2f} MB, more than max_bytes = {max_bytes / 1e6:.2f} MB; "
            "animate fewer images (result[0]) or keep fewer snapshots (a larger snapshot_every)"
        )
    if path is None:
        return data
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
