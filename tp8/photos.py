"""The course's photos, loaded by name, each with its credit.

Two kinds of photos answer to a name:

* the **bundled** ones, open-licence photos that ship inside scikit-image, scikit-learn and
  matplotlib (``chelsea``, ``coffee``…), described in ``tp8/photos.toml``;
* a **course's own**, in one folder (``docs/photos/`` in the course's repository): the image file
  ``<name>.jpg`` (or ``.jpeg``, ``.png``, ``.webp``) and beside it ``<name>.toml``, its credit::

      title = "Le chat de la salle 204"
      author = "Jeanne Martin"
      licence = "CC BY 4.0"
      licence_url = "https://creativecommons.org/licenses/by/4.0/"  # optional
      source = "photo de l'enseignante, 2026"
      imagenet_class = "tabby"                                      # optional

``title``, ``licence`` and ``source`` are required: a photo without them is refused, by
:func:`photo_credits` (the course's build) and when it is loaded.

:func:`tp8.sample_images` loads both kinds by name, with the same call in a page, in a student's
notebook and on Colab. The folder is found in this order:

1. ``$TP8_PHOTOS``, a folder, when set;
2. ``photos/`` in the working directory (the course's pages run in ``docs/``), else ``docs/photos/``
   in the working directory or one of its parents (a clone of the course, notebooks included);
3. ``$TP8_PHOTOS_URL``, where the files are downloaded from (the student notebooks' first cell sets
   it to the course repository's ``docs/photos/``), into a cache folder of this session.
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path

try:
    from .errors import ImageLoadError, InputError
except ImportError:  # read alone, as a file, by the course's build (which does not import torch)
    ImageLoadError = InputError = ValueError  # type: ignore[misc,assignment]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["PHOTO_SUFFIXES", "PhotoCredit", "PhotoError", "bundled_credits", "photo_credits", "photo_folder"]

#: The image files a course photo may be, in the order they are looked for.
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
#: What a credit must say.
REQUIRED = ("title", "licence", "source")
_KNOWN = {"title", "title_en", "author", "licence", "licence_url", "source", "imagenet_class", "note"}
#: The English of a credit's words, for the course's English edition (each optional: the French otherwise).
_KNOWN |= {"author_en", "licence_en", "source_en", "note_en"}


class PhotoError(ImageLoadError):
    """A course photo that is missing, or whose credit is incomplete."""


@dataclass(frozen=True)
class PhotoCredit:
    """Who made a photo, under which licence, and where it comes from."""

    name: str
    title: str
    licence: str
    source: str
    author: str = ""
    licence_url: str = ""
    imagenet_class: str | None = None
    title_en: str = ""
    note: str = ""
    distributed_by: str = ""  #: the package that ships a bundled photo
    author_en: str = ""  #: the English of ``author``, ``licence``, ``source``, ``note``, ``distributed_by``
    licence_en: str = ""
    source_en: str = ""
    note_en: str = ""
    distributed_by_en: str = ""
    loader: str = ""  #: ``package:argument`` for a bundled photo
    path: str = ""  #: the course photo's credit file (``<name>.toml``), where it was read


def _credit(name: str, table: dict, where: str, *, bundled: bool) -> PhotoCredit:
    missing = [k for k in REQUIRED if not str(table.get(k, "")).strip()]
    if missing:
        raise PhotoError(
            f"{where}: the photo {name!r} has no {' nor '.join(missing)}; a photo of the course needs a title, a "
            "licence and a source (see the teachers' page, « Vos photos »), so that its credit can be published"
        )
    allowed = _KNOWN | ({"loader", "distributed_by", "distributed_by_en"} if bundled else set())
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise PhotoError(f"{where}: unknown key(s) {unknown}; the keys are {sorted(allowed)}")
    fields = {k: (str(v).strip() if k != "imagenet_class" else str(v).strip() or None) for k, v in table.items()}
    return PhotoCredit(name=name, **fields)


@cache
def bundled_credits() -> dict[str, PhotoCredit]:
    """The credits of the bundled photos, by name (from ``tp8/photos.toml``)."""
    path = Path(__file__).with_name("photos.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: _credit(name, table, "tp8/photos.toml", bundled=True) for name, table in data.items()}


def photo_folder() -> Path | None:
    """The course's photo folder as described in the module's docstring, or ``None``."""
    env = os.environ.get("TP8_PHOTOS")
    if env:
        folder = Path(env).expanduser()
        if not folder.is_dir():
            raise PhotoError(f"TP8_PHOTOS={env} is not a folder; point it to the folder of the course's photos")
        return folder
    cwd = Path.cwd()
    if (cwd / "photos").is_dir():
        return cwd / "photos"
    for parent in (cwd, *cwd.parents):
        if (parent / "docs" / "photos").is_dir():
            return parent / "docs" / "photos"
    return None


def read_credit(path: Path) -> PhotoCredit:
    """The credit written in a course photo's ``<name>.toml``."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PhotoError(f'{path}: not valid TOML ({exc}); write one `key = "value"` per line') from None
    return _credit(path.stem, table, str(path), bundled=False)


def photo_credits(folder: str | os.PathLike | None = None) -> list[PhotoCredit]:
    """Every photo a course can load by name: the bundled ones, then the folder's, checked.

    Args:
        folder: the course's photo folder (default: :func:`photo_folder`).

    Raises:
        PhotoError: a photo without its credit file, a credit without its photo, a credit without a
            title, licence or source, or a name that a bundled photo already has.
    """
    credits = list(bundled_credits().values())
    folder = Path(folder) if folder is not None else photo_folder()
    if folder is None:
        return credits
    images = {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in PHOTO_SUFFIXES}
    tomls = {p.stem: p for p in sorted(folder.glob("*.toml"))}
    for stem, image in images.items():
        if stem not in tomls:
            raise PhotoError(
                f"{image}: this photo has no credit; write {image.with_suffix('.toml').name} beside it with its "
                "title, licence and source (see the teachers' page, « Vos photos »)"
            )
    for stem, path in tomls.items():
        if stem not in images:
            raise PhotoError(f"{path}: no photo {stem}{'/'.join(PHOTO_SUFFIXES)} beside this credit")
        if stem in bundled_credits():
            raise PhotoError(f"{path}: {stem!r} is a photo bundled with tp8; give yours another name")
        credits.append(read_credit(path))
    return credits


def course_photo(name: str) -> tuple[PhotoCredit, Path]:
    """A course photo's credit and image file, found as the module's docstring says."""
    folder = photo_folder()
    if folder is not None:
        credit_file = folder / f"{name}.toml"
        if credit_file.exists():
            credit = read_credit(credit_file)
            for suffix in PHOTO_SUFFIXES:
                if (folder / f"{name}{suffix}").exists():
                    return credit, folder / f"{name}{suffix}"
            raise PhotoError(f"{credit_file}: no photo {name}{'/'.join(PHOTO_SUFFIXES)} beside this credit")
    url = os.environ.get("TP8_PHOTOS_URL")
    if url:
        return _download(name, url.rstrip("/") + "/")
    known = sorted(bundled_credits())
    where = f"in {folder}" if folder is not None else "(no photo folder: set TP8_PHOTOS to one)"
    raise InputError(f"unknown photo {name!r} {where}; the bundled photos are {known}")


def _fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise PhotoError(f"cannot download {url} ({exc}); set TP8_PHOTOS to a folder holding the photo") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PhotoError(f"cannot download {url} ({exc}); set TP8_PHOTOS to a folder holding the photo") from None


@cache
def _download_folder() -> Path:
    """This process's own folder for downloaded photos (a photo replaced upstream is fetched again next session)."""
    return Path(tempfile.mkdtemp(prefix="tp8-photos-"))


def _download(name: str, base: str) -> tuple[PhotoCredit, Path]:
    folder = _download_folder()
    credit_file = folder / f"{name}.toml"
    if not credit_file.exists():
        data = _fetch(base + f"{name}.toml")
        if data is None:
            raise InputError(
                f"unknown photo {name!r}: no {name}.toml at {base}; the bundled photos are {sorted(bundled_credits())}"
            )
        credit_file.write_bytes(data)
    credit = read_credit(credit_file)
    for suffix in PHOTO_SUFFIXES:
        image = folder / f"{name}{suffix}"
        if image.exists():
            return credit, image
    for suffix in PHOTO_SUFFIXES:
        data = _fetch(base + f"{name}{suffix}")
        if data is not None:
            image = folder / f"{name}{suffix}"
            image.write_bytes(data)
            return credit, image
    raise PhotoError(f"{base}: the credit {name}.toml is there but no photo {name}{'/'.join(PHOTO_SUFFIXES)}")
