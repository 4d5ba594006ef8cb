"""Exercise 3, one step of class visualisation ``pas_de_montee(modele, z, cibles, pas, lam) -> z'``.

Gradient ascent on L(z) = ỹ_c(z) − λ‖z‖₂² for each image of the batch ``z``, in the network's
normalised space: z' = z + η ∇_z L (the lab's eqs. 3–4; Simonyan, Vedaldi & Zisserman 2014,
https://arxiv.org/abs/1312.6034, §2).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor

from ..._validate import check_number, check_seed
from ...models import Classifier
from ..engine import Case, Exercise, Mistake, Run, relative
from ..lines import passes_note
from ..messages import Number, t
from ..networks import MINI, MINI_SIZE
from ..result import CheckResult

__all__ = ["class_visualization_step", "reference_class_visualization_step"]


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


# --- the usual mistakes: the code that makes each one, and its hint --------------------------------


def _wrong_step(
    model: Classifier,
    z: Tensor,
    targets: Tensor,
    lr: float,
    l2_reg: float,
    *,
    twice: bool = False,  # modele(z): z normalised a second time
    squash: str = "",  # "softmax" or "log_softmax" of the scores
    penalty: float = 1.0,  # the penalty's sign: −1 added, 0 forgotten
    unsquared: bool = False,
    columns: str = "",  # scores[:, targets]: "each" penalty N times, "once"
    mean: bool = False,
    half: bool = False,  # the penalty's gradient written by hand without its factor 2
    normalise: str = "",  # "image" or "batch": the step divided by the gradient's norm
    returns: str = "z",  # or "gradient", "step"
    sign: float = 1.0,
) -> Tensor:
    """The ascent step with one mistake switched on."""
    rows = torch.arange(z.shape[0], device=z.device)
    leaf = z.detach().requires_grad_(True)
    scores = model(leaf) if twice else model.forward_normalized(leaf)
    if squash:
        scores = getattr(scores, squash)(dim=1)
    norms2 = leaf.pow(2).flatten(1).sum(dim=1)
    term = penalty * l2_reg * (norms2.sqrt() if unsquared else norms2)
    if columns == "each":  # an N × N matrix, each penalty counted N times
        objective = scores[:, targets] - term
    elif columns == "once":
        objective = scores[:, targets].sum() - term.sum()
    else:
        objective = scores[rows, targets] - term
    (grad,) = torch.autograd.grad(objective.mean() if mean else objective.sum(), leaf)
    if half:
        grad = grad + l2_reg * leaf.detach()
    if normalise == "image":
        grad = grad / grad.flatten(1).norm(dim=1).clamp_min(1e-30).view(-1, 1, 1, 1)
    elif normalise == "batch":
        grad = grad / grad.norm().clamp_min(1e-30)
    if returns == "gradient":
        return grad.detach()
    if returns == "step":
        return (lr * grad).detach()
    return (leaf + sign * lr * grad).detach()


MISTAKES = (
    Mistake(
        "descent",
        t(
            "vous semblez descendre le gradient ; une montée ajoute η∇L : z + η∇L.",
            "you seem to descend the gradient; an ascent adds η∇L: z + η∇L.",
        ),
        partial(_wrong_step, sign=-1.0),
    ),
    Mistake(
        "no penalty",
        t(
            "la pénalité semble absente : l'objectif est L = ỹ_c − λ‖z‖₂², dérivez aussi −λ‖z‖₂² (son gradient est "
            "−2λz).",
            "the penalty seems missing: the objective is L = ỹ_c − λ‖z‖₂², differentiate −λ‖z‖₂² too (its gradient "
            "is −2λz).",
        ),
        partial(_wrong_step, penalty=0.0),
    ),
    Mistake(
        "plus",
        t(
            "la pénalité semble ajoutée ; elle se soustrait : L = ỹ_c − λ‖z‖₂².",
            "the penalty seems added; it is subtracted: L = ỹ_c − λ‖z‖₂².",
        ),
        partial(_wrong_step, penalty=-1.0),
    ),
    Mistake(
        "unsquared",
        t(
            "la pénalité semble être λ‖z‖₂ ; c'est la norme au carré, λ‖z‖₂² (comme tp8 et Simonyan et al.).",
            "the penalty seems to be λ‖z‖₂; it is the squared norm, λ‖z‖₂² (as in tp8 and Simonyan et al.).",
        ),
        partial(_wrong_step, unsquared=True),
    ),
    Mistake(
        "half",
        t(
            "le gradient de λ‖z‖₂² est 2λz (n'oubliez pas le facteur 2).",
            "the gradient of λ‖z‖₂² is 2λz (do not forget the factor 2).",
        ),
        partial(_wrong_step, half=True),
    ),
    Mistake(
        "normalised twice",
        t(
            "vous semblez appeler modele(z), qui normalise z une seconde fois : z est déjà dans l'espace normalisé, "
            "donnez-le à modele.forward_normalized(z).",
            "you seem to call modele(z), which normalizes z a second time: z is already in the normalized space, "
            "give it to modele.forward_normalized(z).",
        ),
        partial(_wrong_step, twice=True),
    ),
    Mistake(
        "normalised step",
        t(
            "le pas semble normalisé (∇L/‖∇L‖₂, comme dans la partie 2) ; ici il vaut η∇L, sans diviser par la norme "
            "du gradient.",
            "the step seems normalized (∇L/‖∇L‖₂, as in part 2); here it is η∇L, without dividing by the gradient's "
            "norm.",
        ),
        partial(_wrong_step, normalise="image"),
        partial(_wrong_step, normalise="batch"),
    ),
    Mistake(
        "columns",
        t(
            "`scores[:, cibles]` garde, pour chaque image, les scores de toutes les classes du lot (une matrice N × N) "
            "; il faut un score par image, celui de sa classe : `scores.gather(1, cibles.view(-1, 1))[:, 0]` ou "
            "`scores[torch.arange(N), cibles]`.",
            "`scores[:, cibles]` keeps, for each image, the scores of every class of the batch (an N × N matrix); "
            "you need one score per image, that of its own class: `scores.gather(1, cibles.view(-1, 1))[:, 0]` or "
            "`scores[torch.arange(N), cibles]`.",
        ),
        partial(_wrong_step, columns="each"),
        partial(_wrong_step, columns="once"),
    ),
    Mistake(
        "mean",
        t(
            "vous semblez dériver la moyenne des objectifs du lot ; dérivez leur somme, pour que chaque image reçoive "
            "le gradient de son propre objectif.",
            "you seem to differentiate the mean of the batch's objectives; differentiate their sum, so that each "
            "image receives the gradient of its own objective.",
        ),
        partial(_wrong_step, mean=True),
    ),
    Mistake(
        "probability",
        t(
            "vous semblez monter la probabilité (softmax) ; montez le score ỹ_c, avant le softmax.",
            "you seem to climb the probability (softmax); climb the score ỹ_c, before the softmax.",
        ),
        partial(_wrong_step, squash="softmax"),
    ),
    Mistake(
        "log-probability",
        t(
            "vous semblez monter la log-probabilité ; montez le score ỹ_c, avant le softmax.",
            "you seem to climb the log-probability; climb the score ỹ_c, before the softmax.",
        ),
        partial(_wrong_step, squash="log_softmax"),
    ),
    Mistake(
        "returns the gradient",
        t(
            "vous semblez renvoyer le gradient ∇L ; renvoyez z + η∇L.",
            "you seem to return the gradient ∇L; return z + η∇L.",
        ),
        partial(_wrong_step, returns="gradient"),
    ),
    Mistake(
        "returns the step",
        t(
            "vous semblez renvoyer le pas η∇L seul ; renvoyez z + η∇L.",
            "you seem to return the step η∇L alone; return z + η∇L.",
        ),
        partial(_wrong_step, returns="step"),
    ),
)


# --- the cases, the distance and the properties ------------------------------------------------------


def _within_pixels(model: Classifier, z: Tensor) -> Tensor:
    """``z`` clamped to the normalised images of pixels in [0, 1]."""
    lo = model.normalize(torch.zeros(1, 3, 1, 1, device=z.device))
    hi = model.normalize(torch.ones(1, 3, 1, 1, device=z.device))
    return torch.maximum(torch.minimum(z, hi), lo)


def _mini_cases(run: Run) -> list[Case]:
    """A small λ (the score's gradient leads) and a large one (the penalty's leads): a wrong sign of either
    term lowers the objective in one of them."""
    g = torch.Generator().manual_seed(2)
    z = _within_pixels(run.mini, torch.randn(3, 3, MINI_SIZE, MINI_SIZE, generator=g).to(run.device))
    targets = torch.tensor([2, 5, 7], device=run.device)
    return [
        run.mini_case(
            t("{mini}, λ = {lam}", "{mini}, λ = {lam}", mini=MINI, lam=Number(lam, digits)),
            lambda lam=lam: (z, targets, 0.1, lam),
            1e-4,
        )
        for lam, digits in ((1e-3, 3), (0.05, 2))
    ]


def _real_case(run: Run) -> Case:
    real, s = run.real, run.settings
    goal = real.class_index(s["target"])

    def inputs() -> tuple:
        noise = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(s["seed"])).to(real.device)
        return _within_pixels(real, noise), torch.tensor([goal], device=real.device), s["lr"], s["l2_reg"]

    label = t("{network}, classe {cls}", "{network}, class {cls}", network=run.network, cls=real.class_name(goal))
    return run.real_case(label, inputs, 1e-3)


def _distance(case: Case, a: Tensor, b: Tensor) -> float:
    """The largest difference, relative to the reference's largest step."""
    return relative(float((a - b).abs().max()), float((case.expected - case.args[0]).abs().max()))


def _objective(model: Classifier, z: Tensor, targets: Tensor, l2_reg: float) -> Tensor:
    with torch.no_grad():
        rows = torch.arange(z.shape[0], device=z.device)
        return model.forward_normalized(z)[rows, targets] - l2_reg * z.pow(2).flatten(1).sum(dim=1)


def _ascent(run: Run, case: Case) -> None:
    """On the tiny network, the objective increases for every image."""
    if not case.small:
        return
    z, targets, _, lam = case.args
    gain = _objective(case.net, case.value, targets, lam) - _objective(case.net, z, targets, lam)
    if bool((gain > 0).all()):
        text = t(
            "l'objectif L = ỹ_c − λ‖z‖₂² augmente pour chaque image du lot.",
            "the objective L = ỹ_c − λ‖z‖₂² increases for every image of the batch.",
        )
        run.add("properties", True, text, case, key="ascent")
        return
    text = t(
        "l'objectif L = ỹ_c − λ‖z‖₂² baisse (de {drop} pour une image)",
        "the objective L = ỹ_c − λ‖z‖₂² decreases (by {drop} for one image)",
        drop=Number(-float(gain.min()), 3),
    )
    advice = t(
        " : une montée fait z + η∇L, et la pénalité se soustrait du score",
        ": an ascent does z + η∇L, and the penalty is subtracted from the score",
    )
    run.property_fails(text, case, advice)


def _settings(target: int | str, lr: float, l2_reg: float, seed: int) -> dict:
    return {
        "target": target,
        "lr": check_number("lr", lr, low=0, low_open=True, hint="η, the step of the ascent: 5.0 (the default)"),
        "l2_reg": check_number("l2_reg", l2_reg, low=0, hint="λ, the weight of the L2 penalty: 1e-3 (the default)"),
        "seed": check_seed(seed),
    }


EXERCISE = Exercise(
    title=t("pas de montée de gradient", "gradient-ascent step"),
    function="pas_de_montee",
    reference=reference_class_visualization_step,
    reference_name=t("le pas de tp8.class_visualization", "the step of tp8.class_visualization"),
    result=t("le z renvoyé", "the returned z"),
    feminine=False,
    mini_cases=_mini_cases,
    real_case=_real_case,
    shape=lambda case: tuple(case.args[0].shape),
    distance=_distance,
    mistakes=MISTAKES,
    within=1e-2,
    nonfinite_hint=t(
        "le pas est simplement z + η∇L : vérifiez les divisions (par une norme nulle ?) et les logarithmes (d'un score "
        "négatif ?).",
        "the step is simply z + η∇L: check the divisions (by a zero norm?) and the logarithms (of a negative score?).",
    ),
    scope=t("une image de bruit", "a noise image"),
    examine=_ascent,
    conclude=(lambda run: passes_note(run, run.cases[0]),),
    settings=_settings,
)


@EXERCISE.check
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

    What is judged, the same way in every check: the values, shape, device, a detached
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
        A :class:`~tp8.checks.CheckResult`.
    """
    return EXERCISE.run(fn, model, target=target, lr=lr, l2_reg=l2_reg, seed=seed)
