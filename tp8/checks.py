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

Each check runs the student's function on a tiny seeded network built here (no weights needed)
and on one real photo with the pretrained SqueezeNet 1.1 when its weights can be found (it says
so when they cannot), and reports, in this order: not written yet (the stub raises
:class:`NotImplementedError`); wrong type, shape, dtype or device; gradients left on the model or
the inputs; the largest absolute and relative error against tp8's own implementation, with the
tolerance; properties of the result (maps ≥ 0; the fooling image classified as the target after
8-bit rounding, within a stated distance; the objective increases). It ends with one verdict line
and returns a :class:`CheckResult` (shown as text or HTML in Jupyter). It never shows the
reference's values or code: only distances to it, and hints for the usual mistakes.

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


def _report_call(report: _Report, outcome: _Outcome, case: str) -> bool:
    """Report a failed or unwritten call; True when there is a value to examine."""
    if outcome.error is None:
        return True
    if outcome.not_implemented:
        report.add(
            "implemented",
            "todo",
            f"`{report.function}` n'est pas encore écrite : elle lève NotImplementedError. Remplacez les lignes "
            "« À VOUS » par votre code.",
        )
    else:
        error = f"{type(outcome.error).__name__}: {outcome.error}".strip()
        report.add("implemented", False, f"`{report.function}` lève une erreur, {error}{outcome.where}.", case)
    return False


def _report_tensor(report: _Report, value, case: str, shape: tuple, device, hint: Callable | None = None) -> bool:
    """Type, shape, dtype and device of a result; True when they are right."""
    if not isinstance(value, Tensor):
        text = f"`{report.function}` renvoie un objet {type(value).__name__}, pas un torch.Tensor."
        report.add("type", False, text, case)
        return False
    problems = []
    if tuple(value.shape) != tuple(shape):
        extra = hint(tuple(value.shape)) if hint is not None else ""
        problems.append(f"forme {tuple(value.shape)} au lieu de {tuple(shape)}" + (f" ({extra})" if extra else ""))
    if value.dtype != torch.float32:
        problems.append(f"dtype {value.dtype} au lieu de torch.float32")
    if value.device != torch.device(device):
        problems.append(f"sur l'appareil {value.device} au lieu de {device}, celui du modèle")
    if problems:
        report.add("type", False, "le résultat a une " + " ; ".join(problems) + ".", case)
        return False
    report.add(
        "type", True, "le résultat a le bon type, la bonne forme, le bon dtype et le bon appareil.", case, key="type"
    )
    return True


def _report_gradients(report: _Report, outcome: _Outcome, case: str, what: str) -> None:
    problems = []
    if outcome.model_grads:
        problems.append(
            "le modèle garde des gradients (p.grad) ou n'est plus figé : n'appelez pas .backward() sur lui et ne "
            "changez pas son requires_grad ; torch.autograd.grad(score, entrée) suffit"
        )
    problems.extend(outcome.inputs_changed)
    value = outcome.value
    if isinstance(value, Tensor) and (value.requires_grad or value.grad_fn is not None):
        problems.append(f"{what} est encore attaché au graphe de calcul : renvoyez-le détaché (….detach())")
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
    if grey_levels:
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


def _closest(candidates: dict[str, Tensor], value: Tensor, scale: float, within: float) -> str:
    """The hint of the known mistake whose result ``value`` matches, if any."""
    best, best_err = "", within
    for hint, expected in candidates.items():
        if expected.shape != value.shape:
            continue
        err = _relative(float((value - expected).abs().max()), scale)
        if err < best_err:
            best, best_err = hint, err
    return best


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
        "mini-réseau seulement. Avec les poids, elle l'est aussi sur une vraie photo.",
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
    scores = model(leaf)
    rows = torch.arange(images.shape[0], device=images.device)
    if objective == "score":
        value = scores[rows, classes].sum()
    elif objective == "probability":
        value = scores.softmax(dim=1)[rows, classes].sum()
    elif objective == "log-probability":
        value = scores.log_softmax(dim=1)[rows, classes].sum()
    else:  # every class at once
        value = scores.sum()
    (grad,) = torch.autograd.grad(value, leaf)
    return grad.detach()


def _saliency_mistakes(model: Classifier, images: Tensor, classes: Tensor) -> dict[str, Tensor]:
    g = _input_gradients(model, images, classes)
    predicted = model(images).argmax(dim=1)
    return {
        "la carte a des valeurs négatives là où le gradient est négatif : prenez la valeur absolue |∂ỹ_c/∂x| "
        "avant le maximum sur les canaux.": g.amax(dim=1),
        "vous semblez prendre la moyenne sur les trois canaux ; la carte en prend le maximum.": g.abs().mean(dim=1),
        "vous semblez sommer les trois canaux ; la carte en prend le maximum.": g.abs().sum(dim=1),
        "vous semblez expliquer la classe prédite ; expliquez la classe demandée, classes[i] pour l'image i.": (
            _input_gradients(model, images, predicted).abs().amax(dim=1)
        ),
        "vous semblez dériver la probabilité (softmax) ; dérivez le score ỹ_c, avant le softmax.": (
            _input_gradients(model, images, classes, "probability").abs().amax(dim=1)
        ),
        "vous semblez dériver la log-probabilité ; dérivez le score ỹ_c, avant le softmax.": (
            _input_gradients(model, images, classes, "log-probability").abs().amax(dim=1)
        ),
        "vous semblez dériver la somme de tous les scores ; ne gardez que le score de la classe de chaque image.": (
            _input_gradients(model, images, classes, "all").abs().amax(dim=1)
        ),
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
    et al. 2014, §3.1), computed for the whole batch with one forward and one backward pass.

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
        cases = [(_MINI_LABEL, mini, images, classes, 1e-4)]
        if real is not None:
            x = _photo(photo, real.device)
            top = real(x).argmax(dim=1)
            # The photo twice, for its predicted class and for another one.
            other = (top + 500) % real.num_classes
            cases.append(
                (f"{network}, photo « {photo} »", real, torch.cat([x, x]), torch.cat([top, other]).detach(), 1e-3)
            )
        else:
            _unavailable(report, network)
        for label, net, batch, targets, tolerance in cases:
            _threads_for(net is mini, threads)
            outcome = _invoke(fn, net, batch, targets)
            if not _report_call(report, outcome, label):
                if outcome.not_implemented:
                    break
                continue
            n, _, h, w = batch.shape
            if not _report_tensor(report, outcome.value, label, (n, h, w), net.device, _saliency_shape_hint):
                continue
            _report_gradients(report, outcome, label, "la carte renvoyée")
            value = outcome.value.detach()
            expected = reference_saliency(net, batch, targets)
            scale = float(expected.abs().max())
            abs_err = float((value - expected).abs().max())
            rel_err = _relative(abs_err, scale)
            hint = ""
            if not rel_err <= tolerance and net is mini:
                hint = _closest(_saliency_mistakes(mini, batch, targets), value, scale, 1e-3)
            _report_error(report, label, abs_err, rel_err, tolerance, hint)
            if not bool(torch.isfinite(value).all()):
                report.add("properties", False, "la carte contient des NaN ou des infinis.", label)
            elif float(value.min()) < 0:
                text = "la carte a des valeurs négatives ; une carte de saillance est une valeur absolue, ≥ 0."
                report.add("properties", False, text, label)
            else:
                report.add("properties", True, "la carte est positive ou nulle partout.", label, key="positive")
            if net is mini:
                if outcome.forwards == 1 and outcome.backwards == 1:
                    text = f"une passe avant et une passe arrière pour tout le lot de {n} images."
                    report.add("properties", True, text, label, key="passes")
                else:
                    report.add(
                        "properties",
                        False,
                        f"{outcome.forwards} passe(s) avant et {outcome.backwards} passe(s) arrière pour un lot de {n} "
                        "images ; une de chaque suffit : le gradient de la somme des scores des images donne à chacune "
                        "le gradient de son propre score.",
                        label,
                    )
    return report.finish(_scope(real, network, "une vraie photo"))


def _scope(real, network: str, on: str) -> str:
    return f"mini-réseau et {network} sur {on}" if real is not None else "mini-réseau seulement"


saliency.reference = reference_saliency
saliency.reference_name = "tp8.saliency_map"


# --- fooling images ----------------------------------------------------------------------------


def _fooling_variant(model: Classifier, image: Tensor, target: int, lr: float, max_iter: int, mistake: str) -> Tensor:
    """The fooling loop with one deliberate mistake (to recognise it in a student's result)."""
    x = quantize(image.detach().clone())
    for _ in range(max_iter):
        point = x if mistake in ("unrounded check", "unrounded gradient") else quantize(x)
        if mistake == "unrounded gradient":
            with torch.no_grad():
                done = int(model(quantize(x)).argmax(dim=1)) == target
        leaf = point.clone().requires_grad_(True)
        scores = model(leaf)
        if mistake != "unrounded gradient":
            done = int(scores.argmax(dim=1)) == target
        if done and mistake != "no stop":
            break
        value = scores.softmax(dim=1)[0, target] if mistake == "probability" else scores[0, target]
        (g,) = torch.autograd.grad(value, leaf)
        step = lr * g if mistake == "not normalised" else lr * g / g.norm().clamp_min(1e-12)
        x = (x + step).clamp(0, 1)
    return quantize(x)


_FOOLING_HINTS = {
    "not normalised": "le pas ne semble pas normalisé : divisez le gradient par sa norme, x ← x + η g/‖g‖₂.",
    "unrounded check": "le succès semble jugé sur l'image non arrondie : à chaque itération, évaluez le réseau sur "
    "tp8.quantize(x) (l'image telle qu'un PNG la garde) et arrêtez-vous quand c'est elle qui est classée dans la cible.",
    "unrounded gradient": "le gradient semble pris sur l'image non arrondie : prenez-le sur l'image arrondie "
    "tp8.quantize(x), celle que vous venez de classer (une seule passe avant et arrière par itération).",
    "no stop": "la boucle ne semble pas s'arrêter quand la cible est atteinte : sortez-en dès que l'image arrondie est "
    "classée dans la cible.",
    "probability": "vous semblez monter la probabilité (softmax) ; montez le score ỹ_cible, avant le softmax.",
}


def _perturbation_error(value: Tensor, expected: Tensor, original: Tensor) -> tuple[float, float]:
    """(largest difference in grey levels, ‖value − expected‖₂ / ‖expected − original‖₂)."""
    diff = (value - expected).flatten()
    scale = float((expected - original).flatten().norm())
    return float(diff.abs().max()) * 255, _relative(float(diff.norm()), scale)


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

        # (image, target, η, max_iter): two ordinary attacks, then two that start one step away from
        # success, with steps far smaller than half a grey level: there, rounding undoes the attack
        # unless success is judged on the rounded image. Images are made when needed (not for a stub).
        cases = [
            (f"{_MINI_LABEL}, attaque n° 1", lambda: pool[0:1], 3, 0.2, 50, True),
            (f"{_MINI_LABEL}, attaque n° 2", lambda: pool[3:4], 1, 0.2, 50, True),
            (f"{_MINI_LABEL}, attaque n° 3", lambda: one_step_away(0, 3), 3, 0.005, 100, True),
            (f"{_MINI_LABEL}, attaque n° 4", lambda: one_step_away(3, 1), 1, 0.005, 100, True),
        ]
        if real is not None:
            goal = real.class_index(target)
            label = f"{network}, photo « {photo} » → {real.class_name(goal)}"
            cases.append((label, lambda: _photo(photo, real.device), goal, lr, max_iter, False))
        else:
            _unavailable(report, network)
        for label, make_image, goal, eta, steps, small in cases:
            _threads_for(small, threads)
            net = mini if small else real
            image = make_image().to(net.device)
            outcome = _invoke(fn, net, image, goal, eta, steps)
            if not _report_call(report, outcome, label):
                if outcome.not_implemented:
                    break
                continue
            if not _report_tensor(report, outcome.value, label, tuple(image.shape), net.device):
                continue
            _report_gradients(report, outcome, label, "l'image renvoyée")
            value = outcome.value.detach()
            expected = reference_fooling(net, image, goal, eta, steps)
            original = quantize(image)
            grey, rel_err = _perturbation_error(value, expected, original)
            tolerance = 0.02 if small else 0.25
            hint = ""
            if not rel_err <= tolerance and small:
                hint = _fooling_mistake(net, image, goal, eta, steps, value, tolerance)
            _report_error(report, label, grey, rel_err, tolerance, hint, grey_levels=True)
            _fooling_properties(report, label, net, image, goal, eta, steps, value)
        if not report.todo:
            _threads_for(True, threads)
            _fooling_behaviour(report, fn, mini, pool)
    return report.finish(_scope(real, network, "une vraie photo"))


def _fooling_mistake(net, image, goal, eta, steps, value, tolerance) -> str:
    """The hint of the deliberate mistake whose result matches the student's, if one does."""
    original = quantize(image)
    best, best_err = "", tolerance
    for mistake, hint in _FOOLING_HINTS.items():
        variant = _fooling_variant(net, image, goal, eta, steps, mistake)
        diff = float((value - variant).flatten().norm())
        err = _relative(diff, float((variant - original).flatten().norm()))
        if err < best_err:
            best, best_err = hint, err
    return best


def _fooling_properties(report, label, net, image, goal, eta, steps, value) -> None:
    from .course import num, quote

    if not bool(torch.equal(quantize(value), value)):
        text = "l'image renvoyée n'est pas arrondie à 8 bits (pixels k/255 dans [0, 1]) : renvoyez tp8.quantize(x)."
        report.add("properties", False, text, label)
        return
    with torch.no_grad():
        seen = int(net(value).argmax(dim=1))
    if seen != goal:
        report.add(
            "properties",
            False,
            f"arrondie à 8 bits, l'image renvoyée est classée {quote(net.class_name(seen))} et non "
            f"{quote(net.class_name(goal))} : jugez le succès sur tp8.quantize(x), et continuez tant que cette "
            "image-là n'est pas classée dans la cible.",
            label,
        )
    else:
        text = "arrondie à 8 bits, l'image renvoyée est classée dans la cible."
        report.add("properties", True, text, label, key="target")
    delta = float((value - quantize(image)).flatten().norm())
    bound = eta * steps + 0.5 / 255 * math.sqrt(image[0].numel())
    if delta <= bound:
        text = "la perturbation reste dans la borne ‖δ‖₂ ≤ η × max_iter (plus l'arrondi à 8 bits)."
        report.add("properties", True, text, label, key="bound")
    else:
        report.add(
            "properties",
            False,
            f"‖δ‖₂ = {num(delta, 2)} dépasse la borne η × max_iter (plus l'arrondi à 8 bits), {num(bound, 2)} : "
            "chaque pas doit mesurer η exactement (g/‖g‖₂).",
            label,
        )


def _fooling_behaviour(report: _Report, fn: Callable, mini: Classifier, pool: Tensor) -> None:
    """Two black-box properties: one step of length η; no change once the target is reached."""
    from .course import num

    image, goal = pool[1:2], 5
    one = _invoke(fn, mini, image, goal, 1.0, 1)
    if isinstance(one.value, Tensor) and one.value.shape == image.shape:
        moved = float((one.value.detach() - image).flatten().norm())
        if abs(moved - 1.0) <= 0.1:
            text = f"avec η = 1 et max_iter = 1, l'image bouge de {num(moved, 2)} (norme L₂) : un pas, de longueur η."
            report.add("properties", True, text, _MINI_LABEL)
        else:
            report.add(
                "properties",
                False,
                f"avec η = 1 et max_iter = 1, l'image bouge de {num(moved, 2)} (norme L₂) au lieu de η = 1 : chaque "
                "pas doit mesurer η (divisez le gradient par sa norme ‖g‖₂), et il y a au plus max_iter pas.",
                _MINI_LABEL,
            )
    image, goal = pool[0:1], 3
    short, long = _invoke(fn, mini, image, goal, 0.2, 50), _invoke(fn, mini, image, goal, 0.2, 100)
    if isinstance(short.value, Tensor) and isinstance(long.value, Tensor):
        if short.value.shape == long.value.shape and torch.equal(short.value, long.value):
            text = "une fois la cible atteinte, plus d'itérations permises ne changent rien : la boucle s'arrête."
            report.add("properties", True, text, _MINI_LABEL)
        else:
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
    rows = torch.arange(z.shape[0], device=z.device)
    leaf = z.detach().requires_grad_(True)
    scores = model.forward_normalized(leaf)
    if mistake in ("probability", "log-probability"):
        scores = scores.softmax(dim=1) if mistake == "probability" else scores.log_softmax(dim=1)
    norms2 = leaf.pow(2).flatten(1).sum(dim=1)
    penalty = {"plus": -l2_reg * norms2, "unsquared": l2_reg * norms2.sqrt()}.get(mistake, l2_reg * norms2)
    objective = scores[rows, targets] - penalty
    total = objective.mean() if mistake == "mean" else objective.sum()
    (grad,) = torch.autograd.grad(total, leaf)
    if mistake == "half":  # the penalty's gradient written by hand without its factor 2
        grad = grad + l2_reg * leaf.detach()
    sign = -1.0 if mistake == "descent" else 1.0
    return (leaf + sign * lr * grad).detach()


_STEP_HINTS = {
    "plus": "la pénalité semble ajoutée ; elle se soustrait : L = ỹ_c − λ‖z‖₂².",
    "unsquared": "la pénalité semble être λ‖z‖₂ ; c'est la norme au carré, λ‖z‖₂² (comme tp8 et Simonyan et al.).",
    "half": "le gradient de λ‖z‖₂² est 2λz (n'oubliez pas le facteur 2).",
    "descent": "vous semblez descendre le gradient ; une montée ajoute η∇L : z + η∇L.",
    "mean": "vous semblez dériver la moyenne des objectifs du lot ; dérivez leur somme, pour que chaque image reçoive "
    "le gradient de son propre objectif.",
    "probability": "vous semblez monter la probabilité (softmax) ; montez le score ỹ_c, avant le softmax.",
    "log-probability": "vous semblez monter la log-probabilité ; montez le score ỹ_c, avant le softmax.",
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
            (f"{_MINI_LABEL}, λ = 0,001", mini, z_mini, targets_mini, 0.1, 1e-3, True),
            (f"{_MINI_LABEL}, λ = 0,05", mini, z_mini, targets_mini, 0.1, 0.05, True),
        ]
        if real is not None:
            gr = torch.Generator().manual_seed(seed)
            lo_r = real.normalize(torch.zeros(1, 3, 1, 1, device=real.device))
            hi_r = real.normalize(torch.ones(1, 3, 1, 1, device=real.device))
            z_real = torch.maximum(torch.minimum(torch.randn(1, 3, 224, 224, generator=gr).to(real.device), hi_r), lo_r)
            goal = torch.tensor([real.class_index(target)], device=real.device)
            cases.append((f"{network}, classe {real.class_name(int(goal))}", real, z_real, goal, lr, l2_reg, False))
        else:
            _unavailable(report, network)
        for label, net, z, targets, eta, lam, small in cases:
            _threads_for(small, threads)
            outcome = _invoke(fn, net, z, targets, eta, lam)
            if not _report_call(report, outcome, label):
                if outcome.not_implemented:
                    break
                continue
            if not _report_tensor(report, outcome.value, label, tuple(z.shape), net.device):
                continue
            _report_gradients(report, outcome, label, "le z renvoyé")
            value = outcome.value.detach()
            expected = reference_class_visualization_step(net, z, targets, eta, lam)
            scale = float((expected - z).abs().max())
            abs_err = float((value - expected).abs().max())
            rel_err = _relative(abs_err, scale)
            tolerance = 1e-4 if small else 1e-3
            hint = ""
            if not rel_err <= tolerance and small:
                variants = {hint_: _step_variant(net, z, targets, eta, lam, m) for m, hint_ in _STEP_HINTS.items()}
                hint = _closest({h: v - z for h, v in variants.items()}, value - z, scale, 1e-2)
            _report_error(report, label, abs_err, rel_err, tolerance, hint)
            if small:
                _step_property(report, label, net, z, targets, lam, value)
    return report.finish(_scope(real, network, "une image de bruit"))


def _step_property(report, label, net, z, targets, lam, value) -> None:
    from .course import num

    if not bool(torch.isfinite(value).all()):
        report.add("properties", False, "le z renvoyé contient des NaN ou des infinis.", label)
        return
    gain = _objective(net, value, targets, lam) - _objective(net, z, targets, lam)
    if bool((gain > 0).all()):
        text = "l'objectif L = ỹ_c − λ‖z‖₂² augmente pour chaque image du lot."
        report.add("properties", True, text, label, key="ascent")
    else:
        report.add(
            "properties",
            False,
            f"l'objectif L = ỹ_c − λ‖z‖₂² baisse (de {num(-float(gain.min()), 3)} pour une image) : une montée fait "
            "z + η∇L, et la pénalité se soustrait du score.",
            label,
        )


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
