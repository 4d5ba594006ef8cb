"""One ``-o`` convention for every command that writes images (issue 24, item 4).

``-o PATH`` is the PNG file when the command writes one image and the folder when it writes several; a PATH
ending in ``/`` or naming an existing folder is a folder either way; missing folders are created, by every
command alike, and none is left behind by a failure. A name that meant a folder before (``tp8 saliency
photo.jpg -o maps``) is refused with the two ways to say it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from tp8.cli import OUTPUT_RULE, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Two photos and a (random-valued) squeezenet1_1 state dict, outside the folders the tests write into."""
    d = tmp_path_factory.mktemp("cli-output-inputs")
    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 256, (230, 230, 3), dtype=np.uint8)).save(d / "photo.jpg")
    Image.fromarray(rng.integers(0, 256, (226, 240, 3), dtype=np.uint8)).save(d / "other.png")
    torch.manual_seed(0)
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), d / "squeezenet1_1.pth")
    return d


def run(inputs, *args):
    return main([*args, "--weights", str(inputs / "squeezenet1_1.pth"), "--quiet"])


def files(folder: Path) -> list[str]:
    """Every file below ``folder``, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def one_image(command: str, inputs: Path) -> list[str]:
    """The command writing one image (no -o)."""
    return {
        "saliency": ["saliency", str(inputs / "photo.jpg")],
        "fool": ["fool", str(inputs / "photo.jpg"), "--target", "goldfish", "--max-iter", "1"],
        "classviz": ["classviz", "goldfish", "--iterations", "1"],
    }[command]


def several_images(command: str, inputs: Path) -> tuple[list[str], list[str]]:
    """The command writing two images (no -o), and the names it gives them."""
    return {
        "saliency": (
            ["saliency", str(inputs / "photo.jpg"), str(inputs / "other.png")],
            ["other_saliency.png", "photo_saliency.png"],
        ),
        "classviz": (["classviz", "goldfish", "flamingo", "--iterations", "1"], ["flamingo.png", "goldfish.png"]),
    }[command]


def test_every_command_that_writes_images_has_the_same_o_option():
    parser = build_parser()
    (sub,) = (a for a in parser._actions if a.dest == "command")
    with_o = {name for name, p in sub.choices.items() if any("-o" in a.option_strings for a in p._actions)}
    assert with_o == {"saliency", "fool", "classviz"}
    for name in with_o:
        help_text = " ".join(sub.choices[name].format_help().split())
        assert "missing folders are created" in help_text, name
        assert "a PATH ending in / or naming an existing folder" in help_text, name
        assert "the PNG to write" in help_text or "PNG to write" in help_text, name
    assert " ".join(OUTPUT_RULE.split()) in " ".join(parser.format_help().split())


@pytest.mark.parametrize("command", ["saliency", "fool", "classviz"])
def test_one_image_o_is_that_file_and_its_missing_folders_are_created(inputs, tmp_path, capsys, command):
    dest = tmp_path / "new" / "nested" / "result.png"
    assert run(inputs, *one_image(command, inputs), "-o", str(dest)) in (0, 1)  # fool: 1 when not fooled
    assert files(tmp_path) == ["new/nested/result.png"]
    with Image.open(dest) as png:
        assert png.format == "PNG"
    assert f"wrote {dest}" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["saliency", "classviz"])
def test_several_images_o_is_a_folder_created_when_missing(inputs, tmp_path, capsys, command):
    args, names = several_images(command, inputs)
    assert run(inputs, *args, "-o", str(tmp_path / "new" / "maps")) == 0
    assert files(tmp_path) == [f"new/maps/{name}" for name in names]


@pytest.mark.parametrize("command", ["saliency", "fool", "classviz"])
@pytest.mark.parametrize("form", ["slash", "existing"])
def test_a_folder_is_a_folder_for_one_image_too(inputs, tmp_path, capsys, command, form):
    folder = tmp_path / "out"
    if form == "existing":
        folder.mkdir()
    text = f"{folder}/" if form == "slash" else str(folder)
    assert run(inputs, *one_image(command, inputs), "-o", text) in (0, 1)
    (written,) = files(tmp_path)
    assert written.startswith("out/") and written.endswith(".png")
    expected = {"saliency": "photo_saliency.png", "fool": "photo_fooled_", "classviz": "goldfish.png"}[command]
    assert Path(written).name.startswith(expected)


def test_classviz_animate_puts_the_animation_beside_the_png_it_is_given(inputs, tmp_path, capsys):
    dest = tmp_path / "new" / "fish.png"
    assert run(inputs, "classviz", "goldfish", "--iterations", "2", "--animate", "-o", str(dest)) == 0
    assert files(tmp_path) == ["new/fish.png", "new/fish.webp"]


def test_the_reported_case_writes_the_file_it_names(inputs, tmp_path, capsys, monkeypatch):
    """`tp8 saliency photo.jpg -o carte.png` created a directory carte.png/ holding photo_saliency.png."""
    monkeypatch.chdir(tmp_path)
    assert run(inputs, "saliency", str(inputs / "photo.jpg"), "-o", "carte.png") == 0
    assert Path("carte.png").is_file() and files(tmp_path) == ["carte.png"]


def test_fool_creates_missing_folders_like_the_others(inputs, tmp_path, capsys):
    """`tp8 fool photo.jpg --target goldfish -o new/f.png` refused a missing folder that saliency created."""
    dest, figure = tmp_path / "new" / "f.png", tmp_path / "figures" / "deep" / "fig.png"
    args = [*one_image("fool", inputs), "-o", str(dest), "--figure", str(figure)]
    assert run(inputs, *args) in (0, 1)
    assert files(tmp_path) == ["figures/deep/fig.png", "new/f.png"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        # the old meaning of -o (a folder) for one image: refused, with both ways to say it
        (["saliency", "{photo}", "-o", "{tmp}/maps"], ["one map is written", "-o maps.png", "-o {tmp}/maps/"]),
        (["classviz", "goldfish", "-o", "{tmp}/classes"], ["one class image", "-o classes.png", "classes/"]),
        (["fool", "{photo}", "--target", "goldfish", "-o", "{tmp}/fooled"], ["-o fooled.png", "fooled/"]),
        # several images and a file name
        (["saliency", "{photo}", "{other}", "-o", "{tmp}/maps.png"], ["2 maps are written", "give a folder"]),
        (["classviz", "goldfish", "flamingo", "-o", "{tmp}/c.png"], ["2 class images are written"]),
        (["saliency", "{photo}", "{other}", "-o", "{tmp}/kept.txt"], ["is a file", "names a folder"]),
        # files are PNG
        (["saliency", "{photo}", "-o", "{tmp}/map.jpg"], ["tp8 writes PNG images"]),
        (
            ["fool", "{photo}", "--target", "goldfish", "--figure", "{tmp}/figure.pdf"],
            ["--figure", "end the name with .png"],
        ),
        (["classviz", "goldfish", "-o", ""], ["-o/--output is empty"]),
    ],
)
def test_o_that_does_not_fit_is_refused_before_the_model_and_writes_nothing(
    inputs, tmp_path, capsys, monkeypatch, args, words
):
    (tmp_path / "kept.txt").write_text("kept")
    monkeypatch.setattr("tp8.load_model", lambda *a, **k: pytest.fail("model loaded before -o was checked"))
    fill = {"photo": inputs / "photo.jpg", "other": inputs / "other.png", "tmp": tmp_path}
    assert main([*(a.format(**fill) for a in args), "--weights", "None"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("tp8: error: ") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    for word in words:
        assert word.format(**fill) in captured.err, captured.err
    assert files(tmp_path) == ["kept.txt"] and [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


def test_the_api_page_states_the_convention_for_every_command():
    """docs/api.md's CLI table has one row per command, each saying what -o means and that folders are created."""
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = page.split("## En ligne de commande", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `tp8 (\w+)[^|]*` \|(.*)\|$", section, flags=re.M)
    (sub,) = (a for a in build_parser()._actions if a.dest == "command")
    assert {name for name, _ in rows} == set(sub.choices)
    for name, cells in rows:
        if name != "predict":
            assert "créé" in cells and "fichier" in cells, name
