"""The "Essayer" page's speed: tp8's techniques in headless Chromium (TensorFlow.js) against PyTorch.

Run ``python benchmarks/bench_browser.py`` with TP8_WEIGHTS_DIR holding squeezenet1_1.pth. It builds
the small site of ``tools/site_playground.py harness`` (the "Essayer" page, its scripts, the exported
network and the vendored TensorFlow.js; ``--site site/`` uses a built site instead), serves it on
127.0.0.1 and drives Debian's Chromium (``TP8_CHROMIUM``) through Playwright. For each TensorFlow.js
backend that starts in headless Chromium on this machine (WebAssembly; the plain JavaScript CPU
backend; WebGL, which without a graphics processor is Chromium's software renderer SwiftShader), in
the same run as PyTorch with 2 threads:

* one forward+backward pass of SqueezeNet 1.1 on a 224 × 224 image (the gradient of one class score
  with respect to the pixels): browser / torch, goal ≤ 3×;
* what a reader waits for, the network already loaded: a saliency map (goal ≤ 2 s), a fooling image
  (chelsea → goldfish, steps until fooled) and 100 class-visualisation steps, beside tp8's own times;
* the time to load TensorFlow.js and the weights, and the bytes transferred when the panel opens
  (as served here, uncompressed; gzip, as GitHub Pages serves text and WebAssembly, in brackets).

The slow backends (CPU, software WebGL) run a few class-visualisation steps and the figure for 100
is extrapolated (marked ≈); ``--full`` runs them all. Times are the best of ``--repeat`` runs where
a run is short, a single run otherwise; the machine is shared, so the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import torch

import tp8

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import site_playground  # noqa: E402
from bench_techniques import best_of  # noqa: E402  (benchmarks/ is the script's folder)
from site_server import serving  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


# --- the browser side --------------------------------------------------------------------------------

LOAD_JS = """
async (backend) => {
  const t0 = performance.now();
  window.__tp8 = await import(new URL("../javascripts/tp8-browser.js", location.href).href);
  window.__net = await window.__tp8.loadNetwork({ backend });
  return { ms: performance.now() - t0, backend: window.__net.backend, label: window.__net.backendLabel };
}
"""

PASS_JS = """
async (repeat) => {
  const net = window.__net, tf = net.tf;
  const x = tf.randomUniform([1, 224, 224, 3], 0, 1, "float32", 0);
  const times = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const { logits, grad } = net.scoreGradient(x, 3);
    await grad.data();
    times.push(performance.now() - t0);
    logits.dispose();
    grad.dispose();
  }
  x.dispose();
  return Math.min(...times);
}
"""

TECHNIQUES_JS = """
async ([repeat, vizSteps]) => {
  const tp8 = window.__tp8, net = window.__net;
  const { image } = await tp8.loadImage(net.info.photos.find((p) => p.name === "chelsea").frame);
  const saliency = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await tp8.saliencyMap(net, image);
    saliency.push(performance.now() - t0);
  }
  let t0 = performance.now();
  const fooled = await tp8.foolingImage(net, image, "goldfish");
  const fooling = performance.now() - t0;
  t0 = performance.now();
  const viz = await tp8.classVisualization(net, "flamingo", { numIterations: vizSteps });
  const visualisation = performance.now() - t0;
  return { saliency: Math.min(...saliency), fooling, steps: fooled.iterations, success: fooled.success,
           visualisation, vizSteps, p: viz.probability };
}
"""


def open_panel_bytes(browser, url: str) -> tuple[dict[str, int], float]:
    """Bytes (by file) fetched from a click on "Ouvrir le panneau" until the panel is ready."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "essayer/", wait_until="load")
    page.wait_for_timeout(500)
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    t0 = time.perf_counter()
    page.locator("#tp8-playground .tp8-open").first.click()
    page.wait_for_selector("#tp8-playground[data-tp8-ready]", timeout=300_000)
    seconds = time.perf_counter() - t0
    page.wait_for_timeout(500)
    sizes = {}
    for request in responses:
        if urlsplit(request.url).scheme not in ("http", "https"):
            continue
        sizes[request.url] = request.sizes()["responseBodySize"]
    context.close()
    return sizes, seconds


def gzip_size(site: Path, url: str, base: str) -> int:
    path = site / url[len(base) :]
    data = path.read_bytes()
    if path.suffix in (".png", ".jpg", ".bin"):
        return len(data)  # already compressed, or served as is
    return len(gzip.compress(data, 6))


# --- the PyTorch side ----------------------------------------------------------------------------------

_X = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))


def torch_pass_once(model) -> torch.Tensor:
    """One forward+backward pass: the gradient of one class score with respect to the pixels."""
    leaf = _X.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(leaf)[0, 3], leaf)
    return g


def torch_figures(model, repeat: int) -> dict[str, float]:
    photo = tp8.images.quantize(tp8.sample_images(["chelsea"])[0].image)[None]
    out = {"pass": best_of(functools.partial(torch_pass_once, model), repeat)}
    out["saliency"] = best_of(lambda: tp8.saliency_map(model, photo), repeat)
    t0 = time.perf_counter()
    fooled = tp8.fooling_image(model, photo, "goldfish", progress=False)
    out["fooling"] = time.perf_counter() - t0
    out["steps"] = int(fooled.iterations[0])
    t0 = time.perf_counter()
    tp8.class_visualization(model, "flamingo", num_iterations=100, progress=False)
    out["visualisation"] = time.perf_counter() - t0
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build the small harness site)")
    parser.add_argument("--backends", default="wasm,cpu,webgl", help="TensorFlow.js backends to time, in order")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow-steps", type=int, default=5, help="class-visualisation steps on the slow backends")
    parser.add_argument("--full", action="store_true", help="100 class-visualisation steps on every backend")
    args = parser.parse_args()
    if not os.environ.get("TP8_WEIGHTS_DIR"):
        print("set TP8_WEIGHTS_DIR to a folder holding squeezenet1_1.pth", file=sys.stderr)
        return 2
    torch.set_num_threads(2)
    if args.site:
        site = args.site.resolve()
    else:
        print("building the small site (tools/site_playground.py harness)…", flush=True)
        site = site_playground.build_harness(Path(tempfile.mkdtemp(prefix="tp8-bench-")))
    with serving(site) as url:  # at the path of the site's public address, as published
        return run(args, site, url)


def run(args, site: Path, url: str) -> int:
    """Time every backend of ``args.backends`` on the site served at ``url``, beside PyTorch; print the table."""
    from playwright.sync_api import sync_playwright

    model = tp8.load_model("squeezenet1_1", progress=False)
    for _ in range(3):  # oneDNN's first passes are several times slower
        torch_pass_once(model)
    chromium = os.environ.get("TP8_CHROMIUM", "/usr/bin/chromium")
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        print(f"Chromium {browser.version}, {os.cpu_count()} CPU(s); torch {torch.__version__}, 2 threads", flush=True)
        sizes, open_seconds = open_panel_bytes(browser, url)
        for backend in args.backends.split(","):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + "essayer/", wait_until="load")
            try:
                loaded = page.evaluate(LOAD_JS, backend)
            except Exception as exc:  # a backend that does not start here
                print(f"{backend}: does not start ({str(exc).splitlines()[0][:160]})", flush=True)
                context.close()
                continue
            slow = loaded["backend"] != "wasm" and not args.full
            repeat = 2 if slow else args.repeat
            browser_pass = page.evaluate(PASS_JS, repeat) / 1000
            torch_pass = best_of(functools.partial(torch_pass_once, model), args.repeat)  # same run, same minute
            steps = args.slow_steps if slow else 100
            techniques = page.evaluate(TECHNIQUES_JS, [1 if slow else 3, steps])
            context.close()
            rows.append((loaded, browser_pass, torch_pass, techniques, steps))
            print(f"{loaded['label']}: done", flush=True)
        browser.close()
    reference = torch_figures(model, args.repeat)

    print()
    for r in rows:
        if " : " in r[0]["label"]:
            print(f"{r[0]['backend']}: {r[0]['label']}")
    print("| | " + " | ".join(r[0]["label"].split(" : ")[0] for r in rows) + " | PyTorch (tp8, 2 threads) |")
    print("|---" * (len(rows) + 2) + "|")
    print(
        "| weights loaded (TensorFlow.js, network) | "
        + " | ".join(f"{r[0]['ms'] / 1000:.2f} s" for r in rows)
        + " | — |"
    )
    print(
        "| one forward+backward pass | "
        + " | ".join(f"{r[1] * 1000:.0f} ms ({r[1] / r[2]:.1f}× torch's {r[2] * 1000:.0f} ms)" for r in rows)
        + f" | {reference['pass'] * 1000:.0f} ms |"
    )
    print(
        "| saliency map | "
        + " | ".join(f"{r[3]['saliency'] / 1000:.2f} s" for r in rows)
        + f" | {reference['saliency']:.2f} s |"
    )
    print(
        "| fooling image (chelsea → goldfish) | "
        + " | ".join(f"{r[3]['fooling'] / 1000:.1f} s ({r[3]['steps']} steps)" for r in rows)
        + f" | {reference['fooling']:.1f} s ({reference['steps']} steps) |"
    )
    cells = []
    for r in rows:
        seconds = r[3]["visualisation"] / 1000 * 100 / r[4]
        cells.append(
            f"{'≈ ' if r[4] != 100 else ''}{seconds:.1f} s" + (f" (p = {r[3]['p']:.2f})" if r[4] == 100 else "")
        )
    print("| 100 class-visualisation steps | " + " | ".join(cells) + f" | {reference['visualisation']:.1f} s |")
    total = sum(sizes.values())
    zipped = sum(gzip_size(site, u, url) for u in sizes)
    print()
    print(
        f"Opening the panel (default backend): {open_seconds:.1f} s, {len(sizes)} requests, {total / 1e6:.2f} MB "
        f"as served here ({zipped / 1e6:.2f} MB gzipped):"
    )
    for u, n in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  {n / 1e6:7.3f} MB  {u[len(url) - 1 :]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
