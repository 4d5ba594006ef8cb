# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tp8:
#     min_figures: 4
# ---

# %% [markdown]
# # Des images lisibles
#
# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

import tp8
from tp8.course import claim, num, pct, prob, sci, second_network, show, table

torch.manual_seed(0)
model = tp8.load_model()  # SqueezeNet 1.1 (Iandola et al., 2016), pré-entraîné sur ImageNet


def md(text: str) -> None:
    """Affiche du Markdown calculé : les nombres cités viennent de l'exécution."""
    display(Markdown(text))


def mesures(net, images, targets):
    """Score ỹ, probabilité p, probabilité des autres classes (1 − p) et ‖z‖₂ de chaque image."""
    targets = torch.as_tensor(targets).reshape(-1)
    with torch.no_grad():
        scores = net(images)
    probas = scores.softmax(dim=1)
    rows = torch.arange(images.shape[0])
    return {
        "score": scores[rows, targets],
        "proba": probas[rows, targets],
        "reste": probas.scatter(1, targets[:, None], 0.0).sum(dim=1),  # 1 − p sans erreur d'arrondi
        "norme": net.normalize(images).flatten(1).norm(dim=1),
    }


# %% [markdown]
# <a id="lisibles"></a>
# ## Des images lisibles
#
# *Cette section va au-delà du TP.* Les images obtenues jusqu'ici convainquent SqueezeNet 1.1, mais
# on y devine des fragments de la classe plus qu'on ne l'y voit, et la question Q11 a montré qu'un
# second réseau les reconnaît mal : une bonne part de ce qu'elles contiennent ne « parle » qu'au
# réseau qui les a produites, comme un exemple adversaire. Olah, Mordvintsev et Schubert (2017) et
# Mordvintsev et al. (2018) gardent le principe — une montée de gradient sur l'entrée, poids
# figés — mais changent **l'espace dans lequel on monte** et **ce que l'on exige de l'image**.
# `tp8.feature_visualization` réunit leurs trois ingrédients, tels que les met en œuvre Lucid, la
# bibliothèque de ces auteurs.
#
# 1. **Une image décrite par ses fréquences, à spectre en $1/f$.** En moyenne, l'amplitude de la
#    transformée de Fourier d'une photo décroît comme $1/f$ avec la fréquence spatiale $f$ (sa
#    puissance comme $1/f^2$) : les grandes structures portent l'essentiel du contraste, les
#    détails fins très peu. Le gradient du score par rapport aux pixels a le profil inverse : il est
#    dominé par les hautes fréquences, celles qu'exploitaient les exemples adversaires de la
#    partie 2. On n'optimise donc plus les pixels mais des coefficients de Fourier $\theta$,
#    multipliés par $s(f) = 1/\max(f, 1/224)$ avant la transformée inverse $\mathcal F^{-1}$. Adam
#    déplace chaque coefficient d'un pas de taille comparable : chaque mise à jour de l'image a donc
#    elle-même un spectre en $1/f$, et le même gradient, exprimé dans cette base, construit des
#    formes plutôt que du grain.
# 2. **Des couleurs décorrélées.** Dans une photo, les trois canaux varient presque ensemble (le
#    tableau plus bas mesure leur corrélation) : l'essentiel des variations est de luminosité,
#    les variations de teinte sont faibles. On décrit chaque pixel par trois composantes
#    indépendantes — une luminance et deux axes de couleurs opposées — que l'on ramène en RVB par
#    la racine carrée $M = U\,\mathrm{diag}(\sqrt{\lambda})$ de la covariance
#    $\Sigma = U\,\mathrm{diag}(\lambda)\,U^\top$ des couleurs d'ImageNet (la matrice de Lucid,
#    `IMAGENET_COLOR_SQRT` dans le module `tp8.feature_visualization`). Un pas sur une composante
#    déplace l'image le long d'un axe de couleur naturel ; une montée en RVB pousse au contraire
#    chaque canal pour son compte, ce qui sature les couleurs. Une sigmoïde $\sigma$ ramène enfin
#    chaque pixel dans $]0, 1[$, sans écrêtage.
# 3. **La robustesse aux transformations.** Avant chaque passe avant, l'image reçoit une bordure
#    grise de 12 pixels, puis est décalée d'au plus 8 pixels, agrandie ou réduite d'au plus 10 %,
#    tournée d'au plus 10° et décalée encore d'au plus 4 pixels, par des opérations tirées au
#    hasard et différentiables, que le gradient traverse. Un motif ne survit que s'il fait monter
#    le score quelles que soient sa position, sa taille et son orientation : on exige de l'image
#    l'**invariance** que le réseau a apprise sur de vraies photos, ce qui écarte les motifs
#    accrochés à la grille des pixels. La translation aléatoire du TP en était un premier pas.
#
# En tout, l'image est $x(\theta) = \sigma\big(M\,\mathcal F^{-1}(s \odot \theta)\big)$ et chaque pas
# est $\theta \leftarrow \theta + \mathrm{Adam}\big(\nabla_\theta\, J(T(x(\theta)))\big)$, où $T$ est
# la transformation aléatoire du pas. L'objectif $J$ est le score de la classe moins la moyenne des
# 999 autres scores, $J = \tilde y_c - \frac{1}{999}\sum_{j \ne c} \tilde y_j$ : le score seul peut
# aussi monter par ce qui fait monter *tous* les scores (du contraste, des couleurs saturées),
# qu'un réseau récompense et un autre pas ; la log-probabilité, à l'inverse, passe une partie de la
# montée à faire baisser chacune des 999 autres classes, ce qui est la recette des exemples
# adversaires. Retrancher la moyenne enlève la part commune sans poursuivre chaque concurrent ; le
# banc d'essai du dépôt (`benchmarks/bench_feature_visualization.py`) compare les trois objectifs
# sur dix classes, et c'est avec celui-ci que le second réseau reconnaît le plus d'images. Aucune
# pénalité $L_2$ n'est nécessaire : la sigmoïde borne les pixels, et le spectre en $1/f$ rend les
# détails fins coûteux.

# %%
with tp8.course.Stopwatch() as chrono_lisibles:
    lisibles = tp8.feature_visualization(model, CLASSES, snapshot_every=5, seed=0)

# %% tags=["hide-input"]
second = net2.model  # le second réseau de Q11, qui n'a jamais vu la montée
n_cl = len(CLASSES)


def jugement(resultat):
    """Probabilité de la classe visée pour SqueezeNet 1.1 ; son rang (1 = premier choix) et sa probabilité pour
    le second réseau."""
    p = [r["p"] for r in resultat.rows(model)]
    vus = resultat.rows(second) if second is not None else []
    return p, [r["rank"] for r in vus], [r["p"] for r in vus]


def resume(nom, resultat, secondes):
    """Une ligne de tableau : probabilités, reconnaissance par le second réseau, temps par classe."""
    p, rangs, p2 = jugement(resultat)
    ligne = {"méthode": nom, f"p moyen ({model.name})": float(np.mean(p)), "p minimal": float(np.min(p))}
    if second is not None:
        ligne[f"top-1 ({second.name})"] = sum(r == 1 for r in rangs)
        ligne["top-5"] = sum(r <= 5 for r in rangs)
        ligne[f"p moyen ({second.name})"] = float(np.mean(p2))
    ligne["secondes par classe"] = secondes
    return ligne


p_tp, rang_tp, _ = jugement(viz)
p_li, rang_li, _ = jugement(lisibles)
cote = [CLASSES.index(c) for c in ("flamingo", "tarantula", "king penguin", "volcano")]
fig, axes = tp8.plotting.tile_figure(2, len(cote), title_lines=3, row_label_px=18)
for col, k in enumerate(cote):
    for row, (images, p, rangs) in enumerate(((viz.images, p_tp, rang_tp), (lisibles.images, p_li, rang_li))):
        rang = f"\nrang {rangs[k]} pour {second.name}" if second is not None else ""
        tp8.plotting.show_tile(axes[row, col], tp8.to_numpy(images[k]), f"{CLASSES[k]}\np = {num(p[k], 3)}{rang}")
tp8.plotting.row_label(fig, axes[0, 0], "méthode du TP", 8)
tp8.plotting.row_label(fig, axes[1, 0], "feature_visualization", 8)
show(
    fig,
    alt="Deux rangées de quatre images, pour flamingo, tarantula, king penguin et volcano. En haut, les images de la "
    "méthode du TP : des motifs colorés et granuleux répétés sur un fond gris-vert. En bas, celles de "
    "feature_visualization : des flamants entiers posés sur l'eau, des tarentules velues, des manchots debout et "
    "des cônes de volcan, aux couleurs plus douces et plus naturelles. Chaque titre donne la probabilité de la "
    "classe pour SqueezeNet 1.1 et son rang pour le second réseau.",
)

# %% tags=["hide-input"]
colonnes = {f"p moyen ({model.name})": 3, "p minimal": 3, "secondes par classe": 1}
if second is not None:
    colonnes[f"p moyen ({second.name})"] = 3
ligne_tp = resume("méthode du TP", viz, chrono_tp.seconds / n_cl)
ligne_li = resume("feature_visualization", lisibles, chrono_lisibles.seconds / n_cl)
display(table([ligne_tp, ligne_li], digits=colonnes))
if second is not None:
    top1_tp, top1_li = ligne_tp[f"top-1 ({second.name})"], ligne_li[f"top-1 ({second.name})"]
    top5_tp, top5_li = ligne_tp["top-5"], ligne_li["top-5"]
    p2_tp, p2_li = ligne_tp[f"p moyen ({second.name})"], ligne_li[f"p moyen ({second.name})"]
    # Le mot suit la mesure : « nettement » seulement si l'écart en tête atteint trois images.
    mieux = "nettement mieux" if top1_li >= top1_tp + 3 else "mieux"
    md(
        "Les deux méthodes convainquent SqueezeNet 1.1 (la probabilité laissée aux autres classes ne dépasse pas "
        f"{sci(1 - min(p_tp + p_li))}), mais le second réseau, `{second.name}`, place la classe visée en tête pour "
        f"{top1_tp} des {n_cl} images du TP et pour {top1_li} des {n_cl} nouvelles, dans ses cinq premiers "
        f"choix pour {top5_tp} et {top5_li} d'entre elles, et lui donne en moyenne une probabilité de "
        f"{num(p2_tp, 2)} contre {num(p2_li, 2)} : "
        + claim(
            top1_li >= top1_tp and top5_li >= top5_tp and p2_li >= p2_tp + 0.1,
            f"les nouvelles images se transfèrent {mieux}",
        )
        + ". "
        + claim(
            top1_li >= 3 * n_cl // 4,
            "Ce que la montée y a dessiné n'est plus propre à un réseau : pour la plupart des classes, ce sont des "
            "indices que deux réseaux entraînés séparément partagent",
        )
        + f". Elles ont demandé {num(chrono_lisibles.seconds / n_cl, 1)} s par classe contre "
        f"{num(chrono_tp.seconds / n_cl, 1)} s pour la méthode du TP (soit "
        f"{num(chrono_lisibles.seconds / chrono_tp.seconds, 1)} fois son temps), les huit classes en un seul appel, "
        "sur le processeur qui a construit cette page."
    )
else:
    md("Le second réseau n'est pas disponible ici : seule la probabilité sur SqueezeNet 1.1 est mesurée.")

# %% [markdown]
# ### Ce que mesurent les images
#
# Les trois ingrédients visent des propriétés des photos que l'on peut mesurer sur les images
# elles-mêmes : la pente de leur spectre de puissance en échelle log-log (environ $-2$ pour des
# photos, $0$ pour un bruit blanc ; moins elle est négative, plus l'image est riche en détails
# fins), la part de leur énergie dans les motifs de moins de 4 pixels, et la corrélation moyenne
# entre leurs canaux R, V et B. On compare les huit photos libres de `tp8.sample_images()` aux
# images des deux méthodes.

# %% tags=["hide-input"]
from tp8.feature_visualization import spectrum_slope

photos_libres = torch.stack([s.image for s in tp8.sample_images()])


def correlation_couleurs(images):
    """Corrélation moyenne entre les canaux (R, V), (R, B) et (V, B) des pixels, moyennée sur les images."""
    valeurs = []
    for image in images:
        c = torch.corrcoef(image.reshape(3, -1).double())
        valeurs.append(float((c[0, 1] + c[0, 2] + c[1, 2]) / 3))
    return float(np.mean(valeurs))


def proprietes(nom, images):
    return {
        "images": nom,
        "pente du spectre": float(spectrum_slope(images).mean()),
        "énergie sous 4 pixels": float(tp8.course.high_frequency_share(images).mean()),
        "corrélation R-V-B": correlation_couleurs(images),
    }


photo_s = proprietes("photos libres", photos_libres)
tp_s = proprietes("méthode du TP", viz.images)
li_s = proprietes("feature_visualization", lisibles.images)
display(
    table([photo_s, tp_s, li_s], digits={"pente du spectre": 2, "énergie sous 4 pixels": 3, "corrélation R-V-B": 2})
)
md(
    f"Le spectre des images du TP est bien plus plat que celui des photos (pente {num(tp_s['pente du spectre'])} "
    f"contre {num(photo_s['pente du spectre'])}) : "
    + claim(
        tp_s["pente du spectre"] > photo_s["pente du spectre"] + 0.5
        and tp_s["énergie sous 4 pixels"] > 2 * photo_s["énergie sous 4 pixels"],
        "elles sont faites de détails fins",
    )
    + f", avec {pct(tp_s['énergie sous 4 pixels'], 1)} de leur énergie dans les motifs de moins de 4 pixels, contre "
    f"{pct(photo_s['énergie sous 4 pixels'], 1)} pour les photos. Les nouvelles images ont une pente de "
    f"{num(li_s['pente du spectre'])} et {pct(li_s['énergie sous 4 pixels'], 1)} de leur énergie sous 4 pixels : "
    + claim(
        abs(li_s["pente du spectre"] - photo_s["pente du spectre"])
        < abs(tp_s["pente du spectre"] - photo_s["pente du spectre"]) / 2,
        "leur spectre est bien plus proche de celui des photos",
    )
    + ". De même, leurs canaux sont corrélés presque comme ceux des photos (corrélation moyenne de "
    f"{num(li_s['corrélation R-V-B'])} contre {num(photo_s['corrélation R-V-B'])}), alors que "
    + claim(
        tp_s["corrélation R-V-B"] < photo_s["corrélation R-V-B"] - 0.3
        and abs(li_s["corrélation R-V-B"] - photo_s["corrélation R-V-B"])
        < abs(tp_s["corrélation R-V-B"] - photo_s["corrélation R-V-B"]) / 2,
        "la montée sur les pixels RVB décorrèle les couleurs",
    )
    + f" (corrélation de {num(tp_s['corrélation R-V-B'])}) : d'où ses verts, ses magentas et ses jaunes saturés, "
    "qu'une photo ne juxtapose presque jamais."
)

# %% [markdown]
# ### Chaque ingrédient, retiré à son tour
#
# Pour savoir ce que chaque ingrédient apporte, on le retire seul, toutes choses égales par ailleurs
# (même graine, mêmes autres réglages), et l'on refait les mêmes mesures sur quatre des huit
# classes ; chaque transformation est retirée seule, puis les quatre à la fois. Sans Fourier, $\theta$
# décrit directement les pixels, toujours en couleurs décorrélées et à travers la sigmoïde ; sans
# décorrélation, les trois composantes de $\theta$ sont R, V et B. La première ligne reprend les
# quatre images de la méthode complète calculées plus haut : dans un lot, les images évoluent
# indépendamment les unes des autres (même départ, mêmes transformations), si bien que les trois
# images de Q11, calculées en un lot de trois, sont au niveau de gris près celles du lot de huit.
# La figure montre la classe `flamingo` dans quatre des variantes.

# %% tags=["remove-cell"]
if net2.model is not None:
    ecart_lots = float((lisibles.images[idx2] - lisibles_1.images).abs().max())
    claim(ecart_lots < 1 / 255, "sont au niveau de gris près celles du lot de huit")

# %%
CLASSES_ABL = ["flamingo", "tarantula", "king penguin", "volcano"]
RETRAITS = {
    "sans Fourier (pixels)": {"fourier": False},
    "sans décorrélation des couleurs": {"decorrelate": False},
    "sans bordure": {"pad": 0},
    "sans translations": {"jitter": 0},
    "sans zoom aléatoire": {"scale": 0},
    "sans rotation": {"rotation": 0},
    "sans aucune transformation": {"pad": 0, "jitter": 0, "scale": 0, "rotation": 0},
}
ablation = {"méthode complète": (lisibles[[CLASSES.index(c) for c in CLASSES_ABL]], chrono_lisibles.seconds / n_cl)}
for nom, reglage in RETRAITS.items():
    with tp8.course.Stopwatch() as chrono:
        resultat = tp8.feature_visualization(model, CLASSES_ABL, seed=0, snapshot_every=0, **reglage)
    ablation[nom] = (resultat, chrono.seconds / len(CLASSES_ABL))

# %% tags=["hide-input"]
lignes_abl = {}
for nom, (resultat, secondes) in ablation.items():
    ligne = resume(nom, resultat, secondes)
    ligne["pente du spectre"] = float(spectrum_slope(resultat.images).mean())
    ligne["corrélation R-V-B"] = correlation_couleurs(resultat.images)
    lignes_abl[nom] = ligne
display(table(list(lignes_abl.values()), digits={**colonnes, "pente du spectre": 2, "corrélation R-V-B": 2}))
montres = ["méthode complète", "sans Fourier (pixels)", "sans décorrélation des couleurs", "sans aucune transformation"]
fig, axes = tp8.plotting.tile_figure(1, len(montres), title_lines=2)
for ax, nom in zip(axes[0], montres):
    resultat = ablation[nom][0]
    tp8.plotting.show_tile(ax, tp8.to_numpy(resultat.images[0]), f"{nom}\np = {num(resultat.rows(model)[0]['p'], 3)}")
show(
    fig,
    alt="Quatre images de la classe flamingo : la méthode complète, des flamants entiers sur l'eau ; sans Fourier, "
    "des flamants pâles noyés dans un grain fin ; sans décorrélation des couleurs, des flamants rouge vif sur un "
    "fond vert et jaune ; sans aucune transformation, des flamants fragmentés en motifs plus serrés.",
)

# %% tags=["hide-input"]
ref = lignes_abl["méthode complète"]
sans_f = lignes_abl["sans Fourier (pixels)"]
sans_d = lignes_abl["sans décorrélation des couleurs"]
sans_t = lignes_abl["sans aucune transformation"]
une_t = [lignes_abl[k] for k in ("sans bordure", "sans translations", "sans zoom aléatoire", "sans rotation")]
p_abl = min(ligne["p minimal"] for ligne in lignes_abl.values())
texte_abl = (
    f"Aucune variante n'entame la conviction de SqueezeNet 1.1 (la probabilité laissée aux autres classes ne "
    f"dépasse {sci(1 - p_abl)} dans aucune) : "
    + claim(p_abl > 0.99, "les ingrédients ne servent pas à convaincre le réseau qui fait la montée")
    + ", ils changent ce que contient l'image. "
    f"**Fourier.** Sans lui, la pente du spectre passe de {num(ref['pente du spectre'])} à "
    f"{num(sans_f['pente du spectre'])} : "
    + claim(sans_f["pente du spectre"] > ref["pente du spectre"] + 0.5, "l'image se remplit de détails fins")
    + ", comme avec la méthode du TP. "
    f"**Couleurs.** Sans décorrélation, la corrélation entre canaux tombe de {num(ref['corrélation R-V-B'])} à "
    f"{num(sans_d['corrélation R-V-B'])} : "
    + claim(
        sans_d["corrélation R-V-B"] < ref["corrélation R-V-B"] - 0.1,
        "quand on n'impose plus la corrélation des couleurs, c'est l'image qui la perd",
    )
    + ", et ses couleurs se saturent. "
)
proches = all(
    abs(ligne["pente du spectre"] - ref["pente du spectre"]) < 0.1
    and abs(ligne["corrélation R-V-B"] - ref["corrélation R-V-B"]) < 0.05
    for ligne in une_t
)
texte_abl += (
    "**Transformations.** "
    + claim(proches, "Retirée seule, chaque transformation laisse l'image presque inchangée")
    + " (pente du spectre à moins de 0,1 et corrélation des couleurs à moins de 0,05 de la méthode complète), et "
    + claim(
        abs(sans_t["pente du spectre"] - ref["pente du spectre"]) < 0.3,
        "même sans aucune, la finesse de l'image change à peine",
    )
    + f" (pente de {num(sans_t['pente du spectre'])}). "
)
if second is not None:
    t1, p2 = f"top-1 ({second.name})", f"p moyen ({second.name})"
    n_abl = len(CLASSES_ABL)
    p2_une = min(ligne[p2] for ligne in une_t)
    texte_abl += (
        f"Ce qu'elles changent se voit avec `{second.name}` : privée d'une seule d'entre elles, l'image garde pour "
        f"lui une probabilité moyenne d'au moins {num(p2_une, 2)} (contre {num(ref[p2], 2)} avec toutes) ; privée des "
        f"quatre, elle tombe à {num(sans_t[p2], 2)}, et il n'en place plus que {sans_t[t1]} des {n_abl} en tête, "
        f"contre {ref[t1]} : "
        + claim(
            sans_t[t1] < ref[t1] and sans_t[p2] < p2_une - 0.3,
            "c'est leur ensemble qui rend l'image lisible par un autre réseau",
        )
        + ", chacune compensant l'absence d'une autre. Une image qui ne convainc le réseau qu'à une position et "
        "une échelle exactes ressemble à un exemple adversaire ; en exigeant qu'elle le convainque encore décalée, "
        "agrandie et tournée, on ne garde que des motifs assez larges et assez stables pour qu'un autre réseau les "
        f"voie. Sans Fourier, il en place {sans_f[t1]} en tête (probabilité moyenne {num(sans_f[p2], 2)}), sans "
        f"décorrélation {sans_d[t1]} ({num(sans_d[p2], 2)}) : sur {n_abl} classes, ces comptes ne départagent que "
        "les écarts nets, et ce sont les mesures sur l'image (spectre, couleurs) qui montrent ce que font ces deux-là."
    )
md(texte_abl)

# %% [markdown]
# ### L'ascension, animée
#
# Les deux montées pour la classe `flamingo`, une image tous les 20 pas, avec sous chaque image la
# probabilité de la classe visée à ce moment : d'abord la méthode du TP, qui part d'un bruit et le
# sculpte par petites touches, puis `feature_visualization`, qui part d'un gris presque uni et y fait
# apparaître d'abord de grandes formes floues, puis leurs détails.


# %% tags=["hide-input"]
def tous_les_20_pas(resultat):
    """Le flamant du lot de huit, une vignette tous les 20 pas (et la dernière) : assez pour voir la montée."""
    flamant = resultat[CLASSES.index("flamingo")]
    fin = flamant.snapshots[-1][0]
    flamant.snapshots = [(t, im) for t, im in flamant.snapshots if t % 20 == 0 or t == fin]
    return flamant


# Sans perte, comme toutes les images de classe du cours : chaque pixel de chaque étape est celui de la montée.
anim_tp, anim_li = tous_les_20_pas(viz), tous_les_20_pas(lisibles)
anim_tp_octets = tp8.animate(anim_tp, model=model, frame_ms=400, lossless=True)
anim_li_octets = tp8.animate(anim_li, model=model, frame_ms=400, lossless=True)
display(
    tp8.course.animation(
        anim_tp_octets,
        alt="Animation de la méthode du TP pour la classe flamingo : un bruit coloré se couvre peu à peu de têtes et "
        "de cous roses de flamant sur un fond granuleux, tandis que la probabilité affichée sous l'image monte vers 1.",
    ),
    tp8.course.animation(
        anim_li_octets,
        alt="Animation de feature_visualization pour la classe flamingo : sur une image grise apparaissent d'abord "
        "des taches roses floues, qui deviennent des flamants entiers, avec leurs pattes et leur bec, tandis que la "
        "probabilité affichée sous l'image monte vers 1.",
    ),
)

# %% tags=["hide-input"]
md(
    f"Les deux animations comptent {len(anim_tp.snapshots)} et {len(anim_li.snapshots)} images et pèsent "
    f"{num(len(anim_tp_octets) / 1e3, 0)} et {num(len(anim_li_octets) / 1e3, 0)} ko, en WebP sans perte "
    "(`lossless=True` : `tp8.animate` refuserait plutôt que de dépasser 1 Mo ; sans cette option, il passerait "
    "à un WebP avec perte). Une vignette tous les 20 pas suffit à suivre la montée ; les "
    "figures fixes plus haut montrent les étapes intermédiaires."
)

