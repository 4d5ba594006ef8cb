"""Are two built sites the same? Every file compared, byte for byte, once what must differ is masked.

What differs between two builds of the same pages by nature, and only that, is masked: the receipt's
time, duration and commit (``<footer class="tp8-receipt">``), the sitemap's dates, and the cell ids
nbconvert writes into a notebook page (``id="cell-id=…"``: jupytext draws them at random each time it
parses a page), and what an execution draws anew (pandas' table ids, objects' addresses). Everything else
— every page, the search index, each downloadable notebook, each figure file, the stylesheets —
must be identical. Used to prove that a change of the build machinery changed nothing a reader or a
student gets (issue 23): build the site before and after the change, then

    .venv/bin/python benchmarks/compare_builds.py SITE_BEFORE SITE_AFTER [--notebooks NB_BEFORE NB_AFTER]

It prints each file that differs (with the first differing lines), each file only one side has, and
a count; it exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

_RECEIPT = re.compile(r'(<footer class="tp8-receipt".*?</footer>)', re.S)
_MASKS = [
    (re.compile(r'data-executed-at="[^"]*"'), 'data-executed-at="…"'),
    (re.compile(r"exécutée le .*? UTC, en [^<]*"), "exécutée le … UTC, en …"),
    (re.compile(r"\(commit <code>[^<]*</code>\)"), "(commit …)"),
]
_LASTMOD = re.compile(r"<lastmod>[^<]*</lastmod>")
_CELL_ID = re.compile(r'id="cell-id=[0-9a-f-]+"')
#: What an execution draws anew each time, whatever the build: pandas' table ids (``T_1a2b3``),
#: an object's address in a printed repr (``<torch._C.Generator at 0x7f…>``).
_RUN_IDS = [(re.compile(r"\bT_[0-9a-f]{5}(?![0-9a-f])"), "T_…"), (re.compile(r" at 0x[0-9a-f]+"), " at 0x…")]


def normalised(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".html":
        text = data.decode("utf-8")

        def mask(match: re.Match) -> str:
            footer = match.group(1)
            for pattern, replacement in _MASKS:
                footer = pattern.sub(replacement, footer)
            return footer

        text = _CELL_ID.sub('id="cell-id=…"', _RECEIPT.sub(mask, text))
        for pattern, replacement in _RUN_IDS:
            text = pattern.sub(replacement, text)
        return text.encode("utf-8")
    if path.name == "sitemap.xml":
        return _LASTMOD.sub("<lastmod>…</lastmod>", data.decode("utf-8")).encode("utf-8")
    return data


def files(root: Path) -> dict[str, Path]:
    skipped = ("sitemap.xml.gz",)  # its gzip header holds the build's time; sitemap.xml is compared
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file() and p.name not in skipped}


def compare(before: Path, after: Path, show: int = 6) -> list[str]:
    """One paragraph per difference between the two trees (nothing when they are the same)."""
    a, b = files(before), files(after)
    out = [f"seulement avant : {name}" for name in sorted(set(a) - set(b))]
    out += [f"seulement après : {name}" for name in sorted(set(b) - set(a))]
    for name in sorted(set(a) & set(b)):
        left, right = normalised(a[name]), normalised(b[name])
        if left == right:
            continue
        try:
            lines = list(
                difflib.unified_diff(
                    left.decode("utf-8").splitlines(), right.decode("utf-8").splitlines(), lineterm="", n=0
                )
            )[2 : 2 + show]
        except UnicodeDecodeError:
            lines = [f"(binaire, {len(left)} → {len(right)} octets)"]
        out.append(f"différent : {name}\n" + "\n".join("    " + ln[:240] for ln in lines))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--notebooks", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    found = compare(args.before, args.after)
    count = len(files(args.before))
    if args.notebooks:
        found += compare(*args.notebooks)
        count += len(files(args.notebooks[0]))
    for paragraph in found:
        print(paragraph)
    print(f"{count} fichiers comparés, {len(found)} différence(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
