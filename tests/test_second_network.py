"""The pages hold for another second network than SqueezeNet 1.0 (issue 17, item 5).

The published build runs VGG16 as the second network (Q4, Partie 2's transfer, Q11 and its readable
images); local builds and CI run SqueezeNet 1.0 instead, VGG16's weights being out of reach. So that
no sentence leans on SqueezeNet 1.0 in particular, the pages that call
``tp8.course.second_network()`` are executed here with the test-only switch
``TP8_SECOND_NETWORK_TEST=resnet18`` (a ResNet-18 with seeded random weights): every claim must
hold and every claimed sentence must be on the page, whichever network stands second.

* The switch itself: a seeded random ResNet-18, the same at each call, announced on the page; refused
  with ``TP8_REQUIRE_WEIGHTS=1``, so that it never reaches a published build.
* The pages: executed by the site build's own stages (``sitebuild.pipeline``: :func:`plan`,
  :func:`run_pages` — two at a time, the longest first, a per-cell and a per-page timeout — and
  :func:`outcomes`, which checks every claim of the corrigé and of the énoncé), and **cached** like
  the build's pages, under a key made of the page's code cells, ``tp8``, the weights and the
  ``TP8_*`` environment (``.cache/second-network/``): a rerun with nothing changed executes nothing.
  A first run takes about as long as those pages take in a cold build (minutes);
  ``-k "not pages_hold"`` leaves it out.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

import tp8
from tp8.course import SECOND_NETWORK_TEST_ENV, second_network
from tp8.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tools"))
from sitebuild import cache, pages, pipeline, settings, text  # noqa: E402

#: The pages whose sections run on the second network.
PAGES = [p for p in pages.read_pages(DOCS) if "second_network(" in p.text]
CACHE = ROOT / ".cache" / "second-network"
#: Seconds a whole page may take here (a cold build takes a few minutes for all of them, on two cores).
PAGE_TIMEOUT_S = 900
NOTICE = "Second réseau de test"


# --- the switch -----------------------------------------------------------------------------------


def test_the_switch_gives_a_seeded_random_resnet18(monkeypatch):
    monkeypatch.setenv(SECOND_NETWORK_TEST_ENV, "resnet18")
    monkeypatch.delenv("TP8_REQUIRE_WEIGHTS", raising=False)
    before = torch.random.get_rng_state()
    first, second = second_network(), second_network()
    assert torch.equal(torch.random.get_rng_state(), before), "the switch changed the page's random stream"
    assert first.available and first.model.name == "resnet18" and first.wanted == "vgg16"
    assert first.model.weights.kind == "random" and not first.model.pretrained
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b), "the test network is not the same at each run"
    assert first.message is not None and first.message.kind == "danger" and NOTICE in first.message.title
    assert "ne doit pas être publiée" in first.message.text
    assert tp8.course.provenance(first.model) == "ResNet-18, poids aléatoires (non entraîné)"


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_the_switch_is_refused_when_publishing(monkeypatch, value):
    monkeypatch.setenv(SECOND_NETWORK_TEST_ENV, "resnet18")
    monkeypatch.setenv("TP8_REQUIRE_WEIGHTS", value)
    with pytest.raises(InputError, match=SECOND_NETWORK_TEST_ENV):
        second_network()


def test_without_the_switch_no_random_network_is_ever_second(monkeypatch, tmp_path):
    monkeypatch.delenv(SECOND_NETWORK_TEST_ENV, raising=False)
    monkeypatch.delenv("TP8_REQUIRE_WEIGHTS", raising=False)
    monkeypatch.setenv("TP8_WEIGHTS_DIR", str(tmp_path))  # an empty folder: no weights here
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr("tp8.models._download", _offline)
    net = second_network()
    assert net.model is None and net.message is not None and net.message.kind == "danger"


def _offline(name, weights, progress):
    raise tp8.errors.WeightsError(f"{name}: offline (test)")


# --- the pages ------------------------------------------------------------------------------------


def test_pages_calling_second_network_are_found():
    names = {p.stem for p in PAGES}
    assert {"partie-1-saillance", "partie-2-adversaires", "partie-3-visualisation"} <= names, names


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TP8_REQUIRE_WEIGHTS"}
    env[SECOND_NETWORK_TEST_ENV] = "resnet18"
    return cache.kernel_environment(env)


def test_pages_hold_with_another_second_network():
    """Every page that calls second_network() executes with ResNet-18 second, without a failed claim."""
    env = _environment()
    execution = settings.Execution(cell_timeout=PAGE_TIMEOUT_S, page_timeout=PAGE_TIMEOUT_S, workers=2)
    facts = cache.environment_facts(env)
    store = cache.Store(CACHE)
    planned = pipeline.plan(PAGES, {}, execution, store, facts, DOCS)
    try:
        pipeline.run_pages(planned, execution, store, DOCS, facts, log=print, env=env)
        done = pipeline.outcomes(planned, store)  # every claim of the corrigé and of the énoncé, checked
    except pipeline.BuildError as exc:
        pytest.fail(f"with ResNet-18 as the second network:\n\n{exc}")
    store.evict({p.page.stem: p.key for p in planned}, set())
    for outcome in done:
        nb = outcome.notebooks["corrige"]
        assert NOTICE in text.page_text(nb), f"{outcome.page.label}: the page did not run on the test network"
        receipt = nb.metadata["tp8_build"]["receipt"]
        assert any(n["model"] == "resnet18" and n["kind"] == "random" for n in receipt["networks"]), receipt


# --- the build log names the second network each page ran -------------------------------------------


def test_the_build_log_names_the_second_network_of_each_page():
    """VGG16 named as itself, its stand-in as one; a page on SqueezeNet 1.1 alone says nothing."""
    from types import SimpleNamespace

    from sitebuild import build

    def shown(label: str, *models: str):
        nets = [{"model": m, "shown": {"squeezenet1_1": "SqueezeNet 1.1"}.get(m, m.upper())} for m in models]
        return SimpleNamespace(page=SimpleNamespace(label=label), receipt={"networks": nets})

    state = SimpleNamespace(
        pages={
            "a.py": shown("docs/a.py", "squeezenet1_1", "squeezenet1_0"),
            "b.py": shown("docs/b.py", "squeezenet1_1", "vgg16"),
            "c.py": shown("docs/c.py", "squeezenet1_1"),
            "d.py": SimpleNamespace(page=SimpleNamespace(label="docs/d.py"), receipt=None),
        }
    )
    assert build.networks_lines(state) == [
        "docs/a.py : second réseau SQUEEZENET1_0 (à la place de VGG16)",
        "docs/b.py : second réseau VGG16",
    ]
