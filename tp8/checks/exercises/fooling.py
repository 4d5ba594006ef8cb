"""Exercise 2, the fooling image ``image_trompeuse(modele, image, cible, pas, max_iter) -> (1, 3, H, W)``.

The loop of the lab's eq. 2: round x to 8 bits; stop if the network classifies the rounded image as
the target; else take the gradient g of the target's score there and step x ← clip(x + η g/‖g‖₂, 0, 1);
at most ``max_iter`` steps; return the image rounded to 8 bits (Szegedy et al. 2014,
https://arxiv.org/abs/1312.6199; what :func:`tp8.fooling_image` does for one image).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor

from ..._validate import check_count, check_number
from ...adversarial import fooling_image
from ...images import quantize
from ...models import Classifier
from ..engine import Case, Exercise, Mistake, Run, relative
from ..messages import Number, Quoted, t
from ..networks import MINI, class_name, sample_photo
from ..result import CheckResult
from ..student import Outcome, invoke

__all__ = ["fooling", "reference_fooling"]


def reference_fooling(model: Classifier, image: Tensor, target, lr: float = 0.2, max_iter: int = 100) -> Tensor:
    """tp8's fooling image with the exercise's signature: ``tp8.fooling_image(...).images``."""
    return fooling_image(model, image, target, lr=lr, max_iter=max_iter, progress=False).images.to(model.device)


# --- the usual mistakes: the code that makes each one, and its hint --------------------------------


def _wrong_loop(
    model: Classifier,
    image: Tensor,
    target: int,
    lr: float,
    max_iter: int,
    *,
    extra_steps: int = 0,
    unrounded_check: bool = False,  # success judged, and the gradient taken, on x itself
    unrounded_gradient: bool = False,  # the gradient taken on x itself
    check_after: bool = False,  # the target tested after the step
    no_stop: bool = False,
    probability: bool = False,
    step: str = "normalised",  # or "raw", "sign"
    descent: bool = False,
    clamp: bool = True,
    re_round: bool = False,
) -> Tensor:
    """The fooling loop with one mistake switched on."""
    x = quantize(image.detach().clone())
    for _ in range(max(max_iter + extra_steps, 0)):
        at = x if unrounded_check or unrounded_gradient else quantize(x)
        leaf = at.clone().requires_grad_(True)
        scores = model(leaf)
        if not check_after:
            if unrounded_gradient:
                with torch.no_grad():
                    judged = model(quantize(x))
            else:
                judged = scores
            if int(judged.argmax(dim=1)) == target and not no_stop:
                break
        value = scores.softmax(dim=1)[0, target] if probability else scores[0, target]
        (g,) = torch.autograd.grad(value, leaf)
        if step == "raw":
            delta = lr * g
        elif step == "sign":
            delta = lr * g.sign()
        else:
            delta = lr * g / g.norm().clamp_min(1e-12)
        x = x - delta if descent else x + delta
        if clamp:
            x = x.clamp(0, 1)
        if re_round:
            x = quantize(x)
        if check_after:
            with torch.no_grad():
                if int(model(quantize(x)).argmax(dim=1)) == target:
                    break
    return quantize(x).detach()


MISTAKES = (
    Mistake(
        "not normalised",
        t(
            "le pas ne semble pas normalisé : divisez le gradient par sa norme, x ← x + η g/‖g‖₂.",
            "the step does not seem normalized: divide the gradient by its norm, x ← x + η g/‖g‖₂.",
        ),
        partial(_wrong_loop, step="raw"),
    ),
    Mistake(
        "sign",
        t(
            "vous semblez faire le pas η·sign(g) (celui de FGSM) ; la méthode naïve fait x ← x + η g/‖g‖₂.",
            "you seem to take the step η·sign(g) (FGSM's); the naive method does x ← x + η g/‖g‖₂.",
        ),
        partial(_wrong_loop, step="sign"),
    ),
    Mistake(
        "descent",
        t(
            "vous semblez descendre le gradient : x − η g/‖g‖₂ fait baisser le score de la cible ; montez-le, "
            "x + η g/‖g‖₂.",
            "you seem to descend the gradient: x − η g/‖g‖₂ lowers the target's score; climb it, x + η g/‖g‖₂.",
        ),
        partial(_wrong_loop, descent=True),
    ),
    Mistake(
        "re-round",
        t(
            "vous semblez arrondir x lui-même à chaque pas : un pas plus petit qu'un demi-niveau de gris est alors "
            "effacé et l'image ne bouge plus. Gardez x non arrondi (il accumule les petits pas) et arrondissez "
            "seulement la copie que vous classez, tp8.quantize(x).",
            "you seem to round x itself at every step: a step smaller than half a grey level is then erased and the "
            "image no longer moves. Keep x unrounded (it adds up the small steps) and round only the copy you "
            "classify, tp8.quantize(x).",
        ),
        partial(_wrong_loop, re_round=True),
    ),
    Mistake(
        "unrounded gradient",
        t(
            "le gradient semble pris sur l'image non arrondie : prenez-le sur l'image arrondie tp8.quantize(x), celle "
            "que vous venez de classer (une seule passe avant et arrière par itération).",
            "the gradient seems taken on the unrounded image: take it on the rounded image tp8.quantize(x), the one "
            "you have just classified (a single forward and backward pass per iteration).",
        ),
        partial(_wrong_loop, unrounded_gradient=True),
    ),
    Mistake(
        "unrounded check",
        t(
            "le succès semble jugé sur l'image non arrondie : à chaque itération, évaluez le réseau sur "
            "tp8.quantize(x) (l'image telle qu'un PNG la garde) et arrêtez-vous quand c'est elle qui est classée dans "
            "la cible.",
            "success seems judged on the unrounded image: at each iteration, run the network on tp8.quantize(x) (the "
            "image as a PNG would store it) and stop when that image is classified as the target.",
        ),
        partial(_wrong_loop, unrounded_check=True),
    ),
    Mistake(
        "no stop",
        t(
            "la boucle ne semble pas s'arrêter quand la cible est atteinte : sortez-en dès que l'image arrondie est "
            "classée dans la cible.",
            "the loop does not seem to stop when the target is reached: leave it as soon as the rounded image is "
            "classified as the target.",
        ),
        partial(_wrong_loop, no_stop=True),
    ),
    Mistake(
        "check after step",
        t(
            "la cible semble testée après le pas : testez l'image arrondie avant chaque pas (une photo déjà classée "
            "dans la cible revient inchangée).",
            "the target seems tested after the step: test the rounded image before each step (a photo already "
            "classified as the target comes back unchanged).",
        ),
        partial(_wrong_loop, check_after=True),
    ),
    Mistake(
        "no clamp",
        t(
            "les pixels ne semblent pas ramenés dans [0, 1] après chaque pas : x ← clip(x + η g/‖g‖₂, 0, 1), avec "
            "….clamp(0, 1) ; sans cela, x sort de [0, 1] et les pas suivants s'y perdent.",
            "the pixels do not seem brought back into [0, 1] after each step: x ← clip(x + η g/‖g‖₂, 0, 1), with "
            "….clamp(0, 1); without it, x leaves [0, 1] and the next steps are lost there.",
        ),
        partial(_wrong_loop, clamp=False),
    ),
    Mistake(
        "one more step",
        t(
            "la boucle semble faire un pas de trop : au plus max_iter pas, for _ in range(max_iter).",
            "the loop seems to take one step too many: at most max_iter steps, for _ in range(max_iter).",
        ),
        partial(_wrong_loop, extra_steps=1),
    ),
    Mistake(
        "one step less",
        t(
            "la boucle semble faire un pas de moins : jusqu'à max_iter pas, for _ in range(max_iter).",
            "the loop seems to take one step too few: up to max_iter steps, for _ in range(max_iter).",
        ),
        partial(_wrong_loop, extra_steps=-1),
    ),
    # Normalised, the step of the probability and that of the log-probability are the same.
    Mistake(
        "probability",
        t(
            "vous semblez monter la probabilité ou la log-probabilité (ou descendre l'entropie croisée) ; montez le "
            "score ỹ_cible, avant le softmax.",
            "you seem to climb the probability or the log-probability (or to descend the cross-entropy); climb the "
            "score ỹ_target, before the softmax.",
        ),
        partial(_wrong_loop, probability=True),
    ),
)


# --- the cases, the distance and the properties ------------------------------------------------------


def _mini_cases(run: Run) -> list[Case]:
    """Two ordinary attacks; two that start one step away from success, with steps far below half a grey
    level, where rounding undoes the attack unless success is judged on the rounded image; one that pushes
    pixels out of [0, 1] (the clamp matters); one that max_iter stops; and a photo already in the target."""
    mini, pool = run.mini, run.images

    def one_step_away(k: int, target: int) -> Tensor:
        """The image of the reference attack one step before its success."""
        steps = int(fooling_image(mini, pool[k : k + 1], target, lr=0.1, max_iter=60, progress=False).iterations)
        return fooling_image(mini, pool[k : k + 1], target, lr=0.1, max_iter=steps - 1, progress=False).images

    def contrasted(k: int) -> Tensor:
        """A photo with nearly half of its pixels at 0 or 1: there, the clamp to [0, 1] matters."""
        return quantize(((pool[k : k + 1] - 0.5) * 3 + 0.5).clamp(0, 1))

    already = int(mini(pool[1:2]).argmax(dim=1))
    attacks = [  # (what, image, target, η, max_iter); images are made when needed (not for a stub)
        (None, lambda: pool[0:1], 3, 0.2, 50),
        (None, lambda: pool[3:4], 1, 0.2, 50),
        (t("pas minuscules", "tiny steps"), lambda: one_step_away(0, 3), 3, 0.005, 100),
        (t("pas minuscules", "tiny steps"), lambda: one_step_away(3, 1), 1, 0.005, 100),
        (t("pixels saturés", "saturated pixels"), lambda: contrasted(0), 5, 1.0, 30),
        (t("max_iter atteint", "max_iter reached"), lambda: pool[7:8], 2, 1.0, 3),  # needs 5 steps
        (t("déjà dans la cible", "already in the target class"), lambda: pool[1:2], already, 0.2, 50),
    ]
    cases = []
    for n, (what, image, target, eta, steps) in enumerate(attacks, 1):
        label = t("{mini}, attaque n° {n}", "{mini}, attack no. {n}", mini=MINI, n=n)
        if what is not None:
            label = t("{label} ({what})", "{label} ({what})", label=label, what=what)

        def inputs(image=image, target=target, eta=eta, steps=steps) -> tuple:
            return image(), target, eta, steps

        cases.append(run.mini_case(label, inputs, 0.02))
    return cases


def _real_case(run: Run) -> Case:
    real, s = run.real, run.settings
    goal = real.class_index(s["target"])
    label = t(
        "{network}, photo « {photo} » → {cls}",
        "{network}, photo “{photo}” → {cls}",
        network=run.network,
        photo=s["photo"],
        cls=real.class_name(goal),
    )
    return run.real_case(label, lambda: (sample_photo(s["photo"], real.device), goal, s["lr"], s["max_iter"]), 0.25)


def _distance(case: Case, a: Tensor, b: Tensor) -> float:
    """‖a − b‖₂ relative to the larger perturbation, the reference's or ``b``'s, and at least η."""
    original = quantize(case.args[0])
    norms = [float((x - original).flatten().norm()) for x in (case.expected, b)]
    return relative(float((a - b).flatten().norm()), max(*norms, case.args[2]))


def _off_grid(value: Tensor):
    if float((quantize(value) - value).abs().max()) <= 1e-6:
        return None
    return t(
        "l'image renvoyée n'est pas arrondie à 8 bits (pixels k/255 dans [0, 1]) : renvoyez tp8.quantize(x).",
        "the returned image is not rounded to 8 bits (pixels k/255 in [0, 1]): return tp8.quantize(x).",
    )


def _properties(run: Run, case: Case) -> None:
    """Classified as the target after 8-bit rounding when the reference is; within ‖δ‖₂ ≤ η × max_iter."""
    net, (image, goal, eta, steps) = case.net, case.args
    with torch.no_grad():
        seen = int(net(case.value).argmax(dim=1))
        reached = int(net(case.expected).argmax(dim=1)) == goal
    if reached and seen != goal:
        text = t(
            "arrondie à 8 bits, l'image renvoyée est classée {seen} et non {goal}, que la référence atteint",
            "rounded to 8 bits, the returned image is classified as {seen}, not as {goal}, which the reference reaches",
            seen=Quoted(class_name(net, seen, case.small)),
            goal=Quoted(class_name(net, goal, case.small)),
        )
        advice = t(
            " : continuez tant que l'image arrondie, tp8.quantize(x), n'est pas classée dans la cible (au plus "
            "max_iter pas)",
            ": go on while the rounded image, tp8.quantize(x), is not classified as the target (at most "
            "max_iter steps)",
        )
        run.property_fails(text, case, advice)
    elif reached:
        text = t(
            "arrondie à 8 bits, l'image renvoyée est classée dans la cible.",
            "rounded to 8 bits, the returned image is classified as the target.",
        )
        run.add("properties", True, text, case, key="target")
    delta = float((case.value - quantize(image)).flatten().norm())
    bound = eta * steps + 0.5 / 255 * math.sqrt(image[0].numel())
    if delta <= bound:
        text = t(
            "la perturbation reste dans la borne ‖δ‖₂ ≤ η × max_iter (plus l'arrondi à 8 bits).",
            "the perturbation stays within the bound ‖δ‖₂ ≤ η × max_iter (plus the 8-bit rounding).",
        )
        run.add("properties", True, text, case, key="bound")
    else:
        text = t(
            "‖δ‖₂ = {delta} dépasse la borne η × max_iter (plus l'arrondi à 8 bits), {bound}",
            "‖δ‖₂ = {delta} exceeds the bound η × max_iter (plus the 8-bit rounding), {bound}",
            delta=Number(delta, 2),
            bound=Number(bound, 2),
        )
        advice = t(
            " : chaque pas doit mesurer η exactement (g/‖g‖₂), et il y a au plus max_iter pas",
            ": each step must have length η exactly (g/‖g‖₂), and there are at most max_iter steps",
        )
        run.property_fails(text, case, advice)


def _behaviour(run: Run) -> None:
    """Two black-box properties on the tiny network: one step of length η; no change once the target is reached."""
    mini, pool = run.mini, run.images

    def result(outcome: Outcome, shape) -> Tensor | None:
        value = outcome.value
        if not isinstance(value, Tensor) or tuple(value.shape) != tuple(shape) or value.layout != torch.strided:
            return None
        if value.dtype not in (torch.float32, torch.float64):
            return None
        value = value.detach().to(device=pool.device, dtype=torch.float32)
        return value if bool(torch.isfinite(value).all()) else None

    image, goal = pool[1:2], 5
    one = result(invoke(run.fn, mini, image, goal, 1.0, 1), image.shape)
    if one is not None:
        moved = float((one - image).flatten().norm())
        if abs(moved - 1.0) <= 0.1:
            text = t(
                "avec η = 1 et max_iter = 1, l'image bouge de {moved} (norme L₂) : un pas, de longueur η.",
                "with η = 1 and max_iter = 1, the image moves by {moved} (L₂ norm): one step, of length η.",
                moved=Number(moved, 2),
            )
            run.add("properties", True, text, MINI)
        else:
            text = t(
                "avec η = 1 et max_iter = 1, l'image bouge de {moved} (norme L₂) au lieu de η = 1",
                "with η = 1 and max_iter = 1, the image moves by {moved} (L₂ norm) instead of η = 1",
                moved=Number(moved, 2),
            )
            advice = t(
                " : chaque pas doit mesurer η (divisez le gradient par sa norme ‖g‖₂), et il y a au plus max_iter pas",
                ": each step must have length η (divide the gradient by its norm ‖g‖₂), and there are at most "
                "max_iter steps",
            )
            run.property_fails(text, MINI, advice)
    image, goal = pool[0:1], 3
    short = result(invoke(run.fn, mini, image, goal, 0.2, 50), image.shape)
    long = result(invoke(run.fn, mini, image, goal, 0.2, 100), image.shape)
    if short is None or long is None:
        return
    with torch.no_grad():
        reached = int(mini(quantize(short)).argmax(dim=1)) == goal
    if torch.equal(short, long):
        text = t(
            "une fois la cible atteinte, plus d'itérations permises ne changent rien : la boucle s'arrête.",
            "once the target is reached, allowing more iterations changes nothing: the loop stops.",
        )
        run.add("properties", True, text, MINI)
    elif reached:
        text = t(
            "avec max_iter = 100 au lieu de 50, l'image change alors que la cible était déjà atteinte : arrêtez la "
            "boucle dès que l'image arrondie est classée dans la cible.",
            "with max_iter = 100 instead of 50, the image changes although the target was already reached: stop the "
            "loop as soon as the rounded image is classified as the target.",
        )
        run.add("properties", False, text, MINI)


def _passes(run: Run) -> None:
    """A note when the loop makes more forward passes than one per step."""
    first = run.cases[0]
    if first.outcome is None or first.value is None:
        return
    forwards, backwards = first.outcome.forwards, first.outcome.backwards
    if forwards > backwards + 1:
        text = t(
            "{f} passes avant pour {b} passes arrière : le résultat compte, mais une passe avant par pas suffit, sur "
            "l'image arrondie ; elle donne à la fois la classe (le test d'arrêt) et le gradient.",
            "{f} forward passes for {b} backward passes: the result is what counts, but one forward pass per step is "
            "enough, on the rounded image; it gives both the class (the stopping test) and the gradient.",
            f=forwards,
            b=backwards,
        )
        run.add("properties", None, text, first)


def _settings(photo: str, target: int | str, lr: float, max_iter: int) -> dict:
    return {
        "photo": photo,
        "target": target,
        "lr": check_number("lr", lr, low=0, low_open=True, hint="the L2 length of a step: 0.2 (the default)"),
        "max_iter": check_count("max_iter", max_iter, hint="steps allowed on the real photo: 100 (the default)"),
    }


EXERCISE = Exercise(
    title=t("image trompeuse", "fooling image"),
    function="image_trompeuse",
    reference=reference_fooling,
    reference_name="tp8.fooling_image",
    result=t("l'image renvoyée", "the returned image"),
    feminine=True,
    mini_cases=_mini_cases,
    real_case=_real_case,
    shape=lambda case: tuple(case.args[0].shape),
    distance=_distance,
    mistakes=MISTAKES,
    within=0.02,
    nonfinite_hint=t(
        "g/‖g‖₂ divise par zéro quand le gradient est nul. ‖g‖ = 0 ? C'est le cas si le gradient traverse "
        "tp8.quantize (l'arrondi a une dérivée nulle : demandez le gradient sur l'image déjà arrondie, "
        "x_arrondie = tp8.quantize(x).requires_grad_(True)), ou si vous descendez le gradient au lieu de le monter.",
        "g/‖g‖₂ divides by zero when the gradient is zero. ‖g‖ = 0? That happens if the gradient goes through "
        "tp8.quantize (rounding has a zero derivative: ask for the gradient on the image already rounded, "
        "x_rounded = tp8.quantize(x).requires_grad_(True)), or if you descend the gradient instead of climbing it.",
    ),
    scope=t("une vraie photo", "a real photo"),
    form=_off_grid,
    examine=_properties,
    conclude=(_behaviour, _passes),
    settings=_settings,
    grey_levels=True,
)


@EXERCISE.check
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

    The tiny network's cases include an attack that rounding would undo (steps far below half a
    grey level), one that pushes pixels out of [0, 1] (the clamp matters), one that ``max_iter``
    stops (exactly ``max_iter`` steps), and a photo already in the target class (no step).
    What is judged, the same way in every check: the values, shape, device, a detached
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
        A :class:`~tp8.checks.CheckResult`.
    """
    return EXERCISE.run(fn, model, photo=photo, target=target, lr=lr, max_iter=max_iter)
