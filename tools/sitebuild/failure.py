"""Why a page could not be executed, told with one numbering: the line of its ``.py``.

A worker that meets an error makes a :class:`Failure` (the line of the page's ``.py`` where the error
was raised, the lines around it, the error, the trace); the build stops at once and shows
:meth:`Failure.message`. In the trace, IPython's ``Cell In[6], line 6`` becomes that ``.py`` line:
no cell number, no ``In[]``, no line within a cell.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"Cell In\s*\[\s*\d*\s*\],\s*line (\d+)")
_LISTED = re.compile(r"^(\s*(?:-+>\s*)?)(\d+)(\s.*|)$")  # a line of code IPython lists, with its number


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def cell_line_in_trace(traceback: list[str]) -> int | None:
    """The line (1-based, in its cell) of the cell's frame in an IPython trace."""
    match = _CELL_FRAME.search(strip_ansi("\n".join(traceback)))
    return int(match.group(1)) if match else None


@dataclass
class Failure:
    """A page that failed: where (``label`` and ``line`` of the ``.py``), what, and its context."""

    label: str  # docs/partie-1-saillance.py
    variant: str = "corrige"  # or "enonce": a cell of the énoncé that runs on its own
    line: int | None = None  # line of the .py
    excerpt: list[list] = field(default_factory=list)  # [line, text] around it
    ename: str = ""
    evalue: str = ""
    traceback: list[str] = field(default_factory=list)
    timeout: bool = False
    log: str = ""

    def where(self) -> str:
        text = self.label + (f", ligne {self.line}" if self.line is not None else "")
        return text + (" (énoncé)" if self.variant == "enonce" else "")

    def message(self) -> str:
        where = self.where()
        if self.timeout and self.evalue.startswith("la page"):
            head = f"{where} : arrêtée, {self.evalue}."
        elif self.timeout:
            head = f"{where} : la cellule dépasse le délai par cellule ({self.evalue})."
        elif self.ename:
            head = f"{where} : {self.ename}: {self.evalue}"
        else:
            head = f"{where} : la page n'a pas pu être exécutée."
        parts = [head]
        if self.excerpt:
            width = len(str(self.excerpt[-1][0]))
            shown = [f"  {'→' if n == self.line else ' '} {n:>{width}} | {text}" for n, text in self.excerpt]
            parts.append("\n".join(shown))
        if self.traceback and not self.timeout:
            trace = strip_ansi("\n".join(self.traceback))
            if self.line is not None:
                trace = self._renumbered(trace)
            lines = trace.strip().splitlines()
            parts.append("Trace :\n" + "\n".join("    " + ln for ln in lines[-20:]))
        if self.log and not self.traceback:
            parts.append("Sortie :\n" + "\n".join("    " + ln for ln in self.log.strip().splitlines()[-20:]))
        return "\n".join(parts)

    def _renumbered(self, trace: str) -> str:
        """The trace with the cell's frame in the lines of the ``.py``: its header (``Cell In[6], line
        13``) and the numbers of the code it lists (IPython's ``---> 13``): for the corrigé, whose
        cells are runs of lines of the ``.py``, those lines; for an énoncé's own cell, none."""
        out, offset = [], None
        for text in trace.splitlines():
            found = _CELL_FRAME.search(text)
            if found:
                out.append(_CELL_FRAME.sub(f"{self.label}, ligne {self.line}", text))
                # an énoncé's own cell is not a run of lines of the .py: its listed lines lose their number
                offset = self.line - int(found.group(1)) if self.variant == "corrige" else ""
                continue
            listed = _LISTED.match(text) if offset is not None else None
            if listed:
                lead, number, rest = listed.groups()
                number = str(int(number) + offset) if offset != "" else ""
                width = len(lead) + len(listed.group(2))  # IPython's column, kept where it fits
                text = (f"{number:>{width}}" if not lead.strip() else f"{lead}{number}") + rest
            elif not text.strip() or text.lstrip().startswith("File "):
                offset = None  # the cell's frame ends
            out.append(text)
        return "\n".join(out)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Failure:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def excerpt(source: str, line_in_cell: int | None, line_map: list[int] | None, context: int = 3) -> list[list]:
    """``[[.py line, text], …]`` around line ``line_in_cell`` (0-based) of a cell whose lines are lines
    ``line_map`` of the ``.py`` (the cell's first 12 lines when the failing line is not known)."""
    lines = source.splitlines()
    if not line_map or len(line_map) < len(lines):
        return []
    if line_in_cell is None or not 0 <= line_in_cell < len(lines):
        return [[line_map[i], text] for i, text in enumerate(lines[:12])]
    low, high = max(0, line_in_cell - context), min(len(lines), line_in_cell + context + 1)
    return [[line_map[i], lines[i]] for i in range(low, high)]
