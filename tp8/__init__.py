"""tp8 — looking inside image classifiers.

Three techniques of a deep-learning lab ("TP 8 — Visualisation des réseaux de neurones"),
each a function that reads like its equation, on any torchvision ImageNet classifier:

* :func:`saliency_map` — |∂ỹ_c/∂x| maxed over colour channels (Simonyan et al. 2014);
* :func:`fooling_image` — x ← x + η g/‖g‖₂ until the network says "target" (Szegedy et al. 2014),
  with :func:`pgd_attack` and :func:`fgsm` as stronger and faster alternatives;
* :func:`class_visualization` — gradient ascent on ỹ_c − λ‖x‖² with jitter and blur
  (Simonyan et al. 2014; Yosinski et al. 2015).

Images are RGB tensors in [0, 1]; :func:`load_model` returns a network that normalises inside.
"""

__version__ = "0.1.0"

from . import course
from .adversarial import AttackResult, fgsm, fooling_image, pgd_attack
from .class_visualization import ClassVisualization, class_visualization, gaussian_blur, jitter
from .errors import ImageLoadError, InputError, Tp8Error, UnknownClassError, UnknownModelError, WeightsError
from .images import SampleImage, check_images, load_image, load_images, quantize, sample_images, save_image, to_numpy
from .models import Classifier, available_models, load_model, load_optional_model, resolve_device
from .plotting import image_grid, plot_attack, plot_class_visualization, plot_saliency
from .saliency import saliency_map

__all__ = [
    "AttackResult",
    "ClassVisualization",
    "Classifier",
    "ImageLoadError",
    "InputError",
    "SampleImage",
    "Tp8Error",
    "UnknownClassError",
    "UnknownModelError",
    "WeightsError",
    "__version__",
    "available_models",
    "check_images",
    "class_visualization",
    "course",
    "fgsm",
    "fooling_image",
    "gaussian_blur",
    "image_grid",
    "jitter",
    "load_image",
    "load_images",
    "load_model",
    "load_optional_model",
    "pgd_attack",
    "plot_attack",
    "plot_class_visualization",
    "plot_saliency",
    "quantize",
    "resolve_device",
    "saliency_map",
    "sample_images",
    "save_image",
    "to_numpy",
]
