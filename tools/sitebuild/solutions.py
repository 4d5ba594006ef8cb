"""The instructor's switch: whether a build publishes the solutions, and ``solutions-status``.

``extra: tp8: solutions:`` in ``mkdocs.yml`` is true (the pages with their answers, and the
corrigés), false (the énoncés only) or a release date (``solutions: 2027-01-15``: the énoncés before
that day, the solutions from it on, "today" taken in ``extra: tp8: timezone:``). ``TP8_SOLUTIONS``
overrides it for one build. The setting only chooses what is *published*: every build executes the
corrigé, and derives the énoncé from that run (:mod:`variants`), so switching executes nothing.

Standard library and PyYAML only: the daily workflow asks :func:`solutions_status` before
installing anything (``python tools/site_notebooks.py solutions-status``).
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass
from pathlib import Path

#: Environment variable that overrides ``extra: tp8: solutions:`` of ``mkdocs.yml``.
SOLUTIONS_ENV = "TP8_SOLUTIONS"

#: Time zone of "today" when ``extra: tp8: solutions:`` is a date (``extra: tp8: timezone:`` changes it).
DEFAULT_TIMEZONE = "Europe/Paris"

_TRUE = ("1", "true", "yes", "on", "oui", "vrai")
_FALSE = ("0", "false", "no", "off", "non", "faux")


@dataclass(frozen=True)
class SolutionsSetting:
    """The instructor's switch as configured: ``True``, ``False`` or a release date."""

    value: bool | datetime.date
    source: str  # where it was read, in words
    timezone: str = DEFAULT_TIMEZONE

    def today(self, now: datetime.datetime | None = None) -> datetime.date:
        """Today's date in :attr:`timezone` (``now``: an aware datetime, for tests)."""
        from zoneinfo import ZoneInfo

        now = now or datetime.datetime.now(datetime.timezone.utc)
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def shown(self, today: datetime.date | None = None) -> bool:
        """Whether a build made on ``today`` (default: today in :attr:`timezone`) shows the solutions."""
        if isinstance(self.value, bool):
            return self.value
        return (today or self.today()) >= self.value

    def release_due(self, today: datetime.date | None = None) -> bool:
        """Whether a scheduled build must publish: a release date that is today or still to come."""
        if isinstance(self.value, bool):
            return False
        return self.value >= (today or self.today())

    def publishes(self, today: datetime.date | None = None) -> str:
        """What a build made on ``today`` publishes, in words (the build log, ``solutions-status``)."""
        if self.shown(today):
            return "les pages avec leurs réponses et les corrigés"
        if isinstance(self.value, bool):
            return "les énoncés seuls, sans réponses ni corrigés"
        return f"les énoncés seuls, sans réponses ni corrigés ; les solutions à partir du {self.value.isoformat()}"

    def describe(self, today: datetime.date | None = None) -> str:
        """The setting and its effect today, in one sentence."""
        if isinstance(self.value, bool):
            what = "solutions publiées" if self.value else "solutions masquées : énoncés seulement"
            return f"{what} ({self.source} = {str(self.value).lower()})"
        today = today or self.today()
        day = self.value.isoformat()
        if today >= self.value:
            what = f"solutions publiées depuis le {day}"
        else:
            what = f"solutions masquées jusqu'au {day} : énoncés seulement, les solutions à partir de ce jour"
        return f"{what} ({self.source} = {day} ; aujourd'hui {today.isoformat()}, fuseau {self.timezone})"


def _parse_switch(value, where: str) -> bool | datetime.date:
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime.datetime):
        raise ValueError(f"{where} vaut {value.isoformat()!r} : donnez une date sans heure (AAAA-MM-JJ).")
    if isinstance(value, datetime.date):
        return value
    raw = str(value).strip()
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            pass
    raise ValueError(
        f"{where} vaut {raw!r} : mettez true (solutions publiées) ou false (énoncés seulement), ou une date "
        "AAAA-MM-JJ (énoncés seulement avant ce jour, solutions à partir de ce jour)."
    )


def solutions_setting(extra: dict | None, env=None) -> SolutionsSetting:
    """The instructor's switch: ``TP8_SOLUTIONS`` when set, else ``extra: tp8: solutions:`` of
    ``mkdocs.yml`` (default: true). Each is true, false (``1``/``0``, ``yes``/``no``, ``on``/``off``…)
    or a date (``2027-01-15``; YAML reads it as a date), compared with today's date in the time zone
    ``extra: tp8: timezone:`` (default Europe/Paris). Anything else is a ValueError."""
    env = os.environ if env is None else env
    tp8 = (extra or {}).get("tp8") or {}
    zone = str(tp8.get("timezone") or DEFAULT_TIMEZONE)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(zone)
    except (ValueError, OSError, LookupError) as exc:
        raise ValueError(
            f"extra: tp8: timezone: (mkdocs.yml) vaut {zone!r} : ce n'est pas un fuseau horaire connu "
            "(par exemple Europe/Paris)."
        ) from exc
    raw = env.get(SOLUTIONS_ENV, "").strip()
    if raw:
        return SolutionsSetting(_parse_switch(raw, f"la variable {SOLUTIONS_ENV}"), SOLUTIONS_ENV, zone)
    where = "extra: tp8: solutions: (mkdocs.yml)"
    return SolutionsSetting(_parse_switch(tp8.get("solutions", True), where), "extra.tp8.solutions", zone)


def solutions_shown(extra: dict | None, env=None, today: datetime.date | None = None) -> bool:
    """Does the site show the solutions? (:func:`solutions_setting`; ``today`` for tests)."""
    return solutions_setting(extra, env).shown(today)


def read_config(config_file: Path) -> dict:
    """A MkDocs configuration read without MkDocs or its plugins (PyYAML only, so that a workflow can
    ask :func:`solutions_status` before installing anything): its Python tags are left out, and
    ``INHERIT`` is followed (mappings merged, as MkDocs does)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    config_file = Path(config_file)
    data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=Loader) or {}
    if not data.get("INHERIT"):
        return data

    def merge(base: dict, over: dict) -> dict:
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        return out

    return merge(read_config(config_file.parent / data["INHERIT"]), data)


def read_extra(config_file: Path) -> dict:
    """``extra:`` of a MkDocs configuration (:func:`read_config`)."""
    return read_config(config_file).get("extra") or {}


def solutions_status(
    config_file: Path, env=None, today: datetime.date | None = None, github_output: Path | None = None, out=print
) -> int:
    """``solutions-status``: what a build made now publishes, and whether the daily scheduled build
    must publish (a release date today or to come). With ``github_output``, append
    ``solutions=true|false`` and ``publish=true|false`` to it (``$GITHUB_OUTPUT``)."""
    try:
        setting = solutions_setting(read_extra(config_file), env)
    except ValueError as exc:
        out(f"tp8 : {exc}")
        return 2
    today = today or setting.today()
    shown, due = setting.shown(today), setting.release_due(today)
    if isinstance(setting.value, bool):
        configured = str(setting.value).lower()
    else:
        configured = setting.value.isoformat()
    out(
        f"Réglage : {configured} ({setting.source}{', ' + Path(config_file).name if setting.source != SOLUTIONS_ENV else ''})"
    )
    out(f"Aujourd'hui : {today.isoformat()} (fuseau horaire {setting.timezone})")
    out(f"Une construction faite maintenant publie : {setting.publishes(today)}.")
    if due:
        when = "aujourd'hui" if setting.value == today else f"chaque jour jusqu'au {setting.value.isoformat()}"
        out(
            f"Construction quotidienne programmée : elle publie le site ({when}, jour de parution des solutions compris)."
        )
    else:
        out("Construction quotidienne programmée : rien à publier (aucune date de parution à venir).")
    if github_output is not None:
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write(f"solutions={str(shown).lower()}\npublish={str(due).lower()}\n")
    return 0
