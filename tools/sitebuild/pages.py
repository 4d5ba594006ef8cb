"""The notebook pages, each found and read once per build.

A notebook page is a jupytext percent-format ``.py`` file under ``docs/`` whose header declares a
kernel. :func:`read_page` opens it once and parses it once; everything the other stages need of it
comes from the :class:`Page` it returns: the notebook, the line of each cell in the ``.py`` (the one
numbering of every message), the title, the solution regions and the answer marking
(:mod:`exercise`), and its header's ``tp8: with_solutions`` (:func:`with_solutions`). The pages are
never read again during the build: the worker executes the notebook the build wrote for it
(:mod:`cache`), the hand-out and the students' notebooks are made from the parsed page
(:mod:`variants`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from . import exercise

#: Folders of ``docs/`` that never hold pages (theme overrides), and hidden ones.
_SKIPPED = ("overrides",)


def is_notebook_text(text: str) -> bool:
    """A jupytext header that declares a kernel."""
    head = text[:4000]
    return head.startswith("# ---") and "kernelspec:" in head


@dataclass(frozen=True, eq=False)
class Page:
    """One notebook page, as read (its notebook is never modified: every variant is a copy)."""

    path: Path  # absolute
    src_uri: str  # relative to docs/, '/'-separated: partie-1-saillance.py
    label: str  # docs/partie-1-saillance.py: how messages name it
    text: str
    nb: object  # nbformat.NotebookNode, as jupytext parsed it
    cell_lines: tuple[int, ...] | None  # line of each cell's "# %%" marker in the .py
    title: str | None
    regions: tuple[exercise.Region, ...]
    marking: exercise.Marking
    with_solutions: bool = False  # tp8: with_solutions: published with the solutions only (held back before)
    facts: dict = field(default_factory=dict, compare=False)  # anything a stage caches on the page

    @property
    def stem(self) -> str:
        """A file-name-safe name of the page (``partie-1-saillance``, ``sub__page`` in a folder)."""
        return self.src_uri[: -len(".py")].replace("/", "__")

    @property
    def questions(self) -> tuple[exercise.Question, ...]:
        return self.marking.questions

    @property
    def has_exercises(self) -> bool:
        """Whether its énoncé differs from it (:func:`exercise.has_exercises`)."""
        return bool(self.regions or self.marking.answers or self.marking.questions)

    def line_of(self, cell: int, line: int = 0) -> int | None:
        """The line of the ``.py`` holding line ``line`` (0-based) of cell ``cell``'s source (the line
        after its marker for line 0), or None when the cells cannot be matched with the markers."""
        if self.cell_lines is None or not 0 <= cell < len(self.cell_lines):
            return None
        return self.cell_lines[cell] + 1 + max(0, line)


def _title(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for level, _line, text in exercise._headings(cell.source):
                if level == 1:
                    return text
    return None


def with_solutions(page: Page) -> bool:
    """The header's ``tp8: with_solutions`` (default false): the page goes with the corrigés, and a
    build that hides them shows a notice in its place (:func:`variants.held_notice`). Anything but
    true or false, or true on a page that has its own énoncé, is an :class:`exercise.ExerciseError`."""
    value = (page.nb.metadata.get("tp8") or {}).get("with_solutions", False)
    lines = [i + 1 for i, line in enumerate(page.text.splitlines()) if "with_solutions" in line]
    where = lines[0] if lines else None
    if not isinstance(value, bool):
        raise exercise.ExerciseError(
            page.label,
            where,
            f"l'en-tête « tp8: with_solutions » vaut {value!r} : mettez true (la page ne paraît qu'avec les "
            "corrigés) ou false, ou retirez-le",
        )
    if value and page.has_exercises:
        raise exercise.ExerciseError(
            page.label,
            where,
            "« tp8: with_solutions: true » est pour une page sans exercice ni question : celle-ci a déjà son "
            "énoncé, que le site publie sans les réponses",
        )
    return value


def parse_page(path: Path, docs_dir: Path, text: str) -> Page:
    """The :class:`Page` of ``text`` (the content of ``path``); :class:`exercise.ExerciseError` on a
    misplaced solution marker, a malformed question or a bad ``tp8: with_solutions``, naming the page
    and the line."""
    import jupytext

    path = Path(path).resolve()
    src_uri = path.relative_to(Path(docs_dir).resolve()).as_posix()
    label = f"{Path(docs_dir).name}/{src_uri}"
    nb = jupytext.reads(text, fmt="py:percent")
    markers = [i + 1 for i, line in enumerate(text.splitlines()) if line.startswith("# %%")]
    lines = tuple(markers) if len(markers) == len(nb.cells) else None
    regions = tuple(exercise.solution_regions(nb, label, text))
    marking = exercise.marking(nb, label, text)
    page = Page(path, src_uri, label, text, nb, lines, _title(nb), regions, marking)
    return replace(page, with_solutions=with_solutions(page))


def read_page(path: Path, docs_dir: Path) -> Page:
    """Open and parse one page (the only place a page is read)."""
    return parse_page(path, docs_dir, Path(path).read_text(encoding="utf-8"))


def find_pages(docs_dir: Path) -> list[Path]:
    """Every ``.py`` under ``docs_dir`` (sorted) that may be a page: not in ``overrides/``, not hidden.
    Whether it is a notebook page is known once it is read (:func:`read_pages`)."""
    docs_dir = Path(docs_dir)
    found = []
    for path in sorted(docs_dir.rglob("*.py")):
        rel = path.relative_to(docs_dir)
        if rel.parts[0] in _SKIPPED or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        found.append(path)
    return found


def read_pages(docs_dir: Path, paths: list[Path] | None = None) -> list[Page]:
    """The notebook pages among ``paths`` (default: :func:`find_pages`), each read once, in order."""
    pages = []
    for path in find_pages(docs_dir) if paths is None else paths:
        text = Path(path).read_text(encoding="utf-8")
        if is_notebook_text(text):
            pages.append(parse_page(path, docs_dir, text))
    return pages
