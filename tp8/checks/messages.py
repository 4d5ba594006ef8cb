"""The self-checks' words, in French and English side by side, kept unrendered until shown.

A check writes each line of its report as a :class:`Text`: a French and an English template, and the
values they name (a function's name, a number, another text). :meth:`Text.render` writes it in one
language, numbers included (``0,58`` in French, ``0.58`` in English: :func:`tp8.course.num`'s French
writing, its separators swapped). A verdict keeps its texts so and renders them when it is shown,
in the language of :func:`language`, or in the one asked for: one run of a check can be shown in
both languages.

The language is chosen in one place, the language the kernel displays (:func:`tp8.language.set_language`,
French by default, the course's language): :func:`set_language` sets it too, so a notebook in English calls
``tp8.language.set_language("en")`` or ``tp8.checks.set_language("en")`` once, before its checks. Whatever
it is, what a check displays carries both languages (:func:`bundle`): the shown one as its data, the
English in its metadata (``metadata["tp8"]["en"]``), where the course's English edition takes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import language as _course_language
from ..errors import InputError

__all__ = [
    "LANGUAGES",
    "Number",
    "Quoted",
    "Text",
    "bundle",
    "join",
    "language",
    "render_value",
    "set_language",
    "t",
]

#: The languages a check can speak; the first is the default.
LANGUAGES = ("fr", "en")


def set_language(code: str) -> None:
    """Language in which the checks show their reports and notices: ``"fr"`` (default) or ``"en"``.

    It is the language the kernel displays (:func:`tp8.language.set_language`, set here too).
    """
    if code not in LANGUAGES:
        raise InputError(f"unknown language for tp8.checks: {code!r}; choose among {list(LANGUAGES)}")
    _course_language.set_language(code)


def language() -> str:
    """The language reports are shown in when none is asked for: :func:`tp8.language.display_language`."""
    return _course_language.display_language()


def bundle(render) -> tuple[dict, dict]:
    """A Jupyter display bundle of both languages: ``render(code)`` gives the ``{mime: text}`` of one.

    Its data are in :func:`language` (what the kernel displays); its metadata carry the English
    (``{"tp8": {"en": {"data": …}}}``), which the course's English edition shows instead of the data.
    """
    english = render("en")
    data = english if language() == "en" else render("fr")
    return dict(data), {"tp8": {"en": {"data": dict(english)}}}


def _chosen(code: str | None) -> str:
    if code is None:
        return language()
    if code not in LANGUAGES:
        raise InputError(f"unknown language for tp8.checks: {code!r}; choose among {list(LANGUAGES)}")
    return code


@dataclass(frozen=True)
class Text:
    """A sentence in French and English, with the values its ``{name}`` fields name.

    The values are rendered in the sentence's language: a :class:`Text`, :class:`Number`,
    :class:`Quoted` (anything with a ``render(code)`` method) by its own ``render``, anything else
    by ``str``. Texts are equal when their
    templates and values are, which is how a report shows a hint only once.
    """

    fr: str
    en: str
    values: tuple[tuple[str, object], ...] = ()

    def render(self, code: str | None = None) -> str:
        code = _chosen(code)
        template = self.fr if code == "fr" else self.en
        return template.format_map({name: render_value(value, code) for name, value in self.values})

    def __str__(self) -> str:
        return self.render()

    def __add__(self, other: Text) -> Text:
        return join([self, other])


def t(fr: str, en: str, **values) -> Text:
    """A :class:`Text`: ``t("{n} passe(s)", "{n} pass(es)", n=3)``."""
    return Text(fr, en, tuple(values.items()))


def join(parts, fr: str = "", en: str | None = None) -> Text:
    """The texts ``parts`` one after the other, separated by ``fr`` in French and ``en`` in English."""
    parts = list(parts)
    names = [f"p{k}" for k in range(len(parts))]
    en = fr if en is None else en
    return Text(fr.join("{" + n + "}" for n in names), en.join("{" + n + "}" for n in names), tuple(zip(names, parts)))


@dataclass(frozen=True)
class Number:
    """A number written in the language of the text around it.

    ``digits`` decimals (:func:`tp8.course.num`); ``digits=None`` shows a measured distance: a power
    of ten below 0.01 (:func:`tp8.course.sci`), two decimals above, ``0`` and non-finite values as such.
    """

    value: float
    digits: int | None = 2

    def render(self, code: str) -> str:
        import math

        from ..course import num, sci

        x = float(self.value)
        if self.digits is not None:
            text = num(x, self.digits)
        elif x == 0 or not math.isfinite(x):
            text = num(x, 0)
        else:
            text = sci(x) if abs(x) < 0.01 else num(x, 2)
        return text if code == "fr" else _english(text)


def _english(french: str) -> str:
    """A number written by tp8.course the French way, in English: ``−1 234,5`` → ``−1,234.5``."""
    from ..course import NNBSP

    return french.replace(",", ".").replace(NNBSP, ",")


@dataclass(frozen=True)
class Quoted:
    """A name between quotation marks: « goldfish » in French, “goldfish” in English."""

    text: object

    def render(self, code: str) -> str:
        from ..course import NBSP

        inner = render_value(self.text, code)
        return f"«{NBSP}{inner}{NBSP}»" if code == "fr" else f"“{inner}”"


def render_value(value, code: str) -> str:
    """A value in a text: rendered by its own ``render(code)`` when it has one, else by ``str``."""
    render = getattr(value, "render", None)
    return render(code) if callable(render) else str(value)
