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
    "expand_facts",
    "expand_questions",
    "question_facts",
    "report_notebook",
    "select_blocks",
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


def report_notebook(parts) -> str:
    """The report template (``.ipynb`` text): for each part ``(title, questions)``, a heading, then
    per question a Markdown heading « Q8.n ★ — titre » with the question and an empty answer cell;
    then *Avancement* and *Remarques*, each with an empty cell."""
    import nbformat
    import nbformat.v4

    every = [q for _title, qs in parts for q in qs]
    tp = exercise.TP_NUMBER
    stars = ", ".join(q.report_number for q in every if q.star) or "aucune"
    bonus = ", ".join(q.report_number for q in every if q.bonus) or "aucune"
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }

    def markdown(text: str, cell_id: str, tags: list[str] | None = None):
        cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": tags} if tags else {})
        cell["id"] = cell_id
        nb.cells.append(cell)

    markdown(_REPORT_INTRO.format(tp=tp, stars=stars, bonus=bonus).rstrip("\n"), "intro")
    for k, (title, qs) in enumerate(parts, 1):
        markdown(f"# {title}", f"partie-{k}")
        for q in qs:
            slug = q.report_number.lower().replace(".", "-")
            markdown(f"## {q.report_heading}\n\n{q.text}", f"{slug}-question")
            markdown("", f"{slug}-reponse", [exercise.ANSWER_BOX_TAG])
    markdown(_REPORT_PROGRESS, "avancement")
    markdown("", "avancement-reponse", [exercise.ANSWER_BOX_TAG])
    markdown(_REPORT_REMARKS, "remarques")
    markdown("", "remarques-reponse", [exercise.ANSWER_BOX_TAG])
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


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


def _enumerate(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1] if items else "aucune"


def question_facts(parts: list[tuple[str, str, list]]) -> dict[str, str]:
    """What a Markdown page may say of the course's questions, from ``(link, title, questions)`` of
    each page that asks some, in their order: ``<!-- tp8:question-KIND -->`` becomes ``facts[KIND]``."""
    every = [q for _link, _title, qs in parts for q in qs]
    if not every:
        return {}
    n = len(every)

    def anchors(qs) -> str:
        return f"`q{qs[0].number}`" if len(qs) == 1 else f"`q{qs[0].number}` à `q{qs[-1].number}`"

    return {
        "count": _WORDS[n] if n < len(_WORDS) else str(n),
        "first": every[0].report_number,
        "last": every[-1].report_number,
        "starred": _enumerate([q.report_number for q in every if q.star]),
        "bonus": _enumerate([q.report_number for q in every if q.bonus]),
        "anchors": _enumerate([f"{anchors(qs)} dans [{title}]({link})" for link, title, qs in parts]),
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
