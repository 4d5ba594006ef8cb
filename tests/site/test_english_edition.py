"""The English edition on a scratch site: one execution, two languages, stale English pointed out.

A page (prose, a sentence its run writes with a number and a claim, a figure with a title and an alt
text, a table) and a Markdown page, with their catalogues, are built once (``make site``'s one
command). Then a French sentence and a French claim change (the catalogue is not touched), and a
new paragraph is added: the build names each English passage that no longer matches its French
(page and line), and the English page marks it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sitebuild import english, translation
from sitekit import PAGE_HEADER, ScratchSite, english_prose, french_words

PAGE = (
    PAGE_HEADER
    + '''
# %% [markdown]
# # Le martin-pêcheur
#
# Il plonge depuis une branche basse pour pêcher.
#
# ## Le calcul

# %%
import matplotlib.pyplot as plt
from IPython.display import display

import tp8.course
from tp8.course import claim, num, tr

poids = 1234.5
display(tr("""Le nid pèse {num(poids, 1)} g : {claim(poids > 1000, "le nid est plus lourd que l'oiseau")}."""))
fig, ax = plt.subplots(figsize=(2, 1.5))
ax.plot([0, 0.5], [0, 1])
ax.set_title(tr("la pente"))
tp8.course.show(fig, alt=tr("Une droite de test, qui monte de gauche à droite."))
tp8.course.table([{tr("oiseau"): "martin-pêcheur", tr("poids"): 0.25, "vu": True}])

# %% [markdown]
# Fin de la page, sans rien de plus.
'''
)
HOME = "# Accueil\n\nLisez [la page du martin-pêcheur](page.py) avant le TP.\n"

ENGLISH = {
    "# Le martin-pêcheur": "# The kingfisher",
    "Il plonge depuis une branche basse pour pêcher.": "It dives from a low branch to fish.",
    "## Le calcul": "## The computation",
    "Fin de la page, sans rien de plus.": "End of the page, nothing more.",
    'Le nid pèse {num(poids, 1)} g : {claim(poids > 1000, "le nid est plus lourd que l\'oiseau")}.': (
        'The nest weighs {num(poids, 1)} g: {claim(poids > 1000, "le nid est plus lourd que l\'oiseau")}.'
    ),
    "le nid est plus lourd que l'oiseau": "the nest is heavier than the bird",
    "la pente": "the slope",
    "Une droite de test, qui monte de gauche à droite.": "A test line, rising from left to right.",
    "oiseau": "bird",
    "poids": "weight",
    "# Accueil": "# Home",
    "Lisez [la page du martin-pêcheur](page.py) avant le TP.": "Read [the kingfisher's page](page.py) before the lab.",
    "tp8 — Regarder à l'intérieur d'un classifieur d'images": "tp8 — Looking inside an image classifier",
    "Contributeurs de tp8 — code sous licence MIT": "tp8 contributors — code under the MIT license",
    "accueil.md": "accueil.md",
    "page.py": "page.py",
}


def _catalogues(site: ScratchSite) -> None:
    """The test's catalogues, made the way a translator makes them: the command line, then the English."""
    import subprocess
    import sys

    tool = Path(__file__).resolve().parents[2] / "tools" / "site_notebooks.py"
    done = subprocess.run(
        [sys.executable, str(tool), "translations", "-f", str(site.root / "mkdocs.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for po in (site.docs / "locale" / "en").glob("*.po"):
        catalog = translation.read(po)
        for message in catalog:
            if message.id and not message.string:
                message.string = ENGLISH.get(message.id) or _description(message.id)
        translation.write(po, catalog)


def _description(msgid: str) -> str:
    assert msgid.startswith("Cours exécutable"), f"no English for {msgid!r} in the test"
    return "Executable course: saliency maps, adversarial examples and class visualization, with tp8."


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("english")
    (root / "project").mkdir()
    site = ScratchSite(root / "project", {"accueil.md": HOME, "page.py": PAGE})
    _catalogues(site)
    first = site.build()
    assert first.returncode == 0, first.output[-4000:]
    copy = root / "site-first"
    shutil.copytree(site.root / "site", copy)
    record = site.last_build()
    # The French changes; the catalogue does not.
    changed = PAGE.replace("depuis une branche basse", "depuis une branche morte").replace(
        "le nid est plus lourd que l'oiseau", "le nid pèse plus que l'oiseau"
    )
    changed = changed.replace(
        "# Fin de la page", "# Un paragraphe tout neuf, que personne n'a traduit.\n#\n# Fin de la page"
    )
    site.write("page.py", changed)
    second = site.build()
    assert second.returncode == 0, second.output[-4000:]
    return site, copy, first.output, record, second.output, changed


def _en(site_dir: Path, stem: str) -> str:
    return (site_dir / "en" / stem / "index.html").read_text(encoding="utf-8")


def test_every_page_has_an_english_edition_at_en_with_its_language(built):
    _site, first, *_ = built
    page = _en(first, "page")
    assert '<html lang="en"' in page and "It dives from a low branch to fish." in page
    assert "The kingfisher" in page and "The computation" in page and "End of the page, nothing more." in page
    home = _en(first, "accueil")
    assert "Read" in home and 'href="../page/"' in home
    french = (first / "page" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in french and "Il plonge depuis une branche basse pour pêcher." in french
    assert "It dives" not in french
    assert "Looking inside an image classifier" in page and "The kingfisher" in page  # the site's name, the nav


def test_what_the_run_writes_is_english_from_the_same_run(built):
    _site, first, *_ = built
    page = _en(first, "page")
    assert "The nest weighs 1,234.5 g: the nest is heavier than the bird." in page
    assert re.search(r'<img[^>]*alt="A test line, rising from left to right\."', page)
    assert ">bird<" in page and ">weight<" in page and ">0.25<" in page and ">yes<" in page
    french = (first / "page" / "index.html").read_text(encoding="utf-8")
    assert "Le nid pèse 1\u202f234,5 g : le nid est plus lourd que l'oiseau." in french
    assert re.search(r'<img[^>]*alt="Une droite de test, qui monte de gauche à droite\."', french)
    # The English figure is another image (its title, its axes), not the French one.
    src_en = re.search(r'<img src="([^"]+)"[^>]*alt="A test line', page).group(1)
    src_fr = re.search(r'<img src="([^"]+)"[^>]*alt="Une droite', french).group(1)
    assert Path(src_en).name != Path(src_fr).name


def test_the_english_edition_executes_nothing(built):
    _site, _first, log, record, *_ = built
    assert "édition anglaise construite" in log and "aucune page exécutée" in log
    assert "(en)" in log and "à exécuter" not in log.split("(en)", 1)[1]
    assert record["executed"] == ["docs/page.py"]


def test_the_language_switch_leads_to_the_same_page_in_the_other_language(built):
    _site, first, *_ = built
    french = (first / "page" / "index.html").read_text(encoding="utf-8")
    to_en = re.search(r'<a href="([^"]+)" hreflang="en"', french).group(1)
    assert (first / "page" / to_en / "index.html").resolve() == (first / "en" / "page" / "index.html").resolve()
    page = _en(first, "page")
    to_fr = re.search(r'<a href="([^"]+)" hreflang="fr"', page).group(1)
    assert (first / "en" / "page" / to_fr / "index.html").resolve() == (first / "page" / "index.html").resolve()


def test_search_is_per_language(built):
    _site, first, *_ = built
    index_en = json.loads((first / "en" / "search" / "search_index.json").read_text(encoding="utf-8"))
    index_fr = json.loads((first / "search" / "search_index.json").read_text(encoding="utf-8"))
    text_en = " ".join(d["text"] + d["title"] for d in index_en["docs"])
    text_fr = " ".join(d["text"] + d["title"] for d in index_fr["docs"])
    assert "kingfisher" in text_en and "branche basse" not in text_en and "plonge" not in text_en
    assert "kingfisher" not in text_fr and "branche basse" in text_fr
    assert index_en["config"]["lang"] == ["en"] and index_fr["config"]["lang"] == ["fr"]


def test_an_english_page_has_no_french_sentence(built):
    _site, first, *_ = built
    for stem in ("page", "accueil"):
        found = {block: french_words(block) for block in english_prose(_en(first, stem))}
        assert {b: w for b, w in found.items() if len(set(w)) >= 2} == {}, stem
    # And the check sees French where there is some.
    assert len(set(french_words("Il plonge depuis une branche basse pour pêcher dans la rivière."))) >= 2


def test_a_changed_french_sentence_and_claim_are_named_and_marked_on_the_english_page(built):
    site, _first, _log, _record, log, changed = built
    lines = changed.splitlines()
    sentence = 1 + next(i for i, line in enumerate(lines) if "branche morte" in line)
    claim = 1 + next(i for i, line in enumerate(lines) if "le nid pèse plus" in line)
    new = 1 + next(i for i, line in enumerate(lines) if "paragraphe tout neuf" in line)
    assert f"docs/page.py:{sentence} — traduction à revoir (le français a changé)" in log
    assert f"docs/page.py:{claim} — traduction à revoir (le français a changé)" in log
    assert f"docs/page.py:{new} — à traduire" in log
    page = _en(site.root / "site", "page")
    assert "It dives from a low branch to fish." in page  # the old English, marked as lagging
    assert re.search(r'<div lang="fr"[^>]*>\s*<p>Un paragraphe tout neuf', page)  # no English yet: French, said so
    # The claim changed in the code: the page ran again; its sentence's English no longer fits the new
    # French, so the run wrote no English for it: the output is shown in French, marked so.
    assert "the nest is heavier than the bird" not in page
    assert re.search(r'<div lang="fr"[^>]*>\s*(<p>)?Le nid pèse 1\u202f234,5 g : le nid pèse plus que l(\'|&#39;)oiseau', page)
    assert page.count('class="tp8-stale"') == 3
    assert f"docs/page.py:{claim} — une sortie de cette cellule n'a pas d'anglais" in log or any(
        "une sortie de cette cellule n'a pas d'anglais" in line for line in log.splitlines()
    )


def test_a_site_without_catalogues_has_no_english_edition(tmp_path):
    (tmp_path / "project").mkdir()
    site = ScratchSite(tmp_path / "project", {"accueil.md": "# Accueil\n\nUn site sans traduction.\n"})
    assert not english.enabled(site.docs)
    done = site.build()
    assert done.returncode == 0, done.output[-3000:]
    assert not (site.root / "site" / "en").exists() and "hreflang" not in site.html("accueil.md")
