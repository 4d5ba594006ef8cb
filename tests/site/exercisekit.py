"""What the exercise tests share: searching a built site for solution lines, and the weights check."""

from __future__ import annotations

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


def find_lines(site: Path, lines: list[str]) -> dict[str, list[str]]:
    """``{line: [files holding it]}`` for the lines found in any file of ``site``, read as the leak
    test of the answers reads it (:func:`site_exercises.find_leaks`)."""
    files = sorted(path for path in site.rglob("*") if path.is_file())
    return site_exercises.find_leaks(lines, files, root=site)


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
