"""The figures of the notebook pages, as files a browser loads lazily, light and described.

Notebook outputs inline their images as base64 data URIs. Each one becomes a file of the site:

* the pixels are kept exactly (lossless): an opaque RGB image (an alpha channel that is 255
  everywhere is dropped; real transparency is composited onto white), written as lossless WebP
  when that is smaller than the PNG (the page's own PNG when it is already opaque RGB, as
  :func:`tp8.course.show` makes it, else an optimised one), else as PNG; animations (WebP, GIF)
  are kept as they are;
* the file is named by its content (``assets/figures/<sha256>.<ext>``) and kept in
  ``.cache/figures``, with its size and description, under the hash of the image it came from:
  an image is encoded once, whatever the number of builds;
* **at execution time** (:class:`Extractor`, called by the worker (:mod:`worker`) while
  the kernel runs) every image of the executed notebook is converted and replaced by a *marker*,
  a data URI of a few hundred bytes that names the cached file: the executed notebook, nbconvert's
  HTML and mkdocs-jupyter's cache stay small, and the build's HTML stage has nothing to encode;
* at render time (:func:`rewrite_images`, from :mod:`render`) each data-URI ``<img>`` — a marker,
  or an image still inlined — becomes a file of the site, and the tag gets ``width``/``height``
  (no layout shift), ``loading="lazy"``, ``decoding="async"``, and the alternative text that
  :func:`tp8.course.show` stored in the PNG (iTXt ``Description``), or the one the tag already had.

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
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .cache import FORMAT_VERSION

PLACEHOLDER_ALT = "No description has been provided for this image"
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_DATA_URI = re.compile(r"data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/=\s]+)$")

#: What a marker's bytes start with: ``tp8-figure:`` then the JSON of the cached figure.
MARKER = b"tp8-figure:"
#: Image types of notebook outputs that are turned into files.
IMAGE_MIMES = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
#: A data URI in an attribute of an HTML output (an animation shown by ``tp8.course.animation``).
_HTML_DATA_URI = re.compile(r"""(src=["'])data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/=\s]+)(["'])""")


class FigureMissing(RuntimeError):
    """A marker names a figure that is no longer in ``.cache/figures``."""


@dataclass
class Published:
    name: str  # site-relative path, assets/figures/<hash>.<ext>
    width: int
    height: int
    alt: str | None
    size: int  # bytes


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
    if kind == "png" and image.mode == "RGB" and "transparency" not in image.info:
        png = data  # already opaque RGB (tp8.course.show optimises it): no need to encode it again
    else:
        image = _rgb(image)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        png = buffer.getvalue()
    webp = io.BytesIO()
    image.save(webp, format="WEBP", lossless=True, quality=100, method=2, exact=True)
    if webp.tell() < len(png):
        return webp.getvalue(), "webp", width, height, alt
    return png, "png", width, height, alt


def store(data: bytes, kind: str, cache_dir: Path) -> dict:
    """Convert an image once and keep it in ``cache_dir/figures``: ``{"file", "width", "height", "alt"}``."""
    digest = hashlib.sha256(data).hexdigest()
    cache = Path(cache_dir) / "figures"
    meta_file = cache / f"{digest[:32]}.v{FORMAT_VERSION}.json"  # the cache's one format version
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if (cache / meta["file"]).is_file():
            return meta
    except (OSError, ValueError, KeyError, TypeError):
        pass
    out, ext, width, height, alt = convert(data, kind)
    meta = {"file": f"{hashlib.sha256(out).hexdigest()[:20]}.{ext}", "width": width, "height": height, "alt": alt}
    cache.mkdir(parents=True, exist_ok=True)
    _write(cache / meta["file"], out)
    _write(meta_file, json.dumps(meta).encode())
    return meta


def marker(meta: dict) -> str:
    """The base64 text that stands for a cached figure in a notebook output (a valid data URI payload)."""
    return base64.b64encode(MARKER + json.dumps(meta, ensure_ascii=False).encode()).decode()


def read_marker(data: bytes) -> dict | None:
    """The cached figure a marker names (``None`` for the bytes of a real image)."""
    if not data.startswith(MARKER):
        return None
    return json.loads(data[len(MARKER) :].decode())


def _decode(payload: str) -> bytes:
    return base64.b64decode(re.sub(r"\s+", "", payload))


def publish(data: bytes, kind: str, site_dir: Path, cache_dir: Path) -> Published:
    """Put the figure ``data`` (a marker, or the bytes of a ``kind`` image) into ``site_dir``."""
    meta = read_marker(data)
    if meta is None:
        meta = store(data, kind, cache_dir)
    source = Path(cache_dir) / "figures" / meta["file"]
    if not source.is_file():
        raise FigureMissing(
            f"la figure {meta['file']} manque dans {source.parent.name}/ : supprimez .cache/notebooks pour ré-exécuter les pages"
        )
    name = f"assets/figures/{meta['file']}"
    target = Path(site_dir) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            os.link(source, tmp)  # the site shares the cached file: nothing is copied
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    return Published(name, meta["width"], meta["height"], meta["alt"], source.stat().st_size)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
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
        fig = publish(_decode(uri.group(2)), uri.group(1), site_dir, cache_dir)
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


# --- at execution time: images out of the executed notebook ----------------------------------------


def _datas(output) -> list[dict]:
    """The data of an output: its own, and its English edition's (``metadata["tp8"]["en"]["data"]``)."""
    found = [output.get("data") or {}]
    english = ((output.get("metadata") or {}).get("tp8") or {}).get("en") or {}
    if english.get("data"):
        found.append(english["data"])
    return found


def _images(output) -> list[tuple[str, str]]:
    """``(kind, base64 payload)`` of every image an output holds (image data, data URIs in HTML), in
    both editions."""
    return [found for data in _datas(output) for found in _images_of(data)]


def _images_of(data: dict) -> list[tuple[str, str]]:
    found = []
    for mime, kind in IMAGE_MIMES.items():
        value = data.get(mime)
        if isinstance(value, str):
            found.append((kind, value))
    value = data.get("text/html")
    if value is not None:
        text = "".join(value) if isinstance(value, list) else value
        found += [(m.group(2), m.group(3)) for m in _HTML_DATA_URI.finditer(text)]
    return found


class Extractor:
    """Moves the images of a notebook being executed into ``cache_dir/figures``.

    :meth:`submit` (after each cell) starts converting the cell's images in a background thread
    (Pillow's encoders release the GIL, and the kernel runs in another process); :meth:`apply`
    (once the notebook has run; once per variant) replaces every image by its marker and returns
    the cached files; :meth:`close` ends the conversions.
    """

    def __init__(self, cache_dir: Path, threads: int = 1):
        self.cache_dir = Path(cache_dir)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tp8-figures")
        self._jobs: dict[str, Future] = {}

    def _job(self, kind: str, payload: str) -> Future:
        key = hashlib.sha256(payload.encode()).hexdigest()
        if key not in self._jobs:
            self._jobs[key] = self._pool.submit(self._convert, kind, payload)
        return self._jobs[key]

    def _convert(self, kind: str, payload: str) -> dict | None:
        data = _decode(payload)
        if data.startswith(MARKER):
            return None  # already extracted
        return store(data, kind, self.cache_dir)

    def submit(self, cell) -> None:
        for output in cell.get("outputs", []):
            for kind, payload in _images(output):
                self._job(kind, payload)

    def apply(self, nb) -> list[str]:
        files: list[str] = []

        def swap(kind: str, payload: str) -> str:
            meta = self._job(kind, payload).result()
            if meta is None:
                return payload
            files.append(meta["file"])
            return marker(meta)

        for cell in nb.cells:
            for output in cell.get("outputs", []):
                for data in _datas(output):
                    for mime, kind in IMAGE_MIMES.items():
                        if isinstance(data.get(mime), str):
                            data[mime] = swap(kind, data[mime])
                    if data.get("text/html") is not None:
                        value = data["text/html"]
                        text = "".join(value) if isinstance(value, list) else value
                        data["text/html"] = _HTML_DATA_URI.sub(
                            lambda m: (
                                f"{m.group(1)}data:image/{m.group(2)};base64,{swap(m.group(2), m.group(3))}{m.group(4)}"
                            ),
                            text,
                        )
        return sorted(set(files))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def missing_files(files: list[str], cache_dir: Path) -> list[str]:
    """The cached figures of ``files`` that are not in ``cache_dir/figures`` any more."""
    folder = Path(cache_dir) / "figures"
    return [name for name in files if not (folder / name).is_file()]
