"""A course's own photos: loaded by name like the bundled ones, refused without their credit."""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest
from PIL import Image

import tp8
from tp8 import photos

CREDIT = 'title = "Un carré rouge"\nauthor = "Le test"\nlicence = "CC0"\nsource = "dessiné par le test"\n'


def _photo(folder, name="carre", credit=CREDIT, suffix=".png", colour=(200, 10, 10)):
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((300, 260, 3), colour, dtype=np.uint8)).save(folder / f"{name}{suffix}")
    if credit is not None:
        (folder / f"{name}.toml").write_text(credit, encoding="utf-8")
    return folder


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No photo folder from the environment or the working directory: each test sets its own."""
    monkeypatch.delenv("TP8_PHOTOS", raising=False)
    monkeypatch.delenv("TP8_PHOTOS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    photos._download_folder.cache_clear()
    return tmp_path


def test_a_course_photo_loads_by_name_with_its_credit(clean, monkeypatch):
    folder = _photo(clean / "mes-photos")
    monkeypatch.setenv("TP8_PHOTOS", str(folder))
    (photo,) = tp8.sample_images(["carre"])
    assert photo.image.shape == (3, 224, 224)
    assert torch_close(photo.image[:, 0, 0], (200 / 255, 10 / 255, 10 / 255))
    assert (photo.title, photo.licence, photo.source, photo.author) == (
        "Un carré rouge",
        "CC0",
        "dessiné par le test",
        "Le test",
    )
    both = tp8.sample_images(["chelsea", "carre"])  # bundled and own, in one call
    assert [p.name for p in both] == ["chelsea", "carre"]


def torch_close(pixel, rgb):
    return all(abs(float(v) - c) < 1e-6 for v, c in zip(pixel, rgb))


def test_the_folder_is_found_from_a_page_and_from_a_clone(clean, monkeypatch):
    _photo(clean / "docs" / "photos")
    (clean / "notebooks").mkdir()
    for cwd in (clean / "docs", clean / "notebooks", clean):  # a page runs in docs/, a student in notebooks/
        monkeypatch.chdir(cwd)
        assert photos.photo_folder() == clean / "docs" / "photos" or photos.photo_folder() == cwd / "photos"
        assert tp8.sample_images(["carre"])[0].title == "Un carré rouge"


@pytest.mark.parametrize("missing", ["title", "licence", "source"])
def test_a_photo_without_title_licence_or_source_is_refused(clean, monkeypatch, missing):
    credit = "\n".join(line for line in CREDIT.splitlines() if not line.startswith(missing))
    folder = _photo(clean / "p", credit=credit)
    monkeypatch.setenv("TP8_PHOTOS", str(folder))
    with pytest.raises(photos.PhotoError, match=f"has no {missing}.*title, a licence and a source"):
        tp8.sample_images(["carre"])
    with pytest.raises(photos.PhotoError, match=f"carre.toml: the photo 'carre' has no {missing}"):
        photos.photo_credits()


def test_the_credits_list_every_photo_and_refuse_what_cannot_be_credited(clean):
    folder = _photo(clean / "p")
    names = [c.name for c in photos.photo_credits(folder)]
    assert names[:8] == [s.name for s in tp8.sample_images()][:8] and names[-1] == "carre"
    _photo(folder, "sans-credit", credit=None, suffix=".jpg")
    with pytest.raises(photos.PhotoError, match=r"sans-credit\.jpg: this photo has no credit; write sans-credit\.toml"):
        photos.photo_credits(folder)
    (folder / "sans-credit.jpg").unlink()
    (folder / "orphelin.toml").write_text(CREDIT, encoding="utf-8")
    with pytest.raises(photos.PhotoError, match=r"orphelin\.toml: no photo orphelin"):
        photos.photo_credits(folder)
    (folder / "orphelin.toml").unlink()
    _photo(folder, "chelsea")
    with pytest.raises(photos.PhotoError, match="'chelsea' is a photo bundled with tp8; give yours another name"):
        photos.photo_credits(folder)
    (folder / "chelsea.toml").write_text(CREDIT + 'couleur = "rouge"\n', encoding="utf-8")
    with pytest.raises(photos.PhotoError, match=r"unknown key\(s\) \['couleur'\]"):
        photos.read_credit(folder / "chelsea.toml")
    (folder / "chelsea.toml").write_text("title = ", encoding="utf-8")
    with pytest.raises(photos.PhotoError, match="not valid TOML"):
        photos.read_credit(folder / "chelsea.toml")


def test_an_unknown_name_says_where_it_looked(clean, monkeypatch):
    with pytest.raises(tp8.InputError, match="unknown photo 'lena' \\(no photo folder: set TP8_PHOTOS"):
        tp8.sample_images(["lena"])
    monkeypatch.setenv("TP8_PHOTOS", str(clean / "nowhere"))
    with pytest.raises(photos.PhotoError, match="is not a folder"):
        tp8.sample_images(["lena"])
    with pytest.raises(tp8.InputError, match="a list of names"):
        tp8.sample_images("chelsea")


def test_a_student_notebook_downloads_the_photo_from_the_course(clean, monkeypatch):
    """What the student notebooks' first cell sets up on Colab: no folder, the course's URL."""
    served = _photo(clean / "served", colour=(10, 200, 10), suffix=".jpg")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (clean / "notebook").mkdir()
        monkeypatch.chdir(clean / "notebook")  # no photos/ here, no docs/photos here or above
        monkeypatch.setenv("TP8_PHOTOS_URL", f"http://127.0.0.1:{server.server_port}/")
        (photo,) = tp8.sample_images(["carre"])
        assert photo.title == "Un carré rouge" and float(photo.image[1].mean()) > 0.7
        with pytest.raises(tp8.InputError, match=r"no lena\.toml at http"):
            tp8.sample_images(["lena"])
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
