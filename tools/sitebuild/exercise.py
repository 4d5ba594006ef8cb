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

The written answers to the lab's questions are solutions too (:func:`marking`). A Markdown cell
tagged ``question`` opens question *n* (``<a id="qn"></a>``, ``## Qn — <titre neutre>``, the question
paraphrased with its report number ``Q8.n``); its *section* runs to the next Markdown cell holding a
``#`` or ``##`` heading. Inside a section every Markdown cell is an answer unless tagged ``enonce``,
and so is every code cell that calls ``claim(`` or displays prose (``Markdown(``, ``md(``,
``notice(``, ``display(tr(``); the other code cells (experiments) are kept. Outside, cells tagged ``solution`` are
answers. The exercise drops the answers and ends each section with a Markdown cell tagged
``answer-box`` ("Votre réponse — Q8.n"). A kept cell that still calls ``claim(`` on a page with
questions, a ``## Qn`` heading outside a ``question`` cell, an ``enonce`` cell calling ``claim(``
raise :class:`ExerciseError` with the page and the line.

Only nbformat is used (no nbgrader: it would pull in a notebook server). ``variants`` makes the
énoncés with it (the site's and the students' ``notebooks/exercices/*.ipynb``); ``audit`` searches
what a build publishes for :func:`answer_sentences` and :func:`code_solution_lines`.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass, replace

from .text import markdown_sentences

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_TAG = "solution"
CHECK_TAG = "check"
NOTICE_TAG = "exercise-notice"
#: nbclient's tag for cells it must not run (the site's exercise pages do not run their checks).
SKIP_TAG = "skip-execution"
#: The Markdown cell that opens a question (anchor, ``## Qn — …`` heading, the question itself).
QUESTION_TAG = "question"
#: A cell of a question section kept in the exercise (protocol, neutral wording).
ENONCE_TAG = "enonce"
#: The "Votre réponse" cell the exercise adds at the end of each question section.
ANSWER_BOX_TAG = "answer-box"
#: The lab's number: question n is "Q8.n" in the students' report.
TP_NUMBER = 8

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


# --- the answers to the lab's questions ------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_QN = re.compile(r"^Q(\d+)\b\s*(?:[—–:-]\s*)?(.*)$")
_QN_IN_CODE = re.compile(r"""(?:^|["']|\\n)[ ]{0,3}##[ \t]+Q\d+\b""")
_ANCHOR = re.compile(r"""<a\s+id=["']q(\d+)["']\s*>\s*</a>""")
_CLAIM = re.compile(r"\bclaim\s*\(")
_PROSE = re.compile(r"(?<!def )\b(?:Markdown|md|notice)\s*\(")
#: A text of the run (``tp8.course.tr``) displayed by a cell is prose from this many characters on: a
#: paragraph, where a one-line readout of a number ("ρ moyen : 0,42", once a ``print``) is not.
PROSE_CHARS = 150


def _headings(markdown: str) -> list[tuple[int, int, str]]:
    """``(level, line index, text)`` of the ATX headings of a Markdown text (not in code fences)."""
    out, fence = [], None
    for i, line in enumerate(markdown.splitlines()):
        opened = _FENCE.match(line)
        if opened:
            fence = None if fence == opened.group(1) else (fence or opened.group(1))
            continue
        if fence is None:
            match = _ATX.match(line)
            if match:
                out.append((len(match.group(1)), i, (match.group(2) or "").strip()))
    return out


def _code(source: str) -> str:
    """A code cell's source without its whole-line comments (a comment may name ``claim(``)."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


def calls_claim(cell) -> bool:
    """Whether a code cell calls ``claim(`` (``tp8.course.claim``)."""
    return cell.get("cell_type") == "code" and bool(_CLAIM.search(_code(cell.source)))


def shows_prose(cell) -> bool:
    """Whether a code cell displays prose (``Markdown(``, ``md(``, ``notice(``, a paragraph through
    ``display(tr(…))``) or calls ``claim(``."""
    if cell.get("cell_type") != "code":
        return False
    return calls_claim(cell) or bool(_PROSE.search(_code(cell.source))) or _displays_paragraph(cell.source)


def _displays_paragraph(source: str) -> bool:
    """Whether the cell displays a ``tr("…")`` text of at least :data:`PROSE_CHARS` characters: directly,
    or a cell that writes one (not as a figure's ``alt=``) and calls ``display``."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False

    def is_tr(node) -> bool:
        return (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr"
            and bool(node.args)
            and isinstance(node.args[0], ast.Constant)
            and len(str(node.args[0].value)) >= PROSE_CHARS
        )

    alts = {
        id(k.value) for node in ast.walk(tree) if isinstance(node, ast.Call) for k in node.keywords if k.arg == "alt"
    }
    writes = displays = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and is_tr(node.value):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "display":
            displays = True
        if is_tr(node) and id(node) not in alts:
            writes = True
    return writes and displays


def _cell_lines(nb, source_text: str | None) -> list[int] | None:
    """Line (1-based) of each cell's ``# %%`` marker in the ``.py``, when they can be matched."""
    if source_text is None:
        return None
    markers = [i + 1 for i, line in enumerate(source_text.splitlines()) if line.startswith("# %%")]
    return markers if len(markers) == len(nb.cells) else None


@dataclass(frozen=True)
class Question:
    """A question of the lab, as its ``question`` cell states it."""

    number: int  # n, of "Qn" in the page
    title: str  # the heading's title, after "Qn — "
    text: str  # the question itself (Markdown), without the anchor, the heading and the "Q8.n" label
    star: bool  # ★: answered in the evening report
    bonus: bool
    cell: int  # index of the question cell
    line: int | None  # line of the heading in the .py

    @property
    def report_number(self) -> str:
        """The number the students' report gives it: ``Q8.n``."""
        return f"Q{TP_NUMBER}.{self.number}"

    @property
    def mark(self) -> str:
        """``★``, ``Bonus`` or ``""``."""
        return "★" if self.star else "Bonus" if self.bonus else ""

    @property
    def report_heading(self) -> str:
        """``Q8.1 ★ — <titre>``: the question's heading in the report template."""
        return " ".join(filter(None, [self.report_number, self.mark])) + f" — {self.title}"


@dataclass(frozen=True)
class Marking:
    """What a page hands out and what it keeps for the solutions (see :func:`marking`)."""

    questions: tuple[Question, ...]
    answers: frozenset[int]  # indices of the answer cells
    sections: dict  # question number -> (index of its question cell, index of the section's last cell)

    def section_of(self, index: int) -> int | None:
        """The number of the question whose section holds cell ``index`` (its question cell included)."""
        for number, (first, last) in self.sections.items():
            if first <= index <= last:
                return number
        return None


def _label_span(text: str, report: str) -> re.Match | None:
    """The bold label that gives the report number (``**Q8.1 ★**``) in a question's text."""
    return re.search(r"\*\*([^*\n]*?\b" + re.escape(report) + r"\b[^*\n]*)\*\*", text)


def marking(nb, label: str = "page", source_text: str | None = None) -> Marking:
    """The questions of a page, its answer cells and its question sections, checked.

    :class:`ExerciseError` (page, line of the ``.py``) when a ``question`` cell is malformed or
    repeats a question, a ``## Qn`` heading is outside a ``question`` cell, an ``enonce`` cell
    calls ``claim(``, or a cell kept in the exercise of a page with questions calls ``claim(``.
    """
    lines = _cell_lines(nb, source_text)

    def line(index: int, offset: int | None = None) -> int | None:
        """The line of cell ``index``'s marker, or of its line ``offset``."""
        if lines is None:
            return None
        return lines[index] if offset is None else lines[index] + 1 + offset

    def fail(index: int, message: str, offset: int | None = None):
        raise ExerciseError(label, line(index, offset), message, index)

    questions: list[Question] = []
    seen: dict[int, int] = {}
    for index, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if ENONCE_TAG in tags and SOLUTION_TAG in tags:
            fail(index, f"cellule étiquetée à la fois « {ENONCE_TAG} » et « {SOLUTION_TAG} » : choisissez")
        if cell.cell_type == "code":
            match = _QN_IN_CODE.search(cell.source)
            if match:
                fail(
                    index,
                    "titre « ## Qn » écrit par une cellule de code : le titre d'une question va dans sa cellule "
                    f"Markdown étiquetée « {QUESTION_TAG} »",
                )
            if ENONCE_TAG in tags and calls_claim(cell):
                at = next(i for i, t in enumerate(cell.source.splitlines()) if _CLAIM.search(t))
                fail(
                    index,
                    f"cellule « {ENONCE_TAG} » qui appelle claim() : une phrase vérifiée est une réponse ; retirez "
                    f"l'étiquette « {ENONCE_TAG} » (la cellule devient une réponse) ou séparez l'expérience de la "
                    "phrase",
                    at,
                )
            if QUESTION_TAG in tags:
                fail(index, f"l'étiquette « {QUESTION_TAG} » va sur une cellule Markdown, pas sur du code")
            continue
        qn = [(lvl, i, text) for lvl, i, text in _headings(cell.source) if lvl == 2 and _QN.match(text)]
        if QUESTION_TAG not in tags:
            if qn:
                fail(
                    index,
                    f"titre « ## {qn[0][2]} » hors d'une cellule « {QUESTION_TAG} » : étiquetez la cellule qui "
                    f'ouvre la question `tags=["{QUESTION_TAG}"]`',
                    qn[0][1],
                )
            continue
        if len(qn) != 1:
            fail(
                index,
                f"une cellule « {QUESTION_TAG} » contient exactement un titre « ## Qn — … » ({len(qn)} ici)",
            )
        _lvl, at, heading = qn[0]
        match = _QN.match(heading)
        number, title = int(match.group(1)), match.group(2).strip()
        if number in seen:
            fail(index, f"Q{number} est déjà posée plus haut (ligne {line(seen[number]) or '?'})", at)
        seen[number] = index
        if not title:
            fail(index, f"le titre de Q{number} est vide : écrivez « ## Q{number} — <titre neutre> »", at)
        anchor = _ANCHOR.search(cell.source)
        if anchor is None or int(anchor.group(1)) != number:
            fail(index, f'la cellule de Q{number} commence par son ancre <a id="q{number}"></a>', at)
        body = cell.source.splitlines()
        rest = "\n".join(body[at + 1 :]).strip()
        report = f"Q{TP_NUMBER}.{number}"
        span = _label_span(rest, report)
        if span is None:
            fail(
                index,
                f"Q{number} ne donne pas son numéro du compte rendu : écrivez la question après « **{report}** » "
                f"(« **{report} ★** » pour une question étoilée, « **{report} Bonus** » pour un bonus)",
                at,
            )
        mark = span.group(1)
        text = (rest[: span.start()] + rest[span.end() :]).strip()
        text = re.sub(r"^[\s:—–.-]+", "", text)
        if not text:
            fail(index, f"la cellule de Q{number} ne pose pas de question après « **{report}** »", at)
        questions.append(Question(number, title, text, "★" in mark, "bonus" in mark.casefold(), index, line(index, at)))

    sections: dict[int, tuple[int, int]] = {}
    starts = {q.cell: q.number for q in questions}
    for start, number in starts.items():
        last = start
        for j in range(start + 1, len(nb.cells)):
            after = nb.cells[j]
            if after.cell_type == "markdown" and any(lvl <= 2 for lvl, _i, _t in _headings(after.source)):
                break
            last = j
        sections[number] = (start, last)
    marked = Marking(tuple(questions), frozenset(), sections)

    answers = set()
    for index, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if SOLUTION_TAG in tags:
            answers.add(index)
            continue
        if index in starts or ENONCE_TAG in tags or marked.section_of(index) is None:
            continue
        if cell.cell_type != "code" or shows_prose(cell):
            answers.add(index)
    if questions:
        for index, cell in enumerate(nb.cells):
            if index not in answers and calls_claim(cell):
                at = next(i for i, t in enumerate(cell.source.splitlines()) if _CLAIM.search(t))
                fail(
                    index,
                    "cellule gardée dans l'énoncé qui appelle claim() : une phrase vérifiée est une réponse. "
                    f"Étiquetez la cellule « {SOLUTION_TAG} » (avec le texte qu'elle vérifie), ou séparez "
                    "l'expérience (gardée) de la phrase (réponse)",
                    at,
                )
    return Marking(tuple(questions), frozenset(answers), sections)


def questions(nb, label: str = "page", source_text: str | None = None) -> list[Question]:
    """The questions a page asks, in order (:func:`marking`)."""
    return list(marking(nb, label, source_text).questions)


def restated(question: Question, source: str) -> Question:
    """``question`` with its title and text read from ``source``, its ``question`` cell in another
    language (the English edition's: ``## Q1 — <title>``, ``**Q8.1 ★** <the question>``); ``question``
    itself where ``source`` has no such heading or label (a translation not made yet)."""
    headings = [(i, text) for lvl, i, text in _headings(source) if lvl == 2 and _QN.match(text)]
    if len(headings) != 1:
        return question
    at, heading = headings[0]
    title = _QN.match(heading).group(2).strip()
    rest = "\n".join(source.splitlines()[at + 1 :]).strip()
    span = _label_span(rest, question.report_number)
    if not title or span is None:
        return question
    text = re.sub(r"^[\s:—–.-]+", "", (rest[: span.start()] + rest[span.end() :]).strip())
    return replace(question, title=title, text=text) if text else question


#: ``metadata["tp8"]["generated"]`` of the Markdown cells the exercise adds (:func:`english_cell`).
GENERATED_ANSWER_BOX = "answer-box"
GENERATED_NOTICE = "exercise-notice"


def _answer_box_text(report_number: str, lang: str = "fr") -> str:
    if lang == "en":
        return (
            f"**Your answer — {report_number}**\n\n"
            "*Write your answer here: what the figures and numbers above show, and what you conclude from "
            "them. (In Jupyter or Colab, double-click this cell to edit it.)*"
        )
    return (
        f"**Votre réponse — {report_number}**\n\n"
        "*Écrivez ici votre réponse : ce que montrent les figures et les nombres ci-dessus, et ce que vous "
        "en concluez. (Dans Jupyter ou Colab, double-cliquez sur cette cellule pour la modifier.)*"
    )


def answer_box(question: Question, lang: str = "fr"):
    """The Markdown cell where the student writes the answer to ``question`` ("Votre réponse — Q8.n";
    ``lang="en"``: "Your answer — Q8.n"). Its metadata says what it is (:func:`english_cell`)."""
    import nbformat.v4

    metadata = {
        "tags": [ANSWER_BOX_TAG],
        "tp8": {"generated": GENERATED_ANSWER_BOX, "question": question.report_number},
    }
    cell = nbformat.v4.new_markdown_cell(_answer_box_text(question.report_number, lang), metadata=metadata)
    cell["id"] = f"tp8-answer-box-q{question.number}"
    return cell


_WRITTEN_BOX = re.compile(r"\A\*\*(?:Votre réponse|Your answer) — (Q\d+\.\d+)\*\*")
_WRITTEN_NOTICE = re.compile(
    r'admonition-title">(?:À vous de jouer|Your turn)</p>\s*<p>(?:Complétez|Complete) (?P<what>.*?) '
    r"(?:ci-dessus : remplacez les lignes|above: replace the lines) <code>(?P<stub>.*?)</code>",
    re.S,
)


def _recognised(cell) -> dict | None:
    """What a cell the exercise added says it is, read from its text and its tag (a notebook whose
    ``metadata["tp8"]`` was taken off: the students' notebooks)."""
    tags, source = _tags(cell), cell.get("source", "")
    if ANSWER_BOX_TAG in tags:
        box = _WRITTEN_BOX.match(source)
        return {"generated": GENERATED_ANSWER_BOX, "question": box.group(1)} if box else None
    if NOTICE_TAG in tags:
        notice = _WRITTEN_NOTICE.search(source)
        if notice is None:
            return None
        functions = [html.unescape(f) for f in re.findall(r"<code>(.*?)</code>", notice.group("what"))]
        return {
            "generated": GENERATED_NOTICE,
            "functions": functions,
            "checked": "qui vérifie votre réponse" in source or "which checks your answer" in source,
            "stub": html.unescape(notice.group("stub")),
        }
    return None


def english_cell(cell) -> str | None:
    """The English of a Markdown cell the exercise added (an answer box, an "À vous de jouer"
    notice), regenerated from its ``metadata["tp8"]`` (or, where it has none, from its French and its
    tag); None for any other cell (the author's, whose English is in the page's catalogue)."""
    if cell.get("cell_type") != "markdown":
        return None
    info = (cell.get("metadata") or {}).get("tp8")
    if not isinstance(info, dict) or "generated" not in info:
        info = _recognised(cell)
    if info is None:
        return None
    kind = info.get("generated")
    if kind == GENERATED_ANSWER_BOX and info.get("question"):
        return _answer_box_text(str(info["question"]), "en")
    if kind == GENERATED_NOTICE:
        return _notice(list(info.get("functions") or []), bool(info.get("checked")), "en", info.get("stub"))
    return None


# --- the answers as text (what must not leak) -------------------------------------------------------


def _string_parts(source: str) -> tuple[list[str], list[str]]:
    """(every constant piece of text of a code cell, the sentences given to ``claim()``)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], []
    texts, claims = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "tr" and node.args and isinstance(node.args[0], ast.Constant):
                # A sentence of the run written like an f-string: the claims in its fields are answers too.
                from .translation import _template_tree

                inner = _template_tree(str(node.args[0].value))
                if inner is not None:
                    claims.extend(_string_parts(ast.unparse(inner))[1])
            if name == "claim" and len(node.args) >= 2:
                sentence = node.args[1]
                if isinstance(sentence, ast.Constant) and isinstance(sentence.value, str):
                    claims.append(sentence.value)
                elif isinstance(sentence, ast.JoinedStr):
                    claims.extend(
                        v.value for v in sentence.values if isinstance(v, ast.Constant) and len(v.value) >= 12
                    )
    return texts, claims


def claim_sentences(nb) -> list[str]:
    """Every sentence a page guards with ``claim()`` (its constant text)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "code" and calls_claim(cell):
            out.extend(_string_parts(cell.source)[1])
    return list(dict.fromkeys(" ".join(s.split()) for s in out if s.strip()))


def answer_sentences(
    nb, label: str = "page", source_text: str | None = None, *, mark: Marking | None = None
) -> list[str]:
    """What must not leak from a page: every sentence of at least :data:`text.MIN_SENTENCE` characters
    of its answer cells (Markdown cells, and the constant text of code cells that display prose), and
    every sentence its answer cells guard with ``claim()``, whatever its length. ``mark``: the page's
    :func:`marking`, when the caller has it."""
    mark = marking(nb, label, source_text) if mark is None else mark
    out = []
    for index in sorted(mark.answers):
        cell = nb.cells[index]
        if cell.cell_type == "code":
            texts, claims = _string_parts(cell.source)
            out.extend(claims)
            if shows_prose(cell):
                for text in texts:
                    out.extend(markdown_sentences(text))
        else:
            out.extend(markdown_sentences(cell.source))
    return list(dict.fromkeys(" ".join(s.split()) for s in out if s.strip()))


def has_exercises(
    nb, label: str = "page", source_text: str | None = None, *, regions=None, mark: Marking | None = None
) -> bool:
    """Whether the page holds anything its exercise leaves out: a solution region, a cell tagged
    ``solution``, or questions (their answers)."""
    if solution_regions(nb, label, source_text) if regions is None else regions:
        return True
    mark = marking(nb, label, source_text) if mark is None else mark
    return bool(mark.answers or mark.questions)


def code_solution_lines(nb, label: str = "page", *, regions=None) -> list[str]:
    """The code the student writes: the lines of the solution regions and of the code cells tagged
    ``solution`` that are code (not prose), stripped."""
    out = []
    for region in solution_regions(nb, label) if regions is None else regions:
        out.extend(nb.cells[region.cell].source.splitlines()[region.begin + 1 : region.end])
    for cell in nb.cells:
        if SOLUTION_TAG in _tags(cell) and cell.cell_type == "code" and not shows_prose(cell):
            out.extend(cell.source.splitlines())
    return [text.strip() for text in out if text.strip()]


def solution_lines(nb, label: str = "page") -> list[str]:
    """Everything of a page that its exercise must not hold: :func:`code_solution_lines`, then
    :func:`answer_sentences` (the written answers, sentence by sentence)."""
    return code_solution_lines(nb, label) + answer_sentences(nb, label)


#: The comment that opens a stub, by language.
STUB_MARK = {"fr": "# À VOUS", "en": "# YOUR TURN"}


def _stub(region: Region, lang: str = "fr") -> list[str]:
    en = lang == "en"
    if region.hint:
        hint = region.hint
    elif region.function:
        hint = (
            "complete this function (its docstring says what it takes and what it must return)."
            if en
            else "complétez cette fonction (sa docstring dit ce qu'elle reçoit et ce qu'elle doit renvoyer)."
        )
    else:
        hint = "write the missing code here." if en else "écrivez ici le code qui manque."
    colon = ":" if en else " :"  # French puts a space before it
    return [
        f"{region.indent}{STUB_MARK['en' if en else 'fr']}{colon} {hint}",
        f"{region.indent}raise NotImplementedError()",
    ]


def stub_line(regions: list[Region], line: int) -> int:
    """The line (0-based) of a cell's source that line ``line`` of its exercise version comes from
    (a stub's two lines come from its ``### BEGIN SOLUTION`` line)."""
    shift = 0
    for region in sorted(regions, key=lambda r: r.begin):
        start = region.begin - shift  # where the stub starts in the exercise's lines
        if line < start:
            break
        if line < start + 2:
            return region.begin
        shift += (region.end - region.begin + 1) - 2
    return line + shift


def _notice(functions: list[str], checked: bool, lang: str = "fr", stub: str | None = None) -> str:
    """The "À vous de jouer" notice ("Your turn") after a cell holding an exercise. ``stub``: the
    comment its stubs open with (:data:`STUB_MARK` of ``lang`` by default)."""
    en = lang == "en"
    stub = stub or STUB_MARK["en" if en else "fr"]
    names = [f"<code>{html.escape(f)}</code>" for f in functions]
    joined = " and " if en else " et "
    nothing = "the code" if en else "le code"
    what = joined.join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else (names[0] if names else nothing)
    mark = f"<code>{html.escape(stub)}</code>"
    if en:
        gloss = " (“your turn”)" if stub == STUB_MARK["fr"] else ""
        then = (
            "then the next one, which checks your answer and says what is wrong"
            if checked
            else "then go on: the rest of the notebook uses it"
        )
        return (
            '<div class="admonition example"><p class="admonition-title">Your turn</p>\n'
            f"<p>Complete {what} above: replace the lines {mark}{gloss} and "
            f"<code>raise NotImplementedError()</code> with your code, run the cell, {then}.</p></div>"
        )
    then = (
        "puis la suivante, qui vérifie votre réponse et dit ce qui ne va pas"
        if checked
        else "puis continuez : la suite du notebook s'en sert"
    )
    return (
        '<div class="admonition example"><p class="admonition-title">À vous de jouer</p>\n'
        f"<p>Complétez {what} ci-dessus : remplacez les lignes {mark} et "
        f"<code>raise NotImplementedError()</code> par votre code, exécutez la cellule, {then}.</p></div>"
    )


def exercise(
    nb,
    label: str = "page",
    source_text: str | None = None,
    *,
    for_site: bool = False,
    regions: list[Region] | None = None,
    mark: Marking | None = None,
    lang: str = "fr",
):
    """The exercise version of a page (a new notebook; ``nb`` is left as it is).

    Solution regions become stubs, answer cells (:func:`marking`: ``solution`` cells, and the
    answers of the question sections) are dropped, a Markdown notice follows each exercise cell,
    and an ``answer-box`` cell ends each question section. ``for_site=True`` also tags the
    ``check`` cells ``skip-execution``, so that the site's build of the exercise does not run
    them (their stubs are not written). ``regions`` and ``mark``: the page's, when the caller has
    them (:func:`solution_regions`, :func:`marking`). ``lang="en"``: what the exercise adds (stubs,
    notices, answer boxes) in English.
    """
    regions = solution_regions(nb, label, source_text) if regions is None else regions
    mark = marking(nb, label, source_text) if mark is None else mark
    return exercise_cells(nb, regions, mark, for_site=for_site, lang=lang)[0]


def exercise_cells(nb, regions: list[Region], mark: Marking, *, for_site: bool = False, lang: str = "fr"):
    """:func:`exercise`, with where each of its cells comes from: ``(notebook, origins)``, ``origins[k]``
    the index in ``nb`` of the exercise's cell ``k``, or None for a cell the exercise adds (a notice,
    an answer box). The Markdown cells it adds carry ``metadata["tp8"]["generated"]`` (with what
    :func:`english_cell` needs to write them in English)."""
    import nbformat.v4

    boxes = {last: next(q for q in mark.questions if q.number == n) for n, (_f, last) in mark.sections.items()}
    by_cell: dict[int, list[Region]] = {}
    for region in regions:
        by_cell.setdefault(region.cell, []).append(region)
    out = copy.deepcopy(nb)
    cells, origins = [], []
    for index, cell in enumerate(out.cells):
        tags = _tags(cell)
        if index not in mark.answers:
            if for_site and CHECK_TAG in tags and SKIP_TAG not in tags:
                cell.setdefault("metadata", {})["tags"] = [*tags, SKIP_TAG]
            cells.append(cell)
            origins.append(index)
            if index in by_cell:
                lines = cell.source.splitlines()
                for region in sorted(by_cell[index], key=lambda r: r.begin, reverse=True):
                    lines[region.begin : region.end + 1] = _stub(region, lang)
                cell.source = "\n".join(lines)
                if cell.get("cell_type") == "code":
                    cell.outputs = []
                    cell.execution_count = None
                functions = list(dict.fromkeys(r.function for r in by_cell[index] if r.function))
                following = next((c for c in out.cells[index + 1 :] if c.cell_type == "code"), None)
                checked = following is not None and CHECK_TAG in _tags(following)
                stub = STUB_MARK["en" if lang == "en" else "fr"]
                generated = {"generated": GENERATED_NOTICE, "functions": functions, "checked": checked, "stub": stub}
                notice = nbformat.v4.new_markdown_cell(
                    _notice(functions, checked, lang), metadata={"tags": [NOTICE_TAG], "tp8": generated}
                )
                notice["id"] = f"tp8-exercise-notice-{index}"  # deterministic (nbformat would draw a random one)
                cells.append(notice)
                origins.append(None)
        if index in boxes:
            cells.append(answer_box(boxes[index], lang))
            origins.append(None)
    out.cells = cells
    return out, origins
