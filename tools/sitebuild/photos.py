"""The course's photos at build time: every photo credited, and the credits listed on the site.

The photos and their credits are data (:mod:`tp8.photos`): the bundled ones in ``tp8/photos.toml``,
the course's own in ``docs/photos/`` (``<name>.jpg`` and ``<name>.toml``). :func:`credits` refuses
a photo without its credit (the build stops, naming the file and what is missing);
:func:`expand_credits` writes the table of credits where a Markdown page says
``<!-- tp8:photo-credits -->`` (the references page). ``tp8/photos.py`` is read as a file, without
importing tp8 and torch: the build's main process stays light.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

__all__ = ["MARKER", "credits", "credits_markdown", "expand_credits"]

MARKER = re.compile(r"^<!--\s*tp8:photo-credits\s*-->[ \t]*$", re.M)


def _module(root: Path):
    name = "_tp8_photos_for_the_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, root / "tp8" / "photos.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def credits(root: Path, docs_dir: Path) -> list:
    """Every photo the pages can load by name, each with its credit (``ValueError`` if one has none)."""
    module = _module(root)
    folder = docs_dir / "photos"
    return module.photo_credits(folder) if folder.is_dir() else list(module.bundled_credits().values())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def credits_markdown(photos: list, lang: str = "fr") -> str:
    """The table of credits, with a footnote for each photo that has a note. ``lang="en"``: its
    headings and words in English, each photo's ``title_en`` (``note_en``, ``author_en`` where a credit
    has them), its French otherwise."""
    en = lang == "en"

    def field(p, name: str) -> str:
        return (getattr(p, f"{name}_en", "") or getattr(p, name, "") or "") if en else (getattr(p, name, "") or "")

    if en:
        head = "| Name in `tp8` | Subject | Author or origin | Distributed by | License |"
    else:
        head = "| Nom dans `tp8` | Sujet | Auteur ou origine | Distribuée par | Licence |"
    rows = [head, "|---|---|---|---|---|"]
    notes = []
    for p in photos:
        licence = f"[{_cell(field(p, 'licence'))}]({p.licence_url})" if p.licence_url else _cell(field(p, "licence"))
        note = field(p, "note")
        if note:
            notes.append(f"[^{p.name}]: {note}")
            licence += f"[^{p.name}]"
        source = p.source if p.source.startswith("http") else ""
        who = field(p, "author") or field(p, "source")
        author = f"[{_cell(who)}]({source})" if source else _cell(who)
        course = "this course" if en else "ce cours"
        given = _cell(field(p, "distributed_by")) if p.distributed_by else f"{course} (`docs/photos/{p.name}`)"
        rows.append(f"| `{p.name}` | {_cell(field(p, 'title'))} | {author} | {given} | {licence} |")
    return "\n".join(rows) + ("\n\n" + "\n\n".join(notes) if notes else "") + "\n"


def expand_credits(markdown: str, photos: list, lang: str = "fr") -> str:
    """``<!-- tp8:photo-credits -->`` replaced by the table of :func:`credits_markdown` (in ``lang``)."""
    return MARKER.sub(lambda _: credits_markdown(photos, lang), markdown)
