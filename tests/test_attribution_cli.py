"""``tp8 saliency --method …`` end to end, in a temporary directory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from tp8.cli import main


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """Two photos and a (random-valued) squeezenet1_1 state dict."""
    d = tmp_path_factory.mktemp("cli-attribution")
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (230, 240, 3), dtype=np.uint8)).save(d / "a.png")
    Image.fromarray(rng.integers(0, 256, (226, 226, 3), dtype=np.uint8)).save(d / "b.jpg")
    torch.manual_seed(0)
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), d / "squeezenet1_1.pth")
    return d


def run(workdir, *args):
    return main([*args, "--weights", str(workdir / "squeezenet1_1.pth"), "--quiet"])


@pytest.mark.parametrize(
    "method, options, name",
    [
        ("gradient", [], "a_saliency.png"),
        ("smoothgrad", ["--n-samples", "3", "--sigma", "0.1"], "a_smoothgrad.png"),
        ("ig", ["--steps", "3", "--baseline", "blur"], "a_ig.png"),
        ("gradcam", ["--layer", "features.10"], "a_gradcam.png"),
    ],
)
def test_each_method_writes_one_png_per_image(workdir, capsys, method, options, name):
    out = workdir / f"out-{method}"
    args = ["saliency", str(workdir / "a.png"), str(workdir / "b.jpg"), "-o", str(out), "--method", method, *options]
    assert run(workdir, *args) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([name, name.replace("a_", "b_")])
    with Image.open(out / name) as png:
        assert png.format == "PNG" and png.size[0] >= 224 and png.size[1] >= 2 * 224
    printed = capsys.readouterr().out
    assert printed.count("wrote ") == 2 and method in printed
    if method == "ig":
        assert "completeness gap" in printed
    before = (out / name).read_bytes()
    assert run(workdir, *args) == 2  # never overwritten without --force
    assert "already exists" in capsys.readouterr().err
    assert (out / name).read_bytes() == before
    assert run(workdir, *args, "--force", "--target", "goldfish") == 0
    assert "goldfish" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--method", "lime"], "invalid choice: 'lime'"),
        (["--method", "smoothgrad", "--n-samples", "0"], "argument --n-samples: must be an integer ≥ 1"),
        (["--method", "smoothgrad", "--sigma", "-1"], "argument --sigma: must be a finite number ≥ 0"),
        (["--method", "smoothgrad", "--sigma", "nan"], "argument --sigma: must be a finite number"),
        (["--method", "ig", "--steps", "2.5"], "argument --steps: must be an integer"),
        (["--method", "ig", "--baseline", "white"], "invalid choice: 'white'"),
        (["--method", "gradcam", "--batch-size", "0"], "argument --batch-size: must be an integer ≥ 1"),
        (["--method", "gradcam", "--layer", "features.21"], "no layer 'features.21'; closest: features.2"),
        (["--method", "ig", "--n-samples", "4"], "--n-samples belongs to --method smoothgrad, not ig"),
        (["--steps", "4", "--baseline", "blur"], "--steps and --baseline belong to --method ig, not gradient"),
        (["--method", "smoothgrad", "--layer", "features.12"], "--layer belongs to --method gradcam"),
    ],
)
def test_bad_options_are_one_line_exit_2_and_write_nothing(workdir, capsys, args, message):
    out = workdir / "never"
    status = run(workdir, "saliency", str(workdir / "a.png"), "-o", f"{out}/", *args)
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tp8: error: ") and "\n" not in err and "Traceback" not in err
    assert message in err, err
    assert not out.exists()
