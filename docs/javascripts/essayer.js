// The "Essayer" page's panel (docs/essayer.md): the three techniques on a photo, in the browser.
//
// A classic script (Material's instant navigation evaluates a page's scripts again on each visit;
// a module would run only once per document), idempotent, that only wires the page: the network,
// TensorFlow.js and the photos are loaded by `javascripts/tp8-browser.js` (an ES module, imported
// on the first click on an "Ouvrir"/"Essayer" button), never before. The computation itself lives in
// that module; this file is the interface: technique, photo (the course's, a file, a drop, the
// camera), class (with suggestions), run / stop, progress, results with their alternative text,
// top-5, lossless PNG download.
(function () {
  "use strict";

  const root = document.getElementById("tp8-playground");
  if (!root || root.dataset.tp8Wired) return;
  root.dataset.tp8Wired = "1";

  const script = document.currentScript;
  const MODULE_URL = new URL("tp8-browser.js", (script && script.src) || window.location.href).href;
  const TECHNIQUES = {
    saillance: {
      label: "Carte de saillance",
      classLabel: "Classe à expliquer",
      classHint: "Laissez vide pour la classe que le réseau prédit.",
      run: "Calculer la carte",
      photo: true,
      defaultClass: "",
    },
    "image-trompeuse": {
      label: "Image trompeuse",
      classLabel: "Classe visée",
      classHint: "Le réseau doit finir par voir cette classe dans la photo.",
      run: "Fabriquer l'image trompeuse",
      photo: true,
      defaultClass: "goldfish",
    },
    visualisation: {
      label: "Visualisation de classe",
      classLabel: "Classe à faire apparaître",
      classHint: "L'image part d'un bruit aléatoire.",
      run: "Lancer l'ascension",
      photo: false,
      defaultClass: "flamingo",
    },
  };

  const percent = (p) =>
    p > 0 && p < 0.001
      ? "< 0,1\u202f%"
      : new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: p < 0.1 ? 1 : 0 }).format(p);
  const decimal = (x, digits = 1) =>
    new Intl.NumberFormat("fr-FR", { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(x);
  const integer = (x) => new Intl.NumberFormat("fr-FR").format(x);
  const quote = (name) => `« ${name} »`;

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
    const manifest = net.manifest;
    const ids = (name) => `tp8-${name}`;
    const techniqueRadios = Object.entries(TECHNIQUES).map(([key, t]) =>
      el(
        "label",
        { className: "tp8-choice" },
        el("input", { type: "radio", name: "tp8-technique", value: key, id: ids(`technique-${key}`) }),
        ` ${t.label}`,
      ),
    );
    const photoRadios = manifest.photos.map((photo) =>
      el(
        "label",
        { className: "tp8-photo", title: `${photo.caption} (${photo.licence})` },
        el("input", { type: "radio", name: "tp8-photo", value: photo.name }),
        el("img", {
          src: new URL(photo.thumbnail, net.manifestUrl).href,
          alt: "",
          width: "56",
          height: "56",
          loading: "eager",
          decoding: "async",
        }),
        el("span", { className: "tp8-photo__name", text: photo.caption }),
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
    const stopButton = el("button", { type: "button", className: "md-button tp8-stop", disabled: true }, "Arrêter");
    const progress = el("progress", { className: "tp8-progress", max: "1", value: "0", "aria-label": "Avancement du calcul", hidden: true });
    const status = el("p", { className: "tp8-status", role: "status", "aria-live": "polite" });
    const message = el("p", { className: "tp8-message", role: "alert", hidden: true });
    const preview = el("img", { className: "tp8-preview", alt: "", width: "224", height: "224", hidden: true });
    const photoInfo = el("p", { className: "tp8-hint tp8-photo-info", "aria-live": "polite" });
    const photoSet = el(
      "fieldset",
      { className: "tp8-photos" },
      el("legend", { text: "Photo" }),
      el("div", { className: "tp8-photo-grid", role: "presentation" }, photoRadios),
      el(
        "div",
        { className: "tp8-own" },
        el("label", { for: ids("file"), className: "tp8-label", text: "Votre photo :" }),
        file,
        el("label", { for: ids("camera"), className: "tp8-label tp8-camera-label", text: "ou l'appareil photo :" }),
        camera,
        el("span", { className: "tp8-hint tp8-drop-hint", text: "Vous pouvez aussi déposer une image sur ce panneau." }),
      ),
      el("div", { className: "tp8-chosen" }, preview, photoInfo),
    );
    const results = el("div", { className: "tp8-results", "aria-live": "off" });
    const form = el(
      "form",
      { className: "tp8-form", novalidate: true, "aria-label": "Réglages du calcul" },
      el("fieldset", { className: "tp8-techniques" }, el("legend", { text: "Technique" }), techniqueRadios),
      photoSet,
      el("div", { className: "tp8-class" }, classLabel, classInput, datalist, classHint),
      el("div", { className: "tp8-actions" }, runButton, stopButton),
      progress,
      status,
      message,
    );
    const backend = el("p", { className: "tp8-hint tp8-backend" });
    backend.textContent = `Calcul : ${net.backendLabel} — TensorFlow.js ${net.tf.version_core}, ${manifest.title} (${manifest.weights.dtype}).`;
    const panel = el(
      "section",
      { className: "tp8-panel", "aria-label": "Panneau : les techniques dans le navigateur", tabindex: "-1" },
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
      if (state.running) return showMessage("Un calcul est en cours : arrêtez-le avant de changer de photo.");
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
    return `Une erreur inattendue s'est produite (${(error && error.message) || error}). La page reste utilisable : réessayez, ou choisissez une autre photo.`;
  }

  // --- technique, photo, class ---------------------------------------------------------------
  function setTechnique(key, { keepClass = true } = {}) {
    if (!TECHNIQUES[key]) return;
    state.technique = key;
    if (!ui) return;
    const t = TECHNIQUES[key];
    const radio = ui.form.querySelector(`input[name="tp8-technique"][value="${key}"]`);
    if (radio) radio.checked = true;
    ui.photoSet.hidden = !t.photo;
    ui.classLabel.textContent = t.classLabel;
    ui.classHint.textContent = t.classHint;
    ui.runButton.textContent = t.run;
    if (!keepClass || !ui.classInput.value) ui.classInput.value = t.defaultClass;
    showMessage("");
  }

  async function usePhoto(loaded, label, course) {
    state.photo = { ...loaded, label, course };
    const png = await state.tp8.toPNG(loaded.image);
    const url = URL.createObjectURL(png);
    state.urls.push(url);
    ui.preview.src = url;
    ui.preview.alt = `Photo choisie : ${label}, recadrée à 224 × 224 pixels`;
    ui.preview.hidden = false;
  }

  async function chooseCoursePhoto(name) {
    const photo = state.net.manifest.photos.find((p) => p.name === name);
    if (!photo) return;
    showMessage("");
    try {
      const loaded = await state.tp8.loadImage(new URL(photo.frame, state.net.manifestUrl).href);
      await usePhoto(loaded, photo.caption, true);
      ui.photoInfo.textContent = `${photo.caption} — ${photo.source}, ${photo.licence}.`;
    } catch (error) {
      showMessage(describe(error));
    }
  }

  async function chooseOwnPhoto(file) {
    showMessage("");
    for (const radio of ui.form.querySelectorAll('input[name="tp8-photo"]')) radio.checked = false;
    setStatus("Lecture de la photo…");
    try {
      const loaded = await state.tp8.loadImage(file);
      const name = file.name || "votre photo";
      await usePhoto(loaded, name, false);
      const size = `${integer(loaded.width)} × ${integer(loaded.height)} pixels`;
      const megapixels = (loaded.width * loaded.height) / 1e6;
      ui.photoInfo.textContent =
        megapixels >= 20
          ? `${name} : une grande photo de ${decimal(megapixels)} mégapixels (${size}), réduite à 256 pixels de côté puis recadrée au centre à 224 × 224, comme tp8.load_image.`
          : `${name} : ${size}, réduite à 256 pixels de côté puis recadrée au centre à 224 × 224, comme tp8.load_image.`;
      setStatus("Photo prête. Elle reste sur votre appareil.");
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
      showMessage("Choisissez d'abord une photo : une de celles du cours, ou la vôtre.");
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
        setStatus(error.partial ? `Arrêté à l'étape ${error.partial.step}.` : "Calcul arrêté.");
        if (error.partial && state.technique === "visualisation") {
          const { img } = await imageElement(error.partial.image, `Visualisation de la classe ${quote(net.classes[target])}, arrêtée à l'étape ${error.partial.step}`);
          ui.results.replaceChildren(figure(img, `Image atteinte à l'étape ${error.partial.step}.`));
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
    setStatus("Calcul de la carte de saillance (une passe avant, une passe arrière)…");
    setProgress(0);
    const started = performance.now();
    const result = await tp8.saliencyMap(net, state.photo.image, { target, signal: controller.signal, onProgress: stopIfGone });
    const seconds = (performance.now() - started) / 1000;
    const alt = `Carte de saillance de la classe ${quote(result.name)} (probabilité ${percent(result.probability)}) pour la photo ${state.photo.label} : les pixels clairs sont ceux qui font le plus varier le score de cette classe`;
    const map = await imageElement(result.image, alt);
    const photo = el("img", { src: ui.preview.src, alt: `Photo analysée : ${state.photo.label}`, width: "224", height: "224" });
    ui.results.replaceChildren(
      el(
        "div",
        { className: "tp8-figures" },
        figure(photo, "La photo (224 × 224)"),
        figure(map.img, `Saillance de ${quote(result.name)} — p = ${percent(result.probability)}`),
      ),
      topList(result.top, "Les cinq classes les plus probables"),
      download(map.url, `saillance-${slug(result.name)}.png`, "Télécharger la carte (PNG)"),
    );
    setStatus(`Carte de ${quote(result.name)} calculée en ${decimal(seconds)} s.`);
  }

  async function runFooling(tp8, net, target, controller, stopIfGone, started) {
    const maxIter = net.defaults.fooling.max_iter;
    setStatus(`Vers ${quote(net.classes[target])}…`);
    setProgress(0, maxIter);
    const result = await tp8.foolingImage(net, state.photo.image, target, {
      signal: controller.signal,
      onProgress: ({ step, name, probability }) => {
        stopIfGone();
        setProgress(step, maxIter);
        setStatus(`Étape ${step} / ${maxIter} : le réseau voit ${quote(name)} ; p(${net.classes[target]}) = ${percent(probability)}.`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const predicted = net.classes[result.predicted];
    const original = net.classes[result.originalClass];
    const alt = result.success
      ? `Image trompeuse : le réseau y voit ${quote(predicted)} avec une probabilité de ${percent(result.probability)} (la photo d'origine : ${quote(original)})`
      : `Image après ${result.iterations} pas : le réseau y voit encore ${quote(predicted)} ; la classe visée ${quote(result.name)} n'a que ${percent(result.probability)}`;
    const fooled = await imageElement(result.image, alt);
    // The download: the fooling image in its photo's 256-pixel frame (tp8 predict crops it back exactly).
    const framed = tp8.pasteIntoFrame(state.photo.frame, result.image, state.photo.offset);
    const framedPng = await tp8.toPNG(framed);
    const framedUrl = URL.createObjectURL(framedPng);
    state.urls.push(framedUrl);
    const difference = amplifiedDifference(state.photo.image, result.image, 10);
    const diff = await imageElement(difference, "Différence entre l'image trompeuse et la photo, amplifiée 10 fois autour du gris moyen");
    const photo = el("img", { src: ui.preview.src, alt: `Photo d'origine : ${state.photo.label}, classée ${quote(original)}`, width: "224", height: "224" });
    ui.results.replaceChildren(
      el(
        "div",
        { className: "tp8-figures" },
        figure(photo, `Photo : ${quote(original)}`),
        figure(fooled.img, `${result.success ? "Trompé" : "Pas encore trompé"} : ${quote(predicted)} — p = ${percent(result.probability)}`),
        figure(diff.img, "Différence × 10"),
      ),
      topList(result.top, "Les cinq classes les plus probables pour l'image trompeuse"),
      el(
        "p",
        { className: "tp8-hint" },
        `${result.iterations} pas ; perturbation L2 = ${decimal(result.l2 * 255)}/255, L∞ = ${integer(Math.round(result.linf * 255))}/255.`,
      ),
      download(framedUrl, `trompeuse-${slug(result.name)}.png`, "Télécharger l'image trompeuse (PNG)"),
      el("p", { className: "tp8-hint", text: "Le PNG garde le cadre de 256 × 256 pixels de la photo : tp8.load_image (et donc tp8 predict) le recadre exactement sur l'image trompeuse." }),
    );
    setStatus(
      result.success
        ? `Trompé en ${result.iterations} pas (${decimal(seconds)} s) : le réseau voit ${quote(predicted)}.`
        : `Pas trompé après ${result.iterations} pas (${decimal(seconds)} s) : essayez une autre classe ou une autre photo.`,
    );
  }

  function amplifiedDifference(a, b, gain) {
    const out = new ImageData(a.width, a.height);
    for (let i = 0; i < a.data.length; i += 4) {
      for (let c = 0; c < 3; c++) out.data[i + c] = 127.5 + gain * (b.data[i + c] - a.data[i + c]);
      out.data[i + 3] = 255;
    }
    return out;
  }

  async function runVisualisation(tp8, net, target, controller, stopIfGone, started) {
    const total = net.defaults.classVisualization.num_iterations;
    const name = net.classes[target];
    const canvas = el("canvas", { width: "224", height: "224", className: "tp8-live", role: "img", "aria-label": `Visualisation de ${quote(name)} en cours` });
    const context = canvas.getContext("2d");
    ui.results.replaceChildren(el("div", { className: "tp8-figures" }, figure(canvas, `L'ascension vers ${quote(name)}`)));
    setProgress(0, total);
    setStatus(`Ascension vers ${quote(name)}…`);
    const result = await tp8.classVisualization(net, target, {
      signal: controller.signal,
      onProgress: ({ step, probability, image }) => {
        stopIfGone();
        if (image) context.putImageData(image, 0, 0);
        setProgress(step, total);
        setStatus(`Étape ${step} / ${total} : p(${name}) = ${percent(probability)}.`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const alt = `Visualisation de la classe ${quote(name)} : le réseau lui donne une probabilité de ${percent(result.probability)} après ${result.iterations} pas`;
    const final = await imageElement(result.image, alt);
    ui.results.replaceChildren(
      el("div", { className: "tp8-figures" }, figure(final.img, `${quote(name)} — p = ${percent(result.probability)}`)),
      topList(result.top, "Les cinq classes les plus probables pour cette image"),
      download(final.url, `classe-${slug(name)}.png`, "Télécharger l'image (PNG)"),
    );
    setStatus(`${result.iterations} pas en ${decimal(seconds)} s : p(${name}) = ${percent(result.probability)}.`);
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
    const loading = el("div", { className: "tp8-loading" });
    const bar = el("progress", { max: "1", "aria-label": "Chargement du panneau" });
    const text = el("p", { role: "status", "aria-live": "polite", text: "Chargement du module…" });
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
        const first = net.manifest.photos[0];
        if (first) {
          const radio = ui.form.querySelector(`input[name="tp8-photo"][value="${first.name}"]`);
          radio.checked = true;
          await chooseCoursePhoto(first.name);
        }
        setStatus(`Prêt. ${net.backendLabel}.`);
        root.dataset.tp8Ready = "1";
        panel.focus({ preventScroll: true });
      } catch (error) {
        failure.textContent = `Le panneau n'a pas pu s'ouvrir : ${describe(error)}`;
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
