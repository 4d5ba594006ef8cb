"""tp8.animate: the ascent as an animated WebP or GIF, one frame per snapshot, under a size limit."""

import inspect
import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageSequence

import tp8


@pytest.fixture(scope="module")
def viz(trained_cnn):
    return tp8.feature_visualization(
        trained_cnn,
        ["red", "blue"],
        num_iterations=12,
        image_size=16,
        pad=2,
        jitter=2,
        snapshot_every=3,
        progress=False,
    )


def frames_of(data: bytes) -> list[Image.Image]:
    image = Image.open(io.BytesIO(data))
    return [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]


def test_webp_has_one_frame_per_snapshot_with_the_images_pixel_for_pixel(viz, tmp_path):
    path = tp8.animate(viz, tmp_path / "ascent.webp", captions=False)
    assert path.is_file() and Image.open(path).format == "WEBP"
    frames = frames_of(path.read_bytes())
    assert len(frames) == len(viz.snapshots) == 5
    assert frames[0].size == (2 * 16 + 6, 16)  # two images side by side, a 6-pixel gap
    for frame, (_, images) in zip(frames, viz.snapshots):
        expected = np.round(tp8.to_numpy(images[0]) * 255).astype(np.uint8)
        assert np.array_equal(np.asarray(frame)[:, :16], expected)  # lossless when it fits
    image, durations = Image.open(path), []
    for k in range(image.n_frames):
        image.seek(k)
        image.load()  # WebP gives a frame's duration once it is decoded
        durations.append(image.info["duration"])
    assert durations == [150, 150, 150, 150, 1500]  # the last frame is held


def test_gif_bytes_and_captions(viz, trained_cnn):
    data = tp8.animate(viz, format="gif", model=trained_cnn, scale=2)
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF" and image.n_frames == 5
    assert image.size[0] == 2 * 32 + 6 and image.size[1] > 32  # enlarged × 2, a caption band below
    plain = Image.open(io.BytesIO(tp8.animate(viz, format="gif", captions=False, scale=2)))
    assert plain.size == (2 * 32 + 6, 32)


def test_selection_animates_one_image(viz):
    frames = frames_of(tp8.animate(viz[1], captions=False))
    assert frames[0].size == (16, 16)
    expected = np.round(tp8.to_numpy(viz.images[1]) * 255).astype(np.uint8)
    assert np.array_equal(np.asarray(frames[-1]), expected)


def test_size_limit_is_kept_by_lossy_webp_or_refused():
    assert inspect.signature(tp8.animate).parameters["max_bytes"].default == 1_000_000
    g = torch.Generator().manual_seed(0)
    noisy = [(t, torch.rand(1, 3, 64, 64, generator=g)) for t in range(0, 20, 2)]  # incompressible
    result = tp8.ClassVisualization(
        images=noisy[-1][1],
        target=torch.tensor([0]),
        snapshots=noisy,
        probabilities=torch.rand(19, 1, generator=g),
        objective=torch.zeros(19, 1),
    )
    limit = 60_000
    lossless = len(tp8.animate(result, max_bytes=10**9, captions=False))
    assert lossless > limit  # 10 frames of noise do not fit losslessly…
    data = tp8.animate(result, captions=False, max_bytes=limit)
    assert len(data) <= limit and len(frames_of(data)) == 10  # …so they are compressed, all kept
    gif = tp8.animate(result, format="gif", captions=False, max_bytes=limit)
    assert len(gif) <= limit and 2 <= Image.open(io.BytesIO(gif)).n_frames < 10  # GIF drops frames
    with pytest.raises(tp8.InputError, match="more than max_bytes"):
        tp8.animate(result, max_bytes=2_000)
    # lossless=True never trades pixels for bytes: refused at the same limit, kept exact under a larger one.
    with pytest.raises(tp8.InputError, match="more than max_bytes"):
        tp8.animate(result, captions=False, max_bytes=limit, lossless=True)
    exact = tp8.animate(result, captions=False, max_bytes=lossless, lossless=True)
    assert b"VP8L" in exact and b"VP8 " not in exact  # lossless frames only
    with pytest.raises(tp8.InputError, match="cannot be lossless"):
        tp8.animate(result, format="gif", lossless=True)


def test_never_overwrites_without_force(viz, tmp_path):
    path = tmp_path / "a.webp"
    tp8.animate(viz, path)
    before = path.read_bytes()
    with pytest.raises(tp8.InputError, match="already exists"):
        tp8.animate(viz, path, captions=False)
    assert path.read_bytes() == before
    tp8.animate(viz, path, captions=False, force=True)
    assert path.read_bytes() != before


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"path": "x.png"}, ".webp or .gif"),
        ({"format": "mp4"}, "format must be"),
        ({"scale": 0}, "scale"),
        ({"frame_ms": 2.5}, "frame_ms"),
        ({"max_bytes": -1}, "max_bytes"),
        ({"path": "no/such/folder/a.webp"}, "does not exist"),
    ],
)
def test_bad_arguments(viz, tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(tp8.InputError, match=message):
        tp8.animate(viz, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_not_a_class_visualization(trained_cnn):
    attack = tp8.fooling_image(trained_cnn, trained_cnn.test_images[:1], "green", max_iter=1, progress=False)
    with pytest.raises(tp8.InputError, match="ClassVisualization"):
        tp8.animate(attack)
