"""The built site's figures are light, lossless, described, and the pages name no path of the build machine.

Static checks of ``site/`` (built once per session by :func:`sitekit.ensure_site`):

* every figure of a notebook page is a file (no inlined data URI) in ``assets/figures/``, lossless
  (PNG, or WebP whose every frame is VP8L), opaque RGB (no alpha channel), not much wider than a
  reader's screen shows it, and its ``<img>`` has a real French ``alt`` (never nbconvert's
  placeholder), ``width``/``height``, ``loading="lazy"`` and ``decoding="async"``;
* what a page's own files weigh — its HTML, the styles and scripts it links, MathJax where it has
  maths, and all its figures — is at most :data:`PAGE_BUDGET` bytes (a lower bound of what reading
  it to the end transfers, which ``tests/e2e/test_reader.py`` measures in a browser against the
  same budget); the figures of the site weigh at most :data:`FIGURES_BUDGET`; a failure names the
  heaviest figures;
* no absolute path that the build used (the checkout, ``TORCH_HOME``, ``TP8_WEIGHTS_DIR``, the home
  and temporary folders) appears in any file of the site.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from sitekit import MATHS_PAGES, ROOT, notebook_pages, skip_if_held_back

PAGES = notebook_pages()
FIGURE_IMG = "div.jp-OutputArea-output img"
PLACEHOLDER = "No description has been provided for this image"
#: All the figures of the site, in bytes (issue 17: ≤ 10 MB, lossless figures included).
FIGURES_BUDGET = 10_000_000
#: What one page read to the end may transfer, in bytes (issue 17: ≤ 4 MB, every figure loaded).
PAGE_BUDGET = 4_000_000
#: Widest figure file, in pixels: about twice the 616-px content column (sharp on a dense screen).
MAX_WIDTH_PX = 1440
TEXT_SUFFIXES = {".html", ".js", ".css", ".json", ".xml", ".ipynb", ".txt", ".map", ".svg", ".webmanifest"}


def figures_of(site, soup, page):
    doc = soup(page.html_path(site))
    return [(img, page.html_path(site).parent / img.get("src", "")) for img in doc.select(FIGURE_IMG)]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_figures_are_described_and_load_lazily(site, soup, page):
    skip_if_held_back(page)
    found = figures_of(site, soup, page)
    assert found, f"{page.name}: no figure"
    for img, path in found:
        src = img.get("src", "")
        assert not src.startswith("data:"), f"{page.name}: a figure is still inlined as a data URI"
        alt = (img.get("alt") or "").strip()
        assert alt and alt != PLACEHOLDER, (
            f"{page.name}: {src} has no alternative text (use tp8.course.show(fig, alt=…))"
        )
        assert len(alt) >= 30, f"{page.name}: {src} has a too short alternative text: {alt!r}"
        assert img.get("loading") == "lazy" and img.get("decoding") == "async", f"{page.name}: {src} {img.attrs}"
        assert (img.get("width") or "").isdigit() and (img.get("height") or "").isdigit(), f"{page.name}: {src}"
        assert path.is_file(), f"{page.name}: {src} does not exist"


def _lossless_webp(data: bytes) -> bool:
    # A lossy frame is a "VP8 " chunk; lossless ones are "VP8L" (inside ANMF frames when animated).
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP" and b"VP8L" in data and b"VP8 " not in data


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_figures_are_lossless_opaque_and_not_oversized(site, soup, page):
    for img, path in figures_of(site, soup, page):
        data = path.read_bytes()
        with Image.open(path) as image:
            assert image.format in ("PNG", "WEBP", "GIF"), f"{path.name}: {image.format} is not a lossless format"
            if image.format == "WEBP":
                assert _lossless_webp(data), f"{path.name}: lossy WebP"
            if not getattr(image, "is_animated", False):
                assert image.mode == "RGB", f"{path.name}: mode {image.mode} (figures are opaque RGB)"
            assert image.width <= MAX_WIDTH_PX, f"{path.name}: {image.width} px wide, more than {MAX_WIDTH_PX}"
            assert int(img["width"]) <= image.width, f"{path.name}: shown wider than it is ({img['width']} px)"


def heaviest(sizes: dict[Path, int], n: int = 5) -> str:
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{path.name} ({size / 1e6:.2f} MB)" for path, size in top)


def linked_files(site, soup, page) -> dict[Path, int]:
    """The local styles and scripts a page links, and MathJax when the page has maths (loaded by
    docs/javascripts/mathjax.js), with their sizes."""
    html_path = page.html_path(site)
    doc = soup(html_path)
    refs = [link.get("href", "") for link in doc.select("link[rel=stylesheet]")]
    refs += [script.get("src", "") for script in doc.select("script[src]")]
    out = {}
    for ref in refs:
        if not ref or "://" in ref or ref.startswith("data:"):
            continue
        path = (html_path.parent / ref.split("?", 1)[0].split("#", 1)[0]).resolve()
        if path.is_file():
            out[path] = path.stat().st_size
    if page.name in MATHS_PAGES or doc.select(".arithmatex"):
        sys.path.insert(0, str(ROOT / "tools"))
        import site_assets

        mathjax = site / "assets" / "vendor" / "mathjax"
        for rel in site_assets.MATHJAX_COMPONENTS:
            out[mathjax / rel] = (mathjax / rel).stat().st_size
    return out


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_each_page_with_its_figures_fits_the_budget(site, soup, page):
    figures = {path: path.stat().st_size for _, path in figures_of(site, soup, page)}
    own = page.html_path(site).stat().st_size + sum(linked_files(site, soup, page).values())
    total = own + sum(figures.values())
    assert total <= PAGE_BUDGET, (
        f"{page.name}: {total / 1e6:.2f} MB read to the end at the very least (> {PAGE_BUDGET / 1e6:.0f} MB): "
        f"{own / 1e6:.2f} MB of HTML, styles and scripts, {sum(figures.values()) / 1e6:.2f} MB in {len(figures)} "
        f"figures; the heaviest: {heaviest(figures)}"
    )


def test_all_figures_fit_the_budget(site):
    files = {f: f.stat().st_size for f in (site / "assets" / "figures").glob("*")}
    total = sum(files.values())
    assert files and total <= FIGURES_BUDGET, (
        f"{len(files)} figures weigh {total / 1e6:.2f} MB (> {FIGURES_BUDGET / 1e6:.0f} MB); "
        f"the heaviest: {heaviest(files, 8)}"
    )


def build_paths() -> dict[str, str]:
    """Absolute paths of this machine that a page could leak, with what each one is."""
    home = Path.home()
    torch_home = os.environ.get("TORCH_HOME") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "torch"
    )
    candidates = {
        "the checkout": str(ROOT),
        "TORCH_HOME": torch_home,
        "TP8_WEIGHTS_DIR": os.environ.get("TP8_WEIGHTS_DIR", ""),
        "TP8_IMAGENET_DIR": os.environ.get("TP8_IMAGENET_DIR", ""),
        "the home folder": str(home),
        "the temporary folder": tempfile.gettempdir(),
        "the Python environment": os.path.dirname(os.path.dirname(os.__file__)),
    }
    out = {}
    for what, value in candidates.items():
        if value and len(value) > 1:
            out[os.path.realpath(value)] = what
            out[os.path.abspath(value)] = what
    return out


def test_no_path_of_the_build_machine_is_published(site):
    paths = build_paths()
    # A path starts the string or follows a separator: "/tmp" inside "/dist/tmp" (a bundled script) is not one.
    pattern = re.compile(
        "|".join(r"(?<![\w.~-])" + re.escape(p) + r"(?=[/\\\"'\s<)]|$)" for p in sorted(paths, key=len, reverse=True))
    )
    leaks = []
    for file in sorted(site.rglob("*")):
        if not file.is_file() or file.suffix not in TEXT_SUFFIXES:
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 60) : match.end() + 60].replace("\n", " ")
            leaks.append(f"{file.relative_to(site)}: {paths[match.group(0)]} ({match.group(0)}) in …{around}…")
            break
    assert not leaks, "paths of the build machine in the published site:\n" + "\n".join(leaks[:20])


def test_every_figure_file_is_used(site, soup):
    used = set()
    for path in site.rglob("*.html"):
        for img in soup(path).select("img[src]"):
            used.add((path.parent / img["src"]).resolve())
    stale = [f.name for f in (site / "assets" / "figures").glob("*") if f.resolve() not in used]
    assert not stale, f"figure files no page uses: {stale[:10]}"


# --- without a built site: figures leave the notebook while it runs ---------------------------------


def _png(size=(120, 60), seed=0, mode="RGB", alt=None) -> bytes:
    import io
    import random

    from PIL import PngImagePlugin

    rng = random.Random(seed)
    image = Image.new(mode, size)
    image.putdata([tuple(rng.randrange(256) for _ in mode) for _ in range(size[0] * size[1])])
    info = PngImagePlugin.PngInfo()
    if alt:
        info.add_itxt("Description", alt)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_images_become_small_markers_and_lossless_files(tmp_path):
    import base64
    import io
    import sys

    import nbformat

    sys.path.insert(0, str(ROOT / "tools"))
    from sitebuild import figures as site_figures

    png = _png(alt="Une figure de test, décrite pour qui ne la voit pas.")
    rgba = _png(seed=1, mode="RGBA")
    animation = io.BytesIO()
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue")]
    frames[0].save(animation, format="WEBP", save_all=True, append_images=frames[1:], lossless=True)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", {"image/png": base64.b64encode(png).decode(), "text/plain": "fig"}),
        nbformat.v4.new_output("display_data", {"image/png": base64.b64encode(rgba).decode()}),
        nbformat.v4.new_output(
            "display_data",
            {
                "text/html": f'<img class="tp8-animation" src="data:image/webp;base64,'
                f'{base64.b64encode(animation.getvalue()).decode()}" alt="anim" width="40" height="40">'
            },
        ),
    ]
    nb.cells.append(cell)
    extractor = site_figures.Extractor(tmp_path)
    extractor.submit(cell)
    files = extractor.apply(nb)
    assert len(files) == 3 and not site_figures.missing_files(files, tmp_path)
    text = nbformat.writes(nb)
    assert len(text) < 5000, "an image still travels inside the notebook"

    # Rendered as nbconvert would, then published: the site's files hold the very same pixels.
    html = (
        "".join(
            f'<img src="data:image/png;base64,{o.data["image/png"]}" alt="{site_figures.PLACEHOLDER_ALT}">'
            for o in cell.outputs[:2]
        )
        + cell.outputs[2].data["text/html"]
    )
    site = tmp_path / "site"
    page, published = site_figures.rewrite_images(html, lambda name: name, site, tmp_path)
    assert "data:" not in page and page.count('loading="lazy"') == 3
    assert "Une figure de test" in page  # the description stored in the PNG becomes the alt text
    first, second, anim = (Image.open(site / fig.name) for fig in published)
    assert first.convert("RGB").tobytes() == Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    assert second.mode == "RGB"  # transparency composited onto white
    assert getattr(anim, "n_frames", 1) == 2 and published[2].name.endswith(".webp")
    for fig in published:
        data = (site / fig.name).read_bytes()
        assert data[:4] != b"RIFF" or _lossless_webp(data), f"{fig.name}: lossy WebP"

    # A second run finds every image in the cache: nothing is encoded again.
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "figures").iterdir()}
    again = nbformat.v4.new_notebook()
    again.cells.append(nbformat.v4.new_code_cell("x"))
    again.cells[0].outputs = [nbformat.v4.new_output("display_data", {"image/png": base64.b64encode(png).decode()})]
    assert site_figures.Extractor(tmp_path).apply(again) == [published[0].name.rsplit("/", 1)[-1]]
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "figures").iterdir()} == before


def test_the_notebook_stylesheet_keeps_only_the_rules_its_pages_use():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from sitebuild import css as site_css

    css = """/* a comment { with braces } */
:root { --jp-ui-font-size1: 13px; }
.jp-OutputArea-output img, .jp-Toolbar-item { max-width: 100%; }
.jp-Dialog { z-index: 10; }
.jp-Cell:not(.jp-mod-active) .jp-InputArea { border: 0; }
a:is(.jp-Menu, .jp-RenderedHTMLCommon) { color: red; }
@media print { .jp-Dialog { display: none; } .jp-OutputArea-output { break-inside: avoid; } }
@font-face { font-family: "x{y}"; src: url(a.woff2); }
.content::before { content: "}"; }
"""
    used = site_css.classes_in(
        "<div class=\"jp-Cell jp-InputArea\"><div class='jp-OutputArea-output'><a class=jp-RenderedHTMLCommon>"
    )
    assert used == {"jp-Cell", "jp-InputArea", "jp-OutputArea-output", "jp-RenderedHTMLCommon"}
    out = site_css.purge(css, used)
    assert "--jp-ui-font-size1" in out and "@font-face" in out and 'content: "}"' not in out
    assert ".jp-OutputArea-output img{" in out and "jp-Toolbar-item" not in out and "jp-Dialog" not in out
    assert ".jp-Cell:not(.jp-mod-active) .jp-InputArea" in out  # classes inside :not() do not count
    assert "a:is(.jp-Menu, .jp-RenderedHTMLCommon)" in out
    assert "@media print{" in out and "break-inside" in out
