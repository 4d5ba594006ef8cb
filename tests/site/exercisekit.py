"""What the exercise tests share: the build's own modules, searching a built site, the weights check."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jupytext
import pytest
from sitekit import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import audit, exercise, notebooks, solutions, text, variants

__all__ = [
    "PARTS",
    "audit",
    "exercise",
    "find_lines",
    "needs_weights",
    "notebooks",
    "real_weights",
    "solution_lines",
    "solutions",
    "text",
    "variants",
]

PARTS = ["partie-1-saillance", "partie-2-adversaires", "partie-3-visualisation"]

# --- searching a built site ----------------------------------------------------------------------


def find_lines(site: Path, lines: list[str]) -> dict[str, list[str]]:
    """``{line: [files holding it]}`` for the lines found in any file of ``site``, read as the build's
    audit reads it (:func:`audit.find_leaks`)."""
    files = sorted(path for path in site.rglob("*") if path.is_file())
    return audit.find_leaks(lines, files, root=site)


def solution_lines(source_text: str) -> list[str]:
    """The non-trivial solution lines of a page (``break`` is no secret)."""
    nb = jupytext.reads(source_text, fmt="py:percent")
    return [line for line in exercise.solution_lines(nb) if len(line) >= audit.MIN_CODE_LINE]


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
