"""A page is read and parsed once per build, and the worker executes exactly the notebook that was keyed.

A scratch site (:class:`sitekit.ScratchSite`) with a page holding an exercise and a question, and a
page without exercise, is built (cold, then warm) with ``tests/site/readcount`` on ``PYTHONPATH``:
every Python process of the build but the kernels counts how often it opened each page's ``.py`` and
how often jupytext parsed its text. Once each, per build, the workers included (they never read a
page). And a worker handed a notebook that is not the one whose key it was given refuses to run it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sitekit import PAGE_HEADER, ROOT, TEST_ONLY_ENV, ScratchSite

sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import cache, execute, pages, settings, variants, worker

EXERCISE = (
    PAGE_HEADER
    + '''
# %% [markdown]
# # Un exercice sans réseau
#
# Le [modèle de compte rendu](compte-rendu-tp8.ipynb).

# %%
import tp8.checks
from tp8.course import claim


def double(x):
    """Le double de x."""
    ### BEGIN SOLUTION
    resultat_double = 2 * x
    return resultat_double
    ### END SOLUTION


def reference(x):
    return x + x


# %%
print("double de 21 :", tp8.checks.use(double, reference)(21))

# %% [markdown] tags=["question"]
# <a id="q1"></a>
# ## Q1 — Le double
#
# **Q8.1** Que vaut le double de 21 ?

# %% [markdown]
# Le double de 21 vaut quarante-deux, ce que la cellule précédente affiche.

# %% tags=["remove-cell"]
claim(double(21) == 42, "Le double de 21 vaut quarante-deux")
'''
)
PLAIN = PAGE_HEADER + '\n# %% [markdown]\n# # Une page simple\n\n# %%\nprint("bonjour")\n'


def build_counted(site: ScratchSite, folder: Path) -> dict[str, dict[str, int]]:
    """Build ``site``; ``{page: {"opens": n, "parses": n}}`` over every process of the build."""
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    env.update(
        {
            "TP8_PROGRESS": "0",
            "TP8_NOTEBOOKS_SYNC": "off",
            "NO_MKDOCS_2_WARNING": "1",
            "TP8_COUNT_DIR": str(folder),
            "TP8_COUNT_DOCS": str(site.docs),
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).with_name("readcount")), env.get("PYTHONPATH", "")]),
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=site.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    totals: dict[str, int] = {}
    for path in folder.glob("*.json"):
        for name, n in json.loads(path.read_text(encoding="utf-8")).items():
            totals[name] = totals.get(name, 0) + n
    assert totals, "no process of the build was counted"
    out = {}
    for name in site.pages:
        digest = hashlib.sha256(site.read(name).encode()).hexdigest()
        out[name] = {"opens": totals.get(f"open {name}", 0), "parses": totals.get(f"parse {digest}", 0)}
    return out


def test_each_page_is_read_and_parsed_once_per_build(tmp_path):
    (tmp_path / "project").mkdir()
    site = ScratchSite(tmp_path / "project", {"exercice.py": EXERCISE, "simple.py": PLAIN})
    once = {"opens": 1, "parses": 1}
    cold = build_counted(site, tmp_path / "cold")
    assert site.last_build()["executed"] == ["docs/exercice.py", "docs/simple.py"]
    assert cold == {"exercice.py": once, "simple.py": once}, cold
    warm = build_counted(site, tmp_path / "warm")
    assert warm == {"exercice.py": once, "simple.py": once}, warm


def test_the_worker_refuses_a_notebook_that_is_not_the_one_keyed(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "exercice.py").write_text(EXERCISE, encoding="utf-8")
    page = pages.read_page(docs / "exercice.py", docs)
    site = variants.site_variants(page, "exercice/")
    assert [o.before for o in site.own] == [1, 2], "the stubbed cell and the one that calls it run on their own"
    execution = settings.Execution()
    key = cache.key(site.corrige, site.enonce, site.own, "environment", execution)
    job = {
        "label": page.label, "key": key, "environment": "environment", "cwd": str(docs),
        "cache_dir": str(tmp_path / ".cache"), "cell_timeout": 60, "startup_timeout": 60,
        "cell_lines": list(page.cell_lines), "enonce": True, "origins": site.origins,
        "own": [{**o.__dict__, "lines": None} for o in site.own], "env": {}, "parent": None,
    }  # fmt: skip
    changed = site.corrige.copy()
    changed.cells = [*site.corrige.cells[:-1], {**site.corrige.cells[-1], "source": "print('autre chose')"}]
    import nbformat

    execute.prepare(tmp_path / "job", job, nbformat.from_dict(changed), site.enonce)
    failure = worker.run_job(tmp_path / "job")
    assert failure is not None and "n'est pas celui dont la clé a été calculée" in failure.message()
    assert not (tmp_path / "job" / "result.json").exists()


@pytest.mark.parametrize("name", ["exercice.py"])
def test_the_job_a_build_writes_is_the_page_as_keyed(tmp_path, name):
    """The notebooks of a job are the page's variants, code for code (the worker never opens the .py)."""
    import nbformat

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / name).write_text(EXERCISE, encoding="utf-8")
    page = pages.read_page(docs / name, docs)
    site = variants.site_variants(page, "")
    execute.prepare(tmp_path / "job", {"label": page.label}, site.corrige, site.enonce)
    corrige = nbformat.read(tmp_path / "job" / "corrige.ipynb", as_version=4)
    enonce = nbformat.read(tmp_path / "job" / "enonce.ipynb", as_version=4)
    assert cache.code_cells(corrige) == cache.code_cells(page.nb)
    assert cache.code_cells(enonce) == cache.code_cells(site.enonce)
