"""One implementation per output: the students' notebooks are the same bytes whoever writes them.

On a scratch site (:class:`sitekit.ScratchSite`) with a page holding an exercise and a question and a
page without exercise, ``notebooks/`` and ``notebooks/exercices/`` are written three ways — by the
site build (``mkdocs build``, as ``make site`` runs it), by ``make notebooks``
(``tools/site_notebooks.py sync``) and by the build without MkDocs (``tools/site_notebooks.py run``) —
and the three trees are compared byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sitekit import ROOT, TEST_ONLY_ENV, ScratchSite
from test_reads import EXERCISE, PLAIN


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_site_make_notebooks_and_the_command_line_write_the_same_notebooks(tmp_path):
    (tmp_path / "project").mkdir()
    site = ScratchSite(tmp_path / "project", {"exercice.py": EXERCISE, "simple.py": PLAIN})
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    env.update({"TP8_PROGRESS": "0", "TP8_NOTEBOOKS_SYNC": "write", "NO_MKDOCS_2_WARNING": "1"})
    env.pop("CI", None)
    commands = {
        "make site": [sys.executable, "-m", "mkdocs", "build", "--strict"],
        "make notebooks": [sys.executable, str(ROOT / "tools" / "site_notebooks.py"), "sync"],
        "site_notebooks.py run": [sys.executable, str(ROOT / "tools" / "site_notebooks.py"), "run"],
    }
    written = {}
    for name, command in commands.items():
        shutil.rmtree(site.root / "notebooks", ignore_errors=True)
        proc = subprocess.run(command, cwd=site.root, env=env, capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, f"{name}:\n{(proc.stdout + proc.stderr)[-3000:]}"
        written[name] = tree(site.root / "notebooks")
    expected = {"exercice.ipynb", "simple.ipynb", "exercices/exercice.ipynb"}
    assert set(written["make site"]) == expected, sorted(written["make site"])
    for name, files in written.items():
        assert files == written["make site"], f"{name} does not write the bytes `make site` writes"
