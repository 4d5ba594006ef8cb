"""Serve a built site on 127.0.0.1 the way GitHub Pages will: at the path of its public address.

One server for every tool that opens the built site in a browser: the browser tests
(``tests/e2e``), the page-weight measure (``tools/page_weight.py``) and the playground benchmark
(``benchmarks/bench_browser.py``). A site whose ``site_url`` is ``https://owner.github.io/repo/``
is served at ``http://127.0.0.1:PORT/repo/``, so that its relative links, its search index and
Material's instant navigation behave as they do once published; a site without a public address
(the playground's small harness) is served at ``/``.

    with serving(Path("site")) as root:   # root: "http://127.0.0.1:PORT/repo/"
        ...
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit


def public_address(site: Path) -> tuple[str, str] | None:
    """``(scheme://host, path prefix)`` of a built site's public address, read from the home page's
    canonical link; ``None`` when the site has none."""
    index = site / "index.html"
    if not index.is_file():
        return None
    match = re.search(
        r"""<link\s[^>]*rel=["']?canonical["']?[^>]*href=["']([^"']+)["']""",
        index.read_text(encoding="utf-8", errors="replace"),
    )
    if not match:
        return None
    parts = urlsplit(match.group(1))
    if not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}", parts.path if parts.path.endswith("/") else parts.path + "/"


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves a site folder at the path of its public address (``site_url``), quietly.

    Material's instant navigation only follows links listed in ``sitemap.xml``, whose addresses it
    compares with the page's after copying the page's protocol and host name (not its port) onto
    them; so the sitemap is served with the local origin in place of the public one, which is what
    a reader of the published site gets.
    """

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".wasm": "application/wasm",
        ".woff": "font/woff",
        ".woff2": "font/woff2",
        ".ipynb": "application/x-ipynb+json",
    }
    prefix = "/"  # path of the site's root
    public_root = ""  # site_url, e.g. https://owner.github.io/repo/
    local_root = ""  # http://127.0.0.1:PORT/repo/

    def translate_path(self, path):
        path = urlsplit(path).path
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_the_site__")
        return super().translate_path("/" + path[len(self.prefix) :])

    def do_GET(self):
        if urlsplit(self.path).path == self.prefix + "sitemap.xml" and self.public_root:
            body = (Path(self.directory) / "sitemap.xml").read_bytes()
            body = body.replace(self.public_root.encode(), self.local_root.encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serving(site: Path) -> Iterator[str]:
    """Serve the built site ``site`` from a thread, at the path of its ``site_url``; yields its root URL
    (``http://127.0.0.1:PORT/<path>/``) and stops the server on exit."""
    site = Path(site).resolve()
    public = public_address(site)
    handler = type("Handler", (SiteHandler,), {"prefix": public[1] if public else "/"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    server.daemon_threads = True
    root = f"http://127.0.0.1:{server.server_address[1]}{handler.prefix}"
    if public:
        handler.public_root, handler.local_root = "".join(public), root
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield root
    finally:
        server.shutdown()
        server.server_close()
