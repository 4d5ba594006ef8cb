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
# invisible à l'œil —, affirmer qu'il voit un poisson rouge.
# Ces images retouchées s'appellent des **exemples adversaires** (*adversarial examples*) ou **images
# trompeuses** (*fooling images*). Cette page les fabrique avec la méthode naïve du TP, mesure à quel point la
# retouche est petite (Q5), examine ce que cela implique en pratique, y compris le passage d'un réseau à un autre
# (Q6), puis compare la méthode naïve à deux attaques classiques et montre sa fragilité (Q7).

# %% [markdown]
# ## Le phénomène
#
# **Szegedy et al. (2014)** ont été les premiers à le décrire : pour presque toute image correctement classée,
# il existe une image $x + \delta$ toute proche — $\delta$ est imperceptible — que le réseau classe autrement, et
# une telle image trompe souvent aussi d'*autres* réseaux, entraînés avec une autre architecture ou sur d'autres
# données. Ils cherchaient la plus petite perturbation $\delta$ (en norme $L_2$) qui fasse prédire une classe
# cible, en résolvant une version relâchée du problème — minimiser $c\,\|\delta\|_2$ plus la perte de
# classification vers la cible — par L-BFGS sous la contrainte que $x + \delta$ reste une image valide.
#
# **Goodfellow, Shlens et Szegedy (2015)** en ont donné une explication devenue classique, l'explication
# *linéaire*. Prenons un score linéaire $w^\top x$ et une perturbation dont chaque composante vaut au plus
# $\varepsilon$ en valeur absolue. Le choix $\delta = \varepsilon\,\operatorname{sign}(w)$ change le score de
#
# $$w^\top \delta = \varepsilon \sum_{k=1}^{n} |w_k| = \varepsilon\, \|w\|_1 ,$$
#
# une quantité qui croît **linéairement avec la dimension** $n$. Une image $224 \times 224$ en couleurs compte
# $n = 150\,528$ valeurs : des changements individuellement négligeables, tous orientés dans le sens qui
# augmente le score, s'additionnent en un changement énorme. Les réseaux profonds modernes (ReLU, normalisations,
# etc.) sont conçus pour se comporter de façon assez linéaire localement — c'est ce qui les rend faciles à
# optimiser —, et cela suffit à les rendre vulnérables. Goodfellow et al. en tirent une attaque en un pas, la
# FGSM, que nous retrouverons en Q7.
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
#   interprétable, et après $T$ itérations l'inégalité triangulaire garantit $\|\delta\|_2 \le \eta\, T$.
# - **Pourquoi le score $\tilde y_j$ et non la probabilité $\hat y_j$ ?** Le gradient de la softmax contient un
#   facteur $\hat y_j$ : quand la cible est très improbable au départ (c'est le cas pour une cible lointaine), ce
#   gradient est quasi nul. Le score, lui, ne sature pas.
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

# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()

# %%
import io

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from PIL import Image

import tp8
from tp8.course import claim, num, pct, sci, show

torch.manual_seed(0)
model = tp8.load_model("squeezenet1_1")
n_params = sum(p.numel() for p in model.parameters())
print(f"{tp8.course.provenance(model)} : {num(n_params / 1e6, 1)} M paramètres, poids figés")


# %% [markdown]
# Nous prenons cinq photos libres de droits fournies avec `tp8` que SqueezeNet 1.1 reconnaît de façon sensée,
# et, pour chacune, deux classes cibles choisies **loin** de son contenu (un chat qu'on veut faire passer pour un
# poisson rouge ou un bus scolaire, un expresso pour une tarentule…), soit dix attaques.

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
tp8.course.table(
    [
        {"photo": sample.name, "prédiction de SqueezeNet 1.1": pred[0][0], "probabilité": pct(pred[0][1])}
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
# 3. sinon, prendre le gradient $g$ du score $	ilde y_{	ext{cible}}$ par rapport à l'image arrondie, et
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
        f"original\n{vu[0][0][0]} ({pct(vu[0][0][1])})",
        f"image trompeuse\n{vu[1][0][0]} ({pct(vu[1][0][1])})",
        "différence × 10",
    ],
):
    tp8.plotting.show_tile(ax, tp8.to_numpy(image), titre)
show(
    fig,
    alt=f"Trois vignettes : la photo du chat, classée {vu[0][0][0]} ; l'image trompeuse, pareille à l'œil, "
    f"classée {vu[1][0][0]} ; la différence multipliée par dix, une fine texture colorée sur un fond gris.",
)

# %%
names = [s.name for s in samples for _ in TARGETS[s.name]]
images = torch.stack([s.image for s in samples for _ in TARGETS[s.name]])
targets = [t for s in samples for t in TARGETS[s.name]]

naive = tp8.fooling_image(model, images, targets, lr=0.2, max_iter=100)
print(f"{int(naive.success.sum())}/{len(targets)} attaques réussies")

# %% [markdown]
# <a id="q5"></a>
# ## Q5 — Résultats de la méthode naïve
#
# La figure montre, pour trois des cinq photos, la première de leurs deux attaques : l'original (avec la
# prédiction du réseau), l'image adversaire arrondie à 8 bits (avec la nouvelle prédiction et la probabilité de
# la cible), la différence $\delta$ à sa vraie échelle (gris moyen = aucun changement), puis $10\,\delta$ ; le
# tableau qui suit donne les dix attaques.


# %%
first = torch.arange(0, len(targets), 2)  # the first target of each photo
shown = first[[0, 1, 3]]  # chelsea, coffee, china
show(
    tp8.plot_attack(naive[shown], model, magnify=10),
    alt="Trois rangées, une par photo (chelsea, coffee, china) : la photo originale avec "
    "sa classe, l'image adversaire, identique à l'œil, avec la classe cible qu'y voit le réseau, la différence "
    "à sa vraie échelle, un gris uniforme, puis la différence multipliée par 10, une fine texture colorée.",
)

# %% [markdown]
# Le tableau donne les dix attaques : nombre d'itérations, normes $L_2$ et $L_\infty$ de la perturbation en
# niveaux de gris (unités de $1/255$) et probabilité de la cible **sur l'image arrondie à 8 bits**.

# %%
COLUMNS = {
    "original": "classe d'origine",
    "target": "cible",
    "predicted": "prédiction",
    "success": "succès",
    "iterations": "itérations",
    "L2 (/255)": "‖δ‖₂ (/255)",
    "Linf (/255)": "‖δ‖∞ (/255)",
    "target prob": "p(cible)",
}


def results_table(result):
    rows = [
        {"photo": name, **{fr: row[en] for en, fr in COLUMNS.items()}} for name, row in zip(names, result.rows(model))
    ]
    return tp8.course.table(rows, digits={"‖δ‖₂ (/255)": 0, "‖δ‖∞ (/255)": 0, "p(cible)": 2})


results_table(naive)

# %% [markdown]
# Pour juger de la taille de $\delta$, comparons-la à l'image elle-même. Le rapport $\|\delta\|_2/\|x\|_2$ donne
# l'ordre de grandeur relatif ; le PSNR, $20\log_{10}\!\big(255/\mathrm{RMSE}\big)$ avec
# $\mathrm{RMSE} = \|\delta\|_2/\sqrt{n}$ en niveaux de gris, est la mesure usuelle en compression d'images
# (au-delà de 40 dB, une différence est en pratique invisible ; un JPEG de qualité courante se situe vers
# 30–40 dB).

# %% tags=["hide-input"]
n_values = images[0].numel()
n_str = num(n_values, 0)  # 150 528, with a French narrow space
ratio = naive.l2 / naive.original.flatten(1).norm(dim=1)
rmse = naive.l2_255 / n_values**0.5
psnr = 20 * torch.log10(255 / rmse)
changed = (naive.perturbation.abs() > 0.5 / 255).flatten(1).float().mean(dim=1)
straight = naive.l2 / (0.2 * naive.iterations.clamp_min(1))
it = naive.iterations.float()

walk = (1 / naive.iterations.clamp_min(1).float().sqrt()).median()
display(
    Markdown(
        f"- **Peu d'itérations.** Il a fallu entre {int(it.min())} et {int(it.max())} pas (médiane "
        f"{num(it.median(), 0)}) pour que chaque image arrondie soit classée dans sa cible ; "
        f"{int(naive.success.sum())} attaques sur {len(targets)} ont réussi.\n"
        f"- **De petits écarts par valeur.** L'écart quadratique moyen par valeur ne va que de "
        f"{num(rmse.min(), 2)} à {num(rmse.max(), 2)} niveau de gris sur 255. Quelques valeurs isolées bougent "
        f"bien plus (médiane de $\\|\\delta\\|_\\infty$ : {num(naive.linf_255.median(), 0)} niveaux, maximum "
        f"{num(naive.linf_255.max(), 0)}) : c'est rare, mais rien dans la méthode ne l'interdit (voir Q7).\n"
        f"- **Petites devant l'image.** $\\|\\delta\\|_2/\\|x\\|_2$ vaut entre {pct(ratio.min(), 2)} et "
        f"{pct(ratio.max(), 2)} (médiane {pct(ratio.median(), 2)}) ; le PSNR va de {num(psnr.min(), 1)} à "
        f"{num(psnr.max(), 1)} dB.\n"
        f"- **Diffuses.** Une fois arrondie, la perturbation modifie en médiane {pct(changed.median())} des "
        f"{n_str} valeurs de l'image, d'un ou deux niveaux pour la plupart : "
        + claim(changed.median() > 0.2, "rien de localisé")
        + ".\n"
        f"- **Un chemin cohérent.** $\\|\\delta\\|_2$ atteint en médiane {pct(straight.median())} de la borne "
        f"$\\eta\\,T$ ; des pas de directions indépendantes n'en atteindraient que $1/\\sqrt{{T}}$, soit "
        f"{pct(walk)} ici. "
        + claim(straight.median() > 1.5 * walk, "Les pas successifs vont donc en grande partie dans la même direction")
        + ", comme le prévoit un modèle localement linéaire.\n"
        f"- **Des probabilités modestes.** La cible l'emporte avec une probabilité comprise entre "
        f"{pct(naive.target_prob.min())} et {pct(naive.target_prob.max())} (médiane "
        f"{pct(naive.target_prob.median())}) : "
        + claim(naive.target_prob.median() < 0.8, "l'attaque s'arrête dès que la cible passe en tête")
        + "."
    )
)

# %% [markdown]
# **Structure de la perturbation.** Sur la figure, $\delta$ à sa vraie échelle est un gris uniforme : la
# perturbation est invisible. Amplifiée dix fois, elle apparaît comme une fine texture colorée, présente presque
# partout. Elle ne dessine ni poisson, ni tarentule, ni fleur. Suit-elle au moins les contours de la photo,
# là où l'œil voit de l'information ?

# %% tags=["hide-input"]
from scipy.stats import spearmanr
from skimage.color import rgb2gray
from skimage.filters import gaussian, sobel

claim(
    float(psnr.min()) > 40,
    "Sur la figure, $\\delta$ à sa vraie échelle est un gris uniforme : la perturbation est invisible",
)
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
display(
    Markdown(
        "On compare, pour chaque attaque, l'intensité locale de $|\\delta|$ à celle des contours de la photo "
        "(filtre de Sobel), toutes deux lissées sur quelques pixels : leur corrélation de rang va de "
        f"{num(suit_contours.min())} à {num(suit_contours.max())}, médiane {num(np.median(suit_contours))}. "
        + claim(abs(np.median(suit_contours)) < 0.2, "La perturbation ne suit donc pas les contours")
        + " : le gradient ne désigne pas ce que nous voyons, mais les directions de l'espace des pixels "
        "auxquelles le réseau est sensible — ce que montrait déjà, en partie 1, la carte de saillance qui "
        "n'était pas un détecteur de contours. Regardons-la de près et mesurons sa répartition en fréquences : "
        "d'abord un détail de $48\\times48$ pixels (l'œil du chat de la première attaque), agrandi quatre fois, "
        "de l'original, de l'image adversaire et de $\\delta$ amplifiée ; puis la densité spectrale de "
        "puissance moyenne (moyenne radiale du module au carré de la transformée de Fourier 2D) des photos et "
        "des perturbations, chacune normalisée par son énergie totale."
    )
)


# %% tags=["hide-input"]
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

k, (r0, c0) = 0, (60, 45)  # the cat's left eye
crop = (slice(None), slice(r0, r0 + 48), slice(c0, c0 + 48))
attack = f"{model.categories[int(naive.original_class[k])]} → {model.categories[int(naive.target[k])]}"
fig, axes = tp8.plotting.tile_figure(1, 3, (48, 48), scale=4, title_lines=2)
panels = [
    (naive.original[k][crop], "originale\n(détail ×4)"),
    (naive.images[k][crop], "adversaire\n(détail ×4)"),
    ((0.5 + 10 * naive.perturbation[k][crop]).clamp(0, 1), "0,5 + 10 δ\n(détail ×4)"),
]
for ax, (img, title) in zip(axes.ravel(), panels):
    tp8.plotting.show_tile(ax, tp8.to_numpy(img), title)
show(
    fig,
    alt=f"Attaque {attack}, détail de 48 × 48 pixels autour de l'œil du chat, agrandi quatre fois : l'original "
    "et l'image adversaire, indiscernables, puis la perturbation multipliée par 10, un semis de points colorés "
    "de un ou deux pixels.",
)

band = (freq > 0.02) & (freq < 0.4)  # fit the slope of log power against log frequency there
slope_x = float(np.polyfit(np.log(freq[band]), np.log(spec_x[band]), 1)[0])
slope_d = float(np.polyfit(np.log(freq[band]), np.log(spec_d[band]), 1)[0])
fig, ax = plt.subplots(figsize=(6.2, 3.4), layout="constrained")
ax.semilogy(freq, spec_x, "o-", ms=3, label="photos $x$")
ax.semilogy(freq, spec_d, "s-", ms=3, label="perturbations $\\delta$")
ax.axhline(1 / images[0, 0].numel(), color="grey", lw=0.8, ls="--", label="bruit blanc")
ax.axvline(0.25, color="grey", lw=0.8, ls=":")
ax.set_xlabel("fréquence spatiale (cycles / pixel)")
ax.set_ylabel("puissance relative")
ax.set_title("Spectre radial moyen des photos et des perturbations", fontsize=10)
ax.legend(fontsize=8)
show(
    fig,
    alt="Spectre de puissance en fonction de la fréquence spatiale, en échelle logarithmique : la courbe des "
    "photos descend de plusieurs ordres de grandeur, celle des perturbations reste presque plate, près de la "
    "ligne du bruit blanc.",
)

display(
    Markdown(
        "Le spectre des photos décroît très vite avec la fréquence ("
        + claim(-3 < slope_x < -1.5, "environ en $1/f^2$")
        + f" : la pente de la courbe en échelle log-log vaut {num(slope_x, 1)}, comme pour toutes les images "
        f"naturelles), "
        + claim(slope_d > -0.7, "celui des perturbations est presque plat, proche d'un **bruit blanc**")
        + f" (pente {num(slope_d, 1)}). Au-delà "
        f"de 0,25 cycle/pixel (motifs de moins de 4 pixels de période, ligne pointillée), on trouve en médiane "
        f"{pct(np.median(high_d))} de l'énergie des perturbations (un bruit blanc en aurait "
        f"{pct(high_white)}), contre {pct(np.median(high_x), 1)} seulement de celle des photos : "
        + claim(
            np.median(high_d) > 10 * np.median(high_x),
            "rapportée à l'image, $\\delta$ est dominée par les **hautes fréquences**",
        )
        + "."
    )
)

# %% [markdown]
# **Interprétation.** Ces chiffres illustrent l'explication linéaire : une perturbation de quelques niveaux de
# gris par valeur, mais alignée sur le gradient dans un espace de 150 528 dimensions, suffit à déplacer le score
# d'une classe sans rapport avec l'image. Le réseau n'a pas « vu » de poisson rouge : la retouche ne dessine
# aucun objet, c'est une texture fine et diffuse, dominée par les hautes fréquences — précisément les détails
# auxquels notre vision est la moins sensible et que les images naturelles contiennent le moins. Elle exploite
# des directions de l'espace des entrées auxquelles le réseau est très sensible alors qu'un humain ne l'est pas du
# tout. On peut même estimer la distance à parcourir par un raisonnement linéaire (c'est l'idée de DeepFool,
# voir Q7) : si $d = \tilde y_i - \tilde y_j$ est l'avance de la classe prédite sur la cible et
# $\nabla d$ son gradient, il faut au premier ordre un déplacement de norme $d/\|\nabla d\|_2$.

# %% tags=["hide-input"]
with torch.enable_grad():
    x0 = naive.original.clone().requires_grad_(True)
    scores = model(x0)
    every = torch.arange(len(targets))
    gap = scores[every, naive.original_class] - scores[every, naive.target]
    (grad_gap,) = torch.autograd.grad(gap.sum(), x0)
gap = gap.detach().cpu()
linear = gap / grad_gap.flatten(1).norm(dim=1).cpu()
factor = naive.l2 / linear
display(
    Markdown(
        f"Sur nos dix attaques, l'avance $d$ de la classe d'origine sur la cible vaut entre {num(gap.min(), 1)} et "
        f"{num(gap.max(), 1)} (en unités de score), et l'estimation linéaire $d/\\|\\nabla d\\|_2$ donne une distance "
        f"médiane de {num(255 * linear.median(), 0)}/255, pour une perturbation réellement trouvée de "
        f"{num(naive.l2_255.median(), 0)}/255 : "
        + claim(factor.median() > 1, "l'estimation linéaire sous-estime la distance")
        + f" d'un facteur médian de {num(factor.median(), 1)}, car le réseau n'est linéaire que localement et la "
        "classe dominante change en chemin. "
        + claim(factor.median() < 10, "Le bon ordre de grandeur est pourtant là")
        + " : l'approximation linéaire explique pourquoi la frontière de décision est si proche."
    )
)

# %% [markdown]
# <a id="q6"></a>
# ## Q6 — Conséquences pratiques
#
# **Sécurité.** Dès qu'un classifieur prend une décision qui intéresse quelqu'un — filtre de contenus,
# détection de logiciels malveillants, contrôle d'accès par reconnaissance faciale, perception d'un véhicule —,
# un adversaire peut chercher l'entrée qui le fait se tromper. Les attaques ne restent pas numériques :
# Kurakin et al. (2017) photographient des images adversaires imprimées et trompent encore le réseau ;
# Sharif et al. (2016) trompent la reconnaissance faciale avec des montures de lunettes imprimées ;
# Eykholt et al. (2018) collent quelques autocollants sur un panneau « stop » et le font lire comme une
# limitation de vitesse ; Athalye et al. (2018) impriment en 3D une tortue classée « fusil » sous presque tous
# les angles ; Brown et al. (2017) conçoivent un « patch » qui, posé dans n'importe quelle scène, impose sa
# classe.
#
# **Robustesse.** La précision sur un jeu de test mesure le comportement moyen sur des images « naturelles », pas
# le comportement dans le pire cas au voisinage de chaque image : les réseaux ImageNet usuels, précis à 70–80 %,
# tombent à une précision quasi nulle face à des perturbations de 4/255 (PGD, en Q7, réussit même des attaques
# *ciblées* avec ce budget). Il faut donc mesurer la robustesse séparément (par exemple avec AutoAttack, Croce
# & Hein, 2020), et l'améliorer coûte cher : l'entraînement adversaire (Madry et al., 2018) multiplie le coût de
# l'apprentissage et fait en général baisser la précision sur les images propres.
#
# **Confiance et interprétation.** Le réseau ne fonde pas ses décisions sur les mêmes indices que nous :
# Ilyas et al. (2019) montrent qu'une partie des indices prédictifs des données (*non-robust features*) est
# imperceptible pour un humain, et que les exemples adversaires exploitent ces indices plutôt qu'un défaut
# accidentel. Une probabilité élevée n'est donc pas une garantie (nos images « poisson rouge » en sont la preuve),
# et les explications par gradient de la partie 1 reposent sur les mêmes gradients instables.
#
# **Attaques sans accès au réseau : la transférabilité.** Notre attaque est en *boîte blanche* : elle exige le
# gradient du réseau visé. Mais Szegedy et al. avaient observé que des exemples adversaires construits sur un
# réseau en trompent souvent un autre ; Papernot et al. (2017) s'en servent pour attaquer un service en ligne
# dont ils ne connaissent que les réponses. Testons-le : nos images fabriquées pour SqueezeNet 1.1 trompent-elles
# un second réseau qui ne les a jamais vues ?

# %%
net2 = tp8.course.second_network()
if net2.message is not None:
    display(net2.message)
second = net2.model
if second is not None:
    print(
        f"second réseau : {tp8.course.provenance(second)}, {num(sum(p.numel() for p in second.parameters()) / 1e6, 1)} M paramètres"
    )

# %% tags=["hide-input"]
if second is not None:
    with torch.no_grad():
        p_orig = second.probabilities(naive.original).cpu()
        p_adv = second.probabilities(naive.images).cpu()

    def transfer_columns(k):
        return {
            f"{second.name} sur l'original": second.categories[int(p_orig[k].argmax())],
            f"{second.name} sur l'adversaire": second.categories[int(p_adv[k].argmax())],
            "p(cible) original": tp8.course.prob(p_orig[k, naive.target[k]]),
            "p(cible) adversaire": tp8.course.prob(p_adv[k, naive.target[k]]),
        }

    display(
        tp8.course.table(
            [
                {"photo": names[k], "cible": model.categories[int(naive.target[k])], **transfer_columns(k)}
                for k in range(len(targets))
            ]
        )
    )

# %% tags=["hide-input"]
if second is not None:
    idx = torch.arange(len(targets))
    t_orig = p_orig[idx, naive.target]
    t_adv = p_adv[idx, naive.target]
    hit = (p_adv.argmax(1) == naive.target).sum()
    changed2 = (p_adv.argmax(1) != p_orig.argmax(1)).sum()
    gain = (t_adv / t_orig).median()
    hit, changed2 = int(hit), int(changed2)
    hits = "aucune image n'est classée" if hit == 0 else f"{hit} image{'s' * (hit > 1)} sur {len(targets)} "
    hits += "" if hit == 0 else ("sont classées" if hit > 1 else "est classée")
    verdict = (
        "Le transfert ciblé échoue donc presque entièrement : une perturbation minimale, taillée pour franchir "
        "tout juste la frontière d'un réseau, n'a pas de marge pour franchir celle d'un autre"
        if hit <= len(targets) // 5
        else "Une partie notable des attaques ciblées se transfère donc, malgré des perturbations minimales"
    )
    display(
        Markdown(
            f"Sur `{second.name}`, **{hits} dans la cible** visée pour SqueezeNet 1.1, et la prédiction change "
            f"par rapport à l'original pour {changed2} image{'s' * (changed2 > 1)} sur {len(targets)}. La "
            f"probabilité de la cible passe d'une médiane de ${sci(t_orig.median(), tex=True)}$ sur les originaux à "
            f"${sci(t_adv.median(), tex=True)}$ sur les images adversaires (rapport médian × {num(gain, 1)}). {verdict}."
        )
    )

# %% [markdown]
# Dans la littérature, le transfert **ciblé** est réputé difficile (Liu et al., 2017), le
# transfert **non ciblé** (faire simplement changer la réponse) beaucoup plus facile, et les deux deviennent
# efficaces quand on construit des perturbations plus fortes ou qu'on attaque un *ensemble* de réseaux à la fois.
# La leçon pratique reste inquiétante : garder ses poids secrets ne suffit pas, puisqu'un attaquant peut
# entraîner un modèle de substitution et attaquer celui-ci, ou interroger le modèle en boîte noire (voir Q7).

# %% [markdown]
# <a id="q7"></a>
# ## Q7 — Limites de la méthode naïve et alternatives
#
# La méthode du TP est efficace mais rudimentaire. Ses principales limites :
#
# 1. **Aucun contrôle pixel par pixel.** Le pas est de longueur fixe en norme $L_2$ : la perturbation peut se
#    concentrer sur quelques valeurs qui changent beaucoup, et rien ne borne $\|\delta\|_\infty$, la mesure la
#    plus proche de la perception d'un écart local.
# 2. **Arrêt au premier basculement.** On s'arrête dès que la cible passe en tête : l'image se trouve juste
#    au-delà de la frontière, avec une marge infime.
# 3. **Fragilité.** Conséquence du point précédent, la moindre transformation (compression, flou,
#    redimensionnement, impression puis photographie) peut ramener l'image de l'autre côté.
# 4. **Boîte blanche seulement.** Il faut le gradient du réseau ; le transfert vers un autre réseau est faible
#    (Q6).
# 5. **Choix du pas.** Un $\eta$ petit donne une perturbation plus petite mais demande beaucoup d'itérations ;
#    un $\eta$ grand va vite mais « dépasse » la frontière et laisse une perturbation plus visible.
# 6. **Objectif grossier.** Monter le score $\tilde y_j$ ne fait pas forcément baisser les autres : si toutes
#    les classes montent ensemble, la cible peut rester derrière. La log-probabilité $\log \hat y_j =
#    \tilde y_j - \log\sum_k e^{\tilde y_k}$ tient compte des concurrentes.
#
# `tp8` implémente deux alternatives classiques, toutes deux avec des pas *signés* (chaque valeur bouge de
# $\pm\alpha$) sur la log-probabilité de la cible :
#
# - **FGSM** (*Fast Gradient Sign Method*, Goodfellow et al., 2015) : un seul pas
#   $x \leftarrow \operatorname{clip}_{[0,1]}\big(x + \varepsilon\,\operatorname{sign}(\nabla_x \log \hat y_j)\big)$,
#   exactement l'attaque suggérée par l'explication linéaire ;
# - **PGD** (*Projected Gradient Descent*, Madry et al., 2018) : des pas signés de taille $\alpha$ suivis d'une
#   projection sur la boule $\|x - x_0\|_\infty \le \varepsilon$, qui **garantit** qu'aucune valeur ne s'écarte de
#   plus de $\varepsilon$ de l'original.
#
# Comparons-les sur les mêmes dix couples (image, cible), avec un budget $\varepsilon = 4/255$ ; ajoutons la
# méthode naïve avec un pas cinq fois plus grand ($\eta = 1$) pour illustrer le point 5.

# %%
EPS = 4 / 255
pgd = tp8.pgd_attack(model, images, targets, epsilon=EPS, step_size=1 / 255, max_iter=50)
fast = tp8.fgsm(model, images, targets, epsilon=EPS)
naive_big = tp8.fooling_image(model, images, targets, lr=1.0, max_iter=100)

METHODS = {
    "naïve, η = 0,2": naive,
    "naïve, η = 1": naive_big,
    "FGSM, ε = 4/255": fast,
    "PGD, ε = 4/255": pgd,
}


def runner_up_margin(result):
    """p(target) minus the best other probability, on the 8-bit adversarial images."""
    with torch.no_grad():
        p = model.probabilities(result.images).cpu()
    tgt = p.gather(1, result.target[:, None])[:, 0]
    p[torch.arange(len(p)), result.target] = -1
    return tgt - p.max(dim=1).values


summary = [
    {
        "méthode": label,
        "succès": f"{pct(r.success_rate, 0)}",
        "itérations (médiane)": f"{num(r.iterations.float().median(), 0)}",
        "‖δ‖₂ /255 (médiane)": f"{num(r.l2_255.median(), 0)}",
        "‖δ‖∞ /255 (max)": f"{num(r.linf_255.max(), 0)}",
        "p(cible) (médiane)": pct(r.target_prob.median()),
        "marge sur la 2ᵉ classe (médiane)": num(runner_up_margin(r)[r.success].median()) if r.success.any() else "—",
    }
    for label, r in METHODS.items()
]
tp8.course.table(summary)

# %% tags=["hide-input"]
left = (fast.predicted != fast.original_class).float().mean()
margins = {label: runner_up_margin(r)[r.success] for label, r in METHODS.items()}
higher = naive_big.target_prob.median() > naive.target_prob.median()
display(
    Markdown(
        f"- **FGSM** ne réussit que {pct(fast.success_rate)} des attaques ciblées : "
        + claim(fast.success_rate < 0.5, "un seul pas linéaire de 4/255 ne suffit pas à atteindre une cible lointaine")
        + ", alors même que "
        + claim(
            fast.l2_255.median() >= max(r.l2_255.median() for r in METHODS.values()),
            "sa perturbation est la plus grande en norme $L_2$",
        )
        + " (toutes les valeurs bougent de $\\pm\\varepsilon$). "
        + claim(left > fast.success_rate, "Il fait en revanche quitter sa classe d'origine")
        + f" à {pct(left)} des images : en non ciblé, il suffit de s'éloigner de la classe "
        f"d'origine, ce qu'un pas linéaire fait bien.\n"
        f"- **PGD** réussit {pct(pgd.success_rate)} des attaques en {num(pgd.iterations.float().median(), 0)} pas "
        f"(médiane) avec au plus {num(pgd.linf_255.max(), 0)}/255 par valeur, contre "
        f"{num(naive.linf_255.max(), 0)}/255 pour la méthode naïve. "
        + claim(pgd.l2_255.median() > naive.l2_255.median(), "La garantie $L_\\infty$ a un prix en norme $L_2$")
        + f" (médiane {num(pgd.l2_255.median(), 0)}/255 contre {num(naive.l2_255.median(), 0)}/255), car chaque pas "
        f"signé modifie presque toutes les valeurs.\n"
        f"- **Le pas naïf** $\\eta = 1$ réussit en {num(naive_big.iterations.float().median(), 0)} pas (médiane) au "
        f"lieu de {num(naive.iterations.float().median(), 0)}, mais "
        + claim(naive_big.l2_255.median() > naive.l2_255.median(), "laisse une perturbation plus grande")
        + " "
        f"($\\|\\delta\\|_2$ médiane {num(naive_big.l2_255.median(), 0)}/255, $\\|\\delta\\|_\\infty$ jusqu'à "
        f"{num(naive_big.linf_255.max(), 0)}/255)"
        + (
            f" et atteint une probabilité médiane plus élevée ({pct(naive_big.target_prob.median())} contre "
            f"{pct(naive.target_prob.median())}) : son dernier pas dépasse la frontière.\n"
            if higher
            else " sans gagner en probabilité.\n"
        )
        + "- "
        + claim(
            max(float(m.median()) for m in margins.values() if len(m)) < 0.5,
            "Toutes ces attaques s'arrêtent dès le basculement",
        )
        + f" : la marge médiane de la cible sur la deuxième "
        f"classe n'est que de {num(margins['naïve, η = 0,2'].median(), 2)} en probabilité pour la méthode naïve "
        f"et de {num(margins['PGD, ε = 4/255'].median(), 2)} pour PGD."
    )
)

# %% [markdown]
# **Où va la perturbation ?** L'histogramme des écarts $|\delta|$ (en niveaux de gris, toutes valeurs des dix
# images, échelle logarithmique) montre la différence de nature entre les deux contraintes.

# %% tags=["hide-input"]
fig = plt.figure(figsize=(8, 3.2), facecolor="white", layout="constrained")
ax = fig.subplots()
edges = np.arange(-0.5, max(float(naive.linf_255.max()), float(naive_big.linf_255.max())) + 1.5)
for label, r, style in [
    ("naïve, η = 0,2", naive, "-"),
    ("naïve, η = 1", naive_big, "--"),
    ("PGD, ε = 4/255", pgd, "-"),
]:
    levels = (r.perturbation.abs() * 255).round().flatten().numpy()
    counts, _ = np.histogram(levels, bins=edges)
    ax.step(edges[:-1] + 0.5, counts / levels.size, where="mid", ls=style, label=label)
ax.axvline(4, color="grey", lw=0.8, ls=":")
ax.set_yscale("log")
ax.set_xlabel("|δ| en niveaux de gris (sur 255)")
ax.set_ylabel("fraction des valeurs")
ax.set_title("Distribution des écarts par valeur (10 images adversaires)", fontsize=10)
ax.legend(fontsize=8)
show(
    fig,
    alt="Histogramme en échelle logarithmique de l'écart de chaque valeur de pixel, en niveaux de gris, pour la "
    "méthode naïve avec deux pas et pour PGD : la méthode naïve a une longue traîne au-delà de 4 niveaux, PGD "
    "s'arrête exactement à 4, marqué par une ligne pointillée.",
)


def share(r, test):
    return pct((test((r.perturbation.abs() * 255).round())).float().mean(), 1)


display(
    Markdown(
        f"La méthode naïve (pas de longueur fixe en norme $L_2$) laisse {share(naive, lambda d: d == 0)} des "
        f"valeurs intactes, mais en pousse {share(naive, lambda d: d > 4)} au-delà de 4 niveaux de gris, jusqu'à "
        f"{num(naive.linf_255.max(), 0)} : rien ne l'empêche de concentrer l'effort là où le gradient est fort. PGD "
        f"(contrainte $L_\\infty$) ne laisse que {share(pgd, lambda d: d == 0)} des valeurs intactes, en place "
        f"{share(pgd, lambda d: d == 4)} exactement sur la borne $\\varepsilon = 4/255$ et "
        + claim(float(pgd.linf_255.max()) < 4.01, "n'en dépasse aucune")
        + "."
    )
)

# %% [markdown]
# Les images PGD, pour les mêmes photos et les mêmes cibles que la première figure (l'original ne change pas,
# et la différence à sa vraie échelle reste un gris uniforme : seules l'image adversaire et la perturbation
# amplifiée dix fois sont montrées) : la perturbation est plus uniforme, sans zones où elle se concentre.

# %%
show(
    tp8.plot_attack(pgd[shown], model, magnify=10, panels=("adversarial", "magnified")),
    alt="Les trois mêmes photos attaquées par PGD avec ε = 4/255 : l'image adversaire, identique à l'œil à la photo, "
    "puis la perturbation multipliée par 10, une texture colorée qui couvre toute l'image avec la même intensité.",
)


# %% tags=["remove-cell"]
def unevenness(result):
    """How concentrated a perturbation is: coefficient of variation of |δ| smoothed over 8-pixel blocks."""
    local = torch.nn.functional.avg_pool2d(result.perturbation.abs().sum(1, keepdim=True), 8).flatten(1)
    return (local.std(dim=1) / local.mean(dim=1)).median()


claim(unevenness(pgd[first]) < unevenness(naive[first]), "plus uniforme, sans zones où elle se concentre")

# %% [markdown]
# **Fragilité.** Une image adversaire diffusée sur le web sera recompressée, redimensionnée, parfois floutée.
# Simulons deux transformations bénignes : une compression JPEG de qualité 75 (faite en mémoire avec PIL), et un
# léger flou gaussien ($\sigma = 0{,}5$ pixel). Pour contrôle, on applique aussi ces transformations aux photos
# d'origine : le réseau doit continuer à les reconnaître.


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
flipped = [
    f"{samples[k].name}, de « {model.categories[int(before[k])]} » à « {model.categories[int(after_jpeg[k])]} »"
    for k in range(len(samples))
    if before[k] != after_jpeg[k]
]

fragility = {"naïve, η = 0,2": naive, "naïve, η = 1": naive_big, "PGD, ε = 4/255": pgd}
rows = []
for label, r in fragility.items():
    row = {"images adversaires": label}
    for n, t in TRANSFORMS.items():
        stays, back = survival(r, t)
        row[f"{n} : reste dans la cible"], row[f"{n} : revient à l'origine"] = pct(stays), pct(back)
    rows.append(row)
tp8.course.table(rows)

# %% tags=["hide-input"]
jpeg_naive, back_naive = survival(naive, jpeg)
jpeg_pgd, back_pgd = survival(pgd, jpeg)
blur = {label: survival(r, TRANSFORMS["flou σ = 0,5"])[0] for label, r in fragility.items()}
display(
    Markdown(
        "Le tableau donne, parmi les attaques réussies, la part d'images encore classées dans leur cible après la "
        "transformation, et la part ramenée à leur classe d'origine. "
        + claim(min(control.values()) >= 0.6, "Les photos d'origine, elles, gardent leur classe")
        + f" ({pct(control['JPEG q = 75'])} après JPEG, {pct(control['flou σ = 0,5'])} après flou"
        + (f" ; exception{'s' * (len(flipped) > 1)} : {' ; '.join(flipped)}" if flipped else "")
        + "). Après une "
        f"simple compression JPEG, il ne reste que {pct(jpeg_naive)} des images naïves et {pct(jpeg_pgd)} des "
        f"images PGD dans leur cible ; {pct(back_naive)} des images naïves et {pct(back_pgd)} des images PGD "
        f"retrouvent même leur classe d'origine. Le flou léger laisse {pct(blur['naïve, η = 0,2'])} des images "
        f"naïves ({pct(blur['naïve, η = 1'])} avec $\\eta = 1$"
        + (", qui dépasse davantage la frontière" if blur["naïve, η = 1"] > blur["naïve, η = 0,2"] else "")
        + ") et "
        f"{pct(blur['PGD, ε = 4/255'])} des images PGD dans leur cible."
    )
)

# %% [markdown]
# Les perturbations de haute fréquence mises en évidence en Q5 sont exactement ce que la compression JPEG (qui
# quantifie grossièrement les hautes fréquences) et le flou (un filtre passe-bas) suppriment en premier. Changer
# de norme ne suffit pas : tant que l'attaque s'arrête au premier basculement, elle reste à la merci de la
# moindre transformation. C'est pourquoi de tels prétraitements ont été proposés comme défenses (Dziugaite et
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
#   la plus proche, ce qui donne des perturbations $L_2$ presque minimales (c'est l'estimation linéaire de Q5,
#   itérée).
# - **Perturbations universelles (Moosavi-Dezfooli et al., 2017)** : une seule perturbation, indépendante de
#   l'image, qui trompe le réseau sur la plupart des images.
# - **Expectation over Transformation (Athalye et al., 2018)** : optimiser l'espérance de l'objectif sur une
#   distribution de transformations (rotations, échelles, éclairage, compression), pour des attaques qui
#   survivent au monde physique.
# - **Attaques en boîte noire** : estimer le gradient par des requêtes (ZOO, Chen et al., 2017), marcher le
#   long de la frontière avec les seules décisions (*Boundary Attack*, Brendel et al., 2018), recherche
#   aléatoire (*Square Attack*, Andriushchenko et al., 2020), ou transfert depuis un modèle de substitution
#   (Papernot et al., 2017).
# - **Côté défense** : l'entraînement adversaire (Goodfellow et al., 2015 ; Madry et al., 2018), seule défense
#   empirique qui ait résisté à l'épreuve du temps, et les défenses *certifiées* comme le lissage aléatoire
#   (*randomized smoothing*, Cohen et al., 2019), qui garantissent la prédiction dans une boule de rayon donné.
#   Pour évaluer une défense : AutoAttack (Croce & Hein, 2020).

# %% [markdown]
# ## À retenir
#
# - Quelques pas de gradient sur **l'entrée**, avec un réseau figé, suffisent à faire classer une photo dans
#   n'importe quelle classe choisie, par une perturbation de quelques niveaux de gris, diffuse et de haute
#   fréquence, invisible à l'œil et qui survit à l'enregistrement en PNG.
# - L'explication linéaire (Goodfellow et al., 2015) rend compte de l'essentiel : en très grande dimension, de
#   minuscules changements alignés sur le gradient s'additionnent.
# - En pratique, la précision ne dit rien de la robustesse ; les attaques existent aussi en boîte noire et dans
#   le monde physique, même si nos perturbations minimales transfèrent mal d'un réseau à l'autre.
# - La méthode naïve ne contrôle pas $\|\delta\|_\infty$ et s'arrête au ras de la frontière, d'où sa fragilité
#   (JPEG, flou). PGD fixe un budget $L_\infty$ garanti ; les marges (C&W), l'EOT et l'entraînement adversaire
#   vont plus loin.

# %% tags=["remove-cell"]
success_all = bool(naive.success.all())
claim(
    success_all and float(psnr.min()) > 40, "suffisent à faire classer une photo dans n'importe quelle classe choisie"
)
claim(
    second is None or hit <= len(targets) // 5,
    "même si nos perturbations minimales transfèrent mal d'un réseau à l'autre",
)

# %% [markdown]
# La [partie 3](../partie-3-visualisation/) retourne la même montée de gradient sur l'entrée dans l'autre sens :
# au lieu de partir d'une photo pour la faire mal classer, on part de presque rien pour faire **apparaître** ce
# qu'une classe représente pour le réseau.
