"""What the exercise tests share: searching a built site for solution lines, and the weights check."""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import sys
from pathlib import Path

import jupytext
import pytest
from sitekit import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import site_exercises
import site_notebooks

__all__ = [
    "PARTS",
    "TAG",
    "find_lines",
    "needs_weights",
    "real_weights",
    "site_exercises",
    "site_notebooks",
    "solution_lines",
]

PARTS = ["partie-1-saillance", "partie-2-adversaires", "partie-3-visualisation"]

# --- searching a built site ----------------------------------------------------------------------

TAG = re.compile(r"<[^>]+>")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def readable(path: Path) -> str | None:
    """What a file of the site says: HTML without its tags (code highlighting splits lines into
    spans), every string of a JSON file (the search index, notebooks); None for binary files."""
    raw = path.read_bytes()
    if b"\0" in raw[:4096]:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts = [text]
    if path.suffix in (".json", ".ipynb"):
        with contextlib.suppress(ValueError):
            parts.extend(_strings(json.loads(text)))
    out = []
    for part in parts:
        out.append(part)
        out.append(html.unescape(TAG.sub("", part)))
    return " ".join(" ".join(out).split())


def find_lines(site: Path, lines: list[str]) -> dict[str, list[str]]:
    """``{line: [files holding it]}`` for the lines found in any file of ``site``."""
    wanted = {" ".join(line.split()): line for line in lines}
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        text = readable(path)
        if text is None:
            continue
        for norm, line in wanted.items():
            if norm in text:
                found.setdefault(line, []).append(path.relative_to(site).as_posix())
    return found


def solution_lines(source_text: str) -> list[str]:
    """The non-trivial solution lines of a page (``break`` is no secret)."""
    nb = jupytext.reads(source_text, fmt="py:percent")
    return [line for line in site_exercises.solution_lines(nb) if len(line) >= 12]


def real_weights() -> bool:
    folder = os.environ.get("TP8_WEIGHTS_DIR")
    if folder and (Path(folder) / "squeezenet1_1.pth").is_file():
        return True
    import torch

    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    return any(checkpoints.glob("squeezenet1_1-*.pth"))


needs_weights = pytest.mark.skipif(
    not real_weights(),
    reason="the pages need the pretrained SqueezeNet 1.1: set TP8_WEIGHTS_DIR to a folder holding squeezenet1_1.pth",
)
