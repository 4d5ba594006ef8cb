"""MkDocs hooks of the course site (declared under ``hooks:`` in ``mkdocs.yml``).

* Repository links: ``repo_url`` comes from ``mkdocs.yml``, overridden by ``TP8_REPO_URL`` or, on
  GitHub Actions, by ``GITHUB_REPOSITORY``; edit links, the Colab links and the install cell of the
  student notebooks all derive from it.
* Notebook pages: executed by ``site_notebooks`` with a cache keyed on the page *and* on ``tp8``
  (mkdocs-jupyter's own cache keys on the page only), several at a time, with a per-cell timeout;
  a failing cell stops the build with the notebook, the cell and the error. mkdocs-jupyter then
  renders the executed copy (matched by ``execute_ignore: ["*.executed.ipynb"]``, so it is not
  executed twice).
* Student notebooks: each page offers its output-free ``.ipynb`` (first cell: install ``tp8``) and
  an "Ouvrir dans Colab" link; ``notebooks/`` in the repository is kept in sync (Colab opens
  notebooks from GitHub only).
* Exercises: a page with nbgrader's ``### BEGIN SOLUTION`` markers (``site_exercises``) also offers
  its exercise ("énoncé", ``notebooks/exercices/``). The instructor's switch
  ``extra: tp8: solutions:`` (``TP8_SOLUTIONS`` overrides it) decides whether the site shows the
  solutions; when it is off, such a page is built from its exercise (stubs and notices, its
  ``check`` cells not run), under a cache key of its own, and its solution notebook is neither
  offered nor written into the site. A page whose self-check (``tp8.checks``) fails is not
  published. The switch may be a date (``solutions: 2027-01-15``): before it, the énoncés; from it
  on, the solutions; today's date is taken in ``extra: tp8: timezone:`` (default Europe/Paris).
* The hand-out: the written answers to the lab's questions are solutions too (``site_exercises``:
  the ``question`` cells and their sections); the énoncé ends each question with an answer box.
  The questions, read from the pages' ``question`` cells, make the report template
  ``compte-rendu-tp8.ipynb`` (site root) and the lists ``<!-- tp8:questions PAGE.py -->`` of the
  Markdown pages; ``<!-- tp8:solutions -->…<!-- /tp8:solutions -->`` and
  ``<!-- tp8:enonce -->…<!-- /tp8:enonce -->`` blocks of a Markdown page are kept or dropped with
  the switch.
* Notebook pages are made lighter: their figures become files (``assets/figures/``) — converted
  once, while the page runs, into ``.cache/figures``; the executed notebook and nbconvert's HTML
  only carry small markers (``site_figures``) — and the ~600 kB of JupyterLab CSS mkdocs-jupyter
  inlines in each is served once (``assets/notebook/``), cut down to the rules the pages use
  (``site_css``: about 130 kB).
* A receipt at the foot of each executed page: when it ran (UTC), for how long, with which versions
  (Python, torch, torchvision, tp8 and its commit), which weights (name and SHA-256 prefix, or
  torchvision's entry; never a path) and on which device (``site_notebooks.receipt``). It is
  recorded with the outputs, so a page whose text alone changed keeps the receipt of its run.
* The build's time, execution and the rest, is logged and kept in ``.cache/notebooks/build-times.json``.
* Third-party assets: MathJax and the fonts are added to the site from ``.cache/vendor`` (see
  ``site_assets``); notebook pages lose the MathJax 2 / mermaid loaders nbconvert puts in them
  (``docs/javascripts/mathjax.js`` typesets every page); after the build, any reference to another
  host that a browser would fetch fails the (strict) build.

Settings live in ``mkdocs.yml`` under ``extra: tp8_build:`` (``cell_timeout``, ``workers``).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import re
import time
from pathlib import Path

import site_assets
import site_css
import site_exercises
import site_figures
import site_notebooks
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.tp8")

_state: dict = {}


def _jupyter_plugin(config):
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None:
        raise PluginError("tp8 : le greffon mkdocs-jupyter doit être déclaré dans mkdocs.yml.")
    return plugin


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _cache_dir(config) -> Path:
    return _root(config) / ".cache"


def _site_url(repo_url: str, configured: str | None) -> str | None:
    """Where GitHub Pages publishes the site: ``TP8_SITE_URL``, else derived from the repository
    when it was set from the environment (a fork), else ``site_url`` from ``mkdocs.yml``.
    Material's instant loading needs it (it reads the sitemap)."""
    explicit = os.environ.get("TP8_SITE_URL", "").strip()
    if explicit:
        return explicit.rstrip("/") + "/"
    from_env = os.environ.get("TP8_REPO_URL", "").strip() or os.environ.get("GITHUB_REPOSITORY", "").strip()
    match = re.match(r"^https://github\.com/([^/]+)/([^/]+?)/?$", repo_url)
    if from_env and match:
        owner, name = match.groups()
        if name.lower() == f"{owner.lower()}.github.io":
            return f"https://{owner.lower()}.github.io/"
        return f"https://{owner.lower()}.github.io/{name}/"
    return configured


def on_config(config):
    _state["clock"] = {"start": time.monotonic(), "figures_s": 0.0}
    repo = site_notebooks.resolve_repo(config.repo_url, config.edit_uri)
    config.repo_url = repo.url
    config.repo_name = repo.name
    config.site_url = _site_url(repo.url, config.site_url)
    _state["repo"] = repo
    build = dict(config.extra.get("tp8_build") or {})
    jupyter = _jupyter_plugin(config).config
    _state["settings"] = site_notebooks.ExecSettings(
        kernel_name=jupyter.get("kernel_name") or "python3",
        timeout=int(os.environ.get("TP8_SITE_CELL_TIMEOUT") or build.get("cell_timeout", 600)),
        allow_errors=bool(jupyter.get("allow_errors", False)),
        workers=int(os.environ.get("TP8_SITE_WORKERS") or build.get("workers", 2)),
    )
    _state["execute"] = bool(jupyter.get("execute", False))
    try:
        setting = site_notebooks.solutions_setting(config.extra)
        _state["solutions"] = setting.shown()
    except ValueError as exc:
        raise PluginError(f"tp8 : {exc}") from exc
    if setting.value is not True:
        # A date, or false: say what this build publishes, and by which day and time zone.
        log.info(f"tp8 : {setting.describe()}")
    # MathJax, the fonts…: fetched with npm on a first build (seconds of network), while the pages
    # run; on_files waits for them once the pages are executed (_vendor_root).
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tp8-vendor")
    _state["vendor"] = pool.submit(site_assets.ensure_assets, _cache_dir(config), log=log.info)
    pool.shutdown(wait=False)
    return config


def _vendor_root() -> Path:
    try:
        return _state["vendor"].result()
    except site_assets.AssetError as exc:
        raise PluginError(f"tp8 : {exc}") from exc


def on_pre_build(config):
    _state["notebook_css"] = {}
    _state["notebook_css_pages"] = {}


def _is_notebook(file, plugin) -> bool:
    # exclude_docs (e.g. a draft page): neither executed nor shown. mkdocs-jupyter wraps pages in a
    # NotebookFile that does not carry the inclusion level: read it on the wrapped file.
    if getattr(file, "file", file).inclusion.is_excluded():
        return False
    return file.abs_src_path is not None and file.src_uri.endswith(".py") and plugin.should_include(file)


def on_files(files: Files, config):
    root = _root(config)
    docs_dir = Path(config.docs_dir)
    plugin = _jupyter_plugin(config)
    repo = _state["repo"]
    settings = _state["settings"]

    notebooks = [f for f in files if _is_notebook(f, plugin)]

    # 2. Execute the notebook pages whose code changed (or whose tp8/environment changed); a page
    #    whose Markdown alone changed is not run again: its last outputs are put under its new text.
    notebooks_cache = _cache_dir(config) / "notebooks"
    executed_dir = notebooks_cache / "executed"
    rendered_dir = notebooks_cache / "pages"
    env = site_notebooks.kernel_environment()
    facts = site_notebooks.environment_facts(env)
    env_print = site_notebooks.fingerprint(facts)
    facts_file = notebooks_cache / "facts.json"
    record_file = notebooks_cache / "pages.json"
    record = _read_json(record_file) or {}
    solutions = _state["solutions"]
    exercise_sources = notebooks_cache / "exercises"
    pages, jobs, why, originals, questions = {}, [], {}, {}, {}
    _state["receipts"] = {}
    for file in notebooks:
        source = Path(file.abs_src_path)
        page_label = f"{Path(config.docs_dir).name}/{file.src_uri}"
        original = site_notebooks.read_notebook(source)
        text = source.read_text(encoding="utf-8")
        try:
            exercises = site_exercises.has_exercises(original, page_label, text)
            # Without the solutions, a page with exercises is built from its exercise: other code, other key.
            nb = (
                original
                if solutions or not exercises
                else site_exercises.exercise(original, page_label, text, for_site=True)
            )
            asked = site_exercises.questions(original, page_label, text)
        except site_exercises.ExerciseError as exc:
            raise PluginError(f"tp8 : {exc}") from exc
        from_exercise = nb is not original
        label = f"{page_label} (énoncé)" if from_exercise else page_label
        originals[file.src_uri] = (original, page_label, exercises)
        if asked:
            questions[file.src_uri] = (site_notebooks.page_title(original) or file.src_uri, asked)
        # Links to the report template (site root): MkDocs does not rewrite the links of notebook pages.
        nb = site_notebooks.retarget_links(nb, file.url)
        key = site_notebooks.cache_key(nb, env_print, settings)
        stem = file.src_uri[: -len(".py")].replace("/", "__")
        executed = executed_dir / f"{stem}.{key[:24]}.executed.ipynb"
        shown = site_notebooks.fingerprint({"code": key, "display": site_notebooks.display_key(nb)})
        rendered = rendered_dir / f"{stem}.{shown[:24]}.executed.ipynb"
        pages[file.src_uri] = (file, source, nb, executed, rendered, label)
        if executed.exists() and not _figures_present(executed, _cache_dir(config)):
            log.info(f"tp8 : {label} — ses figures manquent dans .cache/figures, la page est ré-exécutée")
            executed.unlink(missing_ok=True)
        if _state["execute"] and not executed.exists():
            rendered.unlink(missing_ok=True)  # made again from the new run
            notebook = None
            if from_exercise:
                import nbformat

                notebook = exercise_sources / f"{stem}.{key[:24]}.ipynb"
                _atomic_write(notebook, nbformat.writes(nb))
            jobs.append(site_notebooks.Job(source, executed, label, notebook))
            old = (record.get(label) or {}).get("code_cells")
            why[label] = site_notebooks.describe_code_changes(old, nb, source)
    if jobs:
        previous = _read_json(facts_file)
        reasons = site_notebooks.describe_changes(previous, facts)
        if reasons:
            log.info("tp8 : notebooks à exécuter — " + "; ".join(reasons))
        else:
            for job in jobs:
                log.info(f"tp8 : {job.label} à exécuter — {why[job.label]}")
    started = time.monotonic()
    failures = site_notebooks.execute_all(
        jobs, settings, cwd=docs_dir, env=env, cache_dir=notebooks_cache, log=log.info, figures=_cache_dir(config)
    )
    _state["clock"]["execution_s"] = time.monotonic() - started
    for job in jobs:
        if job.notebook is not None:
            job.notebook.unlink(missing_ok=True)
    if failures:
        text = "\n\n".join(f.message() for f in failures)
        raise PluginError(f"tp8 : {len(failures)} notebook(s) en échec, le site n'est pas construit.\n\n{text}")

    # 1. MathJax and fonts, served by the site itself (fetched while the pages ran, see on_config).
    vendor_root = _vendor_root()
    for rel in site_assets.asset_files(vendor_root):
        files.append(
            File(rel, str(vendor_root), config.site_dir, config.use_directory_urls, inclusion=InclusionLevel.INCLUDED)
        )
    if jobs:
        facts_file.parent.mkdir(parents=True, exist_ok=True)
        facts_file.write_text(json.dumps(facts, indent=1, sort_keys=True), encoding="utf-8")
    build = {"executed": [j.label for j in jobs], "text_only": [], "unchanged": []}
    if _state["execute"]:
        import nbformat

        ran = {j.label for j in jobs}
        for file, _source, nb, executed, rendered, label in pages.values():
            if not rendered.exists():
                merged = site_notebooks.merge_outputs(nb, nbformat.read(executed, as_version=4))
                rendered.parent.mkdir(parents=True, exist_ok=True)
                _atomic_write(rendered, nbformat.writes(merged))
                if label not in ran:
                    build["text_only"].append(label)
                    log.info(f"tp8 : {label} — texte modifié, pas de ré-exécution")
            elif label not in ran:
                build["unchanged"].append(label)
            shown = nbformat.read(rendered, as_version=4)
            # The receipt (when, how long, versions, weights, device) comes with the outputs, also
            # when only the text changed: it says what produced them.
            _state["receipts"][file.src_uri] = (shown.metadata.get("tp8_build") or {}).get("receipt")
            missing = site_notebooks.unstated_claims(shown)
            if missing:
                listing = "\n".join(f"  « {m} »" for m in missing)
                raise PluginError(
                    f"tp8 : {label} vérifie par tp8.course.claim() des phrases que la page ne contient plus :\n"
                    f"{listing}\nMettez la phrase du texte et celle de claim() d'accord."
                )
            failed = site_notebooks.failed_checks(shown)
            if failed:
                listing = "\n".join(f"  {c.get('verdict', c.get('function'))}" for c in failed)
                fix = (
                    "Corrigez la solution (ou sa vérification) : le site ne publie pas un corrigé qui échoue."
                    if label == originals[file.src_uri][1]
                    else "Sans les solutions, une cellule qui appelle tp8.checks doit être étiquetée "
                    f"« {site_exercises.CHECK_TAG} » (elle n'est alors pas exécutée)."
                )
                raise PluginError(f"tp8 : {label} : une vérification de tp8.checks échoue :\n{listing}\n{fix}")
            record[label] = {"code_cells": [fp for _, fp in site_notebooks.code_cells(nb)]}
            # mkdocs-jupyter reads the page from abs_src_path: hand it the executed copy.
            file.abs_src_path = str(rendered)
        _evict(executed_dir, {p[3] for p in pages.values()})
        _evict(rendered_dir, {p[4] for p in pages.values()})
        _atomic_write(record_file, json.dumps(record, indent=1, sort_keys=True))
    _atomic_write(notebooks_cache / "last-build.json", json.dumps(build, indent=1))

    # 3. Student notebooks: downloads in the site, committed copies for Colab. The exercise of a page
    #    ("énoncé") is always offered; its solution notebook only when the solutions are shown.
    contents, info = {}, {}
    for src_uri, (_file, source, *_rest) in pages.items():
        original, page_label, exercises = originals[src_uri]
        rel = site_notebooks.student_path(docs_dir, source)
        text = site_notebooks.student_ipynb(original, repo)
        contents[rel] = text
        entry = {"download": None, "colab": None, "filename": rel.rsplit("/", 1)[-1], "exercise": None}
        if solutions or not exercises:
            files.append(File.generated(config, rel, content=text, inclusion=InclusionLevel.INCLUDED))
            entry.update(download=rel, colab=repo.colab_url(rel))
        if exercises:
            ex_rel = site_notebooks.student_path(docs_dir, source, exercise=True)
            ex_text = site_notebooks.student_ipynb(
                site_exercises.exercise(original, page_label, source.read_text(encoding="utf-8")), repo
            )
            contents[ex_rel] = ex_text
            files.append(File.generated(config, ex_rel, content=ex_text, inclusion=InclusionLevel.INCLUDED))
            stem = ex_rel.rsplit("/", 1)[-1][: -len(".ipynb")]
            entry["exercise"] = {
                "download": ex_rel,
                "colab": repo.colab_url(ex_rel),
                "filename": f"{stem}-enonce.ipynb",
            }
        info[src_uri] = entry
    _state["notebook_info"] = info
    _state["questions"] = questions
    seen: dict[int, str] = {}
    for src_uri, (_title, asked) in questions.items():
        for q in asked:
            if q.number in seen:
                raise PluginError(f"tp8 : Q{q.number} est posée deux fois : dans {seen[q.number]} et dans {src_uri}.")
            seen[q.number] = src_uri
    if questions:
        # The report template, one heading per question (the same questions as the Questions page).
        report = site_notebooks.report_notebook(sorted(questions.values(), key=lambda part: part[1][0].number))
        files.append(
            File.generated(config, site_notebooks.REPORT_NAME, content=report, inclusion=InclusionLevel.INCLUDED)
        )
    mode = site_notebooks.sync_mode()
    if mode != "off" and pages:
        changed, stale = site_notebooks.sync_student_notebooks(root, docs_dir, repo, mode, contents)
        if mode == "write":
            for rel in changed:
                log.info(f"tp8 : {rel} régénéré (à committer avec la page)")
            for rel in stale:
                log.info(f"tp8 : {rel} supprimé (plus de page correspondante)")
        elif changed or stale:
            log.warning(
                "tp8 : notebooks/ n'est pas à jour (%s) ; lancez `make notebooks` puis committez-le.",
                ", ".join(changed + stale),
            )
    return files


def _figures_present(executed: Path, cache_dir: Path) -> bool:
    """Whether the figure files an executed notebook refers to are still in ``.cache/figures``."""
    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    names = ((nb.get("metadata") or {}).get("tp8_build") or {}).get("figures") or []
    return not site_figures.missing_files(names, cache_dir)


def _read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _atomic_write(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _evict(executed_dir: Path, used: set[Path], keep: int = 3) -> None:
    """Keep, per page, the copies in use and the most recent others (switching back is free)."""
    by_page: dict[str, list[Path]] = {}
    for path in executed_dir.glob("*.executed.ipynb"):
        by_page.setdefault(path.name.split(".")[0], []).append(path)
    for runs in by_page.values():
        runs.sort(key=lambda p: (p in used, p.stat().st_mtime), reverse=True)
        for old in runs[keep:]:
            old.unlink(missing_ok=True)


def on_page_markdown(markdown, page, config, files):
    """Markdown pages: the solutions/énoncé blocks kept or dropped, the question lists filled in."""
    if page.file.src_uri in _state.get("notebook_info", {}) or not page.file.src_uri.endswith(".md"):
        return markdown
    import posixpath

    label = f"{Path(config['docs_dir']).name}/{page.file.src_uri}"
    questions = _state.get("questions", {})

    def questions_of(link: str):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), link))
        return (questions.get(target) or (None, None))[1]

    try:
        markdown = site_notebooks.select_blocks(markdown, _state.get("solutions", True), label)
        return site_notebooks.expand_questions(markdown, questions_of, _state.get("solutions", True), label)
    except ValueError as exc:
        raise PluginError(f"tp8 : {exc}") from exc


def on_page_context(context, page, config, nav):
    info = _state.get("notebook_info", {}).get(page.file.src_uri)
    if info is not None:
        page.meta["tp8_notebook"] = info
        if info.get("exercise") and not _state.get("solutions", True):
            page.edit_url = None  # the "edit" button would lead to the page's source, solutions included
    return context


# nbconvert's page header loads MathJax 2 from a CDN (or an empty src) and configures it with the
# v2 API; mermaid is imported from a CDN too. Our MathJax 3 (docs/javascripts/mathjax.js) typesets
# notebook pages, so these blocks go.
_MATHJAX2 = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
_MERMAID = re.compile(r'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>', re.DOTALL)
# mkdocs-jupyter appends the Python repr of the pygments CSS list after an .ipynb page.
_CSS_LIST = re.compile(r"\s*<style>\s*\[(?:(?!</style>).)*\]\s*</style>\s*$", re.DOTALL)
# nbconvert's heading anchors become Material's (styled alike, and left out of search titles).
_ANCHOR = re.compile(r'<a class="anchor-link" href="(#[^"]*)">¶</a>')


# mkdocs-jupyter inlines ~600 kB of JupyterLab CSS in every notebook page: served once instead.
_NB_STYLE = re.compile(r'<style type="text/css">(.*?)</style>', re.DOTALL)
_WRAPPER = '<div class="jupyter-wrapper">'


# Before mkdocs-glightbox (priority 0), which links each <img> to its src: the figures must be
# files by then, or each link would repeat the image's data URI.
@event_priority(50)
def on_page_content(html, page, config, files):
    if page.file.src_uri not in _state.get("notebook_info", {}):
        return html
    html = _MATHJAX2.sub("", html)
    html = _MERMAID.sub("", html)
    html = _CSS_LIST.sub("", html)
    html = _ANCHOR.sub(r'<a class="headerlink" href="\1" title="Lien vers cette section">¶</a>', html)
    started = time.monotonic()
    try:
        html, _figures = site_figures.rewrite_images(
            html, lambda name: get_relative_url(name, page.url), Path(config.site_dir), _cache_dir(config)
        )
    except site_figures.FigureMissing as exc:
        raise PluginError(f"tp8 : {page.file.src_uri} : {exc}") from exc
    if "clock" in _state:
        _state["clock"]["figures_s"] += time.monotonic() - started
    head, sep, body = html.partition(_WRAPPER)
    styles = _NB_STYLE.findall(head) if sep else []
    if styles:
        css = "\n".join(style.strip() for style in styles) + "\n"
        name = f"assets/notebook/notebook.{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        _state["notebook_css"][name] = css
        _state["notebook_css_pages"].setdefault(name, []).append(Path(page.file.abs_dest_path))
        href = get_relative_url(name, page.url)
        html = _NB_STYLE.sub("", head) + f'<link rel="stylesheet" href="{href}">\n' + sep + body
    # The receipt at the foot of the page: what produced its outputs (site_notebooks.receipt).
    return html + site_notebooks.receipt_html(_state.get("receipts", {}).get(page.file.src_uri))


def on_post_build(config):
    # The notebook stylesheet, cut down to the rules its pages use (site_css), named by its content;
    # the pages, written by now, are pointed at it.
    for name, css in _state.get("notebook_css", {}).items():
        pages = [p for p in _state.get("notebook_css_pages", {}).get(name, []) if p.is_file()]
        texts = {p: p.read_text(encoding="utf-8") for p in pages}
        if texts:
            used = set().union(*(site_css.classes_in(text) for text in texts.values()))
            css = site_css.purge(css, used)
        final = f"assets/notebook/notebook.{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        target = Path(config.site_dir) / final
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
        old, new = name.rsplit("/", 1)[-1], final.rsplit("/", 1)[-1]
        for path, text in texts.items():
            if old != new:
                path.write_text(text.replace(old, new), encoding="utf-8")
    bad = site_assets.external_requests(Path(config.site_dir))
    for rel, url in bad:
        log.warning(f"tp8 : {rel} charge une ressource d'un autre hôte : {url}")
    _log_build_time(config)


def _log_build_time(config) -> None:
    """Where the build's time went, in the log and in ``.cache/notebooks/build-times.json``."""
    clock = _state.get("clock")
    if not clock:
        return
    total = time.monotonic() - clock["start"]
    execution = clock.get("execution_s", 0.0)
    times = {
        "total_s": round(total, 1),
        "execution_s": round(execution, 1),
        "rest_s": round(total - execution, 1),
        "figures_s": round(clock["figures_s"], 1),
    }
    log.info(
        f"tp8 : construction en {total:.0f} s (exécution des pages {execution:.0f} s, "
        f"le reste {total - execution:.0f} s, dont figures {clock['figures_s']:.1f} s)"
    )
    _atomic_write(_cache_dir(config) / "notebooks" / "build-times.json", json.dumps(times, indent=1))
