"""The course's build on the command line, each stage runnable without MkDocs (``tools/README.md``).

    python tools/site_notebooks.py sync      # write notebooks/ and notebooks/exercices/ from docs/*.py (make notebooks)
    python tools/site_notebooks.py check     # fail if they are out of date (make notebooks-check)
    python tools/site_notebooks.py run [--force]   # execute what must run (the cache warmed), check
                                             # both hand-outs of every page, write notebooks/
    python tools/site_notebooks.py execute docs/PAGE.py out.ipynb [--exercise]
                                             # run one page alone (its énoncé, checks included, as a student)
    python tools/site_notebooks.py solutions-status   # what a build publishes now (solutions or énoncés)
    python tools/site_notebooks.py translations [--check] [PAGE…]
                                             # docs/locale/en/*.po brought up to date with the pages
                                             # (--check: write nothing, fail if an English is missing or stale)

``sync``, ``run`` and the site build write ``notebooks/`` through the same functions
(``sitebuild.notebooks``). ``worker JOB`` is the build's own: it executes one page
(``sitebuild.worker``). Bad input: one message, exit status 2; a page that fails: its ``.py`` line,
exit status 1; nothing is written after a failure.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path


def _pages_and_repo(config_file: Path):
    from sitebuild import pages, solutions
    from sitebuild.repo import resolve_repo

    data = solutions.read_config(config_file)
    docs_dir = Path(config_file).resolve().parent / data.get("docs_dir", "docs")
    return pages.read_pages(docs_dir), resolve_repo(data.get("repo_url"), data.get("edit_uri")), docs_dir


def _sync(config_file: Path, write: bool) -> int:
    from sitebuild import notebooks
    from sitebuild.exercise import ExerciseError

    try:
        found, repo, _docs = _pages_and_repo(config_file)
        texts = notebooks.contents(found, repo)
    except ExerciseError as exc:
        print(f"{exc}\nRien n'a été écrit dans {notebooks.STUDENT_DIR}/.", file=sys.stderr)
        return 1
    root = Path(config_file).resolve().parent
    changed, stale = notebooks.sync(root, texts, "write" if write else "check")
    if write:
        for rel in changed:
            print(f"écrit : {rel}")
        for rel in stale:
            print(f"supprimé : {rel}")
        return 0
    if changed or stale:
        for rel in changed:
            print(f"{rel} n'est pas à jour", file=sys.stderr)
        for rel in stale:
            print(f"{rel} ne correspond à aucune page", file=sys.stderr)
        print("Lancez `make notebooks` puis committez notebooks/.", file=sys.stderr)
        return 1
    print(f"{notebooks.STUDENT_DIR}/ est à jour.")
    return 0


def _execute_one(args) -> int:
    """One page alone, in a kernel of its own (its énoncé with ``--exercise``, checks run)."""
    import json
    import tempfile

    import nbformat
    from sitebuild import cache, execute, pages, translation, variants, worker
    from sitebuild.exercise import ExerciseError
    from sitebuild.settings import Execution

    source = Path(args.source).resolve()
    docs_dir = source.parent if args.cwd is None else Path(args.cwd).resolve()
    try:
        page = pages.read_page(source, docs_dir)
    except (ExerciseError, ValueError, OSError) as exc:
        print(f"tp8 : {exc}", file=sys.stderr)
        return 2
    nb = variants.enonce(page, for_site=False)[0] if args.exercise else page.nb
    env = cache.kernel_environment()
    with tempfile.TemporaryDirectory(prefix="tp8-execute-") as tmp:
        folder = Path(tmp) / page.stem
        facts = cache.environment_facts(env)
        execution = Execution(cell_timeout=args.timeout)
        english = translation.code_catalogue(page, docs_dir)
        key = cache.key(nb, None, [], cache.fingerprint(facts), execution, english)
        lines = list(page.cell_lines) if page.cell_lines and not args.exercise else None
        job = {
            "label": page.label + (" (énoncé)" if args.exercise else ""),
            "key": key,
            "environment": cache.fingerprint(facts),
            "cwd": str(docs_dir),
            "cache_dir": str(Path(tmp) / "cache"),
            "cell_timeout": args.timeout,
            "startup_timeout": execution.startup_timeout,
            "cell_lines": lines,
            "enonce": False,
            "english": english,
            "origins": [],
            "own": [],
            "env": env,
            "parent": None,
        }
        execute.prepare(folder, job, nb, None)
        failure = worker.run_job(folder)
        if failure is not None:
            print(failure.message(), file=sys.stderr)
            return 1
        out = nbformat.read(folder / "corrige.out.ipynb", as_version=4)
        Path(args.output).write_text(nbformat.writes(out), encoding="utf-8")
        checks = (out.metadata.get("tp8_build") or {}).get("checks", [])
        print(json.dumps({"checks": [c.get("status") for c in checks]}, ensure_ascii=False))
    return 0


def _translations(config_file: Path, only: list[str], check: bool) -> int:
    """Bring each page's catalogue up to date (or, with ``check``, say what lags and write nothing)."""
    from sitebuild import english, solutions, translation

    found, _repo, docs_dir = _pages_and_repo(config_file)
    sources = {page.src_uri: translation.page_messages(page) for page in found}
    sources[english.SITE_CATALOGUE] = english.site_messages(solutions.read_config(config_file))
    for md in sorted(docs_dir.rglob("*.md")):
        rel = md.relative_to(docs_dir).as_posix()
        if not rel.startswith(("overrides/", "locale/")):
            sources[rel] = translation.md_messages(md.read_text(encoding="utf-8"))
    unknown = [
        name for name in only if name not in sources and f"{name}.py" not in sources and f"{name}.md" not in sources
    ]
    if unknown:
        print(f"page inconnue : {', '.join(unknown)} (pages : {', '.join(sorted(sources))})", file=sys.stderr)
        return 2
    lagging = 0
    for src_uri, messages in sources.items():
        stem = src_uri.rsplit(".", 1)[0]
        if only and src_uri not in only and stem not in only:
            continue
        path = translation.catalogue_path(docs_dir, src_uri)
        table = translation.lookup(path, src_uri, messages)
        if not check:
            _catalog, written = translation.update(path, src_uri, messages)
            if written:
                print(f"écrit : {path.relative_to(docs_dir.parent)}")
        ok = len(messages) - len(table.stale) - len(table.missing)
        print(
            f"{src_uri} : {len(messages)} passages, {ok} traduits, {len(table.stale)} à revoir, {len(table.missing)} à traduire"
        )
        if check:
            for m in messages:
                state = table.english(m.msgid)[1]
                if state != "ok":
                    first = m.msgid.strip().split("\n")[0][:70]
                    what = "à revoir" if state == "stale" else table.invalid.get(m.msgid, "à traduire")
                    where = "mkdocs.yml" if src_uri == english.SITE_CATALOGUE else f"docs/{src_uri}"
                    print(f"  {where}:{m.line} — {what} : {first}")
        lagging += len(table.stale) + len(table.missing)
    return 1 if check and lagging else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("sync", "réécrire notebooks/"), ("check", "vérifier que notebooks/ est à jour")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    run = sub.add_parser("run", help="exécuter ce qui doit l'être, vérifier corrigés et énoncés, écrire notebooks/")
    run.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    run.add_argument("--force", action="store_true", help="exécuter toutes les pages, cache ou non")
    ex = sub.add_parser("execute", help="exécuter une page seule vers un .ipynb (son énoncé avec --exercise)")
    ex.add_argument("source", type=Path)
    ex.add_argument("output", type=Path)
    ex.add_argument("--cwd", type=Path, default=None, help="le dossier docs/ (par défaut celui de la page)")
    ex.add_argument("--timeout", type=int, default=600, help="secondes par cellule")
    ex.add_argument("--exercise", action="store_true", help="exécuter l'énoncé, vérifications comprises")
    worker = sub.add_parser("worker", help="(interne) exécuter une page pour la construction")
    worker.add_argument("job", type=Path)
    status = sub.add_parser(
        "solutions-status",
        help="dire ce qu'une construction faite maintenant publie (solutions ou énoncés) et si la construction "
        "quotidienne doit publier",
    )
    status.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    status.add_argument("--today", type=datetime.date.fromisoformat, default=None, help="(essais) AAAA-MM-JJ")
    status.add_argument(
        "--github-output",
        type=Path,
        default=None,
        help="ajouter solutions=… et publish=… à ce fichier ($GITHUB_OUTPUT)",
    )
    tr = sub.add_parser("translations", help="mettre à jour les catalogues anglais docs/locale/en/*.po")
    tr.add_argument("pages", nargs="*", help="les pages (partie-1-saillance, enseignants.md…), par défaut toutes")
    tr.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    tr.add_argument("--check", action="store_true", help="ne rien écrire ; échouer si une traduction manque")
    args = parser.parse_args(argv)

    if args.command == "translations":
        return _translations(args.config_file, args.pages, args.check)

    if args.command == "solutions-status":  # standard library and PyYAML only (the daily workflow)
        from sitebuild import solutions

        return solutions.solutions_status(args.config_file, today=args.today, github_output=args.github_output)
    if args.command == "worker":
        from sitebuild import worker as page_worker

        return page_worker.main(str(args.job))
    if args.command == "execute":
        return _execute_one(args)
    if args.command == "run":
        from sitebuild import pipeline
        from sitebuild.execute import Interrupted

        try:
            return pipeline.run_without_mkdocs(args.config_file, force=args.force)
        except (Interrupted, KeyboardInterrupt) as exc:
            print("tp8 : interrompu ; le cache est resté tel quel.", file=sys.stderr)
            return 143 if isinstance(exc, Interrupted) else 130
    return _sync(args.config_file, write=args.command == "sync")


if __name__ == "__main__":
    sys.exit(main())
