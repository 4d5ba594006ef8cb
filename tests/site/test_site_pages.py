"""Static checks of the built site: the notebook pages hold their figures, no error, every answer.

Each notebook page (``docs/<name>.py``) declares in its jupytext header how many figures it shows
at least (``tp8: min_figures: N``); the executed page must show that many images in its output
areas. The lab's questions (those the pages ask, :data:`sitekit.QUESTION_PAGES`) are anchored
``qN`` on their part's page, each introduced by a heading ``QN — …``, and the Questions page links to
each of them: to its answer when the site shows the solutions, to the question in the énoncé when not.
"""

from __future__ import annotations

import base64
import re
import struct
from urllib.parse import urljoin, urlsplit

import pytest
import sitekit
from sitekit import QUESTION_PAGES, notebook_pages, page_file, skip_if_held_back

PAGES = notebook_pages()
PAGE_IDS = [p.name for p in PAGES]
FIGURE_OUTPUTS = "div.jp-OutputArea-output.jp-RenderedImage, div.jp-OutputArea-output.jp-RenderedSVG"
#: What must never be published in a page's stderr outputs: a traceback, an error, a warning.
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(?:Error|Exception|Warning)\b")


def test_there_are_notebook_pages():
    names = set(PAGE_IDS)
    assert {"index", *QUESTION_PAGES.values()} <= names, names


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_notebook_declares_its_minimum_number_of_figures(page):
    assert page.min_figures is not None, (
        f"{page.source.relative_to(sitekit.ROOT)}: add `tp8: min_figures: N` (an integer) to the "
        "`jupyter:` block of its jupytext header"
    )
    assert page.min_figures >= 1


def image_size(src: str) -> tuple[int, int] | None:
    """Pixel size of a PNG or JPEG data URI; None when it is not a readable image."""
    match = re.fullmatch(r"data:image/(png|jpeg);base64,(.+)", src.strip(), flags=re.S)
    if not match:
        return None
    data = base64.b64decode(re.sub(r"\s+", "", match.group(2)))
    if match.group(1) == "png":
        if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
            return None
        return struct.unpack(">II", data[16:24])
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_notebook_page_shows_its_figures(site, soup, page):
    skip_if_held_back(page)
    doc = soup(page.html_path(site))
    figures = doc.select(FIGURE_OUTPUTS)
    for figure in figures:
        img = figure.find("img")
        if img is None:  # inline SVG
            assert figure.find("svg") is not None
            continue
        src = img.get("src", "")
        if src.startswith("data:"):
            size = image_size(src)
            assert size is not None and min(size) > 0, f"{page.name}: an output image is not a readable PNG/JPEG"
        else:
            assert (page.html_path(site).parent / src).is_file(), src
    expected = page.min_figures or 1
    assert len(figures) >= expected, (
        f"{page.name}: {len(figures)} figure(s) in the outputs, at least {expected} expected"
    )


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_notebook_page_has_no_error_output(site, soup, page):
    skip_if_held_back(page)
    doc = soup(page.html_path(site))
    outputs = doc.select("div.jp-OutputArea-output")
    assert outputs or page.min_figures == 0, f"{page.name}: no output at all (was it executed?)"
    bad = []
    for output in outputs:
        text = output.get_text(" ", strip=True)
        stderr = output.get("data-mime-type") == "application/vnd.jupyter.stderr"
        if "Traceback (most recent call last)" in text or (stderr and ERROR_TEXT.search(text)):
            bad.append(text[:300])
    assert not bad, f"{page.name}: error output(s):\n" + "\n---\n".join(bad)
    assert not doc.select("[data-mime-type='application/vnd.jupyter.error']")


def heading_after(anchor):
    return anchor.find_next(["h1", "h2", "h3"])


@pytest.mark.parametrize("n", sorted(QUESTION_PAGES), ids=lambda n: f"Q{n}")
def test_answer_section(site, soup, n):
    name = QUESTION_PAGES[n]
    doc = soup(page_file(site, f"{name}/"))
    anchor = doc.find(id=f"q{n}")
    assert anchor is not None, f'no element with id q{n} on {name}/ (start the answer with <a id="q{n}"></a>)'
    heading = heading_after(anchor)
    text = heading.get_text(" ", strip=True) if heading is not None else ""
    assert re.match(rf"Q{n}\s*[—–-]\s*\w", text), f"the heading after #q{n} on {name}/ is {text!r}, not 'Q{n} — …'"
    for other in {p for p in QUESTION_PAGES.values() if p != name}:
        assert soup(page_file(site, f"{other}/")).find(id=f"q{n}") is None, f"#q{n} is also on {other}/"


def test_questions_page_links_to_every_answer(site, soup):
    doc = soup(page_file(site, "questions/"))
    base = "http://site.invalid/questions/"
    targets = set()
    for a in doc.select("article a[href], .md-content a[href]"):
        url = urlsplit(urljoin(base, a["href"]))
        if url.netloc == "site.invalid":
            targets.add((url.path.removesuffix("index.html"), url.fragment))
    missing = [f"Q{n} (../{name}/#q{n})" for n, name in QUESTION_PAGES.items() if (f"/{name}/", f"q{n}") not in targets]
    assert not missing, "the Questions page does not link to: " + ", ".join(missing)
