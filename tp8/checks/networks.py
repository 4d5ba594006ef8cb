"""The networks a check runs the student's function on, and the conditions it runs them in.

* the "mini-réseau": a tiny CNN with seeded random weights (16 × 16 images, 10 classes), built
  here, with no weights to download; the usual mistakes are recognised on it;
* the real network: the one given to the check, else SqueezeNet 1.1 when its pretrained weights
  can be found (the report says so when they cannot).

A check runs under :func:`isolated`: the global random generator is left as it was found, and
gradients are computed even under ``torch.no_grad``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math

import torch
from torch import Tensor, nn

from ..errors import InputError
from ..images import quantize, sample_images
from ..models import Classifier, load_optional_model
from .messages import Text, t

#: The tiny network's images: 16 × 16 pixels, 10 classes.
MINI_SIZE = 16

#: How a report names the tiny network (and groups the lines of its cases).
MINI = t("mini-réseau", "tiny network")

#: What the tiny network is, for the student who meets its name in a report.
MINI_NOTE = t(
    "Le « mini-réseau » est un petit réseau à poids aléatoires fixés (images de 16 × 16 pixels, 10 classes) que la "
    "vérification passe à votre fonction, en argument, à la place de SqueezeNet.",
    "The “tiny network” is a small network with fixed random weights (16 × 16-pixel images, 10 classes) that the "
    "check passes to your function, as its argument, instead of SqueezeNet.",
)


def mini_model(device) -> Classifier:
    """A small CNN with seeded random weights, large enough to make mistakes visible (‖∂ỹ/∂x‖₂ ≈ 4)."""
    g = torch.Generator().manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    with torch.no_grad():
        for module in net:
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * 2.0 / math.sqrt(fan_in))
                module.bias.copy_(torch.randn(module.bias.shape, generator=g) * 0.1)
    model = Classifier(net, [f"classe {i}" for i in range(10)], name="mini-réseau", pretrained=False)
    return model.to(device)


def mini_images(device) -> Tensor:
    """The tiny network's eight images, seeded, on the 8-bit grid."""
    g = torch.Generator().manual_seed(1)
    return quantize(torch.rand(8, 3, MINI_SIZE, MINI_SIZE, generator=g) * 0.6 + 0.2).to(device)


def class_name(net: Classifier, index: int, mini: bool) -> Text | str:
    """A class's name as a report writes it: "classe 3" / "class 3" on the tiny network."""
    return t("classe {i}", "class {i}", i=index) if mini else net.class_name(index)


@functools.cache
def _squeezenet() -> Classifier | None:
    quiet = io.StringIO()  # torch.hub's messages stay out of the notebook
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        return load_optional_model("squeezenet1_1", progress=False)


def real_model(model) -> tuple[Classifier | None, str]:
    """The real network (``model``, else SqueezeNet 1.1 when found, else None) and its name."""
    if model is not None:
        if not isinstance(model, Classifier):
            raise InputError(
                f"model must be a tp8 Classifier (tp8.load_model(...)), got {type(model).__name__}; "
                "or leave it out to check on SqueezeNet 1.1"
            )
        from ..course import _PRETTY

        return model, _PRETTY.get(model.name, model.name)
    return _squeezenet(), "SqueezeNet 1.1"


def sample_photo(name: str, device) -> Tensor:
    """The sample photo ``name`` (:func:`tp8.sample_images`) as a batch of one."""
    if not isinstance(name, str):
        raise InputError(f"photo must be the name of a tp8 sample image such as 'chelsea', got {name!r}")
    return sample_images([name])[0].image[None].to(device)


@contextlib.contextmanager
def isolated():
    """Leave the global random generator as it was, and compute gradients even under no_grad.

    Yields the number of threads PyTorch had; the tiny network runs on one (on a busy CPU its
    tiny convolutions are ten times faster so), the real one with them all (:func:`threads_for`).
    """
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        try:
            torch.set_num_threads(1)
            yield threads
        finally:
            torch.set_num_threads(threads)


def threads_for(small: bool, threads: int) -> None:
    torch.set_num_threads(1 if small else threads)
