"""The ``tp8`` command line: ``predict``, ``saliency``, ``fool`` and ``classviz``.

Examples::

    tp8 predict photo.jpg
    tp8 saliency photo.jpg -o map.png
    tp8 saliency photo.jpg other.png -o maps/
    tp8 saliency photo.jpg --method gradcam -o maps/
    tp8 fool photo.jpg --target "great white shark" -o fooled.png
    tp8 classviz tarantula flamingo -o classes/
    tp8 classviz tarantula --method fourier -o readable/ --animate

``-o`` means the same for every command (:data:`OUTPUT_RULE`): the PNG file when the command writes one
image, the folder when it writes several; a path ending in ``/`` or naming an existing folder is a folder
either way, and missing folders are created (and removed again, when still empty, if writing fails). A name that would have
meant a folder in earlier versions (``tp8 saliency photo.jpg -o maps``: one image, no ``.png``) is refused
with the two ways to say it, never written as a file named ``maps``.

Bad input prints one line, ``tp8: error: …``, and exits with status 2, having written and
created nothing: numbers are checked as the command line is parsed (with the library's own
rules); every output destination (file or folder: ``-o``, ``--figure``, the animations of
``--animate``) before the model is loaded, by creating and removing a hidden file there, so that
an unwritable one (``-o /proc/x.png``, a read-only disk) is refused before any computation.
No existing file is ever overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from ._validate import check_count, check_int, check_number, check_seed
from .adversarial import fooling_image
from .attribution import METHODS as ATTRIBUTION_METHODS
from .attribution import integrated_gradients, smoothgrad
from .class_visualization import class_visualization
from .errors import InputError, Tp8Error
from .feature_visualization import feature_visualization

EXIT_USAGE = 2

#: ``-o``'s convention, for every command that writes images (``tp8 --help`` prints it).
OUTPUT_RULE = (
    "-o PATH: the PNG file when the command writes one image, the folder when it writes several; a PATH ending "
    "in / or naming an existing folder is a folder either way. Missing folders are created."
)


class CliError(Tp8Error):
    """A problem with the command line's own arguments or files."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line, ``tp8: error: …`` on stderr, and exit status 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"tp8: error: {_one_line(message)}\n")


def _parse_number(text: str) -> int | float | str:
    for convert in (int, float):
        with contextlib.suppress(ValueError):
            return convert(text)
    return text  # the check refuses it, naming it: "got str 'abc'"


def _number_type(check: Callable[..., object], **rule) -> Callable[[str], object]:
    """An argparse ``type=`` that reads a number and checks it with the library's rules (``tp8._validate``):
    a bad value is refused while parsing, before any model is loaded or any file or folder is created."""

    def parse(text: str) -> object:
        try:
            return check("", _parse_number(text), **rule)  # no name: argparse says "argument --lr: …"
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _default(function: Callable, parameter: str) -> object:
    """The library's default for a parameter, for the help and the error messages."""
    return inspect.signature(function).parameters[parameter].default


def _leave_out(function: Callable, parameter: str) -> str:
    return f"the library's default, {_default(function, parameter)}, is a good start (leave the option out to use it)"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="squeezenet1_1", help="torchvision classifier (default: %(default)s)")
    parser.add_argument(
        "--weights",
        default="DEFAULT",
        help="'DEFAULT' (uses $TP8_WEIGHTS_DIR/<model>.pth if present, else torchvision's download), "
        "a .pth state dict, or a directory of them",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps (default: %(default)s)")
    parser.add_argument(
        "--seed",
        type=_number_type(lambda name, value: check_seed(value, name)),
        default=0,
        help="random seed, an integer ≥ 0 (default: %(default)s)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tp8",
        description="Look inside an ImageNet classifier: predictions, saliency maps, fooling images, class visualisations.",
        epilog=OUTPUT_RULE,
    )
    parser.add_argument("--version", action="version", version=f"tp8 {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("predict", help="print the top-k classes of images")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument(
        "-k",
        "--top",
        type=_number_type(check_int, low=1, hint="it counts the classes printed per image: 5 (the default) is usual"),
        default=5,
        help="how many classes, an integer ≥ 1 (default: %(default)s)",
    )
    _common(p)

    p = sub.add_parser(
        "saliency", help="write attribution maps: the gradient (Simonyan et al. 2014), SmoothGrad, IG or Grad-CAM"
    )
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--target", help="class name or index (default: the predicted class)")
    p.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="with one IMAGE, the PNG to write (e.g. map.png); with several, the folder that receives "
        "<image>_saliency.png (<image>_<method>.png for the other methods); a PATH ending in / or naming an existing "
        "folder is a folder either way; missing folders are created (default: those names, in the current folder)",
    )
    p.add_argument(
        "--method",
        choices=tuple(ATTRIBUTION_METHODS),
        default="gradient",
        help="gradient: max over RGB of |∂ỹ_c/∂x| (Simonyan 2014; writes <image>_saliency.png); smoothgrad: its "
        "mean over noisy copies (Smilkov 2017); ig: Integrated Gradients (Sundararajan 2017); gradcam: Grad-CAM "
        "(Selvaraju 2017); the others write <image>_<method>.png (default: %(default)s)",
    )
    p.add_argument(
        "--n-samples",
        type=_number_type(check_count, minimum=1, hint=_leave_out(smoothgrad, "n_samples")),
        default=None,
        help=f"smoothgrad: noisy copies per image, an integer ≥ 1 (default: {_default(smoothgrad, 'n_samples')})",
    )
    p.add_argument(
        "--sigma",
        type=_number_type(check_number, low=0, hint=_leave_out(smoothgrad, "sigma")),
        default=None,
        help=f"smoothgrad: noise level σ ≥ 0, a fraction of the pixel range (default: {_default(smoothgrad, 'sigma')})",
    )
    p.add_argument(
        "--steps",
        type=_number_type(check_count, minimum=1, hint=_leave_out(integrated_gradients, "steps")),
        default=None,
        help=f"ig: points of the path integral, an integer ≥ 1 (default: {_default(integrated_gradients, 'steps')})",
    )
    p.add_argument(
        "--baseline",
        choices=("black", "blur"),
        default=None,
        help=f"ig: the image the path starts from (default: {_default(integrated_gradients, 'baseline')})",
    )
    p.add_argument("--layer", help="gradcam: a layer of the network, e.g. features.12 (default: its last conv block)")
    p.add_argument(
        "--batch-size",
        type=_number_type(check_count, minimum=1, hint=_leave_out(smoothgrad, "batch_size")),
        default=None,
        help=f"images per forward+backward pass, an integer ≥ 1 (default: {_default(smoothgrad, 'batch_size')})",
    )
    _common(p)

    p = sub.add_parser("fool", help="write a fooling image classified as --target (Szegedy et al. 2014)")
    p.add_argument("image", type=Path, metavar="IMAGE")
    p.add_argument("--target", required=True, help="class name or index to reach")
    p.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="the adversarial PNG to write (e.g. fooled.png); a PATH ending in / or naming an existing folder "
        "receives <image>_fooled_<target>.png; missing folders are created (default: that name, next to the image)",
    )
    p.add_argument(
        "--figure",
        metavar="FILE",
        help="also write the original/adversarial/difference figure to this PNG file (missing folders are created)",
    )
    p.add_argument(
        "--lr",
        type=_number_type(check_number, low=0, low_open=True, hint=_leave_out(fooling_image, "lr")),
        default=None,
        help=f"step length η > 0, in [0, 1] pixel units (default: {_default(fooling_image, 'lr')})",
    )
    p.add_argument(
        "--max-iter",
        type=_number_type(check_count, minimum=0, hint=_leave_out(fooling_image, "max_iter")),
        default=None,
        help=f"most steps, an integer ≥ 0 (default: {_default(fooling_image, 'max_iter')})",
    )
    _common(p)

    p = sub.add_parser("classviz", help="write class visualisations (Simonyan 2014, Yosinski 2015)")
    p.add_argument("classes", nargs="+", metavar="CLASS", help="class names or indices")
    p.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="with one CLASS, the PNG to write (e.g. tarantula.png; --animate puts the .webp beside it); with "
        "several, the folder that receives <class>.png; a PATH ending in / or naming an existing folder is a "
        "folder either way; missing folders are created (default: <class>.png in the current folder)",
    )
    p.add_argument(
        "--iterations",
        type=_number_type(check_count, minimum=1, hint=_leave_out(class_visualization, "num_iterations")),
        default=None,
        help=f"ascent steps, an integer ≥ 1 (default: {_default(class_visualization, 'num_iterations')}; "
        f"--method fourier: {_default(feature_visualization, 'num_iterations')})",
    )
    p.add_argument(
        "--lr",
        type=_number_type(check_number, low=0, low_open=True, hint=_leave_out(class_visualization, "lr")),
        default=None,
        help=f"learning rate η > 0 (default: {_default(class_visualization, 'lr')}; "
        f"--method fourier, Adam's: {_default(feature_visualization, 'lr')})",
    )
    p.add_argument(
        "--l2-reg",
        type=_number_type(check_number, low=0, hint=_leave_out(class_visualization, "l2_reg")),
        default=None,
        help=f"L2 weight λ ≥ 0 (default: {_default(class_visualization, 'l2_reg')})",
    )
    p.add_argument("--init", type=Path, help="start from this image instead of noise")
    p.add_argument(
        "--method",
        choices=("lab", "fourier"),
        default="lab",
        help="lab: the lab's ascent on the pixels, with jitter, blur and L2 (Simonyan 2014, Yosinski 2015); "
        "fourier: a Fourier-parameterised image with decorrelated colours and random transformations "
        "(Olah et al. 2017), which people and other networks recognise (default: %(default)s)",
    )
    p.add_argument(
        "--animate", action="store_true", help="also write the ascent as an animated WebP per class (under 1 MB)"
    )
    _common(p)
    return parser


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "image"


def _free(paths: Sequence[Path], force: bool) -> None:
    """Fail before any work if an output exists (without --force) or two outputs share a name.

    Their folders were checked by :func:`_check_destinations`; :func:`_output_dir` creates the missing ones
    only when the results are written.
    """
    seen = set()
    for path in paths:
        if path in seen:
            raise CliError(f"two outputs would be written to {path}; rename an input")
        seen.add(path)
        if path.exists() and path.is_dir():
            raise CliError(f"{path} is a directory")
        if path.exists() and not force:
            raise CliError(f"{path} already exists; choose another name or pass --force")


def _probe(folder: Path, option: str, *, create_folder: bool = False) -> None:
    """Refuse an output ``folder`` that cannot be written into, by creating and removing a hidden file
    there (or, with ``create_folder``, a folder): permissions, read-only disks and pseudo-filesystems such
    as ``/proc`` all answer so, even for root. Nothing is left behind."""
    try:
        if create_folder:
            os.rmdir(tempfile.mkdtemp(prefix=".tp8-probe-", dir=folder))
        else:
            handle, name = tempfile.mkstemp(prefix=".tp8-probe-", dir=folder)
            os.close(handle)
            os.unlink(name)
    except OSError as exc:
        what = "a folder" if create_folder else "a file"
        raise CliError(
            f"cannot write into {folder}: creating {what} there fails ({exc.strerror or exc}); choose another {option}"
        ) from None


def _check_out_dir(path: Path, option: str = "-o/--output") -> Path:
    """Refuse an output folder that cannot be created or written into, without creating anything."""
    if path.exists() and not path.is_dir():
        raise CliError(f"{path} is a file; {option} needs a folder there")
    existing = next(p for p in (path, *path.parents) if p.exists())  # relative paths end at "."
    if not existing.is_dir():
        raise CliError(f"{existing} is a file: the folder {path} of {option} cannot be created below it")
    _probe(existing, option, create_folder=existing != path)
    return path


def _check_out_file(path: Path, force: bool, option: str) -> None:
    """Refuse an output file that is not a .png, exists (without --force), is a folder, or whose folder cannot be
    created or written into."""
    if path.is_dir():
        raise CliError(f"{path} is a directory; {option} must name a file")
    if path.suffix.lower() != ".png":
        raise CliError(f"{option} {path}: tp8 writes PNG images; end the name with .png")
    if path.exists() and not force:
        raise CliError(f"{path} already exists; choose another name or pass --force")
    _check_out_dir(path.parent, option)


#: Image formats tp8 does not write: ``-o photo.jpg`` is a wrong format, not a folder's name.
_OTHER_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")


def _is_folder(text: str) -> bool:
    """``-o``'s text names a folder: it ends with a path separator, or such a folder exists."""
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def _output(text: str | None, count: int, default: Path, what: str) -> tuple[Path, Path | None]:
    """``-o``'s meaning for a command that writes ``count`` images (:data:`OUTPUT_RULE`): ``(folder, file)``,
    ``file`` set when ``-o`` names the one PNG to write, else ``None`` (each image gets its own name in
    ``folder``). ``default``: the folder without ``-o``; ``what``: the images, for the messages ("map")."""
    if text is None:
        return default, None
    if not text:
        raise CliError("-o/--output is empty; give a PNG file or a folder")
    path = Path(text)
    if _is_folder(text):
        return path, None
    if count == 1:
        if path.suffix.lower() in _OTHER_IMAGE_SUFFIXES:
            raise CliError(f"-o {text}: tp8 writes PNG images; end the name with .png")
        if path.suffix.lower() != ".png":
            raise CliError(
                f"-o {text}: one {what} is written, so -o names its PNG file (-o {path.name}.png); to write it "
                f"into the folder {text}, end the name with a slash (-o {text}/). -o named a folder in earlier "
                "versions of tp8"
            )
        return path.parent, path
    if path.exists():
        raise CliError(f"{text} is a file; {count} {what}s are written, so -o names a folder")
    if path.suffix.lower() == ".png":
        raise CliError(f"-o {text} names a PNG file, but {count} {what}s are written: give a folder (-o {path.stem}/)")
    return path, None


def _check_destinations(args: argparse.Namespace) -> None:
    """Every output destination of the command, checked before the model is loaded or anything computed.

    File names that depend on the class names (``fool`` without ``-o``, ``classviz``) are checked for
    existence once the model is there, still before any computation.
    """
    if args.command == "predict":
        return
    folder, file = args.destination
    if file is not None:
        _check_out_file(file, args.force, "-o/--output")
    elif args.command != "fool" or args.output is not None:
        _check_out_dir(folder)
    elif args.image.exists():  # the default, next to the image (a missing image is reported as such)
        _probe(args.image.parent, "-o/--output (the default writes next to the image)")
    if args.command == "fool" and args.figure is not None:
        figure = Path(args.figure)
        if _is_folder(args.figure):
            raise CliError(f"{args.figure} is a folder; --figure names the figure's PNG file")
        if file is not None and figure.resolve() == file.resolve():
            raise CliError(f"-o and --figure both name {args.figure}; give them different names")
        _check_out_file(figure, args.force, "--figure")


@contextlib.contextmanager
def _output_dir(path: Path) -> Iterator[Path]:
    """Create the output folder (and missing parents) to write the results; if writing fails, remove
    the folders created here again when they are still empty, so that a failure leaves nothing behind."""
    created = [p for p in (path, *path.parents) if not p.exists()]  # deepest first
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create the output directory {path}: {exc.strerror or exc}") from None
    try:
        yield path
    except BaseException:
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
        raise


def _save_figure(fig, path: Path, force: bool) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        fig.savefig(tmp, format="png", dpi=110, facecolor="white")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()


#: The options of ``tp8 saliency`` that belong to one method only, and the library's name for each.
_METHOD_OPTIONS = {
    "smoothgrad": {"n_samples": "n_samples", "sigma": "sigma"},
    "ig": {"steps": "steps", "baseline": "baseline"},
    "gradcam": {"layer": "layer"},
}


def _check_method_options(args: argparse.Namespace) -> None:
    """Refuse, before any work, an option given for another method than ``--method`` (``--steps`` with smoothgrad)."""
    for method, options in _METHOD_OPTIONS.items():
        given = [f"--{o.replace('_', '-')}" for o in options if getattr(args, o) is not None]
        if given and method != args.method:
            raise CliError(
                f"{' and '.join(given)} belong{'s' * (len(given) == 1)} to --method {method}, not {args.method}"
            )


def _method_options(args: argparse.Namespace, progress: bool) -> dict:
    options = {
        k: getattr(args, o) for o, k in _METHOD_OPTIONS.get(args.method, {}).items() if getattr(args, o) is not None
    }
    if args.batch_size is not None:
        options["batch_size"] = args.batch_size
    if args.method in ("smoothgrad", "ig"):
        options["progress"] = progress
    if args.method == "smoothgrad":
        options["seed"] = args.seed
    return options


def _run(args: argparse.Namespace) -> int:
    import torch

    import tp8

    torch.manual_seed(args.seed)
    progress = not args.quiet
    if args.command == "classviz" and args.method == "fourier" and (args.l2_reg is not None or args.init is not None):
        raise CliError(
            "--l2-reg and --init belong to --method lab: the fourier method has no L2 penalty and starts from noise"
        )
    if args.command == "saliency":
        _check_method_options(args)
        args.destination = _output(args.output, len(args.images), Path("."), "map")
    elif args.command == "classviz":
        args.destination = _output(args.output, len(args.classes), Path("."), "class image")
    elif args.command == "fool":
        args.destination = _output(args.output, 1, args.image.parent, "adversarial image")
    _check_destinations(args)
    weights = None if args.weights in ("none", "None") else args.weights
    model = tp8.load_model(args.model, weights=weights, device=args.device, progress=progress)

    if args.command == "predict":
        images = tp8.load_images(args.images)
        for path, preds in zip(args.images, model.predict(images, k=min(args.top, model.num_classes))):
            print(f"{path}:")
            for rank, (name, prob) in enumerate(preds, 1):
                print(f"  {rank}. {name:<30} {prob:7.2%}")
        return 0

    if args.command == "saliency":
        out, file = args.destination
        suffix = "saliency" if args.method == "gradient" else args.method
        targets = [file] if file is not None else [out / f"{p.stem}_{suffix}.png" for p in args.images]
        _free(targets, args.force)
        images = tp8.load_images(args.images)
        target = None if args.target is None else model.class_index(args.target)
        result = tp8.attribution.attribute(args.method, model, images, target, **_method_options(args, progress))
        with _output_dir(out):
            for k, (path, image, dest) in enumerate(zip(args.images, images, targets)):
                cls = model.categories[int(result.target[k])]
                title = [f"{path.name}: {cls}"]
                if args.method == "gradient":
                    fig = tp8.plot_saliency(image, result.maps[k], title)
                else:
                    fig = tp8.plot_attributions(image, result[k], title)
                _save_figure(fig, dest, args.force)
                extra = ""
                if args.method == "ig":
                    extra = f", completeness gap {float(result.delta[k]):+.3g} ({float(result.relative_delta[k]):.1%})"
                print(f"wrote {dest}  (class: {cls}; {args.method}, {result.passes} pass(es){extra})")
        return 0

    if args.command == "fool":
        target = model.class_index(args.target)
        out, file = args.destination
        dest = file or out / f"{args.image.stem}_fooled_{_slug(model.categories[target])}.png"
        figure = None if args.figure is None else Path(args.figure)
        outputs = [dest] + ([figure] if figure else [])
        _free(outputs, args.force)
        image = tp8.load_image(args.image)
        kwargs = {k: v for k, v in (("lr", args.lr), ("max_iter", args.max_iter)) if v is not None}
        result = tp8.fooling_image(model, image, target, progress=progress, **kwargs)
        row = result.rows(model)[0]
        with _output_dir(dest.parent):
            tp8.save_image(result.images[0], dest, force=args.force)
        if figure:
            with _output_dir(figure.parent):
                _save_figure(tp8.plot_attack(result, model), figure, args.force)
        status = "fooled" if row["success"] else "NOT fooled"
        print(
            f"{status}: {row['original']} → {row['predicted']} (target {row['target']}, p = {row['target prob']:.2%}) "
            f"after {row['iterations']} steps; L2 = {row['L2 (/255)']:.1f}/255, Linf = {row['Linf (/255)']:.0f}/255"
        )
        print(f"wrote {dest}")
        return 0 if row["success"] else 1

    if args.command == "classviz":
        out, file = args.destination
        indices = [model.class_index(c) for c in args.classes]
        dests = [file] if file is not None else [out / f"{_slug(model.categories[i])}.png" for i in indices]
        animations = [dest.with_suffix(".webp") for dest in dests] if args.animate else []
        _free(dests + animations, args.force)
        kwargs = {
            k: v
            for k, v in (("num_iterations", args.iterations), ("lr", args.lr), ("l2_reg", args.l2_reg))
            if v is not None
        }
        if args.init is not None:
            kwargs["init_img"] = tp8.load_image(args.init)
        if args.animate:  # frames for the animation: about 25 along the ascent
            kwargs["snapshot_every"] = max(1, (kwargs.get("num_iterations") or 100) // 24)
        visualize = tp8.feature_visualization if args.method == "fourier" else tp8.class_visualization
        result = visualize(model, indices, seed=args.seed, progress=progress, **kwargs)
        with _output_dir(out):
            for k, (i, image, prob, dest) in enumerate(zip(indices, result.images, result.final_probability, dests)):
                tp8.save_image(image, dest, force=args.force)
                print(f"wrote {dest}  ({model.categories[i]}: p = {float(prob):.2%})")
                if args.animate:
                    tp8.animate(result[k], animations[k], model=model, force=args.force)
                    print(f"wrote {animations[k]}  ({len(result.snapshots)} frames)")
        return 0
    raise CliError(f"unknown command {args.command}")  # pragma: no cover - argparse prevents it


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tp8`` and ``python -m tp8``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) or a usage error, already printed (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    try:
        return _run(args)
    except Tp8Error as exc:
        print(f"tp8: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a disk that fills up or goes read-only while writing: one line too
        where = f": {exc.filename}" if exc.filename else ""
        print(f"tp8: error: {_one_line(exc.strerror or exc)}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tp8: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
