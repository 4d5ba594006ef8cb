"""Third-party assets served by the site itself: MathJax 3, the Roboto fonts and TensorFlow.js.

The course must make no request to another host (students' privacy), so MathJax, the fonts and
TensorFlow.js (the "Essayer" page's network runs in the reader's browser, see
``docs/javascripts/tp8-browser.js``) are copied into the built site instead of being loaded from a
CDN or Google Fonts. Material's ``privacy`` plugin would download them at build time from those
CDNs, which an offline machine cannot do; here they come from the npm registry, through npm
itself, at pinned versions whose integrity is checked, and are cached under ``.cache/vendor/``
(never committed). TensorFlow.js lands in ``assets/vendor/tfjs/``; the page loads it only when the
reader opens its panel.

The MkDocs hook (``tools/site_hooks.py``) calls :func:`ensure_assets` and adds every file of
:func:`ensure_assets`'s tree to the site under ``assets/vendor/``. Also usable by hand::

    python tools/site_assets.py vendor          # fetch (if needed) and unpack
    python tools/site_assets.py check site/     # the built site loads nothing from elsewhere
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import site_layout

#: npm packages: key -> (name, exact version, npm integrity of the tarball).
PACKAGES: dict[str, tuple[str, str, str]] = {
    "mathjax": (
        "mathjax",
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
    ),
    "roboto": (
        "@fontsource/roboto",
        "5.3.0",
        "sha512-BapRJOWYP+LZ21zp+wBQjfpPYKRoxc4LspJ/RLuI+HSMBD5u/X4O+ESDrSvEqDSy0rAl7GwBJ+09mdc16cVQ1Q==",
    ),
    "roboto-mono": (
        "@fontsource/roboto-mono",
        "5.3.0",
        "sha512-yhwplHMHW9dCk+1pZuERfcJe+K3rosGVZEoK0XktkxRSqQ9qsipSwwiuW2/8Qmtp9lzu3Ixa/ie4BMH3i8CkZQ==",
    ),
    # TensorFlow.js (WebGL and CPU backends in the union bundle) and its WebAssembly backend.
    "tfjs": (
        "@tensorflow/tfjs",
        "4.22.0",
        "sha512-0TrIrXs6/b7FLhLVNmfh8Sah6JgjBPH4mZ8JGb7NU6WW+cx00qK5BcAZxw7NCzxj6N8MRAIfHq+oNbPUNG5VAg==",
    ),
    "tfjs-backend-wasm": (
        "@tensorflow/tfjs-backend-wasm",
        "4.22.0",
        "sha512-/IYhReRIp4jg/wYW0OwbbJZG8ON87mbz0PgkiP3CdcACRSvUN0h8rvC0O3YcDtkTQtFWF/tcXq/KlVDyV49wmA==",
    ),
}

#: Font faces Material uses: (package key, weight, style).
FONT_FACES = [
    ("roboto", 300, "normal"),
    ("roboto", 400, "normal"),
    ("roboto", 400, "italic"),
    ("roboto", 700, "normal"),
    ("roboto", 700, "italic"),
    ("roboto-mono", 400, "normal"),
    ("roboto-mono", 400, "italic"),
    ("roboto-mono", 700, "normal"),
]
#: Unicode subsets: French needs latin (œ, «, », €…); latin-ext covers names and the rest.
FONT_SUBSETS = ["latin", "latin-ext"]

#: Parts of MathJax's ``es5`` folder the site needs: the startup component with its loader, and
#: what ``docs/javascripts/mathjax.js`` asks it to load (:data:`MATHJAX_COMPONENTS`) or that may load
#: lazily (TeX extensions, fonts, accessibility).
MATHJAX_KEEP = re.compile(r"^es5/(startup\.js|core\.js|input/.*|output/chtml\.js|output/chtml/.*|a11y/.*|adaptors/.*)$")
#: The files a page with maths loads (besides the fonts), relative to ``assets/vendor/mathjax``.
MATHJAX_COMPONENTS = [
    "startup.js",
    "core.js",
    "input/tex.js",
    "output/chtml.js",
    "output/chtml/fonts/tex.js",
    "a11y/assistive-mml.js",
]

#: Files of TensorFlow.js the site serves (package key, path in the package -> name in ``tfjs/``):
#: the ES2017 UMD bundles (they define the global ``tf``) and the three WebAssembly binaries the
#: WASM backend chooses from (SIMD when the browser has it; the threaded one only on a page that is
#: cross-origin isolated). Their ``sourceMappingURL`` comments are dropped: the maps are not served.
#: (The packages hold no LICENSE file: each bundle opens with its Apache-2.0 licence header.)
TFJS_FILES = {
    ("tfjs", "dist/tf.es2017.min.js"): "tf.es2017.min.js",
    ("tfjs-backend-wasm", "dist/tf-backend-wasm.es2017.min.js"): "tf-backend-wasm.es2017.min.js",
    ("tfjs-backend-wasm", "dist/tfjs-backend-wasm.wasm"): "tfjs-backend-wasm.wasm",
    ("tfjs-backend-wasm", "dist/tfjs-backend-wasm-simd.wasm"): "tfjs-backend-wasm-simd.wasm",
    ("tfjs-backend-wasm", "dist/tfjs-backend-wasm-threaded-simd.wasm"): "tfjs-backend-wasm-threaded-simd.wasm",
}
#: Where the assets land inside the site, and TensorFlow.js inside them: the browser module's layout
#: (``site_layout``), so that ``docs/javascripts/tp8-browser.js`` finds TensorFlow.js where it is.
SITE_PREFIX = site_layout.folder("vendor")
TFJS_DIR = site_layout.layout()["tfjs"].removeprefix(site_layout.layout()["vendor"]).rstrip("/")
_STAMP = ".tp8-vendor.json"


class AssetError(RuntimeError):
    """The vendored assets could not be fetched or unpacked."""


def vendor_root(cache_dir: Path) -> Path:
    """Folder mirroring the site: its files go to the same relative paths in ``site/``."""
    return Path(cache_dir) / "vendor" / "site"


def _spec() -> dict:
    return {
        "packages": PACKAGES,
        "fonts": FONT_FACES,
        "subsets": FONT_SUBSETS,
        "mathjax": MATHJAX_KEEP.pattern,
        "tfjs": sorted(f"{key}:{path}:{name}" for (key, path), name in TFJS_FILES.items()),
        "format": 2,
    }


def _integrity(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def _tarball_name(name: str, version: str) -> str:
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch(key: str, download_dir: Path) -> Path:
    """Return the tarball of package ``key``, fetched with ``npm pack`` unless already cached."""
    name, version, integrity = PACKAGES[key]
    download_dir.mkdir(parents=True, exist_ok=True)
    tarball = download_dir / _tarball_name(name, version)
    if tarball.exists() and _integrity(tarball) == integrity:
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            f"npm est introuvable : il faut Node.js/npm pour récupérer {name}@{version} "
            "(MathJax et les polices sont servis par le site lui-même). "
            "Installez npm (apt-get install npm) ou copiez les archives dans " + str(download_dir)
        )
    with tempfile.TemporaryDirectory(dir=download_dir) as tmp:
        proc = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--pack-destination", tmp, "--json", "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            raise AssetError(f"`npm pack {name}@{version}` a échoué :\n{proc.stderr.strip()[-2000:]}")
        produced = list(Path(tmp).glob("*.tgz"))
        if len(produced) != 1:
            raise AssetError(f"`npm pack {name}@{version}` n'a pas produit une archive unique : {produced}")
        got = _integrity(produced[0])
        if got != integrity:
            raise AssetError(f"{name}@{version} : empreinte inattendue {got} (attendue {integrity})")
        os.replace(produced[0], tarball)
    return tarball


def _members(tar: tarfile.TarFile):
    for member in tar.getmembers():
        if not member.isfile():
            continue
        parts = Path(member.name).parts
        if not parts or parts[0] != "package" or ".." in parts or Path(member.name).is_absolute():
            continue
        yield "/".join(parts[1:]), member


def _unpack_mathjax(tarball: Path, dest: Path) -> None:
    with tarfile.open(tarball) as tar:
        for rel, member in _members(tar):
            if rel == "LICENSE":
                out = dest / "LICENSE"
            elif MATHJAX_KEEP.match(rel):
                out = dest / rel[len("es5/") :]
            else:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tar.extractfile(member).read())


_FACE_RE = re.compile(r"/\*\s*([\w-]+)\s*\*/\s*(@font-face\s*\{[^}]*\})")
_SRC_RE = re.compile(r"src:\s*url\((?:\./)?files/([^)]+\.woff2)\)\s*format\('woff2'\)[^;]*;")


def _unpack_fonts(tarballs: dict[str, Path], dest: Path) -> None:
    files = dest / "files"
    files.mkdir(parents=True, exist_ok=True)
    css = [
        "/* Roboto et Roboto Mono (Fontsource, SIL Open Font License 1.1), servies par le site.\n"
        "   Fichier généré par tools/site_assets.py : ne pas éditer. */"
    ]
    with contextlib.ExitStack() as stack:
        opened = {key: stack.enter_context(tarfile.open(path)) for key, path in tarballs.items()}
        contents = {key: dict(_members(tar)) for key, tar in opened.items()}
        for key, tar in opened.items():
            licence = contents[key].get("LICENSE")
            if licence is not None:
                (dest / f"LICENSE-{key}").write_bytes(tar.extractfile(licence).read())
        for key, weight, style in FONT_FACES:
            # ``<weight>[-italic].css`` holds one @font-face per unicode subset, with its range.
            sheet = f"{weight}-italic.css" if style == "italic" else f"{weight}.css"
            member = contents[key].get(sheet)
            if member is None:
                raise AssetError(f"{PACKAGES[key][0]} : pas de {sheet}")
            text = opened[key].extractfile(member).read().decode()
            kept = 0
            for name, face in _FACE_RE.findall(text):
                subset = name.removeprefix(f"{key}-").removesuffix(f"-{weight}-{style}")
                if subset not in FONT_SUBSETS:
                    continue
                match = _SRC_RE.search(face)
                if match is None or "unicode-range" not in face:
                    raise AssetError(f"{PACKAGES[key][0]} : format inattendu dans {sheet}")
                woff2 = match.group(1)
                (files / woff2).write_bytes(opened[key].extractfile(contents[key][f"files/{woff2}"]).read())
                # Keep only the woff2 source (every browser that runs Material reads it).
                css.append(f"/* {name} */\n" + _SRC_RE.sub(f"src: url(files/{woff2}) format('woff2');", face))
                kept += 1
            if kept != len(FONT_SUBSETS):
                raise AssetError(f"{PACKAGES[key][0]} : sous-ensembles manquants dans {sheet}")
    (dest / "fonts.css").write_text("\n\n".join(css) + "\n", encoding="utf-8")


_SOURCE_MAP = re.compile(rb"\n?//# sourceMappingURL=[^\n]*\s*$")


def _unpack_tfjs(tarballs: dict[str, Path], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        opened = {key: stack.enter_context(tarfile.open(path)) for key, path in tarballs.items()}
        contents = {key: dict(_members(tar)) for key, tar in opened.items()}
        for (key, rel), name in TFJS_FILES.items():
            member = contents[key].get(rel)
            if member is None:
                raise AssetError(f"{PACKAGES[key][0]} : pas de {rel}")
            data = opened[key].extractfile(member).read()
            if name.endswith(".js"):
                data = _SOURCE_MAP.sub(b"\n", data)
            (dest / name).write_bytes(data)


def ensure_assets(cache_dir: Path, log=None) -> Path:
    """Make sure the vendored assets are unpacked under ``cache_dir``; return their root.

    The root mirrors the site: ``<root>/assets/vendor/mathjax/startup.js`` is served at
    ``assets/vendor/mathjax/startup.js``. Nothing is fetched when the pinned versions are
    already there.
    """
    cache_dir = Path(cache_dir)
    root = vendor_root(cache_dir)
    stamp = root / _STAMP
    spec = json.dumps(_spec(), sort_keys=True)
    if stamp.exists() and stamp.read_text(encoding="utf-8") == spec:
        return root
    if log:
        log("Préparation des ressources tierces (MathJax, polices, TensorFlow.js) dans " + str(root))
    tarballs = {key: fetch(key, cache_dir / "vendor" / "npm") for key in PACKAGES}
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="site-", dir=root.parent))
    try:
        base = tmp / SITE_PREFIX
        _unpack_mathjax(tarballs["mathjax"], base / "mathjax")
        _unpack_fonts({k: tarballs[k] for k in ("roboto", "roboto-mono")}, base / "fonts")
        _unpack_tfjs({k: tarballs[k] for k in ("tfjs", "tfjs-backend-wasm")}, base / TFJS_DIR)
        (tmp / _STAMP).write_text(spec, encoding="utf-8")
        old = root.parent / f"old-{os.getpid()}"
        if root.exists():
            os.replace(root, old)
        os.replace(tmp, root)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root


def asset_files(root: Path) -> list[str]:
    """Paths (relative, '/'-separated) of every vendored file, as they appear in the site."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != _STAMP)


# --- checking the built site -------------------------------------------------------------------

_EXTERNAL = r"""(?:https?:)?//(?!(?:127\.0\.0\.1|localhost)[:/])[^\s"'<>)]+"""
_RESOURCE_PATTERNS = [
    # elements that make the browser fetch something
    re.compile(
        r"<(?:script|img|iframe|source|audio|video|embed|track|input)\b[^>]*?\s(?:src|srcset|data|poster)\s*=\s*"
        r"""["']?\s*(""" + _EXTERNAL + ")",
        re.IGNORECASE,
    ),
    re.compile(
        r"""<link\b(?=[^>]*\srel\s*=\s*["']?[^"'>]*(?:stylesheet|preconnect|preload|prefetch|dns-prefetch|icon|"""
        r"""modulepreload|manifest))[^>]*?\shref\s*=\s*["']?\s*(""" + _EXTERNAL + ")",
        re.IGNORECASE,
    ),
    re.compile(r"""url\(\s*["']?(""" + _EXTERNAL + ")", re.IGNORECASE),
    re.compile(r"""@import\s+["'](""" + _EXTERNAL + ")", re.IGNORECASE),
    re.compile(r"""import\(\s*["'](""" + _EXTERNAL + ")", re.IGNORECASE),
]


#: What the site's own scripts (``javascripts/``, from ``docs/javascripts/``) would fetch: a module
#: imported, a ``fetch``, a script or image ``src`` set, TensorFlow.js's WebAssembly folder, a
#: worker — given as an absolute address on another host.
_SCRIPT_PATTERNS = [
    re.compile(r"""\bimport\s*\(\s*["'`](""" + _EXTERNAL + ")"),
    re.compile(r"""\bfrom\s+["'](""" + _EXTERNAL + ")"),
    re.compile(
        r"""\b(?:fetch|importScripts|setWasmPaths|Worker|EventSource|WebSocket)\s*\(\s*["'`](""" + _EXTERNAL + ")"
    ),
    re.compile(r"""\.(?:src|href)\s*=\s*["'`](""" + _EXTERNAL + ")"),
    re.compile(r"""\bnew\s+URL\s*\(\s*["'`](""" + _EXTERNAL + ")"),
]
#: Where the site's own scripts are (the browser module's folder).
SCRIPTS_DIR = posixpath.dirname(site_layout.layout()["module"])


def external_requests(site_dir: Path) -> list[tuple[str, str]]:
    """(file, url) for every resource a page, stylesheet or script of the site would fetch elsewhere.

    Links (``<a href>``) are not requests and are allowed. Vendored files (MathJax, the fonts,
    TensorFlow.js) are not scanned (their licence headers and comments mention URLs they never
    load; the browser tests block and report any request they would make); the site's own scripts
    (``javascripts/``: the "Essayer" panel and its module, which load TensorFlow.js and the network)
    are.
    """
    site_dir = Path(site_dir)
    found = []
    for path in sorted(site_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(site_dir).as_posix()
        if rel.startswith(SITE_PREFIX + "/"):
            continue
        if path.suffix in (".html", ".css"):
            patterns = _RESOURCE_PATTERNS
        elif path.suffix in (".js", ".mjs") and rel.startswith(SCRIPTS_DIR + "/"):
            patterns = _SCRIPT_PATTERNS
        else:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in patterns:
            found.extend((rel, m.group(1)) for m in pattern.finditer(text))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    vendor = sub.add_parser("vendor", help="récupérer et dépaqueter MathJax, les polices et TensorFlow.js")
    vendor.add_argument("--cache-dir", default=".cache", type=Path)
    check = sub.add_parser("check", help="vérifier qu'un site construit ne charge rien d'un autre hôte")
    check.add_argument("site_dir", type=Path, nargs="?", default=Path("site"))
    args = parser.parse_args(argv)
    if args.command == "vendor":
        try:
            root = ensure_assets(args.cache_dir, log=print)
        except AssetError as exc:
            print(f"erreur : {exc}", file=sys.stderr)
            return 1
        print(f"{len(asset_files(root))} fichiers prêts dans {root}")
        return 0
    bad = external_requests(args.site_dir)
    for rel, url in bad:
        print(f"{rel}: charge {url}", file=sys.stderr)
    if bad:
        print(f"{len(bad)} requête(s) vers un autre hôte.", file=sys.stderr)
        return 1
    print(f"{args.site_dir} : aucune requête vers un autre hôte.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
