"""Every internal link and anchor of the built site resolves; repository links name real files.

Read statically from the HTML files of ``site/`` (every ``href``/``src`` of every page): a link to
another page or file of the site must reach an existing file, and its ``#fragment`` an element with
that ``id`` (or ``name``) in the target page. Links to the site's own public address (``site_url``,
e.g. the canonical link) count as internal. Links elsewhere are not followed (offline), except that
links into this repository on GitHub or Colab must name a file that exists in the working tree.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from sitekit import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from site_server import public_address

LOCAL_ORIGIN = "http://site.invalid"
ATTRIBUTES = ("href", "src")
SKIPPED_SCHEMES = ("mailto", "tel", "javascript", "data", "blob", "about")
REPO_FILE = re.compile(
    r"^https://(?:github\.com/[^/]+/[^/]+/(?:blob|edit|tree|raw)/[^/]+|"
    r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+)/(?P<path>[^?#]+)"
)


def site_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not p.relative_to(site).as_posix().startswith("assets/vendor/"))


@cache
def anchors(path: Path, soup) -> frozenset[str]:
    doc = soup(path)
    return frozenset(
        [el["id"] for el in doc.find_all(id=True)] + [el["name"] for el in doc.find_all("a", attrs={"name": True})]
    )


def links(path: Path, site: Path, soup, base: str):
    """(element description, raw URL, absolute URL) of each link of a page served at ``base``."""
    page_url = base + path.relative_to(site).as_posix()
    for el in soup(path).find_all(True):
        for attr in ATTRIBUTES:
            raw = el.get(attr)
            if not raw or not isinstance(raw, str):
                continue
            raw = raw.strip()
            if not raw or raw.split(":", 1)[0].lower() in SKIPPED_SCHEMES:
                continue
            yield f"<{el.name} {attr}>", raw, urljoin(page_url, raw)


def site_relative(url: str, base: str, public: str | None) -> str | None:
    """The part of ``url`` after the site's root when it points into the site, else None."""
    for root in (base, public):
        if root and url.startswith(root):
            return url[len(root) :]
    return None


def test_internal_links_and_anchors_resolve(site, soup):
    # Served as it will be published: at site_url's path (e.g. /tp8/), so that the absolute links of
    # the 404 page resolve too.
    public = public_address(site)
    path_prefix = public[1] if public else "/"
    base = LOCAL_ORIGIN + path_prefix
    broken, checked = [], 0
    for path in site_files(site):
        rel = path.relative_to(site).as_posix()
        for what, raw, absolute in links(path, site, soup, base):
            inside = site_relative(absolute, base, "".join(public) if public else None)
            if inside is None:
                if absolute.startswith(LOCAL_ORIGIN):
                    broken.append(f"{rel}: {what} {raw} -> outside the site's root {path_prefix}")
                continue
            parts = urlsplit(inside)
            target_rel = unquote(parts.path)
            target = site / target_rel
            if target_rel == "" or target_rel.endswith("/") or target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file():
                broken.append(f"{rel}: {what} {raw} -> missing {target.relative_to(site)}")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in anchors(target, soup):
                broken.append(f"{rel}: {what} {raw} -> no #{fragment} in {target.relative_to(site)}")
    assert checked > 0
    assert not broken, f"{len(broken)} broken link(s):\n" + "\n".join(broken[:40])


def test_repository_links_name_existing_files(site, soup):
    """Edit links, 'Ouvrir dans Colab', sources: the path after the branch exists in the repository."""
    missing, seen = [], 0
    for path in site_files(site):
        for what, raw, absolute in links(path, site, soup, LOCAL_ORIGIN + "/"):
            match = REPO_FILE.match(absolute)
            if match is None:
                continue
            seen += 1
            rel = unquote(match.group("path")).rstrip("/")
            if not (ROOT / rel).exists():
                missing.append(f"{path.relative_to(site)}: {what} {raw} -> {rel} is not in the repository")
    assert not missing, "\n".join(sorted(set(missing))[:40])
