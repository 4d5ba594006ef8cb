"""The MkDocs build, stage by stage; ``tools/site_hooks.py`` calls these functions and nothing else.

=====================  ===============================  ==============================================
stage                  MkDocs event                     what it does
=====================  ===============================  ==============================================
:func:`configure`      ``on_config``                    settings, the switch (the log says what it
                                                        publishes), ``site/`` built aside
:func:`prepare`        ``on_files``                     each page read once (:mod:`pages`), then
                                                        :func:`pipeline.plan`, :func:`pipeline.run_pages`,
                                                        :func:`pipeline.outcomes`; the pages handed to
                                                        mkdocs-jupyter, the students' notebooks
:func:`markdown_page`  ``on_page_markdown``             a Markdown page's blocks and question lists
:func:`page_content`   ``on_page_content``              a notebook page's HTML (:mod:`render`)
:func:`finish`         ``on_post_build``                stylesheets, the audit of the site, the log,
                                                        ``site/`` swapped in
:func:`abandon`        ``on_build_error``               the unfinished site removed
=====================  ===============================  ==============================================
"""

from __future__ import annotations

import json
from pathlib import Path

from . import audit, cache, english, handout, notebooks, pages, photos, sitedir, solutions, text, translation, variants
from .pipeline import BuildError, outcomes, plan, run_pages, stated_answers, sync_students
from .state import Build, Shown

__all__ = ["Build", "BuildError", "abandon", "configure", "finish", "markdown_page", "page_content", "prepare"]


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
    edition = english.edition()
    lagging = None
    if english.enabled(Path(config.docs_dir)) and not config.extra.get("alternate"):
        config.extra["alternate"] = english.ALTERNATE  # the language switch (docs/overrides/partials/alternate.html)
    if edition == "en":  # the English edition, into <French site>/en (english.build_edition)
        import os

        config.site_dir = os.environ.get("TP8_EDITION_SITE_DIR") or str(Path(config.site_dir) / "en")
        lagging = english.configure(config, Path(config.docs_dir))
    try:
        execution = settings.execution(config.extra)
        switch = solutions.solutions_setting(config.extra)
        credited = photos.credits(root, Path(config.docs_dir))
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
        photos=credited,
        edition=edition,
        lagging=lagging,
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
    if build.edition == "en":  # it takes the French build's executions; it never runs a page itself
        todo = [p.page.label for p in planned if p.reason is not None]
        if todo:
            raise BuildError(
                "l'édition anglaise n'exécute rien, mais ces pages n'ont pas d'exécution en cache : "
                + ", ".join(todo)
                + " (construisez d'abord le site français : make site)"
            )
        store = cache.Store(build.cache_dir, edition="en")
    ran = run_pages(planned, build.execution, store, build.docs_dir, facts, log)
    build.times["execution_s"] = time.monotonic() - started
    build.report["executed"] = ran
    shown_variant = "corrige" if build.show_solutions else "enonce"
    rendered: set[Path] = set()
    tables: dict[str, translation.Lookup] = {}  # the English edition: each page's catalogue
    held_secrets: list[str] = []
    shown_texts: list[str] = []
    for outcome, p in zip(outcomes(planned, store), planned, strict=True):
        page = outcome.page
        if build.edition == "en":  # every variant in English: its text from the catalogue, its outputs from the run
            table = tables[page.src_uri] = translation.lookup(
                translation.catalogue_path(build.docs_dir, page.src_uri), page.src_uri, translation.page_messages(page)
            )
            english.code_passages(page, table, build.lagging)
            outcome.notebooks = {
                name: english.notebook(nb, page, table, build.lagging) for name, nb in outcome.notebooks.items()
            }
        variant = shown_variant if shown_variant in outcome.notebooks else "corrige"
        paths = {}
        for name, nb in outcome.notebooks.items():
            existed = store.rendered_path(page.stem, nb).is_file()
            paths[name] = store.rendered(page.stem, nb)
            rendered.add(paths[name])
            if name == variant and page.label not in ran:
                build.report["unchanged" if existed else "text_only"].append(page.label)
                if not existed and outcome.record is not None and build.edition == "fr":
                    log(f"{page.label} — texte modifié, pas de ré-exécution")
        if p.excluded or outcome.record is None:
            log(f"{page.label} — non exécutée ({'exclue' if p.excluded else 'execute: off'}), affichée sans sorties")
        receipt = (outcome.notebooks[variant].metadata.get("tp8_build") or {}).get("receipt")
        if build.holds(page):  # its notice in its place: no figure, no receipt, none of its sentences
            title = None
            if build.edition == "en":
                title = _title(build, page, table)
            notice = variants.held_notice(page, build.solutions.value or None, build.edition, title)
            held_secrets += audit.held_secrets(outcome.notebooks[variant], notice)
            variant, receipt, paths["notice"] = "notice", None, store.rendered(page.stem, notice)
            rendered.add(paths["notice"])
        else:  # what its run displays (not what its author wrote)
            shown = outcome.notebooks[variant]
            shown_texts += [part for c in shown.cells if c.cell_type == "code" for part in text.cell_text(c)]
        build.pages[page.src_uri] = Shown(page, variant, paths[variant], receipt, {}, p.key if outcome.record else None)
        by_uri[page.src_uri].abs_src_path = str(paths[variant])
        if not build.show_solutions and page.has_exercises:
            # In the English edition: the answers in English (the page as the catalogue translates it).
            said = page if build.edition == "fr" else _english_page(page, tables[page.src_uri])
            build.secrets += audit.secrets(said, stated_answers(outcome))
    # What another page's run displays all the same (a notice of tp8.course common to the pages, such as
    # the second network's) is no secret of a held page; an author quoting it in prose still is.
    build.secrets += audit.not_public(held_secrets, shown_texts)
    store.evict({p.page.stem: p.key for p in planned}, rendered, records=build.edition == "fr")
    held = [page.label for page in read if build.holds(page)]
    if held:
        log(f"pages publiées avec les corrigés, retenues jusque-là (un avis à leur place) : {', '.join(held)}")

    vendor_root = _vendor(build)
    for rel in site_assets.asset_files(vendor_root):
        files.append(
            File(rel, str(vendor_root), config.site_dir, config.use_directory_urls, inclusion=InclusionLevel.INCLUDED)
        )

    # Student notebooks: downloads in the site, committed copies for Colab (the one implementation,
    # notebooks.py). The énoncé of a page is always offered; its corrigé only with the solutions.
    texts = notebooks.contents(read, build.repo, lang=build.edition)
    if build.edition == "en":  # in English; Colab opens notebooks of the repository, which are French
        docs_rel = build.docs_dir.resolve().relative_to(build.root).as_posix()
        for page in read:
            for rel in [notebooks.student_path(page), notebooks.student_path(page, exercise=True)]:
                if rel in texts:
                    texts[rel] = english.student_notebook(texts[rel], page, tables[page.src_uri], build.repo, docs_rel)
    for page in read:
        if build.holds(page):
            continue  # nothing to download: its notebook comes with the corrigés
        rel = notebooks.student_path(page)
        entry = {"download": None, "colab": None, "filename": rel.rsplit("/", 1)[-1], "exercise": None}
        if build.show_solutions or not page.has_exercises:
            files.append(File.generated(config, rel, content=texts[rel], inclusion=InclusionLevel.INCLUDED))
            entry.update(download=rel, colab=build.repo.colab_url(rel) if build.edition == "fr" else None)
        if page.has_exercises:
            ex_rel = notebooks.student_path(page, exercise=True)
            files.append(File.generated(config, ex_rel, content=texts[ex_rel], inclusion=InclusionLevel.INCLUDED))
            stem = ex_rel.rsplit("/", 1)[-1][: -len(".ipynb")]
            entry["exercise"] = {
                "download": ex_rel,
                "colab": build.repo.colab_url(ex_rel) if build.edition == "fr" else None,
                "filename": f"{stem}-enonce.ipynb",
            }
        build.pages[page.src_uri].downloads = entry
    try:
        parts = handout.course_questions(read)
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    if build.edition == "en":  # the questions as the English pages state them, under their English titles
        parts = [
            (
                page,
                handout.translated_questions(
                    qs, english.notebook(page.nb, page, tables[page.src_uri], english.Lagging())
                ),
            )
            for page, qs in parts
        ]
    titles = {page.src_uri: _title(build, page, tables.get(page.src_uri)) for page, _qs in parts}
    build.questions = {page.src_uri: (titles[page.src_uri], qs) for page, qs in parts}
    if parts:
        report = handout.report_notebook([(titles[page.src_uri], qs) for page, qs in parts], lang=build.edition)
        files.append(File.generated(config, variants.REPORT_NAME, content=report, inclusion=InclusionLevel.INCLUDED))
    if build.edition == "fr":  # notebooks/ holds the French notebooks (Colab opens them from the repository)
        sync_students(build.root, texts, notebooks.sync_mode(), log)


def _english_page(page, table):
    """``page`` with its notebook in English (its answers as the English edition states them)."""
    import dataclasses

    return dataclasses.replace(page, nb=english.notebook(page.nb, page, table, english.Lagging()))


def _title(build: Build, page, table) -> str:
    """A page's title in the build's edition (its English from the catalogue, when there is one)."""
    if build.edition == "en" and page.title and table is not None:
        english_title = table.english(f"# {page.title}")[0]
        if english_title:
            return english_title.removeprefix("# ").strip()
    return page.title or page.src_uri


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

    if build.edition == "en":  # the author's text in English first; what the build writes in, after
        source = (build.docs_dir / src_uri).read_text(encoding="utf-8")
        table = translation.lookup(
            translation.catalogue_path(build.docs_dir, src_uri), src_uri, translation.md_messages(source)
        )
        offset = source.count("\n") - markdown.count("\n") if source.endswith(markdown) else 0
        markdown = english.markdown(markdown, label, table, build.lagging, 1 + max(0, offset))
    try:
        markdown = handout.select_blocks(markdown, build.show_solutions, label)
        markdown = photos.expand_credits(markdown, build.photos, lang=build.edition)
        parts = []
        for uri, (title, qs) in build.questions.items():
            parts.append((posixpath.relpath(uri, posixpath.dirname(src_uri) or "."), title, qs))
        parts.sort(key=lambda part: part[2][0].number)
        markdown = handout.expand_facts(markdown, handout.question_facts(parts, lang=build.edition), label)
        return handout.expand_questions(markdown, questions_of, build.show_solutions, label, lang=build.edition)
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
            lang=build.edition,
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
        # The pages published whole: neither an énoncé nor a notice in their place.
        whole = [shown.page.text for shown in build.pages.values() if shown.variant == "corrige"]
        leaks = audit.site_leaks(audit.not_public(build.secrets, whole), site, committed, build.root)
        if leaks:
            raise BuildError(
                "des réponses seraient publiées alors que les solutions sont masquées :\n  "
                + "\n  ".join(leaks)
                + "\nMarquez ces passages comme réponses (voir « Les questions du TP » dans le guide)."
            )
    for rel, url in site_assets.external_requests(site):
        log(f"{rel} charge une ressource d'un autre hôte : {url}", warning=True)
    if build.edition == "en":
        lines = build.lagging.lines() if build.lagging is not None else []
        for line in lines:
            log(f"anglais en retard : {line}", warning=False)
        log(
            f"édition anglaise : {len(lines)} passage(s) ou sortie(s) sans anglais à jour"
            if lines
            else "édition anglaise : tout est traduit"
        )
        _swap_in(build, config)
        return
    for line in networks_lines(build):
        log(line)
    english_s = None
    if english.enabled(build.docs_dir):  # the English edition, from this build's executions, into site/en
        started = time.monotonic()
        try:
            english.build_edition(Path(config.config_file_path), site / "en", bool(config.strict), log)
        except RuntimeError as exc:
            raise BuildError(str(exc)) from exc
        english_s = round(time.monotonic() - started, 1)
        log(f"édition anglaise construite en {english_s:.0f} s (aucune page exécutée)")
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
        build.cache_dir / "notebooks" / "last-build.json",
        json.dumps(
            {
                **build.report,
                "solutions": build.show_solutions,
                "site_dir": str(build.final_site_dir.resolve()),
                "times": {**times, "english_s": english_s},
            },
            indent=1,
        ),
    )
    _swap_in(build, config)


def _swap_in(build: Build, config) -> None:
    """The new site in place of the old one, unless ``--strict`` is about to refuse it (then it goes)."""
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
