"""``use``: the student's function once it is written, and tp8's reference, with a notice, while it is a stub."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InputError
from .messages import bundle, language, render_value, t
from .student import check_function

__all__ = ["use"]


def use(fn: Callable, reference: Callable) -> Callable:
    """``fn`` once it is written; meanwhile tp8's reference, with a visible notice.

    For the cell of an exercise notebook (or page) that shows a figure with the student's
    function: while ``fn`` still raises :class:`NotImplementedError` (the stub), the call goes
    to the reference instead, and a notice says so, so that the notebook runs from top to bottom.
    Any other error of ``fn`` is raised as usual.

    Args:
        fn: the student's function.
        reference: the check of the same exercise (:func:`tp8.checks.saliency`, …), whose
            reference is used, or any function with ``fn``'s signature.

    Returns:
        A function with ``fn``'s signature.

    Example::

        >>> carte = tp8.checks.use(carte_de_saillance, tp8.checks.saliency)
        >>> cartes = carte(model, images, classes)
    """
    name = check_function(fn, "fn")
    target = getattr(reference, "reference", reference)
    if not callable(target):
        raise InputError(f"reference must be a check of tp8.checks or a function, got {type(reference).__name__}")
    shown = (
        getattr(reference, "reference_name", None)
        or getattr(target, "__name__", None)
        or t("la référence", "the reference")
    )

    told = []

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            if not told:  # once, even when a loop calls the function many times
                told.append(True)
                _display_notice(
                    t(
                        "La fonction <code>{name}</code> n'est pas encore écrite : ce résultat vient de la référence "
                        "de tp8 ({shown}). Écrivez-la, puis exécutez de nouveau cette cellule pour voir le vôtre.",
                        "The function <code>{name}</code> is not written yet: this result comes from tp8's reference "
                        "({shown}). Write it, then run this cell again to see yours.",
                        name=html.escape(name),
                        shown=_Escaped(shown),
                    )
                )
            return target(*args, **kwargs)

    return call


@dataclass(frozen=True)
class _Escaped:
    """A text escaped for HTML once rendered."""

    text: object

    def render(self, code: str) -> str:
        return html.escape(render_value(self.text, code))


@dataclass(frozen=True)
class _ReferenceNotice:
    """The notice of :func:`use`: a Material admonition (:class:`tp8.course.Notice`) in both languages."""

    text: object  # a Text of tp8.checks.messages, holding inline HTML

    def box(self, code: str):
        from ..course import Notice

        title = t("Résultat de la référence", "The reference's result")
        return Notice("info", title.render(code), self.text.render(code))

    def _repr_mimebundle_(self, include=None, exclude=None):
        def render(code: str) -> dict:
            box = self.box(code)
            # Notice.html("fr") writes the box's own title and text, here already in ``code``.
            return {"text/html": box.html("fr"), "text/markdown": box._repr_markdown_(), "text/plain": _plain(box)}

        return bundle(render)

    def __repr__(self) -> str:
        return _plain(self.box(language()))


def _plain(box) -> str:
    return re.sub(r"<[^>]+>", "", repr(box))


def _display_notice(text) -> None:
    notice = _ReferenceNotice(text)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(notice)
    else:
        print(repr(notice))
