"""The execution cache: a prose edit re-renders a page without running it; a code edit runs it again.

Checked through the build's own record of what it executed (``.cache/notebooks/last-build.json``),
never through timing, on a scratch site (:class:`sitekit.ScratchSite`) with one small page whose
code prints a value and a random number (a re-execution would change the number) and shows an image.
Also: the image leaves the executed notebook while the page runs (a small marker stays in its
place) and is served as a file; the receipt at the foot of the page is the one of the run that
made its outputs, also after an edit of the text alone.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

import pytest
from sitekit import PAGE_HEADER, ROOT, ScratchSite

sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import cache, execute, pages, settings, variants

PAGE = (
    PAGE_HEADER
    + """
# %% [markdown]
# # Page de test du cache
#
# Premier paragraphe, avec une faute de frappe.

# %%
import random

VALEUR = 41
print(f"valeur = {VALEUR}, tirage = {random.random():.12f}")

# %% [markdown]
# Deuxième paragraphe.

# %% tags=["hide-input"]
from IPython.display import Markdown

Markdown(f"Texte calculé : **{VALEUR + 1}**.")

# %% [markdown]
# Troisième paragraphe.

# %% tags=["hide-input"]
import io

from IPython import display
from PIL import Image

buffer = io.BytesIO()
Image.new("RGB", (96, 48), (200, 30, 30)).save(buffer, format="PNG")
display.Image(data=buffer.getvalue())
"""
)
DRAW = re.compile(r"tirage = (0\.\d{12})")
RECEIPT = re.compile(r'<footer class="tp8-receipt".*?</footer>', re.DOTALL)


def executed_outputs(site: ScratchSite) -> str:
    """The outputs of every code cell of the page as rendered, as canonical JSON."""
    pages = sorted((site.root / ".cache" / "notebooks" / "pages").glob("cache*.executed.ipynb"))
    newest = max(pages, key=lambda p: p.stat().st_mtime)
    nb = json.loads(newest.read_text(encoding="utf-8"))
    return json.dumps([c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"], sort_keys=True)


def receipt(html: str) -> str:
    found = RECEIPT.findall(html)
    assert len(found) == 1, f"{len(found)} receipts on the page"
    return found[0]


def executed_at(footer: str) -> str:
    """When the run that the receipt describes started, to the second (its ``data-executed-at``)."""
    match = re.search(r'data-executed-at="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"', footer)
    assert match, f"the receipt gives no machine-readable time: {footer}"
    return match.group(1)


def draw(html: str) -> str:
    match = DRAW.search(html)
    assert match, "the page does not show its printed draw"
    return match.group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = ScratchSite(tmp_path_factory.mktemp("cache"), {"cache.py": PAGE})
    proc = site.build()
    assert proc.returncode == 0, proc.output[-3000:]
    assert site.last_build()["executed"] == ["docs/cache.py"]
    return site


def build(site: ScratchSite) -> dict:
    proc = site.build()
    assert proc.returncode == 0, proc.output[-3000:]
    site.log = proc.output
    record = site.last_build()
    record.pop("times")  # where the build's time went
    assert record.pop("site_dir") == str(site.root / "site")  # which folder it built
    assert isinstance(record.pop("solutions"), bool)  # what it published (the instructor's setting)
    return record


def edit(site: ScratchSite, old: str, new: str) -> None:
    text = site.read("cache.py")
    assert old in text, old
    site.write("cache.py", text.replace(old, new, 1))


def test_the_image_leaves_the_notebook_while_it_runs_and_is_served_as_a_file(site):
    executed = list((site.root / ".cache" / "notebooks" / "records" / "cache").glob("*.corrige.ipynb"))
    assert len(executed) == 1
    nb = json.loads(executed[0].read_text(encoding="utf-8"))
    payloads = [
        o["data"]["image/png"] for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert len(payloads) == 1 and len(payloads[0]) < 1000, "the image still travels inside the executed notebook"
    assert nb["metadata"]["tp8_build"]["figures"], "the executed notebook does not list its figure files"
    html = site.html("cache.py")
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert len(srcs) == 1 and "assets/figures/" in srcs[0] and not srcs[0].startswith("data:"), srcs
    name = srcs[0].rsplit("/", 1)[-1]
    assert (site.root / "site" / "assets" / "figures" / name).is_file()
    assert (site.root / ".cache" / "figures" / name).is_file()


def test_the_notebook_stylesheet_is_served_once_cut_down_to_what_the_page_uses(site):
    html = site.html("cache.py")
    links = re.findall(r'href="([^"]*assets/notebook/notebook\.[0-9a-f]{12}\.css)"', html)
    assert len(links) == 1, links
    css = site.root / "site" / "assets" / "notebook" / links[0].rsplit("/", 1)[-1]
    assert css.is_file() and 1000 < css.stat().st_size < 300_000, css.stat().st_size
    assert list((site.root / "site" / "assets" / "notebook").iterdir()) == [css]


def test_the_page_ends_with_its_receipt(site):
    text = receipt(site.html("cache.py"))
    assert re.search(r"exécutée le \d{1,2}(er)? \w+ 20\d\d à \d\d:\d\d UTC, en \d", text), text
    for word in ("Python 3.", "tp8 ", "aucun réseau chargé", "Machine</strong> : "):
        assert word in text, f"{word!r} missing from the receipt: {text}"
    assert "/" not in re.sub(r"</\w+>", "", text).replace("aria-label", ""), f"a path in the receipt? {text}"


def test_nothing_changed_nothing_runs(site):
    before = executed_outputs(site)
    record = build(site)
    assert record == {"executed": [], "text_only": [], "unchanged": ["docs/cache.py"]}
    assert executed_outputs(site) == before


def test_a_markdown_edit_is_shown_without_running_the_page(site):
    before, shown = executed_outputs(site), draw(site.html("cache.py"))
    stamp = receipt(site.html("cache.py"))
    edit(site, "avec une faute de frappe", "sans faute de frappe")
    record = build(site)
    assert record["executed"] == [] and record["text_only"] == ["docs/cache.py"]
    assert "texte modifié, pas de ré-exécution" in site.log
    html = site.html("cache.py")
    assert "sans faute de frappe" in html and "avec une faute" not in html
    assert executed_outputs(site) == before, "the outputs changed although no code did"
    assert draw(html) == shown
    assert receipt(html) == stamp, "the receipt must be the one of the run that made the outputs"


def test_moving_a_markdown_cell_does_not_run_the_page(site):
    before = executed_outputs(site)
    text = site.read("cache.py")
    block = "# %% [markdown]\n# Troisième paragraphe.\n"
    text = text.replace(block, "").replace(
        "# %% [markdown]\n# Deuxième paragraphe.\n", block + "\n# %% [markdown]\n# Deuxième paragraphe.\n"
    )
    site.write("cache.py", text)
    record = build(site)
    assert record["executed"] == [] and record["text_only"] == ["docs/cache.py"]
    html = site.html("cache.py")
    assert html.index("Troisième paragraphe") < html.index("Deuxième paragraphe")
    assert executed_outputs(site) == before


def test_a_display_tag_change_does_not_run_the_page(site):
    before = executed_outputs(site)
    assert "IPython.display" not in site.html("cache.py")  # the computed prose's code is hidden
    edit(site, '# %% tags=["hide-input"]', "# %%")
    record = build(site)
    assert record["executed"] == [] and record["text_only"] == ["docs/cache.py"]
    assert "IPython.display" in site.html("cache.py")  # now shown, without running anything
    assert executed_outputs(site) == before
    edit(
        site,
        "# %%\nfrom IPython.display import Markdown",
        '# %% tags=["hide-input"]\nfrom IPython.display import Markdown',
    )
    build(site)


def test_a_code_edit_runs_the_page_and_shows_the_new_value(site):
    shown, stamp = draw(site.html("cache.py")), receipt(site.html("cache.py"))
    edit(site, "VALEUR = 41", "VALEUR = 99")
    record = build(site)
    assert record["executed"] == ["docs/cache.py"]
    line = next(i + 1 for i, text in enumerate(site.read("cache.py").splitlines()) if text == "VALEUR = 99")
    assert f"docs/cache.py à exécuter — code modifié ligne {line - 2}" in site.log, site.log[-2000:]
    html = site.html("cache.py")
    assert "valeur = 99" in html and "valeur = 41" not in html, "a stale output was shown"
    assert "Texte calculé : <strong>100</strong>" in html  # computed prose is code: it ran again
    assert draw(html) != shown
    # The text shows the minute; the run's second is in data-executed-at: a run in the same minute differs.
    assert executed_at(receipt(html)) != executed_at(stamp), "the receipt still describes the previous run"


def test_adding_a_code_cell_runs_the_page(site):
    edit(
        site,
        "# %% [markdown]\n# Troisième paragraphe.",
        '# %%\nprint("cellule ajoutée")\n\n# %% [markdown]\n# Troisième paragraphe.',
    )
    record = build(site)
    assert record["executed"] == ["docs/cache.py"]
    assert "cellule ajoutée" in site.html("cache.py")


def test_reordering_code_cells_runs_the_page(site):
    text = site.read("cache.py")
    added = '# %%\nprint("cellule ajoutée")\n'
    assert added in text
    text = text.replace(added, "").rstrip("\n") + "\n\n" + added  # now the last code cell, after the prose
    site.write("cache.py", text)
    record = build(site)
    assert record["executed"] == ["docs/cache.py"]
    assert "déplacées" in site.log or "modifiée" in site.log, site.log[-2000:]


def test_a_page_whose_figure_files_are_gone_runs_again(site):
    figures = site.root / ".cache" / "figures"
    for path in figures.iterdir():
        path.unlink()
    record = build(site)
    assert record["executed"] == ["docs/cache.py"], "the page was rendered without its figure files"
    name = re.findall(r'<img src="[^"]*/([^"/]+)"', site.html("cache.py"))[0]
    assert (figures / name).is_file()


def _job(tmp_path, name: str, code: str):
    """A job folder for a page of one code cell (as the build writes it), the job and its environment."""
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / name).write_text(PAGE_HEADER + f"\n# %%\n{code}\n", encoding="utf-8")
    page = pages.read_page(docs / name, docs)
    site = variants.site_variants(page, "")
    env = cache.kernel_environment(dict(os.environ))
    env_print = cache.fingerprint(cache.environment_facts(env))
    execution = settings.Execution(workers=1)
    key = cache.key(site.corrige, None, [], env_print, execution)
    job = {
        "label": page.label, "key": key, "environment": env_print, "cwd": str(docs),
        "cache_dir": str(tmp_path / ".cache"), "cell_timeout": 600, "startup_timeout": 120,
        "cell_lines": list(page.cell_lines), "enonce": False, "origins": [], "own": [], "env": env,
        "parent": os.getpid(),
    }  # fmt: skip
    execute.prepare(tmp_path / "job", job, site.corrige, None)
    return execute.Job(page.label, tmp_path / "job", 1.0, "estimation"), env


def test_a_page_past_its_time_limit_is_stopped_with_its_kernel(tmp_path):
    """``page_timeout``: the page's process and its kernel are stopped, the failure says so."""
    pid_file = tmp_path / "kernel.pid"
    code = f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)"
    job, env = _job(tmp_path, "lente.py", code)
    start = time.monotonic()
    with pytest.raises(execute.PageFailed) as caught:
        execute.run([job], settings.Execution(workers=1, page_timeout=40), env, lambda job: None, log=lambda _: None)
    assert time.monotonic() - start < 120
    assert caught.value.failure.timeout
    assert "docs/lente.py : arrêtée, la page dépasse 40 s" in caught.value.failure.message()
    assert not (job.folder / "result.json").exists()
    kernel = int(pid_file.read_text())
    for _ in range(100):
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the kernel (pid {kernel}) still runs after the page was stopped")


def test_pages_run_at_once_share_the_cores_in_their_kernels(tmp_path, monkeypatch):
    """Two workers: each page's kernel, where torch computes, gets half the cores (oversubscribed
    kernels, each taking every core, ran a page up to ten times slower)."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    jobs, seen = [], {}
    for name in ("une.py", "autre.py"):
        out = tmp_path / f"{name}.threads"
        code = f"import os, torch\nopen({str(out)!r}, 'w').write(f\"{{os.environ.get('OMP_NUM_THREADS')}} {{torch.get_num_threads()}}\")"
        (tmp_path / name).mkdir()
        job, env = _job(tmp_path / name, name, code)
        jobs.append(job)
        seen[name] = out
    env.pop("OMP_NUM_THREADS", None)
    execute.run(jobs, settings.Execution(workers=2), env, lambda job: None, log=lambda _: None)
    share = max(1, len(os.sched_getaffinity(0)) // 2)
    for name, out in seen.items():
        assert out.read_text() == f"{share} {share}", (name, out.read_text())


def test_the_longest_pages_start_first_and_the_two_workers_end_close_together(tmp_path):
    """``schedule``: this machine's times first, then the committed estimates, then the size of the page."""
    import heapq

    estimates = {"docs/c.py": 30, "docs/b.py": 1}

    def job(name, last=None, size=1000):
        seconds = execute.expected_seconds(f"docs/{name}", last, estimates, size)
        return execute.Job(f"docs/{name}", tmp_path / name, seconds)

    jobs = [job("a.py", last=10), job("b.py", last=50), job("c.py"), job("new.py", size=300_000)]
    assert [j.label for j in execute.schedule(jobs)] == ["docs/new.py", "docs/b.py", "docs/c.py", "docs/a.py"]

    # The committed estimates cover every page, and two workers taking the longest page left end close together.
    estimates = json.loads(execute.ESTIMATES_FILE.read_text(encoding="utf-8"))
    found = {f"docs/{p.relative_to(ROOT / 'docs').as_posix()}" for p in pages.find_pages(ROOT / "docs")}
    assert found <= set(estimates), f"tools/page_timings.json lacks {sorted(found - set(estimates))}"
    workers = [0.0, 0.0]
    for seconds in sorted((estimates[p] for p in found), reverse=True):
        heapq.heappush(workers, heapq.heappop(workers) + seconds)
    assert max(workers) <= max(max(estimates[p] for p in found), sum(estimates[p] for p in found) / 2 * 1.34)


READS = (
    PAGE_HEADER
    + """
# %% [markdown]
# # Une page qui lit un fichier

# %%
from pathlib import Path

print("donnée :", Path("donnees/mesure.txt").read_text(encoding="utf-8").strip())
"""
)
OTHER = PAGE_HEADER + '\n# %% [markdown]\n# # Une autre page\n\n# %%\nprint("rien à lire")\n'


def test_a_file_a_page_reads_under_docs_is_part_of_its_key(tmp_path):
    """Replacing a file a page read (a photo, a data file) re-executes exactly the pages that read it."""
    site = ScratchSite(tmp_path, {"lit.py": READS, "autre.py": OTHER})
    (site.docs / "donnees").mkdir()
    (site.docs / "donnees" / "mesure.txt").write_text("41\n", encoding="utf-8")
    assert build(site)["executed"] == ["docs/autre.py", "docs/lit.py"]
    assert "donnée : 41" in site.html("lit.py")
    (record,) = (site.root / ".cache" / "notebooks" / "records" / "lit").glob("*.json")
    assert list(json.loads(record.read_text(encoding="utf-8"))["inputs"]) == ["donnees/mesure.txt"]
    (site.docs / "donnees" / "mesure.txt").write_text("42\n", encoding="utf-8")
    record = build(site)
    assert record["executed"] == ["docs/lit.py"] and record["unchanged"] == ["docs/autre.py"], record
    assert "docs/lit.py à exécuter — docs/donnees/mesure.txt modifié" in site.log, site.log[-2000:]
    assert "donnée : 42" in site.html("lit.py")
    assert build(site)["executed"] == []


def test_the_execution_setting_off_and_exclude(tmp_path, monkeypatch):
    """``execute: off`` runs nothing and shows the last outputs of unchanged code; an excluded page never runs."""
    site = ScratchSite(tmp_path, {"lit.py": OTHER.replace("rien à lire", "première version"), "brouillon.py": OTHER})
    monkeypatch.setenv("TP8_SITE_EXCLUDE", "brouillon*.py")
    assert build(site)["executed"] == ["docs/lit.py"]
    assert "première version" in site.html("lit.py")
    assert "jp-OutputArea-output" not in site.html("brouillon.py"), "an excluded page has no output"
    assert "docs/brouillon.py — non exécutée (exclue)" in site.log
    monkeypatch.setenv("TP8_SITE_EXECUTE", "off")
    site.write("lit.py", site.read("lit.py").replace("# # Une autre page", "# # Une autre page, retouchée"))
    assert build(site)["executed"] == []
    assert "première version" in site.html("lit.py"), "off: the outputs of the unchanged code are shown"
    site.write("lit.py", site.read("lit.py").replace("première version", "seconde version"))
    assert build(site)["executed"] == []
    assert "docs/lit.py — non exécutée (execute: off)" in site.log
    assert "jp-OutputArea-output" not in site.html("lit.py"), "off: no output for code that has not run"
    monkeypatch.setenv("TP8_SITE_EXECUTE", "force")
    assert build(site)["executed"] == ["docs/lit.py"]
