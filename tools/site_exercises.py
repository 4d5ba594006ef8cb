"""The exercise version of a course page: its solutions taken out, in nbgrader's words.

A page marks what the student must write with nbgrader's delimiters, inside code cells::

    def carte_de_saillance(modele, images, classes):
        \"\"\"…\"\"\"
        ### BEGIN SOLUTION
        gradient_saillance = …
        ### END SOLUTION
        return …

(text after ``### BEGIN SOLUTION`` is the hint shown to the student). A cell tagged
``solution`` is a solution as a whole; a cell tagged ``check`` runs a self-check
(:mod:`tp8.checks`). :func:`exercise` turns the page into its exercise: each region becomes
``# À VOUS : <hint>`` and ``raise NotImplementedError()`` at the region's indentation, the
solution cells go, and an "À vous de jouer" notice follows each cell that holds an exercise.
A marker without its pair, a nested ``BEGIN``, a misspelt marker or a marker in a Markdown cell
raises :class:`ExerciseError`, naming the page and the line of the ``.py``.

Only jupytext and nbformat are used (no nbgrader: it would pull in a notebook server).
``site_notebooks`` builds the students' ``notebooks/exercices/*.ipynb`` and the site's exercise
pages with it.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_TAG = "solution"
CHECK_TAG = "check"
NOTICE_TAG = "exercise-notice"
#: nbclient's tag for cells it must not run (the site's exercise pages do not run their checks).
SKIP_TAG = "skip-execution"

_MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION")
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)\s*\(")


class ExerciseError(ValueError):
    """A solution marker that cannot be turned into an exercise."""

    def __init__(self, label: str, line: int | None, message: str, cell: int | None = None):
        self.label, self.line, self.cell, self.reason = label, line, cell, message
        if line is not None:
            where = f"{label}, ligne {line}"
        elif cell is not None:
            where = f"{label}, cellule n° {cell + 1}"
        else:
            where = label
        super().__init__(f"{where} : {message}")


@dataclass(frozen=True)
class Region:
    """The lines of a code cell between ``### BEGIN SOLUTION`` and ``### END SOLUTION``."""

    cell: int  # index of the cell among the page's cells
    begin: int  # index of the BEGIN line in the cell's lines
    end: int  # index of the END line
    indent: str
    hint: str  # "" when the page gives none
    function: str | None  # the function the region is in, if any
    line: int | None  # line of BEGIN in the .py


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _marker_lines_of_source(source_text: str | None) -> list[int]:
    """Lines (1-based) of the ``.py`` that hold a marker word, in order."""
    if source_text is None:
        return []
    return [i + 1 for i, text in enumerate(source_text.splitlines()) if any(w in text for w in _MARKER_WORDS)]


def _enclosing_function(lines: list[str], index: int, indent: str) -> str | None:
    for text in reversed(lines[:index]):
        match = _DEF.match(text)
        if match and len(match.group(1)) < len(indent):
            return match.group(2)
    return None


def solution_regions(nb, label: str, source_text: str | None = None) -> list[Region]:
    """Every solution region of a page, checked; :class:`ExerciseError` on a misplaced marker.

    ``source_text`` (the page's ``.py``) gives the line numbers of the messages.
    """
    py_lines = _marker_lines_of_source(source_text)
    seen = 0  # marker lines met so far, in the order of the .py

    def line_of(k: int) -> int | None:
        return py_lines[k] if k < len(py_lines) else None

    regions: list[Region] = []
    for index, cell in enumerate(nb.cells):
        lines = cell.source.splitlines()
        open_at: tuple[int, str, str, int] | None = None  # (line index, indent, hint, marker rank)
        for i, text in enumerate(lines):
            if not any(w in text for w in _MARKER_WORDS):
                continue
            rank, seen = seen, seen + 1
            if cell.cell_type != "code":
                raise ExerciseError(
                    label,
                    line_of(rank),
                    f"marqueur de solution dans une cellule {'Markdown' if cell.cell_type == 'markdown' else cell.cell_type} "
                    f"(« {text.strip()} ») : les solutions ne vont que dans les cellules de code ; pour cacher un "
                    f"texte, étiquetez sa cellule « {SOLUTION_TAG} »",
                    index,
                )
            stripped = text.strip()
            if stripped.startswith(BEGIN):
                if open_at is not None:
                    raise ExerciseError(
                        label,
                        line_of(rank),
                        f"« {BEGIN} » imbriqué : celui de la ligne {line_of(open_at[3]) or '?'} n'est pas encore "
                        f"fermé par « {END} »",
                        index,
                    )
                indent = text[: len(text) - len(text.lstrip())]
                hint = stripped[len(BEGIN) :].strip().lstrip(":—–-").strip()
                open_at = (i, indent, hint, rank)
            elif stripped.startswith(END):
                if open_at is None:
                    raise ExerciseError(
                        label, line_of(rank), f"« {END} » sans « {BEGIN} » avant lui dans la cellule", index
                    )
                begin, indent, hint, begin_rank = open_at
                if not any(t.strip() for t in lines[begin + 1 : i]):
                    raise ExerciseError(
                        label, line_of(begin_rank), "aucune ligne de solution entre les deux marqueurs", index
                    )
                regions.append(
                    Region(
                        index, begin, i, indent, hint, _enclosing_function(lines, begin, indent), line_of(begin_rank)
                    )
                )
                open_at = None
            else:
                raise ExerciseError(
                    label,
                    line_of(rank),
                    f"marqueur mal écrit (« {stripped} ») : écrivez exactement « {BEGIN} » ou « {END} », en "
                    "tête de leur ligne, comme nbgrader",
                    index,
                )
        if open_at is not None:
            raise ExerciseError(
                label,
                line_of(open_at[3]),
                f"« {BEGIN} » sans « {END} » dans la même cellule",
                index,
            )
    return regions


def has_exercises(nb, label: str = "page", source_text: str | None = None) -> bool:
    """Whether the page holds a solution region or a cell tagged ``solution``."""
    return bool(solution_regions(nb, label, source_text)) or any(SOLUTION_TAG in _tags(c) for c in nb.cells)


def solution_lines(nb, label: str = "page") -> list[str]:
    """The text of every solution line of a page (regions and ``solution`` cells), stripped."""
    out = []
    for region in solution_regions(nb, label):
        out.extend(nb.cells[region.cell].source.splitlines()[region.begin + 1 : region.end])
    for cell in nb.cells:
        if SOLUTION_TAG in _tags(cell):
            out.extend(cell.source.splitlines())
    return [text.strip() for text in out if text.strip()]


def _stub(region: Region) -> list[str]:
    if region.hint:
        hint = region.hint
    elif region.function:
        hint = "complétez cette fonction (sa docstring dit ce qu'elle reçoit et ce qu'elle doit renvoyer)."
    else:
        hint = "écrivez ici le code qui manque."
    return [f"{region.indent}# À VOUS : {hint}", f"{region.indent}raise NotImplementedError()"]


def _notice(functions: list[str], checked: bool) -> str:
    names = [f"<code>{html.escape(f)}</code>" for f in functions]
    what = " et ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else (names[0] if names else "le code")
    then = (
        "puis la suivante, qui vérifie votre réponse et dit ce qui ne va pas"
        if checked
        else "puis continuez : la suite du notebook s'en sert"
    )
    return (
        '<div class="admonition example"><p class="admonition-title">À vous de jouer</p>\n'
        f"<p>Complétez {what} ci-dessus : remplacez les lignes <code># À VOUS</code> et "
        f"<code>raise NotImplementedError()</code> par votre code, exécutez la cellule, {then}.</p></div>"
    )


def exercise(nb, label: str = "page", source_text: str | None = None, *, for_site: bool = False):
    """The exercise version of a page (a new notebook; ``nb`` is left as it is).

    Solution regions become stubs, ``solution`` cells are dropped, and a Markdown notice follows
    each exercise cell. ``for_site=True`` also tags the ``check`` cells ``skip-execution``, so
    that the site's build of the exercise does not run them (their stubs are not written).
    """
    import nbformat.v4

    regions = solution_regions(nb, label, source_text)
    by_cell: dict[int, list[Region]] = {}
    for region in regions:
        by_cell.setdefault(region.cell, []).append(region)
    out = copy.deepcopy(nb)
    cells = []
    for index, cell in enumerate(out.cells):
        tags = _tags(cell)
        if SOLUTION_TAG in tags:
            continue
        if for_site and CHECK_TAG in tags and SKIP_TAG not in tags:
            cell.setdefault("metadata", {})["tags"] = [*tags, SKIP_TAG]
        cells.append(cell)
        if index not in by_cell:
            continue
        lines = cell.source.splitlines()
        for region in sorted(by_cell[index], key=lambda r: r.begin, reverse=True):
            lines[region.begin : region.end + 1] = _stub(region)
        cell.source = "\n".join(lines)
        if cell.get("cell_type") == "code":
            cell.outputs = []
            cell.execution_count = None
        functions = list(dict.fromkeys(r.function for r in by_cell[index] if r.function))
        following = next((c for c in out.cells[index + 1 :] if c.cell_type == "code"), None)
        checked = following is not None and CHECK_TAG in _tags(following)
        notice = nbformat.v4.new_markdown_cell(_notice(functions, checked), metadata={"tags": [NOTICE_TAG]})
        notice["id"] = f"tp8-exercise-notice-{index}"  # deterministic (nbformat would draw a random one)
        cells.append(notice)
    out.cells = cells
    return out


def exercise_from_source(source: Path, label: str | None = None, *, for_site: bool = False):
    """:func:`exercise` of a jupytext ``.py`` page."""
    import jupytext

    source = Path(source)
    text = source.read_text(encoding="utf-8")
    return exercise(jupytext.reads(text, fmt="py:percent"), label or source.name, text, for_site=for_site)
