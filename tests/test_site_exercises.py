"""The exercise notebooks generated from the pages (tools/site_exercises.py), without running them.

Solution regions become stubs at their indentation, solution cells go, a notice follows each
exercise; a misplaced marker names the page and the line of its ``.py``; the markers survive a
jupytext round trip; the committed ``notebooks/exercices/`` are up to date and hold no solution
line; the instructor's switch reads ``mkdocs.yml`` and ``TP8_SOLUTIONS``.
(Executing them is tests/site/test_exercises.py's job.)
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import site_exercises  # noqa: E402
import site_notebooks  # noqa: E402

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
# La réponse rédigée : le cormoran.

# %%
valeur_publique = 1
"""


def page_nb(text: str = PAGE):
    return jupytext.reads(text, fmt="py:percent")


def exercise(text: str = PAGE, **kwargs):
    return site_exercises.exercise(page_nb(text), "docs/exo.py", text, **kwargs)


def code(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


# --- the transformation ------------------------------------------------------------------------


def test_regions_become_stubs_at_their_indentation():
    out = exercise()
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
    out = exercise()
    dumped = nbformat.writes(out)
    for line in site_exercises.solution_lines(page_nb(), "docs/exo.py"):
        assert line not in dumped, line
    assert "cormoran" not in dumped and "BEGIN SOLUTION" not in dumped and "END SOLUTION" not in dumped
    assert "valeur_publique = 1" in code(out)


def test_a_notice_follows_each_exercise_cell_and_names_its_function():
    out = exercise()
    index = next(i for i, c in enumerate(out.cells) if "def double_du_gradient" in c.source)
    notice = out.cells[index + 1]
    assert notice.cell_type == "markdown" and site_exercises.NOTICE_TAG in notice.metadata["tags"]
    assert 'class="admonition example"' in notice.source and "À vous de jouer" in notice.source
    assert "<code>double_du_gradient</code>" in notice.source
    assert "la suivante, qui vérifie votre réponse" in notice.source  # the next code cell is a check
    assert sum(site_exercises.NOTICE_TAG in c.metadata.get("tags", []) for c in out.cells) == 1


def test_check_cells_are_skipped_on_the_site_only():
    for_students = exercise()
    for_site = exercise(for_site=True)
    check_cell = [c for c in for_students.cells if "check" in c.metadata.get("tags", [])]
    site_cell = [c for c in for_site.cells if "check" in c.metadata.get("tags", [])]
    assert check_cell and "skip-execution" not in check_cell[0].metadata["tags"]
    assert site_cell and "skip-execution" in site_cell[0].metadata["tags"]


def test_the_page_itself_is_left_unchanged():
    nb = page_nb()
    before = nbformat.writes(nb)
    site_exercises.exercise(nb, "docs/exo.py", PAGE)
    assert nbformat.writes(nb) == before


def test_solution_lines_lists_regions_and_solution_cells():
    lines = site_exercises.solution_lines(page_nb())
    assert lines == [
        "total_cache = total + 2 * k",
        "reponse_cachee = total_cache * 2",
        "return reponse_cachee",
        'phrase_secrete = "le cormoran niche sur la falaise"',
        "La réponse rédigée : le cormoran.",
    ]


def test_a_page_without_markers_has_no_exercise():
    text = PAGE.replace("### BEGIN SOLUTION indice : une boucle suffit.\n", "").replace("### END SOLUTION\n", "")
    text = text.replace("### BEGIN SOLUTION\n", "").replace(' tags=["solution"]', "")
    text = re.sub(r"\n *\n *\n", "\n\n", text)
    assert not site_exercises.has_exercises(page_nb(text))
    assert site_exercises.has_exercises(page_nb())


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
    with pytest.raises(site_exercises.ExerciseError) as caught:
        site_exercises.exercise(page_nb(text), "docs/exo.py", text)
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
    regions = site_exercises.solution_regions(nb, "a")
    assert site_exercises.solution_regions(back, "b") == regions

    def cells(notebook):
        return [(c.cell_type, c.source, c.metadata) for c in site_exercises.exercise(notebook).cells]

    assert cells(back) == cells(nb)


@pytest.mark.parametrize("part", PARTS)
def test_the_parts_markers_survive_a_jupytext_round_trip(part):
    text = (ROOT / "docs" / f"{part}.py").read_text(encoding="utf-8")
    nb = page_nb(text)
    back = jupytext.reads(jupytext.writes(nb, fmt="ipynb"), fmt="ipynb")
    assert site_exercises.solution_lines(back) == site_exercises.solution_lines(nb) != []
    again = page_nb(jupytext.writes(back, fmt="py:percent"))
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]


# --- the course's own exercises ------------------------------------------------------------------


def identifiers(line: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line))


@pytest.mark.parametrize("part", PARTS)
def test_each_part_has_an_exercise_used_by_its_first_figure(part):
    source = ROOT / "docs" / f"{part}.py"
    nb = page_nb(source.read_text(encoding="utf-8"))
    regions = site_exercises.solution_regions(nb, part, source.read_text(encoding="utf-8"))
    assert regions and all(r.function for r in regions), "an exercise is a function the student writes"
    codes = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    checks = [i for i, c in codes if site_exercises.CHECK_TAG in c.metadata.get("tags", [])]
    first_figure = next(i for i, c in codes if re.search(r"\bshow\(", c.source))
    assert checks and max(r.cell for r in regions) < min(checks) < first_figure
    assert "tp8.checks.use(" in nb.cells[first_figure].source, "the first figure uses the student's function"


@pytest.mark.parametrize("part", PARTS)
def test_solution_lines_use_names_found_nowhere_else(part):
    """What makes the search of the built site for solution lines meaningful."""
    text = (ROOT / "docs" / f"{part}.py").read_text(encoding="utf-8")
    nb = page_nb(text)
    lines = site_exercises.solution_lines(nb)
    exercise_text = nbformat.writes(site_exercises.exercise(nb, part, text))
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
    assert nb.cells[0].metadata.get("tags") == [site_notebooks.INSTALL_TAG]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    every = "\n".join(c.source for c in nb.cells)
    source = page_nb((ROOT / "docs" / f"{part}.py").read_text(encoding="utf-8"))
    for line in site_exercises.solution_lines(source):
        assert line not in every, f"solution line in the exercise: {line}"
    assert "raise NotImplementedError()" in every and "À vous de jouer" in every
    for cell in nb.cells[1:]:
        if cell.cell_type == "code":
            ast.parse(cell.source)


def test_committed_student_notebooks_are_up_to_date():
    repo, docs_dir = site_notebooks._load_repo(ROOT / "mkdocs.yml")
    changed, stale = site_notebooks.sync_student_notebooks(ROOT, docs_dir, repo, "check")
    assert not changed and not stale, f"run `make notebooks` and commit notebooks/: {changed + stale}"
    written = site_notebooks.student_contents(docs_dir, repo)
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
    assert site_notebooks.solutions_shown(extra, env) is shown


def test_a_bad_switch_value_says_what_to_write():
    with pytest.raises(ValueError, match="TP8_SOLUTIONS vaut 'peut-être' : mettez true"):
        site_notebooks.solutions_shown({}, {"TP8_SOLUTIONS": "peut-être"})
    with pytest.raises(ValueError, match=r"extra: tp8: solutions: \(mkdocs.yml\) vaut '2'"):
        site_notebooks.solutions_shown({"tp8": {"solutions": 2}}, {})


def test_the_switch_is_on_in_the_projects_configuration():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    assert config["extra"]["tp8"]["solutions"] is True


def test_the_switch_does_not_enter_the_execution_cache_key():
    env = {"TP8_WEIGHTS_DIR": "/nowhere", "PATH": "/bin"}
    facts = site_notebooks.environment_facts(env)
    assert site_notebooks.environment_facts({**env, "TP8_SOLUTIONS": "0"}) == facts


def test_the_exercise_has_its_own_cache_key_and_a_page_without_exercise_keeps_its_own():
    settings = site_notebooks.ExecSettings()
    nb = page_nb()
    assert site_notebooks.cache_key(exercise(for_site=True), "env", settings) != site_notebooks.cache_key(
        nb, "env", settings
    )
    plain = page_nb((ROOT / "docs" / "index.py").read_text(encoding="utf-8"))
    assert not site_exercises.has_exercises(plain)
    same = site_exercises.exercise(plain, "docs/index.py", for_site=True)
    assert site_notebooks.cache_key(same, "env", settings) == site_notebooks.cache_key(plain, "env", settings)
