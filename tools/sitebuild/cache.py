"""The execution cache: keys, one record per page and key, merging, eviction (one format version).

What lives where (under the project's ``.cache/``)::

    notebooks/records/<page>/<key>.json           the record of one execution of the page (below)
    notebooks/records/<page>/<key>.corrige.ipynb  the executed corrigé (outputs; figures as markers)
    notebooks/records/<page>/<key>.enonce.ipynb   the énoncé derived from that run (pages with exercises)
    notebooks/pages/<page>.<hash>.executed.ipynb  a page as mkdocs-jupyter renders it: the variant shown,
                                                  its current text merged with the record's outputs
    notebooks/last-build.json                     what the last build did (executed, text only, unchanged),
                                                  whether it published the solutions (to which site folder), where its time went
    figures/                                      the figures of the executed pages, one file each
                                                  (site_figures), shared by every record
    build/run-<pid>/                              scratch of a running build (workers write there; the
                                                  build moves a finished page into records/)

A page's **key** hashes what can change what it computes: its code cells (source and order, execution
tags), the énoncé's own cells (:mod:`variants`), its kernel, the execution setting that matters
(:mod:`settings`), :data:`FORMAT_VERSION`, and the environment (:func:`environment_facts`: the files
of ``tp8``, the ``TP8_*`` variables, the weights, the libraries' versions). Markdown is not in the
key: a prose edit is merged under the last outputs (:func:`merge_outputs`) without running anything.

A **record** also lists the files under ``docs/`` the page read while it ran (a photo, a data file)
with their SHA-256: a record whose inputs changed is not used (the page runs again), so replacing a
photo re-executes exactly the pages that read it. A record is written last, after its notebooks,
all by atomic renames, and only by the build (never by a worker): a build stopped half-way leaves no
record behind. Eviction keeps, per page, the record in use and the two most recent others
(switching back is free), and the figures those records use.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .settings import BUILD_ONLY_ENV, Execution

#: Bump when every cached execution must be made again, whatever else changed (figures included).
FORMAT_VERSION = 4
#: Records kept per page besides the one in use.
KEEP = 2
#: Libraries whose version can change what a page computes or shows.
VERSIONED = [
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
#: Cell tags that change how a cell *runs* (the others, e.g. hide-input, only change how it shows).
EXECUTION_TAGS = {"raises-exception", "skip-execution"}
VARIANTS = ("corrige", "enonce")


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


# --- the environment ---------------------------------------------------------------------------------


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
        out[path.relative_to(root).as_posix()] = digest(path.read_bytes())[:20]
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
    """Everything outside a page that can change what the page computes."""
    tp8_dir = _package_dir("tp8")
    tp8_dir = tp8_dir.resolve() if tp8_dir is not None else None
    torch_home = env.get("TORCH_HOME") or str(Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "torch")
    versions = {}
    for dist in VERSIONED:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "python": platform.python_version(),
        "versions": versions,
        "tp8_dir": str(tp8_dir),
        "tp8_files": _tree_hashes(tp8_dir) if tp8_dir is not None else {},
        "tp8_env": {k: v for k, v in sorted(env.items()) if k.startswith("TP8_") and k not in BUILD_ONLY_ENV},
        "weights": _listing(env.get("TP8_WEIGHTS_DIR")),
        "torch_hub": _listing(Path(torch_home) / "hub" / "checkpoints"),
    }


def fingerprint(facts: dict) -> str:
    return digest(json.dumps(facts, sort_keys=True))


_FACT_LABELS = {
    "tp8_env": "variables TP8_*",
    "weights": "fichiers de poids (TP8_WEIGHTS_DIR)",
    "torch_hub": "poids téléchargés (TORCH_HOME)",
    "versions": "versions des bibliothèques",
    "python": "version de Python",
    "tp8_dir": "emplacement de tp8",
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


# --- keys ----------------------------------------------------------------------------------------------


def code_cells(nb) -> list[str]:
    """A fingerprint of each code cell, in order: its source and its execution tags (everything of a
    cell that can change what the kernel computes; Markdown and display tags are left out)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            tags = sorted(set(cell.get("metadata", {}).get("tags", [])) & EXECUTION_TAGS)
            out.append(digest(json.dumps([cell.source, tags])))
    return out


def key(corrige, enonce, own, env_print: str, execution: Execution, english: dict | None = None) -> str:
    """The key of a page's execution (module docstring); ``english``: the English of the page's code
    strings (``translation.Lookup.code_entries``), which the run writes its English from."""
    parts = {
        "format": FORMAT_VERSION,
        "kernel": corrige.metadata.get("kernelspec", {}),
        "corrige": code_cells(corrige),
        "enonce": code_cells(enonce) if enonce is not None else None,
        "own": [[o.index, o.before, o.stubs] for o in own],
        "environment": env_print,
        "cell_timeout": execution.cell_timeout,
    }
    if english:  # a page without English keeps the key it had
        parts["english"] = sorted(english.items())
    return digest(json.dumps(parts, sort_keys=True))


def display_key(nb) -> str:
    """A fingerprint of what a page *shows*: every cell's source, metadata and outputs, in order."""
    cells = [[c.cell_type, c.source, c.get("metadata", {}), c.get("outputs", [])] for c in nb.cells]
    return digest(json.dumps([cells, nb.metadata], sort_keys=True, default=str))


def merge_outputs(current, executed):
    """The page as it is now, with the outputs of an execution of the same code cells.

    ``current`` is a variant of the page as read; ``executed`` an executed notebook of the same variant
    whose code cells have the same sources in the same order (same key). Markdown cells and cell
    metadata come from ``current``; outputs and execution counts from ``executed``.
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
    for name in ("language_info", "tp8_build"):
        if name in executed.metadata:
            merged.metadata[name] = copy.deepcopy(executed.metadata[name])
    return merged


# --- records -------------------------------------------------------------------------------------------


@dataclass
class Record:
    """One execution of a page (``records/<page>/<key>.json``)."""

    key: str
    label: str
    executed_at: str  # UTC, ISO
    duration_s: float
    code: list[str]  # code_cells() of the corrigé: what changed since, in the log
    facts: dict  # environment_facts() of the run
    inputs: dict[str, str | None] = field(default_factory=dict)  # docs-relative path -> SHA-256 (None: absent)
    figures: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict) -> Record | None:
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError:
            return None


def file_digest(path: Path) -> str | None:
    try:
        return digest(Path(path).read_bytes())
    except OSError:
        return None


class Store:
    """The cache of one project (``.cache`` under its root)."""

    def __init__(self, cache_dir: Path, edition: str = "fr"):
        self.cache_dir = Path(cache_dir)
        self.root = self.cache_dir / "notebooks"
        self.records = self.root / "records"
        # The rendered pages of each edition apart: one edition's build never removes the other's.
        self.pages = self.root / "pages" / ("" if edition == "fr" else edition)
        self.figures = self.cache_dir / "figures"

    # records
    def _base(self, stem: str, key_: str) -> Path:
        return self.records / stem / key_[:24]

    def executed(self, stem: str, key_: str, variant: str) -> Path:
        return self._base(stem, key_).with_name(f"{key_[:24]}.{variant}.ipynb")

    def has_record(self, stem: str, key_: str) -> bool:
        """Whether a record of ``key`` exists for page ``stem`` (complete or not)."""
        return self._base(stem, key_).with_suffix(".json").is_file()

    def find(self, stem: str, key_: str) -> Record | None:
        """The record of ``key`` for page ``stem`` when it is complete (its notebooks and figures there)."""
        data = read_json(self._base(stem, key_).with_suffix(".json"))
        record = Record.from_json(data) if isinstance(data, dict) else None
        if record is None or record.key != key_:
            return None
        if not all(self.executed(stem, key_, v).is_file() for v in record.variants):
            return None
        if any(not (self.figures / name).is_file() for name in record.figures):
            return None
        return record

    def latest(self, stem: str) -> Record | None:
        """The most recent record of a page, whatever its key (what changed since; how long it took)."""
        found = []
        for path in (self.records / stem).glob("*.json"):
            data = read_json(path)
            record = Record.from_json(data) if isinstance(data, dict) else None
            if record is not None:
                found.append(record)
        return max(found, key=lambda r: r.executed_at, default=None)

    @staticmethod
    def changed_inputs(record: Record, docs_dir: Path) -> list[str]:
        """The files under ``docs/`` the run read that are no longer what they were."""
        return [rel for rel, sha in sorted(record.inputs.items()) if file_digest(Path(docs_dir) / rel) != sha]

    def commit(self, stem: str, record: Record, notebooks: dict[str, Path]) -> None:
        """Move a finished execution (its notebooks, written by a worker) into the cache, record last."""
        folder = self.records / stem
        folder.mkdir(parents=True, exist_ok=True)
        for variant, path in notebooks.items():
            os.replace(path, self.executed(stem, record.key, variant))
        atomic_write(self._base(stem, record.key).with_suffix(".json"), json.dumps(asdict(record), indent=1))

    # pages as rendered
    def rendered_path(self, stem: str, nb) -> Path:
        return self.pages / f"{stem}.{display_key(nb)[:24]}.executed.ipynb"

    def rendered(self, stem: str, nb) -> Path:
        """The file mkdocs-jupyter renders for ``nb`` (written once: named by what it shows)."""
        import nbformat

        path = self.rendered_path(stem, nb)
        if not path.is_file():
            atomic_write(path, nbformat.writes(nb))
        return path

    # eviction
    def evict(self, in_use: dict[str, str], rendered: set[Path], records: bool = True) -> None:
        """Keep, for each page of the build (``{page: its key}``), the record of its key and the
        :data:`KEEP` most recent others, the rendered pages in use, and the figures of the kept
        records; remove the rest (the records of pages gone included). ``records=False`` (the English
        edition, which executes nothing): only this edition's rendered pages."""
        if not records:
            for path in self.pages.glob("*.executed.ipynb") if self.pages.is_dir() else []:
                if path not in rendered:
                    path.unlink(missing_ok=True)
            return
        kept_figures: set[str] = set()
        for folder in self.records.glob("*") if self.records.is_dir() else []:
            records = []
            for path in folder.glob("*.json"):
                data = read_json(path)
                record = Record.from_json(data) if isinstance(data, dict) else None
                records.append((path, record))
            current = in_use.get(folder.name)
            records.sort(
                key=lambda pr: (pr[1] is not None and pr[1].key == current, pr[1].executed_at if pr[1] else "")
            )
            records.reverse()
            limit = (1 + KEEP) if folder.name in in_use else 0
            for rank, (path, record) in enumerate(records):
                if rank < limit and record is not None:
                    kept_figures.update(record.figures)
                    continue
                for variant in VARIANTS:
                    path.with_name(f"{path.stem}.{variant}.ipynb").unlink(missing_ok=True)
                path.unlink(missing_ok=True)
            kept = {p.name.split(".", 1)[0] for p in folder.glob("*.json")}
            for stray in folder.glob("*.ipynb"):  # a notebook without its record: an interrupted commit
                if stray.name.split(".", 1)[0] not in kept:
                    stray.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()
        for path in self.pages.glob("*.executed.ipynb") if self.pages.is_dir() else []:
            if path not in rendered:
                path.unlink(missing_ok=True)
        self._evict_figures(kept_figures)

    def _evict_figures(self, kept: set[str]) -> None:
        if not self.figures.is_dir():
            return
        for meta in self.figures.glob("*.json"):
            data = read_json(meta)
            if not isinstance(data, dict) or data.get("file") not in kept:
                meta.unlink(missing_ok=True)
        for path in self.figures.iterdir():
            if path.is_file() and path.suffix != ".json" and path.name not in kept:
                path.unlink(missing_ok=True)

    # the build's own scratch
    def scratch(self) -> Path:
        """A folder for this build's running pages (``build/run-<pid>``); those of dead builds go."""
        base = self.cache_dir / "build"
        for old in base.glob("run-*") if base.is_dir() else []:
            pid = old.name[len("run-") :]
            if not pid.isdigit() or not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        folder = base / f"run-{os.getpid()}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def now_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
