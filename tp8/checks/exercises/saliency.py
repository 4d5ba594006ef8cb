"""Exercise 1, the saliency map ``carte_de_saillance(modele, images, classes) -> (N, H, W)``.

M_ij = max_k |∂ỹ_c/∂x_kij| for the class ``classes[i]`` of each image, one forward and one backward
pass for the whole batch (Simonyan, Vedaldi & Zisserman 2014, https://arxiv.org/abs/1312.6034, §3.1).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ...models import Classifier
from ...saliency import saliency_map
from ..engine import Case, Exercise, Mistake, Run, relative
from ..lines import passes_note
from ..messages import t
from ..networks import MINI, sample_photo
from ..result import CheckResult

__all__ = ["reference_saliency", "saliency"]


def reference_saliency(model: Classifier, images: Tensor, classes) -> Tensor:
    """tp8's saliency map with the exercise's signature: :func:`tp8.saliency_map`."""
    return saliency_map(model, images, classes)


# --- the usual mistakes: the code that makes each one, and its hint --------------------------------


def _own(scores: Tensor, classes: Tensor) -> Tensor:
    """The sum over the batch of each image's score for its own class."""
    return scores[torch.arange(scores.shape[0], device=scores.device), classes].sum()


def _score(model, x, classes) -> Tensor:
    return _own(model(x), classes)


def _wrong_map(objective: Callable = _score, then: Callable = lambda g: g.abs().amax(dim=1)) -> Callable:
    """A saliency map with one mistake: ``then`` applied to the gradient of ``objective(model, x, classes)``."""

    def code(model, images, classes):
        leaf = images.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(objective(model, leaf, classes), leaf)
        return then(grad.detach())

    return code


def _predicted(model, images, classes):
    return _wrong_map()(model, images, model(images).argmax(dim=1))


def _scaled(model, images, classes):
    saliency = _wrong_map()(model, images, classes)
    return saliency / saliency.flatten(1).amax(dim=1).clamp_min(1e-30).view(-1, 1, 1)


MISTAKES = (
    Mistake(
        "no abs",
        t(
            "la carte a des valeurs négatives là où le gradient est négatif : prenez la valeur absolue |∂ỹ_c/∂x| avant "
            "le maximum sur les canaux.",
            "the map has negative values where the gradient is negative: take the absolute value |∂ỹ_c/∂x| before "
            "the maximum over the channels.",
        ),
        _wrong_map(then=lambda g: g.amax(dim=1)),
    ),
    Mistake(
        "abs after max",
        t(
            "vous semblez prendre la valeur absolue après le maximum sur les canaux : |max_k g| n'est pas max_k |g| ; "
            "prenez d'abord la valeur absolue, puis le maximum.",
            "you seem to take the absolute value after the maximum over the channels: |max_k g| is not max_k |g|; "
            "take the absolute value first, then the maximum.",
        ),
        _wrong_map(then=lambda g: g.amax(dim=1).abs()),
    ),
    Mistake(
        "mean",
        t(
            "vous semblez prendre la moyenne sur les trois canaux ; la carte en prend le maximum.",
            "you seem to take the mean over the three channels; the map takes their maximum.",
        ),
        _wrong_map(then=lambda g: g.abs().mean(dim=1)),
    ),
    Mistake(
        "sum",
        t(
            "vous semblez sommer les trois canaux ; la carte en prend le maximum.",
            "you seem to sum the three channels; the map takes their maximum.",
        ),
        _wrong_map(then=lambda g: g.abs().sum(dim=1)),
    ),
    Mistake(
        "columns",
        t(
            "`scores[:, classes]` garde, pour chaque image, les scores de toutes les classes du lot (une matrice N × N) "
            "; il faut un score par image, celui de sa classe : `scores.gather(1, classes.view(-1, 1))` ou "
            "`scores[torch.arange(N), classes]`.",
            "`scores[:, classes]` keeps, for each image, the scores of every class of the batch (an N × N matrix); "
            "you need one score per image, that of its own class: `scores.gather(1, classes.view(-1, 1))` or "
            "`scores[torch.arange(N), classes]`.",
        ),
        _wrong_map(lambda model, x, classes: model(x)[:, classes].sum()),
    ),
    Mistake(
        "predicted",
        t(
            "vous semblez expliquer la classe prédite ; expliquez la classe demandée, classes[i] pour l'image i.",
            "you seem to explain the predicted class; explain the class asked for, classes[i] for image i.",
        ),
        _predicted,
    ),
    Mistake(
        "probability",
        t(
            "vous semblez dériver la probabilité (softmax) ; dérivez le score ỹ_c, avant le softmax.",
            "you seem to differentiate the probability (softmax); differentiate the score ỹ_c, before the softmax.",
        ),
        _wrong_map(lambda model, x, classes: _own(model(x).softmax(dim=1), classes)),
    ),
    Mistake(
        "log-probability",
        t(
            "vous semblez dériver la log-probabilité ; dérivez le score ỹ_c, avant le softmax.",
            "you seem to differentiate the log-probability; differentiate the score ỹ_c, before the softmax.",
        ),
        _wrong_map(lambda model, x, classes: _own(model(x).log_softmax(dim=1), classes)),
    ),
    Mistake(
        "all",
        t(
            "vous semblez dériver la somme de tous les scores ; ne gardez que le score de la classe de chaque image.",
            "you seem to differentiate the sum of all the scores; keep only the score of each image's class.",
        ),
        _wrong_map(lambda model, x, classes: model(x).sum()),
    ),
    Mistake(
        "unnormalised",
        t(
            "vous semblez appeler modele.forward_normalized sur des pixels de [0, 1] : il attend des images déjà "
            "normalisées ; appelez modele(x), qui normalise lui-même.",
            "you seem to call modele.forward_normalized on pixels in [0, 1]: it expects images already normalized; "
            "call modele(x), which normalizes them itself.",
        ),
        _wrong_map(lambda model, x, classes: _own(model.forward_normalized(x), classes)),
    ),
    Mistake(
        "scaled",
        t(
            "la carte semble mise à l'échelle (divisée par son maximum) ; renvoyez |∂ỹ_c/∂x| tel quel, l'affichage "
            "choisit l'échelle.",
            "the map seems rescaled (divided by its maximum); return |∂ỹ_c/∂x| as it is, the display chooses the "
            "scale.",
        ),
        _scaled,
    ),
)


# --- the cases, the distance and the properties ------------------------------------------------------


def _mini_cases(run: Run) -> list[Case]:
    images = run.images[:4]
    predicted = run.mini(images).argmax(dim=1)
    classes = torch.tensor([int(predicted[0]), 3, int(predicted[2]), 5], device=run.device)
    return [run.mini_case(MINI, lambda: (images, classes), 1e-4)]


def _real_case(run: Run) -> Case:
    real, name = run.real, run.settings["photo"]

    def inputs() -> tuple:
        x = sample_photo(name, real.device)
        top = real(x).argmax(dim=1)
        other = (top + 500) % real.num_classes  # the photo twice: its predicted class and another one
        return torch.cat([x, x]), torch.cat([top, other]).detach()

    label = t("{network}, photo « {photo} »", "{network}, photo “{photo}”", network=run.network, photo=name)
    return run.real_case(label, inputs, 1e-3)


def _distance(case: Case, a: Tensor, b: Tensor) -> float:
    """The largest difference, relative to the reference's largest value."""
    return relative(float((a - b).abs().max()), float(case.expected.abs().max()))


def _shape_hint(shape: tuple):
    if len(shape) == 4 and shape[1] == 3:
        return t(
            "une valeur par canal : prenez le maximum sur les trois canaux, dim=1",
            "one value per channel: take the maximum over the three channels, dim=1",
        )
    if len(shape) == 4 and shape[1] == 1:
        return t(
            "une dimension de canal en trop : le maximum doit la faire disparaître (amax(dim=1))",
            "one channel dimension too many: the maximum must remove it (amax(dim=1))",
        )
    return None


def _positive(run: Run, case: Case) -> None:
    if float(case.value.min()) < 0:
        text = t(
            "la carte a des valeurs négatives ; une carte de saillance est une valeur absolue, ≥ 0.",
            "the map has negative values; a saliency map is an absolute value, ≥ 0.",
        )
        run.add("properties", False, text, case)
    else:
        text = t("la carte est positive ou nulle partout.", "the map is positive or zero everywhere.")
        run.add("properties", True, text, case, key="positive")
    if case.small:
        passes_note(run, case)


EXERCISE = Exercise(
    title=t("carte de saillance", "saliency map"),
    function="carte_de_saillance",
    reference=reference_saliency,
    reference_name="tp8.saliency_map",
    result=t("la carte renvoyée", "the returned map"),
    feminine=True,
    mini_cases=_mini_cases,
    real_case=_real_case,
    shape=lambda case: (case.args[0].shape[0], *case.args[0].shape[2:]),
    distance=_distance,
    mistakes=MISTAKES,
    within=1e-3,
    nonfinite_hint=t(
        "vérifiez les divisions et les logarithmes : la carte est simplement |∂ỹ_c/∂x|, maximisé sur les canaux, sans "
        "normalisation.",
        "check the divisions and the logarithms: the map is simply |∂ỹ_c/∂x|, maximized over the channels, without "
        "normalization.",
    ),
    scope=t("une vraie photo", "a real photo"),
    shape_hint=_shape_hint,
    examine=_positive,
)


@EXERCISE.check
def saliency(fn: Callable, model: Classifier | None = None, *, photo: str = "chelsea") -> CheckResult:
    """Check a student's saliency map ``fn(model, images, classes) -> (N, H, W)``.

    The map is M_ij = max_k |∂ỹ_c/∂x_kij| for the class ``classes[i]`` of each image (Simonyan
    et al. 2014, §3.1).

    What is judged, the same way in every check: the values (within a stated tolerance of
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
        A :class:`~tp8.checks.CheckResult` (displayed as a report in Jupyter).
    """
    return EXERCISE.run(fn, model, photo=photo)
