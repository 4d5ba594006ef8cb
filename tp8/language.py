"""The two languages of the course pages: one run writes each sentence in French and in English.

A page is written in French; its English edition is not a second run of it. Every sentence the run
*writes* (a guarded claim, a sentence chosen from the numbers, a table header, a figure label, an
alternative text) is rendered twice by the same run, from the same values: once from the French
source, once from its English translation. The translations are gettext catalogues
(``docs/locale/en/<page>.po``, one per page); the site build reads them and hands the kernel the
entries of the page's code (:func:`use_catalogue`), so the kernel never reads a file for them.

* :func:`tr` — a template written like an f-string (``tr("la carte est {num(r)} fois plus dense")``),
  evaluated where it is called, once per language: ``num`` and the other number helpers of
  :mod:`tp8.course` write ``0,52`` in the French rendering and ``0.52`` in the English one. The
  template itself is the gettext ``msgid``; its translation must use the same ``{…}`` fields.
* :func:`gettext` (``_``) — a fixed phrase (a table header, a figure label, a fragment chosen by a
  condition).
* :class:`Text` — what both return: a ``str`` (the French) that carries its English (``.en``, or
  ``None`` when the catalogue has no translation yet), displayed by Jupyter as Markdown with the
  English in the output's metadata (``metadata["tp8"]["en"]``), where the English edition takes it.

Outside a build there is no catalogue: everything renders in French, ``.en`` is ``None``.
:func:`set_language` (``"en"``) makes what the kernel *displays* English (a reader running an
English notebook), given a catalogue.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from functools import lru_cache

from .errors import InputError

__all__ = [
    "LANGUAGES",
    "Text",
    "Untranslated",
    "display_language",
    "gettext",
    "missing",
    "rendering",
    "set_language",
    "tr",
    "translated",
    "use_catalogue",
]

LANGUAGES = ("fr", "en")

_state: dict = {"display": "fr", "rendering": None}
#: French msgid → English msgstr, the entries of the page's code (given by the build).
_catalogue: dict[str, str] = {}
#: French rendering → English rendering of every text written so far (figure labels, table headers
#: look their strings up here: a matplotlib artist or a DataFrame keeps a plain ``str``).
_rendered: dict[str, str] = {}
#: msgids the run needed and the catalogue lacks (the build lists them as untranslated).
_missing: dict[str, None] = {}


class Untranslated(LookupError):
    """Raised inside an English rendering when a msgid has no translation (the whole text has none)."""


class Text(str):
    """A text of the run: the French (the string itself) and its English (``.en``, ``None`` if untranslated)."""

    en: str | None

    def __new__(cls, fr: str, en: str | None = None) -> Text:
        self = super().__new__(cls, fr)
        self.en = en
        return self

    def __format__(self, spec: str) -> str:
        # Inside an English rendering, a Text in a field writes its English (a phrase chosen earlier).
        if _state["rendering"] == "en":
            if self.en is None:
                raise Untranslated(str(self))
            return format(self.en, spec)
        return format(str(self), spec)

    def in_language(self, lang: str) -> str | None:
        return str(self) if lang == "fr" else self.en

    def _repr_mimebundle_(self, include=None, exclude=None):
        shown = display_language()
        first = self.in_language(shown) or str(self)
        metadata = {}
        if self.en is not None:
            metadata = {"tp8": {"en": {"data": {"text/markdown": self.en, "text/plain": self.en}}}}
        return {"text/markdown": first, "text/plain": first}, metadata


def use_catalogue(entries: dict[str, str]) -> None:
    """The English translations of the page's code strings (French msgid → English msgstr)."""
    if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
        raise InputError("use_catalogue() takes a dict of French msgid → English msgstr strings")
    _catalogue.clear()
    _catalogue.update(entries)


#: A reader's English notebook sets these (its first cell): the language it displays, and where the
#: page's catalogue is (a path, or an https URL of the repository's ``docs/locale/en/<page>.po``).
LANGUAGE_ENV = "TP8_LANGUAGE"
CATALOGUE_ENV = "TP8_CATALOGUE"


def load_catalogue(source: str) -> int:
    """Use the English of a page's gettext catalogue (a ``.po`` path or URL); the number of entries.

    Every translated entry is taken (a *fuzzy* one too: an older French's English is better than
    none for a reader). Babel reads the file, as it does for the site build.
    """
    import io
    import urllib.request

    from babel.messages.pofile import read_po

    try:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=30) as response:
                data = response.read()
        else:
            with open(source, "rb") as handle:
                data = handle.read()
        catalog = read_po(io.BytesIO(data), locale="en")
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the English catalogue {source!r} ({exc}); unset {CATALOGUE_ENV} to read the page in French"
        ) from None
    entries = {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string}
    use_catalogue(entries)
    return len(entries)


def setup_from_environment() -> None:
    """``$TP8_LANGUAGE`` and ``$TP8_CATALOGUE`` (an English notebook's first cell sets them)."""
    import os

    source = os.environ.get(CATALOGUE_ENV, "").strip()
    if source:
        load_catalogue(source)
    code = os.environ.get(LANGUAGE_ENV, "").strip().lower()
    if code:
        set_language(code)


def translated() -> bool:
    """Whether a catalogue is in use (otherwise nothing is rendered in English)."""
    return bool(_catalogue)


def set_language(code: str) -> None:
    """The language the kernel *displays* (``"fr"`` by default; ``"en"`` for an English notebook)."""
    if code not in LANGUAGES:
        raise InputError(f"unknown language {code!r}; choose among {', '.join(LANGUAGES)}")
    _state["display"] = code


def display_language() -> str:
    return _state["display"]


def rendering() -> str:
    """The language being written now: the rendering in progress, else the displayed language."""
    return _state["rendering"] or _state["display"]


def missing() -> list[str]:
    """The msgids this run needed and the catalogue lacks, in the order first met."""
    return list(_missing)


@contextmanager
def _rendering(lang: str):
    before = _state["rendering"]
    _state["rendering"] = lang
    try:
        yield
    finally:
        _state["rendering"] = before


def _english(msgid: str) -> str:
    found = _catalogue.get(msgid)
    if found is None:
        _missing.setdefault(msgid, None)
        raise Untranslated(msgid)
    return found


@lru_cache(maxsize=4096)
def _compiled(template: str):
    for quote in ('"""', "'''"):
        if quote not in template and not template.endswith(quote[0]):
            try:
                return compile(f"rf{quote}{template}{quote}", "<tp8 template>", "eval")
            except SyntaxError as exc:
                raise InputError(
                    f"not a valid template (written like an f-string): {template[:80]!r}: {exc.msg}"
                ) from None
    raise InputError(f"a template cannot hold both kinds of triple quotes: {template[:80]!r}")


def _render(template: str, namespace: dict) -> str:
    if "{" not in template and "}" not in template:
        return template
    return eval(_compiled(template), namespace)


def _both(msgid: str, namespace: dict | None) -> Text:
    """Render ``msgid`` (and its translation) in both languages, or in the one being rendered."""

    def render(source: str) -> str:
        return source if namespace is None else _render(source, namespace)

    current = _state["rendering"]
    if current == "fr":
        return Text(render(msgid))
    if current == "en":  # inside an English rendering: its English is this text itself
        english = render(_english(msgid))
        return Text(english, english)
    with _rendering("fr"):
        fr = render(msgid)
    en = None
    if _catalogue:
        try:
            with _rendering("en"):
                en = render(_english(msgid))
        except Untranslated:
            en = None
    if en is not None:
        _rendered[fr] = en
    return Text(fr, en)


def tr(template: str) -> Text:
    """A sentence of the run, in French and English: ``template`` is written like an f-string.

    ``tr("la carte est {num(ratio, 1)} fois plus dense")`` evaluates its fields where it is called
    (like ``f"…"``), once in each language, with the number helpers writing each language's way.
    The template is the catalogue's ``msgid``; its translation uses the same fields.
    """
    if not isinstance(template, str):
        raise InputError("tr() takes the template string itself (written like an f-string, without the f)")
    return _both(template, _namespace(sys._getframe(1)))


_SCOPES = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>"})


def _namespace(frame) -> dict:
    """What a field of a template called in ``frame`` can read: like an f-string written there, a
    comprehension's template sees the names of the function around it too."""
    layers = [frame.f_locals]
    while frame.f_code.co_name in _SCOPES and frame.f_back is not None:
        frame = frame.f_back
        layers.append(frame.f_locals)
    namespace = dict(frame.f_globals)
    for layer in reversed(layers):
        namespace.update(layer)
    return namespace


def gettext(text: str) -> Text:
    """A fixed phrase of the run (no fields), in French and English: a header, a label, a fragment."""
    if not isinstance(text, str):
        raise InputError("gettext() / _() takes the French phrase as a string")
    return _both(text, None)


def english_of(text: str) -> str | None:
    """The English of a French text the run wrote (a figure label, a header), if it has one."""
    found = getattr(text, "en", None)
    if found is not None:
        return found
    return _rendered.get(str(text))


def remember(fr: str, en: str) -> None:
    """Record that the run wrote ``fr`` whose English is ``en`` (e.g. :mod:`tp8.plotting`'s labels)."""
    _rendered[fr] = en
