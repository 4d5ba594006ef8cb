"""What the build refuses to publish.

* :func:`unstated_claims`: a sentence a page guards with ``tp8.course.claim()`` that its text (its
  Markdown and the prose its code displays) no longer holds — for the corrigé and for the énoncé
  (the claims of the cells it keeps).
* :func:`failed_checks`: a self-check (``tp8.checks``) of the corrigé that does not pass, or, in the
  énoncé, a check that ran although its cell is not tagged ``check``.
* :func:`site_leaks`: with the solutions hidden, what the build is about to publish — every HTML page,
  the search index, the sitemap, every notebook of the site — and the committed
  ``notebooks/exercices/``, searched for the pages' answers: every sentence of an answer cell (at
  least :data:`text.MIN_SENTENCE` characters), every sentence an answer cell guards with ``claim()``
  (as written and as the run stated it), every line of a solution (at least 12 characters); and every
  sentence of a page held back until the solutions (:func:`held_secrets`). Texts are compared through
  :func:`text.normalise`.
* third-party requests: :func:`site_assets.external_requests` (any URL of another host a browser would
  fetch).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from . import exercise, text
from .pages import Page

#: Solution lines shorter than this are not searched for (``break`` is no secret).
MIN_CODE_LINE = 12


def unstated_claims(nb) -> list[str]:
    """The sentences ``nb`` (executed, merged with its current text) claimed that its text lacks."""
    claimed = (nb.metadata.get("tp8_build") or {}).get("claims", [])
    shown = text.normalise(text.page_text(nb))
    return [sentence for sentence in claimed if text.normalise(sentence) not in shown]


def failed_checks(nb) -> list[dict]:
    """The self-checks (``tp8.checks``) of an executed notebook that did not pass."""
    checks = (nb.metadata.get("tp8_build") or {}).get("checks", [])
    return [c for c in checks if c.get("status") != "passed"]


# --- leaks -----------------------------------------------------------------------------------------


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _json_strings(v)
    elif isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            yield "".join(value)  # a notebook cell's source, stored line by line
        else:
            for v in value:
                yield from _json_strings(v)


def readable_text(path: Path) -> str | None:
    """What a published file says, :func:`text.normalise`-d: an HTML page without its tags, every
    string of a JSON file (the search index, a notebook: each cell's source whole); None for a
    binary file."""
    raw = Path(path).read_bytes()
    if b"\0" in raw[:4096]:
        return None
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if Path(path).suffix in (".json", ".ipynb"):
        with contextlib.suppress(ValueError):
            content = "\n".join(_json_strings(json.loads(content)))
    return text.normalise(content)


def find_leaks(sentences, paths, root: Path | None = None) -> dict[str, list[str]]:
    """``{sentence: [files holding it]}`` for the ``sentences`` found in any of ``paths`` (compared
    through :func:`text.normalise`); names are relative to ``root`` when given."""
    wanted = {text.normalise(s): s for s in sentences if text.normalise(s)}
    found: dict[str, list[str]] = {}
    for path in paths:
        content = readable_text(path)
        if content is None:
            continue
        name = Path(path).relative_to(root).as_posix() if root is not None else str(path)
        for norm, sentence in wanted.items():
            if norm in content:
                found.setdefault(sentence, []).append(name)
    return found


def secrets(page: Page, stated: list[str] = ()) -> list[str]:
    """What must not leak from ``page``: :func:`exercise.answer_sentences`, the lines of its solutions
    (:func:`exercise.code_solution_lines`, at least :data:`MIN_CODE_LINE` characters) and ``stated``
    (the answer cells' claims as the run made them)."""
    found = exercise.answer_sentences(page.nb, page.label, page.text, mark=page.marking)
    lines = exercise.code_solution_lines(page.nb, page.label, regions=list(page.regions))
    found += [line for line in lines if len(line) >= MIN_CODE_LINE]
    return list(dict.fromkeys([*found, *stated]))


def held_secrets(nb, notice) -> list[str]:
    """What must not leak from a page held back until the solutions (``tp8: with_solutions``): every
    sentence a reader reads of ``nb``, its executed corrigé — its Markdown and the Markdown and HTML
    its run displays — and every sentence its run claimed (at least :data:`text.MIN_SENTENCE`
    characters each, like the answers' prose), but what the ``notice`` shown in its place says (its
    title)."""
    found = [s for cell in nb.cells for part in text.cell_text(cell) for s in text.markdown_sentences(part)]
    found += (nb.metadata.get("tp8_build") or {}).get("claims", [])
    found = [" ".join(s.split()) for s in found if len(s.strip()) >= text.MIN_SENTENCE]
    return not_public(list(dict.fromkeys(found)), [text.page_text(notice)])


def not_public(sentences: list[str], texts: list[str]) -> list[str]:
    """The ``sentences`` that none of ``texts`` holds (compared through :func:`text.normalise`).

    ``texts`` are the sources of the pages published whole (without exercises, and not held back until
    the solutions, ``tp8: with_solutions``): a sentence that such a page also writes is published with
    it whatever the switch, so finding it in the site says nothing of an answer (e.g. a phrase of a
    measurement that two pages word alike)."""
    public = [text.normalise(t) for t in texts]
    return [s for s in sentences if not any(text.normalise(s) in t for t in public)]


def published_files(site_dir: Path) -> list[Path]:
    """Every file of a built site a reader can read: HTML pages, notebooks, the search index, the sitemap."""
    site_dir = Path(site_dir)
    found = sorted(site_dir.rglob("*.html"))
    found += sorted(site_dir.rglob("*.ipynb"))
    found += [p for p in (site_dir / "search" / "search_index.json", site_dir / "sitemap.xml") if p.is_file()]
    return found


def site_leaks(sentences: list[str], site_dir: Path, extra: list[Path], root: Path) -> list[str]:
    """One line per leak, ``« sentence » dans <file>, <file>…``, searched in :func:`published_files`
    and ``extra``: the site's files named as they will be published (``site/…``), the others
    relative to ``root`` (``notebooks/exercices/…``)."""
    leaks = {
        sentence: [f"site/{rel}" for rel in where]
        for sentence, where in find_leaks(sentences, published_files(site_dir), Path(site_dir)).items()
    }
    for sentence, where in find_leaks(sentences, extra, root).items():
        leaks.setdefault(sentence, []).extend(where)
    return [f"« {sentence} » dans {', '.join(where)}" for sentence, where in leaks.items()]
