"""The students' notebooks (``notebooks/`` and ``notebooks/exercices/``): made in one place only.

``make site`` (the MkDocs hook), ``make notebooks`` (``tools/site_notebooks.py sync``) and the build
without MkDocs (``tools/site_notebooks.py run``) all call :func:`contents` then :func:`sync`, so they
write the same bytes. Each page gives ``notebooks/<page>.ipynb`` (its corrigé: the page without
outputs, an install cell first for Colab) and, when it has exercises,
``notebooks/exercices/<page>.ipynb`` (its énoncé, :mod:`variants`). Both are committed: Colab opens
notebooks from the repository.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

from . import variants
from .pages import Page
from .repo import Repo

#: Folder (relative to the repository root) holding the committed student notebooks.
STUDENT_DIR = "notebooks"
#: Folder of the exercise notebooks (solutions taken out), inside STUDENT_DIR.
EXERCISE_DIR = f"{STUDENT_DIR}/exercices"
#: Tag of the install cell added at the top of the student notebooks.
INSTALL_TAG = "colab-install"

_INSTALL_CELL = """\
# Installation de la bibliothèque tp8, pour Google Colab ou tout environnement où elle manque.
import importlib.util
import os

if importlib.util.find_spec("tp8") is None:
    %pip install --quiet "{spec}"
# Les photos propres au cours (docs/photos/ du dépôt) : tp8 les télécharge quand elles ne sont pas à côté.
os.environ.setdefault("TP8_PHOTOS_URL", "{photos}")
"""
_INSTALL_CELL_EN = """\
# Installs the tp8 library, for Google Colab or any environment that lacks it.
import importlib.util
import os

if importlib.util.find_spec("tp8") is None:
    %pip install --quiet "{spec}"
# The course's own photos (docs/photos/ in the repository): tp8 downloads them when they are not next to it.
os.environ.setdefault("TP8_PHOTOS_URL", "{photos}")
"""
#: The course's own photos, relative to the repository's root (tp8.photos).
PHOTOS_DIR = "docs/photos/"


def install_cell_source(repo: Repo, lang: str = "fr") -> str:
    """The install cell's code (its comments in ``lang``)."""
    template = _INSTALL_CELL_EN if lang == "en" else _INSTALL_CELL
    return template.format(spec=repo.install_spec(), photos=repo.raw_url(PHOTOS_DIR)).rstrip("\n")


def student_ipynb(nb, repo: Repo, lang: str = "fr") -> str:
    """A notebook as the students get it: install cell first (its comments in ``lang``), no outputs,
    stable cell ids, without the build's own cell metadata (``metadata["tp8"]`` of the cells it adds)."""
    import nbformat

    nb = copy.deepcopy(nb)
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("language_info", {"name": "python"})
    install = nbformat.v4.new_code_cell(install_cell_source(repo, lang), metadata={"tags": [INSTALL_TAG]})
    nb.cells.insert(0, install)
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
        metadata = cell.get("metadata") or {}
        if isinstance(metadata.get("tp8"), dict) and "generated" in metadata["tp8"]:
            del metadata["tp8"]
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def student_path(page: Page, *, exercise: bool = False) -> str:
    """``notebooks/<path under docs without .py>.ipynb`` (``notebooks/exercices/…`` for the énoncé)."""
    rel = page.src_uri[: -len(".py")] + ".ipynb"
    return f"{EXERCISE_DIR if exercise else STUDENT_DIR}/{rel}"


def page_notebooks(page: Page, repo: Repo, lang: str = "fr") -> dict[str, str]:
    """``{path: text}`` of the page's student notebooks: its corrigé, and its énoncé when it has one.
    ``lang="en"``: what the build adds (install cell, stubs, notices, answer boxes) in English (the
    author's text stays as the page has it: :func:`english.student_notebook` translates it)."""
    out = {student_path(page): student_ipynb(page.nb, repo, lang)}
    if page.has_exercises:
        enonce = variants.enonce(page, for_site=False, lang=lang)[0]
        out[student_path(page, exercise=True)] = student_ipynb(enonce, repo, lang)
    return out


def contents(pages: list[Page], repo: Repo, lang: str = "fr") -> dict[str, str]:
    """Every student notebook the pages make: ``{path: text}`` (``lang``: :func:`page_notebooks`)."""
    out: dict[str, str] = {}
    for page in pages:
        out.update(page_notebooks(page, repo, lang))
    return out


_URL_IN_INSTALL = re.compile(r"git\+[^\"\\\s]+")
_PHOTOS_IN_INSTALL = re.compile(r'(TP8_PHOTOS_URL\\", \\")[^\"\\\s]+')


def without_repository(text: str) -> str:
    """Student notebook text without the repository URLs (a fork's copy stays valid)."""
    return _PHOTOS_IN_INSTALL.sub(r"\1REPOSITORY", _URL_IN_INSTALL.sub("git+REPOSITORY", text))


def sync_mode(env=None) -> str:
    """``write`` (update ``notebooks/``), ``check`` (only compare) or ``off``.

    ``TP8_NOTEBOOKS_SYNC`` decides; by default ``check`` on CI (``CI`` set), else ``write``.
    """
    env = os.environ if env is None else env
    mode = env.get("TP8_NOTEBOOKS_SYNC", "").strip().lower()
    if mode in ("write", "check", "off"):
        return mode
    return "check" if env.get("CI", "").strip().lower() not in ("", "0", "false") else "write"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def sync(root: Path, texts: dict[str, str], mode: str) -> tuple[list[str], list[str]]:
    """Bring ``notebooks/`` (under the repository ``root``) in line with ``texts`` (:func:`contents`).

    Returns (paths written or out of date, stale files that have no page any more). In ``write``
    mode stale files are deleted and outdated ones rewritten; in ``check`` mode nothing is touched.
    A file that differs only by the repository URL of its install cell is up to date (a fork).
    """
    root = Path(root)
    changed = []
    for rel, text in sorted(texts.items()):
        target = root / rel
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current is not None and without_repository(current) == without_repository(text):
            if mode == "write" and current != text:
                _write(target, text)
            continue
        changed.append(rel)
        if mode == "write":
            _write(target, text)
    stale = []
    student_root = root / STUDENT_DIR
    if student_root.is_dir():
        for path in sorted(student_root.rglob("*.ipynb")):
            rel = path.relative_to(root).as_posix()
            if rel not in texts:
                stale.append(rel)
                if mode == "write":
                    path.unlink()
    return changed, stale
