"""The built site as a reader sees it, in Chromium, with every third-party request blocked.

Each page is loaded once (its facts are cached for the session) and checked for: no console
error, no HTTP error, no request to another host; every image decoded; the notebook pages' figures;
typeset maths and no raw TeX left; the site's own font in use. A full-page screenshot of each page
lands in ``site-screenshots/``. Then a reader's journey: clicking through the navigation (instant
loading, no full reload) keeps maths and figures working; the dark-mode toggle; the search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urljoin, urlsplit

import pytest
import sitekit
from sitekit import DOCS, MATHS_PAGES, SCREENSHOTS, notebook_pages, slug

NOTEBOOKS = {p.url: p for p in notebook_pages()}


def source_pages() -> list[str]:
    """Site-relative URLs of the pages the sources make (notebooks and Markdown pages)."""
    urls = set(NOTEBOOKS)
    for path in DOCS.rglob("*.md"):
        rel = path.relative_to(DOCS).with_suffix("")
        if "overrides" in rel.parts:
            continue
        if rel.name == "index":
            urls.add("" if rel.parent == rel.parent.parent else rel.parent.as_posix() + "/")
        else:
            urls.add(rel.as_posix() + "/")
    return sorted(urls)


PAGES = source_pages()

# Waits for MathJax to be loaded and done (typesetting chains onto MathJax.startup.promise), for the
# fonts, and for every image to be decoded; then describes the page.
FACTS_JS = """
async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const t0 = performance.now();
  // MathJax is loaded only by pages that hold maths (docs/javascripts/mathjax.js decides).
  const needsMaths = typeof tp8HasMaths !== "function" || tp8HasMaths();
  while (needsMaths && !(window.MathJax && MathJax.startup && MathJax.startup.promise) && performance.now() - t0 < 15000) {
    await sleep(100);
  }
  const mathjax = !!(window.MathJax && MathJax.startup && MathJax.startup.promise);
  if (mathjax) {
    let p;
    do { p = MathJax.startup.promise; await p.catch(() => {}); await sleep(50); } while (p !== MathJax.startup.promise);
  }
  const images = Array.from(document.images);
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map((img) => img.decode().catch(() => {})));
  await document.fonts.ready;

  // Text a reader sees: not code, not typeset maths, not hidden helpers (e.g. copy-button sources).
  const article = document.querySelector("article") || document.querySelector(".md-content") || document.body;
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight, .highlight-ipynb";
  const hidden = new Map();
  const isHidden = (el) => {
    if (!el || el === article) return false;
    if (!hidden.has(el)) hidden.set(el, getComputedStyle(el).display === "none" || isHidden(el.parentElement));
    return hidden.get(el);
  };
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (el && !el.closest(skip) && !isHidden(el)) parts.push(node.textContent);
  }
  const text = parts.join("");

  const rootStyle = getComputedStyle(document.documentElement);
  const family = rootStyle.getPropertyValue("--md-text-font").split(",")[0].trim().replace(/^["']|["']$/g, "");
  const faces = Array.from(document.fonts).filter((f) => f.family.replace(/^["']|["']$/g, "") === family);
  const figures = document.querySelectorAll(
    ".jp-OutputArea-output.jp-RenderedImage img, .jp-OutputArea-output.jp-RenderedSVG img, " +
    ".jp-OutputArea-output.jp-RenderedSVG svg"
  );
  return {
    url: location.href,
    title: document.title,
    h1: (document.querySelector("article h1, .md-content h1") || {}).textContent || "",
    mathjax,
    needsMaths,
    mathjaxScript: !!document.querySelector("script#tp8-mathjax"),
    mjx: document.querySelectorAll("article mjx-container, .md-content mjx-container").length,
    arithmatex: document.querySelectorAll(".arithmatex").length,
    text,
    images: images.map((img) => ({
      src: (img.currentSrc || img.src || "").slice(0, 120),
      complete: img.complete,
      width: img.naturalWidth,
    })),
    figures: Array.from(figures).filter((f) => f.tagName === "svg" || (f.complete && f.naturalWidth > 0)).length,
    fontFamily: family,
    fontLoaded: faces.some((f) => f.status === "loaded"),
    fontCheck: family ? document.fonts.check(`16px "${family}"`) : false,
    bodyFont: getComputedStyle(document.body).fontFamily,
    scheme: document.body.getAttribute("data-md-color-scheme"),
  };
}
"""

RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|(?<![\w$\\])\$[^$\s][^$\n]{0,200}?\$(?![\w$])")


@dataclass
class Visit:
    url: str
    facts: dict
    problems: list[str] = field(default_factory=list)
    screenshot: str = ""


def raw_tex(text: str) -> list[str]:
    return [text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ") for m in RAW_TEX.finditer(text)][:5]


@pytest.fixture(scope="session")
def visit(browser, base_url, make_guard):
    """``visit(url)``: load a page in a fresh guarded context (once per session) and describe it."""
    SCREENSHOTS.mkdir(exist_ok=True)

    @cache
    def _visit(url: str) -> Visit:
        guard = make_guard()
        try:
            page = guard.new_page()
            page.goto(urljoin(base_url, url), wait_until="load")
            facts = page.evaluate(FACTS_JS)
            shot = SCREENSHOTS / f"{slug(url)}.png"
            page.screenshot(path=str(shot), full_page=True)
            page.wait_for_timeout(200)  # late console messages
            return Visit(url, facts, guard.problems(), str(shot))
        finally:
            guard.close()

    return _visit


def test_every_page_of_the_site_is_tested(site):
    assert sorted(sitekit.html_pages(site)) == PAGES


@pytest.mark.parametrize("url", PAGES, ids=lambda u: slug(u))
def test_page_loads_cleanly_without_third_parties(visit, url):
    result = visit(url)
    assert result.facts["h1"].strip(), f"/{url}: no title (h1)"
    assert not result.problems, f"/{url}:\n" + "\n".join(result.problems)


@pytest.mark.parametrize("url", PAGES, ids=lambda u: slug(u))
def test_page_images_are_decoded(visit, url):
    images = visit(url).facts["images"]
    broken = [img["src"] for img in images if not (img["complete"] and img["width"] > 0)]
    assert not broken, f"/{url}: {len(broken)} image(s) not decoded: {broken[:5]}"


def maths_page(url: str) -> bool:
    """A page that must show typeset maths (not when a notice stands in its place, ``sitekit.held_back``)."""
    return url.rstrip("/") in MATHS_PAGES and not (url in NOTEBOOKS and sitekit.held_back(NOTEBOOKS[url]))


@pytest.mark.parametrize("url", sorted(NOTEBOOKS), ids=lambda u: slug(u))
def test_notebook_page_shows_its_figures(visit, url):
    sitekit.skip_if_held_back(NOTEBOOKS[url])
    expected = NOTEBOOKS[url].min_figures or 1
    shown = visit(url).facts["figures"]
    assert shown >= expected, f"/{url}: {shown} figure(s) shown, at least {expected} expected"


@pytest.mark.parametrize("url", PAGES, ids=lambda u: slug(u))
def test_page_maths_are_typeset(visit, url):
    facts = visit(url).facts
    expected = maths_page(url) or facts["arithmatex"] > 0
    if expected:
        assert facts["needsMaths"], f"/{url}: its maths were not detected"
        assert facts["mathjax"], f"/{url}: MathJax is not loaded"
        assert facts["mjx"] > 0, f"/{url}: no typeset equation (mjx-container)"
    if not facts["needsMaths"]:
        assert not facts["mathjaxScript"], f"/{url}: MathJax (0.76 MB) loaded on a page without maths"
    assert not raw_tex(facts["text"]), f"/{url}: raw TeX left in the text: {raw_tex(facts['text'])}"


@pytest.mark.parametrize("url", PAGES, ids=lambda u: slug(u))
def test_page_uses_the_sites_own_font(visit, url):
    facts = visit(url).facts
    family = facts["fontFamily"]
    assert family, "--md-text-font is not set: which font does the site use?"
    assert facts["fontLoaded"] and facts["fontCheck"], f"/{url}: font {family!r} not loaded (body: {facts['bodyFont']})"
    assert family in facts["bodyFont"]


# --- a reader's journey ------------------------------------------------------------------------


def nav_links(page, base_url) -> list[str]:
    """Site-relative URLs of the primary navigation, in order."""
    hrefs = page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "els => els.map(e => e.href)")
    urls = []
    for href in hrefs:
        parts = urlsplit(href)
        if href.startswith(base_url) and not parts.fragment:
            rel = parts.path.removeprefix(urlsplit(base_url).path)
            if rel not in urls:
                urls.append(rel)
    return urls


CLICK_NAV_JS = """
(target) => {
  const links = Array.from(document.querySelectorAll("nav.md-nav--primary a.md-nav__link[href]"));
  const link = links.find((a) => a.href === target);
  if (!link) return false;
  link.click();
  return true;
}
"""


def test_navigation_keeps_maths_and_figures(browser, base_url, guard):
    page = guard.new_page()
    page.goto(base_url, wait_until="load")
    page.evaluate(FACTS_JS)
    order = nav_links(page, base_url)
    assert set(order) == set(PAGES), f"navigation {order} != pages {PAGES}"
    page.evaluate(
        "() => { window.__tp8_marker = 'same document'; window.__tp8_swaps = 0;"
        " document$.subscribe(() => { window.__tp8_swaps += 1; }); }"
    )
    journey = [u for u in order[1:]] + [order[0]]
    for url in journey:
        swaps = page.evaluate("() => window.__tp8_swaps")
        assert page.evaluate(CLICK_NAV_JS, urljoin(base_url, url)), f"no navigation link to /{url}"
        page.wait_for_url(urljoin(base_url, url))
        page.wait_for_function(
            f"() => window.__tp8_marker !== 'same document' || window.__tp8_swaps > {swaps}", timeout=30_000
        )
        assert page.evaluate("() => window.__tp8_marker") == "same document", (
            f"/{url} was loaded by a full page load, not by instant navigation "
            "(Material's navigation.instant needs site_url, hence a non-empty sitemap.xml)"
        )
        facts = page.evaluate(FACTS_JS)
        broken = [i["src"] for i in facts["images"] if not (i["complete"] and i["width"] > 0)]
        assert not broken, f"/{url} after navigation: images not decoded {broken[:5]}"
        if url in NOTEBOOKS and not sitekit.held_back(NOTEBOOKS[url]):
            expected = NOTEBOOKS[url].min_figures or 1
            assert facts["figures"] >= expected, f"/{url} after navigation: {facts['figures']} figure(s)"
        if maths_page(url) or facts["arithmatex"] > 0:
            assert facts["mjx"] > 0, f"/{url} after navigation: maths not typeset"
        assert not raw_tex(facts["text"]), f"/{url} after navigation: raw TeX {raw_tex(facts['text'])}"
    assert not guard.problems(), "\n".join(guard.problems())


def test_dark_mode_toggle(base_url, guard):
    page = guard.new_page()
    page.goto(urljoin(base_url, "partie-1-saillance/"), wait_until="load")
    scheme = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function(f"() => document.body.getAttribute('data-md-color-scheme') !== {scheme!r}")
    dark = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    assert {scheme, dark} == {"default", "slate"}
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") != background
    page.evaluate(FACTS_JS)
    page.screenshot(path=str(SCREENSHOTS / "partie-1-saillance-sombre.png"), full_page=False)
    page.reload(wait_until="load")  # the choice is remembered
    assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == dark
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function(f"() => document.body.getAttribute('data-md-color-scheme') === {scheme!r}")
    assert not guard.problems(), "\n".join(guard.problems())


def test_search_finds_the_saliency_page(base_url, guard):
    page = guard.new_page()
    page.goto(base_url, wait_until="load")
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("saillance", delay=40)
    results = page.locator(".md-search-result__list a.md-search-result__link")
    results.first.wait_for(state="attached", timeout=30_000)
    hrefs = results.evaluate_all("els => els.map(e => e.href)")
    assert any("/partie-1-saillance/" in h for h in hrefs), hrefs
    assert not guard.problems(), "\n".join(guard.problems())
