/**
 * tp8-browser.js — the course's three techniques in the reader's browser, with TensorFlow.js.
 *
 * One plain ES module (no framework, no build step), served by the site at
 * `javascripts/tp8-browser.js`. It runs SqueezeNet 1.1 — the weights the pages use, exported at build
 * time by `tools/site_playground.py` into `essayer/reseau/` (where: `SITE_LAYOUT`, below, the one
 * place the site's layout is written) — and the lab's three techniques with the same maths and the
 * same defaults as the Python library `tp8`:
 *
 *   import * as tp8 from "./tp8-browser.js";
 *   const net = await tp8.loadNetwork({ onProgress: (p) => console.log(p.message) });
 *   const { image } = await tp8.loadImage(file);          // tp8.load_image: short side 256, centre 224
 *   const top = await tp8.topK(net, image, 5);            // [{ index, name, probability, logit }, …]
 *   const sal = await tp8.saliencyMap(net, image);        // |∂ỹ_c/∂x| maxed over RGB (Simonyan 2014)
 *   const fool = await tp8.foolingImage(net, image, "goldfish", { signal });  // x ← x + η g/‖g‖₂
 *   const dream = await tp8.classVisualization(net, "flamingo", { onProgress });  // eqs. 3–4, jitter, blur
 *
 * Conventions (those of `tp8`):
 * - an image is an `ImageData` (8-bit RGBA; alpha ignored) or a `tf.Tensor` of RGB pixels in [0, 1],
 *   shaped `[H, W, 3]` or `[N, H, W, 3]` (TensorFlow's channels-last order); the network normalises
 *   its input itself (ImageNet mean and standard deviation), so every gradient is in pixel space;
 * - `loadImage` applies `tp8.load_image`'s transform (resize the short side to 256 with an antialiased
 *   bilinear filter, centre-crop 224); the techniques take the network's input as it is;
 * - a class is a name (case-insensitive, `_` as a space) or an index; an unknown name throws a
 *   `Tp8Error` whose message lists the names `tp8` suggests (difflib's, ported step for step);
 * - a difference of images is shown at its true scale or magnified by a factor the caller states
 *   (`amplifiedDifference` returns it with the image), as `tp8.plot_attack` does;
 * - `net.info` says what the network is and what it needs (versions, weights, files): a page shows
 *   that, never TensorFlow.js's internals;
 * - every sentence for the reader is in `MESSAGES`, in French and in English, chosen by the page's
 *   `<html lang>` (or `setLanguage`).
 *
 * Every long function takes `onProgress` (called after each step, with `{ step, total, … }`) and
 * `signal` (an `AbortSignal`: `controller.abort()` stops it between two steps with an `AbortError`).
 * Nothing is sent anywhere: the weights, TensorFlow.js and the photos come from the site, and the
 * computation runs in the page.
 *
 * Backends: WebGL on a real graphics processor, else WebAssembly (SIMD when the browser has it),
 * else TensorFlow.js's plain JavaScript CPU backend. A software WebGL (SwiftShader, llvmpipe: what a
 * machine without a GPU offers) is skipped, being several times slower than WebAssembly; pass
 * `backend: "webgl"` to force it.
 *
 * Speed: the input gradient of each convolution is computed as a forward convolution with the flipped,
 * transposed filter (TensorFlow.js's own `Conv2DBackpropInput` is a plain loop in WebAssembly, about 8×
 * slower); the result is the same up to float32 rounding. Agreement: the forward pass of a gradient is
 * the fused kernel of the predictions (see `buildConv`), and the max-poolings send their gradient to
 * the first maximum of each window, as PyTorch does. Measured on 298 ImageNet photos the course
 * never uses, the maps correlate with `tp8`'s at 0.9998 or more; with those of `tp8` running the
 * exported weights themselves, at 0.99993 or more: most of the gap is the float16 storage of the
 * later layers' weights (see `tools/site_playground.py`), the rest float32 rounding.
 */

/**
 * The site's layout: where the build serves what this module loads, relative to the site's root.
 * This object is the one place it is written: `tools/site_layout.py` reads it (strict JSON between
 * the two markers) for the build, which exports the network into `network` and TensorFlow.js into
 * `tfjs`, and serves this module at `module`.
 */
export const SITE_LAYOUT = Object.freeze(
  // tp8-site-layout:begin
  {
    "module": "javascripts/tp8-browser.js",
    "network": "essayer/reseau/",
    "manifest": "manifest.json",
    "vendor": "assets/vendor/",
    "tfjs": "assets/vendor/tfjs/"
  }
  // tp8-site-layout:end
);

/** The site's root, found from this module's own address and its place in the layout. */
export const SITE_ROOT = new URL("../".repeat(SITE_LAYOUT.module.split("/").length - 1) || "./", import.meta.url).href;
/** Where the build puts the network's manifest (beside the "Essayer" page). */
export const DEFAULT_MANIFEST_URL = new URL(SITE_LAYOUT.network + SITE_LAYOUT.manifest, SITE_ROOT).href;
/** Where the build puts TensorFlow.js (vendored from npm by `tools/site_assets.py`). */
export const DEFAULT_TFJS_URL = new URL(SITE_LAYOUT.tfjs, SITE_ROOT).href;
/** The version of `manifest.json` this module reads (`tools/site_playground.py`'s `FORMAT`). */
export const MANIFEST_FORMAT = 2;
/** The backends tried, in order. */
export const BACKENDS = ["webgl", "wasm", "cpu"];
/** Smallest side (pixels) of an image the techniques accept, and largest photo `loadImage` decodes. */
export const MIN_SIDE = 32;
export const MAX_PIXELS = 100e6;

// --- the reader's language ------------------------------------------------------------------------

/**
 * Every sentence this module shows a reader (errors, progress, the backends' names), by language.
 * An entry is a string or a function of the values it states; both languages have the same keys.
 */
export const MESSAGES = {
  fr: {
    locale: "fr-FR",
    aborted: "Calcul arrêté.",
    scriptFailed: (file) => `Impossible de charger ${file} : vérifiez la connexion, puis rechargez la page.`,
    backendWebgl: "WebGL (processeur graphique)",
    backendWasm: "WebAssembly",
    backendCpu: "JavaScript (processeur, sans accélération : lent)",
    wasmDetails: (simd, threads) => ` (${simd ? "SIMD" : "sans SIMD"}, ${threads ? "plusieurs fils" : "un fil"})`,
    webglRenderer: (renderer) => ` : ${renderer}`,
    loadingTfjs: "Chargement de TensorFlow.js…",
    loadingWasm: "Chargement de WebAssembly…",
    webglMissing: "webgl : indisponible",
    webglSoftware: (renderer) => `webgl : rendu logiciel (${renderer}), plus lent que WebAssembly`,
    backendFailed: (name, why) => `${name} : ${why}`,
    noBackend: (failures) => `Aucun moteur de calcul ne fonctionne dans ce navigateur (${failures.join(" ; ")}) : essayez-en un autre.`,
    weightsUnreachable: "Impossible de télécharger les poids du réseau : vérifiez la connexion, puis rechargez la page.",
    weightsMissing: (status) => `Les poids du réseau sont introuvables (HTTP ${status}) : rechargez la page.`,
    weightsTooLong: "Le fichier des poids n'a pas la taille annoncée : rechargez la page.",
    weightsIncomplete: "Le fichier des poids est incomplet : rechargez la page.",
    readingManifest: "Lecture de la description du réseau…",
    manifestMissing: (why) => `La description du réseau est introuvable (${why}) : rechargez la page.`,
    unknownFormat: "Format de réseau inconnu : rechargez la page.",
    weightsProgress: (loaded, total) => `Poids du réseau : ${loaded} / ${total} Mo`,
    building: "Construction du réseau…",
    unknownDtype: (dtype) => `Type de poids inconnu : ${dtype}.`,
    ready: (label) => `Réseau prêt (${label}).`,
    unknownLayer: (op) => `Couche inconnue dans la description du réseau : ${op}.`,
    unsupportedConv: (what) => `Convolution non prise en charge : ${what}.`,
    classOutOfRange: (index, last) => `Le numéro de classe ${index} n'existe pas : il va de 0 à ${last}.`,
    noClass: "Donnez le nom d'une classe (par exemple « goldfish »).",
    ambiguousClass: (name, hits) => `« ${name} » désigne plusieurs classes (${hits.join(", ")}) : tapez le numéro de celle que vous voulez.`,
    unknownClass: (name, count, close) =>
      `La classe « ${name} » n'existe pas parmi les ${count} classes d'ImageNet (en anglais).` +
      (close.length ? ` Vouliez-vous dire : ${close.map((c) => `« ${c} »`).join(", ")} ?` : " Choisissez un nom dans la liste des suggestions."),
    badTensorShape: (shape) => `Une image est un tenseur [H, W, 3] ou [N, H, W, 3], pas ${shape}.`,
    badChannels: (channels) => `Une image a 3 canaux (RVB) en dernier axe, pas ${channels}.`,
    badRange: (lo, hi) => `Les pixels doivent être dans [0, 1] (ici entre ${lo} et ${hi}).`,
    notAnImageValue: "Une image est un ImageData ou un tenseur TensorFlow.js de pixels dans [0, 1].",
    tensorTooSmall: (w, h, min) => `L'image fait ${w} × ${h} pixels : il en faut au moins ${min} de côté.`,
    emptyFile: "Ce fichier est vide : choisissez une photo (JPEG, PNG, WebP…).",
    undecodable: (name, type) =>
      `Le navigateur ne sait pas décoder l'image ${name ? `« ${name} » ` : ""}(${type}) : elle est peut-être endommagée, ou trop grande. Choisissez-en une autre.`,
    notAnImageFile: (name) =>
      `Le fichier ${name ? `« ${name} » ` : ""}n'est pas une image que le navigateur sait lire : choisissez une photo (JPEG, PNG, WebP…).`,
    imageMissing: (status) => `Image introuvable (HTTP ${status}) : rechargez la page.`,
    imageNotLoaded: "Cette image n'est pas (encore) chargée.",
    photoTooSmall: (w, h, min) =>
      `Cette image ne fait que ${w} × ${h} pixel${w * h > 1 ? "s" : ""} : il en faut au moins ${min} de côté pour que le réseau y voie quelque chose. Choisissez-en une plus grande.`,
    photoTooLarge: (megapixels, max) =>
      `Cette photo fait ${megapixels} mégapixels : c'est trop pour le navigateur (au plus ${max}). Réduisez-la d'abord.`,
    oneImage: (fn) => `${fn} prend une image à la fois.`,
    badStep: (lr) => `Le pas η doit être positif (${lr} par défaut).`,
    badIterations: "Le nombre d'itérations doit être un entier ≥ 0.",
    badSettings: "Réglages invalides : λ ≥ 0, η > 0 et au moins une itération.",
    badImageSize: (min) => `La taille d'image doit être un entier ≥ ${min}.`,
    jitterTooLarge: (jitter, side) => `Le décalage maximal (${jitter}) dépasse le côté de l'image (${side}).`,
    badFactor: "Le facteur d'amplification doit être un nombre positif.",
    differentSizes: (a, b) => `Les deux images n'ont pas la même taille (${a} et ${b}).`,
  },
  en: {
    locale: "en-US",
    aborted: "Computation stopped.",
    scriptFailed: (file) => `Could not load ${file}: check the connection, then reload the page.`,
    backendWebgl: "WebGL (graphics processor)",
    backendWasm: "WebAssembly",
    backendCpu: "JavaScript (processor, no acceleration: slow)",
    wasmDetails: (simd, threads) => ` (${simd ? "SIMD" : "no SIMD"}, ${threads ? "several threads" : "one thread"})`,
    webglRenderer: (renderer) => `: ${renderer}`,
    loadingTfjs: "Loading TensorFlow.js…",
    loadingWasm: "Loading WebAssembly…",
    webglMissing: "webgl: unavailable",
    webglSoftware: (renderer) => `webgl: software rendering (${renderer}), slower than WebAssembly`,
    backendFailed: (name, why) => `${name}: ${why}`,
    noBackend: (failures) => `No computing engine works in this browser (${failures.join("; ")}): try another browser.`,
    weightsUnreachable: "Could not download the network's weights: check the connection, then reload the page.",
    weightsMissing: (status) => `The network's weights were not found (HTTP ${status}): reload the page.`,
    weightsTooLong: "The weights file is not the announced size: reload the page.",
    weightsIncomplete: "The weights file is incomplete: reload the page.",
    readingManifest: "Reading the network's description…",
    manifestMissing: (why) => `The network's description was not found (${why}): reload the page.`,
    unknownFormat: "Unknown network format: reload the page.",
    weightsProgress: (loaded, total) => `Network weights: ${loaded} / ${total} MB`,
    building: "Building the network…",
    unknownDtype: (dtype) => `Unknown weight type: ${dtype}.`,
    ready: (label) => `Network ready (${label}).`,
    unknownLayer: (op) => `Unknown layer in the network's description: ${op}.`,
    unsupportedConv: (what) => `Unsupported convolution: ${what}.`,
    classOutOfRange: (index, last) => `There is no class number ${index}: they go from 0 to ${last}.`,
    noClass: "Give the name of a class (for example “goldfish”).",
    ambiguousClass: (name, hits) => `“${name}” names several classes (${hits.join(", ")}): type the number of the one you want.`,
    unknownClass: (name, count, close) =>
      `There is no class “${name}” among ImageNet's ${count} classes.` +
      (close.length ? ` Did you mean: ${close.map((c) => `“${c}”`).join(", ")}?` : " Choose a name from the list of suggestions."),
    badTensorShape: (shape) => `An image is a tensor [H, W, 3] or [N, H, W, 3], not ${shape}.`,
    badChannels: (channels) => `An image has 3 channels (RGB) on its last axis, not ${channels}.`,
    badRange: (lo, hi) => `Pixels must lie in [0, 1] (here between ${lo} and ${hi}).`,
    notAnImageValue: "An image is an ImageData or a TensorFlow.js tensor of pixels in [0, 1].",
    tensorTooSmall: (w, h, min) => `The image is ${w} × ${h} pixels: it needs at least ${min} on each side.`,
    emptyFile: "This file is empty: choose a photo (JPEG, PNG, WebP…).",
    undecodable: (name, type) =>
      `The browser cannot decode the image ${name ? `“${name}” ` : ""}(${type}): it may be damaged, or too large. Choose another one.`,
    notAnImageFile: (name) =>
      `The file ${name ? `“${name}” ` : ""}is not an image the browser can read: choose a photo (JPEG, PNG, WebP…).`,
    imageMissing: (status) => `Image not found (HTTP ${status}): reload the page.`,
    imageNotLoaded: "This image is not loaded (yet).",
    photoTooSmall: (w, h, min) =>
      `This image is only ${w} × ${h} pixel${w * h > 1 ? "s" : ""}: the network needs at least ${min} on each side to see anything in it. Choose a larger one.`,
    photoTooLarge: (megapixels, max) =>
      `This photo has ${megapixels} megapixels: too many for the browser (${max} at most). Reduce it first.`,
    oneImage: (fn) => `${fn} takes one image at a time.`,
    badStep: (lr) => `The step η must be positive (${lr} by default).`,
    badIterations: "The number of iterations must be an integer ≥ 0.",
    badSettings: "Invalid settings: λ ≥ 0, η > 0 and at least one iteration.",
    badImageSize: (min) => `The image size must be an integer ≥ ${min}.`,
    jitterTooLarge: (jitter, side) => `The largest shift (${jitter}) exceeds the image's side (${side}).`,
    badFactor: "The magnification factor must be a positive number.",
    differentSizes: (a, b) => `The two images are not the same size (${a} and ${b}).`,
  },
};

let chosenLanguage = null;

function languageOf(code) {
  const base = String(code || "").trim().toLowerCase().split(/[-_]/)[0];
  return Object.prototype.hasOwnProperty.call(MESSAGES, base) ? base : "fr";
}

/**
 * The language of this module's messages: the one `setLanguage` chose, else the page's
 * (`<html lang>`), else French. Read at each message, so a page of the other language gets its own.
 */
export function language() {
  if (chosenLanguage) return chosenLanguage;
  return languageOf(globalThis.document && globalThis.document.documentElement && globalThis.document.documentElement.lang);
}

/** Choose the language of the messages (`"fr"`, `"en"`); `null` goes back to the page's. */
export function setLanguage(code) {
  chosenLanguage = code === null || code === undefined ? null : languageOf(code);
  return language();
}

/** The message `key` in the current language, with its values. */
function say(key, ...values) {
  const entry = MESSAGES[language()][key];
  return typeof entry === "function" ? entry(...values) : entry;
}

/** A number in the current language's style (`1,5` or `1.5`). */
function formatNumber(value, digits = 1) {
  return new Intl.NumberFormat(say("locale"), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/** An error the reader can act on; `message` is in the page's language, `code` says what went wrong. */
export class Tp8Error extends Error {
  constructor(message, code = "error", details = undefined) {
    super(message);
    this.name = "Tp8Error";
    this.code = code;
    this.details = details;
  }
}

/** True for the error a cancelled run throws. */
export function isAbortError(error) {
  return !!error && (error.name === "AbortError" || error.code === "aborted");
}

function abortError() {
  const error = new Error(say("aborted"));
  error.name = "AbortError";
  error.code = "aborted";
  return error;
}

function checkAborted(signal) {
  if (signal && signal.aborted) throw abortError();
}

/** Let the page repaint and handle clicks (e.g. "Arrêter") between two steps. */
function nextTick() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function report(onProgress, info) {
  if (typeof onProgress === "function") onProgress(info);
}

// --- TensorFlow.js and its backend ---------------------------------------------------------------

const scripts = new Map();

function loadScript(url) {
  if (!scripts.has(url)) {
    scripts.set(
      url,
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = url;
        script.async = true;
        script.onload = () => resolve();
        script.onerror = () => {
          scripts.delete(url);
          reject(new Tp8Error(say("scriptFailed", url.split("/").pop()), "network"));
        };
        document.head.appendChild(script);
      }),
    );
  }
  return scripts.get(url);
}

/** The WebGL renderer's name, and whether it is a software one (no graphics processor). */
export function webglRenderer() {
  try {
    const canvas = document.createElement("canvas");
    const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
    if (!gl) return null;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) || "");
    const lose = gl.getExtension("WEBGL_lose_context");
    if (lose) lose.loseContext();
    return { name, software: /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i.test(name) };
  } catch (error) {
    return null;
  }
}

const BACKEND_LABELS = { webgl: "backendWebgl", wasm: "backendWasm", cpu: "backendCpu" };

/** A started backend in words, in the current language: "WebAssembly (SIMD, un fil)". */
function describeBackend({ backend, simd, threads, renderer }) {
  let label = say(BACKEND_LABELS[backend]);
  if (backend === "wasm") label += say("wasmDetails", simd, threads);
  if (backend === "webgl" && renderer) label += say("webglRenderer", renderer);
  return label;
}

let tfState = null;

/**
 * Load TensorFlow.js (once per page) and start the first backend that works.
 *
 * @param {object} [options]
 * @param {string} [options.tfjsUrl] folder of the vendored TensorFlow.js (default: the site's).
 * @param {string|string[]} [options.backend] one backend or the order to try (default `BACKENDS`).
 * @param {(p: object) => void} [options.onProgress] called with `{ phase, message }`.
 * @returns {Promise<{ tf: object, backend: string, renderer: string|null, simd: boolean, threads: boolean,
 *   failures: string[], files: string[], version: string }>} `failures`: why the backends before it
 *   were skipped; `files`: the addresses of the scripts and binaries it needed.
 */
export async function loadTensorFlow(options = {}) {
  const tfjsUrl = options.tfjsUrl || DEFAULT_TFJS_URL;
  const wanted = options.backend ? [].concat(options.backend) : BACKENDS;
  const key = `${tfjsUrl}|${wanted.join(",")}`;
  if (tfState && tfState.key === key) return tfState.promise;
  const promise = (async () => {
    report(options.onProgress, { phase: "tfjs", message: say("loadingTfjs") });
    const files = [new URL("tf.es2017.min.js", tfjsUrl).href];
    if (!globalThis.tf || !globalThis.tf.version_core) await loadScript(files[0]);
    const tf = globalThis.tf;
    const forced = options.backend !== undefined && wanted.length === 1;
    const failures = [];
    for (const name of wanted) {
      let renderer = null;
      if (name === "webgl") {
        const found = webglRenderer();
        if (!found) {
          failures.push(say("webglMissing"));
          continue;
        }
        renderer = found.name;
        if (found.software && !forced) {
          failures.push(say("webglSoftware", found.name));
          continue;
        }
      }
      if (name === "wasm") {
        report(options.onProgress, { phase: "backend", message: say("loadingWasm") });
        try {
          if (!tf.wasm) await loadScript(new URL("tf-backend-wasm.es2017.min.js", tfjsUrl).href);
          if (!tfState || !tfState.wasmPaths) tf.wasm.setWasmPaths(tfjsUrl);
        } catch (error) {
          failures.push(say("backendFailed", "wasm", error.message));
          continue;
        }
      }
      let ok = false;
      try {
        ok = await tf.setBackend(name);
        if (ok) {
          await tf.ready();
          const probe = tf.tidy(() => tf.conv2d(tf.ones([1, 4, 4, 1]), tf.ones([3, 3, 1, 1]), 1, "valid").sum());
          ok = (await probe.data())[0] === 36;
          probe.dispose();
        }
      } catch (error) {
        failures.push(say("backendFailed", name, error.message));
        ok = false;
      }
      if (!ok) continue;
      const simd = name === "wasm" && !!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
      const threads = name === "wasm" && !!(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) && !!globalThis.crossOriginIsolated;
      if (name === "wasm") {
        const binary = threads ? "tfjs-backend-wasm-threaded-simd.wasm" : simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm";
        files.push(new URL("tf-backend-wasm.es2017.min.js", tfjsUrl).href, new URL(binary, tfjsUrl).href);
      }
      return { tf, backend: name, renderer, simd, threads, failures, files, version: tf.version_core };
    }
    throw new Tp8Error(say("noBackend", failures), "no-backend", failures);
  })();
  tfState = { key, promise, wasmPaths: tfState && tfState.wasmPaths };
  promise.then(
    () => {
      tfState.wasmPaths = true;
    },
    () => {
      if (tfState && tfState.promise === promise) tfState = null;
    },
  );
  return promise;
}

// --- the weights -------------------------------------------------------------------------------------

let halfTable = null;

/** IEEE 754 half-precision bits → float32 values. */
function halfToFloat(bits) {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exponent = (h >> 10) & 0x1f;
      const fraction = h & 0x3ff;
      let value;
      if (exponent === 0) value = fraction * 2 ** -24;
      else if (exponent === 31) value = fraction ? NaN : Infinity;
      else value = (1 + fraction / 1024) * 2 ** (exponent - 15);
      halfTable[h] = sign * value;
    }
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfTable[bits[i]];
  return out;
}

async function fetchBytes(url, expected, signal, onChunk) {
  let response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (isAbortError(error)) throw abortError();
    throw new Tp8Error(say("weightsUnreachable"), "network");
  }
  if (!response.ok) throw new Tp8Error(say("weightsMissing", response.status), "network");
  if (!response.body || !response.body.getReader) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const out = new Uint8Array(expected);
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > out.length) throw new Tp8Error(say("weightsTooLong"), "corrupt");
    out.set(value, loaded);
    loaded += value.length;
    onChunk(loaded);
  }
  if (loaded !== expected) throw new Tp8Error(say("weightsIncomplete"), "corrupt");
  return out;
}

const networks = new Map();

/**
 * Load TensorFlow.js, the network's manifest and its weights; build SqueezeNet 1.1.
 *
 * The result is cached per manifest and backend: a second call (or a visit back to the page) costs
 * nothing.
 *
 * @param {object} [options]
 * @param {string} [options.manifestUrl] the build's `manifest.json` (default: the site's).
 * @param {string} [options.tfjsUrl] folder of TensorFlow.js (default: the site's).
 * @param {string|string[]} [options.backend] a backend (`"webgl"`, `"wasm"`, `"cpu"`) or an order.
 * @param {(p: {phase: string, message: string, loaded?: number, total?: number}) => void} [options.onProgress]
 * @param {AbortSignal} [options.signal]
 * @returns {Promise<Network>}
 */
export async function loadNetwork(options = {}) {
  const manifestUrl = new URL(options.manifestUrl || DEFAULT_MANIFEST_URL, document.baseURI).href;
  const key = `${manifestUrl}|${[].concat(options.backend || BACKENDS).join(",")}`;
  if (!networks.has(key)) {
    const promise = buildNetwork(manifestUrl, options);
    networks.set(key, promise);
    promise.catch(() => networks.delete(key));
  }
  const network = await networks.get(key);
  checkAborted(options.signal);
  return network;
}

async function buildNetwork(manifestUrl, options) {
  const { onProgress, signal } = options;
  const engine = await loadTensorFlow(options);
  checkAborted(signal);
  report(onProgress, { phase: "manifest", message: say("readingManifest") });
  let manifest;
  try {
    const response = await fetch(manifestUrl, { signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    manifest = await response.json();
  } catch (error) {
    if (isAbortError(error)) throw abortError();
    throw new Tp8Error(say("manifestMissing", error.message), "network");
  }
  if (manifest.format !== MANIFEST_FORMAT) throw new Tp8Error(say("unknownFormat"), "format");
  const weights = manifest.weights;
  const total = weights.byteLength;
  const bytes = await fetchBytes(new URL(weights.file, manifestUrl).href, total, signal, (loaded) =>
    report(onProgress, {
      phase: "weights",
      loaded,
      total,
      message: say("weightsProgress", formatNumber(loaded / 1e6), formatNumber(total / 1e6)),
    }),
  );
  checkAborted(signal);
  report(onProgress, { phase: "build", message: say("building") });
  const tf = engine.tf;
  const tensors = {};
  for (const entry of manifest.tensors) {
    let values;
    if (entry.dtype === "float16") values = halfToFloat(new Uint16Array(bytes.buffer, entry.offset, entry.length));
    else if (entry.dtype === "float32") values = new Float32Array(bytes.buffer.slice(entry.offset, entry.offset + 4 * entry.length));
    else throw new Tp8Error(say("unknownDtype", entry.dtype), "format");
    tensors[entry.name] = tf.tensor(values, entry.shape, "float32");
  }
  const network = new Network(engine, manifest, tensors, manifestUrl);
  // One warm-up forward+backward pass: shaders are compiled, WebAssembly's operators set up and its
  // memory grown before the reader's first click (which otherwise takes several times longer).
  const probe = tf.zeros([1, network.size, network.size, 3]);
  const warm = network.scoreGradient(probe, 0);
  await warm.grad.data();
  [probe, warm.logits, warm.grad].forEach((t) => t.dispose());
  report(onProgress, { phase: "ready", message: say("ready", describeBackend(engine)) });
  return network;
}

// --- class names: tp8's normalisation and difflib's suggestions --------------------------------------

// The characters Python's `str.split()` splits on (its `str.isspace`), not JavaScript's `\s`.
const PYTHON_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/**
 * Python's `str.casefold()`: lower case after upper case folds "ß" to "ss" and the ligatures to
 * their letters, as casefold does; besides, the final sigma (which `toLowerCase` keeps) folds to σ,
 * "ẞ" to "ss", the dotless ı stays itself and Cherokee's small letters fold to its capitals. Checked
 * on every code point against Python 3.11's, but for the letters added to Unicode after its version.
 */
function casefold(text) {
  if (text.includes("ı")) return text.split("ı").map(casefold).join("ı");
  return text
    .toUpperCase()
    .toLowerCase()
    .replace(/ς/g, "σ")
    .replace(/ß/g, "ss")
    .replace(/[\u13f8-\u13fd]/g, (c) => String.fromCodePoint(c.codePointAt(0) - 8))
    .replace(/[\uab70-\uabbf]/g, (c) => String.fromCodePoint(c.codePointAt(0) - 0xab70 + 0x13a0));
}

/**
 * A class name as `tp8` compares it (`tp8.models._normalise_name`): `_` as a space, runs of
 * spaces as one, no space at either end, case folded.
 */
export function normaliseName(name) {
  return casefold(
    String(name)
      .replace(/_/g, " ")
      .split(PYTHON_SPACE)
      .filter(Boolean)
      .join(" "),
  );
}

function compareCodePoints(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** `difflib.SequenceMatcher.find_longest_match` (no junk; `b2j` without difflib's "popular" items). */
function longestMatch(a, b, b2j, alo, ahi, blo, bhi) {
  let [besti, bestj, bestsize] = [alo, blo, 0];
  let j2len = new Map();
  for (let i = alo; i < ahi; i++) {
    const next = new Map();
    for (const j of b2j.get(a[i]) || []) {
      if (j < blo) continue;
      if (j >= bhi) break;
      const k = (j2len.get(j - 1) || 0) + 1;
      next.set(j, k);
      if (k > bestsize) [besti, bestj, bestsize] = [i - k + 1, j - k + 1, k];
    }
    j2len = next;
  }
  // Extended by equal items on each side (the popular ones b2j leaves out).
  while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) [besti, bestj, bestsize] = [besti - 1, bestj - 1, bestsize + 1];
  while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize += 1;
  return [besti, bestj, bestsize];
}

/** The number of items of `difflib.SequenceMatcher(None, a, b).get_matching_blocks()`. */
function matchingItems(a, b, b2j) {
  let total = 0;
  const queue = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop();
    const [i, j, k] = longestMatch(a, b, b2j, alo, ahi, blo, bhi);
    if (!k) continue;
    total += k;
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
  }
  return total;
}

/**
 * Python's `difflib.get_close_matches(word, possibilities, n, cutoff)`, step for step: the
 * Ratcliff–Obershelp similarity of `SequenceMatcher` (2·M/T, M the characters of the longest
 * common block and, recursively, of the blocks on either side of it; T both lengths), after its two
 * cheaper upper bounds, on code points, with difflib's autojunk heuristic; the best `n` at or above
 * `cutoff`, best first, ties in reverse order of the names (Python's `heapq.nlargest` on pairs).
 */
export function getCloseMatches(word, possibilities, n = 3, cutoff = 0.6) {
  if (!(n > 0)) throw new RangeError(`n must be > 0: ${n}`);
  if (!(cutoff >= 0 && cutoff <= 1)) throw new RangeError(`cutoff must be in [0.0, 1.0]: ${cutoff}`);
  const b = Array.from(String(word));
  const b2j = new Map();
  b.forEach((item, j) => b2j.set(item, (b2j.get(item) || []).concat([j])));
  if (b.length >= 200) {
    const most = Math.floor(b.length / 100) + 1;
    for (const [item, where] of [...b2j]) if (where.length > most) b2j.delete(item);
  }
  const counts = new Map();
  for (const item of b) counts.set(item, (counts.get(item) || 0) + 1);
  const scored = [];
  for (const x of possibilities) {
    const a = Array.from(String(x));
    const ratio = (matches) => (a.length + b.length ? (2 * matches) / (a.length + b.length) : 1);
    if (ratio(Math.min(a.length, b.length)) < cutoff) continue; // real_quick_ratio
    const avail = new Map();
    let common = 0;
    for (const item of a) {
      const left = avail.has(item) ? avail.get(item) : counts.get(item) || 0;
      avail.set(item, left - 1);
      if (left > 0) common += 1;
    }
    if (ratio(common) < cutoff) continue; // quick_ratio
    const score = ratio(matchingItems(a, b, b2j));
    if (score >= cutoff) scored.push([score, x]);
  }
  scored.sort((p, q) => q[0] - p[0] || compareCodePoints(String(q[1]), String(p[1])));
  return scored.slice(0, n).map(([, x]) => x);
}

/**
 * `net.info`: what a network is and what it needs, for a page to show (plain data, frozen).
 *
 * - `model`, `title`: `"squeezenet1_1"`, `"SqueezeNet 1.1"`;
 * - `versions`: `{ tfjs, manifest }`, TensorFlow.js's version and the manifest's format;
 * - `backend`: `{ name, simd, threads, renderer }` (in words: `net.backendLabel`);
 * - `weights`: `{ url, bytes, sha256, parameters, precision, provenance, rounding }` — `precision`
 *   counts the parameters stored in each type (`{ float16: …, float32: … }`), `provenance` says
 *   whose weights they are (`tp8.course.provenance`, in French), `rounding` what storing them in
 *   float16 changes, measured by the build on the course's photos;
 * - `input`: `{ size, frame, minSide, maxPixels }` (224, 256, and what `loadImage` accepts);
 * - `needs`: the addresses of the files the network was built from (TensorFlow.js, its backend, the
 *   manifest, the weights), all on this site;
 * - `photos`: the course's photos, `{ name, caption: { fr, en }, frame, thumbnail, licence, source,
 *   imagenetClass }`, with `frame` (256 × 256 PNG) and `thumbnail` as absolute addresses.
 */
function networkInfo(engine, manifest, manifestUrl) {
  const weights = manifest.weights;
  const precision = {};
  for (const entry of manifest.tensors) precision[entry.dtype] = (precision[entry.dtype] || 0) + entry.length;
  const at = (path) => new URL(path, manifestUrl).href;
  const deepFreeze = (value) => {
    if (value && typeof value === "object") Object.values(value).forEach(deepFreeze);
    return Object.freeze(value);
  };
  return deepFreeze({
    model: manifest.model,
    title: manifest.title,
    versions: { tfjs: engine.version, manifest: manifest.format },
    backend: { name: engine.backend, simd: engine.simd, threads: engine.threads, renderer: engine.renderer },
    weights: {
      url: at(weights.file),
      bytes: weights.byteLength,
      sha256: weights.sha256,
      parameters: weights.parameters,
      precision,
      provenance: manifest.provenance,
      rounding: { ...weights.rounding },
    },
    input: { size: manifest.input.size, frame: manifest.input.frame, minSide: MIN_SIDE, maxPixels: MAX_PIXELS },
    needs: [...engine.files, manifestUrl, at(weights.file)],
    photos: manifest.photos.map((photo) => ({ ...photo, caption: { ...photo.caption }, frame: at(photo.frame), thumbnail: at(photo.thumbnail) })),
  });
}

/**
 * SqueezeNet 1.1 in TensorFlow.js, built from the exported tensors: convolutions (+ ReLU), max-poolings
 * in ceil mode as torchvision's, fire modules (squeeze, then 1×1 and 3×3 expands concatenated), the final
 * convolution, ReLU and global average pooling. It takes RGB pixels in [0, 1] and normalises them itself.
 */
export class Network {
  constructor(engine, manifest, tensors, manifestUrl) {
    const tf = engine.tf;
    /** The TensorFlow.js namespace the network runs on (for the caller's own tensors). */
    this.tf = tf;
    /** `"webgl"`, `"wasm"` or `"cpu"` (`backendLabel`: the same in words). */
    this.backend = engine.backend;
    this.engine = engine;
    this.manifest = manifest;
    this.manifestUrl = manifestUrl;
    /** The 1000 ImageNet class names, in the order of the network's outputs. */
    this.classes = manifest.classes;
    /** The side of the network's input (224) and of the photos' frame (256). */
    this.size = manifest.input.size;
    this.frame = manifest.input.frame;
    /** `tp8`'s defaults, read from its functions' signatures at build time. */
    this.defaults = manifest.defaults;
    /** What the network is and what it needs: see `networkInfo`. */
    this.info = networkInfo(engine, manifest, manifestUrl);
    this.tensors = tensors;
    this.mean = tf.tensor(manifest.mean, [1, 1, 1, 3]);
    this.std = tf.tensor(manifest.std, [1, 1, 1, 3]);
    this.low = tf.tidy(() => tf.zeros([1, 1, 1, 3]).sub(this.mean).div(this.std));
    this.high = tf.tidy(() => tf.ones([1, 1, 1, 3]).sub(this.mean).div(this.std));
    this.index = new Map();
    manifest.classes.forEach((name, i) => {
      const key = normaliseName(name);
      this.index.set(key, (this.index.get(key) || []).concat([i]));
    });
    this.layers = manifest.graph.map((op) => this.buildLayer(op));
  }

  /** The backend in words, in the current language: "WebAssembly (SIMD, un fil)". */
  get backendLabel() {
    return describeBackend(this.engine);
  }

  // -- layers --------------------------------------------------------------------------------------
  buildLayer(op) {
    const tf = this.tf;
    if (op.op === "conv") return this.buildConv(op);
    if (op.op === "fire") {
      const squeeze = this.buildConv(op.squeeze);
      const e1 = this.buildConv(op.expand1x1);
      const e3 = this.buildConv(op.expand3x3);
      return (x) => {
        const s = squeeze(x);
        return tf.concat([e1(s), e3(s)], 3);
      };
    }
    if (op.op === "maxpool") {
      const { kernel, stride, ceil } = op;
      // The gradient goes to the first maximum of each window in row-major order, as PyTorch's (and
      // tfjs's CPU backend); tfjs's WebGL and WebAssembly kernels pick another one on ties, which are
      // common where a photo is flat (saturated sky, white background).
      const pool = tf.customGrad((x, save) => {
        const y = tf.maxPool(x, kernel, stride, "valid");
        save([x, y]);
        return { value: y, gradFunc: (dy, saved) => [maxPoolGrad(tf, dy, saved[0], saved[1], kernel, stride)] };
      });
      return (x) => {
        const [, h, w] = x.shape;
        const outH = (ceil ? Math.ceil : Math.floor)((h - kernel) / stride) + 1;
        const outW = (ceil ? Math.ceil : Math.floor)((w - kernel) / stride) + 1;
        const padH = Math.max(0, (outH - 1) * stride + kernel - h);
        const padW = Math.max(0, (outW - 1) * stride + kernel - w);
        // ceil_mode's last window reaches past the border; it follows a ReLU, so padding with zeros
        // (never above the window's real values) gives torchvision's result.
        const padded = padH || padW ? tf.pad(x, [[0, 0], [0, padH], [0, padW], [0, 0]]) : x;
        return pool(padded);
      };
    }
    if (op.op === "avgpool") return (x) => tf.mean(x, [1, 2]);
    throw new Tp8Error(say("unknownLayer", op.op), "format");
  }

  buildConv(spec) {
    const tf = this.tf;
    const filter = this.tensors[spec.weight];
    const bias = this.tensors[spec.bias];
    const [kh, kw] = spec.kernel;
    const [sh, sw] = spec.stride;
    const [ph, pw] = spec.padding;
    if (kh !== kw || sh !== sw || ph !== pw) throw new Tp8Error(say("unsupportedConv", `${kh}×${kw}, stride ${sh}×${sw}, padding ${ph}×${pw}`), "format");
    const k = kh;
    const s = sh;
    const p = ph;
    const relu = spec.relu;
    // Input gradient = full correlation of the output gradient with the flipped filter, in/out swapped.
    const flipped = tf.tidy(() => tf.reverse(filter, [0, 1]).transpose([0, 1, 3, 2]));
    const backPad = k - 1 - p;
    if (backPad < 0) throw new Tp8Error(say("unsupportedConv", `${k}×${k}, padding ${p}`), "format");
    if (s > 1 && p !== 0) throw new Tp8Error(say("unsupportedConv", `stride ${s}, padding ${p}`), "format");
    // Strided (the first layer): one small stride-1 convolution per phase of the input, with the taps
    // of the filter that reach it, instead of a convolution over a zero-stuffed gradient.
    const q = Math.floor((k - 1) / s);
    const phaseFilters =
      s > 1
        ? tf.tidy(() =>
            Array.from({ length: s }, (_, r) =>
              Array.from({ length: s }, (_, col) => {
                const taps = (start) => Array.from({ length: Math.ceil((k - start) / s) }, (_, m) => start + s * m);
                const [ti, tj] = [taps(r), taps(col)];
                const sub = tf.stack(ti.map((i) => tf.stack(tj.map((j) => filter.slice([i, j, 0, 0], [1, 1, -1, -1]).squeeze([0, 1])))));
                return tf.keep(tf.reverse(sub, [0, 1]).transpose([0, 1, 3, 2]));
              }),
            ),
          )
        : null;
    const inputGrad = (dy, inShape) => {
      const [, h, w] = inShape;
      if (s > 1) {
        const planes = phaseFilters.map((row) =>
          row.map((f) => {
            const [mr, mc] = f.shape;
            const padded = tf.pad(dy, [[0, 0], [mr - 1, q], [mc - 1, q], [0, 0]]);
            return tf.conv2d(padded, f, 1, "valid"); // [N, oh + q, ow + q, Cin]
          }),
        );
        return interleave(tf, planes, s, h, w);
      }
      const [, gh, gw] = dy.shape;
      const extraH = h + k - 1 - (gh + 2 * backPad);
      const extraW = w + k - 1 - (gw + 2 * backPad);
      const g = backPad || extraH || extraW ? tf.pad(dy, [[0, 0], [backPad, backPad + extraH], [backPad, backPad + extraW], [0, 0]]) : dy;
      return tf.conv2d(g, flipped, 1, "valid");
    };
    // The forward pass is TensorFlow.js's fused kernel (convolution, bias and ReLU in one pass), called
    // directly: `tf.fused.conv2d` runs the three as separate operations whenever a gradient is being
    // recorded (its rule, so that it can differentiate them), whose float32 rounding differs from the
    // fused kernel's on WebGL and WebAssembly. The saliency maps' backward pass then met other ReLU
    // gates than the predictions' forward pass: a pre-activation at or below 0 in tp8 came out at
    // +9·10⁻⁶ and opened a gate tp8 keeps shut (r = 0.99989 with tp8 on a photo where the CPU
    // backend, whose fused kernel is the three operations, agreed to 10⁻⁷). This function's own
    // gradient is the custom one below, so the fused kernel never needs TensorFlow.js's.
    const attrs = { strides: [s, s], pad: p === 0 ? "valid" : p, dataFormat: "NHWC", dilations: [1, 1], activation: relu ? "relu" : "linear" };
    const forward = (x) => tf.engine().runKernel("FusedConv2D", { x, filter, bias }, attrs);
    const withGrad = tf.customGrad((x, save) => {
      const y = forward(x);
      save([y]);
      return {
        value: y,
        gradFunc: (dy, saved) => [inputGrad(relu ? tf.mul(dy, tf.step(saved[0])) : dy, x.shape)],
      };
    });
    return (x) => withGrad(x);
  }

  // -- forward passes ------------------------------------------------------------------------------
  /** Pixels in [0, 1] → the network's input space, (x − mean) / std. */
  normalize(x) {
    return this.tf.tidy(() => x.sub(this.mean).div(this.std));
  }

  /** The network's input space → pixels (not clamped). */
  denormalize(z) {
    return this.tf.tidy(() => z.mul(this.std).add(this.mean));
  }

  /** Class scores (logits, `[N, 1000]`) of an already normalised batch `[N, H, W, 3]`. */
  forwardNormalized(z) {
    let h = z;
    for (const layer of this.layers) h = layer(h);
    return h;
  }

  /** Class scores ỹ (logits, `[N, 1000]`) of RGB pixels in [0, 1], `[N, H, W, 3]`. */
  forward(x) {
    return this.forwardNormalized(this.normalize(x));
  }

  /**
   * One forward and one backward pass: the logits of `input`, and the gradient of the score of
   * class `target` (an index, or one per image; `null`: the predicted class) with respect to it.
   *
   * @param {object} input a `[N, H, W, 3]` tensor (pixels in [0, 1], or normalised when `normalized`).
   * @returns {{logits: object, grad: object}} tensors the caller disposes.
   */
  scoreGradient(input, target = null, { normalized = false } = {}) {
    const tf = this.tf;
    const n = input.shape[0];
    let logits = null;
    const grad = tf.grad((x) => {
      const scores = normalized ? this.forwardNormalized(x) : this.forward(x);
      logits = tf.keep(scores);
      const indices =
        target === null || target === undefined
          ? tf.argMax(scores, 1)
          : tf.tensor1d(Array.isArray(target) ? target : new Array(n).fill(target), "int32");
      return tf.sum(tf.mul(scores, tf.oneHot(indices, this.classes.length)));
    })(input);
    return { logits, grad };
  }

  // -- classes -------------------------------------------------------------------------------------
  /** The name of class `index`. */
  className(index) {
    return this.classes[this.classIndex(index)];
  }

  /**
   * The index of a class given by name (case-insensitive; `_` for a space) or by index, as
   * `tp8`'s `model.class_index`.
   * @throws {Tp8Error} unknown or ambiguous name (its message lists the names `suggest` finds).
   */
  classIndex(target) {
    if (typeof target === "number" && Number.isInteger(target)) {
      if (target >= 0 && target < this.classes.length) return target;
      throw new Tp8Error(say("classOutOfRange", target, this.classes.length - 1), "unknown-class");
    }
    const key = normaliseName(target ?? "");
    if (!key) throw new Tp8Error(say("noClass"), "unknown-class");
    if (/^\d+$/.test(key)) return this.classIndex(Number(key));
    const hits = this.index.get(key);
    if (hits && hits.length === 1) return hits[0];
    if (hits) throw new Tp8Error(say("ambiguousClass", target, hits), "ambiguous-class", hits);
    const close = this.suggest(target);
    throw new Tp8Error(say("unknownClass", target, this.classes.length, close), "unknown-class", close);
  }

  /**
   * The class names `tp8` suggests for an unknown name (its `model.class_index` error): up to `n`
   * names by `difflib.get_close_matches` (similarity ≥ 0.6, best first), else the names that
   * contain the text, in the network's order.
   */
  suggest(text, n = 5) {
    const key = normaliseName(text ?? "");
    if (!key) return [];
    const names = [...this.index.keys()];
    let close = getCloseMatches(key, names, n, 0.6);
    if (!close.length) close = names.filter((name) => name.includes(key)).slice(0, n);
    return close.map((name) => this.classes[this.index.get(name)[0]]);
  }

  /** Free the network's tensors (the module's cache forgets it). */
  dispose() {
    for (const t of Object.values(this.tensors)) t.dispose();
    this.mean.dispose();
    this.std.dispose();
    this.low.dispose();
    this.high.dispose();
    for (const [key, promise] of networks) promise.then((net) => net === this && networks.delete(key), () => {});
  }
}

/**
 * The s × s phases of `x` ([N, H, W, C]): `phases[r][c]` holds x[:, r::s, c::s, :], as
 * [N, rows, cols, C] (`x` is padded with zeros, or cropped, to s·rows × s·cols first). Reshapes and
 * contiguous slices only: TensorFlow.js's strided slice is a slow loop in WebAssembly.
 */
function phases(tf, x, s, rows, cols) {
  const [n, h, w, c] = x.shape;
  const [th, tw] = [s * rows, s * cols];
  let y = x;
  if (th < h || tw < w) y = y.slice([0, 0, 0, 0], [n, Math.min(h, th), Math.min(w, tw), c]);
  if (th > h || tw > w) y = tf.pad(y, [[0, 0], [0, Math.max(0, th - h)], [0, Math.max(0, tw - w)], [0, 0]]);
  // Rank-3 views whose last axis is contiguous: WebAssembly's slice copies whole runs then.
  const byRow = y.reshape([n * rows, s, tw * c]);
  return Array.from({ length: s }, (_, r) => {
    const row = byRow.slice([0, r, 0], [n * rows, 1, tw * c]).reshape([n * rows * cols, s, c]);
    return Array.from({ length: s }, (_, col) => row.slice([0, col, 0], [n * rows * cols, 1, c]).reshape([n, rows, cols, c]));
  });
}

/** `x[:, top:top+h, left:left+w, :]` through a rank-3 view (a fast slice in WebAssembly). */
function window2d(x, top, left, h, w) {
  const [n, rows, cols, c] = x.shape;
  return x
    .reshape([n, rows, cols * c])
    .slice([0, top, left * c], [n, h, w * c])
    .reshape([n, h, w, c]);
}

/** The inverse of `phases`: s × s planes [N, rows, cols, C] → [N, s·rows, s·cols, C], cropped to h × w. */
function interleave(tf, planes, s, h, w) {
  const [n, rows, cols, c] = planes[0][0].shape;
  const lines = planes.map((row) => tf.stack(row, 3).reshape([n, rows, cols * s, c]));
  const full = tf.stack(lines, 2).reshape([n, rows * s, cols * s, c]);
  const [fh, fw] = [Math.min(h, rows * s), Math.min(w, cols * s)];
  const cropped = fh === rows * s && fw === cols * s ? full : full.slice([0, 0, 0, 0], [n, fh, fw, c]);
  return fh === h && fw === w ? cropped : tf.pad(cropped, [[0, 0], [0, h - fh], [0, w - fw], [0, 0]]);
}

/**
 * Input gradient of a "valid" max-pooling (window k, stride s) that sends each window's gradient to
 * its first maximum in row-major order, as PyTorch does. Window offset (i, j) reads input rows s·a + i,
 * that is phase (i mod s, j mod s) shifted by (⌊i/s⌋, ⌊j/s⌋): each offset's share of the gradient is
 * added, shifted, to its phase's plane, and the planes are interleaved back.
 */
function maxPoolGrad(tf, dy, x, y, k, s) {
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = y.shape;
  const q = Math.floor((k - 1) / s);
  const [rows, cols] = [oh + q, ow + q];
  const input = phases(tf, x, s, rows, cols);
  const planes = Array.from({ length: s }, () => new Array(s).fill(null));
  let found = null;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const [qi, qj, ri, rj] = [Math.floor(i / s), Math.floor(j / s), i % s, j % s];
      const window = window2d(input[ri][rj], qi, qj, oh, ow);
      const equal = tf.equal(window, y);
      const first = found === null ? equal : tf.logicalAnd(equal, tf.logicalNot(found));
      found = found === null ? equal : tf.logicalOr(found, equal);
      const part = tf.pad(tf.mul(dy, tf.cast(first, "float32")), [[0, 0], [qi, q - qi], [qj, q - qj], [0, 0]]);
      planes[ri][rj] = planes[ri][rj] === null ? part : tf.add(planes[ri][rj], part);
    }
  }
  const zeros = tf.zeros([n, rows, cols, c]);
  return interleave(tf, planes.map((row) => row.map((p) => p || zeros)), s, h, w);
}

// --- images ------------------------------------------------------------------------------------

function isTensor(tf, x) {
  return !!x && typeof x === "object" && x instanceof tf.Tensor;
}

/**
 * An image as the network's input: a `[N, H, W, 3]` float tensor of pixels in [0, 1].
 *
 * @param {Network} net
 * @param {ImageData|object} image an `ImageData`, or a `tf.Tensor` `[H, W, 3]` / `[N, H, W, 3]` in [0, 1].
 * @returns {object} a new tensor (the caller disposes it).
 */
export function toTensor(net, image) {
  const tf = net.tf;
  let x;
  if (isTensor(tf, image)) {
    if (image.rank === 3) x = image.expandDims(0);
    else if (image.rank === 4) x = image.clone();
    else throw new Tp8Error(say("badTensorShape", JSON.stringify(image.shape)), "bad-image");
    if (x.shape[3] !== 3) {
      x.dispose();
      throw new Tp8Error(say("badChannels", image.shape[image.rank - 1]), "bad-image");
    }
    if (x.dtype !== "float32") {
      const float = x.toFloat();
      x.dispose();
      x = float;
    }
    const [lo, hi] = tf.tidy(() => [x.min().dataSync()[0], x.max().dataSync()[0]]);
    if (!(lo >= -1e-6 && hi <= 1 + 1e-6)) {
      x.dispose();
      throw new Tp8Error(say("badRange", lo, hi), "bad-image");
    }
  } else if (image && typeof image.width === "number" && image.data instanceof Uint8ClampedArray) {
    const { width, height, data } = image;
    const rgb = new Float32Array(width * height * 3);
    for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
      rgb[j] = data[i] / 255;
      rgb[j + 1] = data[i + 1] / 255;
      rgb[j + 2] = data[i + 2] / 255;
    }
    x = tf.tensor4d(rgb, [1, height, width, 3]);
  } else {
    throw new Tp8Error(say("notAnImageValue"), "bad-image");
  }
  const [, h, w] = x.shape;
  if (Math.min(h, w) < MIN_SIDE) {
    x.dispose();
    throw new Tp8Error(say("tensorTooSmall", w, h, MIN_SIDE), "too-small");
  }
  return x;
}

/**
 * Pixels in [0, 1] (a tensor `[H, W, 3]` or `[1, H, W, 3]`) → an opaque 8-bit `ImageData`,
 * each value rounded to the nearest of the 256 levels (ties to even, as `torch.round`).
 */
export function toImageData(tf, pixels) {
  const x = pixels.rank === 4 ? pixels.squeeze([0]) : pixels;
  const [h, w] = x.shape;
  const values = x.dataSync();
  if (x !== pixels) x.dispose();
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0, j = 0; i < values.length; i += 3, j += 4) {
    data[j] = values[i] * 255; // Uint8ClampedArray clamps and rounds half to even
    data[j + 1] = values[i + 1] * 255;
    data[j + 2] = values[i + 2] * 255;
    data[j + 3] = 255;
  }
  return new ImageData(data, w, h);
}

function roundHalfEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Weights of torchvision's antialiased bilinear resize (PIL's triangle filter) along one axis. */
function resizeWeights(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const out = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const weights = [];
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const t = Math.abs((j - center + 0.5) / filterScale);
      const w = t < 1 ? 1 - t : 0;
      weights.push(w);
      total += w;
    }
    out.push({ lo, weights: weights.map((w) => (total ? w / total : 0)) });
  }
  return out;
}

/** Separable antialiased bilinear resize of float RGB pixels (H×W×3) to outH×outW. */
function resizeRGB(src, h, w, outH, outW) {
  const cols = resizeWeights(w, outW);
  const rows = resizeWeights(h, outH);
  const tmp = new Float32Array(h * outW * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < outW; x++) {
      const { lo, weights } = cols[x];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const o = (y * w + lo + k) * 3;
        r += weights[k] * src[o];
        g += weights[k] * src[o + 1];
        b += weights[k] * src[o + 2];
      }
      const o = (y * outW + x) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = new Float32Array(outH * outW * 3);
  for (let y = 0; y < outH; y++) {
    const { lo, weights } = rows[y];
    for (let x = 0; x < outW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const o = ((lo + k) * outW + x) * 3;
        r += weights[k] * tmp[o];
        g += weights[k] * tmp[o + 1];
        b += weights[k] * tmp[o + 2];
      }
      const o = (y * outW + x) * 3;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return out;
}

function cropToImageData(rgb, h, w, top, left, size) {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = ((top + y) * w + left + x) * 3;
      const j = (y * size + x) * 4;
      data[j] = rgb[o] * 255;
      data[j + 1] = rgb[o + 1] * 255;
      data[j + 2] = rgb[o + 2] * 255;
      data[j + 3] = 255;
    }
  }
  return new ImageData(data, size, size);
}

async function decode(source, signal) {
  // → { bitmap-like drawable, width, height, close() }
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    if (source.size === 0) throw new Tp8Error(say("emptyFile"), "not-image");
    let bitmap;
    try {
      bitmap = await createImageBitmap(source, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    } catch (error) {
      const known = /^image\//.test(source.type || "");
      throw new Tp8Error(known ? say("undecodable", source.name, source.type) : say("notAnImageFile", source.name), "not-image");
    }
    checkAborted(signal);
    return { image: bitmap, width: bitmap.width, height: bitmap.height, close: () => bitmap.close() };
  }
  if (typeof source === "string") {
    const response = await fetch(source, { signal });
    if (!response.ok) throw new Tp8Error(say("imageMissing", response.status), "network");
    return decode(await response.blob(), signal);
  }
  if (typeof ImageData !== "undefined" && source instanceof ImageData) {
    const canvas = new OffscreenCanvas(source.width, source.height);
    canvas.getContext("2d").putImageData(source, 0, 0);
    return { image: canvas, width: source.width, height: source.height, close: () => {} };
  }
  const width = source.naturalWidth || source.videoWidth || source.width;
  const height = source.naturalHeight || source.videoHeight || source.height;
  if (!width || !height) throw new Tp8Error(say("imageNotLoaded"), "not-image");
  return { image: source, width, height, close: () => {} };
}

/**
 * `tp8.load_image` in the browser: decode a photo, resize its short side to `resize` (256) with
 * torchvision's antialiased bilinear filter, centre-crop `size` (224). Transparent pixels are laid
 * on white; the photo's orientation (EXIF) is applied.
 *
 * Photos above 1024 pixels on the short side are first reduced to 1024 by the browser (high-quality
 * filter), then by the exact filter: the result differs from `tp8.load_image`'s by a level or two.
 *
 * @param {Blob|File|string|ImageData|HTMLImageElement|HTMLCanvasElement|ImageBitmap} source
 * @param {{ size?: number, resize?: number, maxPixels?: number, signal?: AbortSignal }} [options]
 * @returns {Promise<{ image: ImageData, frame: ImageData, width: number, height: number, offset: number }>}
 *   `image`: the network's input (size × size); `frame`: the resize × resize square around it (its
 *   centre is `image`, at `offset`: a PNG of the frame, given to `tp8 predict`, is cropped back to
 *   exactly `image`); `width`, `height`: the photo's own size.
 */
export async function loadImage(source, options = {}) {
  const size = options.size || 224;
  const resize = options.resize || 256;
  const maxPixels = options.maxPixels || MAX_PIXELS;
  const decoded = await decode(source, options.signal);
  const { width, height } = decoded;
  try {
    if (Math.min(width, height) < MIN_SIDE) {
      throw new Tp8Error(say("photoTooSmall", width, height, MIN_SIDE), "too-small");
    }
    if (width * height > maxPixels) {
      throw new Tp8Error(say("photoTooLarge", formatNumber((width * height) / 1e6, 0), formatNumber(maxPixels / 1e6, 0)), "too-large");
    }
    // Stage 1 (large photos only): the browser's own high-quality reduction to 4× the target.
    const short = Math.min(width, height);
    const stage = short > 4 * resize ? (4 * resize) / short : 1;
    const w1 = Math.max(1, Math.round(width * stage));
    const h1 = Math.max(1, Math.round(height * stage));
    const canvas = new OffscreenCanvas(w1, h1);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w1, h1);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(decoded.image, 0, 0, w1, h1);
    const rgba = ctx.getImageData(0, 0, w1, h1).data;
    checkAborted(options.signal);
    let rgb = new Float32Array(w1 * h1 * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i] / 255;
      rgb[j + 1] = rgba[i + 1] / 255;
      rgb[j + 2] = rgba[i + 2] / 255;
    }
    // Stage 2: torchvision's resize (short side → resize, long side truncated), skipped when already there.
    let w2 = w1;
    let h2 = h1;
    if (Math.min(w1, h1) !== resize) {
      if (w1 <= h1) {
        w2 = resize;
        h2 = Math.trunc((resize * h1) / w1);
      } else {
        h2 = resize;
        w2 = Math.trunc((resize * w1) / h1);
      }
      rgb = resizeRGB(rgb, h1, w1, h2, w2);
    }
    const frameSide = Math.min(resize, w2, h2);
    const top = roundHalfEven((h2 - frameSide) / 2);
    const left = roundHalfEven((w2 - frameSide) / 2);
    const frame = cropToImageData(rgb, h2, w2, top, left, frameSide);
    const offset = roundHalfEven((frameSide - size) / 2);
    const image = cropImageData(frame, offset, offset, size);
    return { image, frame, width, height, offset };
  } finally {
    decoded.close();
  }
}

function cropImageData(image, top, left, size) {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    const start = ((top + y) * image.width + left) * 4;
    data.set(image.data.subarray(start, start + size * 4), y * size * 4);
  }
  return new ImageData(data, size, size);
}

/** `frame` with `image` pasted at (`offset`, `offset`): e.g. a fooling image in its photo's frame. */
export function pasteIntoFrame(frame, image, offset) {
  const out = new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height);
  for (let y = 0; y < image.height; y++) {
    const start = ((offset + y) * frame.width + offset) * 4;
    out.data.set(image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4), start);
  }
  return out;
}

/**
 * The difference of two images as `tp8.plot_attack` draws it: 0.5 + k·δ for each channel, with
 * δ = `modified` − `original` in pixel units of [0, 1], clipped to [0, 1] (mid-grey: unchanged).
 * `factor` (k) is 1 for the true scale; any other value magnifies δ, and whoever shows the image
 * says so (the course never rescales a difference silently): the factor comes back with the image.
 *
 * @param {ImageData} original
 * @param {ImageData} modified the same size (e.g. `foolingImage(…).image` and its photo).
 * @param {number} [factor] k > 0 (default 1, the true scale).
 * @returns {{ image: ImageData, factor: number, linf: number, saturated: number }} `linf`: the
 *   largest |δ| in 8-bit levels (0–255); `saturated`: the share of values clipped at 0 or 1.
 */
export function amplifiedDifference(original, modified, factor = 1) {
  if (!(typeof factor === "number" && factor > 0 && Number.isFinite(factor))) throw new Tp8Error(say("badFactor"), "bad-option");
  if (original.width !== modified.width || original.height !== modified.height) {
    throw new Tp8Error(say("differentSizes", `${original.width} × ${original.height}`, `${modified.width} × ${modified.height}`), "bad-image");
  }
  const image = new ImageData(original.width, original.height);
  let linf = 0;
  let saturated = 0;
  for (let i = 0; i < original.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const delta = modified.data[i + c] - original.data[i + c]; // in levels of 1/255
      const value = 127.5 + factor * delta; // 255 · (0.5 + k·δ)
      if (value < 0 || value > 255) saturated += 1;
      image.data[i + c] = value; // Uint8ClampedArray clips and rounds half to even
      linf = Math.max(linf, Math.abs(delta));
    }
    image.data[i + 3] = 255;
  }
  return { image, factor, linf, saturated: saturated / (3 * original.width * original.height) };
}

/** A lossless PNG of an `ImageData` (a `Blob`). */
export async function toPNG(image) {
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas.convertToBlob({ type: "image/png" });
}

// matplotlib's "hot" colour map (tp8.plot_saliency's), as linear segments.
const HOT = [
  [[0, 0.0416], [0.365079, 1], [1, 1]],
  [[0, 0], [0.365079, 0], [0.746032, 1], [1, 1]],
  [[0, 0], [0.746032, 0], [1, 1]],
];

function segment(points, t) {
  for (let i = 1; i < points.length; i++) {
    if (t <= points[i][0]) {
      const [x0, y0] = points[i - 1];
      const [x1, y1] = points[i];
      return y0 + ((t - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return points[points.length - 1][1];
}

/**
 * A saliency map as an image, as `tp8.plot_saliency` draws it: the "hot" colour map from 0 (black)
 * to the map's 99.5th percentile (white), unless `vmax` is given.
 */
export function saliencyToImageData(map, width, height, { vmax } = {}) {
  let top = vmax;
  if (!(top > 0)) {
    const sorted = Float32Array.from(map).sort();
    const rank = 0.995 * (sorted.length - 1);
    const lo = Math.floor(rank);
    top = sorted[lo] + (rank - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]) || 1;
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const t = Math.min(1, Math.max(0, map[i] / top));
    data[4 * i] = 255 * segment(HOT[0], t);
    data[4 * i + 1] = 255 * segment(HOT[1], t);
    data[4 * i + 2] = 255 * segment(HOT[2], t);
    data[4 * i + 3] = 255;
  }
  return new ImageData(data, width, height);
}

// --- predictions ---------------------------------------------------------------------------------

function softmax(logits) {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let total = 0;
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    total += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function ranking(net, logits, k) {
  const probs = softmax(logits);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  return order.slice(0, k).map((index) => ({ index, name: net.classes[index], probability: probs[index], logit: logits[index] }));
}

/**
 * The logits (`Float32Array`, 1000 per image, image after image) of one image or a batch.
 */
export async function logits(net, image) {
  const tf = net.tf;
  const x = toTensor(net, image);
  const scores = tf.tidy(() => net.forward(x));
  x.dispose();
  const values = await scores.data();
  scores.dispose();
  return values;
}

/**
 * The `k` most probable classes of an image (softmax of the logits), as `tp8`'s `model.predict`.
 * @returns {Promise<Array<{index: number, name: string, probability: number, logit: number}>>}
 */
export async function topK(net, image, k = 5) {
  const values = await logits(net, image);
  return ranking(net, values.subarray(0, net.classes.length), k);
}

// --- the three techniques ---------------------------------------------------------------------

/**
 * Saliency map M_ij = max_k |∂ỹ_c/∂x_kij| (Simonyan, Vedaldi & Zisserman 2014), as `tp8.saliency_map`:
 * one forward and one backward pass.
 *
 * @param {Network} net
 * @param {ImageData|object} image one image (the network's input, e.g. `loadImage(...).image`).
 * @param {{ target?: number|string|null, onProgress?: Function, signal?: AbortSignal }} [options]
 *   `target`: the class c (default `null`: the predicted class).
 * @returns {Promise<{ map: Float32Array, width: number, height: number, target: number, name: string,
 *   probability: number, top: Array, logits: Float32Array, image: ImageData }>} `map` row by row;
 *   `image` is the map drawn as `tp8.plot_saliency` draws it; `top`: the image's top-5.
 */
export async function saliencyMap(net, image, options = {}) {
  const tf = net.tf;
  checkAborted(options.signal);
  const target = options.target === undefined || options.target === null ? null : net.classIndex(options.target);
  const x = toTensor(net, image);
  if (x.shape[0] !== 1) {
    x.dispose();
    throw new Tp8Error(say("oneImage", "saliencyMap"), "bad-image");
  }
  report(options.onProgress, { step: 0, total: 1 });
  const { logits: scores, grad } = net.scoreGradient(x, target);
  const map = tf.tidy(() => grad.abs().max(3).squeeze([0]));
  const [values, logitValues] = await Promise.all([map.data(), scores.data()]);
  [x, scores, grad, map].forEach((t) => t.dispose());
  const [height, width] = [x.shape[1], x.shape[2]];
  const c = target === null ? argmax(logitValues) : target;
  const probs = softmax(logitValues);
  report(options.onProgress, { step: 1, total: 1 });
  return {
    map: values,
    width,
    height,
    target: c,
    name: net.classes[c],
    probability: probs[c],
    top: ranking(net, logitValues, 5),
    logits: logitValues,
    image: saliencyToImageData(values, width, height),
  };
}

function quantize(tf, x) {
  return tf.tidy(() => tf.round(tf.clipByValue(x, 0, 1).mul(255)).div(255));
}

/**
 * Fooling image by normalised gradient ascent on the target's score (Szegedy et al. 2014; the lab's
 * eq. 2), as `tp8.fooling_image`: x ← clamp(x + η g/‖g‖₂, 0, 1), with g = ∂ỹ_target/∂x taken on the
 * image rounded to 8 bits, until the network — judging that rounded image — ranks the target first.
 *
 * @param {Network} net
 * @param {ImageData|object} image one image (the network's input).
 * @param {number|string} target the class to reach.
 * @param {{ lr?: number, maxIter?: number, onProgress?: Function, signal?: AbortSignal }} [options]
 *   `lr` (η, default `tp8`'s 0.2) and `maxIter` (default 100). `onProgress({ step, total, predicted,
 *   probability })` after each step (`probability`: the target's).
 * @returns {Promise<{ image: ImageData, success: boolean, iterations: number, target: number,
 *   name: string, originalClass: number, predicted: number, probability: number, top: Array,
 *   l2: number, linf: number }>} `image`: the fooling image, 8-bit (what a PNG holds); `l2`, `linf`:
 *   the perturbation's norms in [0, 1] pixel units.
 */
export async function foolingImage(net, image, target, options = {}) {
  const tf = net.tf;
  const defaults = net.defaults.fooling;
  const lr = options.lr ?? defaults.lr;
  const maxIter = options.maxIter ?? defaults.max_iter;
  if (!(lr > 0)) throw new Tp8Error(say("badStep", defaults.lr), "bad-option");
  if (!(Number.isInteger(maxIter) && maxIter >= 0)) throw new Tp8Error(say("badIterations"), "bad-option");
  const t = net.classIndex(target);
  checkAborted(options.signal);
  const input = toTensor(net, image);
  if (input.shape[0] !== 1) {
    input.dispose();
    throw new Tp8Error(say("oneImage", "foolingImage"), "bad-image");
  }
  const x0 = quantize(tf, input);
  input.dispose();
  let x = x0.clone();
  let result = null;
  try {
    for (let step = 0; step <= maxIter; step++) {
      checkAborted(options.signal);
      const leaf = quantize(tf, x);
      const { logits: scores, grad } = net.scoreGradient(leaf, t);
      leaf.dispose();
      const values = await scores.data();
      scores.dispose();
      const predicted = argmax(values);
      const probability = softmax(values)[t];
      if (step === 0) result = { originalClass: predicted };
      report(options.onProgress, { step, total: maxIter, predicted, name: net.classes[predicted], probability });
      if (predicted === t || step === maxIter) {
        grad.dispose();
        Object.assign(result, { iterations: step, predicted, probability, top: ranking(net, values, 5) });
        break;
      }
      const next = tf.tidy(() => {
        const norm = tf.maximum(tf.norm(grad), 1e-12);
        return tf.clipByValue(x.add(grad.mul(tf.scalar(lr).div(norm))), 0, 1);
      });
      grad.dispose();
      x.dispose();
      x = next;
      await nextTick();
    }
    const adversarial = quantize(tf, x);
    const [l2, linf] = tf.tidy(() => {
      const d = adversarial.sub(x0);
      return [d.square().sum().sqrt().dataSync()[0], d.abs().max().dataSync()[0]];
    });
    const out = toImageData(tf, adversarial);
    adversarial.dispose();
    return {
      image: out,
      success: result.predicted === t,
      target: t,
      name: net.classes[t],
      l2,
      linf,
      ...result,
    };
  } finally {
    x.dispose();
    x0.dispose();
  }
}

/** A small seeded generator (mulberry32) and its normal draws (Box–Muller). */
export function randomGenerator(seed = 0) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  const integer = (lo, hi) => lo + Math.floor(uniform() * (hi - lo + 1)); // lo..hi inclusive
  return { uniform, normal, integer };
}

/** `torch.roll(x, (dy, dx), dims=(H, W))` on `[N, H, W, C]`: a translation that wraps around. */
export function roll(tf, x, dy, dx) {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    let out = x;
    const sy = ((dy % h) + h) % h;
    const sx = ((dx % w) + w) % w;
    if (sy) out = tf.concat([out.slice([0, h - sy, 0, 0], [-1, sy, -1, -1]), out.slice([0, 0, 0, 0], [-1, h - sy, -1, -1])], 1);
    if (sx) out = tf.concat([out.slice([0, 0, w - sx, 0], [-1, -1, sx, -1]), out.slice([0, 0, 0, 0], [-1, -1, w - sx, -1])], 2);
    return out === x ? x.clone() : out;
  });
}

/** `tp8.gaussian_blur`: separable Gaussian blur of each channel, circular padding, radius ⌈3σ⌉. */
export function gaussianBlur(tf, x, sigma) {
  if (!(sigma > 0)) return x.clone();
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = [];
  for (let t = -radius; t <= radius; t++) taps.push(Math.exp(-0.5 * (t / sigma) ** 2));
  const total = taps.reduce((a, b) => a + b, 0);
  const kernel = taps.map((v) => v / total);
  const c = x.shape[3];
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const padH = tf.concat([x.slice([0, h - radius, 0, 0], [-1, radius, -1, -1]), x, x.slice([0, 0, 0, 0], [-1, radius, -1, -1])], 1);
    const padded = tf.concat([padH.slice([0, 0, w - radius, 0], [-1, -1, radius, -1]), padH, padH.slice([0, 0, 0, 0], [-1, -1, radius, -1])], 2);
    const values = kernel.flatMap((v) => new Array(c).fill(v));
    const kx = tf.tensor4d(values, [1, 2 * radius + 1, c, 1]);
    const ky = tf.tensor4d(values, [2 * radius + 1, 1, c, 1]);
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, kx, 1, "valid"), ky, 1, "valid");
  });
}

/**
 * Class visualisation by regularised gradient ascent (Simonyan et al. 2014; Yosinski et al. 2015; the
 * lab's eqs. 3–4), as `tp8.class_visualization` and with its defaults: in the network's normalised
 * space z, each step translates z by a random (dx, dy) (|dx|, |dy| ≤ `maxJitter`), adds η ∇(ỹ_c − λ‖z‖²),
 * translates back and clamps to valid pixels; every `blurEvery` steps z is blurred (σ = `blurSigma`).
 *
 * The noise and the jitter come from this module's seeded generator, not PyTorch's: the same seed gives
 * the same image here, not the same image as `tp8`.
 *
 * @param {Network} net
 * @param {number|string} target the class c.
 * @param {object} [options] `l2Reg` (λ), `lr` (η), `numIterations`, `blurEvery`, `blurSigma`,
 *   `maxJitter`, `imageSize`, `seed`: `tp8`'s defaults; `init` (an image to start from instead of
 *   noise); `previewEvery` (default 1: the image passed to `onProgress` every k steps);
 *   `onProgress({ step, total, probability, image })` (`image`: an `ImageData`, or `null` between
 *   previews); `signal`.
 * @returns {Promise<{ image: ImageData, target: number, name: string, probability: number,
 *   probabilities: number[], iterations: number }>} `probability`: the target's, for the final image;
 *   `probabilities`: at each step (of the translated image the step was computed on).
 */
export async function classVisualization(net, target, options = {}) {
  const tf = net.tf;
  const d = net.defaults.classVisualization;
  const l2Reg = options.l2Reg ?? d.l2_reg;
  const lr = options.lr ?? d.lr;
  const numIterations = options.numIterations ?? d.num_iterations;
  const blurEvery = options.blurEvery ?? d.blur_every;
  const blurSigma = options.blurSigma ?? d.blur_sigma;
  const maxJitter = options.maxJitter ?? d.max_jitter;
  const imageSize = options.imageSize ?? d.image_size;
  const seed = options.seed ?? d.seed;
  const previewEvery = options.previewEvery ?? 1;
  if (!(l2Reg >= 0) || !(lr > 0) || !(Number.isInteger(numIterations) && numIterations >= 1)) {
    throw new Tp8Error(say("badSettings"), "bad-option");
  }
  const c = net.classIndex(target);
  checkAborted(options.signal);
  const rng = randomGenerator(seed);
  let z;
  if (options.init) {
    const x = toTensor(net, options.init);
    z = net.normalize(x);
    x.dispose();
  } else {
    if (!(Number.isInteger(imageSize) && imageSize >= MIN_SIDE)) throw new Tp8Error(say("badImageSize", MIN_SIDE), "bad-option");
    const noise = new Float32Array(imageSize * imageSize * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
    z = tf.tensor4d(noise, [1, imageSize, imageSize, 3]);
  }
  const side = Math.min(z.shape[1], z.shape[2]);
  if (maxJitter > side) {
    z.dispose();
    throw new Tp8Error(say("jitterTooLarge", maxJitter, side), "bad-option");
  }
  const clamp = (v) => tf.tidy(() => tf.minimum(tf.maximum(v, net.low), net.high));
  let swap = clamp(z);
  z.dispose();
  z = swap;
  const probabilities = [];
  const pixels = () => tf.tidy(() => tf.clipByValue(net.denormalize(z), 0, 1));
  let step = 0;
  try {
    for (step = 1; step <= numIterations; step++) {
      checkAborted(options.signal);
      const dx = maxJitter > 0 ? rng.integer(-maxJitter, maxJitter) : 0;
      const dy = maxJitter > 0 ? rng.integer(-maxJitter, maxJitter) : 0;
      const shifted = roll(tf, z, dy, dx);
      const { logits: scores, grad } = net.scoreGradient(shifted, c, { normalized: true });
      const next = tf.tidy(() => {
        const ascended = shifted.add(grad.sub(shifted.mul(2 * l2Reg)).mul(lr));
        let out = tf.minimum(tf.maximum(roll(tf, ascended, -dy, -dx), net.low), net.high);
        if (blurEvery && step % blurEvery === 0) out = gaussianBlur(tf, out, blurSigma);
        return out;
      });
      [shifted, grad].forEach((t) => t.dispose());
      z.dispose();
      z = next;
      const values = await scores.data();
      scores.dispose();
      const probability = softmax(values)[c];
      probabilities.push(probability);
      let preview = null;
      if (previewEvery && (step % previewEvery === 0 || step === numIterations)) {
        const p = pixels();
        preview = toImageData(tf, p);
        p.dispose();
      }
      report(options.onProgress, { step, total: numIterations, probability, image: preview });
      await nextTick();
    }
    const final = pixels();
    const scores = tf.tidy(() => net.forwardNormalized(z));
    const values = await scores.data();
    scores.dispose();
    const probability = softmax(values)[c];
    probabilities.push(probability);
    const out = toImageData(tf, final);
    final.dispose();
    return { image: out, target: c, name: net.classes[c], probability, probabilities, iterations: numIterations, top: ranking(net, values, 5) };
  } catch (error) {
    if (isAbortError(error)) {
      // Keep what the ascent reached: the caller may show it.
      const p = pixels();
      error.partial = { image: toImageData(tf, p), step: step - 1, probabilities };
      p.dispose();
    }
    throw error;
  } finally {
    z.dispose();
  }
}
