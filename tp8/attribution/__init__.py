"""Attribution maps beyond the raw gradient: which pixels a class score depends on, four ways.

One module per method over a small shared base (:mod:`tp8.attribution.base`), each returning an
:class:`AttributionResult` (``maps`` ``(N, H, W)``, the class explained, the cost in passes):

* :func:`input_gradient` — the signed ∂ỹ_c/∂x of Simonyan et al. (2014); its |·| max over channels
  is :func:`tp8.saliency_map`;
* :func:`smoothgrad` — the mean map of noisy copies (Smilkov et al. 2017);
* :func:`integrated_gradients` — the gradient integrated from a baseline, with its completeness
  gap (Sundararajan et al. 2017);
* :func:`grad_cam` — a convolutional layer's activations weighted by their mean gradient
  (Selvaraju et al. 2017);

and, without any gradient, :func:`occlusion` — the score lost when a grey patch hides each place
(Zeiler & Fergus 2014), the model-agnostic baseline: it reads only the network's outputs, at the
price of one forward pass per window.

Whether a map can be trusted is checked by :mod:`tp8.sanity` (does the map change when the network
is randomised?) and :mod:`tp8.faithfulness` (does deleting the pixels it ranks first lower the score?).
"""

from __future__ import annotations

from .base import AttributionResult
from .gradcam import GradCAMResult, default_layer, grad_cam, layer_names
from .gradient import input_gradient
from .integrated_gradients import QUADRATURES, IntegratedGradientsResult, integrated_gradients, quadrature
from .occlusion import OcclusionResult, occlusion
from .plotting import plot_attributions, render_map
from .smoothgrad import SmoothGradResult, smoothgrad

__all__ = [
    "METHODS",
    "QUADRATURES",
    "AttributionResult",
    "GradCAMResult",
    "IntegratedGradientsResult",
    "OcclusionResult",
    "SmoothGradResult",
    "attribute",
    "default_layer",
    "grad_cam",
    "input_gradient",
    "integrated_gradients",
    "layer_names",
    "occlusion",
    "plot_attributions",
    "quadrature",
    "render_map",
    "smoothgrad",
]

#: The gradient methods by their short name (the command line's ``--method``); :func:`occlusion`,
#: which costs one forward pass per window, is called by itself.
METHODS = {
    "gradient": input_gradient,
    "smoothgrad": smoothgrad,
    "ig": integrated_gradients,
    "gradcam": grad_cam,
}


def attribute(method: str, model, images, target=None, **options) -> AttributionResult:
    """Run the method named ``method`` (a key of :data:`METHODS`) with its keyword ``options``.

    Example::

        >>> tp8.attribution.attribute("ig", model, images, steps=16, baseline="blur")
    """
    from ..errors import InputError

    if method not in METHODS:
        raise InputError(f"unknown attribution method {method!r}; choose among {', '.join(METHODS)}")
    return METHODS[method](model, images, target, **options)
