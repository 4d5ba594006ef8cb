"""What the worker installs in a page's kernel (sent as source, run silently: no cell, no prompt).

Standard library only, and nothing in the page's namespace: it lives in a module ``_tp8_build`` of
the kernel's ``sys.modules``.

* :func:`install` records every file under ``docs/`` the kernel opens (``sys.addaudithook``): those
  files join the page's cache record (:mod:`cache`).
* :func:`after_cell` notes how many claims and checks the page has made so far (so that the build
  knows which cell made which, for the énoncé).
* :func:`fork_run` runs one cell of the énoncé *on its own*: in a copy of this kernel (``os.fork``)
  taken now, the exercise's functions bound to their stubs; the copy's outputs are written to a
  file and nothing it does reaches this kernel. The copy never talks to the kernel's sockets: every
  message it would send is recorded instead. It computes on one thread (GNU OpenMP's threads do not
  survive a fork).
* :func:`report` writes what the page claimed (``tp8.course.claim``), its checks (``tp8.checks``), the
  files it read and what the receipt needs (versions, networks loaded, device).
* :func:`failed_line` gives the line, in its cell, where the last error was raised.
"""

import contextlib
import json
import os
import sys
import time

_state = {"docs": None, "reads": set(), "claims_at": {}, "checks_at": {}}


def install(docs_dir: str, english: dict | None = None) -> None:
    _state["docs"] = os.path.realpath(docs_dir)
    if english:  # the English of the page's code strings: the run writes both languages
        import tp8.language

        tp8.language.use_catalogue(english)

    def hook(event, args):
        if event != "open" or not args or _state["docs"] is None:
            return
        path, mode = args[0], args[1] if len(args) > 1 else "r"
        if not isinstance(path, (str, bytes, os.PathLike)) or (
            isinstance(mode, str) and any(c in mode for c in "wax+")
        ):
            return
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError, OSError):
            return
        if real.startswith(_state["docs"] + os.sep) and "__pycache__" not in real and os.path.isfile(real):
            _state["reads"].add(os.path.relpath(real, _state["docs"]).replace(os.sep, "/"))

    sys.addaudithook(hook)


def _claims() -> list:
    course = sys.modules.get("tp8.course")
    return list(course.claims()) if course is not None and hasattr(course, "claims") else []


def _english() -> dict:
    """The English of the claims (same order as :func:`_claims`) and the msgids the run found untranslated."""
    course, language = sys.modules.get("tp8.course"), sys.modules.get("tp8.language")
    return {
        "claims": list(course.claims_en()) if course is not None and hasattr(course, "claims_en") else [],
        "missing": list(language.missing()) if language is not None else [],
    }


def _checks() -> list:
    checks = sys.modules.get("tp8.checks")
    return list(checks.results()) if checks is not None and hasattr(checks, "results") else []


def after_cell(index: int) -> None:
    _state["claims_at"][index] = len(_claims())
    _state["checks_at"][index] = len(_checks())


def _kernel_facts() -> dict:
    import platform

    modules = sys.modules
    facts = {"python": platform.python_version(), "networks": []}
    for name in ("torch", "torchvision", "tp8"):
        version = getattr(modules.get(name), "__version__", None)
        if version:
            facts[name] = str(version)
    try:
        loaded = getattr(modules.get("tp8.models"), "loaded_weights", None)
        pretty = getattr(modules.get("tp8.course"), "_PRETTY", {})
        for name, info, device in loaded() if loaded else []:
            facts["networks"].append(
                {
                    "model": name,
                    "shown": pretty.get(name, name),
                    "kind": info.kind,
                    "name": info.name,
                    "sha256": info.sha256,
                    "device": device,
                }
            )
        torch = modules.get("torch")
        if torch is not None:
            facts["threads"] = torch.get_num_threads()
            if any(n["device"].startswith("cuda") for n in facts["networks"]):
                facts["cuda"] = torch.cuda.get_device_name()
    except Exception:  # never fails the page: what it cannot learn is left out of the receipt
        pass
    return facts


def _jsonable(value):
    """What the kernel's session would send for ``value``: bytes (a figure's PNG) as base64, as
    ``jupyter_client``'s ``json_default`` does; anything else as its ``repr``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    return repr(value)


def _write(path: str, data: dict) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, default=_jsonable)
    os.replace(tmp, path)


def report(path: str) -> None:
    _write(
        path,
        {
            "claims": _claims(),
            "english": _english(),
            "checks": _checks(),
            "claims_at": _state["claims_at"],
            "checks_at": _state["checks_at"],
            "reads": sorted(_state["reads"]),
            "kernel": _kernel_facts(),
        },
    )


def _error_line(tb) -> int | None:
    """The line, in the cell's code, of the outermost frame of ``tb`` that is the cell's."""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "IPython" not in name.split(os.sep) and "site-packages" not in name:
            return tb.tb_lineno
        tb = tb.tb_next
    return None


def failed_line() -> int | None:
    return _error_line(getattr(sys, "last_traceback", None))


def fork_unavailable() -> str | None:
    """Why this kernel cannot run a cell in a copy of itself, or None."""
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return "pas de fork sur ce système"
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return "CUDA est initialisé dans le noyau"
    return None


def _capture(records: list) -> None:
    """In the copy: every message the kernel would send is recorded, never sent."""
    import ipykernel.iostream
    import jupyter_client.session

    def send(self, stream, msg_or_type, content=None, *args, **kwargs):
        if isinstance(msg_or_type, dict):
            records.append({"msg_type": msg_or_type["header"]["msg_type"], "content": msg_or_type["content"]})
        else:
            records.append({"msg_type": msg_or_type, "content": content})

    class Stream:
        def __init__(self, name):
            self.name = name

        def write(self, text):
            if records and records[-1]["msg_type"] == "stream" and records[-1]["content"]["name"] == self.name:
                records[-1]["content"]["text"] += text
            else:
                records.append({"msg_type": "stream", "content": {"name": self.name, "text": text}})
            return len(text)

        def flush(self):
            pass

        def isatty(self):
            return False

    jupyter_client.session.Session.send = send
    streams = {"stdout": Stream("stdout"), "stderr": Stream("stderr")}
    sys.stdout, sys.stderr = streams["stdout"], streams["stderr"]
    ipykernel.iostream.OutStream.write = lambda self, text: streams.get(self.name, streams["stdout"]).write(text)
    ipykernel.iostream.OutStream.flush = lambda self: None


def fork_run(stubs: str, code: str, out: str, timeout: float) -> int:
    """Run ``code`` (after ``stubs``) in a copy of this kernel; its outputs go to ``out`` (JSON).
    Returns the copy's exit status (-1 when it was stopped past ``timeout`` seconds)."""
    import signal

    claims_before, checks_before = len(_claims()), len(_checks())
    pid = os.fork()
    if pid == 0:  # the copy
        try:
            records: list = []
            _capture(records)
            torch = sys.modules.get("torch")
            if torch is not None:
                torch.set_num_threads(1)
            _state["reads"] = set()
            from IPython import get_ipython

            shell = get_ipython()
            error = None
            started = time.monotonic()
            if stubs:
                exec(compile(stubs, "<stubs>", "exec"), shell.user_ns)
            result = shell.run_cell(code, store_history=False)
            if not result.success:
                exc = result.error_in_exec or result.error_before_exec
                error = {
                    "ename": type(exc).__name__,
                    "evalue": str(exc),
                    "line": _error_line(exc.__traceback__) if exc is not None else None,
                }
            _write(
                out,
                {
                    "records": records,
                    "error": error,
                    "claims": _claims()[claims_before:],
                    "checks": _checks()[checks_before:],
                    "reads": sorted(_state["reads"]),
                    "seconds": time.monotonic() - started,
                },
            )
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                _write(out, {"records": [], "error": {"ename": type(exc).__name__, "evalue": str(exc), "line": None}})
        finally:
            os._exit(0)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -1
        time.sleep(0.01)
