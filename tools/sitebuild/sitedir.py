"""The site is built beside ``site/`` and swapped in only when the build succeeded.

:func:`start` points MkDocs at ``.site.building-<pid>`` (a hidden sibling of ``site_dir``, on the same
file system); :func:`publish` renames ``site/`` away and the new site in its place, then removes the
old one; :func:`abandon` removes the unfinished one. A failed build — a failing page, a leaked
answer, a warning under ``--strict`` — thus leaves the last good ``site/`` as it was. ``mkdocs serve``
works the same way (its server reads files by path, so it serves the new site from the swap on).
Leftovers of a build that was killed are removed by the next one.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path


def _siblings(final: Path, kind: str) -> list[Path]:
    return sorted(final.parent.glob(f".{final.name}.{kind}-*"))


def _dead(path: Path) -> bool:
    pid = path.name.rsplit("-", 1)[-1]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def start(final: Path) -> Path:
    """The folder to build into instead of ``final`` (fresh), leftovers of dead builds removed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    for kind in ("building", "old"):
        for path in _siblings(final, kind):
            if _dead(path):
                shutil.rmtree(path, ignore_errors=True)
    building = final.parent / f".{final.name}.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    return building


def publish(building: Path, final: Path) -> None:
    """Put the new site in place of the old one."""
    building, final = Path(building), Path(final)
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(building, final)
    shutil.rmtree(old, ignore_errors=True)


def abandon(building: Path | None) -> None:
    if building is not None:
        shutil.rmtree(building, ignore_errors=True)


def strict_warnings() -> int:
    """How many warnings MkDocs has counted in this build (its ``--strict`` fails on any)."""
    for handler in logging.getLogger("mkdocs").handlers:
        counts = getattr(handler, "get_counts", None)
        if counts is not None:
            return sum(n for _level, n in counts())
    return 0
