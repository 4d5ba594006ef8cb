"""The two checks of a map: model randomisation (Adebayo et al. 2018) and deletion/insertion (Petsiuk et al. 2018)."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
import torch
import torchvision
from scipy.stats import spearmanr
from torch import nn

import tp8
from tests.conftest import linear_classifier
from tp8.faithfulness import pixel_ranks
from tp8.models import Classifier
from tp8.sanity import randomization_blocks, randomize_block, rank_correlation


def state(model: Classifier) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def edge_detector(model, images, target):
    """A "method" that ignores the network: the Sobel gradient magnitude of the grey image."""
    grey = images.mean(dim=1, keepdim=True)
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]).view(1, 1, 3, 3)
    gx = nn.functional.conv2d(grey, kx, padding=1)
    gy = nn.functional.conv2d(grey, kx.transpose(2, 3), padding=1)
    return (gx**2 + gy**2).sqrt()[:, 0]


# --- rank correlation --------------------------------------------------------------------------


def test_rank_correlation_is_spearman_with_ties():
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 5, (3, 40), generator=g).float()  # many ties
    b = a + torch.randint(0, 3, (3, 40), generator=g).float()
    rho = rank_correlation(a, b)
    for i in range(3):
        assert float(rho[i]) == pytest.approx(spearmanr(a[i].numpy(), b[i].numpy())[0], abs=1e-6)
    assert torch.allclose(rank_correlation(a, a), torch.ones(3))
    assert torch.allclose(rank_correlation(a, -a), -torch.ones(3))
    assert torch.isnan(rank_correlation(torch.ones(1, 10), a[:1, :10])).all()  # a constant map: undefined
    with pytest.raises(tp8.InputError, match="same shape"):
        rank_correlation(a, b[:, :5])


# --- model randomisation -----------------------------------------------------------------------


def test_randomization_blocks_go_from_the_top_down():
    squeezenet = Classifier(torchvision.models.squeezenet1_1(), [str(i) for i in range(1000)], name="squeezenet1_1")
    assert randomization_blocks(squeezenet) == [
        "classifier.1",
        "features.12",
        "features.11",
        "features.10",
        "features.9",
        "features.7",
        "features.6",
        "features.4",
        "features.3",
        "features.0",
    ]
    resnet = Classifier(torchvision.models.resnet18(), [str(i) for i in range(1000)], name="resnet18")
    assert randomization_blocks(resnet)[:3] == ["fc", "layer4.1", "layer4.0"]
    assert randomization_blocks(resnet)[-2:] == ["bn1", "conv1"]


def test_randomization_never_changes_the_callers_model(trained_cnn):
    before = state(trained_cnn)
    result = tp8.model_randomization(trained_cnn, trained_cnn.test_images[:4], ["gradient", "gradcam"], progress=False)
    after = trained_cnn.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert all(not p.requires_grad and p.grad is None for p in trained_cnn.parameters())
    assert result.blocks == ["7", "3", "0"] and result.correlation["gradient"].shape == (4, 4)


def test_an_edge_detector_survives_randomisation_the_check_works(trained_cnn):
    x = trained_cnn.test_images[:4]
    result = tp8.model_randomization(
        trained_cnn, x, {"edges": edge_detector, "gradient": "gradient"}, progress=False, seed=1
    )
    # The map that ignores the network does not change: ρ = 1 at every step…
    torch.testing.assert_close(result.correlation["edges"], torch.ones(4, 4))
    # …while the gradient, which depends on the weights, is no longer the same map once they are random.
    assert torch.allclose(result.correlation["gradient"][0], torch.ones(4))
    assert float(result.correlation["gradient"][-1].mean()) < 0.5, result.correlation["gradient"]


def test_the_cascade_randomises_one_more_block_at_each_step(trained_cnn):
    trained = state(trained_cnn)
    seen = []

    def spy(model, images, target):
        current = model.state_dict()
        seen.append(
            {k.split(".")[1] for k in current if k.startswith("net.") and not torch.equal(current[k], trained[k])}
        )
        return tp8.input_gradient(model, images, target)

    result = tp8.model_randomization(trained_cnn, trained_cnn.test_images[:2], {"spy": spy}, progress=False)
    assert seen == [set(), {"7"}, {"7", "3"}, {"7", "3", "0"}]
    assert result.steps == ["—", "7", "3", "0"]


def test_a_map_that_becomes_constant_is_left_out_of_the_mean(trained_cnn):
    calls = []

    def vanishing(model, images, target):  # the trained map, then image 1's map all zeros (a dead score, say)
        calls.append(1)
        maps = tp8.input_gradient(model, images, target).maps.clone()
        if len(calls) > 1:
            maps[1] = 0
        return maps

    result = tp8.model_randomization(trained_cnn, trained_cnn.test_images[:3], {"v": vanishing}, progress=False)
    rho, constant = result.correlation["v"], result.constant["v"]
    assert torch.equal(constant[0], torch.zeros(3, dtype=torch.bool))
    assert bool(constant[1:, 1].all()) and not bool(constant[1:, [0, 2]].any())
    # Undefined, not 0: a degenerate map says nothing about the method, and the mean is over the others.
    assert bool(torch.isnan(rho[1:, 1]).all()) and bool(torch.isfinite(rho[:, [0, 2]]).all())
    torch.testing.assert_close(result.mean()["v"], rho[:, [0, 2]].mean(dim=1))
    assert result.degenerate()["v"].tolist() == [0, 1, 1, 1]
    assert bool((rho[1:, [0, 2]] != 0).all()), "the live maps are compared as they are"


def test_randomised_weights_keep_the_scale_and_follow_the_seed(trained_cnn):
    nets = []
    for seed in (0, 0, 1):
        net = copy.deepcopy(trained_cnn.net)
        randomize_block(net, "3", torch.Generator().manual_seed(seed))
        nets.append(net)
    w0, w0_again, w1 = (net[3].weight for net in nets)
    trained = trained_cnn.net[3].weight
    assert torch.equal(w0, w0_again) and not torch.equal(w0, w1)
    assert not torch.allclose(w0, trained)
    assert float(w0.std()) == pytest.approx(float(trained.std()), rel=0.15)  # the scale of the layer is kept
    assert torch.equal(nets[0][0].weight, trained_cnn.net[0].weight)  # the other blocks are untouched


def test_randomization_result_protocol_and_maps(trained_cnn):
    sg = functools.partial(tp8.smoothgrad, n_samples=2, progress=False)
    result = tp8.model_randomization(
        trained_cnn, trained_cnn.test_images[:3], {"sg": sg, "cam": "gradcam"}, keep_maps=True, progress=False
    )
    assert len(result) == 3 and result.methods == ["sg", "cam"]
    assert result.maps["sg"].shape == (4, 3, 16, 16)
    one = result[1]
    assert isinstance(one, tp8.RandomizationResult) and len(one) == 1
    assert torch.equal(one.correlation["cam"][:, 0], result.correlation["cam"][:, 1])
    assert one.maps["sg"].shape == (4, 1, 16, 16)
    assert len(result[torch.tensor([True, False, True])]) == 2
    assert result.mean()["sg"].shape == (4,)
    rows = result.rows(trained_cnn)
    assert len(rows) == 3 and {"class", "sg: ρ at the end", "cam: mean ρ"} <= rows[0].keys()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"methods": ["lime"]}, "unknown attribution method 'lime'"),
        ({"methods": {"x": 3}}, "must be a method name or a function"),
        ({"methods": []}, "at least one method"),
        ({"blocks": ["9"]}, "no block '9'"),
        ({"seed": -2}, "seed"),
        ({"methods": {"bad": lambda m, x, t: x}}, r"must return 2 maps shaped \(N, H, W\)"),
    ],
)
def test_randomization_bad_arguments(trained_cnn, kwargs, message):
    with pytest.raises(tp8.InputError, match=message):
        tp8.model_randomization(trained_cnn, trained_cnn.test_images[:2], progress=False, **kwargs)


def test_randomization_on_the_real_squeezenet(squeezenet):
    before = state(squeezenet)
    x = tp8.sample_images(["coffee"])[0].image
    result = tp8.model_randomization(
        squeezenet, x, {"edges": edge_detector, "gradient": "gradient", "gradcam": "gradcam"}, progress=False
    )
    assert all(torch.equal(before[k], v) for k, v in squeezenet.state_dict().items())
    assert len(result.blocks) == 10
    torch.testing.assert_close(result.correlation["edges"], torch.ones(11, 1))
    live = ~result.constant["gradcam"][:, 0]
    assert float(result.correlation["gradcam"][live, 0][-1]) < 0.5  # Grad-CAM depends on the weights it reads
    assert not bool(result.constant["gradcam"][0, 0])
    # ρ is NaN exactly where a map became constant (undefined, left out of the mean).
    for name in ("gradient", "gradcam"):
        assert torch.equal(torch.isnan(result.correlation[name]), result.constant[name])


# --- deletion and insertion ----------------------------------------------------------------------


class ConstantNet(nn.Module):
    """Logits that do not depend on the image."""

    def __init__(self):
        super().__init__()
        self.register_buffer("logits", torch.tensor([0.5, 2.0, -1.0]))

    def forward(self, z):
        return self.logits.expand(z.shape[0], -1)


def test_the_random_order_deletion_curve_of_a_constant_model_is_flat():
    model = Classifier(ConstantNet(), ["a", "b", "c"], name="constant")
    x = torch.rand(3, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    result = tp8.deletion(model, x, "random", steps=10, progress=False)
    expected = torch.softmax(torch.tensor([0.5, 2.0, -1.0]), 0)[1]
    torch.testing.assert_close(result.probabilities, torch.full((3, 11), float(expected)))
    torch.testing.assert_close(result.auc, torch.full((3,), float(expected)))
    assert result.order == "random"
    assert torch.equal(result.fractions, torch.tensor([round(t * 144 / 10) for t in range(11)]) / 144)


def test_deletion_of_a_linear_model_removes_the_contributions_in_order():
    # ỹ_c = Σ w·x + b: deleting (blacking out) a pixel removes exactly its contribution Σ_k w_k x_k.
    model = linear_classifier(size=6, identity_norm=True)
    x = torch.rand(2, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    ig = tp8.integrated_gradients(model, x, [1, 3], steps=4, progress=False)  # contribution of each pixel
    result = tp8.deletion(model, x, ig, steps=9, progress=False)
    assert torch.equal(result.target, torch.tensor([1, 3])) and result.order == "ig"
    for k in range(2):
        contributions = ig.maps[k].flatten().sort(descending=True).values
        removed = torch.cat([torch.zeros(1), contributions.cumsum(0)])[(result.fractions * 36).round().long()]
        torch.testing.assert_close(result.scores[k], ig.score[k] - removed, rtol=1e-5, atol=1e-5)
    # Removing the most positive contributions first lowers the score faster than any other order.
    rand = tp8.deletion(model, x, "random", [1, 3], steps=9, progress=False)
    assert bool((result.scores[:, 1:-1] <= rand.scores[:, 1:-1] + 1e-5).all())


def test_curves_start_and_end_where_they_should(trained_cnn):
    x = trained_cnn.test_images[:4]
    cam = tp8.grad_cam(trained_cnn, x)
    probs = trained_cnn.probabilities(x).gather(1, cam.target.view(-1, 1))[:, 0]
    black = trained_cnn.probabilities(torch.zeros_like(x)).gather(1, cam.target.view(-1, 1))[:, 0]
    blurred = trained_cnn.probabilities(tp8.attribution.base.blur(x, 2.0)).gather(1, cam.target.view(-1, 1))[:, 0]
    d = tp8.deletion(trained_cnn, x, cam, steps=8, progress=False)
    i = tp8.insertion(trained_cnn, x, cam, steps=8, blur_sigma=2.0, progress=False)
    torch.testing.assert_close(d.probabilities[:, 0], probs)
    torch.testing.assert_close(d.probabilities[:, -1], black)
    torch.testing.assert_close(i.probabilities[:, 0], blurred)
    torch.testing.assert_close(i.probabilities[:, -1], probs)
    assert d.baseline_kind == "black" and i.baseline_kind == "blur" and i.mode == "insertion"
    torch.testing.assert_close(d.auc, torch.trapezoid(d.probabilities, d.fractions.expand(4, -1), dim=1))


def test_a_map_that_points_at_the_object_beats_the_random_order(trained_cnn):
    # The coloured square decides the class: removing the pixels Grad-CAM ranks first kills the class faster.
    x = trained_cnn.test_images[trained_cnn.test_labels < 3][:8]
    cam = tp8.grad_cam(trained_cnn, x)
    ours = tp8.deletion(trained_cnn, x, cam, steps=16, progress=False)
    rand = tp8.deletion(trained_cnn, x, "random", cam.target, steps=16, progress=False)
    assert ours.mean_auc < rand.mean_auc, (ours.mean_auc, rand.mean_auc)
    assert (
        tp8.insertion(trained_cnn, x, cam, steps=16, blur_sigma=2.0, progress=False).mean_auc
        > tp8.insertion(trained_cnn, x, "random", cam.target, steps=16, blur_sigma=2.0, progress=False).mean_auc
    )


@pytest.mark.parametrize("mode", ["deletion", "insertion"])
def test_curves_batched_equal_one_at_a_time_and_chunked(trained_cnn, mode):
    run = getattr(tp8, mode)
    x = trained_cnn.test_images[:3]
    grad = tp8.input_gradient(trained_cnn, x)
    for maps in (grad, "random"):
        whole = run(trained_cnn, x, maps, grad.target, steps=6, blur_sigma=2.0, progress=False)
        chunked = run(trained_cnn, x, maps, grad.target, steps=6, blur_sigma=2.0, batch_size=4, progress=False)
        torch.testing.assert_close(chunked.probabilities, whole.probabilities)
        for k in range(3):
            single_maps = grad[k] if maps != "random" else "random"
            one = run(trained_cnn, x[k], single_maps, int(grad.target[k]), steps=6, blur_sigma=2.0, progress=False)
            torch.testing.assert_close(one.probabilities[0], whole.probabilities[k])


def test_curves_on_given_fractions(trained_cnn):
    x = trained_cnn.test_images[:3]
    grid = [0, 0.01, 0.05, 0.2, 0.6, 1]
    result = tp8.deletion(trained_cnn, x, "random", fractions=grid, progress=False)
    assert result.probabilities.shape == (3, 6)
    torch.testing.assert_close(result.fractions, torch.tensor([round(f * 256) / 256 for f in grid]))
    uniform = tp8.deletion(trained_cnn, x, "random", steps=4, progress=False)
    same = tp8.deletion(trained_cnn, x, "random", fractions=[0, 0.25, 0.5, 0.75, 1], progress=False)
    torch.testing.assert_close(same.probabilities, uniform.probabilities)
    for bad in ([0, 0.5], [0.1, 1], [0, 0.5, 0.5, 1], [0, 1.5, 1], "0,1", 3):
        with pytest.raises(tp8.InputError, match="fractions must be"):
            tp8.deletion(trained_cnn, x, "random", fractions=bad, progress=False)


def test_pixel_ranks_put_the_largest_first_and_break_ties_by_position():
    ranks = pixel_ranks(torch.tensor([[[0.1, 0.9], [0.5, 0.5]]]))
    assert ranks.tolist() == [[3, 0, 1, 2]]


def test_faithfulness_result_protocol(trained_cnn):
    x = trained_cnn.test_images[:4]
    result = tp8.deletion(trained_cnn, x, tp8.input_gradient(trained_cnn, x), steps=4, progress=False)
    assert len(result) == 4 and type(result[1]) is tp8.FaithfulnessResult and len(result[[0, 2]]) == 2
    assert torch.equal(result[torch.tensor([True, False, False, True])].auc, result.auc[[0, 3]])
    rows = result.rows(trained_cnn)
    assert len(rows) == 4 and rows[0]["mode"] == "deletion" and rows[0]["order"] == "gradient"
    assert np.isclose(result.mean_auc, float(result.auc.mean()))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps must be an integer ≥ 1"),
        ({"steps": 2.5}, "steps must be an integer"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"maps": "gradient"}, "'random'"),
        ({"maps": torch.rand(2, 8, 8)}, r"maps must be shaped \(2, 16, 16\)"),
        ({"maps": torch.full((2, 16, 16), float("nan"))}, "NaN"),
        ({"maps": [1, 2]}, "not list"),
        ({"baseline": "grey"}, "'black', 'blur'"),
    ],
)
def test_faithfulness_bad_arguments(trained_cnn, kwargs, message):
    args = {"maps": "random", **kwargs}
    maps = args.pop("maps")
    with pytest.raises(tp8.InputError, match=message):
        tp8.deletion(trained_cnn, trained_cnn.test_images[:2], maps, progress=False, **args)
