"""Images in, images out: everything tp8 calls an image is an RGB tensor in ``[0, 1]``.

* :func:`load_image` reads a file, a PIL image or a NumPy array of any mode and applies
  torchvision's evaluation transform (resize the short side to 256, centre-crop 224).
* :func:`sample_images` returns the course's photos by name: open-licence photos that ship
  inside scikit-image, scikit-learn and matplotlib, and a course's own (:mod:`tp8.photos`);
  the course never shows ImageNet photos.
* :func:`to_numpy` turns tensors back into arrays for display, without any rescaling, so an
  adversarial perturbation is shown at its true size.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor
from torchvision.transforms import functional as TF

from ._validate import check_finite_tensor, check_int
from .errors import ImageLoadError, InputError

__all__ = [
    "ImageSource",
    "SampleImage",
    "check_images",
    "load_image",
    "load_images",
    "quantize",
    "sample_images",
    "save_image",
    "to_numpy",
]

ImageSource = str | os.PathLike | Image.Image | np.ndarray

RESIZE = 256
CROP = 224


def _pil_from_array(array: np.ndarray) -> np.ndarray:
    """Any H×W, H×W×1, H×W×3 or H×W×4 array → float32 H×W×3 in [0, 1]."""
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise InputError(f"an image array must be H×W, H×W×3 or H×W×4, got shape {a.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        top = 255 if a.dtype == np.uint8 else (65535 if a.max(initial=0) > 255 else 255)
        if info.min < 0 and a.min(initial=0) < 0:
            raise InputError("an integer image array must not hold negative values")
        a = a.astype(np.float32) / top
    else:
        a = a.astype(np.float32)
        if not np.isfinite(a).all():
            raise InputError(
                f"a float image array holds {int((~np.isfinite(a)).sum())} NaN or infinite value(s); "
                "clean it first (e.g. np.nan_to_num(a, nan=0.0))"
            )
        if a.size and (a.min() < 0 or a.max() > 1):
            raise InputError(f"a float image array must hold values in [0, 1], got [{a.min():.3g}, {a.max():.3g}]")
    channels = a.shape[2]
    if channels in (2, 4):  # grey+alpha or RGBA: composite onto white
        alpha = a[:, :, -1:]
        a = a[:, :, :-1] * alpha + (1.0 - alpha)
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return np.clip(a, 0.0, 1.0)


def _rgb_array(img: Image.Image) -> np.ndarray:
    """A PIL image of any mode → float32 H×W×3 array in [0, 1]."""
    img = ImageOps.exif_transpose(img) or img
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
        if mode == "F":
            top = 1.0 if a.max(initial=0) <= 1.0 else 255.0
        return _pil_from_array(np.clip(a / top, 0, 1).astype(np.float32))
    if mode == "P":
        img = img.convert("RGBA")
    elif mode not in ("RGB", "RGBA", "LA", "L", "1"):
        img = img.convert("RGB")  # CMYK, YCbCr, LAB, HSV…
    if img.mode == "1":
        img = img.convert("L")
    return _pil_from_array(np.asarray(img))


def _open(path: Path) -> Image.Image:
    if not path.exists():
        raise ImageLoadError(f"image file {path} does not exist")
    if path.is_dir():
        raise ImageLoadError(f"{path} is a directory, not an image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
                return img.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(
            f"{path} is suspiciously large (over {Image.MAX_IMAGE_PIXELS} pixels, a possible decompression bomb); "
            "resize it first"
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path} is not an image file PIL can read (PNG, JPEG, WebP, TIFF…)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"cannot read image {path}: it is truncated or damaged ({exc})") from None


def load_image(source: ImageSource, *, size: int = CROP, resize: int | None = RESIZE) -> Tensor:
    """Read an image and apply the evaluation transform of torchvision's ImageNet models.

    Args:
        source: a file path, a PIL image (any mode: L, LA, RGBA, P, CMYK, I;16…) or a NumPy
            array (H×W, H×W×3 or H×W×4; uint8, uint16 or float in [0, 1]).
            Transparent pixels are composited onto white.
        size: side of the centre crop.
        resize: the short side is resized to this first (``None``: no resize). An image that is
            already ``size`` × ``size`` is taken as it is: it is a crop (what ``tp8 fool`` or
            ``tp8 classviz`` saved), and resizing it again would blur away what was computed
            pixel by pixel, an adversarial perturbation first of all.

    Returns:
        A float32 tensor shaped ``(3, size, size)`` with values in ``[0, 1]``.

    Raises:
        ImageLoadError: missing, truncated or non-image file, or a decompression bomb.
        InputError: ``size`` or ``resize`` is not a positive integer.
    """
    size, resize = _check_sizes(size, resize)  # before reading anything
    if isinstance(source, (str, os.PathLike)):
        array = _rgb_array(_open(Path(source)))
    elif isinstance(source, Image.Image):
        array = _rgb_array(source)
    elif isinstance(source, np.ndarray):
        array = _pil_from_array(source)
    else:
        raise InputError(f"load_image takes a path, a PIL image or a NumPy array, not {type(source).__name__}")
    x = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    if resize is not None and tuple(x.shape[1:]) != (size, size):
        x = TF.resize(x, [resize], antialias=True)
    x = TF.center_crop(x, [size, size])
    return x.clamp(0.0, 1.0).contiguous()


def _check_sizes(size, resize) -> tuple[int, int | None]:
    size = check_int(
        "size", size, low=1, hint=f"the side of the centre crop in pixels; {CROP} (the default) suits ImageNet networks"
    )
    if resize is not None:
        resize = check_int(
            "resize",
            resize,
            low=1,
            hint=f"the short side in pixels before the crop; {RESIZE} (the default), or None for no resize",
        )
    return size, resize


def load_images(sources: Sequence[ImageSource], *, size: int = CROP, resize: int | None = RESIZE) -> Tensor:
    """:func:`load_image` on each source, stacked into a ``(N, 3, H, W)`` batch."""
    if isinstance(sources, (str, os.PathLike, Image.Image, np.ndarray)):
        raise InputError("load_images takes a list of images; use load_image for a single one")
    size, resize = _check_sizes(size, resize)  # before reading anything
    sources = list(sources)
    if not sources:
        raise InputError("load_images got no image; give a list of at least one path, PIL image or array")
    return torch.stack([load_image(s, size=size, resize=resize) for s in sources])


def check_images(images: Tensor, *, name: str = "images") -> tuple[Tensor, bool]:
    """Validate a batch (or a single image) of RGB pixels in ``[0, 1]``.

    Returns the batch shaped ``(N, 3, H, W)`` and whether a single ``(3, H, W)`` image was given.
    Refuses anything else: another shape, integers, an empty batch, NaN or infinite pixels, values
    outside ``[0, 1]`` (:class:`InputError`).
    """
    if not isinstance(images, Tensor):
        raise InputError(f"{name} must be a torch.Tensor, got {type(images).__name__}; use tp8.load_image")
    single = images.ndim == 3
    batch = images.unsqueeze(0) if single else images
    if batch.ndim != 4 or batch.shape[1] != 3:
        raise InputError(f"{name} must be shaped (3, H, W) or (N, 3, H, W), got {tuple(images.shape)}")
    if not batch.is_floating_point():
        raise InputError(f"{name} must be floating point in [0, 1], got {batch.dtype}")
    if batch.numel() == 0:
        raise InputError(f"{name} holds no pixel (shape {tuple(images.shape)}); give at least one non-empty image")
    check_finite_tensor(name, batch)
    lo, hi = float(batch.min()), float(batch.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise InputError(
            f"{name} must hold RGB pixels in [0, 1], got values in [{lo:.3g}, {hi:.3g}]; "
            "do not normalise them: tp8 models normalise inside"
        )
    return batch, single


def quantize(images: Tensor) -> Tensor:
    """Round pixels to the 8-bit grid (k/255): what a saved PNG holds."""
    return torch.round(images.clamp(0, 1) * 255) / 255


def to_numpy(images: Tensor) -> np.ndarray:
    """``(3, H, W)`` or ``(N, 3, H, W)`` tensors → ``(H, W, 3)`` or ``(N, H, W, 3)`` float arrays.

    Values are only clipped to [0, 1], never min-max rescaled: what you see is what the network
    saw. (Use a magnification factor explicitly to show small differences.)
    """
    x = images.detach().float().cpu().clamp(0, 1)
    return x.movedim(-3, -1).numpy()


def save_image(image: Tensor | np.ndarray, path: str | os.PathLike, *, force: bool = False) -> Path:
    """Save an RGB image (tensor ``(3, H, W)`` in [0, 1], or an H×W[×3] array) as an 8-bit PNG.

    Refuses to overwrite an existing file unless ``force=True``; the file is written to a
    temporary name first, so an interrupted write never leaves a damaged file behind.
    """
    path = Path(path)
    if path.exists() and not force:
        raise ImageLoadError(f"{path} already exists; choose another name or pass --force (force=True)")
    if isinstance(image, Tensor):
        check_finite_tensor("image", image.detach())
        image = to_numpy(image)
    array = np.asarray(image)
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise InputError("image holds NaN or infinite values; clean it first (e.g. np.nan_to_num(a, nan=0.0))")
    if array.dtype != np.uint8:
        array = np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)
    if not path.parent.exists():
        raise ImageLoadError(f"directory {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        Image.fromarray(array).save(tmp, format="PNG")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


@dataclass(frozen=True)
class SampleImage:
    """A photo of the course: bundled with tp8, or in the course's photo folder (:mod:`tp8.photos`)."""

    name: str
    image: Tensor  #: ``(3, 224, 224)`` in [0, 1], after the evaluation transform
    licence: str
    source: str
    imagenet_class: str | None  #: the ImageNet class it shows, where one fits
    title: str = ""  #: what it shows
    author: str = ""

    def __repr__(self) -> str:
        return f"SampleImage({self.name!r}, class={self.imagenet_class!r}, licence={self.licence!r})"


def _bundled(loader: str):
    package, arg = loader.split(":", 1)
    if package == "skimage":
        from skimage import data

        return data.stereo_motorcycle()[0] if arg == "motorcycle" else getattr(data, arg)()
    if package == "sklearn":
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{arg}.jpg")
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data(arg) as f:
        return Image.open(f).convert("RGB")


def _raw_photo(name: str):
    """The photo ``name`` before the evaluation transform: an array, a PIL image or a file path."""
    from . import photos

    bundled = photos.bundled_credits()
    if name in bundled:
        raw = _bundled(bundled[name].loader)
        return raw if isinstance(raw, (np.ndarray, Image.Image)) else np.asarray(raw)
    return photos.course_photo(name)[1]


def sample_images(names: Sequence[str] | None = None) -> list[SampleImage]:
    """The course's photos, by name: the open-licence ones bundled with tp8, and the course's own.

    The bundled photos ship inside scikit-image, scikit-learn and matplotlib, so they load anywhere
    tp8 is installed. A course adds its own in its photo folder, each with its credit
    (``docs/photos/<name>.jpg`` and ``<name>.toml``; :mod:`tp8.photos` says where the folder is
    found, on Colab too).

    Args:
        names: which ones (default: the eight bundled photos, ``chelsea``, ``coffee``,
            ``astronaut``, ``rocket``, ``motorcycle``, ``china``, ``flower``, ``grace_hopper``).

    Returns:
        :class:`SampleImage` records with the transformed image, its licence, its source, its title
        and the ImageNet class it shows (``None`` where no single class fits).

    Raises:
        InputError: a name that is neither bundled nor in the course's photo folder.
        tp8.photos.PhotoError: a course photo whose credit lacks a title, licence or source.
    """
    from . import photos

    if isinstance(names, str):
        raise InputError(f"sample_images takes a list of names, e.g. [{names!r}], not a string")
    bundled = photos.bundled_credits()
    chosen = list(bundled) if names is None else list(names)
    out = []
    for n in chosen:
        credit = bundled[n] if n in bundled else photos.course_photo(n)[0]
        image = load_image(_raw_photo(n))
        out.append(
            SampleImage(n, image, credit.licence, credit.source, credit.imagenet_class, credit.title, credit.author)
        )
    return out
