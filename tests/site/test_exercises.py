"""Exercises and the instructor's switch, proven both ways.

1. The students' exercise notebooks (``notebooks/exercices/*.ipynb``, as committed) are executed
   whole with nbclient, as a student runs them: every check must report "not written yet" and no
   cell may fail (the site build does not run an énoncé whole: it derives it from the corrigé's
   run). The pages themselves (the solutions put back) are executed up to their last check: every
   check must pass.
2. A scratch site (:class:`sitekit.ScratchSite`) with a small exercise page and a page without
   exercise is built with the solutions (each page executed once, the énoncé derived from that
   run), without them (``TP8_SOLUTIONS=0``: nothing runs), with them again (nothing runs), and with
   the switch off in ``mkdocs.yml`` (nothing runs). Without the solutions, no solution line is
   anywhere in ``site/`` — searched in every file, HTML tags and JSON aside — where the same search
   finds them with the solutions.
3. A failing check, a misplaced marker, a bad switch value, an untagged check cell: each stops the
   build and says where, whatever the switch says (the corrigé always runs).
"""

from __future__ import annotations

import json
import os
import re

import jupytext
import nbformat
import pytest
from exercisekit import PARTS, exercise, find_lines, needs_weights, solution_lines, text
from sitekit import DOCS, PAGE_HEADER, ROOT, ScratchSite, SwitchedBuilds

REPORT = "TP8-CHECKS "


# --- 1. the exercise notebooks, executed ---------------------------------------------------------------


def run_up_to_last_check(nb, *, whole: bool = False) -> tuple[list[dict], int]:
    """Execute the cells of ``nb`` up to its last ``check`` cell (all of them with ``whole``);
    (the checks' results, checks run)."""
    from nbclient import NotebookClient

    tags = [c.get("metadata", {}).get("tags", []) for c in nb.cells]
    last = len(nb.cells) - 1 if whole else max(i for i, t in enumerate(tags) if exercise.CHECK_TAG in t)
    prefix = nbformat.v4.new_notebook(metadata=nb.metadata)
    prefix.cells = [c for c in nb.cells[: last + 1]]
    prefix.cells.append(
        nbformat.v4.new_code_cell(f"import json, tp8.checks\nprint({REPORT!r} + json.dumps(tp8.checks.results()))")
    )
    env_before = os.environ.get("TP8_PROGRESS")
    os.environ["TP8_PROGRESS"] = "0"
    try:
        NotebookClient(
            prefix, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(DOCS)}}
        ).execute()
    finally:
        if env_before is None:
            os.environ.pop("TP8_PROGRESS", None)
        else:
            os.environ["TP8_PROGRESS"] = env_before
    printed = "".join(o.get("text", "") for o in prefix.cells[-1].outputs)
    results = json.loads(printed.split(REPORT, 1)[1])
    return results, sum(exercise.CHECK_TAG in t for t in tags[: last + 1])


@needs_weights
@pytest.mark.parametrize("part", PARTS)
def test_the_exercise_notebook_runs_whole_and_reports_every_check_as_not_written(part):
    nb = nbformat.read(ROOT / "notebooks" / "exercices" / f"{part}.ipynb", as_version=4)
    results, expected = run_up_to_last_check(nb, whole=True)  # a failing cell raises here
    assert expected >= 1 and len(results) == expected, results
    assert all(r["status"] == "not implemented" for r in results), results
    assert all(r["verdict"].startswith("✎ À faire") for r in results), results


@needs_weights
@pytest.mark.parametrize("part", PARTS)
def test_with_the_solutions_put_back_every_check_passes(part):
    nb = jupytext.read(DOCS / f"{part}.py")
    results, expected = run_up_to_last_check(nb)
    assert expected >= 1 and len(results) == expected, results
    assert all(r["status"] == "passed" for r in results), results


# --- 2. the switch, on a scratch site ---------------------------------------------------------------

EXERCISE_PAGE = (
    PAGE_HEADER
    + '''
# %% [markdown]
# # Un exercice de test

# %%
import torch

import tp8.checks

modele = tp8.checks._mini_model("cpu")  # le mini-réseau des vérifications : rapide, sans poids
images = tp8.checks._mini_images("cpu")[:2]
classes = torch.tensor([1, 2])


def carte_cormoran(modele, images, classes):
    """Cartes de saillance d'un lot d'images."""
    ### BEGIN SOLUTION
    copie_cormoran = images.detach().clone().requires_grad_(True)
    score_cormoran = modele(copie_cormoran).gather(1, classes.view(-1, 1)).sum()
    (gradient_cormoran,) = torch.autograd.grad(score_cormoran, copie_cormoran)
    return gradient_cormoran.abs().amax(dim=1)
    ### END SOLUTION


# %% tags=["check"]
tp8.checks.saliency(carte_cormoran, modele)

# %%
cartes = tp8.checks.use(carte_cormoran, tp8.checks.saliency)(modele, images, classes)
print(f"somme des cartes : {float(cartes.sum()):.6f}")
import matplotlib.pyplot as plt

import tp8.course

fig, ax = plt.subplots(figsize=(2, 1))
ax.imshow(cartes[0].numpy(), cmap="gray")
tp8.course.show(fig, alt="La carte de saillance de la première image du mini-réseau, en niveaux de gris.")

# %% [markdown] tags=["solution"]
# Réponse rédigée : le goéland argenté niche sur la falaise.
'''
)

SIMPLE_PAGE = (
    PAGE_HEADER
    + """
# %% [markdown]
# # Une page sans exercice

# %%
import random

print(f"tirage = {random.random():.12f}")
"""
)

SECRETS = ["goéland argenté", "copie_cormoran", "gradient_cormoran", "score_cormoran"]


def draw(text: str) -> str:
    match = re.search(r"tirage = (0\.\d{12})", text)
    assert match, "the page does not show its draw"
    return match.group(1)


def total(text: str) -> str:
    match = re.search(r"somme des cartes : (\d+\.\d{6})", text)
    assert match, "the page does not show its sum"
    return match.group(1)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> SwitchedBuilds:
    b = SwitchedBuilds(tmp_path_factory.mktemp("exercises"), {"exercice.py": EXERCISE_PAGE, "simple.py": SIMPLE_PAGE})
    b.build("solutions", "1")  # whatever mkdocs.yml says (the instructor's setting)
    b.build("enonce", "0")
    b.build("solutions-again", "1")
    config = b.site.root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "extra:\n  tp8:\n    solutions: false\n", encoding="utf-8")
    b.build("enonce-config", None)
    return b


def test_with_the_solutions_the_page_shows_and_checks_them(builds):
    record = builds.records["solutions"]
    assert sorted(record["executed"]) == ["docs/exercice.py", "docs/simple.py"]
    page = builds.html("solutions", "exercice")
    assert "copie_cormoran" in page and "goéland argenté" in page
    assert "est juste" in page and "Vérification" in page  # the check ran, and passed
    for label in ("Télécharger l'énoncé", "Ouvrir l'énoncé dans Colab", "Télécharger le corrigé"):
        assert label in page, label
    assert 'href="../notebooks/exercices/exercice.ipynb"' in page and 'href="../notebooks/exercice.ipynb"' in page
    assert (builds.copies["solutions"] / "notebooks" / "exercice.ipynb").is_file()
    assert (builds.copies["solutions"] / "notebooks" / "exercices" / "exercice.ipynb").is_file()
    simple = builds.html("solutions", "simple")
    assert "Télécharger le notebook" in simple and "énoncé" not in simple


def test_the_search_finds_solution_lines_when_they_are_published(builds):
    """The positive control of the next test: the same search, on the site with solutions."""
    lines = solution_lines(EXERCISE_PAGE)
    found = find_lines(builds.copies["solutions"], lines)
    assert set(found) == set(lines), f"not found: {set(lines) - set(found)}"
    assert any(f.endswith("exercice/index.html") for f in found[lines[0]])


@pytest.mark.parametrize("build", ["enonce", "enonce-config"])
def test_without_the_solutions_no_solution_line_is_anywhere_in_the_site(builds, build):
    site = builds.copies[build]
    lines = solution_lines(EXERCISE_PAGE)
    assert len(lines) == 5
    assert find_lines(site, lines) == {}
    assert find_lines(site, SECRETS) == {}
    assert not (site / "notebooks" / "exercice.ipynb").exists(), "the solution notebook was published"
    assert (site / "notebooks" / "exercices" / "exercice.ipynb").is_file()
    assert (site / "notebooks" / "simple.ipynb").is_file()  # a page without exercise keeps its notebook


def test_without_the_solutions_nothing_runs_the_enonce_comes_from_the_one_execution(builds):
    record = builds.records["enonce"]
    assert record["executed"] == []
    assert record["unchanged"] == ["docs/exercice.py", "docs/simple.py"]
    assert draw(builds.html("enonce", "simple")) == draw(builds.html("solutions", "simple"))
    assert "à exécuter" not in builds.logs["enonce"], "switching to the énoncé executed a page"


def test_without_the_solutions_the_page_shows_the_stub_and_the_reference(builds):
    page = builds.html("enonce", "exercice")
    shown = text.strip_tags(page)
    assert "# À VOUS : complétez cette fonction" in shown and "raise NotImplementedError()" in shown
    assert "À vous de jouer" in shown
    assert "Résultat de la référence" in shown  # the figure's notice: the reference stood in
    # The figure drawn by the cell the énoncé runs on its own (in a copy of the corrigé's kernel) is
    # a file of the site with its description, as in the corrigé.
    figure = re.compile(r'<img [^>]*src="[^"]*assets/figures/[0-9a-f]+\.(?:png|webp)"[^>]*alt="La carte de saillance')
    assert figure.search(page) and figure.search(builds.html("solutions", "exercice"))
    assert "Vérification" not in shown, "the check cell was executed"
    assert "tp8.checks.saliency(carte_cormoran, modele)" in shown  # shown, not run
    assert total(page) == total(builds.html("solutions", "exercice")), "the reference and the solution differ"
    assert "Télécharger l'énoncé" in page and "Ouvrir l'énoncé dans Colab" in page
    assert "corrigé" not in page
    assert "Télécharger le notebook" in builds.html("enonce", "simple")
    # No "edit this page" link to the source, where the solutions are; the other pages keep theirs.
    assert 'rel="edit"' not in page and 'rel="edit"' in builds.html("enonce", "simple")
    assert 'rel="edit"' in builds.html("solutions", "exercice")


def test_the_log_says_what_the_build_publishes(builds):
    """``true``, ``false`` or a date: the log's first word on the switch says what goes out."""
    for name, source, publishes in [
        ("solutions", "TP8_SOLUTIONS = true", "les pages avec leurs réponses et les corrigés"),
        ("enonce", "TP8_SOLUTIONS = false", "les énoncés seuls, sans réponses ni corrigés"),
        ("enonce-config", "extra.tp8.solutions = false", "les énoncés seuls, sans réponses ni corrigés"),
    ]:
        assert f"({source}) : cette construction publie {publishes}\n" in builds.logs[name], builds.logs[name][:3000]


def test_switching_back_and_forth_runs_nothing(builds):
    for name in ("solutions-again", "enonce-config"):
        record = builds.records[name]
        assert record["executed"] == [] and record["text_only"] == [], (name, record)
    assert "copie_cormoran" in builds.html("solutions-again", "exercice")
    assert "copie_cormoran" not in builds.html("enonce-config", "exercice")


# --- 3. what stops the build ---------------------------------------------------------------------


def test_a_failing_check_stops_the_build_with_the_solutions(tmp_path, monkeypatch):
    wrong = EXERCISE_PAGE.replace("return gradient_cormoran.abs().amax(dim=1)", "return gradient_cormoran.amax(dim=1)")
    site = ScratchSite(tmp_path, {"exercice.py": wrong})
    monkeypatch.setenv("TP8_SOLUTIONS", "1")  # whatever the instructor's mkdocs.yml says
    proc = site.build()
    assert proc.returncode != 0, proc.output[-3000:]
    assert "docs/exercice.py : une vérification de tp8.checks échoue" in proc.output, proc.output[-3000:]
    assert "(TP8_SOLUTIONS = true) : cette construction publie les pages avec leurs réponses" in proc.output
    assert "✘ `carte_cormoran` n'est pas encore juste" in proc.output
    assert not (tmp_path / "site" / "exercice" / "index.html").exists()


def test_with_a_release_date_ahead_a_failing_check_still_stops_the_build(tmp_path, monkeypatch):
    """The corrigé runs whatever the switch: a wrong solution fails the build the day it is written."""
    wrong = EXERCISE_PAGE.replace("return gradient_cormoran.abs().amax(dim=1)", "return gradient_cormoran.amax(dim=1)")
    site = ScratchSite(tmp_path, {"exercice.py": wrong})
    monkeypatch.setenv("TP8_SOLUTIONS", "2099-01-01")
    proc = site.build()
    assert proc.returncode != 0, proc.output[-3000:]
    assert "docs/exercice.py : une vérification de tp8.checks échoue" in proc.output, proc.output[-3000:]
    assert (
        "cette construction publie les énoncés seuls, sans réponses ni corrigés ; les solutions à partir du 2099-01-01"
        in proc.output
    ), proc.output[-3000:]
    assert "✘ `carte_cormoran` n'est pas encore juste" in proc.output
    assert not (tmp_path / "site" / "exercice" / "index.html").exists()


def test_a_misplaced_marker_stops_the_build_with_the_page_and_the_line(tmp_path):
    broken = EXERCISE_PAGE.replace("    ### END SOLUTION\n", "")
    site = ScratchSite(tmp_path, {"exercice.py": broken})
    proc = site.build()
    line = next(i + 1 for i, text in enumerate(broken.splitlines()) if "### BEGIN SOLUTION" in text)
    assert proc.returncode != 0
    assert f"docs/exercice.py, ligne {line} : « ### BEGIN SOLUTION » sans « ### END SOLUTION »" in proc.output, (
        proc.output[-3000:]
    )
    assert "exécution commencée" not in proc.output, "the build ran a page before stopping"


def test_a_bad_switch_value_stops_the_build(tmp_path, monkeypatch):
    site = ScratchSite(tmp_path, {"simple.py": SIMPLE_PAGE})
    monkeypatch.setenv("TP8_SOLUTIONS", "parfois")
    proc = site.build()
    assert proc.returncode != 0
    assert "TP8_SOLUTIONS vaut 'parfois' : mettez true (solutions publiées) ou false" in proc.output, proc.output[
        -2000:
    ]


def test_a_check_cell_must_be_tagged_whatever_the_switch(tmp_path):
    untagged = EXERCISE_PAGE.replace('# %% tags=["check"]\n', "# %%\n")
    site = ScratchSite(tmp_path, {"exercice.py": untagged})
    proc = site.build()  # with the solutions: the énoncé is checked all the same
    assert proc.returncode != 0, proc.output[-3000:]
    assert "doit être étiquetée « check »" in proc.output, proc.output[-3000:]
