"""The notebook pages' stylesheet, cut down to the rules they use.

mkdocs-jupyter inlines about 600 kB of JupyterLab and nbconvert CSS in every notebook page; the
MkDocs hook already serves it once, as ``assets/notebook/notebook.<hash>.css``. Most of its rules
style widgets, editors and menus of JupyterLab that a static page never shows: :func:`purge`
keeps a rule only when every class its selector names is used by one of the pages that load the
stylesheet (:func:`classes_in`), which leaves about a fifth of it. At-rules (``@font-face``,
``@keyframes``…) and rules without classes (custom properties on ``:root``, element selectors) are
kept as they are; ``@media`` and ``@supports`` blocks are purged inside.
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
# Pseudo-classes and pseudo-elements, with their arguments (":not(.x)", ":is(.a, .b)"): they do not
# decide whether an element is there, so their classes do not count.
_PSEUDO = re.compile(r"::?[\w-]+(?:\((?:[^()]|\([^()]*\))*\))?")
_CLASS_ATTR = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_NESTED_AT = ("@media", "@supports", "@layer", "@container", "@document")


def classes_in(html: str) -> set[str]:
    """Every class name an HTML document uses in a ``class`` attribute."""
    found: set[str] = set()
    for match in _CLASS_ATTR.finditer(html):
        found.update((match.group(1) or match.group(2) or match.group(3) or "").split())
    return found


def _blocks(text: str) -> list[tuple[str, str]]:
    """Top-level ``(prelude, body)`` pairs of a stylesheet (quoted strings may hold braces)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        start = i
        while i < n and text[i] != "{":
            if text[i] in "\"'":
                i = _skip_string(text, i)
            else:
                i += 1
        if i >= n:
            break
        depth, j = 1, i + 1
        while j < n and depth:
            ch = text[j]
            if ch in "\"'":
                j = _skip_string(text, j)
                continue
            depth += ch == "{"
            depth -= ch == "}"
            j += 1
        out.append((text[start:i].strip(), text[i + 1 : j - 1]))
        i = j
    return out


def _skip_string(text: str, i: int) -> int:
    quote, i = text[i], i + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _selectors(prelude: str) -> list[str]:
    """The selectors of a rule, split at the commas outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return parts


def _selector_used(selector: str, used: set[str]) -> bool:
    return all(name in used for name in _CLASS.findall(_PSEUDO.sub("", selector)))


def purge(css: str, used: set[str]) -> str:
    """``css`` without the rules whose selectors all name a class that ``used`` lacks."""
    out = []
    for prelude, body in _blocks(_COMMENT.sub("", css)):
        if prelude.startswith(_NESTED_AT):
            inner = purge(body, used)
            if inner.strip():
                out.append(f"{prelude}{{\n{inner}\n}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")
        else:
            kept = [s.strip() for s in _selectors(prelude) if _selector_used(s, used)]
            if kept:
                out.append(",".join(kept) + "{" + body.strip() + "}")
    return "\n".join(out) + "\n"
