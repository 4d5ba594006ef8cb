"""The worker: executes one page in its own process, the corrigé and the énoncé's own cells.

The build (:mod:`execute`) writes a job folder — ``job.json``, ``corrige.ipynb`` (the notebook to
run, exactly the one whose code was keyed) and, for a page with exercises, ``enonce.ipynb`` (the
site's énoncé) — and starts ``python tools/site_notebooks.py worker JOB``. The worker never reads
the page's ``.py``; it checks that the notebooks it was handed have the job's key, then:

1. starts the page's kernel in ``docs/`` and installs :mod:`inkernel` there (silently: no cell, no
   execution count);
2. runs the corrigé's cells in order (nbclient, a per-cell timeout); just before each cell that an
   énoncé cell stands for, runs that énoncé cell on its own (:func:`inkernel.fork_run`,
   :mod:`variants`); prints its progress (``tp8-progress {…}``) after each cell;
3. turns every figure into a file of ``.cache/figures`` while the page runs (:mod:`figures`);
4. writes into the job folder the executed ``corrige.out.ipynb`` and ``enonce.out.ipynb`` (shared
   cells: the corrigé's outputs; own cells: theirs; check cells: none) and ``result.json`` (the
   files read under ``docs/`` with their hashes, the figures, the duration) — or, at the first
   error, ``failure.json`` (:class:`failure.Failure`), and stops.

Where a kernel cannot be copied (no ``os.fork``, or CUDA initialised in it), the énoncé is executed
whole in a second kernel instead, and the log says so. The build moves a finished job into the
cache; a worker never writes there (but for figure files, named by their content). It dies with the
build (``PR_SET_PDEATHSIG`` on Linux) and its kernel with it (the kernel watches its parent).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import cache, figures, receipt
from .failure import Failure, cell_line_in_trace, excerpt
from .settings import Execution

PROGRESS = "tp8-progress "
_INKERNEL = Path(__file__).with_name("inkernel.py")
#: The thread limits the scheduler gives this worker (:func:`execute.run`: the cores shared between the
#: pages run at once), passed on to its kernel, where the computing happens: without them each kernel
#: takes every core, and two kernels on two cores ran a page up to ten times slower.
THREAD_LIMITS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Own:
    """An énoncé cell that runs on its own (:class:`variants.OwnCell`), with its lines in the ``.py``."""

    index: int
    before: int
    code: str
    stubs: str
    lines: list[int] | None


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the build dies; exit now if it is already gone."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(3)


def _outputs(records: list[dict]) -> list:
    """nbformat outputs of the messages a copy of the kernel recorded."""
    import nbformat

    outs = []
    for rec in records:
        kind = rec.get("msg_type")
        if kind == "clear_output":
            outs = []
        elif kind in ("stream", "display_data", "execute_result", "error"):
            try:
                outs.append(nbformat.v4.output_from_msg({"msg_type": kind, "header": {"msg_type": kind}, **rec}))
            except ValueError:
                continue
    return outs


class _Run:
    """One notebook executed in one kernel (nbclient), with the build's silent helpers."""

    def __init__(self, nb, job: dict, env: dict, execution: Execution, line_map, label: str, variant: str):
        from nbclient import NotebookClient

        self.nb, self.job, self.env, self.execution = nb, job, env, execution
        self.line_map, self.label, self.variant = line_map, label, variant
        self.client = NotebookClient(
            nb,
            timeout=execution.cell_timeout,
            startup_timeout=execution.startup_timeout,
            kernel_name=nb.metadata.get("kernelspec", {}).get("name") or "python3",
            allow_errors=False,
            record_timing=False,
            store_widget_state=False,
            resources={"metadata": {"path": job["cwd"]}},
        )
        self.current: int | None = None

    def silent(self, code: str, timeout: float | None = None, expressions: dict | None = None) -> dict:
        client = self.client
        saved = client.timeout
        if timeout is not None:
            client.timeout = int(timeout)
        try:
            msg_id = client.kc.execute(
                code, silent=True, store_history=False, user_expressions=expressions or {}, allow_stdin=False
            )
            reply = client.wait_for_reply(msg_id)
        finally:
            client.timeout = saved
        return (reply or {}).get("content", {})

    def value(self, expression: str) -> str | None:
        for _ in range(3):  # right after an error, the kernel may abort what comes at once
            content = self.silent("", expressions={"v": expression})
            found = content.get("user_expressions", {}).get("v", {})
            if content.get("status") == "ok" and found.get("status") == "ok":
                return found.get("data", {}).get("text/plain")
            time.sleep(0.2)
        return None

    def install(self) -> None:
        info = self.client.wait_for_reply(self.client.kc.kernel_info())
        self.nb.metadata["language_info"] = info["content"]["language_info"]
        content = self.silent(
            "import sys as _s, types as _t\n"
            "_m = _t.ModuleType('_tp8_build')\n"
            f"exec(compile({_INKERNEL.read_text(encoding='utf-8')!r}, 'tp8-build', 'exec'), _m.__dict__)\n"
            "_s.modules['_tp8_build'] = _m\n"
            f"_m.install({self.job['cwd']!r}, {self.job.get('english') or {}!r})\n"
            "del _s, _t, _m\n"
        )
        if content.get("status") != "ok":
            raise RuntimeError(f"le noyau refuse le code de la construction : {content.get('evalue')}")

    def run(self, own: list[Own], on_own, on_cell) -> Failure | None:
        """Every cell in order, ``own`` cells (forked) just before the cell they stand for."""
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        try:
            for index, cell in enumerate(self.nb.cells):
                for task in (o for o in own if o.before == index):
                    failed = on_own(task, self._fork(task))
                    if failed is not None:
                        return failed
                self.current = index
                self.client.execute_cell(cell, index, execution_count=self.client.code_cells_executed + 1)
                if cell.cell_type == "code":
                    on_cell(index, cell)
            self.current = None
        except CellTimeoutError:
            return self._failure(
                Failure(self.label, self.variant, timeout=True, evalue=f"plus de {self.execution.cell_timeout} s")
            )
        except CellExecutionError as exc:
            return self._failure(Failure(self.label, self.variant, ename=exc.ename, evalue=exc.evalue))
        except DeadKernelError as exc:
            return self._failure(
                Failure(self.label, self.variant, ename="DeadKernelError", evalue=f"le noyau s'est arrêté ({exc})")
            )
        return None

    def _fork(self, task: Own) -> dict | None:
        out = Path(self.job["dir"]) / f"own-{task.index}.json"
        timeout = self.execution.cell_timeout
        self.silent(
            f"__import__('_tp8_build').fork_run({task.stubs!r}, {task.code!r}, {str(out)!r}, {timeout})",
            timeout=timeout + 60,
        )
        return json.loads(out.read_text(encoding="utf-8")) if out.is_file() else None

    def _failure(self, failure: Failure) -> Failure:
        if self.current is None:
            return failure
        cell = self.nb.cells[self.current]
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                failure.traceback = list(out.get("traceback", []))
                failure.ename = failure.ename or out.get("ename", "")
                failure.evalue = failure.evalue or out.get("evalue", "")
        at = None
        if not failure.timeout:
            found = self.value("__import__('_tp8_build').failed_line()")
            at = int(found) if found and found.isdigit() else cell_line_in_trace(failure.traceback)
        at = at - 1 if at else None
        mapped = self.line_map(self.current)
        failure.line = mapped[at if at is not None else 0] if mapped else None
        failure.excerpt = excerpt(cell.source, at, mapped)
        return failure


def _own_failure(label: str, task: Own, data: dict | None, execution: Execution) -> Failure | None:
    """The failure of an énoncé cell run on its own, or None when it ran."""
    if data is None:
        return Failure(
            label, "enonce", line=task.lines[0] if task.lines else None, excerpt=excerpt(task.code, None, task.lines),
            timeout=True, evalue=f"plus de {execution.cell_timeout} s",
        )  # fmt: skip
    error = data.get("error")
    if error is None:
        return None
    records = [r for r in data.get("records", []) if r.get("msg_type") == "error"]
    trace = records[-1]["content"].get("traceback", []) if records else []
    found = error.get("line") or cell_line_in_trace(trace)
    at = found - 1 if found else None
    return Failure(
        label, "enonce", line=task.lines[at if at is not None else 0] if task.lines else None,
        excerpt=excerpt(task.code, at, task.lines), ename=error.get("ename", ""), evalue=error.get("evalue", ""),
        traceback=trace,
    )  # fmt: skip


def _report(run: _Run, path: Path) -> dict:
    content = run.silent(f"__import__('_tp8_build').report({str(path)!r})")
    if content.get("status") != "ok" or not path.is_file():
        raise RuntimeError("le noyau n'a pas rendu son rapport (affirmations, vérifications, reçu)")
    return json.loads(path.read_text(encoding="utf-8"))


def run_job(job_dir: Path, progress=None) -> Failure | None:
    """Execute the job of ``job_dir`` (module docstring). Returns None, or the :class:`Failure`."""
    import nbformat

    job_dir = Path(job_dir)
    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    job["dir"] = str(job_dir)
    label, lines = job["label"], job["cell_lines"]
    execution = Execution(cell_timeout=job["cell_timeout"], startup_timeout=job["startup_timeout"])
    nb = nbformat.read(job_dir / "corrige.ipynb", as_version=4)
    enonce = nbformat.read(job_dir / "enonce.ipynb", as_version=4) if job["enonce"] else None
    own = [Own(**o) for o in job["own"]]
    env = cache.kernel_environment(job["env"])
    env.update({name: os.environ[name] for name in THREAD_LIMITS if name in os.environ and name not in env})
    if cache.key(nb, enonce, own, job["environment"], execution, job.get("english")) != job["key"]:
        return Failure(
            label, log="le notebook remis au processus d'exécution n'est pas celui dont la clé a été calculée"
        )

    def line_map(cell: int) -> list[int] | None:
        if lines is None:
            return None
        return [lines[cell] + 1 + j for j in range(len(nb.cells[cell].source.splitlines()) + 1)]

    extractor = figures.Extractor(Path(job["cache_dir"]))
    own_done: dict[int, dict] = {}
    total = sum(1 for c in nb.cells if c.cell_type == "code")
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.monotonic()
    try:
        run = _Run(nb, job, env, execution, line_map, label, "corrige")
        with run.client.setup_kernel(env=env):
            run.install()
            unavailable = None
            if own:
                unavailable = run.value("__import__('_tp8_build').fork_unavailable()")
                unavailable = None if unavailable in (None, "None") else unavailable.strip("'\"")

            def on_own(task: Own, data: dict | None) -> Failure | None:
                failed = _own_failure(label, task, data, execution)
                if failed is None:
                    own_done[task.index] = {**data, "outputs": _outputs(data["records"])}
                    extractor.submit({"outputs": own_done[task.index]["outputs"]})
                return failed

            def on_cell(index: int, cell) -> None:
                extractor.submit(cell)
                if enonce is not None:
                    run.silent(f"__import__('_tp8_build').after_cell({index})")
                if progress is not None:
                    done = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
                    progress({"done": done, "of": total, "elapsed": round(time.monotonic() - clock, 1)})

            failure = run.run([] if unavailable else own, on_own, on_cell)
            if failure is not None:
                return failure
            reported = _report(run, job_dir / "kernel-report.json")
        if unavailable and enonce is not None:
            if progress is not None:
                progress({"note": f"énoncé exécuté en entier : {unavailable}"})
            whole = _whole_enonce(enonce, job, env, execution, label, own, extractor)
            if isinstance(whole, Failure):
                return whole
            own_done, reported["claims_at"] = whole, None
        duration = time.monotonic() - clock
        kernel_facts = reported.pop("kernel", {})
        build = {"receipt": receipt.receipt(kernel_facts, started, duration, Path(job["cwd"]))}
        written = {"corrige": nb}
        if enonce is not None:
            written["enonce"] = _fill_enonce(enonce, job["origins"], nb, own_done, reported, build)
        nb.metadata["tp8_build"] = {
            **build,
            "claims": reported["claims"],
            "english": reported.get("english") or {},
            "checks": reported["checks"],
            "claims_at": reported.get("claims_at"),
        }
        used: set[str] = set()
        for name, notebook in written.items():
            names = extractor.apply(notebook)
            notebook.metadata["tp8_build"]["figures"] = names
            notebook.metadata.pop("widgets", None)
            used.update(names)
            cache.atomic_write(job_dir / f"{name}.out.ipynb", nbformat.writes(notebook))
    finally:
        extractor.close()
    reads = set(reported["reads"])
    for data in own_done.values():
        reads.update(data.get("reads", []))
    docs = Path(job["cwd"])
    result = {
        "executed_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 1),
        "inputs": {rel: cache.file_digest(docs / rel) for rel in sorted(reads)},
        "figures": sorted(used),
        "variants": sorted(written),
    }
    cache.atomic_write(job_dir / "result.json", json.dumps(result))
    return None


def _whole_enonce(enonce, job, env, execution, label, own, extractor) -> dict | Failure:
    """Where the kernel cannot be copied: the énoncé executed whole in a kernel of its own; the
    outputs of its own cells, its claims and checks (all of them: it ran alone)."""
    nb = copy.deepcopy(enonce)
    by_index = {o.index: o for o in own}

    def line_map(cell: int) -> list[int] | None:
        return by_index[cell].lines if cell in by_index else None

    run = _Run(nb, job, env, execution, line_map, label, "enonce")
    with run.client.setup_kernel(env=env):
        run.install()
        failure = run.run([], lambda task, data: None, lambda index, cell: extractor.submit(cell))
        if failure is not None:
            return failure
        reported = _report(run, Path(job["dir"]) / "kernel-report-enonce.json")
    done = {o.index: {"outputs": nb.cells[o.index].get("outputs", []), "reads": reported["reads"]} for o in own}
    first = min(done, default=None)
    if first is not None:  # the claims and checks of the whole run, given once
        done[first].update(claims=reported["claims"], checks=reported["checks"], whole=True)
    return done


def _fill_enonce(enonce, origins, corrige, own_done: dict, reported: dict, build: dict):
    """The énoncé with its outputs: its own cells' from their runs, the shared cells' from the corrigé's."""
    out = copy.deepcopy(enonce)
    claims_at = reported.get("claims_at")
    made_by: dict[int, list[str]] = {}
    if claims_at is not None:
        previous = 0
        for index in sorted(int(k) for k in claims_at):
            made_by[index] = reported["claims"][previous : claims_at[str(index)]]
            previous = claims_at[str(index)]
    claims: list[str] = []
    checks: list[dict] = []
    for k, cell in enumerate(out.cells):
        if cell.cell_type != "code":
            continue
        origin = origins[k]
        if k in own_done:
            data = own_done[k]
            cell.outputs = copy.deepcopy(data["outputs"])
            claims += data.get("claims", [])
            checks += data.get("checks", [])
        elif origin is None or "skip-execution" in cell.get("metadata", {}).get("tags", []):
            cell.outputs = []
        else:
            cell.outputs = copy.deepcopy(corrige.cells[origin].get("outputs", []))
            claims += made_by.get(origin, [])
        cell.execution_count = corrige.cells[origin].get("execution_count") if origin is not None else None
    out.metadata["language_info"] = copy.deepcopy(corrige.metadata.get("language_info", {}))
    out.metadata["tp8_build"] = {**build, "claims": claims, "checks": checks}
    return out


def main(job_dir: str) -> int:
    """``site_notebooks.py worker JOB``: run the job, print progress, exit 0 (done) or 1 (failure.json)."""
    job_dir = Path(job_dir)
    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    if job.get("parent"):
        _die_with_parent(int(job["parent"]))

    def progress(data: dict) -> None:
        print(PROGRESS + json.dumps(data), flush=True)

    try:
        failure = run_job(job_dir, progress)
    except Exception as exc:  # a failure of the machinery itself, told like a page's
        failure = Failure(job.get("label", str(job_dir)), ename=type(exc).__name__, evalue=str(exc))
    if failure is None:
        return 0
    cache.atomic_write(job_dir / "failure.json", json.dumps(failure.to_json()))
    return 1
