# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tp8:
#     min_figures: 2
#     with_solutions: true
# ---

# %% [markdown]
# # Des images lisibles
#
# *Cette page va au-delà du TP.* La [partie 3](../partie-3-visualisation/) fait monter le score
# d'une classe de SqueezeNet 1.1 en modifiant directement les pixels d'une image, avec une
# translation aléatoire, un flou et une pénalité $L_2$ pour seules régularisations. Olah,
# Mordvintsev et Schubert (2017) gardent le principe — une montée de gradient sur l'entrée, poids
# figés — mais changent **la façon de décrire l'image** que l'on optimise et **ce que l'on exige
# d'elle** ; Mordvintsev et al. (2018) reprennent ces descriptions de l'image et en explorent
# d'autres. `tp8.feature_visualization` réunit les trois ingrédients tels que les met en œuvre
# Lucid, la bibliothèque de ces auteurs. Cette page les présente, compare sur huit classes les
# images obtenues à celles de la méthode du TP, pour SqueezeNet 1.1 et pour un second réseau qui
# n'a servi à aucune des deux montées, mesure sur les images elles-mêmes ce qui a changé, puis
# retire chaque ingrédient à son tour.
#
# Cette page montre et commente des images de la méthode du TP : si vous faites le TP, lisez-la
# après avoir répondu aux questions de la partie 3.

# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()

# %%
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import display
from skimage.color import rgb2hsv

import tp8
from tp8.course import claim, num, pct, prob, sci, second_network, show, table, tr  # noqa: F401 - pct, prob, sci : dans les gabarits de tr
from tp8.feature_visualization import (
    IMAGENET_COLOR_SQRT,
    decorrelated_to_rgb,
    fourier_frequencies,
    fourier_scale,
    fourier_to_image,
    spectrum_slope,
)

torch.manual_seed(0)
model = tp8.load_model()  # SqueezeNet 1.1 (Iandola et al., 2016), pré-entraîné sur ImageNet


# %% [markdown]
# ## Trois ingrédients
#
# 1. **Une image décrite par ses fréquences.** En moyenne sur de nombreuses photos, l'amplitude de
#    la transformée de Fourier décroît à peu près comme $1/f$ avec la fréquence spatiale $f$, sa
#    puissance comme $1/f^2$ (Field, 1987) : les grandes structures portent l'essentiel du
#    contraste, les détails fins très peu. L'exposant varie d'une image à l'autre ; la mesure qui
#    suit cette liste compare celui des photos du cours au spectre du gradient du score par
#    rapport aux pixels, la direction que suit la montée du TP. Plutôt que les pixels, on optimise
#    des coefficients de Fourier $\theta$, multipliés par $s(f) = c/\max(f, 1/224)$ ($f$ en cycles
#    par pixel) avant la transformée inverse $\mathcal F^{-1}$, orthonormée ; la constante $c$ est
#    choisie pour que des coefficients tirés au hasard (parties réelle et imaginaire de variance 1)
#    donnent des pixels de variance 1, et de tels coefficients donnent déjà une image au spectre
#    en $1/f$. Par la règle de dérivation en chaîne (couleurs et sigmoïde mises à part), le
#    gradient par rapport à $\theta$ est celui par rapport à l'image, passé en fréquences et
#    multiplié par $s$ : une montée de gradient ordinaire sur $\theta$ déplacerait l'image de
#    $\mathcal F^{-1}\big(s^2 \odot \mathcal F(\nabla_x J)\big)$, le gradient filtré en $1/f^2$. Adam,
#    qui déplace chaque coefficient d'un pas de taille comparable (presque son signe, au début),
#    donne des mises à jour de l'image dont l'amplitude décroît à peu près en $1/f$ : le même
#    gradient, exprimé dans cette base, construit d'abord des formes, puis du détail.
# 2. **Des couleurs décorrélées.** Dans une photo, les trois canaux varient presque ensemble :
#    l'essentiel des variations est de luminosité, celles de teinte sont faibles. On décrit chaque
#    pixel par trois composantes décorrélées — une luminance et deux axes de couleurs opposées.
#    La covariance des couleurs d'ImageNet s'écrit $\Sigma = U\,\mathrm{diag}(v_1, v_2, v_3)\,U^\top$,
#    où les colonnes de $U$ sont ces trois axes et $v_k$ la variance des couleurs le long de
#    l'axe $k$ ; sa racine carrée $M = U\,\mathrm{diag}(\sqrt{v_1}, \sqrt{v_2}, \sqrt{v_3})$ (la
#    matrice de Lucid, `IMAGENET_COLOR_SQRT` dans le module `tp8.feature_visualization`) a pour
#    colonnes les trois axes, de longueurs égales aux écarts types 0,46, 0,13 et 0,06. Comme
#    Lucid, on ramène les composantes en RVB par $\hat M = M/\|m_1\|$, où $m_1$ est la première
#    colonne de $M$, la plus longue ($\|m_1\| \approx 0{,}46$) : une composante de variance 1 fait
#    varier la luminance avec un écart type de 1, les deux axes de couleur avec 0,28 et 0,13. Des
#    pas de même taille sur les trois composantes changent donc surtout la luminosité de l'image,
#    un peu ses teintes, dans les proportions des photos ; une montée en RVB pousse au contraire
#    chaque canal pour son compte, sans rien qui retienne les couleurs de se séparer. Une sigmoïde
#    $\sigma$ ramène enfin chaque pixel dans $]0, 1[$, sans écrêtage.
# 3. **La robustesse aux transformations.** Avant chaque passe avant, l'image reçoit une bordure
#    grise de 12 pixels, puis est décalée d'au plus 8 pixels, agrandie ou réduite d'au plus 10 %,
#    tournée d'au plus 10° et décalée encore d'au plus 4 pixels, par des opérations tirées au
#    hasard et différentiables, que le gradient traverse. Un motif ne progresse que s'il fait monter
#    le score quelles que soient sa position, sa taille et son orientation : on exige de l'image
#    l'**invariance**, approximative, que le réseau a apprise sur de vraies photos, ce qui
#    défavorise les motifs
#    accrochés à la grille des pixels. La translation aléatoire du TP en était un premier pas.
#
# En tout, l'image est $x(\theta) = \sigma\big(\hat M\,\mathcal F^{-1}(s \odot \theta)\big)$, chaque
# canal passant par $\mathcal F^{-1}$ séparément, et chaque pas est
# $\theta \leftarrow \theta + \mathrm{Adam}\big(\nabla_\theta\, J(T(x(\theta)))\big)$, où $T$ est
# la transformation aléatoire du pas. L'objectif $J$ est le score de la classe moins la moyenne des
# 999 autres scores, $J = \tilde y_c - \frac{1}{999}\sum_{j \ne c} \tilde y_j$ : le score seul peut
# aussi monter par ce qui fait monter *tous* les scores (du contraste, des couleurs saturées),
# qu'un réseau récompense et un autre pas ; la log-probabilité, à l'inverse, passe une partie de la
# montée à faire baisser chacune des 999 autres classes, comme le font les attaques ciblées PGD et
# FGSM de la partie 2, qui maximisent cette log-probabilité. Retrancher la moyenne enlève la part
# commune sans poursuivre chaque concurrent ; le banc d'essai du dépôt
# (`benchmarks/bench_feature_visualization.py`) compare les trois objectifs sur dix classes, et
# c'est avec celui-ci que son second réseau, SqueezeNet 1.0, reconnaît le plus d'images.
#
# Les deux premiers ingrédients ne changent **ni l'objectif ni ses maxima** : toute image à pixels
# dans $]0, 1[$ s'écrit $x(\theta)$ pour au moins un $\theta$, et $J$ ne dépend de $\theta$ qu'à
# travers l'image, si bien que les images qui maximisent $J$ sont les mêmes, qu'on les décrive par
# leurs pixels ou par $\theta$. Ils changent le **chemin** de la montée : c'est un
# *préconditionnement* (Olah et al., 2017), et c'est le chemin qui décide, partant d'un gris
# presque uni et en 96 pas, de l'image à laquelle on arrive. Le troisième, lui, change l'objectif : on
# maximise $J$ en moyenne sur les transformations tirées, et une image qui ne convainc le réseau
# qu'à une position exacte n'en est plus un maximum. Aucune pénalité $L_2$ n'est ajoutée : la
# sigmoïde borne les pixels, et rien dans $J$ ne pénalise le détail fin. Un autre remède classique
# procède à l'inverse : la *variation totale* de Mahendran et Vedaldi (2015, 2016), la somme des
# écarts (en valeur absolue ou au carré) entre pixels voisins, s'ajoute à l'objectif comme pénalité ; elle déplace les maxima
# eux-mêmes vers des images lisses, là où la description de Fourier ne change que le chemin qui y
# mène.

# %% tags=["remove-cell"]
# La formule écrite plus haut est bien celle que calcule tp8.feature_visualization (sur un θ tiré au hasard).
theta_test = torch.randn(4, 3, 224, 113, 2, generator=torch.Generator().manual_seed(0))
s_page = 1 / fourier_frequencies(224, 224).clamp_min(1 / 224)  # s(f) à la constante c près
c_page = fourier_scale(224, 224) / s_page  # doit être une constante
M_page = torch.tensor(IMAGENET_COLOR_SQRT)
M_chapeau = M_page / M_page[:, 0].norm()
# Variance attendue d'un pixel pour des θ de parties réelle et imaginaire de variance 1 : chaque colonne de rfft2
# compte pour deux coefficients conjugués (4 s²), sauf celles de fréquence horizontale 0 et 112 (s², partie réelle).
poids = torch.full((113,), 4.0)
poids[[0, 112]] = 1.0
variance_pixels = float(((c_page.mean() * s_page) ** 2 * poids).sum() / 224**2)
plan = torch.fft.irfft2(torch.view_as_complex(theta_test) * c_page.mean() * s_page, s=(224, 224), norm="ortho")
x_page = torch.sigmoid(torch.einsum("ij,njhw->nihw", M_chapeau, plan))
x_code = torch.sigmoid(decorrelated_to_rgb(fourier_to_image(theta_test, (224, 224))))
claim(
    float(c_page.std() / c_page.mean()) < 1e-5
    and abs(variance_pixels - 1) < 1e-4
    and torch.allclose(x_page, x_code, atol=1e-6),
    "$x(\\theta) = \\sigma\\big(\\hat M\\,\\mathcal F^{-1}(s \\odot \\theta)\\big)$",
)
longueurs = M_page.norm(dim=0)
claim(
    [round(float(v), 2) for v in longueurs] == [0.46, 0.13, 0.06]
    and [round(float(v), 2) for v in longueurs / longueurs[0]] == [1.0, 0.28, 0.13]
    and float(M_page.norm(dim=0).max()) == float(longueurs[0]),
    "les deux axes de couleur avec 0,28 et 0,13",
)

# %% tags=["hide-input"]
photos = torch.stack([s.image for s in tp8.sample_images()])  # les huit photos libres du cours
pente_photos = spectrum_slope(photos)
fines_photos = tp8.course.high_frequency_share(photos)
x = photos.clone().requires_grad_(True)
scores = model(x)
(gradient,) = torch.autograd.grad(scores.max(dim=1).values.sum(), x)  # score de la classe prédite
pente_grad = float(spectrum_slope(gradient).mean())
fines_grad = float(tp8.course.high_frequency_share(gradient).mean())
pente_p = float(pente_photos.mean())
pente_basse = float(spectrum_slope(photos, high=0.15).mean())  # sans les fréquences les plus hautes


def loi():
    """Ce que la pente moyenne des photos dit de la loi en 1/f² (une phrase, écrite dans chaque langue)."""
    if pente_p < -2.3 and pente_basse > pente_p + 0.1:
        return tr(
            """plus raide que le −2 de la loi en $1/f^2$ : celle-ci n'est qu'une moyenne sur de nombreuses images, et
l'exposant varie d'une photo à l'autre ; mesurée jusqu'à 0,15 cycle par pixel seulement, elle vaut {num(pente_basse)} :
les fréquences les plus hautes, atténuées notamment par la réduction des photos à 224 pixels, raidissent encore la
pente"""
        )
    if pente_p < -2.3:
        return tr(
            """plus raide que le −2 de la loi en $1/f^2$ : celle-ci n'est qu'une moyenne sur de nombreuses images, et
l'exposant varie d'une photo à l'autre"""
        )
    if pente_p <= -1.7:
        return tr("proche du −2 de la loi en $1/f^2$")
    return tr("moins raide que le −2 de la loi en $1/f^2$, qui n'est qu'une moyenne")


def profil():
    """Le profil du spectre du gradient."""
    if pente_grad > 0.3:
        return tr("sa puissance *croît* avec la fréquence")
    if pente_grad >= -0.3:
        return tr("son spectre est presque plat, comme celui d'un bruit blanc")
    return tr("son spectre décroît, mais bien moins vite que celui des photos")


display(
    tr(
        """
Sur les huit photos libres du cours (`tp8.sample_images()`), la pente du spectre de puissance en échelle log-log vaut
en moyenne {num(pente_p)} (de {num(pente_photos.min())} à {num(pente_photos.max())}), {loi()}. Le gradient du score de
leur classe prédite par rapport aux pixels, pour SqueezeNet 1.1, a une pente de {num(pente_grad, sign=True)} :
{profil()}, et {pct(fines_grad)} de son énergie se trouve dans les motifs de moins de 4 pixels, contre
{pct(float(fines_photos.mean()), 1)} pour les photos :
{claim(pente_grad > pente_p + 2 and fines_grad > 10 * float(fines_photos.mean()), "rapporté à une photo, le gradient est dominé par les hautes fréquences")}.
Une montée qui le suit pixel par pixel ajoute donc surtout du détail fin. La partie 2 a mesuré, pour ses perturbations
adversaires faites de quelques pas de gradient, un spectre presque plat : lui aussi bien plus riche en hautes
fréquences que celui d'une photo.
"""
    )
)

# %% [markdown]
# ## Les deux méthodes sur huit classes
#
# Huit classes : les six de la partie 3, plus `jellyfish` et `daisy`. D'abord la méthode du TP avec
# ses réglages, puis `tp8.feature_visualization` avec les siens ; chaque fois les huit classes en un
# seul appel, depuis la même graine. Les images du TP ne sont pas celles de la partie 3 : le lot
# compte huit images au lieu de six, si bien que les translations aléatoires tirées ne sont plus
# les mêmes. Le second réseau est celui de [Q11](../partie-3-visualisation/#q11) : il n'a servi à
# aucune des deux montées.

# %%
net2 = second_network()
if net2.message is not None:
    display(net2.message)
second = net2.model  # None si aucun second réseau n'a de poids sur cette machine

CLASSES = ["flamingo", "tarantula", "goldfish", "king penguin", "jellyfish", "daisy", "hourglass", "volcano"]
DEFAUTS = dict(lr=5.0, l2_reg=1e-3, num_iterations=100, blur_every=10, blur_sigma=0.5, max_jitter=16)
with tp8.course.Stopwatch() as chrono_tp:
    viz = tp8.class_visualization(model, CLASSES, snapshot_every=20, seed=0, **DEFAUTS)
with tp8.course.Stopwatch() as chrono_lisibles:
    lisibles = tp8.feature_visualization(model, CLASSES, snapshot_every=16, seed=0)


# %% tags=["hide-input"]
def jugement(resultat):
    """Pour SqueezeNet 1.1 : probabilité de la classe visée et probabilité laissée aux autres classes (calculée
    directement, sans l'erreur d'arrondi de 1 − p) ; pour le second réseau : rang de la classe visée (1 = premier
    choix) et sa probabilité."""
    images, cibles = resultat.images, resultat.target
    with torch.no_grad():
        probas = model(images).softmax(dim=1)
    lignes = torch.arange(len(cibles))
    p = probas[lignes, cibles]
    reste = probas.scatter(1, cibles[:, None], 0.0).sum(dim=1)
    vus = resultat.rows(second) if second is not None else []
    return {"p": p.tolist(), "reste": reste.tolist(), "rang": [r["rank"] for r in vus], "p2": [r["p"] for r in vus]}


def resume(nom, j, secondes=None):
    """Une ligne de tableau : conviction de SqueezeNet 1.1, reconnaissance par le second réseau, temps par classe."""
    ligne = {
        tr("méthode"): nom,
        tr("p moyen ({model.name})"): float(np.mean(j["p"])),
        tr("1 − p maximal"): max(j["reste"]),
    }
    if second is not None:
        ligne[f"top-1 ({second.name})"] = sum(r == 1 for r in j["rang"])
        ligne["top-5"] = sum(r <= 5 for r in j["rang"])
        ligne[tr("p moyen ({second.name})")] = float(np.mean(j["p2"]))
    if secondes is not None:
        ligne[tr("secondes par classe")] = secondes
    return ligne


def tableau(lignes, digits):
    """Le tableau des lignes, la probabilité laissée aux autres classes écrite en puissance de dix."""
    return table([{**ligne, "1 − p maximal": tr("{sci(ligne['1 − p maximal'])}")} for ligne in lignes], digits=digits)


def borne(reste):
    """La probabilité laissée aux autres classes, en mots (nulle seulement si le calcul ne la distingue pas de 0)."""
    return tr("ne dépasse pas {sci(reste)}") if reste > 0 else tr("est nulle à la précision du calcul")


j_tp, j_li = jugement(viz), jugement(lisibles)
n_cl = len(CLASSES)
montrees = [CLASSES.index(c) for c in ("tarantula", "king penguin", "volcano")]  # le flamant : plus bas
fig, axes = tp8.plotting.tile_figure(2, len(montrees), title_lines=3 if second is not None else 2, row_label_px=18)
for col, k in enumerate(montrees):
    for row, j, images in ((0, j_tp, viz.images), (1, j_li, lisibles.images)):
        rang = "\n" + tr("rang {j['rang'][k]} pour {second.name}") if second is not None else ""
        tp8.plotting.show_tile(axes[row, col], tp8.to_numpy(images[k]), f"{CLASSES[k]}\np = {num(j['p'][k], 3)}{rang}")
tp8.plotting.row_label(fig, axes[0, 0], tr("méthode du TP"), 8)
tp8.plotting.row_label(fig, axes[1, 0], "feature_visualization", 8)
show(
    fig,
    alt=tr(
        """Deux rangées de trois images, pour tarantula, king penguin et volcano. En haut, les images de la méthode du
TP : des pattes, des becs et des fragments colorés et granuleux répétés sur un fond gris-vert. En bas, celles de
feature_visualization : des tarentules velues, des manchots debout et des cônes gris aux lueurs orangées, aux
couleurs plus douces et plus naturelles. Chaque titre donne la probabilité de la classe pour
SqueezeNet 1.1{tr(" et son rang pour le second réseau.") if second is not None else "."}"""
    ),
)

# %% tags=["hide-input"]
colonnes = {f"p moyen ({model.name})": 3, "secondes par classe": 1}
ligne_tp = resume(tr("méthode du TP"), j_tp, chrono_tp.seconds / n_cl)
ligne_li = resume("feature_visualization", j_li, chrono_lisibles.seconds / n_cl)
if second is not None:
    colonnes[f"p moyen ({second.name})"] = 3
display(tableau([ligne_tp, ligne_li], colonnes))
p_min = min(j_tp["p"] + j_li["p"])
verdict = None  # ce que le second réseau dit des deux méthodes, repris dans « À retenir »
if second is not None:
    top1_tp, top1_li = ligne_tp[f"top-1 ({second.name})"], ligne_li[f"top-1 ({second.name})"]
    top5_tp, top5_li = ligne_tp["top-5"], ligne_li["top-5"]
    p2_tp, p2_li = ligne_tp[f"p moyen ({second.name})"], ligne_li[f"p moyen ({second.name})"]
    # La phrase suit la mesure, quel que soit le second réseau (VGG16 publié, SqueezeNet 1.0 en local, autre en test) ;
    # une moyenne sur huit classes ne suffit pas : on compte aussi les classes, une à une, où la nouvelle image gagne.
    gagne = sum(b > a for a, b in zip(j_tp["p2"], j_li["p2"]))  # classes où la nouvelle image a la plus haute p
    perd = sum(b < a for a, b in zip(j_tp["p2"], j_li["p2"]))
    if max(p2_tp, p2_li) < 0.05 and max(top5_tp, top5_li) <= 1:
        verdict = "ni"
    elif top1_li >= top1_tp and top5_li >= top5_tp and p2_li >= p2_tp + 0.1 and gagne >= 3 * n_cl // 4:
        verdict = "mieux"
    elif top1_li <= top1_tp and top5_li <= top5_tp and p2_li <= p2_tp - 0.1 and perd >= 3 * n_cl // 4:
        verdict = "moins"
    else:
        verdict = "egal"


def par_classe():
    """Le décompte, classe par classe, des victoires de chaque méthode auprès du second réseau."""
    return tr(
        """classe par classe, la nouvelle image obtient la plus haute probabilité pour {gagne} des {n_cl} classes,
celle du TP pour {perd}"""
    )


def transfert():
    """Les nouvelles images se transfèrent-elles mieux (verdict « mieux ») ?"""
    mieux = gagne >= 3 * n_cl // 4 and p2_li >= p2_tp + 0.1
    if top1_li >= top1_tp + 3:
        return claim(mieux, "les nouvelles images se transfèrent nettement mieux")
    return claim(mieux, "les nouvelles images se transfèrent mieux")


def apres_mieux():
    """Ce que le rang ajoute, quand les nouvelles images se transfèrent mieux."""
    if top1_li >= 3 * n_cl // 4 and top1_tp < n_cl // 2:
        return tr(
            """Ce que la montée y a dessiné n'est plus propre à un réseau : pour la plupart des classes, ce sont des
indices que deux réseaux entraînés séparément partagent."""
        )
    if top1_tp >= n_cl // 2 and top1_li <= top1_tp + 1:
        return tr(
            """Le rang, lui, ne les départage guère : le second réseau place déjà la classe visée en tête pour
{top1_tp} des {n_cl} images du TP. Il reconnaît ce que dessinent les deux méthodes ; c'est son assurance qui change,
plus grande sur les nouvelles images."""
        )
    return ""


def constat_second():
    """Ce que dit le second réseau, selon le verdict."""
    if verdict == "ni":
        return tr(
            """il ne reconnaît ni les unes ni les autres, et cette comparaison ne dit rien de ce qui se transfère d'un
réseau à l'autre."""
        )
    if verdict == "mieux":
        return tr("sur ces {n_cl} classes, {transfert()} ({par_classe()}). {apres_mieux()}")
    if verdict == "moins":
        return tr(
            """{claim(perd >= 3 * n_cl // 4 and p2_li <= p2_tp - 0.1, "ici, les nouvelles images se transfèrent moins bien que celles du TP")}
({par_classe()})."""
        )
    return tr(
        """l'écart entre les deux méthodes est trop faible ou trop mêlé pour les départager sur ce réseau
({par_classe()})."""
    )


def texte_second():
    """La phrase sur le second réseau (ou son absence)."""
    if second is None:
        return tr("Le second réseau n'est pas disponible ici : seule la probabilité pour SqueezeNet 1.1 est mesurée.")
    return tr(
        """Le second réseau, `{second.name}`, place la classe visée en tête pour {top1_tp} des {n_cl} images du TP
et pour {top1_li} des {n_cl} nouvelles, dans ses cinq premiers choix pour {top5_tp} et {top5_li} d'entre elles, et
lui donne en moyenne une probabilité de {prob(p2_tp)} contre {prob(p2_li)} : {constat_second()}"""
    )


display(
    tr(
        """
Les deux méthodes convainquent SqueezeNet 1.1 :
{claim(p_min > 0.9, "chaque image y obtient une probabilité d'au moins 0,9")} ({num(p_min, 3)} pour la moins
convaincante ; la probabilité laissée aux autres classes {borne(max(j_tp['reste'] + j_li['reste']))}).
{texte_second()} Les nouvelles images ont demandé {num(chrono_lisibles.seconds / n_cl, 1)} s par classe contre
{num(chrono_tp.seconds / n_cl, 1)} s pour la méthode du TP (soit {num(chrono_lisibles.seconds / chrono_tp.seconds, 1)}
fois son temps), sur le processeur qui a construit cette page : Adam, la transformée de Fourier et les transformations
ajoutent du calcul à chaque pas, et l'image transformée, bordure comprise, fait 248 pixels de côté au lieu de 224.
"""
    )
)

# %% [markdown]
# ### Ce que mesurent les images
#
# Les deux premiers ingrédients visent des propriétés des photos que l'on peut mesurer sur les
# images elles-mêmes : la pente de leur spectre de puissance en échelle log-log (0 pour un bruit
# blanc ; plus elle est proche de 0, plus l'image est riche en détails fins), la part de leur
# énergie dans les motifs de moins de 4 pixels, et la corrélation moyenne entre leurs canaux R, V
# et B ; on y ajoute leur saturation moyenne (de 0 pour un gris à 1 pour une couleur pure). On
# compare les huit photos libres du cours aux images des deux méthodes.


# %% tags=["hide-input"]
def correlation_couleurs(images):
    """Corrélation moyenne entre les canaux (R, V), (R, B) et (V, B) des pixels, moyennée sur les images."""
    valeurs = []
    for image in images:
        c = torch.corrcoef(image.reshape(3, -1).double())
        valeurs.append(float((c[0, 1] + c[0, 2] + c[1, 2]) / 3))
    return float(np.mean(valeurs))


def saturations(images):
    """Saturation moyenne des pixels de chaque image (espace TSV : 0 pour un gris, 1 pour une couleur pure)."""
    return np.array([rgb2hsv(image)[..., 1].mean() for image in tp8.to_numpy(images)])


def saturation(images):
    """Saturation moyenne des pixels, moyennée sur les images."""
    return float(saturations(images).mean())


def proprietes(nom, images):
    return {
        tr("images"): nom,
        tr("pente du spectre"): float(spectrum_slope(images).mean()),
        tr("énergie sous 4 pixels"): float(tp8.course.high_frequency_share(images).mean()),
        tr("corrélation R-V-B"): correlation_couleurs(images),
        tr("saturation"): saturation(images),
    }


photo_s = proprietes(tr("photos libres"), photos)
tp_s = proprietes(tr("méthode du TP"), viz.images)
li_s = proprietes("feature_visualization", lisibles.images)
pente, fines, corr, sat = "pente du spectre", "énergie sous 4 pixels", "corrélation R-V-B", "saturation"
display(table([photo_s, tp_s, li_s], digits={pente: 2, fines: 3, corr: 2, sat: 2}))


def correles():
    """À quel point les canaux des nouvelles images sont corrélés."""
    if abs(li_s[corr] - photo_s[corr]) < 0.1:
        return tr("presque comme ceux des photos")
    return tr("bien plus que ceux du TP")


def pales():
    """Laquelle des deux méthodes est la plus pâle."""
    if li_s[sat] < tp_s[sat]:
        return tr(
            """les nouvelles images sont les plus pâles. L'ablation qui suit en met deux causes possibles à l'épreuve :
les pas bien plus petits sur les axes de couleur que sur la luminance, et l'objectif, qui retranche la moyenne des
autres scores."""
        )
    return tr("les couleurs restent plus ternes que celles d'une photo.")


def saturations_comparees():
    """La saturation des images des deux méthodes, comparée à celle des photos."""
    if max(tp_s[sat], li_s[sat]) < photo_s[sat]:
        return tr(
            """Ni l'une ni l'autre méthode n'atteint la saturation des photos ({num(tp_s[sat])} pour le TP,
{num(li_s[sat])} pour les nouvelles images, contre {num(photo_s[sat])}) : {pales()}"""
        )
    return tr(
        """Saturation moyenne : {num(tp_s[sat])} pour le TP, {num(li_s[sat])} pour les nouvelles images,
{num(photo_s[sat])} pour les photos."""
    )


display(
    tr(
        """
Le spectre des images du TP est bien plus plat que celui des photos (pente {num(tp_s[pente])} contre
{num(photo_s[pente])}) :
{claim(tp_s[pente] > photo_s[pente] + 0.5 and tp_s[fines] > 2 * photo_s[fines], "elles sont faites de détails fins")},
avec {pct(tp_s[fines], 1)} de leur énergie dans les motifs de moins de 4 pixels, contre {pct(photo_s[fines], 1)} pour
les photos. Les nouvelles images ont une pente de {num(li_s[pente])} et {pct(li_s[fines], 1)} de leur énergie sous
4 pixels :
{claim(abs(li_s[pente] - photo_s[pente]) < abs(tp_s[pente] - photo_s[pente]) / 2, "leur spectre est bien plus proche de celui des photos")}.
De même, leurs canaux sont corrélés {correles()} (corrélation moyenne de {num(li_s[corr])} contre
{num(photo_s[corr])} pour les photos), alors que
{claim(tp_s[corr] < photo_s[corr] - 0.3 and abs(li_s[corr] - photo_s[corr]) < abs(tp_s[corr] - photo_s[corr]) / 2, "les images du TP restent peu corrélées (départ d'un bruit indépendant par canal, montée en RVB)")}
(corrélation de {num(tp_s[corr])}) : d'où ces points verts, magenta et jaunes voisins à l'échelle de quelques pixels,
qu'une photo ne juxtapose presque jamais. {saturations_comparees()}
"""
    )
)

# %% [markdown]
# ### Chaque ingrédient, retiré à son tour
#
# Pour savoir ce que chaque ingrédient apporte, on le retire seul, toutes choses égales par ailleurs
# (même graine, mêmes autres réglages), et l'on refait les mêmes mesures sur trois des huit classes ;
# chaque transformation est retirée seule, puis les quatre à la fois. Sans Fourier, $\theta$ décrit
# directement les pixels, toujours en couleurs décorrélées et à travers la sigmoïde ; sans
# décorrélation, les trois composantes de $\theta$ sont R, V et B. Une dernière variante garde les
# trois ingrédients mais change l'objectif : le score seul, celui du TP, au lieu du score moins la
# moyenne des autres. Pour alléger la page, chaque variante fait 48 pas, la moitié de la montée.
# La ligne « méthode complète » n'a pas besoin d'être recalculée : les images d'un lot ne
# dépendent pas les unes des autres, et les 48 premiers pas d'une montée de 96 pas sont une montée
# de 48 pas (même départ, mêmes transformations tirées, Adam n'ayant pas de calendrier) ; elle
# reprend donc l'image du pas 48 des montées précédentes. La figure montre la classe `flamingo`
# dans quatre des variantes.

# %%
CLASSES_ABL = ["flamingo", "tarantula", "king penguin"]
PAS_ABL = 48
RETRAITS = {
    tr("sans Fourier (pixels)"): {"fourier": False},
    tr("sans décorrélation des couleurs"): {"decorrelate": False},
    tr("sans bordure"): {"pad": 0},
    tr("sans translations"): {"jitter": 0},
    tr("sans zoom aléatoire"): {"scale": 0},
    tr("sans rotation"): {"rotation": 0},
    tr("sans aucune transformation"): {"pad": 0, "jitter": 0, "scale": 0, "rotation": 0},
    tr("objectif : score seul"): {"objective": "logit"},
}
idx_abl = [CLASSES.index(c) for c in CLASSES_ABL]
ablation = {tr("méthode complète"): replace(lisibles[idx_abl], images=dict(lisibles.snapshots)[PAS_ABL][idx_abl])}


def retirer(*noms):
    """Les variantes ``noms`` : la même montée de 48 pas, un ingrédient retiré (ou l'objectif changé)."""
    for nom in noms:
        ablation[nom] = tp8.feature_visualization(
            model, CLASSES_ABL, num_iterations=PAS_ABL, seed=0, snapshot_every=0, **RETRAITS[nom]
        )


retirer("sans Fourier (pixels)", "sans décorrélation des couleurs", "sans bordure")

# %%
retirer("sans translations", "sans zoom aléatoire", "sans rotation")

# %%
retirer("sans aucune transformation", "objectif : score seul")
assert list(ablation) == ["méthode complète", *RETRAITS]  # toutes les variantes, dans l'ordre du tableau

# %% tags=["hide-input"]
lignes_abl, p_flamant = {}, {}
for nom, resultat in ablation.items():
    j = jugement(resultat)
    p_flamant[nom] = j["p"][0]  # la figure montre le flamant, première classe du lot
    ligne = resume(nom, j)
    ligne[pente] = float(spectrum_slope(resultat.images).mean())
    ligne[corr] = correlation_couleurs(resultat.images)
    ligne[sat] = saturation(resultat.images)
    lignes_abl[nom] = ligne
display(tableau(list(lignes_abl.values()), {**colonnes, pente: 2, corr: 2, sat: 2}))
montres = ["méthode complète", "sans Fourier (pixels)", "sans décorrélation des couleurs", "sans aucune transformation"]
fig, axes = tp8.plotting.tile_figure(1, len(montres), title_lines=2)
for ax, nom in zip(axes[0], montres):
    tp8.plotting.show_tile(ax, tp8.to_numpy(ablation[nom].images[0]), f"{nom}\np = {num(p_flamant[nom], 3)}")
show(
    fig,
    alt=tr(
        """Quatre images de la classe flamingo après 48 pas : la méthode complète, des flamants roses sur un fond gris
doux ; sans Fourier, des flamants pâles noyés dans un grain fin ; sans décorrélation des couleurs, des têtes de flamant
rouge vif sur un fond vert, jaune et rose ; sans aucune transformation, des flamants plus fragmentés, répétés en
motifs plus serrés. Chaque titre donne la probabilité de flamingo pour SqueezeNet 1.1."""
    ),
)

# %% tags=["hide-input"]
ref = lignes_abl["méthode complète"]
sans_f = lignes_abl["sans Fourier (pixels)"]
sans_d = lignes_abl["sans décorrélation des couleurs"]
sans_t = lignes_abl["sans aucune transformation"]
score_seul = lignes_abl["objectif : score seul"]
noms_une = ("sans bordure", "sans translations", "sans zoom aléatoire", "sans rotation")
une_t = [lignes_abl[k] for k in noms_une]
reste_abl = max(ligne["1 − p maximal"] for ligne in lignes_abl.values())
fin_abl = proprietes("méthode complète, 96 pas", lisibles.images[idx_abl])  # les mêmes classes, en fin de montée
deja = abs(ref[pente] - fin_abl[pente]) < 0.2 and abs(ref[corr] - fin_abl[corr]) < 0.05
# La pâleur des nouvelles images : deux causes possibles, chacune retirée par une variante. Une variante avive
# l'image si sa saturation moyenne dépasse nettement celle de la méthode complète, et pour chacune des trois classes.
sat_ref = saturations(ablation["méthode complète"].images)
variantes_pales = {
    "sans décorrélation": "sans décorrélation des couleurs",
    "avec le score seul": "objectif : score seul",
}
plus_vive = {
    nom: lignes_abl[cle][sat] > ref[sat] + 0.05 and bool((saturations(ablation[cle].images) > sat_ref).all())
    for nom, cle in variantes_pales.items()
}
causes = [nom for nom, vive in plus_vive.items() if vive]
ecart_pente = max(abs(ligne[pente] - ref[pente]) for ligne in une_t)
ecart_corr = max(abs(ligne[corr] - ref[corr]) for ligne in une_t)
if second is not None:
    t1, p2 = f"top-1 ({second.name})", f"p moyen ({second.name})"
    n_abl = len(CLASSES_ABL)
    p2_une = min(ligne[p2] for ligne in une_t)


def mi_parcours():
    """Les images du pas 48 ont-elles déjà les statistiques de la fin ?"""
    if deja:
        return tr("à mi-parcours, ses images ont déjà les statistiques de la fin.")
    return tr("ses images changent encore ensuite, et l'ablation les compare à mi-parcours.")


def comme_tp():
    """Sans Fourier : plus fin encore que la méthode du TP, ou autant ?"""
    if sans_f[pente] > tp_s[pente]:
        return tr(", plus encore qu'avec la méthode du TP")
    return tr(", comme avec la méthode du TP")


def paleur():
    """Laquelle des deux variantes avive l'image (les causes de la pâleur)."""
    if len(causes) == 2:
        return tr(
            """{claim(len(causes) == 2, "les deux variantes donnent des images plus vives, pour chacune des trois classes")} ;
la pâleur tient ici aux deux choix à la fois, les petits pas sur les axes de couleur et la moyenne retranchée des
autres scores."""
        )
    if causes == ["sans décorrélation"]:
        return tr(
            """{claim(len(causes) == 1, "seule la variante sans décorrélation donne des images nettement plus vives, pour chacune des trois classes")}.
Sur ces classes, c'est donc la décorrélation des couleurs, et non l'objectif, qui pâlit les nouvelles images : des pas
de même taille sur les trois composantes changent bien moins les teintes que la luminance."""
        )
    if causes == ["avec le score seul"]:
        return tr(
            """{claim(len(causes) == 1, "seule la variante avec le score seul donne des images nettement plus vives, pour chacune des trois classes")}.
Sur ces classes, c'est donc l'objectif, et non la décorrélation des couleurs, qui pâlit les nouvelles images : le score
seul peut aussi monter par des couleurs saturées, qui font monter tous les scores."""
        )
    return tr(
        """aucune des deux variantes ne donne des images nettement plus vives pour chacune des trois classes, et cette
mesure n'explique pas la pâleur des nouvelles images."""
    )


def constat_transformations():
    """Avec le second réseau : ce que coûte le retrait des quatre transformations, comparé aux retraits isolés."""
    if sans_t[p2] < p2_une - 0.2 and sans_t[p2] < ref[p2] - 0.2:
        return tr(
            """retirer les quatre transformations à la fois lui fait perdre bien plus que n'importe quel retrait isolé.
Sur trois classes, une graine et un réseau, c'est un constat, pas encore une explication : ces nombres ne disent ni si
c'est l'ensemble des transformations qui compte, ni si elles se compensent l'une l'autre. L'idée qui a motivé Olah et
al. reste une hypothèse ici : une image qui ne convainc SqueezeNet 1.1 qu'à une position et une échelle exactes
ressemble à un exemple adversaire, et en exigeant qu'elle le convainque encore décalée, agrandie et tournée, on
favoriserait des motifs assez larges et assez stables pour qu'un autre réseau les voie."""
        )
    if sans_t[p2] < ref[p2] - 0.2:
        return tr(
            """retirer les quatre transformations fait baisser sa probabilité, mais certains retraits isolés la font
baisser presque autant : sur si peu de classes, ces écarts ne permettent pas de dire laquelle compte le plus."""
        )
    return tr(
        """sur ce réseau et ces quelques classes, retirer les transformations ne change guère la reconnaissance : la
mesure ne montre pas ici ce qu'elles apportent."""
    )


def ablation_second():
    """Ce que le second réseau dit des variantes (rien s'il n'est pas chargé)."""
    if second is None:
        return ""
    # Le constat suit les nombres mesurés avec le second réseau chargé, quel qu'il soit.
    if ref[p2] < 0.05:
        return tr(
            """Quant à `{second.name}`, il ne reconnaît déjà pas les images de la méthode complète (probabilité
moyenne {prob(ref[p2])}, {ref[t1]} des {n_abl} en tête) : l'ablation ne dit rien ici de ce qui rend une image
lisible par un autre réseau."""
        )
    return tr(
        """Avec `{second.name}`, privée d'une seule transformation, l'image garde une probabilité moyenne d'au moins
{prob(p2_une)} (contre {prob(ref[p2])} avec toutes) ; privée des quatre, elle obtient {prob(sans_t[p2])}, et il en
place {sans_t[t1]} des {n_abl} en tête, contre {ref[t1]} : {constat_transformations()} Sans Fourier, il en place
{sans_f[t1]} en tête (probabilité moyenne {prob(sans_f[p2])}), sans décorrélation {sans_d[t1]}
({prob(sans_d[p2])}) : sur {n_abl} classes, ces comptes ne départagent que les écarts nets, et ce sont les mesures
sur l'image (spectre, couleurs) qui montrent ce que font ces deux-là."""
    )


display(
    tr(
        """
Au pas {PAS_ABL}, la méthode complète donne sur ces classes une pente du spectre de {num(ref[pente])} et une
corrélation des couleurs de {num(ref[corr])}, contre {num(fin_abl[pente])} et {num(fin_abl[corr])} au pas 96 :
{mi_parcours()} Aucune variante n'entame la conviction de SqueezeNet 1.1 (dans chacune, la probabilité laissée aux
autres classes {borne(reste_abl)}) :
{claim(reste_abl < 0.01, "les ingrédients ne servent pas à convaincre le réseau qui fait la montée")}, ils changent
ce que contient l'image.
**Fourier.** Sans lui, la pente du spectre passe de {num(ref[pente])} à {num(sans_f[pente])} :
{claim(sans_f[pente] > ref[pente] + 0.5, "l'image se remplit de détails fins")}{comme_tp()} (pente
{num(tp_s[pente])}). L'objectif et ses maxima sont pourtant les mêmes : seul le chemin de la montée a changé.
**Couleurs.** Sans décorrélation, la corrélation entre canaux tombe de {num(ref[corr])} à {num(sans_d[corr])} :
{claim(sans_d[corr] < ref[corr] - 0.1, "quand la montée ne passe plus par les axes de couleur des photos, l'image perd leur corrélation")}.
**Pâleur.** Sur ces trois classes, la saturation moyenne vaut {num(ref[sat])} avec la méthode complète,
{num(sans_d[sat])} sans décorrélation et {num(score_seul[sat])} avec le score seul pour objectif : {paleur()}
**Transformations.**
{claim(ecart_pente < abs(sans_f[pente] - ref[pente]) / 5 and ecart_corr < abs(sans_d[corr] - ref[corr]) / 5, "Retirée seule, chaque transformation laisse l'image presque inchangée")}
(pente du spectre à {num(ecart_pente)} au plus et corrélation des couleurs à {num(ecart_corr)} au plus de la méthode
complète, des écarts plus de cinq fois moindres que ceux que provoque le retrait de Fourier ou de la décorrélation),
et {claim(abs(sans_t[pente] - ref[pente]) < abs(sans_f[pente] - ref[pente]) / 5, "même sans aucune, la finesse de l'image change peu")}
(pente de {num(sans_t[pente])}) : ce n'est pas dans ces statistiques que se voit leur effet. {ablation_second()}
"""
    )
)

# %% [markdown]
# ### L'ascension, animée
#
# Les deux montées pour la classe `flamingo`, avec sous chaque image le pas et la probabilité de la
# classe visée à ce moment : d'abord la méthode du TP (une image tous les 20 pas), qui part d'un
# bruit, puis `feature_visualization` (une image tous les 16 pas), qui part d'un gris presque uni.
# Pour alléger la page, les animations sont réduites de moitié (chaque pixel y est la moyenne de
# 2 × 2 pixels de l'image) et montrées à cette taille ; les figures fixes plus haut sont, elles,
# pixel pour pixel.


# %% tags=["hide-input"]
def reduite(resultat):
    """Le flamant, chaque étape réduite de moitié (moyenne de 2 × 2 pixels) : l'animation à la taille montrée."""
    flamant = resultat[CLASSES.index("flamingo")]
    moitie = lambda images: F.avg_pool2d(images, 2)  # noqa: E731
    return replace(flamant, images=moitie(flamant.images), snapshots=[(t, moitie(im)) for t, im in flamant.snapshots])


anim_tp, anim_li = reduite(viz), reduite(lisibles)
anim_tp_octets = tp8.animate(anim_tp, frame_ms=500, lossless=True)
anim_li_octets = tp8.animate(anim_li, frame_ms=500, lossless=True)
display(
    tp8.course.animation(
        anim_tp_octets,
        alt=tr(
            """Animation de la méthode du TP pour la classe flamingo, réduite de moitié : un bruit coloré se couvre peu
à peu de têtes et de cous roses de flamant sur un fond granuleux, avec sous l'image le pas et la probabilité."""
        ),
    ),
    tp8.course.animation(
        anim_li_octets,
        alt=tr(
            """Animation de feature_visualization pour la classe flamingo, réduite de moitié : sur une image grise
apparaissent d'abord des taches roses floues, qui deviennent des flamants entiers, avec sous l'image le pas et la
probabilité."""
        ),
    ),
)

# %% tags=["hide-input"]
k_fl = CLASSES.index("flamingo")
# La ligne t des probabilités est mesurée sur l'image après t pas : le premier pas où p > 0,9.
pas_tp = int(np.argmax(viz.probabilities[:, k_fl].numpy() > 0.9))
pas_li = int(np.argmax(lisibles.probabilities[:, k_fl].numpy() > 0.9))
rapide = pas_tp <= 40 and pas_li <= 40


def deja_convaincu():
    """La fin de la phrase : la montée continue-t-elle longtemps après avoir convaincu le réseau ?"""
    if rapide:
        return tr(
            """ : {claim(rapide, "l'essentiel de chaque montée se fait alors que le réseau est déjà convaincu")}, et ce
qu'elle ajoute ensuite change l'image plus que la réponse du réseau."""
        )
    return "."


display(
    tr(
        """
Les deux animations comptent {len(anim_tp.snapshots)} et {len(anim_li.snapshots)} images et pèsent
{num(len(anim_tp_octets) / 1e3, 0)} et {num(len(anim_li_octets) / 1e3, 0)} ko, en WebP sans perte. La probabilité du
flamant dépasse 0,9 dès le pas {pas_tp} avec la méthode du TP et dès le pas {pas_li} avec
`feature_visualization`{deja_convaincu()}
"""
    )
)

# %% [markdown]
# ## Lisible ne veut pas dire fidèle
#
# Qu'une image soit lisible, et même reconnue par un second réseau, ne garantit pas qu'elle montre
# ce sur quoi le réseau s'appuie pour classer des photos. Borowski et al. (2021) l'ont mesuré sur
# les canaux des couches intermédiaires d'un réseau : pour deviner laquelle de deux photos active
# fortement un canal, des participants choisissent juste dans 92 % des cas après avoir vu quelques
# photos qui l'activent fortement, contre 82 % après avoir vu ses visualisations, faites par la
# méthode d'Olah et al. que reprend cette page (le hasard donnerait 50 %). Geirhos et al. (2023)
# vont plus loin : on peut modifier un réseau pour que les visualisations de ses unités montrent
# un motif choisi à l'avance, sans changer ses réponses sur des photos ; et même sans
# manipulation, le réseau traite les images de visualisation par d'autres chemins que les photos.
# Une visualisation, lisible ou non, est une hypothèse sur le réseau, que des expériences sur des
# photos confirment ou non.

# %% [markdown]
# ## À retenir


# %% tags=["hide-input"]
def sur_second():
    """Ce que le second réseau a dit des deux méthodes (le verdict de la section « Les deux méthodes »)."""
    if verdict == "mieux":
        return tr(
            """et le second réseau, `{second.name}`, reconnaît mieux les nouvelles images : il leur donne une
probabilité moyenne de {prob(p2_li)} contre {prob(p2_tp)} à celles du TP, et la plus haute des deux pour {gagne} des
{n_cl} classes"""
        )
    if verdict == "moins":
        return tr(
            """mais, sur cette construction, le second réseau, `{second.name}`, reconnaît moins bien les nouvelles
images (probabilité moyenne de {prob(p2_li)} contre {prob(p2_tp)}, plus basse pour {perd} des {n_cl} classes)"""
        )
    if verdict == "egal":
        return tr(
            """mais, sur cette construction, le second réseau, `{second.name}`, ne départage pas nettement les deux
méthodes (probabilité moyenne de {prob(p2_li)} pour les nouvelles images, {prob(p2_tp)} pour celles du TP ; la
nouvelle image l'emporte pour {gagne} des {n_cl} classes)"""
        )
    if verdict == "ni":
        return tr(
            "mais le second réseau chargé ici, `{second.name}`, ne reconnaît les images d'aucune des deux méthodes"
        )
    return tr("le second réseau n'a pas pu être mesuré ici")


display(
    tr(
        """
- Changer **la façon de décrire l'image** que l'on optimise change l'image obtenue, sans changer l'objectif : décrite
par ses fréquences avec un spectre en $1/f$ et en couleurs décorrélées, l'image suit un autre chemin de montée (un
préconditionnement, Olah et al., 2017). Exiger qu'elle convainque le réseau sous des transformations aléatoires
change, lui, l'objectif.
- Avec ces trois ingrédients (Olah et al., 2017 ; repris par Mordvintsev et al., 2018),
{claim(abs(li_s[pente] - photo_s[pente]) < abs(tp_s[pente] - photo_s[pente]) and abs(li_s[corr] - photo_s[corr]) < abs(tp_s[corr] - photo_s[corr]), "l'image se rapproche des statistiques d'une photo")}
— spectre moins riche en détails fins, couleurs corrélées comme les siennes — {sur_second()}.
- SqueezeNet 1.1 est convaincu dans tous les cas : la probabilité du réseau qui fait la montée ne dit pas si l'image
est lisible. L'effet de la description de Fourier et de la décorrélation se mesure sur l'image elle-même (spectre,
couleurs) ; celui des transformations, et plus généralement ce qui se transfère, sur un réseau qui n'a pas servi à la
construire.
- Une visualisation décrit toujours *un* réseau ; une image qu'un autre réseau reconnaît aussi en montre des traits
que les deux partagent, plutôt que les particularités de l'un. Lisible ou non, elle reste une hypothèse sur ce que
fait le réseau face à des photos (Borowski et al., 2021 ; Geirhos et al., 2023).
"""
    )
)
