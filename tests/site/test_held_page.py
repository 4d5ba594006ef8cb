"""A page published with the solutions (header ``tp8: with_solutions: true``), on a scratch site.

The site — that page, and a Markdown page linking to it — is built without the solutions
(``TP8_SOLUTIONS=0``: the held page is executed, its corrigé, as always), with a release date ahead
(nothing runs), and with the solutions (nothing runs). Without them the page keeps its address and
its nav entry but shows only a notice (its title; when it appears: with a date, that date), no
figure, no notebook to download; none of its sentences is in any file of the site (the search
index included); the link to it still resolves; the log names it. With them, the page is whole
again. A page quoting one of its sentences makes the build's audit stop the build.
"""

from __future__ import annotations

import json

import pytest
from exercisekit import find_lines
from sitekit import PAGE_HEADER, ScratchSite, SwitchedBuilds

HEADER = PAGE_HEADER.removesuffix("# ---\n") + "#   tp8:\n#     with_solutions: true\n# ---\n"

TITLE = "La suite des corrigés"
PROSE = "Cette page prolonge la réponse : le martin-pêcheur plonge depuis une branche basse pour pêcher."
CLAIMED = "sur les étangs de la Dombes depuis des siècles"
SAID = f"Le calcul le montre : la mouette rieuse niche {CLAIMED}."

HELD_PAGE = (
    HEADER
    + f"""
# %% [markdown]
# # {TITLE}
#
# {PROSE}

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import tp8.course

display(Markdown(f"Le calcul le montre : la mouette rieuse niche {{tp8.course.claim(1 + 1 == 2, {CLAIMED!r})}}."))
fig, ax = plt.subplots(figsize=(2, 1))
ax.plot([0, 1], [0, 1])
tp8.course.show(fig, alt="Une droite de test, qui monte de gauche à droite.")
"""
)

HOME = """\
# Accueil

Après le TP, lisez [la suite](suite.py) : elle paraît avec les corrigés.
"""

NOTICE = "Cette page accompagne les corrigés du TP : elle paraîtra avec eux,"
LOG = "pages publiées avec les corrigés, retenues jusque-là (un avis à leur place) : docs/suite.py"


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> SwitchedBuilds:
    b = SwitchedBuilds(tmp_path_factory.mktemp("held"), {"accueil.md": HOME, "suite.py": HELD_PAGE})
    b.build("enonce", "0")
    b.build("dated", "2099-01-01")
    b.build("solutions", "1")
    b.site.write("accueil.md", HOME + f"\n{PROSE}\n")
    b.build("quoted", "0", fails=True)
    return b


@pytest.mark.parametrize(
    ("name", "when"), [("enonce", "quand votre enseignant publiera les corrigés."), ("dated", "le 2099-01-01.")]
)
def test_without_the_solutions_the_page_shows_only_its_notice(builds, name, when):
    site = builds.copies[name]
    page = builds.html(name, "suite")
    assert f'<h1 id="la-suite-des-corriges">{TITLE}<' in page and f"{NOTICE} {when}" in page
    assert "<img" not in page.split('<div class="jupyter-wrapper">', 1)[-1], "a figure of the page is shown"
    assert "Télécharger" not in page and "Colab" not in page and 'rel="edit"' not in page
    assert not (site / "notebooks" / "suite.ipynb").exists(), "its notebook was published"
    assert find_lines(site, [PROSE, SAID, CLAIMED]) == {}
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    indexed = " ".join(d["text"] for d in docs if d["location"].startswith("suite/"))
    assert NOTICE in indexed and "martin-pêcheur" not in indexed
    assert "<loc>" in (site / "sitemap.xml").read_text(encoding="utf-8")
    assert LOG in builds.logs[name]


@pytest.mark.parametrize("name", ["enonce", "dated", "solutions"])
def test_the_link_to_it_still_lands_and_its_nav_entry_stays(builds, name):
    home = builds.html(name, "accueil")
    assert '<a href="../suite/">la suite' in home  # the link of its text
    assert '<a href="../suite/" class="md-nav__link">' in home  # its nav entry
    assert (builds.copies[name] / "suite" / "index.html").is_file()


def test_with_the_solutions_the_page_is_whole(builds):
    site = builds.copies["solutions"]
    page = builds.html("solutions", "suite")
    assert NOTICE not in page and "<img" in page and "Télécharger le notebook" in page
    assert (site / "notebooks" / "suite.ipynb").is_file()
    found = find_lines(site, [PROSE, SAID])
    assert set(found) == {PROSE, SAID} and "suite/index.html" in found[PROSE], found  # the positive control
    assert LOG not in builds.logs["solutions"]


def test_the_page_runs_once_and_switching_executes_nothing(builds):
    assert builds.records["enonce"]["executed"] == ["docs/suite.py"]
    for name in ("dated", "solutions"):
        assert builds.records[name]["executed"] == [], (name, builds.records[name])
        assert "à exécuter" not in builds.logs[name]


def test_a_page_quoting_the_held_page_stops_the_build(builds):
    """The audit searches the held page's sentences in every published file."""
    output = builds.logs["quoted"]
    assert "des réponses seraient publiées alors que les solutions sont masquées" in output, output[-3000:]
    assert f"« {PROSE} » dans site/accueil/index.html" in output, output[-3000:]


COMMON = "Cette construction locale remplace le second réseau par un autre, faute de ses poids ici."


def test_what_another_pages_run_displays_too_is_no_secret_of_the_held_page(tmp_path, monkeypatch):
    """A notice that every page's run displays (the second network's, say) is published by the pages
    shown whatever the switch: the held page's audit leaves it out, and the build goes on."""
    show_common = f"\n# %%\nfrom IPython.display import Markdown, display\n\ndisplay(Markdown({COMMON!r}))\n"
    shown = PAGE_HEADER + "\n# %% [markdown]\n# # Une page ordinaire\n" + show_common
    site = ScratchSite(tmp_path, {"suite.py": HELD_PAGE + show_common, "ordinaire.py": shown})
    monkeypatch.setenv("TP8_SOLUTIONS", "0")
    proc = site.build()
    assert proc.returncode == 0, proc.output[-3000:]
    assert COMMON in (tmp_path / "site" / "ordinaire" / "index.html").read_text(encoding="utf-8")
    assert find_lines(tmp_path / "site", [PROSE, SAID]) == {}  # the held page's own sentences stay hidden
