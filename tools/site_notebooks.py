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
  ``TP8_SOLUTIONS=0``) the site itself is built from those exercise versions
  (:func:`solutions_shown`).

By hand::

    python tools/site_notebooks.py sync     # rewrite notebooks/ (and notebooks/exercices/) from docs/*.py
    python tools/site_notebooks.py check    # fail if notebooks/ is out of date
    python tools/site_notebooks.py execute docs/PAGE.py out.ipynb [--exercise]   # run one page
"""

from __future__ import annotations

import argparse
import concurrent.futures
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

#: Bump when the executed notebooks must be regenerated whatever else changed.
FORMAT_VERSION = 2

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
        if self.timeout:
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
    source: Path, output: Path, settings: ExecSettings, cwd: Path, label: str, notebook: Path | None = None
) -> Failure | None:
    """Execute ``source`` (a jupytext ``.py``) and write the executed ``.ipynb`` to ``output``.

    ``notebook``: run this ``.ipynb`` instead, a version of the page (its exercise); ``source``
    still gives the lines of the error messages. Runs in the current process (the hook calls it
    through a subprocess, see :func:`execute_all`). Cells tagged ``skip-execution`` are not run.
    Returns None on success, else a :class:`Failure` (and ``output`` is not written).
    """
    import nbformat
    import nbformat.v4
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = read_notebook(source) if notebook is None else nbformat.read(notebook, as_version=4)
    page_cells = len(nb.cells)
    # One more cell, run last and removed afterwards: the sentences the page claimed (tp8.course.claim).
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT_CELL))
    current = {"index": None}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

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
    )
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
    if failure is not None:
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
    report = nb.cells.pop()
    nb.metadata["tp8_build"] = _read_report(report)
    nb.metadata.pop("widgets", None)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        nbformat.write(nb, handle)
    os.replace(tmp, output)
    return None


_REPORT_MARK = "TP8-BUILD-REPORT "
_REPORT_CELL = f"""\
import json as _tp8_json, sys as _tp8_sys
_tp8_course = _tp8_sys.modules.get("tp8.course")
_tp8_checks = _tp8_sys.modules.get("tp8.checks")
print({_REPORT_MARK!r} + _tp8_json.dumps({{
    "claims": _tp8_course.claims() if _tp8_course else [],
    "checks": _tp8_checks.results() if _tp8_checks else [],
}}))
"""


def _read_report(cell) -> dict:
    for out in cell.get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith(_REPORT_MARK):
                return json.loads(line[len(_REPORT_MARK) :])
    return {"claims": [], "checks": []}


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


def execute_all(
    jobs: list[Job],
    settings: ExecSettings,
    cwd: Path,
    env: dict[str, str],
    cache_dir: Path,
    log=print,
) -> list[Failure]:
    """Run ``jobs`` in subprocesses, ``settings.workers`` at a time, the longest first."""
    if not jobs:
        return []
    timings_file = _timings_path(cache_dir)
    try:
        timings = json.loads(timings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        timings = {}
    jobs = sorted(jobs, key=lambda j: -timings.get(j.label, 1e9))
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
        proc = subprocess.run(cmd, env=child_env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - start
        if proc.returncode == 0 and job.output.exists():
            return job, None, elapsed
        if report.exists():
            data = json.loads(report.read_text(encoding="utf-8"))
            report.unlink(missing_ok=True)
            return job, Failure(**data), elapsed
        return job, Failure(job.label, log=(proc.stdout + proc.stderr)[-4000:]), elapsed

    failures = []
    log(f"Exécution de {len(jobs)} notebook(s) ({workers} à la fois) : " + ", ".join(j.label for j in jobs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for job, failure, elapsed in pool.map(run, jobs):
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


def solutions_shown(extra: dict | None, env=None) -> bool:
    """The instructor's switch: does the site show the solutions?

    ``TP8_SOLUTIONS`` (``1``/``0``, ``true``/``false``, ``yes``/``no``, ``on``/``off``) when set, else
    ``extra: tp8: solutions:`` of ``mkdocs.yml`` (default: true). Anything else is a ValueError.
    """
    env = os.environ if env is None else env
    raw = env.get(SOLUTIONS_ENV, "").strip()
    where = f"la variable {SOLUTIONS_ENV}"
    if not raw:
        value = ((extra or {}).get("tp8") or {}).get("solutions", True)
        if isinstance(value, bool):
            return value
        raw, where = str(value), "extra: tp8: solutions: (mkdocs.yml)"
    word = raw.lower()
    if word in ("1", "true", "yes", "on", "oui", "vrai"):
        return True
    if word in ("0", "false", "no", "off", "non", "faux"):
        return False
    raise ValueError(f"{where} vaut {raw!r} : mettez true (solutions publiées) ou false (énoncés seulement).")


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
        "--exercise",
        action="store_true",
        help="exécuter l'énoncé de la page (solutions retirées), vérifications comprises, comme un étudiant",
    )
    for name, text in (("sync", "réécrire notebooks/"), ("check", "vérifier que notebooks/ est à jour")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    args = parser.parse_args(argv)

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
            failure = execute_notebook(args.source, args.output, settings, args.cwd, label, notebook)
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
