"""A notebook page's HTML, once mkdocs-jupyter has rendered it: lighter, self-hosted, with its receipt.

* nbconvert's MathJax 2 and mermaid loaders go (``docs/javascripts/mathjax.js`` typesets every page),
  and so does the Python repr of the pygments CSS list mkdocs-jupyter appends;
* nbconvert's heading anchors become Material's;
* every figure becomes a file of the site (:func:`figures.rewrite_images`);
* the ~600 kB of JupyterLab CSS inlined in each page is served once (``assets/notebook/``), cut down
  after the build to the rules the pages use (:func:`write_stylesheets`, :mod:`css`);
* the receipt (:mod:`receipt`) closes the page.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from . import css, figures, receipt

# nbconvert's page header loads MathJax 2 from a CDN (or an empty src) and configures it with the
# v2 API; mermaid is imported from a CDN too. Our MathJax 3 (docs/javascripts/mathjax.js) typesets
# notebook pages, so these blocks go.
_MATHJAX2 = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
_MERMAID = re.compile(r'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>', re.DOTALL)
# mkdocs-jupyter appends the Python repr of the pygments CSS list after an .ipynb page.
_CSS_LIST = re.compile(r"\s*<style>\s*\[(?:(?!</style>).)*\]\s*</style>\s*$", re.DOTALL)
# nbconvert's heading anchors become Material's (styled alike, and left out of search titles).
_ANCHOR = re.compile(r'<a class="anchor-link" href="(#[^"]*)">¶</a>')
# mkdocs-jupyter inlines ~600 kB of JupyterLab CSS in every notebook page: served once instead.
_NB_STYLE = re.compile(r'<style type="text/css">(.*?)</style>', re.DOTALL)
_WRAPPER = '<div class="jupyter-wrapper">'


class Stylesheets:
    """The notebook stylesheets met while rendering, and the pages that load each."""

    def __init__(self):
        self.css: dict[str, str] = {}
        self.pages: dict[str, list[Path]] = {}


def page_html(
    html: str, *, url_of, site_dir: Path, cache_dir: Path, dest: Path, sheets: Stylesheets, stamp, lang: str = "fr"
) -> tuple[str, float]:
    """The page's HTML made light (module docstring) and the seconds spent on its figures.
    ``url_of(name)``: a site-relative path as a URL relative to the page; ``stamp``: its receipt
    (:func:`receipt.receipt`) or None; :class:`figures.FigureMissing` when a figure left the cache."""
    html = _MATHJAX2.sub("", html)
    html = _MERMAID.sub("", html)
    html = _CSS_LIST.sub("", html)
    link_title = "Link to this section" if lang == "en" else "Lien vers cette section"
    html = _ANCHOR.sub(rf'<a class="headerlink" href="\1" title="{link_title}">¶</a>', html)
    started = time.monotonic()
    html, _published = figures.rewrite_images(html, url_of, Path(site_dir), Path(cache_dir))
    spent = time.monotonic() - started
    head, sep, body = html.partition(_WRAPPER)
    styles = _NB_STYLE.findall(head) if sep else []
    if styles:
        sheet = "\n".join(style.strip() for style in styles) + "\n"
        name = f"assets/notebook/notebook.{hashlib.sha256(sheet.encode()).hexdigest()[:12]}.css"
        sheets.css[name] = sheet
        sheets.pages.setdefault(name, []).append(Path(dest))
        html = _NB_STYLE.sub("", head) + f'<link rel="stylesheet" href="{url_of(name)}">\n' + sep + body
    return html + receipt.receipt_html(stamp, lang), spent


def write_stylesheets(sheets: Stylesheets, site_dir: Path) -> None:
    """Each notebook stylesheet cut down to the rules its pages use, named by its content; the pages,
    written by now, are pointed at it."""
    for name, sheet in sheets.css.items():
        pages = [p for p in sheets.pages.get(name, []) if p.is_file()]
        texts = {p: p.read_text(encoding="utf-8") for p in pages}
        if texts:
            used = set().union(*(css.classes_in(t) for t in texts.values()))
            sheet = css.purge(sheet, used)
        final = f"assets/notebook/notebook.{hashlib.sha256(sheet.encode()).hexdigest()[:12]}.css"
        target = Path(site_dir) / final
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(sheet, encoding="utf-8")
        old, new = name.rsplit("/", 1)[-1], final.rsplit("/", 1)[-1]
        for path, content in texts.items():
            if old != new:
                path.write_text(content.replace(old, new), encoding="utf-8")
