"""MkDocs hooks of the course site (``hooks:`` in ``mkdocs.yml``): a thin adapter.

Each ``on_*`` calls one function of ``sitebuild.build``, which does the work (``tools/README.md``
maps the stages); the build's state is one typed object (``sitebuild.state.Build``), made anew by
each build (``mkdocs serve`` rebuilds included). A ``BuildError`` of a stage becomes MkDocs's
``PluginError``: the build stops with its message, and ``site/`` stays as it was.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

# The stages are a package beside this file; MkDocs puts this folder on sys.path only while it
# imports the hook, and the stages import some of their modules later.
_TOOLS = str(Path(__file__).resolve().parent)
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from sitebuild import build as stages  # noqa: E402
from sitebuild.execute import Interrupted  # noqa: E402

_log = logging.getLogger("mkdocs.hooks.tp8")
_build: stages.Build | None = None


def log(message: str, warning: bool = False) -> None:
    (_log.warning if warning else _log.info)(f"tp8 : {message}")


def _stage(function, *args):
    try:
        return function(*args)
    except stages.BuildError as exc:
        raise PluginError(f"tp8 : {exc}") from None
    except (Interrupted, KeyboardInterrupt) as exc:  # SIGTERM or Ctrl-C: the pages were stopped
        stages.abandon(_build)
        _log.error("tp8 : construction interrompue ; site/ et le cache sont restés tels quels")
        raise SystemExit(143 if isinstance(exc, Interrupted) else 130) from None


def _jupyter(config):
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None:
        raise PluginError("tp8 : le greffon mkdocs-jupyter doit être déclaré dans mkdocs.yml.")
    return plugin


def _is_notebook(file, plugin) -> bool:
    # exclude_docs (e.g. a draft page): neither executed nor shown. mkdocs-jupyter wraps pages in a
    # NotebookFile that does not carry the inclusion level: read it on the wrapped file.
    if getattr(file, "file", file).inclusion.is_excluded():
        return False
    return file.abs_src_path is not None and file.src_uri.endswith(".py") and plugin.should_include(file)


@event_priority(100)  # first: the other hooks and plugins see where the site is being built
def on_config(config):
    global _build
    _build = _stage(stages.configure, config, log)
    return config


def on_files(files, config):
    plugin = _jupyter(config)
    _stage(stages.prepare, _build, files, config, [f for f in files if _is_notebook(f, plugin)], log)
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri in _build.pages or not page.file.src_uri.endswith(".md"):
        return markdown
    label = f"{Path(config['docs_dir']).name}/{page.file.src_uri}"
    return _stage(stages.markdown_page, _build, markdown, page.file.src_uri, label)


def on_page_context(context, page, config, nav):
    shown = _build.pages.get(page.file.src_uri)
    if shown is not None:
        page.meta["tp8_notebook"] = shown.downloads
        if shown.variant != "corrige":  # its énoncé, or a notice: the page's source holds what it hides
            page.edit_url = None  # the "edit" button would lead to the page's source, solutions included
    return context


# Before mkdocs-glightbox (priority 0), which links each <img> to its src: the figures must be
# files by then, or each link would repeat the image's data URI.
@event_priority(50)
def on_page_content(html, page, config, files):
    if page.file.src_uri not in _build.pages:
        return html
    return _stage(stages.page_content, _build, html, page, config)


@event_priority(-100)  # last: after the search index and every other file is written
def on_post_build(config):
    _stage(stages.finish, _build, config, log)


def on_build_error(error):
    stages.abandon(_build)
