# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tp8:
#     min_figures: 5
#     with_solutions: true
# ---

# %% [markdown]
# # Au-delà du gradient : quelle carte croire ?
#
# La [partie 1](../partie-1-saillance/) a expliqué les décisions de SqueezeNet avec la carte du TP, le
# module du gradient du score par rapport aux pixels, et la [Q2](../partie-1-saillance/#q2) en a discuté
# les limites. (Si vous suivez le TP, répondez d'abord à la Q8.2 : cette page en prolonge la réponse.)
# Des dizaines de méthodes ont été proposées depuis pour faire mieux. Cette page en met trois à l'épreuve
# à côté de la carte du TP, **SmoothGrad**, les **gradients intégrés** et **Grad-CAM**, avec pour référence
# une méthode qui se passe de gradient, l'**occultation**.
#
# Regarder des cartes ne suffit pas à les départager : une carte peut être lisse, jolie, centrée sur
# l'objet… et ne rien dire du réseau. On posera donc deux questions mesurables, sur les mêmes photos :
#
# 1. **la carte dépend-elle du réseau ?** Si l'on détruit les poids du réseau, couche après couche, une
#    carte qui l'explique doit changer (le test de cohérence d'Adebayo et al., 2018) ;
# 2. **la carte désigne-t-elle ce qui compte ?** Si l'on efface les pixels qu'elle classe en premier, la
#    probabilité de la classe doit s'effondrer plus vite qu'en effaçant des pixels au hasard (les courbes de
#    suppression et d'insertion de Petsiuk et al., 2018).
#
# Tous les calculs sont des appels à `tp8` (`tp8.input_gradient`, `tp8.smoothgrad`,
# `tp8.integrated_gradients`, `tp8.grad_cam`, `tp8.attribution.occlusion`, `tp8.model_randomization`,
# `tp8.deletion`, `tp8.insertion`), exécutés lors de la construction de cette page.

# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()
page_clock = tp8.course.Stopwatch().__enter__()  # la durée d'exécution de la page, donnée à la fin

# %%
import functools

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from scipy.stats import binomtest

import tp8
from tp8.attribution import render_map
from tp8.course import Stopwatch, claim, num, pct, sci, show, table, tr  # noqa: F401 - read by the tr() templates
from tp8.plotting import row_label, show_tile, tile_figure

torch.manual_seed(0)
model = tp8.load_model()  # SqueezeNet 1.1, poids figés
samples = tp8.sample_images()  # les photos libres du cours
images = torch.stack([s.image for s in samples])  # (8, 3, 224, 224), pixels dans [0, 1]
names = [s.name for s in samples]
probs = model.probabilities(images)
classes = probs.argmax(dim=1)  # chaque carte explique la classe prédite
display(tp8.course.provenance(model))
table(
    [
        {tr("photo"): n, tr("classe prédite"): model.categories[int(c)], tr("probabilité"): float(probs[k, c])}
        for k, (n, c) in enumerate(zip(names, classes))
    ]
)

# %% [markdown]
# Les huit photos du cours (chat, café, astronaute, fusée, moto, pagode, fleur, Grace Hopper) servent
# partout sur cette page, et chaque carte explique la classe que le réseau prédit, juste ou fausse.
#
# ## Cinq cartes pour une même question
#
# Les cinq méthodes répondent à la même question : *quels pixels font monter le score $\tilde y_c$ de la
# classe $c$ ?* Elles diffèrent par la façon de poser le calcul.
#
# **Le gradient brut** (Simonyan et al., 2014), la carte du TP : la pente du score en $x$, pixel par pixel,
#
# $$ M_{ij} = \max_{k \in \{R, V, B\}} \left| \frac{\partial \tilde y_c}{\partial x_{kij}}(x) \right| . $$
#
# Une passe avant et une passe arrière. C'est une dérivée : elle décrit ce qui se passe dans un voisinage
# infinitésimal de $x$, et ce voisinage est accidenté. Un réseau à ReLU est affine par morceaux ; son
# gradient est constant sur chaque région linéaire et saute à leurs frontières, qui passent tout près de
# n'importe quelle entrée : d'où une carte bruitée, au grain très fin.
#
# **SmoothGrad** (Smilkov et al., 2017) prend au sérieux ce diagnostic : plutôt que la pente en un point,
# la pente moyenne dans un voisinage. On ajoute à la photo $n$ bruits gaussiens indépendants et on moyenne
# les $n$ cartes :
#
# $$ \hat M(x) = \frac{1}{n} \sum_{s=1}^{n} M\bigl(x + \varepsilon_s\bigr), \qquad
#    \varepsilon_s \sim \mathcal N\bigl(0, \sigma^2 I\bigr), \quad \sigma = 0{,}15\,(x_{\max} - x_{\min}). $$
#
# Attention à ce que l'on moyenne. Ici, comme dans `tp8.smoothgrad`, $M$ est la carte de saillance, faite
# de **valeurs absolues** : ce que la moyenne retire, ce sont les variations d'*amplitude* d'une copie à
# l'autre. Une composante du gradient dont seul le *signe* change d'une copie à l'autre ne s'annule pas :
# elle tend vers la moyenne de sa valeur absolue, et ne fait que fluctuer moins quand $n$ grandit. Dans
# l'article, $M$ est le gradient lui-même, et l'implémentation de ses auteurs moyenne les gradients signés
# avant d'en prendre le module : les changements de signe s'y annulent. `tp8` renvoie les deux moyennes
# (la seconde dans `attributions`). Prix : $n$ passes avant et arrière au lieu d'une.
#
# **Les gradients intégrés** (Sundararajan et al., 2017) s'attaquent à un autre défaut, l'**aplatissement**
# du score le long d'un chemin (ce que les auteurs appellent *saturation*, à ne pas confondre avec celle du
# softmax) : l'effet d'un motif peut cesser de croître bien avant la photo, parce que des unités du réseau
# s'allument ou s'éteignent en chemin ; autour de $x$, ce motif ne fait alors presque plus bouger le score
# et son gradient est presque nul, alors qu'il a contribué à la décision. Au lieu de la pente en $x$, on
# additionne les pentes tout au long du chemin droit qui va d'une image de référence $x'$ (ici l'image
# noire) à la photo :
#
# $$ \mathrm{IG}_k(x) = (x_k - x'_k) \int_0^1 \frac{\partial \tilde y_c}{\partial x_k}
#    \bigl(x' + \alpha\,(x - x')\bigr)\, d\alpha . $$
#
# Le théorème fondamental de l'analyse donne alors la propriété qui fait l'intérêt de la méthode, la
# **complétude** : les attributions s'additionnent exactement à la variation du score,
# $\sum_k \mathrm{IG}_k(x) = \tilde y_c(x) - \tilde y_c(x')$. On calcule l'intégrale par une quadrature à
# $m$ points, soit $m$ passes avant et arrière ; la carte montre, pour chaque pixel, la somme de ses trois
# canaux, qui est **signée** : en rouge ce qui pousse le score vers le haut, en bleu ce qui le tire vers le
# bas.
#
# **Grad-CAM** (Selvaraju et al., 2017) ne remonte pas jusqu'aux pixels. Il s'arrête à la sortie $A$ du
# dernier module *Fire* de SqueezeNet (512 cartes d'activation de $13 \times 13$) et pondère chaque carte
# $A^k$ par la moyenne de son gradient :
#
# $$ \alpha_k = \frac{1}{13 \times 13} \sum_{i,j} \frac{\partial \tilde y_c}{\partial A^k_{ij}}, \qquad
#    L = \mathrm{ReLU}\Bigl(\sum_k \alpha_k A^k\Bigr), $$
#
# puis agrandit $L$ à la taille de l'image (interpolation bilinéaire). La carte est grossière — un pixel de
# $L$ couvre environ $17 \times 17$ pixels de la photo — mais lisse par construction, et la passe arrière
# s'arrête à la couche choisie.
#
# **L'occultation** (Zeiler et Fergus, 2014) se passe de tout gradient : on cache la photo sous un carré
# gris de $w \times w$ pixels, à chaque position $p$ d'une grille de pas $s$, on note ce que perd le score,
# et chaque pixel reçoit la perte moyenne des carrés qui le couvrent,
#
# $$ M_{ij} = \mathop{\mathrm{moyenne}}\limits_{p \,\ni\, (i, j)} \bigl( \tilde y_c(x) - \tilde y_c(x^{(p)}) \bigr), $$
#
# où $x^{(p)}$ est la photo cachée en $p$. Elle ne lit que les sorties du réseau : elle s'applique à
# n'importe quel modèle, même une boîte noire, et pose directement la question « que perd-on sans cette
# région ? ». C'est la référence naturelle des méthodes à gradient. Sa carte est signée (en rouge, ce dont
# l'absence fait baisser le score) et n'est pas plus fine que le pas ; elle coûte une passe avant par
# position. On prend ici des carrés de 56 pixels tous les 28 pixels : 49 positions, donc 49 passes avant
# par image (plus une pour la photo elle-même), sans passe arrière.

# %%
N_SAMPLES, SIGMA = 8, 0.15  # SmoothGrad : n copies bruitées, σ en fraction de l'étendue des pixels
STEPS = 8  # gradients intégrés : points de la quadrature (Gauss–Legendre, celle de tp8 par défaut)
WINDOW, STRIDE = 56, 28  # occultation : côté du carré gris et pas de la grille, en pixels (7 × 7 positions)
methods = {
    "gradient": lambda x, c: tp8.input_gradient(model, x, c),
    "smoothgrad": lambda x, c: tp8.smoothgrad(model, x, c, n_samples=N_SAMPLES, sigma=SIGMA, seed=0),
    "ig": lambda x, c: tp8.integrated_gradients(model, x, c, baseline="black", steps=STEPS),
    "gradcam": lambda x, c: tp8.grad_cam(model, x, c),
    "occlusion": lambda x, c: tp8.attribution.occlusion(model, x, c, window=WINDOW, stride=STRIDE),
}
tp8.input_gradient(model, images, classes)  # une passe d'échauffement, non chronométrée : la toute
# première passe d'une taille de lot paie la préparation des convolutions (oneDNN), pas la méthode
results, seconds = {}, {}
for name, method in methods.items():
    with Stopwatch() as clock:
        results[name] = method(images, classes)
    seconds[name] = clock.seconds
LABEL = {
    "gradient": tr("gradient brut"),
    "smoothgrad": tr("SmoothGrad"),
    "ig": tr("gradients intégrés"),
    "gradcam": tr("Grad-CAM"),
    "occlusion": tr("occultation"),
}
display(tr("durées : {', '.join(f'{tr(LABEL[k])} {num(v, 1)} s' for k, v in seconds.items())}"))

# %% tags=["hide-input"]
SHOWN = [names.index(n) for n in ("chelsea", "coffee", "rocket", "grace_hopper")]
photos = tp8.to_numpy(images)
# Grad-CAM se lit sur la photo : ici en gris, sur 32 niveaux (sous la moitié de la couleur, l'œil n'en voit pas plus)
greys = np.repeat(np.round(31 * photos.mean(axis=3, keepdims=True)) / 31, 3, axis=3)
fig, axes = tile_figure(len(methods), len(SHOWN), title_lines=[2] + [0] * (len(methods) - 1), row_label_px=18)
for col, k in enumerate(SHOWN):
    for row, name in enumerate(methods):
        title = f"{names[k]}\n→ {model.categories[int(classes[k])]}" if row == 0 else None
        show_tile(axes[row, col], render_map(results[name].maps[k], name, greys[k]), title)
for row, name in enumerate(methods):
    row_label(fig, axes[row, 0], LABEL[name])
show(
    fig,
    alt=tr(
        """Quatre colonnes, une par photo (un chat, une tasse d'espresso, une fusée, Grace Hopper), titrées de la
classe prédite, et cinq rangées de cartes. Gradient brut : un semis de points rouges et jaunes sur fond
noir. SmoothGrad : des plages plus continues. Gradients intégrés : un grain de points rouges et bleus sur
fond blanc, qui suit les contours de la photo. Grad-CAM : la photo en gris teintée de violet, avec quelques
taches jaunes ou orangées à l'échelle des objets. Occultation : des plages floues de rouge et de bleu sur
fond blanc, à l'échelle des carrés de {WINDOW} pixels."""
    ),
)


# %% tags=["hide-input"]
def roughness(maps):
    """Variation moyenne entre pixels voisins, rapportée à la valeur moyenne de la carte (|carte|)."""
    m = maps.abs()
    step = (m[:, :, 1:] - m[:, :, :-1]).abs().mean(dim=(1, 2)) + (m[:, 1:] - m[:, :-1]).abs().mean(dim=(1, 2))
    return (step / 2 / m.mean(dim=(1, 2))).numpy()


def checkerboard(maps, period=4):
    """Rapport max/min de la carte moyenne selon la position (i mod 4, j mod 4) : le damier de Q2 (d)."""
    m = maps.abs().numpy()
    side = m.shape[-1] // period * period
    profile = m[:, :side, :side].reshape(len(m), side // period, period, side // period, period).mean(axis=(0, 1, 3))
    return profile.max() / profile.min()


rough = {name: roughness(r.maps) for name, r in results.items()}
r_grad, r_sg, r_ig, r_cam, r_occ = (np.median(rough[k]) for k in methods)
checker = {name: checkerboard(results[name].maps) for name in ("gradient", "smoothgrad")}
# La moyenne des gradients signés des mêmes copies (celle de l'article), ramenée à une carte comme M :
signed_sg = results["smoothgrad"].attributions.abs().amax(dim=1)
rough_signed = roughness(signed_sg)
checker_signed = checkerboard(signed_sg)


def signed_text():
    """La phrase sur la moyenne signée, écrite dans la langue du rendu en cours (appelée dans le gabarit)."""
    if all(rough_signed < rough["smoothgrad"]):
        return tr(
            "La moyenne des gradients **signés** des mêmes copies, où les changements de signe s'annulent, est {claim(all(rough_signed < rough['smoothgrad']), 'plus lisse encore sur chaque photo')} (rugosité médiane {num(np.median(rough_signed))})"
        )
    if all(rough_signed > rough["smoothgrad"]):
        return tr(
            "La moyenne des gradients **signés** des mêmes copies est, elle, {claim(all(rough_signed > rough['smoothgrad']), 'plus rugueuse sur chaque photo')} (rugosité médiane {num(np.median(rough_signed))}) : avec {N_SAMPLES} copies, les signes s'annulent mal"
        )
    return tr(
        "La moyenne des gradients **signés** des mêmes copies a une rugosité médiane de {num(np.median(rough_signed))}, plus faible ou plus forte selon la photo"
    )


display(
    tr(
        """
Chaque carte est dessinée sur sa propre échelle (du noir au blanc jusqu'à son 99,5ᵉ centile ; de bleu à
rouge, symétrique, pour les gradients intégrés et l'occultation ; mélangée à la photo pour Grad-CAM).
Pour comparer leur grain sans se fier à l'œil, on mesure la **rugosité** d'une carte : l'écart moyen entre
deux pixels voisins, divisé par la valeur moyenne de la carte. Médiane sur les huit photos : {num(r_grad)}
pour le gradient brut, {num(r_sg)} pour SmoothGrad, {num(r_ig)} pour les gradients intégrés, {num(r_cam)}
pour Grad-CAM et {num(r_occ)} pour l'occultation.
{claim(all(rough["smoothgrad"] < 0.6 * rough["gradient"]), "Sur chaque photo, SmoothGrad divise la rugosité du gradient brut par plus d'un et demi")} :
les variations d'amplitude d'une copie à l'autre se moyennent bien. {signed_text()}. Le damier que
l'architecture imprime aux cartes de gradient (la [Q2 (d)](../partie-1-saillance/#q2) de la partie 1 en
détaille le mécanisme), lui, résiste : en moyenne sur les huit cartes, la position la plus favorisée
modulo 4 reçoit {num(checker["gradient"], 1)} fois plus que la moins favorisée pour le gradient brut, et
{num(checker["smoothgrad"], 1)} fois plus pour SmoothGrad —
{claim(2 < checker["smoothgrad"] < checker["gradient"], "la moyenne sur des copies bruitées l'atténue sans l'effacer")},
car ce motif vient de l'architecture et se retrouve dans chaque copie (la moyenne signée en garde
{num(checker_signed, 1)}). {claim(all(rough["ig"] > rough["gradient"]), "Les gradients intégrés sont plus rugueux encore que le gradient brut")},
car ils multiplient un gradient (moyen) par la photo elle-même, dont ils héritent la texture.
{claim(all(rough["gradcam"] < 0.1 * rough["smoothgrad"]), "Grad-CAM est lisse par construction")} :
sa rugosité est celle d'une interpolation de 13 × 13 valeurs ;
{claim(all(rough["occlusion"] < 0.1 * rough["smoothgrad"]), "l'occultation l'est aussi")}, qui moyenne des
carrés de {WINDOW} pixels décalés de {STRIDE}. Mais une carte lisse n'est pas pour autant une carte juste ;
c'est ce que les sections suivantes mesurent.
"""
    )
)

# %% [markdown]
# ## Les gradients intégrés tiennent-ils leurs comptes ?
#
# La complétude n'est exacte que pour l'intégrale. Avec $m$ points, il reste un **écart de complétude**
#
# $$ \Delta = \sum_k \mathrm{IG}_k(x) - \bigl(\tilde y_c(x) - \tilde y_c(x')\bigr), $$
#
# que `tp8` renvoie pour chaque image et qui mesure directement l'erreur de la quadrature : c'est le
# contrôle que Sundararajan et al. recommandent pour choisir $m$. On compare trois règles au même prix
# (les $m$ passes des cartes de cette page) : la somme de Riemann « à droite » de l'article (les points $\alpha_j = j/m$, poids
# $1/m$), la règle du point milieu (les points $(j - \tfrac12)/m$, mêmes poids) et la quadrature de
# Gauss–Legendre, que `tp8` emploie par défaut, comme Captum, et qui donne les cartes de cette page. Pour
# comprendre leurs écarts, on regarde aussi *où*, le long du chemin, le score fait sa hausse : une passe
# avant de plus, sur les images $\alpha x$ avec $\alpha = 1/m$, la fin du premier intervalle.

# %%
ig = results["ig"]  # Gauss–Legendre, m = STEPS
RULES = {
    "riemann_right": tr("Riemann à droite"),
    "riemann_middle": tr("point milieu"),
    "gausslegendre": tr("Gauss–Legendre"),
}
with Stopwatch() as clock_rules:
    by_rule = {
        rule: tp8.integrated_gradients(model, images, classes, baseline="black", steps=STEPS, method=rule)
        for rule in RULES
        if rule != "gausslegendre"
    }
by_rule["gausslegendre"] = ig
rise = (ig.score - ig.baseline_score).numpy()  # ỹ(x) − ỹ(noir), ce que les attributions doivent totaliser
EARLY = 1 / STEPS  # la fin du premier intervalle
with torch.no_grad():
    early_score = model(EARLY * images).gather(1, classes[:, None])[:, 0].numpy()
early_share = (early_score - ig.baseline_score.numpy()) / rise  # part de la hausse acquise avant α = 1/m
signed_gap = {rule: r.delta.numpy() / rise for rule, r in by_rule.items()}  # Δ / (ỹ(x) − ỹ(noir)), signé
table(
    [
        {
            tr("photo"): n,
            tr("ỹ(x) − ỹ(noir)"): float(rise[k]),
            tr("part de la hausse avant α = 1/{STEPS}"): tr("{pct(early_share[k])}"),
            **{
                tr("écart ({tr(label)})"): tr("{pct(signed_gap[rule][k], 1, sign=True)}")
                for rule, label in RULES.items()
            },
        }
        for k, n in enumerate(names)
    ]
)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(7.5, 3.0), layout="constrained")
pos = np.arange(len(names))
for offset, rule, colour in zip((-0.27, 0, 0.27), RULES, ("0.6", "tab:orange", "tab:blue")):
    ax.bar(pos + offset, 100 * signed_gap[rule], 0.27, label=tr("{tr(RULES[rule])}, m = {STEPS}"), color=colour)
ax.axhline(0, color="0.3", lw=0.8)
ax.set_xticks(pos, names, rotation=20, fontsize=8)
ax.set_ylabel(tr("écart / (ỹ(x) − ỹ(noir)), en %"))
ax.set_title(tr("Écart de complétude des gradients intégrés, par photo et par règle"), fontsize=10)
ax.legend(fontsize=8)
ax.grid(axis="y", alpha=0.3)
show(
    fig,
    alt=tr(
        """Diagramme en barres : pour chacune des huit photos, l'écart de complétude des gradients intégrés en
pourcentage de la variation du score, signé (au-dessous de zéro, les attributions totalisent moins que la
variation), pour trois règles à {STEPS} points : Riemann à droite (gris), point milieu (orange) et
Gauss–Legendre (bleu)."""
    ),
)

# %% tags=["hide-input"]
median_gap = {rule: float(np.median(np.abs(g))) for rule, g in signed_gap.items()}
gl_gap = np.abs(signed_gap["gausslegendre"])
under = int((signed_gap["riemann_right"] < 0).sum())
first_node = tp8.attribution.quadrature("gausslegendre", STEPS)[0][0]
steep = float(np.median(early_share)) * STEPS  # pente moyenne du 1er intervalle ÷ pente moyenne du chemin


# Les phrases choisies d'après les nombres sont des fonctions, appelées dans le gabarit qui les cite : chaque
# langue du rendu écrit ainsi la sienne.
def right_sign():
    if under == len(names):
        return tr("sous-estime la hausse pour chacune des huit photos")
    if under >= 6:
        return tr("sous-estime la hausse pour {under} photos sur {len(names)}")
    return tr(
        "ne se trompe pas toujours dans le même sens (elle sous-estime la hausse pour {under} photos sur {len(names)})"
    )


def why():
    if under >= 6 and steep > 1.5:
        return tr(
            "Le tableau dit pourquoi : {pct(np.median(early_share))} de la hausse (médiane) se fait avant $\\alpha = 1/{STEPS}$, sur le premier des {STEPS} intervalles, où la pente est en moyenne {num(steep, 1)} fois celle de l'ensemble du chemin : c'est l'aplatissement de la [Q2 (c)](../partie-1-saillance/#q2), vu de près. Ensuite la pente retombe. La somme à droite évalue chaque intervalle à son extrémité droite, là où la pente a déjà baissé : sur une pente qui décroît, elle sous-estime à coup sûr. C'est une règle d'ordre 1, dont l'erreur, de l'ordre de $1/m$, a le signe de la variation de la pente."
        )
    return tr(
        "La hausse n'est pas concentrée au tout début du chemin sur ces photos ({pct(np.median(early_share))} avant $\\alpha = 1/{STEPS}$, en médiane) : l'écart de la somme à droite vient d'une pente qui varie tout au long du chemin, que cette règle d'ordre 1 suit mal."
    )


mid, gl, right = median_gap["riemann_middle"], median_gap["gausslegendre"], median_gap["riemann_right"]


def middle_text():
    if mid <= 1.5 * gl and mid < 0.5 * right:
        return tr(
            "La règle du point milieu, exacte seulement pour les polynômes de degré 1, fait d'ailleurs presque aussi bien ({pct(mid, 1)} en médiane)"
        )
    if mid < 0.5 * right:
        return tr(
            "La règle du point milieu, exacte seulement pour les polynômes de degré 1, réduit elle aussi nettement l'écart ({pct(mid, 1)} en médiane), moins que Gauss–Legendre"
        )
    return tr(
        "La règle du point milieu, elle, ne fait guère mieux que la somme à droite ({pct(mid, 1)} en médiane) : à si peu de points, la place exacte des nœuds compte"
    )


display(
    tr(
        """
Entre l'image noire et la photo, le score de la classe prédite monte de {num(rise.min(), 1)} à
{num(rise.max(), 1)} points selon la photo. L'écart médian (en valeur absolue) est de {pct(right, 1)} pour la
somme de Riemann à droite, {pct(mid, 1)} pour le point milieu et {pct(gl, 1)} pour Gauss–Legendre (au plus
{pct(gl_gap.max())}) : {claim(gl < 0.5 * right, "au même prix, la quadrature de Gauss–Legendre divise l'écart médian par plus de deux")}.
La somme à droite {right_sign()}.

{why()} Le point milieu et Gauss–Legendre évaluent la pente à l'intérieur des intervalles, et Gauss–Legendre
resserre ses points près des extrémités (le premier en $\\alpha \\approx {num(first_node, 3, tex=True)}$ pour
$m = {STEPS}$) : ils suivent mieux ce qui se passe au début du chemin.

La propriété qui définit Gauss–Legendre — intégrer exactement les polynômes de degré $2m - 1$ — n'y est
pour rien : le long du chemin, la pente d'un réseau à ReLU n'a rien d'un polynôme, elle est constante par
morceaux (le score est affine par morceaux en $\\alpha$), avec d'innombrables sauts. {middle_text()}. Aucune
règle n'est exacte à {STEPS} points sur une telle fonction : pour une carte publiée, on augmente $m$ jusqu'à
ce que l'écart soit négligeable. Ici, les deux règles de comparaison ont pris {num(clock_rules.seconds, 1)} s
pour les huit photos.
"""
    )
)

# %% [markdown]
# ## Des explications fragiles
#
# Une explication devrait changer quand le réseau change, et seulement alors. Kindermans et al. (2019) ont
# montré que des transformations de l'entrée **sans aucun effet sur le réseau** — un décalage constant des
# pixels, compensé par sa première couche — changent les cartes des méthodes qui dépendent d'une image de
# référence, comme les gradients intégrés. On le vérifie ici avec une transformation plus parlante : on
# présente à SqueezeNet les photos **en négatif**, $x' = 1 - x$, et l'on inverse sa normalisation en
# conséquence (moyenne $1 - \mu$, écart-type $-\sigma$). Le réseau ainsi modifié calcule exactement la
# même fonction des photos : mêmes logits, mêmes décisions. On recalcule, sur quatre photos, le gradient
# brut et les gradients intégrés depuis l'image noire de ce réseau, et on les compare aux cartes du réseau
# d'origine.

# %%
import copy

from tp8.sanity import rank_correlation

FRAGILE = [names.index(n) for n in ("chelsea", "coffee", "rocket", "grace_hopper")]
negative = copy.deepcopy(model)  # le même réseau, qui lit des négatifs : (1 − x − (1 − μ)) / (−σ) = (x − μ) / σ
negative.mean.copy_(1 - model.mean)
negative.std.copy_(-model.std)
x_neg = 1 - images[FRAGILE]
with torch.no_grad():
    logit_gap = float((model(images[FRAGILE]) - negative(x_neg)).abs().max())
grad_neg = tp8.input_gradient(negative, x_neg, classes[FRAGILE])
ig_neg = tp8.integrated_gradients(negative, x_neg, classes[FRAGILE], baseline="black", steps=STEPS)
rho_grad = rank_correlation(grad_neg.maps, results["gradient"].maps[FRAGILE]).numpy()
rho_ig = rank_correlation(ig_neg.maps, results["ig"].maps[FRAGILE]).numpy()  # cartes signées
display(
    tr("écart maximal des logits : {sci(logit_gap)} ; ρ des cartes de saillance : au moins {num(rho_grad.min(), 4)}")
)
table(
    [
        {
            tr("photo"): names[k],
            tr("ρ des gradients intégrés (négatif, original)"): float(rho_ig[i]),
            tr("ỹ(référence) du réseau en négatif"): float(ig_neg.baseline_score[i]),
            tr("ỹ(noir) du réseau d'origine"): float(results["ig"].baseline_score[k]),
        }
        for i, k in enumerate(FRAGILE)
    ]
)

# %% tags=["hide-input"]
same_function = logit_gap < 1e-3 * float(results["gradient"].score.abs().max())


def ig_verdict():
    if rho_ig.max() < 0:
        return tr(
            "{claim(rho_ig.max() < 0, 'les gradients intégrés changent du tout au tout')} : corrélation de rang de {num(rho_ig.min())} à {num(rho_ig.max())} entre les deux cartes de chaque photo, négative, si bien que les signes des attributions s'inversent en grande partie"
        )
    if rho_ig.max() < 0.5:
        return tr(
            """{claim(0 <= rho_ig.max() < 0.5, "les gradients intégrés n'ont plus grand-chose de commun")} avec ceux du réseau d'origine : corrélation de rang de {num(rho_ig.min())} à {num(rho_ig.max())}"""
        )
    if rho_ig.max() < 0.9:
        return tr(
            "{claim(0.5 <= rho_ig.max() < 0.9, 'les gradients intégrés changent nettement')} : corrélation de rang de {num(rho_ig.min())} à {num(rho_ig.max())}"
        )
    return tr(
        "les gradients intégrés changent à peine sur ces photos (corrélation de rang d'au moins {num(rho_ig.min())}), ce que rien ne garantit en général"
    )


# Les deux références sont-elles aussi peu « informatives » l'une que l'autre pour le réseau ?
reference_scores = np.concatenate([ig_neg.baseline_score.numpy(), results["ig"].baseline_score[FRAGILE].numpy()])
photo_scores = results["ig"].score[FRAGILE].numpy()
both_low = reference_scores.max() < 0.25 * photo_scores.min()


def references_text():
    if both_low:
        return tr(
            "Les deux références sont pourtant aussi peu parlantes l'une que l'autre pour le réseau : {claim(both_low, 'leurs scores restent sous le quart de celui des photos')} (au plus {num(reference_scores.max(), 1)}, contre au moins {num(photo_scores.min(), 1)})."
        )
    return tr(
        "Les scores des deux références, dans le tableau, ne sont pas du même ordre : elles ne disent pas la même chose au réseau."
    )


display(
    tr(
        """
{claim(same_function, "Le réseau en négatif calcule bien la même fonction")} (ses logits ne diffèrent de ceux
de l'original que de {sci(logit_gap)} au plus, l'arrondi des calculs), et
{claim(rho_grad.min() > 0.99, "ses cartes de saillance sont les mêmes")} aux arrondis près (corrélation de
rang d'au moins {num(rho_grad.min(), 3)}) : le gradient change de signe, son module non. En revanche,
{ig_verdict()}. La raison est simple : l'image noire du réseau en négatif est l'image **blanche** pour le
réseau d'origine, et les gradients intégrés répartissent la différence de score entre la photo et la
référence. {references_text()} « Noir » n'est pas une propriété du réseau mais une convention du codage des
pixels ; le choix de la référence fait partie de l'explication, et doit être dit avec elle.

Les cartes de gradient sont fragiles d'une autre façon encore : une perturbation invisible, *cherchée
exprès*, peut déplacer la carte vers une autre région de l'image sans changer la classe prédite (Ghorbani
et al., 2019). Les mêmes gradients qui dessinent les cartes servent, dans la
[partie 2](../partie-2-adversaires/), à changer la classe elle-même.
"""
    )
)


# %% [markdown]
# ## Le test de cohérence : la carte dépend-elle du réseau ?
#
# Adebayo et al. (2018) ont posé une question d'une simplicité désarmante : que devient une carte quand
# le réseau qu'elle prétend expliquer n'a plus rien appris ? Si elle ne change pas, elle montre quelque
# chose de l'image (ses contours, ses contrastes), pas la décision du réseau — et ils ont trouvé des
# méthodes répandues, comme la rétropropagation guidée, qui échouent à ce test.
#
# Le test **en cascade** détruit le réseau par le haut, un bloc à la fois, sur une **copie** (le réseau
# de l'appelant n'est jamais modifié) : d'abord la dernière convolution (`classifier.1`, celle qui produit
# les 1000 scores), puis le module *Fire* `features.12`, puis `features.11`… jusqu'à la première
# convolution `features.0`, soit dix étapes. Chaque bloc détruit reçoit des poids tirés au hasard avec le
# même écart-type que ses poids appris. Après chaque étape, on recalcule la carte de chaque méthode (pour
# la classe que prédisait le réseau entraîné) et on la compare à la carte d'origine par la **corrélation
# de rang de Spearman** $\rho$ de leurs valeurs absolues : $\rho = 1$, même classement des pixels ;
# $\rho \approx 0$, plus rien de commun.
#
# Pour savoir si le test est capable d'échouer, on lui soumet aussi une « méthode » qui ignore le réseau :
# le **détecteur de contours** de Sobel, appliqué à la photo en niveaux de gris. Et pour savoir ce que vaut
# un succès, une « carte » qui ne contient aucune information : un **bruit** uniforme, tiré à nouveau à
# chaque appel. Le test tourne sur quatre photos, avec des réglages réduits pour SmoothGrad ($n = 3$) et
# les gradients intégrés ($m = 3$), car chaque méthode est recalculée onze fois ; l'occultation, qui
# demanderait 49 passes avant par photo à chaque étape, n'y figure pas.

# %%
from skimage import filters


def contours(model, x, target):
    """Une « carte » qui ignore le réseau : le module du gradient de Sobel de la photo en gris."""
    grey = x.mean(dim=1).cpu().numpy()
    return torch.stack([torch.from_numpy(filters.sobel(g)).float() for g in grey])


pixel_methods = ["gradient", "smoothgrad", "ig"]
dead_scores = []  # à chaque étape : le score de la classe est-il nul (coupé par le ReLU final) ?


def gradient_noting_dead_scores(model, x, target):
    result = tp8.input_gradient(model, x, target)
    dead_scores.append(result.score == 0)
    return result


noise_draws = torch.Generator().manual_seed(0)


def noise(model, x, target):
    """Une « carte » sans aucune information : un bruit uniforme, tiré à nouveau à chaque appel."""
    return torch.rand((x.shape[0], *x.shape[2:]), generator=noise_draws)


SANITY = [names.index(n) for n in ("chelsea", "coffee", "rocket", "grace_hopper")]
SANITY_N = 3  # copies de SmoothGrad et points des gradients intégrés, pour chacune des onze étapes
checked = {
    "contours": contours,
    "gradient": gradient_noting_dead_scores,
    "smoothgrad": functools.partial(tp8.smoothgrad, n_samples=SANITY_N, sigma=SIGMA, seed=0),
    "ig": functools.partial(tp8.integrated_gradients, steps=SANITY_N),
    "gradcam": tp8.grad_cam,
    "bruit": noise,
}
checked_methods = ["gradient", "smoothgrad", "ig", "gradcam"]  # les méthodes mises à l'épreuve
before = {k: v.clone() for k, v in model.state_dict().items()}
with Stopwatch() as clock_sanity:
    sanity = tp8.model_randomization(model, images[SANITY], checked, classes[SANITY], keep_maps=True, seed=0)
untouched = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
display(tr("blocs, dans l'ordre : {', '.join(sanity.blocks)}"))
display(tr("réseau de départ inchangé après le test : {tr('oui') if untouched else tr('non')}"))

# %% tags=["hide-input"]
LABEL["contours"] = tr("contours (Sobel)")
LABEL["bruit"] = tr("bruit (nouveau à chaque appel)")
STYLE = {"contours": ("0.45", "--"), "gradient": ("tab:red", "-"), "smoothgrad": ("tab:orange", "-"),
         "ig": ("tab:blue", "-"), "gradcam": ("tab:purple", "-"), "bruit": ("0.6", ":")}  # fmt: skip
mean_rho = sanity.mean()
steps_axis = np.arange(len(sanity.steps))
fig, ax = plt.subplots(figsize=(8.5, 3.8), layout="constrained")
for name, rho in mean_rho.items():
    colour, style = STYLE[name]
    for k in range(len(sanity)):  # chaque photo, en trait fin
        ax.plot(steps_axis, sanity.correlation[name][:, k].numpy(), color=colour, alpha=0.2, lw=0.8, ls=style)
    ax.plot(steps_axis, rho.numpy(), color=colour, lw=2, ls=style, marker="o", ms=3, label=LABEL[name])
ax.set_xticks(steps_axis, [tr("entraîné")] + [f"+ {b}" for b in sanity.blocks], rotation=35, ha="right", fontsize=8)
ax.set_ylabel(tr("ρ de Spearman avec la carte d'origine"))
ax.set_ylim(-0.1, 1.05)
ax.axhline(0, color="0.7", lw=0.8)
ax.grid(alpha=0.3)
ax.legend(fontsize=8, loc="center right")
ax.set_title(
    tr(
        "Randomisation en cascade de SqueezeNet 1.1, du haut vers le bas\n(moyenne des cartes non dégénérées de 4 photos)"
    ),
    fontsize=10,
)
show(
    fig,
    alt=tr(
        """Courbes de la corrélation de Spearman entre la carte d'origine et la carte du réseau de plus en plus
détruit, en fonction du dernier bloc rendu aléatoire (de classifier.1 à features.0), pour six « méthodes » :
les contours de Sobel restent à 1 tout du long ; le bruit tiré à chaque appel tombe à 0 dès la première
étape ; le gradient brut, SmoothGrad et les gradients intégrés tombent vers des valeurs faibles ; Grad-CAM
tombe le plus vite, près de zéro après quelques blocs, puis remonte en partie. Des traits fins donnent chaque
photo, interrompus là où sa carte est nulle."""
    ),
)

# %% tags=["hide-input"]
# La photo montrée : la tasse d'espresso, sauf si l'une de ses cartes finales est nulle (score coupé par le ReLU,
# voir plus bas) ; alors la première photo dont aucune carte finale n'est nulle.
alive = [
    k for k in range(len(SANITY)) if not any(bool(sanity.constant[m][-1, k]) for m in ("gradient", "ig", "gradcam"))
]
k0 = min(alive, key=lambda k: names[SANITY[k]] != "coffee") if alive else SANITY.index(names.index("coffee"))
picked = [0, 1, len(sanity.blocks)]  # réseau entraîné, classifier.1 détruit, tout le réseau détruit
column_title = {
    0: tr("{names[SANITY[k0]]} :\nréseau entraîné"),
    1: tr("classifier.1\naléatoire"),
    len(sanity.blocks): tr("tout le réseau\naléatoire"),
}
shown_methods = ["gradient", "ig", "gradcam"]  # SmoothGrad, proche du gradient brut, reste dans les courbes
photo = greys[SANITY[k0]]
fig, axes = tile_figure(len(shown_methods), len(picked), title_lines=[2, 0, 0], row_label_px=18)
for row, name in enumerate(shown_methods):
    for col, step in enumerate(picked):
        tile = sanity.maps[name][step, k0]
        show_tile(axes[row, col], render_map(tile, name, photo), column_title[step] if row == 0 else None)
    row_label(fig, axes[row, 0], LABEL[name])
show(
    fig,
    alt=tr(
        """Les cartes de la photo {names[SANITY[k0]]} pour trois méthodes (en lignes : gradient brut, gradients
intégrés, Grad-CAM) à trois étapes de la destruction du réseau (en colonnes : réseau entraîné, dernière
couche aléatoire, réseau entièrement aléatoire)."""
    ),
)

# %% tags=["hide-input"]
# ρ est indéfini (NaN) pour une carte constante : les moyennes portent sur les cartes non dégénérées.
rho = {name: sanity.correlation[name] for name in checked}
after_top = {name: float(mean_rho[name][1]) for name in checked}  # classifier.1 seul détruit
at_end = {name: float(mean_rho[name][-1]) for name in checked}
live_end = {name: len(sanity) - int(sanity.degenerate()[name][-1]) for name in checked}
zero_maps = {name: int(sanity.constant[name][1:].sum()) for name in checked}
PASS = 0.5  # la convention de cette page : une méthode passe si son ρ final moyen tombe sous ce seuil
noise_rho = float(rho["bruit"][1:].abs().max())
cases = (len(sanity.steps) - 1) * len(sanity)
dead = torch.stack(dead_scores)  # (étapes, photos)
# D'où vient la corrélation résiduelle du réseau entièrement détruit ? On compare, sur les cartes non nulles,
# sa carte à la carte d'origine de la même photo et à celle d'une autre photo (la suivante).
same_photo, other_photo = {}, {}
for name in pixel_methods:
    end, trained = sanity.maps[name][-1].abs(), sanity.maps[name][0].abs()
    live = ~sanity.constant[name][-1]
    same_photo[name] = float(rank_correlation(end, trained)[live].mean())
    other_photo[name] = float(rank_correlation(end, trained.roll(1, dims=0))[live].mean())
dead_explains = bool(torch.equal(dead, sanity.constant["gradient"]))
cam_zero_and_dead = int((sanity.constant["gradcam"] & dead).sum())
display(
    tr(
        """
**La leçon en chiffres.** {claim(bool((rho["contours"] > 0.999).all()), "Les contours de Sobel ne bougent pas")} :
$\\rho = 1$ à chaque étape, puisqu'ils ne lisent pas le réseau. Le test sait donc échouer. Dès que la
seule dernière couche est aléatoire, la corrélation moyenne tombe à {num(after_top["gradient"])} pour le
gradient brut, {num(after_top["smoothgrad"])} pour SmoothGrad, {num(after_top["ig"])} pour les gradients
intégrés et {num(after_top["gradcam"])} pour Grad-CAM ; une fois tout le réseau aléatoire, elle vaut
{num(at_end["gradient"])}, {num(at_end["smoothgrad"])}, {num(at_end["ig"])} et {num(at_end["gradcam"])}
(moyennes sur les cartes non dégénérées, celles de {", ".join(str(live_end[m]) for m in checked_methods[:-1])} et
{live_end["gradcam"]} photos sur {len(sanity)} : voir plus bas). L'article ne fixe pas de seuil ; on convient
ici qu'une méthode **passe** le test si ce $\\rho$ final moyen tombe sous {num(PASS, 1)}. Avec cette
convention, {claim(all(at_end[m] < PASS for m in checked_methods), "aucune des quatre méthodes ne garde sa carte quand le réseau est détruit")}.

Passer ce test est nécessaire, pas suffisant.
{claim(noise_rho < 0.05, "La carte de pur bruit le passe haut la main")} ($|\\rho|$ d'au plus
{num(noise_rho, 3)} dès la première étape) sans rien expliquer du tout : le test écarte les cartes qui
ignorent le réseau, il ne dit pas qu'une carte est bonne. Binder et al. (2023) montrent ainsi que des
cartes sans information le passent aisément et qu'il ne suffit pas à classer des méthodes entre elles.

Les méthodes ne passent pas toutes de la même façon. {claim(at_end["gradcam"] < min(at_end[m] for m in pixel_methods), "Grad-CAM est celle qui dépend le plus des poids appris")} :
sa carte est faite des activations et des gradients de la dernière couche convolutive, que la
destruction atteint en premier. Les trois méthodes qui remontent jusqu'aux pixels gardent, même face à
un réseau entièrement aléatoire, une corrélation résiduelle
({claim(all(0.1 < at_end[m] < 0.5 for m in pixel_methods), "entre 0,1 et 0,5")}). Pour le gradient brut et
SmoothGrad, {claim(all(abs(same_photo[m] - other_photo[m]) < 0.1 for m in ("gradient", "smoothgrad")), "ce résidu ne vient pas de la photo")} :
sur les cartes non nulles, la carte du réseau détruit ressemble autant à la carte d'origine d'une **autre**
photo ($\\rho$ moyen de {num(other_photo["gradient"])} et {num(other_photo["smoothgrad"])}) qu'à celle de la
sienne ({num(same_photo["gradient"])} et {num(same_photo["smoothgrad"])}). Ce qui reste est vraisemblablement
l'empreinte de l'architecture, comme le damier mesuré plus haut : un motif que partagent toutes les cartes
du réseau, quelle que soit la photo.
{claim(same_photo["ig"] > other_photo["ig"], "Les gradients intégrés gardent un peu plus de la photo")}
({num(same_photo["ig"])} contre {num(other_photo["ig"])}), puisqu'ils multiplient le gradient par elle.

Enfin, dans {zero_maps["gradient"]} des {cases} cas ({len(sanity)} photos × {len(sanity.blocks)} étapes), la carte
du gradient brut du réseau détruit est **identiquement nulle**, et celle de Grad-CAM dans {zero_maps["gradcam"]} cas (dont
{cam_zero_and_dead} en même temps que le gradient). La cause est propre à SqueezeNet, dont les 1000 scores
passent par un ReLU :
{claim(dead_explains, "chaque carte nulle du gradient brut correspond à un score de la classe tombé à zéro")},
et un **score nul** n'a plus de gradient *en ce point* : les cartes du gradient brut et de Grad-CAM, calculées sur
la photo elle-même, s'annulent alors ; celles de SmoothGrad et des gradients intégrés, qui prennent le gradient
ailleurs (copies bruitées, images du chemin), peuvent ne pas s'annuler. Une carte constante n'a pas de
corrélation de rang : ces cartes **dégénérées** sont laissées hors des moyennes. Les compter comme
$\\rho = 0$ aiderait les méthodes à passer le test pour une raison qui ne tient pas à elles. Le réseau de
départ, lui, n'a pas changé : {claim(untouched, "ses poids sont identiques avant et après le test")}.
"""
    )
)

# %% [markdown]
# ## Suppression et insertion : la carte désigne-t-elle ce qui compte ?
#
# Passer le test de cohérence est nécessaire, pas suffisant : une carte peut dépendre du réseau et
# désigner quand même les mauvais pixels. Petsiuk et al. (2018) proposent de prendre la carte au mot.
#
# - **Suppression** : on remplace par du noir les pixels que la carte classe en premier, par paquets de
#   plus en plus gros, et l'on suit la probabilité $\hat y_c$ de la classe. Une carte fidèle la fait
#   s'effondrer vite : l'**aire sous la courbe** (AUC, la fraction de pixels effacés allant de 0 à 1) est
#   **petite**.
# - **Insertion** : on part de la photo très floue (flou gaussien de 10 pixels) et l'on y remet les pixels
#   nets dans le même ordre. Une carte fidèle fait remonter la probabilité vite : l'AUC est **grande**.
#
# Un pixel compte avec ses trois canaux ; l'ordre **aléatoire** sert de référence, et une carte n'apporte
# quelque chose que si elle fait mieux que lui. On en tire trois, pour voir ce que le hasard varie d'un
# tirage à l'autre, et l'on compte, photo par photo, combien de fois chaque carte fait mieux que leur
# moyenne : avec huit photos, il en faut au moins sept pour qu'un test du signe, pris seul, écarte le
# hasard au seuil de 5 %. Dix comparaisons sont faites ainsi (cinq cartes, deux courbes), sans correction,
# et chacune contre la moyenne de trois tirages seulement : c'est un seuil indicatif, pas une preuve. Comme la probabilité bouge surtout au début, les points des courbes sont plus serrés
# près de 0 (de 1 % en 1 % au départ, puis de plus en plus espacés).
#
# Ces deux mesures ont une limite qu'il faut garder en tête : une image criblée de trous noirs, ou une
# image floue semée de pixels nets, ne ressemble à aucune photo d'ImageNet. Une partie de la chute (ou de
# la montée) mesure donc la réaction du réseau à des images **hors distribution**, et pas seulement la
# qualité de la carte. La réponse classique est ROAR (*RemOve And Retrain*, Hooker et al., 2019) : on
# **réentraîne** le réseau sur des images dont on a retiré les pixels désignés, pour que la baisse de
# précision ne vienne plus du changement de distribution. C'est hors de portée de cette page — un
# entraînement complet par méthode et par fraction retirée. Sur ImageNet et deux autres jeux de données,
# les auteurs trouvent que, une fois le réseau réentraîné, le gradient brut et les gradients intégrés ne
# font pas mieux qu'un ordre aléatoire, le SmoothGrad ordinaire pas mieux que le gradient qu'il moyenne, et
# que seules deux moyennes sur des copies bruitées font nettement mieux : *SmoothGrad au carré*, qui
# moyenne les carrés des gradients, et *VarGrad*, qui en prend la variance.

# %%
FRACTIONS = [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1]
RANDOM_ORDERS = {"random": 0, "random1": 1, "random2": 2}  # trois ordres aléatoires, tirés de trois graines
curves = {}
with Stopwatch() as clock_curves:
    for mode in ("deletion", "insertion"):
        run = tp8.deletion if mode == "deletion" else tp8.insertion
        for name, maps in results.items():
            curves[mode, name] = run(model, images, maps, classes, fractions=FRACTIONS, seed=0)
        for name, seed in RANDOM_ORDERS.items():
            curves[mode, name] = run(model, images, "random", classes, fractions=FRACTIONS, seed=seed)
# La référence de chaque photo : l'aire moyenne des trois ordres aléatoires sur cette photo.
chance = {
    mode: torch.stack([curves[mode, r].auc for r in RANDOM_ORDERS]).mean(dim=0) for mode in ("deletion", "insertion")
}


def wins(name, mode):
    """Le nombre de photos sur lesquelles la carte fait mieux que la référence du hasard."""
    auc = curves[mode, name].auc
    return int((auc < chance[mode] if mode == "deletion" else auc > chance[mode]).sum())


LABEL.update({"random": tr("ordre aléatoire (graine 0)"), "random1": tr("ordre aléatoire (graine 1)"),
              "random2": tr("ordre aléatoire (graine 2)")})  # fmt: skip
STYLE.update({"random": ("0.3", ":"), "occlusion": ("tab:green", "-")})
table(
    [
        {
            tr("ordre"): LABEL[name],
            tr("AUC de suppression (↓)"): curves["deletion", name].mean_auc,
            tr("÷ hasard (suppression)"): curves["deletion", name].mean_auc / float(chance["deletion"].mean()),
            tr("photos où la carte bat le hasard (suppression)"): wins(name, "deletion") if name in results else "—",
            tr("AUC d'insertion (↑)"): curves["insertion", name].mean_auc,
            tr("÷ hasard (insertion)"): curves["insertion", name].mean_auc / float(chance["insertion"].mean()),
            tr("photos où la carte bat le hasard (insertion)"): wins(name, "insertion") if name in results else "—",
        }
        for name in [*results, *RANDOM_ORDERS]
    ],
    digits=3,
)

# %% tags=["hide-input"]
shown_orders = [*results, "random"]
fig, axes_ = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained", sharey=True)
for ax, mode, title in zip(
    axes_, ("deletion", "insertion"), (tr("Suppression (pixels → noir)"), tr("Insertion (flou → photo)"))
):
    for name in shown_orders:
        colour, style = STYLE[name]
        c = curves[mode, name]
        ax.plot(c.fractions.numpy(), c.probabilities.mean(dim=0).numpy(), color=colour, ls=style, lw=2,
                marker="o", ms=3, label=tr("{tr(LABEL[name])} (AUC {num(c.mean_auc, 3)})"))  # fmt: skip
    ax.set_xlabel(tr("fraction des pixels effacés") if mode == "deletion" else tr("fraction des pixels remis"))
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5)
axes_[0].set_ylabel(tr("probabilité de la classe (moyenne de 8 photos)"))
show(
    fig,
    alt=tr(
        """Deux graphiques de la probabilité moyenne de la classe prédite sur les huit photos. À gauche, en
fonction de la fraction de pixels remplacés par du noir dans l'ordre de chaque carte ; à droite, en
fonction de la fraction de pixels nets remis sur la photo floue. Une courbe par méthode (gradient brut,
SmoothGrad, gradients intégrés, Grad-CAM, occultation) et une pour un ordre aléatoire, avec l'aire sous
chaque courbe dans la légende."""
    ),
)

# %% tags=["hide-input"]
n_photos = len(names)
d_auc = {name: curves["deletion", name].mean_auc for name in [*results, *RANDOM_ORDERS]}
i_auc = {name: curves["insertion", name].mean_auc for name in [*results, *RANDOM_ORDERS]}
ref = {mode: float(chance[mode].mean()) for mode in ("deletion", "insertion")}
spread = {
    mode: (min(curves[mode, r].mean_auc for r in RANDOM_ORDERS), max(curves[mode, r].mean_auc for r in RANDOM_ORDERS))
    for mode in ("deletion", "insertion")
}
# Le moins de photos gagnées sur huit qui ne doive rien au hasard : test du signe unilatéral, p < 0,05.
NEEDED = next(k for k in range(n_photos + 1) if binomtest(k, n_photos, 0.5, alternative="greater").pvalue < 0.05)
CLEAR = {"deletion": 0.75, "insertion": 1.33}  # « nettement » : un quart de mieux que le hasard, au moins


def verdict(m, mode):
    """'clear', 'narrow' (bat le hasard, nettement ou de peu), 'worse' (fait moins bien) ou 'tie'."""
    auc, (low, high), w = curves[mode, m].mean_auc, spread[mode], wins(m, mode)
    better = auc < low if mode == "deletion" else auc > high  # hors de la fourchette des ordres aléatoires
    worse = auc > high if mode == "deletion" else auc < low
    ratio = auc / ref[mode]
    if better and w >= NEEDED:
        return "clear" if (ratio < CLEAR[mode] if mode == "deletion" else ratio > CLEAR[mode]) else "narrow"
    if worse and n_photos - w >= NEEDED:
        return "worse"
    return "tie"


WORDS = {
    "clear": tr("nettement mieux que le hasard"),
    "narrow": tr("mieux que le hasard, mais de peu"),
    "tie": tr("pas de différence nette avec le hasard"),
    "worse": tr("moins bien que le hasard"),
}
NAMED = {
    "gradient": tr("le gradient brut"),
    "smoothgrad": tr("SmoothGrad"),
    "ig": tr("les gradients intégrés"),
    "gradcam": tr("Grad-CAM"),
    "occlusion": tr("l'occultation"),
}
PLURAL = {"ig"}  # « les gradients intégrés » : sujet pluriel


# Les fonctions de texte qui suivent sont appelées dans un gabarit tr(…), qui les évalue dans chaque langue :
# tr(NAMED[m]) y donne le nom de la méthode dans la langue écrite.
def listing(ms):
    """« A », « A et B », « A, B et C » : les méthodes nommées."""
    words = [tr(NAMED[m]) for m in ms]
    if len(words) == 1:
        return words[0]
    return tr("{', '.join(words[:-1])} et {words[-1]}")


def verb(ms, singular, plural):
    return plural if len(ms) > 1 or set(ms) <= PLURAL else singular


def beats(m, mode):
    return verdict(m, mode) in ("clear", "narrow")


def on_photos(k):
    """« meilleure sur 1 photo sur 8 », « meilleure sur 5 photos sur 8 »."""
    return tr("meilleure sur {k} photo{'s' * (k > 1)} sur {n_photos}")


def detail(m, mode):
    """« 0,92 fois celle du hasard (meilleure sur 5 photos sur 8 : pas de différence nette avec le hasard) »."""
    return tr(
        "{num(curves[mode, m].mean_auc / ref[mode])} fois celle du hasard ({on_photos(wins(m, mode))} : {tr(WORDS[verdict(m, mode)])})"
    )


best_deletion = min(results, key=d_auc.get)
best_insertion, second_insertion = sorted(results, key=i_auc.get, reverse=True)[:2]
worst_deletion = max(results, key=d_auc.get)
both = [m for m in results if beats(m, "deletion") and beats(m, "insertion")]
insertion_wins = [m for m in results if beats(m, "insertion")]
blocky_worse = [m for m in ("gradcam", "occlusion") if verdict(m, "deletion") == "worse"]
near = [m for m in results if beats(m, "insertion") and verdict(m, "deletion") == "tie" and d_auc[m] < ref["deletion"]]


def both_details():
    """Pour chaque carte qui bat le hasard dans les deux sens : ses deux aires, rapportées au hasard."""
    return tr(" ; ").join(
        tr("{tr(NAMED[m])} : en suppression {detail(m, 'deletion')} ; en insertion {detail(m, 'insertion')}")
        for m in both
    )


def near_areas():
    """Les aires de suppression des cartes qui ne battent le hasard qu'en insertion, sans en être loin en suppression."""
    return tr(" et ").join(
        tr("{num(d_auc[m] / ref['deletion'])} fois celle du hasard, {on_photos(wins(m, 'deletion'))}") for m in near
    )


def both_text():
    if both:
        return tr("{listing(both)} y {verb(both, tr('parvient'), tr('parviennent'))} ({both_details()})")
    if not near:
        return tr("aucune des cinq cartes n'y parvient")
    return tr(
        "aucune des cinq cartes n'y parvient ; {listing(near)} {verb(near, tr('fait'), tr('font'))} mieux que le hasard en insertion, mais en suppression {tr('leurs aires') if len(near) > 1 else tr('son aire')} ({near_areas()}) {tr('restent') if len(near) > 1 else tr('reste')} dans la fourchette des ordres aléatoires"
    )


p0 = float(curves["deletion", "random"].probabilities[:, 0].mean())
p_first = float(torch.stack([curves["deletion", r].probabilities[:, 1] for r in RANDOM_ORDERS]).mean())
p_block_first = {m: float(curves["deletion", m].probabilities[:, 1].mean()) for m in ("gradcam", "occlusion")}


def ig_best_text():
    if best_deletion != "ig":
        return ""
    return tr(
        "Les gradients intégrés partent ici de l'image noire : la complétude garantit que la *somme* de leurs attributions vaut ce que perd le score quand l'image **entière** devient noire. Pixel par pixel, ce n'est pas vrai — l'attribution d'un pixel n'est pas ce que le score perdrait si l'on noircissait ce seul pixel, car les pixels interagissent —, mais leur référence est justement l'image que la suppression fabrique peu à peu, une parenté qui les avantage vraisemblablement dans cette mesure. "
    )


def block_text():
    if len(blocky_worse) == 2:
        return tr(
            """À l'inverse, {claim(len(blocky_worse) == 2, "en suppression, Grad-CAM et l'occultation font moins bien que le hasard")} : """
        )
    return tr(
        "À l'inverse, en suppression, Grad-CAM fait {tr(WORDS[verdict('gradcam', 'deletion')])} et l'occultation {tr(WORDS[verdict('occlusion', 'deletion')])} : "
    )


display(
    tr(
        """
**Ce que disent les courbes.** La première chose qu'elles montrent est la fragilité du réseau : effacer
1 % des pixels **au hasard** fait passer la probabilité moyenne de {num(p0)} à {num(p_first)} (moyenne des
trois ordres aléatoires). {claim(p_first < 0.6 * p0, "Quelques points noirs épars suffisent à dérouter SqueezeNet")}, bien
avant qu'aucun objet n'ait disparu : c'est l'effet « hors distribution » annoncé, et il pèse lourd sur toutes
les aires. Le hasard lui-même varie d'un tirage à l'autre : les trois ordres aléatoires donnent en moyenne
des aires de {num(spread["deletion"][0], 3)} à {num(spread["deletion"][1], 3)} en suppression, de
{num(spread["insertion"][0], 3)} à {num(spread["insertion"][1], 3)} en insertion. On ne dit donc ci-dessous
qu'une carte bat le hasard que si son aire moyenne sort de cette fourchette **et** qu'elle fait mieux que la
moyenne des trois ordres sur au moins {NEEDED} photos sur {n_photos} ; « nettement » si son aire est de plus
d'un quart meilleure que celle du hasard.

En suppression, la meilleure carte est {tr("celle des gradients intégrés") if best_deletion in PLURAL else tr(NAMED[best_deletion])},
avec une AUC de {num(d_auc[best_deletion], 3)} contre {num(ref["deletion"], 3)} pour le hasard, soit
{detail(best_deletion, "deletion")} ; en insertion, c'est {tr(NAMED[best_insertion])}, avec
{num(i_auc[best_insertion], 3)} contre {num(ref["insertion"], 3)}, soit {detail(best_insertion, "insertion")},
devant {tr(NAMED[second_insertion])} ({num(i_auc[second_insertion], 3)}). {claim(best_deletion != best_insertion, "Les deux mesures ne désignent pas la même gagnante")},
et ce désaccord s'explique en partie. {ig_best_text()}L'insertion, elle, part d'une image floue :
{listing(insertion_wins)} y {verb(insertion_wins, tr("fait"), tr("font"))} mieux que le hasard. Les cartes lisses y
rendent d'abord des régions entières de l'objet, les cartes granuleuses des pixels épars, qui ne reforment
un objet que tard. {block_text()}effacer d'un bloc la zone la plus importante laisse intacte une grande partie
de l'image, alors que le semis de points noirs de l'ordre aléatoire abîme toute l'image d'un coup ; après
1 % de pixels effacés, la probabilité moyenne vaut encore {num(p_block_first["gradcam"])} dans l'ordre de
Grad-CAM et {num(p_block_first["occlusion"])} dans celui de l'occultation, contre {num(p_first)} au hasard.

Le cas de l'occultation est instructif. Elle mesure directement ce que perd le score quand une région
disparaît, la question même de la suppression, et pourtant
{claim(worst_deletion == "occlusion", "c'est la pire carte en suppression")} : la courbe récompense moins la
carte qui désigne la bonne région que celle qui éparpille des trous dans toute l'image. C'est l'effet hors
distribution, que seul un réentraînement comme ROAR écarterait.

La morale n'est pas qu'une mesure ment et l'autre non : chacune mêle la fidélité de la carte à la façon
dont le réseau réagit à un type d'image artificielle. D'où un critère exigeant : battre le hasard **dans
les deux sens**. Sur ces huit photos, {both_text()}. Ce n'est qu'un critère parmi d'autres — une carte peut
échouer à une courbe pour une raison qui tient à la mesure plutôt qu'à elle, comme l'occultation en
suppression —, et la conclusion de la page le combine avec le test de cohérence.
"""
    )
)


# %% [markdown]
# ## Ce que coûte chaque carte
#
# Le coût qui ne dépend pas de la machine se compte en passes du réseau par image : une passe avant et
# arrière pour le gradient brut, $n$ pour SmoothGrad, $m$ pour les gradients intégrés (plus deux passes
# avant pour leur écart de complétude, quand la règle ne contient pas les extrémités du chemin), pour
# Grad-CAM une passe avant et une passe arrière qui s'arrête à la couche choisie, et pour l'occultation une
# passe avant par position du carré, plus une pour la photo, sans passe arrière. Les copies bruitées, les
# points du chemin et les photos occultées passent dans le réseau par grands lots (64 images par passe),
# jamais une par une.
# Les secondes, elles, ont été mesurées pendant la construction de cette page, sur un processeur que
# d'autres calculs pouvaient partager : elles varient d'une machine et d'une exécution à l'autre.


# %% tags=["hide-input"]
def passes_text():
    if N_SAMPLES == STEPS:
        return tr("chacun {N_SAMPLES} fois plus")
    return tr("{N_SAMPLES} et {STEPS} fois plus")


cost_rows = [
    {
        tr("méthode"): LABEL[name],
        tr("passes avant+arrière par image"): results[name].passes,
        tr("passes avant seules par image"): results[name].forward_passes,
        tr("secondes pour les 8 photos"): seconds[name],
        # l'occultation ne fait que des passes avant : on divise par elles
        tr("secondes par passe et par image"): seconds[name]
        / ((results[name].passes or results[name].forward_passes) * len(images)),
    }
    for name in methods
]
display(table(cost_rows, digits={"secondes pour les 8 photos": 1, "secondes par passe et par image": 3}))
per_pass = {row_name: row["secondes par passe et par image"] for row_name, row in zip(methods, cost_rows)}


# Des durées mesurées sur un processeur partagé : la phrase est choisie d'après elles, sans arrêter la construction.
def occlusion_pass():
    if per_pass["occlusion"] < per_pass["gradient"]:
        return tr(
            "sans passe arrière, chacune a coûté moins qu'une passe avant et arrière du gradient brut ({num(per_pass['occlusion'], 2)} s contre {num(per_pass['gradient'], 2)} s par passe et par image)"
        )
    return tr(
        "bien que sans passe arrière, chacune a coûté ici autant qu'une passe avant et arrière du gradient brut, ou plus, sur un processeur que d'autres calculs partageaient"
    )


# Des durées de quelques secondes, mesurées sur un processeur partagé : la phrase suit la mesure.
_ratio = seconds["gradcam"] / seconds["gradient"]


def gradcam_cost():
    if _ratio < 0.8:
        return tr(
            "Grad-CAM, dont la passe arrière s'arrête à la dernière couche convolutive, a coûté moins que le gradient brut"
        )
    if _ratio < 1.25:
        return tr(
            "Grad-CAM, dont la passe arrière s'arrête à la dernière couche convolutive, a coûté à peu près autant que le gradient brut"
        )
    return tr(
        "Grad-CAM, dont la passe arrière s'arrête à la dernière couche convolutive, a pris ici plus que le gradient brut, un écart que des durées de quelques secondes, sur un processeur partagé, ne permettent pas d'interpréter"
    )


display(
    tr(
        """
SmoothGrad et les gradients intégrés font ici {passes_text()} de passes que le gradient
brut et ont pris {num(seconds["smoothgrad"], 0)} s et {num(seconds["ig"], 0)} s pour les huit photos, contre
{num(seconds["gradient"], 1)} s (la dernière colonne du tableau ramène ces durées à une passe et une
image). {gradcam_cost()} ({num(seconds["gradcam"], 1)} s). L'occultation, avec ses {results["occlusion"].forward_passes} passes avant par
image, a pris {num(seconds["occlusion"], 0)} s : {occlusion_pass()} ;
mais il en faut une par position du carré, et une carte plus fine demanderait un pas plus petit,
donc bien plus de passes. Le banc d'essai `benchmarks/bench_attribution.py` du dépôt mesure ce que
SmoothGrad, les gradients intégrés et Grad-CAM coûtent de plus que les passes dont ils ont besoin.
"""
    )
)

# %% [markdown]
# ## Quelle carte croire ?
#
# Aucune carte ne gagne sur tous les tableaux, mais les mesures de cette page permettent de dire
# lesquelles méritent confiance, et pour quoi faire.

# %% tags=["hide-input"]
page_clock.__exit__(None, None, None)


def versus_chance(m):
    """Ce que disent les deux courbes d'une méthode, rapportées au hasard, avec le vocabulaire de la section."""
    return tr(
        "{tr('ont') if m in PLURAL else tr('a')} en suppression une aire {detail(m, 'deletion')} et en insertion une aire {detail(m, 'insertion')}"
    )


def coherence(m):
    if at_end[m] < PASS:
        if m in PLURAL:
            return tr("passent le test de cohérence ($\\rho$ final moyen {num(at_end[m])})")
        return tr("passe le test de cohérence ($\\rho$ final moyen {num(at_end[m])})")
    if m in PLURAL:
        return tr("échouent au test de cohérence ($\\rho$ final moyen {num(at_end[m])})")
    return tr("échoue au test de cohérence ($\\rho$ final moyen {num(at_end[m])})")


deletion_only = [m for m in results if beats(m, "deletion") and not beats(m, "insertion")]
insertion_only = [m for m in results if beats(m, "insertion") and not beats(m, "deletion")]
neither = [m for m in results if not beats(m, "deletion") and not beats(m, "insertion")]


def others():
    uses = []
    if insertion_only:
        uses.append(
            tr(
                "{listing(insertion_only)} ne {verb(insertion_only, tr('bat'), tr('battent'))} le hasard qu'en insertion, ce qui en fait {verb(insertion_only, tr('une carte'), tr('des cartes'))} de régions qui *suffisent* à faire reconnaître la classe, sans garantie que les effacer la ferait disparaître"
            )
        )
    if deletion_only:
        uses.append(
            tr(
                "{listing(deletion_only)} ne {verb(deletion_only, tr('bat'), tr('battent'))} le hasard qu'en suppression, ce qui en fait {tr('une carte') if len(deletion_only) == 1 else tr('des cartes')} de pixels dont l'effacement fait chuter la classe, rangés dans un ordre qui ne suffit pas à la reconstituer"
            )
        )
    if neither:
        uses.append(
            tr("{listing(neither)} ne {verb(neither, tr('bat'), tr('battent'))} le hasard dans aucun des deux sens")
        )
    if not uses:
        return ""
    if both:
        return tr(
            " Les autres cartes ne sont pas inutiles pour autant, pourvu qu'on dise ce qu'elles montrent : {tr(' ; ').join(uses)}."
        )
    return tr(
        " Les cartes ne sont pas inutiles pour autant, pourvu qu'on dise ce qu'elles montrent : {tr(' ; ').join(uses)}."
    )


failing = [m for m in checked_methods if at_end[m] >= PASS]


def coherence_text():
    if not failing:
        return tr(
            "ici les quatre méthodes à gradient le passent, le détecteur de contours montre qu'on peut y échouer, et le bruit, qu'y réussir ne prouve rien à soi seul"
        )
    return tr("ici, {listing(failing)} {verb(failing, tr('y échoue'), tr('y échouent'))}")


def ig_extra():
    if not beats("ig", "deletion"):
        return ""
    return tr(
        " Leur avantage en suppression tient vraisemblablement en partie au choix de l'image noire comme référence, dont on a vu plus haut qu'il change leurs cartes."
    )


def occlusion_rank():
    if best_insertion == "occlusion" and worst_deletion == "occlusion":
        return tr("la meilleure carte en insertion et la pire en suppression")
    return tr("une référence, à qui les cartes à gradient doivent se comparer")


display(
    tr(
        """
- **Le gradient brut** est, avec Grad-CAM, la moins chère des cartes (une passe avant et une passe
  arrière) ; il {coherence("gradient")}, mais sa carte est
  granuleuse (rugosité {num(r_grad)}) ; il {versus_chance("gradient")}. On le lit après lissage, pour sa
  structure grossière, comme en partie 1.
- **SmoothGrad** retire au gradient une bonne part de son grain (rugosité {num(r_sg)}), pour {N_SAMPLES} fois
  le prix ; il {coherence("smoothgrad")} et {versus_chance("smoothgrad")}.
- **Les gradients intégrés** sont les seuls dont les attributions s'additionnent à la variation du score
  entre l'image noire et la photo (à {pct(np.median(gl_gap), 1)} près en médiane avec {STEPS} points de
  Gauss–Legendre) : ils *répartissent* cette variation entre les pixels, sans dire ce que coûterait le
  retrait d'un pixel isolé, et cette répartition dépend de la référence choisie. Ils {coherence("ig")},
  leur carte hérite de la texture de la photo, et ils {versus_chance("ig")}.{ig_extra()}
- **Grad-CAM** est {claim(r_cam < min(r_grad, r_sg, r_ig), "la plus lisse des cartes à gradient")}, pour le prix
  d'un gradient ; il {coherence("gradcam")}
  et {versus_chance("gradcam")}. Sa limite est sa résolution, 13 × 13 valeurs pour une image de 224 × 224
  pixels : il dit *où*, pas *quels pixels*.
- **L'occultation**, qui ne lit que les sorties du réseau, vaut pour n'importe quel modèle, au prix d'une
  passe avant par position du carré ({results["occlusion"].forward_passes - 1} par image ici) pour une carte de
  la finesse de son pas ({STRIDE} pixels). Trop chère pour le test de cohérence de cette page, elle
  {versus_chance("occlusion")} : {occlusion_rank()}.

Aucune des cinq cartes ne réunit toutes les qualités, et c'est la leçon principale : une carte se
choisit pour une question, puis se vérifie. Un lecteur prudent exigera d'abord qu'elle passe le test de
cohérence — {coherence_text()}. Il lira ensuite les deux courbes ensemble, avec plusieurs ordres aléatoires
pour référence et photo par photo, en sachant qu'elles mesurent aussi la réaction du réseau à des images
artificielles. Battre le hasard dans les deux sens est le critère le plus strict : {both_text()}.{others()}
Enfin, on ne lira le détail au pixel près d'aucune d'elles. Les chiffres de cette page portent sur huit
photos (quatre pour le test de cohérence et pour les cartes du réseau en négatif) et un seul réseau : ils
illustrent une méthode de vérification, pas un classement définitif.

*Les calculs de cette page ont pris {num(page_clock.seconds, 0)} s lors de la construction du site, sur un
processeur (cartes : {num(sum(seconds.values()), 0)} s ; test de cohérence :
{num(clock_sanity.seconds, 0)} s ; courbes de suppression et d'insertion : {num(clock_curves.seconds, 0)} s).*
"""
    )
)
