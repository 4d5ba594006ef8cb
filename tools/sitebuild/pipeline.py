"""The build, stage by stage; the MkDocs hooks (``tools/site_hooks.py``) and the command line
(``tools/site_notebooks.py``) call these functions and nothing else.

=====================  ======================================================================
stage                  what it does
=====================  ======================================================================
:func:`configure`      settings, the switch (the log says what it publishes), ``site/`` aside
:func:`read`           each page read once (:mod:`pages`)
:func:`plan`           variants (:mod:`variants`), keys and records (:mod:`cache`): what must run, why
:func:`run_pages`      the pages that must run, one execution each (:mod:`execute`, :mod:`worker`)
:func:`outcomes`       each variant merged with its outputs and checked (:mod:`audit`)
:func:`prepare`        all of the above for MkDocs, then the files: pages to render, notebooks
:func:`page_content`   a notebook page's HTML (:mod:`render`)
:func:`finish`         stylesheets, the audit of the site, the log, ``site/`` swapped in
=====================  ======================================================================
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import audit, cache, execute, handout, notebooks, pages, sitedir, solutions, variants
from .failure import Failure
from .settings import Execution
from .state import Build, Shown


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
        key = cache.key(site.corrige, site.enonce, site.own, env_print, execution)
        if execution.excluded(page.src_uri):
            out.append(Planned(page, site, key, None, None, excluded=True))
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
        out.append(Planned(page, site, key, record if reason is None else None, reason))
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


# --- the MkDocs build ---------------------------------------------------------------------------------


def configure(config, log) -> Build:
    """``on_config``: the build's settings and state; the site is built aside (:mod:`sitedir`)."""
    import concurrent.futures

    import site_assets

    from . import repo as repo_links
    from . import settings

    root = Path(config.config_file_path).resolve().parent
    found = repo_links.resolve_repo(config.repo_url, config.edit_uri)
    config.repo_url = found.url
    config.repo_name = found.name
    config.site_url = repo_links.site_url(found.url, config.site_url)
    try:
        execution = settings.execution(config.extra)
        switch = solutions.solutions_setting(config.extra)
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    shown = switch.shown()
    log(f"{switch.describe()} : cette construction publie {switch.publishes()}")
    final = Path(config.site_dir)
    building = sitedir.start(final)
    config.site_dir = str(building)
    build = Build(
        root=root,
        docs_dir=Path(config.docs_dir),
        cache_dir=root / ".cache",
        final_site_dir=final,
        building_dir=building,
        repo=found,
        execution=execution,
        solutions=switch,
        show_solutions=shown,
    )
    # MathJax, the fonts…: fetched with npm on a first build (seconds of network), while the pages run.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tp8-vendor")
    build.vendor = pool.submit(site_assets.ensure_assets, build.cache_dir, log=log)
    pool.shutdown(wait=False)
    return build


def prepare(build: Build, files, config, notebook_files: list, log) -> None:
    """``on_files``: read, plan, execute, check; then hand mkdocs-jupyter the pages to render, add the
    students' notebooks and the report template to the site, and bring ``notebooks/`` up to date."""
    import time

    import site_assets
    from mkdocs.structure.files import File, InclusionLevel

    store = cache.Store(build.cache_dir)
    by_uri = {f.src_uri: f for f in notebook_files}
    try:
        read = [pages.parse_page(Path(f.abs_src_path), build.docs_dir, _read(f)) for f in notebook_files]
    except ValueError as exc:  # exercise.ExerciseError: a misplaced marker, a malformed question
        raise BuildError(str(exc)) from None
    facts = cache.environment_facts(cache.kernel_environment())
    try:
        planned = plan(read, {f.src_uri: f.url for f in notebook_files}, build.execution, store, facts, build.docs_dir)
    except ValueError as exc:  # exercise.ExerciseError: an énoncé that would stop a student
        raise BuildError(str(exc)) from None
    started = time.monotonic()
    ran = run_pages(planned, build.execution, store, build.docs_dir, facts, log)
    build.times["execution_s"] = time.monotonic() - started
    build.report["executed"] = ran
    shown_variant = "corrige" if build.show_solutions else "enonce"
    rendered: set[Path] = set()
    for outcome, p in zip(outcomes(planned, store), planned, strict=True):
        page = outcome.page
        variant = shown_variant if shown_variant in outcome.notebooks else "corrige"
        paths = {}
        for name, nb in outcome.notebooks.items():
            existed = store.rendered_path(page.stem, nb).is_file()
            paths[name] = store.rendered(page.stem, nb)
            rendered.add(paths[name])
            if name == variant and page.label not in ran:
                build.report["unchanged" if existed else "text_only"].append(page.label)
                if not existed and outcome.record is not None:
                    log(f"{page.label} — texte modifié, pas de ré-exécution")
        if p.excluded or outcome.record is None:
            log(f"{page.label} — non exécutée ({'exclue' if p.excluded else 'execute: off'}), affichée sans sorties")
        build.pages[page.src_uri] = Shown(
            page,
            variant,
            paths[variant],
            (outcome.notebooks[variant].metadata.get("tp8_build") or {}).get("receipt"),
            {},
            p.key if outcome.record else None,
        )
        by_uri[page.src_uri].abs_src_path = str(paths[variant])
        if not build.show_solutions and page.has_exercises:
            build.secrets += audit.secrets(page, stated_answers(outcome))
    store.evict({p.page.stem: p.key for p in planned}, rendered)

    vendor_root = _vendor(build)
    for rel in site_assets.asset_files(vendor_root):
        files.append(
            File(rel, str(vendor_root), config.site_dir, config.use_directory_urls, inclusion=InclusionLevel.INCLUDED)
        )

    # Student notebooks: downloads in the site, committed copies for Colab (the one implementation,
    # notebooks.py). The énoncé of a page is always offered; its corrigé only with the solutions.
    texts = notebooks.contents(read, build.repo)
    for page in read:
        rel = notebooks.student_path(page)
        entry = {"download": None, "colab": None, "filename": rel.rsplit("/", 1)[-1], "exercise": None}
        if build.show_solutions or not page.has_exercises:
            files.append(File.generated(config, rel, content=texts[rel], inclusion=InclusionLevel.INCLUDED))
            entry.update(download=rel, colab=build.repo.colab_url(rel))
        if page.has_exercises:
            ex_rel = notebooks.student_path(page, exercise=True)
            files.append(File.generated(config, ex_rel, content=texts[ex_rel], inclusion=InclusionLevel.INCLUDED))
            stem = ex_rel.rsplit("/", 1)[-1][: -len(".ipynb")]
            entry["exercise"] = {
                "download": ex_rel,
                "colab": build.repo.colab_url(ex_rel),
                "filename": f"{stem}-enonce.ipynb",
            }
        build.pages[page.src_uri].downloads = entry
    try:
        parts = handout.course_questions(read)
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    build.questions = {page.src_uri: (page.title or page.src_uri, qs) for page, qs in parts}
    if parts:
        report = handout.report_notebook([(page.title or page.src_uri, qs) for page, qs in parts])
        files.append(File.generated(config, variants.REPORT_NAME, content=report, inclusion=InclusionLevel.INCLUDED))
    sync_students(build.root, texts, notebooks.sync_mode(), log)


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


def _read(file) -> str:
    return Path(file.abs_src_path).read_text(encoding="utf-8")


def _vendor(build: Build) -> Path:
    import site_assets

    try:
        return build.vendor.result()
    except site_assets.AssetError as exc:
        raise BuildError(str(exc)) from exc


def markdown_page(build: Build, markdown: str, src_uri: str, label: str) -> str:
    """A Markdown page: its solutions/énoncé blocks kept or dropped, its question lists filled in."""
    import posixpath

    def questions_of(link: str):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), link))
        return (build.questions.get(target) or (None, None))[1]

    try:
        markdown = handout.select_blocks(markdown, build.show_solutions, label)
        return handout.expand_questions(markdown, questions_of, build.show_solutions, label)
    except ValueError as exc:
        raise BuildError(str(exc)) from exc


def page_content(build: Build, html: str, page, config) -> str:
    """A notebook page's HTML, made light, with its receipt (:mod:`render`)."""
    from mkdocs.utils import get_relative_url

    from . import figures, render

    shown = build.pages[page.file.src_uri]
    try:
        html, spent = render.page_html(
            html,
            url_of=lambda name: get_relative_url(name, page.url),
            site_dir=Path(config.site_dir),
            cache_dir=build.cache_dir,
            dest=Path(page.file.abs_dest_path),
            sheets=build.stylesheets,
            stamp=shown.receipt,
        )
    except figures.FigureMissing as exc:
        raise BuildError(f"{shown.page.label} : {exc}") from exc
    build.times["figures_s"] += spent
    return html


def finish(build: Build, config, log) -> None:
    """``on_post_build``: stylesheets; with the solutions hidden, the audit of what is published; the
    log; then ``site/`` replaced by the new site (unless ``--strict`` is about to refuse it)."""
    import time

    import site_assets

    from . import render

    site = Path(config.site_dir)
    render.write_stylesheets(build.stylesheets, site)
    if not build.show_solutions and build.secrets:
        committed = sorted((build.root / notebooks.EXERCISE_DIR).rglob("*.ipynb"))
        leaks = audit.site_leaks(build.secrets, site, committed, build.root)
        if leaks:
            raise BuildError(
                "des réponses seraient publiées alors que les solutions sont masquées :\n  "
                + "\n  ".join(leaks)
                + "\nMarquez ces passages comme réponses (voir « Les questions du TP » dans le guide)."
            )
    for rel, url in site_assets.external_requests(site):
        log(f"{rel} charge une ressource d'un autre hôte : {url}", warning=True)
    for line in networks_lines(build):
        log(line)
    total = time.monotonic() - build.started
    times = {
        "total_s": round(total, 1),
        "execution_s": round(build.times["execution_s"], 1),
        "rest_s": round(total - build.times["execution_s"], 1),
        "figures_s": round(build.times["figures_s"], 1),
    }
    log(
        f"construction en {total:.0f} s (exécution des pages {times['execution_s']:.0f} s, "
        f"le reste {times['rest_s']:.0f} s, dont figures {times['figures_s']:.1f} s)"
    )
    cache.atomic_write(
        build.cache_dir / "notebooks" / "last-build.json", json.dumps({**build.report, "times": times}, indent=1)
    )
    if config.strict and sitedir.strict_warnings():
        sitedir.abandon(build.building_dir)
        build.building_dir = None
        return
    sitedir.publish(build.building_dir, build.final_site_dir)
    config.site_dir = str(build.final_site_dir)
    build.building_dir = None


def networks_lines(build: Build) -> list[str]:
    """Which networks each executed page ran (the second one: VGG16 or what stood in for it)."""
    main = "squeezenet1_1"
    lines = []
    for shown in build.pages.values():
        nets = [n for n in (shown.receipt or {}).get("networks", []) if n.get("model") != main]
        if nets:
            names = []
            for n in nets:
                name = n.get("shown") or n.get("model")
                names.append(name if n.get("model") == "vgg16" else f"{name} (à la place de VGG16)")
            lines.append(f"{shown.page.label} : second réseau {', '.join(names)}")
    return lines


def abandon(build: Build | None) -> None:
    """``on_build_error``: the unfinished site goes; ``site/`` stays as it was."""
    if build is not None:
        sitedir.abandon(build.building_dir)
        build.building_dir = None


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


__all__ = ["BuildError", "Failure"]
