"""Fixtures of the static site checks: the built site (once per session) and its parsed pages."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import sitekit


@pytest.fixture(scope="session")
def site() -> Path:
    return sitekit.ensure_site()


@cache
def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="session")
def soup():
    """``soup(path)``: the parsed HTML file (cached)."""
    return _soup
