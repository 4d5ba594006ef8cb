"""The execution cache: a prose edit re-renders a page without running it; a code edit runs it again.

Checked through the build's own record of what it executed (``.cache/notebooks/last-build.json``),
never through timing, on a scratch site (:class:`sitekit.ScratchSite`) with one small page whose
code prints a value and a random number (a re-execution would change the number).
"""

from __future__ import annotations

import json
import re

import pytest
from sitekit import PAGE_HEADER, ScratchSite

PAGE = (
    PAGE_HEADER
    + """
# %% [markdown]
# # Page de test du cache
#
# Premier paragraphe, avec une faute de frappe.

# %%
import random

VALEUR = 41
print(f"valeur = {VALEUR}, tirage = {random.random():.12f}")

# %% [markdown]
# Deuxième paragraphe.

# %% tags=["hide-input"]
from IPython.display import Markdown

Markdown(f"Texte calculé : **{VALEUR + 1}**.")

# %% [markdown]
# Troisième paragraphe.
"""
)
DRAW = re.compile(r"tirage = (0\.\d{12})")


def executed_outputs(site: ScratchSite) -> str:
    """The outputs of every code cell of the page as rendered, as canonical JSON."""
    pages = sorted((site.root / ".cache" / "notebooks" / "pages").glob("cache*.executed.ipynb"))
    newest = max(pages, key=lambda p: p.stat().st_mtime)
    nb = json.loads(newest.read_text(encoding="utf-8"))
    return json.dumps([c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"], sort_keys=True)


def draw(html: str) -> str:
    match = DRAW.search(html)
    assert match, "the page does not show its printed draw"
    return match.group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = ScratchSite(tmp_path_factory.mktemp("cache"), {"cache.py": PAGE})
    proc = site.build()
    assert proc.returncode == 0, proc.output[-3000:]
    assert site.last_build()["executed"] == ["docs/cache.py"]
    return site


def build(site: ScratchSite) -> dict:
    proc = site.build()
    assert proc.returncode == 0, proc.output[-3000:]
    site.log = proc.output
    return site.last_build()


def edit(site: ScratchSite, old: str, new: str) -> None:
    text = site.read("cache.py")
    assert old in text, old
    site.write("cache.py", text.replace(old, new, 1))


def test_nothing_changed_nothing_runs(site):
    before = executed_outputs(site)
    record = build(site)
    assert record == {"executed": [], "text_only": [], "unchanged": ["docs/cache.py"]}
    assert executed_outputs(site) == before


def test_a_markdown_edit_is_shown_without_running_the_page(site):
    before, shown = executed_outputs(site), draw(site.html("cache.py"))
    edit(site, "avec une faute de frappe", "sans faute de frappe")
    record = build(site)
    assert record["executed"] == [] and record["text_only"] == ["docs/cache.py"]
    assert "texte modifié, pas de ré-exécution" in site.log
    html = site.html("cache.py")
    assert "sans faute de frappe" in html and "avec une faute" not in html
    assert executed_outputs(site) == before, "the outputs changed although no code did"
    assert draw(html) == shown


def test_moving_a_markdown_cell_does_not_run_the_page(site):
    before = executed_outputs(site)
    text = site.read("cache.py")
    block = "# %% [markdown]\n# Troisième paragraphe.\n"
    text = text.replace(block, "").replace(
        "# %% [markdown]\n# Deuxième paragraphe.\n", block + "\n# %% [markdown]\n# Deuxième paragraphe.\n"
    )
    site.write("cache.py", text)
    record = build(site)
    assert record["executed"] == [] and record["text_only"] == ["docs/cache.py"]
    html = site.html("cache.py")
    assert html.index("Troisième paragraphe") < html.index("Deuxième paragraphe")
    assert executed_outputs(site) == before


def test_a_display_tag_change_does_not_run_the_page(site):
    before = executed_outputs(site)
    assert "IPython.display" not in site.html("cache.py")  # the computed prose's code is hidden
    edit(site, '# %% tags=["hide-input"]', "# %%")
    record = build(site)
    assert record["executed"] == [] and record["text_only"] == ["docs/cache.py"]
    assert "IPython.display" in site.html("cache.py")  # now shown, without running anything
    assert executed_outputs(site) == before
    edit(
        site,
        "# %%\nfrom IPython.display import Markdown",
        '# %% tags=["hide-input"]\nfrom IPython.display import Markdown',
    )
    build(site)


def test_a_code_edit_runs_the_page_and_shows_the_new_value(site):
    shown = draw(site.html("cache.py"))
    edit(site, "VALEUR = 41", "VALEUR = 99")
    record = build(site)
    assert record["executed"] == ["docs/cache.py"]
    assert re.search(r"cellule de code n° 1 \(ligne \d+\) modifiée", site.log), site.log[-2000:]
    html = site.html("cache.py")
    assert "valeur = 99" in html and "valeur = 41" not in html, "a stale output was shown"
    assert "Texte calculé : <strong>100</strong>" in html  # computed prose is code: it ran again
    assert draw(html) != shown


def test_adding_a_code_cell_runs_the_page(site):
    edit(
        site,
        "# %% [markdown]\n# Troisième paragraphe.",
        '# %%\nprint("cellule ajoutée")\n\n# %% [markdown]\n# Troisième paragraphe.',
    )
    record = build(site)
    assert record["executed"] == ["docs/cache.py"]
    assert "cellule ajoutée" in site.html("cache.py")


def test_reordering_code_cells_runs_the_page(site):
    text = site.read("cache.py")
    added = '# %%\nprint("cellule ajoutée")\n'
    assert added in text
    text = text.replace(added, "").rstrip("\n") + "\n\n" + added  # now the last code cell, after the prose
    site.write("cache.py", text)
    record = build(site)
    assert record["executed"] == ["docs/cache.py"]
    assert "déplacées" in site.log or "modifiée" in site.log, site.log[-2000:]
