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
  published.
* Notebook pages are made lighter: their inlined figures become files (``assets/figures/``) and
  the ~600 kB of JupyterLab CSS mkdocs-jupyter inlines in each is served once (``assets/notebook/``).
* Third-party assets: MathJax and the fonts are added to the site from ``.cache/vendor`` (see
  ``site_assets``); notebook pages lose the MathJax 2 / mermaid loaders nbconvert puts in them
  (``docs/javascripts/mathjax.js`` typesets every page); after the build, any reference to another
  host that a browser would fetch fails the (strict) build.

Settings live in ``mkdocs.yml`` under ``extra: tp8_build:`` (``cell_timeout``, ``workers``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path

import site_assets
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
        _state["solutions"] = site_notebooks.solutions_shown(config.extra)
    except ValueError as exc:
        raise PluginError(f"tp8 : {exc}") from exc
    if not _state["solutions"]:
        log.info(
            "tp8 : solutions masquées (extra.tp8.solutions / TP8_SOLUTIONS) : les exercices sont publiés sans corrigé"
        )
    try:
        _state["vendor"] = site_assets.ensure_assets(_cache_dir(config), log=log.info)
    except site_assets.AssetError as exc:
        raise PluginError(f"tp8 : {exc}") from exc
    return config


def on_pre_build(config):
    _state["notebook_css"] = {}


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

    # 1. MathJax and fonts, served by the site itself.
    vendor_root = _state["vendor"]
    for rel in site_assets.asset_files(vendor_root):
        files.append(
            File(rel, str(vendor_root), config.site_dir, config.use_directory_urls, inclusion=InclusionLevel.INCLUDED)
        )

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
    pages, jobs, why, originals = {}, [], {}, {}
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
        except site_exercises.ExerciseError as exc:
            raise PluginError(f"tp8 : {exc}") from exc
        label = page_label if nb is original else f"{page_label} (énoncé)"
        originals[file.src_uri] = (original, page_label, exercises)
        key = site_notebooks.cache_key(nb, env_print, settings)
        stem = file.src_uri[: -len(".py")].replace("/", "__")
        executed = executed_dir / f"{stem}.{key[:24]}.executed.ipynb"
        shown = site_notebooks.fingerprint({"code": key, "display": site_notebooks.display_key(nb)})
        rendered = rendered_dir / f"{stem}.{shown[:24]}.executed.ipynb"
        pages[file.src_uri] = (file, source, nb, executed, rendered, label)
        if _state["execute"] and not executed.exists():
            notebook = None
            if nb is not original:
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
    failures = site_notebooks.execute_all(
        jobs, settings, cwd=docs_dir, env=env, cache_dir=notebooks_cache, log=log.info
    )
    for job in jobs:
        if job.notebook is not None:
            job.notebook.unlink(missing_ok=True)
    if failures:
        text = "\n\n".join(f.message() for f in failures)
        raise PluginError(f"tp8 : {len(failures)} notebook(s) en échec, le site n'est pas construit.\n\n{text}")
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
    html, _figures = site_figures.rewrite_images(
        html, lambda name: get_relative_url(name, page.url), Path(config.site_dir), _cache_dir(config)
    )
    head, sep, body = html.partition(_WRAPPER)
    styles = _NB_STYLE.findall(head) if sep else []
    if styles:
        css = "\n".join(style.strip() for style in styles) + "\n"
        name = f"assets/notebook/notebook.{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        _state["notebook_css"][name] = css
        href = get_relative_url(name, page.url)
        html = _NB_STYLE.sub("", head) + f'<link rel="stylesheet" href="{href}">\n' + sep + body
    return html


def on_post_build(config):
    for name, css in _state.get("notebook_css", {}).items():
        target = Path(config.site_dir) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
    bad = site_assets.external_requests(Path(config.site_dir))
    for rel, url in bad:
        log.warning(f"tp8 : {rel} charge une ressource d'un autre hôte : {url}")
