"""What ``site/`` published, as the site tests read it (:func:`sitekit.site_shows_solutions`).

The tests of ``site/`` hold for whatever the instructor's switch published (true, false, a release
date): they ask :func:`sitekit.site_shows_solutions`, which takes two witnesses that must agree, the
build's record (``last-build.json``, when it was about ``site/``) and the site itself (the corrigé
of a page with exercises is offered only with the solutions). Checked here on fake sites of the
test's own, without building anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sitekit

sys.path.insert(0, str(sitekit.ROOT / "tools"))
from sitebuild import notebooks, pages

EXERCISING = [p for p in pages.read_pages(sitekit.DOCS) if p.has_exercises]


def fake_site(tmp_path: Path, monkeypatch, *, corriges: int, record: dict | None) -> Path:
    """A site offering the corrigé of its first ``corriges`` pages with exercises, built (says the
    record) as ``record``; ``site_dir`` defaults to that site."""
    site = tmp_path / "site"
    for page in EXERCISING[:corriges]:
        (site / notebooks.student_path(page)).parent.mkdir(parents=True, exist_ok=True)
        (site / notebooks.student_path(page)).write_text("{}", encoding="utf-8")
    site.mkdir(exist_ok=True)
    if record is not None:
        record = {"site_dir": str(site.resolve()), **record}
    monkeypatch.setattr(sitekit, "SITE", site)
    monkeypatch.setattr(sitekit, "_BUILD", {"site": site, "record": record or {}})
    return site


def test_the_course_has_pages_with_exercises():
    assert EXERCISING, "no page with exercises: the site's own witness is gone, only the record is left"


@pytest.mark.parametrize("shown", [True, False])
def test_the_record_and_the_site_agree(tmp_path, monkeypatch, shown):
    fake_site(tmp_path, monkeypatch, corriges=len(EXERCISING) if shown else 0, record={"solutions": shown})
    assert sitekit.site_shows_solutions() is shown


@pytest.mark.parametrize("shown", [True, False])
def test_without_a_record_the_site_says(tmp_path, monkeypatch, shown):
    fake_site(tmp_path, monkeypatch, corriges=len(EXERCISING) if shown else 0, record=None)
    assert sitekit.site_shows_solutions() is shown


def test_the_record_of_another_site_is_not_read(tmp_path, monkeypatch):
    """``tests/site/test_exercise_site.py`` builds the course elsewhere, rewriting the record."""
    fake_site(tmp_path, monkeypatch, corriges=len(EXERCISING), record={"solutions": False, "site_dir": "/elsewhere"})
    assert sitekit.site_shows_solutions() is True


@pytest.mark.parametrize("shown", [True, False])
def test_a_record_the_site_contradicts_fails(tmp_path, monkeypatch, shown):
    fake_site(tmp_path, monkeypatch, corriges=0 if shown else len(EXERCISING), record={"solutions": shown})
    with pytest.raises(pytest.fail.Exception, match="rebuild it"):
        sitekit.site_shows_solutions()


def test_a_site_offering_some_corriges_only_fails(tmp_path, monkeypatch):
    if len(EXERCISING) < 2:
        pytest.skip("fewer than two pages with exercises")
    fake_site(tmp_path, monkeypatch, corriges=1, record=None)
    with pytest.raises(pytest.fail.Exception, match="offers the corrigé of some pages only"):
        sitekit.site_shows_solutions()
