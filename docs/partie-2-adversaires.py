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
# ---

# %% [markdown]
# # Partie 2 — Exemples adversaires
#
# Un réseau qui reconnaît un chat peut, après une retouche de quelques niveaux de gris répartie sur l'image —
# qu'on ne voit pas sans l'amplifier —, affirmer qu'il voit un poisson rouge.
# Ces images retouchées s'appellent des **exemples adversaires** (*adversarial examples*) ou **images
# trompeuses** (*fooling images*). Cette page les fabrique avec la méthode naïve du TP et mesure la retouche
# (Q5), examine ce que cela implique en pratique, y compris le passage d'un réseau à un autre (Q6), puis compare
# la méthode naïve à des attaques classiques et la soumet à deux transformations anodines (Q7).

# %% [markdown]
# ## Le phénomène
#
# **Biggio et al. (2013)** avaient montré qu'un attaquant qui connaît un classifieur déjà entraîné (machine à
# vecteurs de support ou réseau de neurones) peut, par une descente de gradient sur l'**entrée**, modifier un
# exemple malveillant juste assez pour qu'il passe pour légitime : des fichiers PDF piégés devant un détecteur
# de logiciels malveillants, et, pour rendre l'attaque visible, des chiffres manuscrits. **Szegedy et al.
# (2014)** ont été les premiers à le décrire pour les réseaux profonds de classification d'images, avec des
# perturbations imperceptibles : pour chacune des images correctement classées qu'ils ont essayées, ils trouvent
# une image $x + \delta$ toute proche — $\delta$ ne se voit pas — que le réseau classe autrement, et une telle
# image trompe souvent aussi d'*autres* réseaux, entraînés avec une autre architecture ou sur d'autres données.
# Ils cherchaient la plus petite perturbation $\delta$ (en norme $L_2$) qui fasse prédire une classe cible, en
# résolvant une version relâchée du problème — minimiser $c\,\|\delta\|_2$ plus la perte de classification
# vers la cible — par L-BFGS sous la contrainte que $x + \delta$ reste une image valide.
#
# **Goodfellow, Shlens et Szegedy (2015)** en ont donné une explication devenue classique, l'explication
# *linéaire*. Prenons un score linéaire $w^\top x$ et une perturbation dont chaque composante vaut au plus
# $\varepsilon$ en valeur absolue. Le choix $\delta = \varepsilon\,\operatorname{sign}(w)$ change le score de
#
# $$w^\top \delta = \varepsilon \sum_{k=1}^{n} |w_k| = \varepsilon\, \|w\|_1 ,$$
#
# une quantité qui croît **linéairement avec la dimension** $n$. Une image $224 \times 224$ en couleurs compte
# $n = 150\,528$ valeurs : des changements individuellement négligeables, tous orientés dans le sens qui
# augmente le score, s'additionnent en un changement énorme. Selon eux, les réseaux profonds sont conçus pour
# se comporter de façon assez linéaire (unités ReLU, maxout, LSTM) — c'est ce qui les rend faciles à
# optimiser —, et cela suffirait à les rendre vulnérables. Cette explication reste une hypothèse discutée :
# Tanay et Griffin (2016) montrent que la linéarité ne suffit pas (il faut encore que la frontière de décision,
# inclinée par rapport aux données, passe tout près d'elles), Gilmer et al. (2018, *Adversarial Spheres*)
# obtiennent des exemples adversaires sur un problème synthétique par la seule géométrie de la grande
# dimension, et Ilyas et al. (2019) y voient l'effet d'indices prédictifs des données imperceptibles pour nous
# (voir Q6). Goodfellow et al. en tirent une attaque en un seul pas, la FGSM, qui pousse chaque valeur de
# $\pm\varepsilon$ dans le sens qui fait monter la perte de la *vraie* classe : nous la retrouverons en Q7, avec
# ses variantes.
#
# **À ne pas confondre avec les GAN.** Les *Generative Adversarial Networks* (Goodfellow et al., 2014) partagent
# le mot « adversaire », mais c'est à peu près tout : un GAN **entraîne** deux réseaux l'un contre l'autre (un
# générateur qui fabrique des images, un discriminateur qui les distingue des vraies) pour apprendre à générer.
# Ici, rien n'est appris : le classifieur est figé, et l'on optimise **l'entrée** d'un seul réseau pour lui
# faire commettre une erreur choisie. L'« adversaire » est un attaquant, pas un second réseau.

# %% [markdown]
# ## La méthode naïve du TP
#
# Partons d'une image $x$ que le réseau range dans la classe $i$ et choisissons une classe cible $j \neq i$.
# Notons $\tilde y = f(x)$ le vecteur des scores (avant softmax) et $g = \partial \tilde y_j / \partial x$ le
# gradient du score de la cible par rapport aux pixels. On fait une **montée de gradient sur l'image** (pas
# sur les poids) :
#
# $$x \leftarrow \operatorname{clip}_{[0,1]}\!\left(x + \eta\,\frac{g}{\|g\|_2}\right),$$
#
# répétée jusqu'à ce que le réseau prédise $j$. Trois détails méritent qu'on s'y arrête.
#
# - **Pourquoi diviser par $\|g\|_2$ ?** Au premier ordre, $\tilde y_j(x + \eta u) \approx \tilde y_j(x) +
#   \eta\, g^\top u$. Parmi les directions $u$ de norme 1, celle qui fait le plus monter le score est
#   $u = g/\|g\|_2$ (inégalité de Cauchy–Schwarz), et le gain vaut alors $\eta \|g\|_2$. Normaliser fixe donc la
#   **longueur** de chaque pas à $\eta$ dans l'espace des pixels, quelle que soit l'amplitude du gradient, qui
#   varie beaucoup d'une image, d'une classe et d'une itération à l'autre. Le pas $\eta$ devient une distance
#   interprétable. Après $T$ itérations, $\|\delta\|_2 \le \eta\, T$ : le `clip` qui suit chaque pas est une
#   projection sur un convexe (le cube $[0,1]^n$), qui ne rallonge aucun déplacement, donc chaque itération avance
#   de $\eta$ au plus, et l'inégalité triangulaire fait le reste. Seul l'arrondi final à 8 bits (plus bas) peut
#   dépasser cette borne : d'au plus un demi-niveau de gris par valeur, ce qui peut faire, cumulé sur les $n$
#   valeurs d'une image $224 \times 224$, jusqu'à $0{,}5\sqrt{n}/255 \approx 0{,}76$ en norme $L_2$ — le quart
#   de $\eta\,T = 3$ après $T = 15$ pas de $\eta = 0{,}2$.
# - **Pourquoi le score $\tilde y_j$ et non la probabilité $\hat y_j$ ?** C'est le choix du TP, et le plus
#   direct : le score échappe à la **saturation du softmax**. Le gradient de la probabilité,
#   $\nabla \hat y_j = \hat y_j \big(\nabla \tilde y_j - \sum_k \hat y_k \nabla \tilde y_k\big)$, porte un facteur
#   $\hat y_j$, minuscule quand la cible est improbable au départ (c'est le cas pour une cible lointaine) : sans la
#   normalisation, les pas seraient quasi nuls. La direction n'est d'ailleurs pas la même : à un facteur près,
#   c'est celle de $\nabla \log \hat y_j = \nabla \tilde y_j - \sum_k \hat y_k \nabla \tilde y_k$. Le score,
#   lui, n'a pas ce facteur.
# - **Pourquoi `tp8` borne à $[0, 1]$ et arrondit à 8 bits.** Une image n'est une image que si ses valeurs
#   restent des intensités valides : le `clip` ramène chaque pixel dans $[0,1]$ après chaque pas (c'est une
#   projection sur le « cube » des images). Ensuite, une image enregistrée en PNG ne contient que des entiers
#   de 0 à 255 : une modification de moins d'un demi-niveau de gris disparaît à l'enregistrement. Or un pas de
#   longueur $\eta = 0{,}2$ réparti sur $150\,528$ valeurs ne change chaque valeur, en moyenne quadratique, que
#   d'environ $0{,}2/\sqrt{150\,528}\times 255 \approx 0{,}13$ niveau de gris ! `tp8.fooling_image` évalue donc le
#   réseau sur l'image **arrondie à 8 bits** à chaque itération, ne déclare le succès que si cette image arrondie
#   est classée $j$, et accumule les petits pas sur une copie non arrondie (le gradient, pris au point arrondi,
#   sert d'estimation « *straight-through* »). Toutes les images et toutes les mesures de cette page sont donc
#   celles d'un fichier PNG réel.
#
# Pour voir la méthode à l'œuvre sur une photo de votre choix, sans rien installer :
# [Essayer sur votre propre photo, dans le navigateur](../essayer/#image-trompeuse).

# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()

# %%
import io

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from PIL import Image

import tp8
from tp8.course import INVISIBLE_PSNR_DB, claim, num, pct, sci, show, tr  # noqa: F401 (num, sci: in tr templates)

torch.manual_seed(0)
model = tp8.load_model("squeezenet1_1")
n_params = sum(p.numel() for p in model.parameters())
display(tr("""{tp8.course.provenance(model)} : {num(n_params / 1e6, 1)} M paramètres, poids figés"""))


# %% [markdown]
# Nous prenons cinq photos sous licence libre (domaine public, CC0 ou CC BY) fournies avec `tp8` que
# SqueezeNet 1.1 reconnaît de façon sensée, et, pour chacune, deux classes cibles choisies **loin** de son
# contenu (un chat qu'on veut faire passer pour un poisson rouge ou un bus scolaire, un expresso pour une
# tarentule…), soit dix attaques.

# %%
PHOTOS = ["chelsea", "coffee", "motorcycle", "china", "grace_hopper"]
TARGETS = {
    "chelsea": ["goldfish", "school bus"],
    "coffee": ["tarantula", "volcano"],
    "motorcycle": ["daisy", "jellyfish"],
    "china": ["pizza", "African elephant"],
    "grace_hopper": ["broccoli", "balloon"],
}
samples = tp8.sample_images(PHOTOS)
photos = torch.stack([s.image for s in samples])
top1 = model.predict(photos, k=1)
photo_prob = torch.tensor([pred[0][1] for pred in top1])  # each photo's predicted class
tp8.course.table(
    [
        {
            tr("photo"): sample.name,
            tr("prédiction de SqueezeNet 1.1"): pred[0][0],
            tr("probabilité"): tr("{pct(pred[0][1])}"),
        }
        for sample, pred in zip(samples, top1)
    ]
)

# %% [markdown]
# ## À vous : la boucle de la méthode naïve
#
# Avant d'attaquer les dix paires d'un coup avec `tp8.fooling_image`, écrivez la boucle pour une seule
# image. La fonction `image_trompeuse` part de la photo arrondie à 8 bits, puis répète, au plus
# `max_iter` fois :
#
# 1. arrondir l'image courante $x$ à 8 bits (`tp8.quantize(x)`) ;
# 2. si le réseau classe cette image arrondie dans la cible, s'arrêter ;
# 3. sinon, prendre le gradient $g$ du score $\tilde y_{\text{cible}}$ par rapport à l'image arrondie, et
#    faire le pas $x \leftarrow \operatorname{clip}_{[0,1]}\!\left(x + \eta\, g/\|g\|_2\right)$ sur l'image
#    non arrondie, qui accumule les petits pas.
#
# Elle renvoie l'image arrondie : celle qu'un fichier PNG garderait.
#
# *Indications.* `torch.autograd.grad(score, entree)` donne le gradient d'un score par rapport à une
# entrée qui le demande (`requires_grad_(True)`) ; `scores.argmax(dim=1).item()` est la classe prédite
# d'une image seule ; `g.norm()` vaut $\|g\|_2$ ; `clamp(0, 1)` ramène les pixels dans $[0, 1]$.


# %%
def image_trompeuse(modele, image, cible, pas=0.2, max_iter=100):
    """Image trompeuse d'une photo par la méthode naïve (éq. 2), le succès jugé après arrondi à 8 bits.

    Args:
        modele: le réseau (un tp8.Classifier) : modele(x) donne les scores ỹ (avant le softmax)
            d'images x de pixels dans [0, 1].
        image: tenseur (1, 3, H, W) de pixels dans [0, 1] (ne le modifiez pas).
        cible: l'indice de la classe cible.
        pas: η, la longueur L2 de chaque pas, en unités de pixels de [0, 1].
        max_iter: le nombre maximal de pas.

    Renvoie:
        tenseur (1, 3, H, W) arrondi à 8 bits et détaché du graphe : la première image de la boucle
        que le réseau, une fois arrondie, classe dans la cible, ou la dernière après max_iter pas.
    """
    x = tp8.quantize(image.detach().clone())  # la photo telle qu'un PNG la garde
    ### BEGIN SOLUTION
    for _etape_trompeuse in range(max_iter):
        x_arrondie = tp8.quantize(x).requires_grad_(True)
        scores_trompeurs = modele(x_arrondie)
        if scores_trompeurs.argmax(dim=1).item() == cible:
            break
        (gradient_cible,) = torch.autograd.grad(scores_trompeurs[0, cible], x_arrondie)
        x = (x + pas * gradient_cible / gradient_cible.norm()).clamp(0, 1)
    ### END SOLUTION
    return tp8.quantize(x)


# %% tags=["check"]
tp8.checks.fooling(image_trompeuse)

# %% [markdown]
# Voici votre fonction appliquée au chat avec la cible `goldfish` (dans l'énoncé, tant qu'elle n'est pas
# écrite, c'est la référence de `tp8` qui répond) : l'original, l'image trompeuse arrondie à 8 bits, et la
# différence multipliée par dix (le gris moyen signifie « aucun changement »).

# %%
chat, cible_chat = photos[:1], model.class_index("goldfish")
votre_image = tp8.checks.use(image_trompeuse, tp8.checks.fooling)(model, chat, cible_chat)
vu = model.predict(torch.cat([chat, votre_image]), k=1)
fig, axes = tp8.plotting.tile_figure(1, 3, (224, 224), title_lines=2)
for ax, image, titre in zip(
    axes.ravel(),
    [chat[0], votre_image[0], (0.5 + 10 * (votre_image[0] - tp8.quantize(chat[0]))).clamp(0, 1)],
    [
        tr("original\n{vu[0][0][0]} ({pct(vu[0][0][1])})"),
        tr("image trompeuse\n{vu[1][0][0]} ({pct(vu[1][0][1])})"),
        tr("différence × 10"),
    ],
):
    tp8.plotting.show_tile(ax, tp8.to_numpy(image), titre)
show(
    fig,
    alt=tr(
        """Trois vignettes : la photo du chat, classée {vu[0][0][0]} ; l'image trompeuse, pareille à l'œil, \
classée {vu[1][0][0]} ; la différence multipliée par dix, une fine texture colorée sur un fond gris."""
    ),
)

# %%
names = [s.name for s in samples for _ in TARGETS[s.name]]
images = torch.stack([s.image for s in samples for _ in TARGETS[s.name]])
targets = [t for s in samples for t in TARGETS[s.name]]

naive_iter = 100
naive = tp8.fooling_image(model, images, targets, lr=0.2, max_iter=naive_iter)
display(tr("""{int(naive.success.sum())}/{len(targets)} attaques réussies"""))


# %% [markdown] tags=["question"]
# <a id="q5"></a>
# ## Q5 — Résultats de la méthode naïve
#
# **Q8.5 ★** Montrez les images trompeuses obtenues avec la méthode naïve et interprétez ces résultats.

# %% [markdown] tags=["enonce"]
# La figure de l'exercice montrait le chat ; celle-ci montre deux autres photos, chacune avec la première de
# ses deux cibles : l'original (avec la prédiction du réseau), l'image adversaire arrondie à 8 bits (avec la
# nouvelle prédiction et la probabilité de la cible), la différence $\delta$ à sa vraie échelle ($0{,}5 +
# \delta$ : le gris moyen signifie « aucun changement »), puis $0{,}5 + 10\,\delta$. Toutes les vignettes sont
# à l'échelle 1 : un pixel de la figure par pixel de l'image. Le tableau qui suit donne les dix attaques :
# nombre d'itérations, normes $L_2$ et $L_\infty$ de la perturbation en niveaux de gris (unités de $1/255$) et
# probabilité de la cible **sur l'image arrondie à 8 bits**.


# %%
first = torch.arange(0, len(targets), 2)  # the first target of each photo
shown = first[[1, 3]]  # coffee, china (the exercise's figure shows the cat)
show(
    tp8.plot_attack(naive[shown], model, magnify=10),
    alt=tr(
        """Deux rangées, une par photo (coffee, china) : la photo originale avec sa classe, l'image adversaire \
avec la classe cible qu'y voit le réseau, la différence à sa vraie échelle, puis la différence multipliée \
par 10."""
    ),
)

# %%
COLUMNS = {
    "original": tr("classe d'origine"),
    "target": tr("cible"),
    "predicted": tr("prédiction"),
    "success": tr("succès"),
    "iterations": tr("itérations"),
    "L2 (/255)": "‖δ‖₂ (/255)",
    "Linf (/255)": "‖δ‖∞ (/255)",
    "target prob": tr("p(cible)"),
}


def results_table(result):
    rows = [
        {tr("photo"): name, **{fr: row[en] for en, fr in COLUMNS.items()}}
        for name, row in zip(names, result.rows(model))
    ]
    return tp8.course.table(rows, digits={"‖δ‖₂ (/255)": 0, "‖δ‖∞ (/255)": 0, "p(cible)": 2})


results_table(naive)

# %% [markdown] tags=["enonce"]
# ### La taille de la perturbation
#
# Pour juger de la taille de $\delta$, comparons-la à l'image elle-même. Le rapport $\|\delta\|_2/\|x\|_2$ donne
# l'ordre de grandeur relatif ; le PSNR, $20\log_{10}\!\big(255/\mathrm{RMSE}\big)$ avec
# $\mathrm{RMSE} = \|\delta\|_2/\sqrt{n}$ en niveaux de gris (l'écart quadratique moyen par valeur), est la
# mesure usuelle en compression d'images (au-delà de 40 dB, une différence répartie sur l'image est en
# pratique invisible : une règle empirique, pas un seuil de la vision ; un JPEG de qualité courante se situe
# vers 30–40 dB). Le tableau donne aussi la part des
# $n$ valeurs que l'arrondi à 8 bits laisse modifiées, celle des valeurs modifiées qui ne bougent que de un ou
# deux niveaux, la part des blocs de $8\times8$ pixels où au moins une valeur a changé, et $\|\delta\|_2$
# rapportée à la borne $\eta\,T$ ($T$ pas de longueur $\eta$) : des pas de directions indépendantes n'en
# atteindraient qu'environ $1/\sqrt{T}$.

# %%
n_values = images[0].numel()
ratio = naive.l2 / naive.original.flatten(1).norm(dim=1)
rmse = naive.l2_255 / n_values**0.5
psnr = 20 * torch.log10(255 / rmse)
grey_levels = (naive.perturbation.abs() * 255).round().flatten(1)  # |δ| of each value, in grey levels
changed = (grey_levels > 0).float().mean(dim=1)
slight = ((grey_levels > 0) & (grey_levels <= 2)).float().sum(dim=1) / (grey_levels > 0).float().sum(dim=1)
beyond = float((grey_levels > 4).float().mean())  # all ten attacks together
touched = torch.nn.functional.max_pool2d(naive.perturbation.abs().amax(1, keepdim=True), 8).flatten(1)
blocks = (touched > 0.5 / 255).float().mean(dim=1)  # share of the 8×8 blocks holding a changed value
straight = naive.l2 / (0.2 * naive.iterations.clamp_min(1))
it = naive.iterations.float()
walk = 1 / naive.iterations.clamp_min(1).float().sqrt()
tp8.course.table(
    [
        {
            tr("photo"): names[k],
            tr("cible"): targets[k],
            "RMSE (/255)": float(rmse[k]),
            "‖δ‖₂/‖x‖₂": tr("{pct(ratio[k], 2)}"),
            "PSNR (dB)": float(psnr[k]),
            tr("valeurs modifiées"): tr("{pct(changed[k])}"),
            tr("dont de 1 ou 2 niveaux"): tr("{pct(slight[k])}"),
            tr("blocs 8×8 touchés"): tr("{pct(blocks[k])}"),
            "‖δ‖₂/(ηT)": tr("{pct(straight[k])}"),
            "1/√T": tr("{pct(walk[k])}"),
        }
        for k in range(len(targets))
    ],
    digits={"RMSE (/255)": 2, "PSNR (dB)": 1},
)

# %% tags=["hide-input"]
display(
    tr(
        """- **{claim(it.quantile(0.5) <= naive_iter / 4, "Peu d'itérations")}.** Il a fallu entre {int(it.min())} et \
{int(it.max())} pas (médiane {num(it.quantile(0.5), 0)}, pour {naive_iter} permis) pour que chaque image arrondie soit \
classée dans sa cible ; {int(naive.success.sum())} attaques sur {len(targets)} ont réussi.
- **De petits écarts par valeur.** L'écart quadratique moyen par valeur ne va que de {num(rmse.min(), 2)} à \
{num(rmse.max(), 2)} niveau de gris sur 255. Quelques valeurs isolées bougent bien plus (médiane de \
$\\|\\delta\\|_\\infty$ : {num(naive.linf_255.quantile(0.5), 0)} niveaux, maximum {num(naive.linf_255.max(), 0)}) : \
{claim(beyond < 0.05, "c'est rare")} ({pct(beyond, 1)} des valeurs des dix images bougent de plus de 4 niveaux), \
mais rien dans la méthode ne l'interdit (voir Q7).
- **Petites devant l'image.** $\\|\\delta\\|_2/\\|x\\|_2$ vaut entre {pct(ratio.min(), 2)} et \
{pct(ratio.max(), 2)} (médiane {pct(ratio.quantile(0.5), 2)}) ; le PSNR va de {num(psnr.min(), 1)} à \
{num(psnr.max(), 1)} dB, {claim(float(psnr.min()) > INVISIBLE_PSNR_DB, "au-delà du seuil")} de \
{num(INVISIBLE_PSNR_DB, 0)} dB où une différence répartie sur l'image devient en pratique invisible.
- **Diffuses.** Une fois arrondie, la perturbation modifie en médiane {pct(changed.quantile(0.5))} des \
{num(n_values, 0)} valeurs de l'image, {claim(slight.min() > 0.5, "d'un ou deux niveaux pour la plupart")} (de \
{pct(slight.min())} à {pct(slight.max())} des valeurs modifiées, selon l'attaque), et \
{claim(blocks.min() > 0.9, "touche toute l'image")} : au moins {pct(blocks.min())} des blocs de $8\\times8$ pixels \
contiennent une valeur modifiée. Rien de localisé, donc, même si son intensité varie d'une zone à l'autre (voir Q7).
- **Un chemin cohérent.** $\\|\\delta\\|_2$ atteint en médiane {pct(straight.quantile(0.5))} de la borne \
$\\eta\\,T$ ; des pas de directions indépendantes n'en atteindraient que $1/\\sqrt{{T}}$, soit \
{pct(walk.quantile(0.5))} ici. {claim(straight.quantile(0.5) > 0.7, "Les pas successifs vont donc en grande partie dans la \
même direction") if straight.quantile(0.5) > 0.7 else claim(straight.quantile(0.5) > 1.5 * walk.quantile(0.5), "Les pas successifs \
ne s'annulent donc pas comme des pas au hasard : ils gardent une direction commune")}, comme le prévoit un modèle \
localement linéaire.
- **{claim(naive.target_prob.quantile(0.5) < photo_prob.quantile(0.5), "Des probabilités plus faibles que sur les photos")}.** \
La cible l'emporte avec une probabilité comprise entre {pct(naive.target_prob.min())} et \
{pct(naive.target_prob.max())} (médiane {pct(naive.target_prob.quantile(0.5))}, contre {pct(photo_prob.quantile(0.5))} pour \
la classe prédite sur les photos d'origine) : l'attaque s'arrête dès que la cible passe en tête."""
    )
)

# %% [markdown] tags=["enonce"]
# ### La structure de la perturbation
#
# Où la perturbation se place-t-elle, et à quelles échelles ? Trois mesures :
#
# - pour chaque attaque, la corrélation de rang (Spearman) entre l'intensité locale de $|\delta|$ et celle des
#   contours de la photo (filtre de Sobel), toutes deux lissées sur quelques pixels ;
# - un détail de $48\times48$ pixels (l'œil du chat, attaque chelsea → goldfish) de l'original, de l'image
#   adversaire et de $0{,}5 + 10\,\delta$, agrandi quatre fois (chaque pixel de l'image devient un carré de
#   $4\times4$ pixels, sans interpolation) ;
# - la densité spectrale de puissance moyenne (moyenne radiale du module au carré de la transformée de Fourier
#   2D) des photos et des perturbations, chacune normalisée par son énergie totale, en échelle logarithmique. Le
#   tableau donne la pente de la droite ajustée en échelle log-log (l'exposant $a$ d'une puissance en $1/f^{a}$),
#   sur toute la bande et sur ses deux moitiés, et la part de l'énergie au-delà de 0,25 cycle/pixel (motifs de
#   moins de 4 pixels de période, ligne pointillée sur la figure), à comparer à celle d'un bruit blanc (tirets).

# %% tags=["hide-input"]
from scipy.stats import spearmanr
from skimage.color import rgb2gray
from skimage.filters import gaussian, sobel

# Where δ is strong versus where the photo has edges and texture (both smoothed over a few pixels).
suit_contours = np.array(
    [
        spearmanr(
            gaussian(naive.perturbation[k].abs().sum(0).numpy(), 3).ravel(),
            gaussian(sobel(rgb2gray(tp8.to_numpy(naive.original[k]))), 3).ravel(),
        )[0]
        for k in range(len(naive))
    ]
)


def radial_power(batch):
    """Mean radial power spectrum of (N, 3, H, W) images (channel means removed), normalised to sum 1."""
    x = batch - batch.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(x).abs().pow(2).sum(dim=1)  # (N, H, W)
    h, w = power.shape[-2:]
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.fftfreq(w)[None, :]
    radius = (fx**2 + fy**2).sqrt()
    bins = torch.linspace(0, 0.5, 26)
    index = torch.bucketize(radius, bins).clamp(max=len(bins) - 1)
    curves = []
    for p in power:
        p = p / p.sum()
        total = torch.zeros(len(bins) + 1).index_add_(0, index.flatten(), p.flatten())
        count = torch.zeros(len(bins) + 1).index_add_(0, index.flatten(), torch.ones(h * w))
        curves.append((total / count.clamp_min(1))[1 : len(bins)])
    centres = (bins[1:] + bins[:-1]) / 2
    high = [float(p[radius > 0.25].sum() / p.sum()) for p in power]
    white = float((radius > 0.25).float().mean())  # the share a flat (white-noise) spectrum would have
    return centres.numpy(), torch.stack(curves).mean(0).numpy(), high, white


freq, spec_x, high_x, high_white = radial_power(naive.original[first])
_, spec_d, high_d, _ = radial_power(naive.perturbation)


def slope(spectrum, low, high):
    """Slope of log power against log frequency between two frequencies (cycles / pixel)."""
    band = (freq > low) & (freq < high)
    return float(np.polyfit(np.log(freq[band]), np.log(spectrum[band]), 1)[0])


slope_x, slope_d = slope(spec_x, 0.02, 0.4), slope(spec_d, 0.02, 0.4)
slope_x_low, slope_x_high = slope(spec_x, 0.02, 0.2), slope(spec_x, 0.2, 0.4)
slope_d_low, slope_d_high = slope(spec_d, 0.02, 0.2), slope(spec_d, 0.2, 0.4)
display(
    tp8.course.table(
        [
            {
                tr("mesure"): tr("corrélation de rang |δ| / contours (10 attaques)"),
                tr("minimum"): tr("{num(suit_contours.min())}"),
                tr("médiane"): tr("{num(np.median(suit_contours))}"),
                tr("maximum"): tr("{num(suit_contours.max())}"),
            }
        ]
    )
)
tp8.course.table(
    [
        {
            tr("spectre"): tr("photos x"),
            tr("pente, 0,02–0,4 cycle/px"): tr("{num(slope_x, 1)}"),
            tr("pente, 0,02–0,2"): tr("{num(slope_x_low, 1)}"),
            tr("pente, 0,2–0,4"): tr("{num(slope_x_high, 1)}"),
            tr("énergie au-delà de 0,25 (médiane)"): tr("{pct(np.median(high_x), 1)}"),
        },
        {
            tr("spectre"): tr("perturbations δ"),
            tr("pente, 0,02–0,4 cycle/px"): tr("{num(slope_d, 1)}"),
            tr("pente, 0,02–0,2"): tr("{num(slope_d_low, 1)}"),
            tr("pente, 0,2–0,4"): tr("{num(slope_d_high, 1)}"),
            tr("énergie au-delà de 0,25 (médiane)"): tr("{pct(np.median(high_d), 1)}"),
        },
        {
            tr("spectre"): tr("bruit blanc"),
            tr("pente, 0,02–0,4 cycle/px"): tr("{num(0, 1)}"),
            tr("pente, 0,02–0,2"): tr("{num(0, 1)}"),
            tr("pente, 0,2–0,4"): tr("{num(0, 1)}"),
            tr("énergie au-delà de 0,25 (médiane)"): tr("{pct(high_white, 1)}"),
        },
    ]
)

# %% tags=["hide-input"]
k, (r0, c0) = 0, (60, 45)  # the cat's left eye
crop = (slice(None), slice(r0, r0 + 48), slice(c0, c0 + 48))
attack = f"{model.categories[int(naive.original_class[k])]} → {model.categories[int(naive.target[k])]}"
fig, axes = tp8.plotting.tile_figure(1, 3, (48, 48), scale=4, title_lines=2)
panels = [
    (naive.original[k][crop], tr("originale\n(détail ×4)")),
    (naive.images[k][crop], tr("adversaire\n(détail ×4)")),
    ((0.5 + 10 * naive.perturbation[k][crop]).clamp(0, 1), tr("0,5 + 10 δ\n(détail ×4)")),
]
for ax, (img, title) in zip(axes.ravel(), panels):
    tp8.plotting.show_tile(ax, tp8.to_numpy(img), title)
show(
    fig,
    alt=tr(
        """Attaque {attack}, détail de 48 × 48 pixels autour de l'œil du chat, agrandi quatre fois : l'original, \
l'image adversaire, puis la perturbation multipliée par 10."""
    ),
)

fig, ax = plt.subplots(figsize=(6.2, 3.4), layout="constrained")
ax.semilogy(freq, spec_x, "o-", ms=3, label=tr("photos $x$"))
ax.semilogy(freq, spec_d, "s-", ms=3, label=tr("perturbations $\\delta$"))
ax.axhline(1 / images[0, 0].numel(), color="grey", lw=0.8, ls="--", label=tr("bruit blanc"))
ax.axvline(0.25, color="grey", lw=0.8, ls=":")
ax.set_xlabel(tr("fréquence spatiale (cycles / pixel)"))
ax.set_ylabel(tr("puissance relative"))
ax.set_title(tr("Spectre radial moyen des photos et des perturbations"), fontsize=10)
ax.legend(fontsize=8)
show(
    fig,
    alt=tr(
        """Spectre de puissance en fonction de la fréquence spatiale, en échelle logarithmique, pour les photos et \
pour les perturbations, avec le niveau d'un bruit blanc en tirets et une ligne pointillée à 0,25 cycle par pixel."""
    ),
)

# %% tags=["hide-input"]
if slope_x < -2.4:
    steeper = (
        tr(
            """, et la pente est plus forte dans la moitié haute de la bande ({num(slope_x_high, 1)} contre \
{num(slope_x_low, 1)}), là où la réduction des photos à 224 pixels, filtrée contre le repliement, atténue les \
détails les plus fins"""
        )
        if slope_x_high < slope_x_low - 0.3
        else ""
    )
    exponent = tr(
        """plus raide que la loi en $1/f^2$ souvent citée pour les images naturelles. Ce chiffre n'est qu'une \
moyenne : l'exposant varie d'une image à l'autre{steeper}"""
    )
elif slope_x > -1.6:
    exponent = tr(
        """moins raide que la loi en $1/f^2$ souvent citée pour les images naturelles, qui n'est qu'une moyenne : \
l'exposant varie d'une image à l'autre"""
    )
else:
    exponent = tr("proche de la loi en $1/f^2$ souvent citée pour les images naturelles")


def attack_name(k):
    return f"{names[k]} → {targets[k]}"


rho_median, rho_low, rho_high = np.median(suit_contours), suit_contours.min(), suit_contours.max()
# The sentences on edges are chosen from the numbers: a median near 0 says "no link" only on average,
# and the spread across the ten attacks says whether that average describes each of them.
if abs(rho_median) < 0.2:
    edges = tr("pas de lien net")
elif rho_median > 0:
    edges = tr("la perturbation se place plutôt sur les contours")
else:
    edges = tr("la perturbation se place plutôt loin des contours")
if rho_low < -0.2 and rho_high > 0.2:
    follows = tr("nettement") if rho_high > 0.4 else tr("un peu")
    spread = tr(
        """. Mais cela varie beaucoup d'une attaque à l'autre, de {num(rho_low)} pour \
{attack_name(int(suit_contours.argmin()))}, qui se place plutôt loin des contours, à {num(rho_high)} pour \
{attack_name(int(suit_contours.argmax()))}, qui les suit {follows} : \
aucune règle simple ne relie la perturbation aux contours ; elle va là où le réseau est sensible, et cet endroit \
dépend de la photo et de la cible"""
    )
elif rho_high - rho_low < 0.4:
    spread = tr(", et les dix attaques restent proches de cette médiane (de {num(rho_low)} à {num(rho_high)})")
else:
    spread = tr(", avec des écarts notables d'une attaque à l'autre (de {num(rho_low)} à {num(rho_high)})")
# (a claim holding a backslash is named outside the template: a field cannot hold one before Python 3.12)
high_frequencies = tr("rapportée à l'image, $\\delta$ est dominée par les **hautes fréquences**")
display(
    tr(
        """Sur la figure, $\\delta$ à sa vraie échelle est un gris presque uniforme : \
{claim(float(psnr.min()) > INVISIBLE_PSNR_DB and float(slight.min()) > 0.5 and beyond < 0.05, "à l'œil, la \
perturbation ne se voit pas")} (PSNR de plus de {num(INVISIBLE_PSNR_DB, 0)} dB, et des écarts de un ou deux niveaux \
pour la plupart des valeurs modifiées). Quelques valeurs isolées bougent pourtant bien plus, jusqu'à \
{num(naive.linf_255.max(), 0)} niveaux : le PSNR, qui est une moyenne, ne l'interdit pas, et seul un budget \
$L_\\infty$ l'exclurait (voir Q7). Amplifiée dix fois, la perturbation apparaît comme une fine texture colorée, \
présente presque partout (dans le détail de l'œil, un semis de points de un ou deux pixels). Elle ne dessine ni \
poisson rouge, ni tarentule, ni pizza. Sa corrélation de rang avec les contours de la photo vaut {num(rho_median)} \
en médiane : {edges}{spread}. Le gradient ne désigne pas ce que nous voyons, mais les directions de l'espace des \
pixels auxquelles le réseau est sensible.

Le spectre des photos décroît très vite avec la fréquence : sa pente en échelle log-log vaut {num(slope_x, 1)}, \
une puissance en $1/f^{{{num(-slope_x, 1, tex=True)}}}$, {exponent}. \
{claim(slope_d > -0.7, "Celui des perturbations est presque plat, proche d'un **bruit blanc**")} (pente \
{num(slope_d, 1)}). Au-delà de 0,25 cycle/pixel, on trouve en médiane {pct(np.median(high_d))} de l'énergie des \
perturbations (un bruit blanc en aurait {pct(high_white)}), contre {pct(np.median(high_x), 1)} seulement de celle \
des photos : {claim(np.median(high_d) > 10 * np.median(high_x), high_frequencies)}."""
    )
)

# %% [markdown]
# **Interprétation.** Ces chiffres illustrent l'explication linéaire : une perturbation de quelques niveaux de
# gris par valeur, mais alignée sur le gradient dans un espace de 150 528 dimensions, suffit à déplacer le score
# d'une classe sans rapport avec l'image. Le réseau n'a pas « vu » de poisson rouge : la retouche ne dessine
# aucun objet, c'est une texture fine et diffuse, dominée par les hautes fréquences — des détails auxquels notre
# vision est peu sensible à la distance où l'on regarde d'ordinaire une image de cette taille (sa sensibilité
# dépend de la taille apparente des motifs), et que les images naturelles contiennent le moins. Elle exploite
# des directions de l'espace des entrées auxquelles le réseau est très sensible alors qu'un humain ne l'est
# guère.

# %% [markdown] tags=["enonce"]
# ### Une estimation linéaire de la distance
#
# Si $d = \tilde y_i - \tilde y_j$ est l'avance de la classe prédite sur la cible et $\nabla d$ son gradient par
# rapport à l'image, un modèle linéaire franchit la frontière $d = 0$ après un déplacement de norme
# $d/\|\nabla d\|_2$, au plus court. Le tableau compare cette estimation, calculée sur la photo d'origine, à la
# norme de la perturbation trouvée par la méthode naïve, et à celle que donne la même estimation **itérée** : à
# chaque pas, on relinéarise le réseau au point atteint et l'on saute jusqu'à la frontière (plus 2 %) entre la
# cible et la classe alors en tête, jusqu'à ce que l'image arrondie à 8 bits soit classée dans la cible. Comme
# partout sur cette page, les deux perturbations sont mesurées après l'arrondi.

# %% tags=["hide-input"]
with torch.enable_grad():
    x_start = naive.original.clone().to(model.device).requires_grad_(True)
    start_scores = model(x_start)
    every = torch.arange(len(targets))
    gap = start_scores[every, naive.original_class] - start_scores[every, naive.target]
    (grad_gap,) = torch.autograd.grad(gap.sum(), x_start)
gap = gap.detach().cpu()
linear = gap / grad_gap.flatten(1).norm(dim=1).cpu()
factor = naive.l2 / linear


def iterated_estimate(images, target, overshoot=0.02, max_iter=50):
    """The linear estimate, iterated: from the 8-bit photo, jump to the linearised boundary between the
    target and the class in the lead (plus the overshoot), until the rounded image is the target's.
    Steps accumulate on the unrounded image, as in tp8. Returns the rounded perturbations, the unrounded
    ones and the number of jumps (max_iter for an image that never got there)."""
    x0 = tp8.quantize(images.to(model.device))
    x, target = x0.clone(), target.to(model.device)
    steps = torch.full((len(x),), max_iter)
    active = torch.arange(len(x), device=x.device)
    for step in range(max_iter):
        leaf = tp8.quantize(x[active]).requires_grad_(True)
        with torch.enable_grad():
            scores = model(leaf)
            rows = torch.arange(len(active), device=x.device)
            rivals = scores.detach().clone()
            rivals[rows, target[active]] = -float("inf")
            lead = scores[rows, rivals.argmax(dim=1)] - scores[rows, target[active]]  # > 0 until it flips
            (grad_lead,) = torch.autograd.grad(lead.sum(), leaf)
        arrived = lead.detach() < 0
        steps[active[arrived].cpu()] = step
        active, lead, grad_lead = active[~arrived], lead.detach()[~arrived], grad_lead[~arrived]
        if len(active) == 0:
            break
        norm = grad_lead.flatten(1).norm(dim=1)
        jump = (1 + overshoot) * lead / norm**2 + 1e-4 / norm  # the last term: never a step of zero length
        x[active] = (x[active] - jump[:, None, None, None] * grad_lead).clamp(0, 1)
    return tp8.quantize(x).cpu() - x0.cpu(), (x - x0).cpu(), steps


delta_iterated, unrounded_iterated, steps_iterated = iterated_estimate(naive.original, naive.target)
iterated = 255 * delta_iterated.flatten(1).norm(dim=1)  # in grey levels, like naive.l2_255
reached = steps_iterated < 50
path_part = float((naive.l2_255 / iterated)[reached].quantile(0.5))  # what the naive path adds
nonlinear_part = float((iterated / (255 * linear))[reached].quantile(0.5))  # what the iterated estimate still needs
# the same without the 8-bit rounding, which lengthens a perturbation a little
unrounded_part = float((255 * unrounded_iterated.flatten(1).norm(dim=1) / (255 * linear))[reached].quantile(0.5))
tp8.course.table(
    [
        {
            tr("photo"): names[k],
            tr("cible"): targets[k],
            tr("avance d"): float(gap[k]),
            "d/‖∇d‖₂ (/255)": float(255 * linear[k]),
            tr("‖δ‖₂ itérée (/255)"): float(iterated[k]) if reached[k] else "—",
            tr("‖δ‖₂ naïve (/255)"): float(naive.l2_255[k]),
            tr("naïve / estimation"): float(factor[k]),
        }
        for k in range(len(targets))
    ],
    digits={
        "avance d": 1,
        "d/‖∇d‖₂ (/255)": 0,
        "‖δ‖₂ itérée (/255)": 0,
        "‖δ‖₂ naïve (/255)": 0,
        "naïve / estimation": 1,
    },
)

# %% tags=["hide-input"]
if unrounded_part > path_part:
    dominant = tr("Ici, la non-linéarité compte davantage que le chemin de la méthode naïve.")
else:
    dominant = tr("Ici, le chemin de la méthode naïve compte davantage que la non-linéarité.")
display(
    tr(
        """Sur nos dix attaques, l'avance $d$ de la classe d'origine sur la cible vaut entre {num(gap.min(), 1)} et \
{num(gap.max(), 1)} (en unités de score), et l'estimation linéaire $d/\\|\\nabla d\\|_2$ donne une distance médiane \
de {num(255 * linear.quantile(0.5), 0)}/255. La perturbation trouvée par la méthode naïve \
({num(naive.l2_255.quantile(0.5), 0)}/255 en médiane) n'est qu'un **majorant** de la distance à la frontière : \
{claim(factor.quantile(0.5) > 1, "elle est plus longue que l'estimation")}, d'un facteur médian de \
{num(factor.quantile(0.5), 1)}. Deux causes s'y mêlent. La méthode naïve ne prend pas le plus court chemin : elle ne fait \
que monter $\\tilde y_j$, par pas de longueur fixe. L'estimation itérée, qui vise à chaque pas la frontière la plus \
proche, trouve en médiane {num(iterated[reached].quantile(0.5), 0)}/255 ({int(reached.sum())} attaques sur \
{len(targets)} abouties) : {claim(bool(reached.all()) and path_part > 1.1, "c'est plus court que la méthode \
naïve")} (rapport médian {num(path_part, 1)}). Mais {claim(bool(reached.all()) and unrounded_part > 1.3, "cela \
reste plus long que l'estimation faite sur la photo")} (facteur médian {num(nonlinear_part, 1)}, et encore \
{num(unrounded_part, 1)} avant l'arrondi à 8 bits) : le réseau n'est linéaire que localement, et la frontière \
recule à mesure qu'on avance vers elle. {dominant} {claim(factor.quantile(0.5) < 10, "Le bon ordre de grandeur est pourtant là")} : l'approximation \
linéaire explique pourquoi la frontière de décision est si proche. L'estimation itérée est une version ciblée et \
simplifiée de l'attaque DeepFool (Moosavi-Dezfooli et al., 2016 ; voir Q7)."""
    )
)

# %% [markdown] tags=["question"]
# <a id="q6"></a>
# ## Q6 — Conséquences pratiques
#
# **Q8.6** Quelles conséquences ces images trompeuses peuvent-elles avoir pour l'utilisation des réseaux de
# convolution en pratique ?

# %% [markdown]
# **Sécurité.** Dès qu'un classifieur prend une décision qui intéresse quelqu'un — filtre de contenus,
# détection de logiciels malveillants, contrôle d'accès par reconnaissance faciale, perception d'un véhicule —,
# un adversaire peut chercher l'entrée qui le fait se tromper. Les attaques ne restent pas numériques :
# Kurakin, Goodfellow et Bengio (2017, *Adversarial examples in the physical world*) photographient des images
# adversaires imprimées et trompent encore le réseau ; Sharif et al. (2016) trompent la reconnaissance faciale
# avec des montures de lunettes imprimées ; Eykholt et al. (2018) collent quelques autocollants sur un panneau
# « stop » et le font lire comme une limitation de vitesse ; Athalye et al. (2018) impriment en 3D une tortue
# classée « fusil » sous presque tous les angles ; Brown et al. (2017) conçoivent un « patch » qui, posé dans
# n'importe quelle scène, impose sa classe.
#
# **Robustesse.** La précision sur un jeu de test mesure le comportement moyen sur des images « naturelles », pas
# le comportement dans le pire cas au voisinage de chaque image : les réseaux ImageNet usuels, précis à 70–80 %,
# tombent à une précision quasi nulle face à des perturbations de 4/255 (en Q7, nous essayons ce budget sur nos
# propres images, avec des attaques *ciblées*). Il faut donc mesurer la robustesse séparément (par exemple avec
# AutoAttack, Croce & Hein, 2020), et l'améliorer coûte cher : l'entraînement adversaire — apprendre sur des
# exemples adversaires, une idée de Szegedy et al. et de Goodfellow et al. que Madry et al. (2018) ont posée
# comme un problème min-max résolu avec PGD — multiplie le coût de l'apprentissage et fait en général baisser
# la précision sur les images propres (Tsipras et al., 2019).
#
# **Confiance et interprétation.** Le réseau ne fonde pas ses décisions sur les mêmes indices que nous :
# Ilyas et al. (2019) soutiennent, expériences à l'appui, qu'une partie des indices prédictifs des données
# (*non-robust features*) est imperceptible pour un humain, et que les exemples adversaires exploitent ces
# indices plutôt qu'un défaut accidentel. Une probabilité élevée n'est pas non plus une garantie : Nguyen, Yosinski
# et Clune (2015) obtiennent des probabilités proches de 100 % sur des images qui ne représentent rien pour un
# humain, et la [partie 3](../partie-3-visualisation/) fabrique elle aussi des images que le réseau classe avec
# assurance sans qu'on y reconnaisse l'objet. Enfin, les explications par gradient de la partie 1 reposent sur
# les mêmes gradients : une perturbation imperceptible, calculée pour cela, peut déplacer une carte de saillance
# vers une tout autre région sans changer la prédiction (Ghorbani, Abid et Zou, 2019 ; Dombrowski et al., 2019).
#
# **Attaques sans accès au réseau : la transférabilité.** Notre attaque est en *boîte blanche* : elle exige le
# gradient du réseau visé. Mais Szegedy et al. avaient observé que des exemples adversaires construits sur un
# réseau en trompent souvent un autre ; Papernot et al. (2017) s'en servent pour attaquer un service en ligne
# dont ils ne connaissent que les réponses.

# %% [markdown] tags=["enonce"]
# ### Le transfert vers un second réseau
#
# Les dix images adversaires fabriquées pour SqueezeNet 1.1 sont présentées telles quelles à un second réseau,
# qui n'a pas servi à les fabriquer (VGG16 sur le site publié ; un encadré le signale s'il est remplacé). Le
# tableau donne ses prédictions sur l'original et sur l'image adversaire, et la probabilité qu'il donne à la
# cible dans les deux cas.

# %%
net2 = tp8.course.second_network()
if net2.message is not None:
    display(net2.message)
second = net2.model
if second is not None:
    display(
        tr(
            """second réseau : {tp8.course.provenance(second)}, \
{num(sum(p.numel() for p in second.parameters()) / 1e6, 1)} M paramètres"""
        )
    )

# %% tags=["hide-input"]
if second is not None:
    with torch.no_grad():
        p_orig = second.probabilities(naive.original).cpu()
        p_adv = second.probabilities(naive.images).cpu()
    idx = torch.arange(len(targets))
    t_orig, t_adv = p_orig[idx, naive.target], p_adv[idx, naive.target]
    hit = int(((p_adv.argmax(1) == naive.target) & (p_orig.argmax(1) != naive.target)).sum())
    changed2 = int((p_adv.argmax(1) != p_orig.argmax(1)).sum())
    gain = float((t_adv / t_orig).quantile(0.5))

    def transfer_columns(k):
        return {
            tr("{second.name} sur l'original"): second.categories[int(p_orig[k].argmax())],
            tr("{second.name} sur l'adversaire"): second.categories[int(p_adv[k].argmax())],
            tr("p(cible) original"): tr("{tp8.course.prob(p_orig[k, naive.target[k]])}"),
            tr("p(cible) adversaire"): tr("{tp8.course.prob(p_adv[k, naive.target[k]])}"),
        }

    display(
        tp8.course.table(
            [
                {tr("photo"): names[k], tr("cible"): model.categories[int(naive.target[k])], **transfer_columns(k)}
                for k in range(len(targets))
            ]
        )
    )

# %% tags=["hide-input"]
if second is not None:
    n_attacks = len(targets)
    if hit == 0:
        hits = tr("aucune image n'est classée")
    elif hit > 1:
        hits = tr("{hit} images sur {n_attacks} sont classées")
    else:
        hits = tr("{hit} image sur {n_attacks} est classée")
    if hit <= n_attacks // 5:
        how = tr("entièrement") if hit == 0 else tr("presque entièrement")
        verdict = tr(
            """Le transfert ciblé échoue donc {how} : une \
perturbation minimale, taillée pour franchir tout juste la frontière d'un réseau, n'a pas de marge pour franchir \
celle d'un autre"""
        )
    else:
        verdict = tr("Une partie notable des attaques ciblées se transfère donc, malgré des perturbations minimales")
    if changed2 == 0:
        moved = tr("ne change par rapport à l'original pour aucune image")
    else:
        moved = tr("change par rapport à l'original pour {changed2} image{'s' * (changed2 > 1)} sur {n_attacks}")
    if changed2 >= hit + 3:
        untargeted = tr(
            """ Changer sa réponse arrive nettement plus souvent que l'amener à la cible. Sans témoin (un bruit de \
même norme, qui suffirait peut-être à faire basculer les photos les moins sûres), on ne peut pas dire quelle part \
de ces changements revient à l'attaque elle-même."""
        )
    else:
        untargeted = ""
    if gain < 2:
        pull = tr("la perturbation ne le rapproche guère de la cible")
    elif t_adv.quantile(0.5) < 0.01:
        pull = tr("elle augmente, mais reste infime")
    else:
        pull = tr("la perturbation rapproche nettement le second réseau de la cible")
    display(
        tr(
            """Sur `{second.name}`, **{hits} dans la cible** visée pour SqueezeNet 1.1, et la prédiction {moved}. \
{verdict}.{untargeted} La probabilité de la cible passe d'une médiane de ${sci(t_orig.quantile(0.5), tex=True)}$ sur \
les originaux à ${sci(t_adv.quantile(0.5), tex=True)}$ sur les images adversaires (rapport médian × {num(gain, 1)}) : \
{pull}."""
        )
    )

# %% [markdown]
# Dans la littérature, le transfert **ciblé** est réputé difficile (Liu et al., 2017), le
# transfert **non ciblé** (faire simplement changer la réponse) beaucoup plus facile, et les deux deviennent
# efficaces quand on construit des perturbations plus fortes ou qu'on attaque un *ensemble* de réseaux à la fois.
# La leçon pratique reste inquiétante : garder ses poids secrets ne suffit pas, puisqu'un attaquant peut
# entraîner un modèle de substitution et attaquer celui-ci, ou interroger le modèle en boîte noire (voir Q7).

# %% [markdown] tags=["question"]
# <a id="q7"></a>
# ## Q7 — Limites de la méthode naïve et alternatives
#
# **Q8.7 (Bonus)** Discutez les limites de cette façon naïve de fabriquer des images adversaires, et proposez
# des alternatives ou des extensions (la littérature peut vous guider).

# %% [markdown]
# La méthode du TP est efficace mais rudimentaire. Ses principales limites :
#
# 1. **Aucun contrôle pixel par pixel.** Le pas est de longueur fixe en norme $L_2$ : la perturbation peut se
#    concentrer sur quelques valeurs qui changent beaucoup, et rien ne borne $\|\delta\|_\infty$. Or borner
#    $\|\delta\|_\infty$, l'écart de chaque valeur, est la contrainte usuelle des attaques, leur *modèle de
#    menace* : une convention commode plutôt qu'une mesure de ce que l'œil voit, car aucune norme $L_p$ ne suit
#    fidèlement la perception — une petite norme peut se voir, une grande passer inaperçue, comme un léger
#    décalage de toute l'image (Sharif, Bauer et Reiter, 2018 ; Gilmer et al., 2018, *Motivating the Rules of
#    the Game for Adversarial Example Research*).
# 2. **Arrêt au premier basculement.** On s'arrête dès que la cible passe en tête : l'image se trouve juste
#    au-delà de la frontière, avec une marge infime.
# 3. **Fragilité.** Conséquence du point précédent, la moindre transformation (compression, flou,
#    redimensionnement, impression puis photographie) peut ramener l'image de l'autre côté.
# 4. **Boîte blanche seulement.** Il faut le gradient du réseau, et une perturbation minimale a peu de chances
#    de franchir aussi la frontière d'un autre réseau : le transfert ciblé est réputé difficile (Liu et al.,
#    2017 ; voir la mesure de Q6).
# 5. **Choix du pas.** Un $\eta$ petit donne une perturbation plus petite mais demande beaucoup d'itérations ;
#    un $\eta$ grand va vite mais « dépasse » la frontière et laisse une perturbation plus grande.
# 6. **Objectif grossier.** Monter le score $\tilde y_j$ ne fait pas forcément baisser les autres : si toutes
#    les classes montent ensemble, la cible peut rester derrière. La log-probabilité $\log \hat y_j =
#    \tilde y_j - \log\sum_k e^{\tilde y_k}$ tient compte des concurrentes.
# 7. **Une cible au score nul est hors d'atteinte.** Le score échappe à la saturation du softmax, mais il a un
#    plancher : chez SqueezeNet, chaque score est la moyenne d'une carte $13 \times 13$ passée par un ReLU, si
#    bien qu'une classe dont toute la carte est éteinte a un **score nul**, exactement, et un gradient nul
#    aussi. Le pas $g/\|g\|_2$ n'est alors même pas défini : la méthode naïve n'a aucune direction à suivre,
#    alors que la log-probabilité en garde une en général (faire baisser les autres classes).

# %% tags=["hide-input"]
with torch.no_grad():
    photo_scores = model(tp8.quantize(photos)).cpu()
zero_scores = int((photo_scores == 0).sum())
if zero_scores == 0:
    zero_text = tr(
        """Sur nos cinq photos, aucun des {num(photo_scores.numel(), 0)} scores n'est nul (le plus petit vaut \
{num(photo_scores.min(), 2)}) : le cas ne se présente pas ici."""
    )
else:
    zero_text = tr(
        """Sur nos cinq photos, {zero_scores} des {num(photo_scores.numel(), 0)} scores sont nuls : autant de \
cibles que la méthode naïve ne pourrait pas atteindre."""
    )
display(zero_text)

# %% [markdown] tags=["enonce"]
# ### La méthode naïve face à des attaques par pas signés
#
# Le tableau compare, sur les mêmes dix couples (image, cible), la méthode naïve, avec son pas $\eta = 0{,}2$
# et avec un pas cinq fois plus grand ($\eta = 1$), à trois attaques qui font des pas *signés* (chaque valeur
# bouge de $\pm\alpha$, dans le sens du gradient d'une perte), toutes avec un budget $\varepsilon = 4/255$ :
#
# - **FGSM non ciblée** : un seul pas
#   $x' = \operatorname{clip}_{[0,1]}\big(x + \varepsilon\,\operatorname{sign}(\nabla_x J(x, y))\big)$ qui fait
#   monter l'entropie croisée $J$ de la classe $y$ que SqueezeNet prédit sur la photo. Elle n'a pas de cible :
#   seule la dernière colonne, la part des images qui quittent leur classe d'origine, la concerne.
# - **FGSM ciblée** (`tp8.fgsm`) : un seul pas
#   $x' = \operatorname{clip}_{[0,1]}\big(x + \varepsilon\,\operatorname{sign}(\nabla_x \log \hat y_j)\big)$ qui
#   fait monter la log-probabilité de la cible $j$.
# - **BIM ciblée** (`tp8.pgd_attack`) : des pas signés de $\alpha = 1/255$ qui font monter $\log \hat y_j$,
#   chacun suivi d'une projection sur la boule $\|x - x_0\|_\infty \le \varepsilon$ autour de la photo $x_0$ et
#   sur $[0,1]$. Partie de la photo, elle s'arrête, comme la méthode naïve, dès que l'image arrondie à 8 bits est
#   classée dans la cible (50 pas au plus).
#
# La marge est l'écart, en probabilité, entre la cible et la classe suivante sur les images réussies.

# %% [markdown]
# **Ces attaques dans la littérature.** Chacune porte le nom de l'article qui la définit. La **FGSM**
# (*Fast Gradient Sign Method*, Goodfellow et al., 2015) est publiée non ciblée : c'est exactement l'attaque que
# suggère l'explication linéaire ($\delta = \varepsilon\,\operatorname{sign}(w)$). Sa variante ciblée est la
# *one-step target class method* de Kurakin, Goodfellow et Bengio (2017, *Adversarial Machine Learning at
# Scale*). La **méthode itérative de base** (*basic iterative method*, BIM ; Kurakin, Goodfellow et Bengio,
# 2017, *Adversarial examples in the physical world*) répète des pas signés de taille $\alpha$ (1/255 dans
# l'article) projetés sur la boule de rayon $\varepsilon$, pour un nombre fixe de pas ; sa version ciblée vise
# chez eux la classe la moins probable. **PGD** (*Projected Gradient Descent*, Madry et al., 2018) fait la même
# itération, mais part d'un point tiré au hasard dans la boule (et peut être relancée de plusieurs points) :
# c'est l'attaque non ciblée qui sert à entraîner et à évaluer les réseaux robustes. `tp8.pgd_attack`, malgré
# son nom, est donc la BIM en version ciblée, sur la cible choisie, sans départ aléatoire et arrêtée au premier
# succès : le tableau l'appelle « BIM ciblée ».

# %%
EPS = 4 / 255
pgd = tp8.pgd_attack(model, images, targets, epsilon=EPS, step_size=1 / 255, max_iter=50)
fast = tp8.fgsm(model, images, targets, epsilon=EPS)
naive_big = tp8.fooling_image(model, images, targets, lr=1.0, max_iter=100)

# FGSM as Goodfellow et al. published it: one signed step up the loss of the original class.
with torch.enable_grad():
    x_clean = naive.original.clone().to(model.device).requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x_clean), naive.original_class.to(model.device), reduction="sum")
    (grad_loss,) = torch.autograd.grad(loss, x_clean)
fgsm_untargeted = tp8.quantize((x_clean.detach() + EPS * grad_loss.sign()).clamp(0, 1)).cpu()
with torch.no_grad():
    pred_untargeted = model.probabilities(fgsm_untargeted).argmax(1).cpu()
delta_untargeted = fgsm_untargeted - naive.original
left_untargeted = float((pred_untargeted != naive.original_class).float().mean())

METHODS = {
    tr("naïve, η = 0,2"): naive,
    tr("naïve, η = 1"): naive_big,
    tr("FGSM ciblée, ε = 4/255"): fast,
    tr("BIM ciblée, ε = 4/255"): pgd,
}


def runner_up_margin(result):
    """p(target) minus the best other probability, on the 8-bit adversarial images."""
    with torch.no_grad():
        p = model.probabilities(result.images).cpu()
    tgt = p.gather(1, result.target[:, None])[:, 0]
    p[torch.arange(len(p)), result.target] = -1
    return tgt - p.max(dim=1).values


margins = {label: runner_up_margin(r)[r.success] for label, r in METHODS.items()}
small_margins = [float(margins[label].quantile(0.5)) for label in ("naïve, η = 0,2", "BIM ciblée, ε = 4/255")]
with torch.no_grad():
    top_two = model.probabilities(naive.original[first]).topk(2, dim=1).values.cpu()
photo_margin = top_two[:, 0] - top_two[:, 1]  # the photos' own lead of their class over the next one
summary = [
    {
        tr("méthode"): label,
        tr("succès"): tr("{pct(r.success_rate, 0)}"),
        tr("itérations (médiane)"): tr("{num(r.iterations.float().quantile(0.5), 0)}"),
        tr("‖δ‖₂ /255 (médiane)"): tr("{num(r.l2_255.quantile(0.5), 0)}"),
        "‖δ‖∞ /255 (max)": tr("{num(r.linf_255.max(), 0)}"),
        tr("p(cible) (médiane)"): tr("{pct(r.target_prob.quantile(0.5))}"),
        tr("marge sur la 2ᵉ classe (médiane)"): tr("{num(margins[label].quantile(0.5))}") if r.success.any() else "—",
        tr("quitte sa classe d'origine"): tr("{pct((r.predicted != r.original_class).float().mean())}"),
    }
    for label, r in METHODS.items()
]
summary.append(
    {
        tr("méthode"): tr("FGSM non ciblée, ε = 4/255"),
        tr("succès"): "—",
        tr("itérations (médiane)"): "1",
        tr("‖δ‖₂ /255 (médiane)"): tr("{num(255 * delta_untargeted.flatten(1).norm(dim=1).quantile(0.5), 0)}"),
        "‖δ‖∞ /255 (max)": tr("{num(255 * delta_untargeted.abs().max(), 0)}"),
        tr("p(cible) (médiane)"): "—",
        tr("marge sur la 2ᵉ classe (médiane)"): "—",
        tr("quitte sa classe d'origine"): tr("{pct(left_untargeted)}"),
    }
)
tp8.course.table(summary)

# %% tags=["hide-input"]
left = (fast.predicted != fast.original_class).float().mean()
higher = naive_big.target_prob.quantile(0.5) > naive.target_prob.quantile(0.5)
# (a claim holding a backslash is named outside the template: a field cannot hold one before Python 3.12)
linf_price = tr("La borne $L_\\infty$ a un prix en norme $L_2$")
if higher:
    overshoot = tr(
        """ et atteint une probabilité médiane plus élevée ({pct(naive_big.target_prob.quantile(0.5))} contre \
{pct(naive.target_prob.quantile(0.5))}) : son dernier pas dépasse la frontière."""
    )
else:
    overshoot = tr(" sans gagner en probabilité.")
further = ""
if margins["naïve, η = 1"].quantile(0.5) > small_margins[0]:
    further = tr(", le dernier pas, plus long, allant plus loin au-delà de la frontière")
display(
    tr(
        """- **FGSM ciblée** ne réussit que {pct(fast.success_rate)} des attaques : \
{claim(fast.success_rate < 0.5, "un seul pas linéaire de 4/255 ne suffit pas à atteindre une cible lointaine")}, \
alors même que {claim(fast.l2_255.quantile(0.5) >= max(r.l2_255.quantile(0.5) for r in METHODS.values()), "sa perturbation \
est la plus grande en norme $L_2$")} (toutes les valeurs bougent de $\\pm\\varepsilon$). Elle fait pourtant quitter \
sa classe d'origine à {pct(left)} des images, et la FGSM non ciblée (telle que publiée, mais avec la classe prédite \
à la place de l'étiquette) à {pct(left_untargeted)} : {claim(min(left_untargeted, float(left)) > fast.success_rate, \
"s'éloigner de la classe d'origine, un seul pas linéaire le fait bien plus souvent que rejoindre une cible \
choisie")}.
- **La BIM ciblée** réussit {pct(pgd.success_rate)} des attaques en {num(pgd.iterations.float().quantile(0.5), 0)} pas \
(médiane) avec au plus {num(pgd.linf_255.max(), 0)}/255 par valeur, contre {num(naive.linf_255.max(), 0)}/255 pour \
la méthode naïve. {claim(pgd.l2_255.quantile(0.5) > naive.l2_255.quantile(0.5), linf_price)} (médiane \
{num(pgd.l2_255.quantile(0.5), 0)}/255 contre {num(naive.l2_255.quantile(0.5), 0)}/255), car chaque pas signé modifie \
presque toutes les valeurs.
- **Le pas naïf** $\\eta = 1$ réussit en {num(naive_big.iterations.float().quantile(0.5), 0)} pas (médiane) au lieu de \
{num(naive.iterations.float().quantile(0.5), 0)}, mais {claim(naive_big.l2_255.quantile(0.5) > naive.l2_255.quantile(0.5), \
"laisse une perturbation plus grande")} ($\\|\\delta\\|_2$ médiane {num(naive_big.l2_255.quantile(0.5), 0)}/255, \
$\\|\\delta\\|_\\infty$ jusqu'à {num(naive_big.linf_255.max(), 0)}/255){overshoot}
- Les attaques itératives s'arrêtent dès le basculement : {claim(max(small_margins) < photo_margin.quantile(0.5) / 2, \
"avec de petits pas, l'image reste au ras de la frontière")}. La marge médiane de la cible sur la deuxième classe \
n'est que de {num(small_margins[0], 2)} en probabilité pour la méthode naïve ($\\eta = 0{{,}}2$) et de \
{num(small_margins[1], 2)} pour la BIM ciblée, contre {num(photo_margin.quantile(0.5), 2)} pour la classe prédite sur \
les photos d'origine ; avec $\\eta = 1$, elle vaut {num(margins['naïve, η = 1'].quantile(0.5), 2)}{further}. La FGSM, elle, ne s'arrête pas : elle fait un seul pas de taille $\\varepsilon$, que la \
cible soit atteinte ou non."""
    )
)

# %% [markdown] tags=["enonce"]
# ### Où va la perturbation ?
#
# L'histogramme donne la distribution des écarts $|\delta|$ (en niveaux de gris, toutes valeurs des dix
# images, échelle logarithmique) pour la méthode naïve, avec ses deux pas, et pour la BIM ciblée ; la ligne
# pointillée marque $\varepsilon = 4$ niveaux.

# %% tags=["hide-input"]
fig = plt.figure(figsize=(8, 3.2), facecolor="white", layout="constrained")
ax = fig.subplots()
edges = np.arange(-0.5, max(float(naive.linf_255.max()), float(naive_big.linf_255.max())) + 1.5)
for label, r, style in [
    (tr("naïve, η = 0,2"), naive, "-"),
    (tr("naïve, η = 1"), naive_big, "--"),
    (tr("BIM ciblée, ε = 4/255"), pgd, "-"),
]:
    levels = (r.perturbation.abs() * 255).round().flatten().numpy()
    counts, _ = np.histogram(levels, bins=edges)
    ax.step(edges[:-1] + 0.5, counts / levels.size, where="mid", ls=style, label=label)
ax.axvline(4, color="grey", lw=0.8, ls=":")
ax.set_yscale("log")
ax.set_xlabel(tr("|δ| en niveaux de gris (sur 255)"))
ax.set_ylabel(tr("fraction des valeurs"))
ax.set_title(tr("Distribution des écarts par valeur (10 images adversaires)"), fontsize=10)
ax.legend(fontsize=8)
show(
    fig,
    alt=tr(
        """Histogramme en échelle logarithmique de l'écart de chaque valeur de pixel, en niveaux de gris, pour la \
méthode naïve avec deux pas et pour la BIM ciblée, avec une ligne pointillée à 4 niveaux."""
    ),
)


# %% tags=["hide-input"]
def share(r, test):
    return pct((test((r.perturbation.abs() * 255).round())).float().mean(), 1)


display(
    tr(
        """La méthode naïve (pas de longueur fixe en norme $L_2$) laisse {share(naive, lambda d: d == 0)} des valeurs \
intactes, mais en pousse {share(naive, lambda d: d > 4)} au-delà de 4 niveaux de gris, jusqu'à \
{num(naive.linf_255.max(), 0)} : rien ne l'empêche de concentrer l'effort là où le gradient est fort. La BIM ciblée \
(contrainte $L_\\infty$) ne laisse que {share(pgd, lambda d: d == 0)} des valeurs intactes, en place \
{share(pgd, lambda d: d == 4)} exactement sur la borne $\\varepsilon = 4/255$ et \
{claim(float(pgd.linf_255.max()) < 4.01, "n'en dépasse aucune")}."""
    )
)

# %% [markdown] tags=["enonce"]
# Les perturbations amplifiées dix fois ($0{,}5 + 10\,\delta$), méthode naïve ($\eta = 0{,}2$) à gauche et BIM
# ciblée à droite, pour les deux photos et les deux cibles de la première figure. Les vignettes sont à
# l'échelle 1 (un pixel de la figure par pixel de l'image) ; les écarts de plus de 12,75 niveaux de gris y
# saturent.

# %% tags=["hide-input"]
fig, axes = tp8.plotting.tile_figure(len(shown), 2, (224, 224), title_lines=2)
for row, k in enumerate(shown.tolist()):
    # the second line of each title is a phrase of its own: the English figure translates a title line by line
    for col, (label, r) in enumerate(
        [(tr("naïve, η = 0,2 : 0,5 + 10 δ"), naive), (tr("BIM, ε = 4/255 : 0,5 + 10 δ"), pgd)]
    ):
        tile = (0.5 + 10 * r.perturbation[k]).clamp(0, 1)
        title = f"{names[k]} → {model.categories[int(r.target[k])]}\n{label}"
        tp8.plotting.show_tile(axes[row, col], tp8.to_numpy(tile), title)
show(
    fig,
    alt=tr(
        """Deux rangées (coffee vers tarantula, china vers pizza) : à gauche la perturbation de la méthode naïve, à \
droite celle de la BIM ciblée, toutes deux multipliées par 10 autour d'un gris moyen."""
    ),
)


# %% tags=["hide-input"]
def unevenness(result):
    """How concentrated a perturbation is: coefficient of variation of |δ| smoothed over 8-pixel blocks."""
    local = torch.nn.functional.avg_pool2d(result.perturbation.abs().sum(1, keepdim=True), 8).flatten(1)
    return (local.std(dim=1) / local.mean(dim=1)).quantile(0.5)


display(
    tr(
        """La perturbation de la BIM ciblée est \
{claim(unevenness(pgd[first]) < unevenness(naive[first]), "plus uniforme, sans zones où elle se concentre")} : le \
coefficient de variation de $|\\delta|$ moyenné par blocs de $8\\times8$ pixels vaut en médiane \
{num(unevenness(pgd[first]))} pour la BIM ciblée contre {num(unevenness(naive[first]))} pour la méthode naïve."""
    )
)

# %% [markdown] tags=["enonce"]
# ### Deux transformations anodines
#
# Une image adversaire diffusée sur le web sera recompressée, redimensionnée, parfois floutée. Simulons deux
# transformations : une compression JPEG de qualité 75 (faite en mémoire avec PIL), et un léger flou gaussien
# ($\sigma = 0{,}5$ pixel). Le tableau donne, parmi les attaques réussies, la part d'images encore classées dans
# leur cible après la transformation, et la part ramenée à leur classe d'origine. Pour contrôle, la dernière
# ligne applique ces transformations aux photos d'origine : la part qui garde sa classe.


# %%
def jpeg(batch, quality=75):
    """Save each image as an in-memory JPEG and read it back."""
    out = []
    for img in batch:
        buffer = io.BytesIO()
        array = (img.movedim(0, -1).numpy() * 255).round().astype(np.uint8)
        Image.fromarray(array).save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        back = np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float32) / 255
        out.append(torch.from_numpy(back).movedim(-1, 0))
    return torch.stack(out)


TRANSFORMS = {"JPEG q = 75": jpeg, "flou σ = 0,5": lambda b: tp8.gaussian_blur(b, 0.5)}


def survival(result, transform):
    """Share of (successful) adversarial images still classified as their target after a transform,
    and share sent back to the original class."""
    with torch.no_grad():
        pred = model.probabilities(transform(result.images)).argmax(1).cpu()
    ok = result.success
    return float((pred == result.target)[ok].float().mean()), float((pred == result.original_class)[ok].float().mean())


with torch.no_grad():
    control = {
        name: float((model.probabilities(t(naive.original)).argmax(1).cpu() == naive.original_class).float().mean())
        for name, t in TRANSFORMS.items()
    }

with torch.no_grad():
    unique = naive.original[first]
    before = model.probabilities(unique).argmax(1).cpu()
    after_jpeg = model.probabilities(jpeg(unique)).argmax(1).cpu()
flipped = [k for k in range(len(samples)) if before[k] != after_jpeg[k]]  # the photos JPEG alone reclassifies
exceptions = (
    tr(
        """ ; exception{"s" * (len(flipped) > 1)} : {tr(" ; ").join(tr("{samples[k].name}, de « \
{model.categories[int(before[k])]} » à « {model.categories[int(after_jpeg[k])]} »") for k in flipped)}"""
    )
    if flipped
    else ""
)

fragility = {tr("naïve, η = 0,2"): naive, tr("naïve, η = 1"): naive_big, tr("BIM ciblée, ε = 4/255"): pgd}
TRANSFORM_COLUMNS = {  # each transform's two columns: still in the target, back to the original class
    "JPEG q = 75": (tr("JPEG q = 75 : dans la cible"), tr("JPEG q = 75 : classe d'origine")),
    "flou σ = 0,5": (tr("flou σ = 0,5 : dans la cible"), tr("flou σ = 0,5 : classe d'origine")),
}
rows = []
for label, r in fragility.items():
    row = {tr("images"): label}
    for n, t in TRANSFORMS.items():
        stays, back = survival(r, t)
        in_target, original = TRANSFORM_COLUMNS[n]
        row[in_target], row[original] = tr("{pct(stays)}"), tr("{pct(back)}")
    rows.append(row)
row = {tr("images"): tr("photos d'origine (contrôle)")}
for n in TRANSFORMS:
    in_target, original = TRANSFORM_COLUMNS[n]
    row[in_target], row[original] = "—", tr("{pct(control[n])}")
rows.append(row)
tp8.course.table(rows)

# %% tags=["hide-input"]
jpeg_naive, back_naive = survival(naive, jpeg)
jpeg_pgd, back_pgd = survival(pgd, jpeg)
blur = {label: survival(r, TRANSFORMS["flou σ = 0,5"])[0] for label, r in fragility.items()}
beyond_blur = tr(", qui dépasse davantage la frontière") if blur["naïve, η = 1"] > blur["naïve, η = 0,2"] else ""
display(
    tr(
        """{claim(min(control.values()) == 1, "Les photos d'origine, elles, gardent toutes leur classe") if \
min(control.values()) == 1 else claim(min(control.values()) >= 0.6, "Les photos d'origine, elles, gardent pour la \
plupart leur classe")} ({pct(control["JPEG q = 75"])} après JPEG, {pct(control["flou σ = 0,5"])} après \
flou{exceptions}). Après une simple compression JPEG, il ne reste que {pct(jpeg_naive)} des images naïves et \
{pct(jpeg_pgd)} de celles de la BIM ciblée dans leur cible ; {pct(back_naive)} des premières et {pct(back_pgd)} des \
secondes retrouvent même leur classe d'origine. Le flou léger laisse {pct(blur["naïve, η = 0,2"])} des images \
naïves ({pct(blur["naïve, η = 1"])} avec $\\eta = 1${beyond_blur}) et \
{pct(blur["BIM ciblée, ε = 4/255"])} de celles de la BIM ciblée dans leur cible."""
    )
)

# %% [markdown]
# Les perturbations de haute fréquence mises en évidence en Q5 sont exactement ce que la compression JPEG (qui
# quantifie grossièrement les hautes fréquences) et le flou (un filtre passe-bas) suppriment en premier. Changer
# de norme ne suffit pas : tant que l'attaque s'arrête au premier basculement, elle reste à la merci d'une
# simple compression JPEG. C'est pourquoi de tels prétraitements ont été proposés comme défenses (Dziugaite et
# al., 2016 ; Guo et al., 2018) — et pourquoi ils ne résistent pas à un attaquant qui les connaît et les intègre
# à son optimisation (Athalye, Carlini & Wagner, 2018).

# %% tags=["remove-cell"]
claim(max(jpeg_naive, jpeg_pgd) < 0.5, "Changer de norme ne suffit pas")

# %% [markdown]
# **D'autres alternatives et extensions**, pour aller plus loin :
#
# - **Carlini & Wagner (2017)** : minimiser $\|\delta\|_2^2 + c\cdot \max\big(\max_{k\ne j}\tilde y_k -
#   \tilde y_j,\, -\kappa\big)$ avec un changement de variable qui respecte $[0,1]$ ; le paramètre de confiance
#   $\kappa$ impose une **marge** au-delà de la frontière, ce qui répond directement aux points 2 et 3.
# - **DeepFool (Moosavi-Dezfooli et al., 2016)** : linéariser le réseau à chaque pas et sauter vers la frontière
#   la plus proche, ce qui donne des perturbations $L_2$ bien plus petites que celles des attaques en un pas
#   (l'estimation itérée de Q5 en est une version ciblée et simplifiée).
# - **Perturbations universelles (Moosavi-Dezfooli et al., 2017)** : une seule perturbation, indépendante de
#   l'image, qui trompe le réseau sur la plupart des images.
# - **Expectation over Transformation (Athalye et al., 2018)** : optimiser l'espérance de l'objectif sur une
#   distribution de transformations (rotations, échelles, éclairage, compression), pour des attaques qui
#   survivent au monde physique.
# - **Attaques en boîte noire** : estimer le gradient par des requêtes (ZOO, Chen et al., 2017), marcher le
#   long de la frontière avec les seules décisions (*Boundary Attack*, Brendel et al., 2018), recherche
#   aléatoire (*Square Attack*, Andriushchenko et al., 2020), ou transfert depuis un modèle de substitution
#   (Papernot et al., 2017).
# - **Côté défense : l'entraînement adversaire**, qui entraîne le réseau sur des exemples adversaires fabriqués
#   au fil de l'apprentissage. Szegedy et al. (2014) l'avaient essayé, Goodfellow et al. (2015) le proposaient
#   avec la FGSM ; mais l'entraînement sur des attaques en un seul pas, tel quel, n'a pas tenu. Le réseau
#   apprend à reconnaître la perturbation elle-même, au point de mieux classer les images attaquées que les
#   images propres (*label leaking*, Kurakin, Goodfellow et Bengio, 2017, *Adversarial Machine Learning at
#   Scale*) ; et il apprend surtout à rendre son gradient trompeur (*gradient masking*) : il résiste aux
#   attaques en un pas, mais pas aux attaques itératives ni aux exemples transférés depuis un autre réseau
#   (Tramèr et al., 2018, *Ensemble Adversarial Training*). Parmi les défenses empiriques, celles qui ont tenu
#   sont l'entraînement sur des attaques itératives (PGD, Madry et al., 2018) et ses variantes, comme TRADES
#   (Zhang et al., 2019), qui règle le compromis entre précision et robustesse. L'entraînement en un pas reste
#   discuté : avec un départ aléatoire dans la boule, Wong, Rice et Kolter (2020) le rendent presque aussi
#   robuste que l'entraînement PGD pour un coût bien moindre, mais il peut perdre d'un coup toute robustesse en
#   cours d'apprentissage (*catastrophic overfitting*), ce qu'il faut surveiller. Les défenses *certifiées*,
#   comme le lissage aléatoire (*randomized smoothing*, Cohen et al., 2019), ne garantissent pas la prédiction
#   du réseau lui-même, mais celle d'un classifieur **lissé** — la classe que le réseau donne le plus souvent
#   quand on ajoute un bruit gaussien à l'image —, dans une boule $L_2$ de rayon calculé et avec une
#   probabilité d'erreur fixée d'avance, car ce classifieur lissé n'est connu que par tirages. Pour évaluer une
#   défense : AutoAttack (Croce & Hein, 2020).
#
# Les réseaux rendus robustes par l'entraînement adversaire ont enfin une propriété qui relie les trois parties
# du cours : leur gradient par rapport à l'image est « aligné sur la perception » (*perceptually aligned
# gradients*). Leur carte de saillance dessine l'objet bien plus nettement que celle d'un réseau ordinaire
# (partie 1), et la montée de gradient sur l'entrée y fait apparaître, sans les régularisations de la partie 3,
# des traits reconnaissables de la classe (Tsipras et al., 2019 ; Santurkar et al., 2019). La
# [partie 3](../partie-3-visualisation/#q8) y revient, à propos de ce que le réseau a appris.

# %% [markdown] tags=["solution"]
# ## À retenir
#
# - Quelques pas de gradient sur **l'entrée**, avec un réseau figé, suffisent à faire classer une photo dans
#   une classe choisie, même sans rapport avec elle, par une perturbation de quelques niveaux de gris, diffuse et
#   de haute fréquence, qu'on ne voit pas sans l'amplifier et qui survit à l'enregistrement en PNG. Le PSNR
#   n'en borne que la moyenne : quelques valeurs bougent bien plus, ce que seul un budget $L_\infty$ exclurait.
# - L'explication linéaire (Goodfellow et al., 2015) en donne une lecture simple, que nos mesures illustrent : en
#   très grande dimension, de minuscules changements alignés sur le gradient s'additionnent. Elle reste discutée
#   (Tanay et Griffin, 2016 ; Gilmer et al., 2018 ; Ilyas et al., 2019).
# - En pratique, la précision ne dit rien de la robustesse, et les attaques existent aussi en boîte noire et
#   dans le monde physique.
# - La méthode naïve ne contrôle pas $\|\delta\|_\infty$ et s'arrête au ras de la frontière, d'où sa fragilité
#   (JPEG, flou). Les attaques itératives par pas signés (Kurakin et al., Madry et al.) respectent un budget
#   $L_\infty$, la contrainte usuelle ; les marges (C&W) et l'EOT vont plus loin. Côté défense, l'entraînement
#   adversaire itératif (PGD, Madry et al.) et ses variantes (TRADES) ont tenu ; l'entraînement en un pas ne tient
#   qu'avec des précautions (départ aléatoire, Wong et al., 2020).

# %% tags=["hide-input", "solution"]
claim(
    bool(naive.success.all())
    and float(psnr.min()) > INVISIBLE_PSNR_DB
    and float(slight.min()) > 0.5
    and beyond < 0.05
    and float(blocks.min()) > 0.9
    and np.median(high_d) > 10 * np.median(high_x),
    "suffisent à faire classer une photo dans une classe choisie, même sans rapport avec elle",
)
if second is not None:
    if hit <= len(targets) // 5:
        if hit == 0:
            reached_by = tr("à aucune des {len(targets)} images")
        else:
            reached_by = tr("qu'à {hit} image{'s' * (hit > 1)} sur {len(targets)}")
        transfer = tr(
            """- Sur le second réseau ({second.name}), nos perturbations minimales ne font atteindre la cible \
{reached_by} : le transfert ciblé demande des attaques plus fortes, ou un ensemble de réseaux."""
        )
    else:
        transfer = tr(
            """- Sur le second réseau ({second.name}), {hit} images sur {len(targets)} atteignent la cible visée \
pour SqueezeNet 1.1 : garder ses poids secrets ne protège pas."""
        )
    display(transfer)

# %% [markdown]
# La [partie 3](../partie-3-visualisation/) retourne la même montée de gradient sur l'entrée dans l'autre sens :
# au lieu de partir d'une photo pour la faire mal classer, on part de presque rien pour faire **apparaître** ce
# qu'une classe représente pour le réseau.

# %% [markdown]
# ## Compte rendu
#
# Le compte rendu du soir tient en quelques lignes. Pour cette partie, il contient :
#
# 1. votre réponse à la question ★ [Q8.5](#q5) : les images trompeuses obtenues, montrées et interprétées (les
#    autres questions de cette partie peuvent y être discutées) ;
# 2. votre avancement : ce qui a marché ou non (votre fonction `image_trompeuse` passe-t-elle sa vérification ?) ;
# 3. si vous le souhaitez, vos remarques : ce que vous avez compris ou non.
#
# Partez du [modèle de compte rendu](compte-rendu-tp8.ipynb), une rubrique par question du TP.
