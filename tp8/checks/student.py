"""Running the student's function: on copies of its inputs, counting the network's passes, never raising.

:func:`invoke` calls it and records what it returned or raised (with the line of the function that
raised), how many forward and backward passes it made, and what it left behind: gradients on the
model, inputs changed in place. The model is always left as it was found.
"""

from __future__ import annotations

import inspect
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ..errors import InputError
from ..models import Classifier
from .messages import Text, t


@dataclass
class Outcome:
    """What one call of the student's function did."""

    value: object = None
    error: BaseException | None = None
    where: Text | str = ""  # the line of the function that raised, as a report says it
    forwards: int = 0
    backwards: int = 0
    model_grads: bool = False
    inputs_changed: list[Text] = field(default_factory=list)

    @property
    def not_implemented(self) -> bool:
        return isinstance(self.error, NotImplementedError)


def check_function(fn, what: str) -> str:
    """The name of the function to check (``what`` if it has none); an InputError if ``fn`` is no function."""
    if not callable(fn):
        raise InputError(f"give the function to check ({what}), got {type(fn).__name__}")
    return getattr(fn, "__name__", what)


def error_text(error: BaseException) -> str:
    """``ZeroDivisionError: division by zero``: the error's type and the first line of its message."""
    lines = str(error).strip().splitlines()
    first = lines[0][:300] if lines else ""
    return f"{type(error).__name__}: {first}".strip().rstrip(":")


def _location(fn: Callable, exc: BaseException) -> Text | str:
    """`` (ligne 4 de la fonction : « … »)``: the line of ``fn`` itself that led to the error.

    A frame of another function of the same file or cell (a helper ``fn`` calls) is not ``fn``'s:
    the line shown is then the one of ``fn`` that called it.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename == code.co_filename and f.name == code.co_name and f.lineno >= code.co_firstlineno
    ]
    if not frames:
        return ""
    last = frames[-1]
    n = last.lineno - code.co_firstlineno + 1
    if not last.line:
        return t(" (ligne {n} de la fonction)", " (line {n} of the function)", n=n)
    return t(
        " (ligne {n} de la fonction : « {line} »)", " (line {n} of the function: “{line}”)", n=n, line=last.line.strip()
    )


def _parameters(fn: Callable) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def model_argument(fn: Callable) -> str:
    """The name of ``fn``'s first parameter, the network (``modele`` in the exercises)."""
    names = _parameters(fn)
    return names[0] if names else "modele"


def global_networks(fn: Callable) -> list[str]:
    """The global names ``fn`` reads (nested functions included) that hold a network (``model``)."""
    code = getattr(fn, "__code__", None)
    scope = getattr(fn, "__globals__", None)
    if code is None or not isinstance(scope, dict):
        return []
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return sorted(n for n in names if isinstance(scope.get(n), nn.Module))


def invoke(fn: Callable, model: Classifier, *args) -> Outcome:
    """Call ``fn(model, *args)`` on copies of the tensors, counting the network's passes.

    Afterwards the model is left as it was found (frozen, no ``.grad``), whatever ``fn`` did.
    """
    outcome = Outcome()
    copies = [a.detach().clone() if isinstance(a, Tensor) else a for a in args]
    originals = [a.clone() if isinstance(a, Tensor) else None for a in copies]

    def count_backward(_grad):
        outcome.backwards += 1

    def on_forward(_module, _inputs, output):
        outcome.forwards += 1
        if isinstance(output, Tensor) and output.requires_grad:
            output.register_hook(count_backward)

    handle = model.net.register_forward_hook(on_forward)
    try:
        outcome.value = fn(model, *copies)
    except Exception as exc:  # the student's error is reported, never raised
        outcome.error = exc
        outcome.where = _location(fn, exc)
    finally:
        handle.remove()
    for p in model.parameters():
        if p.grad is not None or p.requires_grad:
            outcome.model_grads = True
        p.grad = None
        p.requires_grad_(False)
    model.eval()
    names = _parameters(fn)[1:]
    for k, (after, before) in enumerate(zip(copies, originals)):
        if before is None:
            continue
        if k < len(names):
            name = t("l'argument `{a}`", "the argument `{a}`", a=names[k])
        else:
            name = t("l'argument n° {n}", "argument no. {n}", n=k + 2)
        if after.requires_grad or after.grad is not None:
            outcome.inputs_changed.append(
                t(
                    "{name} a gardé requires_grad=True ou un .grad : travaillez sur une copie (….detach().clone())",
                    "{name} was left with requires_grad=True or a .grad: work on a copy (….detach().clone())",
                    name=name,
                )
            )
        elif after.shape != before.shape or not torch.equal(after, before):
            outcome.inputs_changed.append(
                t(
                    "{name} a été modifié en place : travaillez sur une copie",
                    "{name} was changed in place: work on a copy",
                    name=name,
                )
            )
    return outcome
