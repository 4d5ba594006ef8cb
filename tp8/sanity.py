"""Sanity check of attribution maps by cascading model randomisation (Adebayo et al. 2018).

A map that explains the network must change when the network's weights are destroyed. Starting
from the top (the classifier) and going down one block at a time, a *copy* of the network has its
weights re-drawn at random, and each method's map is recomputed and compared with its map on the
trained network by Spearman's rank correlation. A method whose maps stay the same while the
network is destroyed (an edge detector would) shows the image, not the network.

Passing is necessary, not sufficient: a map with no information at all, random noise drawn anew at
each call, has ρ ≈ 0 and passes easily, and top-down randomisation keeps the scale of the
activations, so that some resemblance survives in any method (Binder, Weber, Lapuschkin, Montavon,
Müller & Samek, *Shortcomings of Top-Down Randomization-Based Sanity Checks for Evaluations of Deep
Neural Network Explanations*, CVPR 2023, https://arxiv.org/abs/2211.12486). The threshold under
which a method "passes" is a convention of the caller; this module only measures ρ.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from ._progress import progress_bar
from ._validate import check_seed
from .attribution import METHODS, AttributionResult
from .attribution.base import normalize_index, predict_classes, prepare
from .errors import InputError
from .models import Classifier, Target

__all__ = ["RandomizationResult", "model_randomization", "randomization_blocks", "randomize_block", "rank_correlation"]

#: A method for the check: called as ``method(model, images, target)``, returns maps ``(N, H, W)``
#: or an :class:`~tp8.attribution.AttributionResult`.
Method = Callable[[Classifier, Tensor, Tensor], Tensor | AttributionResult]


def _ranks(values: Tensor) -> Tensor:
    """Ranks 1…P of each row, ties sharing their average rank (float64)."""
    order = values.argsort(dim=1, stable=True)
    ordered = values.gather(1, order)
    ranks = torch.empty(values.shape, dtype=torch.float64)
    for i in range(values.shape[0]):
        _, inverse, counts = torch.unique_consecutive(ordered[i], return_inverse=True, return_counts=True)
        ends = counts.cumsum(0).double()
        average = ends - (counts.double() - 1) / 2
        ranks[i, order[i]] = average[inverse]
    return ranks


def rank_correlation(a: Tensor, b: Tensor) -> Tensor:
    """Spearman's ρ between ``a[i]`` and ``b[i]`` for each row i (any trailing shape), ``(N,)``.

    The Pearson correlation of the ranks, ties given their average rank (as ``scipy.stats.spearmanr``).
    NaN where one of the two maps is constant (ρ is undefined there).
    """
    if a.shape != b.shape:
        raise InputError(f"maps to compare must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    ra = _ranks(a.detach().cpu().flatten(1).double())
    rb = _ranks(b.detach().cpu().flatten(1).double())
    ra = ra - ra.mean(dim=1, keepdim=True)
    rb = rb - rb.mean(dim=1, keepdim=True)
    denominator = (ra.norm(dim=1) * rb.norm(dim=1)).float()
    rho = (ra * rb).sum(dim=1).float() / denominator
    return torch.where(denominator > 0, rho, torch.full_like(rho, float("nan")))


def randomization_blocks(model: Classifier) -> list[str]:
    """The blocks of ``model.net`` that the cascade re-initialises, **from the top down**.

    A block is a top-level unit with weights, named by the first two parts of its layers' names:
    ``"classifier.1"``, ``"features.12"`` (a whole Fire module), …, ``"features.0"`` for SqueezeNet;
    ``"fc"``, ``"layer4.1"``, …, ``"conv1"`` for a ResNet; each convolution and linear layer for VGG.
    """
    blocks: list[str] = []
    for name, module in model.net.named_modules():
        if name and any(True for _ in module.parameters(recurse=False)):
            block = ".".join(name.split(".")[:2])
            if block not in blocks:
                blocks.append(block)
    return blocks[::-1]


@torch.no_grad()
def randomize_block(net: torch.nn.Module, block: str, generator: torch.Generator) -> None:
    """Re-draw, in place, every parameter of ``block`` (a name from :func:`randomization_blocks`).

    Each weight or bias tensor w is replaced by Gaussian noise of the same shape, with mean 0 and
    the standard deviation of the trained tensor (|w| for a single value): the trained values are
    gone, the scale of the layer — and so of its activations — is kept. Batch-norm running
    statistics are left as they were.
    """
    modules = dict(net.named_modules())
    if block not in modules:
        raise InputError(f"no block {block!r} in the network; see tp8.sanity.randomization_blocks(model)")
    for param in modules[block].parameters():
        std = param.std() if param.numel() > 1 else param.abs().reshape(())
        noise = torch.randn(param.shape, generator=generator).to(param.device, param.dtype)
        param.copy_(noise * std)


@dataclass
class RandomizationResult:
    """What :func:`model_randomization` returns.

    Attributes:
        blocks: the blocks re-initialised, in that order (top down); step t has the first t.
        correlation: per method, Spearman's ρ between the map after step t and the trained
            network's map, ``(len(blocks) + 1, N)``; row 0 compares the trained map with itself (1).
            ρ is NaN where either map is constant (every pixel equal): a rank correlation is
            undefined there. Such a *degenerate* map says nothing about the method: on a network
            whose scores pass a final ReLU (SqueezeNet), a score that the randomised weights drove
            to 0 has an all-zero gradient at the image, so the raw-gradient and Grad-CAM maps vanish
            (SmoothGrad and integrated gradients take gradients elsewhere, at noisy copies or along
            the path, and need not). :meth:`mean` leaves them out and ``constant`` counts them.
        constant: per method, True where a map is constant (every pixel equal), ``(len(blocks) + 1, N)``.
        target: the class explained (the same at every step), ``(N,)``.
        maps: per method, the maps at every step ``(len(blocks) + 1, N, H, W)`` when ``keep_maps``;
            else ``None``.
        absolute: whether ρ compares |maps| (Adebayo et al.'s main setting).
        seed: the seed of the random weights.
    """

    blocks: list[str]
    correlation: dict[str, Tensor]
    constant: dict[str, Tensor]
    target: Tensor
    maps: dict[str, Tensor] | None = None
    absolute: bool = True
    seed: int = 0

    def __len__(self) -> int:
        return self.target.shape[0]

    def __getitem__(self, index) -> RandomizationResult:
        """The check on some images only: ``r[2]``, ``r[[0, 3]]``, ``r[mask]`` (same type)."""
        index = normalize_index(index, len(self))
        return replace(
            self,
            correlation={m: c[:, index] for m, c in self.correlation.items()},
            constant={m: c[:, index] for m, c in self.constant.items()},
            target=self.target[index],
            maps=None if self.maps is None else {m: v[:, index] for m, v in self.maps.items()},
        )

    @property
    def methods(self) -> list[str]:
        return list(self.correlation)

    @property
    def steps(self) -> list[str]:
        """The label of each step: ``"—"`` (the trained network), then the block re-drawn at that step."""
        return ["—", *self.blocks]

    def mean(self) -> dict[str, Tensor]:
        """Per method, ρ averaged over the images at each step, ``(len(blocks) + 1,)``.

        Degenerate (constant) maps, whose ρ is NaN, are left out; a step where every map is
        degenerate gives NaN. :meth:`degenerate` says how many were left out.
        """
        return {m: c.nanmean(dim=1) for m, c in self.correlation.items()}

    def degenerate(self) -> dict[str, Tensor]:
        """Per method, the number of images whose map is constant at each step, ``(len(blocks) + 1,)``."""
        return {m: c.sum(dim=1) for m, c in self.constant.items()}

    def rows(self, model: Classifier | None = None) -> list[dict]:
        """One dict per image: its class, and per method ρ once every block is random and ρ averaged over the steps."""
        out = []
        for k in range(len(self)):
            cls = int(self.target[k])
            row = {"class": model.categories[cls] if model is not None else cls}
            for m, c in self.correlation.items():
                row[f"{m}: ρ at the end"] = float(c[-1, k])
                row[f"{m}: mean ρ"] = float(c[1:, k].nanmean()) if c.shape[0] > 1 else float("nan")
            out.append(row)
        return out


def _resolve_methods(methods) -> dict[str, Method]:
    if isinstance(methods, str):
        methods = [methods]
    if isinstance(methods, Mapping):
        items = list(methods.items())
    elif isinstance(methods, Sequence):
        items = [(m, m) for m in methods]
    else:
        raise InputError("methods must be a list of method names or a {name: function} mapping")
    resolved: dict[str, Method] = {}
    for name, method in items:
        if isinstance(method, str):
            if method not in METHODS:
                raise InputError(f"unknown attribution method {method!r}; choose among {', '.join(METHODS)}")
            fn = METHODS[method]
            needs_quiet = method in ("smoothgrad", "ig")
            resolved[name] = (lambda m, x, t, fn=fn: fn(m, x, t, progress=False)) if needs_quiet else fn
        elif callable(method):
            resolved[name] = method
        else:
            raise InputError(f"method {name!r} must be a method name or a function (model, images, target) → maps")
    if not resolved:
        raise InputError("model_randomization needs at least one method")
    return resolved


def _maps_of(output, n: int, name: str) -> Tensor:
    maps = output.maps if isinstance(output, AttributionResult) else output
    if not isinstance(maps, Tensor) or maps.ndim != 3 or maps.shape[0] != n:
        shape = tuple(maps.shape) if isinstance(maps, Tensor) else type(maps).__name__
        raise InputError(f"method {name!r} must return {n} maps shaped (N, H, W), got {shape}")
    return maps.detach().float().cpu()


def model_randomization(
    model: Classifier,
    images: Tensor,
    methods: Sequence[str] | Mapping[str, str | Method] = ("gradient", "smoothgrad", "ig", "gradcam"),
    target: Target | None = None,
    *,
    blocks: Sequence[str] | None = None,
    seed: int = 0,
    absolute: bool = True,
    keep_maps: bool = False,
    progress: bool = True,
) -> RandomizationResult:
    r"""Cascading model randomisation: do the maps change when the network is destroyed? (Adebayo et al. 2018)

    Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim, *Sanity Checks for Saliency Maps*, NeurIPS
    2018, https://arxiv.org/abs/1810.03292, §3.1 ("cascading randomization"): for t = 1 … T the
    blocks b_1 … b_t (from the top down) of a copy of the network f have their weights re-drawn at
    random, giving f_t, and for each method E

        ρ_t(E) = Spearman( |E(f, x, c)|, |E(f_t, x, c)| )

    is measured on each image. A method that depends on the network shows ρ falling toward 0 as
    the cascade goes down; one whose ρ stays near 1 shows something of the image (edges, say)
    that the network does not decide. The caller's ``model`` is never modified: the cascade runs
    on a deep copy, and the class explained stays the class c of the trained network.

    ρ is NaN for a degenerate (constant) map, which :meth:`RandomizationResult.mean` leaves out and
    :meth:`RandomizationResult.degenerate` counts. A low ρ is necessary, not sufficient: noise
    drawn anew at each call passes too (Binder et al. 2023, https://arxiv.org/abs/2211.12486); the
    threshold under which a method passes is the caller's convention.

    Args:
        model: a :class:`~tp8.models.Classifier` (not modified).
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or one ``(3, H, W)`` image.
        methods: the methods to check: names from :data:`tp8.attribution.METHODS` (default: all
            four, each with its own defaults), or ``{name: function}`` with
            ``function(model, images, target)`` returning maps ``(N, H, W)`` or an
            :class:`~tp8.attribution.AttributionResult` (e.g. ``functools.partial(tp8.smoothgrad,
            n_samples=8, progress=False)``).
        target: the class of each image (index or name, one for all or one per image); ``None``
            (default) takes the class the trained network predicts.
        blocks: the blocks to re-initialise, in order (default: :func:`randomization_blocks`, all
            of them, top down).
        seed: seeds the random weights (default 0; a ``torch.Generator``, never the global state).
        absolute: compare |maps| (default True, as in the paper's figures); False compares the
            signed maps (only Integrated Gradients' are signed here).
        keep_maps: also return every map at every step (default False; memory grows as
            steps × methods × images).
        progress: show a progress bar (default True).

    Returns:
        A :class:`RandomizationResult`: ``correlation[method]`` shaped ``(T + 1, N)``.

    Example::

        >>> check = tp8.model_randomization(model, images, ["gradient", "gradcam"])
        >>> check.mean()["gradcam"]   # ρ averaged over the images, step by step
    """
    seed = check_seed(seed)
    resolved = _resolve_methods(methods)
    batch, _, classes = prepare(model, images, target)
    classes, _ = predict_classes(model, batch, classes)
    n = batch.shape[0]
    copy_ = copy.deepcopy(model)
    names = randomization_blocks(copy_) if blocks is None else list(blocks)
    known = dict(copy_.net.named_modules())
    unknown = [b for b in names if b not in known or not b]
    if unknown:
        raise InputError(
            f"no block {unknown[0]!r} in {model.name}; blocks are names such as "
            f"{', '.join(randomization_blocks(model)[:4])} (see tp8.sanity.randomization_blocks(model))"
        )
    generator = torch.Generator().manual_seed(seed)
    trained: dict[str, Tensor] = {}
    correlation = {m: torch.empty(len(names) + 1, n) for m in resolved}
    constant = {m: torch.zeros(len(names) + 1, n, dtype=torch.bool) for m in resolved}
    kept = {m: [] for m in resolved} if keep_maps else None
    bar = progress_bar((len(names) + 1) * len(resolved), f"model randomisation ({n} images)", progress)
    for step in range(len(names) + 1):
        if step:
            randomize_block(copy_.net, names[step - 1], generator)
        for name, method in resolved.items():
            maps = _maps_of(method(copy_, batch, classes), n, name)
            compared = maps.abs() if absolute else maps
            if step == 0:
                trained[name] = compared
            flat = compared.flatten(1)
            constant[name][step] = (flat == flat[:, :1]).all(dim=1)
            # NaN where either map is constant: undefined, and left out of the mean.
            correlation[name][step] = rank_correlation(trained[name], compared)
            if kept is not None:
                kept[name].append(maps)
            bar.update(1)
    bar.close()
    return RandomizationResult(
        blocks=names,
        correlation=correlation,
        constant=constant,
        target=classes.cpu(),
        maps=None if kept is None else {m: torch.stack(v) for m, v in kept.items()},
        absolute=bool(absolute),
        seed=seed,
    )
