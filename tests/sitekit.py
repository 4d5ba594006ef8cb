"""What the site tests (tests/site, tests/e2e) share: the built site, and what each page should hold.

The site is built once per test session, with the project's own command (`mkdocs build --strict`
in the repository root), unless ``site/`` is already newer than everything it is made from. The
environment variable ``TP8_REUSE_SITE`` overrides that: ``1`` tests ``site/`` as it is (CI builds
it in an earlier step), ``0`` always rebuilds. The build keeps its own cache, so an unchanged
rebuild is quick. ``site/`` is built with the project's own switch: :func:`site_shows_solutions`
says whether it published the solutions or the énoncés, and the tests of ``site/`` check what it
published, never the instructor's setting.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SITE = ROOT / "site"
SCREENSHOTS = ROOT / "site-screenshots"
#: What the site is made from: a change in any of them makes ``site/`` stale.
SOURCES = ["mkdocs.yml", "docs", "tp8", "tools", "overrides", "hooks"]
IGNORED_SOURCES = re.compile(r"(\.ipynb|\.pyc)$|(^|/)(__pycache__|\.ipynb_checkpoints)(/|$)")
BUILD_TIMEOUT_S = 20 * 60
#: Settings of the tests themselves, never passed to the build.
TEST_ONLY_ENV = {"TP8_REUSE_SITE", "TP8_SKIP_E2E", "TP8_CHROMIUM"}


@cache
def _course_questions() -> list[tuple[str, object]]:
    """``(page stem, question)`` of every question the course's pages ask, found as the build finds
    them (``question`` cells), in their order: the tests hold whatever questions an instructor adds
    or removes."""
    sys.path.insert(0, str(ROOT / "tools"))
    from sitebuild import handout, pages

    return [(page.stem, q) for page, qs in handout.course_questions(pages.read_pages(DOCS)) for q in qs]


#: The lab's questions (``sitebuild.exercise.Question``), found in the pages, in their order.
QUESTIONS = [q for _stem, q in _course_questions()]
#: Where each lab question is answered (docs/<page>.py, anchor ``qN``), found in the pages.
QUESTION_PAGES = {q.number: stem for stem, q in _course_questions()}
#: Pages that must show typeset equations (the lab's equations 1 to 4 are explained there).
MATHS_PAGES = ["partie-1-saillance", "partie-2-adversaires", "partie-3-visualisation", "au-dela-du-gradient"]


def env_flag(name: str) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "auto"):
        return None
    return value not in ("0", "false", "no", "off")


# --- the built site ----------------------------------------------------------------------------


def newest_source() -> tuple[float, str]:
    newest, which = 0.0, ""
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        for file in files:
            rel = file.relative_to(ROOT).as_posix()
            if IGNORED_SOURCES.search(rel):
                continue
            mtime = file.stat().st_mtime
            if mtime > newest:
                newest, which = mtime, rel
    return newest, which


def site_is_fresh() -> bool:
    index = SITE / "index.html"
    return index.is_file() and index.stat().st_mtime > newest_source()[0]


_BUILD: dict[str, object] = {}
#: What the build says it did (``.cache/notebooks/last-build.json``).
LAST_BUILD = ROOT / ".cache" / "notebooks" / "last-build.json"


def _last_build() -> dict:
    import json

    try:
        return json.loads(LAST_BUILD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


#: The last build's record as the session found it, before any test built the course elsewhere
#: (``tests/site/test_exercise_site.py`` builds it without its solutions, rewriting the record).
_RECORD_AT_START = _last_build()


def ensure_site() -> Path:
    """Return ``site/``, building it first when needed (once per test session)."""
    if "error" in _BUILD:
        pytest.fail(str(_BUILD["error"]), pytrace=False)
    if "site" in _BUILD:
        return SITE
    reuse = env_flag("TP8_REUSE_SITE")
    if reuse or (reuse is None and site_is_fresh()):
        if not (SITE / "index.html").is_file():
            _BUILD["error"] = "TP8_REUSE_SITE=1 but site/index.html does not exist: build the site first (make site)"
            pytest.fail(str(_BUILD["error"]), pytrace=False)
        _BUILD["site"] = SITE
        _BUILD["record"] = _RECORD_AT_START
        return SITE
    # The build's notebook cache keys on the TP8_* environment: leave out the variables of the tests,
    # so that this build shares its cache with `make site`.
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    env.setdefault("TP8_PROGRESS", "0")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        failed = proc.returncode != 0
        output = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        failed, output = True, f"timed out after {BUILD_TIMEOUT_S} s\n{exc.stdout or ''}{exc.stderr or ''}"
    if failed:
        # A failed strict build may leave a complete-looking site/: make sure it is not reused.
        (SITE / "index.html").unlink(missing_ok=True)
        _BUILD["error"] = f"`mkdocs build --strict` failed:\n{output[-6000:]}"
        pytest.fail(str(_BUILD["error"]), pytrace=False)
    print(f"\n[site built in {time.monotonic() - start:.0f} s]", file=sys.stderr)
    _BUILD["site"] = SITE
    _BUILD["record"] = _last_build()
    return SITE


def site_shows_solutions() -> bool:
    """Whether ``site/`` publishes the solutions (the pages with their answers, the corrigés) or the
    énoncés only: whatever the instructor's switch said when it was built (``true``, ``false``, a
    release date), so that the tests of ``site/`` hold for what it published.

    Two witnesses, which must agree: the build's record (``last-build.json``, when it was about
    ``site/``) and the site itself (the corrigé notebook of a page with exercises is offered only with
    the solutions). A failure says which is missing or how they disagree.
    """
    site = ensure_site()
    if "solutions" in _BUILD:
        return bool(_BUILD["solutions"])
    sys.path.insert(0, str(ROOT / "tools"))
    from sitebuild import notebooks, pages

    record = _BUILD.get("record") or {}
    recorded = None
    if "solutions" in record and Path(record.get("site_dir", "")) == SITE.resolve():
        recorded = bool(record["solutions"])
    offered = {
        page.stem: (site / notebooks.student_path(page)).is_file()
        for page in pages.read_pages(DOCS)
        if page.has_exercises
    }
    seen = set(offered.values())
    if len(seen) > 1:
        pytest.fail(f"site/ offers the corrigé of some pages only ({offered}): rebuild it (make site)", pytrace=False)
    witnessed = seen.pop() if seen else None
    if recorded is not None and witnessed is not None and recorded != witnessed:
        pytest.fail(
            f"{LAST_BUILD.relative_to(ROOT)} says the solutions are {'shown' if recorded else 'hidden'} in site/, "
            f"but site/ {'offers' if witnessed else 'does not offer'} the corrigés: rebuild it (make site)",
            pytrace=False,
        )
    shown = recorded if recorded is not None else witnessed
    if shown is None:
        pytest.fail(
            f"cannot tell whether site/ shows the solutions: no record of its build in {LAST_BUILD.relative_to(ROOT)} "
            "and no page with exercises: rebuild it (make site)",
            pytrace=False,
        )
    _BUILD["solutions"] = shown
    return shown


# --- the pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotebookPage:
    """A notebook page: ``docs/<name>.py`` in jupytext percent format."""

    name: str
    source: Path
    header: dict

    @property
    def min_figures(self) -> int | None:
        value = ((self.header.get("jupyter") or {}).get("tp8") or {}).get("min_figures")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def with_solutions(self) -> bool:
        """``tp8: with_solutions: true``: published with the solutions only (a notice in its place before)."""
        return ((self.header.get("jupyter") or {}).get("tp8") or {}).get("with_solutions") is True

    @property
    def url(self) -> str:
        """Path of the page in the site, relative to its root ('' for the home page)."""
        return "" if self.name == "index" else f"{self.name}/"

    def html_path(self, site: Path) -> Path:
        return page_file(site, self.url)


def jupytext_header(path: Path) -> dict | None:
    """The YAML header of a jupytext percent-format file (``# ---`` … ``# ---``), or None."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "# ---":
        return None
    body = []
    for line in lines[1:]:
        if line.strip() == "# ---":
            data = yaml.safe_load("\n".join(body)) or {}
            return data if isinstance(data, dict) and "jupyter" in data else None
        body.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return None


@cache
def notebook_pages() -> tuple[NotebookPage, ...]:
    pages = []
    for path in sorted(DOCS.rglob("*.py")):
        header = jupytext_header(path)
        if header is not None:
            name = path.relative_to(DOCS).with_suffix("").as_posix()
            pages.append(NotebookPage(name, path, header))
    return tuple(pages)


def held_back(page: NotebookPage) -> bool:
    """Whether ``site/`` shows a notice in place of ``page``: published with the solutions, which
    ``site/`` hides (``tests/site/test_held_page.py`` tests such a page)."""
    return page.with_solutions and not site_shows_solutions()


def skip_if_held_back(page: NotebookPage) -> None:
    if held_back(page):
        pytest.skip(f"{page.name}: published with the solutions, which site/ hides (a notice in its place)")


def page_file(site: Path, url: str) -> Path:
    """The HTML file serving the site-relative ``url`` ('' or 'a/b/' or 'a/b.html')."""
    path = site / unquote(url)
    if url == "" or url.endswith("/") or path.is_dir():
        return path / "index.html"
    return path


def html_pages(site: Path) -> list[str]:
    """Site-relative URLs of every page of the site's French edition (not the 404 page, not vendored
    files, not the English edition under ``en/``: call it with ``site / "en"`` for that one)."""
    urls = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if rel == "404.html" or rel.startswith(("assets/", "en/")):
            continue
        urls.append(rel[: -len("index.html")] if path.name == "index.html" else rel)
    return urls


def slug(url: str) -> str:
    return re.sub(r"[^\w.-]+", "_", url.strip("/")) or "index"


# --- scratch sites -----------------------------------------------------------------------------

#: Never linked into a scratch copy: outputs, caches, the pages themselves.
NOT_LINKED = {"docs", "site", "site-screenshots", ".cache", ".git", ".venv", "notebooks", "mkdocs.yml"}

PAGE_HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


class ScratchSite:
    """A copy of the project's site configuration around pages of a test's own, built in ``tmp``.

    The project's ``mkdocs.yml`` is inherited (with a ``nav`` of the test's pages), its non-page
    documentation files (theme overrides, scripts, styles) are copied, its other top-level folders
    (``tools/``, ``tp8/``…) are linked, and the vendored third-party assets are shared with the
    project's cache rather than fetched again. :meth:`build` runs ``mkdocs build --strict``.
    """

    def __init__(self, tmp: Path, pages: dict[str, str]):
        self.root = Path(tmp)
        for entry in ROOT.iterdir():
            if entry.name not in NOT_LINKED and not entry.name.startswith("."):
                (self.root / entry.name).symlink_to(entry)
        (ROOT / ".cache" / "vendor").mkdir(parents=True, exist_ok=True)
        (self.root / ".cache").mkdir()
        (self.root / ".cache" / "vendor").symlink_to(ROOT / ".cache" / "vendor")
        self.docs = self.root / "docs"
        self.docs.mkdir()
        for path in DOCS.rglob("*"):
            rel = path.relative_to(DOCS)
            if path.is_dir() or "__pycache__" in rel.parts or ".ipynb_checkpoints" in rel.parts:
                continue
            if len(rel.parts) == 1 and path.suffix in (".py", ".md", ".ipynb"):
                continue  # the project's pages
            if rel.parts[0] == "locale":
                continue  # their catalogues (the English edition): a test writes its own
            (self.docs / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.docs / rel).write_bytes(path.read_bytes())
        self.pages = list(pages)
        for name, text in pages.items():
            self.write(name, text)
        (self.root / "mkdocs.project.yml").write_bytes((ROOT / "mkdocs.yml").read_bytes())
        nav = "".join(f"  - {name}\n" for name in self.pages)
        (self.root / "mkdocs.yml").write_text(f"INHERIT: mkdocs.project.yml\nnav:\n{nav}", encoding="utf-8")

    def write(self, name: str, text: str) -> None:
        (self.docs / name).write_text(text, encoding="utf-8")

    def read(self, name: str) -> str:
        return (self.docs / name).read_text(encoding="utf-8")

    @staticmethod
    def _env() -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
        env.update({"TP8_PROGRESS": "0", "TP8_NOTEBOOKS_SYNC": "off", "NO_COLOR": "1", "NO_MKDOCS_2_WARNING": "1"})
        return env

    def start(self, *args: str) -> tuple[subprocess.Popen, list[str]]:
        """``mkdocs ARGS`` started here, and the list its output lines are added to as they come."""
        import threading

        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", *args],
            cwd=self.root,
            env={**self._env(), "PYTHONFAULTHANDLER": "1"},  # SIGABRT prints its threads' stacks
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
        return proc, lines

    def build(self, timeout: int = 600) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(self.root / "mkdocs.yml")],
            cwd=self.root,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        proc.output = proc.stdout + proc.stderr
        return proc

    def last_build(self) -> dict:
        """What the build executed, per page (``.cache/notebooks/last-build.json``)."""
        import json

        return json.loads((self.root / ".cache" / "notebooks" / "last-build.json").read_text(encoding="utf-8"))

    def html(self, page: str) -> str:
        stem = page.rsplit(".", 1)[0]
        path = self.root / "site" / ("index.html" if stem == "index" else f"{stem}/index.html")
        return path.read_text(encoding="utf-8")


class SwitchedBuilds:
    """A :class:`ScratchSite` of ``pages`` built several times under the instructor's switch
    (``TP8_SOLUTIONS``, or whatever ``mkdocs.yml`` says with ``None``), each result kept by name: the
    site copied (``copies``), the log (``logs``), the build record (``records``)."""

    def __init__(self, tmp: Path, pages: dict[str, str]):
        (tmp / "project").mkdir()
        self.site = ScratchSite(tmp / "project", pages)
        self.copies: dict[str, Path] = {}
        self.records: dict[str, dict] = {}
        self.logs: dict[str, str] = {}
        self.tmp = tmp

    def build(self, name: str, solutions: str | None, *, fails: bool = False) -> Path:
        """Build with that switch; the copy of ``site/`` after it (after a failed build, the last good one)."""
        import shutil

        with pytest.MonkeyPatch.context() as patch:
            if solutions is None:
                patch.delenv("TP8_SOLUTIONS", raising=False)
            else:
                patch.setenv("TP8_SOLUTIONS", solutions)
            proc = self.site.build()
        self.logs[name] = proc.output
        assert (proc.returncode != 0) is fails, proc.output[-4000:]
        if not fails:
            self.records[name] = self.site.last_build()
        self.copies[name] = self.tmp / f"site-{name}"
        shutil.copytree(self.site.root / "site", self.copies[name])
        return self.copies[name]

    def html(self, name: str, page: str) -> str:
        """The HTML of ``page`` (its folder name) in the build ``name``."""
        return (self.copies[name] / page / "index.html").read_text(encoding="utf-8")


#: French words that an English sentence does not use (function words, and the course's own nouns).
FRENCH_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "un",
        "une",
        "est",
        "sont",
        "vous",
        "votre",
        "vos",
        "pour",
        "dans",
        "sur",
        "avec",
        "cette",
        "ces",
        "qui",
        "que",
        "pas",
        "aux",
        "au",
        "ou",
        "où",
        "mais",
        "très",
        "être",
        "nous",
        "leur",
        "sans",
        "chaque",
        "entre",
        "aussi",
        "donc",
        "alors",
        "lorsque",
        "quand",
        "parce",
        "peut",
        "fait",
        "cela",
        "réseau",
        "carte",
        "cartes",
        "réponse",
        "énoncé",
        "corrigé",
        "corrigés",
        "cours",
        "partie",
    ]
)


def french_words(text: str) -> list[str]:
    """The French words of ``text`` (lower-cased), its code, addresses and quoted French left out."""
    text = re.sub(r"<(code|pre|script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"(`+).*?\1", " ", text, flags=re.S)
    text = re.sub(r"https?://\S+|«[^»]*»|\bet al\b", " ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return [w for w in re.findall(r"[^\W\d_]+", text.lower()) if w in FRENCH_WORDS]


def english_prose(page_html: str) -> list[str]:
    """The text blocks (paragraphs, list items, cells, headings, captions) of an English page that are
    meant to be English: what is marked ``lang="fr"`` (a passage not translated yet, said so), code,
    formulas and the header's language switch left out."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page_html, "html.parser")
    for tag in soup.select('[lang="fr"], code, pre, script, style, .arithmatex, .md-select, .MathJax'):
        tag.decompose()
    main = soup.select_one("article") or soup
    return [
        " ".join(t.get_text(" ").split()) for t in main.select("p, li, td, th, h1, h2, h3, h4, figcaption, summary")
    ]
