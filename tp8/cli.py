"""The ``tp8`` command line: ``predict``, ``saliency``, ``fool`` and ``classviz``.

Examples::

    tp8 predict photo.jpg
    tp8 saliency photo.jpg other.png -o maps/
    tp8 fool photo.jpg --target "great white shark" -o fooled.png
    tp8 classviz tarantula flamingo -o classes/

Bad input prints one line, ``tp8: error: …``, and exits with status 2. No existing file is
ever overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import Tp8Error

EXIT_USAGE = 2


class CliError(Tp8Error):
    """A problem with the command line's own arguments or files."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="squeezenet1_1", help="torchvision classifier (default: %(default)s)")
    parser.add_argument(
        "--weights",
        default="DEFAULT",
        help="'DEFAULT' (uses $TP8_WEIGHTS_DIR/<model>.pth if present, else torchvision's download), "
        "a .pth state dict, or a directory of them",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tp8",
        description="Look inside an ImageNet classifier: predictions, saliency maps, fooling images, class visualisations.",
    )
    parser.add_argument("--version", action="version", version=f"tp8 {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("predict", help="print the top-k classes of images")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("-k", "--top", type=int, default=5, help="how many classes (default: %(default)s)")
    _common(p)

    p = sub.add_parser("saliency", help="write saliency maps (Simonyan et al. 2014)")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--target", help="class name or index (default: the predicted class)")
    p.add_argument("-o", "--output", type=Path, default=Path("."), help="output directory (default: .)")
    _common(p)

    p = sub.add_parser("fool", help="write a fooling image classified as --target (Szegedy et al. 2014)")
    p.add_argument("image", type=Path, metavar="IMAGE")
    p.add_argument("--target", required=True, help="class name or index to reach")
    p.add_argument("-o", "--output", type=Path, help="adversarial PNG (default: <image>_fooled_<target>.png)")
    p.add_argument("--figure", type=Path, help="also write the original/adversarial/difference figure here")
    p.add_argument("--lr", type=float, default=None, help="step length η (default: the library's)")
    p.add_argument("--max-iter", type=int, default=None, help="most steps (default: the library's)")
    _common(p)

    p = sub.add_parser("classviz", help="write class visualisations (Simonyan 2014, Yosinski 2015)")
    p.add_argument("classes", nargs="+", metavar="CLASS", help="class names or indices")
    p.add_argument("-o", "--output", type=Path, default=Path("."), help="output directory (default: .)")
    p.add_argument("--iterations", type=int, default=None, help="ascent steps (default: the library's)")
    p.add_argument("--lr", type=float, default=None, help="learning rate η (default: the library's)")
    p.add_argument("--l2-reg", type=float, default=None, help="L2 weight λ (default: the library's)")
    p.add_argument("--init", type=Path, help="start from this image instead of noise")
    _common(p)
    return parser


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "image"


def _free(paths: Sequence[Path], force: bool) -> None:
    """Fail before any work if an output exists (without --force) or its folder is missing."""
    seen = set()
    for path in paths:
        if path in seen:
            raise CliError(f"two outputs would be written to {path}; rename an input")
        seen.add(path)
        if path.exists() and not force:
            raise CliError(f"{path} already exists; choose another name or pass --force")
        if path.exists() and path.is_dir():
            raise CliError(f"{path} is a directory")
        if not path.parent.is_dir():
            raise CliError(f"output directory {path.parent} does not exist")


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise CliError(f"{path} is a file; --output must be a directory here")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_figure(fig, path: Path, force: bool) -> None:
    import matplotlib.pyplot as plt

    _free([path], force)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        fig.savefig(tmp, format="png", dpi=110, facecolor="white")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()


def _run(args: argparse.Namespace) -> int:
    import torch

    import tp8

    torch.manual_seed(args.seed)
    progress = not args.quiet
    weights = None if args.weights in ("none", "None") else args.weights
    model = tp8.load_model(args.model, weights=weights, device=args.device, progress=progress)

    if args.command == "predict":
        images = tp8.load_images(args.images)
        if args.top < 1:
            raise CliError("--top must be at least 1")
        for path, preds in zip(args.images, model.predict(images, k=min(args.top, model.num_classes))):
            print(f"{path}:")
            for rank, (name, prob) in enumerate(preds, 1):
                print(f"  {rank}. {name:<30} {prob:7.2%}")
        return 0

    if args.command == "saliency":
        out = _out_dir(args.output)
        targets = [out / f"{p.stem}_saliency.png" for p in args.images]
        _free(targets, args.force)
        images = tp8.load_images(args.images)
        target = None if args.target is None else model.class_index(args.target)
        maps = tp8.saliency_map(model, images, target)
        with torch.no_grad():
            classes = model(images.to(model.device)).argmax(1).tolist() if target is None else [target] * len(images)
        for path, image, smap, cls, dest in zip(args.images, images, maps, classes, targets):
            fig = tp8.plot_saliency(image, smap, [f"{path.name}: {model.categories[cls]}"])
            _save_figure(fig, dest, args.force)
            print(f"wrote {dest}  (class: {model.categories[cls]})")
        return 0

    if args.command == "fool":
        target = model.class_index(args.target)
        dest = args.output or args.image.with_name(f"{args.image.stem}_fooled_{_slug(model.categories[target])}.png")
        outputs = [dest] + ([args.figure] if args.figure else [])
        _free(outputs, args.force)
        image = tp8.load_image(args.image)
        kwargs = {k: v for k, v in (("lr", args.lr), ("max_iter", args.max_iter)) if v is not None}
        result = tp8.fooling_image(model, image, target, progress=progress, **kwargs)
        row = result.rows(model)[0]
        tp8.save_image(result.images[0], dest, force=args.force)
        if args.figure:
            _save_figure(tp8.plot_attack(result, model), args.figure, args.force)
        status = "fooled" if row["success"] else "NOT fooled"
        print(
            f"{status}: {row['original']} → {row['predicted']} (target {row['target']}, p = {row['target prob']:.2%}) "
            f"after {row['iterations']} steps; L2 = {row['L2 (/255)']:.1f}/255, Linf = {row['Linf (/255)']:.0f}/255"
        )
        print(f"wrote {dest}")
        return 0 if row["success"] else 1

    if args.command == "classviz":
        out = _out_dir(args.output)
        indices = [model.class_index(c) for c in args.classes]
        dests = [out / f"{_slug(model.categories[i])}.png" for i in indices]
        _free(dests, args.force)
        kwargs = {
            k: v
            for k, v in (("num_iterations", args.iterations), ("lr", args.lr), ("l2_reg", args.l2_reg))
            if v is not None
        }
        if args.init is not None:
            kwargs["init_img"] = tp8.load_image(args.init)
        result = tp8.class_visualization(model, indices, seed=args.seed, progress=progress, **kwargs)
        for i, image, prob, dest in zip(indices, result.images, result.final_probability, dests):
            tp8.save_image(image, dest, force=args.force)
            print(f"wrote {dest}  ({model.categories[i]}: p = {float(prob):.2%})")
        return 0
    raise CliError(f"unknown command {args.command}")  # pragma: no cover - argparse prevents it


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tp8`` and ``python -m tp8``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except Tp8Error as exc:
        print(f"tp8: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tp8: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
