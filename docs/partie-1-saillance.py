# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tp8:
#     min_figures: 10
# ---

# %% [markdown]
# # Partie 1 — Cartes de saillance
#
# Un classifieur d'images répond « chat égyptien » sans dire *pourquoi*. La carte de saillance est la
# réponse la plus simple à la question « quels pixels ont compté pour cette décision ? » : elle ne demande
# ni de réentraîner le réseau, ni de le modifier, seulement **une passe avant et une passe arrière**, comme
# une itération d'apprentissage — sauf qu'ici c'est l'image, et non les poids, qui reçoit le gradient.
#
# ## L'idée : linéariser le réseau autour de l'image
#
# Notons $f : \mathbb{R}^{3 \times H \times W} \to \mathbb{R}^{K}$ le réseau figé, $x$ l'image et
# $\tilde y = f(x)$ le vecteur des $K = 1000$ scores (les *logits*, avant le softmax). Un réseau de
# convolutions avec ReLU est une fonction très non linéaire de $x$, mais il est **affine par morceaux**
# (convolutions, ReLU et max-pooling le sont) : presque partout, il est **localement** affine. Le
# développement de Taylor à l'ordre 1 du score de la classe $c$ au voisinage de $x$ s'écrit
#
# $$
# \tilde y_c(x + \delta) = \tilde y_c(x) + w_c^\top \delta + o(\|\delta\|),
# \qquad
# w_c = \left.\frac{\partial \tilde y_c}{\partial x}\right|_{x} \in \mathbb{R}^{3 \times H \times W}.
# $$
#
# Simonyan, Vedaldi et Zisserman (2014) lisent ce développement comme un **modèle linéaire local**
# $\tilde y_c(x') \approx w_c^\top x' + b_c$ (avec $b_c = \tilde y_c(x) - w_c^\top x$) : dans un modèle
# linéaire, l'importance d'une entrée est la taille de son coefficient. Le coefficient $w_c[k, i, j]$ dit de
# combien le score de la classe $c$ bouge quand on modifie un peu le canal $k$ du pixel $(i, j)$. On en
# tire une carte 2D en prenant la valeur absolue (le signe dit seulement s'il faut éclaircir ou assombrir)
# puis le maximum sur les trois canaux (un pixel compte dès qu'une de ses couleurs compte) :
#
# $$
# M_{ij} = \max_{k \in \{R, V, B\}} \bigl| w_c[k, i, j] \bigr| .
# $$
#
# Ici $x$ désigne les pixels dans $[0, 1]$ *avant* la normalisation ImageNet (faite à l'intérieur du
# modèle), donc $M$ s'exprime en « unités de score par unité d'intensité de pixel ».
#
# ### Pourquoi le logit et pas la probabilité ?
#
# La probabilité $\hat y_c = e^{\tilde y_c} / \sum_k e^{\tilde y_k}$ a pour gradient
#
# $$
# \frac{\partial \hat y_c}{\partial x}
# = \hat y_c \Bigl( w_c - \sum_{k} \hat y_k \, w_k \Bigr).
# $$
#
# Deux défauts en découlent. D'abord, ce gradient **mélange toutes les classes** : $\hat y_c$ peut monter
# simplement parce que les scores des autres classes baissent, sans que rien ne parle en faveur de $c$.
# C'est l'argument de Simonyan et al. (2014, §2) pour travailler sur le score plutôt que sur la
# probabilité. Ensuite, il **s'écrase quand le réseau est sûr de lui** : si $\hat y_c \to 1$, la moyenne
# $\sum_k \hat y_k w_k$ tend vers $w_c$ et la parenthèse s'annule, si bien que les prédictions les plus
# confiantes donneraient les cartes les plus plates. C'est la **saturation du softmax**. Le gradient du
# logit, $w_c$, n'a ni le facteur $\hat y_c$ ni la parenthèse : c'est lui que l'on dérive.

# %% [markdown] tags=["solution"]
# La probabilité peut même *baisser* quand le logit monte, si d'autres logits montent plus vite ; la
# [Q2](#q2) suit les deux le long d'un même chemin.
#
# Le logit n'est pas pour autant propre à la classe $c$. Le softmax ne change pas quand on ajoute la même
# constante à tous les logits : la perte d'apprentissage, qui ne voit que les probabilités, laisse donc
# libre une part commune à tous les logits, et un logit mêle ce qui distingue $c$ des autres classes à ce
# qui fait monter tous les scores à la fois. Pour isoler la part propre à $c$, on retranche au logit la
# moyenne des autres logits, ou l'on compare sa carte à celles d'autres classes ; la [Q2 (b)](#q2) fait
# cette comparaison.

# %% [markdown]
# Dans `tp8`, tout cela tient dans la fonction `tp8.saliency_map` : les images d'un lot
# étant indépendantes, la somme de leurs scores se dérive en **une seule** passe arrière, qui donne à
# chaque image le gradient de son propre score.

# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from matplotlib.patches import Rectangle
from scipy.stats import norm, spearmanr
from skimage import color, filters, measure, segmentation, transform

import tp8
from tp8.course import claim, num, pct, quote, show, tr  # noqa: F401 (quote : dans les tr(...))
from tp8.plotting import row_label, show_tile, tile_figure

torch.manual_seed(0)


# %% [markdown]
# ## Le réseau et les photos
#
# Le réseau est SqueezeNet 1.1 (Iandola et al., 2016), entraîné sur ImageNet : environ 1,2 million de
# paramètres seulement, ce qui le rend rapide sur un simple processeur. Les photos, dans le domaine public ou
# sous licence libre, sont livrées avec scikit-image, scikit-learn et matplotlib, recadrées en 224 × 224 comme pour
# l'évaluation sur ImageNet. Toutes ne correspondent pas à une classe d'ImageNet (un astronaute, une
# fusée…) : c'est voulu, on verra ce que le réseau y « voit ».

# %%
model = tp8.load_model()  # SqueezeNet 1.1, figé, en mode évaluation
display(tp8.course.provenance(model))

samples = tp8.sample_images()
images = torch.stack([s.image for s in samples])  # (8, 3, 224, 224), pixels dans [0, 1]
names = [s.name for s in samples]
top3 = model.predict(images, k=3)
predicted = model.probabilities(images).argmax(dim=1)
# Les mentions que tp8 écrit en français (tp8/photos.toml), avec leur anglais.
french_mention = {
    "domaine public": tr("domaine public"),
    "matplotlib, données d'exemple grace_hopper.jpg": tr("matplotlib, données d'exemple grace_hopper.jpg"),
}

tp8.course.table(
    [
        {
            tr("photo"): s.name,
            tr("1re classe"): tr("{t[0][0]} ({pct(t[0][1])})"),
            tr("2e classe"): tr("{t[1][0]} ({pct(t[1][1])})"),
            tr("3e classe"): tr("{t[2][0]} ({pct(t[2][1])})"),
            tr("licence"): french_mention.get(s.licence, s.licence),
            tr("source"): french_mention.get(s.source, s.source),
        }
        for s, t in zip(samples, top3)
    ]
)

# %% [markdown]
# Quand une photo n'a pas de classe dans ImageNet, le réseau choisit quand même l'une de ses 1000 classes.
# Sauf mention contraire, les cartes de cette page expliquent **la classe prédite**, juste ou fausse.

# %% [markdown] tags=["solution"]
# La prédiction est juste pour le café (*espresso*) ; pour la moto, ImageNet n'a pas de classe « moto » et
# *moped* (cyclomoteur) est la plus proche ; pour le chat, les trois premières classes sont des classes de
# chats domestiques, dont la bonne (*tabby*).

# %% tags=["remove-cell", "solution"]
top_of = {s.name: [c for c, _ in t] for s, t in zip(samples, top3)}
# Les classes de chats domestiques d'ImageNet (lynx, tigre, léopard… sont des félins sauvages).
DOMESTIC_CATS = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat"}
claim(top_of["coffee"][0] == "espresso", "La prédiction est juste pour le café (espresso)")
claim(top_of["motorcycle"][0] == "moped", "moped (cyclomoteur) est la plus proche")
claim(
    set(top_of["chelsea"]) <= DOMESTIC_CATS and "tabby" in top_of["chelsea"],
    "pour le chat, les trois premières classes sont des classes de chats domestiques, dont la bonne (tabby)",
)

# %% [markdown]
#
# ## À vous : la carte de saillance
#
# Avant de laisser `tp8.saliency_map` calculer les cartes, écrivez-la. La fonction `carte_de_saillance`
# reçoit le réseau, un lot d'images et, pour chacune, la classe à expliquer ; elle renvoie une carte par
# image, $M_{ij} = \max_k |\partial \tilde y_c / \partial x_{kij}|$.
#
# *Indications.* Travaillez sur une copie des images qui demande son gradient (`requires_grad_(True)`)
# et faites une passe avant du lot entier. Dans chaque ligne des scores, gardez celui de la classe de
# l'image (`gather`, ou une indexation par deux tenseurs) : `torch.autograd.grad` de la **somme** de ces
# scores donne, en une seule passe arrière, le gradient de chaque image par rapport à ses propres pixels.
# Restent la valeur absolue et le maximum sur l'axe des canaux.


# %%
def carte_de_saillance(modele, images, classes):
    """Cartes de saillance M = max_k |∂ỹ_c/∂x_k| d'un lot d'images, une passe avant et une arrière.

    Args:
        modele: le réseau (un tp8.Classifier) : modele(x) donne les scores ỹ (avant le softmax)
            d'images x de pixels dans [0, 1], la normalisation est faite à l'intérieur.
        images: tenseur (N, 3, H, W) de pixels dans [0, 1] (ne le modifiez pas).
        classes: tenseur (N,) des indices des classes à expliquer, une par image.

    Renvoie:
        tenseur (N, H, W) : en chaque pixel, le plus grand |∂ỹ_c/∂x| de ses trois canaux, pour
        la classe c de son image ; détaché du graphe de calcul.
    """
    ### BEGIN SOLUTION
    copie_saillance = images.detach().clone().requires_grad_(True)
    scores_saillance = modele(copie_saillance).gather(1, classes.view(-1, 1))
    (gradient_saillance,) = torch.autograd.grad(scores_saillance.sum(), copie_saillance)
    return gradient_saillance.abs().amax(dim=1)
    ### END SOLUTION


# %% tags=["check"]
tp8.checks.saliency(carte_de_saillance)

# %% [markdown]
#
# ## Les cartes de saillance
#
# Les quatre premières cartes sont celles de votre fonction `carte_de_saillance` (dans l'énoncé, tant
# qu'elle n'est pas écrite, celles de la référence de `tp8`) ; les quatre suivantes, et toutes celles de la
# suite de la page, viennent de `tp8.saliency_map`, qui calcule les huit cartes en un seul appel. Chaque
# carte est affichée pixel pour pixel, sous une vignette de sa photo, du noir (0) au blanc (son propre
# 99,5ᵉ centile) : les échelles diffèrent d'une image à l'autre, la barre de couleur les donne.
#
# Pour calculer la carte d'une photo de votre choix, sans rien installer :
# [Essayer sur votre propre photo, dans le navigateur](../essayer/#saillance).

# %% tags=["hide-input"]
HOT = plt.get_cmap("hot", 64)  # 64 teintes : plus que l'œil n'en distingue dans une carte bruitée
THUMB = 112  # côté des vignettes des photos au-dessus des cartes, en pixels


def photos_and_maps(imgs, saliency, titles):
    """Chaque carte (un pixel de la figure par pixel de la carte) sous une vignette de sa photo."""
    fig, axes = tile_figure(1, len(saliency), title_lines=10, below_px=34, row_label_px=18)
    small = tp8.to_numpy(torch.nn.functional.interpolate(imgs, size=THUMB, mode="area"))
    width, height = fig.bbox.width, fig.bbox.height
    for k, ax in enumerate(axes[0]):
        box = ax.get_position()
        left = box.x0 + (box.width - THUMB / width) / 2
        thumb = fig.add_axes([left, box.y1 + 8 / height, THUMB / width, THUMB / height])
        thumb.set_axis_off()
        show_tile(thumb, small[k], titles[k])
        m = np.asarray(saliency[k])
        im = ax.imshow(m, cmap=HOT, vmin=0, vmax=np.percentile(m, 99.5), interpolation="nearest", aspect="auto")
        bar = fig.add_axes([box.x0, box.y0 - 12 / height, box.width, 8 / height])
        fig.colorbar(im, cax=bar, orientation="horizontal", ticks=plt.MaxNLocator(3))
        bar.tick_params(labelsize=7, length=2, pad=1)
    row_label(fig, axes[0, 0], tr("saillance"))
    return fig


# %%
vos_cartes = tp8.checks.use(carte_de_saillance, tp8.checks.saliency)(model, images[:4], predicted[:4])
maps = tp8.saliency_map(model, images)  # (8, 224, 224) : une passe avant, une passe arrière
titles = [f"{s.name}\n→ {t[0][0]} ({pct(t[0][1])})" for s, t in zip(samples, top3)]


def described(k):
    return tr("{names[k]}, classée {top3[k][0][0]}")


show(
    photos_and_maps(images[:4], vos_cartes, titles[:4]),
    alt=tr(
        """Quatre vignettes de photos ({", ".join(described(k) for k in range(4))}) et, sous chacune, sa carte \
de saillance en grand : des points clairs sur fond noir, une barre de couleur sous chaque carte donnant son échelle."""
    ),
)

# %%
show(
    photos_and_maps(images[4:], maps[4:], titles[4:]),
    alt=tr(
        """Les quatre autres photos en vignettes ({", ".join(described(k) for k in range(4, 8))}) et leur carte \
de saillance en dessous, points clairs sur fond noir, chacune avec sa barre de couleur."""
    ),
)

# %% [markdown] tags=["question"]
# <a id="q1"></a>
# ## Q1 — Lire les cartes
#
# **Q8.1 ★** Montrez les cartes de saillance obtenues et interprétez-les : que désignent-elles dans chaque
# photo, et que disent-elles de la décision du réseau ?

# %% [markdown] tags=["enonce"]
# Pour lire les cartes au-delà de l'impression visuelle, deux outils simples : **lisser** la carte (flou
# gaussien d'écart-type 4 pixels) pour voir où se concentre sa masse, et **mesurer** la part de la saillance
# qui tombe dans une région de l'image, rapportée à l'aire de la région. Cette *concentration* vaut 1 quand
# la région ne reçoit pas plus de saillance qu'ailleurs. Les régions sont des boîtes tracées à la main sur
# les photos 224 × 224 (il n'y a pas de vérité terrain ici) ; le chat remplit tout le cadre et l'astronaute
# n'a pas de classe ImageNet, ni donc d'objet attendu : ces deux photos n'ont pas de boîte. La figure
# superpose les cartes lissées aux photos (en vignettes de 160 pixels) ; le premier tableau donne la
# concentration de chaque région, le second, photo par photo, la part de la masse que portent les 5 % de
# pixels les plus saillants et la corrélation de rang entre la carte et les contours de la photo (module du
# filtre de Sobel).

# %%
# Boîtes (x0, y0, x1, y1) en pixels, tracées à la main ; une région peut compter plusieurs boîtes.
# Les noms des régions sont des tr(...) : ils gardent leur anglais pour les tableaux et les figures.
REGIONS = {
    "coffee": {tr("tasse"): [(30, 0, 200, 150)], tr("café"): [(55, 25, 165, 115)]},
    "rocket": {tr("fusée"): [(95, 60, 127, 224)], tr("pylônes"): [(18, 55, 52, 215), (172, 55, 208, 215)]},
    "motorcycle": {tr("moto"): [(0, 55, 224, 205)]},
    "china": {tr("pagode"): [(0, 0, 128, 224)]},
    "flower": {tr("fleur"): [(20, 25, 190, 195)]},
    "grace_hopper": {tr("nœud papillon"): [(95, 145, 140, 200)], tr("visage"): [(55, 20, 175, 145)]},
}
SMALL = 160  # côté des vignettes qui reprennent les photos déjà montrées, en pixels
S = SMALL / 224
CENTRES = (np.arange(224) + 0.5) * S - 0.5  # centres des pixels 224 × 224 dans une vignette SMALL × SMALL


def region_mask(boxes, shape=(224, 224)):
    mask = np.zeros(shape, dtype=bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = True
    return mask


def smooth(saliency, sigma=4.0):
    return filters.gaussian(np.asarray(saliency, dtype=np.float64), sigma=sigma)


def concentration(saliency, boxes):
    """Part de la saillance tombée dans les boîtes, divisée par leur part de l'image (1 : comme ailleurs)."""
    mask = region_mask(boxes)
    return saliency[mask].sum() / saliency.sum() / mask.mean()


def rank_corr(a, b):
    """Corrélation de rang de Spearman entre deux cartes (pixel à pixel)."""
    return float(spearmanr(np.ravel(a), np.ravel(b))[0])


def shrink(rgb):
    """Une image 224 × 224 × 3 réduite en vignette SMALL × SMALL."""
    return transform.resize(rgb, (SMALL, SMALL), anti_aliasing=True)


def draw_box(ax, box, colour, **style):
    """Une boîte (x0, y0, x1, y1) en pixels 224 × 224, tracée sur une vignette."""
    x0, y0, x1, y1 = box
    ax.add_patch(Rectangle((S * x0 - 0.5, S * y0 - 0.5), S * (x1 - x0), S * (y1 - y0), fill=False, ec=colour, **style))


maps_np = maps.numpy()
smoothed = np.stack([smooth(m) for m in maps_np])
photos = tp8.to_numpy(images)


def overlay(photo, saliency):
    """La photo assombrie, et par-dessus la carte : plus la saillance est forte, plus elle est opaque."""
    level = np.clip((saliency - saliency.min()) / (np.percentile(saliency, 99.5) - saliency.min()), 0, 1)
    heat = plt.cm.inferno(level)[..., :3]
    alpha = 0.9 * level[..., None]
    return (1 - alpha) * 0.55 * photo + alpha * heat


fig, axes = tile_figure(
    2,
    4,
    (SMALL, SMALL),
    title_lines=2,
    suptitle=tr("Cartes lissées (σ = 4 px) sur les photos ; boîtes tracées à la main"),
)
for k, ax in enumerate(axes.ravel()):
    show_tile(ax, shrink(overlay(photos[k], smoothed[k])), titles[k])
    for region, colour in zip(REGIONS.get(names[k], {}), ("cyan", "lime")):
        for box in REGIONS[names[k]][region]:
            draw_box(ax, box, colour, lw=1.5)
        x0, y0, x1, y1 = REGIONS[names[k]][region][0]
        ty = S * y0 + 10 if y1 - y0 > 80 else S * y1 + 10  # sous les petites boîtes
        ax.text(
            min(S * x0 + 2, SMALL - 6.5 * len(region) - 6),  # l'étiquette reste dans la vignette
            ty,
            region,
            color=colour,
            fontsize=8,
            weight="bold",
            bbox={"facecolor": "black", "alpha": 0.6, "pad": 1, "linewidth": 0},
        )
show(
    fig,
    alt=tr(
        "Les huit photos assombries, en vignettes, chacune recouverte de sa carte de saillance lissée en "
        "couleurs chaudes (plus c'est clair et opaque, plus la saillance est forte), avec les boîtes tracées à la "
        "main : tasse et café, fusée et pylônes, moto, pagode, fleur, nœud papillon et visage."
    ),
)

# %%
rows, q1, peak_in = [], {}, {}
for k, name in enumerate(names):
    total = maps_np[k].sum()
    peak = np.unravel_index(smoothed[k].argmax(), smoothed[k].shape)
    for region, boxes in REGIONS.get(name, {}).items():
        mask = region_mask(boxes)
        area, share = mask.mean(), maps_np[k][mask].sum() / total
        q1[name, region] = share / area
        peak_in[name, region] = bool(mask[peak])
        rows.append(
            {
                tr("photo"): name,
                tr("classe prédite"): model.class_name(int(predicted[k])),
                tr("région"): region,
                tr("aire de la région"): tr("{pct(area)}"),
                tr("part de la saillance"): tr("{pct(share)}"),
                tr("concentration (part / aire)"): share / area,
                tr("pic de la carte lissée dedans"): tr("oui") if mask[peak] else tr("non"),
            }
        )
tp8.course.table(rows, digits=2)

# %%
edges = [rank_corr(maps_np[k], filters.sobel(color.rgb2gray(photos[k]))) for k in range(len(names))]
top5 = [np.sort(m.ravel())[::-1][: m.size // 20].sum() / m.sum() for m in maps_np]
tp8.course.table(
    [
        {
            tr("photo"): name,
            tr("classe prédite"): model.class_name(int(predicted[k])),
            tr("masse des 5 % les plus saillants"): tr("{pct(top5[k])}"),
            tr("ρ avec les contours (Sobel)"): edges[k],
        }
        for k, name in enumerate(names)
    ],
    digits=2,
)

# %% tags=["hide-input"]
BIG = [("coffee", "tasse"), ("motorcycle", "moto"), ("china", "pagode"), ("flower", "fleur")]
big = [q1[key] for key in BIG]
areas = {key: region_mask(REGIONS[key[0]][key[1]]).mean() for key in BIG}
ceiling = [1 / areas[key] for key in BIG]  # la concentration d'une carte tout entière dans la boîte
# Densité de saillance hors de la boîte, rapportée à la densité moyenne de l'image : 0 pour une carte toute
# dans la boîte, 1 pour une carte uniforme.
outside = [(1 - q1[key] * areas[key]) / (1 - areas[key]) for key in BIG]
# Part des 5 % de valeurs les plus grandes pour des valeurs tirées au hasard, sans structure spatiale :
# module d'un bruit gaussien (exp(−q²/2), q le quantile 97,5 % de la loi normale) et loi exponentielle.
top5_gauss = float(np.exp(-(norm.ppf(0.975) ** 2) / 2))
top5_expo = (1 + np.log(20)) / 20
pred = {name: model.class_name(int(predicted[k])) for k, name in enumerate(names)}
bow, face = q1["grace_hopper", "nœud papillon"], q1["grace_hopper", "visage"]
peak_remark = (
    ""
    if peak_in["grace_hopper", "nœud papillon"]
    else tr(
        " (le maximum de la carte lissée tombe pourtant "
        "{tr('sur le visage') if peak_in['grace_hopper', 'visage'] else tr('ailleurs')})"
    )
)
display(
    tr(
        """
**Lecture.** Pour les grandes boîtes (tasse, moto, pagode, fleur), la concentration ne va que de
{num(min(big))} à {num(max(big))}, alors qu'une carte tout entière dans la boîte atteindrait
{num(min(ceiling), 1)} à {num(max(ceiling), 1)} (l'inverse de l'aire de la boîte) ; hors des boîtes, la
saillance garde de {pct(min(outside))} à {pct(max(outside))} de la densité moyenne de l'image :
**{claim(min(outside) > 0.5, "la carte brute de SqueezeNet est diffuse")}**. Les 5 % de pixels les plus
saillants portent {pct(np.median(top5))} de la masse totale (médiane sur les huit photos, de
{pct(min(top5))} à {pct(max(top5))}) : {claim(min(top5) > 0.05, "plus que les 5 % d'une carte uniforme")}, mais
{claim(top5_gauss / 1.5 < min(top5) and max(top5) < 1.5 * top5_expo, "du même ordre que pour des valeurs tirées au hasard, sans aucune structure spatiale")}
({pct(top5_gauss)} pour le module d'un bruit gaussien, {pct(top5_expo)} pour des valeurs exponentielles).
La corrélation de rang entre la carte et les contours de la photo reste entre
{num(min(edges), sign=True)} et {num(max(edges), sign=True)} :
{claim(max(map(abs, edges)) < 0.4, "ce n'est pas non plus un détecteur de contours")}.

Lue région par région, et lissée pour sa forme d'ensemble, la carte suggère pourtant des lectures de la
décision :

- *{pred["coffee"]}* : la saillance est {num(q1["coffee", "café"], 1)} fois plus dense que la moyenne sur la
  surface du café, contre {num(q1["coffee", "tasse"], 1)} sur l'ensemble de la tasse :
  {claim(q1["coffee", "café"] > q1["coffee", "tasse"] > 1, "la carte désigne le liquide (sa couleur, sa mousse) plus que la porcelaine")} ;
- *{pred["grace_hopper"]}* pour Grace Hopper : densité {num(bow, 1)} fois la moyenne sur le nœud papillon,
  {num(face, 1)} sur le visage :
  {claim(pred["grace_hopper"] == "bow tie" and bow > max(1, face), "la carte se concentre sur l'objet que le réseau nomme")},
  alors qu'un humain dirait « portrait d'une officière »{peak_remark} ;
- *{pred["rocket"]}* pour la fusée : densité {num(q1["rocket", "pylônes"], 1)} fois la moyenne sur les deux
  pylônes, {num(q1["rocket", "fusée"], 1)} sur la fusée elle-même :
  {claim(pred["rocket"] == "mosque" and q1["rocket", "pylônes"] > max(1, q1["rocket", "fusée"]), "la carte de mosque désigne les pylônes plus que la fusée")}.
  Deux tours fines et verticales de part et d'autre d'un édifice évoquent des minarets : la carte rend
  l'erreur plausible, elle ne la démontre pas ;
- *{pred["flower"]}* pour le dahlia : {claim(q1["flower", "fleur"] < 1.1, "la fleur n'est guère plus saillante que le reste de l'image")}
  (concentration {num(q1["flower", "fleur"])}) ; aucune forme ne ressort, ce qui suggère que c'est la
  **texture** régulière des pétales, {claim(pred["flower"] == "honeycomb", "semblable à des alvéoles")}, qui décide.

Ces lectures sont des **hypothèses**, pas des preuves. La carte dit quels pixels font le plus bouger le
score de la classe dans *cette* image ; elle ne dit pas que ces pixels sont propres à *cette* classe, ni
que le réseau s'en sert « pour » sa décision : la [Q2 (b)](#q2) compare, sur les mêmes photos, les cartes
de plusieurs classes. La question reste instructive, surtout quand le réseau se trompe : une carte qui
désigne les pylônes plutôt que la fusée suggère où chercher l'erreur.
"""
    )
)

# %% [markdown] tags=["question"]
# <a id="q2"></a>
# ## Q2 — Les limites de la technique
#
# **Q8.2** Discutez les limites des cartes de saillance pour juger de l'importance des différents pixels
# d'une image.

# %% [markdown] tags=["enonce"]
# Quatre expériences mettent la carte à l'épreuve, chacune avec un tableau ou une figure : (a) la carte
# d'une image à peine modifiée, (b) les cartes d'autres classes de la même image, (c) le score le long
# d'un chemin qui va de l'image noire à la photo, (d) la carte vue de très près.
#
# ### (a) La carte d'une image légèrement bruitée
#
# On ajoute à chaque image un bruit gaussien d'écart-type $\sigma = 1/255$ (un niveau de gris sur 255,
# invisible à l'œil), puis on recalcule les cartes **pour la même classe**. Le tableau compare chaque carte
# à celle de la photo d'origine : corrélation de rang $\rho$ des cartes brutes, puis des cartes lissées, et
# part des 5 % de pixels les plus saillants qui le restent. Pour situer ces chiffres, la cellule donne aussi
# la part des images dont la classe prédite n'a pas changé, et la corrélation moyenne des cartes de deux
# photos **différentes**.

# %%
generator = torch.Generator().manual_seed(0)
noisy = (images + torch.randn(images.shape, generator=generator) / 255).clamp(0, 1)
maps_noisy = tp8.saliency_map(model, noisy, target=predicted).numpy()
same_class = (model.probabilities(noisy).argmax(dim=1) == predicted).float().mean().item()


def top_overlap(a, b, q=0.95):
    """Part des 5 % de pixels les plus saillants de a qui le sont aussi dans b."""
    ta, tb = a > np.quantile(a, q), b > np.quantile(b, q)
    return (ta & tb).sum() / ta.sum()


noise_rows = [
    {
        "photo": name,
        tr("ρ (cartes brutes)"): rank_corr(maps_np[k], maps_noisy[k]),
        tr("ρ (cartes lissées)"): rank_corr(smoothed[k], smooth(maps_noisy[k])),
        tr("top 5 % communs"): top_overlap(maps_np[k], maps_noisy[k]),
    }
    for k, name in enumerate(names)
]
baseline = np.mean([rank_corr(maps_np[k], maps_np[(k + 1) % len(names)]) for k in range(len(names))])
display(tr("classe prédite inchangée après le bruit : {pct(same_class)} des images"))
display(tr("ρ moyen entre les cartes de deux photos différentes : {num(baseline)}"))
tp8.course.table(noise_rows, digits=2)

# %%
k = names.index("coffee")
fig, axes = tile_figure(1, 2, title_lines=1)
for ax, m, title in zip(
    axes[0], (maps_np[k], maps_noisy[k]), (tr("coffee, photo d'origine"), tr("coffee + bruit σ = 1/255"))
):
    show_tile(ax, m, title, cmap=HOT, vmin=0, vmax=np.percentile(m, 99.5))
show(
    fig,
    alt=tr(
        "Deux cartes de saillance de la tasse de café côte à côte, points clairs sur fond noir : à gauche pour la "
        "photo d'origine, à droite pour la même photo avec un bruit de 1/255, invisible à l'œil."
    ),
)

# %% tags=["hide-input"]
rho_raw = [r["ρ (cartes brutes)"] for r in noise_rows]
rho_smooth = [r["ρ (cartes lissées)"] for r in noise_rows]
overlap = [r["top 5 % communs"] for r in noise_rows]
display(
    tr(
        """
La classe prédite est inchangée pour {pct(same_class)} des images bruitées
({claim(same_class == 1, "le bruit est sans effet sur la prédiction")}), et pourtant la corrélation de
rang entre la carte originale et la carte bruitée n'est que de {num(min(rho_raw))} à {num(max(rho_raw))}.
Pour situer ce chiffre : deux cartes de **photos différentes** ont déjà une corrélation moyenne de
{num(baseline)} (la (d) revient sur ce point). Surtout, parmi les 5 % de pixels les plus saillants, seuls
{pct(np.mean(overlap))} en moyenne le restent après le bruit :
{claim(np.mean(overlap) < 0.7, "le détail fin de la carte est en bonne partie du bruit de gradient")}.
Après lissage, la corrélation remonte à {num(min(rho_smooth))}–{num(max(rho_smooth))} :
{
            claim(min(rho_smooth) > max(rho_raw) and min(rho_smooth) > 0.7, "seule la structure grossière est stable")
            if min(rho_smooth) > 0.7
            else claim(min(rho_smooth) > max(rho_raw), "la structure grossière est plus stable que le détail")
        } (ce qui ne dit pas
encore qu'elle soit fidèle à la décision). L'idée est voisine de celle de *SmoothGrad* (Smilkov et al., 2017), qui, lui, ne floute pas la carte : il
moyenne les cartes de copies bruitées de l'image.

Un bruit aléatoire est d'ailleurs le cas le plus favorable. Une perturbation cherchée exprès, tout aussi
invisible, peut déplacer la carte vers une autre région de l'image sans changer la classe prédite
(Ghorbani et al., 2019) ; la [partie 2](../partie-2-adversaires/) construit de telles perturbations, pour
changer la classe cette fois.
"""
    )
)

# %% [markdown] tags=["enonce"]
# ### (b) Les cartes d'autres classes
#
# Sur les mêmes images, on calcule la carte de la **2ᵉ classe** prédite et celle d'une classe sans
# rapport, *goldfish* (poisson rouge), en un seul appel, et on compare chacune à la carte de la classe
# prédite (corrélation de rang $\rho$). Le tableau donne aussi les logits des deux classes ; la figure
# montre les trois cartes du portrait de Grace Hopper.

# %%
probs = model.probabilities(images)
second = probs.topk(2, dim=1).indices[:, 1]
goldfish = model.class_index("goldfish")
n = len(names)
other = tp8.saliency_map(model, torch.cat([images, images]), target=second.tolist() + [goldfish] * n).numpy()
maps_second, maps_goldfish = other[:n], other[n:]
with torch.no_grad():
    logits = model(images)

class_rows = [
    {
        tr("photo"): name,
        tr("classe prédite"): model.class_name(int(predicted[k])),
        tr("2e classe"): model.class_name(int(second[k])),
        tr("ρ (prédite, 2e)"): rank_corr(maps_np[k], maps_second[k]),
        tr("ρ (prédite, goldfish)"): rank_corr(maps_np[k], maps_goldfish[k]),
        tr("logit prédite"): float(logits[k, predicted[k]]),
        tr("logit goldfish"): float(logits[k, goldfish]),
    }
    for k, name in enumerate(names)
]
tp8.course.table(class_rows, digits=2)

# %%
k = names.index("grace_hopper")
sets = [(maps_np, predicted.tolist()), (maps_second, second.tolist()), (maps_goldfish, [goldfish] * n)]
fig, axes = tile_figure(1, 3, title_lines=2)
for ax, (mm, classes) in zip(axes[0], sets):
    c = classes[k]
    title = tr("carte de {quote(model.class_name(c))}\nlogit {num(logits[k, c], 1)}")
    show_tile(ax, mm[k], title, cmap=HOT, vmin=0, vmax=np.percentile(mm[k], 99.5))
show(
    fig,
    alt=tr(
        "Trois cartes de saillance du portrait de Grace Hopper, points clairs sur fond noir : pour la classe "
        "prédite ({model.class_name(int(predicted[k]))}), pour la deuxième classe "
        "({model.class_name(int(second[k]))}) et pour « goldfish », chacune titrée de son logit."
    ),
)

# %% tags=["hide-input"]
r2 = [r["ρ (prédite, 2e)"] for r in class_rows]
rg = [r["ρ (prédite, goldfish)"] for r in class_rows]
gap = np.mean([r["logit prédite"] - r["logit goldfish"] for r in class_rows])


revisit = []
for photo, region, where in (  # noqa: B007 (where : dans le tr(...))
    ("grace_hopper", "nœud papillon", tr("le nœud papillon de Grace Hopper")),
    ("rocket", "pylônes", tr("les pylônes de la fusée")),
):
    g = concentration(maps_goldfish[names.index(photo)], REGIONS[photo][region])
    revisit.append(
        (
            g > 1,
            tr(
                "{tr('se concentre aussi sur') if g > 1 else tr('ne se concentre pas sur')} {where} "
                "({num(g, 1)} fois la moyenne, contre {num(q1[photo, region], 1)} pour *{pred[photo]}*)"
            ),
        )
    )
# La leçon commence la dernière phrase du passage : elle est écrite avec sa majuscule.
if all(shared for shared, _ in revisit):
    lesson = tr(
        "Une concentration sur l'objet nommé ne suffit donc pas à dire que le réseau l'a utilisé pour *cette* classe"
    )
elif any(shared for shared, _ in revisit):
    lesson = tr(
        "Selon la photo, la concentration vue en Q1 est ou non propre à la classe prédite : seule la comparaison le dit"
    )
else:
    lesson = tr(
        "Là, la concentration est propre à la classe prédite ; les corrélations ci-dessus montrent que ce n'est pas "
        "acquis d'avance"
    )
display(
    tr(
        """
{claim(min(r2) > 0.5, "La carte de la 2ᵉ classe ressemble à celle de la classe prédite")} (ρ
entre {num(min(r2))} et {num(max(r2))}), et même celle de *goldfish*, dont le logit est en moyenne
{num(gap, 0)} points plus bas, reste corrélée à {num(min(rg))}–{num(max(rg))} :
{claim(min(rg) > baseline + 0.1, "c'est bien plus que la corrélation de deux photos différentes")}
({num(baseline)}).
Une bonne part de la carte décrit donc **l'image et le réseau** (les pixels auxquels le réseau est
sensible en général) plutôt que **la classe** : des textures contrastées, des zones riches en détails
font monter le gradient de presque tous les logits. Une carte seule ne prouve pas que le réseau « a
utilisé » une zone pour *cette* décision ; il faut la comparer à celles d'autres classes.

Cela tempère les lectures de [Q1](#q1) : la carte de *goldfish* {revisit[0][1]} et {revisit[1][1]}. {lesson}.
"""
    )
)

# %% [markdown] tags=["enonce"]
# ### (c) Le score le long d'un chemin
#
# Le gradient ne décrit que la pente **en $x$**. Pour voir ce qui se passe plus loin, on suit le score le
# long du chemin $\alpha \mapsto \alpha x$, de l'image noire ($\alpha = 0$) à la photo ($\alpha = 1$), pour
# la classe prédite : à gauche le logit, à droite la probabilité. Il suffit de passes avant, sans gradient.

# %%
alphas = torch.linspace(0, 1, 11)
path = torch.cat([a * images for a in alphas])  # 11 × 8 images
with torch.no_grad():
    path_logits = model(path).view(len(alphas), n, -1)
path_logit = path_logits.gather(2, predicted.view(1, n, 1).expand(len(alphas), n, 1))[..., 0].numpy()
path_prob = path_logits.softmax(dim=2).gather(2, predicted.view(1, n, 1).expand(len(alphas), n, 1))[..., 0].numpy()

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for k, name in enumerate(names):
    ax1.plot(alphas, path_logit[:, k], marker=".", label=name)
    ax2.plot(alphas, path_prob[:, k], marker=".")
ax1.set(
    xlabel=tr("α (image = α · photo)"), ylabel=tr("logit de la classe prédite"), title="Logit $\\tilde y_c(\\alpha x)$"
)
ax2.set(xlabel=tr("α (image = α · photo)"), ylabel=tr("probabilité"), title=tr("Probabilité $\\hat y_c(\\alpha x)$"))
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
fig.legend(loc="outside right center", fontsize=8)
show(
    fig,
    alt=tr(
        "Deux graphiques en fonction de α, de 0 (image noire) à 1 (la photo), une courbe par photo : à gauche le "
        "logit de la classe prédite, à droite sa probabilité."
    ),
)

# %% tags=["hide-input"]
gain = path_logit[-1] - path_logit[0]
early = (path_logit[3] - path_logit[0]) / gain  # part du gain acquise dès α = 0,3
end_slope = (path_logit[-1] - path_logit[-2]) / 0.1 / gain  # pente finale / pente moyenne
fast = int(((early > 0.5) & (end_slope < 0.5)).sum())  # photos dont le logit monte vite puis s'aplatit
drop = path_prob.max(axis=0) - path_prob[-1]
peak_at = path_prob.argmax(axis=0)
falling = [k for k in range(n) if drop[k] > 0.05 and path_logit[-1, k] > path_logit[peak_at[k], k]]
prob_sentence = (
    tr(
        "pour {', '.join(names[k] for k in falling)}, la probabilité atteint son maximum avant $\\alpha = 1$ puis "
        "**redescend** (jusqu'à {num(100 * max(drop[k] for k in falling), 0)} points de pourcentage), alors que le "
        "logit est plus élevé en $\\alpha = 1$ qu'à ce maximum : d'autres classes ont monté plus vite que la "
        "classe prédite"
    )
    if falling
    else tr("ici, les probabilités montent avec les logits, mais rien ne le garantit en général")
)
display(
    tr(
        """
{claim(np.median(early) > 0.5 and np.median(end_slope) < 0.5 and fast > n / 2, "Le logit monte vite puis s'aplatit")} : dès
$\\alpha = 0{{,}}3$, {pct(np.median(early))} (médiane) du gain total $\\tilde y_c(x) - \\tilde y_c(0)$ est
acquis, et en $\\alpha = 1$ la pente ne vaut plus que {num(np.median(end_slope))} fois la pente moyenne du
chemin ; c'est le cas de {fast} photos sur {n} (plus de la moitié du gain avant $\\alpha = 0{{,}}3$, une
pente finale sous la moitié de la pente moyenne). C'est ce que Sundararajan et al. (2017) appellent la
*saturation* ; parlons plutôt d'**aplatissement**, pour ne pas le confondre avec la saturation du softmax :
l'effet des motifs dont dépend le score a cessé de croître avant la photo, si bien que le gradient en $x$ —
donc la carte — les sous-estime. Un neurone ReLU n'a pourtant pas de maximum : ce qui courbe le logit, ce
sont des unités qui s'allument ou s'éteignent le long du chemin, selon leurs biais, l'aiguillage des
max-poolings et le décalage de la normalisation de l'entrée. Sans biais ni décalage, un réseau de ReLU et
de poolings vérifierait $\\tilde y_c(\\alpha x) = \\alpha \\, \\tilde y_c(x)$ : une droite. Une carte de
gradient mesure une *sensibilité*, pas une *contribution* ; les *gradients intégrés* (Sundararajan et al.,
2017) corrigent ce défaut en intégrant le gradient le long de ce même chemin.

La courbe de droite illustre le choix du logit : {prob_sentence}. Dériver la probabilité mélangerait ces
effets concurrents.
"""
    )
)

# %% [markdown] tags=["enonce"]
# ### (d) La carte à la loupe
#
# On agrandit six fois un carré de 40 × 40 pixels de la carte de la tasse, pour la photo d'origine et pour
# l'image bruitée de la (a), et l'on moyenne les huit cartes selon la position de chaque pixel modulo 4,
# $(i \bmod 4, j \bmod 4)$, en divisant par la moyenne globale (à droite : 1 signifie « comme la
# moyenne »). Les repères des zooms marquent la ligne et la colonne (modulo 4) qui reçoivent le moins de
# saillance en moyenne.


# %%
def phase_profile(saliency_maps, period=4):
    """Saillance moyenne selon (i mod p, j mod p), divisée par la moyenne globale."""
    m = np.asarray(saliency_maps)
    h = m.shape[-1] // period * period
    prof = m[:, :h, :h].reshape(len(m), h // period, period, h // period, period).mean(axis=(0, 1, 3))
    return prof / prof.mean()


profile = phase_profile(maps_np)
weak_i, weak_j = np.unravel_index(profile.argmin(), profile.shape)  # la position la moins favorisée
k = names.index("coffee")
crop = (slice(40, 80), slice(40, 80))  # 40 × 40 px ; 40 est un multiple de 4
fig, axes = tile_figure(1, 3, (40, 40), scale=6, title_lines=3, gap=16)
for ax, m, title in (
    (
        axes[0, 0],
        maps_np[k],
        tr("coffee, zoom 40 × 40 px ×6 ;\nrepères : ligne ≡ {weak_i},\ncolonne ≡ {weak_j} (mod 4)"),
    ),
    (axes[0, 1], maps_noisy[k], tr("même zone,\nimage + bruit σ = 1/255")),
):
    show_tile(ax, m[crop], title, cmap=HOT, vmin=0, vmax=np.percentile(maps_np[k][crop], 99))
    ax.set_xticks(range(weak_j, 40, 4), labels=[])  # repères : colonnes ≡ weak_j (mod 4)
    ax.set_yticks(range(weak_i, 40, 4), labels=[])
    ax.tick_params(length=4, color="0.3")
show_tile(axes[0, 2], profile, tr("saillance moyenne selon\n(i mod 4, j mod 4),\n÷ moyenne globale"), cmap="viridis")
for (i, j), v in np.ndenumerate(profile):
    axes[0, 2].text(j, i, num(v), ha="center", va="center", fontsize=9, color="white" if v < 1 else "black")
show(
    fig,
    alt=tr(
        "À gauche, un zoom de 40 × 40 pixels sur la carte de saillance de la tasse, agrandi six fois, avec des "
        "repères tous les 4 pixels ; au milieu, la même zone pour l'image bruitée ; à droite, un tableau 4 × 4 de "
        "la saillance moyenne selon la position modulo 4, de {num(profile.min())} à {num(profile.max())} fois la "
        "moyenne."
    ),
)


# %% tags=["hide-input"]
def leading_windows(net):
    """(nom, type, noyau, pas, marge) des convolutions et max-poolings du début du réseau, jusqu'au premier
    max-pooling compris : les couches qui fixent le motif de période (produit des pas)."""
    layers = []
    for name, module in net.named_modules():
        if isinstance(module, torch.nn.Conv2d | torch.nn.MaxPool2d):
            k, s, p = (v if isinstance(v, int) else v[0] for v in (module.kernel_size, module.stride, module.padding))
            layers.append((name, "convolution" if isinstance(module, torch.nn.Conv2d) else "max-pooling", k, s, p))
            if isinstance(module, torch.nn.MaxPool2d):
                break
    return layers


def path_profile(net, size=224):
    """Nombre de chemins qui mènent de chaque position d'une ligne de pixels aux sorties de ces couches,
    moyenné selon la position modulo la période, loin des bords : ce que recevrait chaque pixel si tous
    les poids valaient 1."""
    layers = leading_windows(net)
    lengths = [size]
    for _, _, k, s, p in layers:
        lengths.append((lengths[-1] + 2 * p - k) // s + 1)
    paths = np.ones(lengths[-1])
    for (_, _, k, s, p), length in zip(reversed(layers), reversed(lengths[:-1])):
        back = np.zeros(length)
        for j, count in enumerate(paths):
            back[max(j * s - p, 0) : min(j * s - p + k, length)] += count
        paths = back
    period = int(np.prod([s for *_, s, _ in layers]))
    inner = np.arange(size // 4, 3 * size // 4)
    return np.array([paths[inner[inner % period == r]].mean() for r in range(period)]), layers


def describe_windows(layers):
    """« une convolution 3 × 3 de pas 2, puis un max-pooling 3 × 3 de pas 2 » (appelée dans un tr(...) : dans
    la langue qu'il écrit)."""
    windows = [
        tr("une convolution {k} × {k} de pas {s}")
        if kind == "convolution"
        else tr("un max-pooling {k} × {k} de pas {s}")
        for _, kind, k, s, _ in layers
    ]
    return tr(", puis ").join(windows)


paths1, layers1 = path_profile(model.net)
path_ratio = (paths1.max() / paths1.min()) ** 2  # les couches sont carrées : le rapport se multiplie sur l'image
per_image = np.stack([phase_profile(m[None]).ravel() for m in maps_np])
alike = np.corrcoef(per_image).min()  # la paire de profils la moins semblable
weakest = {int(p.argmin()) for p in per_image}
same_phase = alike > 0.9 and len(weakest) == 1 and (per_image.max(1) / per_image.min(1)).min() > 1.5
flat = maps_np / np.tile(profile, (56, 56))  # chaque carte divisée par le profil moyen : le damier retiré
baseline_flat = np.mean([rank_corr(flat[k], flat[(k + 1) % n]) for k in range(n)])
if baseline_flat < baseline - 0.05:
    shared_pattern = tr(
        "Divisées par ce profil, deux cartes de photos différentes ne sont plus corrélées qu'à {num(baseline_flat)} "
        "au lieu de {num(baseline)} : le damier explique une partie de la ressemblance relevée en (a)."
    )
else:
    shared_pattern = tr(
        "Divisées par ce profil, deux cartes de photos différentes restent corrélées à {num(baseline_flat)} (contre "
        "{num(baseline)}) : la ressemblance relevée en (a) tient à autre chose que le damier."
    )
display(
    tr(
        """
{claim(same_phase, "Le motif ne dépend pas de l'image")} : le profil selon la position modulo 4 est presque
le même pour les huit cartes (corrélation d'au moins {num(alike)} entre deux d'entre elles, et la même
position est toujours la moins favorisée), et en moyenne la position la plus favorisée reçoit
{num(profile.max() / profile.min(), 1)} fois plus de saillance que la moins favorisée. Ce damier, visible
dans les zooms (lignes et colonnes sombres en face des repères), vient de l'architecture. SqueezeNet 1.1
commence par {describe_windows(layers1)}. Le pas fixe la période, 4 ; l'amplitude vient du
**recouvrement inégal des fenêtres** : un noyau de 3 n'est pas un multiple du pas 2, si bien qu'une
colonne de pixels sur deux est couverte par deux fenêtres et l'autre par une seule, dans la convolution
puis de nouveau, une couche plus haut, dans le max-pooling. En comptant les chemins qui mènent d'un pixel
aux sorties du max-pooling, on en trouve {", ".join(num(v, 0) for v in paths1[:-1])} et {num(paths1[-1], 0)}
selon que sa position vaut 0, 1, 2 ou 3 modulo 4 sur un axe : un rapport de
{num(paths1.max() / paths1.min(), 0)} sur chaque axe, donc de {num(path_ratio, 0)} entre la position la plus
desservie de l'image et la moins desservie.
{claim(len(paths1) == 4 and weak_i == weak_j == int(paths1.argmin()), "La position la moins favorisée de la carte est justement celle d'où partent le moins de chemins")}
(({weak_i}, {weak_j}) modulo 4). Le rapport mesuré, {num(profile.max() / profile.min(), 1)},
{claim(profile.max() / profile.min() < path_ratio, "est plus faible que ce décompte")}, qui suppose des poids
tous égaux ; le max-pooling, de plus, n'envoie le gradient
qu'au plus grand élément de chaque fenêtre. Odena et al. (2016) décrivent le même mécanisme, un noyau qui
n'est pas un multiple du pas, pour les damiers des déconvolutions et des gradients des convolutions à pas.
Le motif est sans rapport avec le contenu de la photo. {shared_pattern}

**En résumé**, la carte de saillance est une dérivée : locale (elle ignore l'aplatissement du score le
long d'un chemin), bruitée (un changement invisible la redessine), peu spécifique de la classe, et marquée
par l'architecture. Elle ne dit pas non plus *comment* une zone est utilisée (couleur ? forme ?
texture ?), ni ce qui se passerait si on la retirait vraiment — ce que mesure l'**occultation** (Zeiler et
Fergus, 2014), qui masque la photo par un carré gris, position après position, et note ce que perd le
score, sans aucun gradient. La page [Au-delà du gradient](../au-dela-du-gradient/) reprend ces défauts un
par un avec les successeurs de cette carte (SmoothGrad contre le bruit, les gradients intégrés contre
l'aplatissement, Grad-CAM), les compare à l'occultation, vérifie qu'elles dépendent bien du réseau et
mesure ce qui arrive quand on retire vraiment les pixels qu'elles désignent.
"""
    )
)

# %% [markdown] tags=["question"]
# <a id="q3"></a>
# ## Q3 — Un autre usage ?
#
# **Q8.3** Cette technique pourrait-elle servir à autre chose qu'à interpréter le réseau ?

# %% [markdown] tags=["enonce"]
# Deux expériences pour nourrir la réflexion. La première tire de chaque carte une région de l'image, en
# quatre étapes :
#
# 1. lisser la carte (flou gaussien, σ = 6 px) pour n'en garder que la forme d'ensemble ;
# 2. garder les 20 % de pixels les plus saillants ;
# 3. garder la plus grande composante connexe (`skimage.measure.label`) ;
# 4. prendre sa boîte englobante (`regionprops`).
#
# On compare la boîte obtenue aux boîtes tracées à la main en [Q1](#q1) par l'IoU (aire de
# l'intersection sur aire de l'union). Les photos sont montrées en gris pour que les tracés ressortent.


# %%
def salient_box(saliency, sigma=6.0, keep=0.20):
    s = smooth(saliency, sigma)
    mask = s > np.quantile(s, 1 - keep)
    labels = measure.label(mask)
    largest = max(measure.regionprops(labels), key=lambda r: r.area)
    y0, x0, y1, x1 = largest.bbox
    return labels == largest.label, (x0, y0, x1, y1)


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


box_rows, box_masks = [], {}
boxed = [k for k, name in enumerate(names) if name in REGIONS]  # les photos qui ont des boîtes à la main
fig, axes = tile_figure(
    2,
    3,
    (SMALL, SMALL),
    title_lines=2,
    suptitle=tr("Jaune : boîte tirée de la saillance ; cyan : zone retenue ;\npointillés : boîte à la main"),
)
for k, ax in zip(boxed, axes.ravel()):
    mask, box = salient_box(maps_np[k])
    box_masks[names[k]] = mask
    show_tile(ax, shrink(np.repeat(0.75 * color.rgb2gray(photos[k])[..., None], 3, axis=2)))
    ax.contour(CENTRES, CENTRES, mask, [0.5], colors="cyan", linewidths=1)
    draw_box(ax, box, "yellow", lw=2)
    candidates = [(iou(box, b), region, b) for region, boxes in REGIONS[names[k]].items() for b in boxes]
    score, region, best = max(candidates)
    draw_box(ax, best, "white", lw=1.5, ls="--")
    box_rows.append(
        {
            tr("photo"): names[k],
            tr("classe prédite"): model.class_name(int(predicted[k])),
            tr("région la plus recouverte"): region,
            "IoU": score,
        }
    )
    ax.set_title(
        tr("{names[k]} → {model.class_name(int(predicted[k]))}\nIoU = {num(score)} ({region})"), fontsize=8, pad=3
    )
show(
    fig,
    alt=tr(
        "Les six photos qui ont des boîtes tracées à la main, en gris, chacune avec la boîte jaune tirée de sa "
        "carte de saillance, le contour cyan de la zone retenue et, en pointillés blancs, la boîte tracée à la main "
        "qui la recouvre le mieux ; le titre donne l'IoU entre les deux boîtes."
    ),
)

# %% [markdown] tags=["enonce"]
# La seconde s'appuie aussi sur les couleurs de l'image : on découpe la photo en super-pixels (SLIC, des
# régions de couleur homogène) et on garde ceux dont la saillance lissée moyenne dépasse le 80ᵉ centile.
# Le tableau qui suit la figure reprend les IoU des boîtes de la première.

# %%
sp_pick = [names.index(p) for p in ("coffee", "rocket", "motorcycle")]
fig, axes = tile_figure(1, 3, (SMALL, SMALL), title_lines=2)
for ax, k in zip(axes.ravel(), sp_pick):
    superpixels = segmentation.slic(photos[k], n_segments=120, compactness=10, start_label=0)
    s = smooth(maps_np[k], 2.0)
    mean_per_sp = np.bincount(superpixels.ravel(), s.ravel()) / np.bincount(superpixels.ravel())
    mask = (mean_per_sp > np.quantile(s, 0.8))[superpixels]
    title = tr("{names[k]} → {model.class_name(int(predicted[k]))}\n{pct(mask.mean())} de l'image gardés")
    show_tile(ax, shrink(photos[k] * (0.35 + 0.65 * mask[..., None])), title)
    ax.contour(CENTRES, CENTRES, mask, [0.5], colors="yellow", linewidths=1)
show(
    fig,
    alt=tr(
        "La tasse, la fusée et la moto, en vignettes : les super-pixels les plus saillants restent en couleurs "
        "et sont entourés de jaune, le reste de la photo est assombri."
    ),
)

# %%
tp8.course.table(box_rows, digits=2)

# %% tags=["hide-input"]
good = [r for r in box_rows if r["IoU"] >= 0.5]
fair = [r for r in box_rows if r["IoU"] >= 0.3]
iou_of = {r["photo"]: r["IoU"] for r in box_rows}
region_of = {r["photo"]: r["région la plus recouverte"] for r in box_rows}
flower_mask = box_masks["flower"]
outside = 1 - (flower_mask & region_mask(REGIONS["flower"]["fleur"])).sum() / flower_mask.sum()
flower_text = (
    tr("{pct(outside)} de la zone retenue tombe hors de la boîte de la fleur")
    if outside > 0.5
    else tr(
        "la zone retenue ne couvre qu'une petite partie de la fleur ({pct(1 - outside)} de ses pixels sont dans la boîte)"
    )
)
locates = len(good) >= 2 and len(fair) > len(box_rows) / 2  # as the count below says
can_locate = (
    tr("""Oui : {claim(locates, "la carte peut localiser l'objet")}.""")
    if locates
    else tr("En partie : la carte peut **suggérer** où est l'objet, sans le localiser à coup sûr.")
)
display(
    tr(
        """
{can_locate} C'est l'usage que proposent Simonyan et al. (2014, §3.2) : un
réseau entraîné avec les seules étiquettes des images, sans aucune boîte annotée, localise l'objet par sa
carte de saillance (une localisation *faiblement supervisée*). La première expérience en est une version
minimale : avec une seule carte de gradient et quelques lignes de traitement d'image, {len(good)} boîte(s)
sur {len(box_rows)} atteignent une IoU d'au moins 0,5 avec une boîte tracée à la main (le seuil usuel
pour compter une détection comme correcte), et {len(fair)} sur {len(box_rows)} dépassent 0,3. Surtout,
la boîte trouvée suit la carte de **la classe prédite**, pas forcément l'objet principal : pour la fusée,
{claim(region_of["rocket"] == "pylônes" and pred["rocket"] == "mosque", "elle se pose sur un pylône")}
(le « minaret » de *mosque*) ; pour le dahlia, dont la carte ne privilégie aucune zone précise,
{claim(iou_of["flower"] < 0.3, "la boîte ne recouvre guère la fleur")} (IoU {num(iou_of["flower"])} :
{flower_text}). La localisation hérite des erreurs et des raccourcis du classifieur.

Simonyan et al. vont jusqu'à la **segmentation**, par une coupe de graphe (*GraphCut*) initialisée par la
carte ; la seconde expérience en est une version rudimentaire. Ses zones suivent, par construction, les
contours de couleur de la photo plutôt que les bords d'une boîte, et elles gardent aussi tout fragment de
fond assez saillant. Ce n'est pas un vrai détecteur d'objets, mais une localisation *gratuite*, obtenue
sans aucune annotation de position. Grad-CAM, dont les auteurs ont aussi fait une méthode de localisation
faiblement supervisée, donne d'emblée une carte lisse : voir [Au-delà du gradient](../au-dela-du-gradient/).

D'autres usages, au-delà de l'interprétation :

- **déboguer un jeu de données** : une saillance concentrée sur un filigrane, une légende, le bord de
  l'image ou un fond récurrent signale un biais de collecte (des chevaux reconnus à la mention de
  copyright de leurs photos, Lapuschkin et al., 2019 ; des pneumonies « reconnues » aux marqueurs propres à
  l'hôpital qui avait pris la radiographie, Zech et al., 2018) ;
- **détecter les raccourcis** (*shortcut learning*) avant le déploiement : comparer la saillance d'images
  correctement classées à l'objet attendu, comme on l'a fait en [Q1](#q1) — avec la prudence de
  [Q2 (b)](#q2) ;
- **guider l'attention** : recadrer automatiquement une photo sur sa zone saillante (vignettes), ou
  choisir où calculer plus finement ;
- **amorcer une annotation** : les masques ci-dessus peuvent servir de pseudo-étiquettes pour entraîner
  un vrai segmenteur ;
- **construire des attaques** : le gradient dont la carte est tirée indique où une petite perturbation
  change le plus le score — exactement l'ingrédient de la [partie 2](../partie-2-adversaires/).
"""
    )
)

# %% [markdown] tags=["question"]
# <a id="q4"></a>
# ## Q4 — Un second réseau
#
# **Q8.4 Bonus** Calculez les cartes de saillance avec un autre réseau, par exemple VGG16, et comparez-les
# à celles de SqueezeNet.

# %% [markdown] tags=["enonce"]
# Le sujet propose VGG16. On charge le second réseau avec `tp8.course.second_network()` ; s'il n'a pas pu
# être chargé, un avertissement ci-dessous le dit et indique le réseau qui le remplace. La figure montre,
# pour trois photos, la carte de chaque réseau (en haut SqueezeNet 1.1, en bas le second réseau) ; le
# tableau compare les cartes des huit photos par la corrélation de rang, brute puis après lissage, et la
# cellule donne la même corrélation pour des photos différentes, comme point de comparaison.

# %%
net2 = tp8.course.second_network()
if net2.message is not None:
    display(net2.message)

# %%
if net2.model is not None:
    model2 = net2.model
    display(tp8.course.provenance(model2))
    maps2 = tp8.saliency_map(model2, images).numpy()
    top2 = model2.predict(images, k=1)
    smoothed2 = np.stack([smooth(m) for m in maps2])
    shown = [names.index(p) for p in ("coffee", "rocket", "grace_hopper")]
    fig, axes = tile_figure(2, len(shown), title_lines=2, row_label_px=18)
    for row, (net, mm, top) in enumerate(  # noqa: B007 (top : dans le tr(...))
        ((model, maps_np, top3), (model2, maps2, top2))
    ):
        for col, k in enumerate(shown):
            title = tr("{names[k]}\n→ {top[k][0][0]} ({pct(top[k][0][1])})")
            show_tile(axes[row, col], mm[k], title, cmap=HOT, vmin=0, vmax=np.percentile(mm[k], 99.5))
        row_label(fig, axes[row, 0], net.name)
    show(
        fig,
        alt=tr(
            "Deux rangées de trois cartes de saillance (coffee, rocket, grace_hopper), points clairs sur fond noir : "
            "en haut pour {model.name}, en bas pour {model2.name}, chacune titrée de la classe prédite par le réseau."
        ),
    )

# %%
if net2.model is not None:
    pairs = [
        {
            tr("photo"): name,
            tr("classe ({model.name})"): top3[k][0][0],
            tr("classe ({model2.name})"): top2[k][0][0],
            tr("ρ brute"): rank_corr(maps_np[k], maps2[k]),
            tr("ρ lissée"): rank_corr(smoothed[k], smoothed2[k]),
        }
        for k, name in enumerate(names)
    ]
    cross = np.mean([rank_corr(smoothed[k], smoothed2[(k + 1) % n]) for k in range(n)])
    display(
        tr(
            "ρ lissée moyenne entre photos différentes (photo k pour {model.name}, k + 1 pour {model2.name}) : "
            "{num(cross)}"
        )
    )
    display(tp8.course.table(pairs, digits=2))

# %% tags=["hide-input"]
if net2.model is not None:
    n_params = sum(p.numel() for p in model2.parameters()) / 1e6
    ref_params = sum(p.numel() for p in model.parameters()) / 1e6
    first_conv = next(m for m in model2.modules() if isinstance(m, torch.nn.Conv2d))
    describe = {
        "vgg16": tr(
            "VGG16 (Simonyan et Zisserman, 2015) : treize convolutions 3 × 3 empilées, cinq max-poolings "
            "et trois couches entièrement connectées"
        ),
        "squeezenet1_0": tr(
            "SqueezeNet 1.0, la première version du même réseau : mêmes modules *Fire*, mais une "
            "première convolution plus large et des sous-échantillonnages placés plus tard"
        ),
    }.get(model2.name, f"`{model2.name}`")
    agree = [k for k in range(n) if top3[k][0][0] == top2[k][0][0]]
    raw = [p["ρ brute"] for p in pairs]
    smo = [p["ρ lissée"] for p in pairs]
    prof2 = phase_profile(maps2)
    conc2 = {
        (name, region): concentration(maps2[names.index(name)], b)
        for name, regs in REGIONS.items()
        for region, b in regs.items()
    }
    same_story = [key for key in conc2 if (conc2[key] > 1) == (q1[key] > 1)]
    checker, checker2 = profile.max() / profile.min(), prof2.max() / prof2.min()
    pixel_verdict = (
        tr("ne se ressemblent presque pas")
        if np.median(raw) < 0.35
        else tr("ne se ressemblent qu'en partie")
        if np.median(raw) < 0.6
        else tr("se ressemblent déjà nettement")
    )
    grain = (
        tr(
            "Le grain fin n'est donc pas une propriété de la seule photo : il dépend aussi du réseau (et, on l'a vu en "
            "Q2 (a), du bruit de gradient)."
        )
        if np.median(raw) < 0.6
        else tr("Même le grain fin se retrouve en bonne partie d'un réseau à l'autre.")
    )
    checker_verdict = (
        tr("bien plus faible que")
        if checker2 < 0.6 * checker
        else tr("comparable à")
        if checker2 < 1.5 * checker
        else tr("plus fort que")
    )
    paths2, layers2 = path_profile(model2.net)
    path_ratio2 = (paths2.max() / paths2.min()) ** 2
    if abs(np.log(path_ratio2 / path_ratio)) < 0.05:
        path_text = tr(
            "Le décompte des chemins de la Q2 (d) prévoit pourtant le même rapport pour les deux réseaux "
            "({num(path_ratio, 1)}) : la différence tient ici aux poids, pas au recouvrement des fenêtres."
        )
    elif (path_ratio2 < path_ratio) == (checker2 < checker):
        path_text = tr(
            "Le décompte des chemins de la Q2 (d) va dans le même sens : {model2.name} commence par "
            "{describe_windows(layers2)}, dont les fenêtres se recouvrent "
            "{tr('plus') if path_ratio2 < path_ratio else tr('moins')} également, avec un rapport de {num(path_ratio2, 2)} "
            "entre la position la plus desservie et la moins desservie, contre {num(path_ratio, 0)} pour {model.name}."
        )
    else:
        path_text = tr(
            "Le décompte des chemins de la Q2 (d) prévoyait l'inverse ({num(path_ratio2, 2)} pour {model2.name}, "
            "qui commence par {describe_windows(layers2)}, contre {num(path_ratio, 0)}) : le recouvrement des "
            "fenêtres n'explique pas tout, les poids comptent aussi."
        )
    smooth_agree = np.median(smo) > np.median(raw) and np.median(smo) > cross
    smooth_verdict = (
        tr("les deux réseaux s'accordent davantage sur *où* regarder que sur *quels pixels* exactement")
        if smooth_agree
        else tr("même lissées, les deux cartes ne s'accordent guère mieux qu'avec une photo quelconque")
    )
    if np.median(raw) < 0.6:
        same_decision = (
            tr(
                " Même pour les {len(agree)} photo(s) que les deux réseaux classent de la même façon, la corrélation "
                "brute ne dépasse pas {num(max(raw[k] for k in agree))} : deux réseaux qui prennent la même décision "
                "peuvent la « justifier » par des cartes différentes."
            )
            if agree
            else ""
        )
        coarse = (
            tr(
                "Raison de plus pour ne lire que la structure grossière, et de préférence en comparant plusieurs cartes."
            )
            if smooth_agree
            else tr("Ici, même la structure grossière diffère : une carte ne vaut que pour le réseau qui l'a produite.")
        )
        lesson = tr(
            "La leçon : une carte de saillance est une propriété du couple (image, réseau), pas de l'image seule."
            "{same_decision} {coarse}"
        )
    else:
        lesson = tr(
            "Ici, les deux réseaux donnent des cartes proches jusque dans le détail : un cas favorable, que seule la "
            "comparaison permet de constater."
        )
    display(
        tr(
            """
Le second réseau est {describe} ({num(n_params, 2 if n_params < 10 else 0)} M de paramètres contre
{num(ref_params)} M pour {model.name} ; première convolution {first_conv.kernel_size[0]} ×
{first_conv.kernel_size[1]} de pas {first_conv.stride[0]}). Les deux réseaux donnent la même classe pour
{len(agree)} photo(s) sur {n}.

**Au niveau du pixel, les cartes des deux réseaux {pixel_verdict}** : corrélation de rang brute entre
{num(min(raw))} et {num(max(raw))} (médiane {num(np.median(raw))}). {grain} Le damier de {model2.name}
(rapport max/min de {num(checker2, 1)} selon la position modulo 4) est {checker_verdict} celui de
{model.name} ({num(checker, 1)}). {path_text} Après **lissage**, la corrélation vaut {num(min(smo))} à {num(max(smo))}
(médiane {num(np.median(smo))}), à comparer aux {num(cross)} obtenus en associant des photos différentes :
{smooth_verdict}. Sur les régions tracées en Q1, le sens de la concentration (au-dessus ou au-dessous
de la moyenne) est le même pour les deux réseaux dans {len(same_story)} région(s) sur {len(conc2)}.

{lesson}
"""
        )
    )

# %% [markdown] tags=["solution"]
# ## À retenir

# %% tags=["hide-input", "solution"]
# Les exemples de Q1 relus à la lumière de Q2 (b) : la carte de goldfish se concentre-t-elle autant sur
# ces zones que celle de la classe prédite ?
examples = []
for photo, region, where in (
    ("rocket", "pylônes", tr("les pylônes de la fusée")),
    ("grace_hopper", "nœud papillon", tr("le nœud papillon")),
):
    g = concentration(maps_goldfish[names.index(photo)], REGIONS[photo][region])
    examples.append((g / q1[photo, region], g, photo, region, where))
ratio, g, photo, region, where = max(examples)  # l'exemple où goldfish s'approche le plus de la classe prédite
numbers = tr(
    "{where} : {num(g, 1)} fois la moyenne pour *goldfish*, contre {num(q1[photo, region], 1)} pour *{pred[photo]}*"
)
if g > 1 and ratio > 0.8:
    reading = tr(
        """mais {claim(g > 1 and ratio > 0.8, "la carte d'une classe sans rapport s'y concentre presque autant")} """
        "({numbers}, Q2 b)"
    )
elif g > 1:
    reading = tr("""mais {claim(g > 1, "la carte d'une classe sans rapport s'y concentre aussi")} ({numbers}, Q2 b)""")
else:
    reading = tr(
        "et la carte d'une classe sans rapport, *goldfish*, ne s'y concentre pas ici (Q2 b) ; rien ne le garantit "
        "d'avance"
    )
display(
    tr(
        """
- La carte de saillance est le module du gradient du **logit** de la classe par rapport aux pixels,
  maximisé sur les couleurs : le poids de chaque pixel dans la meilleure approximation linéaire locale
  du réseau. Elle coûte une passe arrière.
- Lue après lissage, elle désigne des zones plausibles pour la classe prédite, même fausse (les pylônes de
  la fusée pour *mosque*), {reading} : des hypothèses sur la décision, à confronter aux cartes d'autres
  classes, pas des preuves.
- Elle est **locale** (elle ignore l'aplatissement du score le long d'un chemin), **instable** (un bruit
  invisible la redessine), **peu spécifique** de la classe et marquée par l'**architecture** (damier) : il
  faut la lisser, la comparer à d'autres classes et d'autres réseaux, et se méfier du détail fin.
- Elle permet aussi de {tr("**localiser** grossièrement") if locates else tr("**suggérer** où est")} un objet sans
  annotation de position ({len(good)} boîte(s) sur {len(box_rows)} à une IoU d'au moins 0,5 ici), et de
  **déboguer** données et modèles.
"""
    )
)

# %% [markdown]
# Le même gradient $\partial \tilde y_c / \partial x$ peut être utilisé dans l'autre sens : au lieu de
# le *regarder*, on peut *suivre* sa direction pour changer l'image. Avec une toute petite modification,
# on fait alors dire au réseau n'importe quelle classe : ce sont les exemples adversaires de la
# [partie 2](../partie-2-adversaires/).

# %% [markdown]
# ## Compte rendu
#
# Le compte rendu du soir tient en quelques lignes. Pour cette partie, il contient :
#
# 1. votre réponse à la question ★ [Q8.1](#q1) : les cartes de saillance obtenues, montrées et interprétées
#    (les autres questions de cette partie peuvent y être discutées) ;
# 2. votre avancement : ce qui a marché ou non (votre fonction `carte_de_saillance` passe-t-elle sa
#    vérification ?) ;
# 3. si vous le souhaitez, vos remarques : ce que vous avez compris ou non.
#
# Partez du [modèle de compte rendu](../compte-rendu-tp8.ipynb), une rubrique par question du TP.
