"""What a page becomes: the table of its variants, each a chain of ``nb → nb`` steps over the parsed page.

============================  ==========================================================  ============
variant                       steps (applied to a copy of the page's notebook, in order)  where
============================  ==========================================================  ============
``corrige`` (site)            links to the site root made relative                        the site, solutions shown
``enonce`` (site)             exercise (checks not run), links made relative              the site, solutions hidden
``corrige`` (students)        students' form (install cell, no outputs, stable ids)       ``notebooks/``
``enonce`` (students)         exercise, students' form                                    ``notebooks/exercices/``
``notice`` (site)             its title and when it will appear (:func:`held_notice`)     the site, solutions hidden
============================  ==========================================================  ============

(after nbgrader's preprocessors: ClearSolutions, ClearOutput…). A page without exercises has the
``corrige`` variants only; one published with the solutions (header ``tp8: with_solutions: true``)
shows, while they are hidden, the ``notice`` in their place: it is made by the build, not executed.
A new dimension (a language, say) is one more step in each chain; the execution does not change: it
is keyed on the page's code.

**One execution for both hand-outs.** The corrigé is executed (every cell, every claim, every check);
the énoncé is derived from that run (:func:`enonce_plan`): its cells that are the page's own cells
take their outputs from the corrigé's run; the cells it does not share run *on their own*, each in a
copy of the corrigé's kernel taken just before the cell it stands for (``os.fork``: nothing the copy
does reaches the corrigé's run), with the exercise's functions bound to their stubs — that is, the
stubbed cells themselves, and the cells that call an exercise's function (``tp8.checks.use`` answers
them with tp8's reference and says so). The énoncé's check cells are not run. A cell that uses a
value computed by one of those cells shows, in the énoncé, the corrigé's value (the reference and
the solution agree by construction: the checks compare them). Since the énoncé never runs whole
here, :func:`answers_needed` refuses, before anything runs, an énoncé that would use a name only its
dropped answers define (where a student's notebook would stop).
"""

from __future__ import annotations

import ast
import copy
import datetime
import re
from dataclasses import dataclass

from . import exercise
from .pages import Page

#: The report template's name, at the site's root; notebook pages link to it.
REPORT_NAME = "compte-rendu-tp8.ipynb"


@dataclass(frozen=True)
class OwnCell:
    """A cell of the énoncé that runs on its own (see the module's docstring)."""

    index: int  # in the énoncé notebook
    before: int  # the cell of the page it stands for: it runs just before the corrigé runs that one
    code: str  # its source
    stubs: str  # the stubs of the exercises defined earlier in the page, run first in the copy


# --- steps -------------------------------------------------------------------------------------------


def enonce(page: Page, *, for_site: bool, lang: str = "fr"):
    """The énoncé of ``page``: ``(notebook, origins)`` (:func:`exercise.exercise_cells`); ``lang="en"``:
    what the exercise adds (stubs, notices, answer boxes) in English."""
    return exercise.exercise_cells(page.nb, list(page.regions), page.marking, for_site=for_site, lang=lang)


def link_to_root(nb, page_url: str, names: tuple[str, ...] = (REPORT_NAME,)):
    """``nb`` (a new notebook) with its Markdown links to files at the site's root (``names``, e.g.
    ``[modèle](compte-rendu-tp8.ipynb)``) made relative to the built page ``page_url``
    (``partie-1-saillance/``): MkDocs does not rewrite the links of notebook pages."""
    prefix = "../" * page_url.count("/")
    if not prefix:
        return nb
    pattern = re.compile(r"(\]\(|href=[\"'])(" + "|".join(re.escape(n) for n in names) + r")(?=[)#\"'])")
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = pattern.sub(lambda m: m.group(1) + prefix + m.group(2), cell.source)
    return out


def held_notice(page: Page, release: datetime.date | None, edition: str = "fr", title: str | None = None):
    """What the site shows of a page published with the solutions (``tp8: with_solutions``) while
    they are hidden: its title, and that it will appear with the corrigés (on ``release``, the release
    date, when there is one). ``edition="en"``: in English (``title``: the page's English title)."""
    import nbformat

    title = title or page.title or page.src_uri
    if edition == "en":
        when = f"on {release.isoformat()}" if release else "when your instructor publishes the solutions"
        text = f"{title}\n\nThis page goes with the lab's solutions: it will appear with them, {when}."
    else:
        when = f"le {release.isoformat()}" if release else "quand votre enseignant publiera les corrigés"
        text = f"{title}\n\nCette page accompagne les corrigés du TP : elle paraîtra avec eux, {when}."
    cell = nbformat.v4.new_markdown_cell(f"# {text}")
    cell.id = "notice"
    return nbformat.v4.new_notebook(
        cells=[cell], metadata={k: v for k, v in page.nb.metadata.items() if k in ("kernelspec", "language_info")}
    )


@dataclass
class SiteVariants:
    """The two site variants of a page, before execution, and the énoncé's own cells."""

    corrige: object  # notebook
    enonce: object | None  # notebook, None without exercises
    origins: list[int | None]  # for each énoncé cell, the page's cell it comes from
    own: list[OwnCell]


def site_variants(page: Page, url: str) -> SiteVariants:
    """The page as the site shows it with and without the solutions (links to the root made relative)."""
    corrige = link_to_root(page.nb, url)
    if not page.has_exercises:
        return SiteVariants(corrige, None, [], [])
    nb, origins = enonce(page, for_site=True)
    for used_at, name, defined_at in answers_needed(page, nb, origins)[:1]:
        raise exercise.ExerciseError(
            page.label,
            page.line_of(used_at),
            f"l'énoncé utilise « {name} », que seule une réponse définit (ligne {page.line_of(defined_at) or '?'}) : "
            "un étudiant s'y arrêterait (NameError). Définissez-le dans une cellule que l'énoncé garde, ou ne "
            "vous en servez que dans les réponses",
            used_at,
        )
    return SiteVariants(corrige, link_to_root(nb, url), origins, enonce_plan(page, nb, origins))


# --- the énoncé's own cells ------------------------------------------------------------------------------


def _python(source: str) -> ast.Module | None:
    """A code cell as Python (IPython's magics translated), or None when it is not Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # no IPython here, or a cell it cannot read: take the text as it is
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _loads(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _scan(tree: ast.Module) -> tuple[set[str], set[str]]:
    """``(read, bound)``: the names a cell reads while it runs (not in the bodies of the functions and
    lambdas it defines, which run only when called) and those it binds in the notebook's namespace
    (not its comprehensions', classes' or functions' own names)."""
    read: set[str] = set()
    bound: set[str] = set()

    def visit(node, binding: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if binding:
                bound.add(node.name)
            for part in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                if part is not None:
                    read.update(_loads(part))
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.ClassDef) and binding:
            bound.add(node.name)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and binding:
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            read.add(node.id)
        elif isinstance(node, ast.Name) and binding:
            bound.add(node.id)
        inner = binding and not isinstance(
            node, (ast.ClassDef, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        )
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, True)
    return read, bound


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    return {
        node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


def _segment(source: str, node) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(source.splitlines()[first - 1 : node.end_lineno])


def enonce_plan(page: Page, nb, origins: list[int | None]) -> list[OwnCell]:
    """The cells of the énoncé ``nb`` that run on their own (module docstring), in order."""
    functions = {r.function for r in page.regions if r.function}
    # Functions and classes of the page whose body calls an exercise's function depend on it too.
    trees = {i: _python(c.source) for i, c in enumerate(page.nb.cells) if c.cell_type == "code"}
    dependent = set(functions)
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for name, node in (_definitions(tree) if tree else {}).items():
                if name not in dependent and _loads(node) & dependent:
                    dependent.add(name)
                    grew = True
    own, stubs = [], []
    for k, cell in enumerate(nb.cells):
        origin = origins[k]
        if cell.cell_type != "code" or origin is None:
            continue
        if exercise.SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        changed = cell.source != page.nb.cells[origin].source
        tree = trees.get(origin) if not changed else _python(cell.source)
        if tree is None:
            reads = {w for w in dependent if re.search(rf"\b{re.escape(w)}\b", cell.source)}
        else:
            reads = _scan(tree)[0] & dependent
        if changed or reads:
            own.append(OwnCell(k, origin, cell.source, "\n\n".join(stubs)))
        if changed and tree is not None:
            stubs += [_segment(cell.source, n) for name, n in _definitions(tree).items() if name in functions]
    return own


def answers_needed(page: Page, nb, origins: list[int | None]) -> list[tuple[int, str, int]]:
    """Names the énoncé ``nb`` uses that only its dropped answers define (a student's notebook would
    stop there): ``(page cell using it, name, page cell defining it)``, in order."""
    kept = {o for o in origins if o is not None}
    bound_by_answer: dict[str, int] = {}
    bound_by_kept: set[str] = set()
    for index, cell in enumerate(page.nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        if tree is None:
            continue
        if index in kept:
            bound_by_kept |= _scan(tree)[1]
        else:
            for name in _scan(tree)[1]:
                bound_by_answer.setdefault(name, index)
    only = {name: where for name, where in bound_by_answer.items() if name not in bound_by_kept}
    found = []
    for k, cell in enumerate(nb.cells):
        origin = origins[k]
        if cell.cell_type != "code" or origin is None or exercise.SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        tree = _python(cell.source)
        if tree is None:
            continue
        own = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        own |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)} | _scan(tree)[1]
        for name in sorted((_loads(tree) - own) & set(only)):
            if only[name] < origin:
                found.append((origin, name, only[name]))
    return found
