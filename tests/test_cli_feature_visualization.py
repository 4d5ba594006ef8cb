"""``tp8 classviz --method fourier --animate`` end to end, in a temporary directory."""

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from tp8.cli import main


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A (random-valued) squeezenet1_1 state dict: enough to run the commands, fast."""
    path = tmp_path_factory.mktemp("cli-fv") / "squeezenet1_1.pth"
    torch.manual_seed(0)
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), path)
    return path


def run(weights, *args):
    return main([*args, "--weights", str(weights), "--quiet"])


def test_fourier_method_writes_a_png_and_an_animation(weights, tmp_path, capsys):
    out = tmp_path / "out"
    status = run(
        weights, "classviz", "tarantula", "--method", "fourier", "-o", f"{out}/", "--animate", "--iterations", "6"
    )
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["tarantula.png", "tarantula.webp"]
    png = Image.open(out / "tarantula.png")
    assert png.format == "PNG" and png.size == (224, 224)
    webp = Image.open(out / "tarantula.webp")
    assert webp.format == "WEBP" and webp.n_frames == 7  # one frame per step here (6 steps + the start)
    assert (out / "tarantula.webp").stat().st_size < 1_000_000
    webp.seek(webp.n_frames - 1)
    last = np.asarray(webp.convert("RGB"))[:224]
    assert np.abs(last.astype(int) - np.asarray(png.convert("RGB")).astype(int)).max() <= 2  # the final image
    printed = capsys.readouterr().out
    assert "tarantula.png" in printed and "tarantula.webp" in printed and "p = " in printed


def test_the_lab_method_animates_too_and_stays_the_default(weights, tmp_path, capsys):
    out = tmp_path / "lab"
    assert run(weights, "classviz", "goldfish", "-o", f"{out}/", "--animate", "--iterations", "4") == 0
    assert Image.open(out / "goldfish.webp").n_frames == 5
    plain = tmp_path / "plain"
    assert run(weights, "classviz", "goldfish", "-o", f"{plain}/", "--iterations", "4") == 0
    assert sorted(p.name for p in plain.iterdir()) == ["goldfish.png"]  # no animation unless asked
    assert np.array_equal(np.asarray(Image.open(plain / "goldfish.png")), np.asarray(Image.open(out / "goldfish.png")))


def test_existing_animation_is_never_overwritten(weights, tmp_path, capsys):
    out = tmp_path / "again"
    args = ["classviz", "flamingo", "--method", "fourier", "-o", f"{out}/", "--animate", "--iterations", "2"]
    assert run(weights, *args) == 0
    (out / "flamingo.png").unlink()
    before = (out / "flamingo.webp").read_bytes()
    capsys.readouterr()
    assert run(weights, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("tp8: error: ") and "flamingo.webp already exists" in err
    assert not (out / "flamingo.png").exists() and (out / "flamingo.webp").read_bytes() == before
    assert run(weights, *args, "--force") == 0
    assert (out / "flamingo.png").is_file()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "fourier", "--l2-reg", "0.1"], "belong to --method lab"),
        (["--method", "fourier", "--init", "photo.png"], "belong to --method lab"),
        (["--method", "pixels"], "invalid choice"),
    ],
)
def test_options_of_the_other_method_are_refused(weights, tmp_path, capsys, monkeypatch, extra, message):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded before the options were checked")

    monkeypatch.setattr("tp8.load_model", no_model)
    monkeypatch.chdir(tmp_path)
    assert run(weights, "classviz", "goldfish", "-o", "out/", *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("tp8: error: ") and err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []
