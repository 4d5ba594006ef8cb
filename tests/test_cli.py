"""The command line end to end, in a temporary directory."""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from tp8.cli import main

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with two photos and a (random-valued) squeezenet1_1 state dict."""
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (240, 260, 3), dtype=np.uint8)).save(d / "a.png")
    Image.fromarray(rng.integers(0, 256, (250, 250, 3), dtype=np.uint8)).save(d / "b.jpg")
    torch.manual_seed(0)
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), d / "squeezenet1_1.pth")
    return d


def run(workdir, *args):
    return main([*args, "--weights", str(workdir / "squeezenet1_1.pth"), "--quiet"])


def test_predict_prints_top_k(workdir, capsys):
    assert run(workdir, "predict", str(workdir / "a.png"), str(workdir / "b.jpg"), "-k", "3") == 0
    out = capsys.readouterr().out
    assert out.count("1. ") == 2 and out.count("3. ") == 2 and "%" in out


def test_saliency_writes_one_png_per_image_and_never_overwrites(workdir, capsys):
    out = workdir / "maps"
    assert run(workdir, "saliency", str(workdir / "a.png"), str(workdir / "b.jpg"), "-o", str(out)) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["a_saliency.png", "b_saliency.png"]
    before = (out / "a_saliency.png").read_bytes()
    assert Image.open(out / "a_saliency.png").format == "PNG"
    assert run(workdir, "saliency", str(workdir / "a.png"), "-o", str(out), "--target", "goldfish") == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "a_saliency.png").read_bytes() == before
    assert run(workdir, "saliency", str(workdir / "a.png"), "-o", str(out), "--target", "goldfish", "--force") == 0
    assert (out / "a_saliency.png").read_bytes() != before


def test_fool_writes_an_8bit_png_that_fools_the_network(workdir, capsys):
    import tp8

    model = tp8.load_model("squeezenet1_1", weights=workdir / "squeezenet1_1.pth")
    second = model.predict(tp8.load_image(workdir / "a.png"), k=2)[0][1][0]  # reachable for random weights
    dest = workdir / "fooled.png"
    figure = workdir / "fooled-figure.png"
    args = ["fool", str(workdir / "a.png"), "--target", second, "-o", str(dest), "--figure", str(figure)]
    status = run(workdir, *args, "--lr", "1")
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith("fooled") and second in out and dest.is_file() and figure.is_file()
    x = tp8.load_image(dest, resize=None)
    assert model(x[None]).argmax(1).item() == model.class_index(second)
    assert run(workdir, *args) == 2  # exists: refused before any work
    assert "already exists" in capsys.readouterr().err
    assert (
        run(
            workdir,
            "fool",
            str(workdir / "b.jpg"),
            "--target",
            "0",
            "-o",
            str(workdir / "b-fail.png"),
            "--max-iter",
            "0",
        )
        == 1
    )
    assert capsys.readouterr().out.startswith("NOT fooled")


def test_classviz_writes_one_png_per_class(workdir, capsys):
    out = workdir / "classes"
    status = run(workdir, "classviz", "goldfish", "king penguin", "-o", str(out), "--iterations", "3", "--seed", "1")
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["goldfish.png", "king_penguin.png"]
    assert "p = " in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "missing.jpg"], "does not exist"),
        (["predict", "notes.txt"], "not an image"),
        (["fool", "a.png", "--target", "tarantual"], "closest: 'tarantula'"),
        (["classviz", "goldfsh", "-o", "x"], "closest: 'goldfish'"),
        (["predict", "a.png", "--model", "vgg-16"], "unknown model"),
        (["predict", "a.png", "--device", "cuda"] if not torch.cuda.is_available() else ["predict", "nope"], ""),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(workdir, capsys, monkeypatch, args, message):
    monkeypatch.chdir(workdir)
    (workdir / "notes.txt").write_text("hello")
    assert run(workdir, *args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tp8: error: ") and "\n" not in err and "Traceback" not in err
    assert message in err


def test_corrupt_weights_file(workdir, capsys, tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"garbage")
    assert main(["predict", str(workdir / "a.png"), "--weights", str(bad)]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_python_dash_m_tp8_runs_without_traceback(workdir):
    ok = subprocess.run([sys.executable, "-m", "tp8", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert ok.returncode == 0 and "saliency" in ok.stdout and "classviz" in ok.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "tp8",
            "predict",
            str(workdir / "nothing.png"),
            "--weights",
            str(workdir / "squeezenet1_1.pth"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("tp8: error:") and "Traceback" not in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "tp8", "fool"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
