"""Adversarial ("fooling") images: the smallest nudge that changes the network's answer.

* :func:`fooling_image` — the naive method of the lab (its eq. 2, as in the "fooling images"
  exercise of Stanford's CS231n): normalised gradient ascent on the target class score. The
  phenomenon was shown by Biggio et al. (2013, https://arxiv.org/abs/1708.06131: gradient-based
  evasion of SVMs and neural networks at test time) and, with imperceptible perturbations of deep
  image classifiers, by Szegedy et al. (2014, https://arxiv.org/abs/1312.6199), who found theirs
  with box-constrained L-BFGS on ``c‖r‖ + loss(x + r, target)`` (their §4.1). Eq. 2's closest
  published relative is Kurakin et al.'s iterative method below, with L2-normalised steps instead
  of signed ones.
* :func:`pgd_attack` — the targeted basic iterative method under an L∞ budget (Kurakin, Goodfellow
  & Bengio 2017, https://arxiv.org/abs/1607.02533): signed steps projected on the ε-ball, as in
  Madry et al.'s PGD (https://arxiv.org/abs/1706.06083) but with no random start, and stopping at
  the first success; and :func:`fgsm`, its one-step form, the "one-step target class method"
  (Kurakin et al. 2017, https://arxiv.org/abs/1611.01236), the targeted variant of Goodfellow et
  al.'s untargeted FGSM (2015, https://arxiv.org/abs/1412.6572): alternatives for question Q7.

All three work on a batch, stop each image as soon as it is classified as its target (finished
images leave the batch), keep pixels in [0, 1], and judge success on the image **rounded to
8 bits** — what a saved PNG holds. An attack that rounding undoes is not a success: they go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor

from ._progress import progress_bar
from ._validate import check_count, check_fraction, check_number
from .images import check_images, quantize
from .models import Classifier, Target

__all__ = ["AttackResult", "fgsm", "fooling_image", "pgd_attack"]


@dataclass
class AttackResult:
    """What an attack produced, one entry per image.

    Attributes:
        images: the adversarial images, on the 8-bit grid, ``(N, 3, H, W)`` in [0, 1].
        original: the images attacked.
        target: the class each image was pushed toward.
        original_class: what the network predicted for the original image.
        predicted: what it predicts for the (rounded) adversarial image.
        success: ``predicted == target``.
        iterations: gradient steps taken (0 if the original was already the target).
        target_prob: softmax probability of the target on the rounded adversarial image.
    """

    images: Tensor
    original: Tensor
    target: Tensor
    original_class: Tensor
    predicted: Tensor
    success: Tensor
    iterations: Tensor
    target_prob: Tensor
    method: str = "fooling"

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index) -> AttackResult:
        """The results of some images only: ``result[:3]``, ``result[[0, 2]]``, ``result[result.success]``."""
        if isinstance(index, int):
            index = [index]
        fields = ("images", "original", "target", "original_class", "predicted", "success", "iterations", "target_prob")
        return replace(self, **{f: getattr(self, f)[index] for f in fields})

    @property
    def perturbation(self) -> Tensor:
        """``images − original``, in [0, 1] pixel units."""
        return self.images - self.original

    @property
    def l2(self) -> Tensor:
        """‖δ‖₂ of each perturbation, in [0, 1] pixel units."""
        return self.perturbation.flatten(1).norm(dim=1)

    @property
    def linf(self) -> Tensor:
        """‖δ‖∞ of each perturbation, in [0, 1] pixel units."""
        return self.perturbation.flatten(1).abs().amax(dim=1)

    @property
    def l2_255(self) -> Tensor:
        """‖δ‖₂ in 8-bit grey levels (× 255)."""
        return self.l2 * 255

    @property
    def linf_255(self) -> Tensor:
        """‖δ‖∞ in 8-bit grey levels: 1.0 means one grey level at most."""
        return self.linf * 255

    @property
    def success_rate(self) -> float:
        return float(self.success.float().mean())

    def rows(self, model: Classifier | None = None) -> list[dict]:
        """One dict per image (class names when ``model`` is given), e.g. for a table."""
        name = (lambda i: model.categories[i]) if model is not None else (lambda i: i)
        out = []
        for k in range(self.images.shape[0]):
            out.append(
                {
                    "original": name(int(self.original_class[k])),
                    "target": name(int(self.target[k])),
                    "predicted": name(int(self.predicted[k])),
                    "success": bool(self.success[k]),
                    "iterations": int(self.iterations[k]),
                    "L2": float(self.l2[k]),
                    "L2 (/255)": float(self.l2_255[k]),
                    "Linf (/255)": float(self.linf_255[k]),
                    "target prob": float(self.target_prob[k]),
                }
            )
        return out


Update = Callable[[Tensor, Tensor, Tensor], Tensor]  # (x, grad, x0) -> new x


def _attack(
    model: Classifier,
    images: Tensor,
    target: Target,
    *,
    objective: Callable[[Tensor, Tensor], Tensor],
    update: Update,
    max_iter: int,
    method: str,
    progress: bool,
) -> AttackResult:
    """Shared loop: per-image stopping on the 8-bit-rounded image, batch shrinking as images finish.

    Each iteration makes one forward and one backward pass on the images still running. The
    forward pass runs on the *rounded* iterate, so it both checks success and gives the
    gradient (a straight-through estimate: the step is applied to the unrounded iterate).
    """
    max_iter = check_count("max_iter", max_iter, minimum=0, hint="0 only judges the originals")
    batch, _ = check_images(images)
    x0 = quantize(batch.detach().to(model.device).float())  # the photo as an 8-bit file holds it
    n = x0.shape[0]
    targets = model.class_indices(target, n)
    x = x0.clone()
    iterations = torch.zeros(n, dtype=torch.long)
    original_class = torch.zeros(n, dtype=torch.long)
    predicted = torch.zeros(n, dtype=torch.long)
    target_prob = torch.zeros(n)
    active = torch.arange(n, device=x0.device)
    bar = progress_bar(max_iter, f"{method} ({n} images)", progress)
    with torch.enable_grad():
        for step in range(max_iter + 1):
            leaf = quantize(x[active]).requires_grad_(True)
            scores = model(leaf)
            pred = scores.detach().argmax(dim=1)
            if step == 0:
                original_class[active.cpu()] = pred.cpu()
            hit = pred == targets[active]
            finished = hit if step < max_iter else torch.ones_like(hit)
            if finished.any():
                idx = active[finished].cpu()
                iterations[idx] = step
                predicted[idx] = pred[finished].cpu()
                probs = scores.detach()[finished].softmax(dim=1)
                target_prob[idx] = probs.gather(1, targets[active][finished][:, None])[:, 0].cpu()
            running = ~finished
            if not running.any():
                break
            value = objective(scores[running], targets[active][running]).sum()
            (grad,) = torch.autograd.grad(value, leaf)
            keep = active[running]
            x[keep] = update(x[keep], grad[running], x0[keep]).clamp_(0.0, 1.0)
            active = keep
            bar.update(1)
            bar.set_postfix(running=int(active.numel()))
    bar.close()
    adversarial = quantize(x)
    success = predicted == targets.cpu()
    return AttackResult(
        images=adversarial.cpu(),
        original=x0.cpu(),
        target=targets.cpu(),
        original_class=original_class,
        predicted=predicted,
        success=success,
        iterations=iterations,
        target_prob=target_prob,
        method=method,
    )


def _check_max_iter(max_iter, default: int) -> int:
    return check_count(
        "max_iter",
        max_iter,
        minimum=0,
        hint=f"it counts the steps allowed per image: {default} (the default) is a good start",
    )


def _check_epsilon(epsilon) -> float:
    return check_fraction(
        "epsilon",
        epsilon,
        hint="it is the largest change of a pixel, in [0, 1] units: 4/255 (the default) is the usual budget",
    )


def _target_score(scores: Tensor, targets: Tensor) -> Tensor:
    return scores.gather(1, targets[:, None])[:, 0]


def _target_log_prob(scores: Tensor, targets: Tensor) -> Tensor:
    return -F.cross_entropy(scores, targets, reduction="none")


def fooling_image(
    model: Classifier,
    images: Tensor,
    target: Target,
    *,
    lr: float = 0.2,
    max_iter: int = 100,
    progress: bool = True,
) -> AttackResult:
    """Fooling images by normalised gradient ascent on the target score (the lab's eq. 2).

    The lab's method, as in CS231n's "fooling images" exercise; the phenomenon is Szegedy et
    al.'s (2014, arXiv:1312.6199), who searched with box-constrained L-BFGS instead. With
    g = ∂ỹ_j/∂x the gradient of the target class score (the logit, before the softmax) with
    respect to the pixels:

        x ← clamp(x + η · g / ‖g‖₂, 0, 1)

    repeated for each image until the network classifies it as its target j. Every step has
    length η in pixel space (before the clamp), whatever the scale of the gradient.

    The score has no factor ŷ_j to crush its gradient, as the probability's has, but it can
    still be flat: SqueezeNet's scores are ``AvgPool(ReLU(conv10(·)))``, so a class whose whole
    13×13 map is switched off scores exactly 0 with a zero gradient. Such a target cannot be
    reached by this method (g = 0: the image does not move) and is reported as a failure.

    Success is judged on the image rounded to 8 bits, and the gradient is taken there too
    (a straight-through estimate: one forward and one backward pass per iteration do both);
    an image whose attack rounding would undo keeps going. Finished images leave the batch.

    Args:
        model: a :class:`~tp8.models.Classifier`.
        images: RGB pixels in [0, 1], ``(N, 3, H, W)`` or ``(3, H, W)``; typically correctly
            classified photos.
        target: class j (index or name), one for all or one per image.
        lr: η, the L2 length of each step in [0, 1] pixel units (0.2 = 51 grey levels
            spread over the 150,528 values of a 224×224 image).
        max_iter: steps allowed per image before it counts as a failure.
        progress: show a tqdm progress bar.

    Returns:
        An :class:`AttackResult` with per-image success, iterations, norms and probability.

    Raises:
        InputError: images not RGB pixels in [0, 1] (or NaN), ``lr`` not > 0, ``max_iter`` not
            an integer ≥ 0, or as many targets as images not given.
    """
    lr = check_number(
        "lr",
        lr,
        low=0,
        low_open=True,
        hint="it is the L2 length of each step in [0, 1] pixel units: 0.2 (the default) is a good start",
    )
    max_iter = _check_max_iter(max_iter, 100)

    def step(x: Tensor, g: Tensor, x0: Tensor) -> Tensor:
        norm = g.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
        return x + lr * g / norm

    return _attack(
        model,
        images,
        target,
        objective=_target_score,
        update=step,
        max_iter=max_iter,
        method="fooling",
        progress=progress,
    )


def pgd_attack(
    model: Classifier,
    images: Tensor,
    target: Target,
    *,
    epsilon: float = 4 / 255,
    step_size: float = 1 / 255,
    max_iter: int = 50,
    progress: bool = True,
) -> AttackResult:
    """Targeted basic iterative method under an L∞ budget (Kurakin et al. 2017, arXiv:1607.02533).

    Madry et al.'s PGD (2018, arXiv:1706.06083) iterates the same projected signed step, but starts
    from a random point of the ε-ball and runs a fixed number of steps, untargeted; this one starts
    from the photo itself and stops as soon as the target leads after 8-bit rounding.

    Ascends the log-probability of the target j with signed steps and projects back into the
    ε-ball around the original x₀ after each one:

        x ← Π_{‖x − x₀‖∞ ≤ ε} ( x + α · sign(∇ₓ log ŷ_j) ),   clamped to [0, 1]

    Unlike the lab's naive method, the budget ε bounds how much any single value may change: the
    usual L∞ threat model, which eq. 2 does not respect. It is a convention, not a perceptual
    guarantee: no Lp norm tracks what the eye sees (Sharif, Bauer & Reiter 2018,
    arXiv:1802.09653; Gilmer et al. 2018, arXiv:1807.06732). With ε a multiple of 1/255 the
    8-bit rounding cannot leave the ball.

    Args:
        epsilon: ε, the largest change of any pixel (default 4 grey levels).
        step_size: α, the change of each pixel per step.
        max_iter: steps allowed per image.

    Raises:
        InputError: as :func:`fooling_image`, or ``epsilon`` not in [0, 1], ``step_size`` not in (0, 1].
    """
    epsilon = _check_epsilon(epsilon)
    step_size = check_number(
        "step_size",
        step_size,
        low=0,
        low_open=True,
        high=1,
        hint="it is the change of each pixel per step, in [0, 1] units: 1/255 (the default) is a good start",
    )
    max_iter = _check_max_iter(max_iter, 50)

    def step(x: Tensor, g: Tensor, x0: Tensor) -> Tensor:
        x = x + step_size * g.sign()
        return torch.minimum(torch.maximum(x, x0 - epsilon), x0 + epsilon)

    return _attack(
        model,
        images,
        target,
        objective=_target_log_prob,
        update=step,
        max_iter=max_iter,
        method="pgd",
        progress=progress,
    )


def fgsm(model: Classifier, images: Tensor, target: Target, *, epsilon: float = 4 / 255) -> AttackResult:
    """One-step target class method (Kurakin, Goodfellow & Bengio 2017, arXiv:1611.01236).

    The targeted form of the fast gradient sign method, which Goodfellow, Shlens & Szegedy (2015,
    eq. 3, arXiv:1412.6572) published untargeted (a step up the loss of the true label).

    One step x ← clamp(x + ε · sign(∇ₓ log ŷ_j), 0, 1) toward the target class j: fast, but
    a single linear extrapolation often falls short where an iterative attack succeeds.

    Raises:
        InputError: as :func:`fooling_image`, or ``epsilon`` not in [0, 1].
    """
    epsilon = _check_epsilon(epsilon)

    def step(x: Tensor, g: Tensor, x0: Tensor) -> Tensor:
        return x0 + epsilon * g.sign()

    return _attack(
        model, images, target, objective=_target_log_prob, update=step, max_iter=1, method="fgsm", progress=False
    )
