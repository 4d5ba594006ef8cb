"""The build's stages without MkDocs: what must run, running it, the variants checked.

:func:`plan` (the page's variants, :mod:`variants`; its key and record, :mod:`cache`; why it must run),
:func:`run_pages` (one execution per page, :mod:`execute`, :mod:`worker`), :func:`outcomes` (each
variant merged with its outputs; unstated claims and failing checks stop the build, :mod:`audit`).
The MkDocs build (:mod:`build`) and ``tools/site_notebooks.py run`` (:func:`run_without_mkdocs`)
call them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import audit, cache, execute, handout, notebooks, pages, solutions, translation, variants
from .settings import Execution


class BuildError(Exception):
    """The build stops: the message says where and what to do."""


# --- what must run --------------------------------------------------------------------------------


@dataclass
class Planned:
    page: pages.Page
    site: variants.SiteVariants
    key: str
    record: cache.Record | None  # a complete record for the key, inputs unchanged
    reason: str | None  # why it must run (None: it need not)
    excluded: bool = False
    english: dict = field(default_factory=dict)  # the English of its code strings, handed to the kernel


def describe_code_changes(old: list[str], page: pages.Page) -> str:
    """In words, which code cells changed since the page last ran, by their line in the ``.py``."""
    new = cache.code_cells(page.nb)
    cells = [i for i, c in enumerate(page.nb.cells) if c.cell_type == "code"]
    if sorted(old) == sorted(new) and old != new:
        return "cellules de code déplacées"

    def where(ranks: list[int]) -> str:
        lines = [str(page.line_of(cells[r])) for r in ranks if page.line_of(cells[r]) is not None]
        return ("ligne " if len(lines) == 1 else "lignes ") + ", ".join(lines) if lines else ""

    added = [i for i, fp in enumerate(new) if fp not in old]
    removed = len([fp for fp in old if fp not in new])
    if len(new) == len(old) and added:
        return f"code modifié {where(added)}".strip()
    parts = []
    if added:
        parts.append(f"code ajouté ou modifié {where(added)}".strip())
    if removed:
        parts.append(f"{removed} cellule(s) de code supprimée(s) ou modifiée(s)")
    return "; ".join(parts) or "énoncé modifié"


def plan(
    all_pages: list[pages.Page],
    urls: dict[str, str],
    execution: Execution,
    store: cache.Store,
    facts: dict,
    docs_dir: Path,
) -> list[Planned]:
    """For each page: its site variants, its key, its record when usable, and why it must run."""
    env_print = cache.fingerprint(facts)
    out = []
    for page in all_pages:
        site = variants.site_variants(page, urls.get(page.src_uri, ""))
        english = translation.code_catalogue(page, docs_dir)
        key = cache.key(site.corrige, site.enonce, site.own, env_print, execution, english)
        if execution.excluded(page.src_uri):
            out.append(Planned(page, site, key, None, None, excluded=True, english=english))
            continue
        record, reason = store.find(page.stem, key), None
        if record is not None and execution.mode == "force":
            reason = "execute: force"
        elif record is not None:
            changed = store.changed_inputs(record, docs_dir)
            if changed:
                reason = ", ".join(f"{Path(docs_dir).name}/{rel} modifié" for rel in changed)
        elif store.has_record(page.stem, key):
            reason = "ses figures ou ses notebooks manquent dans .cache"
        else:
            latest = store.latest(page.stem)
            if latest is None:
                reason = "première exécution"
            else:
                env = cache.describe_changes(latest.facts, facts)
                reason = "; ".join(env) if env else describe_code_changes(latest.code, page)
        if execution.mode == "off":  # nothing runs: a record of the current code is shown as it is
            reason = None
        out.append(Planned(page, site, key, record if reason is None else None, reason, english=english))
    return out


def run_pages(
    planned: list[Planned], execution: Execution, store: cache.Store, docs_dir: Path, facts: dict, log, env=None
) -> list[str]:
    """Execute the pages that must run (one execution each) and put them in the cache; their labels.
    ``env``: the kernels' environment (default: the build's, :func:`cache.kernel_environment`)."""
    todo = [p for p in planned if p.reason is not None]
    if not todo:
        return []
    for p in todo:
        log(f"{p.page.label} à exécuter — {p.reason}")
    scratch = store.scratch()
    env = cache.kernel_environment() if env is None else env
    found = execute.estimates()
    jobs, by_label = [], {}
    for p in todo:
        folder = scratch / p.page.stem
        own = []
        for o in p.site.own:
            lines = _own_lines(p.page, o)
            own.append({"index": o.index, "before": o.before, "code": o.code, "stubs": o.stubs, "lines": lines})
        job = {
            "label": p.page.label,
            "key": p.key,
            "environment": cache.fingerprint(facts),
            "cwd": str(Path(docs_dir).resolve()),
            "cache_dir": str(store.cache_dir.resolve()),
            "cell_timeout": execution.cell_timeout,
            "startup_timeout": execution.startup_timeout,
            "cell_lines": list(p.page.cell_lines) if p.page.cell_lines else None,
            "enonce": p.site.enonce is not None,
            "origins": p.site.origins,
            "own": own,
            "env": env,
            "parent": os.getpid(),
            "english": p.english,
        }
        execute.prepare(folder, job, p.site.corrige, p.site.enonce)
        latest = store.latest(p.page.stem)
        expected = execute.expected_seconds(
            p.page.label, latest.duration_s if latest else None, found, len(p.page.text.encode())
        )
        origin = "dernière exécution ici" if latest else "estimation" if p.page.label in found else "d'après sa taille"
        jobs.append(execute.Job(p.page.label, folder, expected, origin))
        by_label[p.page.label] = p

    def done(job: execute.Job) -> None:
        p = by_label[job.label]
        result = json.loads((job.folder / "result.json").read_text(encoding="utf-8"))
        record = cache.Record(
            key=p.key,
            label=p.page.label,
            executed_at=result["executed_at"],
            duration_s=result["duration_s"],
            code=cache.code_cells(p.page.nb),
            facts=facts,
            inputs=result["inputs"],
            figures=result["figures"],
            variants=result["variants"],
        )
        store.commit(p.page.stem, record, {v: job.folder / f"{v}.out.ipynb" for v in record.variants})
        p.record, p.reason = record, None

    try:
        execute.run(jobs, execution, env, done, log)
    except execute.PageFailed as exc:
        raise BuildError(f"la construction s'arrête : {exc.failure.message()}") from None
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    return [j.label for j in jobs]


def _own_lines(page: pages.Page, own: variants.OwnCell) -> list[int] | None:
    """The line of the ``.py`` of each line of an énoncé cell run on its own."""
    from .exercise import stub_line

    if page.cell_lines is None:
        return None
    regions = [r for r in page.regions if r.cell == own.before]
    count = len(own.code.splitlines()) + 1
    return [page.line_of(own.before, stub_line(regions, j) if regions else j) for j in range(count)]


# --- the variants with their outputs, checked --------------------------------------------------------


@dataclass
class Outcome:
    """A page's variants as they will be shown, merged with their outputs (None: not executed)."""

    page: pages.Page
    notebooks: dict  # variant -> notebook (merged with outputs, or without outputs)
    record: cache.Record | None


def outcomes(planned: list[Planned], store: cache.Store) -> list[Outcome]:
    """Each variant merged with the outputs of the page's record; the claims and checks gates."""
    import nbformat

    out = []
    for p in planned:
        variants_nb = {"corrige": p.site.corrige}
        if p.site.enonce is not None:
            variants_nb["enonce"] = p.site.enonce
        if p.record is None:
            out.append(Outcome(p.page, variants_nb, None))
            continue
        merged = {}
        for name, nb in variants_nb.items():
            executed = nbformat.read(store.executed(p.page.stem, p.key, name), as_version=4)
            merged[name] = cache.merge_outputs(nb, executed)
        _gates(p.page, merged)
        out.append(Outcome(p.page, merged, p.record))
    return out


def _gates(page: pages.Page, merged: dict) -> None:
    for name, nb in merged.items():
        label = page.label + (" (énoncé)" if name == "enonce" else "")
        missing = audit.unstated_claims(nb)
        if missing:
            listing = "\n".join(f"  « {m} »" for m in missing)
            raise BuildError(
                f"{label} vérifie par tp8.course.claim() des phrases que la page ne contient plus :\n"
                f"{listing}\nMettez la phrase du texte et celle de claim() d'accord."
            )
        failed = audit.failed_checks(nb)
        if failed:
            listing = "\n".join(f"  {c.get('verdict', c.get('function'))}" for c in failed)
            fix = (
                "Corrigez la solution (ou sa vérification) : le site ne publie pas un corrigé qui échoue."
                if name == "corrige"
                else "Dans l'énoncé, une cellule qui appelle tp8.checks doit être étiquetée « check » (elle "
                "n'y est alors pas exécutée)."
            )
            raise BuildError(f"{label} : une vérification de tp8.checks échoue :\n{listing}\n{fix}")


def stated_answers(outcome: Outcome) -> list[str]:
    """The claims the corrigé's answer cells made, as the run stated them (for the audit)."""
    nb = outcome.notebooks.get("corrige")
    build = (nb.metadata.get("tp8_build") or {}) if nb is not None else {}
    claims, at = build.get("claims", []), build.get("claims_at") or {}
    out, previous = [], 0
    for index in sorted(int(k) for k in at):
        if index in outcome.page.marking.answers:
            out += claims[previous : at[str(index)]]
        previous = at[str(index)]
    return out


def sync_students(root: Path, texts: dict[str, str], mode: str, log) -> tuple[list[str], list[str]]:
    """``notebooks/`` written (or checked) from ``texts``, and the log says what changed."""
    if mode == "off":
        return [], []
    changed, stale = notebooks.sync(root, texts, mode)
    if mode == "write":
        for rel in changed:
            log(f"{rel} régénéré (à committer avec la page)")
        for rel in stale:
            log(f"{rel} supprimé (plus de page correspondante)")
    elif changed or stale:
        log(
            f"notebooks/ n'est pas à jour ({', '.join(changed + stale)}) ; lancez `make notebooks` puis committez-le.",
            warning=True,
        )
    return changed, stale


# --- without MkDocs ------------------------------------------------------------------------------------


def run_without_mkdocs(config_file: Path, *, force: bool = False, log=print) -> int:
    """``site_notebooks.py run``: every page executed when needed (the cache warmed), both hand-outs
    checked, ``notebooks/`` written — what ``make site`` does, without rendering a site."""
    from . import repo as repo_links
    from . import settings

    config_file = Path(config_file).resolve()
    root = config_file.parent
    data = solutions.read_config(config_file)
    extra = data.get("extra") or {}
    try:
        execution = settings.execution(extra)
    except ValueError as exc:
        log(f"tp8 : {exc}")
        return 2
    if force:
        execution = Execution(**{**execution.__dict__, "mode": "force"})
    docs_dir = root / data.get("docs_dir", "docs")
    found = repo_links.resolve_repo(data.get("repo_url"), data.get("edit_uri"))
    store = cache.Store(root / ".cache")
    try:
        read = pages.read_pages(docs_dir)
        facts = cache.environment_facts(cache.kernel_environment())
        planned = plan(read, {}, execution, store, facts, docs_dir)
        run_pages(planned, execution, store, docs_dir, facts, lambda m, warning=False: log(f"tp8 : {m}"))
        outcomes(planned, store)
        handout.course_questions(read)
    except (BuildError, ValueError) as exc:
        log(f"tp8 : {exc}")
        return 1
    sync_students(
        root, notebooks.contents(read, found), notebooks.sync_mode(), lambda m, warning=False: log(f"tp8 : {m}")
    )
    log(f"tp8 : {len(read)} page(s) à jour dans le cache, corrigés et énoncés vérifiés.")
    return 0
