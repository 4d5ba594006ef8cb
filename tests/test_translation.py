"""The English edition's catalogues (tools/sitebuild/translation.py): passages, updates, stale English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from sitebuild import pages, translation  # noqa: E402

HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

"""
PAGE = (
    HEADER
    + '''\
# %% [markdown]
# # Le martin-pêcheur
#
# Il plonge depuis une branche basse.
#
# $$
# x = 1
#
# y = 2
# $$
#
# <a id="q1"></a>

# %%
from tp8.course import claim, num, tr

poids = 34.5
display(tr("""Il pèse {num(poids, 1)} g : {claim(poids < 40, "c'est un petit oiseau")}."""))
etiquette = tr("plumes bleues")
'''
)


def _page(tmp_path: Path, text: str = PAGE):
    (tmp_path / "docs").mkdir(exist_ok=True)
    path = tmp_path / "docs" / "oiseau.py"
    path.write_text(text, encoding="utf-8")
    return pages.parse_page(path, tmp_path / "docs", text)


def _fill(path: Path, english: dict[str, str]) -> None:
    catalog = translation.read(path)
    for message in catalog:
        if message.id in english:
            message.string = english[message.id]
            message.flags.discard("fuzzy")
    translation.write(path, catalog)


ENGLISH = {
    "# Le martin-pêcheur": "# The kingfisher",
    "Il plonge depuis une branche basse.": "It dives from a low branch.",
    'Il pèse {num(poids, 1)} g : {claim(poids < 40, "c\'est un petit oiseau")}.': (
        'It weighs {num(poids, 1)} g: {claim(poids < 40, "c\'est un petit oiseau")}.'
    ),
    "c'est un petit oiseau": "it is a small bird",
    "plumes bleues": "blue feathers",
}


def test_markdown_is_cut_at_blank_lines_and_a_formula_stays_whole():
    cut = translation.blocks("# Titre\n\nUn paragraphe\nsur deux lignes.\n\n$$\na\n\nb\n$$\n\n```\ncode\n\nplus\n```")
    assert [text for _line, text in cut] == [
        "# Titre",
        "Un paragraphe\nsur deux lignes.",
        "$$\na\n\nb\n$$",
        "```\ncode\n\nplus\n```",
    ]
    assert [line for line, _text in cut] == [0, 2, 5, 11]


def test_a_page_s_passages_are_its_markdown_blocks_and_the_strings_its_code_writes(tmp_path):
    messages = translation.page_messages(_page(tmp_path))
    assert [(m.msgid, m.code) for m in messages] == [
        ("# Le martin-pêcheur", False),
        ("Il plonge depuis une branche basse.", False),
        (next(k for k in ENGLISH if k.startswith("Il pèse")), True),
        ("c'est un petit oiseau", True),  # written inside the template's field
        ("plumes bleues", True),
    ]
    lines = PAGE.splitlines()
    for m in messages:
        assert m.msgid.split("\n")[0].lstrip("# ")[:10] in lines[m.line - 1] or m.code


def test_a_changed_french_passage_keeps_its_old_english_marked_stale_and_a_new_one_is_missing(tmp_path):
    page = _page(tmp_path)
    path = tmp_path / "oiseau.po"
    translation.update(path, "oiseau.py", translation.page_messages(page))
    _fill(path, ENGLISH)
    table = translation.lookup(path, "oiseau.py", translation.page_messages(page))
    assert not table.stale and not table.missing
    changed = PAGE.replace("depuis une branche basse", "depuis une branche morte").replace(
        '"c\'est un petit oiseau"', '"c\'est un tout petit oiseau"'
    )
    changed = changed.replace("# <a id", "# Un paragraphe tout nouveau, sans rien de commun.\n#\n# <a id")
    page = _page(tmp_path, changed)
    table = translation.lookup(path, "oiseau.py", translation.page_messages(page))
    assert table.english("Il plonge depuis une branche morte.") == ("It dives from a low branch.", "stale")
    assert table.english("c'est un tout petit oiseau") == ("it is a small bird", "stale")
    assert table.english("Un paragraphe tout nouveau, sans rien de commun.")[1] == "missing"
    # Brought up to date: the same entries are now fuzzy in the file, with the French they came from.
    translation.update(path, "oiseau.py", translation.page_messages(page))
    text = path.read_text(encoding="utf-8")
    assert '#, fuzzy\n#| msgid "Il plonge depuis une branche basse."' in text.replace(", python-brace-format", "")


def test_a_translation_whose_fields_differ_from_the_french_is_not_used(tmp_path):
    page = _page(tmp_path)
    path = tmp_path / "oiseau.po"
    translation.update(path, "oiseau.py", translation.page_messages(page))
    wrong = dict(ENGLISH)
    key = next(k for k in ENGLISH if k.startswith("Il pèse"))
    wrong[key] = "It weighs {num(poids, 2)} g."
    _fill(path, wrong)
    table = translation.lookup(path, "oiseau.py", translation.page_messages(page))
    assert key in table.missing and "champs" in table.invalid[key]
    assert key not in table.code_entries(translation.page_messages(page))


def test_an_english_page_shows_old_english_or_french_where_its_translation_lags(tmp_path):
    table = translation.Lookup("page", {"# Titre": "# Title"}, {"Un vieux texte.": "An old text."}, {"Du neuf."})
    text, lagging = translation.translate_markdown("# Titre\n\nUn vieux texte.\n\nDu neuf.", table, first_line=10)
    assert text.startswith("# Title\n\nAn old text.\n\n")
    assert '<div lang="fr" markdown="1">' in text and "Du neuf." in text
    assert text.count('class="tp8-stale"') == 2
    assert [(p.line, p.state) for p in lagging] == [(12, "stale"), (14, "missing")]


def test_the_command_line_brings_catalogues_up_to_date_and_check_fails_while_one_lags(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "oiseau.py").write_text(PAGE, encoding="utf-8")
    (docs / "accueil.md").write_text("# Accueil\n\nBonjour.\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Oiseaux\ndocs_dir: docs\nnav:\n  - Accueil: accueil.md\n  - Oiseau: oiseau.py\n", encoding="utf-8"
    )
    tool = [
        sys.executable,
        str(ROOT / "tools" / "site_notebooks.py"),
        "translations",
        "-f",
        str(tmp_path / "mkdocs.yml"),
    ]
    done = subprocess.run(tool, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (docs / "locale" / "en" / "oiseau.po").is_file() and (docs / "locale" / "en" / "accueil.po").is_file()
    check = subprocess.run([*tool, "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == 1 and "docs/oiseau.py:12 — à traduire" in check.stdout
    _fill(docs / "locale" / "en" / "oiseau.po", ENGLISH)
    _fill(docs / "locale" / "en" / "accueil.po", {"# Accueil": "# Home", "Bonjour.": "Hello."})
    _fill(docs / "locale" / "en" / "mkdocs.po", {"Oiseaux": "Birds", "Accueil": "Home", "Oiseau": "Bird"})
    check = subprocess.run([*tool, "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout
    unknown = subprocess.run([*tool, "nulle-part"], capture_output=True, text=True, check=False)
    assert unknown.returncode == 2 and "page inconnue" in unknown.stderr


@pytest.mark.parametrize("po", sorted((ROOT / "docs" / "locale" / "en").glob("*.po")), ids=lambda p: p.name)
def test_each_catalogue_of_the_course_is_a_valid_gettext_file_whose_code_strings_keep_their_fields(po):
    catalog = translation.read(po)
    docs = ROOT / "docs"
    source = next((p for p in (docs / f"{po.stem}.py", docs / f"{po.stem}.md") if p.is_file()), None)
    if source is None or source.suffix != ".py":
        return  # a Markdown page or the site's strings: no code strings
    page = pages.parse_page(source, docs, source.read_text(encoding="utf-8"))
    code = {m.msgid for m in translation.page_messages(page) if m.code}
    for message in catalog:
        if message.id in code and message.string:
            assert translation.fields(message.string) == translation.fields(message.id), message.id[:80]
