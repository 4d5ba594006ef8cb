"""The course's English edition, on the built site: every page has it, in English, numbers the English way.

What a translation still lacks is shown in French, marked ``lang="fr"`` with a notice (an instructor's
changes wait for their translator): the checks below read what is meant to be English.
"""

from __future__ import annotations

import re

import pytest
import sitekit
from sitekit import english_prose, french_words

PAGES = sitekit.html_pages(sitekit.SITE) if sitekit.SITE.is_dir() else []
#: A French decimal (0,52; 12,5), a space before "%", French quotation marks: not in English prose.
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
FRENCH_NUMBER = re.compile(r"(?<![\d,])\d+,\d{1,2}(?![\d])|\d[\u00a0\u202f ]%|«")


@pytest.fixture(scope="module")
def site():
    return sitekit.ensure_site()


def _english(site, url: str) -> str:
    return (site / "en" / url / "index.html" if url else site / "en" / "index.html").read_text(encoding="utf-8")


def test_every_french_page_has_its_english_page(site):
    french = sitekit.html_pages(site)
    english = sitekit.html_pages(site / "en")
    assert english == french
    for url in french:
        page = _english(site, url)
        assert '<html lang="en"' in page, url
        assert re.search(r'hreflang="fr"', page), f"{url}: no language switch"


@pytest.mark.parametrize("url", PAGES or [""])
def test_an_english_page_has_no_french_sentence_and_writes_numbers_the_english_way(site, url):
    blocks = english_prose(_english(site, url))
    french = {b[:120]: sorted(set(w)) for b in blocks if len(set(w := french_words(b))) >= 3}
    assert french == {}, f"{url or 'index'}: French in the English page"
    prose = [MATH.sub(" ", b) for b in blocks]
    numbers = {b[:120]: FRENCH_NUMBER.findall(b) for b in prose if FRENCH_NUMBER.search(b)}
    assert numbers == {}, f"{url or 'index'}: numbers written the French way"


def test_the_english_edition_shares_the_french_build_s_executions(site):
    record = sitekit.LAST_BUILD
    data = __import__("json").loads(record.read_text(encoding="utf-8"))
    assert data["times"].get("english_s") is not None, "the last build made no English edition"
    english_receipts = sorted((site / "en").rglob("index.html"))
    stamps_en = {p.relative_to(site / "en"): re.findall(r'data-executed-at="([^"]+)"', p.read_text("utf-8")) for p in english_receipts}
    for rel, stamps in stamps_en.items():
        french = site / rel
        if stamps and french.is_file():
            assert stamps == re.findall(r'data-executed-at="([^"]+)"', french.read_text("utf-8")), rel


#: Words of an English sentence that French does not use.
ENGLISH_WORDS = frozenset("the and of is are with which this that from by its their into than when".split())


@pytest.mark.parametrize("url", [u for u in PAGES if not u.startswith("api")] or [""])
def test_a_french_page_has_no_english_sentence(site, url):
    """The API page is left out: it shows tp8's docstrings, in English in both editions. Titles of papers
    (in italics) and class names (in code or italics) are English in French too."""
    from bs4 import BeautifulSoup

    page = (site / url / "index.html" if url else site / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup.select('[lang="en"], code, pre, script, style, em, cite, .arithmatex, .md-select, .MathJax, a[href^="http"]'):
        tag.decompose()
    main = soup.select_one("article") or soup
    blocks = [" ".join(t.get_text(" ").split()) for t in main.select("p, li, td, th, h1, h2, h3, h4, figcaption")]
    english = {}
    for block in blocks:
        words = {w for w in re.findall(r"[a-z]+", block.lower()) if w in ENGLISH_WORDS}
        if len(words) >= 3:
            english[block[:120]] = sorted(words)
    assert english == {}, f"{url or 'index'}: English in the French page"
