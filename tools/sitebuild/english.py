"""The English edition: the same build, in English, from the French build's executions (none of its own).

``make site`` builds the French site; its last stage (:func:`build_edition`, from ``build.finish``)
runs the same MkDocs build once more with ``TP8_EDITION=en`` into ``site/en/``. That build reads the
same pages, computes the same keys and finds every execution in the cache: it executes nothing (it
stops if a page would have to run). What differs is what it publishes:

* each executed notebook in English (:func:`notebook`): each Markdown block replaced by its English
  from the page's catalogue (:mod:`translation`), each output by the English its run wrote beside
  the French (``metadata["tp8"]["en"]``, :mod:`tp8.language`);
* each Markdown page in English (:func:`markdown`), block by block;
* the site's settings (:func:`configure`): ``theme.language: en``, the titles of the navigation and
  the site's name and description (the catalogue ``docs/locale/en/mkdocs.po``), ``site_url`` + ``en/``.

A passage whose English is missing or older than its French is named in the log (page and line) and
marked on the page (``.tp8-stale``), until its catalogue is updated.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import audit, translation

EDITION_ENV = "TP8_EDITION"
SITE_CATALOGUE = "mkdocs.po"  # the site's own strings (navigation, name, description)
#: Material's language switch (``extra.alternate``); each link leads to the same page in the other edition.
ALTERNATE = [{"name": "Français", "link": "./", "lang": "fr"}, {"name": "English", "link": "./en/", "lang": "en"}]


def enabled(docs_dir: Path) -> bool:
    """Whether the course has an English edition: its catalogues (``docs/locale/en``) exist."""
    folder = Path(docs_dir) / translation.LOCALE_DIR
    return folder.is_dir() and any(folder.glob("*.po"))


def edition() -> str:
    """``"en"`` inside the English edition's build, else ``"fr"``."""
    value = os.environ.get(EDITION_ENV, "").strip().lower()
    return "en" if value == "en" else "fr"


@dataclass
class Lagging:
    """What lags behind in the English edition: passages (page, line, state) and outputs without English."""

    passages: list[tuple[str, int, str, str]] = field(default_factory=list)  # (label, line, state, first words)
    outputs: list[tuple[str, int]] = field(default_factory=list)  # (label, line of the cell)

    def lines(self) -> list[str]:
        out = []
        for label, line, state, words in dict.fromkeys(self.passages):
            what = {"missing": "à traduire", "stale": "traduction à revoir (le français a changé)"}.get(state, state)
            out.append(f"{label}:{line} — {what} : {words}")
        for label, line in dict.fromkeys(self.outputs):
            out.append(f"{label}:{line} — une sortie de cette cellule n'a pas d'anglais (montrée en français)")
        return out


def first_words(text: str, n: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


# --- the site's settings -----------------------------------------------------------------------------


def site_messages(config) -> list[translation.Message]:
    """The strings of ``mkdocs.yml`` a reader sees: the site's name, description and copyright line, the
    navigation's titles (``config``: MkDocs's, or the YAML file read as a dict)."""
    get = config.get if isinstance(config, dict) else lambda key: getattr(config, key, None)
    found = [translation.Message(str(get("site_name")), 1)]
    for text in (get("site_description"), get("copyright")):
        if text:
            found.append(translation.Message(str(text).strip(), 2))

    def walk(items):
        for item in items or []:
            if isinstance(item, dict):
                for title, value in item.items():
                    found.append(translation.Message(str(title), 3))
                    if isinstance(value, list):
                        walk(value)

    walk(get("nav"))
    return found


def configure(config, docs_dir: Path) -> Lagging:
    """The English edition's settings, in place: language, titles, ``site_url``; what lags in them."""
    lagging = Lagging()
    messages = site_messages(config)
    table = translation.lookup(Path(docs_dir) / translation.LOCALE_DIR / SITE_CATALOGUE, "mkdocs.yml", messages)

    def english(text: str) -> str:
        found, state = table.english(text)
        if state != "ok":
            lagging.passages.append(("mkdocs.yml", 1, state, first_words(text)))
        return found or text

    config.theme["language"] = "en"
    alternate = config.extra.get("alternate")
    if isinstance(alternate, list):  # seen from site/en/: the French root is one level up
        config.extra["alternate"] = [
            {**entry, "link": {"fr": "../", "en": "./"}.get(entry.get("lang"), entry.get("link"))}
            if isinstance(entry, dict)
            else entry
            for entry in alternate
        ]
    for name in ("material/search", "search"):  # its language was read from the theme's, before this hook
        plugin = config.plugins.get(name)
        if plugin is not None and hasattr(plugin, "config"):
            plugin.config["lang"] = ["en"]
    config.site_name = english(config.site_name)
    if config.site_description:
        config.site_description = english(str(config.site_description).strip())
    if config.copyright:
        config.copyright = english(str(config.copyright).strip())

    def walk(items):
        out = []
        for item in items or []:
            if isinstance(item, dict):
                out.append({english(str(t)): (walk(v) if isinstance(v, list) else v) for t, v in item.items()})
            else:
                out.append(item)
        return out

    config.nav = walk(config.nav)
    if config.site_url:
        config.site_url = config.site_url.rstrip("/") + "/en/"
    palette = config.theme.get("palette")
    if isinstance(palette, list):
        names = {"Passer en mode sombre": "Switch to dark mode", "Passer en mode clair": "Switch to light mode"}
        for entry in palette:
            toggle = entry.get("toggle") if isinstance(entry, dict) else None
            if isinstance(toggle, dict) and toggle.get("name") in names:
                toggle["name"] = names[toggle["name"]]
    toc = config.mdx_configs.get("toc")
    if isinstance(toc, dict) and "permalink_title" in toc:
        toc["permalink_title"] = "Link to this section"
    return lagging


# --- a notebook ------------------------------------------------------------------------------------------


_NOT_TRANSLATED = "This output has no English yet (its text changed since it was translated); it is shown in French."


def _mark_french(output) -> None:
    """An output without English: shown as it is, in French, marked so, with a notice."""
    data = output.get("data") or {}
    note = f'<p class="tp8-stale" role="note">{_NOT_TRANSLATED}</p>'
    if "text/html" in data:
        value = data["text/html"]
        text = "".join(value) if isinstance(value, list) else value
        data["text/html"] = f'<div lang="fr">{text}</div>{note}'
    elif "text/markdown" in data:
        value = data["text/markdown"]
        text = "".join(value) if isinstance(value, list) else value
        data["text/markdown"] = f'<div lang="fr" markdown="1">\n\n{text}\n\n</div>\n\n{note}'


def _english_output(output) -> bool | None:
    """The output turned into its English in place: ``True`` if it had one, ``None`` if it has no text."""
    metadata = output.get("metadata") or {}
    english = (metadata.get("tp8") or {}).get("en")
    if english is not None:
        output.setdefault("data", {}).update(english.get("data") or {})
        for mime, meta in (english.get("metadata") or {}).items():
            metadata.setdefault(mime, {}).update(meta)
        metadata.pop("tp8", None)
        return True
    if output.get("output_type") == "stream":
        return None if not translation.is_message(output.get("text", "")) else False
    data = output.get("data") or {}
    for mime in ("text/markdown", "text/html"):
        value = data.get(mime)
        if value is not None:
            text = "".join(value) if isinstance(value, list) else value
            text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.S)
            if translation.is_message(re.sub(r"<[^>]+>", " ", text)):
                return False
    return None


def _generated(cell) -> str | None:
    """The English of a Markdown cell the build itself wrote (its ``metadata["tp8"]["generated"]``:
    an answer box or an exercise's notice, :func:`exercise.english_cell`; a cell of the report
    template, :func:`handout.english_cell`), or None for the author's cells."""
    from . import exercise, handout

    found = exercise.english_cell(cell)
    return found if found is not None else handout.english_cell(cell)


def notebook(nb, page, table: translation.Lookup, lagging: Lagging):
    """An executed (or output-free) notebook of ``page`` in English; what lags is added to ``lagging``.
    The Markdown cells the build wrote (answer boxes, notices) get their English from the build itself."""
    out = copy.deepcopy(nb)
    lines = {}
    for index, cell in enumerate(page.nb.cells):
        lines.setdefault(cell.source, page.line_of(index) or 1)
    for cell in out.cells:
        generated = _generated(cell) if cell.cell_type == "markdown" else None
        if generated is not None:  # a cell the build wrote (answer box, notice…): its English, not the catalogue's
            cell.source = generated
        elif cell.cell_type == "markdown":
            first = lines.get(cell.source, 1)
            text, lag = translation.translate_markdown(cell.source, table, first)
            cell.source = text
            lagging.passages += [(page.label, p.line, p.state, first_words(p.french)) for p in lag]
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if _english_output(output) is False:
                    _mark_french(output)
                    lagging.outputs.append((page.label, lines.get(cell.source, 1)))
    build = out.metadata.get("tp8_build")
    if isinstance(build, dict):
        english = build.get("english") or {}
        claims = build.get("claims") or []
        translated = list(english.get("claims") or []) + [None] * len(claims)
        # Each claim in English where the run wrote one (the same order: build["claims_at"] still counts them).
        build["claims"] = [en or fr for fr, en in zip(claims, translated, strict=False)]
        for sentence in audit.unstated_claims(out):  # a claim's English that its passage's English does not say
            lagging.passages.append((page.label, 1, "phrase vérifiée absente du texte anglais", first_words(sentence)))
    return out


def code_passages(page, table: translation.Lookup, lagging: Lagging) -> None:
    """The page's code strings whose English is missing, invalid or stale, named in ``lagging``."""
    for m in translation.page_messages(page):
        if m.code:
            state = table.english(m.msgid)[1]
            if state != "ok":
                state = table.invalid.get(m.msgid, state)
                lagging.passages.append((page.label, m.line, state, first_words(m.msgid)))


def markdown(text: str, label: str, table: translation.Lookup, lagging: Lagging, first_line: int = 1) -> str:
    """A Markdown page's text (front matter already taken off by MkDocs) in English."""
    english, lag = translation.translate_markdown(text, table, first_line, keep_ids=True)
    lagging.passages += [(label, p.line, p.state, first_words(p.french)) for p in lag]
    return english


# --- running the edition from the French build ---------------------------------------------------------------


def build_edition(config_file: Path, site_dir: Path, strict: bool, log) -> None:
    """Build the English edition into ``site_dir`` (``<French site>/en``), in a process of its own."""
    import subprocess
    import sys

    env = {**os.environ, EDITION_ENV: "en", "TP8_EDITION_SITE_DIR": str(site_dir)}
    command = [sys.executable, "-m", "mkdocs", "build", "-f", str(config_file)]
    if strict:
        command.append("--strict")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in (done.stdout + done.stderr).splitlines():
        if line.strip():
            log(f"(en) {line.strip()}")
    if done.returncode != 0:
        raise RuntimeError(f"l'édition anglaise n'a pas pu être construite (code {done.returncode})")


# --- the students' notebooks ------------------------------------------------------------------------------

_INSTALL_CELL = """\
# Installs the tp8 library, for Google Colab or wherever it is missing.
import importlib.util
import os

if importlib.util.find_spec("tp8") is None:
    %pip install --quiet "{spec}"
# The course's own photos (docs/photos/ in the repository): tp8 downloads them when they are not beside it.
os.environ.setdefault("TP8_PHOTOS_URL", "{photos}")
# This notebook in English: what its cells write comes from the page's English catalogue.
os.environ.setdefault("TP8_LANGUAGE", "en")
os.environ.setdefault("TP8_CATALOGUE", "{catalogue}")
"""


def student_notebook(text: str, page, table: translation.Lookup, repo, docs_rel: str) -> str:
    """A student notebook (``notebooks.student_ipynb``'s text) in English: its Markdown from the
    catalogue, its install cell in English and telling ``tp8.course.setup()`` to write English
    (``TP8_LANGUAGE``, ``TP8_CATALOGUE``: the page's catalogue in the repository)."""
    import nbformat

    from . import notebooks

    nb = nbformat.reads(text, as_version=4)
    english = notebook(nb, page, table, Lagging())
    for cell in english.cells:
        if cell.cell_type == "code" and notebooks.INSTALL_TAG in cell.get("metadata", {}).get("tags", []):
            catalogue = repo.raw_url(
                f"{docs_rel}/{translation.LOCALE_DIR.as_posix()}/{page.src_uri.rsplit('.', 1)[0]}.po"
            )
            cell.source = _INSTALL_CELL.format(
                spec=repo.install_spec(), photos=repo.raw_url(notebooks.PHOTOS_DIR), catalogue=catalogue
            ).rstrip("\n")
    nbformat.validate(english)
    return nbformat.writes(english) + "\n"
