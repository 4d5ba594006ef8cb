"""The engine of the self-checks: one way of checking a student's function, filled in by one spec per exercise.

An exercise is an :class:`Exercise`: its reference, its cases (on the tiny network, and one on the
real network), how far two results lie apart, its usual mistakes (each a :class:`Mistake`: the
wrong code that reproduces it, and its hint) and its own properties. :meth:`Exercise.run` does the
rest, the same way for every exercise:

1. set-up: the function and the settings are checked, the real network found, everything runs
   under :func:`~tp8.checks.networks.isolated` (global random state untouched, gradients on);
2. each case: the student's function is called on copies (:func:`~tp8.checks.student.invoke`);
   the report says, in this order, not written yet (a stub), an error, or the notebook's global
   network used instead of the argument; wrong type, shape, dtype or device, non-finite values;
   gradients left on the model or the inputs, a result still attached to the graph;
3. the distance of each result to tp8's reference, with the tolerance, and, when it is wrong, the
   hint of the usual mistake that reproduces it (:func:`diagnose`);
4. the exercise's properties of each result, then of the function as a whole;
5. the verdict (:meth:`~tp8.checks.result.Report.finish`).

The rules shared by every check: the values are judged, not the way they are computed (float32 and
float64 are both accepted, compared in float32; a loop over the images passes, the number of
passes gets a note, never a failure); a hint names a usual mistake only when that mistake,
computed here, reproduces the student's result on the first failing case, a mistake that
reproduces all the tiny network's cases winning over one that reproduces some; a check never
raises because of the student's answer, and never shows the reference's values, only distances.

A spec file (``tp8/checks/exercises/*.py``) decorates its public check with :meth:`Exercise.check`,
which is how :func:`use` finds the reference of a check.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..models import Classifier
from .lines import cannot_examine, guarded, report_call, report_error, report_gradients, report_tensor, unavailable
from .messages import Text, t
from .networks import MINI, isolated, mini_images, mini_model, real_model, threads_for
from .result import CheckResult, Report
from .student import Outcome, check_function, invoke

__all__ = ["Case", "Exercise", "Mistake", "Run", "diagnose", "exports", "relative"]


class Mistake:
    """A usual mistake: its ``hint``, and the wrong ``codes`` (with the student's signature) that make it.

    Several codes may share one hint (two ways of writing the same mistake).
    """

    def __init__(self, name: str, hint: Text, *codes: Callable):
        if not codes:
            raise ValueError(f"the mistake {name!r} needs the code that reproduces it")
        self.name, self.hint, self.codes = name, hint, codes

    def __repr__(self) -> str:
        return f"<Mistake {self.name}>"


@dataclass(eq=False)
class Case:
    """One call of the student's function: its inputs, its result and its distance to the reference."""

    label: Text
    net: Classifier
    make: Callable[[], tuple]  # the inputs after the model, built when first needed
    small: bool  # on the tiny network (where the usual mistakes are recognised)
    tolerance: float
    owner: str = ""  # the exercise (for the cache)
    shared: bool = False  # what does not depend on the student may be kept for the next checks
    settings: tuple = ()  # the check's settings the inputs depend on (for the cache)
    args: tuple | None = None
    outcome: Outcome | None = None
    value: Tensor | None = None  # the result, float32, when its type is right
    expected: Tensor | None = None
    abs_err: float = math.inf
    rel_err: float = math.inf

    @property
    def group(self) -> Text:
        """Passing lines of the tiny network's cases are merged into one line."""
        return MINI if self.small else self.label

    def inputs(self) -> tuple:
        if self.args is None:
            self.args = cached(self, "input", self.make)
        return self.args

    @property
    def ok(self) -> bool:
        return self.rel_err <= self.tolerance


#: Results that do not depend on the student (inputs, references, the usual mistakes), on the tiny
#: network and on the check's own SqueezeNet, computed once per process: a student who runs a check
#: again waits less. (A network given to the check is the caller's, who may change it: not kept.)
_CACHE: dict[tuple, object] = {}


def cached(case: Case, what: str, compute: Callable[[], object]) -> object:
    """``compute()``, kept for the next checks when ``case`` is :attr:`Case.shared`."""
    if not case.shared:
        return compute()
    key = (case.owner, what, case.label, str(case.net.device), case.settings)
    if key not in _CACHE:
        _CACHE[key] = compute()
    return _CACHE[key]


def relative(diff: float, scale: float) -> float:
    """``diff / scale``: infinite when ``diff`` is, or when ``scale`` is 0 and ``diff`` is not."""
    if not math.isfinite(diff):
        return math.inf
    return diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)


@dataclass
class Run:
    """One check in progress: what the spec's functions receive."""

    exercise: Exercise
    fn: Callable
    report: Report
    settings: dict
    device: torch.device
    mini: Classifier  # the tiny network
    images: Tensor  # its eight images
    real: Classifier | None
    network: str  # the real network's name
    own: bool  # the real network is the check's own SqueezeNet, not one given to it
    threads: int
    cases: list[Case] = field(default_factory=list)
    hint: Text | None = None  # of the usual mistake found, if any

    def mini_case(self, label: Text, make: Callable[[], tuple], tolerance: float) -> Case:
        return Case(label, self.mini, make, True, tolerance, self.exercise.function, shared=True)

    def real_case(self, label: Text, make: Callable[[], tuple], tolerance: float) -> Case:
        settings = tuple(sorted((k, repr(v)) for k, v in self.settings.items()))
        return Case(label, self.real, make, False, tolerance, self.exercise.function, self.own, settings)

    def add(self, section: str, ok, text: Text, where=None, **kwargs) -> None:
        self.report.add(section, ok, text, where, **kwargs)

    def property_fails(self, text: Text, where, advice: Text | None = None) -> None:
        """A failed property: ``text``, then ``advice`` unless a usual mistake's hint already says what to do."""
        if advice is not None and self.hint is None:
            text += advice
        self.add("properties", False, text + t(".", "."), where)


@dataclass
class Exercise:
    """One exercise's spec: everything :meth:`run` needs to check a student's function for it.

    Attributes:
        title: the exercise, as the report's title names it.
        function: the student's function, as the exercise names it (``"carte_de_saillance"``).
        reference: tp8's answer, with the student's signature.
        reference_name: how :func:`use`'s notice names the reference.
        result: the result in a sentence (``t("la carte renvoyée", "the returned map")``).
        feminine: whether ``result``'s French noun is feminine ("attachée", "renvoyez-la").
        mini_cases: ``mini_cases(run)``, the cases on the tiny network (``run.mini_case(...)``).
        real_case: ``real_case(run)``, the case on the real network (``run.real_case(...)``; called only
            when a real network is found).
        shape: ``shape(case)``, the shape the result must have.
        distance: ``distance(case, a, b)``, how far two results lie apart, relative to the case's
            scale; ``distance(case, result, case.expected)`` is the relative error.
        mistakes: the usual mistakes; a mistake whose code lies within ``within`` of the student's
            results (by ``distance``) gives its hint.
        nonfinite_hint: the hint shown when the result holds NaN or infinities.
        scope: what the real network runs on (``t("une vraie photo", "a real photo")``).
        shape_hint: ``shape_hint(shape)``, a hint for a wrong shape (a Text, or None).
        form: ``form(value)``, what is wrong with a well-typed result (a Text, or None).
        examine: ``examine(run, case)``, the properties of one result (``run.hint`` is set).
        conclude: functions ``f(run)`` that report properties of the whole function, in turn.
        settings: ``settings(**kwargs)``, the check's own settings validated (a dict).
        grey_levels: show the largest difference in grey levels (× 255).
    """

    title: Text
    function: str
    reference: Callable
    reference_name: Text | str
    result: Text
    feminine: bool
    mini_cases: Callable[[Run], list[Case]]
    real_case: Callable[[Run], Case]
    shape: Callable[[Case], tuple]
    distance: Callable[[Case, Tensor, Tensor], float]
    mistakes: Sequence[Mistake]
    within: float
    nonfinite_hint: Text
    scope: Text
    shape_hint: Callable[[tuple], Text | None] | None = None
    form: Callable[[Tensor], Text | None] | None = None
    examine: Callable[[Run, Case], None] | None = None
    conclude: Sequence[Callable[[Run], None]] = ()
    settings: Callable[..., dict] | None = None
    grey_levels: bool = False

    def check(self, public: Callable) -> Callable:
        """Decorate the exercise's public check: :func:`use` reads its reference from it."""
        public.reference = self.reference
        public.reference_name = self.reference_name
        public.exercise = self
        return public

    def run(self, fn: Callable, model: Classifier | None = None, **settings) -> CheckResult:
        """Check ``fn`` on the tiny network and on ``model`` (default: SqueezeNet 1.1 when found)."""
        name = check_function(fn, self.function)
        settings = self.settings(**settings) if self.settings is not None else settings
        real, network = real_model(model)
        device = real.device if model is not None else torch.device("cpu")
        report = Report(self.title, name)
        with isolated() as threads:
            mini = mini_model(device)
            images = mini_images(device)
            run = Run(self, fn, report, settings, device, mini, images, real, network, model is None, threads)
            run.cases = list(self.mini_cases(run))
            if real is not None:
                run.cases.append(self.real_case(run))
            else:
                report.add("info", None, unavailable(network))
            if self._call(run):
                self._compare(run)
        if real is None:
            return report.finish(t("mini-réseau seulement", "tiny network only"))
        on = t(
            "mini-réseau et {network} sur {on}", "tiny network and {network} on {on}", network=network, on=self.scope
        )
        return report.finish(on)

    def _call(self, run: Run) -> bool:
        """Run the function on each case and report its call, type and gradients; False while it is a stub.

        Fills each case's ``value``, ``expected``, ``abs_err`` and ``rel_err`` where the result can be compared.
        """
        for case in run.cases:
            threads_for(case.small, run.threads)
            outcome = case.outcome = invoke(run.fn, case.net, *case.inputs())
            if not report_call(run.report, outcome, case, run.fn):
                if outcome.not_implemented:
                    return False
                continue
            try:  # a check never crashes on a student's answer, however odd the object it returns
                shape = tuple(self.shape(case))
                value = report_tensor(run.report, self, outcome.value, case, shape)
                if isinstance(outcome.value, Tensor) and tuple(outcome.value.shape) == shape:
                    report_gradients(run.report, self, outcome, case)
                if value is None:
                    continue
                problem = self.form(value) if self.form is not None else None
                if problem is not None:
                    run.add("type", False, problem, case)
                case.expected = cached(case, "reference", lambda case=case: self.reference(case.net, *case.args))
                case.abs_err = float((value - case.expected).abs().max()) * (255 if self.grey_levels else 1)
                case.rel_err = self.distance(case, value, case.expected)
                case.value = value
            except Exception as exc:
                cannot_examine(run.report, case, exc)
        return True

    def _compare(self, run: Run) -> None:
        """The distance of each result to the reference, with the usual mistake's hint; then the properties."""
        threads_for(True, run.threads)
        try:  # no hint, rather than a crash, if the diagnosis fails on an unusual answer
            run.hint = diagnose(self.mistakes, run.cases, self.distance, self.within)
        except Exception:
            run.hint = None
        for case in run.cases:
            if case.value is None:
                continue
            threads_for(case.small, run.threads)
            report_error(run.report, self, case, run.hint)
            if self.examine is not None:
                guarded(run.report, case, lambda case=case: self.examine(run, case))
        threads_for(True, run.threads)
        for conclude in self.conclude:
            guarded(run.report, MINI, lambda conclude=conclude: conclude(run))


def diagnose(mistakes: Sequence[Mistake], cases: list[Case], distance: Callable, within: float) -> Text | None:
    """The hint of the usual mistake that reproduces the student's results, if one does.

    A mistake is judged on every case of the tiny network at once, not case by case: the one that
    reproduces all of them wins over one that reproduces only the failing ones, which wins over one
    that reproduces only the first failing case (no hint at all rather than a hint that misleads).
    A mistake is computed on the other cases only when it reproduces the first failing one.
    """
    examined = [c for c in cases if c.small and c.value is not None]
    failing = [c for c in examined if not c.ok]
    if not failing:
        return None
    first = examined.index(failing[0])
    order = [first] + [k for k in range(len(examined)) if k != first]
    best, best_key = None, None
    for mistake in mistakes:
        for n, code in enumerate(mistake.codes):
            dist = [math.inf] * len(examined)
            for k in order:  # the first failing case first: a mistake that misses it is dropped at once
                c = examined[k]
                wrong = cached(c, f"mistake {mistake.name} {n}", lambda c=c, code=code: code(c.net, *c.args))
                d = distance(c, c.value, wrong)
                dist[k] = d if math.isfinite(d) else math.inf
                if k == first and not dist[k] < within:
                    break
            fits = [d < within for d in dist]
            if not fits[first]:
                continue
            key = (
                all(fits),
                all(f for f, c in zip(fits, examined) if not c.ok),
                sum(fits),
                -sum(min(d, 1e3) for d in dist),
            )
            if best_key is None or key > best_key:
                best, best_key = mistake.hint, key
    return best


def exports(package) -> dict[str, object]:
    """The public names (``__all__``) of every module of ``package``: the checks its spec files define.

    Modules are read in alphabetical order; those whose name starts with ``_`` are skipped. Two
    modules may not export the same name.
    """
    found: dict[str, object] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name in getattr(module, "__all__", ()):
            if name in found:
                raise ImportError(f"{module.__name__} exports {name!r}, which another spec file already exports")
            found[name] = getattr(module, name)
    return found
