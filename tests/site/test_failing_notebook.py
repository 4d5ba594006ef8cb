"""A notebook page whose cell raises makes the (strict) build fail, and says where and why.

A scratch copy of the site is built in a temporary folder: the project's ``mkdocs.yml`` (inherited,
with a one-page ``nav``), its non-page documentation files (theme overrides, scripts, styles), its
other top-level folders (the hooks under ``tools/``…) by symbolic link, and one notebook page whose
second code cell divides by zero.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from sitekit import DOCS, ROOT

FAILING_PAGE = textwrap.dedent(
    """\
    # ---
    # jupyter:
    #   jupytext:
    #     formats: py:percent
    #   kernelspec:
    #     display_name: Python 3
    #     language: python
    #     name: python3
    # ---

    # %% [markdown]
    # # Une page qui échoue

    # %%
    answer = 42
    print(answer)

    # %%
    ratio = answer / 0  # tp8-test: échec volontaire
    """
)
#: Never linked into the scratch copy: outputs, caches, the pages themselves.
NOT_LINKED = {"docs", "site", "site-screenshots", ".cache", ".git", ".venv", "notebooks", "mkdocs.yml"}


def scratch_project(tmp: Path) -> Path:
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED and not entry.name.startswith("."):
            (tmp / entry.name).symlink_to(entry)
    # The vendored third-party assets are a cache: share it rather than fetch it again.
    (ROOT / ".cache" / "vendor").mkdir(parents=True, exist_ok=True)
    (tmp / ".cache").mkdir()
    (tmp / ".cache" / "vendor").symlink_to(ROOT / ".cache" / "vendor")
    docs = tmp / "docs"
    docs.mkdir()
    for path in DOCS.rglob("*"):
        rel = path.relative_to(DOCS)
        if path.is_dir() or "__pycache__" in rel.parts or ".ipynb_checkpoints" in rel.parts:
            continue
        if len(rel.parts) == 1 and path.suffix in (".py", ".md", ".ipynb"):
            continue  # pages
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, docs / rel)
    (docs / "failing.py").write_text(FAILING_PAGE, encoding="utf-8")
    shutil.copy2(ROOT / "mkdocs.yml", tmp / "mkdocs.project.yml")
    config = tmp / "mkdocs.yml"
    config.write_text("INHERIT: mkdocs.project.yml\nnav:\n  - failing.py\n", encoding="utf-8")
    return config


def test_a_failing_cell_fails_the_build(tmp_path):
    config = scratch_project(tmp_path)
    env = {**os.environ, "TP8_PROGRESS": "0", "TP8_NOTEBOOKS_SYNC": "off", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"the build succeeded despite a failing cell:\n{output[-3000:]}"
    # A useful message: which page, which cell (its code), which error.
    assert "failing.py" in output, output[-3000:]
    assert "ZeroDivisionError" in output, output[-3000:]
    assert "answer / 0" in output, output[-3000:]
    assert not (tmp_path / "site" / "failing" / "index.html").exists()
