"""Self-checks of the lab's three exercises, for students (messages in French).

The exercise notebooks (``notebooks/exercices/``) ask the student to write the core of each
technique; these checks say whether it is right:

* :func:`saliency` — a saliency map ``carte_de_saillance(modele, images, classes)``: |∂ỹ_c/∂x|
  maxed over the RGB channels, one forward and one backward pass for the whole batch
  (Simonyan, Vedaldi & Zisserman 2014, https://arxiv.org/abs/1312.6034, §3.1);
* :func:`fooling` — a fooling image ``image_trompeuse(modele, image, cible, pas, max_iter)``: the
  lab's eq. 2, x ← clip(x + η g/‖g‖₂), judged on the image rounded to 8 bits, until the target is
  predicted or ``max_iter`` steps (Szegedy et al. 2014, https://arxiv.org/abs/1312.6199);
* :func:`class_visualization_step` — one step ``pas_de_montee(modele, z, cibles, pas, lam)`` of
  gradient ascent on L(z) = ỹ_c(z) − λ‖z‖₂² in the network's normalised space (the lab's eqs. 3–4;
  Simonyan et al. 2014, §2).

Each check runs the student's function on the "mini-réseau", a tiny CNN with fixed random weights
built here (16 × 16 images, 10 classes, no weights to download), on cases chosen to tell the usual
mistakes apart, and on one real photo with the pretrained SqueezeNet 1.1 when its weights can be
found (it says so when they cannot). It reports, in this order: not written yet (the stub raises
:class:`NotImplementedError`), an error, or a function that calls the notebook's global network
instead of its argument; wrong type, shape, dtype or device, and non-finite values (with a hint);
gradients left on the model or the inputs, a result still attached to the graph; the largest
absolute and relative error against tp8's own implementation, with the tolerance and, when the
result is wrong, the hint of the usual mistake that reproduces it; properties of the result (maps
≥ 0; the fooling image classified as the target after 8-bit rounding, within a stated distance;
the objective increases). It ends with one verdict line and returns a :class:`CheckResult` (shown
as text or HTML in Jupyter). It never shows the reference's values or code: only distances to it,
and hints. A check never raises because of the student's answer: errors, NaN, tuples and arrays
are reported as such.

The same rules in the three checks:

* the values are judged, not the way they are computed: float32 and float64 are both accepted (a
  float64 result with the right values passes; values are compared in float32), and so is a loop
  over the images — the number of forward and backward passes gets a note (ℹ), never a failure;
* a hint names a usual mistake only when that mistake, written by tp8, reproduces the student's
  result on the first failing case; the mini-network's cases are judged together, and a mistake that
  reproduces all of them wins over one that reproduces some, so that the first line marked ✘ names
  the real mistake.

:func:`use` lets a page or a notebook run the student's function where it exists and tp8's
reference, with a visible notice, while it is still a stub — so that an exercise notebook runs
from top to bottom before anything is written.

Nothing here touches the global random generator (the checks run under
:func:`torch.random.fork_rng`), so a notebook's later results do not depend on whether its checks
ran.
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import math
import re
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ._validate import check_count, check_number, check_seed
from .adversarial import fooling_image
from .errors import InputError
from .images import quantize, sample_images
from .models import Classifier, load_optional_model
from .saliency import saliency_map

__all__ = [
    "CheckResult",
    "class_visualization_step",
    "fooling",
    "reference_class_visualization_step",
    "reference_fooling",
    "reference_saliency",
    "results",
    "saliency",
    "use",
]

FAILED = "failed"
PASSED = "passed"
NOT_IMPLEMENTED = "not implemented"

_MARKS = {True: "✔", False: "✘", None: "ℹ", "todo": "✎"}

#: The order in which a report lists its lines (the order the issue asks for).
_SECTIONS = ("info", "implemented", "type", "gradients", "error", "properties")


# --- the reference implementations, with the students' signatures -------------------------------


def reference_saliency(model: Classifier, images: Tensor, classes) -> Tensor:
    """tp8's saliency map with the exercise's signature: :func:`tp8.saliency_map`."""
    return saliency_map(model, images, classes)


def reference_fooling(model: Classifier, image: Tensor, target, lr: float = 0.2, max_iter: int = 100) -> Tensor:
    """tp8's fooling image with the exercise's signature: ``tp8.fooling_image(...).images``."""
    return fooling_image(model, image, target, lr=lr, max_iter=max_iter, progress=False).images.to(model.device)


def reference_class_visualization_step(model: Classifier, z: Tensor, targets, lr: float, l2_reg: float) -> Tensor:
    """One step of :func:`tp8.class_visualization`'s ascent, z ← z + η ∇_z(ỹ_c(z) − λ‖z‖₂²).

    ``z`` is a batch in the network's normalised space, ``targets`` one class index per image.
    The same step as inside :func:`tp8.class_visualization` (without its jitter, blur and clamp,
    which the loop around the step applies).
    """
    targets = torch.as_tensor(targets, device=z.device).reshape(-1)
    rows = torch.arange(z.shape[0], device=z.device)
    with torch.enable_grad():
        leaf = z.detach().requires_grad_(True)
        scores = model.forward_normalized(leaf)
        objective = scores[rows, targets] - l2_reg * leaf.pow(2).flatten(1).sum(dim=1)
        (grad,) = torch.autograd.grad(objective.sum(), leaf)
    return (leaf + lr * grad).detach()


# --- the result -------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """What a check found: one line per verification and a verdict.

    Attributes:
        exercise: the exercise, in French (``"carte de saillance"``).
        function: the name of the function checked.
        status: ``"passed"``, ``"failed"`` or ``"not implemented"``.
        lines: ``(ok, text)`` pairs in the order shown; ``ok`` is True, False, None (information)
            or ``"todo"`` (not written yet).
        verdict: the last line.
    """

    exercise: str
    function: str
    status: str
    lines: list[tuple[object, str]] = field(default_factory=list)
    verdict: str = ""

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

    def as_dict(self) -> dict:
        return {"exercise": self.exercise, "function": self.function, "status": self.status, "verdict": self.verdict}

    def __str__(self) -> str:
        body = [f"{_MARKS[ok]} {text}" for ok, text in self.lines]
        return "\n".join([f"Vérification — {self.exercise} ({self.function})", *body, self.verdict])

    def __repr__(self) -> str:
        return f"<CheckResult {self.function}: {self.status}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's plain-text display
        printer.text(str(self))

    def _repr_html_(self) -> str:
        kind = {PASSED: "success", FAILED: "failure", NOT_IMPLEMENTED: "info"}[self.status]
        items = "".join(f"<li>{_MARKS[ok]} {_code(text)}</li>" for ok, text in self.lines)
        return (
            f'<div class="admonition {kind} tp8-check"><p class="admonition-title">Vérification — '
            f"{html.escape(self.exercise)} (<code>{html.escape(self.function)}</code>)</p>"
            f'<ul style="list-style: none; padding-left: 0">{items}</ul>'
            f"<p><strong>{_code(self.verdict)}</strong></p></div>"
        )


def _code(text: str) -> str:
    """Escape ``text`` for HTML, and show its `backticked` parts as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


_RESULTS: list[CheckResult] = []


def results() -> list[dict]:
    """Every check run so far in this kernel, as dicts (the site build refuses a failed one)."""
    return [r.as_dict() for r in _RESULTS]


@dataclass
class _Entry:
    section: str
    ok: object
    text: str
    case: str = ""  # the case it is about ("mini-réseau, attaque n° 3"), "" for the whole check
    group: str = ""  # passing entries of the same group and key are shown as one line
    key: str = ""
    weight: float = 0.0  # of merged entries, the one with the largest weight is shown


class _Report:
    def __init__(self, exercise: str, function: str):
        self.exercise, self.function = exercise, function
        self.entries: list[_Entry] = []

    def add(self, section: str, ok, text: str, case: str = "", *, key: str = "", weight: float = 0.0) -> None:
        group = case.split(",")[0] if case.startswith(_MINI_LABEL) else case
        self.entries.append(_Entry(section, ok, text, case, group, key, weight))

    def failed(self) -> bool:
        return any(e.ok is False for e in self.entries)

    @property
    def todo(self) -> bool:
        return any(e.ok == "todo" for e in self.entries)

    def lines(self) -> list[tuple[object, str]]:
        """The entries in section order; passing entries of one group and key merged into one line."""
        out: list[tuple[object, str]] = []
        hints: set[str] = set()  # a hint shown once is not repeated on the next cases
        for section in _SECTIONS:
            merged: dict[tuple[str, str], list[_Entry]] = {}
            slots: list[object] = []
            entries = [e for e in self.entries if e.section == section]
            groups = list(dict.fromkeys(e.group for e in entries))
            entries.sort(key=lambda e: groups.index(e.group))  # the tiny network's lines first
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
                    body, _, hint = slot.text.partition(" Piste : ")
                    if hint and hint not in hints:
                        hints.add(hint)
                        body = slot.text
                    elif hint:
                        body += " Même piste qu'au-dessus."
                    out.append((slot.ok, f"{slot.case} : {body}" if slot.case else body))
                    continue
                same = merged[slot]
                shown = max(same, key=lambda e: e.weight)
                where = f"{shown.group} ({len(same)} cas)" if len(same) > 1 else shown.case
                out.append((True, f"{where} : {shown.text}" if where else shown.text))
        return out

    def finish(self, scope: str) -> CheckResult:
        if self.todo:
            status = NOT_IMPLEMENTED
            verdict = f"✎ À faire : écrivez `{self.function}`, exécutez sa cellule, puis relancez cette vérification."
        elif self.failed():
            status = FAILED
            bad = sum(e.ok is False for e in self.entries)
            total = sum(e.ok in (True, False) for e in self.entries)
            verdict = (
                f"✘ `{self.function}` n'est pas encore juste : {bad} vérification{'s' * (bad > 1)} sur {total} "
                f"échoue{'nt' * (bad > 1)}. Commencez par la première marquée ✘."
            )
        else:
            status = PASSED
            total = sum(e.ok is True for e in self.entries)
            verdict = f"✔ `{self.function}` est juste : {total} vérifications réussies ({scope})."
        result = CheckResult(self.exercise, self.function, status, self.lines(), verdict)
        _RESULTS.append(result)
        return result


# --- running the student's function --------------------------------------------------------------


@dataclass
class _Outcome:
    value: object = None
    error: BaseException | None = None
    where: str = ""
    forwards: int = 0
    backwards: int = 0
    model_grads: bool = False
    inputs_changed: list[str] = field(default_factory=list)

    @property
    def not_implemented(self) -> bool:
        return isinstance(self.error, NotImplementedError)


def _location(fn: Callable, exc: BaseException) -> str:
    """`` (ligne 4 de la fonction : « … »)`` for the deepest frame of the error inside ``fn``."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == code.co_filename]
    if not frames:
        return ""
    last = frames[-1]
    text = f" (ligne {last.lineno - code.co_firstlineno + 1} de la fonction"
    return text + (f" : « {last.line.strip()} »)" if last.line else ")")


def _parameter_names(fn: Callable) -> list[str]:
    """The names of ``fn``'s parameters after the model (for messages), else generic ones."""
    import inspect

    try:
        names = list(inspect.signature(fn).parameters)[1:]
    except (TypeError, ValueError):
        names = []
    return names


def _model_argument(fn: Callable) -> str:
    """The name of ``fn``'s first parameter, the network (``modele`` in the exercises)."""
    import inspect

    try:
        return next(iter(inspect.signature(fn).parameters))
    except (TypeError, ValueError, StopIteration):
        return "modele"


def _global_networks(fn: Callable) -> list[str]:
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


def _invoke(fn: Callable, model: Classifier, *args) -> _Outcome:
    """Call ``fn(model, *args)`` on copies of the tensors, counting the network's passes.

    Afterwards the model is left as it was found (frozen, no ``.grad``), whatever ``fn`` did.
    """
    outcome = _Outcome()
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
    names = _parameter_names(fn)
    for k, (after, before) in enumerate(zip(copies, originals)):
        if before is None:
            continue
        name = f"l'argument `{names[k]}`" if k < len(names) else f"l'argument n° {k + 2}"
        if after.requires_grad or after.grad is not None:
            outcome.inputs_changed.append(
                f"{name} a gardé requires_grad=True ou un .grad : travaillez sur une copie (….detach().clone())"
            )
        elif after.shape != before.shape or not torch.equal(after, before):
            outcome.inputs_changed.append(f"{name} a été modifié en place : travaillez sur une copie")
    return outcome


#: What the tiny network is, for the student who meets its name in a report.
_MINI_NOTE = (
    "Le « mini-réseau » est un petit réseau à poids aléatoires fixés (images de 16 × 16 pixels, 10 classes) que la "
    "vérification passe à votre fonction, en argument, à la place de SqueezeNet."
)


def _error_text(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    first = lines[0][:300] if lines else ""
    return f"{type(error).__name__}: {first}".strip().rstrip(":")


def _report_call(report: _Report, outcome: _Outcome, case: str, fn: Callable) -> bool:
    """Report a failed or unwritten call, or one that ignores its network; True when there is a value to examine."""
    if outcome.not_implemented:
        report.add(
            "implemented",
            "todo",
            f"`{report.function}` n'est pas encore écrite : elle lève NotImplementedError. Remplacez les lignes "
            "« À VOUS » par votre code.",
        )
        return False
    used = _global_networks(fn) if outcome.forwards == 0 else []
    if used:
        argument = _model_argument(fn)
        text = (
            f"`{report.function}` n'utilise pas le réseau reçu en argument : elle appelle `{used[0]}`, une variable "
            f"globale du carnet. Utilisez l'argument `{argument}`. {_MINI_NOTE}"
        )
        if outcome.error is not None:
            text += f" Ici, `{used[0]}` a levé {_error_text(outcome.error)}{outcome.where}."
        report.add("implemented", False, text, case)
        return False
    if outcome.error is not None:
        text = f"`{report.function}` lève une erreur, {_error_text(outcome.error)}{outcome.where}."
        report.add("implemented", False, text, case)
        return False
    return True


def _report_tensor(
    report: _Report,
    value,
    case: str,
    shape: tuple,
    device,
    what: str,
    *,
    shape_hint: Callable | None = None,
    nonfinite_hint: str = "",
) -> Tensor | None:
    """Type, shape, dtype, device and finiteness of a result: the result as float32, or None when wrong.

    float32 and float64 are accepted (the values are what is judged, compared in float32); float16 and
    bfloat16 are refused (too imprecise for the tolerances), as are other dtypes and sparse layouts.
    """
    if not isinstance(value, Tensor):
        kind = type(value).__name__
        text = f"`{report.function}` renvoie un objet {kind}, pas un torch.Tensor"
        if value is None:
            text = f"`{report.function}` ne renvoie rien (None) : il manque l'instruction return"
        elif isinstance(value, tuple) and hasattr(value, "values") and hasattr(value, "indices"):
            text += (
                " : `.max(dim=1)` renvoie un couple (valeurs, indices) ; gardez les valeurs, `….max(dim=1).values`, "
                "ou écrivez `….amax(dim=1)`"
            )
        elif isinstance(value, (tuple, list)):
            text += f" ({len(value)} élément{'s' * (len(value) > 1)}) : renvoyez un seul tenseur"
        elif type(value).__module__.startswith("numpy"):
            text += " : renvoyez le tenseur lui-même, sans le convertir en tableau NumPy"
        report.add("type", False, text + ".", case)
        return None
    problems = []
    if tuple(value.shape) != tuple(shape):
        extra = shape_hint(tuple(value.shape)) if shape_hint is not None else ""
        problems.append(
            f"sa forme est {tuple(value.shape)} au lieu de {tuple(shape)}" + (f" ({extra})" if extra else "")
        )
    if value.layout != torch.strided:
        problems.append(f"il est stocké en {value.layout} : renvoyez un tenseur dense (….to_dense())")
    elif value.dtype in (torch.float16, torch.bfloat16):
        problems.append(f"son dtype est {value.dtype}, trop imprécis pour la tolérance : gardez torch.float32")
    elif value.dtype not in (torch.float32, torch.float64):
        problems.append(f"son dtype est {value.dtype} au lieu de torch.float32, celui des entrées")
    if value.device != torch.device(device):
        problems.append(f"il est sur l'appareil {value.device} au lieu de {device}, celui du modèle")
    if problems:
        report.add("type", False, "le résultat ne convient pas : " + " ; ".join(problems) + ".", case)
        return None
    plain = value.detach().to(torch.float32)
    if not bool(torch.isfinite(plain).all()):
        text = f"{what} contient des NaN ou des infinis."
        report.add("type", False, text + (f" Piste : {nonfinite_hint}" if nonfinite_hint else ""), case)
        return None
    text = "le résultat a le bon type, la bonne forme et le bon appareil, et des valeurs finies."
    if value.dtype != torch.float32:
        text += f" (Le dtype {value.dtype} est accepté : seules les valeurs comptent.)"
    report.add("type", True, text, case, key="type")
    return plain


def _report_gradients(report: _Report, outcome: _Outcome, case: str, what: str, feminine: bool) -> None:
    problems = []
    if outcome.model_grads:
        problems.append(
            "le modèle garde des gradients (p.grad) ou n'est plus figé : n'appelez pas .backward() sur lui et ne "
            "changez pas son requires_grad ; torch.autograd.grad(score, entrée) suffit"
        )
    problems.extend(outcome.inputs_changed)
    value = outcome.value
    if isinstance(value, Tensor) and (value.requires_grad or value.grad_fn is not None):
        attached, detached, pronoun = ("attachée", "détachée", "la") if feminine else ("attaché", "détaché", "le")
        problems.append(
            f"{what} est encore {attached} au graphe de calcul : renvoyez-{pronoun} {detached} (….detach())"
        )
    if problems:
        report.add("gradients", False, " ; ".join(problems) + ".", case)
    else:
        report.add(
            "gradients",
            True,
            "aucun gradient laissé sur le modèle ni sur les entrées, résultat détaché.",
            case,
            key="grad",
        )


def _show(x: float) -> str:
    from .course import num, sci

    if x == 0 or not math.isfinite(x):
        return num(x, 0)
    return sci(x) if abs(x) < 0.01 else num(x, 2)


def _report_error(
    report: _Report,
    case: str,
    abs_err: float,
    rel_err: float,
    tolerance: float,
    hint: str = "",
    *,
    grey_levels: bool = False,
) -> bool:
    from .course import num

    ok = math.isfinite(rel_err) and rel_err <= tolerance
    if grey_levels and math.isfinite(abs_err):
        levels = round(abs_err)
        largest = f"{num(levels, 0)} niveau{'x' * (levels > 1)} de gris"
    else:
        largest = _show(abs_err)
    text = (
        f"écart à la référence de tp8 d'au plus {largest}, soit {_show(rel_err)} en relatif "
        f"(tolérance {_show(tolerance)})."
    )
    if not ok and hint:
        text += f" Piste : {hint}"
    report.add("error", ok, text, case, key="error", weight=rel_err)
    return ok


def _relative(diff: float, scale: float) -> float:
    if not math.isfinite(diff):
        return math.inf
    return diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)


# --- the cases a check runs, and the diagnosis of the usual mistakes --------------------------------


@dataclass
class _Case:
    """One call of the student's function: its inputs, its result and its distance to the reference."""

    label: str
    net: Classifier
    make: Callable[[], tuple]  # the inputs after the model, built when first needed
    small: bool  # on the mini-network (where the usual mistakes are recognised)
    tolerance: float
    args: tuple | None = None
    outcome: _Outcome | None = None
    value: Tensor | None = None  # the result, float32, when its type is right
    expected: Tensor | None = None
    abs_err: float = math.inf
    rel_err: float = math.inf

    def inputs(self) -> tuple:
        if self.args is None:
            self.args = self.make()
        return self.args

    @property
    def ok(self) -> bool:
        return self.rel_err <= self.tolerance


#: Results on the mini-network that do not depend on the student (references, inputs, the usual
#: mistakes), computed once per process: a student who runs a check again waits less.
_CACHE: dict[tuple, object] = {}


def _cached(kind: str, case: _Case, name: str, compute: Callable[[], object]) -> object:
    if not case.small:
        return compute()
    key = (kind, case.label, str(case.net.device), name)
    if key not in _CACHE:
        _CACHE[key] = compute()
    return _CACHE[key]


def _diagnose(hints: dict[str, str], cases: list[_Case], distance: Callable[[_Case, str], float], within: float) -> str:
    """The hint of the usual mistake that reproduces the student's results, if one does.

    A mistake is judged on every case of the mini-network at once, not case by case: the one that
    reproduces all of them wins over one that reproduces only the failing ones, which wins over one
    that reproduces only the first failing case (no hint at all rather than a hint that misleads).
    """
    examined = [c for c in cases if c.small and c.value is not None]
    failing = [c for c in examined if not c.ok]
    if not failing:
        return ""
    best, best_key = "", None
    for name, hint in hints.items():
        dist = []
        for c in examined:
            d = distance(c, name)
            dist.append(d if math.isfinite(d) else math.inf)
        fits = [d < within for d in dist]
        if not fits[examined.index(failing[0])]:
            continue
        key = (
            all(fits),
            all(f for f, c in zip(fits, examined) if not c.ok),
            sum(fits),
            -sum(min(d, 1e3) for d in dist),
        )
        if best_key is None or key > best_key:
            best, best_key = hint, key
    return best


def _examine(
    report: _Report,
    fn: Callable,
    cases: list[_Case],
    threads: int,
    *,
    shape: Callable[[_Case], tuple],
    what: str,
    feminine: bool,
    nonfinite_hint: str,
    reference: Callable[[_Case], Tensor],
    error: Callable[[_Case, Tensor], tuple[float, float]],
    shape_hint: Callable | None = None,
    form: Callable[[Tensor], str] | None = None,
) -> bool:
    """Run ``fn`` on each case and report its call, type and gradients; False while it is a stub.

    Fills each case's ``value``, ``expected``, ``abs_err`` and ``rel_err`` where the result can be compared.
    ``form(value)``: what is wrong with the form of a well-typed result ("" when nothing), reported with
    the type (before the distance to the reference), the result still being compared.
    """
    for case in cases:
        _threads_for(case.small, threads)
        outcome = case.outcome = _invoke(fn, case.net, *case.inputs())
        if not _report_call(report, outcome, case.label, fn):
            if outcome.not_implemented:
                return False
            continue
        try:  # a check never crashes on a student's answer, however odd the object it returns
            value = _report_tensor(
                report,
                outcome.value,
                case.label,
                shape(case),
                case.net.device,
                what,
                shape_hint=shape_hint,
                nonfinite_hint=nonfinite_hint,
            )
            if isinstance(outcome.value, Tensor) and tuple(outcome.value.shape) == tuple(shape(case)):
                _report_gradients(report, outcome, case.label, what, feminine)
            if value is None:
                continue
            problem = form(value) if form is not None else ""
            if problem:
                report.add("type", False, problem, case.label)
            case.expected = _cached(f"reference: {report.exercise}", case, "", lambda case=case: reference(case))
            case.abs_err, case.rel_err = error(case, value)
            case.value = value
        except Exception as exc:
            _cannot_examine(report, case.label, exc)
    return True


def _cannot_examine(report: _Report, case: str, exc: BaseException) -> None:
    report.add(
        "error",
        False,
        f"la vérification n'a pas pu examiner ce résultat ({_error_text(exc)}) : vérifiez ce que renvoie la fonction.",
        case,
    )


def _passes_note(report: _Report, case: _Case, n: int) -> None:
    """One forward and one backward pass for the batch: said when true, advised (never required) otherwise."""
    outcome = case.outcome
    if outcome is None or case.value is None:
        return
    if outcome.forwards == 1 and outcome.backwards == 1:
        text = f"une passe avant et une passe arrière pour tout le lot de {n} images."
        report.add("properties", True, text, case.label, key="passes")
    else:
        report.add(
            "properties",
            None,
            f"{outcome.forwards} passe(s) avant et {outcome.backwards} passe(s) arrière pour un lot de {n} images : "
            "le résultat compte, mais une de chaque suffit (le gradient de la somme des objectifs des images donne à "
            "chacune le gradient du sien), et c'est ce qui rend le calcul par lot rapide.",
            case.label,
        )


# --- the networks ------------------------------------------------------------------------------

#: The tiny network's images: 16 × 16 pixels, 10 classes.
_MINI_SIZE = 16
_MINI_LABEL = "mini-réseau"


def _mini_model(device) -> Classifier:
    """A small CNN with seeded random weights, large enough to make mistakes visible (‖∂ỹ/∂x‖₂ ≈ 4)."""
    g = torch.Generator().manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    with torch.no_grad():
        for module in net:
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * 2.0 / math.sqrt(fan_in))
                module.bias.copy_(torch.randn(module.bias.shape, generator=g) * 0.1)
    model = Classifier(net, [f"classe {i}" for i in range(10)], name="mini-réseau", pretrained=False)
    return model.to(device)


def _mini_images(device) -> Tensor:
    g = torch.Generator().manual_seed(1)
    return quantize(torch.rand(8, 3, _MINI_SIZE, _MINI_SIZE, generator=g) * 0.6 + 0.2).to(device)


@functools.cache
def _squeezenet() -> Classifier | None:
    quiet = io.StringIO()  # torch.hub's messages stay out of the notebook
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        return load_optional_model("squeezenet1_1", progress=False)


def _real_model(model) -> tuple[Classifier | None, str]:
    if model is not None:
        if not isinstance(model, Classifier):
            raise InputError(
                f"model must be a tp8 Classifier (tp8.load_model(...)), got {type(model).__name__}; "
                "or leave it out to check on SqueezeNet 1.1"
            )
        from .course import _PRETTY

        return model, _PRETTY.get(model.name, model.name)
    found = _squeezenet()
    return found, "SqueezeNet 1.1"


def _check_function(fn, what: str) -> str:
    if not callable(fn):
        raise InputError(f"give the function to check ({what}), got {type(fn).__name__}")
    return getattr(fn, "__name__", what)


def _photo(name: str, device) -> Tensor:
    if not isinstance(name, str):
        raise InputError(f"photo must be the name of a tp8 sample image such as 'chelsea', got {name!r}")
    return sample_images([name])[0].image[None].to(device)


def _unavailable(report: _Report, network: str) -> None:
    report.add(
        "info",
        None,
        f"{network} indisponible (poids pré-entraînés introuvables sur cette machine) : vérification faite sur le "
        "mini-réseau seulement, un petit réseau à poids aléatoires construit par la vérification. Avec les poids, "
        "elle l'est aussi sur une vraie photo.",
    )


@contextlib.contextmanager
def _isolated():
    """Leave the global random generator as it was, and compute gradients even under no_grad.

    Yields the number of threads PyTorch had; the tiny network runs on one (on a busy CPU its
    tiny convolutions are ten times faster so), the real one with them all (:func:`_threads_for`).
    """
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        try:
            torch.set_num_threads(1)
            yield threads
        finally:
            torch.set_num_threads(threads)


def _threads_for(small: bool, threads: int) -> None:
    torch.set_num_threads(1 if small else threads)


# --- saliency ----------------------------------------------------------------------------------


def _input_gradients(model: Classifier, images: Tensor, classes: Tensor, objective: str = "score") -> Tensor:
    leaf = images.detach().clone().requires_grad_(True)
    scores = model.forward_normalized(leaf) if objective == "unnormalised" else model(leaf)
    rows = torch.arange(images.shape[0], device=images.device)
    if objective in ("score", "unnormalised"):
        value = scores[rows, classes].sum()
    elif objective == "probability":
        value = scores.softmax(dim=1)[rows, classes].sum()
    elif objective == "log-probability":
        value = scores.log_softmax(dim=1)[rows, classes].sum()
    elif objective == "columns":  # scores[:, classes]: every image, every class of the batch
        value = scores[:, classes].sum()
    else:  # every class at once
        value = scores.sum()
    (grad,) = torch.autograd.grad(value, leaf)
    return grad.detach()


def _saliency_variant(model: Classifier, images: Tensor, classes: Tensor, mistake: str) -> Tensor:
    """The saliency map with one usual mistake (to recognise it in a student's result)."""
    if mistake == "predicted":
        classes = model(images).argmax(dim=1)
    objective = mistake if mistake in ("probability", "log-probability", "columns", "all", "unnormalised") else "score"
    g = _input_gradients(model, images, classes, objective)
    if mistake == "no abs":
        return g.amax(dim=1)
    if mistake == "abs after max":
        return g.amax(dim=1).abs()
    if mistake == "mean":
        return g.abs().mean(dim=1)
    if mistake == "sum":
        return g.abs().sum(dim=1)
    saliency = g.abs().amax(dim=1)
    if mistake == "scaled":
        return saliency / saliency.flatten(1).amax(dim=1).clamp_min(1e-30).view(-1, 1, 1)
    return saliency


_SALIENCY_HINTS = {
    "no abs": "la carte a des valeurs négatives là où le gradient est négatif : prenez la valeur absolue |∂ỹ_c/∂x| "
    "avant le maximum sur les canaux.",
    "abs after max": "vous semblez prendre la valeur absolue après le maximum sur les canaux : |max_k g| n'est pas "
    "max_k |g| ; prenez d'abord la valeur absolue, puis le maximum.",
    "mean": "vous semblez prendre la moyenne sur les trois canaux ; la carte en prend le maximum.",
    "sum": "vous semblez sommer les trois canaux ; la carte en prend le maximum.",
    "columns": "`scores[:, classes]` garde, pour chaque image, les scores de toutes les classes du lot (une matrice "
    "N × N) ; il faut un score par image, celui de sa classe : `scores.gather(1, classes.view(-1, 1))` ou "
    "`scores[torch.arange(N), classes]`.",
    "predicted": "vous semblez expliquer la classe prédite ; expliquez la classe demandée, classes[i] pour l'image i.",
    "probability": "vous semblez dériver la probabilité (softmax) ; dérivez le score ỹ_c, avant le softmax.",
    "log-probability": "vous semblez dériver la log-probabilité ; dérivez le score ỹ_c, avant le softmax.",
    "all": "vous semblez dériver la somme de tous les scores ; ne gardez que le score de la classe de chaque image.",
    "unnormalised": "vous semblez appeler modele.forward_normalized sur des pixels de [0, 1] : il attend des images "
    "déjà normalisées ; appelez modele(x), qui normalise lui-même.",
    "scaled": "la carte semble mise à l'échelle (divisée par son maximum) ; renvoyez |∂ỹ_c/∂x| tel quel, l'affichage "
    "choisit l'échelle.",
}


def _saliency_shape_hint(shape: tuple) -> str:
    if len(shape) == 4 and shape[1] == 3:
        return "une valeur par canal : prenez le maximum sur les trois canaux, dim=1"
    if len(shape) == 4 and shape[1] == 1:
        return "une dimension de canal en trop : le maximum doit la faire disparaître (amax(dim=1))"
    return ""


def saliency(fn: Callable, model: Classifier | None = None, *, photo: str = "chelsea") -> CheckResult:
    """Check a student's saliency map ``fn(model, images, classes) -> (N, H, W)``.

    The map is M_ij = max_k |∂ỹ_c/∂x_kij| for the class ``classes[i]`` of each image (Simonyan
    et al. 2014, §3.1).

    What is judged, the same way in the three checks: the values (within a stated tolerance of
    tp8's reference), the shape, the device, a result detached from the graph, inputs and model
    left untouched. float32 and float64 are accepted (float64 with the right values passes; the
    values are compared in float32). The number of passes is advice, never a failure: a right
    map computed image by image passes, with a note that one forward and one backward pass for
    the whole batch suffice.

    Args:
        fn: the function to check, called as ``fn(model, images, classes)`` with images
            ``(N, 3, H, W)`` in [0, 1] and ``classes`` a tensor of N class indices.
        model: the real network to check it on (default: SqueezeNet 1.1 when its pretrained
            weights can be found; otherwise only the tiny network is used, and the report says so).
        photo: the sample photo (:func:`tp8.sample_images`) used with the real network.

    Returns:
        A :class:`CheckResult` (displayed as a report in Jupyter).
    """
    name = _check_function(fn, "carte_de_saillance")
    real, network = _real_model(model)
    device = real.device if model is not None else torch.device("cpu")
    report = _Report("carte de saillance", name)
    with _isolated() as threads:
        mini = _mini_model(device)
        images = _mini_images(device)[:4]
        predicted = mini(images).argmax(dim=1)
        classes = torch.tensor([int(predicted[0]), 3, int(predicted[2]), 5], device=device)
        cases = [_Case(_MINI_LABEL, mini, lambda: (images, classes), True, 1e-4)]
        if real is not None:

            def real_inputs() -> tuple:
                x = _photo(photo, real.device)
                top = real(x).argmax(dim=1)
                other = (top + 500) % real.num_classes  # the photo twice: its predicted class and another one
                return torch.cat([x, x]), torch.cat([top, other]).detach()

            cases.append(_Case(f"{network}, photo « {photo} »", real, real_inputs, False, 1e-3))
        else:
            _unavailable(report, network)

        def error(case: _Case, value: Tensor) -> tuple[float, float]:
            scale = float(case.expected.abs().max())
            abs_err = float((value - case.expected).abs().max())
            return abs_err, _relative(abs_err, scale)

        def distance(case: _Case, mistake: str) -> float:
            variant = _cached("saliency", case, mistake, lambda: _saliency_variant(case.net, *case.args, mistake))
            return _relative(float((case.value - variant).abs().max()), float(case.expected.abs().max()))

        implemented = _examine(
            report,
            fn,
            cases,
            threads,
            shape=lambda c: (c.args[0].shape[0], *c.args[0].shape[2:]),
            what="la carte renvoyée",
            feminine=True,
            nonfinite_hint="vérifiez les divisions et les logarithmes : la carte est simplement |∂ỹ_c/∂x|, maximisé "
            "sur les canaux, sans normalisation.",
            reference=lambda c: reference_saliency(c.net, *c.args),
            error=error,
            shape_hint=_saliency_shape_hint,
        )

        def positive(case: _Case, hint: str) -> None:
            if float(case.value.min()) < 0:
                text = "la carte a des valeurs négatives ; une carte de saillance est une valeur absolue, ≥ 0."
                report.add("properties", False, text, case.label)
            else:
                report.add("properties", True, "la carte est positive ou nulle partout.", case.label, key="positive")
            if case.small:
                _passes_note(report, case, case.args[0].shape[0])

        if implemented:
            _compare(report, cases, threads, _SALIENCY_HINTS, distance, 1e-3, positive)
    return report.finish(_scope(real, network, "une vraie photo"))


def _compare(
    report: _Report,
    cases: list[_Case],
    threads: int,
    hints: dict[str, str],
    distance: Callable[[_Case, str], float],
    within: float,
    examine: Callable[[_Case, str], None],
    *,
    grey_levels: bool = False,
) -> str:
    """Report how far each answered case lies from the reference, with the hint of the usual mistake
    that reproduces the answers (if one does, :func:`_diagnose`), then ``examine(case, hint)`` the
    technique's own properties; each case runs on its own thread count. Returns the hint."""
    _threads_for(True, threads)
    hint = _guarded(lambda: _diagnose(hints, cases, distance, within))
    for case in cases:
        if case.value is None:
            continue
        _threads_for(case.small, threads)
        _report_error(report, case.label, case.abs_err, case.rel_err, case.tolerance, hint, grey_levels=grey_levels)
        examine(case, hint)
    return hint


def _guarded(compute: Callable[[], str]) -> str:
    """``compute()``, or no hint if the diagnosis itself fails on an unusual answer (never a crash)."""
    try:
        return compute()
    except Exception:
        return ""


def _scope(real, network: str, on: str) -> str:
    return f"mini-réseau et {network} sur {on}" if real is not None else "mini-réseau seulement"


saliency.reference = reference_saliency
saliency.reference_name = "tp8.saliency_map"


# --- fooling images ----------------------------------------------------------------------------


def _fooling_variant(model: Classifier, image: Tensor, target: int, lr: float, max_iter: int, mistake: str) -> Tensor:
    """The fooling loop with one usual mistake (to recognise it in a student's result)."""
    x = quantize(image.detach().clone())
    steps = max_iter + {"one more step": 1, "one step less": -1}.get(mistake, 0)
    for _ in range(max(steps, 0)):
        judged = x if mistake == "unrounded check" else quantize(x)
        at = x if mistake in ("unrounded check", "unrounded gradient") else quantize(x)
        leaf = at.clone().requires_grad_(True)
        scores = model(leaf)
        if mistake != "check after step":
            if judged is at:
                done = int(scores.argmax(dim=1)) == target
            else:
                with torch.no_grad():
                    done = int(model(judged).argmax(dim=1)) == target
            if done and mistake != "no stop":
                break
        if mistake == "probability":
            value = scores.softmax(dim=1)[0, target]
        else:
            value = scores[0, target]
        (g,) = torch.autograd.grad(value, leaf)
        if mistake == "not normalised":
            step = lr * g
        elif mistake == "sign":
            step = lr * g.sign()
        else:
            step = lr * g / g.norm().clamp_min(1e-12)
        x = x - step if mistake == "descent" else x + step
        if mistake != "no clamp":
            x = x.clamp(0, 1)
        if mistake == "re-round":
            x = quantize(x)
        if mistake == "check after step":
            with torch.no_grad():
                if int(model(quantize(x)).argmax(dim=1)) == target:
                    break
    return quantize(x).detach()


_FOOLING_HINTS = {
    "not normalised": "le pas ne semble pas normalisé : divisez le gradient par sa norme, x ← x + η g/‖g‖₂.",
    "sign": "vous semblez faire le pas η·sign(g) (celui de FGSM) ; la méthode naïve fait x ← x + η g/‖g‖₂.",
    "descent": "vous semblez descendre le gradient : x − η g/‖g‖₂ fait baisser le score de la cible ; montez-le, "
    "x + η g/‖g‖₂.",
    "re-round": "vous semblez arrondir x lui-même à chaque pas : un pas plus petit qu'un demi-niveau de gris est alors "
    "effacé et l'image ne bouge plus. Gardez x non arrondi (il accumule les petits pas) et arrondissez seulement la "
    "copie que vous classez, tp8.quantize(x).",
    "unrounded gradient": "le gradient semble pris sur l'image non arrondie : prenez-le sur l'image arrondie "
    "tp8.quantize(x), celle que vous venez de classer (une seule passe avant et arrière par itération).",
    "unrounded check": "le succès semble jugé sur l'image non arrondie : à chaque itération, évaluez le réseau sur "
    "tp8.quantize(x) (l'image telle qu'un PNG la garde) et arrêtez-vous quand c'est elle qui est classée dans la cible.",
    "no stop": "la boucle ne semble pas s'arrêter quand la cible est atteinte : sortez-en dès que l'image arrondie est "
    "classée dans la cible.",
    "check after step": "la cible semble testée après le pas : testez l'image arrondie avant chaque pas (une photo déjà "
    "classée dans la cible revient inchangée).",
    "no clamp": "les pixels ne semblent pas ramenés dans [0, 1] après chaque pas : x ← clip(x + η g/‖g‖₂, 0, 1), avec "
    "….clamp(0, 1) ; sans cela, x sort de [0, 1] et les pas suivants s'y perdent.",
    "one more step": "la boucle semble faire un pas de trop : au plus max_iter pas, for _ in range(max_iter).",
    "one step less": "la boucle semble faire un pas de moins : jusqu'à max_iter pas, for _ in range(max_iter).",
    # Normalised, the step of the probability and that of the log-probability are the same.
    "probability": "vous semblez monter la probabilité ou la log-probabilité (ou descendre l'entropie croisée) ; "
    "montez le score ỹ_cible, avant le softmax.",
}

_FOOLING_NONFINITE = (
    "g/‖g‖₂ divise par zéro quand le gradient est nul. ‖g‖ = 0 ? C'est le cas si le gradient traverse "
    "tp8.quantize (l'arrondi a une dérivée nulle : demandez le gradient sur l'image déjà arrondie, "
    "x_arrondie = tp8.quantize(x).requires_grad_(True)), ou si vous descendez le gradient au lieu de le monter."
)


def _fooling_scale(case: _Case, *others: Tensor) -> float:
    """What a difference between two results is measured against: the reference's perturbation, at least η."""
    original = quantize(case.args[0])
    norms = [float((t - original).flatten().norm()) for t in (case.expected, *others)]
    return max(*norms, case.args[2])


def fooling(
    fn: Callable,
    model: Classifier | None = None,
    *,
    photo: str = "chelsea",
    target: int | str = "goldfish",
    lr: float = 0.2,
    max_iter: int = 100,
) -> CheckResult:
    """Check a student's fooling image ``fn(model, image, target, lr, max_iter) -> (1, 3, H, W)``.

    The loop of the lab's eq. 2: round x to 8 bits; stop if the network classifies the rounded
    image as ``target``; else take the gradient g of the target's score there and step
    x ← clip(x + η g/‖g‖₂, 0, 1); at most ``max_iter`` steps; return the image rounded to 8 bits
    (what :func:`tp8.fooling_image` does for one image).

    The mini-network's cases include an attack that rounding would undo (steps far below half a
    grey level), one that pushes pixels out of [0, 1] (the clamp matters), one that ``max_iter``
    stops (exactly ``max_iter`` steps), and a photo already in the target class (no step).
    What is judged, the same way in the three checks: the values, shape, device, a detached
    result, inputs and model left untouched; float32 and float64 are accepted; the number of
    passes is advice (ℹ), never a failure.

    Args:
        fn: the function to check, called as ``fn(model, image, target, lr, max_iter)`` with one
            image ``(1, 3, H, W)`` in [0, 1] and the target as a class index.
        model: the real network (default: SqueezeNet 1.1 when its weights can be found).
        photo: the sample photo attacked with the real network.
        target: the class the real network must be led to (name or index).
        lr: η for the real photo (L2 length of each step, in [0, 1] pixel units).
        max_iter: steps allowed on the real photo.

    Returns:
        A :class:`CheckResult`.
    """
    name = _check_function(fn, "image_trompeuse")
    lr = check_number("lr", lr, low=0, low_open=True, hint="the L2 length of a step: 0.2 (the default)")
    max_iter = check_count("max_iter", max_iter, hint="steps allowed on the real photo: 100 (the default)")
    real, network = _real_model(model)
    device = real.device if model is not None else torch.device("cpu")
    report = _Report("image trompeuse", name)
    with _isolated() as threads:
        mini = _mini_model(device)
        pool = _mini_images(device)

        def one_step_away(k: int, t: int) -> Tensor:
            """The image of the reference attack one step before its success."""
            steps = int(fooling_image(mini, pool[k : k + 1], t, lr=0.1, max_iter=60, progress=False).iterations)
            return fooling_image(mini, pool[k : k + 1], t, lr=0.1, max_iter=steps - 1, progress=False).images

        def contrasted(k: int) -> Tensor:
            """A photo with nearly half of its pixels at 0 or 1: there, the clamp to [0, 1] matters."""
            return quantize(((pool[k : k + 1] - 0.5) * 3 + 0.5).clamp(0, 1))

        def mini_case(n: int, what: str, make: Callable[[], Tensor], goal: int, eta: float, steps: int) -> _Case:
            label = f"{_MINI_LABEL}, attaque n° {n}" + (f" ({what})" if what else "")
            return _Case(label, mini, lambda: (_cached("input", case_of[n], "", make), goal, eta, steps), True, 0.02)

        case_of: dict[int, _Case] = {}
        # (image, target, η, max_iter): two ordinary attacks; two that start one step away from
        # success, with steps far smaller than half a grey level, where rounding undoes the attack
        # unless success is judged on the rounded image; one that pushes pixels out of [0, 1]; one
        # that max_iter stops; and a photo already classified as the target. Images are made when
        # needed (not for a stub).
        specs = [
            ("", lambda: pool[0:1], 3, 0.2, 50),
            ("", lambda: pool[3:4], 1, 0.2, 50),
            ("pas minuscules", lambda: one_step_away(0, 3), 3, 0.005, 100),
            ("pas minuscules", lambda: one_step_away(3, 1), 1, 0.005, 100),
            ("pixels saturés", lambda: contrasted(0), 5, 1.0, 30),
            ("max_iter atteint", lambda: pool[7:8], 2, 1.0, 3),  # needs 5 steps
            ("déjà dans la cible", lambda: pool[1:2], int(mini(pool[1:2]).argmax(dim=1)), 0.2, 50),
        ]
        for n, spec in enumerate(specs, 1):
            case_of[n] = mini_case(n, *spec)
        cases = list(case_of.values())
        if real is not None:
            goal = real.class_index(target)
            label = f"{network}, photo « {photo} » → {real.class_name(goal)}"
            cases.append(_Case(label, real, lambda: (_photo(photo, real.device), goal, lr, max_iter), False, 0.25))
        else:
            _unavailable(report, network)

        def error(case: _Case, value: Tensor) -> tuple[float, float]:
            diff = (value - case.expected).flatten()
            return float(diff.abs().max()) * 255, _relative(float(diff.norm()), _fooling_scale(case))

        def distance(case: _Case, mistake: str) -> float:
            variant = _cached("fooling", case, mistake, lambda: _fooling_variant(case.net, *case.args, mistake))
            return _relative(float((case.value - variant).flatten().norm()), _fooling_scale(case, variant))

        implemented = _examine(
            report,
            fn,
            cases,
            threads,
            shape=lambda c: tuple(c.args[0].shape),
            what="l'image renvoyée",
            feminine=True,
            nonfinite_hint=_FOOLING_NONFINITE,
            reference=lambda c: reference_fooling(c.net, *c.args),
            error=error,
            form=_off_grid,
        )

        def properties(case: _Case, hint: str) -> None:
            try:
                _fooling_properties(report, case, advice=not hint)
            except Exception as exc:  # never a crash on a student's answer
                _cannot_examine(report, case.label, exc)

        if implemented:
            hint = _compare(report, cases, threads, _FOOLING_HINTS, distance, 0.02, properties, grey_levels=True)
            _threads_for(True, threads)
            try:
                _fooling_behaviour(report, fn, mini, pool, advice=not hint)
            except Exception as exc:  # never a crash on a student's answer
                _cannot_examine(report, _MINI_LABEL, exc)
            first = cases[0]
            if first.outcome is not None and first.value is not None:
                forwards, backwards = first.outcome.forwards, first.outcome.backwards
                if forwards > backwards + 1:
                    report.add(
                        "properties",
                        None,
                        f"{forwards} passes avant pour {backwards} passes arrière : le résultat compte, mais une passe "
                        "avant par pas suffit, sur l'image arrondie ; elle donne à la fois la classe (le test d'arrêt) "
                        "et le gradient.",
                        first.label,
                    )
    return report.finish(_scope(real, network, "une vraie photo"))


def _off_grid(value: Tensor) -> str:
    if float((quantize(value) - value).abs().max()) <= 1e-6:
        return ""
    return "l'image renvoyée n'est pas arrondie à 8 bits (pixels k/255 dans [0, 1]) : renvoyez tp8.quantize(x)."


def _fooling_properties(report: _Report, case: _Case, *, advice: bool) -> None:
    from .course import num, quote

    net, (image, goal, eta, steps) = case.net, case.args
    value = case.value
    with torch.no_grad():
        seen = int(net(value).argmax(dim=1))
        reached = int(net(case.expected).argmax(dim=1)) == goal
    if reached and seen != goal:
        text = (
            f"arrondie à 8 bits, l'image renvoyée est classée {quote(net.class_name(seen))} et non "
            f"{quote(net.class_name(goal))}, que la référence atteint"
        )
        if advice:
            text += (
                " : continuez tant que l'image arrondie, tp8.quantize(x), n'est pas classée dans la cible (au plus "
                "max_iter pas)"
            )
        report.add("properties", False, text + ".", case.label)
    elif reached:
        text = "arrondie à 8 bits, l'image renvoyée est classée dans la cible."
        report.add("properties", True, text, case.label, key="target")
    delta = float((value - quantize(image)).flatten().norm())
    bound = eta * steps + 0.5 / 255 * math.sqrt(image[0].numel())
    if delta <= bound:
        text = "la perturbation reste dans la borne ‖δ‖₂ ≤ η × max_iter (plus l'arrondi à 8 bits)."
        report.add("properties", True, text, case.label, key="bound")
    else:
        text = f"‖δ‖₂ = {num(delta, 2)} dépasse la borne η × max_iter (plus l'arrondi à 8 bits), {num(bound, 2)}"
        if advice:
            text += " : chaque pas doit mesurer η exactement (g/‖g‖₂), et il y a au plus max_iter pas"
        report.add("properties", False, text + ".", case.label)


def _fooling_behaviour(report: _Report, fn: Callable, mini: Classifier, pool: Tensor, *, advice: bool) -> None:
    """Two black-box properties: one step of length η; no change once the target is reached."""
    from .course import num

    def result(outcome: _Outcome, shape) -> Tensor | None:
        value = outcome.value
        if not isinstance(value, Tensor) or tuple(value.shape) != tuple(shape) or value.layout != torch.strided:
            return None
        if value.dtype not in (torch.float32, torch.float64):
            return None
        value = value.detach().to(device=pool.device, dtype=torch.float32)
        return value if bool(torch.isfinite(value).all()) else None

    image, goal = pool[1:2], 5
    one = result(_invoke(fn, mini, image, goal, 1.0, 1), image.shape)
    if one is not None:
        moved = float((one - image).flatten().norm())
        if abs(moved - 1.0) <= 0.1:
            text = f"avec η = 1 et max_iter = 1, l'image bouge de {num(moved, 2)} (norme L₂) : un pas, de longueur η."
            report.add("properties", True, text, _MINI_LABEL)
        else:
            text = f"avec η = 1 et max_iter = 1, l'image bouge de {num(moved, 2)} (norme L₂) au lieu de η = 1"
            if advice:
                text += " : chaque pas doit mesurer η (divisez le gradient par sa norme ‖g‖₂), et il y a au plus max_iter pas"
            report.add("properties", False, text + ".", _MINI_LABEL)
    image, goal = pool[0:1], 3
    short = result(_invoke(fn, mini, image, goal, 0.2, 50), image.shape)
    long = result(_invoke(fn, mini, image, goal, 0.2, 100), image.shape)
    if short is None or long is None:
        return
    with torch.no_grad():
        reached = int(mini(quantize(short)).argmax(dim=1)) == goal
    if torch.equal(short, long):
        text = "une fois la cible atteinte, plus d'itérations permises ne changent rien : la boucle s'arrête."
        report.add("properties", True, text, _MINI_LABEL)
    elif reached:
        report.add(
            "properties",
            False,
            "avec max_iter = 100 au lieu de 50, l'image change alors que la cible était déjà atteinte : arrêtez "
            "la boucle dès que l'image arrondie est classée dans la cible.",
            _MINI_LABEL,
        )


fooling.reference = reference_fooling
fooling.reference_name = "tp8.fooling_image"


# --- class visualisation: one ascent step --------------------------------------------------------


def _objective(model: Classifier, z: Tensor, targets: Tensor, l2_reg: float) -> Tensor:
    with torch.no_grad():
        rows = torch.arange(z.shape[0], device=z.device)
        return model.forward_normalized(z)[rows, targets] - l2_reg * z.pow(2).flatten(1).sum(dim=1)


def _step_variant(model: Classifier, z: Tensor, targets: Tensor, lr: float, l2_reg: float, mistake: str) -> Tensor:
    """The ascent step with one usual mistake (to recognise it in a student's result)."""
    rows = torch.arange(z.shape[0], device=z.device)
    leaf = z.detach().requires_grad_(True)
    scores = model(leaf) if mistake == "normalised twice" else model.forward_normalized(leaf)
    if mistake in ("probability", "log-probability"):
        scores = scores.softmax(dim=1) if mistake == "probability" else scores.log_softmax(dim=1)
    norms2 = leaf.pow(2).flatten(1).sum(dim=1)
    if mistake == "plus":
        penalty = -l2_reg * norms2
    elif mistake == "unsquared":
        penalty = l2_reg * norms2.sqrt()
    elif mistake == "no penalty":
        penalty = 0.0 * norms2
    else:
        penalty = l2_reg * norms2
    if mistake == "columns":  # scores[:, cibles] − penalty: an N × N matrix, each penalty counted N times
        objective = scores[:, targets] - penalty
    elif mistake == "columns, penalty once":
        objective = scores[:, targets].sum() - penalty.sum()
    else:
        objective = scores[rows, targets] - penalty
    total = objective.mean() if mistake == "mean" else objective.sum()
    (grad,) = torch.autograd.grad(total, leaf)
    if mistake == "half":  # the penalty's gradient written by hand without its factor 2
        grad = grad + l2_reg * leaf.detach()
    if mistake == "normalised step":
        grad = grad / grad.flatten(1).norm(dim=1).clamp_min(1e-30).view(-1, 1, 1, 1)
    elif mistake == "normalised step, batch":
        grad = grad / grad.norm().clamp_min(1e-30)
    if mistake == "returns the gradient":
        return grad.detach()
    if mistake == "returns the step":
        return (lr * grad).detach()
    sign = -1.0 if mistake == "descent" else 1.0
    return (leaf + sign * lr * grad).detach()


_STEP_HINTS = {
    "descent": "vous semblez descendre le gradient ; une montée ajoute η∇L : z + η∇L.",
    "no penalty": "la pénalité semble absente : l'objectif est L = ỹ_c − λ‖z‖₂², dérivez aussi −λ‖z‖₂² (son gradient "
    "est −2λz).",
    "plus": "la pénalité semble ajoutée ; elle se soustrait : L = ỹ_c − λ‖z‖₂².",
    "unsquared": "la pénalité semble être λ‖z‖₂ ; c'est la norme au carré, λ‖z‖₂² (comme tp8 et Simonyan et al.).",
    "half": "le gradient de λ‖z‖₂² est 2λz (n'oubliez pas le facteur 2).",
    "normalised twice": "vous semblez appeler modele(z), qui normalise z une seconde fois : z est déjà dans l'espace "
    "normalisé, donnez-le à modele.forward_normalized(z).",
    "normalised step": "le pas semble normalisé (∇L/‖∇L‖₂, comme dans la partie 2) ; ici il vaut η∇L, sans diviser par "
    "la norme du gradient.",
    "normalised step, batch": "le pas semble normalisé (∇L/‖∇L‖₂, comme dans la partie 2) ; ici il vaut η∇L, sans "
    "diviser par la norme du gradient.",
    "columns": "`scores[:, cibles]` garde, pour chaque image, les scores de toutes les classes du lot (une matrice "
    "N × N) ; il faut un score par image, celui de sa classe : `scores.gather(1, cibles.view(-1, 1))[:, 0]` ou "
    "`scores[torch.arange(N), cibles]`.",
    "columns, penalty once": "`scores[:, cibles]` garde, pour chaque image, les scores de toutes les classes du lot (une "
    "matrice N × N) ; il faut un score par image, celui de sa classe : `scores.gather(1, cibles.view(-1, 1))[:, 0]` ou "
    "`scores[torch.arange(N), cibles]`.",
    "mean": "vous semblez dériver la moyenne des objectifs du lot ; dérivez leur somme, pour que chaque image reçoive "
    "le gradient de son propre objectif.",
    "probability": "vous semblez monter la probabilité (softmax) ; montez le score ỹ_c, avant le softmax.",
    "log-probability": "vous semblez monter la log-probabilité ; montez le score ỹ_c, avant le softmax.",
    "returns the gradient": "vous semblez renvoyer le gradient ∇L ; renvoyez z + η∇L.",
    "returns the step": "vous semblez renvoyer le pas η∇L seul ; renvoyez z + η∇L.",
}


def class_visualization_step(
    fn: Callable,
    model: Classifier | None = None,
    *,
    target: int | str = "flamingo",
    lr: float = 5.0,
    l2_reg: float = 1e-3,
    seed: int = 0,
) -> CheckResult:
    """Check a student's ascent step ``fn(model, z, targets, lr, l2_reg) -> z'`` (lab's eqs. 3–4).

    One step of gradient ascent on L(z) = ỹ_c(z) − λ‖z‖₂² for each image of the batch ``z``, in
    the network's normalised space (``model.forward_normalized(z)`` gives the scores): z' = z + η ∇_z L,
    returned detached, without clamp, jitter or blur (the loop around the step does those).

    What is judged, the same way in the three checks: the values, shape, device, a detached
    result, inputs and model left untouched. float32 and float64 are accepted (float64 with the
    right values passes; compared in float32). The number of passes is advice, never a failure:
    a right step computed image by image passes, with a note that one forward and one backward
    pass for the batch suffice.

    Args:
        fn: the function to check, called as ``fn(model, z, targets, lr, l2_reg)`` with ``z``
            ``(N, 3, H, W)`` and ``targets`` a tensor of N class indices.
        model: the real network (default: SqueezeNet 1.1 when its weights can be found).
        target: the class used with the real network (name or index).
        lr: η for the real network's step.
        l2_reg: λ for the real network's step.
        seed: seeds the noise image the real network's step starts from.

    Returns:
        A :class:`CheckResult`.
    """
    name = _check_function(fn, "pas_de_montee")
    lr = check_number("lr", lr, low=0, low_open=True, hint="η, the step of the ascent: 5.0 (the default)")
    l2_reg = check_number("l2_reg", l2_reg, low=0, hint="λ, the weight of the L2 penalty: 1e-3 (the default)")
    seed = check_seed(seed)
    real, network = _real_model(model)
    device = real.device if model is not None else torch.device("cpu")
    report = _Report("pas de montée de gradient", name)
    with _isolated() as threads:
        mini = _mini_model(device)
        g = torch.Generator().manual_seed(2)
        lo = mini.normalize(torch.zeros(1, 3, 1, 1, device=device))
        hi = mini.normalize(torch.ones(1, 3, 1, 1, device=device))
        z_mini = torch.maximum(torch.minimum(torch.randn(3, 3, _MINI_SIZE, _MINI_SIZE, generator=g).to(device), hi), lo)
        targets_mini = torch.tensor([2, 5, 7], device=device)
        # A small λ (the score's gradient leads) and a large one (the penalty's leads): a wrong sign of
        # either term lowers the objective in one of them.
        cases = [
            _Case(f"{_MINI_LABEL}, λ = 0,001", mini, lambda: (z_mini, targets_mini, 0.1, 1e-3), True, 1e-4),
            _Case(f"{_MINI_LABEL}, λ = 0,05", mini, lambda: (z_mini, targets_mini, 0.1, 0.05), True, 1e-4),
        ]
        if real is not None:

            def real_inputs() -> tuple:
                gr = torch.Generator().manual_seed(seed)
                lo_r = real.normalize(torch.zeros(1, 3, 1, 1, device=real.device))
                hi_r = real.normalize(torch.ones(1, 3, 1, 1, device=real.device))
                noise = torch.randn(1, 3, 224, 224, generator=gr).to(real.device)
                goal = torch.tensor([real.class_index(target)], device=real.device)
                return torch.maximum(torch.minimum(noise, hi_r), lo_r), goal, lr, l2_reg

            label = f"{network}, classe {real.class_name(real.class_index(target))}"
            cases.append(_Case(label, real, real_inputs, False, 1e-3))
        else:
            _unavailable(report, network)

        def scale(case: _Case) -> float:
            return float((case.expected - case.args[0]).abs().max())

        def error(case: _Case, value: Tensor) -> tuple[float, float]:
            abs_err = float((value - case.expected).abs().max())
            return abs_err, _relative(abs_err, scale(case))

        def distance(case: _Case, mistake: str) -> float:
            variant = _cached("step", case, mistake, lambda: _step_variant(case.net, *case.args, mistake))
            return _relative(float((case.value - variant).abs().max()), scale(case))

        implemented = _examine(
            report,
            fn,
            cases,
            threads,
            shape=lambda c: tuple(c.args[0].shape),
            what="le z renvoyé",
            feminine=False,
            nonfinite_hint="le pas est simplement z + η∇L : vérifiez les divisions (par une norme nulle ?) et les "
            "logarithmes (d'un score négatif ?).",
            reference=lambda c: reference_class_visualization_step(c.net, *c.args),
            error=error,
        )

        def step_property(case: _Case, hint: str) -> None:
            if case.small:
                try:
                    _step_property(report, case, advice=not hint)
                except Exception as exc:  # never a crash on a student's answer
                    _cannot_examine(report, case.label, exc)

        if implemented:
            _compare(report, cases, threads, _STEP_HINTS, distance, 1e-2, step_property)
            _passes_note(report, cases[0], cases[0].args[0].shape[0] if cases[0].args is not None else 0)
    return report.finish(_scope(real, network, "une image de bruit"))


def _step_property(report: _Report, case: _Case, *, advice: bool) -> None:
    from .course import num

    z, targets, _, lam = case.args
    gain = _objective(case.net, case.value, targets, lam) - _objective(case.net, z, targets, lam)
    if bool((gain > 0).all()):
        text = "l'objectif L = ỹ_c − λ‖z‖₂² augmente pour chaque image du lot."
        report.add("properties", True, text, case.label, key="ascent")
    else:
        text = f"l'objectif L = ỹ_c − λ‖z‖₂² baisse (de {num(-float(gain.min()), 3)} pour une image)"
        if advice:
            text += " : une montée fait z + η∇L, et la pénalité se soustrait du score"
        report.add("properties", False, text + ".", case.label)


class_visualization_step.reference = reference_class_visualization_step
class_visualization_step.reference_name = "le pas de tp8.class_visualization"


# --- using the student's function, or the reference while it is a stub ---------------------------


def use(fn: Callable, reference: Callable) -> Callable:
    """``fn`` once it is written; meanwhile tp8's reference, with a visible notice.

    For the cell of an exercise notebook (or page) that shows a figure with the student's
    function: while ``fn`` still raises :class:`NotImplementedError` (the stub), the call goes
    to the reference instead, and a notice says so, so that the notebook runs from top to bottom.
    Any other error of ``fn`` is raised as usual.

    Args:
        fn: the student's function.
        reference: the check of the same exercise (:func:`saliency`, :func:`fooling`,
            :func:`class_visualization_step`), whose reference is used, or any function with
            ``fn``'s signature.

    Returns:
        A function with ``fn``'s signature.

    Example::

        >>> carte = tp8.checks.use(carte_de_saillance, tp8.checks.saliency)
        >>> cartes = carte(model, images, classes)
    """
    name = _check_function(fn, "la fonction de l'exercice")
    target = getattr(reference, "reference", reference)
    if not callable(target):
        raise InputError(f"reference must be a check of tp8.checks or a function, got {type(reference).__name__}")
    shown = getattr(reference, "reference_name", None) or getattr(target, "__name__", "la référence")

    told = []

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            if not told:  # once, even when a loop calls the function many times
                told.append(True)
                _display_notice(
                    f"La fonction <code>{html.escape(name)}</code> n'est pas encore écrite : ce résultat vient de la "
                    f"référence de tp8 ({html.escape(shown)}). Écrivez-la, puis exécutez de nouveau cette cellule "
                    "pour voir le vôtre."
                )
            return target(*args, **kwargs)

    return call


def _display_notice(text: str) -> None:
    from .course import notice

    box = notice(text, title="Résultat de la référence", kind="info")
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(box)
    else:
        print(re.sub(r"<[^>]+>", "", repr(box)))
