"""The English edition's catalogues: gettext ``.po`` files, one per page, read and updated with Babel.

A page is written in French. Its translatable passages (its *messages*) are:

* each **block** of its Markdown — a Markdown cell of a notebook page, or a ``.md`` page — cut at
  blank lines (a display formula ``$$…$$``, a fenced code block or an indented admonition body
  stays whole; a block without a letter, such as an anchor, is not a message);
* each string its **code** hands to ``tr("…")`` (a sentence of the run, written like an f-string),
  ``_("…")`` / ``gettext("…")`` (a fixed phrase) or ``claim(condition, "…")`` (a guarded sentence).

``docs/locale/en/<page>.po`` holds their English, one entry per message, with the place it comes
from (``#: partie-1-saillance.py:412``) and, for a code string, the ``python-brace-format`` flag.
``python tools/site_notebooks.py translations`` brings the catalogues up to date with the pages
(Babel's ``Catalog.update``: a changed French passage keeps its old English, marked *fuzzy*, with
the French it was made from as ``#| msgid``); a translator edits them with any ``.po`` tool and
never runs the course. The build reads them (:func:`load`) and, without writing them, names every
passage whose English is missing or stale (:class:`Lookup`).
"""

from __future__ import annotations

import ast
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

LOCALE_DIR = Path("locale") / "en"  # under docs/
CODE_FLAG = "python-brace-format"
CODE_CALLS = {"tr": 0, "_": 0, "gettext": 0, "claim": 1}

_FENCE = re.compile(r"^\s*(```|~~~)")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True)
class Message:
    """One translatable passage: its French (the msgid), where it is, whether the run writes it."""

    msgid: str
    line: int  # 1-based line in the page's source
    code: bool = False  # a string of the page's code (tr, _, claim)
    cell: int | None = None  # the notebook cell it belongs to


def catalogue_path(docs_dir: Path, src_uri: str) -> Path:
    stem = src_uri.rsplit(".", 1)[0]
    return Path(docs_dir) / LOCALE_DIR / f"{stem}.po"


# --- cutting Markdown into blocks -------------------------------------------------------------------


def blocks(markdown: str) -> list[tuple[int, str]]:
    """``(first line, text)`` of each block of ``markdown`` (0-based lines), cut at blank lines.

    A display formula (``$$`` … ``$$``) and a fenced code block stay whole even across blank lines;
    the text of a block keeps its indentation (an admonition's body), so that joining the blocks with
    blank lines gives the Markdown back.
    """
    out: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    fence = None
    math = False
    for i, line in enumerate(markdown.split("\n")):
        stripped = line.strip()
        if fence is None and not math and not stripped:
            if current:
                out.append((start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = i
        current.append(line)
        m = _FENCE.match(line)
        if m and not math:
            if fence is None:
                fence = m.group(1)
            elif stripped.startswith(fence):
                fence = None
        elif fence is None and stripped.count("$$") % 2 == 1:
            math = not math
    if current:
        out.append((start, "\n".join(current)))
    return out


def _indent(text: str) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    return min((line[: len(line) - len(line.lstrip(" "))] for line in lines), key=len, default="")


def _dedent(text: str, indent: str) -> str:
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in text.split("\n"))


def _reindent(text: str, indent: str) -> str:
    return "\n".join(indent + line if line.strip() else line for line in text.split("\n"))


#: A formula with words or French numbers in it is a passage to translate too (``\\mathrm{moyenne}``,
#: ``0{,}15``, ``\\{R, V, B\\}``); other formulas are the same in both languages.
_WORDY_FORMULA = re.compile(r"\{,\}|\\(?:text|mathrm|operatorname)\{[^}]*[^\W\d_]{3}|R, V, B")


def is_message(text: str) -> bool:
    """Whether a block has words to translate (an anchor, a lone formula or a rule has not)."""
    if _WORDY_FORMULA.search(text):
        return True
    body = re.sub(r"<[^>]+>", " ", text)
    body = re.sub(r"\$\$.*?\$\$", " ", body, flags=re.S)
    body = re.sub(r"\$[^$\n]+\$", " ", body)
    return bool(_LETTER.search(body))


def markdown_messages(markdown: str, first_line: int, cell: int | None = None) -> list[Message]:
    """The messages of a Markdown text whose first line is ``first_line`` (1-based) in its file."""
    found = []
    for start, text in blocks(markdown):
        body = _dedent(text, _indent(text))
        if is_message(body):
            found.append(Message(body, first_line + start, False, cell))
    return found


def code_messages(source: str, first_line: int, cell: int | None = None) -> list[Message]:
    """The strings a code cell hands to ``tr``, ``_``, ``gettext`` and ``claim`` (literal strings only),
    and those written inside a ``tr`` template's fields (``{claim(…, "…")}``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # a cell IPython alone understands (magics): no message of ours
    found = _calls(tree, first_line, cell)
    found.sort(key=lambda m: m.line)
    return found


def _calls(tree, first_line: int, cell: int | None, line: int | None = None) -> list[Message]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        position = CODE_CALLS.get(name)
        if position is None or len(node.args) <= position:
            continue
        arg = node.args[position]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.strip():
            where = line if line is not None else first_line + arg.lineno - 1
            found.append(Message(arg.value, where, True, cell))
            inner = _template_tree(arg.value) if name == "tr" else None
            if inner is not None:
                found += _calls(inner, first_line, cell, where)
    return found


def _template_tree(template: str):
    """The template parsed as the f-string it is written like (``None`` if it is not one)."""
    for quote in ('"""', "'''"):
        if quote not in template and not template.endswith(quote[0]):
            try:
                return ast.parse(f"rf{quote}{template}{quote}", mode="eval")
            except SyntaxError:
                return None
    return None


def fields(template: str) -> list[str] | None:
    """The ``{…}`` fields of a template written like an f-string (their source), ``None`` if it is not one."""
    tree = _template_tree(template)
    if tree is None or not isinstance(tree.body, ast.JoinedStr):
        return None if tree is None else []
    return sorted(ast.unparse(v) for v in tree.body.values if isinstance(v, ast.FormattedValue))


def page_messages(page) -> list[Message]:
    """Every message of a page (``sitebuild.pages.Page`` of a notebook, or a ``.md`` path and text)."""
    found: list[Message] = []
    for index, cell in enumerate(page.nb.cells):
        line = page.line_of(index) or 1
        if cell.cell_type == "markdown":
            found += markdown_messages(cell.source, line, index)
        elif cell.cell_type == "code":
            found += code_messages(cell.source, line, index)
    return found


def md_messages(text: str) -> list[Message]:
    """The messages of a ``.md`` page (its YAML front matter left out)."""
    first = 1
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            first = text[: end + 5].count("\n") + 1
            text = text[end + 5 :]
    return markdown_messages(text, first)


# --- catalogues -----------------------------------------------------------------------------------------

HEADER = """\
# The English of one page of the tp8 course ({name}): one entry per passage of its French.
# Brought up to date with the page by `python tools/site_notebooks.py translations`; edit the msgstr
# lines (any .po editor will do), then remove the "fuzzy" flag of an entry once its English matches
# its French again. See docs/enseignants.md, "Traduire le cours"."""


def _catalog(name: str, locale: str | None):
    from babel.messages.catalog import Catalog

    return Catalog(
        locale=locale,
        domain=name,
        header_comment=HEADER.format(name=name),
        project="tp8",
        version="course",
        copyright_holder="tp8 contributors",
        msgid_bugs_address="https://github.com/tp8-course/tp8/issues",
        last_translator="tp8 contributors",
        language_team="English",
        fuzzy=False,
    )


def template(name: str, messages: list[Message]):
    """A Babel catalogue (a ``.pot``) of the page's messages, each with its places."""
    catalog = _catalog(name, None)
    for m in messages:
        flags = (CODE_FLAG,) if m.code else ()
        comments = [f"cellule {m.cell + 1}"] if m.cell is not None else []
        existing = catalog.get(m.msgid)
        if existing is not None:
            existing.locations.append((name, m.line))
            continue
        catalog.add(m.msgid, locations=[(name, m.line)], flags=flags, auto_comments=comments)
    return catalog


def read(path: Path):
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        return read_po(handle, locale="en", abort_invalid=True)


def write(path: Path, catalog) -> bool:
    """Write ``catalog`` to ``path`` when its text changes; ``True`` if it did."""
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_previous=True, sort_output=False, omit_header=False)
    data = buffer.getvalue()
    # The header's creation and revision dates change at each write: keep the file as it is when
    # nothing else does.
    data = re.sub(rb'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', b"", data)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def update(path: Path, name: str, messages: list[Message]) -> tuple[object, bool]:
    """The catalogue at ``path`` brought up to date with ``messages`` (Babel's fuzzy matching)."""
    pot = template(name, messages)
    catalog = read(path) if path.is_file() else _catalog(name, "en")
    fresh = _catalog(name, "en")
    for attribute in ("project", "version", "msgid_bugs_address", "last_translator", "language_team"):
        setattr(catalog, attribute, getattr(fresh, attribute))
    catalog.update(pot, no_fuzzy_matching=False, update_header_comment=True, keep_user_comments=True)
    catalog.obsolete.clear()  # an entry no page uses any more: its English is in the history
    return catalog, write(path, catalog)


# --- what the build looks up --------------------------------------------------------------------------


#: A link the build made relative to the site's root, from a page below it (``](../compte-rendu-tp8.ipynb``).
_ROOT_LINK = re.compile(r"\]\(((?:\.\./)+)([^)#:]+\.ipynb)")


@dataclass
class Lookup:
    """The English of a page's messages, and what is missing or stale (for the log and the page)."""

    name: str
    entries: dict[str, str] = field(default_factory=dict)  # msgid → msgstr (translated, not fuzzy)
    stale: dict[str, str] = field(default_factory=dict)  # msgid → the English of an older French
    missing: set[str] = field(default_factory=set)
    invalid: dict[str, str] = field(default_factory=dict)  # msgid → why its English cannot be used

    def english(self, msgid: str) -> tuple[str | None, str]:
        """``(English, state)``: ``state`` is ``"ok"``, ``"stale"`` (an older French's English) or ``"missing"``.

        A passage whose links to the site's root the build made relative (``](../compte-rendu-tp8.ipynb)``,
        ``variants.link_to_root``) is found as the author wrote it, and its English gets the same links.
        """
        if msgid in self.entries:
            return self.entries[msgid], "ok"
        if msgid in self.stale:
            return self.stale[msgid], "stale"
        written = _ROOT_LINK.sub(r"](\2", msgid)
        if written != msgid:
            english, state = self.english(written)
            if english is not None:
                for prefix, name in set(_ROOT_LINK.findall(msgid)):
                    english = english.replace(f"]({name}", f"]({prefix}{name}")
                return english, state
        return None, "missing"

    def code_entries(self, messages: list[Message]) -> dict[str, str]:
        """The English of the page's code strings (up to date or stale), for the kernel."""
        out = {}
        for m in messages:
            if m.code:
                english, _state = self.english(m.msgid)
                if english is not None:
                    out[m.msgid] = english
        return out

    def fingerprint(self, messages: list[Message]) -> str:
        """What the run's English depends on: the code strings' English (a page key's part)."""
        digest = hashlib.sha256()
        for msgid, english in sorted(self.code_entries(messages).items()):
            digest.update(msgid.encode() + b"\0" + english.encode() + b"\0")
        return digest.hexdigest()[:16]


def lookup(path: Path, name: str, messages: list[Message]) -> Lookup:
    """The catalogue at ``path`` matched with the page's current ``messages``, in memory (nothing written).

    A message whose French changed since its English was made gets that English, marked stale (the
    same fuzzy match as :func:`update`); one never translated is missing.
    """
    found = Lookup(name)
    if not path.is_file():
        found.missing = {m.msgid for m in messages}
        return found
    catalog = read(path)
    current = {m.msgid for m in messages}
    code = {m.msgid for m in messages if m.code}
    unknown = set()
    for msgid in current:
        entry = catalog.get(msgid)
        if entry is None or not entry.string:
            unknown.add(msgid)
        elif msgid in code and fields(entry.string) != fields(msgid):
            found.invalid[msgid] = (
                f"ses champs {{…}} ne sont pas ceux du français (français : {fields(msgid)}, anglais : {fields(entry.string)})"
            )
            found.missing.add(msgid)
        elif entry.fuzzy:
            found.stale[msgid] = entry.string
        else:
            found.entries[msgid] = entry.string
    if unknown:  # changed since the last update of the catalogue: Babel's own fuzzy matching
        pot = template(name, [m for m in messages if m.msgid in unknown])
        catalog.update(pot, no_fuzzy_matching=False, update_header_comment=False)
        for msgid in unknown:
            entry = catalog.get(msgid)
            if entry is not None and entry.string:
                found.stale[msgid] = entry.string
            else:
                found.missing.add(msgid)
    return found


def code_catalogue(page, docs_dir: Path) -> dict[str, str]:
    """The English of a notebook page's code strings (up to date or stale): what its kernel is given."""
    messages = [m for m in page_messages(page) if m.code]
    if not messages:
        return {}
    path = catalogue_path(docs_dir, page.src_uri)
    if not path.is_file():
        return {}
    return lookup(path, page.src_uri, messages).code_entries(messages)


# --- translating a Markdown text --------------------------------------------------------------------------


@dataclass
class Passage:
    """A block of a page whose English is not up to date (for the log and the page's notice)."""

    line: int
    state: str  # "stale" or "missing"
    french: str


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def french_id(heading: str) -> str | None:
    """The id Python-Markdown's ``toc`` gives a French heading (``## L'édition anglaise`` → ``ledition-anglaise``)."""
    from markdown.extensions.toc import slugify

    match = _HEADING.match(heading)
    if match is None or "\n" in heading.strip() or "{#" in heading:
        return None
    text = re.sub(
        r"`([^`]*)`|\*+|_+(?=\w)|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or m.group(2) or "", match.group(2)
    )
    return slugify(text, "-")


def translate_markdown(
    markdown: str, table: Lookup, first_line: int = 1, keep_ids: bool = False
) -> tuple[str, list[Passage]]:
    """``markdown`` in English, block by block, and the blocks whose English is stale or missing.

    A stale block shows its old English; a missing one its French, inside ``lang="fr"``; both are
    followed by a discreet notice (``.tp8-stale``) naming what lags. ``keep_ids`` (a Markdown page):
    an English heading keeps its French id (``{#…}``), so that links to it from either language land.
    """
    out, lagging = [], []
    for start, text in blocks(markdown):
        indent = _indent(text)
        body = _dedent(text, indent)
        if not is_message(body):
            out.append(text)
            continue
        english, state = table.english(body)
        anchor = french_id(body) if keep_ids and english is not None else None
        if anchor and _HEADING.match(english) and "{#" not in english:
            english = f"{english.rstrip()} {{#{anchor}}}"
        if state == "ok":
            out.append(_reindent(english, indent))
            continue
        lagging.append(Passage(first_line + start, state, body))
        if state == "stale":
            out.append(_reindent(english, indent))
            note = "The French of this passage changed since it was translated; its English may lag behind."
        else:
            out.append(_reindent(f'<div lang="fr" markdown="1">\n\n{body}\n\n</div>', indent))
            note = "This passage is not translated yet; it is shown in French."
        out.append(_reindent(f'<p class="tp8-stale" role="note">{note}</p>', indent))
    return "\n\n".join(out), lagging
