// The "Essayer" page's panel (docs/essayer.md): the three techniques on a photo, in the browser.
//
// A classic script (Material's instant navigation evaluates a page's scripts again on each visit;
// a module would run only once per document), idempotent, that only wires the page: the network,
// TensorFlow.js and the photos are loaded by `javascripts/tp8-browser.js` (an ES module, imported
// on the first click on an "Ouvrir"/"Essayer" button), never before. The computation itself lives in
// that module; this file is the interface: technique, photo (the course's, a file, a drop, the
// camera), class (with suggestions), run / stop, progress, results with their alternative text,
// top-5, lossless PNG download. What it shows of the network comes from the module's `net.info`,
// its images from the module's helpers; its sentences from STRINGS, in the page's language.
(function () {
  "use strict";

  const root = document.getElementById("tp8-playground");
  if (!root || root.dataset.tp8Wired) return;
  root.dataset.tp8Wired = "1";

  const script = document.currentScript;
  const MODULE_URL = new URL("tp8-browser.js", (script && script.src) || window.location.href).href;

  // Every sentence the panel shows, by language (the page's <html lang>; French by default). An
  // entry is a string or a function of the values it states; both languages have the same keys.
  // The module's own messages (errors, loading) come from its table (tp8-browser.js, MESSAGES).
  // US English ("visualization", "gray"). tests/e2e/test_playground_english.py reads this table
  // (this literal, up to its closing line `  };`) to check each page for the other language's words.
  const STRINGS = {
    fr: {
      locale: "fr-FR",
      quote: (text) => `« ${text} »`,
      licence: (text) => ({ "public domain": "domaine public" })[text] || text,
      techniques: {
        saillance: {
          label: "Carte de saillance",
          classLabel: "Classe à expliquer",
          classHint: "Laissez vide pour la classe que le réseau prédit.",
          run: "Calculer la carte",
        },
        "image-trompeuse": {
          label: "Image trompeuse",
          classLabel: "Classe visée",
          classHint: "Le réseau doit finir par voir cette classe dans la photo.",
          run: "Fabriquer l'image trompeuse",
        },
        visualisation: {
          label: "Visualisation de classe",
          classLabel: "Classe à faire apparaître",
          classHint: "L'image part d'un bruit aléatoire.",
          run: "Lancer l'ascension",
        },
      },
      stop: "Arrêter",
      progress: "Avancement du calcul",
      photoLegend: "Photo",
      techniqueLegend: "Technique",
      ownPhoto: "Votre photo :",
      camera: "ou l'appareil photo :",
      dropHint: "Vous pouvez aussi déposer une image sur ce panneau.",
      form: "Réglages du calcul",
      panel: "Panneau : les techniques dans le navigateur",
      precision: (precision) => (precision.float16 && precision.float32 ? "float16 et float32" : precision.float16 ? "float16" : "float32"),
      engine: (backend, tfjs, title, precision) => `Calcul : ${backend} — TensorFlow.js ${tfjs}, ${title} (${precision}).`,
      busyDrop: "Un calcul est en cours : arrêtez-le avant de changer de photo.",
      unexpected: (why) =>
        `Une erreur inattendue s'est produite (${why}). La page reste utilisable : réessayez, ou choisissez une autre photo.`,
      chosenAlt: (label) => `Photo choisie : ${label}, recadrée à 224 × 224 pixels`,
      courseInfo: (caption, source, licence) => `${caption} — ${source}, ${licence}.`,
      reading: "Lecture de la photo…",
      yourPhoto: "votre photo",
      size: (w, h) => `${w} × ${h} pixels`,
      ownInfo: (name, size) => `${name} : ${size}, réduite à 256 pixels de côté puis recadrée au centre à 224 × 224, comme tp8.load_image.`,
      ownInfoLarge: (name, megapixels, size) =>
        `${name} : une grande photo de ${megapixels} mégapixels (${size}), réduite à 256 pixels de côté puis recadrée au centre à 224 × 224, comme tp8.load_image.`,
      photoReady: "Photo prête. Elle reste sur votre appareil.",
      choosePhoto: "Choisissez d'abord une photo : une de celles du cours, ou la vôtre.",
      stoppedAt: (step) => `Arrêté à l'étape ${step}.`,
      stopped: "Calcul arrêté.",
      partialAlt: (name, step) => `Visualisation de la classe ${name}, arrêtée à l'étape ${step}`,
      partialCaption: (step) => `Image atteinte à l'étape ${step}.`,
      top5: "Les cinq classes les plus probables",
      saliencyRunning: "Calcul de la carte de saillance (une passe avant, une passe arrière)…",
      saliencyAlt: (name, p, label) =>
        `Carte de saillance de la classe ${name} (probabilité ${p}) pour la photo ${label} : les pixels clairs sont ceux qui font le plus varier le score de cette classe`,
      analysedAlt: (label) => `Photo analysée : ${label}`,
      photoCaption: "La photo (224 × 224)",
      saliencyCaption: (name, p) => `Saillance de ${name} — p = ${p}`,
      saliencyDownload: "Télécharger la carte (PNG)",
      saliencyFile: "saillance",
      saliencyDone: (name, seconds) => `Carte de ${name} calculée en ${seconds} s.`,
      foolingStart: (name) => `Vers ${name}…`,
      foolingStep: (step, total, seen, target, p) => `Étape ${step} / ${total} : le réseau voit ${seen} ; p(${target}) = ${p}.`,
      foolingAlt: (seen, p, original) =>
        `Image trompeuse : le réseau y voit ${seen} avec une probabilité de ${p} (la photo d'origine : ${original})`,
      notFooledAlt: (steps, seen, target, p) =>
        `Image après ${steps} pas : le réseau y voit encore ${seen} ; la classe visée ${target} n'a que ${p}`,
      differenceAlt: (factor) =>
        factor === 1
          ? "Différence entre l'image trompeuse et la photo, à l'échelle, autour du gris moyen"
          : `Différence entre l'image trompeuse et la photo, amplifiée ${factor} fois autour du gris moyen`,
      differenceCaption: (factor) => (factor === 1 ? "Différence (gris : inchangé)" : `Différence × ${factor} (gris : inchangé)`),
      originalAlt: (label, name) => `Photo d'origine : ${label}, classée ${name}`,
      originalCaption: (name) => `Photo : ${name}`,
      fooledCaption: (fooled, seen, p) => `${fooled ? "Trompé" : "Pas encore trompé"} : ${seen} — p = ${p}`,
      foolingTop5: "Les cinq classes les plus probables pour l'image trompeuse",
      perturbation: (steps, l2, linf) => `${steps} pas ; perturbation L2 = ${l2}/255, L∞ = ${linf}/255.`,
      foolingDownload: "Télécharger l'image trompeuse (PNG)",
      foolingFile: "trompeuse",
      frameHint:
        "Le PNG garde le cadre de 256 × 256 pixels de la photo : tp8.load_image (et donc tp8 predict) le recadre exactement sur l'image trompeuse.",
      fooled: (steps, seconds, seen) => `Trompé en ${steps} pas (${seconds} s) : le réseau voit ${seen}.`,
      notFooled: (steps, seconds) => `Pas trompé après ${steps} pas (${seconds} s) : essayez une autre classe ou une autre photo.`,
      liveAlt: (name) => `Visualisation de ${name} en cours`,
      ascentCaption: (name) => `L'ascension vers ${name}`,
      ascentStart: (name) => `Ascension vers ${name}…`,
      ascentStep: (step, total, name, p) => `Étape ${step} / ${total} : p(${name}) = ${p}.`,
      visualisationAlt: (name, p, steps) => `Visualisation de la classe ${name} : le réseau lui donne une probabilité de ${p} après ${steps} pas`,
      visualisationCaption: (name, p) => `${name} — p = ${p}`,
      visualisationTop5: "Les cinq classes les plus probables pour cette image",
      visualisationDownload: "Télécharger l'image (PNG)",
      visualisationFile: "classe",
      ascentDone: (steps, seconds, name, p) => `${steps} pas en ${seconds} s : p(${name}) = ${p}.`,
      loadingPanel: "Chargement du panneau",
      loadingModule: "Chargement du module…",
      openFailed: (why) => `Le panneau n'a pas pu s'ouvrir : ${why}`,
      ready: (backend) => `Prêt. ${backend}.`,
    },
    en: {
      locale: "en-US",
      quote: (text) => `“${text}”`,
      licence: (text) => text,
      techniques: {
        saillance: {
          label: "Saliency map",
          classLabel: "Class to explain",
          classHint: "Leave empty for the class the network predicts.",
          run: "Compute the map",
        },
        "image-trompeuse": {
          label: "Fooling image",
          classLabel: "Target class",
          classHint: "The network must end up seeing this class in the photo.",
          run: "Make the fooling image",
        },
        visualisation: {
          label: "Class visualization",
          classLabel: "Class to bring out",
          classHint: "The image starts from random noise.",
          run: "Start the ascent",
        },
      },
      stop: "Stop",
      progress: "Progress of the computation",
      photoLegend: "Photo",
      techniqueLegend: "Technique",
      ownPhoto: "Your photo:",
      camera: "or the camera:",
      dropHint: "You can also drop an image on this panel.",
      form: "Settings of the computation",
      panel: "Panel: the techniques in the browser",
      precision: (precision) => (precision.float16 && precision.float32 ? "float16 and float32" : precision.float16 ? "float16" : "float32"),
      engine: (backend, tfjs, title, precision) => `Computing: ${backend} — TensorFlow.js ${tfjs}, ${title} (${precision}).`,
      busyDrop: "A computation is running: stop it before changing the photo.",
      unexpected: (why) => `An unexpected error occurred (${why}). The page is still usable: try again, or choose another photo.`,
      chosenAlt: (label) => `Chosen photo: ${label}, cropped to 224 × 224 pixels`,
      courseInfo: (caption, source, licence) => `${caption} — ${source}, ${licence}.`,
      reading: "Reading the photo…",
      yourPhoto: "your photo",
      size: (w, h) => `${w} × ${h} pixels`,
      ownInfo: (name, size) => `${name}: ${size}, resized to 256 pixels on its short side, then center-cropped to 224 × 224, as tp8.load_image does.`,
      ownInfoLarge: (name, megapixels, size) =>
        `${name}: a large photo of ${megapixels} megapixels (${size}), resized to 256 pixels on its short side, then center-cropped to 224 × 224, as tp8.load_image does.`,
      photoReady: "Photo ready. It stays on your device.",
      choosePhoto: "First choose a photo: one of the course's, or your own.",
      stoppedAt: (step) => `Stopped at step ${step}.`,
      stopped: "Computation stopped.",
      partialAlt: (name, step) => `Visualization of the class ${name}, stopped at step ${step}`,
      partialCaption: (step) => `Image reached at step ${step}.`,
      top5: "The five most probable classes",
      saliencyRunning: "Computing the saliency map (one forward pass, one backward pass)…",
      saliencyAlt: (name, p, label) =>
        `Saliency map of the class ${name} (probability ${p}) for the photo ${label}: the bright pixels are those that change the class's score the most`,
      analysedAlt: (label) => `Analyzed photo: ${label}`,
      photoCaption: "The photo (224 × 224)",
      saliencyCaption: (name, p) => `Saliency of ${name} — p = ${p}`,
      saliencyDownload: "Download the map (PNG)",
      saliencyFile: "saliency",
      saliencyDone: (name, seconds) => `Map of ${name} computed in ${seconds} s.`,
      foolingStart: (name) => `Toward ${name}…`,
      foolingStep: (step, total, seen, target, p) => `Step ${step} / ${total}: the network sees ${seen}; p(${target}) = ${p}.`,
      foolingAlt: (seen, p, original) => `Fooling image: the network sees ${seen} in it with a probability of ${p} (the original photo: ${original})`,
      notFooledAlt: (steps, seen, target, p) =>
        `Image after ${steps} steps: the network still sees ${seen} in it; the target class ${target} has only ${p}`,
      differenceAlt: (factor) =>
        factor === 1
          ? "Difference between the fooling image and the photo, to scale, around mid-gray"
          : `Difference between the fooling image and the photo, magnified ${factor} times around mid-gray`,
      differenceCaption: (factor) => (factor === 1 ? "Difference (gray: unchanged)" : `Difference × ${factor} (gray: unchanged)`),
      originalAlt: (label, name) => `Original photo: ${label}, classified as ${name}`,
      originalCaption: (name) => `Photo: ${name}`,
      fooledCaption: (fooled, seen, p) => `${fooled ? "Fooled" : "Not fooled yet"}: ${seen} — p = ${p}`,
      foolingTop5: "The five most probable classes for the fooling image",
      perturbation: (steps, l2, linf) => `${steps} steps; perturbation L2 = ${l2}/255, L∞ = ${linf}/255.`,
      foolingDownload: "Download the fooling image (PNG)",
      foolingFile: "fooling",
      frameHint:
        "The PNG keeps the photo's 256 × 256 pixel frame: tp8.load_image (and so tp8 predict) crops it back exactly to the fooling image.",
      fooled: (steps, seconds, seen) => `Fooled in ${steps} steps (${seconds} s): the network sees ${seen}.`,
      notFooled: (steps, seconds) => `Not fooled after ${steps} steps (${seconds} s): try another class or another photo.`,
      liveAlt: (name) => `Visualization of ${name} in progress`,
      ascentCaption: (name) => `The ascent toward ${name}`,
      ascentStart: (name) => `Ascent toward ${name}…`,
      ascentStep: (step, total, name, p) => `Step ${step} / ${total}: p(${name}) = ${p}.`,
      visualisationAlt: (name, p, steps) => `Visualization of the class ${name}: the network gives it a probability of ${p} after ${steps} steps`,
      visualisationCaption: (name, p) => `${name} — p = ${p}`,
      visualisationTop5: "The five most probable classes for this image",
      visualisationDownload: "Download the image (PNG)",
      visualisationFile: "class",
      ascentDone: (steps, seconds, name, p) => `${steps} steps in ${seconds} s: p(${name}) = ${p}.`,
      loadingPanel: "Loading the panel",
      loadingModule: "Loading the module…",
      openFailed: (why) => `The panel could not open: ${why}`,
      ready: (backend) => `Ready. ${backend}.`,
    },
  };
  // The page's language, read when the panel opens.
  let LANGUAGE = "fr";
  let T = STRINGS.fr;
  function chooseLanguage() {
    const base = String(document.documentElement.lang || "").trim().toLowerCase().split(/[-_]/)[0];
    LANGUAGE = Object.prototype.hasOwnProperty.call(STRINGS, base) ? base : "fr";
    T = STRINGS[LANGUAGE];
  }
  /** The sentence `key` of the page's language, with its values. */
  const say = (key, ...values) => (typeof T[key] === "function" ? T[key](...values) : T[key]);

  // What each technique needs (the words are in STRINGS).
  const TECHNIQUES = {
    saillance: { photo: true, defaultClass: "" },
    "image-trompeuse": { photo: true, defaultClass: "goldfish" },
    visualisation: { photo: false, defaultClass: "flamingo" },
  };
  // The magnification of the fooling image's difference (said in its caption and alt text).
  const DIFFERENCE_FACTOR = 10;

  const percent = (p) => {
    const format = (value, digits) => new Intl.NumberFormat(T.locale, { style: "percent", maximumFractionDigits: digits }).format(value);
    return p > 0 && p < 0.001 ? `< ${format(0.001, 1)}` : format(p, p < 0.1 ? 1 : 0);
  };
  const decimal = (x, digits = 1) =>
    new Intl.NumberFormat(T.locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(x);
  const integer = (x) => new Intl.NumberFormat(T.locale).format(x);
  const quote = (name) => T.quote(name);
  /** A course photo's caption in the page's language. */
  const caption = (photo) => photo.caption[LANGUAGE] || photo.caption.fr || photo.name;

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function techniqueFromHash() {
    const hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
    return Object.prototype.hasOwnProperty.call(TECHNIQUES, hash) ? hash : null;
  }

  const state = {
    technique: techniqueFromHash() || "saillance",
    tp8: null,
    net: null,
    photo: null, // { label, image, frame, offset, course, url }
    running: null, // AbortController
    urls: [],
    opening: null,
  };

  // --- the parts of the panel (built when it opens) ------------------------------------------
  let ui = null;

  function build(net) {
    const info = net.info;
    const ids = (name) => `tp8-${name}`;
    const techniqueRadios = Object.keys(TECHNIQUES).map((key) =>
      el(
        "label",
        { className: "tp8-choice" },
        el("input", { type: "radio", name: "tp8-technique", value: key, id: ids(`technique-${key}`) }),
        ` ${T.techniques[key].label}`,
      ),
    );
    const photoRadios = info.photos.map((photo) =>
      el(
        "label",
        { className: "tp8-photo", title: `${caption(photo)} (${T.licence(photo.licence)})` },
        el("input", { type: "radio", name: "tp8-photo", value: photo.name }),
        el("img", {
          src: photo.thumbnail,
          alt: "",
          width: "56",
          height: "56",
          loading: "eager",
          decoding: "async",
        }),
        el("span", { className: "tp8-photo__name", text: caption(photo) }),
      ),
    );
    const file = el("input", { type: "file", accept: "image/*", id: ids("file"), className: "tp8-file" });
    const camera = el("input", { type: "file", accept: "image/*", capture: "environment", id: ids("camera"), className: "tp8-file" });
    const datalist = el("datalist", { id: ids("classes") }, net.classes.map((name) => el("option", { value: name })));
    const classInput = el("input", {
      type: "text",
      id: ids("class"),
      list: ids("classes"),
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": ids("class-hint"),
    });
    const classLabel = el("label", { for: ids("class"), className: "tp8-label" });
    const classHint = el("p", { id: ids("class-hint"), className: "tp8-hint" });
    const runButton = el("button", { type: "submit", className: "md-button md-button--primary tp8-run" });
    const stopButton = el("button", { type: "button", className: "md-button tp8-stop", disabled: true }, T.stop);
    const progress = el("progress", { className: "tp8-progress", max: "1", value: "0", "aria-label": T.progress, hidden: true });
    const status = el("p", { className: "tp8-status", role: "status", "aria-live": "polite" });
    const message = el("p", { className: "tp8-message", role: "alert", hidden: true });
    const preview = el("img", { className: "tp8-preview", alt: "", width: "224", height: "224", hidden: true });
    const photoInfo = el("p", { className: "tp8-hint tp8-photo-info", "aria-live": "polite" });
    const photoSet = el(
      "fieldset",
      { className: "tp8-photos" },
      el("legend", { text: T.photoLegend }),
      el("div", { className: "tp8-photo-grid", role: "presentation" }, photoRadios),
      el(
        "div",
        { className: "tp8-own" },
        el("label", { for: ids("file"), className: "tp8-label", text: T.ownPhoto }),
        file,
        el("label", { for: ids("camera"), className: "tp8-label tp8-camera-label", text: T.camera }),
        camera,
        el("span", { className: "tp8-hint tp8-drop-hint", text: T.dropHint }),
      ),
      el("div", { className: "tp8-chosen" }, preview, photoInfo),
    );
    const results = el("div", { className: "tp8-results", "aria-live": "off" });
    const form = el(
      "form",
      { className: "tp8-form", novalidate: true, "aria-label": T.form },
      el("fieldset", { className: "tp8-techniques" }, el("legend", { text: T.techniqueLegend }), techniqueRadios),
      photoSet,
      el("div", { className: "tp8-class" }, classLabel, classInput, datalist, classHint),
      el("div", { className: "tp8-actions" }, runButton, stopButton),
      progress,
      status,
      message,
    );
    const backend = el("p", { className: "tp8-hint tp8-backend" });
    backend.textContent = say("engine", net.backendLabel, info.versions.tfjs, info.title, say("precision", info.weights.precision));
    const panel = el(
      "section",
      { className: "tp8-panel", "aria-label": T.panel, tabindex: "-1" },
      form,
      results,
      backend,
    );
    ui = { panel, form, file, camera, classInput, classLabel, classHint, runButton, stopButton, progress, status, message, preview, photoInfo, photoSet, results };

    form.addEventListener("change", (event) => {
      const target = event.target;
      if (target.name === "tp8-technique") setTechnique(target.value, { keepClass: false });
      else if (target.name === "tp8-photo") chooseCoursePhoto(target.value);
      else if (target === file || target === camera) {
        if (target.files && target.files[0]) chooseOwnPhoto(target.files[0]);
        target.value = "";
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
    stopButton.addEventListener("click", () => {
      if (state.running) state.running.abort();
    });
    for (const name of ["dragenter", "dragover"]) {
      root.addEventListener(name, (event) => {
        if (!event.dataTransfer || ![...event.dataTransfer.types].includes("Files")) return;
        event.preventDefault();
        root.classList.add("tp8-dragging");
      });
    }
    root.addEventListener("dragleave", (event) => {
      if (event.target === root) root.classList.remove("tp8-dragging");
    });
    root.addEventListener("drop", (event) => {
      event.preventDefault();
      root.classList.remove("tp8-dragging");
      const dropped = event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files[0];
      if (!dropped) return;
      if (state.running) return showMessage(T.busyDrop);
      if (!TECHNIQUES[state.technique].photo) setTechnique("saillance", { keepClass: false });
      chooseOwnPhoto(dropped);
    });
    return panel;
  }

  // --- messages ------------------------------------------------------------------------------
  function showMessage(text) {
    ui.message.textContent = text;
    ui.message.hidden = !text;
  }

  function setStatus(text) {
    ui.status.textContent = text;
  }

  function setProgress(value, max) {
    if (value === null) {
      ui.progress.hidden = true;
      return;
    }
    ui.progress.hidden = false;
    if (max === undefined) ui.progress.removeAttribute("value");
    else {
      ui.progress.max = max;
      ui.progress.value = value;
    }
  }

  function describe(error) {
    if (error && error.name === "Tp8Error") return error.message;
    return say("unexpected", (error && error.message) || error);
  }

  // --- technique, photo, class ---------------------------------------------------------------
  function setTechnique(key, { keepClass = true } = {}) {
    if (!TECHNIQUES[key]) return;
    state.technique = key;
    if (!ui) return;
    const t = TECHNIQUES[key];
    const words = T.techniques[key];
    const radio = ui.form.querySelector(`input[name="tp8-technique"][value="${key}"]`);
    if (radio) radio.checked = true;
    ui.photoSet.hidden = !t.photo;
    ui.classLabel.textContent = words.classLabel;
    ui.classHint.textContent = words.classHint;
    ui.runButton.textContent = words.run;
    if (!keepClass || !ui.classInput.value) ui.classInput.value = t.defaultClass;
    showMessage("");
  }

  async function usePhoto(loaded, label, course) {
    state.photo = { ...loaded, label, course };
    const png = await state.tp8.toPNG(loaded.image);
    const url = URL.createObjectURL(png);
    state.urls.push(url);
    ui.preview.src = url;
    ui.preview.alt = say("chosenAlt", label);
    ui.preview.hidden = false;
  }

  async function chooseCoursePhoto(name) {
    const photo = state.net.info.photos.find((p) => p.name === name);
    if (!photo) return;
    showMessage("");
    try {
      const loaded = await state.tp8.loadImage(photo.frame);
      await usePhoto(loaded, caption(photo), true);
      ui.photoInfo.textContent = say("courseInfo", caption(photo), photo.source, T.licence(photo.licence));
    } catch (error) {
      showMessage(describe(error));
    }
  }

  async function chooseOwnPhoto(file) {
    showMessage("");
    for (const radio of ui.form.querySelectorAll('input[name="tp8-photo"]')) radio.checked = false;
    setStatus(T.reading);
    try {
      const loaded = await state.tp8.loadImage(file);
      const name = file.name || T.yourPhoto;
      await usePhoto(loaded, name, false);
      const size = say("size", integer(loaded.width), integer(loaded.height));
      const megapixels = (loaded.width * loaded.height) / 1e6;
      ui.photoInfo.textContent = megapixels >= 20 ? say("ownInfoLarge", name, decimal(megapixels), size) : say("ownInfo", name, size);
      setStatus(T.photoReady);
    } catch (error) {
      state.photo = null;
      ui.preview.hidden = true;
      ui.photoInfo.textContent = "";
      setStatus("");
      showMessage(describe(error));
    }
  }

  // --- results -------------------------------------------------------------------------------
  async function imageElement(imageData, alt) {
    const blob = await state.tp8.toPNG(imageData);
    const url = URL.createObjectURL(blob);
    state.urls.push(url);
    return { img: el("img", { src: url, alt, width: String(imageData.width), height: String(imageData.height) }), blob, url };
  }

  function topList(top, caption) {
    return el(
      "figure",
      { className: "tp8-top" },
      el("figcaption", { text: caption }),
      el(
        "ol",
        {},
        top.map((row) =>
          el(
            "li",
            {},
            el(
              "span",
              { className: "tp8-top__row" },
              el("span", { className: "tp8-top__name", text: row.name }),
              el("span", { className: "tp8-top__bar", style: `--p: ${(row.probability * 100).toFixed(1)}%`, "aria-hidden": "true" }),
              el("span", { className: "tp8-top__p", text: percent(row.probability) }),
            ),
          ),
        ),
      ),
    );
  }

  function download(url, filename, text) {
    return el("a", { className: "md-button tp8-download", href: url, download: filename }, text);
  }

  function slug(text) {
    return String(text)
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "image";
  }

  function clearResults() {
    ui.results.replaceChildren();
    // Free the previous results' images (the chosen photo's preview stays).
    const keep = ui.preview.src;
    state.urls = state.urls.filter((url) => (url === keep ? true : (URL.revokeObjectURL(url), false)));
  }

  function figure(img, caption) {
    return el("figure", { className: "tp8-figure" }, img, el("figcaption", { text: caption }));
  }

  // --- running -------------------------------------------------------------------------------
  function setRunning(controller) {
    state.running = controller;
    const busy = !!controller;
    for (const input of ui.form.querySelectorAll("input, button")) {
      if (input !== ui.stopButton) input.disabled = busy;
    }
    ui.stopButton.disabled = !busy;
    root.classList.toggle("tp8-busy", busy);
  }

  async function run() {
    if (state.running) return;
    const t = TECHNIQUES[state.technique];
    const { tp8, net } = state;
    showMessage("");
    let target = null;
    const typed = ui.classInput.value.trim();
    try {
      if (typed || state.technique !== "saillance") target = net.classIndex(typed);
    } catch (error) {
      showMessage(describe(error));
      ui.classInput.focus();
      return;
    }
    if (t.photo && !state.photo) {
      showMessage(T.choosePhoto);
      return;
    }
    const controller = new AbortController();
    setRunning(controller);
    clearResults();
    const started = performance.now();
    const stopIfGone = () => {
      if (!root.isConnected) controller.abort();
    };
    try {
      if (state.technique === "saillance") await runSaliency(tp8, net, target, controller, stopIfGone);
      else if (state.technique === "image-trompeuse") await runFooling(tp8, net, target, controller, stopIfGone, started);
      else await runVisualisation(tp8, net, target, controller, stopIfGone, started);
    } catch (error) {
      if (tp8.isAbortError(error)) {
        setStatus(error.partial ? say("stoppedAt", error.partial.step) : T.stopped);
        if (error.partial && state.technique === "visualisation") {
          const { img } = await imageElement(error.partial.image, say("partialAlt", quote(net.classes[target]), error.partial.step));
          ui.results.replaceChildren(figure(img, say("partialCaption", error.partial.step)));
        }
      } else {
        setStatus("");
        showMessage(describe(error));
      }
    } finally {
      setRunning(null);
      setProgress(null);
    }
  }

  async function runSaliency(tp8, net, target, controller, stopIfGone) {
    setStatus(T.saliencyRunning);
    setProgress(0);
    const started = performance.now();
    const result = await tp8.saliencyMap(net, state.photo.image, { target, signal: controller.signal, onProgress: stopIfGone });
    const seconds = (performance.now() - started) / 1000;
    const name = quote(result.name);
    const map = await imageElement(result.image, say("saliencyAlt", name, percent(result.probability), state.photo.label));
    const photo = el("img", { src: ui.preview.src, alt: say("analysedAlt", state.photo.label), width: "224", height: "224" });
    ui.results.replaceChildren(
      el(
        "div",
        { className: "tp8-figures" },
        figure(photo, T.photoCaption),
        figure(map.img, say("saliencyCaption", name, percent(result.probability))),
      ),
      topList(result.top, T.top5),
      download(map.url, `${T.saliencyFile}-${slug(result.name)}.png`, T.saliencyDownload),
    );
    setStatus(say("saliencyDone", name, decimal(seconds)));
  }

  async function runFooling(tp8, net, target, controller, stopIfGone, started) {
    const maxIter = net.defaults.fooling.max_iter;
    setStatus(say("foolingStart", quote(net.classes[target])));
    setProgress(0, maxIter);
    const result = await tp8.foolingImage(net, state.photo.image, target, {
      signal: controller.signal,
      onProgress: ({ step, name, probability }) => {
        stopIfGone();
        setProgress(step, maxIter);
        setStatus(say("foolingStep", step, maxIter, quote(name), net.classes[target], percent(probability)));
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const predicted = quote(net.classes[result.predicted]);
    const original = quote(net.classes[result.originalClass]);
    const p = percent(result.probability);
    const alt = result.success
      ? say("foolingAlt", predicted, p, original)
      : say("notFooledAlt", result.iterations, predicted, quote(result.name), p);
    const fooled = await imageElement(result.image, alt);
    // The download: the fooling image in its photo's 256-pixel frame (tp8 predict crops it back exactly).
    const framed = tp8.pasteIntoFrame(state.photo.frame, result.image, state.photo.offset);
    const framedPng = await tp8.toPNG(framed);
    const framedUrl = URL.createObjectURL(framedPng);
    state.urls.push(framedUrl);
    const difference = tp8.amplifiedDifference(state.photo.image, result.image, DIFFERENCE_FACTOR);
    const diff = await imageElement(difference.image, say("differenceAlt", difference.factor));
    const photo = el("img", { src: ui.preview.src, alt: say("originalAlt", state.photo.label, original), width: "224", height: "224" });
    ui.results.replaceChildren(
      el(
        "div",
        { className: "tp8-figures" },
        figure(photo, say("originalCaption", original)),
        figure(fooled.img, say("fooledCaption", result.success, predicted, p)),
        figure(diff.img, say("differenceCaption", difference.factor)),
      ),
      topList(result.top, T.foolingTop5),
      el("p", { className: "tp8-hint" }, say("perturbation", result.iterations, decimal(result.l2 * 255), integer(Math.round(result.linf * 255)))),
      download(framedUrl, `${T.foolingFile}-${slug(result.name)}.png`, T.foolingDownload),
      el("p", { className: "tp8-hint", text: T.frameHint }),
    );
    setStatus(result.success ? say("fooled", result.iterations, decimal(seconds), predicted) : say("notFooled", result.iterations, decimal(seconds)));
  }

  async function runVisualisation(tp8, net, target, controller, stopIfGone, started) {
    const total = net.defaults.classVisualization.num_iterations;
    const name = net.classes[target];
    const canvas = el("canvas", { width: "224", height: "224", className: "tp8-live", role: "img", "aria-label": say("liveAlt", quote(name)) });
    const context = canvas.getContext("2d");
    ui.results.replaceChildren(el("div", { className: "tp8-figures" }, figure(canvas, say("ascentCaption", quote(name)))));
    setProgress(0, total);
    setStatus(say("ascentStart", quote(name)));
    const result = await tp8.classVisualization(net, target, {
      signal: controller.signal,
      onProgress: ({ step, probability, image }) => {
        stopIfGone();
        if (image) context.putImageData(image, 0, 0);
        setProgress(step, total);
        setStatus(say("ascentStep", step, total, name, percent(probability)));
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const p = percent(result.probability);
    const final = await imageElement(result.image, say("visualisationAlt", quote(name), p, result.iterations));
    ui.results.replaceChildren(
      el("div", { className: "tp8-figures" }, figure(final.img, say("visualisationCaption", quote(name), p))),
      topList(result.top, T.visualisationTop5),
      download(final.url, `${T.visualisationFile}-${slug(name)}.png`, T.visualisationDownload),
    );
    setStatus(say("ascentDone", result.iterations, decimal(seconds), name, p));
  }

  // --- opening -------------------------------------------------------------------------------
  async function open(technique) {
    if (technique) state.technique = technique;
    if (ui) {
      setTechnique(state.technique, { keepClass: false });
      ui.panel.scrollIntoView({ block: "start", behavior: "smooth" });
      ui.panel.focus({ preventScroll: true });
      return;
    }
    if (state.opening) return state.opening;
    chooseLanguage();
    const loading = el("div", { className: "tp8-loading" });
    const bar = el("progress", { max: "1", "aria-label": T.loadingPanel });
    const text = el("p", { role: "status", "aria-live": "polite", text: T.loadingModule });
    const failure = el("p", { className: "tp8-message", role: "alert", hidden: true });
    loading.append(bar, text, failure);
    for (const button of root.querySelectorAll(".tp8-open")) button.disabled = true;
    root.append(loading);
    root.scrollIntoView({ block: "start", behavior: "smooth" });
    state.opening = (async () => {
      try {
        const tp8 = await import(MODULE_URL);
        const net = await tp8.loadNetwork({
          onProgress: (p) => {
            text.textContent = p.message;
            if (p.total) {
              bar.max = p.total;
              bar.value = p.loaded;
            } else bar.removeAttribute("value");
          },
        });
        state.tp8 = tp8;
        state.net = net;
        const panel = build(net);
        loading.replaceWith(panel);
        for (const intro of root.querySelectorAll(".tp8-playground__intro, .tp8-open")) intro.closest("p").hidden = true;
        setTechnique(state.technique, { keepClass: false });
        const first = net.info.photos[0];
        if (first) {
          const radio = ui.form.querySelector(`input[name="tp8-photo"][value="${first.name}"]`);
          radio.checked = true;
          await chooseCoursePhoto(first.name);
        }
        setStatus(say("ready", net.backendLabel));
        root.dataset.tp8Ready = "1";
        panel.focus({ preventScroll: true });
      } catch (error) {
        failure.textContent = say("openFailed", describe(error));
        failure.hidden = false;
        bar.hidden = true;
        for (const button of scope.querySelectorAll(".tp8-open")) button.disabled = false;
        state.opening = null;
      }
    })();
    return state.opening;
  }

  // Every "Ouvrir" / "Essayer …" button of the page opens the panel, preset to its technique. The
  // buttons after this script are not parsed yet on a first load: listen on the page's article.
  const scope = root.closest("article") || root.parentElement;
  scope.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".tp8-open");
    if (!button || button.disabled) return;
    open(button.dataset.technique || techniqueFromHash() || state.technique);
  });
  // A link to #saillance, #image-trompeuse or #visualisation on this page presets the technique.
  function onHashChange() {
    if (!root.isConnected) {
      window.removeEventListener("hashchange", onHashChange); // the reader has left the page
      return;
    }
    const technique = techniqueFromHash();
    if (technique && ui && !state.running) setTechnique(technique, { keepClass: false });
    else if (technique) state.technique = technique;
  }
  window.addEventListener("hashchange", onHashChange);
})();
