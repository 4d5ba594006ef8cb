"""Class visualisation: jitter, blur, and the ascent itself on small models."""

import pytest
import torch

import tp8
from tests.conftest import linear_classifier


def test_jitter_is_undone_exactly():
    x = torch.rand(2, 3, 17, 23, generator=torch.Generator().manual_seed(0))
    for dx, dy in [(0, 0), (5, -3), (-16, 16), (40, 7)]:
        moved = tp8.jitter(x, dx, dy)
        assert torch.equal(tp8.jitter(moved, -dx, -dy), x)
    assert torch.equal(tp8.jitter(x, 1, 0)[..., 1:], x[..., :-1])  # dx moves right
    assert torch.equal(tp8.jitter(x, 0, 1)[..., 1:, :], x[..., :-1, :])  # dy moves down


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.5])
def test_blur_keeps_the_mean_and_constant_images(sigma):
    x = torch.rand(2, 3, 32, 40, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    blurred = tp8.gaussian_blur(x, sigma)
    assert blurred.shape == x.shape
    assert torch.allclose(blurred.mean(dim=(2, 3)), x.mean(dim=(2, 3)), atol=1e-12)
    assert blurred.std() < x.std()  # it does smooth
    flat = torch.full((1, 3, 9, 9), 0.3, dtype=torch.float64)
    assert torch.allclose(tp8.gaussian_blur(flat, sigma), flat)


def test_the_objective_increases():
    model = linear_classifier(num_classes=4, size=8)
    result = tp8.class_visualization(
        model, 2, lr=0.01, l2_reg=1e-2, num_iterations=30, blur_every=0, max_jitter=0, image_size=8, progress=False
    )
    objective = result.objective[:, 0]
    assert objective.shape == (31,)
    assert bool((objective[1:] >= objective[:-1] - 1e-5).all()), objective
    assert objective[-1] > objective[0] + 1


def test_images_are_valid_pixels_seeded_and_batched(trained_cnn):
    kwargs = {"num_iterations": 12, "image_size": 16, "max_jitter": 3, "blur_every": 4, "progress": False}
    a = tp8.class_visualization(trained_cnn, ["red", "blue"], seed=3, **kwargs)
    b = tp8.class_visualization(trained_cnn, ["red", "blue"], seed=3, **kwargs)
    c = tp8.class_visualization(trained_cnn, ["red", "blue"], seed=4, **kwargs)
    assert a.images.shape == (2, 3, 16, 16)
    assert float(a.images.min()) >= 0 and float(a.images.max()) <= 1
    assert torch.equal(a.images, b.images)
    assert not torch.equal(a.images, c.images)
    assert a.target.tolist() == [0, 2]
    assert a.probabilities.shape == (13, 2)
    assert [t for t, _ in a.snapshots] == [0, 12]


def test_visualisation_raises_the_class_on_a_trained_cnn(trained_cnn):
    result = tp8.class_visualization(
        trained_cnn, ["red", "green", "blue"], num_iterations=60, image_size=16, progress=False
    )
    assert bool((result.final_probability > 0.9).all()), result.final_probability
    # The red class is made by reddening the image: its red channel ends up above the others.
    red = result.images[0]
    assert red[0].mean() > red[1].mean() and red[0].mean() > red[2].mean()


def test_starting_from_an_image(trained_cnn):
    start = trained_cnn.test_images[0]
    zero_steps = tp8.class_visualization(trained_cnn, "green", init_img=start, num_iterations=0, progress=False)
    assert torch.allclose(zero_steps.images[0], start, atol=1e-6)
    moved = tp8.class_visualization(trained_cnn, "green", init_img=start, num_iterations=10, progress=False)
    assert moved.images.shape == (1, 3, 16, 16)
    assert not torch.allclose(moved.images[0], start)
    with pytest.raises(tp8.InputError):
        tp8.class_visualization(trained_cnn, "green", init_img=start * 4, progress=False)


def test_yosinski_clipping_resets_pixels_to_the_mean_image(trained_cnn):
    result = tp8.class_visualization(
        trained_cnn, "red", num_iterations=3, image_size=16, clip_norm_percentile=50, blur_every=0, progress=False
    )
    mean = trained_cnn.mean[0, :, 0, 0]
    at_mean = torch.isclose(result.images[0], mean[:, None, None].expand(3, 16, 16), atol=1e-6).all(dim=0)
    assert at_mean.float().mean() >= 0.45
    contrib = tp8.class_visualization(
        trained_cnn, "red", num_iterations=3, image_size=16, clip_contribution_percentile=50, progress=False
    )
    assert contrib.images.shape == (1, 3, 16, 16)


def test_snapshots_every_k_steps(trained_cnn):
    result = tp8.class_visualization(trained_cnn, 1, num_iterations=10, snapshot_every=4, image_size=16, progress=False)
    assert [t for t, _ in result.snapshots] == [0, 4, 8, 10]
