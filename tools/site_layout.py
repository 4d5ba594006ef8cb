"""Where the site serves the "Essayer" page's files: the layout the browser module and the build share.

The one place the layout is written is the browser module itself, ``docs/javascripts/tp8-browser.js``:
its ``SITE_LAYOUT`` object (strict JSON between the ``tp8-site-layout:begin`` and ``…:end``
comments) gives its own defaults (where it fetches the network and TensorFlow.js), and this file
reads it for the build: ``site_playground`` exports the network there, ``site_assets`` unpacks
TensorFlow.js there and scans the site's own scripts there. Moving a folder is one edit, in the module.

Every value is a path relative to the site's root, ``/``-separated; a folder ends with ``/``::

    module    the browser module, as served (``javascripts/tp8-browser.js``)
    network   the exported network: manifest, weights, photos (``essayer/reseau/``)
    manifest  the manifest's name inside ``network`` (``manifest.json``)
    vendor    the vendored third-party assets: MathJax, the fonts, TensorFlow.js (``assets/vendor/``)
    tfjs      TensorFlow.js, inside ``vendor`` (``assets/vendor/tfjs/``)
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
#: The browser module's source: MkDocs serves ``docs/<path>`` at ``<path>``.
MODULE = DOCS / "javascripts" / "tp8-browser.js"
KEYS = ("module", "network", "manifest", "vendor", "tfjs")
_BLOCK = re.compile(r"//\s*tp8-site-layout:begin\s*\n(.*?)\n\s*//\s*tp8-site-layout:end", re.S)


class LayoutError(RuntimeError):
    """The module's ``SITE_LAYOUT`` block is missing or inconsistent."""


def parse(text: str, *, where: str = "tp8-browser.js") -> dict[str, str]:
    """The ``SITE_LAYOUT`` object of the module's source ``text``, checked."""
    found = _BLOCK.findall(text)
    if len(found) != 1:
        raise LayoutError(
            f"{where}: expected one SITE_LAYOUT block between tp8-site-layout:begin/end, found {len(found)}"
        )
    try:
        layout = json.loads(found[0])
    except json.JSONDecodeError as exc:
        raise LayoutError(f"{where}: SITE_LAYOUT is not strict JSON ({exc})") from exc
    if not isinstance(layout, dict) or sorted(layout) != sorted(KEYS):
        raise LayoutError(f"{where}: SITE_LAYOUT must have exactly the keys {', '.join(KEYS)}")
    for key, value in layout.items():
        if not isinstance(value, str) or not value or value.startswith("/") or ".." in value.split("/"):
            raise LayoutError(f"{where}: SITE_LAYOUT[{key!r}] must be a relative path inside the site, not {value!r}")
    for key in ("network", "vendor", "tfjs"):
        if not layout[key].endswith("/"):
            raise LayoutError(f"{where}: SITE_LAYOUT[{key!r}] is a folder and must end with '/'")
    if "/" in layout["manifest"]:
        raise LayoutError(f"{where}: SITE_LAYOUT['manifest'] is a file name inside the network's folder")
    if not layout["tfjs"].startswith(layout["vendor"]) or layout["tfjs"] == layout["vendor"]:
        raise LayoutError(f"{where}: SITE_LAYOUT['tfjs'] must be a folder inside SITE_LAYOUT['vendor']")
    return layout


@functools.cache
def layout() -> dict[str, str]:
    """The site's layout, read from the browser module (see the module's docstring)."""
    found = parse(MODULE.read_text(encoding="utf-8"), where=str(MODULE))
    if found["module"] != MODULE.relative_to(DOCS).as_posix():
        raise LayoutError(
            f"{MODULE}: SITE_LAYOUT['module'] is {found['module']!r}, but the module is served at "
            f"{MODULE.relative_to(DOCS).as_posix()!r}"
        )
    return found


def folder(key: str) -> str:
    """A folder of the layout without its trailing ``/`` (``"essayer/reseau"``)."""
    value = layout()[key]
    if not value.endswith("/"):
        raise LayoutError(f"SITE_LAYOUT[{key!r}] is not a folder: {value!r}")
    return value.rstrip("/")
