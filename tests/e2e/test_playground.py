"""The "Essayer" page in Chromium: tp8's network and its three techniques, in the reader's browser.

* **Same answers as tp8.** For the 8 course photos, photos the course never uses (12 labelled
  ImageNet photos spread over ``TP8_IMAGENET_DIR``, skipped without them) and synthetic images full
  of exact ties (flat colours), fed to both as the same 8-bit 224 × 224 pixels: the browser's top-5
  is tp8's, its logits are within :data:`LOGIT_BOUND` of the largest |logit|, its saliency map
  correlates with ``tp8.saliency_map``'s at :data:`MIN_CORRELATION` or more; the forward pass of a
  gradient computes the very logits the network reports. Class suggestions are tp8's (difflib's)
  for hundreds of typos.
* **What the module offers a page.** ``net.info`` (versions, weights, what it needs), the
  magnified difference with its factor, its messages and the panel's in English on an English page.
* **The techniques.** A fooling image made in the panel and downloaded is classified as its target
  by ``tp8 predict``; 100 class-visualisation steps reach p(target) ≥ 0.9 on SqueezeNet 1.1.
* **Privacy and weight.** Opening a page transfers nothing of the playground (module, TensorFlow.js,
  weights, photos); opening the panel requests the site only; a technique running on an uploaded
  photo makes no request at all.
* **The panel.** Bad input (a file that is not an image, a 1 × 1 image, a 50-megapixel photo, an
  unknown class) gets one clear message and the page stays usable; Stop stops; it is keyboard
  operable, labelled, fits 390 px; result images have an alt naming the class and probability;
  the anchors ``#saillance``, ``#image-trompeuse``, ``#visualisation`` preset the technique, also
  after Material's instant navigation.

The site is the one the other browser tests use (built by ``sitekit``); ``TP8_PLAYGROUND_HARNESS=1``
serves instead a small site holding only the "Essayer" page, built in seconds by
``tools/site_playground.py harness`` (same page, scripts, styles, export and vendored TensorFlow.js),
which is quick to iterate on. The real network is needed (``TP8_WEIGHTS_DIR``). The backend is the
one the module picks in headless Chromium (WebAssembly on a machine without a graphics processor);
``TP8_PLAYGROUND_BACKEND=webgl`` or ``cpu`` runs the module's tests on another one;
the agreement figures are printed (``-s``) and the benchmark is ``benchmarks/bench_browser.py``.
"""

from __future__ import annotations

import ast
import base64
import io
import os
import random
import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest
import sitekit
import torch
from PIL import Image
from test_playground_export import synthetic_images

import tp8
import tp8.cli

sys.path.insert(0, str(sitekit.ROOT / "tools"))
import site_assets
import site_layout
import site_playground

#: Largest |browser logit − tp8 logit| / largest |tp8 logit| (issue 14: 1e-3).
LOGIT_BOUND = 1e-3
#: Smallest Pearson correlation between the browser's saliency map and tp8's (issue 14).
MIN_CORRELATION = 0.999
#: Photos the course never uses: this many labelled ImageNet photos, spread over TP8_IMAGENET_DIR.
OUTSIDE_PHOTOS = 12
LAYOUT = site_layout.layout()
#: Addresses of the playground's files (the module's layout): none may be requested before the panel is opened.
PLAYGROUND = re.compile("|".join("/" + re.escape(LAYOUT[key]) for key in ("module", "tfjs", "network")))
HARNESS = sitekit.env_flag("TP8_PLAYGROUND_HARNESS")
PHONE = {"width": 390, "height": 844}
#: Time allowed to open the panel (TensorFlow.js, WebAssembly, 2.5 MB of weights) and to run a technique.
OPEN_TIMEOUT_MS = 180_000
RUN_TIMEOUT_MS = 600_000


@pytest.fixture(scope="session")
def playground(request, e2e_enabled, tmp_path_factory):
    """The site's root URL: the built site, or (TP8_PLAYGROUND_HARNESS=1) the small one."""
    if (
        os.environ.get("TP8_WEIGHTS_DIR") is None
        or not (Path(os.environ["TP8_WEIGHTS_DIR"]) / "squeezenet1_1.pth").is_file()
    ):
        pytest.skip("set TP8_WEIGHTS_DIR to a folder holding squeezenet1_1.pth: the playground runs the real network")
    if not HARNESS:
        yield request.getfixturevalue("base_url")
        return
    site = site_playground.build_harness(tmp_path_factory.mktemp("harness"))
    yield request.getfixturevalue("serve_site")(site)


class Requests:
    """Every request a page makes (blob: and data: URLs are not requests: left out)."""

    def __init__(self, page):
        self.urls: list[str] = []
        page.on("request", self._add)

    def _add(self, request):
        if urlsplit(request.url).scheme in ("http", "https"):
            self.urls.append(request.url)

    def playground(self) -> list[str]:
        return [u for u in self.urls if PLAYGROUND.search(u)]

    def clear(self) -> None:
        self.urls.clear()


def open_panel(page, technique_button: str = "#tp8-playground .tp8-open") -> None:
    page.locator(technique_button).first.click()
    page.wait_for_selector("#tp8-playground[data-tp8-ready]", timeout=OPEN_TIMEOUT_MS)


def wait_idle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('#tp8-playground').classList.contains('tp8-busy')", timeout=RUN_TIMEOUT_MS
    )


def visualise_and_stop(page, step_word: str) -> None:
    """Start a class visualisation in the panel and press Stop once its status shows step 3 to 9."""
    page.locator("#tp8-technique-visualisation").check()
    page.locator(".tp8-run").click()
    page.wait_for_function(
        f"() => /{step_word} [3-9]/.test(document.querySelector('.tp8-status').textContent)", timeout=RUN_TIMEOUT_MS
    )
    page.locator(".tp8-stop").click()
    wait_idle(page)


def png_bytes(array: np.ndarray, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def a_photo(size=(480, 360)) -> bytes:
    """A small JPEG "photo" of this test (a smooth colour field with a disc): the reader's own photo."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x / w, y / h, 0.5 + 0.5 * np.sin(x / 17.0)], axis=-1)
    rgb[(x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(w, h) / 4) ** 2] = [0.9, 0.2, 0.1]
    return png_bytes((rgb * 255).astype(np.uint8), "JPEG", quality=90)


# --- the module against tp8 ----------------------------------------------------------------------

LOAD_JS = """
async (backend) => {
  window.__tp8 = await import(new URL("../javascripts/tp8-browser.js", location.href).href);
  window.__net = await window.__tp8.loadNetwork(backend ? { backend } : {});
  return { backend: window.__net.backend, label: window.__net.backendLabel, provenance: window.__net.info.weights.provenance };
}
"""

AGREEMENT_JS = """
async (photos) => {
  const tp8 = window.__tp8, net = window.__net, tf = net.tf;
  const b64 = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const out = [];
  for (const photo of photos) {
    const bytes = Uint8Array.from(atob(photo), (c) => c.charCodeAt(0));
    const x = tf.tensor4d(Float32Array.from(bytes, (v) => v / 255), [1, 224, 224, 3]);
    const t0 = performance.now();
    const s = await tp8.saliencyMap(net, x);
    const ms = performance.now() - t0;
    const top = await tp8.topK(net, x, 5);
    x.dispose();
    out.push({ logits: b64(s.logits.buffer), map: b64(s.map.buffer), top: top.map((r) => r.index), ms });
  }
  return { out, tensors: tf.memory().numTensors };
}
"""


@pytest.fixture(scope="session")
def module_page(playground, make_guard):
    """A guarded page of the site with the module imported and the network loaded (window.__tp8, __net)."""
    guard = make_guard()
    page = guard.new_page()
    page.goto(urljoin(playground, "essayer/"), wait_until="load")
    info = page.evaluate(LOAD_JS, os.environ.get("TP8_PLAYGROUND_BACKEND") or None)
    yield page, guard, info
    guard.close()


def outside_photos(paths: list[Path], count: int = OUTSIDE_PHOTOS) -> list[tuple[str, torch.Tensor]]:
    """``count`` photos spread evenly over the sorted labelled ImageNet photos (never the course's)."""
    chosen = paths[:: max(1, len(paths) // count)][:count]
    return [(p.name, tp8.images.quantize(tp8.load_image(p))) for p in chosen]


def compare(page, model, photos: list[tuple[str, torch.Tensor]], label: str) -> dict[str, dict]:
    """Per image: the browser's and tp8's logits, top-5 and saliency maps on the same 8-bit pixels."""
    pixels = [
        base64.b64encode((x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8).tobytes()).decode()
        for _, x in photos
    ]
    result = page.evaluate(AGREEMENT_JS, pixels)
    batch = torch.stack([x for _, x in photos])
    with torch.no_grad():
        logits = model(batch).double().numpy()
    maps = tp8.saliency_map(model, batch).numpy()
    rows = {}
    for k, (name, _x) in enumerate(photos):
        got = result["out"][k]
        browser_logits = np.frombuffer(base64.b64decode(got["logits"]), dtype=np.float32).astype(np.float64)
        browser_map = np.frombuffer(base64.b64decode(got["map"]), dtype=np.float32).reshape(224, 224)
        rows[name] = {
            "error": float(np.abs(browser_logits - logits[k]).max() / np.abs(logits[k]).max()),
            "top": got["top"],
            "tp8_top": list(np.argsort(-logits[k])[:5]),
            "correlation": float(np.corrcoef(browser_map.ravel(), maps[k].ravel())[0, 1]),
            "ms": got["ms"],
        }
    print(f"\n[playground] {label}: {len(rows)} images, tensors left {result['tensors']}")
    for name, row in rows.items():
        print(
            f"[playground] {name:28s} logit error {row['error']:.2e}  top-5 same {row['top'] == row['tp8_top']}  "
            f"saliency r = {row['correlation']:.5f}  ({row['ms']:.0f} ms)"
        )
    print(f"[playground] {label}: min saliency r = {min(r['correlation'] for r in rows.values()):.5f}")
    return rows


@pytest.fixture(scope="session")
def course_agreement(module_page, squeezenet):
    photos = [(s.name, tp8.images.quantize(s.image)) for s in tp8.sample_images()]
    return compare(module_page[0], squeezenet, photos, f"course photos, {module_page[2]['label']}")


@pytest.fixture(scope="session")
def outside_agreement(module_page, squeezenet, imagenet_val):
    photos = outside_photos(imagenet_val[0])
    return compare(module_page[0], squeezenet, photos, "ImageNet photos the course never uses")


@pytest.fixture(scope="session")
def synthetic_agreement(module_page, squeezenet):
    return compare(module_page[0], squeezenet, synthetic_images(), "synthetic images with ties")


def disagreements(rows: dict[str, dict], *, top5: bool = True) -> list[str]:
    """What goes beyond the bounds, one line per image and bound."""
    out = []
    for name, row in rows.items():
        if top5 and [int(i) for i in row["top"]] != [int(i) for i in row["tp8_top"]]:
            out.append(f"{name}: top-5 {row['top']} differs from tp8's {row['tp8_top']}")
        if row["error"] > LOGIT_BOUND:
            out.append(f"{name}: logits off by {row['error']:.2e} of the largest |logit| (> {LOGIT_BOUND:g})")
        if row["correlation"] < MIN_CORRELATION:
            out.append(f"{name}: saliency correlation {row['correlation']:.5f} (< {MIN_CORRELATION})")
    return out


def test_browser_agrees_with_tp8_on_the_course_photos(course_agreement):
    assert len(course_agreement) == len(tp8.sample_images())
    assert not disagreements(course_agreement), "\n".join(disagreements(course_agreement))


def test_browser_agrees_with_tp8_on_photos_outside_the_course(outside_agreement):
    assert len(outside_agreement) >= 10, f"only {len(outside_agreement)} labelled ImageNet photos to compare"
    assert not disagreements(outside_agreement), "\n".join(disagreements(outside_agreement))


def test_browser_agrees_with_tp8_on_images_full_of_ties(synthetic_agreement):
    # Their top-5 is not compared: on such images the classes after the first are nearly tied.
    assert not disagreements(synthetic_agreement, top5=False), "\n".join(disagreements(synthetic_agreement, top5=False))


def test_the_gradient_pass_computes_the_logits_the_network_reports(module_page):
    """The forward pass under a gradient is the forward pass of the predictions, to the bit: TF.js's
    ``tf.fused.conv2d`` unfuses itself under a gradient, and the rounding that changed gave the
    saliency maps other ReLU gates than tp8's (the module calls the fused kernel itself)."""
    page, guard, _info = module_page
    differing = page.evaluate(
        """async () => {
      const tp8 = window.__tp8, net = window.__net, tf = net.tf;
      const out = [];
      for (const seed of [1, 2, 3]) {
        const x = tf.randomUniform([1, 224, 224, 3], 0, 1, "float32", seed);
        const plain = await tp8.logits(net, x);
        const { logits } = await tp8.saliencyMap(net, x);
        x.dispose();
        out.push(plain.reduce((n, v, i) => n + (v !== logits[i]), 0));
      }
      return out;
    }"""
    )
    assert differing == [0, 0, 0], f"logits of the gradient pass differ from the network's in {differing} places"
    assert not guard.problems(), "\n".join(guard.problems())


def test_module_leaks_no_tensor(module_page):
    page, guard, _info = module_page
    leaked = page.evaluate(
        """async () => {
      const tf = window.__net.tf, before = tf.memory().numTensors;
      const x = tf.randomUniform([1, 224, 224, 3]);
      await window.__tp8.saliencyMap(window.__net, x);
      await window.__tp8.foolingImage(window.__net, x, "goldfish", { maxIter: 2 });
      await window.__tp8.classVisualization(window.__net, "flamingo", { numIterations: 2 });
      x.dispose();
      return tf.memory().numTensors - before;
    }"""
    )
    assert leaked == 0, f"{leaked} tensors left behind"
    assert not guard.problems(), "\n".join(guard.problems())


def test_class_visualization_reaches_the_class(module_page, squeezenet):
    page, _guard, _info = module_page
    result = page.evaluate(
        """async () => {
      const r = await window.__tp8.classVisualization(window.__net, "flamingo", { numIterations: 100, previewEvery: 0 });
      return { p: r.probability, pixels: Array.from(r.image.data), steps: r.probabilities.length };
    }"""
    )
    image = torch.tensor(result["pixels"], dtype=torch.float32).view(224, 224, 4)[..., :3].permute(2, 0, 1) / 255
    p_tp8 = float(squeezenet.probabilities(image[None])[0, squeezenet.class_index("flamingo")])
    print(
        f"\n[playground] class visualisation, 100 steps: p(flamingo) = {result['p']:.3f} in the browser, {p_tp8:.3f} by tp8 on the 8-bit PNG"
    )
    assert result["steps"] == 101
    assert result["p"] >= 0.9
    assert p_tp8 >= 0.9


def test_bad_input_to_the_module_gets_a_french_error(module_page):
    page, _guard, _info = module_page
    codes = page.evaluate(
        """async () => {
      const tp8 = window.__tp8, net = window.__net, out = {};
      const tryIt = async (key, f) => { try { await f(); out[key] = "no error"; } catch (e) { out[key] = [e.name, e.code, e.message]; } };
      await tryIt("text", () => tp8.loadImage(new Blob(["pas une image"], { type: "text/plain" })));
      const tiny = new OffscreenCanvas(1, 1); tiny.getContext("2d").fillRect(0, 0, 1, 1);
      await tryIt("tiny", async () => tp8.loadImage(await tiny.convertToBlob()));
      await tryIt("class", () => Promise.resolve(net.classIndex("goldfsh")));
      await tryIt("cardigan", () => Promise.resolve(net.classIndex("cardigan")));
      await tryIt("aborted", () => { const c = new AbortController(); c.abort(); return tp8.saliencyMap(net, new ImageData(224, 224), { signal: c.signal }); });
      return out;
    }"""
    )
    assert codes["text"][:2] == ["Tp8Error", "not-image"], codes["text"]
    assert codes["tiny"][:2] == ["Tp8Error", "too-small"] and "1 × 1" in codes["tiny"][2]
    assert codes["class"][:2] == ["Tp8Error", "unknown-class"] and "« goldfish »" in codes["class"][2]
    assert codes["cardigan"][:2] == ["Tp8Error", "ambiguous-class"]
    assert codes["aborted"][0] == "AbortError"


def typos(names: list[str], count: int = 400, seed: int = 8) -> list[str]:
    """What a reader types for a class: the names with a few edits (a letter dropped, added, changed
    or swapped), other cases, underscores, stray spaces; truncations; and a few words of their own."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz -'"
    out = ["goldfsh", "flamingoo", "tabby cat", "cat", "dog", "hot dog", "Hot_Dog", "  golden   retriever ",
           "pizz", "xyz", "zzzzzz", "a", "banana split", "Granny Smith", "crane", "cardigan", "ski",
           "STRASSE", "straße", "chat tigré", "Ιβις", "ｇｏｌｄｆｉｓｈ"]  # fmt: skip
    for _ in range(count):
        word = rng.choice(names)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(word) + 1)
            edit = rng.randrange(6)
            if edit == 0 and word:
                word = word[:i] + word[i + 1 :]
            elif edit == 1:
                word = word[:i] + rng.choice(letters) + word[i:]
            elif edit == 2 and i < len(word):
                word = word[:i] + rng.choice(letters) + word[i + 1 :]
            elif edit == 3 and i + 1 < len(word):
                word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            elif edit == 4:
                word = word.upper() if rng.random() < 0.5 else word.replace(" ", "_")
            else:
                word = word[: max(1, len(word) // 2)]
        out.append(word)
    # Not a blank: the browser asks for a name there, where tp8 lists the first five classes (all
    # contain the empty string).
    return [word for word in out if word.strip(" _")]


def tp8_answer(model, typed: str) -> list:
    """What ``model.class_index`` says: ``["index", i]``, ``["ambiguous", [i, …]]`` or
    ``["unknown", [names suggested]]`` (read from its error, as the student reads it)."""
    try:
        return ["index", model.class_index(typed)]
    except tp8.errors.UnknownClassError as exc:
        message = str(exc)
    if "is ambiguous" in message:
        return ["ambiguous", [int(i) for i in re.search(r"names classes ([\d, ]+);", message).group(1).split(", ")]]
    hint = re.search(r"; closest: (.*)$", message)
    assert hint or "see model.categories" in message, f"tp8's message has changed: {message!r}"
    return ["unknown", ast.literal_eval(f"[{hint.group(1)}]") if hint else []]


SUGGEST_JS = """
(typed) => typed.map((text) => {
  try {
    return ["index", window.__net.classIndex(text)];
  } catch (error) {
    if (error.code === "ambiguous-class") return ["ambiguous", error.details];
    if (error.code === "unknown-class") return ["unknown", error.details || []];
    return ["error", error.message];
  }
})
"""


def test_class_suggestions_are_tp8s(module_page, squeezenet):
    page, guard, _info = module_page
    typed = typos(list(squeezenet.categories))
    browser = page.evaluate(SUGGEST_JS, typed)
    library = [tp8_answer(squeezenet, text) for text in typed]
    differ = [f"{t!r}: browser {b}, tp8 {p}" for t, b, p in zip(typed, browser, library) if b != p]
    suggested = sum(1 for answer in library if answer[0] == "unknown" and answer[1])
    print(f"\n[playground] {len(typed)} typed names, {suggested} with suggestions: {len(differ)} differ from tp8's")
    assert suggested > len(typed) // 2, "too few typos get suggestions: the test would prove little"
    assert not differ, f"{len(differ)} of {len(typed)} differ:\n" + "\n".join(differ[:20])
    assert not guard.problems(), "\n".join(guard.problems())


def test_close_matches_and_names_are_pythons(module_page):
    """``getCloseMatches`` is ``difflib.get_close_matches`` on any words (ties, repeated letters,
    200+ characters, where autojunk starts); ``normaliseName`` is tp8's (casefold, Python's spaces)."""
    import difflib

    page, _guard, _info = module_page
    rng = random.Random(25)
    cases = []
    for _ in range(300):
        pool = ["".join(rng.choice("abcab ") for _ in range(rng.randint(0, 9))) for _ in range(12)]
        word = "".join(rng.choice("abc ") for _ in range(rng.randint(0, 9)))
        cutoff = rng.choice([0.0, 0.3, 0.6, 0.8, 1.0])
        cases.append([word, pool, rng.randint(1, 6), cutoff])
    cases.append(["ab" * 150 + "c", ["ab" * 140, "ba" * 150 + "c", "c" * 300, "abc"], 3, 0.2])
    cases.append(["é" * 210, ["é" * 200 + "e" * 10, "e" * 210], 2, 0.1])
    got = page.evaluate("(cases) => cases.map(([w, p, n, c]) => window.__tp8.getCloseMatches(w, p, n, c))", cases)
    expected = [difflib.get_close_matches(w, p, n, c) for w, p, n, c in cases]
    assert got == expected
    names = ["Hot_Dog", "  great   white\tshark ", "STRAẞE", "straße", "ΌΣΟΣ", "ﬁsh", "İstanbul", "ıi",
             "\u00a0cat\u2003dog\u3000", "x\x1cy\x85z", "ꭰꮃ", "Ǆungla", "café_CRÈME"]  # fmt: skip
    assert page.evaluate("(names) => names.map((n) => window.__tp8.normaliseName(n))", names) == [
        tp8.models._normalise_name(n) for n in names
    ]


def test_net_info_says_what_the_network_is_and_needs(module_page, playground):
    page, _guard, _info = module_page
    info = page.evaluate("() => ({ info: window.__net.info, frozen: Object.isFrozen(window.__net.info.weights) })")
    frozen, info = info["frozen"], info["info"]
    assert frozen
    assert info["versions"]["tfjs"] == site_assets.PACKAGES["tfjs"][1]
    assert info["versions"]["manifest"] == site_playground.FORMAT
    assert info["model"] == site_playground.MODEL and info["title"] == "SqueezeNet 1.1"
    weights = info["weights"]
    assert sum(weights["precision"].values()) == weights["parameters"]
    assert weights["provenance"].startswith("SqueezeNet 1.1")
    assert weights["url"] in info["needs"] and weights["url"].endswith(".bin")
    assert info["input"] == {"size": 224, "frame": 256, "minSide": 32, "maxPixels": 100e6}
    assert info["backend"]["name"] == page.evaluate("() => window.__net.backend")
    site = urlsplit(playground).netloc
    assert all(urlsplit(url).netloc == site for url in info["needs"]), info["needs"]
    assert any(url.endswith("/" + LAYOUT["tfjs"] + "tf.es2017.min.js") for url in info["needs"])
    assert any(url.endswith("/" + LAYOUT["network"] + LAYOUT["manifest"]) for url in info["needs"])
    for photo in info["photos"]:
        assert set(photo["caption"]) == {"fr", "en"} and all(photo["caption"].values())
        assert photo["frame"].startswith("http") and photo["thumbnail"].startswith("http")


def test_amplified_difference_states_its_factor(module_page):
    page, _guard, _info = module_page
    result = page.evaluate(
        """() => {
      const a = new ImageData(2, 1), b = new ImageData(2, 1);
      a.data.set([100, 100, 100, 255, 0, 0, 0, 255]);
      b.data.set([103, 97, 100, 255, 255, 0, 1, 255]);
      const out = {};
      for (const k of [1, 10]) {
        const d = window.__tp8.amplifiedDifference(a, b, k);
        out[k] = { pixels: Array.from(d.image.data), factor: d.factor, linf: d.linf, saturated: d.saturated };
      }
      const d = window.__tp8.amplifiedDifference(a, b);
      out.default = d.factor;
      try { window.__tp8.amplifiedDifference(a, b, 0); out.zero = "no error"; } catch (e) { out.zero = e.code; }
      try { window.__tp8.amplifiedDifference(a, new ImageData(1, 1), 2); out.size = "no error"; } catch (e) { out.size = e.code; }
      return out;
    }"""
    )
    # 255 · (0.5 + k·δ), δ in 1/255: 127.5 + k·Δ, rounded half to even and clipped.
    assert result["1"]["pixels"] == [130, 124, 128, 255, 255, 128, 128, 255]
    assert result["10"]["pixels"] == [158, 98, 128, 255, 255, 128, 138, 255]
    assert result["10"]["factor"] == 10 and result["1"]["factor"] == 1 and result["default"] == 1
    assert result["10"]["linf"] == 255 and result["10"]["saturated"] == pytest.approx(1 / 6)
    assert result["zero"] == "bad-option" and result["size"] == "bad-image"


# --- weight and privacy ------------------------------------------------------------------------


def test_opening_pages_transfers_nothing_of_the_playground(playground, make_guard):
    guard = make_guard()
    try:
        page = guard.new_page()
        requests = Requests(page)
        pages = ["essayer/", "essayer/#saillance", ""] + (
            [] if HARNESS else ["partie-1-saillance/", "partie-2-adversaires/"]
        )
        for url in pages:
            page.goto(urljoin(playground, url), wait_until="load")
            page.wait_for_timeout(300)
        assert not requests.playground(), f"requested before the panel was opened: {requests.playground()}"
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()


def test_the_panel_asks_the_site_only_and_nothing_while_it_runs(playground, make_guard, tmp_path):
    guard = make_guard()
    try:
        page = guard.new_page()
        requests = Requests(page)
        page.goto(urljoin(playground, "essayer/"), wait_until="load")
        open_panel(page)
        site = urlsplit(playground)
        assert all(urlsplit(u).netloc == site.netloc for u in requests.urls), requests.urls
        fetched = requests.playground()
        assert any(f"/{LAYOUT['tfjs']}tf.es2017.min.js" in u for u in fetched)
        weights = re.compile(
            re.escape("/" + LAYOUT["network"]) + r"squeezenet1_1\.[0-9a-f]{12}\.(f16|f32|f16f32)\.bin$"
        )
        assert any(weights.search(u) for u in fetched), fetched
        photo = tmp_path / "ma-photo.jpg"
        photo.write_bytes(a_photo())
        guard.context.set_offline(True)  # the page says so: once open, one's own photos need no connection
        page.locator("#tp8-technique-saillance").check()
        page.set_input_files("#tp8-file", str(photo))
        page.wait_for_function("() => /Photo prête/.test(document.querySelector('.tp8-status').textContent)")
        page.wait_for_timeout(300)
        requests.clear()
        page.locator(".tp8-run").click()
        wait_idle(page)
        assert page.locator(".tp8-results img").count() == 2, page.inner_text(".tp8-status")
        page.locator("#tp8-technique-image-trompeuse").check()
        page.fill("#tp8-class", "goldfish")
        page.locator(".tp8-run").click()
        wait_idle(page)
        assert re.match(r"(Pas t|T)rompé", page.inner_text(".tp8-status")), page.inner_text(".tp8-status")
        # Stop: the class visualisation keeps the image it reached.
        visualise_and_stop(page, "Étape")
        assert page.inner_text(".tp8-status").startswith("Arrêté à l'étape"), page.inner_text(".tp8-status")
        assert "arrêtée à l'étape" in page.locator(".tp8-results img").get_attribute("alt")
        assert requests.urls == [], f"requests while techniques ran on an uploaded photo: {requests.urls}"
        guard.context.set_offline(False)
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()


# --- the panel ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def phone(playground, make_guard):
    """The panel opened at 390 px on a touch screen, with the keyboard."""
    guard = make_guard(viewport=PHONE, has_touch=True, is_mobile=True)
    page = guard.new_page()
    page.goto(urljoin(playground, "essayer/#visualisation"), wait_until="load")
    page.focus("#tp8-playground .tp8-open")
    page.keyboard.press("Enter")
    page.wait_for_selector("#tp8-playground[data-tp8-ready]", timeout=OPEN_TIMEOUT_MS)
    yield page, guard
    guard.close()


def test_anchor_presets_the_technique_and_it_fits_a_phone(phone):
    page, guard = phone
    assert page.is_checked("#tp8-technique-visualisation")
    assert page.is_hidden(".tp8-photos")
    assert page.input_value("#tp8-class") == "flamingo"
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide at {PHONE['width']} px"
    assert page.locator("#tp8-camera").get_attribute("capture") == "environment"
    assert page.locator("#tp8-camera").get_attribute("accept") == "image/*"
    assert not guard.problems(), "\n".join(guard.problems())


def test_every_control_is_labelled(phone):
    page, _guard = phone
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll("#tp8-playground input, #tp8-playground button, #tp8-playground progress"))
          .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.textContent.trim())
          .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert not unlabelled, unlabelled
    assert page.locator("#tp8-class").get_attribute("list") == "tp8-classes"
    assert page.locator("#tp8-classes option").count() == 1000


def test_keyboard_runs_a_technique_and_results_are_described(phone):
    page, guard = phone
    page.focus("#tp8-technique-visualisation")
    page.keyboard.press("ArrowUp")  # radio group: to the previous technique
    assert page.is_checked("#tp8-technique-image-trompeuse")
    page.keyboard.press("ArrowUp")
    assert page.is_checked("#tp8-technique-saillance")
    page.focus("#tp8-class")
    page.keyboard.type("tabby")
    page.keyboard.press("Enter")  # submits the form
    wait_idle(page)
    alts = page.eval_on_selector_all(".tp8-results img", "els => els.map((e) => e.alt)")
    saliency = [a for a in alts if a.startswith("Carte de saillance")]
    assert saliency and "« tabby »" in saliency[0] and re.search(r"\d+(,\d)?\s%", saliency[0]), alts
    assert page.locator(".tp8-results a[download]").get_attribute("download").endswith(".png")
    assert page.locator(".tp8-top li").count() == 5
    assert not guard.problems(), "\n".join(guard.problems())


def test_bad_input_gets_one_clear_message(phone, tmp_path):
    page, guard = phone
    page.locator("#tp8-technique-saillance").check()
    message = page.locator(".tp8-message")

    def upload(name: str, data: bytes) -> str:
        (tmp_path / name).write_bytes(data)
        page.set_input_files("#tp8-file", str(tmp_path / name))
        page.wait_for_function(
            "() => !/Lecture/.test(document.querySelector('.tp8-status').textContent)", timeout=RUN_TIMEOUT_MS
        )
        return message.inner_text() if message.is_visible() else ""

    text = upload("notes.txt", b"Ceci n'est pas une image.\n")
    assert "n'est pas une image" in text, text
    text = upload("point.png", png_bytes(np.zeros((1, 1, 3), dtype=np.uint8)))
    assert "1 × 1 pixel" in text, text
    # A 50-megapixel photo is reduced, as tp8.load_image would: one message says so.
    side = (8660, 5774)
    y, x = np.mgrid[0 : side[1] : 8, 0 : side[0] : 8]
    small = np.stack([x / side[0], y / side[1], np.full_like(x, 0.4, dtype=float)], -1)
    big = Image.fromarray((small * 255).astype(np.uint8)).resize(side, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=80)
    text = upload("grande.jpg", buffer.getvalue())
    assert text == "", text
    info = page.inner_text(".tp8-photo-info")
    assert "50,0 mégapixels" in info and "224 × 224" in info, info
    page.fill("#tp8-class", "goldfsh")
    page.locator(".tp8-run").click()
    assert "n'existe pas" in message.inner_text() and "« goldfish »" in message.inner_text()
    # Still usable: the same photo, a real class.
    page.fill("#tp8-class", "")
    page.locator(".tp8-run").click()
    wait_idle(page)
    assert not message.is_visible()
    assert page.locator(".tp8-results img").count() == 2
    assert not guard.problems(), "\n".join(guard.problems())


def test_downloaded_fooling_image_fools_tp8_predict(playground, make_guard, tmp_path, capsys):
    guard = make_guard()
    try:
        page = guard.new_page()
        page.goto(urljoin(playground, "essayer/#image-trompeuse"), wait_until="load")
        open_panel(page, "#image-trompeuse ~ p .tp8-open")
        assert page.is_checked("#tp8-technique-image-trompeuse")
        assert page.is_checked('input[name="tp8-photo"][value="chelsea"]')
        page.fill("#tp8-class", "goldfish")
        page.locator(".tp8-run").click()
        wait_idle(page)
        assert page.inner_text(".tp8-status").startswith("Trompé"), page.inner_text(".tp8-status")
        alt = page.locator(".tp8-results img").nth(1).get_attribute("alt")
        assert "« goldfish »" in alt and "%" in alt, alt
        # The difference is magnified, and says by how much (caption and alternative text).
        difference = page.locator(".tp8-results figure").nth(2)
        assert difference.locator("figcaption").inner_text().startswith("Différence × 10")
        assert "amplifiée 10 fois" in difference.locator("img").get_attribute("alt")
        with page.expect_download() as info:
            page.locator(".tp8-results a[download]").click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (256, 256)
    capsys.readouterr()
    assert tp8.cli.main(["predict", str(path), "-k", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"1\.\s+goldfish\b", out), out


#: What betrays French on an English page: its accented letters and quotation marks, and its small words.
FRENCH = re.compile(r"[àâçéèêëîïôûùœ«»]|\b(le|la|les|des|du|une|est|pas|pour|avec|dans|calcul|étape|arrêt\w*)\b", re.I)
PANEL_TEXT_JS = """() => {
  const root = document.querySelector("#tp8-playground");
  const attrs = Array.from(root.querySelectorAll("[alt], [aria-label], [title]"))
    .flatMap((el) => ["alt", "aria-label", "title"].map((a) => el.getAttribute(a)).filter(Boolean));
  return [root.innerText, ...attrs].join("\\n");
}"""


def test_the_panel_speaks_english_on_an_english_page(playground, make_guard):
    """Every sentence of the panel and of the module comes from their tables: on a page whose
    ``<html lang>`` is English, none is French (nor missing), and a wrong class is told in English."""
    guard = make_guard()
    try:
        page = guard.new_page()
        page.goto(urljoin(playground, "essayer/#image-trompeuse"), wait_until="load")
        page.evaluate("() => { document.documentElement.lang = 'en'; }")
        open_panel(page)
        seen = [page.evaluate(PANEL_TEXT_JS)]
        page.fill("#tp8-class", "goldfsh")
        page.locator(".tp8-run").click()
        message = page.inner_text(".tp8-message")
        assert message.startswith("There is no class “goldfsh”") and "“goldfish”" in message, message
        page.fill("#tp8-class", "goldfish")
        page.locator(".tp8-run").click()
        wait_idle(page)
        seen.append(page.evaluate(PANEL_TEXT_JS))
        assert re.match(r"(Not f|F)ooled", page.inner_text(".tp8-status")), page.inner_text(".tp8-status")
        assert "Difference × 10" in seen[-1] and "magnified 10 times" in seen[-1]
        page.locator("#tp8-technique-saillance").check()
        page.fill("#tp8-class", "")
        page.locator(".tp8-run").click()
        wait_idle(page)
        seen.append(page.evaluate(PANEL_TEXT_JS))
        visualise_and_stop(page, "Step")
        seen.append(page.evaluate(PANEL_TEXT_JS))
        assert page.inner_text(".tp8-status").startswith("Stopped at step"), page.inner_text(".tp8-status")
        text = "\n".join(seen)
        assert "undefined" not in text and "[object" not in text
        french = sorted({m.group(0) for m in FRENCH.finditer(text)})
        assert not french, f"French on an English page: {french}\n{text[:3000]}"
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()


def test_instant_navigation_to_an_anchor_opens_the_panel_preset(playground, make_guard):
    if not HARNESS:
        start, link = "partie-2-adversaires/", "essayer/#image-trompeuse"
    else:
        start, link = "", "essayer/#image-trompeuse"
    guard = make_guard()
    try:
        page = guard.new_page()
        page.goto(urljoin(playground, start), wait_until="load")
        page.evaluate("() => { window.__tp8_marker = 'same document'; }")
        anchor = page.locator(f'article a[href$="{link}"]').first
        anchor.click()
        page.wait_for_url(re.compile(r"/essayer/#image-trompeuse$"))
        page.wait_for_selector("#tp8-playground .tp8-open")
        assert page.evaluate("() => window.__tp8_marker") == "same document", "not an instant navigation"
        open_panel(page)
        assert page.is_checked("#tp8-technique-image-trompeuse")
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()
