"""The hand-out's Markdown side: question lists, solutions/énoncé blocks, the report template.

The questions come from the pages' ``question`` cells (:func:`exercise.marking`), read once
(:class:`pages.Page`). :func:`course_questions` gathers them, in the order of the questions, and
refuses a question asked twice (page and line). From them: the Questions page's lists
(``<!-- tp8:questions PAGE.py -->`` in a Markdown page, :func:`expand_questions`) and the report
template ``compte-rendu-tp8.ipynb`` (:func:`report_notebook`), written at the site's root. A Markdown
page's ``<!-- tp8:solutions -->…<!-- /tp8:solutions -->`` and ``<!-- tp8:enonce -->…<!-- /tp8:enonce -->``
blocks are kept or dropped with the instructor's switch (:func:`select_blocks`).
"""

from __future__ import annotations

import itertools
import re

from . import exercise
from .pages import Page
from .variants import REPORT_NAME

__all__ = [
    "REPORT_NAME",
    "course_questions",
    "english_cell",
    "expand_facts",
    "expand_questions",
    "number_word",
    "question_facts",
    "report_notebook",
    "select_blocks",
    "translated_questions",
]


def questions_markdown(questions, link: str, solutions: bool, lang: str = "fr") -> str:
    """The Questions page's list of the questions of one part page (``link``: that page's source,
    relative to the Markdown page), each with its report number and a link to its section: to the
    answer with the solutions, to the question in the exercise without them. ``lang="en"``: the
    build's words in English (the questions' own text is what ``questions`` say)."""
    out = []
    for q in questions:
        heading = " ".join(filter(None, [f"Q{q.number}", q.mark])) + f" — {q.title}"
        target = f"{link}#q{q.number}"
        if lang == "en":
            go = f"[Answer →]({target})" if solutions else f"[The question in the exercise sheet →]({target})"
            number = f"Number in the report: **{q.report_number}**."
        else:
            go = f"[Réponse →]({target})" if solutions else f"[La question dans l'énoncé →]({target})"
            number = f"Numéro dans le compte rendu : **{q.report_number}**."
        out.append(f"### {heading}\n\n{q.text}\n\n{number} {go}\n")
    return "\n".join(out)


_QUESTIONS_BLOCK = re.compile(r"^<!--\s*tp8:questions\s+(\S+)\s*-->[ \t]*$", re.M)
_SWITCH_BLOCK = re.compile(r"<!--\s*(/?)tp8:(solutions|enonce)\s*-->")


_INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)


def _code_spans(markdown: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the fenced code blocks and inline code spans of a Markdown text, where a
    ``<!-- tp8:… -->`` marker is an example, not a marker."""
    spans, offset, fence = [], 0, None
    for line in markdown.splitlines(keepends=True):
        opened = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if fence is None and opened:
            fence = (opened.group(1), offset)
        elif fence is not None and opened and opened.group(1).startswith(fence[0][0] * len(fence[0])):
            spans.append((fence[1], offset + len(line)))
            fence = None
        offset += len(line)
    if fence is not None:
        spans.append((fence[1], len(markdown)))
    for match in _INLINE_CODE.finditer(markdown):
        if not any(a <= match.start() < b for a, b in spans):
            spans.append(match.span())
    return spans


def _markers(pattern: re.Pattern, markdown: str):
    spans = _code_spans(markdown)
    return [m for m in pattern.finditer(markdown) if not any(a <= m.start() < b for a, b in spans)]


def select_blocks(markdown: str, solutions: bool, label: str = "page") -> str:
    """A Markdown page's text as published: ``<!-- tp8:solutions -->…<!-- /tp8:solutions -->`` kept
    with the solutions only, ``<!-- tp8:enonce -->…<!-- /tp8:enonce -->`` without them only (the
    markers go). A marker without its pair, or blocks inside one another, is a ValueError."""
    out, pos, open_at = [], 0, None
    for match in _markers(_SWITCH_BLOCK, markdown):
        closing, kind = match.group(1) == "/", match.group(2)
        line = markdown.count("\n", 0, match.start()) + 1
        if not closing:
            if open_at is not None:
                raise ValueError(
                    f"{label}, ligne {line} : <!-- tp8:{kind} --> dans le bloc <!-- tp8:{open_at[0]} --> ouvert "
                    f"ligne {open_at[1]} : fermez-le d'abord"
                )
            out.append(markdown[pos : match.start()])
            open_at, pos = (kind, line, match.end()), match.end()
            continue
        if open_at is None or open_at[0] != kind:
            raise ValueError(f"{label}, ligne {line} : <!-- /tp8:{kind} --> sans <!-- tp8:{kind} --> avant lui")
        keep = solutions if kind == "solutions" else not solutions
        if keep:
            out.append(markdown[pos : match.start()])
        open_at, pos = None, match.end()
    if open_at is not None:
        raise ValueError(f"{label}, ligne {open_at[1]} : <!-- tp8:{open_at[0]} --> sans <!-- /tp8:{open_at[0]} -->")
    out.append(markdown[pos:])
    return "".join(out)


def expand_questions(markdown: str, questions_of, solutions: bool, label: str = "page", lang: str = "fr") -> str:
    """Replace each line ``<!-- tp8:questions PAGE.py -->`` by :func:`questions_markdown` of that
    page (``questions_of(link)`` gives its questions, or None for an unknown page), in ``lang``."""

    def replace(match: re.Match) -> str:
        link = match.group(1)
        found = questions_of(link)
        if not found:
            line = markdown.count("\n", 0, match.start()) + 1
            raise ValueError(
                f"{label}, ligne {line} : <!-- tp8:questions {link} --> : aucune question dans cette page "
                f"(ses cellules « {exercise.QUESTION_TAG} »)"
            )
        return questions_markdown(found, link, solutions, lang)

    out, pos = [], 0
    for match in _markers(_QUESTIONS_BLOCK, markdown):
        out += [markdown[pos : match.start()], replace(match)]
        pos = match.end()
    return "".join(out) + markdown[pos:]


_REPORT_INTRO = """\
# Compte rendu — TP {tp} : visualisation des réseaux de neurones

- **Nom(s) :** …
- **Date de la séance :** …

Ce modèle suit la numérotation du TP : **Q{tp}.n** est la question n du TP {tp} (la question « Qn » des pages
du cours). Écrivez chaque réponse dans la cellule vide placée sous sa question (dans Jupyter ou Colab,
double-cliquez sur la cellule pour l'écrire), en vous appuyant sur les figures et les nombres que vous avez
obtenus en exécutant les énoncés ; recopiez ou décrivez les figures utiles.

- Le compte rendu envoyé le soir de la séance répond aux questions marquées ★ ({stars}), puis dit où vous en
  êtes (*Avancement*) et, si vous le souhaitez, ce que vous avez remarqué (*Remarques*).
- Les autres questions, dont les bonus ({bonus}), sont à discuter dans le rapport final.
"""

_REPORT_PROGRESS = """\
## Avancement

Ce qui a marché et ce qui n'a pas marché : les trois exercices (les vérifications de `tp8.checks`
passent-elles ?), les expériences que vous avez refaites ou modifiées (autres photos, autres classes, autre
réseau), les difficultés rencontrées."""

_REPORT_REMARKS = """\
## Remarques

Facultatif : ce qui vous a surpris, une idée d'expérience, une question restée ouverte."""

_REPORT_INTRO_EN = """\
# Report — Lab {tp}: visualizing neural networks

- **Name(s):** …
- **Date of the session:** …

This template follows the lab's numbering: **Q{tp}.n** is question n of lab {tp} (question "Qn" in the
course's pages). Write each answer in the empty cell under its question (in Jupyter or Colab, double-click
the cell to write in it), drawing on the figures and numbers you got by running the exercise sheets; copy or
describe the figures that matter.

- The report you send on the evening of the session answers the questions marked ★ ({stars}), then says how
  far you got (*Progress*) and, if you wish, what you noticed (*Notes*).
- The other questions, bonus questions included ({bonus}), are to be discussed in the final report.
"""

_REPORT_PROGRESS_EN = """\
## Progress

What worked and what did not: the three exercises (do the checks of `tp8.checks` pass?), the experiments you
ran again or changed (other photos, other classes, another network), the difficulties you ran into."""

_REPORT_REMARKS_EN = """\
## Notes

Optional: what surprised you, an idea for an experiment, a question still open."""

#: Kinds of the report template's generated cells (``metadata["tp8"]["generated"]``), see :func:`english_cell`.
REPORT_INTRO, REPORT_PROGRESS, REPORT_REMARKS = "report-intro", "report-progress", "report-remarks"


def _report_text(kind: str, lang: str, stars: list[str] | None = None, bonus: list[str] | None = None) -> str:
    """The text of a generated cell of the report template, in ``lang``."""
    en = lang == "en"
    if kind == REPORT_INTRO:
        none = "none" if en else "aucune"
        template = _REPORT_INTRO_EN if en else _REPORT_INTRO
        return template.format(
            tp=exercise.TP_NUMBER, stars=", ".join(stars or []) or none, bonus=", ".join(bonus or []) or none
        ).rstrip("\n")
    if kind == REPORT_PROGRESS:
        return _REPORT_PROGRESS_EN if en else _REPORT_PROGRESS
    if kind == REPORT_REMARKS:
        return _REPORT_REMARKS_EN if en else _REPORT_REMARKS
    raise ValueError(f"cellule générée inconnue : {kind}")


def english_cell(cell) -> str | None:
    """The English of a generated cell of the report template (its ``metadata["tp8"]["generated"]``
    says which), or None for any other cell."""
    info = ((cell.get("metadata") or {}).get("tp8") or {}) if cell.get("cell_type") == "markdown" else {}
    kind = info.get("generated") if isinstance(info, dict) else None
    if kind not in (REPORT_INTRO, REPORT_PROGRESS, REPORT_REMARKS):
        return None
    return _report_text(kind, "en", info.get("stars"), info.get("bonus"))


def report_notebook(parts, lang: str = "fr") -> str:
    """The report template (``.ipynb`` text): for each part ``(title, questions)``, a heading, then
    per question a Markdown heading « Q8.n ★ — titre » with the question and an empty answer cell;
    then *Avancement* and *Remarques*, each with an empty cell. ``lang="en"``: the build's words in
    English (*Progress*, *Notes*); the titles and questions are what ``parts`` say. Its generated
    cells say so in their metadata (``{"tp8": {"generated": KIND, …}}``, :func:`english_cell`)."""
    import nbformat
    import nbformat.v4

    every = [q for _title, qs in parts for q in qs]
    stars = [q.report_number for q in every if q.star]
    bonus = [q.report_number for q in every if q.bonus]
    en = lang == "en"
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }

    def markdown(text: str, cell_id: str, tags: list[str] | None = None, generated: dict | None = None):
        metadata = {"tags": tags} if tags else {}
        if generated:
            metadata["tp8"] = generated
        cell = nbformat.v4.new_markdown_cell(text, metadata=metadata)
        cell["id"] = cell_id
        nb.cells.append(cell)

    intro = {"generated": REPORT_INTRO, "stars": stars, "bonus": bonus}
    markdown(_report_text(REPORT_INTRO, lang, stars, bonus), "intro", generated=intro)
    for k, (title, qs) in enumerate(parts, 1):
        markdown(f"# {title}", f"{'part' if en else 'partie'}-{k}")
        for q in qs:
            slug = q.report_number.lower().replace(".", "-")
            markdown(f"## {q.report_heading}\n\n{q.text}", f"{slug}-question")
            markdown("", f"{slug}-{'answer' if en else 'reponse'}", [exercise.ANSWER_BOX_TAG])
    progress, remarks = ("progress", "notes") if en else ("avancement", "remarques")
    markdown(_report_text(REPORT_PROGRESS, lang), progress, generated={"generated": REPORT_PROGRESS})
    markdown("", f"{progress}-{'answer' if en else 'reponse'}", [exercise.ANSWER_BOX_TAG])
    markdown(_report_text(REPORT_REMARKS, lang), remarks, generated={"generated": REPORT_REMARKS})
    markdown("", f"{remarks}-{'answer' if en else 'reponse'}", [exercise.ANSWER_BOX_TAG])
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def translated_questions(questions, nb) -> list[exercise.Question]:
    """``questions`` (a page's) as ``nb`` states them: the page's notebook in another language (the
    English edition's :func:`english.notebook` of ``page.nb``, cell for cell), each question's title
    and text read from its cell there (:func:`exercise.restated`)."""
    return [exercise.restated(q, nb.cells[q.cell].source) if q.cell < len(nb.cells) else q for q in questions]


def course_questions(pages: list[Page]) -> list[tuple[Page, list[exercise.Question]]]:
    """``(page, its questions)`` of every page that asks questions, in the order of their numbers.

    A ValueError names the page and line of a question asked twice, of a question numbered lower
    than the one before it in its page, and of a page whose questions interleave another's (the
    questions of a page follow one another: Q1–Q4, then Q5–Q7…). Numbers may skip (a question removed).
    """
    seen: dict[int, tuple[Page, exercise.Question]] = {}
    out = []
    for page in pages:
        if not page.questions:
            continue
        previous = None
        for q in page.questions:
            if q.number in seen:
                first, earlier = seen[q.number]
                raise ValueError(
                    f"Q{q.number} est posée deux fois : {first.label}, ligne {earlier.line or '?'}, et "
                    f"{page.label}, ligne {q.line or '?'}"
                )
            if previous is not None and q.number < previous.number:
                raise ValueError(
                    f"{page.label}, ligne {q.line or '?'} : Q{q.number} vient après Q{previous.number} (ligne "
                    f"{previous.line or '?'}) ; numérotez les questions d'une page dans l'ordre où elles sont posées"
                )
            seen[q.number] = (page, q)
            previous = q
        out.append((page, list(page.questions)))
    out.sort(key=lambda part: part[1][0].number)
    for (before, asked), (page, qs) in itertools.pairwise(out):
        if qs[0].number < asked[-1].number:
            raise ValueError(
                f"{page.label}, ligne {qs[0].line or '?'} : Q{qs[0].number} tombe entre les questions de "
                f"{before.label} (Q{asked[0].number} à Q{asked[-1].number}) ; les questions d'une page se suivent, "
                "numérotez-les à la suite de celles de la page précédente"
            )
    return out


# --- what the Markdown pages say of the questions, generated from the questions found -----------------

_FACT = re.compile(r"<!--\s*tp8:question-(\S+)\s*-->")
_WORDS = [
    "zéro",
    "une",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
]
_WORDS_EN = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]


def _enumerate(items: list[str], lang: str = "fr") -> str:
    """``a``, ``a et b``, ``a, b et c`` (``a and b``, ``a, b and c`` in English); ``aucune``/``none``."""
    if not items:
        return "none" if lang == "en" else "aucune"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + (" and " if lang == "en" else " et ") + items[-1]


def number_word(n: int, lang: str = "fr") -> str:
    """``n`` in words where it is small (``onze``, ``eleven``), in digits beyond."""
    words = _WORDS_EN if lang == "en" else _WORDS
    return words[n] if 0 <= n < len(words) else str(n)


def question_facts(parts: list[tuple[str, str, list]], lang: str = "fr") -> dict[str, str]:
    """What a Markdown page may say of the course's questions, from ``(link, title, questions)`` of
    each page that asks some, in their order: ``<!-- tp8:question-KIND -->`` becomes ``facts[KIND]``.
    ``lang="en"``: in English (``eleven``, ``Q8.1, Q8.5 and Q8.8``, ``q1 to q4 in [title](link)``)."""
    every = [q for _link, _title, qs in parts for q in qs]
    if not every:
        return {}
    n = len(every)
    between, where = (" to ", " in ") if lang == "en" else (" à ", " dans ")

    def anchors(qs) -> str:
        return f"`q{qs[0].number}`" if len(qs) == 1 else f"`q{qs[0].number}`{between}`q{qs[-1].number}`"

    return {
        "count": number_word(n, lang),
        "first": every[0].report_number,
        "last": every[-1].report_number,
        "starred": _enumerate([q.report_number for q in every if q.star], lang),
        "bonus": _enumerate([q.report_number for q in every if q.bonus], lang),
        "anchors": _enumerate([f"{anchors(qs)}{where}[{title}]({link})" for link, title, qs in parts], lang),
    }


def expand_facts(markdown: str, facts: dict[str, str], label: str = "page") -> str:
    """Each ``<!-- tp8:question-KIND -->`` of a Markdown page replaced by what :func:`question_facts`
    says; an unknown KIND is a ValueError naming the line."""

    def replace(match: re.Match) -> str:
        if match.group(1) not in facts:
            line = markdown.count("\n", 0, match.start()) + 1
            known = ", ".join(sorted(facts)) or "aucune : le cours ne pose pas de question"
            raise ValueError(f"{label}, ligne {line} : <!-- tp8:question-{match.group(1)} --> inconnu ({known})")
        return facts[match.group(1)]

    out, pos = [], 0
    for match in _markers(_FACT, markdown):
        out += [markdown[pos : match.start()], replace(match)]
        pos = match.end()
    return "".join(out) + markdown[pos:]
