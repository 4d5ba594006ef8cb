"""The receipt at the foot of each executed page: what produced its figures and numbers.

When it ran (UTC, to the second in ``data-executed-at``), for how long, with which versions (Python,
torch, torchvision, tp8 and the commit of the checkout), which weights (a file's name and SHA-256
prefix, or torchvision's entry; never a path) and on which device. :func:`receipt` is made by the
worker from what the kernel reported, and kept with the outputs in the page's cache record: a page
whose text alone changed keeps the receipt of the run that made its outputs.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path


def _git(folder: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def source_commit(folder: Path) -> str | None:
    """Short hash of the checkout holding ``folder``, with ``+modifié`` when its tree differs from it."""
    commit = _git(folder, "rev-parse", "--short", "HEAD")
    if not commit:
        return None
    status = _git(folder, "status", "--porcelain")
    return commit + ("+modifié" if status else "")


def cpu_model() -> str | None:
    """The processor's commercial name (Linux, macOS), else what :mod:`platform` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return " ".join(line.split(":", 1)[1].split()) or None
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5, check=False
            ).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or None


def receipt(kernel: dict, started, duration: float, source: Path) -> dict:
    """What produced a page, for its foot: when (UTC), how long, versions, networks and device.

    ``kernel`` is what the page's kernel reported (versions it imported, networks it loaded, their
    device, torch's threads). Never a path: networks are named by their weights (file name and
    SHA-256 prefix, or torchvision's entry).
    """
    versions = {"python": kernel.get("python") or platform.python_version()}
    for name in ("torch", "torchvision", "tp8"):
        version = kernel.get(name)
        if not version:
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = None
        if version:
            versions[name] = version
    networks = []
    for net in kernel.get("networks", []):
        entry = {k: net.get(k) for k in ("model", "shown", "kind", "name", "sha256")}
        if entry not in networks:
            networks.append(entry)
    if kernel.get("cuda"):
        device = {"kind": "cuda", "name": kernel["cuda"]}
    else:
        device = {"kind": "cpu", "name": cpu_model(), "threads": kernel.get("threads")}
    return {
        "executed_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 1),
        "versions": versions,
        "commit": source_commit(Path(source).resolve().parent),
        "networks": networks,
        "device": device,
    }


_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _duration_fr(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}\u00a0s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}\u00a0min\u00a0{seconds:02d}\u00a0s"


_NETWORK_WORDS = {
    "fr": {"file": "fichier", "torchvision": "poids torchvision", "random": "poids aléatoires (test)",
           "unknown": "poids d'origine inconnue"},
    "en": {"file": "file", "torchvision": "torchvision weights", "random": "random weights (test)",
           "unknown": "weights of unknown origin"},
}  # fmt: skip


def _network(net: dict, lang: str = "fr") -> str:
    """A network of the receipt: its name and where its weights came from, in ``lang``."""
    import html

    words = _NETWORK_WORDS[lang]
    shown = html.escape(net.get("shown") or net.get("model") or "?")
    name = html.escape(net.get("name") or "")
    if net.get("kind") == "file":
        return f"{shown} — {words['file']} <code>{name}</code>, SHA-256 <code>{html.escape(net.get('sha256') or '?')}…</code>"
    if net.get("kind") == "torchvision":
        return f"{shown} — {words['torchvision']} <code>{name}</code>"
    if net.get("kind") == "random":
        return f"{shown} — {words['random']}"
    return f"{shown} — {words['unknown']}"


def _receipt_en(data: dict) -> str:
    import datetime
    import html

    when = datetime.datetime.strptime(data["executed_at"], "%Y-%m-%dT%H:%M:%SZ")
    stamp = f"on {when:%B} {when.day}, {when.year} at {when:%H:%M} UTC"
    seconds = round(data.get("duration_s", 0))
    took = f"{seconds}\u00a0s" if seconds < 60 else f"{seconds // 60}\u00a0min\u00a0{seconds % 60:02d}\u00a0s"
    versions = data.get("versions", {})
    parts = [f"Python {html.escape(versions.get('python', '?'))}"]
    parts += [f"{name} {html.escape(versions[name])}" for name in ("torch", "torchvision") if versions.get(name)]
    tp8 = f"tp8 {html.escape(versions.get('tp8', '?'))}"
    if data.get("commit"):
        tp8 += f" (commit <code>{html.escape(data['commit'].replace('+modifié', '+modified'))}</code>)"
    parts.append(tp8)
    device = data.get("device") or {}
    if device.get("kind") == "cuda":
        machine = f"CUDA GPU {html.escape(device.get('name') or '')}".strip()
    else:
        threads = device.get("threads")
        machine = "CPU" + (f" {html.escape(device['name'])}" if device.get("name") else "")
        if threads:
            machine += f", {threads} compute thread{'s' if threads > 1 else ''}"
    weights = "; ".join(_network(n, "en") for n in data.get("networks") or []) or "no network loaded"
    return (
        f'\n<footer class="tp8-receipt" data-executed-at="{html.escape(data["executed_at"])}" data-search-exclude'
        ' aria-label="Execution receipt">\n'
        f'<p class="tp8-receipt__title">Execution receipt — page executed {stamp}, in {took}</p>\n<ul>\n'
        f"<li><strong>Versions</strong>: {', '.join(parts)}</li>\n"
        f"<li><strong>Weights</strong>: {weights}</li>\n"
        f"<li><strong>Machine</strong>: {machine}</li>\n"
        "</ul>\n</footer>\n"
    )


def receipt_html(data: dict | None, lang: str = "fr") -> str:
    """The receipt as the foot of a page (HTML, French or English), or ``""`` without one."""
    import datetime
    import html

    if not data:
        return ""
    if lang == "en":
        return _receipt_en(data)
    when = datetime.datetime.strptime(data["executed_at"], "%Y-%m-%dT%H:%M:%SZ")
    day = f"{when.day}{'er' if when.day == 1 else ''} {_MONTHS[when.month - 1]} {when.year}"
    stamp = f"le {day} à {when:%H:%M} UTC"
    versions = data.get("versions", {})
    parts = [f"Python {html.escape(versions.get('python', '?'))}"]
    parts += [f"{name} {html.escape(versions[name])}" for name in ("torch", "torchvision") if versions.get(name)]
    tp8 = f"tp8 {html.escape(versions.get('tp8', '?'))}"
    if data.get("commit"):
        tp8 += f" (commit <code>{html.escape(data['commit'])}</code>)"
    parts.append(tp8)
    device = data.get("device") or {}
    if device.get("kind") == "cuda":
        machine = f"GPU CUDA {html.escape(device.get('name') or '')}".strip()
    else:
        threads = device.get("threads")
        machine = "CPU" + (f" {html.escape(device['name'])}" if device.get("name") else "")
        if threads:
            machine += f", {threads} fil{'s' if threads > 1 else ''} de calcul"
    networks = data.get("networks") or []
    weights = " ; ".join(_network(n) for n in networks) or "aucun réseau chargé"
    return (
        # Shown to the minute; data-executed-at keeps the second, so two runs never read the same.
        f'\n<footer class="tp8-receipt" data-executed-at="{html.escape(data["executed_at"])}" data-search-exclude'
        ' aria-label="Reçu d\'exécution">\n'
        f'<p class="tp8-receipt__title">Reçu d\'exécution — page exécutée {stamp}, '
        f"en {_duration_fr(data.get('duration_s', 0))}</p>\n<ul>\n"
        f"<li><strong>Versions</strong> : {', '.join(parts)}</li>\n"
        f"<li><strong>Poids</strong> : {weights}</li>\n"
        f"<li><strong>Machine</strong> : {machine}</li>\n"
        "</ul>\n</footer>\n"
    )
