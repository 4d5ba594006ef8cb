"""tp8.checks: the students' self-checks say "not written yet", pass a right answer however it is
written, give each usual mistake its own hint as the FIRST line marked ✘, and never crash — on the
tiny seeded network (no weights needed) and, when the weights are there, on SqueezeNet 1.1 with a
real photo. Every report also reads in English, from the same run (``ENGLISH``), and a fourth
exercise is added by writing one spec file.

The table ``ATTEMPTS`` holds about seventy attempts at the three exercises, as students write them:
right answers in other styles (an index instead of ``gather``, ``.backward()``, a loop over the
images, a float64 result…) and the usual mistakes (no absolute value, ``scores[:, classes]``, a
fooling loop without the clamp or with one step too many, gradient descent, re-rounding x, a step
that calls ``modele(z)``, the notebook's global ``model``…).
"""

from __future__ import annotations

import collections
import contextlib
import html
import importlib
import re
import sys
import warnings
from pathlib import Path

import pytest
import torch

import tp8
import tp8.checks as checks
import tp8.course
import tp8.language
from tp8.checks import NOT_IMPLEMENTED, PASSED


@pytest.fixture
def tiny_only(monkeypatch):
    """The checks as on a machine without pretrained weights: the tiny network only."""
    monkeypatch.setattr(checks.networks, "_squeezenet", lambda: None)


def stub(*args, **kwargs):
    raise NotImplementedError()


def text(result) -> str:
    return str(result)


def failed_lines(result) -> str:
    return "\n".join(result.failures)


@contextlib.contextmanager
def speaking(code: str):
    """The checks' reports in ``code`` for the time of a block (French again afterwards)."""
    checks.set_language(code)
    try:
        yield
    finally:
        checks.set_language("fr")


#: Words of a French sentence that no English one uses, outside code (`…`) and quoted student lines (“…”).
FRENCH_WORDS = re.compile(
    r"\b(?:le|la|les|des|du|un|une|est|sont|pas|vous|votre|sur|avec|pour|dans|mais|ou|et|au|aux|écart|piste|"
    r"réseau|carte|vérifications?|renvoyée?|arrondie|lève|réussies|échouen?t?|mini-réseau)\b",
    re.IGNORECASE,
)


def french_words(text: str) -> list[str]:
    return FRENCH_WORDS.findall(re.sub(r"`[^`]*`|“[^”]*”|\bet al\.", "", text))


def html_words(page: str) -> str:
    """The words of an HTML report or notice, its code (``<code>…</code>``) left out."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<code>.*?</code>", "", page)))


def as_html(line: str) -> str:
    """A report's line as its HTML writes it (escaped, `backticked` parts as code)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(line))


def assert_bilingual(shown, french: dict[str, str], english: dict[str, str]) -> None:
    """``shown`` displays ``french`` (as before) and carries ``english`` in its metadata, shown under "en"."""
    data, metadata = shown._repr_mimebundle_()
    assert data == french
    assert metadata == {"tp8": {"en": {"data": english}}}
    assert set(english) == set(french) and all(english[m] != french[m] for m in french)
    for mime, value in english.items():
        words = html_words(value) if mime == "text/html" else value
        assert not french_words(words), (mime, french_words(words), value)
    try:
        tp8.language.set_language("en")  # a student running an English notebook
        assert checks.language() == "en"
        assert shown._repr_mimebundle_() == (english, metadata)
    finally:
        tp8.language.set_language("fr")
    assert checks.language() == "fr" and shown._repr_mimebundle_() == (data, metadata)


# --- about seventy students' attempts: right answers in other styles, and the usual mistakes ---------
#
# Each attempt is a function as a student would write it in the exercise notebook. The table below says
# what its check must answer: PASS, or a few words of the FIRST line marked ✘ (the line a student reads
# first, which must name the real mistake). No attempt may make a check crash.

#: The notebook's global network, which a function must not use instead of its argument `modele`.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = tp8.load_model("squeezenet1_1", weights=None, progress=False)

PASS = "PASS"
TODO = "TODO"


def _leaf(t):
    return t.detach().clone().requires_grad_(True)


def _grad(scores_fn, images, classes):
    x = _leaf(images)
    (g,) = torch.autograd.grad(scores_fn(x).gather(1, classes.view(-1, 1)).sum(), x)
    return g


# saliency: right answers
def s_gather(modele, images, classes):
    x = _leaf(images)
    (g,) = torch.autograd.grad(modele(x).gather(1, classes.view(-1, 1)).sum(), x)
    return g.abs().amax(dim=1)


def s_index(modele, images, classes):
    x = images.clone().detach().requires_grad_()
    scores = modele(x)
    score = scores[torch.arange(len(classes)), classes].sum()
    (g,) = torch.autograd.grad(score, x)
    return torch.max(torch.abs(g), dim=1).values


def s_one_hot(modele, images, classes):
    x = _leaf(images)
    scores = modele(x)
    masque = torch.nn.functional.one_hot(classes, scores.shape[1]).to(scores.dtype)
    (scores * masque).sum().backward()
    return x.grad.abs().max(dim=1)[0]


def s_backward(modele, images, classes):
    x = images.detach().requires_grad_(True)
    with torch.enable_grad():
        modele(x).gather(1, classes[:, None]).squeeze(1).sum().backward()
    return x.grad.abs().amax(1)


def s_per_image(modele, images, classes):
    return torch.stack([s_gather(modele, images[i : i + 1], classes[i : i + 1])[0] for i in range(len(images))])


def s_float64(modele, images, classes):
    return s_gather(modele, images, classes).double()


def s_explicit_normalisation(modele, images, classes):
    g = _grad(lambda x: modele.forward_normalized(modele.normalize(x)), images, classes)
    return g.abs().amax(dim=1)


# saliency: mistakes
def s_no_abs(modele, images, classes):
    return _grad(modele, images, classes).amax(dim=1)


def s_abs_after_max(modele, images, classes):
    return _grad(modele, images, classes).amax(dim=1).abs()


def s_no_max(modele, images, classes):
    return _grad(modele, images, classes).abs()


def s_keepdim(modele, images, classes):
    return _grad(modele, images, classes).abs().amax(dim=1, keepdim=True)


def s_mean(modele, images, classes):
    return _grad(modele, images, classes).abs().mean(dim=1)


def s_sum_channels(modele, images, classes):
    return _grad(modele, images, classes).abs().sum(dim=1)


def s_predicted_class(modele, images, classes):
    x = _leaf(images)
    scores = modele(x)
    (g,) = torch.autograd.grad(scores.max(dim=1).values.sum(), x)
    return g.abs().amax(dim=1)


def s_softmax(modele, images, classes):
    return _grad(lambda x: modele(x).softmax(dim=1), images, classes).abs().amax(dim=1)


def s_log_softmax(modele, images, classes):
    return _grad(lambda x: torch.log_softmax(modele(x), dim=1), images, classes).abs().amax(dim=1)


def s_all_scores(modele, images, classes):
    x = _leaf(images)
    (g,) = torch.autograd.grad(modele(x).sum(), x)
    return g.abs().amax(dim=1)


def s_columns(modele, images, classes):
    x = _leaf(images)
    (g,) = torch.autograd.grad(modele(x)[:, classes].sum(), x)
    return g.abs().amax(dim=1)


def s_max_pair(modele, images, classes):
    return _grad(modele, images, classes).abs().max(dim=1)


def s_global_model(modele, images, classes):
    x = _leaf(images)
    (g,) = torch.autograd.grad(model(x).gather(1, classes.view(-1, 1)).sum(), x)
    return g.abs().amax(dim=1)


def s_forward_normalized(modele, images, classes):
    return _grad(modele.forward_normalized, images, classes).abs().amax(dim=1)


def s_scaled(modele, images, classes):
    carte = _grad(modele, images, classes).abs().amax(dim=1)
    return carte / carte.amax(dim=(1, 2), keepdim=True)


def s_in_place(modele, images, classes):
    images.requires_grad_(True)
    modele(images).gather(1, classes.view(-1, 1)).sum().backward()
    return images.grad.abs().amax(dim=1)


def s_unfreeze(modele, images, classes):
    modele.requires_grad_(True)
    x = _leaf(images)
    modele(x).gather(1, classes.view(-1, 1)).sum().backward()
    return x.grad.abs().amax(dim=1)


def s_numpy(modele, images, classes):
    return s_gather(modele, images, classes).numpy()


def s_attached(modele, images, classes):
    x = _leaf(images)
    (g,) = torch.autograd.grad(modele(x).gather(1, classes.view(-1, 1)).sum(), x, create_graph=True)
    return g.abs().amax(dim=1)


def s_error(modele, images, classes):
    rapport = 1 / 0
    return rapport


def s_no_return(modele, images, classes):
    s_gather(modele, images, classes)


def s_nan(modele, images, classes):
    carte = s_gather(modele, images, classes)
    return carte / (carte.amax() - carte.amax())  # « normalisée » par une étendue nulle


# fooling: right answers
def f_reference(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        x_arrondie = tp8.quantize(x).requires_grad_(True)
        scores = modele(x_arrondie)
        if scores.argmax(dim=1).item() == cible:
            break
        (g,) = torch.autograd.grad(scores[0, cible], x_arrondie)
        x = (x + pas * g / g.norm()).clamp(0, 1)
    return tp8.quantize(x)


def f_while(modele, image, cible, pas=0.2, max_iter=100):
    x = image.detach().clone()
    n = 0
    while n < max_iter:
        vue = tp8.quantize(x).requires_grad_()
        scores = modele(vue)
        if int(torch.argmax(scores)) == cible:
            break
        scores[0][cible].backward()
        x = torch.clamp(x + pas * vue.grad / torch.linalg.vector_norm(vue.grad), 0.0, 1.0)
        n += 1
    return tp8.quantize(x).detach()


def f_two_passes(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        with torch.no_grad():
            if modele(tp8.quantize(x)).argmax(dim=1).item() == cible:
                break
        vue = tp8.quantize(x).requires_grad_(True)
        (g,) = torch.autograd.grad(modele(vue)[0, cible], vue)
        x = (x + pas * g / g.norm()).clamp(0, 1)
    return tp8.quantize(x)


def f_return_inside(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        vue = _leaf(tp8.quantize(x))
        scores = modele(vue)
        if scores.argmax().item() == cible:
            return vue.detach()
        (g,) = torch.autograd.grad(scores[:, cible].sum(), vue)
        x = (x + pas * g / g.norm(p=2)).clamp(min=0, max=1)
    return tp8.quantize(x)


def f_float64(modele, image, cible, pas=0.2, max_iter=100):
    return f_reference(modele, image, cible, pas, max_iter).double()


def f_variant(modele, image, cible, pas, max_iter, **mistake):
    """The reference loop with one mistake switched on (each one below is a different attempt)."""
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter + mistake.get("extra", 0)):
        vue = x.clone() if mistake.get("unrounded") else tp8.quantize(x)
        vue.requires_grad_(True)
        scores = modele(vue)
        if not mistake.get("no_stop") and scores.argmax(dim=1).item() == cible:
            break
        objectif = scores[0, cible]
        if mistake.get("probability"):
            objectif = scores.softmax(dim=1)[0, cible]
        (g,) = torch.autograd.grad(objectif, vue)
        pas_g = pas * (g if mistake.get("raw") else g.sign() if mistake.get("sign") else g / g.norm())
        x = x - pas_g if mistake.get("descent") else x + pas_g
        if not mistake.get("no_clamp"):
            x = x.clamp(0, 1)
        if mistake.get("re_round"):
            x = tp8.quantize(x)
    return tp8.quantize(x)


# fooling: mistakes
def f_not_normalised(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, raw=True)


def f_sign(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, sign=True)


def f_descent(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, descent=True)


def f_unrounded_check(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, unrounded=True)


def f_unrounded_gradient(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        with torch.no_grad():
            if modele(tp8.quantize(x)).argmax(dim=1).item() == cible:
                break
        vue = _leaf(x)
        (g,) = torch.autograd.grad(modele(vue)[0, cible], vue)
        x = (x + pas * g / g.norm()).clamp(0, 1)
    return tp8.quantize(x)


def f_re_round(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, re_round=True)


def f_no_stop(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, no_stop=True)


def f_no_clamp(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, no_clamp=True)


def f_one_more_step(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, extra=1)


def f_one_step_less(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, extra=-1)


def f_check_after_step(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        vue = _leaf(tp8.quantize(x))
        (g,) = torch.autograd.grad(modele(vue)[0, cible], vue)
        x = (x + pas * g / g.norm()).clamp(0, 1)
        with torch.no_grad():
            if modele(tp8.quantize(x)).argmax(dim=1).item() == cible:
                break
    return tp8.quantize(x)


def f_probability(modele, image, cible, pas=0.2, max_iter=100):
    return f_variant(modele, image, cible, pas, max_iter, probability=True)


def f_cross_entropy(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        vue = _leaf(tp8.quantize(x))
        scores = modele(vue)
        if scores.argmax(dim=1).item() == cible:
            break
        perte = torch.nn.functional.cross_entropy(scores, torch.tensor([cible]))
        (g,) = torch.autograd.grad(perte, vue)
        x = (x - pas * g / g.norm()).clamp(0, 1)
    return tp8.quantize(x)


def f_through_quantize(modele, image, cible, pas=0.2, max_iter=100):
    x = image.detach().clone()
    for _ in range(max_iter):
        x.requires_grad_(True)
        scores = modele(tp8.quantize(x))
        if scores.argmax(dim=1).item() == cible:
            break
        (g,) = torch.autograd.grad(scores[0, cible], x)
        x = (x + pas * g / g.norm()).clamp(0, 1).detach()
    return tp8.quantize(x).detach()


def f_left_attached(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone()).requires_grad_(True)
    for _ in range(max_iter):
        scores = modele(tp8.quantize(x))
        if scores.argmax(dim=1).item() == cible:
            break
        (g,) = torch.autograd.grad(scores[0, cible], x)
        x = (x + pas * g / g.norm()).clamp(0, 1)
    return tp8.quantize(x)


def f_not_rounded_at_end(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        vue = _leaf(tp8.quantize(x))
        scores = modele(vue)
        if scores.argmax(dim=1).item() == cible:
            break
        (g,) = torch.autograd.grad(scores[0, cible], vue)
        x = (x + pas * g / g.norm()).clamp(0, 1)
    return x


def f_in_place(modele, image, cible, pas=0.2, max_iter=100):
    resultat = f_reference(modele, image, cible, pas, max_iter)
    image.copy_(resultat)
    return resultat


def f_global_model(modele, image, cible, pas=0.2, max_iter=100):
    return f_reference(lambda x: model(x), image, cible, pas, max_iter)


def f_error(modele, image, cible, pas=0.2, max_iter=100):
    x = tp8.quantize(image.detach().clone())
    vue = _leaf(x)
    (g,) = torch.autograd.grad(modele(vue)[0, cible], vue)
    return (x + pas * g / g.norm).clamp(0, 1)


# class visualisation step: right answers
def p_reference(modele, z, cibles, pas, lam):
    z = _leaf(z)
    scores = modele.forward_normalized(z).gather(1, cibles.view(-1, 1))[:, 0]
    objectif = scores - lam * z.pow(2).flatten(1).sum(dim=1)
    (g,) = torch.autograd.grad(objectif.sum(), z)
    return (z + pas * g).detach()


def p_index(modele, z, cibles, pas, lam):
    zz = z.detach().clone().requires_grad_()
    scores = modele.forward_normalized(zz)
    objectif = scores[torch.arange(zz.shape[0]), cibles].sum() - lam * (zz**2).sum()
    objectif.backward()
    return zz.detach() + pas * zz.grad


def p_manual_penalty(modele, z, cibles, pas, lam):
    zz = _leaf(z)
    (g,) = torch.autograd.grad(modele.forward_normalized(zz).gather(1, cibles[:, None]).sum(), zz)
    return z + pas * (g - 2 * lam * z)


def p_per_image(modele, z, cibles, pas, lam):
    return torch.cat([p_reference(modele, z[i : i + 1], cibles[i : i + 1], pas, lam) for i in range(len(z))])


def p_float64(modele, z, cibles, pas, lam):
    return p_reference(modele, z, cibles, pas, lam).to(torch.float64)


def p_torch_norm(modele, z, cibles, pas, lam):
    zz = _leaf(z)
    scores = modele.forward_normalized(zz)
    masque = torch.nn.functional.one_hot(cibles, scores.shape[1]).float()
    objectif = (scores * masque).sum() - lam * torch.norm(zz) ** 2
    (g,) = torch.autograd.grad(objectif, zz)
    return (zz + pas * g).detach()


def p_variant(modele, z, cibles, pas, lam, **mistake):
    """The reference step with one mistake switched on (each one below is a different attempt)."""
    zz = _leaf(z)
    scores = modele(zz) if mistake.get("twice") else modele.forward_normalized(zz)
    if mistake.get("probability"):
        scores = scores.softmax(dim=1)
    if mistake.get("log_probability"):
        scores = scores.log_softmax(dim=1)
    score = scores[:, cibles] if mistake.get("columns") else scores.gather(1, cibles.view(-1, 1))[:, 0]
    norme2 = zz.pow(2).flatten(1).sum(dim=1)
    penalite = {"plus": -lam * norme2, "unsquared": lam * norme2.sqrt(), "none": 0}.get(
        mistake.get("penalty"), lam * norme2
    )
    objectif = score - penalite
    (g,) = torch.autograd.grad(objectif.mean() if mistake.get("mean") else objectif.sum(), zz)
    if mistake.get("normalised"):
        g = g / g.norm()
    if mistake.get("log"):
        g = g * torch.log(score).sum()
    out = zz - pas * g if mistake.get("descent") else zz + pas * g
    return out if mistake.get("attached") else out.detach()


# class visualisation step: mistakes
def p_penalty_added(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, penalty="plus")


def p_unsquared(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, penalty="unsquared")


def p_no_penalty(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, penalty="none")


def p_no_factor_two(modele, z, cibles, pas, lam):
    zz = _leaf(z)
    (g,) = torch.autograd.grad(modele.forward_normalized(zz).gather(1, cibles[:, None]).sum(), zz)
    return z + pas * (g - lam * z)


def p_descent(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, descent=True)


def p_mean(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, mean=True)


def p_probability(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, probability=True)


def p_log_probability(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, log_probability=True)


def p_normalised_twice(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, twice=True)


def p_normalised_step(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, normalised=True)


def p_columns(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, columns=True)


def p_attached(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, attached=True)


def p_global_model(modele, z, cibles, pas, lam):
    return p_reference(model, z, cibles, pas, lam)


def p_returns_gradient(modele, z, cibles, pas, lam):
    zz = _leaf(z)
    objectif = modele.forward_normalized(zz).gather(1, cibles.view(-1, 1)).sum() - lam * zz.pow(2).sum()
    (g,) = torch.autograd.grad(objectif, zz)
    return g


def p_log_score(modele, z, cibles, pas, lam):
    return p_variant(modele, z, cibles, pas, lam, log=True)


def p_in_place(modele, z, cibles, pas, lam):
    z.requires_grad_(True)
    objectif = modele.forward_normalized(z).gather(1, cibles.view(-1, 1)).sum() - lam * z.pow(2).sum()
    objectif.backward()
    return (z + pas * z.grad).detach()


ATTEMPTS = [
    # (check, attempt, what its report must say first)
    (checks.saliency, stub, TODO),
    (checks.saliency, s_gather, PASS),
    (checks.saliency, s_index, PASS),
    (checks.saliency, s_one_hot, PASS),
    (checks.saliency, s_backward, PASS),
    (checks.saliency, s_per_image, PASS),
    (checks.saliency, s_float64, PASS),
    (checks.saliency, s_explicit_normalisation, PASS),
    (checks.saliency, s_no_abs, "prenez la valeur absolue |∂ỹ_c/∂x| avant le maximum"),
    (checks.saliency, s_abs_after_max, "valeur absolue après le maximum"),
    (checks.saliency, s_no_max, "une valeur par canal"),
    (checks.saliency, s_keepdim, "une dimension de canal en trop"),
    (checks.saliency, s_mean, "la moyenne sur les trois canaux"),
    (checks.saliency, s_sum_channels, "sommer les trois canaux"),
    (checks.saliency, s_predicted_class, "expliquez la classe demandée"),
    (checks.saliency, s_softmax, "dériver la probabilité"),
    (checks.saliency, s_log_softmax, "dériver la log-probabilité"),
    (checks.saliency, s_all_scores, "la somme de tous les scores"),
    (checks.saliency, s_columns, "`scores[:, classes]`"),
    (checks.saliency, s_max_pair, "`.max(dim=1)` renvoie un couple (valeurs, indices)"),
    (checks.saliency, s_global_model, "Utilisez l'argument `modele`"),
    (checks.saliency, s_forward_normalized, "forward_normalized sur des pixels"),
    (checks.saliency, s_scaled, "mise à l'échelle"),
    (checks.saliency, s_in_place, "l'argument `images` a gardé requires_grad=True"),
    (checks.saliency, s_unfreeze, "le modèle garde des gradients"),
    (checks.saliency, s_numpy, "pas un torch.Tensor"),
    (checks.saliency, s_attached, "la carte renvoyée est encore attachée au graphe de calcul : renvoyez-la détachée"),
    (checks.saliency, s_error, "lève une erreur, ZeroDivisionError"),
    (checks.saliency, s_no_return, "ne renvoie rien"),
    (checks.saliency, s_nan, "la carte renvoyée contient des NaN ou des infinis"),
    (checks.fooling, stub, TODO),
    (checks.fooling, f_reference, PASS),
    (checks.fooling, f_while, PASS),
    (checks.fooling, f_two_passes, PASS),
    (checks.fooling, f_return_inside, PASS),
    (checks.fooling, f_float64, PASS),
    (checks.fooling, f_not_normalised, "le pas ne semble pas normalisé"),
    (checks.fooling, f_sign, "η·sign(g)"),
    (checks.fooling, f_descent, "descendre le gradient"),
    (checks.fooling, f_unrounded_check, "le succès semble jugé sur l'image non arrondie"),
    (checks.fooling, f_unrounded_gradient, "le gradient semble pris sur l'image non arrondie"),
    (checks.fooling, f_re_round, "arrondir x lui-même à chaque pas"),
    (checks.fooling, f_no_stop, "ne semble pas s'arrêter"),
    (checks.fooling, f_no_clamp, "ramenés dans [0, 1]"),
    (checks.fooling, f_one_more_step, "un pas de trop"),
    (checks.fooling, f_one_step_less, "un pas de moins"),
    (checks.fooling, f_check_after_step, "testée après le pas"),
    (checks.fooling, f_probability, "monter la probabilité ou la log-probabilité"),
    (checks.fooling, f_cross_entropy, "l'entropie croisée"),
    (checks.fooling, f_through_quantize, "‖g‖ = 0 ?"),
    (checks.fooling, f_left_attached, "‖g‖ = 0 ?"),
    (checks.fooling, f_not_rounded_at_end, "n'est pas arrondie à 8 bits"),
    (checks.fooling, f_in_place, "l'argument `image` a été modifié en place"),
    (checks.fooling, f_global_model, "Utilisez l'argument `modele`"),
    (checks.fooling, f_error, "lève une erreur, TypeError"),
    (checks.class_visualization_step, stub, TODO),
    (checks.class_visualization_step, p_reference, PASS),
    (checks.class_visualization_step, p_index, PASS),
    (checks.class_visualization_step, p_manual_penalty, PASS),
    (checks.class_visualization_step, p_per_image, PASS),
    (checks.class_visualization_step, p_float64, PASS),
    (checks.class_visualization_step, p_torch_norm, PASS),
    (checks.class_visualization_step, p_penalty_added, "la pénalité semble ajoutée"),
    (checks.class_visualization_step, p_unsquared, "la pénalité semble être λ‖z‖₂"),
    (checks.class_visualization_step, p_no_penalty, "la pénalité semble absente"),
    (checks.class_visualization_step, p_no_factor_two, "n'oubliez pas le facteur 2"),
    (checks.class_visualization_step, p_descent, "vous semblez descendre le gradient"),
    (checks.class_visualization_step, p_mean, "dérivez leur somme"),
    (checks.class_visualization_step, p_probability, "monter la probabilité"),
    (checks.class_visualization_step, p_log_probability, "monter la log-probabilité"),
    (checks.class_visualization_step, p_normalised_twice, "modele.forward_normalized(z)"),
    (checks.class_visualization_step, p_normalised_step, "comme dans la partie 2"),
    (checks.class_visualization_step, p_columns, "`scores[:, cibles]`"),
    (
        checks.class_visualization_step,
        p_attached,
        "le z renvoyé est encore attaché au graphe de calcul : renvoyez-le détaché",
    ),
    (checks.class_visualization_step, p_global_model, "Utilisez l'argument `modele`"),
    (checks.class_visualization_step, p_returns_gradient, "renvoyer le gradient ∇L"),
    (checks.class_visualization_step, p_log_score, "le z renvoyé contient des NaN ou des infinis"),
    (checks.class_visualization_step, p_in_place, "l'argument `z` a gardé requires_grad=True"),
]


#: The first line marked ✘ of each usual mistake, in English (keyed by its French words above).
ENGLISH = {
    "prenez la valeur absolue |∂ỹ_c/∂x| avant le maximum": "take the absolute value |∂ỹ_c/∂x| before the maximum",
    "valeur absolue après le maximum": "absolute value after the maximum",
    "une valeur par canal": "one value per channel",
    "une dimension de canal en trop": "one channel dimension too many",
    "la moyenne sur les trois canaux": "the mean over the three channels",
    "sommer les trois canaux": "sum the three channels",
    "expliquez la classe demandée": "explain the class asked for",
    "dériver la probabilité": "differentiate the probability",
    "dériver la log-probabilité": "differentiate the log-probability",
    "la somme de tous les scores": "the sum of all the scores",
    "`scores[:, classes]`": "`scores[:, classes]` keeps",
    "`.max(dim=1)` renvoie un couple (valeurs, indices)": "`.max(dim=1)` returns a pair (values, indices)",
    "Utilisez l'argument `modele`": "Use the argument `modele`",
    "forward_normalized sur des pixels": "forward_normalized on pixels",
    "mise à l'échelle": "rescaled",
    "l'argument `images` a gardé requires_grad=True": "the argument `images` was left with requires_grad=True",
    "le modèle garde des gradients": "the model has gradients left on it",
    "pas un torch.Tensor": "not a torch.Tensor",
    "la carte renvoyée est encore attachée au graphe de calcul : renvoyez-la détachée": (
        "the returned map is still attached to the computation graph: return it detached"
    ),
    "lève une erreur, ZeroDivisionError": "raises an error, ZeroDivisionError",
    "ne renvoie rien": "returns nothing",
    "la carte renvoyée contient des NaN ou des infinis": "the returned map contains NaN or infinite values",
    "le pas ne semble pas normalisé": "the step does not seem normalized",
    "η·sign(g)": "the step η·sign(g)",
    "descendre le gradient": "descend the gradient",
    "le succès semble jugé sur l'image non arrondie": "success seems judged on the unrounded image",
    "le gradient semble pris sur l'image non arrondie": "the gradient seems taken on the unrounded image",
    "arrondir x lui-même à chaque pas": "round x itself at every step",
    "ne semble pas s'arrêter": "does not seem to stop",
    "ramenés dans [0, 1]": "brought back into [0, 1]",
    "un pas de trop": "one step too many",
    "un pas de moins": "one step too few",
    "testée après le pas": "tested after the step",
    "monter la probabilité ou la log-probabilité": "climb the probability or the log-probability",
    "l'entropie croisée": "the cross-entropy",
    "‖g‖ = 0 ?": "‖g‖ = 0?",
    "n'est pas arrondie à 8 bits": "is not rounded to 8 bits",
    "l'argument `image` a été modifié en place": "the argument `image` was changed in place",
    "lève une erreur, TypeError": "raises an error, TypeError",
    "la pénalité semble ajoutée": "the penalty seems added",
    "la pénalité semble être λ‖z‖₂": "the penalty seems to be λ‖z‖₂",
    "la pénalité semble absente": "the penalty seems missing",
    "n'oubliez pas le facteur 2": "do not forget the factor 2",
    "vous semblez descendre le gradient": "you seem to descend the gradient",
    "dérivez leur somme": "differentiate their sum",
    "monter la probabilité": "climb the probability",
    "monter la log-probabilité": "climb the log-probability",
    "modele.forward_normalized(z)": "modele.forward_normalized(z)",
    "comme dans la partie 2": "as in part 2",
    "`scores[:, cibles]`": "`scores[:, cibles]` keeps",
    "le z renvoyé est encore attaché au graphe de calcul : renvoyez-le détaché": (
        "the returned z is still attached to the computation graph: return it detached"
    ),
    "renvoyer le gradient ∇L": "return the gradient ∇L",
    "le z renvoyé contient des NaN ou des infinis": "the returned z contains NaN or infinite values",
    "l'argument `z` a gardé requires_grad=True": "the argument `z` was left with requires_grad=True",
}


@pytest.mark.parametrize(
    ("check", "attempt", "expected"),
    ATTEMPTS,
    ids=[f"{check.__name__}-{attempt.__name__}" for check, attempt, _ in ATTEMPTS],
)
def test_each_attempt_gets_the_right_verdict_and_first_hint(tiny_only, check, attempt, expected):
    result = check(attempt)  # never raises: a student's answer is reported, not raised
    assert isinstance(result, checks.CheckResult)
    if expected == PASS:
        assert result.status == PASSED, text(result)
        assert result.verdict.startswith("✔")
    elif expected == TODO:
        assert result.status == NOT_IMPLEMENTED, text(result)
    else:
        assert result.status == "failed", text(result)
        assert result.verdict.startswith("✘")
        assert expected in result.failures[0], text(result)
    # The same verdict, rendered in English without running the check again.
    english = result.text("en")
    assert not french_words(english), (french_words(english), english)
    assert result.verdict in text(result) and result.text("fr") == text(result)
    if expected not in (PASS, TODO):
        with speaking("en"):
            assert ENGLISH[expected] in result.failures[0], english
            assert result.verdict.startswith("✘ `") and "is not right yet" in result.verdict
    # Displayed, the report carries both: French as before, English in the metadata (no French word).
    assert_bilingual(
        result,
        {"text/html": result.html("fr"), "text/plain": text(result)},
        {"text/html": result.html("en"), "text/plain": english},
    )


def test_the_table_covers_each_exercise_with_right_answers_and_mistakes():
    counts = collections.Counter((check.__name__, expected == PASS) for check, _, expected in ATTEMPTS)
    for name in ("saliency", "fooling", "class_visualization_step"):
        assert counts[(name, True)] >= 5 and counts[(name, False)] >= 12, counts
    assert len(ATTEMPTS) >= 60
    assert {expected for _, _, expected in ATTEMPTS} - {PASS, TODO} == set(ENGLISH)


# --- what the table does not show ------------------------------------------------------------------


def test_a_per_image_loop_passes_with_the_same_note_in_both_batched_exercises(tiny_only):
    for check, attempt in ((checks.saliency, s_per_image), (checks.class_visualization_step, p_per_image)):
        result = check(attempt)
        assert result.passed, text(result)
        notes = [line for ok, line in result.lines if ok is None and "passe(s) avant" in line]
        assert len(notes) == 1 and "une de chaque suffit" in notes[0], text(result)


def test_a_float64_result_passes_and_says_so(tiny_only):
    for check, attempt in (
        (checks.saliency, s_float64),
        (checks.fooling, f_float64),
        (checks.class_visualization_step, p_float64),
    ):
        result = check(attempt)
        assert result.passed and "dtype torch.float64 est accepté" in text(result), text(result)


def test_the_new_fooling_cases_tell_the_false_passes_apart(tiny_only):
    result = checks.fooling(f_no_clamp)
    assert any("pixels saturés" in line for line in result.failures), text(result)
    result = checks.fooling(f_one_more_step)
    assert any("max_iter atteint" in line for line in result.failures), text(result)
    result = checks.fooling(f_check_after_step)
    assert any("déjà dans la cible" in line for line in result.failures), text(result)


def test_descent_is_not_reported_as_a_stopping_problem(tiny_only):
    result = checks.fooling(f_descent)
    assert "s'arrête" not in failed_lines(result) and "déjà atteinte" not in failed_lines(result), text(result)


def test_the_global_model_message_explains_the_mini_network(tiny_only):
    result = checks.saliency(s_global_model)
    first = result.failures[0]
    assert "elle appelle `model`, une variable globale du carnet" in first
    assert "Le « mini-réseau » est un petit réseau à poids aléatoires" in first
    assert "Output size is too small" in first or "RuntimeError" in first  # the raw error comes last


def test_french_of_the_type_line(tiny_only):
    def on_meta(modele, images, classes):
        return torch.zeros(images.shape[0], *images.shape[2:], device="meta")

    def integers(modele, images, classes):
        return torch.zeros(images.shape[0], *images.shape[2:], dtype=torch.long)

    assert "le résultat ne convient pas : il est sur l'appareil meta au lieu de cpu" in failed_lines(
        checks.saliency(on_meta)
    )
    assert "son dtype est torch.int64 au lieu de torch.float32" in failed_lines(checks.saliency(integers))


ODD_RESULTS = {
    "sparse": (lambda right: right.to_sparse(), "renvoyez un tenseur dense"),
    "complex": (lambda right: right.to(torch.complex64), "son dtype est torch.complex64"),
    "float16": (lambda right: right.half(), "trop imprécis pour la tolérance"),
    "overflow": (lambda right: right.double() * 1e300, "contient des NaN ou des infinis"),
    "generator": (lambda right: (v for v in right), "renvoie un objet generator, pas un torch.Tensor"),
    "list": (lambda right: [right], "(1 élément) : renvoyez un seul tenseur"),
    "dict": (lambda right: {"carte": right}, "renvoie un objet dict"),
    "scalar": (lambda right: right.sum(), "sa forme est ()"),
    "string": (lambda right: "fini !", "renvoie un objet str"),
}


@pytest.mark.parametrize("odd", ODD_RESULTS)
def test_odd_results_are_reported_never_raised(tiny_only, odd):
    change, words = ODD_RESULTS[odd]
    for check, right in (
        (checks.saliency, s_gather),
        (checks.fooling, f_reference),
        (checks.class_visualization_step, p_reference),
    ):

        def attempt(*args, right=right):
            return change(right(*args))

        result = check(attempt)
        assert result.status == "failed" and words in result.failures[0], text(result)


def test_saliency_reports_the_line_of_the_students_error(tiny_only):
    result = checks.saliency(s_error)
    assert "ligne 2 de la fonction : « rapport = 1 / 0 »" in failed_lines(result)


def test_a_check_leaves_the_model_frozen(tiny_only):
    model = checks._mini_model("cpu")
    checks.saliency(s_unfreeze, model)
    assert not any(p.requires_grad or p.grad is not None for p in model.parameters())


def test_fooling_right_answer_moves_one_step_of_length_eta(tiny_only):
    result = checks.fooling(f_reference)
    assert result.status == PASSED, text(result)
    assert "l'image bouge de 1,00 (norme L₂)" in text(result)


def test_the_step_reference_is_the_step_of_class_visualization():
    """tp8.class_visualization with one step, no jitter, no blur, from an image = clamp(reference step)."""
    model = checks._mini_model("cpu")
    start = checks._mini_images("cpu")[:2]
    for l2_reg in (0.0, 1e-2):
        viz = tp8.class_visualization(
            model, [1, 4], init_img=start, num_iterations=1, lr=0.3, l2_reg=l2_reg, max_jitter=0, blur_every=0
        )
        z = checks.reference_class_visualization_step(model, model.normalize(start), torch.tensor([1, 4]), 0.3, l2_reg)
        lo, hi = model.normalize(torch.zeros(1, 3, 1, 1)), model.normalize(torch.ones(1, 3, 1, 1))
        expected = model.denormalize(torch.maximum(torch.minimum(z, hi), lo)).clamp(0, 1)
        assert torch.allclose(viz.images, expected, atol=1e-6), float((viz.images - expected).abs().max())


# --- what every check shares ---------------------------------------------------------------------


def test_checks_leave_the_global_random_generator_alone(tiny_only):
    torch.manual_seed(123)
    state = torch.get_rng_state()
    checks.saliency(s_gather)
    checks.fooling(f_reference)
    checks.class_visualization_step(p_reference)
    assert torch.equal(torch.get_rng_state(), state)


def test_checks_validate_their_arguments(tiny_only):
    with pytest.raises(tp8.InputError, match="give the function to check"):
        checks.saliency("carte")
    with pytest.raises(tp8.InputError, match="lr must be a finite number > 0"):
        checks.fooling(f_reference, lr=-1)
    with pytest.raises(tp8.InputError, match="max_iter must be an integer ≥ 1"):
        checks.fooling(f_reference, max_iter=0)
    with pytest.raises(tp8.InputError, match="l2_reg must be a finite number ≥ 0"):
        checks.class_visualization_step(p_reference, l2_reg=float("nan"))
    with pytest.raises(tp8.InputError, match="seed must be an integer"):
        checks.class_visualization_step(p_reference, seed=-3)
    with pytest.raises(tp8.InputError, match="model must be a tp8 Classifier"):
        checks.saliency(s_gather, model=torch.nn.Linear(2, 2))


def test_results_are_recorded_for_the_build(tiny_only):
    before = len(checks.results())
    checks.saliency(stub)
    checks.saliency(s_gather)
    recorded = checks.results()[before:]
    assert [r["status"] for r in recorded] == [NOT_IMPLEMENTED, PASSED]
    assert all(r["function"] in ("stub", "s_gather") and r["verdict"] for r in recorded)


def test_result_displays_as_text_and_html(tiny_only):
    passed, wrong, todo = checks.saliency(s_gather), checks.saliency(s_no_abs), checks.saliency(stub)
    assert 'class="admonition success' in passed._repr_html_()
    assert 'class="admonition failure' in wrong._repr_html_()
    assert 'class="admonition info' in todo._repr_html_()
    assert "<code>s_no_abs</code>" in wrong._repr_html_()
    assert repr(wrong) == "<CheckResult s_no_abs: failed>"
    assert "NotImplementedError" in text(todo) and todo.verdict.startswith("✎ À faire")
    assert todo.verdict == text(todo).splitlines()[-1]
    assert "mini-réseau seulement" in passed.verdict and "indisponible" in text(passed)
    # Distances to the reference, never its values.
    assert "tensor(" not in text(wrong) and "tensor(" not in wrong._repr_html_()


def test_use_falls_back_to_the_reference_once_with_a_notice(tiny_only, capsys):
    model = checks._mini_model("cpu")
    images = checks._mini_images("cpu")[:2]
    classes = torch.tensor([1, 2])
    used = checks.use(stub, checks.saliency)
    first, second = used(model, images, classes), used(model, images, classes)
    expected = tp8.saliency_map(model, images, classes)
    assert torch.equal(first, expected) and torch.equal(second, expected)
    shown = capsys.readouterr().out
    assert shown.count("Résultat de la référence") == 1, shown
    assert "stub" in shown and "tp8.saliency_map" in shown


def test_use_calls_the_written_function_and_lets_other_errors_through():
    model = checks._mini_model("cpu")
    images = checks._mini_images("cpu")[:2]
    marked = checks.use(lambda m, x, c: torch.zeros(x.shape[0], 16, 16) + 7, tp8.saliency_map)
    assert torch.equal(marked(model, images, torch.tensor([0, 1])), torch.full((2, 16, 16), 7.0))
    with pytest.raises(ZeroDivisionError):
        checks.use(s_error, checks.saliency)(model, images, torch.tensor([0, 1]))
    with pytest.raises(tp8.InputError):
        checks.use(s_gather, "tp8.saliency_map")


def test_use_with_a_plain_reference_function():
    model = checks._mini_model("cpu")
    image = checks._mini_images("cpu")[:1]
    out = checks.use(stub, checks.reference_fooling)(model, image, 3, 0.2, 50)
    assert torch.equal(out, tp8.fooling_image(model, image, 3, lr=0.2, max_iter=50, progress=False).images)


# --- the language of the reports, and the exercises' specs ----------------------------------------


def test_the_language_is_chosen_in_one_place_and_one_run_renders_in_both(tiny_only, capsys):
    result = checks.saliency(s_no_abs)  # run once, shown in French (the default)
    assert checks.language() == "fr" and result.verdict.startswith("✘ `s_no_abs` n'est pas encore juste :")
    assert "(tolérance 1,0\u00a0×\u00a010⁻⁴). Piste : la carte a des valeurs négatives" in result.failures[0]
    assert checks.results("en")[-1]["verdict"].startswith("✘ `s_no_abs` is not right yet: ")
    with speaking("en"):
        assert result.verdict.startswith("✘ `s_no_abs` is not right yet: ")
        assert "(tolerance 1.0\u00a0×\u00a010⁻⁴). Hint: the map has negative values" in result.failures[0]
        assert str(result).startswith("Check — saliency map (s_no_abs)\nℹ SqueezeNet 1.1 unavailable")
        assert "\n✘ tiny network: differs from tp8's reference by at most " in str(result)
        assert "Check — saliency map (<code>s_no_abs</code>)" in result._repr_html_()
        assert result.as_dict()["verdict"] == result.verdict
        checks.use(stub, checks.saliency)(checks._mini_model("cpu"), checks._mini_images("cpu")[:1], torch.tensor([1]))
    shown = capsys.readouterr().out
    assert "The reference's result" in shown and "this result comes from tp8's reference (tp8.saliency_map)" in shown
    assert result.text("fr") == str(result) and result.text("en") != str(result)
    assert result.html("en").count("<li>") == result.html("fr").count("<li>") == len(result.lines)
    with pytest.raises(tp8.InputError, match="choose among"):
        checks.set_language("de")
    with pytest.raises(tp8.InputError, match="choose among"):
        result.text("de")
    assert checks.language() == "fr"


def test_each_report_kind_displays_in_french_with_its_english_in_the_metadata(tiny_only):
    passed, wrong, todo = checks.saliency(s_gather), checks.saliency(s_no_abs), checks.saliency(stub)
    for result, kind, fr, en in [
        (passed, "success", "✔ `s_gather` est juste : ", "✔ `s_gather` is right: "),
        (wrong, "failure", "✘ `s_no_abs` n'est pas encore juste : ", "✘ `s_no_abs` is not right yet: "),
        (todo, "info", "✎ À faire : écrivez `stub`", "✎ To do: write `stub`"),
    ]:
        french = {"text/html": result._repr_html_(), "text/plain": str(result)}
        english = {"text/html": result.html("en"), "text/plain": result.text("en")}
        assert_bilingual(result, french, english)
        # The French is the report as it was: title, lines and verdict in French.
        page = french["text/html"]
        assert page.startswith(f'<div class="admonition {kind} tp8-check"><p class="admonition-title">Vérification — ')
        assert "carte de saillance" in page and "mini-réseau" in page and "indisponible" in page
        assert as_html(fr) in page and fr in french["text/plain"]
        # The English: the same report, in English.
        page = english["text/html"]
        assert page.startswith(f'<div class="admonition {kind} tp8-check"><p class="admonition-title">Check — ')
        assert "saliency map" in page and "tiny network" in page and "unavailable" in page
        assert as_html(en) in page and en in english["text/plain"]
    assert "Hint: the map has negative values" in wrong.html("en")
    assert "Piste : la carte a des valeurs négatives" in html.unescape(wrong._repr_html_())


def test_the_reference_notice_displays_in_french_with_its_english_in_the_metadata(tiny_only, monkeypatch):
    ipython = pytest.importorskip("IPython")
    import IPython.display

    shown = []
    monkeypatch.setattr(ipython, "get_ipython", lambda: object())  # as in a notebook
    monkeypatch.setattr(IPython.display, "display", shown.append)
    model, images = checks._mini_model("cpu"), checks._mini_images("cpu")[:1]
    checks.use(stub, checks.saliency)(model, images, torch.tensor([1]))
    assert len(shown) == 1
    notice = shown[0]
    french = {
        "text/html": '<div class="admonition info"><p class="admonition-title">Résultat de la référence</p>'
        "<p>La fonction <code>stub</code> n'est pas encore écrite : ce résultat vient de la référence de tp8 "
        "(tp8.saliency_map). Écrivez-la, puis exécutez de nouveau cette cellule pour voir le vôtre.</p></div>",
        "text/markdown": "**Résultat de la référence** — La fonction <code>stub</code> n'est pas encore écrite : ce "
        "résultat vient de la référence de tp8 (tp8.saliency_map). Écrivez-la, puis exécutez de nouveau cette "
        "cellule pour voir le vôtre.",
        "text/plain": "Résultat de la référence: La fonction stub n'est pas encore écrite : ce résultat vient de la "
        "référence de tp8 (tp8.saliency_map). Écrivez-la, puis exécutez de nouveau cette cellule pour voir le vôtre.",
    }
    english = {
        "text/html": '<div class="admonition info"><p class="admonition-title">The reference&#x27;s result</p>'
        "<p>The function <code>stub</code> is not written yet: this result comes from tp8's reference "
        "(tp8.saliency_map). Write it, then run this cell again to see yours.</p></div>",
        "text/markdown": "**The reference's result** — The function <code>stub</code> is not written yet: this "
        "result comes from tp8's reference (tp8.saliency_map). Write it, then run this cell again to see yours.",
        "text/plain": "The reference's result: The function stub is not written yet: this result comes from tp8's "
        "reference (tp8.saliency_map). Write it, then run this cell again to see yours.",
    }
    assert_bilingual(notice, french, english)
    assert (
        french["text/html"]
        == tp8.course.notice(
            "La fonction <code>stub</code> n'est pas encore écrite : ce résultat vient de la référence de tp8 "
            "(tp8.saliency_map). Écrivez-la, puis exécutez de nouveau cette cellule pour voir le vôtre.",
            title="Résultat de la référence",
            kind="info",
        )._repr_html_()
    )  # the notice of tp8.course, as before


def test_the_checks_follow_the_language_the_kernel_displays(tiny_only):
    result = checks.saliency(s_no_abs)
    try:
        tp8.language.set_language("en")
        assert checks.language() == "en" and result.verdict.startswith("✘ `s_no_abs` is not right yet: ")
        assert str(result).startswith("Check — saliency map (s_no_abs)")
        checks.set_language("fr")  # one language, set from either module
        assert tp8.language.display_language() == "fr"
        checks.set_language("en")
        assert tp8.language.display_language() == "en"
    finally:
        tp8.language.set_language("fr")
    assert checks.language() == "fr" and result.verdict.startswith("✘ `s_no_abs` n'est pas encore juste :")


def test_each_spec_puts_each_mistakes_code_beside_one_hint_in_both_languages():
    exercises = {name: getattr(checks, name).exercise for name in ("saliency", "fooling", "class_visualization_step")}
    for name, exercise in exercises.items():
        for mistake in exercise.mistakes:
            assert mistake.codes and all(callable(code) for code in mistake.codes), (name, mistake)
            assert mistake.hint.fr and mistake.hint.en and mistake.hint.fr != mistake.hint.en, (name, mistake)
        for language in ("fr", "en"):  # two keys with the same hint are one mistake with two codes
            hints = [m.hint.render(language) for m in exercise.mistakes]
            assert len(hints) == len(set(hints)), (name, collections.Counter(hints).most_common(1))


def test_the_public_names_are_kept():
    for name in (
        "CheckResult",
        "class_visualization_step",
        "fooling",
        "reference_class_visualization_step",
        "reference_fooling",
        "reference_saliency",
        "results",
        "saliency",
        "use",
    ):
        assert name in checks.__all__ and getattr(checks, name) is not None, name
    assert checks.fooling.reference is checks.reference_fooling
    assert str(checks.class_visualization_step.reference_name) == "le pas de tp8.class_visualization"


def test_the_reference_is_kept_for_the_checks_own_network_only(monkeypatch):
    """What does not depend on the student is computed once per kernel, but never on a network given to the check."""
    own, given = checks._mini_model("cpu"), checks._mini_model("cpu")
    monkeypatch.setattr(checks.networks, "_squeezenet", lambda: own)  # the check's own real network
    monkeypatch.setattr(checks.engine, "_CACHE", {})
    calls = []

    def reference(model, *args):
        calls.append("own" if model is own else "given" if model is given else "mini")
        return checks.reference_saliency(model, *args)

    monkeypatch.setattr(checks.saliency.exercise, "reference", reference)
    for model in (None, None, given, given):
        assert checks.saliency(s_gather, model).passed
    assert calls == ["mini", "own", "given", "given"]

    def reference_fooling(model, *args):  # the real case's inputs depend on settings its label does not name
        calls.append(("own" if model is own else "mini", args[2:]))
        return checks.reference_fooling(model, *args)

    calls.clear()
    monkeypatch.setattr(checks.fooling.exercise, "reference", reference_fooling)
    for lr in (0.2, 0.3, 0.2):
        assert checks.fooling(f_reference, target=3, lr=lr, max_iter=5).passed
    assert [c for c in calls if c[0] == "own"] == [("own", (0.2, 5)), ("own", (0.3, 5))]


#: A fourth exercise, written as an instructor would: one file, nothing else changed.
FOURTH = '''
"""Exercise 4: the score of each image's class, ``scores_des_classes(modele, images, classes) -> (N,)``."""

import torch

from tp8.checks.engine import Exercise, Mistake, relative
from tp8.checks.messages import t
from tp8.checks.networks import MINI, sample_photo

__all__ = ["class_scores"]


def _rows(images):
    return torch.arange(images.shape[0], device=images.device)


def reference_scores(model, images, classes):
    return model(images)[_rows(images), classes].detach()


def _probabilities(model, images, classes):
    return model(images).softmax(dim=1)[_rows(images), classes].detach()


EXERCISE = Exercise(
    title=t("scores des classes", "class scores"),
    function="scores_des_classes",
    reference=reference_scores,
    reference_name="modele(images)",
    result=t("le score renvoyé", "the returned score"),
    feminine=False,
    mini_cases=lambda run: [run.mini_case(MINI, lambda: (run.images[:4], torch.tensor([1, 2, 3, 4])), 1e-5)],
    real_case=lambda run: run.real_case(
        t("photo", "photo"), lambda: (sample_photo("chelsea", run.real.device), torch.tensor([281])), 1e-4
    ),
    shape=lambda case: (case.args[0].shape[0],),
    distance=lambda case, a, b: relative(float((a - b).abs().max()), float(case.expected.abs().max())),
    mistakes=[
        Mistake(
            "probability",
            t("c'est la probabilité ; renvoyez le score, avant le softmax.", "that is the probability; return the score, before the softmax."),
            _probabilities,
        ),
    ],
    within=1e-3,
    nonfinite_hint=t("pas de division ici.", "no division here."),
    scope=t("une vraie photo", "a real photo"),
)


@EXERCISE.check
def class_scores(fn, model=None):
    """Check a student's ``fn(model, images, classes)``: the score of each image's class."""
    return EXERCISE.run(fn, model)
'''


def test_a_fourth_exercise_is_added_by_writing_one_spec_file(tiny_only, tmp_path, monkeypatch, capsys):
    package = tmp_path / "plus_d_exercices"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "scores.py").write_text(FOURTH)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = checks.engine.exports(importlib.import_module("plus_d_exercices"))
        assert list(found) == ["class_scores"]
        check = found["class_scores"]

        def right(modele, images, classes):
            return modele(images).gather(1, classes.view(-1, 1))[:, 0].detach()

        def softmax(modele, images, classes):
            return modele(images).softmax(dim=1).gather(1, classes.view(-1, 1))[:, 0].detach()

        assert check(right).passed, text(check(right))
        wrong = check(softmax)
        assert not wrong.passed and "Piste : c'est la probabilité" in wrong.failures[0], text(wrong)
        assert "Hint: that is the probability" in wrong.text("en")
        assert check(stub).status == NOT_IMPLEMENTED
        images, classes = checks._mini_images("cpu")[:2], torch.tensor([0, 1])
        model = checks._mini_model("cpu")
        assert torch.equal(checks.use(stub, check)(model, images, classes), right(model, images, classes))
        assert "(modele(images))" in capsys.readouterr().out
        (package / "again.py").write_text("__all__ = ['class_scores']\nclass_scores = None\n")
        with pytest.raises(ImportError, match="which another spec file already exports"):
            checks.engine.exports(importlib.import_module("plus_d_exercices"))
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] == "plus_d_exercices"]:
            del sys.modules[name]


def test_every_spec_file_of_the_package_is_exported():
    import pkgutil

    from tp8.checks import exercises

    griffe = pytest.importorskip("griffe")  # what mkdocstrings reads for the API page, without running the code
    documented = griffe.load("tp8.checks", search_paths=[str(Path(checks.__file__).parents[2])])
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"tp8.checks.exercises.{info.name}")
        for name in module.__all__:
            assert getattr(checks, name) is getattr(module, name) and name in checks.__all__, name
            assert name in documented.exports and documented[name].docstring, (
                f"{name}: import it in tp8/checks/__init__.py"
            )


# --- with the real network -----------------------------------------------------------------------


def test_right_answers_pass_on_squeezenet(squeezenet):
    for check, answer in (
        (checks.saliency, s_gather),
        (checks.fooling, f_reference),
        (checks.class_visualization_step, p_reference),
    ):
        result = check(answer, squeezenet)
        assert result.status == PASSED, text(result)
        assert "SqueezeNet 1.1" in text(result)
        assert "seulement" not in result.verdict


def test_default_real_network_is_squeezenet_when_its_weights_are_found(squeezenet):
    result = checks.saliency(s_gather)
    assert "SqueezeNet 1.1, photo « chelsea »" in text(result) and result.passed


def test_wrong_answers_fail_on_squeezenet_too(squeezenet):
    saliency = checks.saliency(s_no_abs, squeezenet)
    assert any("photo « chelsea »" in line for line in saliency.failures), text(saliency)
    fooling = checks.fooling(f_unrounded_check, squeezenet)
    assert any("goldfish : écart à la référence" in line for line in fooling.failures), text(fooling)
    step = checks.class_visualization_step(p_penalty_added, squeezenet)
    assert any("classe flamingo : écart" in line for line in step.failures), text(step)


def test_the_global_model_passes_on_squeezenet_but_not_on_the_mini_network(squeezenet):
    result = checks.saliency(s_global_model, squeezenet)
    assert not result.passed and "Utilisez l'argument `modele`" in result.failures[0], text(result)
