"""One progress bar for every long loop of tp8 (tqdm, silenced with ``progress=False``)."""

from __future__ import annotations

import os

try:  # widgets in Jupyter when ipywidgets is there; text bars otherwise (no "IProgress not found" warning)
    import ipywidgets  # noqa: F401
    from tqdm.auto import tqdm
except ImportError:
    from tqdm import tqdm


def progress_bar(total: int, desc: str, enabled: bool):
    """A tqdm bar, or a no-op one when ``enabled`` is False or ``TP8_PROGRESS=0``."""
    if os.environ.get("TP8_PROGRESS", "1").strip() in ("0", "false", "no"):
        enabled = False
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)
