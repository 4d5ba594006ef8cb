"""Text as a reader reads it: the one normaliser of the build, the audit and the tests.

An HTML tag is ``<`` followed by a letter (or ``/`` or ``!`` and a letter), or a comment: a ``<`` of a
comparison (``p < 0.9``, ``a<b``) is text, never the start of a tag — a looser ``<[^>]+>`` would eat
everything up to the next ``>``, across lines, and hide what lies between. Block-level tags (``<p>``,
``<br>``, ``<li>``, table cells…) stand for a space, inline ones (``<strong>``, ``<code>``…) for nothing,
so that ``nette</strong>.`` reads ``nette.`` and two paragraphs never run into one word.

:func:`strip_tags` gives the readable text (case kept, for the tests' assertions); :func:`normalise`
folds it further for comparisons (emphasis marks, typographic apostrophes and spaces, case).
"""

from __future__ import annotations

import html
import re

#: An HTML tag or comment (the strict rule above).
TAG = re.compile(r"<!--.*?-->|<[/!]?[A-Za-z][^<>]*>", re.S)
_BLOCK = re.compile(
    r"<[/!]?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|table|thead|tbody|pre|blockquote|section|article"
    r"|header|footer|nav|figure|figcaption|details|summary|main|aside|img)\b",
    re.I,
)
_EMPHASIS = re.compile(r"[*_`]")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|>|#{1,6}\s|\|)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
#: Sentences shorter than this are not searched for (too likely to occur by chance).
MIN_SENTENCE = 40


def strip_tags(text: str) -> str:
    """``text`` without its HTML tags and comments (block tags become a space), entities decoded."""
    return html.unescape(TAG.sub(lambda m: " " if _BLOCK.match(m.group(0)) else "", text))


def normalise(text: str) -> str:
    """Text for comparing what a page says with what a site publishes: :func:`strip_tags`, no emphasis
    marks (``*``, ``_``, backquotes), typographic apostrophes and spaces made plain, whitespace
    collapsed, case folded."""
    text = _EMPHASIS.sub("", strip_tags(text)).replace("\u2019", "'")
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    return " ".join(text.split()).casefold()


def _sentences(paragraph: str) -> list[str]:
    out = []
    for piece in _SENTENCE_END.split(paragraph):
        piece = " ".join(piece.split()).lstrip(",;:—– ")
        if len(piece) >= MIN_SENTENCE:
            out.append(piece)
    return out


def markdown_sentences(markdown: str) -> list[str]:
    """The sentences (at least :data:`MIN_SENTENCE` characters) of a Markdown text, as rendered:
    tags, link targets and emphasis marks taken out, list markers and headings stripped."""
    blocks, current = [], []
    for line in markdown.splitlines():
        if not line.strip() or _BLOCK_START.match(line):
            blocks.append(" ".join(current))
            current = []
        if line.strip():
            current.append(re.sub(r"^\s*(?:[-*+]\s|\d+[.)]\s|>\s?|#{1,6}\s)", "", line))
    blocks.append(" ".join(current))
    out = []
    for block in blocks:
        text = strip_tags(_MD_LINK.sub(r"\1", _MD_IMAGE.sub("", block)))
        out.extend(_sentences(_EMPHASIS.sub("", text).replace("|", " ")))
    return out


def cell_text(cell) -> list[str]:
    """What a reader reads of one cell: a Markdown cell's source, a code cell's Markdown or HTML outputs."""
    if cell.get("cell_type") == "markdown":
        return [cell.get("source", "")]
    parts = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        for mime in ("text/markdown", "text/html"):
            if mime in data:
                value = data[mime]
                parts.append("".join(value) if isinstance(value, list) else value)
                break
    return parts


def page_text(nb) -> str:
    """What a reader reads on a page: its Markdown cells and its Markdown/HTML outputs."""
    return "\n".join(part for cell in nb.cells for part in cell_text(cell))
