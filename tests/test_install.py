"""``make install``'s choice of torch wheels (issue 24, item 3), run through the real Makefile with a stand-in pip.

Where no NVIDIA GPU is found, the default takes PyTorch's CPU wheels when their index answers, and PyPI's build
otherwise, or when pip fails on that index: ``make site`` and ``make test`` work either way. The venv here is a real
one (``--without-pip``) whose ``pip`` only records its arguments, so nothing is downloaded or installed.
"""

from __future__ import annotations

import functools
import http.server
import os
import platform
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import install_torch  # noqa: E402

FAKE_PIP = """
import os, sys
with open(os.environ["FAKE_PIP_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
fail = os.environ.get("FAKE_PIP_FAIL_ON")
sys.exit(1 if fail and fail in sys.argv else 0)
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


@pytest.fixture
def venv(tmp_path):
    """A real venv without pip, given a ``pip`` module that logs its arguments."""
    folder = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    (site,) = folder.glob("lib/python*/site-packages")
    (site / "pip").mkdir()
    (site / "pip" / "__init__.py").write_text("")
    (site / "pip" / "__main__.py").write_text(FAKE_PIP)
    return folder


@pytest.fixture
def cpu_index(tmp_path):
    """A stand-in for PyTorch's CPU index that answers (a file:// URL with a torch page)."""
    folder = tmp_path / "cpu-index"
    (folder / "torch").mkdir(parents=True)
    (folder / "torch" / "index.html").write_text("<a>torch-2.0.0+cpu-cp311-cp311-linux_x86_64.whl</a>")
    return folder.as_uri()


def no_gpu_path(tmp_path, gpu: bool) -> str:
    """PATH without nvidia-smi (or with one that lists a GPU), keeping make and the shell's tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if gpu:
        smi = bin_dir / "nvidia-smi"
        smi.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)'\n")
        smi.chmod(0o755)
    keep = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "nvidia-smi").exists()]
    return os.pathsep.join([str(bin_dir), *keep])


def make_install(venv, tmp_path, *, gpu=False, fail_on=None, **variables):
    log = tmp_path / "pip.log"
    env = {**os.environ, "FAKE_PIP_LOG": str(log), "PATH": no_gpu_path(tmp_path, gpu)}
    env.pop("TORCH_INDEX", None)
    env.pop("MAKEFLAGS", None)
    if fail_on:
        env["FAKE_PIP_FAIL_ON"] = fail_on
    args = ["make", "--no-print-directory", "install", f"VENV={venv}", *(f"{k}={v}" for k, v in variables.items())]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    calls = log.read_text().splitlines() if log.exists() else []
    return done, calls


needs_linux_x86 = pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() != "x86_64" or install_torch.has_nvidia_gpu(),
    reason="the CPU wheels are the default on Linux x86_64 without an NVIDIA GPU",
)
PROJECT = "install -e .[dev]"


@needs_linux_x86
def test_default_takes_the_cpu_wheels_where_no_gpu_is_found(venv, tmp_path, cpu_index):
    done, calls = make_install(venv, tmp_path, TORCH_CPU_INDEX=cpu_index)
    assert done.returncode == 0, done.stderr
    assert calls == [f"install torch torchvision --index-url {cpu_index}", PROJECT]
    assert "no NVIDIA GPU: torch's CPU wheels" in done.stdout
    assert (venv / ".tp8-installed").exists()


@needs_linux_x86
def test_default_over_http_too(venv, tmp_path, cpu_index):
    folder = Path(cpu_index.removeprefix("file://"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        done, calls = make_install(venv, tmp_path, TORCH_CPU_INDEX=url)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert calls == [f"install torch torchvision --index-url {url}", PROJECT]


@needs_linux_x86
def test_an_index_that_does_not_answer_falls_back_to_pypi(venv, tmp_path):
    """As on this project's machines and CI, which reach PyPI alone: PyPI's build, with no pip call on the index."""
    missing = (tmp_path / "nowhere").as_uri()
    done, calls = make_install(venv, tmp_path, TORCH_CPU_INDEX=missing)
    assert done.returncode == 0, done.stderr
    assert calls == [PROJECT]
    assert f"{missing} does not answer: torch from PyPI" in done.stdout
    assert (venv / ".tp8-installed").exists()


@needs_linux_x86
def test_pip_failing_on_the_cpu_index_falls_back_to_pypi(venv, tmp_path, cpu_index):
    done, calls = make_install(venv, tmp_path, fail_on=cpu_index, TORCH_CPU_INDEX=cpu_index)
    assert done.returncode == 0, done.stderr
    assert calls == [f"install torch torchvision --index-url {cpu_index}", PROJECT]
    assert "torch comes from PyPI instead" in done.stdout
    assert (venv / ".tp8-installed").exists()


def test_a_gpu_keeps_pypis_cuda_build_without_asking_the_index(venv, tmp_path, cpu_index):
    done, calls = make_install(venv, tmp_path, gpu=True, TORCH_CPU_INDEX=cpu_index)
    assert done.returncode == 0, done.stderr
    assert calls == [PROJECT]
    if platform.system() == "Linux" and platform.machine() == "x86_64":
        assert "an NVIDIA GPU is present" in done.stdout


@pytest.mark.parametrize("value", ["pypi", ""])
def test_torch_index_pypi_installs_pypis_build(venv, tmp_path, cpu_index, value):
    done, calls = make_install(venv, tmp_path, TORCH_INDEX=value, TORCH_CPU_INDEX=cpu_index)
    assert done.returncode == 0, done.stderr
    assert calls == [PROJECT]


def test_an_explicit_index_is_used_and_its_failure_stops_make(venv, tmp_path, cpu_index):
    """The workflows' `make install TORCH_INDEX=<url>`: that index, and no silent fallback when asked for it."""
    done, calls = make_install(venv, tmp_path, gpu=True, TORCH_INDEX=cpu_index)
    assert done.returncode == 0, done.stderr
    assert calls == [f"install torch torchvision --index-url {cpu_index}", PROJECT]
    (venv / ".tp8-installed").unlink()
    (tmp_path / "pip.log").unlink()
    done, calls = make_install(venv, tmp_path, fail_on=cpu_index, TORCH_INDEX=cpu_index)
    assert done.returncode != 0
    assert calls == [f"install torch torchvision --index-url {cpu_index}"]
    assert f"could not install torch from TORCH_INDEX={cpu_index}" in done.stderr
    assert not (venv / ".tp8-installed").exists()


# -- the choice itself, on every platform -----------------------------------------------------------------


def choose(requested="auto", *, system="Linux", machine="x86_64", gpu=False, answers=True):
    asked = []

    def answer(url):
        asked.append(url)
        return answers

    index, why = install_torch.choose(
        requested, cpu_index="CPU", system=system, machine=machine, gpu=lambda: gpu, answers=answer
    )
    return index, why, asked


@pytest.mark.parametrize(
    ("kwargs", "index", "asked"),
    [
        ({}, "CPU", ["CPU"]),
        ({"answers": False}, None, ["CPU"]),
        ({"gpu": True}, None, []),
        ({"system": "Darwin", "machine": "arm64"}, None, []),  # PyPI's macOS build has no CUDA
        ({"system": "Windows", "machine": "AMD64"}, None, []),
        ({"machine": "aarch64"}, None, []),
        ({"requested": "pypi"}, None, []),
        ({"requested": " "}, None, []),
        ({"requested": "https://example.org/rocm"}, "https://example.org/rocm", []),
    ],
)
def test_the_choice(kwargs, index, asked):
    got, why, calls = choose(**kwargs)
    assert got == index and calls == asked and why


def test_the_probe_gives_up_quickly_on_an_address_that_refuses(tmp_path):
    assert not install_torch.index_answers("http://127.0.0.1:9/simple", timeout=2)
    assert not install_torch.index_answers("not a url")
