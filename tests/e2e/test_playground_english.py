"""The "Essayer" panel in the page's language: English on an English page, French (unchanged) on a French one.

The panel (``docs/javascripts/essayer.js``, its table ``STRINGS``) and the module
(``docs/javascripts/tp8-browser.js``, its table ``MESSAGES``) hold one set of sentences per language
and pick one from the page's ``<html lang>``. These tests read both tables in the browser and check:

* the two languages have the same entries, and the English is US English ("visualization", "gray");
* on a page served with ``<html lang="en">``, the panel's labels, progress and Stop, the messages for
  bad input (one message, saying what to do), the results' captions and alternative texts, the file
  names and the numbers (``0.4 s``, ``52%``) are English, and **no word of the French table that the
  English one lacks** appears anywhere in the panel (its text, ``alt``, ``aria-label``, ``title``);
* on the French page, the same in French (``0,4 s``, ``52 %``), with no word only the English table has.

The English page is the English edition's (``en/essayer/``) when the served site has one; otherwise
the French page, served with ``<html lang="en">`` (the response rewritten before the browser reads
it: the page's scripts see the same document as on the English site). The site is the playground's
(``test_playground.playground``: the built site, or ``TP8_PLAYGROUND_HARNESS=1``'s small one).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urljoin

import numpy as np
import pytest
from test_playground import (
    OPEN_TIMEOUT_MS,
    PANEL_TEXT_JS,
    RUN_TIMEOUT_MS,
    playground,  # noqa: F401  (the fixture)
    png_bytes,
    visualise_and_stop,
    wait_idle,
)

#: Both tables, every entry rendered with sample values (each function called with several kinds of
#: values, so that both branches of a conditional sentence are seen); and the words that are no
#: sentence's own: the class names and what the manifest says of the photos.
TABLES_JS = """
async () => {
  const at = (path) => new URL(path, document.querySelector('script[src$="essayer.js"]').src).href;
  const source = await (await fetch(at("essayer.js"))).text();
  const start = source.indexOf("const STRINGS = {");
  const end = source.indexOf("\\n  };\\n", start);
  if (start < 0 || end < 0) throw new Error("STRINGS not found in essayer.js");
  const STRINGS = new Function(`return ${source.slice(start + "const STRINGS = ".length, end + 4)};`)();
  const tp8 = await import(at("tp8-browser.js"));
  const manifest = await (await fetch(tp8.DEFAULT_MANIFEST_URL)).json();
  const V = "qqv";
  const ARGS = [
    [V, V, V, V, V], [1, 1, 1, 1, 1], [false, 2, 3, 4, 5], [[], [], [], [], []], [[V], [V], [V], [V], [V]],
    [{ float16: 1, float32: 1 }], [{ float16: 1 }], [{ float32: 1 }], ["public domain"],
  ];
  const walk = (entry, path, keys, texts) => {
    if (typeof entry === "string") texts.push(entry);
    else if (typeof entry === "function") {
      for (const args of ARGS) {
        try { const out = entry(...args); if (typeof out === "string") texts.push(out); } catch (error) { /* another kind of value */ }
      }
    } else for (const [key, value] of Object.entries(entry)) { keys.push(path + key); walk(value, path + key + ".", keys, texts); }
  };
  const table = (t) => Object.fromEntries(Object.entries(t).map(([lang, entries]) => {
    const keys = [], texts = [];
    walk(entries, "", keys, texts);
    return [lang, { keys, texts, locale: entries.locale }];
  }));
  return {
    panel: table(STRINGS),
    module: table(tp8.MESSAGES),
    neutral: [...manifest.classes, ...manifest.photos.flatMap((p) => [p.name, p.source, p.licence])],
  };
}
"""

WORD = re.compile(r"[^\W\d_]+")
#: UK spellings the English edition does not use.
BRITISH = re.compile(r"visualis|\bgrey|centre|colour|analys|normalis|favour|behaviour|towards\b|licence\b", re.I)


def words(texts) -> set[str]:
    return {w.casefold() for text in texts for w in WORD.findall(text)}


def english_url(root: str) -> str | None:
    """The English edition's playground page, when the served site has one."""
    url = urljoin(root, "en/essayer/")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            if re.search(rb"<html[^>]*\blang=\"en\"", response.read(4096)):
                return url
    except (urllib.error.URLError, OSError):
        pass
    return None


def open_page(page, root: str, lang: str, anchor: str = "") -> None:
    """Go to the playground page in ``lang`` (see the module's docstring) and open the panel."""
    url = english_url(root) if lang == "en" else None
    if url is None:
        url = urljoin(root, "essayer/")
        if lang == "en":

            def english(route):
                response = route.fetch()
                body = re.sub(r'<html([^>]*)\blang="fr"', r'<html\1lang="en"', response.text(), count=1)
                route.fulfill(response=response, body=body)

            page.route(re.compile(r"/essayer/(index\.html)?$"), english)
    page.goto(url + anchor, wait_until="load")
    assert page.evaluate("() => document.documentElement.lang") == lang
    page.locator("#tp8-playground .tp8-open").first.click()
    page.wait_for_selector("#tp8-playground[data-tp8-ready]", timeout=OPEN_TIMEOUT_MS)


def panel_text(page) -> str:
    """The panel's text and its ``alt``, ``aria-label``, ``title``, with the download links' file names."""
    names = page.eval_on_selector_all("#tp8-playground a[download]", "els => els.map((e) => e.download)")
    return "\n".join([page.evaluate(PANEL_TEXT_JS), *names])


def upload(page, tmp_path, name: str, data: bytes) -> str:
    """Give the panel a file as the reader's photo; the message shown (one, or ``""``)."""
    (tmp_path / name).write_bytes(data)
    page.set_input_files("#tp8-file", str(tmp_path / name))
    page.wait_for_function(
        "() => !/Reading|Lecture/.test(document.querySelector('.tp8-status').textContent)", timeout=RUN_TIMEOUT_MS
    )
    alerts = page.locator("#tp8-playground [role=alert]:visible")
    assert alerts.count() <= 1, alerts.all_inner_texts()
    return alerts.first.inner_text() if alerts.count() else ""


def run_technique(page, technique: str, target: str) -> None:
    page.locator(f"#tp8-technique-{technique}").check()
    page.fill("#tp8-class", target)
    page.locator(".tp8-run").click()
    wait_idle(page)


def choose_course_photo(page, name: str = "chelsea") -> None:
    page.locator(f'input[name="tp8-photo"][value="{name}"]').check()
    page.wait_for_function("() => !document.querySelector('.tp8-preview').hidden", timeout=RUN_TIMEOUT_MS)


def alts(page) -> list[str]:
    return page.eval_on_selector_all(".tp8-results img", "els => els.map((e) => e.alt)")


def captions(page) -> list[str]:
    return page.eval_on_selector_all(".tp8-results figcaption", "els => els.map((e) => e.textContent)")


@pytest.fixture(scope="module")
def tables(playground, make_guard):  # noqa: F811
    guard = make_guard()
    try:
        page = guard.new_page()
        page.goto(urljoin(playground, "essayer/"), wait_until="load")
        found = page.evaluate(TABLES_JS)
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()
    neutral = words(found["neutral"]) | {"qqv"}
    both = {part: found[part] for part in ("panel", "module")}
    said = {lang: words(text for t in both.values() for text in t[lang]["texts"]) for lang in ("fr", "en")}
    only = {"fr": said["fr"] - said["en"] - neutral, "en": said["en"] - said["fr"] - neutral}
    return {**both, "only": only}


def test_both_languages_have_every_sentence_and_the_english_is_american(tables):
    for part in ("panel", "module"):
        fr, en = tables[part]["fr"], tables[part]["en"]
        assert fr["keys"] == en["keys"], f"{part}: entries of one language only: {set(fr['keys']) ^ set(en['keys'])}"
        assert fr["locale"] == "fr-FR" and en["locale"] == "en-US"
        british = sorted({m.group(0) for text in en["texts"] for m in BRITISH.finditer(text)})
        assert not british, f"{part}: UK spellings in the English sentences: {british}"
    # The word lists the page tests rely on: the French table has its own words, the English its own.
    assert {"arrêter", "carte", "saillance", "étape"} <= tables["only"]["fr"]
    assert {"stop", "map", "saliency", "step"} <= tables["only"]["en"]


@pytest.fixture(scope="module")
def english(playground, make_guard):  # noqa: F811
    guard = make_guard(locale="en-US")
    page = guard.new_page()
    open_page(page, playground, "en", "#saillance")
    yield page, guard
    guard.close()


def test_the_english_page_shows_the_panel_in_english(english, tables):
    page, guard = english
    labels = page.eval_on_selector_all("label.tp8-choice", "els => els.map((e) => e.textContent.trim())")
    assert labels == ["Saliency map", "Fooling image", "Class visualization"], labels
    assert page.inner_text(".tp8-stop") == "Stop"
    assert page.locator(".tp8-progress").get_attribute("aria-label") == "Progress of the computation"
    assert page.locator(".tp8-run").inner_text() == "Compute the map"
    assert page.inner_text("label[for=tp8-class]") == "Class to explain"
    assert page.inner_text(".tp8-status").startswith("Ready.")
    assert (
        page.locator(".tp8-preview").get_attribute("alt")
        == "Chosen photo: Chelsea, a tabby cat, cropped to 224 × 224 pixels"
    )
    text = panel_text(page)
    assert "Computing: " in text and "Your photo:" in text
    french = sorted(words([text]) & tables["only"]["fr"])
    assert not french, f"French words in the English panel: {french}\n{text[:2000]}"
    assert not guard.problems(), "\n".join(guard.problems())


def test_bad_input_gets_one_english_message_saying_what_to_do(english, tables, tmp_path):
    page, guard = english
    page.locator("#tp8-technique-saillance").check()
    seen = []
    text = upload(page, tmp_path, "notes.txt", b"Not an image.\n")
    assert text.startswith("The file “notes.txt” is not an image") and "choose a photo" in text, text
    seen.append(text)
    text = upload(page, tmp_path, "empty.png", b"")
    assert text == "This file is empty: choose a photo (JPEG, PNG, WebP…).", text
    seen.append(text)
    text = upload(page, tmp_path, "point.png", png_bytes(np.zeros((1, 1, 3), dtype=np.uint8)))
    assert text.startswith("This image is only 1 × 1 pixel:") and text.endswith("Choose a larger one."), text
    seen.append(text)
    assert page.is_hidden(".tp8-preview")
    choose_course_photo(page)
    page.fill("#tp8-class", "goldfsh")
    page.locator(".tp8-run").click()
    message = page.inner_text(".tp8-message")
    assert (
        message.startswith("There is no class “goldfsh” among ImageNet's 1000 classes.")
        and "Did you mean: “goldfish”" in message
    )
    seen.append(message)
    page.fill("#tp8-class", "")
    page.locator("#tp8-technique-image-trompeuse").check()  # preset to goldfish; then a class of nothing
    page.fill("#tp8-class", "qwxzk")
    page.locator(".tp8-run").click()
    message = page.inner_text(".tp8-message")
    assert message.startswith("There is no class “qwxzk”") and ("Did you mean" in message or "Choose a name" in message)
    seen.append(message)
    french = sorted(words(seen) & tables["only"]["fr"])
    assert not french, f"French words in the English messages: {french}\n{seen}"
    assert not guard.problems(), "\n".join(guard.problems())


def test_english_results_captions_alt_texts_and_numbers(english, tables):
    page, guard = english
    choose_course_photo(page)
    seen = []
    run_technique(page, "saillance", "")
    status = page.inner_text(".tp8-status")
    assert re.fullmatch(r"Map of “[^”]+” computed in \d+\.\d s\.", status), status
    saliency, photo = alts(page)[1], alts(page)[0]
    assert photo == "Analyzed photo: Chelsea, a tabby cat", photo
    assert re.match(r"Saliency map of the class “[^”]+” \(probability \d+(\.\d)?%\) for the photo Chelsea", saliency), (
        saliency
    )
    shown = captions(page)
    assert shown[0] == "The photo (224 × 224)" and re.fullmatch(r"Saliency of “[^”]+” — p = \d+(\.\d)?%", shown[1]), (
        shown
    )
    assert page.inner_text(".tp8-top figcaption") == "The five most probable classes"
    assert all(
        re.fullmatch(r"(< )?\d+(\.\d)?%", p)
        for p in page.eval_on_selector_all(".tp8-top__p", "e => e.map((x) => x.textContent)")
    )
    assert page.locator(".tp8-results a[download]").get_attribute("download").startswith("saliency-")
    seen.append(panel_text(page))

    run_technique(page, "image-trompeuse", "goldfish")
    status = page.inner_text(".tp8-status")
    assert re.fullmatch(
        r"(Fooled in \d+ steps \(\d+\.\d s\): the network sees “goldfish”\.|Not fooled after .*)", status
    ), status
    original, fooled, difference = alts(page)
    assert original.startswith("Original photo: Chelsea, a tabby cat, classified as “"), original
    assert re.match(
        r"(Fooling image: the network sees “goldfish” in it with a probability of \d+(\.\d)?%|Image after)", fooled
    ), fooled
    assert difference == "Difference between the fooling image and the photo, magnified 10 times around mid-gray"
    assert captions(page)[2] == "Difference × 10 (gray: unchanged)"
    assert re.search(r"\d+ steps; perturbation L2 = \d+\.\d/255, L∞ = \d+/255\.", page.inner_text(".tp8-results"))
    assert page.locator(".tp8-results a[download]").get_attribute("download") == "fooling-goldfish.png"
    seen.append(panel_text(page))

    visualise_and_stop(page, "Step")
    step = re.fullmatch(r"Stopped at step (\d+)\.", page.inner_text(".tp8-status"))
    assert step, page.inner_text(".tp8-status")
    assert alts(page) == [f"Visualization of the class “flamingo”, stopped at step {step.group(1)}"]
    assert captions(page) == [f"Image reached at step {step.group(1)}."]
    seen.append(panel_text(page))

    text = "\n".join(seen)
    assert "undefined" not in text and "[object" not in text and not BRITISH.search(text)
    assert not re.search(r"\d,\d{1,2}\b(?!\d)|\d\s%", text), "French number formats on the English page"
    french = sorted(words([text]) & tables["only"]["fr"])
    assert not french, f"French words in the English panel: {french}\n{text[:3000]}"
    assert not guard.problems(), "\n".join(guard.problems())


def test_the_french_page_keeps_its_french_panel(playground, make_guard, tables, tmp_path):  # noqa: F811
    guard = make_guard()
    try:
        page = guard.new_page()
        open_page(page, playground, "fr", "#saillance")
        labels = page.eval_on_selector_all("label.tp8-choice", "els => els.map((e) => e.textContent.trim())")
        assert labels == ["Carte de saillance", "Image trompeuse", "Visualisation de classe"], labels
        assert page.inner_text(".tp8-stop") == "Arrêter"
        assert page.locator(".tp8-progress").get_attribute("aria-label") == "Avancement du calcul"
        seen = [panel_text(page)]
        text = upload(page, tmp_path, "notes.txt", b"Pas une image.\n")
        assert text.startswith("Le fichier « notes.txt » n'est pas une image") and "choisissez une photo" in text, text
        seen.append(text)
        choose_course_photo(page)
        page.fill("#tp8-class", "goldfsh")
        page.locator(".tp8-run").click()
        message = page.inner_text(".tp8-message")
        assert "n'existe pas" in message and "Vouliez-vous dire : « goldfish »" in message, message
        seen.append(message)
        run_technique(page, "saillance", "")
        status = page.inner_text(".tp8-status")
        assert re.fullmatch(r"Carte de « [^»]+ » calculée en \d+,\d s\.", status), status
        assert alts(page)[0] == "Photo analysée : Chelsea, une chatte tigrée"
        assert re.match(r"Carte de saillance de la classe « [^»]+ » \(probabilité \d+(,\d)?\s%\)", alts(page)[1]), alts(
            page
        )
        assert page.locator(".tp8-results a[download]").get_attribute("download").startswith("saillance-")
        seen.append(panel_text(page))
        english_words = sorted(words(seen) & tables["only"]["en"])
        assert not english_words, f"English words in the French panel: {english_words}\n{seen}"
        assert not guard.problems(), "\n".join(guard.problems())
    finally:
        guard.close()


def test_the_page_values_have_an_english_form(playground, tables):  # noqa: F811  (skips without the weights)
    """``[[tp8:…]]`` in the page: ``site_playground.placeholders(…, lang="en")`` writes English numbers
    and sentences (the English edition's hook picks it from ``theme.language``)."""
    import json
    import sys

    import sitekit

    sys.path.insert(0, str(sitekit.ROOT / "tools"))
    import site_playground

    root = site_playground.ensure_export(sitekit.ROOT / ".cache")
    manifest = json.loads((root / site_playground.SITE_DIR / site_playground.MANIFEST).read_text(encoding="utf-8"))
    tfjs = {"tf.es2017.min.js": 1_400_000, "tf-backend-wasm.es2017.min.js": 100_000}
    fr = site_playground.placeholders(manifest, tfjs)
    en = site_playground.placeholders(manifest, tfjs, "en")
    assert fr.keys() == en.keys() and fr["provenance"] == manifest["summary"]
    for key in ("weights_mb", "tfjs_mb", "wasm_mb", "download_mb"):
        assert re.fullmatch(r"\d+,\d", fr[key]) and en[key] == fr[key].replace(",", "."), (fr[key], en[key])
    assert en["weights_dtype"] in ("float16", "float32", "float16, and float32 for the first three layers")
    assert "visualization" in en["defaults"] and "fooling image" in en["defaults"]
    assert not re.search(r"\d,\d", en["defaults"] + en["provenance"])
    assert manifest["provenance"] in fr["provenance"] and manifest["provenanceEn"] in en["provenance"]
    french = words(["et pas pour poids exportés couches premières plus flou des du de les"])
    assert words(fr.values()) >= {"et", "pas", "pour", "poids"}
    english = {w for w in words(re.sub(r"[0-9a-f]{12}", "", text) for text in en.values()) if len(w) > 1}
    assert not english & (french | tables["only"]["fr"]), english & (french | tables["only"]["fr"])
