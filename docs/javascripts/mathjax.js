// MathJax 3, served by the site itself (assets/vendor/mathjax, see tools/site_assets.py).
//
// Two sources of maths:
//  - Markdown pages: pymdownx.arithmatex (generic) wraps $…$ / $$…$$ in .arithmatex elements
//    as \(…\) / \[…\];
//  - notebook pages (mkdocs-jupyter/nbconvert): raw $…$ / $$…$$ left in the rendered Markdown
//    cells (.jp-RenderedMarkdown), Markdown outputs and LaTeX outputs (.jp-RenderedLatex).
//    HTML outputs (.jp-RenderedHTML: tables, tp8.course.notice boxes) may hold maths as well.
// MathJax only typesets those elements and the table of contents (never the rest of the
// navigation, nor code), on the first load and after every instant navigation (document$ emits
// for each new page).
//
// MathJax itself is loaded only by a page that holds maths: this small script is on every page,
// looks for TeX delimiters in the elements above, and adds MathJax's script the first time it finds
// some (also after an instant navigation from a page without maths). It loads MathJax's startup
// component and only the parts the course needs (TeX input, whose extensions load on demand from
// the same folder; CHTML output; the hidden MathML that screen readers read): 0.76 MB instead of the
// 1.17 MB of the combined tex-mml-chtml.js, whose largest part is the right-click menu.
window.MathJax = {
  loader: {
    load: ["input/tex", "output/chtml", "a11y/assistive-mml"],
  },
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams",
  },
  options: {
    ignoreHtmlClass: "tex2jax_ignore",
    processHtmlClass: "tex2jax_process",
  },
  chtml: {
    // The font files sit next to the script (assets/vendor/mathjax/output/chtml/fonts/woff-v2).
    matchFontHeight: false,
  },
  startup: {
    typeset: false,
    ready() {
      MathJax.startup.defaultReady();
      MathJax.startup.promise.then(() => tp8Typeset());
    },
  },
};

// Also the table of contents: a notebook heading such as "Pas d'apprentissage $\eta$" shows there.
const TP8_MATH_SELECTOR = [
  ".arithmatex",
  ".jp-RenderedMarkdown",
  ".jp-RenderedLatex",
  ".jp-RenderedHTML",
  ".md-nav--secondary .md-nav__link",
].join(", ");

// Where MathJax lies: next to this script's folder, in assets/vendor/mathjax (see mkdocs.yml).
const TP8_MATHJAX_URL = new URL(
  "../assets/vendor/mathjax/startup.js",
  (document.currentScript && document.currentScript.src) || window.location.href,
).href;
const TP8_TEX = /\$|\\\(|\\\[|\\begin\{/;

// Maths already typeset count too (the TeX is gone from the text once MathJax has run).
function tp8HasMaths() {
  return Array.from(document.querySelectorAll(TP8_MATH_SELECTOR)).some(
    (node) => node.querySelector("mjx-container") !== null || TP8_TEX.test(node.textContent),
  );
}

function tp8LoadMathJax() {
  if (document.getElementById("tp8-mathjax")) return;
  const script = document.createElement("script");
  script.id = "tp8-mathjax";
  script.src = TP8_MATHJAX_URL;
  script.async = true;
  document.head.appendChild(script);
}

function tp8Typeset() {
  // MathJax not loaded yet: load it if this page needs it; startup.ready() will call us once it is.
  if (!window.MathJax || !MathJax.startup || typeof MathJax.typesetPromise !== "function") {
    if (tp8HasMaths()) tp8LoadMathJax();
    return;
  }
  // One typesetting at a time (the first page load asks twice: MathJax ready, document$), and
  // each element once: a second pass over an element still being typeset would duplicate it.
  MathJax.startup.promise = MathJax.startup.promise
    .then(() => {
      const nodes = Array.from(document.querySelectorAll(TP8_MATH_SELECTOR)).filter(
        (node) => !node.hasAttribute("data-tp8-math"),
      );
      if (nodes.length === 0) return undefined;
      nodes.forEach((node) => node.setAttribute("data-tp8-math", ""));
      // After an instant navigation the previous page's maths are gone: forget them.
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      return MathJax.typesetPromise(nodes);
    })
    .catch((err) => console.warn("MathJax :", err));
}

if (typeof document$ !== "undefined") {
  document$.subscribe(() => tp8Typeset());
} else {
  document.addEventListener("DOMContentLoaded", () => tp8Typeset());
}
