"""tp8.language and the course helpers: one run writes each text in French and in English."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import tp8.course as course
from tp8 import language
from tp8.course import claim, num, pct, quote, tr  # noqa: F401 - claim is read by the templates
from tp8.errors import InputError

TEMPLATE = "la carte vaut {num(ratio, 1)} fois la moyenne, soit {pct(share)} : {claim(ratio > 1, 'la carte est dense')}"
ENGLISH = "the map is {num(ratio, 1)} times the mean, that is {pct(share)}: {claim(ratio > 1, 'la carte est dense')}"


@pytest.fixture
def catalogue():
    language.use_catalogue({TEMPLATE: ENGLISH, "la carte est dense": "the map is dense", "oiseau": "bird"})
    yield
    language._catalogue.clear()
    language.set_language("fr")


def test_without_a_catalogue_everything_is_french_and_has_no_english():
    language._catalogue.clear()
    ratio, share = 1234.56, 0.523
    text = tr(TEMPLATE)
    assert text == "la carte vaut 1\u202f234,6 fois la moyenne, soit 52\u00a0% : la carte est dense"
    assert text.en is None
    data, metadata = text._repr_mimebundle_()
    assert data["text/markdown"] == text and metadata == {}
    del ratio, share


def test_a_template_is_rendered_in_both_languages_from_the_same_values(catalogue):
    ratio, share = 1234.56, 0.523
    text = tr(TEMPLATE)
    assert str(text).startswith("la carte vaut 1\u202f234,6 fois")
    assert text.en == "the map is 1,234.6 times the mean, that is 52%: the map is dense"
    data, metadata = text._repr_mimebundle_()
    assert data["text/markdown"] == str(text)
    assert metadata["tp8"]["en"]["data"]["text/markdown"] == text.en
    del ratio, share


def test_a_claim_is_checked_once_and_recorded_in_both_languages(catalogue):
    before = len(course.claims())
    ratio, share = 2.0, 0.5
    tr(TEMPLATE)
    assert course.claims()[before:] == ["la carte est dense"]
    assert course.claims_en()[before:] == ["the map is dense"]
    ratio = 0.5  # noqa: F841 - read by the template
    with pytest.raises(course.ClaimError, match="la carte est dense"):
        tr(TEMPLATE)
    del share


def test_a_text_chosen_earlier_writes_its_english_inside_an_english_rendering(catalogue):
    language.use_catalogue({**language._catalogue, "{where} est dense": "{where} is dense", "le ciel": "the sky"})
    where = tr("le ciel")  # noqa: F841 - read by the template
    text = tr("{where} est dense")
    assert (text, text.en) == ("le ciel est dense", "the sky is dense")


def test_an_untranslated_template_has_no_english_and_is_listed(catalogue):
    text = tr("une phrase que le catalogue ne connaît pas")
    assert text.en is None and "une phrase que le catalogue ne connaît pas" in language.missing()


def test_numbers_and_quotes_follow_the_language_being_written(catalogue):
    assert (num(-1234.5, 1), pct(0.5), quote("espresso")) == (
        "\u22121\u202f234,5",
        "50\u00a0%",
        "«\u00a0espresso\u00a0»",
    )
    with language._rendering("en"):
        assert (num(-1234.5, 1), pct(0.5), quote("espresso")) == ("\u22121,234.5", "50%", "\u201cespresso\u201d")


def test_a_template_must_be_a_string_written_like_an_f_string():
    with pytest.raises(InputError, match="template"):
        tr("une accolade {non fermée")
    with pytest.raises(InputError):
        tr(42)


def test_a_figure_is_drawn_again_in_english_with_the_texts_the_run_wrote(monkeypatch, catalogue):
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    language.use_catalogue(
        {**language._catalogue, "Une droite qui monte, pour le test.": "A rising line, for the test."}
    )
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 0.5], [0, 1])
    ax.set_title(tr("oiseau"))
    course.show(fig, alt=tr("Une droite qui monte, pour le test."))
    (figure,) = shown
    assert figure.en is not None and figure.en != figure.png
    assert Image.open(io.BytesIO(figure.en)).info["Description"] == "A rising line, for the test."
    data, metadata = figure._repr_mimebundle_()
    english = metadata["tp8"]["en"]
    assert english["metadata"]["image/png"]["alt"] == "A rising line, for the test."
    assert english["data"]["image/png"] != data["image/png"]
    language.set_language("en")
    data_en, _ = figure._repr_mimebundle_()
    assert data_en["image/png"] == english["data"]["image/png"]


def test_a_table_has_english_headers_numbers_and_booleans(catalogue):
    table = course.table([{tr("oiseau"): "mouette", "poids": 1234.5, "ok": True}], digits=1)
    assert "1\u202f234,5" in table.to_html("fr") and "oui" in table.to_html("fr")
    english = table.to_html("en")
    assert "bird" in english and "1,234.5" in english and "yes" in english and "oiseau" not in english
    _data, metadata = table._repr_mimebundle_()
    assert metadata["tp8"]["en"]["data"]["text/html"] == english


def test_a_notice_is_shown_in_english_when_its_texts_have_one():
    note = course.notice(language.Text("Le réseau manque.", "The network is missing."))
    data, metadata = note._repr_mimebundle_()
    assert "Remarque" in data["text/html"] and "Le réseau manque." in data["text/html"]
    english = metadata["tp8"]["en"]["data"]["text/html"]
    assert "Note" in english and "The network is missing." in english and "manque" not in english


def test_an_english_notebook_loads_its_catalogue_and_displays_english(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="en")
    catalog.add("la phrase du calcul : {num(x)}", "the sentence of the computation: {num(x)}")
    path = tmp_path / "page.po"
    with open(path, "wb") as handle:
        write_po(handle, catalog)
    monkeypatch.setenv(language.CATALOGUE_ENV, str(path))
    monkeypatch.setenv(language.LANGUAGE_ENV, "en")
    try:
        language.setup_from_environment()
        x = 0.5  # noqa: F841 - read by the template
        data, _ = tr("la phrase du calcul : {num(x)}")._repr_mimebundle_()
        assert data["text/markdown"] == "the sentence of the computation: 0.50"
    finally:
        language._catalogue.clear()
        language.set_language("fr")
    monkeypatch.setenv(language.CATALOGUE_ENV, str(tmp_path / "absent.po"))
    with pytest.raises(InputError, match="unset TP8_CATALOGUE"):
        language.setup_from_environment()


def test_a_template_in_a_comprehension_reads_the_function_around_it(catalogue):
    def sentences(unit: str) -> list[str]:
        return [str(tr("{num(v, 1)} {unit}")) for v in (0.5, 2.0)]

    assert sentences("g") == ["0,5 g", "2,0 g"]


def test_an_animation_carries_its_english_alt_text(catalogue):
    from PIL import Image

    buffer = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), color) for color in ("red", "blue")]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    language.use_catalogue(
        {**language._catalogue, "Deux images qui alternent, rouge puis bleu.": "Two frames, red then blue."}
    )
    shown = course.animation(buffer.getvalue(), alt=tr("Deux images qui alternent, rouge puis bleu."))
    data, metadata = shown._repr_mimebundle_()
    assert 'alt="Deux images qui alternent' in data["text/html"]
    assert 'alt="Two frames, red then blue."' in metadata["tp8"]["en"]["data"]["text/html"]


def test_tick_labels_given_as_text_are_drawn_in_english(catalogue):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar([0, 1], [1, 2])
    ax.set_xticks([0, 1], [tr("oiseau"), "2"])
    fig.canvas.draw()  # the French figure, as show() saves it first
    assert course._to_english(fig)
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["bird", "2"]
    plt.close(fig)
