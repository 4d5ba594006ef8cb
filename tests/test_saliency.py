"""Saliency maps against a hand-computable oracle: a linear model's gradient is its weight row."""

import pytest
import torch

import tp8
from tests.conftest import linear_classifier


def test_linear_model_saliency_is_abs_weight_maxed_over_channels():
    model = linear_classifier(identity_norm=True)
    images = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    targets = [0, 3, 1, 4]
    maps = tp8.saliency_map(model, images, targets)
    weight = model.net[1].weight.view(5, 3, 8, 8)
    for k, c in enumerate(targets):
        assert torch.allclose(maps[k], weight[c].abs().amax(dim=0))


def test_normalisation_inside_the_model_is_part_of_the_gradient():
    # With ImageNet normalisation, ∂ỹ/∂x = w / std (per channel): pixel space is explicit.
    model = linear_classifier()
    images = torch.rand(2, 3, 8, 8)
    maps = tp8.saliency_map(model, images, 2)
    weight = model.net[1].weight.view(5, 3, 8, 8)[2] / model.std[0]
    assert torch.allclose(maps[0], weight.abs().amax(dim=0), atol=1e-6)
    assert torch.allclose(maps[1], maps[0])  # a linear model's gradient does not depend on x


def test_default_target_is_the_predicted_class_and_names_work():
    model = linear_classifier(identity_norm=True)
    images = torch.rand(3, 3, 8, 8)
    predicted = model(images).argmax(1)
    assert torch.equal(tp8.saliency_map(model, images), tp8.saliency_map(model, images, predicted))
    assert torch.equal(tp8.saliency_map(model, images, "class 2"), tp8.saliency_map(model, images, [2, 2, 2]))


def test_batch_equals_one_at_a_time_and_single_image_shape(trained_cnn):
    images = trained_cnn.test_images[:5]
    batch = tp8.saliency_map(trained_cnn, images)
    for k in range(5):
        single = tp8.saliency_map(trained_cnn, images[k])
        assert single.shape == (16, 16)
        assert torch.allclose(single, batch[k], atol=1e-6)


def test_no_gradient_left_on_model_or_input(trained_cnn):
    images = trained_cnn.test_images[:3].clone()
    tp8.saliency_map(trained_cnn, images)
    assert images.grad is None and not images.requires_grad
    assert all(p.grad is None and not p.requires_grad for p in trained_cnn.parameters())


def test_one_forward_and_one_backward_for_the_whole_batch(trained_cnn):
    calls = []
    handle = trained_cnn.net.register_forward_hook(lambda *a: calls.append(1))
    try:
        tp8.saliency_map(trained_cnn, trained_cnn.test_images[:8])
    finally:
        handle.remove()
    assert len(calls) == 1


@pytest.mark.parametrize(
    "bad, message",
    [
        (torch.rand(2, 8, 8), "shaped"),
        (torch.rand(1, 3, 8, 8) * 3 - 1, r"\[0, 1\]"),
        (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), "floating point"),
    ],
)
def test_bad_images_get_a_clear_error(bad, message):
    with pytest.raises(tp8.InputError, match=message):
        tp8.saliency_map(linear_classifier(), bad)


def test_unknown_class_name_lists_the_closest():
    with pytest.raises(tp8.UnknownClassError, match="closest: 'class 1'"):
        tp8.saliency_map(linear_classifier(), torch.rand(1, 3, 8, 8), "clas 1")
