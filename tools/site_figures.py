"""The figures of the notebook pages, as files a browser loads lazily, light and described.

Notebook outputs inline their images as base64 data URIs. For each one the MkDocs hook asks
:func:`publish` for a file of the site instead:

* the pixels are kept exactly (lossless): an opaque RGB image (an alpha channel that is 255
  everywhere is dropped; real transparency is composited onto white), written as lossless WebP
  when that is smaller than an optimised PNG, else as PNG; animations (WebP, GIF) are kept as
  they are;
* the file is named by its content (``assets/figures/<sha256>.<ext>``); conversions are cached in
  ``.cache/figures`` so that a rebuild does not encode again;
* the ``<img>`` tag gets ``width``/``height`` (no layout shift), ``loading="lazy"``,
  ``decoding="async"``, and the alternative text that :func:`tp8.course.show` stored in the PNG
  (iTXt ``Description``), or the one the tag already had.

A figure without a description keeps nbconvert's placeholder, which the site tests refuse.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER_ALT = "No description has been provided for this image"
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_DATA_URI = re.compile(r"data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/=\s]+)$")

#: Bump when the conversion changes (cached files are then made again).
FORMAT_VERSION = 1


@dataclass
class Published:
    name: str  # site-relative path, assets/figures/<hash>.<ext>
    width: int
    height: int
    alt: str | None
    data: bytes


def _attributes(tag: str) -> dict[str, str]:
    attrs = {}
    for key, value in _ATTR.findall(tag):
        if value[:1] in "\"'":
            value = value[1:-1]
        attrs[key.lower()] = html.unescape(value)
    return attrs


def _description(image) -> str | None:
    text = image.info.get("Description")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(text.split()) if isinstance(text, str) and text.strip() else None


def _rgb(image):
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema() == (255, 255):
            return rgba.convert("RGB")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def convert(data: bytes, kind: str) -> tuple[bytes, str, int, int, str | None]:
    """``(bytes, extension, width, height, description)`` of the lightest lossless file for an image."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    alt = _description(image)
    width, height = image.size
    if kind in ("gif", "webp") or getattr(image, "is_animated", False):
        return data, ("gif" if kind == "gif" else "webp"), width, height, alt
    if kind == "jpeg":  # already lossy: re-encoding would only lose more
        return data, "jpg", width, height, alt
    rgb = _rgb(image)
    png = io.BytesIO()
    rgb.save(png, format="PNG", optimize=True)
    webp = io.BytesIO()
    rgb.save(webp, format="WEBP", lossless=True, quality=100, method=2, exact=True)
    if webp.tell() < png.tell():
        return webp.getvalue(), "webp", width, height, alt
    return png.getvalue(), "png", width, height, alt


def publish(data: bytes, kind: str, site_dir: Path, cache_dir: Path) -> Published:
    """Write the figure ``data`` (bytes of a ``kind`` image) into ``site_dir``; cached by content."""
    digest = hashlib.sha256(data).hexdigest()
    cache = Path(cache_dir) / "figures"
    meta_file = cache / f"{digest[:32]}.v{FORMAT_VERSION}.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        out = (cache / meta["file"]).read_bytes()
    except (OSError, ValueError, KeyError):
        out, ext, width, height, alt = convert(data, kind)
        name = f"{hashlib.sha256(out).hexdigest()[:20]}.{ext}"
        meta = {"file": name, "width": width, "height": height, "alt": alt}
        cache.mkdir(parents=True, exist_ok=True)
        _write(cache / name, out)
        _write(meta_file, json.dumps(meta).encode())
    name = f"assets/figures/{meta['file']}"
    target = Path(site_dir) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(target, out)
    return Published(name, meta["width"], meta["height"], meta["alt"], out)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def rewrite_images(page_html: str, url_of, site_dir: Path, cache_dir: Path) -> tuple[str, list[Published]]:
    """Every data-URI ``<img>`` of ``page_html`` becomes a lazily loaded file with its size and alt.

    ``url_of(name)`` turns a site-relative path into a URL relative to the page.
    """
    published: list[Published] = []

    def replace(match: re.Match) -> str:
        tag = match.group(0)
        attrs = _attributes(tag)
        uri = _DATA_URI.match(attrs.get("src", "").strip())
        if uri is None:
            return tag
        data = base64.b64decode(re.sub(r"\s+", "", uri.group(2)))
        fig = publish(data, uri.group(1), site_dir, cache_dir)
        published.append(fig)
        alt = attrs.get("alt", "")
        if not alt.strip() or alt == PLACEHOLDER_ALT:
            alt = fig.alt or PLACEHOLDER_ALT
        keep = {k: v for k, v in attrs.items() if k in ("class", "title", "id")}
        shown_w = attrs.get("width") if (attrs.get("width") or "").isdigit() else None
        shown_h = attrs.get("height") if (attrs.get("height") or "").isdigit() else None
        width, height = (shown_w, shown_h) if shown_w and shown_h else (fig.width, fig.height)
        parts = [f'src="{html.escape(url_of(fig.name))}"', f'alt="{html.escape(alt)}"']
        parts += [f'width="{width}"', f'height="{height}"', 'loading="lazy"', 'decoding="async"']
        parts += [f'{k}="{html.escape(v)}"' for k, v in keep.items() if v]
        return "<img " + " ".join(parts) + ">"

    return IMG_TAG.sub(replace, page_html), published
