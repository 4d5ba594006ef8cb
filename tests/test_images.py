"""Reading images of every mode, the evaluation transform, sample photos, and bad files."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

import tp8


def _photo(mode: str, size=(300, 260)) -> Image.Image:
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (size[1], size[0]), dtype=np.uint16))
    return rgb.convert(mode)


@pytest.mark.parametrize("mode", ["RGB", "L", "LA", "RGBA", "P", "CMYK", "I;16", "1", "YCbCr", "I", "F"])
def test_every_mode_becomes_an_rgb_tensor_in_0_1(mode, tmp_path):
    img = _photo(mode)
    x = tp8.load_image(img)
    assert x.shape == (3, 224, 224) and x.dtype == torch.float32
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    if mode in ("L", "I;16", "1", "I", "F"):
        assert torch.equal(x[0], x[1]) and torch.equal(x[1], x[2])
    if mode in ("RGB", "RGBA", "P", "L", "CMYK", "I;16"):
        ext = {"CMYK": "jpg", "I;16": "png"}.get(mode, "png")
        path = tmp_path / f"img.{ext}"
        img.save(path)
        from_file = tp8.load_image(path)
        assert from_file.shape == (3, 224, 224)
        assert float(from_file.max()) <= 1


def test_sixteen_bit_images_use_their_full_range():
    a = np.full((240, 240), 65535, dtype=np.uint16)
    assert torch.allclose(tp8.load_image(Image.fromarray(a)), torch.ones(3, 224, 224))
    assert torch.allclose(tp8.load_image(a), torch.ones(3, 224, 224))


def test_transparency_is_composited_on_white():
    rgba = np.zeros((256, 256, 4), dtype=np.uint8)  # fully transparent black
    assert torch.allclose(tp8.load_image(rgba), torch.ones(3, 224, 224))


def test_the_evaluation_transform_resizes_256_then_crops_224():
    a = np.zeros((512, 1024, 3), dtype=np.uint8)
    a[:, 512 - 64 : 512 + 64] = 255  # a white band in the middle, 128 px = 64 px after resizing
    x = tp8.load_image(a)
    assert x.shape == (3, 224, 224)
    row = x[0, 112]
    assert float(row[112]) == pytest.approx(1.0) and float(row[0]) == pytest.approx(0.0)
    white = int((row > 0.5).sum())
    assert 62 <= white <= 66


@pytest.mark.parametrize(
    "array",
    [
        np.random.default_rng(0).random((230, 250)),
        np.random.default_rng(0).random((230, 250, 1)),
        np.random.default_rng(0).integers(0, 256, (230, 250, 3), dtype=np.uint8),
        np.random.default_rng(0).random((230, 250, 4)).astype(np.float32),
        np.ones((230, 250), dtype=bool),
    ],
)
def test_numpy_arrays(array):
    x = tp8.load_image(array)
    assert x.shape == (3, 224, 224) and float(x.min()) >= 0 and float(x.max()) <= 1


def test_bad_arrays():
    with pytest.raises(tp8.InputError, match=r"\[0, 1\]"):
        tp8.load_image(np.full((300, 300, 3), 2.0))
    with pytest.raises(tp8.InputError, match="shape"):
        tp8.load_image(np.zeros((3, 300, 300, 5)))
    with pytest.raises(tp8.InputError, match="path, a PIL image or a NumPy array"):
        tp8.load_image(12)


def test_missing_directory_non_image_and_truncated_files(tmp_path):
    with pytest.raises(tp8.ImageLoadError, match="does not exist"):
        tp8.load_image(tmp_path / "nope.jpg")
    with pytest.raises(tp8.ImageLoadError, match="directory"):
        tp8.load_image(tmp_path)
    text = tmp_path / "notes.jpg"
    text.write_text("these are not pixels")
    with pytest.raises(tp8.ImageLoadError, match="not an image"):
        tp8.load_image(text)
    buf = io.BytesIO()
    _photo("RGB").save(buf, format="JPEG", quality=90)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(tp8.ImageLoadError, match="truncated or damaged"):
        tp8.load_image(truncated)
    buf = io.BytesIO()
    _photo("RGB").save(buf, format="PNG")
    cut_png = tmp_path / "cut.png"
    cut_png.write_bytes(buf.getvalue()[:2000])
    with pytest.raises(tp8.ImageLoadError):
        tp8.load_image(cut_png)


def test_decompression_bombs_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("RGB", (400, 400)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)  # 400² is over 2× the limit: a bomb
    with pytest.raises(tp8.ImageLoadError, match="decompression bomb"):
        tp8.load_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300 * 300)  # between 1× and 2×: PIL only warns
    with pytest.raises(tp8.ImageLoadError, match="decompression bomb"):
        tp8.load_image(path)


def test_exif_orientation_is_applied(tmp_path):
    a = np.zeros((300, 600, 3), dtype=np.uint8)
    a[:, :300] = 255  # left half white
    img = Image.fromarray(a)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif, quality=95)
    x = tp8.load_image(path, resize=None, size=300)
    assert float(x[0, 10, 150]) > 0.9 and float(x[0, -10, 150]) < 0.1  # top white after rotation


def test_to_numpy_never_rescales_and_quantize_rounds_to_8_bits():
    x = torch.full((3, 4, 4), 0.5) + torch.linspace(0, 0.01, 16).view(1, 4, 4)
    a = tp8.to_numpy(x)
    assert a.shape == (4, 4, 3) and np.allclose(a[..., 0], x[0].numpy())
    assert tp8.to_numpy(torch.stack([x, x])).shape == (2, 4, 4, 3)
    q = tp8.quantize(x)
    assert torch.equal(q * 255, (q * 255).round()) and float((q - x).abs().max()) <= 0.5 / 255 + 1e-7


def test_save_image_is_lossless_and_never_overwrites(tmp_path):
    x = tp8.quantize(torch.rand(3, 20, 30))
    path = tp8.save_image(x, tmp_path / "out.png")
    assert torch.equal(tp8.load_image(path, resize=None, size=20), x[:, :, 5:25])
    before = path.read_bytes()
    with pytest.raises(tp8.ImageLoadError, match="already exists"):
        tp8.save_image(torch.zeros(3, 20, 30), path)
    assert path.read_bytes() == before
    tp8.save_image(torch.zeros(3, 20, 30), path, force=True)
    assert path.read_bytes() != before
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temporary file left


def test_sample_images_are_open_licence_photos_with_metadata():
    samples = tp8.sample_images()
    assert len(samples) >= 8
    for s in samples:
        assert s.image.shape == (3, 224, 224) and float(s.image.max()) <= 1
        assert s.licence and s.source and s.title
    by_name = {s.name: s for s in samples}
    assert by_name["coffee"].imagenet_class == "espresso"
    assert tp8.sample_images(["chelsea"])[0].name == "chelsea"
    with pytest.raises(tp8.InputError, match="unknown photo 'lena'"):
        tp8.sample_images(["lena"])


def test_an_image_already_cropped_is_taken_pixel_for_pixel(tmp_path):
    # What tp8 fool / tp8 classviz save is a 224 × 224 crop: reading it back must not resize it again
    # (an upscaling by 256/224 would blur away a perturbation computed pixel by pixel).
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    Image.fromarray(crop).save(tmp_path / "crop.png")
    x = tp8.load_image(tmp_path / "crop.png")
    assert torch.equal((x * 255).round().to(torch.uint8).permute(1, 2, 0), torch.from_numpy(crop))
    # Any other size still goes through the resize and the centre crop.
    wide = tp8.load_image(rng.integers(0, 256, size=(224, 300, 3), dtype=np.uint8))
    assert wide.shape == (3, 224, 224)
