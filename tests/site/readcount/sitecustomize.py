"""Counts, in every Python process of a build (kernels aside), the reads and parses of the pages.

Put on ``PYTHONPATH`` by ``tests/site/test_reads.py`` only. With ``TP8_COUNT_DIR`` and
``TP8_COUNT_DOCS`` set, each process records every opening of a ``.py`` under ``docs/`` (an audit
hook) and every jupytext parse (by the SHA-256 of the text parsed), and writes them, when it ends, to
``TP8_COUNT_DIR/<pid>.json``.
"""

import atexit
import builtins
import collections
import hashlib
import json
import os
import sys

_DIR = os.environ.get("TP8_COUNT_DIR")
_DOCS = os.environ.get("TP8_COUNT_DOCS")

if _DIR and _DOCS and "ipykernel_launcher" not in " ".join(sys.argv):
    counts = collections.Counter()
    docs = os.path.realpath(_DOCS)

    def _audit(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            try:
                path = os.path.realpath(os.fsdecode(args[0]))
            except (TypeError, ValueError, OSError):
                return
            if path.startswith(docs + os.sep) and path.endswith(".py"):
                counts["open " + os.path.relpath(path, docs)] += 1

    sys.addaudithook(_audit)
    _real_import = builtins.__import__

    def _patch() -> bool:
        module = sys.modules.get("jupytext.jupytext")
        package = sys.modules.get("jupytext")
        if module is None or package is None or not hasattr(module, "reads") or not hasattr(package, "reads"):
            return False
        reads = module.reads

        def counted(text, *args, **kwargs):
            counts["parse " + hashlib.sha256(text.encode()).hexdigest()] += 1
            return reads(text, *args, **kwargs)

        module.reads = package.reads = counted
        return True

    _patched = []

    def _import(name, *args, **kwargs):
        module = _real_import(name, *args, **kwargs)
        if not _patched and _patch():
            _patched.append(True)
        return module

    builtins.__import__ = _import

    def _dump():
        with open(os.path.join(_DIR, f"{os.getpid()}.json"), "w", encoding="utf-8") as handle:
            json.dump(counts, handle)

    atexit.register(_dump)
