"""What a reader downloads: bytes transferred by each page of a built site, measured in Chromium.

Serves the site folder on 127.0.0.1 and loads every page in a fresh browser context (empty cache,
1280 × 900 viewport), twice: once as it opens (what lazy loading leaves for later is not fetched),
once scrolled to the bottom (every figure fetched). Prints one row per page: bytes on opening,
bytes after scrolling, of which figures, the number of figures and the largest one.

    .venv/bin/python tools/page_weight.py site/           # table
    .venv/bin/python tools/page_weight.py site/ --json    # machine-readable

The browser is ``TP8_CHROMIUM`` (default ``/usr/bin/chromium``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SCROLL_JS = """
async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (let y = 0; y < document.body.scrollHeight; y += 600) { window.scrollTo(0, y); await sleep(60); }
  window.scrollTo(0, document.body.scrollHeight);
  await sleep(300);
  await Promise.all(Array.from(document.images).map((i) => i.decode().catch(() => {})));
}
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def pages(site: Path) -> list[str]:
    out = []
    for path in sorted(site.rglob("index.html")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith("assets/"):
            continue
        out.append(rel[: -len("index.html")])
    return out


def measure(site: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}/"
    rows = []
    chromium = os.environ.get("TP8_CHROMIUM", "").strip() or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        for url in pages(site):
            row = {"page": "/" + url}
            for mode in ("opening", "scrolled"):
                context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
                page = context.new_page()
                seen: list[tuple[str, int]] = []

                def done(request, seen=seen):
                    try:
                        size = request.sizes()["responseBodySize"]
                    except Exception:
                        size = 0
                    seen.append((request.url, size))

                page.on("requestfinished", done)
                page.goto(root + url, wait_until="networkidle")
                if mode == "scrolled":
                    page.evaluate(SCROLL_JS)
                    page.wait_for_load_state("networkidle")
                row[mode] = sum(s for _, s in seen)
                if mode == "scrolled":
                    figures = [(u, s) for u, s in seen if "/assets/figures/" in u]
                    row["figures"] = len(figures)
                    row["figure_bytes"] = sum(s for _, s in figures)
                    row["largest_figure"] = max((s for _, s in figures), default=0)
                    row["mathjax"] = any("tex-mml-chtml" in u for u, _ in seen)
                context.close()
            rows.append(row)
        browser.close()
    server.shutdown()
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
    print(f"{'page':<28} {'opening':>10} {'scrolled':>10} {'figures':>10} {'n':>3} {'largest':>10} mathjax")
    for r in rows:
        print(
            f"{r['page']:<28} {mb(r['opening'])} {mb(r['scrolled'])} {mb(r['figure_bytes'])} {r['figures']:>3} "
            f"{mb(r['largest_figure'])} {'yes' if r['mathjax'] else 'no'}"
        )
    total = sum(r["figure_bytes"] for r in rows)
    print(f"figures on all pages: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
