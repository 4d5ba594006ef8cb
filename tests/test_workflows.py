"""The GitHub Actions workflows, checked here since GitHub itself cannot run them from this machine.

Two linters that work offline (both from PyPI, in the ``test`` extra):

- ``check-jsonschema --builtin-schema vendor.github-workflows``: the workflow schema (keys, types, events);
- ``zizmor --offline``: security audits (template injection, credentials left by checkout, excessive
  permissions, dangerous triggers, actions not pinned to a commit…).

Then the properties we promise, read from the YAML itself: pull requests never deploy, no
``pull_request_target``, least-privilege permissions, a time limit on every job, CPU-only torch…
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
SITE = WORKFLOWS / "site.yml"
NIGHTLY = WORKFLOWS / "nightly.yml"
ALL = sorted(WORKFLOWS.glob("*.y*ml"))
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
MAIN_ONLY = "github.ref == 'refs/heads/main' && github.event_name != 'pull_request'"
#: The leg of the build that is published: the course as committed (the other one is adapted).
AS_CONFIGURED = "matrix.course == 'as-configured'"
#: The fixture that adapts the course as an instructor would, run by the build's other leg.
ADAPT = ROOT / "tests" / "fixtures" / "adapt_course.py"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def step_using(job: dict, action: str) -> list[dict]:
    return [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]


def step_running(job: dict, pattern: str) -> list[dict]:
    return [s for s in steps(job) if re.search(pattern, s.get("run", ""))]


def tool(name: str) -> str:
    """A console script of the test environment (next to this Python), else from PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is missing: install the test tools with `pip install -e '.[test]'` (or `make install`)")
    return found


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, **kwargs)


def test_workflows_exist():
    assert SITE.is_file() and NIGHTLY.is_file(), [p.name for p in ALL]


# --- linters ---------------------------------------------------------------------------------


def test_workflows_match_the_github_schema():
    result = run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, ALL)]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    result = run([tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)])
    assert result.returncode == 0, result.stdout + result.stderr


BROKEN = textwrap.dedent(
    """\
    name: broken
    on: [push]
    jobs:
      build:
        timeout-minutes: "soon"
        steps:
          - run: echo hi
            uses: actions/checkout@v4
    """
)

INJECTION = textwrap.dedent(
    """\
    name: injection
    on:
      pull_request_target:
    permissions: write-all
    jobs:
      greet:
        runs-on: ubuntu-latest
        timeout-minutes: 5
        steps:
          - uses: actions/checkout@v4
            with:
              ref: ${{ github.event.pull_request.head.sha }}
          - run: echo "${{ github.event.pull_request.title }}"
    """
)


def test_the_linters_do_reject_bad_workflows(tmp_path):
    """Guard against linters that pass vacuously (no schema found, nothing collected…)."""
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    result = run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(broken)])
    assert result.returncode != 0, result.stdout
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "injection.yml").write_text(INJECTION)
    result = run([tool("zizmor"), "--offline", "--no-progress", str(workflows / "injection.yml")])
    assert result.returncode != 0, result.stdout
    assert "template-injection" in result.stdout + result.stderr


# --- properties of both workflows ------------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_dangerous_trigger(path):
    triggers = load(path)["on"]
    triggers = [triggers] if isinstance(triggers, str) else list(triggers)
    assert "pull_request_target" not in triggers
    assert "workflow_run" not in triggers


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_read_only_token_by_default(path):
    workflow = load(path)
    assert workflow.get("permissions") == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        if path == SITE and name == "deploy":
            continue
        assert "permissions" not in job or all(v in ("read", "none") for v in job["permissions"].values()), name


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_job_has_a_time_limit(path):
    for name, job in load(path)["jobs"].items():
        limit = job.get("timeout-minutes")
        assert isinstance(limit, int) and 0 < limit <= 120, f"{path.name}: job {name} has timeout-minutes={limit!r}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_actions_are_pinned_and_checkout_keeps_no_credentials(path):
    for job in load(path)["jobs"].values():
        for step in steps(job):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        for checkout in step_using(job, "actions/checkout"):
            assert checkout.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_cpu_torch_weights_cache_and_chromium(path):
    workflow = load(path)
    (job,) = [j for j in workflow["jobs"].values() if step_running(j, r"\bmake site\b")]
    assert workflow["env"]["TORCH_INDEX"] == CPU_INDEX
    install = step_running(job, r"make install TORCH_INDEX=")
    assert install, "torch must come from the CPU index, installed before the project"
    index = [s for s in steps(job)].index
    (cache,) = step_using(job, "actions/cache")
    assert cache["with"]["path"] == "~/.cache/torch"
    assert index(cache) < index(install[0])
    assert step_running(job, r"TORCH_HOME=\$HOME/\.cache/torch")
    assert step_running(job, r"TP8_CHROMIUM=")
    (build,) = step_running(job, r"^make site$")
    assert build["env"]["TP8_REQUIRE_WEIGHTS"] == "1"
    (tests,) = step_running(job, r"^make test$")
    assert index(build) < index(tests), "the tests check the site that was built (and is published)"
    assert tests["env"]["TP8_REUSE_SITE"] == "1"
    (python,) = step_using(job, "actions/setup-python")
    assert python["with"]["python-version"]


# --- site.yml ----------------------------------------------------------------------------------


def test_site_triggers():
    on = load(SITE)["on"]
    assert set(on) == {"push", "pull_request", "workflow_dispatch", "schedule"}
    assert on["push"] == {"branches": ["main"]}


def test_site_runs_every_day_after_midnight_in_paris():
    (cron,) = [entry["cron"] for entry in load(SITE)["on"]["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert day == month == weekday == "*", f"{cron!r} is not once a day"
    # GitHub's cron is in UTC; Paris is UTC+1 or UTC+2: the run must fall on the Paris day it is meant for.
    assert minute.isdigit() and hour.isdigit() and 2 <= int(hour) <= 21, cron


def test_a_scheduled_run_builds_only_when_a_release_of_the_solutions_is_due():
    jobs = load(SITE)["jobs"]
    release, build, deploy = jobs["release"], jobs["build"], jobs["deploy"]
    # The gate always runs (a skipped job would skip the build of every other event too).
    assert "if" not in release and "needs" not in release
    assert isinstance(release["timeout-minutes"], int) and release["timeout-minutes"] <= 15
    assert release["outputs"] == {"publish": "${{ steps.decide.outputs.publish }}"}
    (decide,) = [s for s in steps(release) if s.get("id") == "decide"]
    assert decide["env"] == {"EVENT": "${{ github.event_name }}"}  # no expression inside the script
    assert 'python tools/site_notebooks.py solutions-status --github-output "$GITHUB_OUTPUT"' in decide["run"]
    assert re.search(r'pip install --quiet "pyyaml==[\d.]+"', decide["run"]), "PyYAML only, pinned"
    for step in steps(release):
        if step is not decide:
            assert step["if"] == "github.event_name == 'schedule'", step
    assert build["needs"] == "release"
    assert build["if"] == "needs.release.outputs.publish == 'true'"
    assert deploy["needs"] == "build" and deploy["if"] == MAIN_ONLY


@pytest.mark.parametrize(("event", "written"), [("push", "publish=true\n"), ("pull_request", "publish=true\n")])
def test_the_gate_lets_every_other_event_build(tmp_path, event, written):
    (decide,) = [s for s in steps(load(SITE)["jobs"]["release"]) if s.get("id") == "decide"]
    output = tmp_path / "github-output"
    output.write_text("")
    result = run(
        ["bash", "-e", "-c", decide["run"]], env={"PATH": "/usr/bin:/bin", "EVENT": event, "GITHUB_OUTPUT": str(output)}
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text() == written


@pytest.mark.parametrize(
    ("setting", "today", "publish", "solutions"),
    [
        ("2027-01-15", "2027-01-14", "true", "false"),  # to come: the énoncés, and the schedule keeps publishing
        ("2027-01-15", "2027-01-15", "true", "true"),  # the day: the solutions, published by the schedule
        ("2027-01-15", "2027-01-16", "false", "true"),  # past: nothing left to publish
        ("true", "2027-01-15", "false", "true"),
        ("false", "2027-01-15", "false", "false"),
    ],
)
def test_the_gate_command_on_a_schedule(tmp_path, setting, today, publish, solutions):
    """The command the gate runs, with its configuration and a fixed date."""
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: essai\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        f"extra:\n  tp8:\n    solutions: {setting}\n"
    )
    output = tmp_path / "github-output"
    command = [sys.executable, "tools/site_notebooks.py", "solutions-status", "-f", str(config), "--today", today]
    result = run([*command, "--github-output", str(output)], env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert output.read_text() == f"solutions={solutions}\npublish={publish}\n"
    assert "fuseau horaire Europe/Paris" in result.stdout


def test_site_uses_python_311_with_pip_cache():
    build = load(SITE)["jobs"]["build"]
    (python,) = step_using(build, "actions/setup-python")
    assert python["with"]["python-version"] == "3.11"
    assert python["with"]["cache"] == "pip"


def test_site_runs_the_browser_tests():
    build = load(SITE)["jobs"]["build"]
    (e2e,) = step_running(build, r"pytest tests/e2e")
    (tests,) = step_running(build, r"^make test$")
    assert "--ignore=tests/e2e" in tests["env"]["PYTEST_ADDOPTS"]  # not twice
    index = steps(build).index
    assert index(tests) < index(e2e)
    (shots,) = [
        s for s in step_using(build, "actions/upload-artifact") if s["with"]["name"].startswith("site-screenshots")
    ]
    assert shots["if"] == "always()"
    assert shots["with"]["name"] == "site-screenshots-${{ matrix.course }}", "one artifact name per leg"


def test_site_deploys_from_main_only():
    workflow = load(SITE)
    assert set(workflow["jobs"]) == {"release", "build", "deploy"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    (pages,) = step_using(build, "actions/upload-pages-artifact")
    assert pages["if"] == f"{AS_CONFIGURED} && {MAIN_ONLY}"
    assert pages["with"]["path"].rstrip("/") == "site"
    (review,) = [s for s in step_using(build, "actions/upload-artifact") if s["with"]["name"] == "site"]
    assert (
        review["if"] == f"{AS_CONFIGURED} && (github.ref != 'refs/heads/main' || github.event_name == 'pull_request')"
    )
    assert deploy["if"] == MAIN_ONLY
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in steps(deploy)] == ["actions/deploy-pages"]
    assert "permissions" not in build


def test_the_build_runs_once_more_on_the_course_adapted_as_an_instructor_would():
    """The tests hold whatever the instructor sets: a second leg builds and tests the course after the
    fixture has set a release date ahead and added a question; only the first leg is published, and
    the deployment waits for both."""
    build = load(SITE)["jobs"]["build"]
    assert build["strategy"]["matrix"] == {"course": ["as-configured", "adapted"]}
    assert build["strategy"]["fail-fast"] is False, "one leg failing must not hide the other's result"
    assert "${{ matrix.course }}" in build["name"]
    (adapt,) = step_running(build, r"tests/fixtures/adapt_course\.py")
    assert adapt["if"] == "matrix.course == 'adapted'"
    assert adapt["run"].strip() == ".venv/bin/python tests/fixtures/adapt_course.py"
    assert ADAPT.is_file()
    index = steps(build).index
    (install,) = step_running(build, r"make install")
    (site,) = step_running(build, r"^make site$")
    (tests,) = step_running(build, r"^make test$")
    (e2e,) = step_running(build, r"pytest tests/e2e")
    assert index(install) < index(adapt) < index(site) < index(tests) < index(e2e)
    for step in [*step_using(build, "actions/upload-pages-artifact"), *step_using(build, "actions/upload-artifact")]:
        if step["with"]["path"].rstrip("/") == "site":
            assert step["if"].startswith(f"{AS_CONFIGURED} && "), step
    assert load(SITE)["jobs"]["deploy"]["needs"] == "build"  # a matrix job: every leg


def test_site_concurrency():
    workflow = load(SITE)
    assert "github.ref" in workflow["concurrency"]["group"]
    assert workflow["jobs"]["deploy"]["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_only_the_deploy_job_can_write():
    for path in ALL:
        text = path.read_text()
        writes = re.findall(r"^\s*([\w-]+):\s*write\b", text, flags=re.M)
        expected = ["pages", "id-token"] if path == SITE else []
        assert writes == expected, (path.name, writes)
        assert "write-all" not in text


# --- nightly.yml -------------------------------------------------------------------------------


def test_nightly_is_weekly_and_by_hand():
    on = load(NIGHTLY)["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    _minute, _hour, day, month, weekday = cron.split()
    assert day == month == "*" and weekday.isdigit(), f"{cron!r} is not once a week"


def test_nightly_upgrades_everything():
    (job,) = load(NIGHTLY)["jobs"].values()
    assert {v["variant"] for v in job["strategy"]["matrix"]["include"]} == {"newest-allowed", "unpinned"}
    assert job["strategy"]["fail-fast"] is False
    assert step_running(job, r"pip install --upgrade torch torchvision --index-url \"\$TORCH_INDEX\"")
    assert step_running(job, r"--upgrade --upgrade-strategy eager -e \"\.\[dev\]\"")
    assert step_running(job, r"--upgrade --upgrade-strategy eager -r unpinned-requirements\.txt")
    assert step_running(job, r"pip freeze")
    assert not step_using(job, "actions/upload-pages-artifact") and not step_using(job, "actions/deploy-pages")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the nightly's script uses tomllib (Python ≥ 3.11)")
def test_nightly_unpinned_requirements_script():
    """Run the nightly's inline script on our pyproject.toml: names only, every dependency, no torch."""
    (job,) = load(NIGHTLY)["jobs"].values()
    (step,) = step_running(job, r"unpinned-requirements\.txt")
    script = re.search(r"<<'EOF'\n(.*?)\nEOF\n", step["run"], flags=re.S).group(1)
    result = run([sys.executable, "-"], input=script)
    assert result.returncode == 0, result.stderr
    names = result.stdout.split()
    assert {"mkdocs", "mkdocs-material", "mkdocs-jupyter", "pytest", "numpy", "matplotlib"} <= set(names)
    assert "mkdocstrings[python]" in names
    assert not any(re.search(r"[<>=!~;]", n) for n in names), names
    assert not {"torch", "torchvision"} & {n.split("[")[0] for n in names}


def test_make_keeps_what_the_workflows_rely_on():
    """The workflows call `make install TORCH_INDEX=…`, then `make site`/`make test`, which must not reinstall."""
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^TORCH_INDEX \?=", makefile, flags=re.M)
    assert "--index-url $(TORCH_INDEX)" in makefile
    assert re.search(r"^\$\(STAMP\): pyproject\.toml$", makefile, flags=re.M)
    for target in ("install", "site", "test"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target
