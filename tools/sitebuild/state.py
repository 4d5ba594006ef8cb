"""The build's state: what one stage hands the next, typed (instead of a dictionary of globals)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .pages import Page
from .render import Stylesheets
from .repo import Repo
from .settings import Execution
from .solutions import SolutionsSetting


@dataclass
class Shown:
    """One notebook page as this build shows it."""

    page: Page
    variant: str  # "corrige", "enonce" or "notice" (a page held back, :meth:`Build.holds`)
    rendered: Path | None  # what mkdocs-jupyter renders (None: no notebook to render)
    receipt: dict | None
    downloads: dict  # the page's download/Colab links (its template reads them)
    record_key: str | None = None


@dataclass
class Build:
    """Everything a build carries from :func:`build.configure` to :func:`build.finish`."""

    root: Path  # the project (where mkdocs.yml is)
    docs_dir: Path
    cache_dir: Path
    final_site_dir: Path  # site/: where the site goes once the build has succeeded
    building_dir: Path | None  # where it is built meanwhile
    repo: Repo
    execution: Execution
    solutions: SolutionsSetting
    show_solutions: bool
    started: float = field(default_factory=time.monotonic)
    vendor: object = None  # a Future of site_assets.ensure_assets
    pages: dict[str, Shown] = field(default_factory=dict)  # by src_uri
    questions: dict[str, tuple[str, list]] = field(default_factory=dict)  # src_uri -> (title, questions)
    photos: list = field(default_factory=list)  # every photo's credit (tp8.photos.PhotoCredit)
    secrets: list[str] = field(default_factory=list)  # what the audit searches for (solutions hidden)
    stylesheets: Stylesheets = field(default_factory=Stylesheets)
    report: dict = field(default_factory=lambda: {"executed": [], "text_only": [], "unchanged": []})
    times: dict = field(default_factory=lambda: {"execution_s": 0.0, "figures_s": 0.0})
    edition: str = "fr"  # "en": the English edition (english.py), built from the French build's executions
    lagging: object = None  # english.Lagging: what the English edition lacks (its log)

    def holds(self, page: Page) -> bool:
        """Whether this build holds ``page`` back: published with the solutions (``tp8: with_solutions``),
        which it hides; the site shows a notice in its place (:func:`variants.held_notice`)."""
        return page.with_solutions and not self.show_solutions
