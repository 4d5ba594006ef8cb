"""tp8 — looking inside image classifiers.

Three techniques of a deep-learning lab ("TP 8 — Visualisation des réseaux de neurones"),
each a function that reads like its equation, on any torchvision ImageNet classifier:

* :func:`saliency_map` — |∂ỹ_c/∂x| maxed over colour channels (Simonyan et al. 2014);
* :func:`fooling_image` — x ← x + η g/‖g‖₂ until the network says "target" (Szegedy et al. 2014),
  with :func:`pgd_attack` and :func:`fgsm` as stronger and faster alternatives;
* :func:`class_visualization` — gradient ascent on ỹ_c − λ‖x‖² with jitter and blur
  (Simonyan et al. 2014; Yosinski et al. 2015).

Beyond the lab's class images, :func:`feature_visualization` climbs a Fourier-parameterised,
colour-decorrelated image under random transformations (Olah et al. 2017; Mordvintsev et al.
2018), whose images people and other networks recognise; :func:`animate` writes an ascent as an
animated WebP or GIF.

Beyond the lab's map, :mod:`tp8.attribution` has :func:`input_gradient` (the signed gradient),
:func:`smoothgrad`, :func:`integrated_gradients` and :func:`grad_cam`; :func:`model_randomization`
(:mod:`tp8.sanity`) and :func:`deletion` / :func:`insertion` (:mod:`tp8.faithfulness`) check them.

Images are RGB tensors in [0, 1]; :func:`load_model` returns a network that normalises inside.
"""

__version__ = "0.1.0"

from . import checks, course
from .adversarial import AttackResult, fgsm, fooling_image, pgd_attack
from .animation import animate
from .attribution import (
    AttributionResult,
    GradCAMResult,
    IntegratedGradientsResult,
    SmoothGradResult,
    grad_cam,
    input_gradient,
    integrated_gradients,
    plot_attributions,
    smoothgrad,
)
from .class_visualization import ClassVisualization, class_visualization, gaussian_blur, jitter
from .errors import ImageLoadError, InputError, Tp8Error, UnknownClassError, UnknownModelError, WeightsError
from .faithfulness import FaithfulnessResult, deletion, insertion
from .feature_visualization import feature_visualization
from .images import SampleImage, check_images, load_image, load_images, quantize, sample_images, save_image, to_numpy
from .models import Classifier, available_models, load_model, load_optional_model, resolve_device
from .plotting import image_grid, plot_attack, plot_class_visualization, plot_saliency
from .saliency import saliency_map
from .sanity import RandomizationResult, model_randomization

__all__ = [
    "AttackResult",
    "AttributionResult",
    "ClassVisualization",
    "Classifier",
    "FaithfulnessResult",
    "GradCAMResult",
    "ImageLoadError",
    "InputError",
    "IntegratedGradientsResult",
    "RandomizationResult",
    "SampleImage",
    "SmoothGradResult",
    "Tp8Error",
    "UnknownClassError",
    "UnknownModelError",
    "WeightsError",
    "__version__",
    "animate",
    "available_models",
    "check_images",
    "checks",
    "class_visualization",
    "course",
    "deletion",
    "feature_visualization",
    "fgsm",
    "fooling_image",
    "gaussian_blur",
    "grad_cam",
    "image_grid",
    "input_gradient",
    "insertion",
    "integrated_gradients",
    "jitter",
    "load_image",
    "load_images",
    "load_model",
    "load_optional_model",
    "model_randomization",
    "pgd_attack",
    "plot_attack",
    "plot_attributions",
    "plot_class_visualization",
    "plot_saliency",
    "quantize",
    "resolve_device",
    "saliency_map",
    "sample_images",
    "save_image",
    "smoothgrad",
    "to_numpy",
]
