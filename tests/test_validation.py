"""Every numeric argument of the public API is checked where it enters (tp8._validate).

Each bad value stops at once with a :class:`tp8.InputError` (still a ``ValueError``) whose message
names the parameter, says what is accepted and what to pass instead — before any work is done.
The command line's options are tested in tests/test_cli.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import tp8
from tests.conftest import linear_classifier
from tp8 import _validate

NAN, INF = math.nan, math.inf

# Bad values for each kind of rule. Booleans are not numbers; strings are not either.
POSITIVE = [NAN, INF, -INF, -1.0, 0.0, True, "0.2", None]  # > 0
NON_NEGATIVE = [NAN, INF, -INF, -1e-3, True, "0", None]  # ≥ 0
FRACTION = [NAN, INF, -INF, -0.01, 1.01, True, "0.1"]  # in [0, 1]
UNIT_OPEN = [NAN, INF, -INF, -0.01, 0.0, 1.01, True, "0.1"]  # in (0, 1]
COUNT_0 = [-1, 2.5, NAN, INF, -INF, True, "3", None]  # integer ≥ 0
COUNT_1 = [0, -1, 2.5, NAN, INF, True, "3", None]  # integer ≥ 1
PERCENTILE = [NAN, INF, -1, 100.5, True, "50"]  # None or in [0, 100]
SEED = [-1, 2**63, 2.5, NAN, INF, True, "0", None]  # integer in [0, 2**63)
INTEGER = [2.5, NAN, INF, -INF, True, "1", None]  # any integer


@pytest.fixture(scope="module")
def model():
    return linear_classifier(num_classes=4, size=8)


def _images(n: int = 2) -> torch.Tensor:
    return torch.rand(n, 3, 8, 8, generator=torch.Generator().manual_seed(0))


def _array() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)


def _cv(model, **kwargs):
    options = {"num_iterations": 2, "image_size": 8, "max_jitter": 1, "progress": False}
    return tp8.class_visualization(model, 1, **{**options, **kwargs})


# (function, parameter) → how to call it with that parameter, and the bad values of its rule.
CALLS = {
    ("fooling_image", "lr"): (lambda m, v: tp8.fooling_image(m, _images(), 1, lr=v, progress=False), POSITIVE),
    ("fooling_image", "max_iter"): (
        lambda m, v: tp8.fooling_image(m, _images(), 1, max_iter=v, progress=False),
        COUNT_0,
    ),
    ("pgd_attack", "epsilon"): (lambda m, v: tp8.pgd_attack(m, _images(), 1, epsilon=v, progress=False), FRACTION),
    ("pgd_attack", "step_size"): (
        lambda m, v: tp8.pgd_attack(m, _images(), 1, step_size=v, progress=False),
        UNIT_OPEN,
    ),
    ("pgd_attack", "max_iter"): (lambda m, v: tp8.pgd_attack(m, _images(), 1, max_iter=v, progress=False), COUNT_0),
    ("fgsm", "epsilon"): (lambda m, v: tp8.fgsm(m, _images(), 1, epsilon=v), FRACTION),
    ("class_visualization", "l2_reg"): (lambda m, v: _cv(m, l2_reg=v), NON_NEGATIVE),
    ("class_visualization", "lr"): (lambda m, v: _cv(m, lr=v), POSITIVE),
    ("class_visualization", "num_iterations"): (lambda m, v: _cv(m, num_iterations=v), COUNT_1),
    ("class_visualization", "blur_every"): (lambda m, v: _cv(m, blur_every=v), COUNT_0),
    ("class_visualization", "blur_sigma"): (lambda m, v: _cv(m, blur_sigma=v), NON_NEGATIVE),
    ("class_visualization", "max_jitter"): (lambda m, v: _cv(m, max_jitter=v), [*COUNT_0, 9]),  # > the 8-px side
    ("class_visualization", "image_size"): (lambda m, v: _cv(m, image_size=v), [*COUNT_1, 4097]),
    ("class_visualization", "clip_norm_percentile"): (lambda m, v: _cv(m, clip_norm_percentile=v), PERCENTILE),
    ("class_visualization", "clip_contribution_percentile"): (
        lambda m, v: _cv(m, clip_contribution_percentile=v),
        PERCENTILE,
    ),
    ("class_visualization", "snapshot_every"): (lambda m, v: _cv(m, snapshot_every=v), COUNT_0),
    ("class_visualization", "seed"): (lambda m, v: _cv(m, seed=v), SEED),
    ("gaussian_blur", "sigma"): (lambda m, v: tp8.gaussian_blur(_images(), v), [*NON_NEGATIVE, 3.0]),  # 3σ > 8 px
    ("jitter", "dx"): (lambda m, v: tp8.jitter(_images(), v, 0), INTEGER),
    ("jitter", "dy"): (lambda m, v: tp8.jitter(_images(), 0, v), INTEGER),
    ("Classifier.predict", "k"): (lambda m, v: m.predict(_images(), k=v), [*COUNT_1, 5]),  # 4 classes
    ("load_image", "size"): (lambda m, v: tp8.load_image(_array(), size=v), COUNT_1),
    ("load_image", "resize"): (lambda m, v: tp8.load_image(_array(), resize=v), COUNT_1[:-1]),  # None: no resize
    ("load_images", "size"): (lambda m, v: tp8.load_images([_array()], size=v), COUNT_1),
    ("load_images", "resize"): (lambda m, v: tp8.load_images([_array()], resize=v), COUNT_1[:-1]),
}

CASES = [
    pytest.param(call, parameter, value, id=f"{function}-{parameter}-{value!r}")
    for (function, parameter), (call, values) in CALLS.items()
    for value in values
]


@pytest.mark.parametrize(("call", "parameter", "value"), CASES)
def test_each_bad_number_is_an_input_error_that_names_the_parameter(model, call, parameter, value):
    with pytest.raises(tp8.InputError) as info:
        call(model, value)
    assert isinstance(info.value, ValueError)  # InputError subclasses it: old `except ValueError` still works
    message = str(info.value)
    assert message.startswith(f"{parameter} must be"), message
    assert "; " in message, f"no advice on what to pass: {message}"  # what is wrong; what to do


def test_three_reported_cases_in_the_api(model):
    with pytest.raises(tp8.InputError, match=r"max_iter must be an integer ≥ 0, got -1"):
        tp8.fooling_image(model, _images(), 1, max_iter=-1, progress=False)
    with pytest.raises(tp8.InputError, match=r"num_iterations must be an integer ≥ 1, got -5"):
        tp8.class_visualization(model, 1, num_iterations=-5, image_size=8, max_jitter=1, progress=False)
    with pytest.raises(tp8.InputError, match=r"lr must be a finite number > 0, got nan"):
        tp8.fooling_image(model, _images(), 1, lr=NAN, progress=False)


def test_messages_give_the_range_and_a_good_value(model):
    with pytest.raises(tp8.InputError) as info:
        tp8.pgd_attack(model, _images(), 1, epsilon=2.0, progress=False)
    assert str(info.value).startswith("epsilon must be a finite number ≥ 0 and ≤ 1, got 2.0; ")
    assert "4/255 (the default)" in str(info.value)
    with pytest.raises(tp8.InputError, match=r"got bool True"):
        tp8.fooling_image(model, _images(), 1, lr=True, progress=False)
    with pytest.raises(tp8.InputError, match=r"got str '0.2'"):
        tp8.fooling_image(model, _images(), 1, lr="0.2", progress=False)
    with pytest.raises(tp8.InputError, match=r"k must be an integer ≥ 1 and ≤ 4, got 5; linear has 4 classes"):
        model.predict(_images(), k=5)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda m: tp8.fooling_image(m, _images(), 1, lr=1, max_iter=100.0, progress=False), id="fool"),
        pytest.param(lambda m: tp8.fooling_image(m, _images(), 1, lr=torch.tensor(0.5), progress=False), id="tensor"),
        pytest.param(lambda m: tp8.fooling_image(m, _images(), 1, max_iter=np.int64(0), progress=False), id="numpy"),
        pytest.param(lambda m: tp8.pgd_attack(m, _images(), 1, epsilon=0, step_size=1, max_iter=0), id="pgd-edges"),
        pytest.param(lambda m: tp8.fgsm(m, _images(), 1, epsilon=1), id="fgsm-1"),
        pytest.param(lambda m: _cv(m, l2_reg=0, blur_sigma=0, max_jitter=0, blur_every=0, snapshot_every=0), id="0s"),
        pytest.param(lambda m: _cv(m, num_iterations=2.0, max_jitter=8, seed=2**63 - 1), id="cv-edges"),
        pytest.param(lambda m: _cv(m, clip_norm_percentile=0, clip_contribution_percentile=100), id="percentiles"),
        pytest.param(lambda m: _cv(m, num_iterations=0, init_img=_images(1)), id="zero-steps-from-a-photo"),
        pytest.param(lambda m: tp8.gaussian_blur(_images(), 0), id="blur-0"),
        pytest.param(lambda m: tp8.gaussian_blur(_images(), 8 / 3), id="blur-largest"),
        pytest.param(lambda m: tp8.jitter(_images(), -3, 20), id="jitter"),
        pytest.param(lambda m: m.predict(_images(), k=4), id="k-all"),
        pytest.param(lambda m: tp8.load_image(_array(), size=4.0, resize=None), id="load"),
    ],
)
def test_values_at_the_edges_of_each_range_are_accepted(model, call):
    call(model)


def test_the_checkers_themselves():
    assert _validate.check_number("x", 0.5, low=0, high=1) == 0.5
    assert _validate.check_int("n", 3.0) == 3 and isinstance(_validate.check_int("n", 3.0), int)
    assert _validate.check_count("n", torch.tensor(2)) == 2
    assert _validate.check_fraction("p", 1) == 1.0
    assert _validate.check_seed(0) == 0
    for bad in (True, np.bool_(True), torch.tensor(True), [1], 1 + 0j):
        with pytest.raises(tp8.InputError, match="n must be an integer"):
            _validate.check_int("n", bad)
    with pytest.raises(tp8.InputError, match=r"^must be a finite number > 0, got nan$"):
        _validate.check_number("", NAN, low=0, low_open=True)  # the command line names the option itself
    with pytest.raises(tp8.InputError, match="x must be a finite number"):
        _validate.check_number("x", 10**400)  # too large for a float
    with pytest.raises(tp8.InputError, match=r"seed must be an integer ≥ 0 and < 2\*\*63"):
        _validate.check_seed(2**63)
    with pytest.raises(tp8.InputError, match="1 NaN or infinite value"):
        _validate.check_finite_tensor("x", torch.tensor([0.0, INF]))
    _validate.check_finite_tensor("x", torch.tensor([1, 2]))  # integers are always finite


# -- images: NaN and ±inf pixels are refused by every function that takes images ------------


def _poisoned(value: float, n: int = 2) -> torch.Tensor:
    x = _images(n)
    x[0, 1, 2, 3] = value
    return x


IMAGE_CALLS = {
    "saliency_map": lambda m, x: tp8.saliency_map(m, x),
    "fooling_image": lambda m, x: tp8.fooling_image(m, x, 1, progress=False),
    "pgd_attack": lambda m, x: tp8.pgd_attack(m, x, 1, progress=False),
    "fgsm": lambda m, x: tp8.fgsm(m, x, 1),
    "class_visualization": lambda m, x: tp8.class_visualization(m, [1, 2], init_img=x, max_jitter=1, progress=False),
    "predict": lambda m, x: m.predict(x, k=1),
    "probabilities": lambda m, x: m.probabilities(x),
    "check_images": lambda m, x: tp8.check_images(x),
}


@pytest.mark.parametrize("value", [NAN, INF, -INF], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("function", list(IMAGE_CALLS))
def test_nan_or_infinite_pixels_are_refused(model, function, value):
    name = "init_img" if function == "class_visualization" else "images"
    with pytest.raises(tp8.InputError, match=rf"{name} holds 1 NaN or infinite value.*nan_to_num"):
        IMAGE_CALLS[function](model, _poisoned(value))


def test_empty_batches_and_empty_targets_are_refused(model):
    with pytest.raises(tp8.InputError, match="holds no pixel"):
        tp8.saliency_map(model, torch.rand(0, 3, 8, 8))
    with pytest.raises(tp8.InputError, match="no target class"):
        tp8.class_visualization(model, [], image_size=8, max_jitter=1, progress=False)
    with pytest.raises(tp8.InputError, match="no image"):
        tp8.load_images([])
    with pytest.raises(tp8.InputError, match="use load_image"):
        tp8.load_images("photo.jpg")


def test_nan_images_are_neither_loaded_nor_saved(tmp_path):
    array = np.full((8, 8, 3), 0.5, dtype=np.float32)
    array[1, 1, 1] = NAN
    with pytest.raises(tp8.InputError, match="NaN or infinite"):
        tp8.load_image(array)
    with pytest.raises(tp8.InputError, match="image holds 1 NaN"):
        tp8.save_image(_poisoned(NAN)[0], tmp_path / "nan.png")
    with pytest.raises(tp8.InputError, match="NaN or infinite"):
        tp8.save_image(array, tmp_path / "nan.png")
    assert not list(tmp_path.iterdir())


# -- arguments checked against each other, before any work --------------------------------


def test_class_visualization_refuses_sizes_the_network_or_the_blur_cannot_take(model, trained_cnn):
    with pytest.raises(tp8.InputError, match=r"linear cannot classify 16×16 images .*224"):
        tp8.class_visualization(model, 1, image_size=16, progress=False)  # the linear model takes 8×8 only
    with pytest.raises(tp8.InputError, match=r"squares cannot classify 1×1 images"):
        tp8.class_visualization(trained_cnn, 1, image_size=1, max_jitter=0, blur_every=0, progress=False)
    with pytest.raises(tp8.InputError, match=r"blur_sigma must be at most 2\.66667 for 8-pixel images, got 3"):
        tp8.class_visualization(model, 1, image_size=8, max_jitter=1, blur_sigma=3, progress=False)
    tp8.class_visualization(model, 1, image_size=8, max_jitter=1, blur_sigma=3, blur_every=0, progress=False)
    with pytest.raises(tp8.InputError, match=r"max_jitter must be at most the images' side \(8 pixels\), got 16"):
        tp8.class_visualization(model, 1, init_img=_images(1), progress=False)  # default jitter on an 8-px photo


def test_class_visualization_needs_one_start_image_or_one_per_target(model):
    with pytest.raises(tp8.InputError, match="got 2 initial images for 3 targets; give one init_img for all"):
        tp8.class_visualization(model, [0, 1, 2], init_img=_images(2), max_jitter=1, progress=False)
    with pytest.raises(tp8.InputError, match=r"num_iterations must be an integer ≥ 1, got 0; .*only with init_img"):
        tp8.class_visualization(model, 0, num_iterations=0, image_size=8, max_jitter=1, progress=False)
