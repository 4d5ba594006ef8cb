"""What a reader downloads: bytes transferred by each page of a built site, measured in Chromium.

Serves the site folder on 127.0.0.1 and loads every page in a fresh browser context (empty cache,
1280 × 900 viewport), twice: once as it opens (what lazy loading leaves for later is not fetched),
once **read to the end** (:func:`read_to_the_end`: scrolled down to the bottom, then every image
that is still not loaded, in a closed block say, is fetched too). Prints one row per page: bytes on
opening, bytes read to the end, of which figures, the number of figures and the largest ones.

    .venv/bin/python tools/page_weight.py site/           # table
    .venv/bin/python tools/page_weight.py site/ --json    # machine-readable

The browser is ``TP8_CHROMIUM`` (default ``/usr/bin/chromium``); nothing is downloaded. The browser
tests (``tests/e2e/test_reader.py``) measure with :func:`visit`, so the two agree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from site_server import serving

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
#: Scroll down as a reader does (lazy images load as they come near), then load whatever is left
#: (images in a closed block, or never reached), and wait until every image is decoded.
READ_JS = """
async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (let y = 0; y < document.body.scrollHeight; y += 600) { window.scrollTo(0, y); await sleep(60); }
  window.scrollTo(0, document.body.scrollHeight);
  await sleep(300);
  const images = Array.from(document.images);
  for (const i of images) { if (i.loading === "lazy") i.loading = "eager"; }
  await Promise.all(images.map((i) => i.complete && i.naturalWidth > 0 ? null : new Promise((r) => {
    i.addEventListener("load", r, { once: true }); i.addEventListener("error", r, { once: true });
    setTimeout(r, 20000);
  })));
  await Promise.all(images.map((i) => i.decode().catch(() => {})));
  return images.length;
}
"""
FIGURES = "/assets/figures/"


def pages(site: Path) -> list[str]:
    out = []
    for path in sorted(site.rglob("index.html")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith("assets/"):
            continue
        out.append(rel[: -len("index.html")])
    return out


def visit(page, url: str, *, read: bool) -> list[tuple[str, int]]:
    """Load ``url`` in ``page`` (a fresh Playwright page); ``read``: read it to the end.

    Returns ``(url, bytes)`` of every response body the page fetched.
    """
    seen: list[tuple[str, int]] = []

    def done(request):
        try:
            size = request.sizes()["responseBodySize"]
        except Exception:
            size = 0
        seen.append((request.url, size))

    page.on("requestfinished", done)
    page.goto(url, wait_until="networkidle")
    if read:
        page.evaluate(READ_JS)
        page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    return list(seen)


def summary(seen: list[tuple[str, int]], largest: int = 3) -> dict:
    """Total bytes, figure bytes and the heaviest figures (``[name, bytes]``) of one visit."""
    figures: dict[str, int] = {}
    for url, size in seen:
        if FIGURES in url:
            figures[url.rsplit("/", 1)[-1]] = max(size, figures.get(url.rsplit("/", 1)[-1], 0))
    heaviest = sorted(figures.items(), key=lambda kv: -kv[1])[:largest]
    return {
        "bytes": sum(size for _, size in seen),
        "figures": len(figures),
        "figure_bytes": sum(figures.values()),
        "largest": [[name, size] for name, size in heaviest],
        "figure_sizes": figures,
        "mathjax": any("/mathjax/startup.js" in u for u, _ in seen),
    }


def describe_heaviest(largest: list) -> str:
    return ", ".join(f"{name} ({size / 1e6:.2f} MB)" for name, size in largest) or "aucune figure"


def measure(site: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    chromium = os.environ.get("TP8_CHROMIUM", "").strip() or "/usr/bin/chromium"
    with serving(site) as root, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        for url in pages(site):
            row = {"page": "/" + url}
            for mode in ("opening", "read"):
                context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
                seen = visit(context.new_page(), root + url, read=mode == "read")
                context.close()
                if mode == "opening":
                    row["opening"] = sum(size for _, size in seen)
                else:
                    facts = summary(seen)
                    row.update(read=facts["bytes"], **{k: v for k, v in facts.items() if k != "bytes"})
            rows.append(row)
        browser.close()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, nargs="?", default=Path("site"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = measure(args.site)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    mb = lambda b: f"{b / 1e6:6.2f} MB"  # noqa: E731
    print(f"{'page':<28} {'opening':>10} {'to the end':>10} {'figures':>10} {'n':>3} mathjax  largest figures")
    for r in rows:
        print(
            f"{r['page']:<28} {mb(r['opening'])} {mb(r['read'])} {mb(r['figure_bytes'])} {r['figures']:>3} "
            f"{'yes' if r['mathjax'] else 'no ':<7}  {describe_heaviest(r['largest'])}"
        )
    unique: dict[str, int] = {}
    for r in rows:
        unique.update(r["figure_sizes"])
    print(f"figures of the site (each counted once): {sum(unique.values()) / 1e6:.2f} MB in {len(unique)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
