"""Pretrained ImageNet classifiers that take RGB images in [0, 1].

:func:`load_model` builds any torchvision classification network by name and wraps it in a
:class:`Classifier`: a frozen module in evaluation mode that normalises its input itself and
knows the names of its 1000 classes. Pixel space therefore stays explicit everywhere else in
tp8: images are ``(N, 3, H, W)`` tensors in ``[0, 1]``; normalisation lives with the model.

Where the weights come from, in order (see :func:`load_model`):

1. ``weights=<file or directory>``: a state dict saved with ``torch.save``;
2. ``weights="DEFAULT"`` and the environment variable ``TP8_WEIGHTS_DIR`` names a directory
   holding ``<name>.pth``: that file;
3. torchvision's weights API, which downloads once into ``$TORCH_HOME/hub/checkpoints``.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import io
import os
import pickle
import re
import urllib.error
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from torch import Tensor, nn

from .errors import InputError, UnknownClassError, UnknownModelError, WeightsError

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "Classifier",
    "Target",
    "WeightsInfo",
    "available_models",
    "load_model",
    "load_optional_model",
    "resolve_device",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

WEIGHTS_DIR_ENV = "TP8_WEIGHTS_DIR"
REQUIRE_WEIGHTS_ENV = "TP8_REQUIRE_WEIGHTS"

#: A class given by index or by name, or one per image.
Target = int | str | Sequence[int | str] | Tensor


@dataclass(frozen=True)
class WeightsInfo:
    """What a network's parameters are, without saying where they lie on disk.

    Attributes:
        kind: ``"torchvision"`` (torchvision's published weights), ``"file"`` (a local state dict)
            or ``"random"`` (random initialisation).
        name: the torchvision weights entry (``"SqueezeNet1_1_Weights.IMAGENET1K_V1"``) or the
            file's name (``"squeezenet1_1.pth"``, never its folder).
        sha256: the first 12 hex digits of the file's SHA-256 (files only).
        acc1, acc5: torchvision's published ImageNet-1k top-1 / top-5 accuracy in % (torchvision
            weights only).
    """

    kind: str
    name: str = ""
    sha256: str | None = None
    acc1: float | None = None
    acc5: float | None = None

    def __str__(self) -> str:
        if self.kind == "torchvision":
            acc = f", ImageNet top-1 {self.acc1:.1f} %" if self.acc1 is not None else ""
            return f"torchvision {self.name}{acc}"
        if self.kind == "file":
            return f"file {self.name} (SHA-256 {self.sha256}…)"
        return "random initialisation"


def _file_info(path: Path) -> WeightsInfo:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return WeightsInfo("file", path.name, digest.hexdigest()[:12])


def _normalise_name(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


class Classifier(nn.Module):
    """A frozen image classifier that takes RGB images in ``[0, 1]``.

    ``forward(x)`` returns the raw class scores ỹ = f(x) (logits, before the softmax) of a
    batch ``x`` shaped ``(N, 3, H, W)``; the ImageNet normalisation happens inside, so
    gradients with respect to ``x`` are gradients in pixel space.

    Attributes:
        net: the wrapped torchvision network (expects normalised input).
        name: the torchvision builder name, e.g. ``"squeezenet1_1"``.
        categories: the class names, in the order of the network's outputs.
        weights_source: where the parameters came from, in words (may hold a local path: for
            messages on this machine, not for a published page).
        weights: what the parameters are (:class:`WeightsInfo`), without any path.
        pretrained: False only for random initialisation.
    """

    def __init__(
        self,
        net: nn.Module,
        categories: Sequence[str],
        *,
        name: str = "model",
        weights_source: str = "unknown",
        pretrained: bool = True,
        weights: WeightsInfo | None = None,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
    ) -> None:
        super().__init__()
        self.net = net
        self.name = name
        self.categories: tuple[str, ...] = tuple(categories)
        self.weights_source = weights_source
        self.pretrained = pretrained
        self.weights = weights if weights is not None else WeightsInfo("random" if not pretrained else "unknown")
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))
        self._index: dict[str, list[int]] = {}
        for i, category in enumerate(self.categories):
            self._index.setdefault(_normalise_name(category), []).append(i)
        # Channels-last ("NHWC") layout: oneDNN's convolutions run about 1.5× faster on CPU this way.
        self.net.to(memory_format=torch.channels_last)
        self.eval()
        self.requires_grad_(False)

    # -- pixel space <-> the network's normalised space -------------------------------
    def normalize(self, x: Tensor) -> Tensor:
        """Pixels in ``[0, 1]`` → the network's input space, ``(x − mean) / std``."""
        return (x - self.mean) / self.std

    def denormalize(self, z: Tensor) -> Tensor:
        """The network's input space → pixels (not clamped)."""
        return z * self.std + self.mean

    def forward_normalized(self, z: Tensor) -> Tensor:
        """Class scores of an already normalised batch."""
        return self.net(z.contiguous(memory_format=torch.channels_last))

    def forward(self, x: Tensor) -> Tensor:
        """Class scores ỹ (logits) of a batch of RGB images in ``[0, 1]``."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise InputError(
                f"expected a batch of RGB images shaped (N, 3, H, W), got {tuple(x.shape)}; "
                "use images.unsqueeze(0) for a single image"
            )
        return self.forward_normalized(self.normalize(x))

    def train(self, mode: bool = True) -> Classifier:
        # The study never trains the network: keep batch norm and dropout in eval mode.
        return super().train(False)

    @property
    def device(self) -> torch.device:
        return self.mean.device

    @property
    def num_classes(self) -> int:
        return len(self.categories)

    # -- class names ----------------------------------------------------------------
    def class_name(self, index: int) -> str:
        """The name of class ``index``."""
        return self.categories[self.class_index(index)]

    def class_index(self, target: int | str) -> int:
        """The index of a class given by name (case-insensitive) or by index.

        Raises:
            UnknownClassError: unknown or ambiguous name (the message lists the closest
                names), or an index out of range.
        """
        if isinstance(target, Tensor):
            target = int(target.item())
        if isinstance(target, bool):
            raise UnknownClassError(f"a class is a name or an index, not {target!r}")
        if isinstance(target, int):
            if not 0 <= target < self.num_classes:
                raise UnknownClassError(
                    f"class index {target} is out of range: {self.name} has classes 0–{self.num_classes - 1}"
                )
            return target
        if isinstance(target, str):
            key = _normalise_name(target)
            if key.isdigit():
                return self.class_index(int(key))
            hits = self._index.get(key)
            if hits and len(hits) == 1:
                return hits[0]
            if hits:
                listing = ", ".join(str(i) for i in hits)
                raise UnknownClassError(
                    f"class name {target!r} is ambiguous: it names classes {listing}; pass the index instead"
                )
            close = difflib.get_close_matches(key, list(self._index), n=5, cutoff=0.6)
            if not close:  # fall back to names that contain the words typed
                close = [k for k in self._index if key in k][:5]
            hint = (
                "closest: " + ", ".join(repr(self.categories[self._index[c][0]]) for c in close)
                if close
                else "see model.categories for the list"
            )
            raise UnknownClassError(f"unknown class {target!r} for {self.name}; {hint}")
        raise UnknownClassError(f"a class is a name or an index, not {type(target).__name__}")

    def class_indices(self, target: Target, n: int) -> Tensor:
        """One class index per image: a single class is repeated ``n`` times."""
        from ._validate import check_count

        if isinstance(target, Tensor):
            target = target.tolist() if target.ndim else int(target.item())
        if isinstance(target, Sequence) and not isinstance(target, str) and len(target) == 0:
            raise InputError("no target class given (an empty list); give one class, or one per image")
        n = check_count("n", n, hint="the number of images, at least one")
        if isinstance(target, (int, str)):
            indices = [self.class_index(target)] * n
        else:
            indices = [self.class_index(t) for t in target]
            if len(indices) != n:
                raise InputError(f"got {len(indices)} targets for {n} images; give one class, or one per image")
        return torch.tensor(indices, dtype=torch.long, device=self.device)

    # -- predictions ----------------------------------------------------------------
    @torch.no_grad()
    def probabilities(self, images: Tensor) -> Tensor:
        """Softmax probabilities ŷ, shaped ``(N, num_classes)``, of RGB images in [0, 1].

        Raises:
            InputError: ``images`` not RGB pixels in [0, 1] (or holding NaN), see :func:`tp8.check_images`.
        """
        from .images import check_images

        batch, _ = check_images(images)
        return self(batch.to(self.device)).softmax(dim=1)

    @torch.no_grad()
    def predict(self, images: Tensor, k: int = 5) -> list[list[tuple[str, float]]]:
        """Top-``k`` (class name, probability) pairs for each image of a batch (or of one image).

        Raises:
            InputError: ``k`` not an integer in ``[1, num_classes]``, or images as :meth:`probabilities`.
        """
        from ._validate import check_int

        hint = f"{self.name} has {self.num_classes} classes; 5 (the default) is usual"
        k = check_int("k", k, low=1, high=self.num_classes, hint=hint)
        probs, idx = self.probabilities(images).topk(k, dim=1)
        return [
            [(self.categories[i], p) for i, p in zip(row_i.tolist(), row_p.tolist())]
            for row_i, row_p in zip(idx, probs)
        ]

    def extra_repr(self) -> str:
        return f"name={self.name!r}, weights={str(self.weights)!r}, classes={self.num_classes}"


def available_models() -> list[str]:
    """Names of torchvision's image classification builders (``squeezenet1_1``, ``vgg16``, …)."""
    return sorted(torchvision.models.list_models(module=torchvision.models))


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` → CPU; ``"cuda"`` or ``"mps"`` only when PyTorch can use them here."""
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:1' or 'mps'") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' was requested but PyTorch sees no CUDA GPU here; use --device cpu")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise InputError("device 'mps' was requested but the MPS backend is not available here; use --device cpu")
    return dev


def _weights_enum(name: str):
    try:
        return torchvision.models.get_model_weights(name)
    except (ValueError, KeyError):
        return None


def _categories(name: str, num_classes: int) -> list[str]:
    enum = _weights_enum(name)
    if enum is not None:
        for member in enum:
            cats = member.meta.get("categories")
            if cats and len(cats) == num_classes:
                return list(cats)
    return [f"class {i}" for i in range(num_classes)]


def _read_state_dict(path: Path, name: str) -> dict[str, Tensor]:
    """``torch.load(..., weights_only=True)`` with errors a user can act on.

    The messages say what the file is not (a state dict tp8 can read) and how to make one; they never
    repeat torch's own advice to load the file with the safe loader switched off, which would run
    whatever code the file holds.
    """
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    save = f"save one with torch.save(model.state_dict(), '{name}.pth')"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on pickle protocols: one error line is enough
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError:
        raise WeightsError(f"cannot read weights file {path}: permission denied") from None
    except Exception as exc:  # corrupt zip, truncated pickle, arbitrary objects…
        if isinstance(exc, pickle.UnpicklingError) and "Unsupported global" in str(exc):
            why = (
                "it holds Python objects besides tensors (a whole model saved with torch.save(model), or a class "
                "of its own), and tp8 reads only tensors, never code from a weights file"
            )
        else:
            why = f"it is corrupt, truncated, or not a file written by torch.save ({type(exc).__name__})"
        raise WeightsError(f"weights file {path} is not a state dict tp8 can read: {why}; {save}") from None
    for key in ("state_dict", "model", "model_state_dict"):  # common checkpoint wrappers
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    odd = [(k, v) for k, v in obj.items() if not isinstance(v, Tensor)] if isinstance(obj, dict) else []
    if not isinstance(obj, dict):
        what = f"an object of type {type(obj).__name__}"
    elif not obj:
        what = "an empty dict"
    else:
        what = f"a dict whose entry {odd[0][0]!r} is not a tensor ({type(odd[0][1]).__name__})" if odd else ""
    if what:
        raise WeightsError(f"weights file {path} is not a state dict (a dict of tensors): it holds {what}; {save}")
    return {k.removeprefix("module."): v for k, v in obj.items()}


_DENSENET_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def _fix_legacy_keys(name: str, state: dict[str, Tensor]) -> dict[str, Tensor]:
    # torchvision's DenseNet checkpoints predate the module names ("norm.1" → "norm1").
    if not name.startswith("densenet"):
        return state
    fixed = {}
    for key, value in state.items():
        m = _DENSENET_KEY.match(key)
        fixed[m.group(1) + m.group(2) if m else key] = value
    return fixed


def _load_into(net: nn.Module, state: dict[str, Tensor], name: str, origin: str) -> None:
    state = _fix_legacy_keys(name, state)
    own = net.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong:
            k = wrong[0]
            parts.append(f"{len(wrong)} of the wrong shape (e.g. {k}: {tuple(state[k].shape)} ≠ {tuple(own[k].shape)})")
        raise WeightsError(f"{origin} does not match the architecture {name}: keys {'; '.join(parts)}")
    net.load_state_dict(state)


def _download(name: str, weights, progress: bool) -> tuple[dict[str, Tensor], str]:
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    file_name = os.path.basename(weights.url)
    try:
        # torch.hub announces "Downloading: …" on stdout even without a progress bar.
        quiet = contextlib.nullcontext() if progress else contextlib.redirect_stdout(io.StringIO())
        with quiet:
            state = weights.get_state_dict(progress=progress, check_hash=True, weights_only=True)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WeightsError(
            f"pretrained weights for {name} are not available offline and could not be downloaded "
            f"({reason}). Either put a state dict at $TP8_WEIGHTS_DIR/{name}.pth and set "
            f"{WEIGHTS_DIR_ENV} to that directory, pass weights='path/to/{name}.pth', or put "
            f"torchvision's file {file_name} into {hub}"
        ) from None
    except RuntimeError as exc:
        if "hash" in str(exc).lower():
            raise WeightsError(
                f"the cached download {hub / file_name} is corrupt (its hash does not match); delete it and retry"
            ) from None
        raise WeightsError(f"cannot load torchvision's weights for {name}: {str(exc).splitlines()[0]}") from None
    except Exception as exc:  # e.g. an unpickling error on a damaged cache file
        raise WeightsError(
            f"the cached download {hub / file_name} cannot be read ({type(exc).__name__}); delete it and retry"
        ) from None
    return state, f"torchvision {type(weights).__name__}.{weights.name}"


def _torchvision_info(weights) -> WeightsInfo:
    metrics = weights.meta.get("_metrics", {}).get("ImageNet-1K", {})
    return WeightsInfo(
        "torchvision", f"{type(weights).__name__}.{weights.name}", None, metrics.get("acc@1"), metrics.get("acc@5")
    )


def load_model(
    name: str = "squeezenet1_1",
    weights: str | os.PathLike[str] | None = "DEFAULT",
    *,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> Classifier:
    """Build torchvision's classifier ``name`` with pretrained ImageNet weights.

    Args:
        name: any torchvision classification builder: ``"squeezenet1_1"`` (the lab's
            network, Iandola et al. 2016), ``"squeezenet1_0"``, ``"vgg16"``, ``"resnet18"``…
        weights: ``"DEFAULT"`` — the file ``$TP8_WEIGHTS_DIR/<name>.pth`` when that variable
            names a directory holding it, else torchvision's default weights (downloaded once
            into ``$TORCH_HOME/hub/checkpoints``); the name of another torchvision weights
            entry (``"IMAGENET1K_V1"``); a path to a state dict file, or to a directory
            holding ``<name>.pth``; or ``None`` for random initialisation (tests only: it
            warns).
        device: ``"cpu"`` (default), ``"cuda"`` or ``"mps"``.
        progress: show the download progress bar.

    Returns:
        A :class:`Classifier` in eval mode with frozen parameters.

    Raises:
        UnknownModelError: ``name`` is not a torchvision classifier.
        WeightsError: weights unavailable offline, corrupt, or not matching the network.
    """
    models = available_models()
    if name not in models:
        close = difflib.get_close_matches(name, models, n=5)
        hint = f"closest: {', '.join(close)}" if close else "see tp8.available_models()"
        raise UnknownModelError(f"unknown model {name!r}: not a torchvision classifier; {hint}")
    dev = resolve_device(device)
    builder = torchvision.models.get_model_builder(name)
    net = builder(weights=None)
    categories = _categories(name, _num_outputs(net))

    state: dict[str, Tensor] | None = None
    source = "random initialisation"
    info = WeightsInfo("random")
    if weights is None:
        warnings.warn(
            f"{name} has random weights (weights=None): its predictions and visualisations mean nothing; "
            "use it for tests only",
            UserWarning,
            stacklevel=2,
        )
    elif (
        isinstance(weights, str)
        and _weights_enum(name) is not None
        and (weights == "DEFAULT" or weights in _weights_enum(name).__members__)
    ):
        env_dir = os.environ.get(WEIGHTS_DIR_ENV)
        env_file = Path(env_dir) / f"{name}.pth" if env_dir else None
        if env_dir and not Path(env_dir).is_dir():
            raise WeightsError(
                f"{WEIGHTS_DIR_ENV}={env_dir} is not a directory; point it at a folder of <name>.pth files"
            )
        if weights == "DEFAULT" and env_file is not None and env_file.is_file():
            state, source, info = _read_state_dict(env_file, name), str(env_file), _file_info(env_file)
        else:
            entry = _weights_enum(name)[weights]
            state, source = _download(name, entry, progress)
            info = _torchvision_info(entry)
    elif isinstance(weights, str) and weights == "DEFAULT":
        raise WeightsError(f"torchvision has no pretrained weights for {name}; pass weights='path/to/{name}.pth'")
    else:
        path = Path(weights)
        if path.is_dir():
            path = path / f"{name}.pth"
        if not path.is_file():
            raise WeightsError(
                f"weights file {path} does not exist; pass an existing .pth file, a directory holding "
                f"{name}.pth, 'DEFAULT' or None"
            )
        state, source, info = _read_state_dict(path, name), str(path), _file_info(path)

    if state is not None:
        _load_into(net, state, name, source)
    model = Classifier(net, categories, name=name, weights_source=source, pretrained=state is not None, weights=info)
    _LOADED.append((name, info, str(dev)))
    return model.to(dev)


#: Every network :func:`load_model` built in this process: ``(name, weights, device)``; the course site's
#: build lists them in the receipt at the foot of each page (:func:`loaded_weights`).
_LOADED: list[tuple[str, WeightsInfo, str]] = []


def loaded_weights() -> list[tuple[str, WeightsInfo, str]]:
    """``(name, weights, device)`` of each network loaded so far in this process, first load first, once each."""
    return list(dict.fromkeys(_LOADED))


def load_optional_model(name: str, **kwargs) -> Classifier | None:
    """Like :func:`load_model`, but ``None`` when the pretrained weights cannot be had.

    For course pages that show a bonus network where it exists: the page says the network is
    missing instead of failing. With the environment variable ``TP8_REQUIRE_WEIGHTS=1``
    (used when the site is published) the error is raised instead.
    """
    try:
        return load_model(name, **kwargs)
    except WeightsError:
        if os.environ.get(REQUIRE_WEIGHTS_ENV, "").strip() not in ("", "0", "false", "no"):
            raise
        return None


def _num_outputs(net: nn.Module) -> int:
    for attr in ("num_classes",):
        if isinstance(getattr(net, attr, None), int):
            return getattr(net, attr)
    last = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))][-1]
    return last.out_features if isinstance(last, nn.Linear) else last.out_channels
