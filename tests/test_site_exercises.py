"""The exercise notebooks generated from the pages (tools/sitebuild/exercise.py), without running them.

Solution regions become stubs at their indentation, solution cells go, a notice follows each
exercise; a misplaced marker names the page and the line of its ``.py``; the markers survive a
jupytext round trip; the committed ``notebooks/exercices/`` are up to date and hold no solution
line; the instructor's switch reads ``mkdocs.yml`` and ``TP8_SOLUTIONS``.
(Executing them is tests/site/test_exercises.py's job.)
"""

from __future__ import annotations

import ast
import datetime
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import site_notebooks  # noqa: E402  (the command line)
from sitebuild import audit, cache, exercise, handout, notebooks, pages, solutions, variants  # noqa: E402
from sitebuild import text as sitetext  # noqa: E402
from sitebuild.repo import Repo, resolve_repo  # noqa: E402
from sitebuild.settings import Execution  # noqa: E402


def project_repo() -> Repo:
    """The repository of the project's ``mkdocs.yml`` (its ``repo_url``, overridden as the build does)."""
    data = solutions.read_config(ROOT / "mkdocs.yml")
    return resolve_repo(data.get("repo_url"), data.get("edit_uri"))


PARTS = ["partie-1-saillance", "partie-2-adversaires", "partie-3-visualisation"]

PAGE = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Un exercice

# %%
import torch


def double_du_gradient(modele, x):
    \"\"\"Renvoie deux fois le gradient.\"\"\"
    total = 0
    for k in range(2):
        ### BEGIN SOLUTION indice : une boucle suffit.
        total_cache = total + 2 * k
        ### END SOLUTION
    ### BEGIN SOLUTION
    reponse_cachee = total_cache * 2
    return reponse_cachee
    ### END SOLUTION


# %% tags=["check"]
print(double_du_gradient(None, None))

# %% tags=["solution"]
phrase_secrete = "le cormoran niche sur la falaise"

# %% [markdown] tags=["solution"]
# La réponse rédigée : le cormoran niche au bord de la falaise.

# %%
valeur_publique = 1
"""


def page_nb(text: str = PAGE):
    return jupytext.reads(text, fmt="py:percent")


def make_exercise(text: str = PAGE, **kwargs):
    return exercise.exercise(page_nb(text), "docs/exo.py", text, **kwargs)


def code(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


# --- the transformation ------------------------------------------------------------------------


def test_regions_become_stubs_at_their_indentation():
    out = make_exercise()
    cell = next(c for c in out.cells if "def double_du_gradient" in c.source)
    lines = cell.source.splitlines()
    first = lines.index("        # À VOUS : indice : une boucle suffit.")
    assert lines[first + 1] == "        raise NotImplementedError()"
    second = lines.index(
        "    # À VOUS : complétez cette fonction (sa docstring dit ce qu'elle reçoit et ce qu'elle doit renvoyer)."
    )
    assert lines[second + 1] == "    raise NotImplementedError()"
    ast.parse(cell.source)  # still Python
    assert "total = 0" in cell.source and '"""Renvoie deux fois le gradient."""' in cell.source  # the rest stays


def test_solution_text_and_cells_are_gone():
    out = make_exercise()
    dumped = nbformat.writes(out)
    for line in exercise.solution_lines(page_nb(), "docs/exo.py"):
        assert line not in dumped, line
    assert "cormoran" not in dumped and "BEGIN SOLUTION" not in dumped and "END SOLUTION" not in dumped
    assert "valeur_publique = 1" in code(out)


def test_a_notice_follows_each_exercise_cell_and_names_its_function():
    out = make_exercise()
    index = next(i for i, c in enumerate(out.cells) if "def double_du_gradient" in c.source)
    notice = out.cells[index + 1]
    assert notice.cell_type == "markdown" and exercise.NOTICE_TAG in notice.metadata["tags"]
    assert 'class="admonition example"' in notice.source and "À vous de jouer" in notice.source
    assert "<code>double_du_gradient</code>" in notice.source
    assert "la suivante, qui vérifie votre réponse" in notice.source  # the next code cell is a check
    assert sum(exercise.NOTICE_TAG in c.metadata.get("tags", []) for c in out.cells) == 1


def test_check_cells_are_skipped_on_the_site_only():
    for_students = make_exercise()
    for_site = make_exercise(for_site=True)
    check_cell = [c for c in for_students.cells if "check" in c.metadata.get("tags", [])]
    site_cell = [c for c in for_site.cells if "check" in c.metadata.get("tags", [])]
    assert check_cell and "skip-execution" not in check_cell[0].metadata["tags"]
    assert site_cell and "skip-execution" in site_cell[0].metadata["tags"]


def test_the_page_itself_is_left_unchanged():
    nb = page_nb()
    before = nbformat.writes(nb)
    exercise.exercise(nb, "docs/exo.py", PAGE)
    assert nbformat.writes(nb) == before


def test_solution_lines_lists_regions_and_solution_cells():
    lines = exercise.solution_lines(page_nb())
    assert lines == [
        "total_cache = total + 2 * k",
        "reponse_cachee = total_cache * 2",
        "return reponse_cachee",
        'phrase_secrete = "le cormoran niche sur la falaise"',
        "La réponse rédigée : le cormoran niche au bord de la falaise.",  # an answer, sentence by sentence
    ]
    assert exercise.code_solution_lines(page_nb()) == lines[:-1]


def test_a_page_without_markers_has_no_exercise():
    text = PAGE.replace("### BEGIN SOLUTION indice : une boucle suffit.\n", "").replace("### END SOLUTION\n", "")
    text = text.replace("### BEGIN SOLUTION\n", "").replace(' tags=["solution"]', "")
    text = re.sub(r"\n *\n *\n", "\n\n", text)
    assert not exercise.has_exercises(page_nb(text))
    assert exercise.has_exercises(page_nb())


# --- errors: the page and the line ----------------------------------------------------------------


def line_holding(text: str, exact: str, occurrence: int = 1) -> int:
    """The line number (1-based) of the ``occurrence``-th line of ``text`` equal to ``exact``."""
    found = [i + 1 for i, line in enumerate(text.splitlines()) if line == exact]
    return found[occurrence - 1]


@pytest.mark.parametrize(
    ("edit", "message", "at"),
    [
        (  # the second region loses its END
            lambda t: t.replace("    return reponse_cachee\n    ### END SOLUTION\n", "    return reponse_cachee\n"),
            "« ### BEGIN SOLUTION » sans « ### END SOLUTION » dans la même cellule",
            "    ### BEGIN SOLUTION",
        ),
        (  # a BEGIN inside the first region
            lambda t: t.replace(
                "        total_cache = total + 2 * k\n", "        ### BEGIN SOLUTION\n        total_cache = 1\n"
            ),
            "imbriqué : celui de la ligne",
            "        ### BEGIN SOLUTION",
        ),
        (  # an END without BEGIN
            lambda t: t.replace("    ### BEGIN SOLUTION\n    reponse_cachee", "    reponse_cachee"),
            "« ### END SOLUTION » sans « ### BEGIN SOLUTION »",
            "    ### END SOLUTION",
        ),
        (  # a marker in a Markdown cell
            lambda t: t.replace("# # Un exercice\n", "# # Un exercice\n#\n# ### BEGIN SOLUTION\n"),
            "marqueur de solution dans une cellule Markdown",
            "# ### BEGIN SOLUTION",
        ),
        (  # nbgrader's words, misspelt
            lambda t: t.replace("    ### BEGIN SOLUTION\n    reponse", "    ## BEGIN SOLUTION\n    reponse"),
            "marqueur mal écrit (« ## BEGIN SOLUTION »)",
            "    ## BEGIN SOLUTION",
        ),
        (  # nothing between the markers
            lambda t: t.replace("        total_cache = total + 2 * k\n", ""),
            "aucune ligne de solution entre les deux marqueurs",
            "        ### BEGIN SOLUTION indice : une boucle suffit.",
        ),
    ],
    ids=["missing-end", "nested-begin", "end-without-begin", "markdown", "misspelt", "empty"],
)
def test_misplaced_markers_name_the_page_and_the_line(edit, message, at):
    text = edit(PAGE)
    assert text != PAGE
    with pytest.raises(exercise.ExerciseError) as caught:
        exercise.exercise(page_nb(text), "docs/exo.py", text)
    error = caught.value
    assert message in str(error), str(error)
    assert error.line == line_holding(text, at), (str(error), text.splitlines()[error.line - 1])
    assert str(error).startswith(f"docs/exo.py, ligne {error.line} : ")


# --- jupytext round trips ------------------------------------------------------------------------


def test_markers_survive_a_jupytext_round_trip():
    nb = page_nb()
    as_ipynb = jupytext.writes(nb, fmt="ipynb")
    back = jupytext.reads(as_ipynb, fmt="ipynb")
    again = jupytext.writes(back, fmt="py:percent")
    body = PAGE.split("# ---\n", 2)[2]
    assert again.split("# ---\n", 2)[2] == body  # jupytext only adds its text_representation to the header
    regions = exercise.solution_regions(nb, "a")
    assert exercise.solution_regions(back, "b") == regions

    def cells(notebook):
        return [(c.cell_type, c.source, c.metadata) for c in exercise.exercise(notebook).cells]

    assert cells(back) == cells(nb)


@pytest.mark.parametrize("part", PARTS)
def test_the_parts_markers_survive_a_jupytext_round_trip(part):
    text = (ROOT / "docs" / f"{part}.py").read_text(encoding="utf-8")
    nb = page_nb(text)
    back = jupytext.reads(jupytext.writes(nb, fmt="ipynb"), fmt="ipynb")
    assert exercise.solution_lines(back) == exercise.solution_lines(nb) != []
    again = page_nb(jupytext.writes(back, fmt="py:percent"))
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]


# --- the course's own exercises ------------------------------------------------------------------


def identifiers(line: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line))


@pytest.mark.parametrize("part", PARTS)
def test_each_part_has_an_exercise_used_by_its_first_figure(part):
    source = ROOT / "docs" / f"{part}.py"
    nb = page_nb(source.read_text(encoding="utf-8"))
    regions = exercise.solution_regions(nb, part, source.read_text(encoding="utf-8"))
    assert regions and all(r.function for r in regions), "an exercise is a function the student writes"
    codes = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    checks = [i for i, c in codes if exercise.CHECK_TAG in c.metadata.get("tags", [])]
    first_figure = next(i for i, c in codes if re.search(r"\bshow\(", c.source))
    assert checks and max(r.cell for r in regions) < min(checks) < first_figure
    assert "tp8.checks.use(" in nb.cells[first_figure].source, "the first figure uses the student's function"


@pytest.mark.parametrize("part", PARTS)
def test_solution_lines_use_names_found_nowhere_else(part):
    """What makes the search of the built site for solution lines meaningful."""
    text = (ROOT / "docs" / f"{part}.py").read_text(encoding="utf-8")
    nb = page_nb(text)
    lines = exercise.code_solution_lines(nb)
    exercise_text = nbformat.writes(exercise.exercise(nb, part, text))
    own = set().union(*(identifiers(line) for line in lines)) - identifiers(exercise_text)
    for line in lines:
        if len(line) >= 12:
            assert identifiers(line) & own, f"{part}: « {line} » uses no name of its own"


@pytest.mark.parametrize("part", PARTS)
def test_committed_exercise_notebooks_hold_no_solution(part):
    path = ROOT / "notebooks" / "exercices" / f"{part}.ipynb"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run `make notebooks`"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].metadata.get("tags") == [notebooks.INSTALL_TAG]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    every = "\n".join(c.source for c in nb.cells)
    source = page_nb((ROOT / "docs" / f"{part}.py").read_text(encoding="utf-8"))
    for line in exercise.code_solution_lines(source):
        # The build's audit rule: a shorter line (`break`, `return x`) is in any code and gives nothing away.
        if len(line) >= audit.MIN_CODE_LINE:
            assert line not in every, f"solution line in the exercise: {line}"
    leaks = audit.find_leaks(exercise.answer_sentences(source), [path])
    assert not leaks, f"answers in the exercise: {list(leaks)}"
    assert "raise NotImplementedError()" in every and "À vous de jouer" in every
    for cell in nb.cells[1:]:
        if cell.cell_type == "code":
            ast.parse(cell.source)


def test_committed_student_notebooks_are_up_to_date():
    written = notebooks.contents(pages.read_pages(ROOT / "docs"), project_repo())
    changed, stale = notebooks.sync(ROOT, written, "check")
    assert not changed and not stale, f"run `make notebooks` and commit notebooks/: {changed + stale}"
    assert {f"notebooks/exercices/{part}.ipynb" for part in PARTS} <= set(written)
    assert not any(k.startswith("notebooks/exercices/index") for k in written), "the home page has no exercise"


# --- make notebooks ------------------------------------------------------------------------------


def scratch_project(tmp_path: Path, page: str) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "exo.py").write_text(page, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: essai\ndocs_dir: docs\nrepo_url: https://github.com/owner/essai\n", encoding="utf-8"
    )
    return tmp_path / "mkdocs.yml"


def test_make_notebooks_writes_both_notebooks_then_checks_them(tmp_path, capsys):
    config = scratch_project(tmp_path, PAGE)
    assert site_notebooks.main(["sync", "-f", str(config)]) == 0
    plain = json.loads((tmp_path / "notebooks" / "exo.ipynb").read_text(encoding="utf-8"))
    exo = json.loads((tmp_path / "notebooks" / "exercices" / "exo.ipynb").read_text(encoding="utf-8"))
    assert "cormoran" in json.dumps(plain) and "cormoran" not in json.dumps(exo)
    assert exo["cells"][0]["metadata"]["tags"] == ["colab-install"]
    assert "git+https://github.com/owner/essai" in "".join(exo["cells"][0]["source"])
    assert site_notebooks.main(["check", "-f", str(config)]) == 0
    (tmp_path / "notebooks" / "exercices" / "exo.ipynb").write_text("{}", encoding="utf-8")
    assert site_notebooks.main(["check", "-f", str(config)]) == 1
    assert "notebooks/exercices/exo.ipynb n'est pas à jour" in capsys.readouterr().err


def test_make_notebooks_stops_on_a_misplaced_marker_and_writes_nothing(tmp_path, capsys):
    bad = PAGE.replace("    return reponse_cachee\n    ### END SOLUTION\n", "    return reponse_cachee\n")
    config = scratch_project(tmp_path, bad)
    assert site_notebooks.main(["sync", "-f", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"docs/exo.py, ligne {line_holding(bad, '    ### BEGIN SOLUTION')} :" in err, err
    assert not (tmp_path / "notebooks").exists()


# --- the instructor's switch ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "env", "shown"),
    [
        ({}, {}, True),
        ({"tp8": {"solutions": True}}, {}, True),
        ({"tp8": {"solutions": False}}, {}, False),
        ({"tp8": {"solutions": True}}, {"TP8_SOLUTIONS": "0"}, False),
        ({"tp8": {"solutions": False}}, {"TP8_SOLUTIONS": "1"}, True),
        ({"tp8": {"solutions": False}}, {"TP8_SOLUTIONS": "true"}, True),
        ({"tp8": {"solutions": True}}, {"TP8_SOLUTIONS": "False"}, False),
        ({"tp8": {"solutions": True}}, {"TP8_SOLUTIONS": "  "}, True),
        ({"tp8": {"solutions": "no"}}, {}, False),
    ],
)
def test_the_switch_reads_mkdocs_yml_and_the_environment(extra, env, shown):
    assert solutions.solutions_shown(extra, env) is shown


def test_a_bad_switch_value_says_what_to_write():
    with pytest.raises(ValueError, match="TP8_SOLUTIONS vaut 'peut-être' : mettez true"):
        solutions.solutions_shown({}, {"TP8_SOLUTIONS": "peut-être"})
    with pytest.raises(ValueError, match=r"extra: tp8: solutions: \(mkdocs.yml\) vaut '2'"):
        solutions.solutions_shown({"tp8": {"solutions": 2}}, {})


def test_the_projects_switch_is_one_the_build_accepts():
    """Whatever the instructor set (true, false, a date past or ahead): the build reads it."""
    extra = solutions.read_extra(ROOT / "mkdocs.yml")
    switch = solutions.solutions_setting(extra, {})
    assert switch.describe() and switch.publishes()
    assert isinstance(switch.shown(), bool)


def test_the_switch_and_the_build_settings_do_not_enter_the_execution_cache_key():
    env = {"TP8_WEIGHTS_DIR": "/nowhere", "PATH": "/bin"}
    facts = cache.environment_facts(env)
    for name, value in [("TP8_SOLUTIONS", "0"), ("TP8_SITE_EXECUTE", "force"), ("TP8_SITE_WORKERS", "1")]:
        assert cache.environment_facts({**env, name: value}) == facts, name


def page_key(text: str) -> str:
    page = pages.parse_page(Path("/d/docs/exo.py"), Path("/d/docs"), text)
    site = variants.site_variants(page, "exo/")
    return cache.key(site.corrige, site.enonce, site.own, "env", Execution())


def test_one_key_covers_both_hand_outs_their_code_and_not_their_prose():
    key = page_key(PAGE)
    assert page_key(PAGE.replace("indice : une boucle suffit.", "indice : deux tours.")) != key  # a stub's hint
    assert page_key(PAGE.replace("valeur_publique = 1", "valeur_publique = 2")) != key  # shared code
    assert page_key(PAGE.replace("# # Un exercice", "# # Un exercice modifié")) == key  # prose
    assert page_key(PAGE.replace('# %% tags=["check"]', "# %%")) != key  # a check the énoncé now runs


# --- the answers to the questions (issue 15): the marking ----------------------------------------

QPAGE = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Partie 9 — Les hérons
#
# Le [modèle de compte rendu](compte-rendu-tp8.ipynb) a une section par question.

# %%
from IPython.display import Markdown

from tp8.course import claim


def md(texte):
    return Markdown(texte)


hauteur = 3

# %% [markdown] tags=["solution"]
# Le héron cendré se tient immobile au bord de l'eau pendant des heures : le héron est grand.

# %% tags=["solution"]
claim(hauteur > 2, "le héron est grand")

# %% [markdown] tags=["question"]
# <a id="q1"></a>
# ## Q1 — Ce que montrent les hérons
#
# **Q8.1 ★** Observez les hérons et interprétez leur posture.

# %% [markdown] tags=["enonce"]
# ### Une première mesure
#
# La cellule suivante mesure la hauteur du héron et l'affiche.

# %%
mesure = hauteur * 2
print(mesure)

# %% [markdown]
# La hauteur mesurée montre que le héron domine nettement les autres échassiers du marais.

# %% tags=["hide-input"]
Markdown(
    "Le héron garde le cou replié en vol, contrairement à la cigogne qui le tend. "
    + claim(mesure > 4, "le héron est très grand")
)

# %% tags=["enonce", "hide-input"]
Markdown("Légende : la hauteur est donnée en unités arbitraires de la mesure.")

# %% [markdown] tags=["enonce"]
# ### Une seconde mesure

# %%
envergure = mesure + 1

# %% [markdown] tags=["question"]
# <a id="q2"></a>
# ## Q2 — Une autre question
#
# **Q8.2 Bonus** : comparez le héron avec une aigrette
# (la même mesure, un autre oiseau).

# %%
aigrette = mesure - 1

# %% tags=["hide-input"]
md(f"L'aigrette mesure {aigrette}, elle reste plus petite que le héron cendré du marais voisin.")

# %% [markdown]
# ## À retenir
#
# Cette conclusion générale reste visible dans l'énoncé, hors des sections.
"""

#: The answer cells of QPAGE, by their first words.
QPAGE_ANSWERS = [
    "Le héron cendré se tient immobile",
    'claim(hauteur > 2, "le héron est grand")',
    "La hauteur mesurée montre",
    'Markdown(\n    "Le héron garde le cou',
    "md(f\"L'aigrette mesure",
]


def qpage_nb(text: str = QPAGE):
    return jupytext.reads(text, fmt="py:percent")


def starts(nb, indices) -> list[str]:
    return [nb.cells[i].source for i in sorted(indices)]


def test_the_questions_of_a_page():
    nb = qpage_nb()
    q1, q2 = exercise.questions(nb, "docs/p.py", QPAGE)
    assert (q1.number, q1.title, q1.text, q1.star, q1.bonus) == (
        1,
        "Ce que montrent les hérons",
        "Observez les hérons et interprétez leur posture.",
        True,
        False,
    )
    assert (q2.number, q2.star, q2.bonus, q2.report_number) == (2, False, True, "Q8.2")
    assert q2.text == "comparez le héron avec une aigrette\n(la même mesure, un autre oiseau)."
    assert q1.report_heading == "Q8.1 ★ — Ce que montrent les hérons"
    assert q2.report_heading == "Q8.2 Bonus — Une autre question"
    assert q1.line == line_holding(QPAGE, "# ## Q1 — Ce que montrent les hérons")


def test_answers_by_default_in_a_question_section_and_solution_cells_elsewhere():
    nb = qpage_nb()
    mark = exercise.marking(nb, "docs/p.py", QPAGE)
    answers = starts(nb, mark.answers)
    assert len(answers) == len(QPAGE_ANSWERS)
    for answer, beginning in zip(answers, QPAGE_ANSWERS):
        assert answer.startswith(beginning), (answer, beginning)
    kept = [c.source for i, c in enumerate(nb.cells) if i not in mark.answers]
    assert any(c.startswith("### Une première mesure") for c in kept)  # enonce
    assert any(c.startswith('Markdown("Légende') for c in kept)  # prose, tagged enonce
    assert any(c.startswith("mesure = hauteur * 2") for c in kept)  # an experiment
    assert any(c.startswith("from IPython.display import Markdown") for c in kept)  # defines md, outside
    assert any(c.startswith("## À retenir") for c in kept)  # the section ended at "##"


def test_a_section_runs_to_the_next_level_1_or_2_heading():
    nb = qpage_nb()
    mark = exercise.marking(nb, "docs/p.py", QPAGE)
    first, last = mark.sections[1]
    assert nb.cells[first].source.startswith('<a id="q1">')
    assert nb.cells[last].source.startswith("envergure = ")  # "### Une seconde mesure" stays inside
    first, last = mark.sections[2]
    assert nb.cells[last + 1].source.startswith("## À retenir")
    assert mark.section_of(last + 1) is None and mark.section_of(last) == 2


def test_the_exercise_drops_the_answers_and_ends_each_question_with_an_answer_box():
    nb = qpage_nb()
    out = exercise.exercise(nb, "docs/p.py", QPAGE)
    text = nbformat.writes(out)
    for sentence in exercise.answer_sentences(nb, "docs/p.py", QPAGE):
        assert sentence not in text, sentence
    assert "claim(" not in "\n".join(c.source for c in out.cells if c.cell_type == "code")
    boxes = [i for i, c in enumerate(out.cells) if exercise.ANSWER_BOX_TAG in c.metadata.get("tags", [])]
    assert len(boxes) == 2
    first, second = (out.cells[i] for i in boxes)
    assert first.cell_type == "markdown" and first.source.startswith("**Votre réponse — Q8.1**\n\n*Écrivez ici")
    assert second.source.startswith("**Votre réponse — Q8.2**")
    assert out.cells[boxes[0] - 1].source.startswith("envergure = ")  # after the section's last kept cell
    assert out.cells[boxes[0] + 1].source.startswith('<a id="q2">')
    assert out.cells[boxes[1] - 1].source == "aigrette = mesure - 1"  # the section's last cell was an answer
    assert out.cells[boxes[1] + 1].source.startswith("## À retenir")
    assert [c.id for c in (first, second)] == ["tp8-answer-box-q1", "tp8-answer-box-q2"]
    nbformat.validate(out)


def test_an_enonce_that_uses_what_only_an_answer_defines_is_refused_with_the_line():
    text = QPAGE.replace("mesure = hauteur * 2\nprint(mesure)", "print(reponse_cachee)").replace(
        'claim(hauteur > 2, "le héron est grand")', 'claim(hauteur > 2, "le héron est grand")\nreponse_cachee = 6'
    )
    page = pages.parse_page(Path("/d/docs/p.py"), Path("/d/docs"), text)
    with pytest.raises(exercise.ExerciseError) as caught:
        variants.site_variants(page, "p/")
    assert caught.value.line == line_holding(text, "print(reponse_cachee)"), str(caught.value)
    assert "l'énoncé utilise « reponse_cachee », que seule une réponse définit" in str(caught.value)


def test_a_page_with_only_questions_is_an_exercise_page():
    assert exercise.has_exercises(qpage_nb(), "docs/p.py", QPAGE)
    page = pages.parse_page(Path("/d/docs/p.py"), Path("/d/docs"), QPAGE)
    site = variants.site_variants(page, "p/")
    assert page.has_exercises and site.enonce is not None
    assert site.own == [], "no cell of this énoncé runs on its own: it takes every output from the corrigé"


def test_answer_and_claim_sentences():
    nb = qpage_nb()
    assert exercise.claim_sentences(nb) == ["le héron est grand", "le héron est très grand"]
    sentences = exercise.answer_sentences(nb, "docs/p.py", QPAGE)
    assert sentences == [
        "Le héron cendré se tient immobile au bord de l'eau pendant des heures : le héron est grand.",
        "le héron est grand",
        "La hauteur mesurée montre que le héron domine nettement les autres échassiers du marais.",
        "le héron est très grand",
        "Le héron garde le cou replié en vol, contrairement à la cigogne qui le tend.",
        "elle reste plus petite que le héron cendré du marais voisin.",  # the f-string's constant text
    ]
    assert "Cette conclusion générale reste visible dans l'énoncé, hors des sections." not in sentences


def test_markdown_sentences_are_read_as_rendered():
    text = (
        "Une phrase **en gras** avec un [lien](https://example.org) et du `code`\n"
        "à la fin. Suite de la même phrase sur une autre ligne, puis un point. Courte.\n"
        "\n"
        "- un élément de liste assez long pour compter comme une phrase\n"
        '- <span class="x">un autre élément</span> de liste, lui aussi assez long'
    )
    assert sitetext.markdown_sentences(text) == [
        "Une phrase en gras avec un lien et du code à la fin.",  # lines joined, marks and link targets out
        "Suite de la même phrase sur une autre ligne, puis un point.",
        "un élément de liste assez long pour compter comme une phrase",
        "un autre élément de liste, lui aussi assez long",
    ]


# --- the marking: what stops the build ---------------------------------------------------------------


def at_line(exact: str, occurrence: int = 1, before: int = 0):
    """``text -> line number`` of the ``occurrence``-th line equal to ``exact`` (minus ``before``)."""
    return lambda text: line_holding(text, exact, occurrence) - before


@pytest.mark.parametrize(
    ("edit", "message", "at"),
    [
        (  # a claim left in a kept cell (outside the sections, not tagged solution)
            lambda t: t.replace('# %% tags=["solution"]\nclaim(hauteur', "# %%\nclaim(hauteur"),
            "cellule gardée dans l'énoncé qui appelle claim()",
            at_line('claim(hauteur > 2, "le héron est grand")'),
        ),
        (  # an experiment cell that also claims, tagged enonce
            lambda t: t.replace(
                "# %%\nmesure = hauteur * 2\nprint(mesure)",
                '# %% tags=["enonce"]\nmesure = hauteur * 2\nclaim(mesure > 1, "haut")',
            ),
            "cellule « enonce » qui appelle claim()",
            at_line('claim(mesure > 1, "haut")'),
        ),
        (  # a "## Qn" heading in a cell that is not tagged question
            lambda t: t.replace(
                '# %% [markdown] tags=["question"]\n# <a id="q2"></a>', '# %% [markdown]\n# <a id="q2"></a>'
            ),
            "titre « ## Q2 — Une autre question » hors d'une cellule « question »",
            at_line("# ## Q2 — Une autre question"),
        ),
        (  # ... or written by a code cell
            lambda t: t.replace("aigrette = mesure - 1", 'aigrette = mesure - 1\nMarkdown("## Q3 — Cachée")'),
            "titre « ## Qn » écrit par une cellule de code",
            at_line("aigrette = mesure - 1", before=1),  # the marker of the code cell
        ),
        (  # the same question twice
            lambda t: t.replace("## Q2 — Une autre question", "## Q1 — Une autre question").replace(
                'id="q2"', 'id="q1"'
            ),
            "Q1 est déjà posée plus haut",
            at_line("# ## Q1 — Une autre question"),
        ),
        (  # no report number
            lambda t: t.replace("**Q8.2 Bonus** :", "**Bonus** :"),
            "Q2 ne donne pas son numéro du compte rendu",
            at_line("# ## Q2 — Une autre question"),
        ),
        (  # no anchor
            lambda t: t.replace('# <a id="q2"></a>\n', ""),
            'la cellule de Q2 commence par son ancre <a id="q2"></a>',
            at_line("# ## Q2 — Une autre question"),
        ),
        (  # a question cell without its heading
            lambda t: t.replace("# ## Q2 — Une autre question", "# ### Q2 — Une autre question"),
            "contient exactement un titre « ## Qn — … » (0 ici)",
            at_line('# %% [markdown] tags=["question"]', occurrence=2),
        ),
    ],
    ids=[
        "kept-claim",
        "enonce-claim",
        "heading-outside",
        "heading-in-code",
        "twice",
        "no-report-number",
        "no-anchor",
        "no-heading",
    ],
)
def test_a_marking_mistake_names_the_page_and_the_line(edit, message, at):
    text = edit(QPAGE)
    assert text != QPAGE
    with pytest.raises(exercise.ExerciseError) as caught:
        exercise.exercise(qpage_nb(text), "docs/p.py", text)
    error = caught.value
    assert message in str(error), str(error)
    assert error.line == at(text), (str(error), text.splitlines()[error.line - 1])
    assert str(error).startswith(f"docs/p.py, ligne {error.line} : ")


# --- the leak check, proven on a page -----------------------------------------------------------------

UNMARKED = (
    "# %% [markdown]\n# La hauteur mesurée montre que le héron domine nettement les autres échassiers du marais.\n",
    '# %% [markdown] tags=["enonce"]\n'
    "# La hauteur mesurée montre que le héron domine nettement les autres échassiers du marais.\n\n"
    '# %% tags=["remove-cell"]\n'
    'claim(mesure > 4, "le héron domine nettement les autres échassiers")\n',
)


def hand_out(text: str, folder: Path) -> list[Path]:
    """The exercise of a page as a site publishes it: its student notebook, and that notebook in HTML."""
    from nbconvert import HTMLExporter

    nb = exercise.exercise(qpage_nb(text), "docs/p.py", text, for_site=True)
    folder.mkdir(parents=True)
    notebook = folder / "p.ipynb"
    notebook.write_text(notebooks.student_ipynb(nb, Repo("https://github.com/o/r")))
    page = folder / "index.html"
    page.write_text(HTMLExporter(template_name="lab").from_notebook_node(nb)[0], encoding="utf-8")
    return [notebook, page]


def test_the_leak_check_finds_an_unmarked_answer(tmp_path):
    marked = hand_out(QPAGE, tmp_path / "marked")
    assert marked[1].read_text(encoding="utf-8").count("celltag_answer-box") == 2  # what the site's CSS styles
    sentences = exercise.answer_sentences(qpage_nb(), "docs/p.py", QPAGE)
    assert audit.find_leaks(sentences, marked) == {}
    # The author tags an interpretation « enonce »: the claim that guards it goes, its sentence stays.
    text = QPAGE.replace(*UNMARKED)
    assert text != QPAGE
    unmarked = hand_out(text, tmp_path / "unmarked")
    leaks = audit.find_leaks(exercise.answer_sentences(qpage_nb(text), "docs/p.py", text), unmarked)
    assert leaks == {"le héron domine nettement les autres échassiers": [str(p) for p in unmarked]}


def test_the_leak_check_reads_notebooks_and_html_as_rendered(tmp_path):
    """A sentence is found whatever its emphasis, line breaks, entities and tags in the file."""
    nb = qpage_nb(
        QPAGE.replace("# Cette conclusion générale reste visible", "# Cette **conclusion**\n# générale reste visible")
    )
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "n.ipynb").write_text(notebooks.student_ipynb(nb, Repo("https://github.com/o/r")))
    (folder / "p.html").write_text(
        "<p>Cette <strong>conclusion</strong>\ngénérale reste visible dans l&#x27;énoncé</p>"
    )
    (folder / "search_index.json").write_text(json.dumps({"docs": [{"text": "générale reste visible dans l’énoncé"}]}))
    sentence = "Cette conclusion générale reste visible dans l'énoncé"
    found = audit.find_leaks([sentence, "générale reste visible dans l'énoncé"], sorted(folder.iterdir()), folder)
    assert found == {
        sentence: ["n.ipynb", "p.html"],
        "générale reste visible dans l'énoncé": ["n.ipynb", "p.html", "search_index.json"],
    }


def test_a_comparison_is_not_taken_for_a_tag(tmp_path):
    """``p < 0.9`` in a notebook's code or prose hides nothing up to the next ``>``: the lines are found
    in the notebook (raw source) as in the HTML (escaped), and real tags and comments still go."""
    lines = ["while proba[cible] < 0.9:", "x = pas(x)  # p > 0.5 ensuite"]
    cell = {"cell_type": "code", "source": [lines[0] + "\n", "    " + lines[1] + "\n"]}
    (tmp_path / "n.ipynb").write_text(json.dumps({"cells": [cell]}))
    (tmp_path / "p.html").write_text(
        '<pre><code><span class="k">while</span> proba[cible] &lt; 0.9:<!-- a\ncomment -->\n'
        "    x = pas(x)  # p &gt; 0.5 ensuite</code></pre>"
    )
    found = audit.find_leaks(lines, sorted(tmp_path.iterdir()), tmp_path)
    assert found == {line: ["n.ipynb", "p.html"] for line in lines}
    assert sitetext.normalise("a<b et <em>c</em> > d <!-- x -->") == "a<b et c > d"


# --- no control characters ---------------------------------------------------------------------------

#: C0 control characters (and DEL) other than the newline: a TAB where "\t" of "\tilde" was meant, a CR.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def control_characters(text: str) -> list[str]:
    """``line n: repr`` of each line of ``text`` holding a control character other than the newline."""
    out = []
    for i, line in enumerate(text.split("\n")):
        found = sorted({f"U+{ord(c):04X}" for c in CONTROL.findall(line)})
        if found:
            out.append(f"ligne {i + 1} ({', '.join(found)}) : {line!r}")
    return out


def notebook_strings(text: str):
    """Every cell source and every string of a notebook's metadata (JSON decoded)."""
    nb = json.loads(text)
    for cell in nb["cells"]:
        source = cell["source"]
        yield "".join(source) if isinstance(source, list) else source
    yield json.dumps(nb["metadata"], ensure_ascii=False)


def test_control_characters_are_refused():
    assert control_characters("a\tb\nc") == ["ligne 1 (U+0009) : 'a\\tb'"]
    assert control_characters("x\r\ny\x1b") == ["ligne 1 (U+000D) : 'x\\r'", "ligne 2 (U+001B) : 'y\\x1b'"]
    assert control_characters("un\ndeux\n") == []


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "docs").glob("*.py")) + sorted((ROOT / "docs").glob("*.md")),
    ids=lambda p: p.name,
)
def test_no_control_character_in_the_pages(path):
    """No TAB anywhere (a "\\t" of LaTeX written in a normal string becomes one), no CR, no other C0."""
    bad = control_characters(path.read_text(encoding="utf-8"))
    assert not bad, f"docs/{path.name} : caractère de contrôle\n" + "\n".join(bad)


def test_no_control_character_in_the_generated_notebooks():
    read = pages.read_pages(ROOT / "docs")
    generated = notebooks.contents(read, project_repo())
    generated[variants.REPORT_NAME] = handout.report_notebook(
        [(page.title, found) for page, found in handout.course_questions(read)]
    )
    for committed in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        generated[f"committed {committed.relative_to(ROOT).as_posix()}"] = committed.read_text(encoding="utf-8")
    bad = {}
    for name, text in generated.items():
        for string in notebook_strings(text):
            found = control_characters(string)
            if found:
                bad.setdefault(name, []).extend(found)
    assert not bad, "\n".join(f"{name} : {lines}" for name, lines in bad.items())


# --- release by date ---------------------------------------------------------------------------------

RELEASE = datetime.date(2027, 1, 15)


@pytest.mark.parametrize(
    ("today", "shown"),
    [
        (datetime.date(2026, 9, 1), False),  # long before: the énoncés
        (datetime.date(2027, 1, 14), False),  # the day before
        (RELEASE, True),  # the day itself: the solutions
        (datetime.date(2027, 6, 1), True),  # after
    ],
)
def test_a_release_date_shows_the_solutions_from_that_day_on(today, shown):
    extra = {"tp8": {"solutions": RELEASE}}  # what YAML gives for `solutions: 2027-01-15`
    assert solutions.solutions_shown(extra, {}, today=today) is shown
    assert solutions.solutions_shown({"tp8": {"solutions": "2027-01-15"}}, {}, today=today) is shown
    assert solutions.solutions_shown({"tp8": {"solutions": True}}, {"TP8_SOLUTIONS": "2027-01-15"}, today) is shown


def test_the_release_day_is_the_day_in_the_configured_time_zone():
    late = datetime.datetime(2027, 1, 14, 23, 30, tzinfo=datetime.timezone.utc)  # 00:30 on the 15th in Paris
    paris = solutions.solutions_setting({"tp8": {"solutions": RELEASE}}, {})
    assert paris.timezone == "Europe/Paris" and paris.today(late) == RELEASE
    assert paris.shown(paris.today(late))
    montreal = solutions.solutions_setting({"tp8": {"solutions": RELEASE, "timezone": "America/Montreal"}}, {})
    assert montreal.today(late) == datetime.date(2027, 1, 14) and not montreal.shown(montreal.today(late))
    assert "fuseau Europe/Paris" in paris.describe(RELEASE)
    assert paris.describe(datetime.date(2027, 1, 14)).startswith("solutions masquées jusqu'au 2027-01-15")
    assert paris.describe(RELEASE).startswith("solutions publiées depuis le 2027-01-15")


def test_a_scheduled_build_publishes_while_a_release_date_is_today_or_to_come():
    setting = solutions.solutions_setting({"tp8": {"solutions": RELEASE}}, {})
    assert setting.release_due(datetime.date(2027, 1, 1)) and setting.release_due(RELEASE)
    assert not setting.release_due(datetime.date(2027, 1, 16))
    for fixed in (True, False):
        assert not solutions.solutions_setting({"tp8": {"solutions": fixed}}, {}).release_due(RELEASE)


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        ({"tp8": {"solutions": datetime.datetime(2027, 1, 15, 8, 0)}}, {}, "donnez une date sans heure"),
        ({"tp8": {"solutions": "2027-13-01"}}, {}, "ou une date AAAA-MM-JJ"),
        (
            {},
            {"TP8_SOLUTIONS": "15/01/2027"},
            "TP8_SOLUTIONS vaut '15/01/2027' : mettez true (solutions publiées) ou false",
        ),
        ({"tp8": {"timezone": "Europe/Lutece"}}, {}, "ce n'est pas un fuseau horaire connu"),
    ],
)
def test_a_bad_date_or_time_zone_says_what_to_write(extra, env, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        solutions.solutions_shown(extra, env, today=RELEASE)


def status_config(tmp_path: Path, solutions: str) -> Path:
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: essai\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n"
        f"extra:\n  tp8:\n    solutions: {solutions}\n",
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize(
    ("today", "publishes", "scheduled"),
    [
        (
            "2027-01-14",
            "les énoncés seuls, sans réponses ni corrigés ; les solutions à partir du 2027-01-15",
            "chaque jour jusqu'au 2027-01-15",
        ),
        ("2027-01-15", "les pages avec leurs réponses et les corrigés", "elle publie le site (aujourd'hui"),
        ("2027-01-16", "les pages avec leurs réponses et les corrigés", "rien à publier"),
    ],
)
def test_solutions_status_says_what_a_build_publishes(tmp_path, capsys, monkeypatch, today, publishes, scheduled):
    monkeypatch.delenv("TP8_SOLUTIONS", raising=False)
    config = status_config(tmp_path, "2027-01-15")
    output = tmp_path / "github-output"
    assert (
        site_notebooks.main(["solutions-status", "-f", str(config), "--today", today, "--github-output", str(output)])
        == 0
    )
    out = capsys.readouterr().out
    assert "Réglage : 2027-01-15 (extra.tp8.solutions, mkdocs.yml)" in out
    assert f"Aujourd'hui : {today} (fuseau horaire Europe/Paris)" in out
    assert f"Une construction faite maintenant publie : {publishes}" in out
    assert scheduled in out
    shown, due = today >= "2027-01-15", today <= "2027-01-15"
    assert output.read_text() == f"solutions={str(shown).lower()}\npublish={str(due).lower()}\n"


def test_solutions_status_reads_the_environment_first_and_follows_inherit(tmp_path, capsys, monkeypatch):
    base = status_config(tmp_path, "false")
    (tmp_path / "child.yml").write_text(f"INHERIT: {base.name}\nextra:\n  tp8:\n    timezone: Asia/Tokyo\n")
    monkeypatch.setenv("TP8_SOLUTIONS", "2030-05-01")
    assert site_notebooks.main(["solutions-status", "-f", str(tmp_path / "child.yml"), "--today", "2030-05-01"]) == 0
    out = capsys.readouterr().out
    assert "Réglage : 2030-05-01 (TP8_SOLUTIONS)" in out and "fuseau horaire Asia/Tokyo" in out
    monkeypatch.delenv("TP8_SOLUTIONS")
    assert site_notebooks.main(["solutions-status", "-f", str(tmp_path / "child.yml")]) == 0
    assert "les énoncés seuls, sans réponses ni corrigés." in capsys.readouterr().out
    monkeypatch.setenv("TP8_SOLUTIONS", "bientôt")
    assert site_notebooks.main(["solutions-status", "-f", str(base)]) == 2
    assert "TP8_SOLUTIONS vaut 'bientôt'" in capsys.readouterr().out


# --- Markdown pages: blocks and question lists --------------------------------------------------------

BLOCKS = """\
Avant. <!-- tp8:solutions -->Réponses en ligne.<!-- /tp8:solutions --><!-- tp8:enonce -->Énoncé seul.<!-- /tp8:enonce -->

<!-- tp8:solutions -->
## Corrigé

Un paragraphe.
<!-- /tp8:solutions -->
Après.
"""


def test_solution_and_enonce_blocks_follow_the_switch():
    assert (
        handout.select_blocks(BLOCKS, True) == "Avant. Réponses en ligne.\n\n\n## Corrigé\n\nUn paragraphe.\n\nAprès.\n"
    )
    assert handout.select_blocks(BLOCKS, False) == "Avant. Énoncé seul.\n\n\nAprès.\n"
    assert handout.select_blocks("Rien.", False) == "Rien."


def test_markers_in_code_are_examples():
    text = (
        "Écrivez `<!-- tp8:enonce -->` puis `<!-- /tp8:enonce -->`.\n\n"
        "```markdown\n<!-- tp8:solutions -->\n<!-- tp8:questions p.py -->\n```\n"
    )
    assert handout.select_blocks(text, True) == handout.select_blocks(text, False) == text
    assert handout.expand_questions(text, {}.get, False) == text
    assert handout.select_blocks((ROOT / "docs" / "enseignants.md").read_text(encoding="utf-8"), False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\n<!-- tp8:solutions -->b", "q.md, ligne 2 : <!-- tp8:solutions --> sans <!-- /tp8:solutions -->"),
        ("<!-- /tp8:enonce -->", "q.md, ligne 1 : <!-- /tp8:enonce --> sans <!-- tp8:enonce --> avant lui"),
        ("<!-- tp8:enonce -->\n<!-- tp8:solutions -->", "q.md, ligne 2 : <!-- tp8:solutions --> dans le bloc"),
        ("<!-- tp8:enonce --><!-- /tp8:solutions -->", "<!-- /tp8:solutions --> sans <!-- tp8:solutions -->"),
    ],
)
def test_an_unbalanced_block_names_the_page_and_the_line(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        handout.select_blocks(text, True, "q.md")


def test_the_question_list_links_to_answers_only_with_the_solutions():
    found = exercise.questions(qpage_nb(), "docs/p.py", QPAGE)
    page = "# Questions\n\n<!-- tp8:questions p.py -->\n\nFin.\n"
    with_solutions = handout.expand_questions(page, {"p.py": found}.get, True)
    without = handout.expand_questions(page, {"p.py": found}.get, False)
    for text in (with_solutions, without):
        assert "### Q1 ★ — Ce que montrent les hérons\n\nObservez les hérons et interprétez leur posture." in text
        assert "### Q2 Bonus — Une autre question" in text and "Numéro dans le compte rendu : **Q8.2**." in text
        assert text.endswith("\n\nFin.\n")
    assert "[Réponse →](p.py#q1)" in with_solutions and "Réponse" not in without
    assert "[La question dans l'énoncé →](p.py#q1)" in without
    with pytest.raises(ValueError, match=re.escape("q.md, ligne 3 : <!-- tp8:questions p.py --> : aucune question")):
        handout.expand_questions(page, {}.get, True, "q.md")


def test_the_hook_fills_the_markdown_pages(monkeypatch):
    from types import SimpleNamespace

    import site_hooks
    from mkdocs.exceptions import PluginError

    found = exercise.questions(qpage_nb(), "docs/p.py", QPAGE)
    build = SimpleNamespace(
        show_solutions=False, questions={"parts/p.py": ("Partie 9", found)}, pages={}, photos=[], edition="fr"
    )
    monkeypatch.setattr(site_hooks, "_build", build)
    config = {"docs_dir": "/x/docs"}

    class Page:
        def __init__(self, src_uri):
            self.file = type("F", (), {"src_uri": src_uri})()

    text = "<!-- tp8:solutions -->caché<!-- /tp8:solutions -->\n<!-- tp8:questions p.py -->\n"
    out = site_hooks.on_page_markdown(text, Page("parts/questions.md"), config, None)
    assert "caché" not in out and "[La question dans l'énoncé →](p.py#q2)" in out
    with pytest.raises(PluginError, match=re.escape("docs/questions.md, ligne 2")):
        site_hooks.on_page_markdown(text, Page("questions.md"), config, None)  # p.py is not next to it


def test_links_to_the_report_template_are_made_relative_to_the_built_page():
    nb = qpage_nb()
    assert variants.link_to_root(nb, "") is nb  # the home page: already right
    moved = variants.link_to_root(nb, "partie-9/")
    assert "[modèle de compte rendu](../compte-rendu-tp8.ipynb)" in moved.cells[0].source
    assert "](compte-rendu-tp8.ipynb)" in nb.cells[0].source  # the page itself is left as it is
    assert variants.link_to_root(nb, "a/b/").cells[0].source.count("../../compte-rendu-tp8.ipynb") == 1
    assert [c.source for c in moved.cells[1:]] == [c.source for c in nb.cells[1:]]


# --- the report template -----------------------------------------------------------------------------


def test_the_report_template_has_one_heading_per_question_and_an_empty_cell_under_each():
    found = exercise.questions(qpage_nb(), "docs/p.py", QPAGE)
    text = handout.report_notebook([("Partie 9 — Les hérons", found)])
    assert text == handout.report_notebook([("Partie 9 — Les hérons", found)])  # deterministic
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    sources = [c.source for c in nb.cells]
    assert all(c.cell_type == "markdown" for c in nb.cells)
    assert sources[0].startswith("# Compte rendu — TP 8 : visualisation des réseaux de neurones")
    assert "répond aux questions marquées ★ (Q8.1)" in sources[0] and "dont les bonus (Q8.2)" in sources[0]
    assert sources[1] == "# Partie 9 — Les hérons"
    assert sources[2] == "## Q8.1 ★ — Ce que montrent les hérons\n\nObservez les hérons et interprétez leur posture."
    assert sources[3] == "" and nb.cells[3].metadata["tags"] == [exercise.ANSWER_BOX_TAG]
    assert sources[4].startswith("## Q8.2 Bonus — Une autre question\n\ncomparez le héron")
    assert sources[5] == ""
    assert sources[6].startswith("## Avancement\n") and sources[7] == ""
    assert sources[8].startswith("## Remarques\n") and sources[9] == ""
    assert len(sources) == 10


# --- the course's questions --------------------------------------------------------------------------


def test_the_course_asks_each_question_once_in_order_with_its_text():
    """Whatever questions the course asks (an instructor adds or removes some): each once, in order."""
    found = handout.course_questions(pages.read_pages(ROOT / "docs"))
    every = [q for _page, qs in found for q in qs]
    assert every, "the course asks no question"
    numbers = [q.number for q in every]
    assert numbers == sorted(set(numbers))
    for q in every:
        assert len(q.text) >= 20, f"Q{q.number} : la question elle-même manque"
        assert q.title and len(q.title) <= 80, f"Q{q.number} : {q.title!r}"
        assert not (q.star and q.bonus), f"Q{q.number} : étoilée et bonus à la fois"


def _question_page(name: str, numbers: list[int]) -> str:
    cells = "".join(
        f'\n# %% [markdown] tags=["question"]\n# <a id="q{n}"></a>\n# ## Q{n} — Une question\n#\n'
        f"# **Q8.{n}** Que montre la figure {n} de cette page ?\n\n# %% [markdown]\n# Une réponse.\n"
        for n in numbers
    )
    header = PAGE[: PAGE.index("# %% [markdown]")]  # the jupytext header
    return header + f"# %% [markdown]\n# # {name}\n" + cells


def _asked(tmp_path, **pages_numbers) -> list:
    for name, numbers in pages_numbers.items():
        (tmp_path / f"{name}.py").write_text(_question_page(name, numbers), encoding="utf-8")
    return handout.course_questions(pages.read_pages(tmp_path))


def test_the_build_refuses_questions_out_of_order_or_asked_twice_naming_page_and_line(tmp_path):
    assert [[q.number for q in qs] for _p, qs in _asked(tmp_path, b=[4, 5], a=[1, 2, 3])] == [[1, 2, 3], [4, 5]]
    (tmp_path / "b.py").unlink()
    with pytest.raises(ValueError, match=r"a\.py, ligne \d+ : Q2 vient après Q3 \(ligne \d+\)"):
        _asked(tmp_path, a=[1, 3, 2])
    with pytest.raises(ValueError, match=r"Q3 est posée deux fois : \S+/a\.py, ligne \d+, et \S+/b\.py, ligne \d+"):
        _asked(tmp_path, a=[1, 3], b=[3, 4])
    with pytest.raises(ValueError, match=r"b\.py, ligne \d+ : Q2 tombe entre les questions de \S+/a\.py \(Q1 à Q4\)"):
        _asked(tmp_path, a=[1, 4], b=[2])
    assert [q.number for _p, qs in _asked(tmp_path, a=[1, 2], b=[5, 7]) for q in qs] == [1, 2, 5, 7]  # gaps: fine


def test_what_the_markdown_pages_say_of_the_questions_follows_the_questions(tmp_path):
    found = _asked(tmp_path, a=[1, 2, 3], b=[4, 12])
    parts = [(f"{page.stem}.py", page.title, qs) for page, qs in found]
    facts = handout.question_facts(parts)
    assert facts["count"] == "cinq" and facts["first"] == "Q8.1" and facts["last"] == "Q8.12"
    assert facts["anchors"] == "`q1` à `q3` dans [a](a.py) et `q4` à `q12` dans [b](b.py)"
    text = "Le TP pose <!-- tp8:question-count --> questions, `<!-- tp8:question-count -->` reste (du code)."
    assert (
        handout.expand_facts(text, facts) == "Le TP pose cinq questions, `<!-- tp8:question-count -->` reste (du code)."
    )
    with pytest.raises(ValueError, match=r"page, ligne 2 : <!-- tp8:question-nombre --> inconnu"):
        handout.expand_facts("un\n<!-- tp8:question-nombre -->", facts)


def test_the_projects_markdown_pages_name_no_question_by_hand():
    """Every list or count of the questions in a Markdown page is generated (an added question changes it)."""
    text = (ROOT / "docs" / "questions.md").read_text(encoding="utf-8")
    listed = re.findall(r"^<!-- tp8:questions (\S+) -->$", text, flags=re.M)
    asking = [f"{page.stem}.py" for page, _qs in handout.course_questions(pages.read_pages(ROOT / "docs"))]
    assert listed == asking
    assert "[modèle de compte rendu](compte-rendu-tp8.ipynb)" in text
    handout.select_blocks(text, True) and handout.select_blocks(text, False)  # balanced
    assert "Réponse" not in handout.select_blocks(text, False)
    for page in ["questions.md", "enseignants.md", "index.py", *asking]:
        prose = re.sub(
            r"`[^`\n]*`|^#?\s*\*\*Q8\.\d+[^*]*\*\*.*$|<a id=\"q\d+\"></a>|^#?\s*## Q\d+ — .*$",
            "",
            (ROOT / "docs" / page).read_text(encoding="utf-8"),
            flags=re.M,
        )
        assert not re.search(r"\bQ8\.\d+ à Q8\.\d+|\bonze questions\b|\bQ8\.1 à\b", prose), page


def test_a_sentence_a_page_published_whole_also_writes_is_not_a_secret():
    """With the solutions hidden, the build's audit leaves out what a page without exercises (published
    whole whatever the switch) also writes: two pages that word a measurement alike are no leak."""
    answer = "dans les motifs de moins de 4 pixels, contre"
    secret = "le héron domine nettement les autres échassiers de la photo"
    whole = ['md(f"{pct(a)} de leur énergie dans les motifs  de moins de 4 pixels, contre " + pct(b))']
    assert audit.not_public([answer, secret], whole) == [secret]
    assert audit.not_public([answer, secret], []) == [answer, secret]


# --- a page published with the solutions (``tp8: with_solutions``) ------------------------------------

HELD = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tp8:
#     min_figures: 1
#     with_solutions: true
# ---

# %% [markdown]
# # Au-delà des réponses : ce que la suite du TP montre
#
# Cette page prolonge la réponse : le martin-pêcheur plonge depuis une branche basse pour pêcher.
"""


def held_page(text: str = HELD):
    return pages.parse_page(Path("/d/docs/suite.py"), Path("/d/docs"), text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [("#     with_solutions: true", True), ("#     with_solutions: false", False), ("", False)],
)
def test_the_with_solutions_header_is_read(line, expected):
    text = (
        HELD.replace("#     with_solutions: true", line) if line else HELD.replace("#     with_solutions: true\n", "")
    )
    assert held_page(text).with_solutions is expected


@pytest.mark.parametrize("value", ["oui", "1", "2027-01-15"])
def test_a_bad_with_solutions_value_is_refused_naming_the_page_and_the_line(value):
    with pytest.raises(exercise.ExerciseError) as caught:
        held_page(HELD.replace("with_solutions: true", f"with_solutions: {value}"))
    message = str(caught.value)
    assert message.startswith("docs/suite.py, ligne 11 : l'en-tête « tp8: with_solutions » vaut "), message
    assert "mettez true" in message


def test_with_solutions_on_a_page_with_exercises_is_refused():
    text = QPAGE.replace("# ---\n\n", "#   tp8:\n#     with_solutions: true\n# ---\n\n", 1)
    with pytest.raises(exercise.ExerciseError, match=r"docs/p\.py, ligne \d+ : « tp8: with_solutions: true » est pour"):
        pages.parse_page(Path("/d/docs/p.py"), Path("/d/docs"), text)


def test_the_notice_of_a_held_page_says_when_it_appears():
    page = held_page()
    dated = sitetext.page_text(variants.held_notice(page, datetime.date(2027, 1, 15)))
    assert dated.startswith("# Au-delà des réponses : ce que la suite du TP montre\n\n")
    assert "Cette page accompagne les corrigés du TP : elle paraîtra avec eux, le 2027-01-15." in dated
    undated = sitetext.page_text(variants.held_notice(page, None))
    assert undated.endswith("elle paraîtra avec eux, quand votre enseignant publiera les corrigés.")
    assert "martin-pêcheur" not in dated + undated


def test_a_held_pages_sentences_are_secrets_but_its_title():
    """Its Markdown, what its run displays and claims; not its title, which the notice shows."""
    page = held_page()
    nb = nbformat.v4.new_notebook(cells=list(page.nb.cells), metadata={"tp8_build": {"claims": ["court", "x" * 45]}})
    nb.cells.append(nbformat.v4.new_code_cell("md(texte)"))
    said = "Le calcul le montre : la mouette rieuse niche sur les étangs de la Dombes."
    nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", {"text/markdown": said})]
    found = audit.held_secrets(nb, variants.held_notice(page, None))
    assert found == [
        "Cette page prolonge la réponse : le martin-pêcheur plonge depuis une branche basse pour pêcher.",
        said,
        "x" * 45,
    ]
