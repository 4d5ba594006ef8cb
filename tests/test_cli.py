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
        (["classviz", "goldfsh", "-o", "x/"], "closest: 'goldfish'"),
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


# -- numbers are checked while parsing: one line, status 2, nothing loaded, nothing written ---------

BAD_NUMBERS = {
    ("predict", "--top"): ["0", "-1", "2.5", "nan", "inf", "abc", "True", ""],
    ("predict", "--seed"): ["-1", "2.5", "nan", "-inf", str(2**63), "abc"],
    ("saliency", "--seed"): ["-1", "1.5", "inf"],
    ("fool", "--lr"): ["nan", "inf", "-inf", "0", "-1", "abc", "True"],
    ("fool", "--max-iter"): ["-1", "2.5", "nan", "inf", "abc"],
    ("fool", "--seed"): ["-3", "nan"],
    ("classviz", "--iterations"): ["0", "-5", "2.5", "nan", "inf", "abc"],
    ("classviz", "--lr"): ["nan", "inf", "0", "-5", "abc"],
    ("classviz", "--l2-reg"): ["nan", "inf", "-inf", "-1e-3", "abc"],
    ("classviz", "--seed"): ["-1", "2.5", str(2**63), "nan", "abc"],
}


def _command(command, workdir, out):
    """A command that would write under ``out`` (a fresh folder) if it ran."""
    photo = str(workdir / "a.png")
    return {
        "predict": ["predict", photo],
        "saliency": ["saliency", photo, "-o", f"{out / 'maps'}/"],
        "fool": ["fool", photo, "--target", "goldfish", "-o", str(out / "x.png"), "--figure", str(out / "f.png")],
        "classviz": ["classviz", "goldfish", "-o", f"{out / 'classes' / 'nested'}/"],
    }[command]


def _assert_one_line_error(capsys, *words):
    captured = capsys.readouterr()
    assert captured.err.startswith("tp8: error: ") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err and "usage:" not in captured.err
    assert captured.out == ""
    for word in words:
        assert word in captured.err, captured.err
    return captured.err


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        pytest.param(command, option, value, id=f"{command}{option}={value}")
        for (command, option), values in BAD_NUMBERS.items()
        for value in values
    ],
)
def test_each_bad_number_is_refused_before_any_model_or_file(
    workdir, tmp_path, capsys, monkeypatch, command, option, value
):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded before the numbers were checked")

    monkeypatch.setattr("tp8.load_model", no_model)
    assert run(workdir, *_command(command, workdir, tmp_path), f"{option}={value}") == 2
    _assert_one_line_error(capsys, f"argument {option}" if option != "--top" else "argument -k/--top", "must be")
    assert list(tmp_path.iterdir()) == []  # no output file, no output folder


def test_the_three_reported_cases(workdir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    photo = tmp_path / "photo.png"
    photo.write_bytes((workdir / "a.png").read_bytes())
    # 1. printed a ValueError traceback
    assert run(workdir, "fool", "photo.png", "--target", "goldfish", "-o", "x.png", "--max-iter", "-1") == 2
    _assert_one_line_error(capsys, "--max-iter", "≥ 0", "-1")
    # 2. wrote a noise image and said "wrote"
    assert run(workdir, "classviz", "goldfish", "-o", "out/", "--iterations", "-5") == 2
    _assert_one_line_error(capsys, "--iterations", "≥ 1", "-5")
    # 3. wrote an image of NaNs and exited 0
    assert run(workdir, "fool", "photo.png", "--target", "goldfish", "--lr", "nan") == 2
    _assert_one_line_error(capsys, "--lr", "nan")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def test_an_existing_output_is_untouched_by_a_bad_number_even_with_force(workdir, tmp_path, capsys):
    dest = tmp_path / "kept.png"
    dest.write_bytes(b"precious")
    args = ["fool", str(workdir / "a.png"), "--target", "goldfish", "-o", str(dest), "--force"]
    assert run(workdir, *args, "--lr", "inf") == 2
    _assert_one_line_error(capsys, "--lr")
    assert dest.read_bytes() == b"precious" and sorted(tmp_path.iterdir()) == [dest]


def test_reported_case_end_to_end_without_traceback(workdir, tmp_path):
    args = ["fool", str(workdir / "a.png"), "--target", "goldfish", "-o", str(tmp_path / "x.png"), "--max-iter", "-1"]
    bad = subprocess.run(
        [sys.executable, "-m", "tp8", *args, "--weights", str(workdir / "squeezenet1_1.pth")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("tp8: error: argument --max-iter: ") and bad.stderr.count("\n") == 1, bad.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (["predict"], ["required", "IMAGE"]),
        (["predict", "a.png", "--bogus"], ["unrecognized arguments: --bogus"]),
        (["nothing"], ["invalid choice"]),
        (["fool", "a.png", "--lr"], ["--lr", "expected one argument"]),
    ],
)
def test_argparse_errors_are_one_line_too(workdir, capsys, args, words):
    assert main(args) == 2
    _assert_one_line_error(capsys, *words)


def test_help_and_version_still_exit_0(capsys):
    assert main(["--version"]) == 0
    assert main(["classviz", "--help"]) == 0
    assert "--iterations" in capsys.readouterr().out


# -- a failure after parsing creates no output folder either ---------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["classviz", "goldfsh", "-o", "{out}/"],  # unknown class, found once the model is loaded
        ["classviz", "goldfish", "-o", "{out}/", "--init", "missing.png", "--iterations", "1"],
        ["classviz", "goldfsh", "-o", "{out}/goldfish.png"],
        ["saliency", "missing.png", "-o", "{out}/"],
        ["saliency", "notes.txt", "-o", "{out}/map.png"],
        ["saliency", "a.png", "-o", "{out}/", "--target", "tarantual"],
        ["fool", "a.png", "--target", "tarantual", "-o", "{out}/x.png", "--figure", "{out}/f/f.png"],
    ],
)
def test_no_output_folder_is_left_after_a_failure(workdir, tmp_path, capsys, monkeypatch, args):
    monkeypatch.chdir(workdir)
    (workdir / "notes.txt").write_text("hello")
    out = tmp_path / "new" / "nested"
    assert run(workdir, *(a.format(out=out) for a in args)) == 2
    _assert_one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_below_a_file_is_refused(workdir, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert run(workdir, "classviz", "goldfish", "-o", f"{tmp_path / 'file' / 'sub'}/", "--iterations", "1") == 2
    _assert_one_line_error(capsys, "is a file")


def test_a_failed_write_removes_the_folders_it_created(workdir, tmp_path, capsys, monkeypatch):
    import tp8

    def broken(*args, **kwargs):
        raise tp8.ImageLoadError("disk full")

    monkeypatch.setattr(tp8, "save_image", broken)
    out = tmp_path / "new" / "nested" / "goldfish.png"
    assert run(workdir, "classviz", "goldfish", "-o", str(out), "--iterations", "1") == 2
    _assert_one_line_error(capsys, "disk full")
    assert list(tmp_path.iterdir()) == []


# -- every output destination is checked before any computation (issue 17, item 4) -------------------


def _unwritable_folders(tmp_path_factory) -> list:
    """Folders where nothing can be created, even by root: /proc and /sys where they are, and a read-only
    folder when the tests do not run as root."""
    import os
    import tempfile

    found = []
    for folder in ("/proc", "/sys"):
        try:
            os.close(tempfile.mkstemp(dir=folder)[0])
        except OSError:
            found.append(folder)
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        locked = tmp_path_factory.mktemp("locked")
        locked.chmod(0o500)
        found.append(str(locked))
    return found


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A course photo shipped with scikit-image (the cat, « chelsea »)."""
    from skimage import data

    path = tmp_path_factory.mktemp("photo") / "photo.jpg"
    Image.fromarray(data.chelsea()).save(path)
    return path


DESTINATIONS = {
    "fool -o": ["fool", "{photo}", "--target", "goldfish", "-o", "{bad}/x.png"],
    "fool --figure": ["fool", "{photo}", "--target", "goldfish", "-o", "{ok}/x.png", "--figure", "{bad}/f.png"],
    "saliency -o new folder": ["saliency", "{photo}", "-o", "{bad}/maps/"],
    "saliency -o file": ["saliency", "{photo}", "-o", "{bad}/new/map.png"],
    "saliency -o folder": ["saliency", "{photo}", "-o", "{bad}"],
    "saliency --method ig -o": ["saliency", "{photo}", "--method", "ig", "--steps", "4", "-o", "{bad}/nested/maps/"],
    "classviz -o": ["classviz", "goldfish", "-o", "{bad}/classes/"],
    "classviz --animate -o": ["classviz", "goldfish", "--animate", "-o", "{bad}"],
    "classviz --method fourier -o": ["classviz", "goldfish", "--method", "fourier", "-o", "{bad}/c/goldfish.png"],
    "fool --figure new folder": ["fool", "{photo}", "--target", "goldfish", "--figure", "{bad}/new/f.png"],
}


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_an_unwritable_destination_is_refused_before_any_computation(
    tmp_path_factory, tmp_path, photo, capsys, monkeypatch, destination
):
    folders = _unwritable_folders(tmp_path_factory)
    if not folders:
        pytest.skip("no unwritable folder on this machine")

    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded before the output destinations were checked")

    monkeypatch.setattr("tp8.load_model", no_model)
    for bad in folders:
        args = [a.format(photo=photo, bad=bad, ok=tmp_path) for a in DESTINATIONS[destination]]
        assert main([*args, "--weights", "None", "--quiet"]) == 2
        option = "--figure" if "--figure" in args else "--output"
        _assert_one_line_error(capsys, f"cannot write into {bad}", option)
        assert list(tmp_path.iterdir()) == []  # nothing written, not even the valid -o


def test_the_default_destination_next_to_the_image_is_checked_too(tmp_path, photo, capsys, monkeypatch):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; /proc holds no image to attack")
    folder = tmp_path / "locked"
    folder.mkdir()
    image = folder / "photo.jpg"
    image.write_bytes(photo.read_bytes())
    folder.chmod(0o500)
    monkeypatch.setattr("tp8.load_model", lambda *a, **k: pytest.fail("model loaded"))
    try:
        assert main(["fool", str(image), "--target", "goldfish", "--weights", "None"]) == 2
        _assert_one_line_error(capsys, "cannot write into", "the default writes next to the image")
        assert sorted(p.name for p in folder.iterdir()) == ["photo.jpg"]
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["fool", "{photo}", "--target", "goldfish", "--figure", "{tmp}"], "is a folder; --figure names"),
        (["fool", "{photo}", "--target", "goldfish", "--figure", "{tmp}/new/"], "is a folder; --figure names"),
        (["fool", "{photo}", "--target", "goldfish", "-o", "{tmp}/x.png", "--figure", "{tmp}/x.png"], "both name"),
        (["fool", "{photo}", "--target", "goldfish", "--figure", "{tmp}/kept.png"], "already exists"),
        (["fool", "{photo}", "--target", "goldfish", "-o", "{tmp}/kept.png"], "already exists"),
        (["fool", "{photo}", "--target", "goldfish", "-o", "{tmp}/x.jpg"], "writes PNG images; end the name with .png"),
        (["fool", "{photo}", "--target", "goldfish", "-o", "{tmp}/x"], "names its PNG file (-o x.png)"),
    ],
)
def test_bad_output_files_are_refused_before_the_model(tmp_path, photo, capsys, monkeypatch, args, words):
    (tmp_path / "kept.png").write_text("kept")
    monkeypatch.setattr("tp8.load_model", lambda *a, **k: pytest.fail("model loaded"))
    assert main([*(a.format(photo=photo, tmp=tmp_path) for a in args), "--weights", "None"]) == 2
    _assert_one_line_error(capsys, words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.png"]
    assert (tmp_path / "kept.png").read_text() == "kept"


def test_the_reported_proc_case_end_to_end(photo, tmp_path):
    """`tp8 fool photo.jpg --target goldfish -o /proc/x.png` worked 4 s, then printed a traceback."""
    import os

    if not os.path.isdir("/proc"):
        pytest.skip("no /proc on this system")
    bad = subprocess.run(
        [sys.executable, "-m", "tp8", "fool", str(photo), "--target", "goldfish", "-o", "/proc/x.png"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "TP8_WEIGHTS_DIR": str(tmp_path / "no-weights")},  # the check comes first anyway
    )
    assert bad.returncode == 2 and bad.stdout == "", bad.stderr
    assert bad.stderr.startswith("tp8: error: cannot write into /proc") and bad.stderr.count("\n") == 1, bad.stderr
    assert "Traceback" not in bad.stderr and list(tmp_path.iterdir()) == []


def test_a_disk_error_while_writing_is_one_line(workdir, tmp_path, capsys, monkeypatch):
    import errno

    import tp8

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "c" / "goldfish.png"))

    monkeypatch.setattr(tp8, "save_image", full)
    assert run(workdir, "classviz", "goldfish", "-o", f"{tmp_path / 'c'}/", "--iterations", "1") == 2
    _assert_one_line_error(capsys, "No space left on device")
    assert list(tmp_path.iterdir()) == []


# -- a weights file that is not a state dict: said so, and never "weights_only=False" ----------------


def _weights_files(folder):
    torch.save(torchvision.models.squeezenet1_1(weights=None), folder / "whole-model.pth")
    (folder / "random.pth").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (folder / "truncated.pth").write_bytes((folder / "whole-model.pth").read_bytes()[:3000])
    torch.save([torch.zeros(3)], folder / "list.pth")
    return {
        "whole-model.pth": "holds Python objects besides tensors",
        "random.pth": "is not a state dict tp8 can read",
        "truncated.pth": "is not a state dict tp8 can read",
        "list.pth": "is not a state dict (a dict of tensors)",
    }


def test_a_weights_file_that_is_not_a_state_dict_is_one_line_without_the_unsafe_advice(photo, tmp_path, capsys):
    for name, words in _weights_files(tmp_path).items():
        assert main(["predict", str(photo), "--weights", str(tmp_path / name)]) == 2
        err = _assert_one_line_error(capsys, words, "torch.save(model.state_dict()")
        assert "weights_only" not in err and "trusted" not in err


def test_the_reported_random_weights_case_end_to_end(photo, tmp_path):
    """`tp8 predict photo.jpg --weights random.pth` repeated torch's advice to set weights_only=False."""
    _weights_files(tmp_path)
    bad = subprocess.run(
        [sys.executable, "-m", "tp8", "predict", str(photo), "--weights", "random.pth"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("tp8: error: weights file random.pth is not a state dict"), bad.stderr
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr and "weights_only" not in bad.stderr
