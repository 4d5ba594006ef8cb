"""The fixture that adapts the course as an instructor would (``tests/fixtures/adapt_course.py``).

CI's second build leg runs it before ``make site`` (``.github/workflows/site.yml``, matrix
``course: adapted``). Here it runs on a copy of the project's configuration and pages: the new
question is found as the build finds questions, after the last one and before its page's closing
sections, its answer is an answer (hidden in the énoncé), and the switch becomes a release date
ahead, so that a build made today publishes the énoncés.
"""

from __future__ import annotations

import datetime
import importlib.util
import shutil
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import exercise, handout, pages, solutions  # noqa: E402

spec = importlib.util.spec_from_file_location("adapt_course", ROOT / "tests" / "fixtures" / "adapt_course.py")
adapt_course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(adapt_course)


def course_questions(docs: Path) -> list[tuple[str, exercise.Question]]:
    return [(page.stem, q) for page, qs in handout.course_questions(pages.read_pages(docs)) for q in qs]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The project's mkdocs.yml and pages, its tools linked (what the fixture reads)."""
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    for path in ROOT.joinpath("docs").glob("*.py"):
        shutil.copy(path, tmp_path / "docs" / path.name)
    (tmp_path / "tools").symlink_to(ROOT / "tools")
    return tmp_path


def test_the_bonus_question_follows_the_last_one_and_its_answer_is_hidden(copy):
    before = course_questions(copy / "docs")
    assert adapt_course.main(["--root", str(copy), "--no-sync"]) == 0
    after = course_questions(copy / "docs")
    last_page, last = before[-1]
    assert after[:-1] == before, "the other questions are untouched"
    page, added = after[-1]
    assert page == last_page and added.number == last.number + 1
    assert added.bonus and added.report_number == f"Q8.{last.number + 1}" and added.title
    source = (copy / "docs" / f"{page}.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    closing = [i + 1 for i, line in enumerate(lines) if adapt_course.CLOSING_HEADINGS.match(line)]
    assert closing, f"{page}.py has no « À retenir » / « Compte rendu » section"
    assert last.line < added.line < min(i for i in closing if i > last.line)
    nb = jupytext.reads(source, fmt="py:percent")
    answers = exercise.answer_sentences(nb, f"docs/{page}.py", source)
    assert any(s.startswith("La montée maximise le score d'un réseau donné") for s in answers), answers
    untouched = ROOT / "docs" / f"{page}.py"
    assert source.replace(adapt_course.BONUS.format(n=added.number), "") == untouched.read_text(encoding="utf-8")


def test_the_switch_becomes_a_release_date_ahead_and_hides_the_solutions(copy):
    adapt_course.main(["--root", str(copy), "--no-sync", "--days", "30"])
    setting = solutions.solutions_setting(solutions.read_extra(copy / "mkdocs.yml"), env={})
    assert setting.source == "extra.tp8.solutions"
    assert setting.value == setting.today() + datetime.timedelta(days=30)
    assert not setting.shown() and setting.release_due()
    before = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    after = (copy / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    switch = [i for i, line in enumerate(after) if line.strip().startswith("solutions:")]
    assert [after[i].strip() for i in switch] == [f"solutions: {setting.value.isoformat()}"]
    assert len(after) == len(before) and all(a == b for i, (a, b) in enumerate(zip(before, after)) if i not in switch)


def test_a_configuration_without_the_switch_is_refused(copy):
    config = copy / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("solutions:", "solution_s:"), encoding="utf-8")
    with pytest.raises(SystemExit, match="expected one `solutions:` line, found 0"):
        adapt_course.main(["--root", str(copy), "--no-sync"])
