"""A check's report as it is built (:class:`Report`) and its verdict (:class:`CheckResult`).

Each line is kept as a :class:`~tp8.checks.messages.Text` until shown, so that one verdict can be
rendered in French and in English; displayed in Jupyter, a verdict carries both (the English in the
output's metadata, ``metadata["tp8"]["en"]``, for the course's English edition).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .messages import Text, bundle, join, t

__all__ = ["FAILED", "NOT_IMPLEMENTED", "PASSED", "CheckResult", "Report", "results"]

FAILED = "failed"
PASSED = "passed"
NOT_IMPLEMENTED = "not implemented"

_MARKS = {True: "✔", False: "✘", None: "ℹ", "todo": "✎"}

#: The order in which a report lists its lines.
SECTIONS = ("info", "implemented", "type", "gradients", "error", "properties")


class CheckResult:
    """What a check found: one line per verification and a verdict, rendered when shown.

    Attributes:
        function: the name of the function checked.
        status: ``"passed"``, ``"failed"`` or ``"not implemented"``.

    ``exercise``, ``lines``, ``verdict`` and ``failures`` are rendered in the language of
    :func:`tp8.checks.language`; :meth:`text` and :meth:`html` render the whole report in the
    language asked for.
    """

    def __init__(self, exercise: Text, function: str, status: str, lines: list[tuple[object, Text]], verdict: Text):
        self._exercise, self.function, self.status = exercise, function, status
        self._lines, self._verdict = list(lines), verdict

    @property
    def exercise(self) -> str:
        """The exercise (``"carte de saillance"``)."""
        return self._exercise.render()

    @property
    def lines(self) -> list[tuple[object, str]]:
        """``(ok, text)`` pairs in the order shown; ``ok`` is True, False, None (information) or ``"todo"``."""
        return [(ok, text.render()) for ok, text in self._lines]

    @property
    def verdict(self) -> str:
        """The last line."""
        return self._verdict.render()

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def implemented(self) -> bool:
        return self.status != NOT_IMPLEMENTED

    @property
    def failures(self) -> list[str]:
        """The texts of the failed verifications."""
        return [text for ok, text in self.lines if ok is False]

    def as_dict(self, language: str | None = None) -> dict:
        """The exercise, function, status and verdict, rendered in ``language`` (default :func:`tp8.checks.language`)."""
        return {
            "exercise": self._exercise.render(language),
            "function": self.function,
            "status": self.status,
            "verdict": self._verdict.render(language),
        }

    @staticmethod
    def _title(exercise, function) -> Text:
        return t("Vérification — {e} ({f})", "Check — {e} ({f})", e=exercise, f=function)

    def text(self, language: str | None = None) -> str:
        """The report as text, in ``language`` (``"fr"``, ``"en"``; default :func:`tp8.checks.language`)."""
        body = [f"{_MARKS[ok]} {text.render(language)}" for ok, text in self._lines]
        title = self._title(self._exercise, self.function).render(language)
        return "\n".join([title, *body, self._verdict.render(language)])

    def html(self, language: str | None = None) -> str:
        """The report as an HTML admonition, in ``language``."""
        kind = {PASSED: "success", FAILED: "failure", NOT_IMPLEMENTED: "info"}[self.status]
        exercise = html.escape(self._exercise.render(language))
        title = self._title(exercise, f"<code>{html.escape(self.function)}</code>").render(language)
        items = "".join(f"<li>{_MARKS[ok]} {_code(text.render(language))}</li>" for ok, text in self._lines)
        return (
            f'<div class="admonition {kind} tp8-check"><p class="admonition-title">{title}</p>'
            f'<ul style="list-style: none; padding-left: 0">{items}</ul>'
            f"<p><strong>{_code(self._verdict.render(language))}</strong></p></div>"
        )

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<CheckResult {self.function}: {self.status}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's plain-text display
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, include=None, exclude=None):
        """HTML and text in the language shown, the English in the metadata (the English edition's)."""
        return bundle(lambda code: {"text/html": self.html(code), "text/plain": self.text(code)})


def _code(text: str) -> str:
    """Escape ``text`` for HTML, and show its `backticked` parts as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


_RESULTS: list[CheckResult] = []


def results(language: str | None = None) -> list[dict]:
    """Every check run so far in this kernel, as dicts (the site build refuses a failed one).

    Rendered in ``language`` (default :func:`tp8.checks.language`): one run serves both languages.
    """
    return [r.as_dict(language) for r in _RESULTS]


@dataclass
class _Entry:
    section: str
    ok: object
    text: Text
    where: Text | None  # the case it is about ("mini-réseau, attaque n° 3"), None for the whole check
    group: Text | None  # passing entries of the same group and key are shown as one line
    hint: Text | None
    key: str
    weight: float  # of merged entries, the one with the largest weight is shown


class Report:
    """The lines of a check, added in any order, listed by section (:data:`SECTIONS`)."""

    def __init__(self, exercise: Text, function: str):
        self.exercise, self.function = exercise, function
        self.entries: list[_Entry] = []

    def add(self, section: str, ok, text: Text, where=None, *, hint: Text | None = None, key="", weight=0.0) -> None:
        """One line: ``ok`` True, False, None (information) or ``"todo"``.

        ``where``: the case the line is about (a :class:`~tp8.checks.engine.Case`, or a label), or
        None. ``hint`` follows the text, once per report. Passing lines with the same ``key`` in the
        same group of cases are merged, showing the one of largest ``weight``.
        """
        label = getattr(where, "label", where)
        group = getattr(where, "group", where)
        self.entries.append(_Entry(section, ok, text, label, group, hint, key, weight))

    def failed(self) -> bool:
        return any(e.ok is False for e in self.entries)

    @property
    def todo(self) -> bool:
        return any(e.ok == "todo" for e in self.entries)

    def lines(self) -> list[tuple[object, Text]]:
        """The entries in section order; passing entries of one group and key merged into one line."""
        out: list[tuple[object, Text]] = []
        hints: list[Text] = []  # a hint shown once is not repeated on the next cases
        for section in SECTIONS:
            entries = [e for e in self.entries if e.section == section]
            groups = list(dict.fromkeys(e.group for e in entries))
            entries.sort(key=lambda e: groups.index(e.group))  # the tiny network's lines first
            merged: dict[tuple, list[_Entry]] = {}
            slots: list[object] = []
            for e in entries:
                if e.ok is True and e.key:
                    if (e.group, e.key) not in merged:
                        merged[(e.group, e.key)] = []
                        slots.append((e.group, e.key))
                    merged[(e.group, e.key)].append(e)
                else:
                    slots.append(e)
            for slot in slots:
                if isinstance(slot, _Entry):
                    out.append((slot.ok, _located(slot.where, _with_hint(slot, hints))))
                    continue
                same = merged[slot]
                shown = max(same, key=lambda e: e.weight)
                where = shown.where
                if len(same) > 1:
                    where = t("{g} ({n} cas)", "{g} ({n} cases)", g=shown.group, n=len(same))
                out.append((True, _located(where, shown.text)))
        return out

    def finish(self, scope: Text) -> CheckResult:
        """The verdict; ``scope`` says on what the check ran ("mini-réseau et SqueezeNet 1.1 sur …")."""
        f = self.function
        if self.todo:
            status = NOT_IMPLEMENTED
            verdict = t(
                "✎ À faire : écrivez `{f}`, exécutez sa cellule, puis relancez cette vérification.",
                "✎ To do: write `{f}`, run its cell, then run this check again.",
                f=f,
            )
        elif self.failed():
            status = FAILED
            bad = sum(e.ok is False for e in self.entries)
            total = sum(e.ok in (True, False) for e in self.entries)
            many = bad > 1
            verdict = t(
                "✘ `{f}` n'est pas encore juste : {bad} vérification{s} sur {total} échoue{nt}. "
                "Commencez par la première marquée ✘.",
                "✘ `{f}` is not right yet: {bad} of {total} check{checks} fail{fails}. Start with the first one marked ✘.",
                f=f,
                bad=bad,
                total=total,
                s="s" * many,
                nt="nt" * many,
                checks="s" * (total > 1),
                fails="" if many else "s",
            )
        else:
            status = PASSED
            total = sum(e.ok is True for e in self.entries)
            verdict = t(
                "✔ `{f}` est juste : {total} vérifications réussies ({scope}).",
                "✔ `{f}` is right: {total} checks passed ({scope}).",
                f=f,
                total=total,
                scope=scope,
            )
        result = CheckResult(self.exercise, f, status, self.lines(), verdict)
        _RESULTS.append(result)
        return result


def _with_hint(entry: _Entry, shown: list[Text]) -> Text:
    """The entry's text and its hint, or a pointer to the same hint shown above."""
    if entry.hint is None:
        return entry.text
    if entry.hint in shown:
        return entry.text + t(" Même piste qu'au-dessus.", " Same hint as above.")
    shown.append(entry.hint)
    return join([entry.text, entry.hint], " Piste : ", " Hint: ")


def _located(where: Text | None, text: Text) -> Text:
    return text if where is None else join([where, text], " : ", ": ")
