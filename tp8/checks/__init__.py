"""Self-checks of the lab's exercises, for students (reports in French, or in English).

The exercise notebooks (``notebooks/exercices/``) ask the student to write the core of each
technique; these checks say whether it is right:

* :func:`saliency` — a saliency map ``carte_de_saillance(modele, images, classes)``: |∂ỹ_c/∂x|
  maxed over the RGB channels, one forward and one backward pass for the whole batch
  (Simonyan, Vedaldi & Zisserman 2014, https://arxiv.org/abs/1312.6034, §3.1);
* :func:`fooling` — a fooling image ``image_trompeuse(modele, image, cible, pas, max_iter)``: the
  lab's eq. 2, x ← clip(x + η g/‖g‖₂), judged on the image rounded to 8 bits, until the target is
  predicted or ``max_iter`` steps (Szegedy et al. 2014, https://arxiv.org/abs/1312.6199);
* :func:`class_visualization_step` — one step ``pas_de_montee(modele, z, cibles, pas, lam)`` of
  gradient ascent on L(z) = ỹ_c(z) − λ‖z‖₂² in the network's normalised space (the lab's eqs. 3–4;
  Simonyan et al. 2014, §2).

Each check runs the student's function on the "mini-réseau", a tiny CNN with fixed random weights
(16 × 16 images, 10 classes, no weights to download), on cases chosen to tell the usual mistakes
apart, and on one real photo with the pretrained SqueezeNet 1.1 when its weights can be found (it
says so when they cannot). It reports, in this order: not written yet, an error, or the notebook's
global network called instead of the argument; wrong type, shape, dtype or device, non-finite
values; gradients left behind; the distance to tp8's own implementation, with the tolerance and,
when the result is wrong, the hint of the usual mistake that reproduces it; properties of the
result. It ends with one verdict line and returns a :class:`CheckResult` (shown as text or HTML in
Jupyter). It never shows the reference's values or code, only distances to it, and hints; it never
raises because of the student's answer; it leaves the global random generator alone.

:func:`use` lets a page or a notebook run the student's function where it exists and tp8's
reference, with a visible notice, while it is still a stub — so that an exercise notebook runs
from top to bottom before anything is written.

Reports are shown in the language the kernel displays, French unless :func:`tp8.language.set_language`
or :func:`set_language` (the same setting) says ``"en"``; a :class:`CheckResult` keeps its lines
unrendered, and ``result.text("en")`` or ``result.html("fr")`` shows it in either language. Displayed
in Jupyter, a report or notice carries both: the English in the output's metadata
(``metadata["tp8"]["en"]``), where the course's English edition takes it.

The package is one engine (:mod:`tp8.checks.engine`, with :mod:`~tp8.checks.messages`,
:mod:`~tp8.checks.result`, :mod:`~tp8.checks.networks` and :mod:`~tp8.checks.student`) and one spec
file per exercise in :mod:`tp8.checks.exercises`: the public names of every file there (its
``__all__``) are this package's, so an exercise is added by writing one file (and documented on
the API page once its names are imported here).
"""

from __future__ import annotations

from . import exercises
from .engine import exports
from .exercises.class_visualization_step import class_visualization_step, reference_class_visualization_step
from .exercises.fooling import fooling, reference_fooling
from .exercises.saliency import reference_saliency, saliency
from .fallback import use
from .messages import language, set_language
from .networks import mini_images as _mini_images  # noqa: F401 (the tiny network, for the tests' own pages)
from .networks import mini_model as _mini_model  # noqa: F401
from .result import FAILED, NOT_IMPLEMENTED, PASSED, CheckResult, results

# The names written out here are the ones the API page documents (mkdocstrings reads this file
# without running it); the loop below exports every spec file's names all the same, so a new
# exercise's check works as soon as its file is written, and is documented once named here.
__all__ = [
    "FAILED",
    "NOT_IMPLEMENTED",
    "PASSED",
    "CheckResult",
    "class_visualization_step",
    "fooling",
    "language",
    "reference_class_visualization_step",
    "reference_fooling",
    "reference_saliency",
    "results",
    "saliency",
    "set_language",
    "use",
]

for _name, _value in exports(exercises).items():
    if globals().get(_name) is not _value:
        if _name in globals():
            raise ImportError(f"a spec file of tp8.checks.exercises exports {_name!r}, a name tp8.checks already has")
        globals()[_name] = _value
        __all__.append(_name)
