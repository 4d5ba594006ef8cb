"""The hand-out as the students receive it: the real course built without its solutions (issue 15).

The site is built as an instructor hands it out (``TP8_SOLUTIONS=0``, with
``test_exercise_site.build_without_solutions``), then:

- **nothing leaks**: no answer sentence — any sentence of at least 40 characters of an answer cell of
  the pages that ask the lab's questions, and every sentence those pages guard with ``claim()`` — nor
  any Markdown sentence of the pages published with the solutions (``tp8: with_solutions``: a notice
  stands in their place) but their title, is in any HTML page of ``site/``, in
  ``search/search_index.json``, in ``sitemap.xml``, in any ``.ipynb`` of ``site/``, nor in
  ``notebooks/exercices/``; the figures (sentences checked, places searched, leaks)
  are printed. That the check does find an unmarked answer is proven on a page of the test's own in
  ``tests/test_site_exercises.py`` (``test_the_leak_check_finds_an_unmarked_answer``);
- each part's énoncé asks each of its questions and ends each with one answer box, on the site and in
  its notebooks;
- the Questions page lists the questions without a link to an answer; the report template
  ``compte-rendu-tp8.ipynb`` is published, one heading per question, and linked;
- no control character in a published notebook.

The site as the project publishes it (the ``site`` fixture, built with the instructor's own switch:
true, false or a release date) links each question to its answer when it shows the solutions, to
its énoncé when it does not, and has its report template.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from exercisekit import audit, exercise, needs_weights, real_weights, text, variants
from sitekit import DOCS, QUESTION_PAGES, QUESTIONS, ROOT, SwitchedBuilds, site_shows_solutions

#: Where the students' exercise notebooks are committed (Colab opens them from the repository).
EXERCISES = ROOT / "notebooks" / "exercices"
#: C0 control characters (and DEL) other than the newline.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")

_BUILT: dict[str, Path] = {}


@pytest.fixture(scope="session")
def enonce_site(tmp_path_factory) -> Path:
    """The course built without its solutions (once per session)."""
    if not real_weights():
        pytest.skip("the pages need the pretrained SqueezeNet 1.1 (TP8_WEIGHTS_DIR)")
    if "site" not in _BUILT:
        from test_exercise_site import build_without_solutions

        out = tmp_path_factory.mktemp("enonce-site") / "site"
        start = time.monotonic()
        proc = build_without_solutions(ROOT, out)
        assert proc.returncode == 0, f"the build without solutions failed:\n{(proc.stdout + proc.stderr)[-6000:]}"
        print(f"\n[site without solutions built in {time.monotonic() - start:.0f} s]", file=sys.stderr)
        _BUILT["site"] = out
    return _BUILT["site"]


def question_pages() -> list[tuple[str, object, str, list]]:
    """``(name, notebook, source text, questions)`` of each page that asks questions."""
    out = []
    for path in sorted(DOCS.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        if not source.startswith("# ---"):
            continue
        nb = jupytext.reads(source, fmt="py:percent")
        found = exercise.questions(nb, f"docs/{path.name}", source)
        if found:
            out.append((path.stem, nb, source, found))
    return out


def held_sentences() -> list[str]:
    """The Markdown sentences of the pages published with the solutions (``tp8: with_solutions``), but
    what the notice standing in their place says (their title), as the build's audit takes them."""
    from sitebuild import pages

    out = []
    for page in pages.read_pages(DOCS):
        if page.with_solutions:
            out += audit.held_secrets(page.nb, variants.held_notice(page, None))
    return out


def places(site: Path, committed: bool = True) -> list[Path]:
    """Every file a student can read: the site's HTML, search index, sitemap and notebooks, and the
    committed exercise notebooks."""
    found = sorted(site.rglob("*.html")) + sorted(site.rglob("*.ipynb"))
    found += sorted(EXERCISES.glob("*.ipynb")) if committed else []
    return [*found, site / "search" / "search_index.json", site / "sitemap.xml"]


@needs_weights
def test_no_answer_is_anywhere_in_the_hand_out(enonce_site, capsys):
    pages = question_pages()
    assert {name for name, *_ in pages} == set(QUESTION_PAGES.values())
    sentences: list[str] = []
    for name, nb, source, _found in pages:
        sentences += exercise.answer_sentences(nb, f"docs/{name}.py", source)
        sentences += exercise.claim_sentences(nb)
    # What a page published whole (no exercise, not held back) also writes goes out with it whatever
    # the switch: the build's own audit leaves it out (audit.not_public), and so does this search.
    from sitebuild import pages as site_pages

    whole = [p.text for p in site_pages.read_pages(DOCS) if not p.has_exercises and not p.with_solutions]
    sentences = audit.not_public(list(dict.fromkeys(sentences)), whole)
    sentences = list(dict.fromkeys(sentences + held_sentences()))
    searched = places(enonce_site)
    assert all(p.is_file() for p in searched), [str(p) for p in searched if not p.is_file()]
    kinds = {
        "pages HTML": sum(p.suffix == ".html" for p in searched),
        "notebooks du site": sum(p.suffix == ".ipynb" and enonce_site in p.parents for p in searched),
        "notebooks/exercices": sum(EXERCISES in p.parents for p in searched),
        "index de recherche et sitemap": 2,
    }
    leaks = audit.find_leaks(sentences, searched)
    with capsys.disabled():
        print(
            f"\n[fuites : {len(sentences)} phrases de réponse vérifiées, {len(searched)} fichiers fouillés "
            f"({', '.join(f'{v} {k}' for k, v in kinds.items())}), {len(leaks)} fuite(s)]"
        )
    assert len(sentences) >= 3 * len(QUESTIONS), "suspiciously few answer sentences: are the answers marked?"
    assert not leaks, "answers published without the solutions:\n" + "\n".join(
        f"  « {sentence} » dans {', '.join(where)}" for sentence, where in leaks.items()
    )


def html_of(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


@needs_weights
@pytest.mark.parametrize("name", sorted(set(QUESTION_PAGES.values())))
def test_each_enonce_asks_its_questions_and_ends_each_with_an_answer_box(enonce_site, name, tmp_path):
    (page,) = [p for p in question_pages() if p[0] == name]
    found = page[3]
    assert sorted(q.number for q in found) == sorted(n for n, p in QUESTION_PAGES.items() if p == name)
    html = html_of(enonce_site, name)
    assert html.count("celltag_answer-box") == len(found), "one answer box per question"
    shown = tmp_path / "page.html"
    shown.write_text(html, encoding="utf-8")
    for q in found:
        assert f'id="q{q.number}"' in html
        wanted = [f"Q{q.number} — {q.title}", q.report_number, f"Votre réponse — {q.report_number}"]
        wanted += text.markdown_sentences(q.text) or [q.text]
        missing = set(wanted) - set(audit.find_leaks(wanted, [shown]))
        assert not missing, f"{name}: Q{q.number} lacks {missing}"
    for notebook in (EXERCISES / f"{name}.ipynb", enonce_site / "notebooks" / "exercices" / f"{name}.ipynb"):
        nb = nbformat.read(notebook, as_version=4)
        boxes = [c for c in nb.cells if exercise.ANSWER_BOX_TAG in c.metadata.get("tags", [])]
        assert [b.source.split("\n", 1)[0] for b in boxes] == [f"**Votre réponse — {q.report_number}**" for q in found]
        asked = [c for c in nb.cells if exercise.QUESTION_TAG in c.metadata.get("tags", [])]
        assert [c.source for c in asked] == [page[1].cells[q.cell].source for q in found]


@needs_weights
def test_the_questions_page_lists_the_questions_without_answers(enonce_site):
    html = html_of(enonce_site, "questions")
    readable = text.normalise(html)
    assert "Réponse →" not in html and "la section du cours qui y répond" not in html
    assert html.count("La question dans l'énoncé →") == len(QUESTION_PAGES)
    for n, name in QUESTION_PAGES.items():
        assert f'href="../{name}/#q{n}"' in html, f"Q{n}"
        assert f"q8.{n}" in readable
    assert 'href="../compte-rendu-tp8.ipynb"' in html


def check_report(site: Path) -> None:
    report = site / variants.REPORT_NAME
    assert report.is_file(), "the report template is not published"
    nb = nbformat.read(report, as_version=4)
    nbformat.validate(nb)
    headings = [c.source.split("\n", 1)[0] for c in nb.cells if c.source.startswith("## ")]
    numbers = [re.match(r"## (Q8\.\d+)", h).group(1) for h in headings if h.startswith("## Q8.")]
    assert numbers == [f"Q8.{n}" for n in sorted(QUESTION_PAGES)]
    assert [h for h in headings if h.startswith("## Q8.")] == [f"## {q.report_heading}" for q in QUESTIONS]
    assert headings[-2:] == ["## Avancement", "## Remarques"]
    for i, cell in enumerate(nb.cells):
        if cell.source.startswith("## "):
            assert nb.cells[i + 1].source == "", f"no empty answer cell under {cell.source[:40]!r}"


@needs_weights
def test_the_report_template_is_published_and_linked(enonce_site):
    check_report(enonce_site)
    for name in ["questions", "enseignants", *sorted(set(QUESTION_PAGES.values()))]:
        assert 'href="../compte-rendu-tp8.ipynb"' in html_of(enonce_site, name), name


@needs_weights
def test_no_control_character_in_the_published_notebooks(enonce_site):
    bad = []
    for path in sorted(enonce_site.rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for k, cell in enumerate(nb["cells"]):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if CONTROL.search(source):
                bad.append(f"{path.relative_to(enonce_site)}, cellule {k}: {CONTROL.findall(source)!r}")
    assert not bad, "\n".join(bad)


def test_the_published_questions_link_as_the_switch_says_and_the_report_is_there(site):
    """``site/`` as built with the project's switch: with the solutions, each question links to its
    answer; without them (false, or a release date ahead), to its énoncé, as the hand-out above."""
    html = html_of(site, "questions")
    if site_shows_solutions():
        assert html.count("Réponse →") == len(QUESTION_PAGES)
        assert "La question dans l'énoncé" not in html
    else:
        assert html.count("La question dans l'énoncé →") == len(QUESTION_PAGES)
        assert "Réponse →" not in html and "la section du cours qui y répond" not in html
    for n, name in QUESTION_PAGES.items():
        assert f'href="../{name}/#q{n}"' in html, f"Q{n}"
    check_report(site)


# --- the same checks on a page of the test's own, built for real (no weights needed) -----------------


class HandOut(SwitchedBuilds):
    """A scratch site with a page that asks two questions and a Questions page, built three ways."""

    def __init__(self, tmp: Path):
        from test_site_exercises import QPAGE, UNMARKED

        super().__init__(tmp, {"p.py": QPAGE, "questions.md": QUESTIONS_MD})
        self.page = QPAGE
        self.unmarked = QPAGE.replace(*UNMARKED)

    def leaks(self, name: str, page: str) -> dict[str, list[str]]:
        nb = jupytext.reads(page, fmt="py:percent")
        sentences = exercise.answer_sentences(nb, "docs/p.py", page)
        return audit.find_leaks(sentences, places(self.copies[name], committed=False), self.copies[name])


QUESTIONS_MD = """\
# Questions

Chaque question <!-- tp8:solutions -->renvoie à sa réponse<!-- /tp8:solutions --><!-- tp8:enonce -->renvoie \
à l'énoncé<!-- /tp8:enonce -->. Le [modèle de compte rendu](compte-rendu-tp8.ipynb).

<!-- tp8:questions p.py -->
"""


@pytest.fixture(scope="module")
def hand_out(tmp_path_factory) -> HandOut:
    built = HandOut(tmp_path_factory.mktemp("hand-out"))
    built.build("enonce", "0")
    built.build("solutions", "1")
    built.site.write("p.py", built.unmarked)
    built.build("unmarked", "0", fails=True)
    return built


def test_a_scratch_hand_out_shows_the_questions_and_answer_boxes_and_no_answer(hand_out):
    site = hand_out.copies["enonce"]
    page = (site / "p" / "index.html").read_text(encoding="utf-8")
    assert page.count("celltag_answer-box") == 2 and "Votre réponse — Q8.2" in page
    assert 'href="../compte-rendu-tp8.ipynb"' in page and (site / "compte-rendu-tp8.ipynb").is_file()
    questions = (site / "questions" / "index.html").read_text(encoding="utf-8")
    assert "renvoie à l'énoncé" in questions and "renvoie à sa réponse" not in questions
    assert questions.count("La question dans l'énoncé →") == 2 and "Réponse →" not in questions
    assert 'href="../p/#q1"' in questions and 'href="../compte-rendu-tp8.ipynb"' in questions
    assert not (site / "notebooks" / "p.ipynb").exists(), "the corrigé was published"
    assert hand_out.leaks("enonce", hand_out.page) == {}


def test_with_the_solutions_every_answer_sentence_is_found(hand_out):
    """The positive control: the sentences, as extracted from the page, are found in a real build."""
    nb = jupytext.reads(hand_out.page, fmt="py:percent")
    sentences = exercise.answer_sentences(nb, "docs/p.py", hand_out.page)
    found = hand_out.leaks("solutions", hand_out.page)
    assert set(found) == set(sentences), set(sentences) - set(found)
    assert all("p/index.html" in where for where in found.values()), found
    questions = (hand_out.copies["solutions"] / "questions" / "index.html").read_text(encoding="utf-8")
    assert questions.count("Réponse →") == 2 and "renvoie à sa réponse" in questions


def test_a_page_with_an_unmarked_answer_makes_the_build_fail_naming_the_files(hand_out):
    """The build's own audit (solutions hidden): it names the sentence and every file holding it, and
    the last good site stays in place."""
    output = hand_out.logs["unmarked"]
    assert "des réponses seraient publiées alors que les solutions sont masquées" in output, output[-3000:]
    line = next(ln for ln in output.splitlines() if "« le héron domine nettement les autres échassiers » dans" in ln)
    for where in ("p/index.html", "notebooks/exercices/p.ipynb", "search/search_index.json"):
        assert where in line, line
    kept = hand_out.copies["unmarked"]  # site/ after the failed build: the "solutions" build, untouched
    assert (kept / "p" / "index.html").read_bytes() == (hand_out.copies["solutions"] / "p" / "index.html").read_bytes()
    assert not list(hand_out.site.root.glob(".site.*")), "the unfinished site was left behind"
