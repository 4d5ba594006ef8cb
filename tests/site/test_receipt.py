"""The receipt at the foot of each executed page: what produced its figures and numbers.

On the built site (:func:`sitekit.ensure_site`), every notebook page ends with one
``<footer class="tp8-receipt">`` that says when the page was executed (UTC date and time), how long
it took, with which versions (Python, torch, torchvision, tp8 and its commit), which weights (each
network by name, with its file's SHA-256 prefix or torchvision's weights entry) and on which device;
and it holds no path of the build machine. Without a built site: how the receipt is written
(``receipt.receipt_html``) from what the kernel reported (``receipt.receipt``).
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

import pytest
from sitekit import ROOT, notebook_pages, skip_if_held_back

sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import receipt as site_receipt

PAGES = notebook_pages()
#: An absolute path (POSIX, home-relative or Windows) where a word could start.
ABSOLUTE_PATH = re.compile(r"(?:^|[\s(«\"'=:,;])(?:/[\w.~-]|~/|[A-Za-z]:\\)")
STAMP = re.compile(r"exécutée le (\d{1,2})(?:er)? (\w+) (20\d\d) à (\d\d):(\d\d) UTC, en (\d+\s*min\s*\d+\s*s|\d+\s*s)")


def check_receipt(text: str, where: str) -> None:
    """The facts a receipt must give, read from its text."""
    stamp = STAMP.search(text)
    assert stamp, f"{where}: no execution date and duration in the receipt: {text!r}"
    assert stamp.group(2) in site_receipt._MONTHS, f"{where}: {stamp.group(2)!r} is not a French month"
    for version in (r"Python 3\.\d+", r"torch \d+\.\d+", r"torchvision \d+\.\d+", r"tp8 \d+\.\d+"):
        assert re.search(version, text), f"{where}: the receipt lacks {version!r}: {text!r}"
    assert re.search(r"Poids : .+", text), f"{where}: no weights in the receipt: {text!r}"
    assert re.search(r"Machine : (CPU|GPU)", text), f"{where}: no device in the receipt: {text!r}"
    leak = ABSOLUTE_PATH.search(text)
    assert leak is None, f"{where}: a path in the receipt: …{text[max(0, leak.start() - 40) : leak.end() + 60]}…"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_executed_page_ends_with_its_receipt(site, soup, page):
    skip_if_held_back(page)
    doc = soup(page.html_path(site))
    receipts = doc.select("footer.tp8-receipt")
    assert len(receipts) == 1, f"{page.name}: {len(receipts)} receipts (one at the foot of the page expected)"
    footer = receipts[0]
    text = " ".join(footer.get_text(" ").split())
    check_receipt(text, page.name)
    # Each network the page loaded, named by its weights: a file's SHA-256 prefix, or torchvision's entry.
    weights = text.split("Poids :", 1)[1]
    assert re.search(r"SHA-256 [0-9a-f]{8,}|poids torchvision \w+", weights), f"{page.name}: {weights!r}"
    # At the foot: nothing of the page's content after it.
    assert not content_after(footer), f"{page.name}: content after the receipt: {content_after(footer)[:3]}"


def content_after(footer) -> list[str]:
    """Text of the page's content (its ``<article>``) that comes after ``footer``."""
    article = footer.find_parent("article") or footer.parent
    inside = {id(el) for el in article.find_all()} - {id(el) for el in footer.find_all()}
    after = [el for el in footer.find_all_next() if id(el) in inside and el.name not in ("script", "style")]
    return [el.get_text(" ", strip=True)[:80] for el in after if el.get_text(strip=True)]


def test_no_page_of_the_site_holds_a_receipt_that_is_not_its_own(site, soup):
    # Markdown pages (not executed) carry none.
    for path in site.rglob("*.html"):
        rel = path.relative_to(site).as_posix()
        if rel.startswith(("assets/", "en/assets/")) or any(path in (p.html_path(site), p.html_path(site / "en")) for p in PAGES):
            continue
        assert not soup(path).select("footer.tp8-receipt"), f"{rel} is not executed but shows a receipt"


# --- without a built site -------------------------------------------------------------------------

KERNEL = {
    "python": "3.11.7",
    "torch": "2.5.1+cpu",
    "torchvision": "0.20.1+cpu",
    "tp8": "0.1.0",
    "threads": 2,
    "networks": [
        {
            "model": "squeezenet1_1",
            "shown": "SqueezeNet 1.1",
            "kind": "file",
            "name": "squeezenet1_1.pth",
            "sha256": "c405ae214c92",
            "device": "cpu",
        },
        {
            "model": "vgg16",
            "shown": "VGG16",
            "kind": "torchvision",
            "name": "VGG16_Weights.IMAGENET1K_V1",
            "sha256": None,
            "device": "cpu",
        },
        {  # loaded twice: listed once
            "model": "squeezenet1_1",
            "shown": "SqueezeNet 1.1",
            "kind": "file",
            "name": "squeezenet1_1.pth",
            "sha256": "c405ae214c92",
            "device": "cpu",
        },
    ],
}
WHEN = datetime.datetime(2026, 3, 1, 9, 5, 7, tzinfo=datetime.timezone.utc)


def test_the_receipt_says_what_produced_the_page():
    data = site_receipt.receipt(KERNEL, WHEN, 187.26, ROOT / "docs" / "index.py")
    assert data["executed_at"] == "2026-03-01T09:05:07Z" and data["duration_s"] == 187.3
    assert [n["model"] for n in data["networks"]] == ["squeezenet1_1", "vgg16"]
    assert data["device"]["kind"] == "cpu" and data["device"]["threads"] == 2
    html = site_receipt.receipt_html(data)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    check_receipt(text, "receipt")
    assert "exécutée le 1er mars 2026 à 09:05 UTC, en 3 min 07 s" in text.replace("\u00a0", " ")
    assert "SqueezeNet 1.1 — fichier squeezenet1_1.pth , SHA-256 c405ae214c92…" in text
    assert "VGG16 — poids torchvision VGG16_Weights.IMAGENET1K_V1" in text
    assert "2 fils de calcul" in text


def test_the_commit_is_marked_when_the_tree_differs(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    assert site_receipt.source_commit(tmp_path) is None  # not a checkout: no commit, no error
    git("init", "-q")
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x")
    clean = site_receipt.source_commit(tmp_path)
    assert clean and re.fullmatch(r"[0-9a-f]{7,}", clean), clean
    (tmp_path / "page.py").write_text("print(1)\n", encoding="utf-8")
    assert site_receipt.source_commit(tmp_path) == clean + "+modifié"


def test_a_gpu_run_names_the_gpu_and_a_page_without_network_says_so():
    kernel = {**KERNEL, "cuda": "NVIDIA H200", "networks": []}
    html = site_receipt.receipt_html(site_receipt.receipt(kernel, WHEN, 42, Path("/nonexistent/docs/x.py")))
    text = re.sub(r"<[^>]+>", " ", html)
    assert "GPU CUDA NVIDIA H200" in text and "aucun réseau chargé" in text
    assert "en 42\u00a0s" in text
    assert site_receipt.receipt_html(None) == ""
