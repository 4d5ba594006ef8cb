"""The site as a reader experiences it: weight, figures, zoom, contrast, wide tables, a phone.

In Chromium (the fixtures of conftest.py), with every third-party request blocked:

* a page read to the end — scrolled to the bottom, every figure and animation loaded — transfers at
  most :data:`PAGE_BUDGET` bytes from an empty cache (what a student on a phone plan pays to read it),
  and the figures of all the pages together weigh at most :data:`FIGURES_BUDGET`; figures load
  lazily, as they are scrolled to (``tools/page_weight.py`` measures the same way, and prints it);
* every figure has a real alternative text (not nbconvert's placeholder, not empty);
* a figure opens full screen when clicked (mkdocs-glightbox), at its full resolution, and can be
  zoomed; on a 390-px phone too, where the page itself never scrolls sideways;
* code (its comments and operators included), tables and figure captions reach WCAG AA contrast
  (4.5:1) in the light and the dark theme;
* a table wider than the column scrolls inside it, with a visible cue, instead of being cut off.
"""

from __future__ import annotations

import sys
from urllib.parse import urljoin

import pytest
import sitekit
from sitekit import notebook_pages, slug

sys.path.insert(0, str(sitekit.ROOT / "tools"))
import page_weight

NOTEBOOKS = [p.url for p in notebook_pages()]
HELD = {p.url: p for p in notebook_pages() if p.with_solutions}  # a notice in their place without the solutions
#: Bytes a page read to the end may transfer from an empty cache: its HTML, styles, scripts, fonts,
#: MathJax where it has maths, and every one of its figures and animations (issue 17: ≤ 4 MB).
PAGE_BUDGET = 4_000_000
#: The figures and animations of all the notebook pages, each counted once (issue 17: ≤ 10 MB).
FIGURES_BUDGET = 10_000_000
PLACEHOLDER = "No description has been provided for this image"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}

CONTRAST_JS = """
(selector) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    const body = parse(getComputedStyle(document.body).backgroundColor);
    if (body && body.a > 0) colour = blend(body, colour);
    for (const layer of layers.reverse()) colour = blend(layer, colour);
    return colour;
  };
  const worst = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.textContent.trim() || el.children.length > 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none" || el.offsetParent === null) continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const l1 = lum(blend(fg, bg)), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    worst.push({ ratio, text: el.textContent.trim().slice(0, 30), cls: el.className, color: style.color });
  }
  worst.sort((a, b) => a.ratio - b.ratio);
  return { count: worst.length, worst: worst.slice(0, 5) };
}
"""
#: Code tokens (Markdown pages and notebook cells), tables, figure captions (nbconvert's output text).
CONTRAST_SELECTOR = (
    ".md-content pre span, .md-content code, .jp-InputArea pre span, .md-typeset table td, "
    ".md-typeset table th, .jp-RenderedHTMLCommon table td, .jp-RenderedHTMLCommon table th"
)


def cold_visit(make_guard, base_url, url, **options):
    """Load ``url`` in a fresh context; return (page, guard, bytes transferred)."""
    guard = make_guard(**options)
    page = guard.new_page()
    sizes = []

    def finished(request):
        try:
            sizes.append(request.sizes()["responseBodySize"])
        except Exception:
            sizes.append(0)

    page.on("requestfinished", finished)
    page.goto(urljoin(base_url, url), wait_until="networkidle")
    page.wait_for_timeout(300)
    return page, guard, sum(sizes)


_READS: dict[str, dict] = {}


def read_to_the_end(make_guard, base_url, url) -> dict:
    """What reading ``url`` to the end transfers (:func:`page_weight.summary`), measured once per session."""
    if url not in _READS:
        guard = make_guard()
        try:
            seen = page_weight.visit(guard.new_page(), urljoin(base_url, url), read=True)
        finally:
            guard.close()
        _READS[url] = page_weight.summary(seen, largest=5)
    return _READS[url]


@pytest.mark.parametrize("url", NOTEBOOKS, ids=lambda u: slug(u))
def test_a_page_read_to_the_end_stays_within_budget(make_guard, base_url, url):
    if url in HELD:
        sitekit.skip_if_held_back(HELD[url])
    page, guard, _ = cold_visit(make_guard, base_url, url)
    try:
        lazy = page.eval_on_selector_all(".jp-OutputArea-output img", "els => els.map(e => e.loading)")
        assert lazy and all(v == "lazy" for v in lazy), f"/{url}: figures not loaded lazily: {lazy}"
    finally:
        guard.close()
    read = read_to_the_end(make_guard, base_url, url)
    assert read["figures"] > 0, f"/{url}: no figure was fetched when reading the page to the end"
    assert read["bytes"] <= PAGE_BUDGET, (
        f"/{url}: {read['bytes'] / 1e6:.2f} MB read to the end (> {PAGE_BUDGET / 1e6:.0f} MB), of which "
        f"{read['figure_bytes'] / 1e6:.2f} MB in {read['figures']} figures; the heaviest: "
        + page_weight.describe_heaviest(read["largest"])
    )


def test_the_figures_of_all_pages_fit_the_budget(make_guard, base_url):
    figures: dict[str, int] = {}
    for url in NOTEBOOKS:
        figures.update(read_to_the_end(make_guard, base_url, url)["figure_sizes"])
    total = sum(figures.values())
    heaviest = sorted(figures.items(), key=lambda kv: -kv[1])[:8]
    assert total <= FIGURES_BUDGET, (
        f"the pages' {len(figures)} figures weigh {total / 1e6:.2f} MB (> {FIGURES_BUDGET / 1e6:.0f} MB); "
        "the heaviest: " + page_weight.describe_heaviest(heaviest)
    )


@pytest.mark.parametrize("url", NOTEBOOKS, ids=lambda u: slug(u))
def test_every_figure_has_a_real_alt(make_guard, base_url, url):
    if url in HELD:
        sitekit.skip_if_held_back(HELD[url])
    page, guard, _ = cold_visit(make_guard, base_url, url)
    try:
        alts = page.eval_on_selector_all(".md-content img", "els => els.map(e => [e.getAttribute('alt'), e.src])")
        bad = [src for alt, src in alts if not (alt or "").strip() or alt.strip() == PLACEHOLDER]
        assert alts and not bad, f"/{url}: images without a real alt: {bad[:5]}"
    finally:
        guard.close()


def open_first_figure(page):
    link = page.locator(".jp-OutputArea-output a.glightbox").first
    link.scroll_into_view_if_needed()
    natural = link.locator("img").evaluate("img => img.naturalWidth || Number(img.getAttribute('width'))")
    link.click()
    shown = page.locator(".glightbox-container .gslide.current img")
    shown.wait_for(state="visible", timeout=15_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('.glightbox-container .gslide.current img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    return natural, shown


def test_a_figure_opens_full_screen_at_full_resolution_and_zooms(make_guard, base_url):
    page, guard, _ = cold_visit(make_guard, base_url, "partie-3-visualisation/")
    try:
        natural, shown = open_first_figure(page)
        assert shown.evaluate("i => i.naturalWidth") == natural, "the lightbox shows a resampled copy"
        box = shown.bounding_box()
        assert box["width"] > 0.6 * min(natural, 1280), f"the opened figure is only {box['width']:.0f} px wide"
        page.screenshot(path=str(sitekit.SCREENSHOTS / "lightbox.png"))
        page.keyboard.press("Escape")
        page.locator(".glightbox-container").wait_for(state="detached", timeout=10_000)
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()


def test_on_a_phone_figures_open_full_screen_and_the_page_never_scrolls_sideways(make_guard, base_url):
    for url in NOTEBOOKS:
        page, guard, _ = cold_visit(make_guard, base_url, url, **PHONE)
        try:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"/{url}: the page scrolls {overflow} px sideways on a 390-px phone"
            viewport = page.eval_on_selector("meta[name=viewport]", "m => m.content")
            assert "user-scalable=no" not in viewport and "maximum-scale=1" not in viewport, viewport
        finally:
            guard.close()
    page, guard, _ = cold_visit(make_guard, base_url, "partie-1-saillance/", **PHONE)
    try:
        natural, shown = open_first_figure(page)
        box = shown.bounding_box()
        assert box["width"] >= 0.9 * 390 * min(1, natural / 390), (
            f"on a phone the figure opens {box['width']:.0f} px wide"
        )
        page.screenshot(path=str(sitekit.SCREENSHOTS / "lightbox-phone.png"))
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("url", ["partie-1-saillance/", "partie-2-adversaires/", "enseignants/"], ids=slug)
def test_code_and_tables_meet_wcag_aa_contrast(make_guard, base_url, url, scheme):
    page, guard, _ = cold_visit(make_guard, base_url, url, color_scheme=scheme)
    try:
        expected = "slate" if scheme == "dark" else "default"
        assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == expected
        result = page.evaluate(CONTRAST_JS, CONTRAST_SELECTOR)
        assert result["count"] > 20, f"/{url}: only {result['count']} code/table elements measured"
        worst = result["worst"][0]
        assert worst["ratio"] >= 4.5, (
            f"/{url} ({scheme}): contrast {worst['ratio']:.2f}:1 < 4.5:1 for {result['worst']}"
        )
    finally:
        guard.close()


TABLES_JS = """els => els.map(t => ({scroll: t.scrollWidth, client: t.clientWidth,
     overflow: getComputedStyle(t).overflowX, cue: getComputedStyle(t).backgroundImage,
     right: t.getBoundingClientRect().right,
     columnRight: t.closest('.md-content').getBoundingClientRect().right}))"""


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_wide_tables_scroll_inside_the_column_with_a_cue(make_guard, base_url, device):
    """Every table wider than its column, on every notebook page, scrolls inside it and shows a cue."""
    wide = []
    for url in NOTEBOOKS:
        page, guard, _ = cold_visit(make_guard, base_url, url, **(PHONE if device == "phone" else {}))
        try:
            tables = page.eval_on_selector_all(".jp-RenderedHTMLCommon table", TABLES_JS)
        finally:
            guard.close()
        for t in tables:
            if t["scroll"] > t["client"] + 2:
                wide.append((url, t))
            assert t["right"] <= t["columnRight"] + 1, f"{url}: a table spills out of the column ({device}): {t}"
    if device == "phone":
        assert wide, "no table wider than a phone's column: the test no longer tests anything"
    for url, t in wide:
        assert t["overflow"] in ("auto", "scroll"), (url, t)
        assert t["cue"] != "none", f"{url}: a scrolling table has no visible cue ({device}): {t}"
