"""Shared fixtures: small models built here, and the real SqueezeNet 1.1 when its weights are given."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from torch import nn

import tp8
from tp8.models import Classifier

ROOT = Path(__file__).resolve().parents[1]


def linear_classifier(num_classes: int = 5, size: int = 8, *, seed: int = 0, identity_norm: bool = False) -> Classifier:
    """A linear classifier ỹ = W·normalize(x) + b on (3, size, size) images."""
    g = torch.Generator().manual_seed(seed)
    linear = nn.Linear(3 * size * size, num_classes)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(linear.weight.shape, generator=g))
        linear.bias.copy_(torch.randn(linear.bias.shape, generator=g))
    net = nn.Sequential(nn.Flatten(), linear)
    kwargs = {"mean": (0.0, 0.0, 0.0), "std": (1.0, 1.0, 1.0)} if identity_norm else {}
    return Classifier(net, [f"class {i}" for i in range(num_classes)], name="linear", **kwargs)


def _pattern_dataset(n: int, size: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Four easy classes: a bright red, green or blue square, or none, on a noisy background."""
    y = torch.randint(0, 4, (n,), generator=g)
    x = 0.35 + 0.1 * torch.rand((n, 3, size, size), generator=g)
    for k in range(n):
        if y[k] < 3:
            r, c = torch.randint(0, size - 6, (2,), generator=g).tolist()
            x[k, int(y[k]), r : r + 6, c : c + 6] = 0.9
    return x, y


@pytest.fixture(scope="session")
def trained_cnn() -> Classifier:
    """A small CNN trained in about a second to recognise coloured squares (4 classes)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 4),
    )
    x, y = _pattern_dataset(512, 16, g)
    mean = torch.tensor(tp8.models.IMAGENET_MEAN).view(1, 3, 1, 1)  # the Classifier's normalisation
    std = torch.tensor(tp8.models.IMAGENET_STD).view(1, 3, 1, 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(150):
        idx = torch.randint(0, len(x), (64,), generator=g)
        loss = nn.functional.cross_entropy(net((x[idx] - mean) / std), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.zero_grad(set_to_none=True)
    model = Classifier(net, ["red", "green", "blue", "plain"], name="squares")
    xt, yt = _pattern_dataset(128, 16, g)
    accuracy = (model(xt).argmax(1) == yt).float().mean()
    assert accuracy > 0.9, f"the test CNN did not train ({accuracy:.2f})"
    model.test_images = xt
    model.test_labels = yt
    return model


def weights_dir() -> Path | None:
    value = os.environ.get("TP8_WEIGHTS_DIR")
    return Path(value) if value and (Path(value) / "squeezenet1_1.pth").is_file() else None


@pytest.fixture(scope="session")
def squeezenet() -> Classifier:
    """The real, pretrained SqueezeNet 1.1 (TP8_WEIGHTS_DIR must hold squeezenet1_1.pth)."""
    if weights_dir() is None:
        pytest.skip("set TP8_WEIGHTS_DIR to a folder holding squeezenet1_1.pth to test the real network")
    return tp8.load_model("squeezenet1_1", progress=False)


@pytest.fixture(scope="session")
def imagenet_val() -> tuple[list[Path], torch.Tensor]:
    """Labelled ImageNet validation photos (TP8_IMAGENET_DIR, default ../shared/images/imagenet-val)."""
    folder = Path(os.environ.get("TP8_IMAGENET_DIR", ROOT.parent / "shared" / "images" / "imagenet-val"))
    labels_file = folder / "labels.json"
    if not labels_file.is_file():
        pytest.skip(f"no labelled ImageNet photos at {folder} (set TP8_IMAGENET_DIR)")
    labels = json.loads(labels_file.read_text())
    names = sorted(labels)
    return [folder / n for n in names], torch.tensor([labels[n] for n in names])
