"""Small helpers for the course pages (notebooks): notices, tables, the bonus network.

The pages import everything they compute from tp8; this module only holds what several pages
share to *show* it: a visible notice (styled as a Material admonition on the site), a table of
results, and the choice of a second network for the bonus questions.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .models import Classifier, load_optional_model

__all__ = ["Notice", "SecondNetwork", "notice", "second_network", "table"]


@dataclass
class Notice:
    """HTML shown as a Material admonition (``note``, ``tip``, ``warning``, ``danger``…)."""

    kind: str
    title: str
    text: str

    def _repr_html_(self) -> str:
        return (
            f'<div class="admonition {html.escape(self.kind)}">'
            f'<p class="admonition-title">{html.escape(self.title)}</p>'
            f"<p>{self.text}</p></div>"
        )

    def _repr_markdown_(self) -> str:  # e.g. in a terminal or a plain Jupyter
        return f"**{self.title}** — {self.text}"

    def __repr__(self) -> str:
        return f"{self.title}: {html.unescape(self.text)}"


def notice(text: str, title: str = "Remarque", kind: str = "note") -> Notice:
    """A visible notice; ``text`` may hold inline HTML (it is not escaped)."""
    return Notice(kind, title, text)


def table(rows: Iterable[dict], columns: Sequence[str] | None = None, floatfmt: str = "{:.3g}"):
    """A pandas DataFrame of result rows (e.g. :meth:`~tp8.adversarial.AttackResult.rows`), numbers rounded."""
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    if columns is not None:
        frame = frame[list(columns)]
    return frame.style.format({c: floatfmt.format for c in frame.select_dtypes("number").columns}).hide(axis="index")


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
                f"Les poids pré-entraînés de <code>{preferred}</code> ne sont pas disponibles sur la machine qui a "
                f"construit cette page (hors ligne). Les résultats ci-dessous utilisent à la place "
                f"<code>{fallback}</code>, un autre réseau réellement entraîné sur ImageNet "
                f"({html.escape(substitute.weights_source)}).",
                title=f"{preferred} indisponible : {fallback} le remplace",
                kind="warning",
            ),
        )
    return SecondNetwork(
        None,
        preferred,
        notice(
            f"Ni <code>{preferred}</code> ni un réseau de remplacement n'ont de poids pré-entraînés sur la machine "
            "qui a construit cette page : cette section n'a pas pu être exécutée. Elle l'est sur le site publié.",
            title=f"{preferred} indisponible",
            kind="danger",
        ),
    )
