"""The execution setting: the one place that says whether and how the pages are executed.

In ``mkdocs.yml``, under ``extra: tp8_build:`` (each line has an environment variable that overrides
it for one build)::

    extra:
      tp8_build:
        execute: cache     # TP8_SITE_EXECUTE: cache | force | off
        exclude: []        # TP8_SITE_EXCLUDE (comma-separated): pages never executed, glob patterns under docs/
        cell_timeout: 600  # TP8_SITE_CELL_TIMEOUT: seconds a cell may take
        page_timeout: 0    # TP8_SITE_PAGE_TIMEOUT: seconds a whole page may take (0: no limit)
        workers: 2         # TP8_SITE_WORKERS: pages executed at the same time

``execute`` (after MyST-NB's ``nb_execution_mode``):

* ``cache`` — a page runs when what can change its results changed (its code cells, ``tp8``, the
  ``TP8_*`` environment, the weights, the libraries' versions, a file it read under ``docs/``);
  otherwise its last outputs are shown under its current text;
* ``force`` — every page runs, cache or not (and the cache is updated);
* ``off`` — nothing runs: a page shows the outputs of its last run when its code has not changed
  since, and none otherwise (said in the log).

An excluded page is never executed (it shows no outputs). mkdocs-jupyter never executes anything: it
renders the notebooks this build executed (its ``execute: false`` in ``mkdocs.yml``).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field

MODES = ("cache", "force", "off")
#: TP8_* variables that only steer the build, not what a page computes (kept out of cache keys).
BUILD_ONLY_ENV = {
    "TP8_SITE_EXECUTE",
    "TP8_SITE_EXCLUDE",
    "TP8_SITE_WORKERS",
    "TP8_SITE_CELL_TIMEOUT",
    "TP8_SITE_PAGE_TIMEOUT",
    "TP8_NOTEBOOKS_SYNC",
    "TP8_REPO_URL",
    "TP8_SITE_URL",
    "TP8_SOLUTIONS",
    "TP8_EDITION",  # the English edition's build (sitebuild.english): it takes the French build's runs
    "TP8_EDITION_SITE_DIR",
}


class SettingError(ValueError):
    """A setting that cannot be read; the message says what to write."""


@dataclass(frozen=True)
class Execution:
    mode: str = "cache"
    exclude: tuple[str, ...] = field(default_factory=tuple)
    cell_timeout: int = 600
    page_timeout: int = 0  # 0: none
    workers: int = 2
    startup_timeout: int = 120

    def excluded(self, src_uri: str) -> bool:
        """Whether the page ``src_uri`` (relative to ``docs/``) matches an exclude pattern."""
        return any(fnmatch.fnmatch(src_uri, pattern) for pattern in self.exclude)


def _integer(value, where: str, minimum: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise SettingError(f"{where} vaut {value!r} : donnez un nombre entier d'au moins {minimum}.")
    return number


def execution(extra: dict | None, env=None) -> Execution:
    """The execution setting of ``extra: tp8_build:`` (``mkdocs.yml``), overridden by the environment."""
    env = os.environ if env is None else env
    build = dict((extra or {}).get("tp8_build") or {})

    def pick(key: str, var: str, default):
        value = env.get(var, "").strip()
        if value:
            return value, f"la variable {var}"
        return build.get(key, default), f"extra: tp8_build: {key}: (mkdocs.yml)"

    mode, where = pick("execute", "TP8_SITE_EXECUTE", "cache")
    mode = str(mode).strip().lower() if not isinstance(mode, bool) else ("cache" if mode else "off")
    if mode not in MODES:
        raise SettingError(f"{where} vaut {mode!r} : mettez cache, force ou off.")
    exclude, where = pick("exclude", "TP8_SITE_EXCLUDE", [])
    if isinstance(exclude, str):
        exclude = [p.strip() for p in exclude.split(",") if p.strip()]
    if not isinstance(exclude, list) or not all(isinstance(p, str) for p in exclude):
        raise SettingError(f"{where} : donnez une liste de motifs (par exemple [brouillon-*.py]).")
    cell, where_cell = pick("cell_timeout", "TP8_SITE_CELL_TIMEOUT", 600)
    page, where_page = pick("page_timeout", "TP8_SITE_PAGE_TIMEOUT", 0)
    workers, where_workers = pick("workers", "TP8_SITE_WORKERS", 2)
    return Execution(
        mode=mode,
        exclude=tuple(exclude),
        cell_timeout=_integer(cell, where_cell, 1),
        page_timeout=_integer(page, where_page, 0),
        workers=_integer(workers, where_workers, 1),
    )
