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
# convolutions avec ReLU est une fonction très non linéaire de $x$, mais, comme toute fonction
# dérivable, il est **localement** presque affine. Le développement de Taylor à l'ordre 1 du score de la
# classe $c$ au voisinage de $x$ s'écrit
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
# M_{ij} = \max_{k \in \{R, G, B\}} \bigl| w_c[k, i, j] \bigr| .
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
# Deux défauts en découlent. D'abord, ce gradient **mélange toutes les classes** : un pixel peut faire
# monter $\hat y_c$ simplement parce qu'il fait baisser un concurrent, sans rien dire en faveur de $c$.
# Ensuite, il **s'écrase quand le réseau est sûr de lui** : si $\hat y_c \to 1$, la moyenne
# $\sum_k \hat y_k w_k$ tend vers $w_c$ et la parenthèse s'annule, si bien que les prédictions les plus
# confiantes donneraient les cartes les plus plates. Le logit $\tilde y_c$ ne mesure que l'évidence en
# faveur de $c$ ; c'est lui que l'on dérive. (On verra en [Q2](#q2) que la probabilité peut même
# *baisser* alors que le logit monte.)
#
# Dans `tp8`, tout cela tient dans la fonction `tp8.saliency_map` : les images d'un lot
# étant indépendantes, la somme de leurs scores se dérive en **une seule** passe arrière, qui donne à
# chaque image le gradient de son propre score.

# %%
import contextlib
import io
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from matplotlib.patches import Rectangle
from scipy.stats import spearmanr
from skimage import color, filters, measure, segmentation

warnings.filterwarnings("ignore", message="IProgress not found")  # barre de progression de tqdm

import tp8
import tp8.course

torch.manual_seed(0)
plt.rcParams["figure.facecolor"] = "white"


def fr(x, digits=2, sign=False):
    """Un nombre à la française (virgule décimale) pour le texte de la page."""
    return f"{x:{'+' if sign else ''}.{digits}f}".replace(".", ",").replace("-", "−")


def pc(x):
    """Une proportion en pourcentage, à la française."""
    return f"{100 * x:.0f}\u00a0%"


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
print(f"{model.name} — poids : {model.weights_source}")

samples = tp8.sample_images()
images = torch.stack([s.image for s in samples])  # (8, 3, 224, 224), pixels dans [0, 1]
names = [s.name for s in samples]
top3 = model.predict(images, k=3)
predicted = model.probabilities(images).argmax(dim=1)

tp8.course.table(
    [
        {
            "photo": s.name,
            "1re classe": f"{t[0][0]} ({t[0][1]:.0%})",
            "2e classe": f"{t[1][0]} ({t[1][1]:.0%})",
            "3e classe": f"{t[2][0]} ({t[2][1]:.0%})",
            "licence": s.licence,
            "source": s.source,
        }
        for s, t in zip(samples, top3)
    ]
)

# %% [markdown]
# La prédiction est juste pour le café (*espresso*) ; pour la moto, ImageNet n'a pas de classe « moto » et
# *moped* (cyclomoteur) est la plus proche ; pour le chat, les trois premières classes sont des races de
# chat, dont la bonne (*tabby*). Pour les photos sans classe ImageNet, le réseau choisit ce qui ressemble
# le plus à ce qu'il connaît. Les cartes ci-dessous expliquent chaque fois **la classe prédite**, juste ou
# fausse.
#
# ## Les cartes de saillance
#
# Un seul appel calcule les huit cartes. Chaque carte est affichée du noir (0) au blanc (son propre
# 99,5ᵉ centile) : les échelles diffèrent d'une image à l'autre, la barre de couleur les donne.

# %%
maps = tp8.saliency_map(model, images)  # (8, 224, 224) : une passe avant, une passe arrière
titles = [f"{s.name}\n→ {t[0][0]} ({t[0][1]:.0%})" for s, t in zip(samples, top3)]

tp8.plot_saliency(images[:4], maps[:4], titles[:4])
plt.show()

# %%
tp8.plot_saliency(images[4:], maps[4:], titles[4:])
plt.show()

# %% [markdown]
# <a id="q1"></a>
# ## Q1 — Ce que montrent les cartes
#
# À l'œil, les cartes brutes ressemblent surtout à du grain. Pour y lire quelque chose, deux outils
# simples : **lisser** la carte (flou gaussien d'écart-type 4 pixels) pour faire apparaître où se
# concentre la masse, et **mesurer** la part de la saillance qui tombe dans une région de l'image. Les
# régions ci-dessous sont des boîtes tracées à la main sur les photos 224 × 224 (pas de vérité terrain
# ici) ; le chat remplit tout le cadre et la classe prédite pour l'astronaute (*red wine*) n'a pas d'objet
# correspondant, ces deux photos n'ont donc pas de boîte.

# %%
# Boîtes (x0, y0, x1, y1) en pixels, tracées à la main ; une région peut compter plusieurs boîtes.
REGIONS = {
    "coffee": {"tasse": [(30, 0, 200, 150)], "café": [(55, 25, 165, 115)]},
    "rocket": {"fusée": [(95, 60, 127, 224)], "pylônes": [(18, 55, 52, 215), (172, 55, 208, 215)]},
    "motorcycle": {"moto": [(0, 55, 224, 205)]},
    "china": {"pagode": [(0, 0, 128, 224)]},
    "flower": {"fleur": [(20, 25, 190, 195)]},
    "grace_hopper": {"nœud papillon": [(95, 145, 140, 200)], "visage": [(55, 20, 175, 145)]},
}


def region_mask(boxes, shape=(224, 224)):
    mask = np.zeros(shape, dtype=bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = True
    return mask


def smooth(saliency, sigma=4.0):
    return filters.gaussian(np.asarray(saliency, dtype=np.float64), sigma=sigma)


def rank_corr(a, b):
    """Corrélation de rang de Spearman entre deux cartes (pixel à pixel)."""
    return float(spearmanr(np.ravel(a), np.ravel(b))[0])


maps_np = maps.numpy()
smoothed = np.stack([smooth(m) for m in maps_np])
photos = tp8.to_numpy(images)


def overlay(ax, photo, saliency):
    """La photo assombrie, et par-dessus la carte : plus la saillance est forte, plus elle est opaque."""
    level = np.clip((saliency - saliency.min()) / (np.percentile(saliency, 99.5) - saliency.min()), 0, 1)
    heat = plt.cm.inferno(level)
    heat[..., 3] = 0.9 * level
    ax.imshow(0.55 * photo)
    ax.imshow(heat)


fig, axes = plt.subplots(2, 4, figsize=(11, 6), layout="constrained")
for k, ax in enumerate(axes.ravel()):
    overlay(ax, photos[k], smoothed[k])
    for region, colour in zip(REGIONS.get(names[k], {}), ("cyan", "lime")):
        for x0, y0, x1, y1 in REGIONS[names[k]][region]:
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1.5))
        x0, y0, x1, y1 = REGIONS[names[k]][region][0]
        ty = y0 + 12 if y1 - y0 > 80 else y1 + 12  # sous les petites boîtes
        ax.text(
            x0 + 3,
            ty,
            region,
            color=colour,
            fontsize=8,
            weight="bold",
            bbox={"facecolor": "black", "alpha": 0.6, "pad": 1, "linewidth": 0},
        )
    ax.set_title(titles[k].replace("\n", " "), fontsize=9)
    ax.set_axis_off()
fig.suptitle("Cartes lissées (σ = 4 px) superposées aux photos ; boîtes tracées à la main", fontsize=10)
plt.show()

# %%
rows, q1 = [], {}
for k, name in enumerate(names):
    total = maps_np[k].sum()
    peak = np.unravel_index(smoothed[k].argmax(), smoothed[k].shape)
    for region, boxes in REGIONS.get(name, {}).items():
        mask = region_mask(boxes)
        area, share = mask.mean(), maps_np[k][mask].sum() / total
        q1[name, region] = share / area
        rows.append(
            {
                "photo": name,
                "classe prédite": model.class_name(int(predicted[k])),
                "région": region,
                "aire de la région": f"{area:.0%}",
                "part de la saillance": f"{share:.0%}",
                "concentration (part / aire)": share / area,
                "pic de la carte lissée dedans": "oui" if mask[peak] else "non",
            }
        )
tp8.course.table(rows, floatfmt="{:.2f}")

# %% tags=["hide-input"]
edges = [rank_corr(maps_np[k], filters.sobel(color.rgb2gray(photos[k]))) for k in range(len(names))]
top5 = [np.sort(m.ravel())[::-1][: m.size // 20].sum() / m.sum() for m in maps_np]
big = [q1[key] for key in [("coffee", "tasse"), ("motorcycle", "moto"), ("china", "pagode"), ("flower", "fleur")]]
display(
    Markdown(
        f"""
**Lecture.** Une concentration de 1 signifie « pas plus de saillance dans la région qu'ailleurs ». Pour
les grandes boîtes (tasse, moto, pagode, fleur), elle ne va que de {fr(min(big))} à {fr(max(big))} :
**la carte brute de SqueezeNet est très diffuse**. Les 5 % de pixels les plus saillants ne portent que
{pc(np.median(top5))} de la masse totale (médiane sur les huit photos), et la corrélation de rang entre la
carte et le module du gradient de l'image (filtre de Sobel, qui répond aux contours) reste entre
{fr(min(edges), sign=True)} et {fr(max(edges), sign=True)} : ce n'est pas non plus un détecteur de contours.

La carte **lissée**, elle, raconte une histoire cohérente avec la classe prédite, et c'est là l'essentiel
de l'interprétation :

- *espresso* : la saillance est {fr(q1["coffee", "café"], 1)} fois plus dense que la moyenne sur la
  surface du café, contre {fr(q1["coffee", "tasse"], 1)} sur l'ensemble de la tasse : c'est le liquide
  (sa couleur, sa mousse), plus que la porcelaine, qui fait l'*espresso* ;
- *bow tie* pour Grace Hopper : densité {fr(q1["grace_hopper", "nœud papillon"], 1)} fois la moyenne sur
  le nœud papillon, {fr(q1["grace_hopper", "visage"], 1)} sur le visage. Le réseau a bien « regardé »
  l'objet qu'il nomme, alors qu'un humain dirait « portrait d'une officière » ;
- *mosque* pour la fusée : densité {fr(q1["rocket", "pylônes"], 1)} fois la moyenne sur les deux pylônes,
  {fr(q1["rocket", "fusée"], 1)} sur la fusée elle-même. Deux tours fines et verticales de part et d'autre
  d'un édifice : pour un réseau entraîné sur ImageNet, ce sont des **minarets**. La carte explique
  l'erreur ;
- *honeycomb* pour le dahlia : la fleur n'est pas plus saillante que le fond (concentration
  {fr(q1["flower", "fleur"])}) ; aucune forme ne ressort, ce qui suggère que c'est la **texture**
  régulière des pétales, semblable à des alvéoles, qui décide.

Autrement dit, la carte de saillance répond à « qu'est-ce qui, *dans cette image*, fait monter le score
de *cette* classe ? », et cette question est souvent plus instructive quand le réseau se trompe.
"""
    )
)

# %% [markdown]
# <a id="q2"></a>
# ## Q2 — Les limites, mesurées
#
# Le développement de Taylor n'est valable que dans un voisinage infinitésimal de $x$. Trois expériences
# montrent ce que cela coûte.
#
# ### (a) Une carte instable : un bruit invisible suffit à la redessiner
#
# On ajoute à chaque image un bruit gaussien d'écart-type $\sigma = 1/255$ (un niveau de gris sur 255,
# invisible et sans effet sur la prédiction), puis on recalcule les cartes **pour la même classe**.

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
        "ρ (cartes brutes)": rank_corr(maps_np[k], maps_noisy[k]),
        "ρ (cartes lissées)": rank_corr(smoothed[k], smooth(maps_noisy[k])),
        "top 5 % communs": top_overlap(maps_np[k], maps_noisy[k]),
    }
    for k, name in enumerate(names)
]
baseline = np.mean([rank_corr(maps_np[k], maps_np[(k + 1) % len(names)]) for k in range(len(names))])
tp8.course.table(noise_rows, floatfmt="{:.2f}")

# %%
pick = [names.index("coffee"), names.index("motorcycle")]
tp8.plot_saliency(
    torch.stack([t for k in pick for t in (images[k], noisy[k])]),
    torch.from_numpy(np.stack([m for k in pick for m in (maps_np[k], maps_noisy[k])])),
    [t for k in pick for t in (f"{names[k]} (originale)", f"{names[k]} + bruit σ = 1/255")],
)
plt.show()

# %% tags=["hide-input"]
rho_raw = [r["ρ (cartes brutes)"] for r in noise_rows]
rho_smooth = [r["ρ (cartes lissées)"] for r in noise_rows]
overlap = [r["top 5 % communs"] for r in noise_rows]
display(
    Markdown(
        f"""
La classe prédite est inchangée pour {pc(same_class)} des images bruitées, et pourtant la corrélation de
rang entre la carte originale et la carte bruitée n'est que de {fr(min(rho_raw), 2)} à {fr(max(rho_raw), 2)}.
Pour situer ce chiffre : deux cartes de **photos différentes** ont déjà une corrélation moyenne de
{fr(baseline)} (en partie à cause du motif en damier décrit plus bas, commun à toutes les cartes). Surtout, parmi les 5 % de pixels les plus
saillants, seuls {pc(np.mean(overlap))} en moyenne le restent après le bruit : le détail fin de la carte
est en bonne partie du bruit de gradient. Après lissage, la corrélation remonte à
{fr(min(rho_smooth), 2)}–{fr(max(rho_smooth), 2)} : seule la structure grossière est fiable. C'est l'idée de
*SmoothGrad* (Smilkov et al., 2017), qui moyenne les cartes de plusieurs copies bruitées de l'image.
"""
    )
)

# %% [markdown]
# ### (b) Une carte peu spécifique de la classe
#
# Si la carte expliquait vraiment *la classe*, la carte d'une autre classe devrait être différente. On
# calcule, sur les mêmes images, la carte de la **2ᵉ classe** prédite et celle d'une classe sans rapport,
# *goldfish* (poisson rouge), en un seul appel.

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
        "photo": name,
        "classe prédite": model.class_name(int(predicted[k])),
        "2e classe": model.class_name(int(second[k])),
        "ρ (prédite, 2e)": rank_corr(maps_np[k], maps_second[k]),
        "ρ (prédite, goldfish)": rank_corr(maps_np[k], maps_goldfish[k]),
        "logit prédite": float(logits[k, predicted[k]]),
        "logit goldfish": float(logits[k, goldfish]),
    }
    for k, name in enumerate(names)
]
tp8.course.table(class_rows, floatfmt="{:.2f}")

# %%
pick = [names.index("coffee"), names.index("grace_hopper")]
sets = [(maps_np, predicted.tolist()), (maps_second, second.tolist()), (maps_goldfish, [goldfish] * n)]
fig, axes = plt.subplots(len(pick), 4, figsize=(10, 5.4), layout="constrained")
for row, k in zip(axes, pick):
    row[0].imshow(photos[k])
    row[0].set_title(names[k], fontsize=9)
    for ax, (mm, classes) in zip(row[1:], sets):
        ax.imshow(mm[k], cmap="hot", vmin=0, vmax=np.percentile(mm[k], 99.5))
        c = classes[k]
        ax.set_title(f"carte de « {model.class_name(c)} »\nlogit {fr(float(logits[k, c]), 1)}", fontsize=9)
for ax in axes.ravel():
    ax.set_axis_off()
plt.show()

# %% tags=["hide-input"]
r2 = [r["ρ (prédite, 2e)"] for r in class_rows]
rg = [r["ρ (prédite, goldfish)"] for r in class_rows]
gap = np.mean([r["logit prédite"] - r["logit goldfish"] for r in class_rows])
display(
    Markdown(
        f"""
La carte de la 2ᵉ classe ressemble fortement à celle de la classe prédite (ρ entre {fr(min(r2), 2)} et
{fr(max(r2), 2)}), et même celle de *goldfish*, dont le logit est en moyenne {fr(gap, 0)} points plus bas, reste
corrélée à {fr(min(rg), 2)}–{fr(max(rg), 2)}, bien au-dessus des {fr(baseline, 2)} de deux photos différentes.
Une bonne part de la carte décrit donc **l'image et le réseau** (les pixels auxquels le réseau est
sensible en général) plutôt que **la classe** : des textures contrastées, des zones riches en détails
font monter le gradient de presque tous les logits. Une carte seule ne prouve pas que le réseau « a
utilisé » une zone pour *cette* décision ; il faut la comparer à celles d'autres classes.
"""
    )
)

# %% [markdown]
# ### (c) Un gradient local : saturation, et pourquoi pas la probabilité
#
# Le gradient ne décrit que la pente **en $x$**. Pour voir ce qu'il rate, on suit le score le long du
# chemin $\alpha \mapsto \alpha x$, de l'image noire ($\alpha = 0$) à la photo ($\alpha = 1$), pour la
# classe prédite. Il suffit de passes avant, sans gradient.

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
ax1.set(xlabel="α (image = α · photo)", ylabel="logit de la classe prédite", title="Logit $\\tilde y_c(\\alpha x)$")
ax2.set(xlabel="α (image = α · photo)", ylabel="probabilité", title="Probabilité $\\hat y_c(\\alpha x)$")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
fig.legend(loc="outside right center", fontsize=8)
plt.show()

# %% tags=["hide-input"]
gain = path_logit[-1] - path_logit[0]
early = (path_logit[3] - path_logit[0]) / gain  # part du gain acquise dès α = 0,3
end_slope = (path_logit[-1] - path_logit[-2]) / 0.1 / gain  # pente finale / pente moyenne
drop = path_prob.max(axis=0) - path_prob[-1]
peak_at = path_prob.argmax(axis=0)
falling = [k for k in range(n) if drop[k] > 0.05 and path_logit[-1, k] > path_logit[peak_at[k], k]]
prob_sentence = (
    f"pour {', '.join(names[k] for k in falling)}, la probabilité atteint son maximum avant $\\alpha = 1$ puis "
    f"**redescend** (jusqu'à {100 * max(drop[k] for k in falling):.0f} points de pourcentage), alors que le "
    "logit est plus élevé en $\\alpha = 1$ qu'à ce maximum : d'autres classes ont monté plus vite que la "
    "classe prédite"
    if falling
    else "ici, les probabilités montent avec les logits, mais rien ne le garantit en général"
)
display(
    Markdown(
        f"""
Le logit monte vite puis plafonne : dès $\\alpha = 0{{,}}3$, {pc(np.median(early))} (médiane) du gain total
$\\tilde y_c(x) - \\tilde y_c(0)$ est acquis, et en $\\alpha = 1$ la pente ne vaut plus que
{fr(np.median(end_slope), 2)} fois la pente moyenne du chemin. C'est la **saturation** : les motifs qui
fondent la décision sont déjà « allumés » au maximum, les renforcer ne change plus grand-chose, donc le
gradient en $x$ — donc la carte — les sous-estime. Une carte de gradient mesure une *sensibilité*, pas
une *contribution* ; les *gradients intégrés* (Sundararajan et al., 2017) corrigent ce défaut en
intégrant le gradient le long de ce même chemin.

La courbe de droite illustre le choix du logit : {prob_sentence}. Dériver la probabilité mélangerait ces effets concurrents.
"""
    )
)

# %% [markdown]
# ### (d) Un artefact d'architecture : le damier
#
# En zoomant sur une carte, on voit une grille régulière. SqueezeNet 1.1 commence par une convolution
# 3 × 3 de pas 2 suivie d'un max-pooling 3 × 3 de pas 2 : selon sa position modulo 4, un pixel d'entrée est
# vu par plus ou moins de neurones de la couche suivante, et reçoit donc plus ou moins de gradient. On le
# mesure en moyennant toutes les cartes par position $(i \bmod 4, j \bmod 4)$.


# %%
def phase_profile(saliency_maps, period=4):
    """Saillance moyenne selon (i mod p, j mod p), divisée par la moyenne globale."""
    m = np.asarray(saliency_maps)
    h = m.shape[-1] // period * period
    prof = m[:, :h, :h].reshape(len(m), h // period, period, h // period, period).mean(axis=(0, 1, 3))
    return prof / prof.mean()


profile = phase_profile(maps_np)
k = names.index("coffee")
crop = (slice(40, 80), slice(40, 80))  # 40 × 40 px ; 40 est un multiple de 4
fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6), layout="constrained")
for ax, m, title in (
    (axes[0], maps_np[k], "coffee, zoom 40 × 40 px"),
    (axes[1], maps_noisy[k], "même zone, image + bruit σ = 1/255"),
):
    ax.imshow(m[crop], cmap="hot", vmin=0, vmax=np.percentile(maps_np[k][crop], 99), interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks(range(3, 40, 4), labels=[])  # repères : lignes et colonnes ≡ 3 (mod 4)
    ax.set_yticks(range(3, 40, 4), labels=[])
    ax.tick_params(length=4, color="0.3")
axes[0].set_xlabel("repères : colonnes j ≡ 3 (mod 4)", fontsize=8)
axes[0].set_ylabel("lignes i ≡ 3 (mod 4)", fontsize=8)
im = axes[2].imshow(profile, cmap="viridis", interpolation="nearest")
for (i, j), v in np.ndenumerate(profile):
    axes[2].text(j, i, fr(v), ha="center", va="center", fontsize=8, color="white" if v < 1 else "black")
axes[2].set_title("saillance moyenne selon (i mod 4, j mod 4)", fontsize=9)
axes[2].set(xlabel="j mod 4", ylabel="i mod 4", xticks=range(4), yticks=range(4))
fig.colorbar(im, ax=axes[2], fraction=0.046, label="÷ moyenne globale")
plt.show()

# %% tags=["hide-input"]
display(
    Markdown(
        f"""
Le motif ne dépend pas de l'image : en moyenne sur les huit cartes, la position la plus favorisée reçoit
{fr(profile.max() / profile.min(), 1)} fois plus de saillance que la moins favorisée. Ce damier, visible
dans les zooms (lignes et colonnes sombres en face des repères), est un effet du **pas des convolutions et des poolings** (voir Odena et al., 2016, pour le
même phénomène dans les déconvolutions), et n'a rien à voir avec le contenu de la photo. C'est aussi
pourquoi deux cartes de photos différentes sont corrélées à {fr(baseline, 2)}.

**En résumé**, la carte de saillance est une dérivée : locale (elle ignore la saturation), bruitée (un
changement invisible la redessine), peu spécifique de la classe, et marquée par l'architecture. Elle ne
dit pas non plus *comment* une zone est utilisée (couleur ? forme ? texture ?), ni ce qui se passerait si
on la retirait vraiment — ce que mesurent les méthodes par occultation.
"""
    )
)

# %% [markdown]
# <a id="q3"></a>
# ## Q3 — Une autre utilisation : localiser l'objet sans boîte d'apprentissage
#
# Simonyan et al. (2014, §6) remarquent qu'un réseau entraîné seulement avec des **étiquettes d'images**
# permet, via la carte de saillance, de **localiser** l'objet : c'est de la localisation faiblement
# supervisée, sans aucune boîte annotée à l'entraînement. On en fait une version minimale :
#
# 1. lisser la carte (flou gaussien, σ = 6 px) pour éliminer le grain et le damier ;
# 2. garder les 20 % de pixels les plus saillants ;
# 3. garder la plus grande composante connexe (`skimage.measure.label`) ;
# 4. prendre sa boîte englobante (`regionprops`).
#
# On compare la boîte obtenue aux boîtes tracées à la main en [Q1](#q1) par l'IoU (aire de
# l'intersection sur aire de l'union).


# %%
def localise(saliency, sigma=6.0, keep=0.20):
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


loc_rows = []
fig, axes = plt.subplots(2, 4, figsize=(11, 6), layout="constrained")
for k, ax in enumerate(axes.ravel()):
    mask, box = localise(maps_np[k])
    ax.imshow(photos[k])
    ax.contour(mask, [0.5], colors="cyan", linewidths=1)
    ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1], fill=False, ec="yellow", lw=2))
    candidates = [(iou(box, b), region, b) for region, boxes in REGIONS.get(names[k], {}).items() for b in boxes]
    label = "\n(pas de boîte à la main)"
    if candidates:
        score, region, (x0, y0, x1, y1) = max(candidates)
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="white", lw=1.5, ls="--"))
        label = f"\nIoU = {fr(score)} ({region})"
        loc_rows.append(
            {
                "photo": names[k],
                "classe prédite": model.class_name(int(predicted[k])),
                "région la plus recouverte": region,
                "IoU": score,
            }
        )
    ax.set_title(f"{names[k]} → {model.class_name(int(predicted[k]))}{label}", fontsize=9)
    ax.set_axis_off()
fig.suptitle(
    "Jaune : boîte tirée de la saillance ; cyan : composante retenue ; pointillés : boîte à la main", fontsize=10
)
plt.show()

# %% [markdown]
# Une boîte est un résumé grossier. En s'appuyant sur les couleurs de l'image, on obtient une
# **segmentation** rudimentaire : on découpe la photo en super-pixels (SLIC, des régions de couleur
# homogène) et on garde ceux dont la saillance lissée moyenne dépasse le 80ᵉ centile. Simonyan et al.
# utilisent dans le même esprit une coupe de graphe (*GraphCut*) initialisée par la carte.

# %%
seg_pick = [names.index(p) for p in ("coffee", "rocket", "motorcycle", "grace_hopper")]
fig, axes = plt.subplots(1, 4, figsize=(11, 3.2), layout="constrained")
for ax, k in zip(axes, seg_pick):
    superpixels = segmentation.slic(photos[k], n_segments=120, compactness=10, start_label=0)
    s = smooth(maps_np[k], 2.0)
    mean_per_sp = np.bincount(superpixels.ravel(), s.ravel()) / np.bincount(superpixels.ravel())
    mask = (mean_per_sp > np.quantile(s, 0.8))[superpixels]
    ax.imshow(photos[k] * (0.35 + 0.65 * mask[..., None]))
    ax.contour(mask, [0.5], colors="yellow", linewidths=1)
    ax.set_title(f"{names[k]} → {model.class_name(int(predicted[k]))}\n{mask.mean():.0%} de l'image gardés", fontsize=9)
    ax.set_axis_off()
plt.show()

# %% tags=["hide-input"]
good = [r for r in loc_rows if r["IoU"] >= 0.5]
fair = [r for r in loc_rows if r["IoU"] >= 0.3]
iou_of = {r["photo"]: r["IoU"] for r in loc_rows}
display(tp8.course.table(loc_rows, floatfmt="{:.2f}"))
display(
    Markdown(
        f"""
Avec une seule carte de gradient et quelques lignes de traitement d'image, {len(good)} boîte(s) sur
{len(loc_rows)} atteignent une IoU d'au moins 0,5 avec une boîte tracée à la main (le seuil usuel pour
compter une détection comme correcte), et {len(fair)} sur {len(loc_rows)} dépassent 0,3. Surtout, la
boîte trouvée désigne **ce qui a motivé la classe prédite**, pas forcément l'objet principal : pour la
fusée, elle se pose sur un pylône (le « minaret » de *mosque*) ; pour le dahlia, dont la décision ne
repose sur aucune zone précise, elle tombe sur le fond (IoU {fr(iou_of["flower"])}). La localisation
hérite des erreurs et des raccourcis du classifieur. La segmentation par super-pixels épouse mieux les
contours (la surface du café, le réservoir rouge de la moto) mais garde des fragments de fond. Ce n'est
pas un détecteur d'objets ; c'est un détecteur *gratuit*, obtenu sans aucune annotation de position.

D'autres usages, au-delà de l'interprétation :

- **déboguer un jeu de données** : une saillance concentrée sur un filigrane, une légende, le bord de
  l'image ou un fond récurrent signale un biais de collecte (les chevaux reconnus à leur copyright, les
  pneumonies reconnues au type de scanner) ;
- **détecter les raccourcis** (*shortcut learning*) avant le déploiement : comparer la saillance d'images
  correctement classées à l'objet attendu, comme on l'a fait en [Q1](#q1) ;
- **guider l'attention** : recadrer automatiquement une photo sur sa zone saillante (vignettes), ou
  choisir où calculer plus finement ;
- **amorcer une annotation** : les masques ci-dessus peuvent servir de pseudo-étiquettes pour entraîner
  un vrai segmenteur ;
- **construire des attaques** : la carte indique où une petite perturbation change le plus le score —
  exactement l'ingrédient de la [partie 2](../partie-2-adversaires/).
"""
    )
)

# %% [markdown]
# <a id="q4"></a>
# ## Q4 — Les mêmes cartes avec un second réseau
#
# Le sujet propose VGG16. On charge le second réseau avec `tp8.course.second_network()` ; s'il n'a pas pu
# être chargé, un avertissement ci-dessous le dit et indique le réseau qui le remplace.

# %%
quiet = io.StringIO()  # taire le message de la tentative de téléchargement (hors ligne)
with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
    net2 = tp8.course.second_network()
if net2.message is not None:
    display(net2.message)

# %%
if net2.model is not None:
    model2 = net2.model
    print(f"{model2.name} — poids : {model2.weights_source}")
    maps2 = tp8.saliency_map(model2, images).numpy()
    top2 = model2.predict(images, k=1)
    smoothed2 = np.stack([smooth(m) for m in maps2])
    show = [names.index(p) for p in ("chelsea", "coffee", "rocket", "motorcycle", "flower", "grace_hopper")]
    fig, axes = plt.subplots(3, len(show), figsize=(11.4, 6.4), layout="constrained")
    for col, k in enumerate(show):
        axes[0, col].imshow(photos[k])
        axes[0, col].set_title(names[k], fontsize=9)
        for row, (mm, top) in enumerate(((maps_np, top3), (maps2, top2)), start=1):
            axes[row, col].imshow(mm[k], cmap="hot", vmin=0, vmax=np.percentile(mm[k], 99.5))
            axes[row, col].set_title(f"{top[k][0][0]} ({top[k][0][1]:.0%})", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("photo", fontsize=9)
    axes[1, 0].set_ylabel(model.name, fontsize=9)
    axes[2, 0].set_ylabel(model2.name, fontsize=9)
    plt.show()

# %%
if net2.model is not None:
    pairs = [
        {
            "photo": name,
            f"classe ({model.name})": top3[k][0][0],
            f"classe ({model2.name})": top2[k][0][0],
            "ρ brute": rank_corr(maps_np[k], maps2[k]),
            "ρ lissée": rank_corr(smoothed[k], smoothed2[k]),
        }
        for k, name in enumerate(names)
    ]
    cross = np.mean([rank_corr(smoothed[k], smoothed2[(k + 1) % n]) for k in range(n)])
    display(tp8.course.table(pairs, floatfmt="{:.2f}"))

# %% tags=["hide-input"]
if net2.model is not None:
    n_params = sum(p.numel() for p in model2.parameters()) / 1e6
    ref_params = sum(p.numel() for p in model.parameters()) / 1e6
    first_conv = next(m for m in model2.modules() if isinstance(m, torch.nn.Conv2d))
    describe = {
        "vgg16": "VGG16 (Simonyan et Zisserman, 2015) : treize convolutions 3 × 3 empilées, cinq max-poolings "
        "et trois couches entièrement connectées",
        "squeezenet1_0": "SqueezeNet 1.0, la première version du même réseau : mêmes modules *Fire*, mais une "
        "première convolution plus large et des sous-échantillonnages placés plus tard",
    }.get(model2.name, f"{model2.name}")
    agree = sum(top3[k][0][0] == top2[k][0][0] for k in range(n))
    raw = [p["ρ brute"] for p in pairs]
    smo = [p["ρ lissée"] for p in pairs]
    prof2 = phase_profile(maps2)
    conc2 = {
        (name, region): maps2[names.index(name)][region_mask(b)].sum()
        / maps2[names.index(name)].sum()
        / region_mask(b).mean()
        for name, regs in REGIONS.items()
        for region, b in regs.items()
    }
    same_story = [key for key in conc2 if (conc2[key] > 1) == (q1[key] > 1)]
    checker2 = prof2.max() / prof2.min()
    pixel_verdict = (
        "ne se ressemblent presque pas"
        if np.median(raw) < 0.35
        else "ne se ressemblent qu'en partie"
        if np.median(raw) < 0.6
        else "se ressemblent déjà nettement"
    )
    checker_verdict = (
        "bien plus faible que"
        if checker2 < 0.6 * (profile.max() / profile.min())
        else "comparable à"
        if checker2 < 1.5 * (profile.max() / profile.min())
        else "plus fort que"
    )
    smooth_verdict = (
        "les deux réseaux s'accordent davantage sur *où* regarder que sur *quels pixels* exactement"
        if np.median(smo) > np.median(raw) and np.median(smo) > cross
        else "même lissées, les deux cartes ne s'accordent guère mieux qu'avec une photo quelconque"
    )
    display(
        Markdown(
            f"""
Le second réseau est {describe} ({fr(n_params, 2 if n_params < 10 else 0)} M de paramètres contre
{fr(ref_params)} M pour {model.name} ; première convolution {first_conv.kernel_size[0]} ×
{first_conv.kernel_size[1]} de pas {first_conv.stride[0]}). Les deux réseaux donnent la même classe pour
{agree} photo(s) sur {n}.

**Au niveau du pixel, les cartes des deux réseaux {pixel_verdict}** : corrélation de rang brute entre
{fr(min(raw))} et {fr(max(raw))} (médiane {fr(np.median(raw))}). Le grain fin dépend de l'architecture —
le damier de {model2.name} (rapport max/min de {fr(checker2, 1)} selon la position modulo 4) est
{checker_verdict} celui de {model.name} ({fr(profile.max() / profile.min(), 1)}) — et du bruit de
gradient vu en Q2. Après **lissage**, la corrélation vaut {fr(min(smo))} à {fr(max(smo))} (médiane
{fr(np.median(smo))}), à comparer aux {fr(cross)} obtenus en associant des photos différentes :
{smooth_verdict}. Sur les régions tracées en Q1, le sens de la concentration (au-dessus ou au-dessous
de la moyenne) est le même pour les deux réseaux dans {len(same_story)} région(s) sur {len(conc2)}.

La leçon : une carte de saillance est une propriété du couple (image, réseau), pas de l'image seule.
Deux réseaux qui prennent la même décision peuvent la « justifier » par des cartes différentes ; raison
de plus pour ne lire que la structure grossière, et de préférence en comparant plusieurs cartes.
"""
        )
    )

# %% [markdown]
# ## À retenir
#
# - La carte de saillance est le module du gradient du **logit** de la classe par rapport aux pixels,
#   maximisé sur les couleurs : le poids de chaque pixel dans la meilleure approximation linéaire locale
#   du réseau. Elle coûte une passe arrière.
# - Lue après lissage, elle montre souvent **ce qui a motivé la classe prédite**, y compris quand cette
#   classe est fausse (les pylônes-minarets de *mosque*, le nœud papillon de *bow tie*).
# - Elle est **locale** (saturation), **instable** (un bruit invisible la redessine), **peu spécifique**
#   de la classe et marquée par l'**architecture** (damier) : il faut la lisser, la comparer à d'autres
#   classes et d'autres réseaux, et se méfier du détail fin.
# - Elle sert aussi à **localiser** un objet sans annotation de position, et à **déboguer** données et
#   modèles.
#
# Le même gradient $\partial \tilde y_c / \partial x$ peut être utilisé dans l'autre sens : au lieu de
# le *regarder*, on peut *suivre* sa direction pour changer l'image. Avec une toute petite modification,
# on fait alors dire au réseau n'importe quelle classe : ce sont les exemples adversaires de la
# [partie 2](../partie-2-adversaires/).
