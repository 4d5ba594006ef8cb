"""The README's facts, checked: its Python examples and command lines run, and what it says of the API holds.

The examples run offline with the real weights in ``$TP8_WEIGHTS_DIR`` (skipped where they are not) on photos the
test makes from scikit-image's own; a README example that stops working, a function or keyword it names that goes
away, or a sentence about progress bars that stops matching the signatures, fails here.
"""

from __future__ import annotations

import inspect
import os
import re
import shlex
from pathlib import Path

import pytest
from PIL import Image

import tp8
from tp8.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def inline_code() -> list[str]:
    prose = re.sub(r"^```.*?^```", "", README, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", prose)


def public_functions() -> dict[str, object]:
    return {name: getattr(tp8, name) for name in tp8.__all__ if inspect.isfunction(getattr(tp8, name))}


def sentences_with(text: str) -> list[str]:
    prose = " ".join(re.sub(r"^```.*?^```", "", README, flags=re.S | re.M).split())
    return [s for s in re.split(r"(?<=[.;])\s+(?=[A-Z`])", prose) if text in s]


def weights_or_skip(name: str = "squeezenet1_1") -> None:
    folder = os.environ.get("TP8_WEIGHTS_DIR")
    if not folder or not (Path(folder) / f"{name}.pth").is_file():
        pytest.skip(f"the README's examples need the real weights: $TP8_WEIGHTS_DIR/{name}.pth")


@pytest.fixture
def photos(tmp_path, monkeypatch):
    """The README's file names, as real photos (scikit-image's cat and coffee cup), in a fresh current folder."""
    from skimage import data

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TP8_PROGRESS", "0")
    Image.fromarray(data.chelsea()).save("chat.jpg")
    Image.fromarray(data.chelsea()).save("photo.jpg")
    Image.fromarray(data.coffee()).save("other.png")
    return tmp_path


# -- the examples run --------------------------------------------------------------------------------------------


def test_the_python_examples_run_and_say_what_they_return(photos):
    weights_or_skip()
    (block, *others) = code_blocks("python")
    assert not others, "a new Python block in the README: run it here too"
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    x, model = namespace["x"], namespace["model"]
    assert tuple(x.shape) == (1, 3, 224, 224) and float(x.min()) >= 0 and float(x.max()) <= 1  # as commented
    assert tuple(namespace["maps"].shape) == (1, 224, 224)
    fooled = namespace["fooled"]
    assert bool(fooled.success.all()), "the README's fooling example does not fool the network"
    assert model.predict(tp8.quantize(fooled.images), k=1)[0][0][0] == "goldfish"  # judged after 8-bit rounding
    assert tuple(namespace["dream"].images.shape) == (1, 3, 224, 224)
    # "model.class_index("Great white shark"), case-insensitive, with suggestions for typos"
    assert model.class_index("Great white shark") == model.class_index("great WHITE shark") == 2
    with pytest.raises(tp8.UnknownClassError, match="great white shark"):
        model.class_index("great white shrak")


def test_the_command_lines_run(photos, capsys):
    weights_or_skip()
    lines = [
        line
        for block in code_blocks("bash")
        for line in block.splitlines()
        if line.startswith("tp8 ") or line.startswith("python -m tp8 ")
    ]
    assert len(lines) >= 5
    for line in lines:
        args = shlex.split(line, comments=True)
        args = args[1:] if args[0] == "tp8" else args[3:]
        assert main(args) == 0, f"README: {line}\n{capsys.readouterr().err}"
        for option in ("-o", "--figure"):
            if option in args:
                dest = args[args.index(option) + 1]
                where = Path(dest)
                if dest.endswith("/"):
                    assert where.is_dir() and any(where.iterdir()), f"README: {line}: nothing in {dest}"
                else:
                    assert where.is_file(), f"README: {line}: no file {dest}"
    printed = capsys.readouterr().out
    assert "photo.jpg:" in printed and "1. " in printed  # predict's top-5
    assert sorted(p.name for p in Path("maps").iterdir()) == [
        "other_saliency.png",
        "photo_gradcam.png",
        "photo_saliency.png",
    ]
    assert sorted(p.name for p in Path("classes").iterdir()) == ["flamingo.png", "tarantula.png"]
    assert sorted(p.name for p in Path("readable").iterdir()) == ["tarantula.png", "tarantula.webp"]


# -- what the prose says of the API ------------------------------------------------------------------------------


def test_every_function_and_keyword_the_readme_names_exists():
    for span in inline_code():
        for dotted in re.findall(r"(?<![\w.])tp8((?:\.\w+)+)", span):
            target = tp8
            for part in dotted.strip(".").split("."):
                assert hasattr(target, part), f"README names `{span}`: tp8{dotted} does not exist"
                target = getattr(target, part)
        call = re.fullmatch(r"tp8\.(\w+)\((.*)\)", span)
        if call and inspect.isfunction(getattr(tp8, call[1], None)):
            parameters = inspect.signature(getattr(tp8, call[1])).parameters
            for keyword in re.findall(r"(\w+)=", call[2]):
                assert keyword in parameters, f"README: `{span}`: tp8.{call[1]} has no parameter {keyword}"


def test_the_progress_sentences_name_exactly_the_functions_with_a_progress_argument():
    """`tp8.saliency_map(model, x, progress=False)` raised TypeError while the README said every function took it."""
    with_progress = {name for name, f in public_functions().items() if "progress" in inspect.signature(f).parameters}
    claims = sentences_with("`progress=False`")
    assert claims, "the README no longer says how to silence the progress bars"
    named = {name for sentence in claims for name in re.findall(r"`tp8\.(\w+)", sentence)}
    every = [s for s in claims if re.search(r"\b(every|all)\b", s, flags=re.I)]
    if every:  # a sentence of the form "every function … progress=False": then it must be so
        missing = sorted(set(public_functions()) - with_progress)
        assert not missing, f"the README says {every[0]!r}, but these take no progress=: {missing}"
    assert named == with_progress, (
        f"progress= in the README but not in the signature: {sorted(named - with_progress)}; "
        f"in the signature but not named by the README: {sorted(with_progress - named)}"
    )
    silent = {name for sentence in sentences_with("show none") for name in re.findall(r"`tp8\.(\w+)", sentence)}
    assert silent and not silent & with_progress
    # those said to obey TP8_PROGRESS=0 draw their bar with tp8._progress.progress_bar, which reads it
    for sentence in (s for s in claims if "TP8_PROGRESS=0" in s):
        for name in re.findall(r"`tp8\.(\w+)", sentence):
            source = inspect.getsource(inspect.getmodule(getattr(tp8, name)))
            assert "progress_bar(" in source, f"README: TP8_PROGRESS=0 silences tp8.{name}, which has its own bar"


def test_the_make_targets_and_variables_it_names_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    code = "\n".join(inline_code() + code_blocks("bash"))
    for target in set(re.findall(r"^make (\w[\w-]*)", code, flags=re.M)):
        assert target in targets, f"README says `make {target}`: no such target"
    sources = makefile + "".join(
        p.read_text(encoding="utf-8") for folder in ("tp8", "tools") for p in (ROOT / folder).rglob("*.py")
    )
    for variable in set(re.findall(r"\b(TP8_[A-Z_]+|TORCH_INDEX)\b", README)):
        assert re.search(rf"\b{variable}\b", sources), f"README names {variable}, which nothing reads"
