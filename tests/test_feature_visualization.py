"""Feature visualisation: each ingredient on its own, then the ascent on small and real networks."""

import importlib
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tp8
from tests.conftest import linear_classifier, weights_dir

fv = importlib.import_module("tp8.feature_visualization")  # the module (tp8.feature_visualization is the function)

FAST = {"num_iterations": 20, "image_size": 16, "pad": 2, "jitter": 2, "snapshot_every": 5, "progress": False}


# --- the Fourier parameterisation ------------------------------------------------------------------


@pytest.mark.parametrize("size", [(16, 16), (15, 22), (9, 7)])
def test_fourier_round_trip_is_exact(size):
    g = torch.Generator().manual_seed(0)
    image = torch.randn(2, 3, *size, generator=g, dtype=torch.float64)
    coefficients = fv.image_to_fourier(image)
    assert coefficients.shape == (2, 3, size[0], size[1] // 2 + 1, 2)
    assert torch.allclose(fv.fourier_to_image(coefficients, size), image, atol=1e-12)  # image → θ → image
    again = fv.image_to_fourier(fv.fourier_to_image(coefficients, size))
    assert torch.allclose(again, coefficients, atol=1e-12)  # θ → image → θ
    # Arbitrary coefficients have a part the image cannot hold (the imaginary part of self-conjugate
    # frequencies); one round trip removes it and a second one changes nothing.
    noise = torch.randn(coefficients.shape, generator=g, dtype=torch.float64)
    projected = fv.image_to_fourier(fv.fourier_to_image(noise, size))
    assert torch.allclose(fv.fourier_to_image(projected, size), fv.fourier_to_image(noise, size), atol=1e-12)
    assert torch.allclose(fv.image_to_fourier(fv.fourier_to_image(projected, size)), projected, atol=1e-12)


def radial_power_slope(images: np.ndarray) -> float:
    """Slope of log(power) against log(f) of the radially averaged power spectrum, f in (4/N, 0.4)."""
    n = images.shape[-1]
    power = (np.abs(np.fft.fft2(images)) ** 2).reshape(-1, n, n).mean(axis=0)
    fy, fx = np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij")
    radius = np.sqrt(fx**2 + fy**2)
    edges = np.geomspace(4 / n, 0.4, 25)
    centres, means = [], []
    for lo, hi in itertools.pairwise(edges):
        ring = (radius >= lo) & (radius < hi)
        centres.append(np.sqrt(lo * hi))
        means.append(power[ring].mean())
    return float(np.polyfit(np.log(centres), np.log(means), 1)[0])


@pytest.mark.parametrize("decay_power, slope", [(1.0, -2.0), (0.5, -1.0), (0.0, 0.0)])
def test_white_noise_parameters_give_a_one_over_f_spectrum(decay_power, slope):
    g = torch.Generator().manual_seed(0)
    theta = torch.randn(8, 3, 128, 65, 2, generator=g, dtype=torch.float64)
    images = fv.fourier_to_image(theta, (128, 128), decay_power).numpy()
    assert radial_power_slope(images) == pytest.approx(slope, abs=0.08)
    # The scale is normalised: unit white noise gives unit pixel variance, whatever the size.
    assert images.var() == pytest.approx(1.0, rel=0.1)


def test_spectrum_slope_measures_the_exponent():
    g = torch.Generator().manual_seed(2)
    noise = torch.rand(4, 3, 64, 64, generator=g, dtype=torch.float64)
    assert torch.allclose(fv.spectrum_slope(noise), torch.zeros(4, dtype=torch.float64), atol=0.15)
    theta = torch.randn(4, 1, 128, 65, 2, generator=g, dtype=torch.float64)
    pink = fv.fourier_to_image(theta, (128, 128)).expand(-1, 3, -1, -1)
    slopes = fv.spectrum_slope(pink)
    assert torch.allclose(slopes, torch.full_like(slopes, -2.0), atol=0.2)
    assert fv.spectrum_slope(pink).mean().item() == pytest.approx(radial_power_slope(pink[:, 0].numpy()), abs=0.1)
    with pytest.raises(tp8.InputError, match="square"):
        fv.spectrum_slope(torch.zeros(1, 3, 8, 9))


def test_fourier_scale_normalisation_holds_for_odd_sizes():
    g = torch.Generator().manual_seed(1)
    theta = torch.randn(64, 3, 33, 12, 2, generator=g, dtype=torch.float64)
    assert fv.fourier_to_image(theta, (33, 23)).var().item() == pytest.approx(1.0, rel=0.05)


def test_constant_term_gets_the_amplitude_of_the_lowest_frequency():
    scale = fv.fourier_scale(32, 32)
    assert scale[0, 0] == pytest.approx(scale[0, 1].item())  # f = 0 is treated as f = 1/32
    assert scale[0, 2] == pytest.approx(scale[0, 1].item() / 2)  # 1/f


# --- decorrelated colours ---------------------------------------------------------------------------


def test_colour_matrix_is_the_square_root_of_the_stated_covariance():
    m = torch.tensor(fv.IMAGENET_COLOR_SQRT, dtype=torch.float64)
    sigma = torch.tensor(fv.IMAGENET_COLOR_COVARIANCE, dtype=torch.float64)
    assert torch.allclose(m @ m.T, sigma, atol=1e-12)
    # An SVD square root U·diag(√λ): orthogonal columns (up to the two-decimal rounding), whose
    # squared norms are the eigenvalues of Σ.
    gram = m.T @ m
    assert (gram - torch.diag(gram.diagonal())).abs().max() < 1e-3
    eigenvalues = torch.linalg.eigvalsh(sigma).flip(0)
    assert torch.allclose(m.norm(dim=0) ** 2, eigenvalues, rtol=0.03)


def test_decorrelated_white_noise_has_imagenet_colour_covariance():
    g = torch.Generator().manual_seed(0)
    t = torch.randn(4, 3, 128, 128, generator=g, dtype=torch.float64)
    rgb = fv.decorrelated_to_rgb(t)
    sample = torch.cov(rgb.movedim(1, 0).reshape(3, -1))
    m = torch.tensor(fv.IMAGENET_COLOR_SQRT, dtype=torch.float64)
    expected = torch.tensor(fv.IMAGENET_COLOR_COVARIANCE, dtype=torch.float64) / m.norm(dim=0).max() ** 2
    assert torch.allclose(sample, expected, rtol=0.03, atol=2e-3)
    assert torch.allclose(fv.rgb_to_decorrelated(rgb), t, atol=1e-10)


def test_stated_covariance_matches_imagenet_photos(imagenet_val):
    paths, _ = imagenet_val
    photos = tp8.load_images(paths[:100])
    pixels = photos.movedim(1, 0).reshape(3, -1).double()
    measured = torch.corrcoef(pixels)
    sigma = torch.tensor(fv.IMAGENET_COLOR_COVARIANCE, dtype=torch.float64)
    d = sigma.diagonal().sqrt()
    stated = sigma / torch.outer(d, d)
    assert torch.allclose(measured, stated, atol=0.04), measured
    # and the variances are of the same size (within 25 %)
    assert torch.allclose(pixels.var(dim=1), sigma.diagonal(), rtol=0.25)


# --- transformations ------------------------------------------------------------------------------


def test_translate_shifts_exactly_and_fills_with_grey():
    x = torch.rand(2, 3, 12, 10, generator=torch.Generator().manual_seed(0))
    moved = fv.translate(x, 3, -2)
    assert moved.shape == x.shape
    assert torch.equal(moved[..., :-2, 3:], x[..., 2:, :-3])
    assert bool((moved[..., :3] == 0.5).all()) and bool((moved[..., -2:, :] == 0.5).all())
    assert torch.equal(fv.translate(x, 0, 0), x)


def test_pad_adds_a_grey_border():
    x = torch.rand(1, 3, 8, 9)
    padded = fv.pad(x, 3)
    assert padded.shape == (1, 3, 14, 15)
    assert torch.equal(padded[..., 3:-3, 3:-3], x)
    assert float(padded[..., :3, :].sub(0.5).abs().max()) == 0


def test_rotation_and_scale_are_the_right_geometry():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.allclose(fv.rotate(x, 90), torch.rot90(x, 1, dims=(-2, -1)), atol=1e-12)  # counter-clockwise
    wide = torch.rand(1, 3, 10, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert torch.allclose(fv.rotate(wide, 180), wide.flip(-2, -1), atol=1e-12)
    assert torch.equal(fv.rotate(x, 0), x) and torch.equal(fv.rescale(x, 1), x)
    # zoom × 2 about the centre: the central half, upsampled bilinearly
    up = F.interpolate(x[..., 4:12, 4:12], scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(fv.rescale(x, 2)[..., 2:-2, 2:-2], up[..., 2:-2, 2:-2], atol=1e-12)
    # zoom × 1/2: the border that comes in is grey
    assert torch.allclose(fv.rescale(x, 0.5)[..., 0, :], torch.full_like(x[..., 0, :], 0.5))


@pytest.mark.parametrize(
    "transform",
    [
        lambda x: fv.translate(x, 2, -1),
        lambda x: fv.rescale(x, 1.13),
        lambda x: fv.rotate(x, 7.5),
        lambda x: fv.pad(x, 2),
    ],
    ids=["translate", "rescale", "rotate", "pad"],
)
def test_each_transform_is_differentiable(transform):
    x = torch.rand(1, 2, 6, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(transform, (x,))


@pytest.mark.parametrize(
    "options", [{}, {"pad": 0}, {"jitter": 0}, {"scale": 0}, {"rotation": 0}, {"pad": 0, "jitter": 0}]
)
def test_random_transforms_are_seeded_and_differentiable(options):
    t = fv.RandomTransforms(**options)
    x = torch.rand(3, 3, 20, 20, generator=torch.Generator().manual_seed(0))
    a = t(x, torch.Generator().manual_seed(5))
    b = t(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert a.shape == (3, 3, 20 + 2 * t.pad, 20 + 2 * t.pad)  # only the padding changes the size
    outs = [t(x, torch.Generator().manual_seed(s)) for s in range(4)]
    assert any(not torch.equal(outs[0], o) for o in outs[1:])  # the draws do vary
    small = torch.rand(1, 1, 5, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda y: t(y, torch.Generator().manual_seed(3)), (small,))


def test_transform_settings_are_checked_and_converted():
    t = fv.RandomTransforms(pad=4.0, jitter=3.0)
    assert isinstance(t.pad, int) and isinstance(t.jitter, int)
    assert t(torch.rand(1, 3, 8, 8), torch.Generator().manual_seed(0)).shape == (1, 3, 16, 16)
    with pytest.raises(tp8.InputError, match="jitter"):
        fv.RandomTransforms(jitter=2.5)


def test_transforms_are_the_same_for_every_image_of_a_batch():
    t = fv.RandomTransforms()
    x = torch.rand(1, 3, 20, 20)
    both = t(torch.cat([x, x]), torch.Generator().manual_seed(2))
    assert torch.equal(both[0], both[1])
    assert torch.equal(both[:1], t(x, torch.Generator().manual_seed(2)))


def test_all_off_transforms_leave_the_image_alone():
    x = torch.rand(2, 3, 9, 9)
    t = fv.RandomTransforms(pad=0, jitter=0, scale=0, rotation=0)
    assert torch.equal(t(x, torch.Generator().manual_seed(0)), x)


# --- the ascent -------------------------------------------------------------------------------------


def test_the_objective_increases_on_a_small_model():
    model = linear_classifier(num_classes=4, size=8)
    off = {"pad": 0, "jitter": 0, "scale": 0, "rotation": 0}
    result = tp8.feature_visualization(model, 2, num_iterations=30, image_size=8, progress=False, **off)
    objective = result.objective[:, 0]
    assert objective.shape == (31,)
    assert objective[-1] > objective[0] + 1.0
    assert objective[-5:].mean() > objective[5:10].mean() > objective[:5].mean()


def test_pixels_stay_inside_the_unit_interval_without_clamping(trained_cnn):
    result = tp8.feature_visualization(trained_cnn, ["red", "plain"], lr=0.2, **{**FAST, "num_iterations": 40})
    for _, images in result.snapshots:
        assert float(images.min()) > 0 and float(images.max()) < 1


def test_raises_the_class_on_a_trained_cnn(trained_cnn):
    # The squares are pure red, green or blue: colours far from ImageNet's, which the decorrelated
    # colour map makes expensive (pure green lies along its weakest axes). Plain RGB here.
    options = {**FAST, "num_iterations": 60, "decorrelate": False}
    result = tp8.feature_visualization(trained_cnn, ["red", "green", "blue"], **options)
    assert bool((result.final_probability > 0.9).all()), result.final_probability
    red = result.images[0]
    assert red[0].mean() > red[1].mean() and red[0].mean() > red[2].mean()


@pytest.mark.parametrize(
    "options", [{}, {"fourier": False}, {"decorrelate": False}, {"objective": "logit"}, {"views": 3}]
)
def test_batching_several_targets_equals_one_at_a_time(trained_cnn, options):
    kwargs = {**FAST, **options, "seed": 7}
    batch = tp8.feature_visualization(trained_cnn, ["red", "blue", "green"], **kwargs)
    for k, cls in enumerate(["red", "blue", "green"]):
        alone = tp8.feature_visualization(trained_cnn, cls, **kwargs)
        assert torch.allclose(batch.images[k], alone.images[0], atol=1e-5)
        assert torch.allclose(batch.probabilities[:, k], alone.probabilities[:, 0], atol=1e-5)


def test_seeded_and_shaped(trained_cnn):
    a = tp8.feature_visualization(trained_cnn, ["red", "blue"], seed=3, **FAST)
    b = tp8.feature_visualization(trained_cnn, ["red", "blue"], seed=3, **FAST)
    c = tp8.feature_visualization(trained_cnn, ["red", "blue"], seed=4, **FAST)
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    assert a.images.shape == (2, 3, 16, 16) and a.target.tolist() == [0, 2]
    assert a.probabilities.shape == (21, 2) and a.objective.shape == (21, 2)
    assert [t for t, _ in a.snapshots] == [0, 5, 10, 15, 20]
    assert torch.equal(a.snapshots[-1][1], a.images)
    with torch.no_grad():  # the last row is measured on the final, untransformed images
        p = trained_cnn(a.images).softmax(1)[[0, 1], [0, 2]]
    assert torch.allclose(a.final_probability, p, atol=1e-6)


def test_no_gradient_is_left_behind(trained_cnn):
    result = tp8.feature_visualization(trained_cnn, "green", **FAST)
    assert all(p.grad is None and not p.requires_grad for p in trained_cnn.parameters())
    assert not result.images.requires_grad and result.images.grad_fn is None
    assert all(not s.requires_grad for _, s in result.snapshots)


@pytest.mark.parametrize("options", [{"fourier": False}, {"decorrelate": False}, {"decay_power": 0.0}])
def test_each_ingredient_can_be_switched_off(trained_cnn, options):
    result = tp8.feature_visualization(trained_cnn, "blue", **{**FAST, **options})
    assert result.images.shape == (1, 3, 16, 16)
    assert float(result.images.min()) > 0 and float(result.images.max()) < 1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"lr": 0}, "lr must be a finite number > 0"),
        ({"lr": float("nan")}, "lr must be"),
        ({"num_iterations": -1}, "num_iterations"),
        ({"num_iterations": 2.5}, "num_iterations"),
        ({"image_size": 4}, "image_size"),
        ({"objective": "probability"}, "objective must be one of"),
        ({"scale": 0.7}, "scale"),
        ({"rotation": -5}, "rotation"),
        ({"jitter": True}, "jitter"),
        ({"pad": -1}, "pad"),
        ({"init_std": 0}, "init_std"),
        ({"decay_power": math.inf}, "decay_power"),
        ({"seed": -3}, "seed"),
        ({"fourier": "yes"}, "fourier must be True or False"),
        ({"snapshot_every": -1}, "snapshot_every"),
        ({"views": 0}, "views"),
    ],
)
def test_bad_arguments_are_refused_at_entry(trained_cnn, options, message):
    with pytest.raises(tp8.InputError, match=message):
        tp8.feature_visualization(trained_cnn, "red", **{**FAST, **options})


def test_a_network_that_cannot_take_the_padded_size_is_refused_before_any_work():
    model = linear_classifier(num_classes=3, size=8)  # a fixed 8×8 input
    with pytest.raises(tp8.InputError, match="cannot classify the 12×12 images"):
        tp8.feature_visualization(model, 0, image_size=8, pad=2, progress=False)
    tp8.feature_visualization(model, 0, image_size=8, pad=0, jitter=1, num_iterations=2, progress=False)


def test_unknown_class_is_refused(trained_cnn):
    with pytest.raises(tp8.UnknownClassError):
        tp8.feature_visualization(trained_cnn, "purple", **FAST)


# --- the real network -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def squeezenet1_0():
    folder = weights_dir()
    if folder is None or not (folder / "squeezenet1_0.pth").is_file():
        pytest.skip("set TP8_WEIGHTS_DIR to a folder holding squeezenet1_0.pth to test transfer")
    return tp8.load_model("squeezenet1_0", progress=False)


def test_real_squeezenet_images_are_recognised_by_a_second_network(squeezenet, squeezenet1_0):
    classes = ["flamingo", "king penguin", "volcano"]
    result = tp8.feature_visualization(squeezenet, classes, snapshot_every=0, progress=False)
    assert bool((result.final_probability >= 0.9).all()), result.final_probability
    rows = result.rows(squeezenet1_0)
    in_top5 = sum(row["rank"] <= 5 for row in rows)
    assert in_top5 >= 2, rows
