"""The real course built without its solutions, as an instructor hands it out (``TP8_SOLUTIONS=0``).

The project's own site is built (``mkdocs build --strict``) into a temporary folder, sharing the
execution cache of ``make site``: every page comes from its one execution (the corrigé's), the
parts' énoncés derived from it — the cells an énoncé does not share (its stubs, the figures that
call the student's function, drawn by tp8's reference) run on their own during that execution.

Then, in every file of that site (HTML tags, JSON and notebooks read through), no solution line of
any page; the parts show their stubs, their notices and their figures; the solution notebooks
are not there, the exercise notebooks are, identical to the committed ones.

Cost: nothing after ``make site`` (the same cache); on a fresh clone, one execution of each page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import pytest
from exercisekit import PARTS, audit, exercise, find_lines, needs_weights, notebooks, real_weights, solution_lines, text
from sitekit import BUILD_TIMEOUT_S, ROOT, TEST_ONLY_ENV, notebook_pages

pytestmark = needs_weights


def build_without_solutions(root: Path, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    env.update({"TP8_SOLUTIONS": "0", "TP8_NOTEBOOKS_SYNC": "off", "TP8_PROGRESS": "0", "NO_MKDOCS_2_WARNING": "1"})
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(out)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )


@pytest.fixture(scope="module")
def exercise_site(tmp_path_factory) -> Path:
    if not real_weights():
        pytest.skip("the pages need the pretrained SqueezeNet 1.1 (TP8_WEIGHTS_DIR)")
    out = tmp_path_factory.mktemp("exercise-site") / "site"
    start = time.monotonic()
    proc = build_without_solutions(ROOT, out)
    assert proc.returncode == 0, f"the build without solutions failed:\n{(proc.stdout + proc.stderr)[-6000:]}"
    print(f"\n[site without solutions built in {time.monotonic() - start:.0f} s]", file=sys.stderr)
    return out


def page_text(site: Path, name: str) -> str:
    return text.strip_tags((site / name / "index.html").read_text(encoding="utf-8"))


def all_solution_lines() -> list[str]:
    """The solution lines of every page, but what a page published whole (no exercise, not held back
    until the solutions) also writes: that goes out with it whatever the switch, and the build's own
    audit leaves it out too (``audit.not_public``)."""
    lines, whole = [], []
    for page in notebook_pages():
        source = page.source.read_text(encoding="utf-8")
        lines.extend(solution_lines(source))
        if not page.with_solutions and not exercise.has_exercises(jupytext.reads(source, fmt="py:percent")):
            whole.append(source)
    return audit.not_public(lines, whole)


def test_no_solution_line_is_anywhere_in_the_site(exercise_site):
    lines = all_solution_lines()
    assert len(lines) >= 3 * 4, "the parts have fewer solution lines than expected"
    found = find_lines(exercise_site, lines)
    assert not found, "solution lines published:\n" + "\n".join(f"  {k}  ({', '.join(v)})" for k, v in found.items())


@pytest.mark.parametrize("part", PARTS)
def test_each_part_shows_its_exercise_with_the_references_figures(exercise_site, part):
    shown = page_text(exercise_site, part)
    raw = (exercise_site / part / "index.html").read_text(encoding="utf-8")
    assert "raise NotImplementedError()" in shown and "# À VOUS" in shown
    assert "À vous de jouer" in shown
    assert "Résultat de la référence" in shown, "the first figure did not fall back on tp8's reference"
    assert "Vérification —" not in shown, "a check cell was executed without the solutions"
    assert "Télécharger l'énoncé" in shown and "Télécharger le corrigé" not in shown
    page = next(p for p in notebook_pages() if p.name == part)
    figures = len(re.findall(r"<img\b", raw))
    assert figures >= (page.min_figures or 1), f"{part}: {figures} figures, fewer than min_figures"


@pytest.mark.parametrize("part", PARTS)
def test_only_the_exercise_notebooks_are_offered(exercise_site, part):
    assert not (exercise_site / "notebooks" / f"{part}.ipynb").exists(), "a solution notebook was published"
    offered = exercise_site / "notebooks" / "exercices" / f"{part}.ipynb"
    committed = ROOT / "notebooks" / "exercices" / f"{part}.ipynb"
    assert notebooks.without_repository(offered.read_text(encoding="utf-8")) == notebooks.without_repository(
        committed.read_text(encoding="utf-8")
    )


def test_pages_without_exercise_keep_their_notebook(exercise_site):
    for page in notebook_pages():
        source = page.source.read_text(encoding="utf-8")
        if exercise.has_exercises(jupytext.reads(source, fmt="py:percent")):
            continue
        html = page.html_path(exercise_site).read_text(encoding="utf-8")
        if page.with_solutions:  # published with the solutions: a notice in its place, nothing to download
            assert not (exercise_site / "notebooks" / f"{page.name}.ipynb").exists(), page.name
            assert "elle paraîtra avec eux, quand votre enseignant publiera les corrigés" in html, page.name
            assert "Télécharger" not in html, page.name
            continue
        assert (exercise_site / "notebooks" / f"{page.name}.ipynb").is_file(), page.name
        assert "Télécharger le notebook" in html, page.name


def test_the_search_index_holds_no_solution(exercise_site):
    index = json.loads((exercise_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    indexed = text.strip_tags(" ".join(doc.get("text", "") for doc in index["docs"]))
    assert "À vous de jouer" in indexed  # the exercises are indexed…
    for line in all_solution_lines():  # …their solutions are not
        assert " ".join(line.split()) not in " ".join(indexed.split()), line
