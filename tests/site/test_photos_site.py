"""The course's photos at build time (tp8.photos): credited on the site, refused without a credit,
and part of the key of exactly the pages that load them.

A scratch site (:class:`sitekit.ScratchSite`) with a photo of the test's own in ``docs/photos/``,
a page that loads it by name, a page that does not, and a Markdown page with the credits' marker.
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image
from sitekit import PAGE_HEADER, ROOT, ScratchSite

sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import photos as site_photos

LOADS = (
    PAGE_HEADER
    + """
# %% [markdown]
# # Une page qui charge une photo du cours

# %%
import tp8

(photo,) = tp8.sample_images(["carre-test"])
print("titre :", photo.title, "; rouge moyen :", round(float(photo.image[0].mean()), 3))
"""
)
OTHER = PAGE_HEADER + '\n# %% [markdown]\n# # Une autre page\n\n# %%\nprint("pas de photo")\n'
CREDITS = "# Crédits\n\n<!-- tp8:photo-credits -->\n"
CREDIT = 'title = "Un carré de test"\nauthor = "La suite de tests"\nlicence = "CC0"\nsource = "dessiné par le test"\n'


def _photo(site: ScratchSite, red: int, credit: str = CREDIT) -> None:
    folder = site.docs / "photos"
    folder.mkdir(exist_ok=True)
    Image.fromarray(np.full((240, 240, 3), (red, 0, 0), dtype=np.uint8)).save(folder / "carre-test.png")
    (folder / "carre-test.toml").write_text(credit, encoding="utf-8")


def _build(site: ScratchSite) -> dict:
    proc = site.build()
    assert proc.returncode == 0, proc.output[-3000:]
    site.log = proc.output
    return site.last_build()


def test_a_course_photo_is_credited_and_keys_exactly_the_pages_that_load_it(tmp_path):
    site = ScratchSite(tmp_path, {"charge.py": LOADS, "autre.py": OTHER, "credits.md": CREDITS})
    _photo(site, 255)
    assert sorted(_build(site)["executed"]) == ["docs/autre.py", "docs/charge.py"]
    assert "titre : Un carré de test ; rouge moyen : 1.0" in site.html("charge.py")
    credits = site.html("credits.md")
    assert "<code>carre-test</code>" in credits and "Un carré de test" in credits and "La suite de tests" in credits
    assert "<code>chelsea</code>" in credits and "Stefan van der Walt" in credits  # the bundled ones too
    _photo(site, 128)  # the instructor replaces the photo
    record = _build(site)
    assert record["executed"] == ["docs/charge.py"] and record["unchanged"] == ["docs/autre.py"], record
    assert "docs/charge.py à exécuter — docs/photos/carre-test.png modifié" in site.log, site.log[-2000:]
    assert "rouge moyen : 0.502" in site.html("charge.py")


def test_a_photo_without_licence_stops_the_build_naming_it(tmp_path):
    site = ScratchSite(tmp_path, {"autre.py": OTHER})
    _photo(site, 255, credit=CREDIT.replace('licence = "CC0"\n', ""))
    proc = site.build()
    assert proc.returncode != 0
    assert "carre-test.toml: the photo 'carre-test' has no licence" in proc.output, proc.output[-2000:]
    assert "Traceback" not in proc.output


def test_the_credits_table():
    credits = site_photos.credits(ROOT, ROOT / "docs")
    table = site_photos.credits_markdown(credits)
    lines = table.splitlines()
    assert lines[0].startswith("| Nom dans `tp8` |") and len([x for x in lines if x.startswith("| `")]) == len(credits)
    assert "[CC BY 2.0](https://creativecommons.org/licenses/by/2.0/)" in table
    assert "[danielbuechele sur Flickr](https://www.flickr.com/photos/danielbuechele/6061409035)" in table
    assert "[^motorcycle]: Licence indiquée par tp8." in table
    page = site_photos.expand_credits("avant\n\n<!-- tp8:photo-credits -->\n\naprès", credits)
    assert "<!--" not in page and page.startswith("avant\n\n| Nom") and page.endswith("après")
