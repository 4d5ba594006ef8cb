"""What the course pages (notebooks) share to *show* results: numbers, claims, figures, tables.

The pages compute everything with tp8; this module holds what several of them need to present it,
so that a page shows the technique and not the plumbing:

* **Numbers the French way**, from Babel's ``fr`` locale (decimal comma, narrow no-break spaces,
  U+2212 minus, a no-break space before "%"): :func:`num`, :func:`pct`, :func:`sci`,
  :func:`prob`; ``tex=True`` gives the same number for a ``$…$`` formula.
* **Guarded claims**: :func:`claim` states a sentence of the page together with the check that
  makes it true; a false claim raises :class:`ClaimError`, which fails the site build with the
  page and the sentence.
* **Figures**: :func:`show` displays a matplotlib figure with its (French) alternative text, as
  an opaque RGB image at the resolution it is laid out at; :func:`animation` an animated image.
* **Tables**: :func:`table` (numbers formatted the French way, wide tables scroll).
* **Provenance**: :func:`provenance` names a network's weights by what they are, never by a path.
* :func:`setup` (progress bars off, French figure labels, matplotlib defaults) and
  :func:`second_network` (the bonus questions' network) for the pages' first cells.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, SupportsFloat

from . import language
from .errors import InputError, Tp8Error
from .language import Text, gettext, tr
from .models import Classifier, load_optional_model

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MatplotlibFigure

__all__ = [
    "ClaimError",
    "Notice",
    "SecondNetwork",
    "Stopwatch",
    "Text",
    "animation",
    "claim",
    "claims",
    "high_frequency_share",
    "notice",
    "num",
    "pct",
    "prob",
    "provenance",
    "quote",
    "sci",
    "second_network",
    "setup",
    "show",
    "table",
    "tr",
]

LOCALE = "fr"
MINUS = "\u2212"
NBSP = "\u00a0"
NNBSP = "\u202f"


# --- numbers ---------------------------------------------------------------------------------


def _pattern(kind: str, digits: int):
    """Babel's own pattern of the language being written (``fr`` or ``en``) for decimals or
    percentages, with exactly ``digits`` decimals."""
    from babel import Locale
    from babel.numbers import parse_pattern

    locale = Locale.parse(language.rendering())
    base = locale.percent_formats[None] if kind == "percent" else locale.decimal_formats[None]
    pattern = parse_pattern(base.pattern)
    pattern.frac_prec = (digits, digits)
    return pattern, locale


def _finish(text: str, *, sign: bool, negative: bool, tex: bool) -> str:
    text = text.replace("-", "").replace(MINUS, "")
    if negative:
        text = MINUS + text
    elif sign:
        text = "+" + text
    if tex:
        text = text.replace(",", "{,}").replace(NNBSP, r"\,").replace(NBSP, r"\,").replace(MINUS, "-")
        text = text.replace("%", r"\%")
    return text


def _real(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        raise InputError(f"not a number: {x!r}") from None


def num(x: SupportsFloat, digits: int | None = 2, *, sign: bool = False, tex: bool = False) -> str:
    """``x`` with ``digits`` decimals, the French way: ``num(-1234.5, 1)`` → ``"−1 234,5"``.

    Args:
        x: a number (or a one-element tensor / array).
        digits: decimals shown (rounded like Python's ``round``); ``None``: as many as the
            shortest writing of ``x`` needs (``num(0.001, None)`` → ``"0,001"``, ``num(5.0, None)`` → ``"5"``).
        sign: write ``+`` before positive numbers.
        tex: for use inside ``$…$`` (``{,}`` decimal comma, ``\\,`` thin space).
    """
    value = _real(x)
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("−∞" if value < 0 else "∞")
    if digits is None:
        text = f"{value:.12g}"
        digits = 0 if "e" in text or "." not in text else len(text.split(".")[1])
    pattern, locale = _pattern("decimal", digits)
    rounded = round(value, digits)
    text = pattern.apply(abs(rounded), locale)
    return _finish(text, sign=sign, negative=rounded < 0 and abs(rounded) > 0, tex=tex)


def pct(p, digits: int = 0, *, sign: bool = False, tex: bool = False) -> str:
    """A fraction as a French percentage: ``pct(0.523)`` → ``"52 %"`` (no-break space before %)."""
    value = _real(p)
    if not math.isfinite(value):
        return num(value)
    pattern, locale = _pattern("percent", digits)
    rounded = round(100 * value, digits) / 100
    text = pattern.apply(abs(rounded), locale)
    return _finish(text, sign=sign, negative=rounded < 0 and abs(rounded) > 0, tex=tex)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(x, digits: int = 1, *, tex: bool = False) -> str:
    """A power of ten: ``sci(1.23e-8)`` → ``"1,2 × 10⁻⁸"`` (``tex=True``: ``1{,}2 \\times 10^{-8}``)."""
    value = _real(x)
    if value == 0 or not math.isfinite(value):
        return num(value, 0, tex=tex)
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits) >= 10:  # 9.96e-3 with one digit is 1.0e-2
        exponent += 1
        mantissa /= 10
    if exponent == 0:
        return num(mantissa, digits, tex=tex)
    head = num(mantissa, digits, tex=tex)
    if tex:
        return f"{head} \\times 10^{{{exponent}}}"
    return f"{head}{NBSP}×{NBSP}10{str(exponent).translate(_SUPERSCRIPT)}"


def prob(p, digits: int = 2, *, tex: bool = False) -> str:
    """A probability: decimals when ≥ 0.01 (``"0,84"``), a power of ten below (``"3,1 × 10⁻⁶"``)."""
    value = _real(p)
    return num(value, digits, tex=tex) if value >= 0.01 or value == 0 else sci(value, 1, tex=tex)


def quote(text: str) -> str:
    """Quotation marks kept on one line with the words: ``« espresso »`` (English: ``“espresso”``)."""
    if language.rendering() == "en":
        return f"\u201c{text}\u201d"
    return f"«{NBSP}{text}{NBSP}»"


# --- claims ------------------------------------------------------------------------------------


class ClaimError(Tp8Error, AssertionError):
    """A sentence of a page that the run contradicts."""


@dataclass
class _Claim:
    sentence: str
    holds: bool
    en: str | None = None


_CLAIMS: list[_Claim] = []


def claim(condition, sentence: str) -> str:
    """State ``sentence`` only if ``condition`` holds; return the sentence.

    A page calls it in a hidden cell right after a Markdown cell whose sentence depends on the
    run (``claim(share_cafe > share_tasse, "c'est le liquide, plus que la porcelaine, qui fait
    l'espresso")``), or inside computed prose (``tr("… {claim(a > b, 'A est plus dense que B')} …")``).
    When the run contradicts it, :class:`ClaimError` names the sentence, and the site build
    stops with the page and the line. The sentence is checked against the page's text by the
    build: it must appear there word for word (Markdown emphasis aside), and its English (the
    catalogue's translation of the sentence) in the English page.
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise InputError("claim() needs the sentence it guards, as a non-empty string")
    try:
        holds = bool(condition)
    except Exception as exc:  # e.g. a tensor of several values
        raise InputError(f"the condition of the claim « {sentence} » is not a single truth value ({exc})") from None
    if language._state["rendering"] == "en":  # the English rendering of a tr() template: already recorded
        english = language._english(sentence)
        for c in reversed(_CLAIMS):
            if c.sentence == sentence:
                c.en = english
                break
        return english
    record = _Claim(str(sentence), holds)
    _CLAIMS.append(record)
    if not holds:
        raise ClaimError(f"affirmation contredite par l'exécution : « {sentence} »")
    if language._state["rendering"] == "fr":
        return str(sentence)
    text = gettext(str(sentence))
    record.en = text.en
    # Returned, not displayed: a guard cell must not state its own sentence (the build checks that the
    # page's text does).
    return _Sentence(str(text), text.en)


class _Sentence(Text):
    """A claimed sentence with its English, shown as a plain value (not as Markdown) when a cell ends with it."""

    _repr_mimebundle_ = None


def claims() -> list[str]:
    """The sentences claimed so far in this kernel (the site build lists them per page)."""
    return [c.sentence for c in _CLAIMS if c.holds]


def claims_en() -> list[str | None]:
    """The English of :func:`claims`, in the same order (``None`` where untranslated)."""
    return [c.en for c in _CLAIMS if c.holds]


# --- figures -----------------------------------------------------------------------------------


#: Widest figure, in pixels, that :func:`show` renders a free-layout figure at (about twice the
#: 616-px content column: sharp on a high-density screen, no heavier).
MAX_WIDTH_PX = 1240


def _french_ticks(fig) -> None:
    """Decimal commas on the numeric axes of a figure (matplotlib writes 0.5; a French reader, 0,5)."""
    from matplotlib.ticker import ScalarFormatter

    class FrenchScalarFormatter(ScalarFormatter):
        def __call__(self, x, pos=None):
            return super().__call__(x, pos).replace(".", "{,}" if self._useMathText else ",")

        def get_offset(self):
            return super().get_offset().replace(".", ",")

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            old = axis.get_major_formatter()
            if type(old) is ScalarFormatter:
                new = FrenchScalarFormatter(useOffset=old.get_useOffset(), useMathText=old.get_useMathText())
                new.set_powerlimits(old._powerlimits if hasattr(old, "_powerlimits") else (-5, 6))
                axis.set_major_formatter(new)


_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")


def _english_label(text: str) -> str:
    """The English of a figure's text: the run's own translation, line by line, else its numbers."""
    whole = language.english_of(text)
    if whole is not None:
        return whole
    lines = [language.english_of(line) or line for line in text.split("\n")]
    out = "\n".join(lines)
    out = _DECIMAL_COMMA.sub(".", out).replace("{,}", ".").replace(f"{NBSP}%", "%").replace(f"{NNBSP}%", "%")
    return out


def _to_english(fig) -> bool:
    """Turn the figure's texts (titles, labels, legends, annotations) into English; ``True`` if any changed."""
    from matplotlib.text import Text as MplText
    from matplotlib.ticker import ScalarFormatter

    changed = False
    for ax in fig.axes:  # tick labels given as text (set_xticks(…, labels)) are redrawn from their formatter
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter):
                continue  # numbers: their English comes from the formatter (_plain_ticks)
            french = [label.get_text() for label in axis.get_ticklabels()]
            english = [_english_label(text) for text in french]
            if english != french:
                axis.set_ticks(axis.get_ticklocs(), english)
                changed = True
    for artist in fig.findobj(MplText):
        old = artist.get_text()
        if not old:
            continue
        new = _english_label(old)
        if new != old:
            artist.set_text(new)
            changed = True
    return changed


def _plain_ticks(fig) -> None:
    """Undo :func:`_french_ticks` (an English figure writes 0.5)."""
    from matplotlib.ticker import ScalarFormatter

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            old = axis.get_major_formatter()
            if type(old) is not ScalarFormatter and isinstance(old, ScalarFormatter):
                new = ScalarFormatter(useOffset=old.get_useOffset(), useMathText=old.get_useMathText())
                new.set_powerlimits(old._powerlimits if hasattr(old, "_powerlimits") else (-5, 6))
                axis.set_major_formatter(new)


def _figure_png(fig, alt: str, lang: str = "fr") -> tuple[bytes, tuple[int, int]]:
    """The figure as an opaque RGB PNG carrying its alternative text (tEXt "Description")."""
    from PIL import Image, PngImagePlugin

    from .plotting import DPI

    if lang == "fr":
        _french_ticks(fig)
    else:
        _plain_ticks(fig)
    buffer = io.BytesIO()
    exact = getattr(fig, "_tp8_pixel_exact", False)
    if exact:
        fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    else:
        width_in = fig.get_figwidth()
        dpi = min(DPI, MAX_WIDTH_PX / max(width_in, 1e-6))
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", bbox_inches="tight", pad_inches=0.05)
    image = Image.open(io.BytesIO(buffer.getvalue()))
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Description", alt)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, pnginfo=info)
    return out.getvalue(), image.size


def _check_alt(alt) -> str:
    if not isinstance(alt, str) or len(alt.strip()) < 12:
        raise InputError(
            "a figure needs its alternative text: what it shows (the photos, the classes, the axes), "
            "in a sentence or two"
        )
    return " ".join(alt.split())


class Figure:
    """A rendered figure: PNG bytes and the text that describes it (displayed by Jupyter).

    ``en`` holds the English edition's PNG (``None``: the same image) and ``alt_en`` its alternative
    text (``None``: untranslated); both travel in the output's metadata (``metadata["tp8"]["en"]``).
    """

    def __init__(
        self,
        png: bytes,
        alt: str,
        size: tuple[int, int],
        en: bytes | None = None,
        alt_en: str | None = None,
        size_en: tuple[int, int] | None = None,
    ):
        self.png, self.alt, self.size = png, alt, size
        self.en, self.alt_en, self.size_en = en, alt_en, size_en

    def _repr_png_(self):
        return self.png, {"alt": self.alt, "width": self.size[0], "height": self.size[1]}

    def _repr_mimebundle_(self, include=None, exclude=None):
        english = language.display_language() == "en" and self.alt_en is not None
        png, alt, size = (
            (self.en or self.png, self.alt_en, self.size_en or self.size)
            if english
            else (self.png, self.alt, self.size)
        )
        data = {"image/png": base64.b64encode(png).decode(), "text/plain": repr(self)}
        metadata: dict = {"image/png": {"alt": alt, "width": size[0], "height": size[1]}}
        if self.alt_en is not None:
            w, h = self.size_en or self.size
            en: dict = {"metadata": {"image/png": {"alt": self.alt_en, "width": w, "height": h}}}
            if self.en is not None:
                en["data"] = {"image/png": base64.b64encode(self.en).decode()}
            metadata["tp8"] = {"en": en}
        return data, metadata

    def __repr__(self) -> str:
        return f"<figure {self.size[0]}×{self.size[1]} px: {self.alt}>"


def show(fig: MatplotlibFigure | None = None, alt: str | None = None) -> None:
    """Display a matplotlib figure with its alternative text, then close it.

    Figures built with :func:`tp8.plotting.tile_figure` (every tp8 figure) are saved exactly as
    laid out, one file pixel per image pixel; other figures at up to :data:`MAX_WIDTH_PX` wide,
    cropped to their content. The image is opaque RGB; the site turns it into lossless WebP when
    that is smaller, and uses ``alt`` as the image's ``alt`` attribute.

    With a catalogue (the site build), the figure is also drawn for the English edition: its texts
    replaced by the English the run wrote for them (:func:`tr`, :func:`gettext`, tp8's own
    labels), its numbers with a decimal point; an image whose texts do not change is not drawn twice.

    Args:
        fig: the figure (default: the current one).
        alt: what the figure shows, for a reader who cannot see it: ``tr("…")`` (both languages)
            or a French string.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    alt_en = getattr(alt, "en", None)
    alt = _check_alt(alt)
    fig = plt.gcf() if fig is None else fig
    png, size = _figure_png(fig, alt)
    en = size_en = None
    if alt_en is not None:
        alt_en = _check_alt(alt_en)
        ticks = any(
            type(a.get_major_formatter()).__name__ == "FrenchScalarFormatter"
            for ax in fig.axes
            for a in (ax.xaxis, ax.yaxis)
        )
        if _to_english(fig) or ticks:
            en, size_en = _figure_png(fig, alt_en, "en")
            if en == png:
                en = size_en = None
    plt.close(fig)
    display(Figure(png, alt, size, en, alt_en, size_en))


def animation(path_or_bytes, alt: str, *, width: int | None = None):
    """An animated image (WebP or GIF, e.g. from :func:`tp8.animate`) for a page, with its alt text
    (``tr("…")``: in both languages, the English edition's image carrying the English)."""
    from PIL import Image

    alt_en = getattr(alt, "en", None)
    alt = _check_alt(alt)
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()  # noqa: SIM115
    image = Image.open(io.BytesIO(data))
    kind = {"WEBP": "webp", "GIF": "gif", "PNG": "png"}.get(image.format)
    if kind is None:
        raise InputError(f"an animation must be WebP, GIF or PNG, not {image.format}")
    w, h = image.size
    shown_w = width or w
    shown_h = round(h * shown_w / w)
    src = f"data:image/{kind};base64,{base64.b64encode(data).decode()}"

    def tag(text: str) -> str:
        return f'<img class="tp8-animation" src="{src}" alt="{html.escape(text)}" width="{shown_w}" height="{shown_h}">'

    return Animation(tag(alt), tag(_check_alt(alt_en)) if alt_en is not None else None)


@dataclass
class Animation:
    """An animated image's HTML, and the English edition's (its alt text in English)."""

    fr: str
    en: str | None = None

    def _repr_html_(self) -> str:
        return self.fr

    def _repr_mimebundle_(self, include=None, exclude=None):
        return _both_html(self.fr, self.en)


# --- tables, notices ---------------------------------------------------------------------------


def _both_html(fr: str, en: str | None):
    """A bundle showing ``fr`` (or ``en`` where the kernel displays English), the English in its metadata."""
    english = language.display_language() == "en" and en is not None
    data = {"text/html": en if english else fr}
    return data, ({"tp8": {"en": {"data": {"text/html": en}}}} if en is not None else {})


@dataclass
class Notice:
    """HTML shown as a Material admonition (``note``, ``tip``, ``warning``, ``danger``…).

    ``title`` and ``text`` may be :class:`~tp8.language.Text` (both languages): the English edition
    shows their English.
    """

    kind: str
    title: str
    text: str

    def html(self, lang: str = "fr") -> str | None:
        title, text = (
            (self.title, self.text)
            if lang == "fr"
            else (language.english_of(self.title), language.english_of(self.text))
        )
        if title is None or text is None:
            return None
        return (
            f'<div class="admonition {html.escape(self.kind)}">'
            f'<p class="admonition-title">{html.escape(title)}</p>'
            f"<p>{text}</p></div>"
        )

    def _repr_html_(self) -> str:
        return self.html("fr")

    def _repr_mimebundle_(self, include=None, exclude=None):
        data, metadata = _both_html(self.html("fr"), self.html("en"))
        data["text/markdown"] = self._repr_markdown_()
        return data, metadata

    def _repr_markdown_(self) -> str:  # e.g. in a terminal or a plain Jupyter
        return f"**{self.title}** — {self.text}"

    def __repr__(self) -> str:
        return f"{self.title}: {html.unescape(self.text)}"


def notice(text: str, title: str | None = None, kind: str = "note") -> Notice:
    """A visible notice; ``text`` may hold inline HTML (it is not escaped). Default title: "Remarque" / "Note"."""
    return Notice(kind, Text("Remarque", "Note") if title is None else title, text)


class Table:
    """A table of results, shown as HTML in French (and, for the English edition, in English)."""

    def __init__(self, frame, digits):
        self.frame, self.digits = frame, digits

    def styler(self, lang: str = "fr"):
        """The pandas ``Styler`` of the table in ``lang`` (headers and phrases the run translated)."""
        import pandas as pd

        frame = self.frame
        with language._rendering(lang):
            if lang == "en":
                frame = frame.rename(columns=lambda c: language.english_of(c) or c if isinstance(c, str) else c)
                frame = frame.apply(
                    lambda col: col.map(lambda v: (language.english_of(v) or v) if isinstance(v, str) else v)
                )
            digits = self.digits
            if isinstance(digits, dict) and lang == "en":
                digits = {(language.english_of(k) or k): v for k, v in digits.items()}

            def formatter(column):
                d = digits.get(column, 2) if isinstance(digits, dict) else digits
                yes, no = ("oui", "non") if lang == "fr" else ("yes", "no")
                if frame[column].dtype == bool:
                    return lambda v: yes if v else no
                if pd.api.types.is_integer_dtype(frame[column]):
                    return lambda v: _in(lang, num, v, 0)
                return lambda v: _in(lang, num, v, d) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

            numeric = [c for c in frame.columns if frame[c].dtype == bool or pd.api.types.is_numeric_dtype(frame[c])]
            # A table's HTML ids from its content, not at random: the same run shows the same page.
            uuid = hashlib.sha256(f"{lang}{frame.to_json()}".encode()).hexdigest()[:8]
            return frame.style.set_uuid(uuid).format({c: formatter(c) for c in numeric}).hide(axis="index")

    def to_html(self, lang: str = "fr") -> str:
        return self.styler(lang).to_html()

    def _repr_html_(self) -> str:
        return self.to_html("fr")

    def _repr_mimebundle_(self, include=None, exclude=None):
        en = self.styler("en").to_html() if language.translated() else None
        return _both_html(self.styler("fr").to_html(), en)


def _in(lang: str, function, *args, **kwargs):
    with language._rendering(lang):
        return function(*args, **kwargs)


def table(rows: Iterable[dict], columns: Sequence[str] | None = None, digits: int | dict[str, int] = 2) -> Table:
    """A table of result rows (e.g. :meth:`~tp8.adversarial.AttackResult.rows`), numbers each language's way.

    Args:
        rows: dicts with the same keys (a header written with ``_("…")`` has an English).
        columns: the columns to show, in order (default: all).
        digits: decimals of the float columns, one for all or per column name; booleans are
            shown "oui"/"non" ("yes"/"no"). Integers are shown without decimals.
    """
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    if columns is not None:
        frame = frame[list(columns)]
    return Table(frame, digits)


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Stopwatch:
    """``with Stopwatch() as t: …`` then ``t.seconds``: wall-clock time of a block."""

    seconds: float = 0.0
    _start: float = field(default=0.0, repr=False)

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


#: The PSNR, in dB, above which the pages call a retouch spread over the image invisible in practice
#: (a JPEG of ordinary quality sits around 30–40 dB). One threshold for every page (the home page's
#: figure 1, Partie 2's Q5). A PSNR is an average: it says nothing of a few values that move a lot,
#: which only an L∞ budget excludes, so a page states what its figure shows next to it.
INVISIBLE_PSNR_DB = 40


def high_frequency_share(images, cutoff: float = 0.25):
    """Share of each image's spectral energy above ``cutoff`` cycles per pixel (channel means removed).

    Natural photos keep a few percent of their energy above 0.25 cycle/pixel (patterns finer than
    4 pixels); white noise keeps about 80%. A tensor ``(N,)`` for a batch ``(N, 3, H, W)``.
    """
    import torch

    x = images.detach().float().cpu()
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(x).abs().pow(2).sum(dim=1)
    fy = torch.fft.fftfreq(x.shape[-2])[:, None]
    fx = torch.fft.fftfreq(x.shape[-1])[None, :]
    high = (fx**2 + fy**2).sqrt() > cutoff
    return (power * high).flatten(1).sum(1) / power.flatten(1).sum(1).clamp_min(1e-12)


# --- the networks ------------------------------------------------------------------------------

_PRETTY = {
    "squeezenet1_1": "SqueezeNet 1.1",
    "squeezenet1_0": "SqueezeNet 1.0",
    "vgg16": "VGG16",
    "resnet18": "ResNet-18",
    "resnet50": "ResNet-50",
}


def provenance(model: Classifier) -> Text:
    """What a network's weights are, for a page (French, with its English): never a path of the build machine.

    ``"SqueezeNet 1.1, poids torchvision SqueezeNet1_1_Weights.IMAGENET1K_V1 (top-1 publié sur
    ImageNet : 58,2 %)"`` or ``"SqueezeNet 1.1, fichier de poids squeezenet1_1.pth (SHA-256
    3a5f0c1d2e4b…)"``.
    """
    name = _PRETTY.get(model.name, model.name)
    info = model.weights

    def said(lang: str) -> str:
        fr = lang == "fr"
        if info.kind == "torchvision":
            acc = ""
            if info.acc1 is not None:
                top1 = _in(lang, pct, info.acc1 / 100, 1)
                acc = f" (top-1 publié sur ImageNet : {top1})" if fr else f" (published ImageNet top-1: {top1})"
            return f"{name}, {'poids torchvision' if fr else 'torchvision weights'} {info.name}{acc}"
        if info.kind == "file":
            return f"{name}, {'fichier de poids' if fr else 'weights file'} {info.name} (SHA-256 {info.sha256}…)"
        if info.kind == "random":
            return f"{name}, {'poids aléatoires (non entraîné)' if fr else 'random weights (untrained)'}"
        return f"{name}, {'poids d’origine inconnue' if fr else 'weights of unknown origin'}"

    fr, en = said("fr"), said("en")
    language.remember(fr, en)
    return Text(fr, en)


#: Test-only switch: ``TP8_SECOND_NETWORK_TEST=resnet18`` makes :func:`second_network` return that
#: torchvision architecture with *seeded random* weights, so that a test can execute the pages'
#: second-network sections with another network than SqueezeNet 1.0 (the published build runs VGG16,
#: which no local build has). Refused when ``TP8_REQUIRE_WEIGHTS`` is set: never in a published build.
SECOND_NETWORK_TEST_ENV = "TP8_SECOND_NETWORK_TEST"


def _test_second_network(name: str, preferred: str) -> SecondNetwork:
    import os

    import torch

    from .models import REQUIRE_WEIGHTS_ENV, load_model

    if os.environ.get(REQUIRE_WEIGHTS_ENV, "").strip() not in ("", "0", "false", "no"):
        raise InputError(
            f"{SECOND_NETWORK_TEST_ENV} (a test-only switch) cannot be combined with {REQUIRE_WEIGHTS_ENV}: "
            f"unset {SECOND_NETWORK_TEST_ENV} to publish the site"
        )
    state = torch.random.get_rng_state()
    torch.manual_seed(0)  # the same random network at every run
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = load_model(name, weights=None, progress=False)
    finally:
        torch.random.set_rng_state(state)
    return SecondNetwork(
        model,
        preferred,
        notice(
            Text(
                f"Construction de test ({SECOND_NETWORK_TEST_ENV}) : le second réseau est <code>{html.escape(name)}</code> "
                "aux poids aléatoires. Cette page ne doit pas être publiée.",
                f"Test build ({SECOND_NETWORK_TEST_ENV}): the second network is <code>{html.escape(name)}</code> "
                "with random weights. This page must not be published.",
            ),
            title=Text("Second réseau de test", "Test second network"),
            kind="danger",
        ),
    )


@dataclass
class SecondNetwork:
    """The network used for the bonus questions, and what the page should say about it."""

    model: Classifier | None
    wanted: str
    message: Notice | None

    @property
    def available(self) -> bool:
        return self.model is not None


def second_network(preferred: str = "vgg16", fallback: str | None = "squeezenet1_0", **kwargs) -> SecondNetwork:
    """Load the bonus network ``preferred`` (VGG16 by default), or say visibly why not.

    Where its pretrained weights cannot be had (an offline machine), returns ``fallback`` if
    *its* real weights are there, with a warning notice saying so; never a network with random
    weights. With ``TP8_REQUIRE_WEIGHTS=1`` a missing network raises instead (publishing).
    """
    import contextlib
    import os

    stand_in = os.environ.get(SECOND_NETWORK_TEST_ENV, "").strip()
    if stand_in:
        return _test_second_network(stand_in, preferred)
    quiet = io.StringIO()  # torch.hub's "Downloading…" and offline messages stay out of the page
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        model = load_optional_model(preferred, progress=False, **kwargs)
        if model is not None:
            return SecondNetwork(model, preferred, None)
        # Reaching here means TP8_REQUIRE_WEIGHTS is off: load_optional_model raises when it is on.
        substitute = load_optional_model(fallback, progress=False, **kwargs) if fallback else None
    if substitute is not None:
        return SecondNetwork(
            substitute,
            preferred,
            notice(
                Text(
                    f"Les poids pré-entraînés de <code>{preferred}</code> ne sont pas disponibles sur la machine qui a "
                    f"construit cette page (hors ligne). Les résultats ci-dessous utilisent à la place "
                    f"<code>{fallback}</code>, un autre réseau réellement entraîné sur ImageNet "
                    f"({html.escape(provenance(substitute))}).",
                    f"The pretrained weights of <code>{preferred}</code> are not available on the machine that built "
                    f"this page (offline). The results below use <code>{fallback}</code> instead, another network "
                    f"really trained on ImageNet ({html.escape(provenance(substitute).en)}).",
                ),
                title=Text(
                    f"{preferred} indisponible : {fallback} le remplace",
                    f"{preferred} unavailable: {fallback} stands in",
                ),
                kind="warning",
            ),
        )
    return SecondNetwork(
        None,
        preferred,
        notice(
            Text(
                f"Ni <code>{preferred}</code> ni un réseau de remplacement n'ont de poids pré-entraînés sur la machine "
                "qui a construit cette page : cette section n'a pas pu être exécutée. Elle l'est sur le site publié.",
                f"Neither <code>{preferred}</code> nor a stand-in network has pretrained weights on the machine that "
                "built this page: this section could not be run. It is on the published site.",
            ),
            title=Text(f"{preferred} indisponible", f"{preferred} unavailable"),
            kind="danger",
        ),
    )


# --- the pages' first cell ------------------------------------------------------------------------


def setup() -> None:
    """Settings of a course page: no progress bars, French figure labels, white opaque figures."""
    import os

    import matplotlib.pyplot as plt

    from .plotting import DPI, set_language

    os.environ.setdefault("TP8_PROGRESS", "0")
    warnings.filterwarnings("ignore", message="IProgress not found")
    set_language("fr")
    language.setup_from_environment()  # an English notebook: its catalogue, English displayed
    plt.rcParams.update({"figure.facecolor": "white", "figure.dpi": DPI, "savefig.facecolor": "white"})
