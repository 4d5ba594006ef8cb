"""The course's notebook pages: executed at build time with a cache, and exported for students.

Notebook pages are jupytext percent-format ``.py`` files under ``docs/``. At each build the MkDocs
hook (``tools/site_hooks.py``) asks this module to:

* execute every notebook page whose **cache key** changed, in parallel, each in its own kernel
  (``python tools/site_notebooks.py execute ...`` in a subprocess), with a per-cell timeout; the key
  hashes the page's source, every file of the ``tp8`` package that the kernel imports, the
  ``TP8_*`` environment (and the weight files it points to), the PyTorch hub checkpoints and the
  versions of the libraries that shape the results. A change in ``tp8`` therefore re-executes the
  pages; nothing changed means nothing runs. Executed notebooks live in
  ``.cache/notebooks/executed/`` and mkdocs-jupyter renders them (its own HTML cache keys on
  their bytes);
* fail with the notebook, the cell, its line in the ``.py`` and the error when a cell raises;
* export each page as an output-free ``.ipynb`` for students, whose first cell installs ``tp8``
  from the repository (for Google Colab), offered as a download on the page and kept, committed,
  in ``notebooks/`` so that Colab can open it from GitHub;
* export, for each page that holds exercises (nbgrader's ``### BEGIN SOLUTION`` markers, see
  ``site_exercises``), its exercise version, solutions taken out, into ``notebooks/exercices/``;
  with the instructor's switch off (``extra: tp8: solutions: false`` in ``mkdocs.yml``, or
  ``TP8_SOLUTIONS=0``), or set to a release date still to come (``solutions: 2027-01-15``, today
  taken in ``extra: tp8: timezone:``), the site itself is built from those exercise versions
  (:func:`solutions_setting`);
* give the hand-out its Markdown side: the report template ``compte-rendu-tp8.ipynb``
  (:func:`report_notebook`), the question lists and the solutions/énoncé blocks of the Markdown
  pages (:func:`expand_questions`, :func:`select_blocks`).

By hand::

    python tools/site_notebooks.py sync     # rewrite notebooks/ (and notebooks/exercices/) from docs/*.py
    python tools/site_notebooks.py check    # fail if notebooks/ is out of date
    python tools/site_notebooks.py execute docs/PAGE.py out.ipynb [--exercise]   # run one page
    python tools/site_notebooks.py solutions-status   # what a build publishes now (solutions or énoncés)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import site_exercises

#: Bump when the executed notebooks must be regenerated whatever else changed (3: figures as files,
#: a receipt in the metadata).
FORMAT_VERSION = 3

DEFAULT_REPO_URL = "https://github.com/tp8-course/tp8"
#: Folder (relative to the repository root) holding the committed student notebooks.
STUDENT_DIR = "notebooks"
#: Folder of the exercise notebooks (solutions taken out), inside STUDENT_DIR.
EXERCISE_DIR = f"{STUDENT_DIR}/exercices"
#: Environment variable that overrides ``extra: tp8: solutions:`` of ``mkdocs.yml``.
SOLUTIONS_ENV = "TP8_SOLUTIONS"
#: Tag of the install cell added at the top of the student notebooks.
INSTALL_TAG = "colab-install"

#: Libraries whose version can change what a page computes or shows.
_VERSIONED = [
    "torch",
    "torchvision",
    "numpy",
    "matplotlib",
    "pillow",
    "scikit-image",
    "scikit-learn",
    "scipy",
    "pandas",
    "ipykernel",
    "ipython",
    "nbclient",
    "jupytext",
]


#: TP8_* variables that only steer the build, not what a page computes (kept out of cache keys).
_BUILD_ONLY_ENV = {"TP8_SITE_WORKERS", "TP8_SITE_CELL_TIMEOUT", "TP8_NOTEBOOKS_SYNC", "TP8_REPO_URL", SOLUTIONS_ENV}


# --- finding and reading notebook sources ---------------------------------------------------------


def is_notebook_source(path: Path) -> bool:
    """A ``.py`` file whose jupytext header declares a kernel."""
    path = Path(path)
    if path.suffix != ".py" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    return head.startswith("# ---") and "kernelspec:" in head


def list_notebook_sources(docs_dir: Path) -> list[Path]:
    """Every notebook page under ``docs_dir`` (sorted), skipping ``overrides/`` and hidden folders."""
    docs_dir = Path(docs_dir)
    found = []
    for path in sorted(docs_dir.rglob("*.py")):
        rel = path.relative_to(docs_dir)
        if rel.parts[0] in ("overrides",) or any(part.startswith(".") for part in rel.parts):
            continue
        if is_notebook_source(path):
            found.append(path)
    return found


def read_notebook(path: Path):
    import jupytext

    return jupytext.read(path)


# --- cache keys -------------------------------------------------------------------------------


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _tree_hashes(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
    return out


def _listing(folder: str | os.PathLike | None) -> list[list]:
    """Name, size and modification time of the files of a folder (weights are too big to hash)."""
    if not folder or not Path(folder).is_dir():
        return []
    out = []
    for path in sorted(Path(folder).iterdir()):
        # torch.hub downloads into "<name>.<uuid>.partial" first: not a weight file (yet).
        if path.is_file() and not path.name.endswith(".partial"):
            stat = path.stat()
            out.append([path.name, stat.st_size, stat.st_mtime_ns])
    return out


def kernel_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the kernels run in: the build's, with progress bars off unless asked."""
    env = dict(os.environ if base is None else base)
    env.setdefault("TP8_PROGRESS", "0")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def environment_facts(env: dict[str, str]) -> dict:
    """Everything outside a page that can change what the page computes (see :func:`fingerprint`)."""
    tp8_dir = _package_dir("tp8")
    torch_home = env.get("TORCH_HOME") or str(Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "torch")
    versions = {}
    for dist in _VERSIONED:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "format": FORMAT_VERSION,
        "python": platform.python_version(),
        "versions": versions,
        "tp8_dir": str(tp8_dir),
        "tp8_files": _tree_hashes(tp8_dir) if tp8_dir is not None else {},
        "tp8_env": {k: v for k, v in sorted(env.items()) if k.startswith("TP8_") and k not in _BUILD_ONLY_ENV},
        "weights": _listing(env.get("TP8_WEIGHTS_DIR")),
        "torch_hub": _listing(Path(torch_home) / "hub" / "checkpoints"),
    }


def fingerprint(facts: dict) -> str:
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


_FACT_LABELS = {
    "tp8_env": "variables TP8_*",
    "weights": "fichiers de poids (TP8_WEIGHTS_DIR)",
    "torch_hub": "poids téléchargés (TORCH_HOME)",
    "versions": "versions des bibliothèques",
    "python": "version de Python",
    "tp8_dir": "emplacement de tp8",
    "format": "format du cache",
}


def describe_changes(old: dict | None, new: dict) -> list[str]:
    """In words, what differs between two :func:`environment_facts` (for the build log)."""
    if not old:
        return []
    reasons = []
    old_files, new_files = old.get("tp8_files", {}), new.get("tp8_files", {})
    if old_files != new_files:
        changed = sorted(k for k in set(old_files) | set(new_files) if old_files.get(k) != new_files.get(k))
        shown = ", ".join(f"tp8/{k}" for k in changed[:4]) + (" …" if len(changed) > 4 else "")
        reasons.append(f"tp8 modifié ({shown})")
    reasons.extend(label for key, label in _FACT_LABELS.items() if old.get(key) != new.get(key))
    return reasons


@dataclass
class ExecSettings:
    kernel_name: str = "python3"
    timeout: int = 600  # seconds per cell
    allow_errors: bool = False
    workers: int = 2
    startup_timeout: int = 120

    def key_part(self) -> str:
        return f"kernel={self.kernel_name};allow_errors={self.allow_errors}"


#: Cell tags that change how a cell *runs* (the others, e.g. hide-input, only change how it shows).
EXECUTION_TAGS = {"raises-exception", "skip-execution"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_cells(nb) -> list[tuple[int, str]]:
    """``(index among all cells, fingerprint)`` of each code cell, in order.

    The fingerprint is the cell's source and its execution tags: everything of a cell that can
    change what the kernel computes. Markdown cells, and metadata that only affects display, are
    left out — editing them re-renders the page without running it.
    """
    out = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = sorted(set(cell.get("metadata", {}).get("tags", [])) & EXECUTION_TAGS)
        out.append((index, _digest(json.dumps([cell.source, tags]))))
    return out


def cache_key(nb, env_fingerprint: str, settings: ExecSettings) -> str:
    """Key of a page's *execution*: its code cells (source and order), the kernel's environment
    (``tp8``'s files, versions, weights: :func:`environment_facts`) and the execution settings."""
    hasher = hashlib.sha256()
    hasher.update(f"format={FORMAT_VERSION};{settings.key_part()};{env_fingerprint}".encode())
    hasher.update(json.dumps([fp for _, fp in code_cells(nb)]).encode())
    hasher.update(json.dumps(nb.metadata.get("kernelspec", {}), sort_keys=True).encode())
    return hasher.hexdigest()


def display_key(nb) -> str:
    """Key of what a page *shows* beyond its outputs: every cell's source and metadata, in order."""
    cells = [[c.cell_type, c.source, c.get("metadata", {})] for c in nb.cells]
    return _digest(json.dumps([cells, nb.metadata], sort_keys=True, default=str))


def merge_outputs(current, executed):
    """The page as it is now, with the outputs of an execution of the same code cells.

    ``current`` is the notebook read from the page; ``executed`` an executed notebook whose code
    cells have the same sources in the same order (same :func:`cache_key`). Markdown cells and
    cell metadata come from ``current``; outputs and execution counts from ``executed``.
    """
    import copy

    ran = [c for c in executed.cells if c.cell_type == "code"]
    mine = [c for c in current.cells if c.cell_type == "code"]
    if [c.source for c in ran] != [c.source for c in mine]:
        raise ValueError("merge_outputs: the code cells differ; the page must be executed again")
    merged = copy.deepcopy(current)
    runs = iter(ran)
    for cell in merged.cells:
        if cell.cell_type == "code":
            done = next(runs)
            cell.outputs = copy.deepcopy(done.get("outputs", []))
            cell.execution_count = done.get("execution_count")
    merged.metadata = copy.deepcopy(current.metadata)
    for key in ("language_info", "tp8_build"):
        if key in executed.metadata:
            merged.metadata[key] = copy.deepcopy(executed.metadata[key])
    return merged


def describe_code_changes(old: list | None, nb, source: Path) -> str:
    """In words, which code cells changed since the page last ran (for the build log)."""
    new = [fp for _, fp in code_cells(nb)]
    if old is None:
        return "première exécution"
    lines = _marker_lines(source)
    cells = code_cells(nb)

    def where(rank: int) -> str:
        index = cells[rank][0]
        line = lines[index] if len(lines) == len(nb.cells) else None
        return f"n° {rank + 1}" + (f" (ligne {line})" if line else "")

    if sorted(old) == sorted(new) and old != new:
        return "cellules de code déplacées"
    added = [i for i, fp in enumerate(new) if fp not in old]
    removed = len([fp for fp in old if fp not in new])
    parts = []
    if len(new) == len(old) and added:
        parts.append("cellule de code " + ", ".join(where(i) for i in added) + " modifiée" + "s" * (len(added) > 1))
    else:
        if added:
            parts.append("cellule de code " + ", ".join(where(i) for i in added) + " ajoutée ou modifiée")
        if removed:
            parts.append(f"{removed} cellule(s) de code supprimée(s) ou modifiée(s)")
    return "; ".join(parts) or "exécution à refaire"


# --- claims -----------------------------------------------------------------------------------

_TAGS = re.compile(r"<[^>]+>")
_EMPHASIS = re.compile(r"[*_`]")


def _normalise_text(text: str) -> str:
    import html as _html

    text = _html.unescape(_TAGS.sub(" ", text))
    text = _EMPHASIS.sub("", text).replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(text.split()).casefold()


def page_text(nb) -> str:
    """What a reader reads on a page: its Markdown cells and its Markdown/HTML/text outputs."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime in ("text/markdown", "text/html"):
                if mime in data:
                    value = data[mime]
                    parts.append("".join(value) if isinstance(value, list) else value)
                    break
    return "\n".join(parts)


def unstated_claims(nb) -> list[str]:
    """The sentences the page claimed (``tp8.course.claim``) that its text no longer contains."""
    claimed = (nb.metadata.get("tp8_build") or {}).get("claims", [])
    text = _normalise_text(page_text(nb))
    return [sentence for sentence in claimed if _normalise_text(sentence) not in text]


# --- executing --------------------------------------------------------------------------------


@dataclass
class Failure:
    """Why a notebook page could not be executed."""

    source: str
    cell_index: int | None = None  # among all cells
    code_cell: int | None = None  # 1-based, among code cells
    line: int | None = None  # line of the cell marker in the .py
    cell_source: str = ""
    ename: str = ""
    evalue: str = ""
    traceback: list[str] = field(default_factory=list)
    timeout: bool = False
    log: str = ""

    def message(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", ligne {self.line}"
        if self.code_cell is not None:
            where += f" (cellule de code n° {self.code_cell})"
        if self.timeout and self.cell_index is None and self.evalue.startswith("la page"):
            head = f"Le notebook {where} a été arrêté : {self.evalue}."
        elif self.timeout:
            head = f"La cellule {where} dépasse le délai par cellule ({self.evalue})."
        elif self.ename:
            head = f"La cellule {where} a levé {self.ename}: {self.evalue}"
        else:
            head = f"Le notebook {where} n'a pas pu être exécuté."
        parts = [head]
        if self.cell_source:
            lines = self.cell_source.splitlines()
            shown = "\n".join("    " + ln for ln in lines[:12])
            if len(lines) > 12:
                shown += "\n    …"
            parts.append("Code de la cellule :\n" + shown)
        if self.traceback and not self.timeout:
            tb = _strip_ansi("\n".join(self.traceback)).strip().splitlines()
            parts.append("Trace :\n" + "\n".join("    " + ln for ln in tb[-20:]))
        if self.log and not self.traceback:
            parts.append("Sortie :\n" + "\n".join("    " + ln for ln in self.log.strip().splitlines()[-20:]))
        return "\n".join(parts)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _marker_lines(source: Path) -> list[int]:
    lines = Path(source).read_text(encoding="utf-8").splitlines()
    return [i + 1 for i, line in enumerate(lines) if line.startswith("# %%")]


def _locate(source: Path, nb, index: int, *, same_cells: bool = True) -> tuple[int | None, int | None]:
    """(line of the cell in the .py, 1-based rank among code cells) of cell ``index``.

    ``same_cells=False``: ``nb`` is not the page read as it is (its exercise version, say), so
    the cell is found by its first line in the ``.py`` rather than by its rank.
    """
    code_rank = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    markers = _marker_lines(source)
    line = markers[index] if same_cells and len(markers) == len(nb.cells) else None
    if line is None:
        first = next((ln for ln in nb.cells[index].source.splitlines() if ln.strip()), None)
        if first is not None:
            for i, text in enumerate(Path(source).read_text(encoding="utf-8").splitlines()):
                if text == first:
                    line = i + 1
                    break
    return line, code_rank


def execute_notebook(
    source: Path,
    output: Path,
    settings: ExecSettings,
    cwd: Path,
    label: str,
    notebook: Path | None = None,
    figures: Path | None = None,
) -> Failure | None:
    """Execute ``source`` (a jupytext ``.py``) and write the executed ``.ipynb`` to ``output``.

    ``notebook``: run this ``.ipynb`` instead, a version of the page (its exercise); ``source``
    still gives the lines of the error messages. Runs in the current process (the hook calls it
    through a subprocess, see :func:`execute_all`). Cells tagged ``skip-execution`` are not run.
    ``figures``: the build's cache folder (``.cache``); each image the page shows is then made a
    file there while the page runs (``site_figures.Extractor``) and the notebook keeps only a small
    marker in its place. The notebook's ``tp8_build`` metadata holds what the page claimed and
    checked, the figures it uses and its :func:`receipt` (when, how long, versions, weights, device).
    Returns None on success, else a :class:`Failure` (and ``output`` is not written).
    """
    import datetime

    import nbformat
    import nbformat.v4
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = read_notebook(source) if notebook is None else nbformat.read(notebook, as_version=4)
    page_cells = len(nb.cells)
    # One more cell, run last and removed afterwards: the sentences the page claimed (tp8.course.claim),
    # its self-checks, and what the receipt needs from the kernel (versions, networks loaded, device).
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT_CELL))
    current = {"index": None}
    extractor = None
    if figures is not None:
        import site_figures

        extractor = site_figures.Extractor(figures)

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    def on_cell_executed(cell, cell_index, execute_reply):
        if extractor is not None and cell_index < page_cells:
            extractor.submit(cell)

    client = NotebookClient(
        nb,
        timeout=settings.timeout,
        startup_timeout=settings.startup_timeout,
        kernel_name=settings.kernel_name,
        allow_errors=settings.allow_errors,
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(cwd)}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.monotonic()
    failure = None
    try:
        client.execute()
    except CellTimeoutError:
        failure = Failure(label, timeout=True)
    except CellExecutionError as exc:
        failure = Failure(label, ename=exc.ename, evalue=exc.evalue, traceback=[exc.traceback] if exc.traceback else [])
    except DeadKernelError as exc:
        failure = Failure(label, ename="DeadKernelError", evalue=f"le noyau s'est arrêté ({exc})")
    except Exception as exc:
        failure = Failure(label, ename=type(exc).__name__, evalue=str(exc))
    duration = time.monotonic() - clock
    if failure is not None:
        if extractor is not None:
            extractor.close()
        index = current["index"]
        if index is not None and index >= page_cells:
            index = None
        if index is not None:
            failure.cell_index = index
            failure.cell_source = nb.cells[index].source
            failure.line, failure.code_cell = _locate(source, nb, index, same_cells=notebook is None)
            for out in nb.cells[index].get("outputs", []):
                if out.get("output_type") == "error":
                    failure.traceback = list(out.get("traceback", []))
                    failure.ename = failure.ename or out.get("ename", "")
                    failure.evalue = failure.evalue or out.get("evalue", "")
        if failure.timeout:
            failure.evalue = f"plus de {settings.timeout} s"
        return failure
    report = _read_report(nb.cells.pop())
    report["receipt"] = receipt(report.pop("kernel", {}), started, duration, Path(source))
    if extractor is not None:
        report["figures"] = extractor.apply(nb)
    nb.metadata["tp8_build"] = report
    nb.metadata.pop("widgets", None)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        nbformat.write(nb, handle)
    os.replace(tmp, output)
    return None


_REPORT_MARK = "TP8-BUILD-REPORT "
# Never fails the page: what it cannot learn is left out of the receipt.
_REPORT_CELL = f"""\
import json as _tp8_json, sys as _tp8_sys


def _tp8_kernel_facts():
    import platform

    modules = _tp8_sys.modules
    facts = {{"python": platform.python_version(), "networks": []}}
    for name in ("torch", "torchvision", "tp8"):
        version = getattr(modules.get(name), "__version__", None)
        if version:
            facts[name] = str(version)
    try:
        loaded = getattr(modules.get("tp8.models"), "loaded_weights", None)
        pretty = getattr(modules.get("tp8.course"), "_PRETTY", {{}})
        for name, info, device in loaded() if loaded else []:
            facts["networks"].append({{
                "model": name, "shown": pretty.get(name, name), "kind": info.kind, "name": info.name,
                "sha256": info.sha256, "device": device,
            }})
        torch = modules.get("torch")
        if torch is not None:
            facts["threads"] = torch.get_num_threads()
            if any(n["device"].startswith("cuda") for n in facts["networks"]):
                facts["cuda"] = torch.cuda.get_device_name()
    except Exception:
        pass
    return facts


_tp8_course = _tp8_sys.modules.get("tp8.course")
_tp8_checks = _tp8_sys.modules.get("tp8.checks")
print({_REPORT_MARK!r} + _tp8_json.dumps({{
    "claims": _tp8_course.claims() if _tp8_course else [],
    "checks": _tp8_checks.results() if _tp8_checks else [],
    "kernel": _tp8_kernel_facts(),
}}))
"""


def _read_report(cell) -> dict:
    for out in cell.get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith(_REPORT_MARK):
                return json.loads(line[len(_REPORT_MARK) :])
    return {"claims": [], "checks": []}


# --- the receipt at the foot of each page ----------------------------------------------------------


def _git(folder: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def source_commit(folder: Path) -> str | None:
    """Short hash of the checkout holding ``folder``, with ``+modifié`` when its tree differs from it."""
    commit = _git(folder, "rev-parse", "--short", "HEAD")
    if not commit:
        return None
    status = _git(folder, "status", "--porcelain")
    return commit + ("+modifié" if status else "")


def cpu_model() -> str | None:
    """The processor's commercial name (Linux, macOS), else what :mod:`platform` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return " ".join(line.split(":", 1)[1].split()) or None
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5, check=False
            ).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or None


def receipt(kernel: dict, started, duration: float, source: Path) -> dict:
    """What produced a page, for its foot: when (UTC), how long, versions, networks and device.

    ``kernel`` is what the page's kernel reported (versions it imported, networks it loaded, their
    device, torch's threads). Never a path: networks are named by their weights (file name and
    SHA-256 prefix, or torchvision's entry).
    """
    versions = {"python": kernel.get("python") or platform.python_version()}
    for name in ("torch", "torchvision", "tp8"):
        version = kernel.get(name)
        if not version:
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = None
        if version:
            versions[name] = version
    networks = []
    for net in kernel.get("networks", []):
        entry = {k: net.get(k) for k in ("model", "shown", "kind", "name", "sha256")}
        if entry not in networks:
            networks.append(entry)
    if kernel.get("cuda"):
        device = {"kind": "cuda", "name": kernel["cuda"]}
    else:
        device = {"kind": "cpu", "name": cpu_model(), "threads": kernel.get("threads")}
    return {
        "executed_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 1),
        "versions": versions,
        "commit": source_commit(Path(source).resolve().parent),
        "networks": networks,
        "device": device,
    }


_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _duration_fr(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}\u00a0s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}\u00a0min\u00a0{seconds:02d}\u00a0s"


def _network_fr(net: dict) -> str:
    import html

    shown = html.escape(net.get("shown") or net.get("model") or "?")
    name = html.escape(net.get("name") or "")
    if net.get("kind") == "file":
        return f"{shown} — fichier <code>{name}</code>, SHA-256 <code>{html.escape(net.get('sha256') or '?')}…</code>"
    if net.get("kind") == "torchvision":
        return f"{shown} — poids torchvision <code>{name}</code>"
    if net.get("kind") == "random":
        return f"{shown} — poids aléatoires (test)"
    return f"{shown} — poids d'origine inconnue"


def receipt_html(data: dict | None) -> str:
    """The receipt as the foot of a page (French HTML), or ``""`` without one."""
    import datetime
    import html

    if not data:
        return ""
    when = datetime.datetime.strptime(data["executed_at"], "%Y-%m-%dT%H:%M:%SZ")
    day = f"{when.day}{'er' if when.day == 1 else ''} {_MONTHS[when.month - 1]} {when.year}"
    stamp = f"le {day} à {when:%H:%M} UTC"
    versions = data.get("versions", {})
    parts = [f"Python {html.escape(versions.get('python', '?'))}"]
    parts += [f"{name} {html.escape(versions[name])}" for name in ("torch", "torchvision") if versions.get(name)]
    tp8 = f"tp8 {html.escape(versions.get('tp8', '?'))}"
    if data.get("commit"):
        tp8 += f" (commit <code>{html.escape(data['commit'])}</code>)"
    parts.append(tp8)
    device = data.get("device") or {}
    if device.get("kind") == "cuda":
        machine = f"GPU CUDA {html.escape(device.get('name') or '')}".strip()
    else:
        threads = device.get("threads")
        machine = "CPU" + (f" {html.escape(device['name'])}" if device.get("name") else "")
        if threads:
            machine += f", {threads} fil{'s' if threads > 1 else ''} de calcul"
    networks = data.get("networks") or []
    weights = " ; ".join(_network_fr(n) for n in networks) or "aucun réseau chargé"
    return (
        # Shown to the minute; data-executed-at keeps the second, so two runs never read the same.
        f'\n<footer class="tp8-receipt" data-executed-at="{html.escape(data["executed_at"])}" data-search-exclude'
        ' aria-label="Reçu d\'exécution">\n'
        f'<p class="tp8-receipt__title">Reçu d\'exécution — page exécutée {stamp}, '
        f"en {_duration_fr(data.get('duration_s', 0))}</p>\n<ul>\n"
        f"<li><strong>Versions</strong> : {', '.join(parts)}</li>\n"
        f"<li><strong>Poids</strong> : {weights}</li>\n"
        f"<li><strong>Machine</strong> : {machine}</li>\n"
        "</ul>\n</footer>\n"
    )


def failed_checks(nb) -> list[dict]:
    """The self-checks (``tp8.checks``) of an executed page that did not pass."""
    checks = (nb.metadata.get("tp8_build") or {}).get("checks", [])
    return [c for c in checks if c.get("status") != "passed"]


@dataclass
class Job:
    source: Path
    output: Path
    label: str  # e.g. docs/partie-1-saillance.py
    notebook: Path | None = None  # the version of the page to run (its exercise), if not the page itself


def _timings_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / "timings.json"


#: Execution time of each page measured on a 2-core machine (``benchmarks/bench_build.py --write-estimates``):
#: the order of a first build, before ``.cache/notebooks/timings.json`` holds this machine's own times.
ESTIMATES_FILE = Path(__file__).resolve().with_name("page_timings.json")


def _base_label(label: str) -> str:
    return label.split(" (", 1)[0]  # "docs/partie-1-saillance.py (énoncé)" → the page


def expected_seconds(job: Job, timings: dict, estimates: dict) -> float:
    """How long ``job`` should take: its last run here, else the committed estimate, else a guess
    from the size of its source (about a second per kilobyte of page)."""
    for table in (timings, estimates):
        for label in (job.label, _base_label(job.label)):
            value = table.get(label)
            if isinstance(value, (int, float)):
                return float(value)
    try:
        return Path(job.source).stat().st_size / 1000
    except OSError:
        return 1e9


def schedule(jobs: list[Job], timings: dict, estimates: dict | None = None) -> list[Job]:
    """The jobs in the order the workers take them: the longest first (each free worker takes the
    longest job left, which keeps a long page from starting last while the other worker idles)."""
    estimates = {} if estimates is None else estimates
    return sorted(jobs, key=lambda j: (-expected_seconds(j, timings, estimates), j.label))


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop a page's process and the kernel it started (its own process group)."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):  # already gone, or no process groups (Windows)
        proc.kill()
    proc.communicate()


def _read_json_file(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def execute_all(
    jobs: list[Job],
    settings: ExecSettings,
    cwd: Path,
    env: dict[str, str],
    cache_dir: Path,
    log=print,
    figures: Path | None = None,
    page_timeout: float | None = None,
) -> list[Failure]:
    """Run ``jobs`` in subprocesses, ``settings.workers`` at a time, the longest first (:func:`schedule`).

    ``figures``: the build's cache folder, where each page's images are made files while it runs
    (see :func:`execute_notebook`). ``page_timeout``: seconds a whole page may take (besides the
    per-cell timeout of ``settings``); past it, the page's process and its kernel are stopped.
    """
    if not jobs:
        return []
    timings_file = _timings_path(cache_dir)
    timings = _read_json_file(timings_file)
    jobs = schedule(jobs, timings, _read_json_file(ESTIMATES_FILE))
    workers = max(1, min(settings.workers, len(jobs)))
    child_env = dict(env)
    cpus = os.cpu_count() or 1
    if workers > 1 and "OMP_NUM_THREADS" not in child_env:
        # Share the cores between the kernels instead of letting each take them all.
        child_env["OMP_NUM_THREADS"] = str(max(1, cpus // workers))

    def run(job: Job) -> tuple[Job, Failure | None, float]:
        start = time.monotonic()
        report = job.output.with_name(job.output.name + ".error.json")
        report.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no cache yet
        report.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "execute",
            str(job.source),
            str(job.output),
            "--label",
            job.label,
            "--cwd",
            str(cwd),
            "--kernel",
            settings.kernel_name,
            "--timeout",
            str(settings.timeout),
            "--report",
            str(report),
        ]
        if settings.allow_errors:
            cmd.append("--allow-errors")
        if job.notebook is not None:
            cmd += ["--notebook", str(job.notebook)]
        if figures is not None:
            cmd += ["--figures", str(figures)]
        # A session of its own: on a page timeout, the page's process and its kernel are stopped together.
        proc = subprocess.Popen(
            cmd, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=page_timeout)
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            elapsed = time.monotonic() - start
            return job, Failure(job.label, timeout=True, evalue=f"la page dépasse {page_timeout:.0f} s"), elapsed
        elapsed = time.monotonic() - start
        if proc.returncode == 0 and job.output.exists():
            return job, None, elapsed
        if report.exists():
            data = json.loads(report.read_text(encoding="utf-8"))
            report.unlink(missing_ok=True)
            return job, Failure(**data), elapsed
        return job, Failure(job.label, log=(stdout + stderr)[-4000:]), elapsed

    failures = []
    log(f"Exécution de {len(jobs)} notebook(s) ({workers} à la fois) : " + ", ".join(j.label for j in jobs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        # Submitted longest first: each worker that frees up takes the longest job left.
        for done in concurrent.futures.as_completed([pool.submit(run, job) for job in jobs]):
            job, failure, elapsed = done.result()
            timings[job.label] = round(elapsed, 1)
            if failure is None:
                log(f"{job.label} exécuté en {elapsed:.1f} s")
            else:
                failures.append(failure)
    try:
        timings_file.parent.mkdir(parents=True, exist_ok=True)
        timings_file.write_text(json.dumps(timings, indent=1, sort_keys=True), encoding="utf-8")
    except OSError:
        pass
    return failures


# --- repository links and student notebooks ----------------------------------------------------


@dataclass
class Repo:
    url: str  # https://github.com/owner/name
    branch: str = "main"

    @property
    def slug(self) -> str | None:
        """``owner/name`` when the repository is on github.com (Colab opens only those)."""
        match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", self.url)
        return match.group(1) if match else None

    @property
    def name(self) -> str:
        return self.slug or self.url.rstrip("/").rsplit("/", 2)[-1]

    def install_spec(self) -> str:
        return f"tp8 @ git+{self.url.rstrip('/')}"

    def colab_url(self, student_path: str) -> str | None:
        if self.slug is None:
            return None
        return f"https://colab.research.google.com/github/{self.slug}/blob/{self.branch}/{student_path}"

    def blob_url(self, path: str) -> str:
        return f"{self.url.rstrip('/')}/blob/{self.branch}/{path}"


def resolve_repo(configured_url: str | None, edit_uri: str | None = None, env=None) -> Repo:
    """The repository the site links to: ``TP8_REPO_URL``, else ``GITHUB_REPOSITORY`` (set by
    GitHub Actions, so that a fork links to itself), else ``repo_url`` from ``mkdocs.yml``."""
    env = os.environ if env is None else env
    url = env.get("TP8_REPO_URL", "").strip()
    if not url and env.get("GITHUB_REPOSITORY", "").strip():
        server = env.get("GITHUB_SERVER_URL", "").strip() or "https://github.com"
        url = f"{server.rstrip('/')}/{env['GITHUB_REPOSITORY'].strip()}"
    if not url:
        url = configured_url or DEFAULT_REPO_URL
    branch = "main"
    match = re.match(r"^/?(?:edit|blob|tree)/([^/]+)/", edit_uri or "")
    if match:
        branch = match.group(1)
    return Repo(url.rstrip("/"), branch)


_INSTALL_CELL = """\
# Installation de la bibliothèque tp8, pour Google Colab ou tout environnement où elle manque.
import importlib.util

if importlib.util.find_spec("tp8") is None:
    %pip install --quiet "{spec}"
"""


def student_notebook(source: Path, repo: Repo) -> str:
    """Output-free ``.ipynb`` text of a notebook page, with an install cell first."""
    return student_ipynb(read_notebook(source), repo)


def exercise_notebook(source: Path, repo: Repo, label: str | None = None) -> str:
    """Like :func:`student_notebook`, for the page's exercise (solutions taken out, see
    ``site_exercises``); :class:`site_exercises.ExerciseError` on a misplaced marker."""
    return student_ipynb(site_exercises.exercise_from_source(source, label), repo)


def student_ipynb(nb, repo: Repo) -> str:
    """A notebook as the students get it: install cell first, no outputs, stable cell ids."""
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("language_info", {"name": "python"})
    install = nbformat.v4.new_code_cell(
        _INSTALL_CELL.format(spec=repo.install_spec()).rstrip("\n"),
        metadata={"tags": [INSTALL_TAG]},
    )
    nb.cells.insert(0, install)
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def student_path(docs_dir: Path, source: Path, *, exercise: bool = False) -> str:
    """``notebooks/<path under docs without .py>.ipynb`` (``notebooks/exercices/…`` for the
    exercise), '/'-separated."""
    rel = Path(source).resolve().relative_to(Path(docs_dir).resolve()).with_suffix(".ipynb")
    return f"{EXERCISE_DIR if exercise else STUDENT_DIR}/{rel.as_posix()}"


def page_has_exercises(source: Path, label: str | None = None) -> bool:
    """Whether a page holds exercises (:class:`site_exercises.ExerciseError` on a misplaced marker)."""
    text = Path(source).read_text(encoding="utf-8")
    import jupytext

    return site_exercises.has_exercises(jupytext.reads(text, fmt="py:percent"), label or str(source), text)


def student_contents(docs_dir: Path, repo: Repo) -> dict[str, str]:
    """Every student notebook the pages make: ``{path: text}`` (notebooks/ and notebooks/exercices/)."""
    contents = {}
    for source in list_notebook_sources(docs_dir):
        label = f"{Path(docs_dir).name}/{Path(source).relative_to(docs_dir).as_posix()}"
        contents[student_path(docs_dir, source)] = student_notebook(source, repo)
        if page_has_exercises(source, label):
            contents[student_path(docs_dir, source, exercise=True)] = exercise_notebook(source, repo, label)
    return contents


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

    def describe(self, today: datetime.date | None = None) -> str:
        """One sentence for the build log and ``solutions-status``."""
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


# --- the hand-out: questions, report template, Markdown blocks -----------------------------------

#: The report template the build writes at the site's root (one heading per question).
REPORT_NAME = "compte-rendu-tp8.ipynb"


def page_title(nb) -> str | None:
    """The first ``# …`` heading of a notebook page."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for level, _line, text in site_exercises._headings(cell.source):
                if level == 1:
                    return text
    return None


def retarget_links(nb, page_url: str, names: tuple[str, ...] = (REPORT_NAME,)):
    """``nb`` (a new notebook) with its Markdown links to files at the site's root (``names``, e.g.
    ``[modèle](compte-rendu-tp8.ipynb)``) made relative to the built page ``page_url``
    (``partie-1-saillance/``): MkDocs does not rewrite the links of notebook pages."""
    import copy

    prefix = "../" * page_url.count("/")
    if not prefix:
        return nb
    pattern = re.compile(r"(\]\(|href=[\"'])(" + "|".join(re.escape(n) for n in names) + r")(?=[)#\"'])")
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = pattern.sub(lambda m: m.group(1) + prefix + m.group(2), cell.source)
    return out


def questions_markdown(questions, link: str, solutions: bool) -> str:
    """The Questions page's list of the questions of one part page (``link``: that page's source,
    relative to the Markdown page), each with its report number and a link to its section: to the
    answer with the solutions, to the question in the exercise without them."""
    out = []
    for q in questions:
        heading = " ".join(filter(None, [f"Q{q.number}", q.mark])) + f" — {q.title}"
        target = f"{link}#q{q.number}"
        go = f"[Réponse →]({target})" if solutions else f"[La question dans l'énoncé →]({target})"
        out.append(f"### {heading}\n\n{q.text}\n\nNuméro dans le compte rendu : **{q.report_number}**. {go}\n")
    return "\n".join(out)


_QUESTIONS_BLOCK = re.compile(r"^<!--\s*tp8:questions\s+(\S+)\s*-->[ \t]*$", re.M)
_SWITCH_BLOCK = re.compile(r"<!--\s*(/?)tp8:(solutions|enonce)\s*-->")


_INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)


def _code_spans(markdown: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the fenced code blocks and inline code spans of a Markdown text, where a
    ``<!-- tp8:… -->`` marker is an example, not a marker."""
    spans, offset, fence = [], 0, None
    for line in markdown.splitlines(keepends=True):
        opened = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if fence is None and opened:
            fence = (opened.group(1), offset)
        elif fence is not None and opened and opened.group(1).startswith(fence[0][0] * len(fence[0])):
            spans.append((fence[1], offset + len(line)))
            fence = None
        offset += len(line)
    if fence is not None:
        spans.append((fence[1], len(markdown)))
    for match in _INLINE_CODE.finditer(markdown):
        if not any(a <= match.start() < b for a, b in spans):
            spans.append(match.span())
    return spans


def _markers(pattern: re.Pattern, markdown: str):
    spans = _code_spans(markdown)
    return [m for m in pattern.finditer(markdown) if not any(a <= m.start() < b for a, b in spans)]


def select_blocks(markdown: str, solutions: bool, label: str = "page") -> str:
    """A Markdown page's text as published: ``<!-- tp8:solutions -->…<!-- /tp8:solutions -->`` kept
    with the solutions only, ``<!-- tp8:enonce -->…<!-- /tp8:enonce -->`` without them only (the
    markers go). A marker without its pair, or blocks inside one another, is a ValueError."""
    out, pos, open_at = [], 0, None
    for match in _markers(_SWITCH_BLOCK, markdown):
        closing, kind = match.group(1) == "/", match.group(2)
        line = markdown.count("\n", 0, match.start()) + 1
        if not closing:
            if open_at is not None:
                raise ValueError(
                    f"{label}, ligne {line} : <!-- tp8:{kind} --> dans le bloc <!-- tp8:{open_at[0]} --> ouvert "
                    f"ligne {open_at[1]} : fermez-le d'abord"
                )
            out.append(markdown[pos : match.start()])
            open_at, pos = (kind, line, match.end()), match.end()
            continue
        if open_at is None or open_at[0] != kind:
            raise ValueError(f"{label}, ligne {line} : <!-- /tp8:{kind} --> sans <!-- tp8:{kind} --> avant lui")
        keep = solutions if kind == "solutions" else not solutions
        if keep:
            out.append(markdown[pos : match.start()])
        open_at, pos = None, match.end()
    if open_at is not None:
        raise ValueError(f"{label}, ligne {open_at[1]} : <!-- tp8:{open_at[0]} --> sans <!-- /tp8:{open_at[0]} -->")
    out.append(markdown[pos:])
    return "".join(out)


def expand_questions(markdown: str, questions_of, solutions: bool, label: str = "page") -> str:
    """Replace each line ``<!-- tp8:questions PAGE.py -->`` by :func:`questions_markdown` of that
    page (``questions_of(link)`` gives its questions, or None for an unknown page)."""

    def replace(match: re.Match) -> str:
        link = match.group(1)
        found = questions_of(link)
        if not found:
            line = markdown.count("\n", 0, match.start()) + 1
            raise ValueError(
                f"{label}, ligne {line} : <!-- tp8:questions {link} --> : aucune question dans cette page "
                f"(ses cellules « {site_exercises.QUESTION_TAG} »)"
            )
        return questions_markdown(found, link, solutions)

    out, pos = [], 0
    for match in _markers(_QUESTIONS_BLOCK, markdown):
        out += [markdown[pos : match.start()], replace(match)]
        pos = match.end()
    return "".join(out) + markdown[pos:]


_REPORT_INTRO = """\
# Compte rendu — TP {tp} : visualisation des réseaux de neurones

- **Nom(s) :** …
- **Date de la séance :** …

Ce modèle suit la numérotation du TP : **Q{tp}.n** est la question n du TP {tp} (la question « Qn » des pages
du cours). Écrivez chaque réponse dans la cellule vide placée sous sa question (dans Jupyter ou Colab,
double-cliquez sur la cellule pour l'écrire), en vous appuyant sur les figures et les nombres que vous avez
obtenus en exécutant les énoncés ; recopiez ou décrivez les figures utiles.

- Le compte rendu envoyé le soir de la séance répond aux questions marquées ★ ({stars}), puis dit où vous en
  êtes (*Avancement*) et, si vous le souhaitez, ce que vous avez remarqué (*Remarques*).
- Les autres questions, dont les bonus ({bonus}), sont à discuter dans le rapport final.
"""

_REPORT_PROGRESS = """\
## Avancement

Ce qui a marché et ce qui n'a pas marché : les trois exercices (les vérifications de `tp8.checks`
passent-elles ?), les expériences que vous avez refaites ou modifiées (autres photos, autres classes, autre
réseau), les difficultés rencontrées."""

_REPORT_REMARKS = """\
## Remarques

Facultatif : ce qui vous a surpris, une idée d'expérience, une question restée ouverte."""


def report_notebook(parts) -> str:
    """The report template (``.ipynb`` text): for each part ``(title, questions)``, a heading, then
    per question a Markdown heading « Q8.n ★ — titre » with the question and an empty answer cell;
    then *Avancement* and *Remarques*, each with an empty cell."""
    import nbformat
    import nbformat.v4

    every = [q for _title, qs in parts for q in qs]
    tp = site_exercises.TP_NUMBER
    stars = ", ".join(q.report_number for q in every if q.star) or "aucune"
    bonus = ", ".join(q.report_number for q in every if q.bonus) or "aucune"
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }

    def markdown(text: str, cell_id: str, tags: list[str] | None = None):
        cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": tags} if tags else {})
        cell["id"] = cell_id
        nb.cells.append(cell)

    markdown(_REPORT_INTRO.format(tp=tp, stars=stars, bonus=bonus).rstrip("\n"), "intro")
    for k, (title, qs) in enumerate(parts, 1):
        markdown(f"# {title}", f"partie-{k}")
        for q in qs:
            slug = q.report_number.lower().replace(".", "-")
            markdown(f"## {q.report_heading}\n\n{q.text}", f"{slug}-question")
            markdown("", f"{slug}-reponse", [site_exercises.ANSWER_BOX_TAG])
    markdown(_REPORT_PROGRESS, "avancement")
    markdown("", "avancement-reponse", [site_exercises.ANSWER_BOX_TAG])
    markdown(_REPORT_REMARKS, "remarques")
    markdown("", "remarques-reponse", [site_exercises.ANSWER_BOX_TAG])
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def course_questions(docs_dir: Path) -> list[tuple[Path, str, list]]:
    """``(page, its title, its questions)`` of every notebook page that asks questions, in order."""
    out = []
    for source in list_notebook_sources(docs_dir):
        text = Path(source).read_text(encoding="utf-8")
        import jupytext

        nb = jupytext.reads(text, fmt="py:percent")
        label = f"{Path(docs_dir).name}/{Path(source).relative_to(docs_dir).as_posix()}"
        found = site_exercises.questions(nb, label, text)
        if found:
            out.append((Path(source), page_title(nb) or Path(source).stem, found))
    return out


_URL_IN_INSTALL = re.compile(r"git\+[^\"\\\s]+")


def _normalise(text: str) -> str:
    """Student notebook text without the repository URL (a fork's copy stays valid)."""
    return _URL_IN_INSTALL.sub("git+REPOSITORY", text)


def sync_mode(env=None) -> str:
    """``write`` (update ``notebooks/``), ``check`` (only compare) or ``off``.

    ``TP8_NOTEBOOKS_SYNC`` decides; by default ``check`` on CI (``CI`` set), else ``write``.
    """
    env = os.environ if env is None else env
    mode = env.get("TP8_NOTEBOOKS_SYNC", "").strip().lower()
    if mode in ("write", "check", "off"):
        return mode
    return "check" if env.get("CI", "").strip().lower() not in ("", "0", "false") else "write"


def sync_student_notebooks(
    root: Path, docs_dir: Path, repo: Repo, mode: str, contents: dict[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """Bring ``notebooks/`` in line with the notebook pages.

    Returns (paths written or out of date, stale files that have no page any more). In ``write``
    mode stale files are deleted and outdated ones rewritten; in ``check`` mode nothing is touched.
    ``contents`` maps student paths to their text when the caller already generated them.
    """
    root = Path(root)
    if contents is None:
        contents = student_contents(docs_dir, repo)
    changed = []
    for rel, text in sorted(contents.items()):
        target = root / rel
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current is not None and _normalise(current) == _normalise(text):
            if mode == "write" and current != text:
                target.write_text(text, encoding="utf-8")
            continue
        changed.append(rel)
        if mode == "write":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    stale = []
    student_root = root / STUDENT_DIR
    if student_root.is_dir():
        for path in sorted(student_root.rglob("*.ipynb")):
            rel = path.relative_to(root).as_posix()
            if rel not in contents:
                stale.append(rel)
                if mode == "write":
                    path.unlink()
    return changed, stale


# --- command line -----------------------------------------------------------------------------


def _load_repo(config_file: Path) -> tuple[Repo, Path]:
    """Repository and docs folder as the MkDocs configuration (and environment) give them."""
    from mkdocs.config import load_config

    config = load_config(str(config_file))
    return resolve_repo(config.repo_url, config.edit_uri), Path(config.docs_dir)


def read_extra(config_file: Path) -> dict:
    """``extra:`` of a MkDocs configuration, read without MkDocs or its plugins (PyYAML only, so that
    a workflow can ask :func:`solutions_status` before installing anything); ``INHERIT`` is followed."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    config_file = Path(config_file)
    data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=Loader) or {}
    extra = data.get("extra") or {}
    if data.get("INHERIT"):
        parent = read_extra(config_file.parent / data["INHERIT"])

        def merge(base: dict, over: dict) -> dict:
            out = dict(base)
            for key, value in over.items():
                out[key] = (
                    merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
                )
            return out

        extra = merge(parent, extra)
    return extra


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
    if shown:
        out("Une construction faite maintenant publie : les pages avec leurs réponses et les corrigés.")
    elif isinstance(setting.value, bool):
        out("Une construction faite maintenant publie : les énoncés seuls, sans réponses ni corrigés.")
    else:
        out(
            "Une construction faite maintenant publie : les énoncés seuls, sans réponses ni corrigés ; "
            f"les solutions à partir du {setting.value.isoformat()}."
        )
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="(interne) exécuter un notebook .py vers un .ipynb")
    ex.add_argument("source", type=Path)
    ex.add_argument("output", type=Path)
    ex.add_argument("--label", default=None)
    ex.add_argument("--cwd", type=Path, default=Path.cwd())
    ex.add_argument("--kernel", default="python3")
    ex.add_argument("--timeout", type=int, default=600)
    ex.add_argument("--allow-errors", action="store_true")
    ex.add_argument("--report", type=Path, default=None)
    ex.add_argument("--notebook", type=Path, default=None, help="(interne) l'.ipynb à exécuter à la place du .py")
    ex.add_argument(
        "--figures", type=Path, default=None, help="(interne) dossier de cache où écrire les figures (.cache)"
    )
    ex.add_argument(
        "--exercise",
        action="store_true",
        help="exécuter l'énoncé de la page (solutions retirées), vérifications comprises, comme un étudiant",
    )
    for name, text in (("sync", "réécrire notebooks/"), ("check", "vérifier que notebooks/ est à jour")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    status = sub.add_parser(
        "solutions-status",
        help="dire ce qu'une construction faite maintenant publie (solutions ou énoncés) et si la construction "
        "quotidienne doit publier",
    )
    status.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    status.add_argument("--today", type=datetime.date.fromisoformat, default=None, help="(essais) AAAA-MM-JJ")
    status.add_argument(
        "--github-output",
        type=Path,
        default=None,
        help="ajouter solutions=… et publish=… à ce fichier ($GITHUB_OUTPUT)",
    )
    args = parser.parse_args(argv)

    if args.command == "solutions-status":
        return solutions_status(args.config_file, today=args.today, github_output=args.github_output)

    if args.command == "execute":
        settings = ExecSettings(kernel_name=args.kernel, timeout=args.timeout, allow_errors=args.allow_errors)
        label = args.label or str(args.source)
        notebook = args.notebook
        if args.exercise:
            try:
                exercise = site_exercises.exercise_from_source(args.source, label)
            except site_exercises.ExerciseError as exc:
                print(exc, file=sys.stderr)
                return 1
            import nbformat

            fd, tmp = tempfile.mkstemp(suffix=".ipynb")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                nbformat.write(exercise, handle)
            notebook = Path(tmp)
        try:
            failure = execute_notebook(args.source, args.output, settings, args.cwd, label, notebook, args.figures)
        finally:
            if args.exercise:
                notebook.unlink(missing_ok=True)
        if failure is None:
            return 0
        if args.report:
            args.report.write_text(json.dumps(failure.__dict__), encoding="utf-8")
        print(failure.message(), file=sys.stderr)
        return 1

    repo, docs_dir = _load_repo(args.config_file)
    root = args.config_file.resolve().parent
    try:
        changed, stale = sync_student_notebooks(root, docs_dir, repo, "write" if args.command == "sync" else "check")
    except site_exercises.ExerciseError as exc:
        print(f"{exc}\nRien n'a été écrit dans {STUDENT_DIR}/.", file=sys.stderr)
        return 1
    if args.command == "sync":
        for rel in changed:
            print(f"écrit : {rel}")
        for rel in stale:
            print(f"supprimé : {rel}")
        return 0
    if changed or stale:
        for rel in changed:
            print(f"{rel} n'est pas à jour", file=sys.stderr)
        for rel in stale:
            print(f"{rel} ne correspond à aucune page", file=sys.stderr)
        print("Lancez `make notebooks` puis committez notebooks/.", file=sys.stderr)
        return 1
    print(f"{STUDENT_DIR}/ est à jour.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
