"""The lines every check writes, whatever the exercise, in the order a report shows them.

The call (not written yet, an error, the notebook's global network used instead of the argument);
the result's type, shape, dtype, device and finiteness; gradients left behind; the distance to the
reference, with the usual mistake's hint; the number of passes; the real network's absence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from .messages import Number, Text, join, t
from .networks import MINI_NOTE
from .result import Report
from .student import Outcome, error_text, global_networks, model_argument

if TYPE_CHECKING:
    from .engine import Case, Exercise, Run


def report_call(report: Report, outcome: Outcome, case: Case, fn: Callable) -> bool:
    """Report a failed or unwritten call, or one that ignores its network; True when there is a value to examine."""
    f = report.function
    if outcome.not_implemented:
        text = t(
            "`{f}` n'est pas encore écrite : elle lève NotImplementedError. Remplacez les lignes « À VOUS » par votre "
            "code.",
            "`{f}` is not written yet: it raises NotImplementedError. Replace the line `raise NotImplementedError()` "
            "and the comment above it with your code.",
            f=f,
        )
        report.add("implemented", "todo", text)
        return False
    used = global_networks(fn) if outcome.forwards == 0 else []
    if used:
        text = t(
            "`{f}` n'utilise pas le réseau reçu en argument : elle appelle `{g}`, une variable globale du carnet. "
            "Utilisez l'argument `{a}`. {note}",
            "`{f}` does not use the network it receives as its argument: it calls `{g}`, a global variable of the "
            "notebook. Use the argument `{a}`. {note}",
            f=f,
            g=used[0],
            a=model_argument(fn),
            note=MINI_NOTE,
        )
        if outcome.error is not None:
            text += t(
                " Ici, `{g}` a levé {e}{where}.",
                " Here, `{g}` raised {e}{where}.",
                g=used[0],
                e=error_text(outcome.error),
                where=outcome.where,
            )
        report.add("implemented", False, text, case)
        return False
    if outcome.error is not None:
        text = t(
            "`{f}` lève une erreur, {e}{where}.",
            "`{f}` raises an error, {e}{where}.",
            f=f,
            e=error_text(outcome.error),
            where=outcome.where,
        )
        report.add("implemented", False, text, case)
        return False
    return True


def not_a_tensor(f: str, value) -> Text:
    """What a result that is no tensor is, and what to return instead."""
    if value is None:
        return t(
            "`{f}` ne renvoie rien (None) : il manque l'instruction return.",
            "`{f}` returns nothing (None): the return statement is missing.",
            f=f,
        )
    kind = type(value).__name__
    text = t(
        "`{f}` renvoie un objet {kind}, pas un torch.Tensor",
        "`{f}` returns an object of type {kind}, not a torch.Tensor",
        f=f,
        kind=kind,
    )
    if isinstance(value, tuple) and hasattr(value, "values") and hasattr(value, "indices"):
        text += t(
            " : `.max(dim=1)` renvoie un couple (valeurs, indices) ; gardez les valeurs, `….max(dim=1).values`, ou "
            "écrivez `….amax(dim=1)`",
            ": `.max(dim=1)` returns a pair (values, indices); keep the values, `….max(dim=1).values`, or write "
            "`….amax(dim=1)`",
        )
    elif isinstance(value, (tuple, list)):
        n = len(value)
        text += t(
            " ({n} élément{s}) : renvoyez un seul tenseur",
            " ({n} element{s_en}): return a single tensor",
            n=n,
            s="s" * (n > 1),
            s_en="" if n == 1 else "s",
        )
    elif type(value).__module__.startswith("numpy"):
        text += t(
            " : renvoyez le tenseur lui-même, sans le convertir en tableau NumPy",
            ": return the tensor itself, without turning it into a NumPy array",
        )
    return text + t(".", ".")


def report_tensor(report: Report, exercise: Exercise, value, case: Case, shape: tuple) -> Tensor | None:
    """Type, shape, dtype, device and finiteness of a result: the result as float32, or None when wrong.

    float32 and float64 are accepted (the values are what is judged, compared in float32); float16 and
    bfloat16 are refused (too imprecise for the tolerances), as are other dtypes and sparse layouts.
    """
    if not isinstance(value, Tensor):
        report.add("type", False, not_a_tensor(report.function, value), case)
        return None
    problems = []
    if tuple(value.shape) != shape:
        extra = exercise.shape_hint(tuple(value.shape)) if exercise.shape_hint is not None else None
        got, want = tuple(value.shape), shape
        if extra is None:
            problems.append(
                t(
                    "sa forme est {got} au lieu de {want}",
                    "its shape is {got} instead of {want}",
                    got=got,
                    want=want,
                )
            )
        else:
            problems.append(
                t(
                    "sa forme est {got} au lieu de {want} ({extra})",
                    "its shape is {got} instead of {want} ({extra})",
                    got=got,
                    want=want,
                    extra=extra,
                )
            )
    if value.layout != torch.strided:
        problems.append(
            t(
                "il est stocké en {layout} : renvoyez un tenseur dense (….to_dense())",
                "it is stored as {layout}: return a dense tensor (….to_dense())",
                layout=value.layout,
            )
        )
    elif value.dtype in (torch.float16, torch.bfloat16):
        problems.append(
            t(
                "son dtype est {dtype}, trop imprécis pour la tolérance : gardez torch.float32",
                "its dtype is {dtype}, too imprecise for the tolerance: keep torch.float32",
                dtype=value.dtype,
            )
        )
    elif value.dtype not in (torch.float32, torch.float64):
        problems.append(
            t(
                "son dtype est {dtype} au lieu de torch.float32, celui des entrées",
                "its dtype is {dtype} instead of torch.float32, that of the inputs",
                dtype=value.dtype,
            )
        )
    if value.device != case.net.device:
        problems.append(
            t(
                "il est sur l'appareil {got} au lieu de {want}, celui du modèle",
                "it is on device {got} instead of {want}, the model's",
                got=value.device,
                want=case.net.device,
            )
        )
    if problems:
        text = t(
            "le résultat ne convient pas : {p}.", "the result is not suitable: {p}.", p=join(problems, " ; ", "; ")
        )
        report.add("type", False, text, case)
        return None
    plain = value.detach().to(torch.float32)
    if not bool(torch.isfinite(plain).all()):
        text = t(
            "{what} contient des NaN ou des infinis.", "{what} contains NaN or infinite values.", what=exercise.result
        )
        report.add("type", False, text, case, hint=exercise.nonfinite_hint)
        return None
    text = t(
        "le résultat a le bon type, la bonne forme et le bon appareil, et des valeurs finies.",
        "the result has the right type, shape and device, and its values are finite.",
    )
    if value.dtype != torch.float32:
        text += t(
            " (Le dtype {dtype} est accepté : seules les valeurs comptent.)",
            " (The dtype {dtype} is accepted: only the values count.)",
            dtype=value.dtype,
        )
    report.add("type", True, text, case, key="type")
    return plain


def report_gradients(report: Report, exercise: Exercise, outcome: Outcome, case: Case) -> None:
    problems = []
    if outcome.model_grads:
        problems.append(
            t(
                "le modèle garde des gradients (p.grad) ou n'est plus figé : n'appelez pas .backward() sur lui et "
                "ne changez pas son requires_grad ; torch.autograd.grad(score, entrée) suffit",
                "the model has gradients left on it (p.grad) or is no longer frozen: do not call .backward() on it and do "
                "not change its requires_grad; torch.autograd.grad(score, input) is enough",
            )
        )
    problems.extend(outcome.inputs_changed)
    value = outcome.value
    if isinstance(value, Tensor) and (value.requires_grad or value.grad_fn is not None):
        attached, detached, pronoun = (
            ("attachée", "détachée", "la") if exercise.feminine else ("attaché", "détaché", "le")
        )
        problems.append(
            t(
                "{what} est encore {attached} au graphe de calcul : renvoyez-{pronoun} {detached} (….detach())",
                "{what} is still attached to the computation graph: return it detached (….detach())",
                what=exercise.result,
                attached=attached,
                pronoun=pronoun,
                detached=detached,
            )
        )
    if problems:
        report.add("gradients", False, join(problems, " ; ", "; ") + t(".", "."), case)
    else:
        text = t(
            "aucun gradient laissé sur le modèle ni sur les entrées, résultat détaché.",
            "no gradient left on the model or on the inputs, and the result is detached.",
        )
        report.add("gradients", True, text, case, key="grad")


def report_error(report: Report, exercise: Exercise, case: Case, hint: Text | None) -> None:
    ok = math.isfinite(case.rel_err) and case.rel_err <= case.tolerance
    if exercise.grey_levels and math.isfinite(case.abs_err):
        levels = round(case.abs_err)
        largest = t(
            "{n} niveau{x} de gris",
            "{n} grey level{s}",
            n=Number(levels, 0),
            x="x" * (levels > 1),
            s="s" * (levels != 1),
        )
    else:
        largest = Number(case.abs_err, None)
    text = t(
        "écart à la référence de tp8 d'au plus {largest}, soit {rel} en relatif (tolérance {tol}).",
        "differs from tp8's reference by at most {largest}, a relative error of {rel} (tolerance {tol}).",
        largest=largest,
        rel=Number(case.rel_err, None),
        tol=Number(case.tolerance, None),
    )
    report.add("error", ok, text, case, hint=None if ok else hint, key="error", weight=case.rel_err)


def unavailable(network: str) -> Text:
    return t(
        "{network} indisponible (poids pré-entraînés introuvables sur cette machine) : vérification faite sur le "
        "mini-réseau seulement, un petit réseau à poids aléatoires construit par la vérification. Avec les poids, "
        "elle l'est aussi sur une vraie photo.",
        "{network} unavailable (pretrained weights not found on this machine): checked on the tiny network only, a "
        "small network with random weights built by the check. With the weights, the check also runs on a real photo.",
        network=network,
    )


def cannot_examine(report: Report, where, exc: BaseException) -> None:
    text = t(
        "la vérification n'a pas pu examiner ce résultat ({e}) : vérifiez ce que renvoie la fonction.",
        "the check could not examine this result ({e}): check what the function returns.",
        e=error_text(exc),
    )
    report.add("error", False, text, where)


def guarded(report: Report, where, examine: Callable[[], None]) -> None:
    """``examine()``, reporting (never raising) an error it meets on an unusual answer."""
    try:
        examine()
    except Exception as exc:
        cannot_examine(report, where, exc)


def passes_note(run: Run, case: Case) -> None:
    """One forward and one backward pass for the batch: said when true, advised (never required) otherwise."""
    outcome = case.outcome
    if outcome is None or case.value is None:
        return
    n = case.args[0].shape[0]
    if outcome.forwards == 1 and outcome.backwards == 1:
        text = t(
            "une passe avant et une passe arrière pour tout le lot de {n} images.",
            "one forward and one backward pass for the whole batch of {n} images.",
            n=n,
        )
        run.add("properties", True, text, case, key="passes")
    else:
        text = t(
            "{f} passe(s) avant et {b} passe(s) arrière pour un lot de {n} images : le résultat compte, mais une de "
            "chaque suffit (le gradient de la somme des objectifs des images donne à chacune le gradient du sien), et "
            "c'est ce qui rend le calcul par lot rapide.",
            "{f} forward pass(es) and {b} backward pass(es) for a batch of {n} images: the result is what counts, "
            "but one of each is enough (the gradient of the sum of the images' objectives gives each image the "
            "gradient of its own), and that is what makes computing a batch fast.",
            f=outcome.forwards,
            b=outcome.backwards,
            n=n,
        )
        run.add("properties", None, text, case)
