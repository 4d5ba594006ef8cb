"""tp8.checks: the students' self-checks say "not written yet", catch each usual mistake with its own
message, and pass a right answer — on the tiny seeded network (no weights needed) and, when the
weights are there, on SqueezeNet 1.1 with a real photo.

The wrong answers below are the mistakes the lab invites: a saliency map without the absolute
value or without the maximum over channels, a fooling step not normalised, a success judged
before the 8-bit rounding, an ascent step with the penalty's sign flipped…
"""

from __future__ import annotations

import pytest
import torch

import tp8
import tp8.checks as checks
from tp8.checks import NOT_IMPLEMENTED, PASSED


@pytest.fixture
def tiny_only(monkeypatch):
    """The checks as on a machine without pretrained weights: the tiny network only."""
    monkeypatch.setattr(checks, "_squeezenet", lambda: None)


def stub(*args, **kwargs):
    raise NotImplementedError()


def text(result) -> str:
    return str(result)


def failed_lines(result) -> str:
    return "\n".join(result.failures)


# --- saliency ----------------------------------------------------------------------------------


def carte(modele, images, classes):
    x = images.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(modele(x).gather(1, classes.view(-1, 1)).sum(), x)
    return g.abs().amax(dim=1)


def carte_sans_valeur_absolue(modele, images, classes):
    x = images.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(modele(x).gather(1, classes.view(-1, 1)).sum(), x)
    return g.amax(dim=1)


def carte_sans_maximum(modele, images, classes):
    x = images.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(modele(x).gather(1, classes.view(-1, 1)).sum(), x)
    return g.abs()


def carte_moyenne(modele, images, classes):
    x = images.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(modele(x).gather(1, classes.view(-1, 1)).sum(), x)
    return g.abs().mean(dim=1)


def carte_classe_predite(modele, images, classes):
    x = images.detach().clone().requires_grad_(True)
    scores = modele(x)
    (g,) = torch.autograd.grad(scores.gather(1, scores.argmax(dim=1, keepdim=True)).sum(), x)
    return g.abs().amax(dim=1)


def carte_probabilite(modele, images, classes):
    x = images.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(modele(x).softmax(dim=1).gather(1, classes.view(-1, 1)).sum(), x)
    return g.abs().amax(dim=1)


def carte_image_par_image(modele, images, classes):
    return torch.cat([carte(modele, images[i : i + 1], classes[i : i + 1]) for i in range(images.shape[0])])


def carte_backward(modele, images, classes):
    images.requires_grad_(True)
    modele(images).gather(1, classes.view(-1, 1)).sum().backward()
    return images.grad.abs().amax(dim=1)


def carte_qui_degele_le_modele(modele, images, classes):
    modele.requires_grad_(True)
    x = images.detach().clone().requires_grad_(True)
    modele(x).gather(1, classes.view(-1, 1)).sum().backward()
    return x.grad.abs().amax(dim=1)


def carte_float64(modele, images, classes):
    return carte(modele, images, classes).double()


def carte_numpy(modele, images, classes):
    return carte(modele, images, classes).numpy()


def carte_en_erreur(modele, images, classes):
    rapport = 1 / 0
    return rapport


def test_saliency_stub_is_reported_as_not_written(tiny_only):
    result = checks.saliency(stub)
    assert result.status == NOT_IMPLEMENTED and not result.passed and not result.implemented
    assert "NotImplementedError" in text(result)
    assert result.verdict.startswith("✎ À faire")
    assert result.verdict == text(result).splitlines()[-1]


def test_saliency_right_answer_passes(tiny_only):
    result = checks.saliency(carte)
    assert result.status == PASSED, text(result)
    assert result.verdict.startswith("✔")
    assert "mini-réseau seulement" in result.verdict
    assert "indisponible" in text(result)  # it says the real network was not used


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (carte_sans_valeur_absolue, "prenez la valeur absolue"),
        (carte_sans_maximum, "prenez le maximum sur les trois canaux"),
        (carte_moyenne, "moyenne sur les trois canaux"),
        (carte_classe_predite, "expliquez la classe demandée"),
        (carte_probabilite, "dérivez le score ỹ_c"),
        (carte_image_par_image, "4 passe(s) avant et 4 passe(s) arrière"),
        (carte_backward, "l'argument `images` a gardé requires_grad=True"),
        (carte_qui_degele_le_modele, "le modèle garde des gradients"),
        (carte_float64, "dtype torch.float64 au lieu de torch.float32"),
        (carte_numpy, "pas un torch.Tensor"),
        (carte_en_erreur, "lève une erreur, ZeroDivisionError"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[:30],
)
def test_saliency_wrong_answers_are_caught_with_their_message(tiny_only, wrong, message):
    result = checks.saliency(wrong)
    assert result.status == "failed", text(result)
    assert result.verdict.startswith("✘")
    assert message in failed_lines(result), text(result)


def test_saliency_without_absolute_value_also_fails_the_sign_property(tiny_only):
    result = checks.saliency(carte_sans_valeur_absolue)
    assert "valeurs négatives" in failed_lines(result)


def test_saliency_reports_the_line_of_the_students_error(tiny_only):
    result = checks.saliency(carte_en_erreur)
    assert "ligne 2 de la fonction : « rapport = 1 / 0 »" in failed_lines(result)


def test_a_check_leaves_the_model_frozen(tiny_only):
    model = checks._mini_model("cpu")
    checks.saliency(carte_qui_degele_le_modele, model)
    assert not any(p.requires_grad or p.grad is not None for p in model.parameters())


# --- fooling -----------------------------------------------------------------------------------


def trompeuse(modele, image, cible, pas=0.2, max_iter=100, *, normalise=True, arrondi=True, arret=True):
    x = tp8.quantize(image.detach().clone())
    for _ in range(max_iter):
        point = tp8.quantize(x) if arrondi else x.clone()
        point.requires_grad_(True)
        scores = modele(point)
        if arret and scores.argmax(dim=1).item() == cible:
            break
        (g,) = torch.autograd.grad(scores[0, cible], point)
        x = (x + pas * (g / g.norm() if normalise else g)).clamp(0, 1)
    return tp8.quantize(x)


def trompeuse_juste(modele, image, cible, pas=0.2, max_iter=100):
    return trompeuse(modele, image, cible, pas, max_iter)


def trompeuse_non_normalisee(modele, image, cible, pas=0.2, max_iter=100):
    return trompeuse(modele, image, cible, pas, max_iter, normalise=False)


def trompeuse_sans_arrondi(modele, image, cible, pas=0.2, max_iter=100):
    return trompeuse(modele, image, cible, pas, max_iter, arrondi=False)


def trompeuse_sans_arret(modele, image, cible, pas=0.2, max_iter=100):
    return trompeuse(modele, image, cible, pas, max_iter, arret=False)


def trompeuse_non_arrondie_a_la_fin(modele, image, cible, pas=0.2, max_iter=100):
    return trompeuse(modele, image, cible, pas, max_iter) + 0.25 / 255


def trompeuse_en_place(modele, image, cible, pas=0.2, max_iter=100):
    out = trompeuse(modele, image, cible, pas, max_iter)
    image.copy_(out)
    return out


def test_fooling_stub_is_reported_as_not_written(tiny_only):
    result = checks.fooling(stub)
    assert result.status == NOT_IMPLEMENTED, text(result)


def test_fooling_right_answer_passes(tiny_only):
    result = checks.fooling(trompeuse_juste)
    assert result.status == PASSED, text(result)
    assert "l'image bouge de 1,00 (norme L₂)" in text(result)


@pytest.mark.parametrize(
    ("wrong", "messages"),
    [
        (trompeuse_non_normalisee, ["le pas ne semble pas normalisé", "au lieu de η = 1"]),
        (
            trompeuse_sans_arrondi,
            ["le succès semble jugé sur l'image non arrondie", "arrondie à 8 bits, l'image renvoyée est classée"],
        ),
        (trompeuse_sans_arret, ["ne semble pas s'arrêter", "l'image change alors que la cible était déjà atteinte"]),
        (trompeuse_non_arrondie_a_la_fin, ["n'est pas arrondie à 8 bits"]),
        (trompeuse_en_place, ["a été modifié en place"]),
    ],
    ids=lambda v: getattr(v, "__name__", "")[:30],
)
def test_fooling_wrong_answers_are_caught_with_their_message(tiny_only, wrong, messages):
    result = checks.fooling(wrong)
    assert result.status == "failed", text(result)
    for message in messages:
        assert message in failed_lines(result), text(result)


# --- the class visualisation step ----------------------------------------------------------------


def pas_montee(modele, z, cibles, pas, lam, *, signe=-1.0, carre=True, facteur=2.0, montee=1.0, moyenne=False):
    z = z.detach().clone().requires_grad_(True)
    scores = modele.forward_normalized(z).gather(1, cibles.view(-1, 1))[:, 0]
    if facteur != 2.0:  # the penalty's gradient written by hand
        (g,) = torch.autograd.grad(scores.sum(), z)
        g = g - facteur * lam * z
    else:
        norme = z.pow(2).flatten(1).sum(dim=1)
        objectif = scores + signe * lam * (norme if carre else norme.sqrt())
        (g,) = torch.autograd.grad(objectif.mean() if moyenne else objectif.sum(), z)
    return (z + montee * pas * g).detach()


def pas_juste(modele, z, cibles, pas, lam):
    return pas_montee(modele, z, cibles, pas, lam)


def pas_penalite_ajoutee(modele, z, cibles, pas, lam):
    return pas_montee(modele, z, cibles, pas, lam, signe=1.0)


def pas_norme_non_carree(modele, z, cibles, pas, lam):
    return pas_montee(modele, z, cibles, pas, lam, carre=False)


def pas_sans_facteur_deux(modele, z, cibles, pas, lam):
    return pas_montee(modele, z, cibles, pas, lam, facteur=1.0)


def pas_descente(modele, z, cibles, pas, lam):
    return pas_montee(modele, z, cibles, pas, lam, montee=-1.0)


def pas_moyenne(modele, z, cibles, pas, lam):
    return pas_montee(modele, z, cibles, pas, lam, moyenne=True)


def pas_attache(modele, z, cibles, pas, lam):
    z = z.detach().clone().requires_grad_(True)
    objectif = modele.forward_normalized(z).gather(1, cibles.view(-1, 1)).sum() - lam * z.pow(2).sum()
    (g,) = torch.autograd.grad(objectif, z)
    return z + pas * g


def test_step_stub_is_reported_as_not_written(tiny_only):
    assert checks.class_visualization_step(stub).status == NOT_IMPLEMENTED


def test_step_right_answer_passes(tiny_only):
    result = checks.class_visualization_step(pas_juste)
    assert result.status == PASSED, text(result)


@pytest.mark.parametrize(
    ("wrong", "messages"),
    [
        (pas_penalite_ajoutee, ["la pénalité semble ajoutée", "l'objectif L = ỹ_c − λ‖z‖₂² baisse"]),
        (pas_norme_non_carree, ["c'est la norme au carré"]),
        (pas_sans_facteur_deux, ["n'oubliez pas le facteur 2"]),
        (pas_descente, ["vous semblez descendre le gradient", "l'objectif L = ỹ_c − λ‖z‖₂² baisse"]),
        (pas_moyenne, ["dérivez leur somme"]),
        (pas_attache, ["encore attaché au graphe de calcul"]),
    ],
    ids=lambda v: getattr(v, "__name__", "")[:30],
)
def test_step_wrong_answers_are_caught_with_their_message(tiny_only, wrong, messages):
    result = checks.class_visualization_step(wrong)
    assert result.status == "failed", text(result)
    for message in messages:
        assert message in failed_lines(result), text(result)


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
    checks.saliency(carte)
    checks.fooling(trompeuse_juste)
    checks.class_visualization_step(pas_juste)
    assert torch.equal(torch.get_rng_state(), state)


def test_checks_validate_their_arguments(tiny_only):
    with pytest.raises(tp8.InputError, match="give the function to check"):
        checks.saliency("carte")
    with pytest.raises(tp8.InputError, match="lr must be a finite number > 0"):
        checks.fooling(trompeuse_juste, lr=-1)
    with pytest.raises(tp8.InputError, match="max_iter must be an integer ≥ 1"):
        checks.fooling(trompeuse_juste, max_iter=0)
    with pytest.raises(tp8.InputError, match="l2_reg must be a finite number ≥ 0"):
        checks.class_visualization_step(pas_juste, l2_reg=float("nan"))
    with pytest.raises(tp8.InputError, match="seed must be an integer"):
        checks.class_visualization_step(pas_juste, seed=-3)
    with pytest.raises(tp8.InputError, match="model must be a tp8 Classifier"):
        checks.saliency(carte, model=torch.nn.Linear(2, 2))


def test_results_are_recorded_for_the_build(tiny_only):
    before = len(checks.results())
    checks.saliency(stub)
    checks.saliency(carte)
    recorded = checks.results()[before:]
    assert [r["status"] for r in recorded] == [NOT_IMPLEMENTED, PASSED]
    assert all(r["function"] in ("stub", "carte") and r["verdict"] for r in recorded)


def test_result_displays_as_text_and_html(tiny_only):
    passed, wrong, todo = checks.saliency(carte), checks.saliency(carte_sans_valeur_absolue), checks.saliency(stub)
    assert 'class="admonition success' in passed._repr_html_()
    assert 'class="admonition failure' in wrong._repr_html_()
    assert 'class="admonition info' in todo._repr_html_()
    assert "<code>carte_sans_valeur_absolue</code>" in wrong._repr_html_()
    assert repr(wrong) == "<CheckResult carte_sans_valeur_absolue: failed>"
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
        checks.use(carte_en_erreur, checks.saliency)(model, images, torch.tensor([0, 1]))
    with pytest.raises(tp8.InputError):
        checks.use(carte, "tp8.saliency_map")


def test_use_with_a_plain_reference_function():
    model = checks._mini_model("cpu")
    image = checks._mini_images("cpu")[:1]
    out = checks.use(stub, checks.reference_fooling)(model, image, 3, 0.2, 50)
    assert torch.equal(out, tp8.fooling_image(model, image, 3, lr=0.2, max_iter=50, progress=False).images)


# --- with the real network -----------------------------------------------------------------------


def test_right_answers_pass_on_squeezenet(squeezenet):
    for check, answer in (
        (checks.saliency, carte),
        (checks.fooling, trompeuse_juste),
        (checks.class_visualization_step, pas_juste),
    ):
        result = check(answer, squeezenet)
        assert result.status == PASSED, text(result)
        assert "SqueezeNet 1.1" in text(result)
        assert "seulement" not in result.verdict


def test_default_real_network_is_squeezenet_when_its_weights_are_found(squeezenet):
    result = checks.saliency(carte)
    assert "SqueezeNet 1.1, photo « chelsea »" in text(result) and result.passed


def test_wrong_answers_fail_on_squeezenet_too(squeezenet):
    saliency = checks.saliency(carte_sans_valeur_absolue, squeezenet)
    assert any("photo « chelsea »" in line for line in saliency.failures), text(saliency)
    fooling = checks.fooling(trompeuse_sans_arrondi, squeezenet)
    assert any("goldfish : écart à la référence" in line for line in fooling.failures), text(fooling)
    step = checks.class_visualization_step(pas_penalite_ajoutee, squeezenet)
    assert any("classe flamingo : écart" in line for line in step.failures), text(step)
