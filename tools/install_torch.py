"""Install torch and torchvision into the running environment before the project (``make install``'s first step).

PyPI's torch for Linux x86_64 bundles CUDA: about 4.5 GB of libraries in ``.venv`` that a machine without an
NVIDIA GPU never uses. PyTorch's CPU index serves the same torch without them. ``--index-url`` chooses:

* ``auto`` (the Makefile's default): the CPU index on Linux x86_64 when no NVIDIA GPU is found and the index
  answers within a few seconds; PyPI otherwise (a GPU, another system, or an index that cannot be reached, as on a
  machine that reaches PyPI alone). If pip then fails on the CPU index, this says so and leaves torch to PyPI.
* ``pypi`` (or empty): PyPI's build; nothing is installed here, ``pip install -e .`` brings torch.
* any other value: that index, for torch and torchvision (e.g. a CUDA or ROCm index); a failure stops ``make``.

Usage: ``python tools/install_torch.py --index-url auto [--cpu-index URL] [--dry-run]``.
One line on stdout says which index was chosen and why.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PACKAGES = ("torch", "torchvision")
PROBE_TIMEOUT_S = 5


def has_nvidia_gpu() -> bool:
    """An NVIDIA GPU the driver sees: ``nvidia-smi -L`` lists one, or ``/proc/driver/nvidia/gpus`` has one."""
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir() and any(gpus.iterdir()):
        return True
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and "GPU" in listed.stdout


def index_answers(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the index serves a torch project page (``<url>/torch/``) within ``timeout`` seconds; a ``file:``
    index (a folder, as pip reads it) has a ``torch`` folder."""
    page = f"{url.rstrip('/')}/torch/"
    if page.startswith("file:"):
        return Path(urllib.request.url2pathname(urllib.parse.urlparse(page).path)).is_dir()
    try:
        with urllib.request.urlopen(page, timeout=timeout) as answer:
            return getattr(answer, "status", 200) == 200
    except (OSError, ValueError):  # URLError, timeouts and refused connections are OSErrors
        return False


def choose(requested: str, *, cpu_index: str, system: str, machine: str, gpu, answers) -> tuple[str | None, str]:
    """The index to install torch from (``None``: PyPI, through the project's own install) and why.

    ``gpu`` and ``answers`` are called only when needed (``answers(url)``), so that a machine with a GPU
    asks no network question.
    """
    requested = requested.strip()
    if requested in ("", "pypi"):
        return None, "TORCH_INDEX=pypi: torch from PyPI"
    if requested != "auto":
        return requested, f"TORCH_INDEX={requested}"
    if system != "Linux" or machine not in ("x86_64", "AMD64"):
        return None, f"PyPI's torch for {system} {machine} has no CUDA libraries: torch from PyPI"
    if gpu():
        return None, "an NVIDIA GPU is present: torch from PyPI, with CUDA"
    if not answers(cpu_index):
        return None, (
            f"no NVIDIA GPU, but {cpu_index} does not answer: torch from PyPI, with CUDA (4.5 GB more); "
            "TORCH_INDEX=pypi skips this check"
        )
    return cpu_index, f"no NVIDIA GPU: torch's CPU wheels from {cpu_index} (TORCH_INDEX=pypi for PyPI's CUDA build)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--index-url",
        nargs="?",
        const="",
        default="auto",
        help="auto, pypi (or nothing), or an index URL (default: auto)",
    )
    parser.add_argument("--cpu-index", default=CPU_INDEX, help="the CPU index that auto tries (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="say which index, install nothing")
    args = parser.parse_args(argv)

    index, why = choose(
        args.index_url,
        cpu_index=args.cpu_index,
        system=platform.system(),
        machine=platform.machine(),
        gpu=has_nvidia_gpu,
        answers=index_answers,
    )
    print(f"tp8: {why}", flush=True)
    if index is None or args.dry_run:
        return 0
    pip = [sys.executable, "-m", "pip", "install", *PACKAGES, "--index-url", index]
    status = subprocess.run(pip).returncode
    if status == 0:
        return 0
    if args.index_url.strip() == "auto":
        print(f"tp8: pip could not install torch from {index}; torch comes from PyPI instead", flush=True)
        return 0
    print(
        f"tp8: pip could not install torch from TORCH_INDEX={index}; fix it or leave TORCH_INDEX out", file=sys.stderr
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
