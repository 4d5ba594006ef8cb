"""Feature visualisation: class images that people, and other networks, recognise.

The lab's :func:`~tp8.class_visualization.class_visualization` climbs the class score in pixel
space. The network's gradient there is dominated by high frequencies, so the ascent finds
patterns that one network, at one position, likes — close to an adversarial example. Olah,
Mordvintsev & Schubert (2017) and Mordvintsev et al. (2018) keep the gradient ascent but add
three ingredients, which this module implements as small pieces (each tested on its own) and
one function, :func:`feature_visualization`:

1. **a Fourier parameterisation** — the image is the inverse Fourier transform of coefficients
   scaled by 1/f (:func:`fourier_to_image`), so that a step of the same size on every parameter
   changes every frequency in the proportion natural images have (their amplitude spectrum
   falls like 1/f);
2. **decorrelated colours** — three independent components are mapped to RGB by the square
   root of ImageNet's colour covariance, scaled as in Lucid (:func:`decorrelated_to_rgb`), and a
   sigmoid maps the result to (0, 1);
3. **transformation robustness** — before each forward pass the image is padded, translated,
   rescaled and rotated at random (:class:`RandomTransforms`, differentiable and seeded): only
   patterns that raise the score wherever and however large they appear survive.

The first two change the path of the ascent, not its maxima (a preconditioning); the third
changes the objective (an expectation over transformations). The optimisation itself is Adam on
the parameters, maximising the target's logit minus the mean of the other logits; the sigmoid
bounds the image, so no explicit L2 penalty is needed. Other priors exist and are not
implemented here: an explicit total-variation penalty in the objective (Mahendran & Vedaldi
2015, https://arxiv.org/abs/1412.0035), or one starting point per facet of the class (Nguyen,
Yosinski & Clune 2016, https://arxiv.org/abs/1602.03616).

References:
    C. Olah, A. Mordvintsev, L. Schubert (2017). Feature Visualization. Distill.
    https://distill.pub/2017/feature-visualization/ (doi:10.23915/distill.00007)

    A. Mordvintsev, N. Pezzotti, L. Schubert, C. Olah (2018). Differentiable Image
    Parameterizations. Distill. https://distill.pub/2018/differentiable-parameterizations/
    (doi:10.23915/distill.00012)

    Lucid (TensorFlow, https://github.com/tensorflow/lucid) and Lucent (its PyTorch port,
    https://github.com/greentfrapp/lucent), where these ingredients come from.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ._progress import progress_bar
from ._validate import check_int, check_number, check_seed
from .class_visualization import ClassVisualization
from .errors import InputError
from .models import Classifier, Target

__all__ = [
    "IMAGENET_COLOR_COVARIANCE",
    "IMAGENET_COLOR_SQRT",
    "OBJECTIVES",
    "RandomTransforms",
    "decorrelated_to_rgb",
    "feature_visualization",
    "fourier_frequencies",
    "fourier_scale",
    "fourier_to_image",
    "image_to_fourier",
    "pad",
    "rescale",
    "rgb_to_decorrelated",
    "rotate",
    "spectrum_slope",
    "translate",
]

#: Square root of ImageNet's RGB covariance, Lucid's ``color_correlation_svd_sqrt``
#: (lucid/optvis/param/color.py): ``U·diag(√λ)`` from the eigendecomposition ``Σ = U diag(λ) Uᵀ`` of
#: the covariance of ImageNet pixels in [0, 1], rounded to two decimals. Its columns are the
#: colour axes: a luminance axis (0.26, 0.27, 0.27), then two colour-opponent axes
#: (red–blue, green–magenta), with standard deviations 0.46, 0.13 and 0.06.
IMAGENET_COLOR_SQRT = ((0.26, 0.09, 0.02), (0.27, 0.00, -0.05), (0.27, -0.09, 0.03))

#: The covariance this square root stands for, ``Σ = M Mᵀ`` (exact for the rounded matrix):
#: standard deviations 0.28 (R), 0.27 (G), 0.29 (B), correlations 0.91 (R, G), 0.79 (R, B),
#: 0.91 (G, B). The 300 labelled ImageNet validation photos used by the tests give 0.90, 0.79, 0.91.
IMAGENET_COLOR_COVARIANCE = (
    (0.0761, 0.0692, 0.0627),
    (0.0692, 0.0754, 0.0714),
    (0.0627, 0.0714, 0.0819),
)

#: What :func:`feature_visualization` can maximise (see its ``objective`` argument).
OBJECTIVES = ("logit", "logit-mean", "log-softmax")

_FILL = 0.5  # the grey that padding and the geometric transforms bring in


# --- the Fourier parameterisation ---------------------------------------------------------------


def fourier_frequencies(height: int, width: int, *, device=None) -> Tensor:
    """Radial frequency ``f = √(f_y² + f_x²)``, in cycles per pixel, of each coefficient of ``rfft2``.

    Shaped ``(height, width // 2 + 1)``, the layout of :func:`torch.fft.rfft2`: rows are
    ``fftfreq(height)``, columns ``rfftfreq(width)``.
    """
    fy = torch.fft.fftfreq(height, device=device)[:, None]
    fx = torch.fft.rfftfreq(width, device=device)[None, :]
    return torch.sqrt(fy * fy + fx * fx)


def _edge_columns(width: int) -> list[int]:
    """The ``rfft2`` columns that stand for themselves only (f_x = 0, and Nyquist for even widths)."""
    return [0, width // 2] if width % 2 == 0 else [0]


def fourier_scale(height: int, width: int, decay_power: float = 1.0, *, device=None) -> Tensor:
    """The amplitude given to each Fourier coefficient: ``1 / max(f, 1/max(h, w))^decay_power``, normalised.

    With ``decay_power = 1`` white-noise coefficients give an image whose amplitude spectrum
    falls like 1/f (its power spectrum like 1/f²), the average spectrum of natural images
    (Field 1987; Olah et al. 2017). The constant term gets the amplitude of the lowest non-zero
    frequency. The scale is divided by the standard deviation it would give an image made from
    unit white noise (real and imaginary parts ~ N(0, 1)), so that such an image has unit pixel
    variance on average, whatever its size.

    Shaped ``(height, width // 2 + 1)``.
    """
    freqs = fourier_frequencies(height, width, device=device)
    scale = 1.0 / freqs.clamp_min(1.0 / max(height, width)) ** decay_power
    # Expected energy of irfft2(scale · c, norm="ortho") for unit complex white noise c: a column
    # that stands for a conjugate pair counts twice (4 s² in all), an edge column keeps only the
    # real part (s²).
    weight = torch.full((width // 2 + 1,), 4.0, device=device)
    weight[_edge_columns(width)] = 1.0
    variance = (scale.pow(2) * weight).sum() / (height * width)
    return scale / variance.sqrt()


def fourier_to_image(coefficients: Tensor, size: tuple[int, int], decay_power: float = 1.0) -> Tensor:
    """Image from its scaled Fourier coefficients: ``irfft2(scale · c, norm="ortho")``.

    Args:
        coefficients: real tensor ``(..., h, w // 2 + 1, 2)`` (real and imaginary parts).
        size: ``(h, w)`` of the image.
        decay_power: the exponent of :func:`fourier_scale`.

    Returns:
        The real image ``(..., h, w)``. The map is linear and onto; its inverse on images is
        :func:`image_to_fourier`.
    """
    h, w = size
    scale = fourier_scale(h, w, decay_power, device=coefficients.device).to(coefficients.dtype)
    spectrum = torch.view_as_complex(coefficients.contiguous()) * scale
    return torch.fft.irfft2(spectrum, s=(h, w), norm="ortho")


def spectrum_slope(images: Tensor, *, low: float | None = None, high: float = 0.4) -> Tensor:
    """The exponent of each image's power spectrum: the slope of log power against log frequency.

    The power ``|F(f)|²`` of the image's luminance (the mean of its channels, minus its mean) is
    averaged over rings of radial frequency f (24 rings, logarithmically spaced from ``low``,
    default 4/side, to ``high`` cycles per pixel), and a line is fitted to ``log`` power against
    ``log f``. Natural photos give about −2 (power ∝ 1/f², Field 1987); white noise gives 0;
    an image richer in fine detail than a photo gives a slope above −2.

    Args:
        images: ``(N, C, H, W)`` or ``(C, H, W)``, square.

    Returns:
        The slopes, shaped ``(N,)``.
    """
    x = images if images.ndim == 4 else images[None]
    h, w = x.shape[-2:]
    if h != w:
        raise InputError(f"spectrum_slope needs square images, got {h}×{w}")
    lum = x.detach().double().mean(dim=1)
    lum = lum - lum.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(lum).abs().pow(2)
    fy = torch.fft.fftfreq(h, dtype=torch.float64)[:, None]
    fx = torch.fft.fftfreq(w, dtype=torch.float64)[None, :]
    radius = torch.sqrt(fy * fy + fx * fx)
    edges = torch.logspace(math.log10(low or 4 / h), math.log10(high), 25, dtype=torch.float64)
    centres, means = [], []
    for lo, hi in itertools.pairwise(edges):
        ring = (radius >= lo) & (radius < hi)
        if ring.any():
            centres.append(torch.sqrt(lo * hi))
            means.append(power[:, ring].mean(dim=1))
    log_f = torch.log(torch.stack(centres))
    log_p = torch.log(torch.stack(means, dim=1).clamp_min(1e-300))
    log_f = log_f - log_f.mean()
    return ((log_p - log_p.mean(dim=1, keepdim=True)) * log_f).sum(dim=1) / log_f.pow(2).sum()


def image_to_fourier(image: Tensor, decay_power: float = 1.0) -> Tensor:
    """The coefficients of :func:`fourier_to_image` that give ``image`` (``(..., h, w)`` real).

    ``fourier_to_image(image_to_fourier(x), x.shape[-2:]) == x`` and, for coefficients made by
    this function, ``image_to_fourier(fourier_to_image(c, size)) == c`` (to float precision).
    """
    h, w = image.shape[-2:]
    scale = fourier_scale(h, w, decay_power, device=image.device).to(image.dtype)
    return torch.view_as_real(torch.fft.rfft2(image, norm="ortho") / scale)


# --- decorrelated colours -------------------------------------------------------------------------


def _color_matrix(dtype=torch.float32, device=None) -> Tensor:
    """Lucid's colour square root divided by its largest column norm (the luminance axis: 0.46)."""
    m = torch.tensor(IMAGENET_COLOR_SQRT, dtype=torch.float64)
    m = m / m.norm(dim=0).max()
    return m.to(dtype=dtype, device=device)


def decorrelated_to_rgb(t: Tensor) -> Tensor:
    """Decorrelated colour components ``(N, 3, H, W)`` → correlated RGB, ``rgb = M̂ t``.

    ``M̂`` is :data:`IMAGENET_COLOR_SQRT` divided by its largest column norm, as in Lucid:
    independent unit-variance components give colours whose covariance is
    :data:`IMAGENET_COLOR_COVARIANCE` / 0.462², i.e. the correlations of ImageNet's colours. A
    step on one component moves the image along one natural colour axis (luminance, or one of
    two opponent colours) instead of one RGB channel.
    """
    return torch.einsum("ij,njhw->nihw", _color_matrix(t.dtype, t.device), t)


def rgb_to_decorrelated(rgb: Tensor) -> Tensor:
    """The inverse of :func:`decorrelated_to_rgb`."""
    return torch.einsum("ij,njhw->nihw", torch.linalg.inv(_color_matrix(torch.float64)).to(rgb), rgb)


# --- transformation robustness --------------------------------------------------------------------


def pad(images: Tensor, width: int, value: float = _FILL) -> Tensor:
    """Surround a batch with a border of ``width`` grey pixels: ``(N, C, H + 2w, W + 2w)``.

    Lucid pads with mid-grey before the other transforms, so that translations, rescaling and
    rotations bring in a neutral border instead of wrapping the image around.
    """
    return F.pad(images, [width] * 4, value=value) if width else images


def translate(images: Tensor, dx: int, dy: int, fill: float = _FILL) -> Tensor:
    """Shift a batch by whole pixels, ``dx`` to the right and ``dy`` down, filling with grey; same shape.

    A crop of a padded copy: differentiable, and exact (no resampling).
    """
    h, w = images.shape[-2:]
    dx, dy = max(-w, min(w, int(dx))), max(-h, min(h, int(dy)))
    if dx == 0 and dy == 0:
        return images
    padded = F.pad(images, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)), value=fill)
    top, left = max(-dy, 0), max(-dx, 0)
    return padded[..., top : top + h, left : left + w]


def _affine(images: Tensor, factor: float, degrees: float, fill: float) -> Tensor:
    """Rescale by ``factor`` and rotate by ``degrees`` about the centre, bilinear, same shape."""
    if factor == 1 and degrees == 0:
        return images
    n, _, h, w = images.shape
    a = math.radians(degrees)
    cos, sin = math.cos(a) / factor, math.sin(a) / factor
    # Output pixel (u, v) in [-1, 1]² reads the input at θ·(u, v): the inverse map, in each
    # axis' own normalised units (hence h/w and w/h for non-square images).
    theta = torch.tensor([[cos, -sin * h / w, 0.0], [sin * w / h, cos, 0.0]], dtype=images.dtype, device=images.device)
    grid = F.affine_grid(theta.expand(n, 2, 3), list(images.shape), align_corners=False)
    out = F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + fill


def rescale(images: Tensor, factor: float, fill: float = _FILL) -> Tensor:
    """Zoom a batch by ``factor`` about its centre (bilinear), keeping its shape; grey comes in when < 1."""
    return _affine(images, float(factor), 0.0, fill)


def rotate(images: Tensor, degrees: float, fill: float = _FILL) -> Tensor:
    """Rotate a batch by ``degrees`` about its centre (bilinear), keeping its shape; grey corners."""
    return _affine(images, 1.0, float(degrees), fill)


@dataclass(frozen=True)
class RandomTransforms:
    """Lucid's transformation robustness: pad, jitter, random scale, random rotation, jitter again.

    Each call draws one translation ``(dx, dy)`` with ``|dx|, |dy| ≤ jitter``, one zoom factor
    uniform in ``[1 − scale, 1 + scale]``, one angle uniform in ``[−rotation, rotation]`` degrees
    and a last small translation (``|·| ≤ jitter // 2``) from ``generator``, the same for the whole
    batch: the same seed gives the same images, and an image's transforms do not depend on the
    others in its batch. Zoom and rotation are one bilinear resampling; everything is
    differentiable with respect to the images. A value of 0 switches a transform off.

    Attributes:
        pad: grey border added first, in pixels (default 12, Lucid's).
        jitter: largest translation, in pixels (default 8, Lucid's).
        scale: largest relative change of size (default 0.1: Lucid's 0.9–1.1).
        rotation: largest rotation, in degrees (default 10, Lucid's).
    """

    pad: int = 12
    jitter: int = 8
    scale: float = 0.1
    rotation: float = 10.0

    def __post_init__(self) -> None:  # checked, and kept as the types they are used as (8.0 → 8)
        checked = {
            "pad": check_int("pad", self.pad, low=0, hint="0 switches the padding off"),
            "jitter": check_int("jitter", self.jitter, low=0, hint="0 switches the translations off"),
            "scale": check_number(
                "scale", self.scale, low=0.0, high=0.5, hint="0 switches the random zoom off; 0.1 is Lucid's"
            ),
            "rotation": check_number(
                "rotation", self.rotation, low=0.0, high=180.0, hint="in degrees; 0 switches rotations off"
            ),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def draw(self, generator: torch.Generator) -> dict[str, float]:
        """The random parameters of one call: ``dx, dy, factor, degrees, dx2, dy2``."""
        u = torch.rand(2, generator=generator, dtype=torch.float64)
        d = torch.randint(-self.jitter, self.jitter + 1, (2,), generator=generator) if self.jitter else torch.zeros(2)
        half = self.jitter // 2
        d2 = torch.randint(-half, half + 1, (2,), generator=generator) if half else torch.zeros(2)
        return {
            "dx": int(d[0]),
            "dy": int(d[1]),
            "factor": 1.0 + self.scale * (2 * float(u[0]) - 1),
            "degrees": self.rotation * (2 * float(u[1]) - 1),
            "dx2": int(d2[0]),
            "dy2": int(d2[1]),
        }

    def __call__(self, images: Tensor, generator: torch.Generator) -> Tensor:
        p = self.draw(generator)
        x = pad(images, self.pad)
        x = translate(x, p["dx"], p["dy"])
        x = _affine(x, p["factor"], p["degrees"], _FILL)
        return translate(x, p["dx2"], p["dy2"])


# --- the objective --------------------------------------------------------------------------------


def _objective(scores: Tensor, targets: Tensor, kind: str) -> Tensor:
    rows = torch.arange(scores.shape[0], device=scores.device)
    logit = scores[rows, targets]
    if kind == "logit":
        return logit
    if kind == "logit-mean":
        others = (scores.sum(dim=1) - logit) / (scores.shape[1] - 1)
        return logit - others
    return scores.log_softmax(dim=1)[rows, targets]


def _target_count(target: Target) -> int:
    """How many images a target asks for: one per class of a list, one for a single class."""
    if isinstance(target, (int, str)) or (isinstance(target, Tensor) and target.ndim == 0):
        return 1
    return len(target)


def _check_network_accepts(model: Classifier, side: int) -> None:
    """One forward pass of a grey image of the size the network will see, before any work."""
    probe = torch.full((1, 3, side, side), _FILL, device=model.device)
    try:
        with torch.no_grad():
            model(probe)
    except RuntimeError as exc:
        if isinstance(exc, torch.cuda.OutOfMemoryError):
            raise
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise InputError(
            f"{model.name} cannot classify the {side}×{side} images it would see here (image_size plus twice "
            f"pad; {reason}); torchvision's networks accept any size from about 32 pixels: for a fixed-size "
            "network use pad=0 and its own image_size"
        ) from None


# --- the method -----------------------------------------------------------------------------------


def feature_visualization(
    model: Classifier,
    target: Target,
    *,
    num_iterations: int = 96,
    lr: float = 0.05,
    image_size: int = 224,
    objective: str = "logit-mean",
    fourier: bool = True,
    decorrelate: bool = True,
    decay_power: float = 1.0,
    pad: int = 12,
    jitter: int = 8,
    scale: float = 0.1,
    rotation: float = 10.0,
    views: int = 1,
    init_std: float = 0.01,
    snapshot_every: int = 8,
    seed: int = 0,
    progress: bool = True,
) -> ClassVisualization:
    """Class visualisation with a Fourier, colour-decorrelated image and transformation robustness.

    The method of Olah, Mordvintsev & Schubert (2017, "Feature Visualization", Distill,
    https://distill.pub/2017/feature-visualization/) and Mordvintsev, Pezzotti, Schubert & Olah
    (2018, "Differentiable Image Parameterizations", Distill,
    https://distill.pub/2018/differentiable-parameterizations/), as in Lucid. The image is not
    optimised pixel by pixel but through a parameterisation θ:

        x(θ) = σ( M̂ · F⁻¹( s ⊙ θ ) ),      s(f) = c / max(f, 1/max(H, W))^α,      M̂ = M / max_j ‖M_{·j}‖

    where F⁻¹ is the inverse real 2-D Fourier transform of each channel, orthonormal
    (:func:`fourier_to_image`); s scales each frequency f (cycles per pixel) so that white noise
    in θ gives the 1/f^α amplitude spectrum of natural images (α = ``decay_power``), the constant
    c being chosen so that unit white noise in θ gives unit pixel variance (:func:`fourier_scale`);
    M is Lucid's square root of ImageNet's colour covariance (:data:`IMAGENET_COLOR_SQRT`) and M̂
    that matrix divided by its largest column norm, 0.462 (:func:`decorrelated_to_rgb`); σ is the
    logistic sigmoid, which keeps every pixel in (0, 1) without clamping. Adam then maximises the
    expected objective under random transformations T (pad, translate, zoom, rotate:
    :class:`RandomTransforms`):

        θ ← θ + Adam( ∇_θ J( T(x(θ)) ) ),      J = ỹ_c − (1/(K−1)) Σ_{j≠c} ỹ_j

    J being the target's logit ỹ_c minus the mean of the K − 1 other logits
    (``objective="logit-mean"``). No L2 penalty is needed: the sigmoid
    bounds the pixels and the 1/f scaling makes smooth, large structures cheap and pixel-level
    noise expensive. Each ingredient can be switched off for an ablation (``fourier=False``,
    ``decorrelate=False``, ``pad=0``, ``jitter=0``, ``scale=0``, ``rotation=0``).

    Why this objective by default. The plain logit (``"logit"``, the lab's choice) can also be
    raised by whatever raises every logit at once — contrast, saturated colour — which one network
    rewards and another need not; the log-probability (``"log-softmax"``) spends much of the
    ascent pushing the 999 other classes down, which is how adversarial examples work. Subtracting
    the *mean* of the other logits removes the common part without chasing each competitor. On
    SqueezeNet 1.1, with the other defaults, the second network (SqueezeNet 1.0) put the target
    first (in the run of ``benchmarks/`` that chose these settings, not re-checked by the course) for
    10/10 and 9/10 of ten classes (two seeds) with ``"logit-mean"``, 8/10 and 9/10 with
    ``"logit"`` and 3/10 with ``"log-softmax"`` (``benchmarks/bench_feature_visualization.py``
    measures it again). The images are paler than photos; in the ablation of the page "Des images
    lisibles" (three classes, 48 steps, one run), ``objective="logit"`` barely changed their
    saturation while ``decorrelate=False`` raised it for each class: there, the paleness came from
    the colour decorrelation.

    Every image of a batch starts from the same random θ and sees the same transformations, and
    nothing couples the images: in exact arithmetic, image k of ``feature_visualization(model,
    [a, b, c])`` is the image of ``feature_visualization(model, [a, b, c][k])`` with the same seed,
    and batching only makes it cheaper (on small networks the two agree to float precision). On a
    real network the convolution kernels chosen for a single image and for a batch round
    differently, and Adam's first, almost sign-like steps amplify those differences: a class run
    alone can end on another, equally good image than in a batch (batches of two or more agreed
    bit for bit with SqueezeNet 1.1 on CPU). The same call with the same seed always gives the same
    images. For several different images of one class, change ``seed``.

    Args:
        model: a :class:`~tp8.models.Classifier` (its device is used).
        target: class c (index or name), or a list of classes: one image each, in one batch.
        num_iterations: Adam steps (default 96: for SqueezeNet 1.1 about 4–5 s per class on two
            CPU cores; 64 recognised less well, 128 no better, on ten classes).
        lr: Adam's learning rate on θ (default 0.05, Lucid's).
        image_size: side of the square image, in pixels (default 224, the networks' own size).
        objective: ``"logit-mean"`` (default) ỹ_c − mean_{j≠c} ỹ_j; ``"logit"`` ỹ_c (the lab's
            objective); ``"log-softmax"`` log p_c.
        fourier: parameterise by Fourier coefficients (default True); False: by pixels, with the
            same colour map and sigmoid.
        decorrelate: map colours through ImageNet's colour square root (default True); False:
            θ's three channels are R, G and B.
        decay_power: α, the exponent of the 1/f^α scaling (default 1; 0 makes every frequency
            equal, i.e. a pixel basis up to a rotation).
        pad: grey border added before the other transforms, in pixels (default 12).
        jitter: largest random translation, in pixels (default 8; a second one of up to
            ``jitter // 2`` follows the rotation).
        scale: largest relative random zoom (default 0.1: factors 0.9 to 1.1).
        rotation: largest random rotation, in degrees (default 10; positive turns
            counter-clockwise).
        views: transformed copies of the image per step, whose objectives are averaged (default
            1, Lucid's; more is an average over more transformations, at the cost of a bigger batch).
        init_std: standard deviation of the random initial θ (default 0.01: a grey image
            with faint noise).
        snapshot_every: keep the images every k steps (default 8; 0: only start and end).
        seed: seeds the initial θ and every transformation (default 0).
        progress: show a tqdm progress bar (default True).

    Returns:
        A :class:`~tp8.class_visualization.ClassVisualization`: the final images (``(N, 3, H, W)``
        in (0, 1), untransformed), the targets, the snapshots ``(step, images)``, and for each
        step the target's softmax probability and the objective on the transformed image that
        step used, ``(T + 1, N)``, the last row on the final, untransformed images.

    Example:
        >>> model = tp8.load_model("squeezenet1_1")
        >>> viz = tp8.feature_visualization(model, ["flamingo", "tarantula"])
        >>> viz.rows(tp8.load_model("squeezenet1_0"))  # does another network see them?
        >>> tp8.animate(viz[0], "flamingo.webp")
    """
    num_iterations = check_int("num_iterations", num_iterations, low=0, hint="96 is the default")
    lr = check_number("lr", lr, low=0.0, low_open=True, hint="0.05 (the default) suits Adam here")
    image_size = check_int("image_size", image_size, low=8, high=4096, hint="224 is the networks' own size")
    decay_power = check_number("decay_power", decay_power, low=0.0, high=4.0, hint="1 gives a 1/f spectrum")
    init_std = check_number("init_std", init_std, low=0.0, low_open=True, hint="the default is 0.01")
    snapshot_every = check_int("snapshot_every", snapshot_every, low=0, hint="0 keeps only the first and last images")
    views = check_int("views", views, low=1, high=64, hint="1 (the default) draws one transformation per step")
    seed = check_seed(seed)
    if objective not in OBJECTIVES:
        raise InputError(f"objective must be one of {', '.join(map(repr, OBJECTIVES))}, got {objective!r}")
    for name, flag in (("fourier", fourier), ("decorrelate", decorrelate)):
        if not isinstance(flag, bool):
            raise InputError(f"{name} must be True or False, got {flag!r}")
    transforms = RandomTransforms(pad=pad, jitter=jitter, scale=scale, rotation=rotation)

    device = model.device
    targets = model.class_indices(target, _target_count(target))
    _check_network_accepts(model, image_size + 2 * transforms.pad)
    n = targets.numel()
    generator = torch.Generator().manual_seed(seed)
    size = (image_size, image_size)
    shape = (1, 3, image_size, image_size // 2 + 1, 2) if fourier else (1, 3, image_size, image_size)
    start = init_std * torch.randn(shape, generator=generator)  # one draw, shared by the batch
    theta = start.expand(n, *shape[1:]).clone().to(device).requires_grad_(True)

    def render(params: Tensor) -> Tensor:
        x = fourier_to_image(params, size, decay_power) if fourier else params
        return torch.sigmoid(decorrelated_to_rgb(x) if decorrelate else x)

    optimizer = torch.optim.Adam([theta], lr=lr, maximize=True)
    probabilities, objectives = [], []
    with torch.no_grad():
        snapshots = [(0, render(theta).cpu())]
    bar = progress_bar(num_iterations, f"feature visualization ({n})", progress)
    with torch.enable_grad():
        for t in range(1, num_iterations + 1):
            x = render(theta)
            batch = (
                torch.cat([transforms(x, generator) for _ in range(views)]) if views > 1 else transforms(x, generator)
            )
            scores = model(batch)
            value = _objective(scores, targets.repeat(views), objective).view(views, n).mean(dim=0)
            (grad,) = torch.autograd.grad(value.sum(), theta)
            theta.grad = grad
            optimizer.step()
            with torch.no_grad():
                rows = torch.arange(views * n, device=device)
                p = scores.detach().softmax(dim=1)[rows, targets.repeat(views)].view(views, n).mean(dim=0)
                probabilities.append(p.cpu())
                objectives.append(value.detach().cpu())
                if snapshot_every and t % snapshot_every == 0 and t != num_iterations:
                    snapshots.append((t, render(theta).cpu()))
            bar.update(1)
    bar.close()
    theta.grad = None
    with torch.no_grad():
        images = render(theta).clamp(0, 1)
        final = model(images)
        probabilities.append(final.softmax(dim=1)[torch.arange(n, device=device), targets].cpu())
        objectives.append(_objective(final, targets, objective).cpu())
    images = images.cpu()
    snapshots.append((num_iterations, images))
    return ClassVisualization(
        images=images,
        target=targets.cpu(),
        snapshots=snapshots,
        probabilities=torch.stack(probabilities),
        objective=torch.stack(objectives),
    )
