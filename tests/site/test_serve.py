"""``mkdocs serve`` (``make serve``): a prose edit is previewed without executing anything.

A scratch site (:class:`sitekit.ScratchSite`) is served; its page is executed once, then its
Markdown is edited: the served page shows the new text, the log says "texte modifié, pas de
ré-exécution" and no page ran again (the built site is swapped in under the server, which goes on
serving it).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
import urllib.request

from sitekit import PAGE_HEADER, ScratchSite

PAGE = PAGE_HEADER + '\n# %% [markdown]\n# # Aperçu\n#\n# Premier état du texte.\n\n# %%\nprint("calcul fait")\n'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _page(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def test_a_prose_edit_is_previewed_without_executing(tmp_path):
    site = ScratchSite(tmp_path, {"apercu.py": PAGE})
    port = _free_port()
    proc, lines = site.start("serve", "--livereload", "--dev-addr", f"127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 600
        while not any(re.search(r"Serving on (http://\S+)", ln) for ln in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(1)
        root = next(re.search(r"Serving on (http://\S+)", ln).group(1) for ln in lines if "Serving on" in ln)
        url = root.rstrip("/") + "/apercu/"  # under site_url's path, as mkdocs serves it
        while "Premier état du texte" not in _page(url):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(1)
        assert "calcul fait" in _page(url)
        first = len(lines)
        site.write("apercu.py", PAGE.replace("Premier état", "Second état"))
        while "Second état du texte" not in _page(url):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(1)
        after = "".join(lines[first:])
        assert "calcul fait" in _page(url)
        assert "texte modifié, pas de ré-exécution" in after, after[-3000:]
        assert "à exécuter" not in after, after[-3000:]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
