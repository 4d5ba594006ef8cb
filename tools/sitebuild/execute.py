"""Executing the pages: one worker process per page, a few at a time, the longest first.

:func:`run` starts each job (:class:`Job`: a folder written by :func:`prepare`) as
``python tools/site_notebooks.py worker JOB`` in a process group of its own, ``workers`` at a time,
the page expected to take longest first (its last run here, else ``tools/page_timings.json``, else
its size). It logs each running page's progress (cells done, elapsed, expected from the last run) at
most every :data:`PROGRESS_EVERY` seconds, and hands each finished job to ``on_done`` (the build moves
it into the cache). At the first failure it stops every other page at once — their processes and
kernels — and raises :class:`PageFailed`; so does SIGTERM or Ctrl-C (:class:`Interrupted`), which
leaves no process behind and nothing in the cache. No MkDocs here: ``tools/site_notebooks.py run``
uses it to warm the cache or check every page.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .failure import Failure
from .settings import Execution
from .worker import PROGRESS

#: Seconds between two progress lines of the same page.
PROGRESS_EVERY = 15.0
#: Execution time of each page measured on a 2-core machine (``benchmarks/bench_build.py --write-estimates``):
#: the order of a first build, before the cache holds this machine's own times.
ESTIMATES_FILE = Path(__file__).resolve().parents[1] / "page_timings.json"
_CLI = Path(__file__).resolve().parents[1] / "site_notebooks.py"


class PageFailed(Exception):
    """A page failed; the build stops (every other page was stopped)."""

    def __init__(self, failure: Failure):
        super().__init__(failure.message())
        self.failure = failure


class Interrupted(BaseException):
    """SIGTERM (a timeout, a CI cancel) reached the build while pages ran."""


@dataclass
class Job:
    label: str  # docs/partie-1-saillance.py
    folder: Path  # the job folder (job.json, corrige.ipynb…)
    expected_s: float | None = None  # from the last run here, the estimates, or the page's size
    expected_from: str = ""  # which of them, in words
    process: subprocess.Popen | None = field(default=None, repr=False)
    stderr: object = field(default=None, repr=False)
    started: float = 0.0
    last_log: float = 0.0
    progress: dict = field(default_factory=dict)  # the worker's last report: cells done, of, elapsed


def expected_seconds(label: str, last: float | None, estimates: dict, size: int) -> float:
    """How long a page should take: its last run here, else the committed estimate, else a guess
    from the size of its source (about a second per kilobyte of page)."""
    if isinstance(last, (int, float)):
        return float(last)
    value = estimates.get(label)
    if isinstance(value, (int, float)):
        return float(value)
    return size / 1000


def estimates() -> dict:
    try:
        data = json.loads(ESTIMATES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def schedule(jobs: list[Job]) -> list[Job]:
    """The jobs in the order the workers take them: the longest first (each free worker takes the
    longest job left, which keeps a long page from starting last while the other worker idles)."""
    return sorted(jobs, key=lambda j: (-(j.expected_s or 0.0), j.label))


def prepare(folder: Path, job: dict, corrige, enonce) -> None:
    """Write a job folder: ``job.json`` and the notebooks the worker runs (exactly those keyed)."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corrige.ipynb").write_text(nbformat.writes(corrige), encoding="utf-8")
    if enonce is not None:
        (folder / "enonce.ipynb").write_text(nbformat.writes(enonce), encoding="utf-8")
    (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")


def _stop(job: Job) -> None:
    """Stop a page's worker (its process group); its kernel follows its parent."""
    proc = job.process
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):  # already gone, or no process groups (Windows)
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)


def _reader(job: Job, events: queue.Queue) -> None:
    assert job.process is not None and job.process.stdout is not None
    for line in job.process.stdout:
        if line.startswith(PROGRESS):
            with contextlib.suppress(ValueError):
                events.put(("progress", job, json.loads(line[len(PROGRESS) :])))
    events.put(("exit", job, job.process.wait()))


def _cores() -> int:
    """The cores this process may use (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _seconds(value: float) -> str:
    value = round(value)
    return f"{value} s" if value < 60 else f"{value // 60} min {value % 60:02d} s"


def _progress(job: Job, now: float) -> str:
    expected = f" sur {_seconds(job.expected_s)} attendues" if job.expected_s else ""
    elapsed = _seconds(now - job.started)
    if not job.progress:
        return f"{job.label} : démarrage, {elapsed}{expected}"
    return f"{job.label} : {job.progress['done']}/{job.progress['of']} cellules, {elapsed}{expected}"


def run(jobs: list[Job], execution: Execution, env: dict[str, str], on_done, log=print) -> None:
    """Execute ``jobs`` (module docstring); ``on_done(job)`` for each page that finished well."""
    if not jobs:
        return
    jobs = schedule(jobs)
    workers = max(1, min(execution.workers, len(jobs)))
    child_env = dict(env)
    if workers > 1 and "OMP_NUM_THREADS" not in child_env:
        # Share the cores between the kernels instead of letting each take them all (the worker passes
        # the limit on to its kernel: worker.THREAD_LIMITS).
        threads = str(max(1, _cores() // workers))
        child_env["OMP_NUM_THREADS"] = child_env["MKL_NUM_THREADS"] = threads
    log(f"Exécution de {len(jobs)} page(s) ({workers} à la fois) : " + ", ".join(j.label for j in jobs))
    events: queue.Queue = queue.Queue()
    waiting, running = list(jobs), []
    previous = _on_sigterm()
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                job = waiting.pop(0)
                job.stderr = open(job.folder / "stderr.log", "w", encoding="utf-8")  # noqa: SIM115
                job.process = subprocess.Popen(
                    [sys.executable, str(_CLI), "worker", str(job.folder)],
                    env=child_env,
                    stdout=subprocess.PIPE,
                    stderr=job.stderr,
                    text=True,
                    start_new_session=True,  # its own process group: stopped with its kernel
                )
                job.started = job.last_log = time.monotonic()
                threading.Thread(target=_reader, args=(job, events), daemon=True).start()
                expected = f" (attendu : {_seconds(job.expected_s)}, {job.expected_from})" if job.expected_s else ""
                log(f"{job.label} : exécution commencée{expected}")
                running.append(job)
            try:
                kind, job, data = events.get(timeout=0.5)
            except queue.Empty:
                kind, job, data = "tick", None, None
            now = time.monotonic()
            if kind == "progress":
                if "note" in data:
                    log(f"{job.label} : {data['note']}")
                else:
                    job.progress = data
            for other in running:
                if execution.page_timeout and now - other.started > execution.page_timeout:
                    _stop(other)
                    raise PageFailed(
                        Failure(other.label, timeout=True, evalue=f"la page dépasse {execution.page_timeout} s")
                    )
                if now - other.last_log >= PROGRESS_EVERY:
                    other.last_log = now
                    log(_progress(other, now))
            if kind == "exit":
                running.remove(job)
                job.stderr.close()
                elapsed = now - job.started
                failed = job.folder / "failure.json"
                if data == 0 and (job.folder / "result.json").is_file():
                    log(f"{job.label} exécutée en {elapsed:.1f} s")
                    on_done(job)
                elif failed.is_file():
                    raise PageFailed(Failure.from_json(json.loads(failed.read_text(encoding="utf-8"))))
                else:
                    stderr = (job.folder / "stderr.log").read_text(encoding="utf-8", errors="replace")
                    raise PageFailed(Failure(job.label, log=stderr[-4000:] or f"code de sortie {data}"))
    finally:
        for job in running:
            _stop(job)
            job.stderr.close()
        _restore(previous)


def _on_sigterm():
    """While pages run, SIGTERM raises :class:`Interrupted` in the main thread (as Ctrl-C raises
    KeyboardInterrupt), so that the workers are stopped on the way out."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise Interrupted(f"signal {signum}")

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:
        return None


def _restore(previous) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)
