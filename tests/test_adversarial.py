"""Fooling images, PGD and FGSM on a small trained CNN and on hand-built linear models."""

import pytest
import torch
from torch import nn

import tp8
from tp8.models import Classifier


def _on_8bit_grid(x: torch.Tensor) -> bool:
    return torch.equal(torch.round(x * 255) / 255, x)


@pytest.fixture(scope="module")
def attacked(trained_cnn):
    images = trained_cnn.test_images[:12]
    labels = trained_cnn.test_labels[:12]
    targets = (labels + 1) % 4
    result = tp8.fooling_image(trained_cnn, images, targets, lr=0.2, max_iter=200, progress=False)
    return images, targets, result


def test_fooling_reaches_its_target_even_after_8bit_rounding(trained_cnn, attacked):
    _, targets, result = attacked
    assert bool(result.success.all()), result.rows()
    assert _on_8bit_grid(result.images)
    # An independent check of what a saved PNG holds: the network says "target".
    assert torch.equal(trained_cnn(result.images).argmax(1), targets)
    assert torch.equal(result.predicted, targets)
    assert float(result.images.min()) >= 0 and float(result.images.max()) <= 1
    probs = trained_cnn.probabilities(result.images).gather(1, targets[:, None])[:, 0]
    assert torch.allclose(probs, result.target_prob, atol=1e-5)


def test_norms_are_those_of_the_perturbation(attacked):
    _, _, result = attacked
    delta = result.images - result.original
    assert torch.allclose(result.l2, delta.flatten(1).norm(dim=1))
    assert torch.allclose(result.linf_255, delta.flatten(1).abs().amax(1) * 255)
    # whole grey levels: the original is taken on the 8-bit grid too
    assert torch.allclose(result.linf_255, result.linf_255.round(), atol=1e-3)


def test_each_image_stops_on_its_own_and_batching_changes_nothing(trained_cnn, attacked):
    images, targets, result = attacked
    assert len(set(result.iterations.tolist())) > 1  # images finished at different steps
    for k in (0, 5, 11):
        alone = tp8.fooling_image(trained_cnn, images[k], int(targets[k]), lr=0.2, max_iter=200, progress=False)
        assert int(alone.iterations[0]) == int(result.iterations[k])
        assert torch.allclose(alone.images[0], result.images[k], atol=1 / 255 + 1e-6)


def test_rounding_that_undoes_the_attack_does_not_count():
    # Class 1 wins when the mean pixel exceeds 127.2/255. From a flat 127/255 image each step adds
    # 0.3 grey levels to every pixel: the unrounded image crosses after one step, but rounding
    # brings it back to 127 — only the second step (127.6 → 128) truly fools the network.
    n = 3 * 4 * 4
    linear = nn.Linear(n, 2)
    with torch.no_grad():
        linear.weight.zero_()
        linear.weight[1].fill_(1.0 / n)
        linear.bias.copy_(torch.tensor([127.2 / 255, 0.0]))
    model = Classifier(nn.Sequential(nn.Flatten(), linear), ["a", "b"], mean=(0, 0, 0), std=(1, 1, 1))
    x = torch.full((1, 3, 4, 4), 127 / 255)
    lr = 0.3 / 255 * n**0.5
    result = tp8.fooling_image(model, x, "b", lr=lr, max_iter=10, progress=False)
    assert bool(result.success[0])
    assert int(result.iterations[0]) == 2
    assert torch.allclose(result.images, torch.full_like(x, 128 / 255))


def test_a_target_whose_score_the_relu_zeroes_cannot_be_reached():
    # Scores after a final ReLU, as SqueezeNet's: class "b" has a negative pre-activation on this
    # image, so its score is exactly 0 and so is its gradient — eq. 2 has no direction to follow.
    # The log-probability still has one (it can lower class "a"), so the iterative method moves.
    n = 3 * 4 * 4
    linear = nn.Linear(n, 2)
    with torch.no_grad():
        linear.weight.fill_(1.0 / n)
        linear.bias.copy_(torch.tensor([0.0, -1.0]))
    model = Classifier(nn.Sequential(nn.Flatten(), linear, nn.ReLU()), ["a", "b"], mean=(0, 0, 0), std=(1, 1, 1))
    x = torch.full((1, 3, 4, 4), 128 / 255)
    assert model(x)[0, 1] == 0
    naive = tp8.fooling_image(model, x, "b", lr=0.5, max_iter=5, progress=False)
    assert not bool(naive.success[0])
    assert torch.equal(naive.images, naive.original)
    iterative = tp8.pgd_attack(model, x, "b", epsilon=4 / 255, max_iter=1, progress=False)
    assert not torch.equal(iterative.images, iterative.original)


def test_already_the_target_takes_no_step_and_failure_is_reported(trained_cnn):
    images = trained_cnn.test_images[:2]
    predicted = trained_cnn(images).argmax(1)
    same = tp8.fooling_image(trained_cnn, images, predicted, progress=False)
    assert same.iterations.tolist() == [0, 0] and bool(same.success.all())
    assert torch.equal(same.images, same.original)
    other = (predicted + 1) % 4
    none = tp8.fooling_image(trained_cnn, images, other, lr=1e-4, max_iter=2, progress=False)
    assert not bool(none.success.any())
    assert none.iterations.tolist() == [2, 2]
    assert torch.equal(none.predicted, predicted)


def test_pgd_stays_in_its_linf_budget_and_fgsm_takes_one_step(trained_cnn):
    images = trained_cnn.test_images[:8]
    targets = (trained_cnn.test_labels[:8] + 2) % 4
    eps = 6 / 255
    pgd = tp8.pgd_attack(trained_cnn, images, targets, epsilon=eps, step_size=1 / 255, max_iter=40, progress=False)
    assert float(pgd.linf.max()) <= eps + 1e-6
    assert _on_8bit_grid(pgd.images)
    ok = pgd.success
    assert torch.equal(trained_cnn(pgd.images[ok]).argmax(1), targets[ok])
    fast = tp8.fgsm(trained_cnn, images, targets, epsilon=eps)
    assert int(fast.iterations.max()) <= 1
    assert float(fast.linf.max()) <= eps + 1e-6


def test_selecting_some_results(attacked):
    _, targets, result = attacked
    assert len(result) == 12 and len(result[:3]) == 3 and len(result[5]) == 1
    picked = result[[0, 2]]
    assert torch.equal(picked.images, result.images[[0, 2]]) and torch.equal(picked.target, targets[[0, 2]])
    assert len(result[result.success]) == int(result.success.sum())


def test_rows_give_names_and_figures(trained_cnn, attacked):
    _, _, result = attacked
    rows = result.rows(trained_cnn)
    assert rows[0]["target"] in trained_cnn.categories
    assert set(rows[0]) >= {"iterations", "L2 (/255)", "Linf (/255)", "target prob", "success"}
    assert result.success_rate == 1.0


def test_attack_arguments_are_checked(trained_cnn):
    images = trained_cnn.test_images[:2]
    with pytest.raises(tp8.InputError, match="2 images"):
        tp8.fooling_image(trained_cnn, images, [0, 1, 2], progress=False)
    with pytest.raises(tp8.UnknownClassError, match="closest"):
        tp8.fooling_image(trained_cnn, images, "gren", progress=False)
    with pytest.raises(tp8.InputError, match=r"\[0, 1\]"):
        tp8.fooling_image(trained_cnn, images * 255, 0, progress=False)
