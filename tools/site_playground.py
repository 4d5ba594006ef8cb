"""MkDocs hook: the network, the class names and the photos of the "Essayer" page, exported at build time.

The page ``docs/essayer.md`` runs the course's three techniques in the reader's browser, with
TensorFlow.js (vendored by ``site_assets``) and the small ES module ``docs/javascripts/tp8-browser.js``.
This hook gives that module what it needs, as files beside the page (``essayer/reseau/``):

* ``squeezenet1_1.<sha>.<dtypes>.bin``: SqueezeNet 1.1's parameters — the very weights the pages use
  (``TP8_WEIGHTS_DIR``'s file locally, torchvision's on the published build) — as raw little-endian
  arrays, convolution filters already in TensorFlow's ``[height, width, in, out]`` order;
* ``manifest.json``: each tensor's name, shape, dtype and offset, the network's graph (convolutions,
  poolings, fire modules), its normalisation, the 1000 class names, ``tp8``'s defaults for the three
  techniques (read from the functions' signatures, so they cannot drift), the photos, and the
  weights' provenance (``tp8.course.provenance``: a name and a SHA-256 prefix, never a path);
* ``photos/<name>.png`` and ``photos/<name>.jpg``: the course's eight open-licence photos
  (``tp8.sample_images``), as 256 × 256 lossless PNGs — resized and centre-cropped by
  ``tp8.load_image(…, size=256)``, so that their centre 224 × 224 is exactly, to 8 bits, what the
  pages feed the network — and small JPEG thumbnails for the picker.

Float16 or float32: the layers before the second max-pooling (conv1, fire2 and fire3, 2 % of the
parameters) are stored in float32, the others in float16 (half the bytes). Rounding the first layers
moves the values that the first two max-poolings compare: where two of them were nearly equal, the
gradient goes to another pixel, and the saliency map moves with it. Measured on 300 ImageNet
photos that the course never uses, float16 everywhere kept a correlation of only 0.9986 with tp8's
maps (two photos below 0.999), float16 for all but those three layers 0.9998 (rounding any later
layer alone changed no map's correlation by 10⁻⁵). The export then measures, on the course's photos,
how far that rounding moves the logits and the saliency maps; it is kept when the logits move by at
most a quarter of the tolerance the browser is held to (1e-3 of the largest |logit|: the rest is
left to the browser's own float32 arithmetic), no top-5 changes and the maps keep a correlation of
0.999 at least, else every tensor is float32. The page's provenance line states the choice and the
measured errors.

The export is cached in ``.cache/playground/`` under a key made of the weights' identity (the file's
SHA-256, or torchvision's entry), this file, the parts of ``tp8`` it reads and the versions of the
packages the photos ship with: an unchanged rebuild does not import PyTorch.

Also usable by hand (the browser tests and the benchmark serve its output without a full build)::

    python tools/site_playground.py export OUT_DIR   # writes OUT_DIR/essayer/reseau/…
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import site_assets
import site_layout

#: The network the page runs (the lab's).
MODEL = "squeezenet1_1"
#: Where the export lands in the site, beside the page ``essayer/`` (the browser module's layout).
SITE_DIR = site_layout.folder("network")
MANIFEST = site_layout.layout()["manifest"]
#: The page whose placeholders this hook fills.
PAGE = "essayer.md"
#: Tolerance of the browser's logits, as a fraction of the largest |logit| (the issue's bound).
LOGIT_TOLERANCE = 1e-3
#: Share of that tolerance the weights' float16 rounding may take.
FLOAT16_SHARE = 0.25
#: Smallest correlation between saliency maps with the exported and with the float32 weights (the
#: bound the browser's maps are held to against tp8's; the browser's own arithmetic adds ~10⁻⁷).
MIN_SALIENCY_CORRELATION = 0.999
#: The layers before this max-pooling (the second) keep float32 weights: see the module's docstring.
FLOAT32_UNTIL_POOL = 2
#: Side of the photos' frame (``tp8.load_image``'s resize) and of the network's input (its crop).
FRAME, CROP = 256, 224
THUMBNAIL = 112
#: The manifest's format (``MANIFEST_FORMAT`` in the browser module): 2 gives each tensor its dtype.
FORMAT = 2

#: Captions of the course's photos (``tp8.sample_images`` names), in each language of the panel.
PHOTO_CAPTIONS = {
    "chelsea": {"fr": "Chelsea, une chatte tigrée", "en": "Chelsea, a tabby cat"},
    "coffee": {"fr": "Une tasse de café", "en": "A cup of coffee"},
    "astronaut": {"fr": "L'astronaute Eileen Collins", "en": "The astronaut Eileen Collins"},
    "rocket": {"fr": "Une fusée Falcon 9", "en": "A Falcon 9 rocket"},
    "motorcycle": {"fr": "Une moto", "en": "A motorcycle"},
    "china": {"fr": "Un temple en Chine", "en": "A temple in China"},
    "flower": {"fr": "Une fleur", "en": "A flower"},
    "grace_hopper": {"fr": "Grace Hopper", "en": "Grace Hopper"},
}

_ROOT = Path(__file__).resolve().parents[1]
#: ``tp8`` files whose content the export depends on (weights loading, images, defaults, provenance).
_TP8_SOURCES = [
    "models.py",
    "images.py",
    "adversarial.py",
    "class_visualization.py",
    "course.py",
    "saliency.py",
    "attribution/base.py",
]
_PACKAGES = ["torch", "torchvision", "scikit-image", "scikit-learn", "matplotlib", "pillow"]
_PLACEHOLDER = re.compile(r"\[\[tp8:([a-z_]+)\]\]")


class PlaygroundError(RuntimeError):
    """The playground's files could not be exported."""


# --- the key of the cache ------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_identity() -> dict:
    """Which weights ``tp8.load_model(MODEL)`` will read, without importing PyTorch."""
    env = os.environ.get("TP8_WEIGHTS_DIR", "").strip()
    if env and (Path(env) / f"{MODEL}.pth").is_file():
        return {"kind": "file", "sha256": _sha256(Path(env) / f"{MODEL}.pth")}
    return {"kind": "torchvision", "model": MODEL}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def cache_key() -> str:
    facts = {
        "format": FORMAT,
        "weights": weights_identity(),
        "hook": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "layout": site_layout.layout(),
        "tp8": {
            name: hashlib.sha256((_ROOT / "tp8" / name).read_bytes()).hexdigest()
            for name in _TP8_SOURCES
            if (_ROOT / "tp8" / name).is_file()
        },
        "packages": {name: _version(name) for name in _PACKAGES},
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:24]


# --- the export ---------------------------------------------------------------------------------


def _graph(net) -> tuple[list[dict], list[tuple[str, object]]]:
    """SqueezeNet's layers as a list of operations the browser module interprets, and its tensors.

    Convolutions followed by a ReLU become one ``conv`` with ``relu: true``; a fire module is its
    squeeze convolution and its two expand convolutions (concatenated, 1×1 then 3×3); dropout is
    left out (evaluation mode); the final adaptive average pooling to 1×1 is a global mean.
    """
    from torch import nn
    from torchvision.models.squeezenet import Fire

    tensors: list[tuple[str, object]] = []

    def conv(module: nn.Conv2d, name: str, relu: bool) -> dict:
        if module.groups != 1 or module.dilation != (1, 1) or module.bias is None:
            raise PlaygroundError(f"{name}: convolution non prise en charge par le module du navigateur")
        if module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise PlaygroundError(f"{name}: remplissage non pris en charge ({module.padding!r})")
        weight = module.weight.detach().permute(2, 3, 1, 0).contiguous()  # OIHW -> HWIO (TensorFlow's)
        tensors.append((f"{name}.weight", weight))
        tensors.append((f"{name}.bias", module.bias.detach().contiguous()))
        return {
            "op": "conv",
            "weight": f"{name}.weight",
            "bias": f"{name}.bias",
            "kernel": list(module.kernel_size),
            "stride": list(module.stride),
            "padding": list(module.padding),
            "relu": relu,
        }

    ops: list[dict] = []
    for part in ("features", "classifier"):
        layers = list(getattr(net, part).named_children())
        k = 0
        while k < len(layers):
            name, module = layers[k]
            full = f"{part}.{name}"
            following = layers[k + 1][1] if k + 1 < len(layers) else None
            if isinstance(module, nn.Conv2d):
                relu = isinstance(following, nn.ReLU)
                ops.append(conv(module, full, relu))
                k += 2 if relu else 1
                continue
            if isinstance(module, Fire):
                ops.append(
                    {
                        "op": "fire",
                        "squeeze": conv(module.squeeze, f"{full}.squeeze", True),
                        "expand1x1": conv(module.expand1x1, f"{full}.expand1x1", True),
                        "expand3x3": conv(module.expand3x3, f"{full}.expand3x3", True),
                    }
                )
            elif isinstance(module, nn.MaxPool2d):
                if not (ops and (ops[-1]["op"] == "fire" or ops[-1].get("relu"))):
                    # Padding a ceil-mode window with zeros is right only for non-negative input.
                    raise PlaygroundError(f"{full}: un max-pooling doit suivre une ReLU")
                size = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
                stride = module.stride if isinstance(module.stride, int) else module.stride[0]
                ops.append({"op": "maxpool", "kernel": size, "stride": stride, "ceil": bool(module.ceil_mode)})
            elif isinstance(module, nn.AdaptiveAvgPool2d):
                if tuple(
                    module.output_size if not isinstance(module.output_size, int) else (module.output_size,) * 2
                ) != (
                    1,
                    1,
                ):
                    raise PlaygroundError(f"{full}: seule la moyenne globale (1×1) est prise en charge")
                ops.append({"op": "avgpool"})
            elif isinstance(module, nn.Dropout):
                pass
            else:
                raise PlaygroundError(f"{full}: couche {type(module).__name__} non prise en charge")
            k += 1
    return ops, tensors


def _signature_defaults(function, names: list[str]) -> dict:
    import inspect

    params = inspect.signature(function).parameters
    return {name: params[name].default for name in names}


def _defaults() -> dict:
    import tp8

    return {
        "fooling": _signature_defaults(tp8.fooling_image, ["lr", "max_iter"]),
        "classVisualization": _signature_defaults(
            tp8.class_visualization,
            ["l2_reg", "lr", "num_iterations", "blur_every", "blur_sigma", "max_jitter", "image_size", "seed"],
        ),
        "loadImage": _signature_defaults(tp8.load_image, ["size", "resize"]),
    }


def _photo_frames() -> list[tuple[object, object]]:
    """(SampleImage, 256 × 256 frame) per course photo; the frame's centre crop is the sample's image."""
    import torch
    from torchvision.transforms import functional as TF

    import tp8
    from tp8 import images as tp8_images

    out = []
    for sample in tp8.sample_images():
        raw = tp8_images._raw_photo(sample.name)
        frame = tp8.load_image(raw, size=FRAME, resize=FRAME)
        if not torch.equal(TF.center_crop(frame, [CROP, CROP]), sample.image):
            raise PlaygroundError(f"photo {sample.name}: le centre du cadre {FRAME} n'est pas l'image de tp8")
        out.append((sample, frame))
    return out


def _png(image, *, size: int | None = None, jpeg: bool = False) -> bytes:
    import numpy as np
    from PIL import Image

    import tp8

    array = np.round(tp8.to_numpy(image) * 255).astype(np.uint8)
    pil = Image.fromarray(array)
    buffer = io.BytesIO()
    if size is not None:
        pil = pil.resize((size, size), Image.Resampling.LANCZOS)
    if jpeg:
        pil.save(buffer, format="JPEG", quality=82, optimize=True, progressive=False)
    else:
        pil.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _convolutions(op: dict) -> list[dict]:
    """The convolutions of one operation of the graph (a fire module has three)."""
    if op["op"] == "conv":
        return [op]
    return [op[k] for k in ("squeeze", "expand1x1", "expand3x3")] if op["op"] == "fire" else []


def float32_tensors(ops: list[dict]) -> set[str]:
    """The tensors of the layers before the :data:`FLOAT32_UNTIL_POOL`-th max-pooling (kept in float32)."""
    names: set[str] = set()
    pools = 0
    for op in ops:
        if op["op"] == "maxpool":
            pools += 1
            if pools >= FLOAT32_UNTIL_POOL:
                break
        convs = _convolutions(op)
        names.update(name for conv in convs for name in (conv["weight"], conv["bias"]))
    return names


def _measure_rounding(model, half: set[str], photos) -> dict:
    """How much storing the tensors ``half`` in float16 moves the logits and the saliency maps of the course's photos."""
    import numpy as np
    import torch

    import tp8

    x = tp8.images.quantize(torch.stack(photos))
    state = {k: v.clone() for k, v in model.net.state_dict().items()}
    with torch.no_grad():
        reference = model(x).double()
    maps = tp8.saliency_map(model, x)
    model.net.load_state_dict({k: v.half().float() if k in half else v for k, v in state.items()})
    try:
        with torch.no_grad():
            rounded = model(x).double()
        rounded_maps = tp8.saliency_map(model, x)
    finally:
        model.net.load_state_dict(state)
    scale = reference.abs().amax(dim=1)
    error = float(((rounded - reference).abs().amax(dim=1) / scale).max())
    same_top5 = bool((rounded.topk(5, dim=1).indices == reference.topk(5, dim=1).indices).all())
    correlation = min(
        float(np.corrcoef(a.flatten().numpy(), b.flatten().numpy())[0, 1]) for a, b in zip(maps, rounded_maps)
    )
    return {
        "relative_logit_error": error,
        "same_top5": same_top5,
        "saliency_correlation": correlation,
        "photos": len(photos),
    }


#: How many of the first layers keep float32, in each language of the site.
_ORDINALS = {
    "fr": {1: "la première couche", 2: "les deux premières couches", 3: "les trois premières couches"},
    "en": {1: "the first layer", 2: "the first two layers", 3: "the first three layers"},
}


def precision_text(manifest: dict, lang: str = "fr") -> str:
    """``"float16, et float32 pour les trois premières couches"`` (``lang="en"``: ``"float16, and
    float32 for the first three layers"``): how the weights are stored."""
    dtypes = {entry["name"]: entry["dtype"] for entry in manifest["tensors"]}
    if set(dtypes.values()) == {"float32"}:
        return "float32"
    layers = 0
    for op in manifest["graph"]:
        convs = _convolutions(op)
        if convs and all(dtypes[conv["weight"]] == "float32" for conv in convs):
            layers += 1
        elif convs:
            break
    if not layers:
        return "float16"
    if lang == "en":
        return f"float16, and float32 for {_ORDINALS['en'].get(layers, f'the first {layers} layers')}"
    return f"float16, et float32 pour {_ORDINALS['fr'].get(layers, f'les {layers} premières couches')}"


def _number(value: float, digits: int = 1, lang: str = "fr") -> str:
    """``2,5`` (French) or ``2.5`` (English)."""
    text = f"{value:.{digits}f}"
    return text if lang == "en" else text.replace(".", ",")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sci(value: float, lang: str = "fr") -> str:
    """``9,0 × 10⁻⁵`` (English: ``9.0 × 10⁻⁵``): a small number, without maths markup."""
    mantissa, exponent = f"{value:.1e}".split("e")
    mantissa = mantissa if lang == "en" else mantissa.replace(".", ",")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def summary_text(manifest: dict, lang: str = "fr") -> str:
    """The page's provenance line (``[[tp8:provenance]]``): whose weights, how they are stored for the
    browser and what that rounding costs, in French or (``lang="en"``) in English."""
    weights = manifest["weights"]
    measured = weights["float16Error"]
    precision = precision_text(manifest, lang)
    size = _number(weights["byteLength"] / 1e6, 1, lang)
    error = _sci(measured["relativeLogitError"], lang)
    correlation = _number(math.floor(measured["saliencyCorrelation"] * 1e4) / 1e4, 4, lang)
    half = any(entry["dtype"] == "float16" for entry in manifest["tensors"])
    if lang == "en":
        return (
            f"{manifest.get('provenanceEn') or manifest['provenance']}; exported for the browser in {precision} "
            f"({size} MB, SHA-256 {weights['sha256']}…): "
            + (
                f"this rounding moves the logits of the course's photos by at most {error} of the largest "
                f"|logit|, and their saliency maps keep a correlation of at least {correlation} with those of "
                "the float32 weights"
                if half
                else "rounding to float16 would have moved the logits or the saliency maps of the course's photos too far"
            )
        )
    return (
        f"{manifest['provenance']} ; exportés pour le navigateur en {precision} "
        f"({size} Mo, SHA-256 {weights['sha256']}…) : "
        + (
            f"cet arrondi déplace les logits des photos du cours d'au plus {error} du plus grand |logit|, "
            f"et leurs cartes de saillance restent corrélées à au moins {correlation} avec celles des "
            "poids float32"
            if half
            else "l'arrondi en float16 aurait trop déplacé les logits ou les cartes de saillance des photos du cours"
        )
    )


def export(out_dir: Path, *, log=None) -> dict:
    """Write ``out_dir/essayer/reseau/…`` (the site's layout); return the manifest."""
    import torch

    import tp8
    from tp8.course import provenance
    from tp8.errors import Tp8Error

    torch.set_num_threads(min(2, torch.get_num_threads()))
    try:
        model = tp8.load_model(MODEL, progress=False)
    except Tp8Error as exc:
        raise PlaygroundError(f"les poids de {MODEL} sont introuvables pour la page Essayer : {exc}") from exc
    if not model.pretrained:
        raise PlaygroundError(f"{MODEL} n'a pas de poids pré-entraînés : la page Essayer n'aurait aucun sens")
    ops, tensors = _graph(model.net)
    frames = _photo_frames()
    half = {name for name, _ in tensors} - float32_tensors(ops)
    measured = _measure_rounding(model, half, [sample.image for sample, _ in frames])
    use_half = (
        measured["same_top5"]
        and measured["relative_logit_error"] <= FLOAT16_SHARE * LOGIT_TOLERANCE
        and measured["saliency_correlation"] >= MIN_SALIENCY_CORRELATION
    )
    if not use_half:
        half = set()

    blob = bytearray()
    entries = []
    for name, tensor in tensors:
        while len(blob) % 8:
            blob.append(0)
        dtype = "float16" if name in half else "float32"
        data = tensor.numpy().astype("<f2" if name in half else "<f4").tobytes()
        entries.append(
            {"name": name, "shape": list(tensor.shape), "dtype": dtype, "offset": len(blob), "length": tensor.numel()}
        )
        blob += data
    blob = bytes(blob)
    digest = hashlib.sha256(blob).hexdigest()
    dtypes = sorted({entry["dtype"] for entry in entries})
    suffix = "".join(f"f{d.removeprefix('float')}" for d in dtypes)
    weights_file = f"{MODEL}.{digest[:12]}.{suffix}.bin"
    full = [entry["name"] for entry in entries if entry["dtype"] == "float32"]

    target = Path(out_dir) / SITE_DIR
    if target.exists():
        shutil.rmtree(target)
    (target / "photos").mkdir(parents=True)
    (target / weights_file).write_bytes(blob)
    photos = []
    for sample, frame in frames:
        (target / "photos" / f"{sample.name}.png").write_bytes(_png(frame))
        (target / "photos" / f"{sample.name}.jpg").write_bytes(_png(sample.image, size=THUMBNAIL, jpeg=True))
        photos.append(
            {
                "name": sample.name,
                "caption": PHOTO_CAPTIONS.get(sample.name, {"fr": sample.name, "en": sample.name}),
                "frame": f"photos/{sample.name}.png",
                "thumbnail": f"photos/{sample.name}.jpg",
                "licence": sample.licence,
                "source": sample.source,
                "imagenetClass": sample.imagenet_class,
            }
        )
    weights_line = provenance(model)
    size_mb = len(blob) / 1e6
    error = measured["relative_logit_error"]
    manifest = {
        "format": FORMAT,
        "model": MODEL,
        "title": "SqueezeNet 1.1",
        "provenance": weights_line,
        "provenanceEn": weights_line.en or str(weights_line),
        "weights": {
            "file": weights_file,
            "byteLength": len(blob),
            "sha256": digest[:12],
            "parameters": int(sum(t.numel() for _, t in tensors)),
            "float16Error": {
                "relativeLogitError": error,
                "sameTop5": measured["same_top5"],
                "saliencyCorrelation": measured["saliency_correlation"],
                "photos": measured["photos"],
                "tolerance": LOGIT_TOLERANCE,
            },
        },
        "tensors": entries,
        "graph": ops,
        "input": {"size": CROP, "frame": FRAME, "layout": "NHWC", "range": [0, 1]},
        "mean": [float(v) for v in model.mean.flatten()],
        "std": [float(v) for v in model.std.flatten()],
        "classes": list(model.categories),
        "defaults": _defaults(),
        "photos": photos,
    }
    manifest["summary"] = summary_text(manifest)
    precision = precision_text(manifest)
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    if log:
        log(
            f"tp8 : page Essayer — {MODEL} exporté en {precision} ({size_mb:.2f} Mo ; "
            f"arrondi : {error:.2g} du plus grand |logit|, {len(full)} tenseurs en float32)"
        )
    return manifest


def ensure_export(cache_dir: Path, *, log=None) -> Path:
    """The cached export's root (mirroring the site), made first when missing; old ones evicted."""
    base = Path(cache_dir) / "playground"
    key = cache_key()
    root = base / key
    if (root / SITE_DIR / MANIFEST).is_file():
        return root
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=base))
    try:
        export(tmp, log=log)
        os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    others = sorted((p for p in base.iterdir() if p.is_dir() and p != root), key=lambda p: p.stat().st_mtime)
    for old in others[:-1]:  # keep one previous export (switching weights back is free)
        shutil.rmtree(old, ignore_errors=True)
    return root


def export_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / SITE_DIR).rglob("*") if p.is_file())


def _tfjs_bytes(cache_dir: Path) -> dict[str, int]:
    folder = site_assets.vendor_root(cache_dir) / site_assets.SITE_PREFIX / site_assets.TFJS_DIR
    return {p.name: p.stat().st_size for p in folder.glob("*") if p.is_file()} if folder.is_dir() else {}


def _setting(value: float, lang: str = "fr") -> str:
    """A default setting: ``0,2``, ``100``, ``10⁻³`` (English: ``0.2``, ``100``, ``10⁻³``)."""
    if float(value).is_integer():
        return str(int(value))
    if abs(value) < 0.01:
        text = _sci(value, lang)
        return text.removeprefix("1,0 × ").removeprefix("1.0 × ")
    text = f"{value:g}"
    return text if lang == "en" else text.replace(".", ",")


def defaults_sentence(defaults: dict, lang: str = "fr") -> str:
    """``[[tp8:defaults]]``: tp8's settings of the fooling image and of the class visualization."""
    fool, viz = defaults["fooling"], defaults["classVisualization"]
    if lang == "en":
        return (
            f"η = {_setting(fool['lr'], lang)} and at most {fool['max_iter']} steps for the fooling image; "
            f"η = {_setting(viz['lr'], lang)}, λ = {_setting(viz['l2_reg'], lang)}, {viz['num_iterations']} steps, "
            f"a blur of σ = {_setting(viz['blur_sigma'], lang)} every {viz['blur_every']} steps and a shift of at "
            f"most {viz['max_jitter']} pixels for the visualization"
        )
    return (
        f"η = {_setting(fool['lr'])} et {fool['max_iter']} pas au plus pour l'image trompeuse ; "
        f"η = {_setting(viz['lr'])}, λ = {_setting(viz['l2_reg'])}, {viz['num_iterations']} pas, flou de "
        f"σ = {_setting(viz['blur_sigma'])} tous les {viz['blur_every']} pas et décalage de {viz['max_jitter']} pixels "
        "au plus pour la visualisation"
    )


def placeholders(manifest: dict, tfjs: dict[str, int], lang: str = "fr") -> dict[str, str]:
    """What ``[[tp8:NAME]]`` becomes in the page, in French or (``lang="en"``) in English."""
    weights_mb = manifest["weights"]["byteLength"] / 1e6
    tf_mb = tfjs.get("tf.es2017.min.js", 0) / 1e6
    wasm_mb = (tfjs.get("tf-backend-wasm.es2017.min.js", 0) + tfjs.get("tfjs-backend-wasm-simd.wasm", 0)) / 1e6
    return {
        "provenance": summary_text(manifest, lang),
        "weights_mb": _number(weights_mb, 1, lang),
        "weights_dtype": precision_text(manifest, lang),
        "tfjs_mb": _number(tf_mb, 1, lang),
        "wasm_mb": _number(wasm_mb, 1, lang),
        "download_mb": _number(weights_mb + tf_mb, 1, lang),
        "tfjs_version": site_assets.PACKAGES["tfjs"][1],
        "classes": str(len(manifest["classes"])),
        "defaults": defaults_sentence(manifest["defaults"], lang),
    }


# --- MkDocs hooks -------------------------------------------------------------------------------

_state: dict = {}


def _cache_dir(config) -> Path:
    return Path(config.config_file_path).resolve().parent / ".cache"


def on_config(config):
    import logging

    from mkdocs.exceptions import PluginError

    log = logging.getLogger("mkdocs.hooks.tp8.playground")
    try:
        root = ensure_export(_cache_dir(config), log=log.info)
    except PlaygroundError as exc:
        raise PluginError(f"tp8 : {exc}") from exc
    _state["root"] = root
    _state["manifest"] = json.loads((root / SITE_DIR / MANIFEST).read_text(encoding="utf-8"))
    tfjs = _tfjs_bytes(_cache_dir(config))
    _state["values"] = {lang: placeholders(_state["manifest"], tfjs, lang) for lang in ("fr", "en")}
    return config


def _language(config) -> str:
    """The page's language: the theme's (``en`` in the English edition, whose build sets it), else French."""
    code = str(config["theme"].get("language") or "fr").lower()
    return "en" if code.startswith("en") else "fr"


def on_files(files, config):
    from mkdocs.structure.files import File, InclusionLevel

    root = _state["root"]
    for rel in export_files(root):
        files.append(
            File(rel, str(root), config.site_dir, config.use_directory_urls, inclusion=InclusionLevel.INCLUDED)
        )
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != PAGE:
        return markdown
    from mkdocs.exceptions import PluginError

    values = _state["values"][_language(config)]
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(markdown)} - set(values))
    if unknown:
        raise PluginError(f"tp8 : {PAGE} : valeur(s) inconnue(s) {', '.join(unknown)} (connues : {', '.join(values)})")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], markdown)


# --- a small site for the browser tests and the benchmark ------------------------------------------

_HARNESS_INDEX = """# Essai du panneau

Une page de la taille d'une partie du cours, qui ne charge rien du panneau :
[saillance](essayer.md#saillance), [image trompeuse](essayer.md#image-trompeuse),
[visualisation](essayer.md#visualisation).
"""

_HARNESS_HOOK = """# Adds the vendored assets (fonts, MathJax, TensorFlow.js) to the small site, as tools/site_hooks.py does.
import sys
from pathlib import Path

from mkdocs.structure.files import File, InclusionLevel

sys.path.insert(0, {tools!r})
import site_assets


def on_files(files, config):
    root = site_assets.ensure_assets(Path({cache!r}))
    for rel in site_assets.asset_files(root):
        files.append(File(rel, str(root), config.site_dir, config.use_directory_urls, inclusion=InclusionLevel.INCLUDED))
    return files
"""


def build_harness(out_dir: Path, *, cache_dir: Path | None = None, timeout: float = 600) -> Path:
    """Build, with MkDocs and the course's theme, a site holding the "Essayer" page and a home page
    that links to its three anchors, without the notebook pages (seconds, not minutes); return its
    ``site/`` folder. The browser tests (``TP8_PLAYGROUND_HARNESS=1``) and ``benchmarks/bench_browser.py``
    serve it; this hook exports into ``cache_dir`` (default: the repository's ``.cache``), as a build does.
    """
    import subprocess

    import yaml

    out_dir = Path(out_dir).resolve()
    cache_dir = Path(cache_dir or _ROOT / ".cache").resolve()
    docs = out_dir / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    (docs / "javascripts").mkdir(parents=True)
    (docs / "stylesheets").mkdir()
    shutil.copy2(_ROOT / "docs" / PAGE, docs / PAGE)
    for script in (_ROOT / "docs" / "javascripts").glob("*.js"):
        shutil.copy2(script, docs / "javascripts" / script.name)
    shutil.copy2(_ROOT / "docs" / "stylesheets" / "extra.css", docs / "stylesheets" / "extra.css")
    (docs / "index.md").write_text(_HARNESS_INDEX, encoding="utf-8")
    # Links of the page to the rest of the course lead nowhere here: stubs keep them valid.
    for stub in ("partie-1-saillance", "partie-2-adversaires", "partie-3-visualisation", "api"):
        (docs / f"{stub}.md").write_text(f"# {stub}\n\n## Le module du navigateur\n", encoding="utf-8")
    hook = out_dir / "harness_hook.py"
    hook.write_text(_HARNESS_HOOK.format(tools=str(_ROOT / "tools"), cache=str(cache_dir)), encoding="utf-8")
    cache_link = out_dir / ".cache"
    if cache_link.is_symlink() or cache_link.exists():
        cache_link.unlink() if cache_link.is_symlink() else shutil.rmtree(cache_link)
    cache_link.symlink_to(cache_dir, target_is_directory=True)
    config = {
        "site_name": "tp8 — essai du panneau",
        "site_url": "http://127.0.0.1/",
        "docs_dir": str(docs),
        "site_dir": str(out_dir / "site"),
        "strict": True,
        "theme": {
            "name": "material",
            "custom_dir": str(_ROOT / "docs" / "overrides"),
            "language": "fr",
            "font": False,
            "features": ["navigation.instant"],
        },
        "extra_css": [f"{site_assets.SITE_PREFIX}/fonts/fonts.css", "stylesheets/extra.css"],
        "hooks": [str(Path(__file__).resolve()), str(hook)],
        "nav": [{"Accueil": "index.md"}, {"Essayer": PAGE}],
        "not_in_nav": "\n".join(
            f"/{stub}.md" for stub in ("partie-1-saillance", "partie-2-adversaires", "partie-3-visualisation", "api")
        ),
        "markdown_extensions": ["admonition", "attr_list", "md_in_html", {"toc": {"permalink": True}}],
    }
    (out_dir / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(out_dir / "mkdocs.yml")],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        raise PlaygroundError(f"la construction du petit site a échoué :\n{(proc.stdout + proc.stderr)[-4000:]}")
    return out_dir / "site"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    out = sub.add_parser("export", help="exporter le réseau, les classes et les photos dans OUT_DIR/essayer/reseau")
    out.add_argument("out_dir", type=Path)
    harness = sub.add_parser("harness", help="construire dans OUT_DIR un petit site : la page Essayer seule")
    harness.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "harness":
            print(build_harness(args.out_dir))
            return 0
        manifest = export(args.out_dir, log=print)
    except PlaygroundError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 1
    print(manifest["summary"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
