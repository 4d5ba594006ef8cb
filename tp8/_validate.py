"""Checks of the numbers that enter tp8's public functions.

Every numeric argument is checked where it enters, so that a bad value (NaN, infinite, negative,
zero, out of range, a float where a count is expected, a boolean, a string) stops at once with one
:class:`InputError` that names the argument, the value received, the range accepted and what to
pass instead — never a silent image of NaNs, an empty loop or a stack trace from deep inside PyTorch.

Each message reads ``"<name> must be <what is accepted>, got <value>; <hint>"``. The command line
passes ``name=""`` and lets argparse name the option (``argument --lr: must be …``).
"""

from __future__ import annotations

import math
import numbers

from torch import Tensor

from .errors import InputError

__all__ = ["check_count", "check_finite_tensor", "check_fraction", "check_int", "check_number", "check_seed"]


def _scalar(value):
    """A one-element tensor as a Python number; anything else unchanged."""
    if isinstance(value, Tensor) and value.numel() == 1:
        return value.item()
    return value


def _shown(value) -> str:
    """The value received, as a message shows it: ``nan``, ``-1``, ``bool True``, ``str 'abc'``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{type(value).__name__} {value!r}"
    return repr(value)


def _fail(name: str, wanted: str, value, hint: str) -> InputError:
    text = f"must be {wanted}, got {_shown(value)}" + (f"; {hint}" if hint else "")
    return InputError(f"{name} {text}" if name else text)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)  # True is not 1 here


def check_number(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """``value`` as a finite float within the given bounds, else an :class:`InputError`.

    ``low_open``/``high_open`` exclude the bound itself (``lr > 0``: ``low=0, low_open=True``).
    ``hint`` ends the message, e.g. ``"the default, 0.2, is a good start"``.
    """
    value = _scalar(value)
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '≥'} {low:g}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '≤'} {high:g}")
    wanted = "a finite number" + (" " + " and ".join(bounds) if bounds else "")
    if not _is_number(value):
        raise _fail(name, wanted, value, hint)
    try:
        x = float(value)
    except OverflowError:  # an int too large for a float
        x = math.inf
    bad = not math.isfinite(x)
    if not bad and low is not None:
        bad = x <= low if low_open else x < low
    if not bad and high is not None:
        bad = x >= high if high_open else x > high
    if bad:
        raise _fail(name, wanted, value, hint)
    return x


def check_int(name: str, value, *, low: int | None = None, high: int | None = None, hint: str = "") -> int:
    """``value`` as an int within ``[low, high]`` (a float is accepted only if integral: 100.0, not 2.5)."""
    value = _scalar(value)
    bounds = ([f"≥ {low}"] if low is not None else []) + ([f"≤ {high}"] if high is not None else [])
    wanted = "an integer" + (" " + " and ".join(bounds) if bounds else "")
    if not _is_number(value):
        raise _fail(name, wanted, value, hint)
    if not isinstance(value, numbers.Integral) and not (math.isfinite(float(value)) and float(value).is_integer()):
        raise _fail(name, wanted, value, hint)
    n = int(value)
    if (low is not None and n < low) or (high is not None and n > high):
        raise _fail(name, wanted, value, hint)
    return n


def check_count(name: str, value, *, minimum: int = 1, hint: str = "") -> int:
    """A number of things (iterations, samples, steps): an integer ≥ ``minimum``."""
    return check_int(name, value, low=minimum, hint=hint)


def check_fraction(name: str, value, *, hint: str = "") -> float:
    """A number in ``[0, 1]``."""
    return check_number(name, value, low=0.0, high=1.0, hint=hint)


def check_seed(value, name: str = "seed") -> int:
    """A random seed: an integer in ``[0, 2**63)``."""
    hint = "use a non-negative integer such as 0 (the default)"
    seed = check_int(name, value, low=0, hint=hint)
    if seed >= 2**63:
        raise _fail(name, "an integer ≥ 0 and < 2**63", value, hint)
    return seed


def check_finite_tensor(name: str, tensor: Tensor) -> Tensor:
    """Refuse a tensor holding NaN or ±inf (it would silently poison every gradient step)."""
    if tensor.is_floating_point() or tensor.is_complex():
        finite = tensor.isfinite()
        if not bool(finite.all()):
            bad = int((~finite).sum())
            raise InputError(
                f"{name} holds {bad} NaN or infinite value(s) out of {tensor.numel()}; "
                "clean the input first (e.g. torch.nan_to_num(x, nan=0.0).clamp(0, 1))"
            )
    return tensor
