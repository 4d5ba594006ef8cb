"""The English form of what the build itself writes (``lang="en"``): the facts and lists of the questions,
the report template, the énoncé's answer boxes, notices and stubs, the photo credits, the install cell.

Every fixture is this file's own (or ``test_site_exercises``'s): nothing here depends on the course's
questions or photos, which an instructor changes. The French forms stay what they were (``lang`` is "fr"
by default); the English ones must hold no common French word (:func:`french_words`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import english, exercise, handout, notebooks, pages, photos, translation, variants  # noqa: E402
from test_site_exercises import PAGE, QPAGE, page_nb, project_repo, qpage_nb  # noqa: E402

#: Common French words that no English text of the build may hold (US spelling: "licence" is out too).
_FRENCH_WORDS = """
    le la les des du de un une et est sont vous votre vos pour dans sur avec ce cette ces qui que pas aux au ou
    ici puis aucune aucun réponse énoncé énoncés corrigé corrigés compte rendu avancement remarques nom sujet
    auteur licence distribuée cours cellule exécutez complétez remplacez lignes suivante numéro partie séance
    jouer écrivez modèle nombres ci dessus installation bibliothèque propres dépôt quand elles
"""
FRENCH = frozenset(re.findall(r"\S+", _FRENCH_WORDS))
_ACCENTS = re.compile(r"[éèêëàâçùûôîï]", re.I)


def prose(text: str) -> str:
    """``text`` without what is code or an address: ``<code>…</code>``, `` `…` ``, link targets, URLs."""
    text = re.sub(r"<code>.*?</code>", " ", text, flags=re.S)
    text = re.sub(r"(`+).*?\1", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "] ", text)
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"<[^>]+>", " ", text)


def french_words(text: str) -> list[str]:
    """The common French words (and accented letters) of ``text``'s prose."""
    words = re.findall(r"[^\W\d_]+", prose(text).lower())
    return [w for w in words if w in FRENCH] + _ACCENTS.findall(prose(text))


def test_the_word_check_finds_french():
    assert french_words("**Votre réponse — Q8.1**") == ["votre", "réponse", "é"]
    assert french_words("Complete <code># À VOUS</code> above, `de la`.") == []


def question(number: int, *, star: bool = False, bonus: bool = False, title: str = "", text: str = ""):
    """A question of this file's own (English title and text)."""
    return exercise.Question(
        number,
        title or f"What figure {number} shows",
        text or f"Look at figure {number} and explain what it shows.",
        star,
        bonus,
        cell=number,
        line=None,
    )


# --- the facts and lists of the questions -----------------------------------------------------------------


def test_number_words_in_both_languages():
    assert [handout.number_word(n, "en") for n in (1, 5, 11, 12, 16)] == ["one", "five", "eleven", "twelve", "sixteen"]
    assert [handout.number_word(n) for n in (1, 11)] == ["une", "onze"]
    assert handout.number_word(40, "en") == "40" and handout.number_word(40) == "40"


def test_question_facts_in_english():
    a = [question(1, star=True), question(2), question(3)]
    b = [question(4), question(5, star=True), question(8, star=True), question(12, bonus=True)]
    parts = [("a.py", "Part A", a), ("b.py", "Part B", b)]
    facts = handout.question_facts(parts, "en")
    assert facts["count"] == "seven" and facts["first"] == "Q8.1" and facts["last"] == "Q8.12"
    assert facts["starred"] == "Q8.1, Q8.5 and Q8.8" and facts["bonus"] == "Q8.12"
    assert facts["anchors"] == "`q1` to `q3` in [Part A](a.py) and `q4` to `q12` in [Part B](b.py)"
    for value in facts.values():
        assert not french_words(value), value
    assert handout.question_facts([("a.py", "Part A", [question(1)])], "en")["starred"] == "none"
    text = "The lab asks <!-- tp8:question-count --> questions (<!-- tp8:question-starred -->)."
    assert handout.expand_facts(text, facts) == "The lab asks seven questions (Q8.1, Q8.5 and Q8.8)."


def test_question_facts_stay_french_by_default():
    parts = [("a.py", "Partie A", [question(1, star=True), question(2, star=True), question(3, star=True)])]
    facts = handout.question_facts(parts)
    assert facts["count"] == "trois" and facts["starred"] == "Q8.1, Q8.2 et Q8.3"
    assert facts["anchors"] == "`q1` à `q3` dans [Partie A](a.py)" and facts["bonus"] == "aucune"


@pytest.mark.parametrize("solutions", [True, False])
def test_the_question_list_in_english(solutions):
    found = [question(1, star=True), question(2, bonus=True)]
    page = "# Questions\n\n<!-- tp8:questions p.py -->\n\nEnd.\n"
    text = handout.expand_questions(page, {"p.py": found}.get, solutions, "q.md", "en")
    assert "### Q1 ★ — What figure 1 shows\n\nLook at figure 1 and explain what it shows." in text
    assert "### Q2 Bonus — What figure 2 shows" in text and "Number in the report: **Q8.2**." in text
    if solutions:
        assert "[Answer →](p.py#q1)" in text
    else:
        assert "[The question in the exercise sheet →](p.py#q1)" in text
    assert not french_words(text), french_words(text)
    french = handout.expand_questions(page, {"p.py": found}.get, solutions)
    assert "Numéro dans le compte rendu : **Q8.2**." in french


def test_questions_restated_from_their_english_cell():
    nb = qpage_nb()
    q1, q2 = exercise.questions(nb, "docs/p.py", QPAGE)
    translated = nbformat.from_dict(nbformat.v4.new_notebook())
    translated.cells = [nbformat.v4.new_markdown_cell("") for _ in nb.cells]
    heading = '<a id="q1"></a>\n## Q1 — What the herons show'
    translated.cells[q1.cell].source = heading + "\n\n**Q8.1 ★** Look at the herons and explain their posture."
    translated.cells[q2.cell].source = "Not translated yet, no heading."
    e1, e2 = handout.translated_questions([q1, q2], translated)
    assert (e1.title, e1.text) == ("What the herons show", "Look at the herons and explain their posture.")
    assert e1.star and e1.number == 1 and e1.cell == q1.cell and e1.line == q1.line
    assert e2 == q2  # its French, until its English is written


# --- the report template ----------------------------------------------------------------------------------


def test_the_report_template_in_english():
    found = [question(1, star=True), question(2, bonus=True)]
    text = handout.report_notebook([("Part 9 — The herons", found)], "en")
    assert text == handout.report_notebook([("Part 9 — The herons", found)], "en")  # deterministic
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    sources = [c.source for c in nb.cells]
    assert sources[0].startswith("# Report — Lab 8: visualizing neural networks")
    assert "answers the questions marked ★ (Q8.1)" in sources[0] and "bonus questions included (Q8.2)" in sources[0]
    assert "*Progress*" in sources[0] and "*Notes*" in sources[0]
    assert sources[1] == "# Part 9 — The herons"
    assert sources[2].startswith("## Q8.1 ★ — What figure 1 shows\n\n")
    assert sources[3] == "" and nb.cells[3].metadata["tags"] == [exercise.ANSWER_BOX_TAG]
    assert sources[6].startswith("## Progress\n") and sources[7] == ""
    assert sources[8].startswith("## Notes\n") and sources[9] == "" and len(sources) == 10
    assert not french_words("\n\n".join(sources)), french_words("\n\n".join(sources))
    assert not any(french_words(c.id) for c in nb.cells)


def test_the_french_report_template_carries_what_its_english_needs():
    found = [question(1, star=True), question(2, star=True), question(3)]
    french = nbformat.reads(handout.report_notebook([("Partie 9", found)]), as_version=4)
    english_nb = nbformat.reads(handout.report_notebook([("Partie 9", found)], "en"), as_version=4)
    assert french.cells[0].source.startswith("# Compte rendu — TP 8") and "(Q8.1, Q8.2)" in french.cells[0].source
    generated = [(i, c) for i, c in enumerate(french.cells) if "tp8" in c.metadata]
    assert [c.metadata["tp8"]["generated"] for _i, c in generated] == [
        handout.REPORT_INTRO,
        handout.REPORT_PROGRESS,
        handout.REPORT_REMARKS,
    ]
    for i, cell in generated:
        assert handout.english_cell(cell) == english_nb.cells[i].source
    assert handout.english_cell(french.cells[1]) is None  # the part's title: the author's


# --- the énoncé: stubs, notices, answer boxes -------------------------------------------------------------


def generated_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown" and "tp8" in c.get("metadata", {})]


def test_the_exercise_in_english():
    out = exercise.exercise(page_nb(), "docs/exo.py", PAGE, lang="en")
    code = "\n".join(c.source for c in out.cells if c.cell_type == "code")
    assert "# YOUR TURN: indice : une boucle suffit." in code  # the author's hint, as written
    assert "# YOUR TURN: complete this function (its docstring says what it takes and what it must return)." in code
    assert "À VOUS" not in code
    (notice,) = [c for c in out.cells if exercise.NOTICE_TAG in c.metadata.get("tags", [])]
    assert '<p class="admonition-title">Your turn</p>' in notice.source
    assert "Complete <code>double_du_gradient</code> above" in notice.source
    assert "<code># YOUR TURN</code> and <code>raise NotImplementedError()</code>" in notice.source
    assert "then the next one, which checks your answer and says what is wrong" in notice.source
    assert not french_words(notice.source), french_words(notice.source)


def test_the_answer_boxes_in_english():
    out = exercise.exercise(qpage_nb(), "docs/p.py", QPAGE, lang="en")
    boxes = [c for c in out.cells if exercise.ANSWER_BOX_TAG in c.metadata.get("tags", [])]
    assert [b.source.split("\n")[0] for b in boxes] == ["**Your answer — Q8.1**", "**Your answer — Q8.2**"]
    for box in boxes:
        assert "double-click this cell to edit it" in box.source
        assert not french_words(box.source), french_words(box.source)


@pytest.mark.parametrize("text", [PAGE, QPAGE])
def test_each_added_cell_of_the_french_exercise_says_what_it_is_and_gets_its_english(text):
    nb = page_nb(text)
    french = exercise.exercise(nb, "docs/p.py", text)
    in_english = exercise.exercise(nb, "docs/p.py", text, lang="en")
    added = generated_cells(french)
    assert added and len(added) == len(generated_cells(in_english))
    for cell, theirs in zip(added, generated_cells(in_english), strict=True):
        assert cell.metadata["tp8"]["generated"] in (exercise.GENERATED_ANSWER_BOX, exercise.GENERATED_NOTICE)
        assert cell.source.startswith(("**Votre réponse — Q8.", '<div class="admonition example">'))
        found = exercise.english_cell(cell)
        assert found is not None and not french_words(found), found
        if cell.metadata["tp8"]["generated"] == exercise.GENERATED_ANSWER_BOX:
            assert found == theirs.source
        else:  # its code keeps the French stubs: the notice names them as they are
            named = "<code># À VOUS</code> (“your turn”)"
            assert found == theirs.source.replace("<code># YOUR TURN</code>", named), found
    for cell in french.cells:  # the author's cells are the catalogue's business
        if cell not in added:
            assert exercise.english_cell(cell) is None


@pytest.mark.parametrize("text", [PAGE, QPAGE])
def test_added_cells_are_recognised_without_their_metadata(text):
    """The students' notebooks lose the build's metadata: the English still comes from the cell's text."""
    french = exercise.exercise(page_nb(text), "docs/p.py", text)
    for cell in generated_cells(french):
        expected = exercise.english_cell(cell)
        bare = nbformat.from_dict({**cell, "metadata": {"tags": list(cell.metadata["tags"])}})
        assert exercise.english_cell(bare) == expected
        assert exercise.english_cell(nbformat.from_dict({**bare, "source": expected})) == expected  # already English


def test_english_notebook_takes_the_added_cells_from_the_build(tmp_path):
    path = tmp_path / "p.py"
    path.write_text(QPAGE, encoding="utf-8")
    page = pages.parse_page(path, tmp_path, QPAGE)
    nb = variants.enonce(page, for_site=True)[0]
    table = translation.lookup(tmp_path / "p.po", "p.py", translation.page_messages(page))  # no catalogue yet
    lagging = english.Lagging()
    out = english.notebook(nb, page, table, lagging)
    boxes = [c.source for c in out.cells if exercise.ANSWER_BOX_TAG in c.metadata.get("tags", [])]
    assert [b.split("\n")[0] for b in boxes] == ["**Your answer — Q8.1**", "**Your answer — Q8.2**"]
    lagging_text = " ".join(words for _label, _line, _state, words in lagging.passages)
    assert lagging.passages and "Votre réponse" not in lagging_text  # the author's text lags, not the build's


def test_the_students_notebooks_keep_their_bytes_and_lose_the_build_metadata():
    repo = project_repo()
    nb = exercise.exercise(qpage_nb(), "docs/p.py", QPAGE)
    text = notebooks.student_ipynb(nb, repo)
    assert '"generated"' not in text and "Votre réponse — Q8.1" in text
    assert generated_cells(nb), "student_ipynb leaves the notebook it is given as it is"
    install = nbformat.reads(notebooks.student_ipynb(nb, repo, "en"), as_version=4).cells[0]

    def split(source: str) -> tuple[str, list[str]]:
        lines = source.splitlines()
        return "\n".join(x for x in lines if x.startswith("#")), [x for x in lines if not x.startswith("#")]

    comments, code = split(install.source)
    assert comments and not french_words(comments), french_words(comments)
    assert code == split(notebooks.install_cell_source(repo))[1]  # the same code


# --- the photo credits -------------------------------------------------------------------------------------


def credit(**fields):
    module = photos._module(ROOT)
    base = {
        "name": "heron",
        "title": "Un héron cendré au bord de l'eau",
        "title_en": "A grey heron by the water",
        "licence": "CC BY 4.0",
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
        "source": "https://example.org/heron.jpg",
        "author": "A. Photographer",
    }
    return module.PhotoCredit(**{**base, **fields})


def test_the_photo_credits_in_english():
    shipped = credit(name="bird", distributed_by="scikit-image (`skimage.data.bird`)", source="scikit-image")
    text = photos.expand_credits("Credits:\n\n<!-- tp8:photo-credits -->\n", [credit(), shipped], "en")
    assert "| Name in `tp8` | Subject | Author or origin | Distributed by | License |" in text
    assert "| `heron` | A grey heron by the water | [A. Photographer](https://example.org/heron.jpg) |" in text
    assert "| this course (`docs/photos/heron`) |" in text
    assert "| scikit-image (`skimage.data.bird`) | [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/) |" in text
    assert not french_words(text), french_words(text)
    french = photos.expand_credits("<!-- tp8:photo-credits -->", [credit()])
    assert "| Nom dans `tp8` | Sujet |" in french and "| Un héron cendré au bord de l'eau |" in french
    assert "ce cours (`docs/photos/heron`)" in french


def test_a_credit_without_its_english_title_keeps_its_french_one():
    text = photos.credits_markdown([credit(title_en="", note="Licence indiquée par le cours.")], "en")
    assert "| Un héron cendré au bord de l'eau |" in text and "[^heron]: Licence indiquée par le cours." in text
