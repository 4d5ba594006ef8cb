"""tp8.course (numbers the French way, claims, figures, provenance) and pixel-exact figures."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

import tp8
from tp8 import course
from tp8.course import ClaimError, claim, num, pct, prob, quote, sci
from tp8.plotting import show_tile, tile_figure

matplotlib.use("Agg")

NBSP, NNBSP, MINUS = "\u00a0", "\u202f", "\u2212"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: num(-1234.5, 1), f"{MINUS}1{NNBSP}234,5"),
        (lambda: num(0.5), "0,50"),
        (lambda: num(3, 0), "3"),
        (lambda: num(0.25, sign=True), "+0,25"),
        (lambda: num(-0.001, 2), "0,00"),  # no "−0,00"
        (lambda: num(0.001, None), "0,001"),
        (lambda: num(5.0, None), "5"),
        (lambda: num(1234567, 0), f"1{NNBSP}234{NNBSP}567"),
        (lambda: num(torch.tensor(2.5), 1), "2,5"),
        (lambda: num(3.14159, 2, tex=True), "3{,}14"),
        (lambda: num(-12345.6, 1, tex=True), r"-12\,345{,}6"),
        (lambda: pct(0.523), f"52{NBSP}%"),
        (lambda: pct(0.0123, 1), f"1,2{NBSP}%"),
        (lambda: pct(-0.05, sign=True), f"{MINUS}5{NBSP}%"),
        (lambda: pct(0.5, tex=True), r"50\,\%"),
        (lambda: sci(1.23e-8), f"1,2{NBSP}×{NBSP}10⁻⁸"),
        (lambda: sci(9.96e-3), f"1,0{NBSP}×{NBSP}10⁻²"),
        (lambda: sci(4.5e12), f"4,5{NBSP}×{NBSP}10¹²"),
        (lambda: sci(1.2e-8, tex=True), r"1{,}2 \times 10^{-8}"),
        (lambda: sci(0), "0"),
        (lambda: prob(0.845), "0,84"),
        (lambda: prob(3.1e-6), f"3,1{NBSP}×{NBSP}10⁻⁶"),
        (lambda: quote("espresso"), f"«{NBSP}espresso{NBSP}»"),
    ],
)
def test_numbers_are_written_the_french_way(call, expected):
    assert call() == expected


def test_numbers_come_from_babels_french_locale():
    from babel.numbers import format_decimal, format_percent

    assert num(1234.5, 1) == format_decimal(1234.5, format="#,##0.0", locale="fr")
    assert pct(0.52) == format_percent(0.52, locale="fr")


def test_non_numbers_are_refused():
    with pytest.raises(tp8.InputError):
        num("abc")
    assert num(float("nan")) == "NaN"


def test_a_true_claim_returns_its_sentence_and_is_recorded():
    sentence = "le café est plus saillant que la tasse (test)"
    assert claim(2 > 1, sentence) == sentence
    assert sentence in course.claims()


def test_a_false_claim_raises_naming_the_sentence():
    with pytest.raises(ClaimError, match="la porcelaine gagne"):
        claim(torch.tensor(0.2) > 0.5, "la porcelaine gagne")
    assert "la porcelaine gagne" not in course.claims()


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_a_claim_needs_its_sentence(bad):
    with pytest.raises(tp8.InputError):
        claim(True, bad)


def test_a_claim_on_an_ambiguous_condition_is_refused():
    with pytest.raises(tp8.InputError, match="truth value"):
        claim(torch.tensor([1.0, 2.0]) > 0, "deux valeurs")


@pytest.mark.parametrize("scale", [1, 2])
def test_tiles_are_drawn_pixel_for_pixel(scale):
    """A 224-px image fills exactly 224·scale px of the saved figure: no resampling."""
    g = torch.Generator().manual_seed(0)
    images = tp8.quantize(torch.rand((5, 3, 40, 56), generator=g))
    fig = tp8.image_grid(images, [f"image {i}\nligne 2" for i in range(5)], ncols=3, scale=scale)
    png, size = course._figure_png(fig, "cinq images aléatoires pour le test")
    file = np.asarray(Image.open(io.BytesIO(png))).astype(np.float64) / 255
    assert file.shape[1::-1] == size
    for k, ax in enumerate(fig.axes[:5]):
        x0, _y0, _x1, y1 = ax.get_window_extent().extents
        top, left = round(file.shape[0] - y1), round(x0)
        tile = file[top : top + 40 * scale, left : left + 56 * scale]
        expected = tp8.to_numpy(images[k]).repeat(scale, axis=0).repeat(scale, axis=1)
        assert np.abs(tile - expected).max() < 1 / 255 + 1e-9, f"tile {k} was resampled"


def test_show_saves_an_opaque_rgb_png_carrying_its_alt(monkeypatch):
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, ax = plt.subplots(figsize=(20, 3))  # too wide: rendered at most MAX_WIDTH_PX wide
    ax.plot([0, 0.5, 1], [0, 0.25, 1])
    course.show(fig, alt="une droite qui monte, pour le test")
    (figure,) = shown
    image = Image.open(io.BytesIO(figure.png))
    assert image.mode == "RGB" and image.width <= course.MAX_WIDTH_PX
    assert image.info["Description"] == "une droite qui monte, pour le test"
    data, meta = figure._repr_png_()
    assert data == figure.png and meta["alt"] == figure.alt and meta["width"] == image.width
    assert fig.number not in plt.get_fignums(), "show() must close the figure"


def test_show_writes_french_decimals_on_the_axes(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setattr("IPython.display.display", lambda obj: None)
    fig, ax = plt.subplots()
    ax.plot([0, 0.5, 1], [0, 0.25, 1])
    course.show(fig, alt="une droite, pour vérifier les virgules")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert any("," in t for t in labels) and not any("." in t for t in labels), labels


@pytest.mark.parametrize("alt", [None, "", "court"])
def test_a_figure_needs_a_real_alt(alt):
    import matplotlib.pyplot as plt

    fig = plt.figure()
    with pytest.raises(tp8.InputError, match="alternative text"):
        course.show(fig, alt=alt)
    plt.close(fig)


def test_tile_figure_refuses_a_fractional_scale():
    with pytest.raises(tp8.InputError):
        tile_figure(1, 1, (8, 8), scale=0)
    _fig, axes = tile_figure(1, 2, (8, 8), title_lines=[1])
    show_tile(axes[0, 0], np.zeros((8, 8, 3)), "vide")


def test_provenance_names_the_weights_never_their_path(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "deep" / "folder" / "squeezenet1_1.pth"
    path.parent.mkdir(parents=True)
    import torchvision

    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), path)
    model = tp8.load_model("squeezenet1_1", weights=path, progress=False)
    text = course.provenance(model)
    assert "squeezenet1_1.pth" in text and "SHA-256" in text and str(tmp_path) not in text
    assert model.weights.kind == "file" and len(model.weights.sha256) == 12
    assert str(tmp_path) not in str(model.weights) and str(tmp_path) not in repr(model)


def test_provenance_of_torchvision_weights_gives_the_published_accuracy():
    info = tp8.models._torchvision_info(tp8.models._weights_enum("squeezenet1_1").DEFAULT)
    model = tp8.models.Classifier(torch.nn.Flatten(), ["a"], name="squeezenet1_1", weights=info)
    assert course.provenance(model) == (
        f"SqueezeNet 1.1, poids torchvision SqueezeNet1_1_Weights.IMAGENET1K_V1 (top-1 publié sur ImageNet : 58,2{NBSP}%)"
    )


def test_the_french_labels_of_tp8s_figures():
    from tp8.plotting import label, set_language

    set_language("fr")
    try:
        assert label("original", name="tabby") == "originale : tabby"
        assert "gris" in label("difference", linf="3")
    finally:
        set_language("en")
    assert "grey" in label("difference", linf="3")
    with pytest.raises(tp8.InputError):
        set_language("de")


def test_table_formats_numbers_the_french_way():
    styler = course.table([{"a": 0.123, "n": 3, "ok": True}, {"a": 12.5, "n": 10, "ok": False}], digits={"a": 1})
    html = styler.to_html()
    assert "0,1" in html and "12,5" in html and "oui" in html and "non" in html and ">10<" in html
