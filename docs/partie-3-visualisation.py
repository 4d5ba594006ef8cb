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
# # Partie 3 — Visualisation de classes
#
# Les deux premières parties partaient d'une photo : la saillance demandait quels pixels pèsent
# dans la décision, les exemples adversaires cherchaient la plus petite retouche qui la renverse.
# On retourne ici la question : **à quoi ressemble l'image que le réseau juge la plus typique
# d'une classe ?** On ne part plus d'une photo mais d'un bruit, que l'on sculpte jusqu'à ce que
# le réseau y voie, sans hésiter, un flamant rose ou un volcan. C'est la *maximisation
# d'activation* (Erhan et al., 2009) appliquée à la sortie d'un classifieur, sous la forme
# proposée par Simonyan, Vedaldi et Zisserman (2014, §2), avec les régularisations d'images
# étudiées par Yosinski et al. (2015).
#
# [Essayer la visualisation de classes dans le navigateur](../essayer/#visualisation)
#
# ## Le principe : une montée de gradient sur l'image
#
# Notons $\tilde y_i(x)$ le **score** de la classe $i$ pour l'image $x$ : la sortie du réseau
# *avant* le softmax (le logit). Les poids du réseau sont figés ; la seule variable est l'image.
# On cherche l'image qui maximise
#
# $$\mathcal L(x) = \tilde y_i(x) - \lambda\,\|x\|_2 \qquad (3)$$
#
# par montée de gradient, comme on entraîne un réseau, mais par rapport à l'entrée et dans le
# sens qui *augmente* l'objectif :
#
# $$x \leftarrow x + \eta\,\nabla_x \mathcal L(x) \qquad (4)$$
#
# où $\eta$ est le pas (le *learning rate*). Deux choix méritent d'être justifiés.
#
# - **Le score plutôt que la probabilité.** La probabilité softmax de la classe $i$ peut monter
#   simplement parce que les scores des *autres* classes baissent ; Simonyan et al. (§2)
#   maximisent le score pour que la montée ne passe pas par là. Un score ne mesure pas pour autant
#   la seule évidence en faveur de $i$ : le softmax ne change pas quand on ajoute la même
#   constante à tous les scores, si bien que chaque score mêle ce qui distingue la classe $i$ et
#   une part commune à toutes les classes ; on isole la première en retranchant la moyenne des
#   autres scores, ou en comparant aux autres classes (partie 1,
#   [Q2 b](../partie-1-saillance/#q2)).
# - **La pénalité $\lambda\|x\|_2$.** Un réseau à ReLU est linéaire par morceaux : sans frein, la
#   montée ferait croître le score en amplifiant le contraste partout. La pénalité impose
#   d'expliquer la classe avec le moins d'écart possible à une image neutre.
#
# ### Norme, ou norme au carré ?
#
# L'équation (3) du sujet pénalise $\|x\|_2$ ; l'article de Simonyan et al. (leur équation 1), le
# TP CS231n et `tp8` pénalisent $\|x\|_2^2$ (voir la docstring de `tp8.class_visualization`). Le
# gradient de $\lambda\|x\|_2^2$ vaut $2\lambda x$, si bien que la règle (4) s'écrit
#
# $$x \leftarrow (1 - 2\eta\lambda)\,x + \eta\,\nabla_x \tilde y_i(x) :$$
#
# à chaque pas, l'image est d'abord *rétrécie* d'un facteur constant vers l'origine, puis poussée
# par le gradient du score. C'est la « décroissance L2 » (*L2 decay*) de Yosinski et al., avec
# $\theta_{\text{decay}} = 2\eta\lambda$, à un détail près : leur pas
# $x \leftarrow r_\theta(x + \eta\nabla)$, avec $r_\theta(x) = (1 - \theta)\,x$, rétrécit aussi le
# terme de gradient, qui y est multiplié par $1 - \theta$ (0,99 avec les réglages du TP). Le
# gradient de la norme non élevée au carré, $\lambda\,x/\|x\|_2$, est au contraire un rappel de
# **longueur constante** $\lambda$, quelle que soit la distance de l'image à l'origine. Les deux
# formulations décrivent pourtant la même famille de points stationnaires : un point stationnaire
# vérifie $\nabla\tilde y_i = 2\lambda x^\star$ dans un cas et
# $\nabla\tilde y_i = \lambda' x^\star/\|x^\star\|_2$ dans l'autre, ce qui est la même condition dès
# que $\lambda' = 2\lambda\|x^\star\|_2$, un $\lambda'$ qui dépend de la solution, image par image.
# L'équivalence s'arrête là. Elle ne porte que sur le premier ordre : la pénalité au carré est
# courbée dans toutes les directions, la norme simple pas du tout le long du rayon qui mène à
# l'origine, si bien qu'un même point stationnaire peut être un maximum local pour l'une et un
# point-selle pour l'autre. Et sur les pixels que la projection décrite plus bas bloque à 0 ou
# à 1, l'égalité devient une inégalité (conditions de Karush-Kuhn-Tucker). Enfin, pour une image
# dont la norme vaut quelques centaines, il faut un $\lambda'$ des centaines de fois plus grand
# que $\lambda$ (ordre de grandeur calculé plus bas).
#
# ### Dans quel espace ?
#
# Le réseau ne reçoit pas les pixels $x \in [0,1]$ mais leur version normalisée, canal par canal,
# $z = (x - \mu)/\sigma$, avec $\mu$ et $\sigma$ la moyenne et l'écart-type des pixels d'ImageNet.
# `tp8` fait la montée directement sur $z$ et pénalise $\|z\|_2^2$. L'origine $z = 0$ n'est donc
# pas l'image noire mais **une image uniforme de la couleur moyenne d'ImageNet** (l'« image
# moyenne » de la suite), un gris légèrement chaud : la pénalité tire vers cette image neutre. C'est aussi le choix de Simonyan et al., qui optimisent une image
# dont on a retranché la moyenne et rajoutent celle-ci pour l'affichage.
#
# ### Les régularisations implicites
#
# Selon Yosinski et al. (2015), la pénalité L2 ne suffit pas : la montée de gradient trouve
# d'abord des motifs de haute fréquence, collés à des positions de pixels précises. On ajoute donc
# des opérations appliquées directement à l'image, en dehors de l'objectif :
#
# - **translation aléatoire** (*jitter*) : avant chaque pas, l'image est décalée (circulairement)
#   d'au plus 16 pixels dans chaque direction, le gradient est calculé et appliqué sur l'image
#   décalée, puis le décalage est annulé. Un motif ne survit que s'il fait monter le score *où
#   qu'il tombe*, ce qui élimine les motifs attachés à une position. L'idée vient du code de
#   DeepDream (Mordvintsev et al., 2015) et est reprise dans le TP CS231n ;
# - **flou gaussien** d'écart-type 0,5 pixel toutes les 10 itérations : il atténue les hautes
#   fréquences (Yosinski et al.) ;
# - **projection sur les pixels valides** : après chaque pas, chaque pixel est ramené dans
#   $[0, 1]$, sans quoi le résultat ne serait pas une image ;
# - en option, les deux **écrêtages** de Yosinski et al. : remettre à l'image moyenne les pixels
#   de faible norme, ou de faible contribution au score (paramètres `clip_norm_percentile` et
#   `clip_contribution_percentile` de `tp8.class_visualization`, non utilisés ici).
#
# D'autres travaux pénalisent plutôt le détail fin dans l'objectif lui-même : Mahendran et Vedaldi
# (2015, 2016) ajoutent à la norme de l'image sa *variation totale*, la somme des écarts (en valeur
# absolue ou au carré) entre pixels voisins, un a priori explicite sur les images naturelles. Le TP s'en tient au flou, qui
# agit sur l'image sans changer ce que l'on maximise.

# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from skimage.color import rgb2hsv

import tp8
from tp8.course import claim, num, pct, prob, sci, second_network, show, table, tr  # noqa: F401 (pct, prob : dans les gabarits de tr)

torch.manual_seed(0)
model = tp8.load_model()  # SqueezeNet 1.1 (Iandola et al., 2016), pré-entraîné sur ImageNet


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


def saturation(images):
    """Saturation moyenne (HSV, de 0 pour un gris à 1 pour une couleur pure) de chaque image."""
    return torch.tensor([float(rgb2hsv(im)[..., 1].mean()) for im in tp8.to_numpy(images)])


def moitie(images):
    """Les images réduites de moitié (moyenne de chaque bloc de 2 × 2 pixels) : des vignettes quatre fois
    plus légères, pour les figures qui comparent des réglages plutôt que des détails."""
    return torch.nn.functional.avg_pool2d(images, 2)


def centre(images, cote=112):
    """Le carré central de chaque image, à pleine résolution : pour comparer la texture fine."""
    i, j = (images.shape[-2] - cote) // 2, (images.shape[-1] - cote) // 2
    return images[..., i : i + cote, j : j + cote]


def liste(mots):
    """« a », « a et b », « a, b et c » (dans la langue en cours d'écriture)."""
    mots, et = [format(m) for m in mots], str(tr(" et "))
    return et.join(mots) if len(mots) < 3 else ", ".join(mots[:-1]) + et + mots[-1]


# %% [markdown]
# Le sujet ne fixe aucun réglage. Les valeurs par défaut de `tp8.class_visualization`, utilisées
# partout sauf mention contraire, reprennent celles du TP CS231n pour $\lambda = 10^{-3}$, le
# nombre d'itérations (100), le flou (écart-type de 0,5 pixel, toutes les 10 itérations) et le
# décalage (au plus 16 pixels). Le pas diffère : ce cours a retenu $\eta = 5$ pour SqueezeNet 1.1,
# là où CS231n prend 25 ; Q9 montre ce que donnent un pas dix fois plus petit et dix fois plus
# grand, et ce qu'apportent des itérations au-delà de 100.

# %% tags=["hide-input"]
DEFAUTS = dict(lr=5.0, l2_reg=1e-3, num_iterations=100, blur_every=10, blur_sigma=0.5, max_jitter=16)
decay = 1 - 2 * DEFAUTS["lr"] * DEFAUTS["l2_reg"]
# L'image de départ elle-même (la première vignette d'une ascension, même graine que plus bas).
depart = tp8.class_visualization(model, "flamingo", **{**DEFAUTS, "num_iterations": 1}, seed=0, progress=False)
bruit_depart = depart.snapshots[0][1]
norme_bruit = float(model.normalize(bruit_depart).norm())
display(
    tr(
        """Avec ces valeurs, la décroissance L2 multiplie $z$ par $1 - 2\\eta\\lambda = {num(decay, tex=True)}$ à \
chaque pas, soit par ${num(decay, tex=True)}^{{100}} \\approx {num(decay**100, tex=True)}$ en 100 pas si le gradient \
du score ne compensait pas. L'image de départ est un bruit gaussien $z \\sim \\mathcal N(0, 1)$, ramené dans les \
pixels valides, de norme $\\|z\\|_2 \\approx {num(norme_bruit, 0, tex=True)}$ : sa pénalité vaut \
$\\lambda\\|z\\|_2^2 \\approx {num(DEFAUTS['l2_reg'] * norme_bruit**2, 0, tex=True)}$, et avec la norme non \
élevée au carré il faudrait $\\lambda' = 2\\lambda\\|z\\|_2 \\approx \
{num(2 * DEFAUTS['l2_reg'] * norme_bruit, tex=True)}$ pour exercer le même rappel sur cette image."""
    )
)
# %% [markdown]
# ## À vous : le pas de la montée
#
# Toute la méthode tient dans le pas de l'équation (4) ; le bruit de départ, les translations, le
# flou et le retour dans les pixels valides ne sont que l'échafaudage autour. La fonction
# `pas_de_montee` ci-dessous fait **un** pas pour tout un lot : elle reçoit des images $z$ déjà
# exprimées dans l'espace normalisé du réseau (`modele.forward_normalized(z)` en donne les scores),
# calcule pour chacune l'objectif $\mathcal L(z) = \tilde y_c(z) - \lambda\|z\|_2^2$ de sa propre
# classe $c$, et renvoie $z + \eta\,\nabla_z \mathcal L(z)$.
#
# *Indications.* Comme pour la carte de saillance, une passe avant et une passe arrière suffisent pour
# tout le lot : chaque image n'agit que sur son propre objectif, donc le gradient de la **somme** des
# objectifs donne à chacune le sien. Dérivez avec `torch.autograd.grad`, par rapport à une copie de `z`
# qui demande son gradient (`requires_grad_(True)`), et renvoyez un tenseur détaché du graphe.


# %%
def pas_de_montee(modele, z, cibles, pas, lam):
    """Un pas de montée de gradient sur L(z) = ỹ_c(z) − λ‖z‖₂², pour chaque image du lot (éq. 3 et 4).

    Args:
        modele: le réseau ; modele.forward_normalized(z) donne les scores ỹ (avant le softmax)
            d'images déjà normalisées.
        z: tenseur (N, 3, H, W), les images dans l'espace normalisé du réseau (ne le modifiez pas).
        cibles: tenseur (N,) des classes visées, une par image.
        pas: η, le pas de la montée.
        lam: λ, le poids de la pénalité : la norme au carré ‖z‖₂² de chaque image.

    Renvoie:
        z + η ∇_z L, tenseur (N, 3, H, W) détaché du graphe, sans translation, flou ni bornage
        (la boucle qui appelle cette fonction s'en charge).
    """
    ### BEGIN SOLUTION
    z_montee = z.detach().clone().requires_grad_(True)
    scores_montee = modele.forward_normalized(z_montee).gather(1, cibles.view(-1, 1))[:, 0]
    objectif_montee = scores_montee - lam * z_montee.pow(2).flatten(1).sum(dim=1)
    (gradient_montee,) = torch.autograd.grad(objectif_montee.sum(), z_montee)
    return (z_montee + pas * gradient_montee).detach()
    ### END SOLUTION


# %% tags=["check"]
tp8.checks.class_visualization_step(pas_de_montee)


# %% [markdown]
# La boucle ci-dessous reprend celle de `tp8.class_visualization`, avec les mêmes réglages, autour de
# votre pas : avant chaque pas, l'image est décalée au hasard (`tp8.jitter`) ; après lui, le décalage
# est annulé et les pixels sont ramenés dans $[0, 1]$ ; toutes les dix itérations, l'image est floutée
# (`tp8.gaussian_blur`). Elle fabrique ici deux classes, montrées réduites de moitié (chaque bloc de
# 2 × 2 pixels moyenné) pour alléger la page ; `vos_images` garde la pleine résolution. La suite de
# la page appelle `tp8.class_visualization`.


# %%
def visualiser(modele, classes, pas_fn, *, lr, l2_reg, num_iterations, blur_every, blur_sigma, max_jitter, seed=0):
    """La montée régularisée de tp8.class_visualization, autour du pas `pas_fn` ; renvoie les images dans [0, 1]."""
    generateur = torch.Generator().manual_seed(seed)
    cibles = modele.class_indices(classes, len(classes))
    bas = modele.normalize(torch.zeros(1, 3, 1, 1))
    haut = modele.normalize(torch.ones(1, 3, 1, 1))
    z = torch.randn((len(classes), 3, 224, 224), generator=generateur)
    z = torch.maximum(torch.minimum(z, haut), bas)
    for t in range(1, num_iterations + 1):
        dx, dy = (int(v) for v in torch.randint(-max_jitter, max_jitter + 1, (2,), generator=generateur))
        z = pas_fn(modele, tp8.jitter(z, dx, dy), cibles, lr, l2_reg)
        z = torch.maximum(torch.minimum(tp8.jitter(z, -dx, -dy), haut), bas)
        if blur_every and t % blur_every == 0:
            z = tp8.gaussian_blur(z, blur_sigma)
    return modele.denormalize(z).clamp(0, 1)


VOS_CLASSES = ["flamingo", "tarantula"]
votre_pas = tp8.checks.use(pas_de_montee, tp8.checks.class_visualization_step)
vos_images = visualiser(model, VOS_CLASSES, votre_pas, **DEFAUTS)
vos_mesures = mesures(model, vos_images, model.class_indices(VOS_CLASSES, len(VOS_CLASSES)))
show(
    tp8.image_grid(
        moitie(vos_images), [f"{c}\np = {num(p, 3)}" for c, p in zip(VOS_CLASSES, vos_mesures["proba"])], ncols=2
    ),
    alt=tr(
        """Deux images fabriquées par la boucle autour du pas de montée, réduites de moitié, l'une pour la classe \
flamingo, l'autre pour tarantula, chacune titrée de la probabilité que le réseau donne à sa classe."""
    ),
)

# %% [markdown]
# ## Six classes en un seul appel
#
# `tp8.class_visualization` accepte une liste de classes et optimise toutes les images en un seul
# lot : une image de bruit par classe, les mêmes translations aléatoires pour toutes. On choisit
# des animaux, un objet et un paysage. Sous chaque image : la probabilité finale de la classe
# visée et son score.

# %%
CLASSES = ["flamingo", "tarantula", "goldfish", "king penguin", "hourglass", "volcano"]
viz = tp8.class_visualization(model, CLASSES, snapshot_every=0, seed=0, **DEFAUTS)
m = mesures(model, viz.images, viz.target)
titres = [f"{c}\np = {num(p, 3)}, ỹ = {num(s, 0)}" for c, p, s in zip(CLASSES, m["proba"], m["score"])]
show(
    tp8.image_grid(viz.images, titres, ncols=3),
    alt=tr(
        """Six images générées, une par classe ({", ".join(CLASSES)}), chacune titrée de sa probabilité et de son \
score : des motifs colorés répétés sur un fond gris."""
    ),
)

# %% [markdown]
# Pour les six classes, la probabilité de la classe visée et l'objectif
# $\tilde y_i - \lambda\|z\|_2^2$ au fil des itérations. Chaque point est mesuré sur l'image
# *décalée* de l'itération en cours, d'où les zigzags. L'évolution d'une image au fil des
# itérations est montrée en Q9.

# %%
iterations = np.arange(viz.probabilities.shape[0])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.0), facecolor="white", layout="constrained")
for k, c in enumerate(CLASSES):
    ax1.plot(iterations, viz.probabilities[:, k], label=c, lw=1.3)
    ax2.plot(iterations, viz.objective[:, k], lw=1.3)
ax1.set(xlabel=tr("itération"), ylabel=tr("probabilité de la classe visée"), ylim=(-0.02, 1.02))
ax2.set(xlabel=tr("itération"), ylabel=tr(r"objectif $\tilde y_i - \lambda\|z\|_2^2$"))
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
ax1.legend(fontsize=8, ncols=2, loc="lower right")
show(
    fig,
    alt=tr(
        """Deux graphiques en fonction de l'itération, une courbe par classe : à gauche la probabilité de la classe \
visée, à droite l'objectif, le score moins la pénalité."""
    ),
)

# %% [markdown] tags=["question"]
# <a id="q8"></a>
# ## Q8 — Les images obtenues
#
# **Q8.8 ★** Montrez les images obtenues pour plusieurs classes et interprétez-les : qu'y voit-on,
# à quel point le réseau en est-il sûr, et qu'est-ce que cela dit de ce qu'il a appris ?

# %% [markdown] tags=["enonce"]
# Quelques mesures sur les six images finales : le score, la probabilité qui reste aux 999 autres
# classes ($1 - p$), l'itération à partir de laquelle $p$ dépasse 0,5, la classe suivante dans le
# classement du réseau, $1 - p$ une fois l'image arrondie sur 8 bits (ce que contiendrait un PNG)
# et la norme $\|z\|_2$. La colonne « voisinage » situe la deuxième classe parmi les 999 autres :
# la dernière couche donne à chaque classe un vecteur de poids, et l'on classe les autres classes
# par similarité cosinus avec celui de la classe visée (1 = la plus semblable). Le second tableau
# donne, pour comparaison, la classe en tête, son score et sa probabilité sur les huit photos du
# cours (`tp8.sample_images()`).

# %% tags=["hide-input"]
photos = {s.name: s for s in tp8.sample_images()}  # les huit photos libres du cours
images_photos = torch.stack([s.image for s in photos.values()])
top_photos = [top[0][0] for top in model.predict(images_photos, k=1)]  # classe en tête pour chaque photo
vraies = mesures(model, images_photos, [model.class_index(t) for t in top_photos])
deuxieme = [top[1] for top in model.predict(viz.images, k=2)]
m8 = mesures(model, tp8.quantize(viz.images), viz.target)
seuil = [int(np.argmax(viz.probabilities[:, k].numpy() > 0.5)) for k in range(len(CLASSES))]
last = [m_ for m_ in model.net.modules() if isinstance(m_, (torch.nn.Linear, torch.nn.Conv2d))][-1]
w = torch.nn.functional.normalize(last.weight.detach().flatten(1), dim=1)
similarity = w @ w.T
rang_voisine = []
for k in range(len(CLASSES)):
    order = similarity[viz.target[k]].argsort(descending=True).tolist()
    rang_voisine.append(order.index(model.class_index(deuxieme[k][0])))  # order[0] est la classe visée
display(
    table(
        [
            {
                tr("classe visée"): c,
                tr("score ỹ"): tr("{num(m['score'][k], 0)}"),
                "1 − p": tr("{sci(m['reste'][k])}"),
                tr("p > 0,5 dès l'itération"): seuil[k],
                tr("2e classe (p)"): tr("{deuxieme[k][0]} ({sci(deuxieme[k][1])})"),
                tr("voisinage"): rang_voisine[k],
                tr("1 − p après arrondi 8 bits"): tr("{sci(m8['reste'][k])}"),
                "‖z‖₂": tr("{num(m['norme'][k], 0)}"),
            }
            for k, c in enumerate(CLASSES)
        ]
    )
)
display(
    table(
        [
            {
                tr("photo"): nom,
                tr("classe en tête"): t,
                tr("score ỹ"): tr("{num(vraies['score'][k], 0)}"),
                "p": tr("{num(vraies['proba'][k])}"),
            }
            for k, (nom, t) in enumerate(zip(photos, top_photos))
        ]
    )
)

# %% tags=["hide-input"]
voisines = sum(r <= 20 for r in rang_voisine)
k_max = int(vraies["score"].argmax())  # la photo dont la classe en tête a le plus haut score
scores_photos = float(vraies["score"][k_max])
saut = viz.objective[10] - viz.objective[9]
montee_finale = viz.objective[-1] - viz.objective[max(seuil) + 10]
with torch.no_grad():  # la part commune : la moyenne des 999 autres scores, sur le bruit de départ et à la fin
    scores_depart, scores_fin = model(viz.snapshots[0][1]), model(viz.images)
lignes = torch.arange(len(CLASSES))


def moyenne_autres(scores):
    """La moyenne des scores des 999 classes autres que la classe visée, pour chaque image."""
    return (scores.sum(dim=1) - scores[lignes, viz.target]) / (scores.shape[1] - 1)


gain_vise = scores_fin[lignes, viz.target] - scores_depart[lignes, viz.target]
gain_autres = moyenne_autres(scores_fin) - moyenne_autres(scores_depart)
commune = gain_autres / gain_vise
if bool((gain_autres > 0).all()):
    texte_commune = tr(
        """Le score visé n'est pas seul à monter : \
{claim(bool((gain_autres > 0).all()), "pour chacune des six images, la moyenne des 999 autres scores monte aussi")}, \
de {num(moyenne_autres(scores_depart).mean(), 1)} sur le bruit de départ à \
{num(moyenne_autres(scores_fin).mean(), 1)} en moyenne, soit de {pct(commune.min())} à {pct(commune.max())} de ce \
que gagne le score visé. Cette part commune à toutes les classes ne distingue pas la classe visée ; la page \
[Des images lisibles](../images-lisibles/) la retranche de l'objectif."""
    )
elif bool((gain_autres < 0).all()):
    texte_commune = tr(
        """{claim(bool((gain_autres < 0).all()), "Pour chacune des six images, la moyenne des 999 autres scores baisse")} \
(de {num(moyenne_autres(scores_depart).mean(), 1)} sur le bruit de départ à \
{num(moyenne_autres(scores_fin).mean(), 1)} en moyenne) : ce que gagne le score visé ne vient pas d'une montée \
commune à toutes les classes."""
    )
else:
    texte_commune = tr(
        """La moyenne des 999 autres scores, elle, monte pour certaines images et baisse pour d'autres (de \
{pct(commune.min(), sign=True)} à {pct(commune.max(), sign=True)} de ce que gagne le score visé) : la part commune à \
toutes les classes varie d'une image à l'autre."""
    )
display(
    tr(
        """**Le réseau est catégorique.** Pour les {len(CLASSES)} images, la probabilité laissée aux 999 autres \
classes ne dépasse pas {sci(m['reste'].max())}, et $p$ dépasse 0,5 pour la première fois entre les itérations \
{min(seuil)} et {max(seuil)}. La deuxième classe du classement, malgré sa probabilité infime, \
{claim(voisines >= len(CLASSES) // 2, "est souvent une classe voisine pour le réseau")} : \
{", ".join(tr("`{deuxieme[k][0]}` pour `{c}`") for k, c in enumerate(CLASSES))}. Pour {voisines} des \
{len(CLASSES)} classes, elle figure parmi les 20 classes dont le vecteur de poids de la dernière couche ressemble le \
plus (similarité cosinus) à celui de la classe visée : les motifs dessinés par la montée servent aussi, un peu, à ces \
voisines, que leur sens soit proche ou non. Les scores finaux, de {num(m['score'].min(), 0)} à \
{num(m['score'].max(), 0)}, {claim(m["score"].min() > 2 * scores_photos, "dépassent de loin ceux des photos du cours")} \
: sur ces huit photos, la classe en tête n'obtient jamais plus de {num(scores_photos, 0)} (`{top_photos[k_max]}` sur \
la photo *{list(photos)[k_max]}*, $p = {num(vraies['proba'][k_max], tex=True)}$). Au sens du réseau, ces images sont \
des *super-stimuli* : il réagit bien plus fort à elles qu'à ces photos. Aucune de ces photos ne montre pourtant un \
flamant ni une tarentule : pour affirmer qu'une image bat *toute* photo de sa classe, il faudrait noter de vraies \
photos de cette classe. L'objectif, lui, part très bas (${num(viz.objective[0].mean(), 0, tex=True)}$ en moyenne : \
c'est la pénalité du bruit initial, calculée plus haut), \
{claim(bool((saut > 0).all()) and float(saut.mean()) > 20, "bondit au premier flou")}, à l'itération 10 (de \
{num(saut.mean(), 0)} en moyenne), qui efface d'un coup une grande partie du bruit, puis \
{claim(bool((montee_finale > 0).all()), "continue de monter bien après que la probabilité a saturé")} : c'est le \
score qui est maximisé, pas la probabilité. {texte_commune}"""
    )
)

# %% [markdown]
# **Des morceaux répétés, pas un objet entier.** Aucune image ne montre *un* flamant ou *une*
# tarentule posés sur un fond. On y voit des fragments de la classe — têtes et cous roses de
# flamant, pattes velues de tarentule, têtes de manchot — répétés un peu partout, à plusieurs
# tailles et dans plusieurs orientations. L'objectif y pousse, quoi que le réseau sache de la
# forme d'ensemble : le score final de SqueezeNet est une moyenne, sur toutes les positions de
# l'image, de détecteurs de motifs (le *pooling* global de la dernière couche), si bien que chaque
# copie supplémentaire d'une tête de flamant ajoute un peu de score ; et la translation aléatoire
# favorise justement les motifs qui fonctionnent n'importe où. Ces images montrent donc les parties
# que le réseau a appris à reconnaître (une tête, un œil, une texture de poils), mais ne prouvent
# pas qu'il ignore leur agencement. Que les réseaux entraînés sur ImageNet s'appuient surtout sur
# des indices locaux, d'autres expériences le montrent sur des photos : un modèle qui ne regarde
# que des carrés de 33 pixels, sans tenir compte de leur disposition, atteint 87,6 % de réussite
# top-5 (Brendel et Bethge, 2019), et sur une image où la forme d'un chat porte la texture d'une
# peau d'éléphant, ces réseaux suivent le plus souvent la texture (Geirhos et al., 2019).

# %% [markdown] tags=["enonce"]
# ### Un seul quart de l'image
#
# Chaque image est réduite à l'un de ses quatre quarts, le reste étant remplacé par le gris moyen,
# et l'on compte les quarts encore classés dans la classe visée. Même test sur les huit photos du
# cours, avec la classe que le réseau leur attribue.


# %% tags=["hide-input"]
def quarts_reconnus(images, cibles):
    """Pour chaque quart de chaque image, seul sur le gris moyen : est-il classé dans sa classe ? (4, N)"""
    gris = torch.tensor(tp8.models.IMAGENET_MEAN).view(1, 3, 1, 1)
    vus = []
    for i in (0, 112):
        for j in (0, 112):
            masque = gris.expand_as(images).clone()
            masque[:, :, i : i + 112, j : j + 112] = images[:, :, i : i + 112, j : j + 112]
            with torch.no_grad():
                vus.append(model(masque).argmax(1) == cibles)
    return torch.stack(vus)


vus = quarts_reconnus(viz.images, viz.target)
photos_cours = images_photos  # les huit photos du cours, déjà chargées
vus_photos = quarts_reconnus(photos_cours, model(photos_cours).argmax(1).detach())
table(
    [
        {tr("images"): tr("générées (six classes)"), tr("quarts reconnus"): tr("{int(vus.sum())} sur {vus.numel()}")},
        {
            tr("images"): tr("photos du cours"),
            tr("quarts reconnus"): tr("{int(vus_photos.sum())} sur {vus_photos.numel()}"),
        },
    ]
)

# %% tags=["hide-input"]
part_viz, part_photos = float(vus.float().mean()), float(vus_photos.float().mean())
display(
    tr(
        """Réduites à un seul de leurs quatre quarts, {int(vus.sum())} des {vus.numel()} vignettes restent classées \
dans leur classe visée, soit {pct(part_viz)}, contre {pct(part_photos)} pour les quarts des huit photos du cours : \
{claim(part_viz >= 0.4 and part_viz > 3 * part_photos, "les indices de la classe sont répétés un peu partout")}, \
alors qu'une photo en rassemble en général l'essentiel au même endroit. Le test avantage toutefois les images \
générées : leur fond est déjà proche du gris qui remplace les trois autres quarts, et le réseau en est bien plus sûr \
que des photos ; il ne sépare pas la répétition des indices de ces deux différences."""
    )
)

# %% tags=["hide-input"]
ecart = viz.images - torch.tensor(tp8.models.IMAGENET_MEAN).view(1, 3, 1, 1)  # écart au gris moyen de départ
force = ecart.norm(dim=1, keepdim=True)
marques = (force >= force.flatten(1).quantile(0.9, dim=1).view(-1, 1, 1, 1)).float()  # 10 % les plus marqués
fond = (force <= force.flatten(1).median(dim=1).values.view(-1, 1, 1, 1)).float()  # la moitié la moins marquée
fond_niveaux = float((ecart.abs() * fond).sum() / (3 * fond.sum())) * 255
# La teinte des détails marqués, en écart au gris moyen (qui tire déjà vers le rouge : R > V > B).
teinte = {c: (ecart[k] * marques[k]).sum((1, 2)) / marques[k].sum() for k, c in enumerate(CLASSES)}
NOMS_ROUGES = {"flamingo": tr("du flamant"), "goldfish": tr("du poisson rouge"), "volcano": tr("du volcan")}
rouges = [c for c in NOMS_ROUGES if teinte[c][0] > max(teinte[c][1], teinte[c][2], 0)]
texte_fond = (
    tr(
        """{claim(fond_niveaux < 20, "Le fond reste proche du gris moyen d'où part la montée")} : la moitié la \
moins marquée des pixels ne s'en écarte que de {num(fond_niveaux, 0)} niveaux sur 255 en moyenne, et seuls les \
détails les plus marqués prennent une couleur"""
    )
    if fond_niveaux < 20
    else tr(
        """Même la moitié la moins marquée des pixels s'écarte de {num(fond_niveaux, 0)} niveaux sur 255, en \
moyenne, du gris d'où part la montée"""
    )
)
if len(rouges) == len(NOMS_ROUGES):
    texte_rouge = claim(
        len(rouges) == 3,
        "les détails les plus marqués du flamant, du poisson rouge et du volcan tirent vers le rouge",
    )
elif rouges:
    texte_rouge = tr("les détails les plus marqués {liste(NOMS_ROUGES[c] for c in rouges)} tirent vers le rouge")
else:
    texte_rouge = tr(
        "les détails les plus marqués du flamant, du poisson rouge et du volcan ne tirent pas vers le rouge"
    )
display(
    tr(
        """**Les couleurs restent discrètes.** {texte_fond}. Sur ces images, {texte_rouge} (en écart au gris moyen, \
qui penche déjà vers le rouge). La couleur est un indice bon marché pour ces classes, mais la méthode du TP la laisse \
peu s'exprimer ; la page [Des images lisibles](../images-lisibles/) montre ce qu'y change une autre façon de décrire \
l'image."""
    )
)

# %% [markdown]
# **Le contexte peut faire partie de la classe.** Un réseau entraîné sur des photos peut apprendre
# aussi ce qui *accompagne* l'objet : l'eau où se tiennent les flamants, le ciel autour d'un
# volcan, la main qui tient un objet. Une classe photographiée presque toujours dans le même
# décor fait de ce décor un indice de la classe : c'est une source classique de raccourcis, et
# d'erreurs, des classifieurs. Cherchez ces décors dans les images ci-dessus.
#
# **Une certitude sans image naturelle : le lien avec les exemples adversaires.** Le réseau
# donne une probabilité quasi égale à 1 à des images qu'aucun humain ne prendrait pour des
# photos, et cette certitude survit à l'arrondi sur 8 bits (tableau). C'est le phénomène de la
# partie 2 vu de l'autre côté : la montée de gradient n'a pas besoin de produire un flamant,
# seulement une entrée qui fait monter le score, et le réseau n'a jamais appris à dire « ceci
# n'est pas une photo ». Nguyen, Yosinski et Clune (2015) en ont tiré des *images trompeuses*
# méconnaissables classées avec plus de 99 % de confiance. Les régularisations ne rendent pas le
# réseau plus sûr ; elles orientent seulement la recherche vers des images que nous savons lire
# (on le vérifie en Q9 en les retirant).
#
# **Avec un réseau robuste, le même gradient dessine l'objet.** Les trois parties du TP suivent le
# même gradient : la saillance le lit en un point, l'attaque le suit quelques pas, la visualisation
# cent. Pour un réseau entraîné de façon ordinaire, ce gradient est dominé par des détails fins
# que nous ne percevons pas, d'où la translation et le flou. Tsipras et al. (2019) ont observé
# qu'après un entraînement adversaire (partie 2, Q7), le gradient du score ressemble à l'objet : la
# carte de saillance en dessine les contours, et une attaque assez grande fait apparaître dans
# l'image des traits de la classe visée. Santurkar et al. (2019) obtiennent ainsi des images de
# classes par une montée de gradient projetée dans une grande boule $\ell_2$ autour d'un tirage
# aléatoire qui n'a que les statistiques grossières des photos de la classe, sans translation ni
# flou ; Engstrom
# et al. (2019) visualisent de même les unités de l'avant-dernière couche. Ce que montre une
# visualisation tient donc au moins autant au réseau qu'à la méthode : les motifs illisibles d'un
# réseau ordinaire sont des indices qu'il utilise vraiment, et qu'un réseau robuste a appris à
# ignorer (Ilyas et al., 2019). Ce cours n'a pas de réseau robuste pour le mesurer.
#
# **Lire une visualisation reste une interprétation.** Pour deviner laquelle de deux photos active
# fortement une unité d'un réseau, des observateurs humains s'en sortent mieux avec quelques
# photos qui l'activent fortement qu'avec sa visualisation (Borowski et al., 2021) ; et l'on peut
# modifier un réseau pour que ses visualisations montrent un motif quelconque sans rien changer à
# ses réponses sur des photos (Geirhos et al., 2023). Une image de classe suggère des hypothèses
# sur ce que le réseau a appris ; seules des expériences sur des photos, comme celles citées plus
# haut, les confirment ou non.

# %% tags=["remove-cell"]
claim(float(m8["reste"].max()) < 0.01, "cette certitude survit à l'arrondi sur 8 bits")
# %% [markdown] tags=["question"]
# <a id="q9"></a>
# ## Q9 — Itérations, pas et régularisation
#
# **Q8.9** Faites varier le nombre d'itérations, le pas $\eta$ et le poids $\lambda$ de la
# régularisation : que change chacun de ces réglages, dans l'image et dans la réponse du réseau ?

# %% [markdown] tags=["enonce"]
# Pour garder la page rapide, on étudie une seule classe, le flamant, une image seule avec la
# graine 0. Une exécution de 200 itérations fournit la progression, et son état à l'itération 100
# est exactement ce que donnerait un appel de 100 itérations avec les réglages par défaut : il sert
# de référence dans toutes les comparaisons. (Il diffère du flamant de la grille du haut : le bruit
# de départ est le même, mais la suite de translations aléatoires tirée pour une image seule n'est
# pas celle d'un lot de six.) Chaque comparaison donne un tableau : la probabilité $p$, le score
# $\tilde y$, l'objectif $\mathcal L = \tilde y - \lambda\|z\|_2^2$ (avec le $\lambda$ de
# l'exécution), la norme $\|z\|_2$ (l'écart à l'image moyenne), la part de l'énergie de l'image
# dans les motifs de moins de 4 pixels et sa saturation moyenne (0 pour un gris, 1 pour des
# couleurs pures). Les figures montrent les images entières réduites de moitié, ou leur carré
# central de 112 × 112 pixels à pleine résolution quand la texture fine compte.

# %%
CIBLE = "flamingo"
idx_cible = model.class_index(CIBLE)
long = tp8.class_visualization(model, CIBLE, **{**DEFAUTS, "num_iterations": 200}, snapshot_every=5, seed=0)
etapes = dict(long.snapshots)
reference = etapes[100]


def bilan(images, reglages, lam=DEFAUTS["l2_reg"], **colonnes):
    """Mesures d'images du flamant, affichées en tableau (une ligne par réglage) et renvoyées."""
    mm = mesures(model, images, [idx_cible] * images.shape[0])
    mm["objectif"] = mm["score"] - torch.as_tensor(lam, dtype=torch.float32) * mm["norme"] ** 2
    mm["hautes fréquences"] = tp8.course.high_frequency_share(images)
    mm["saturation"] = saturation(images)
    lignes = []
    for k, r in enumerate(reglages):
        ligne = {
            tr("réglage"): r,
            "p": tr("{num(mm['proba'][k], 3)}"),
            tr("score ỹ"): tr("{num(mm['score'][k], 0)}"),
            tr("objectif 𝓛"): tr("{num(mm['objectif'][k], 0)}"),
            "‖z‖₂": tr("{num(mm['norme'][k], 0)}"),
            tr("motifs < 4 px"): tr("{pct(mm['hautes fréquences'][k])}"),
            tr("saturation"): tr("{num(mm['saturation'][k])}"),
        }
        ligne.update({nom: valeurs[k] for nom, valeurs in colonnes.items()})
        lignes.append(ligne)
    display(table(lignes))
    return mm


# %% [markdown] tags=["enonce"]
# ### Nombre d'itérations
#
# La même ascension aux itérations 25, 100 et 200 ; le tableau mesure aussi le bruit de départ
# (itération 0). Les courbes donnent ensuite le score et la norme toutes les 5 itérations
# (pointillé : l'itération 100 des réglages par défaut).

# %%
montrees = [0, 25, 100, 200]
images_it = torch.cat([etapes[t] for t in montrees])
p_it = mesures(model, images_it, [idx_cible] * len(montrees))["proba"]
show(  # le bruit de départ (itération 0) n'est que dans le tableau
    tp8.image_grid(
        moitie(images_it[1:]), [tr("itération {t}\np = {num(p, 3)}") for t, p in zip(montrees[1:], p_it[1:])], ncols=3
    ),
    alt=tr(
        """Trois états de la même image de flamant, réduits de moitié, aux itérations 25, 100 et 200, chacun titré \
de la probabilité de la classe visée."""
    ),
)
m_it = bilan(images_it, [tr("itération {t}") for t in montrees])

# %% tags=["hide-input"]
toutes = sorted(etapes)
m_long = mesures(model, torch.cat([etapes[t] for t in toutes]), [idx_cible] * len(toutes))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2), facecolor="white", layout="constrained")
ax1.plot(toutes, m_long["score"], marker=".", color="tab:red")
ax1.set(xlabel=tr("itération"), ylabel=tr(r"score $\tilde y$ de « flamingo »"))
ax2.plot(toutes, m_long["norme"], marker=".", color="tab:blue")
ax2.set(xlabel=tr("itération"), ylabel=tr(r"$\|z\|_2$ (écart à l'image moyenne)"))
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.axvline(100, color="grey", ls=":", lw=1)
show(
    fig,
    alt=tr(
        """Deux courbes en fonction de l'itération, de 0 à 200 : à gauche le score de « flamingo », à droite la \
norme de l'image, l'écart à l'image moyenne."""
    ),
)

# %% tags=["hide-input"]
score_t = {t: float(v) for t, v in zip(toutes, m_long["score"])}
norme_t = {t: float(v) for t, v in zip(toutes, m_long["norme"])}
t_min = min(norme_t, key=norme_t.get)
p25 = float(p_it[montrees.index(25)])


def composition(images):
    """Les images dans l'espace z, moyennées par blocs de 8 × 8 pixels : leur composition, sans le détail fin."""
    return torch.nn.functional.avg_pool2d(model.normalize(images), 8).flatten(1)


ressemblance = float(torch.nn.functional.cosine_similarity(*composition(torch.cat([etapes[100], etapes[200]])), dim=0))
autre_tirage = float(torch.nn.functional.cosine_similarity(*composition(torch.cat([reference, viz.images[:1]])), dim=0))
p_grille = float(m["proba"][CLASSES.index(CIBLE)])
gain_fin, gain_milieu = score_t[200] / score_t[100] - 1, score_t[100] / score_t[50] - 1
plafond = gain_fin < 0.25 and gain_fin < gain_milieu / 2  # moins de 25 % en 100 itérations, deux fois moins qu'avant
if plafond:
    suite = tr(
        """{claim(plafond, "plafonne")} : entre 100 et 200 itérations il ne gagne plus que {pct(gain_fin)}, contre \
{pct(gain_milieu)} entre 50 et 100"""
    )
elif gain_fin < gain_milieu:
    suite = tr(
        """ralentit sans s'arrêter : il gagne encore {pct(gain_fin)} entre 100 et 200 itérations, contre \
{pct(gain_milieu)} entre 50 et 100"""
    )
else:
    suite = tr("continue de grimper : {pct(gain_fin)} entre 100 et 200 itérations, {pct(gain_milieu)} entre 50 et 100")
it25 = (
    tr(
        """À l'itération 25, le réseau est déjà convaincu ($p = {num(p25, 3, tex=True)}$) alors qu'on distingue à \
peine quelques silhouettes : il lui faut bien moins de structure qu'à nous. """
    )
    if p25 > 0.5
    else tr("À l'itération 25, la probabilité n'est encore que de {num(p25, 3)}. ")
)
cout = tr(" : au-delà d'une centaine d'itérations, on paie surtout du temps de calcul.") if plafond else "."
p_ici = float(m_it["proba"][montrees.index(100)])
unique = (
    tr(
        """ : deux tirages donnent deux images différentes, aussi convaincantes l'une que l'autre. Une image de \
classe n'est qu'un maximum parmi d'autres, et chaque tirage peut mêler différemment les *facettes* de la classe \
(voir Q10)."""
    )
    if autre_tirage < ressemblance and min(p_grille, p_ici) > 0.99
    else "."
)
display(
    tr(
        """La norme chute de {num(norme_t[0], 0)} à {num(norme_t[10], 0)} en 10 itérations : \
{claim(norme_t[10] < 0.7 * norme_t[0], "l'essentiel du bruit de départ, qui ne sert pas la classe, disparaît")}. \
Elle touche son minimum ({num(norme_t[t_min], 0)}) vers l'itération {t_min}, puis \
{claim(norme_t[200] > 1.2 * norme_t[t_min], "remonte à mesure que des motifs utiles se dessinent")}, en dents de \
scie : chaque flou la fait baisser, la montée la reconstruit. {it25}Le score grimpe ensuite vite \
({num(score_t[50], 0)} à l'itération 50, {num(score_t[100], 0)} à 100), puis {suite}. Les motifs se contrastent et \
le détail fin continue de bouger, mais \
{claim(ressemblance > 0.7, "la composition de l'image ne change plus guère")} (moyennées par blocs de 8 × 8 pixels, \
les images des itérations 100 et 200 ont une similarité cosinus de {num(ressemblance)}){cout}\n\n\
La visualisation n'est pas unique pour autant : le flamant de la grille de Q8, parti du même bruit mais soumis à \
d'autres translations, est classé avec $p = {num(p_grille, 3, tex=True)}$ contre ${num(p_ici, 3, tex=True)}$ ici, et \
la similarité de leurs compositions n'est que de {num(autre_tirage)}{unique}"""
    )
)

# %% [markdown] tags=["enonce"]
# ### Pas d'apprentissage $\eta$
#
# Le gradient est utilisé brut, sans normalisation : un pas déplace l'image de
# $\eta\,\|\nabla_z \mathcal L\|_2$ (dans l'attaque de la partie 2, le gradient était normalisé :
# chaque pas mesurait $\eta$, avant le retour dans $[0, 1]$). Avec la pénalité au carré, le pas
# s'écrit $z \leftarrow (1 - 2\eta\lambda)\,z + \eta\,\nabla_z \tilde y$ ; la décroissance par pas
# vaut 0,999 pour $\eta = 0{,}5$, 0,99 pour $\eta = 5$ et 0,90 pour $\eta = 50$. Trois valeurs de
# $\eta$, avec $\lambda = 10^{-3}$ ; la figure montre le carré central de chaque image, à pleine
# résolution.


# %%
def balayage(reglage, valeurs, symbole, vignettes):
    """Visualise CIBLE pour chaque valeur d'un réglage (les autres aux défauts) ; figure, tableau, mesures."""
    images = torch.cat(
        [
            reference
            if v == DEFAUTS[reglage]
            else tp8.class_visualization(model, CIBLE, **{**DEFAUTS, reglage: v}, seed=0, progress=False).images
            for v in valeurs
        ]
    )
    noms, reglages = [], []  # une boucle, pas une liste en compréhension : tr() y lit `symbole`
    for v in valeurs:
        noms.append(tr("{symbole} = {num(v, None)}"))
        reglages.append(tr("{symbole} = {num(v, None)} (défaut)") if v == DEFAUTS[reglage] else noms[-1])
    p = mesures(model, images, [idx_cible] * len(valeurs))["proba"]
    show(
        tp8.image_grid(vignettes(images), [f"{n}\np = {num(pk, 3)}" for n, pk in zip(noms, p)], ncols=len(valeurs)),
        alt=tr(
            """Le flamant obtenu avec {symbole} = {", ".join(num(v, None) for v in valeurs)}, les autres réglages \
par défaut, chacun titré de sa probabilité."""
        ),
    )
    lam = [v if reglage == "l2_reg" else DEFAUTS["l2_reg"] for v in valeurs]
    return bilan(images, reglages, lam)


PAS = [0.5, 5.0, 50.0]
m_lr = balayage("lr", PAS, "η", centre)

# %% tags=["hide-input"]
i_def = PAS.index(DEFAUTS["lr"])
hf_lr, sat_lr = m_lr["hautes fréquences"], m_lr["saturation"]
vives = bool(sat_lr[-1] > sat_lr[i_def] + 0.05)  # des couleurs nettement plus saturées qu'avec le pas par défaut
if vives:
    grands = tr(
        """Avec $\\eta = {num(PAS[-1], None, tex=True)}$, \
{claim(vives, "les pas sont si grands que les couleurs de l'image s'avivent")} : sa saturation moyenne passe de \
{num(sat_lr[i_def])} à {num(sat_lr[-1])}. """
    )
else:
    grands = tr(
        """Avec $\\eta = {num(PAS[-1], None, tex=True)}$, les pas sont dix fois plus grands (saturation moyenne \
{num(sat_lr[-1])} contre {num(sat_lr[i_def])}). """
    )
probas_lr = (
    tr("Les probabilités finales valent toutes {num(m_lr['proba'].min(), 3)} à trois décimales")
    if num(m_lr["proba"].min(), 3) == num(m_lr["proba"].max(), 3)
    else tr("Les probabilités finales vont de {num(m_lr['proba'].min(), 3)} à {num(m_lr['proba'].max(), 3)}")
)
points = tr("des points isolés de couleurs vives envahissent le fond, ") if vives else ""
display(
    tr(
        """À $\\lambda$ fixé, augmenter $\\eta$ agrandit dans la même proportion la poussée du gradient et le rappel \
vers l'image moyenne, mais l'objectif $\\mathcal L$, lui, ne dépend pas de $\\eta$ : on change la taille des pas, pas \
ce que l'on maximise. {probas_lr} : \
{claim(m_lr["proba"].min() > 0.9, "le pas décide moins *si* le réseau est convaincu que *quelle* image le convainc")}. \
Avec $\\eta = {num(PAS[0], None, tex=True)}$, cent petits pas ne suffisent pas à développer les motifs : \
{claim(m_lr["norme"][0] < 0.6 * m_lr["norme"][i_def], "les flamants sont à peine esquissés sur le gris moyen")} \
(norme {num(m_lr['norme'][0], 0)}), ce qui suffit pourtant à un score de {num(m_lr['score'][0], 0)}. Le réglage par \
défaut donne un score de {num(m_lr['score'][i_def], 0)}. {grands}La norme de l'image \
{claim(m_lr["norme"][-1] > m_lr["norme"][i_def], "dépasse celle du réglage par défaut")} \
({num(m_lr['norme'][-1], 0)} contre {num(m_lr['norme'][i_def], 0)}) et \
{claim(hf_lr[-1] > hf_lr[i_def], "une plus grande part de son énergie est dans les motifs fins")} \
({pct(hf_lr[-1])} dans les motifs de moins de 4 pixels, contre {pct(hf_lr[i_def])}) : {points}les motifs se \
morcellent et {claim(m_lr["score"][-1] < m_lr["score"][i_def], "le score *retombe*")} \
({num(m_lr['score'][-1], 0)}). Les trois ascensions maximisent pourtant le même objectif, et \
{claim(m_lr["objectif"][-1] < m_lr["objectif"][i_def], "celle aux grands pas le laisse plus bas que celle du réglage par défaut")} \
({num(m_lr['objectif'][-1], 0)} contre {num(m_lr['objectif'][i_def], 0)}) : des pas trop grands sautent par-dessus \
ce que le gradient, calculé en un point, promettait. Comme pour l'entraînement d'un réseau, il existe une plage \
utile : trop petit, on n'avance pas ; trop grand, on ne suit plus la pente. Avec un gradient brut, la longueur d'un \
pas dépend aussi de la norme du gradient, donc de l'image et du réseau : cette plage change d'un réseau à l'autre \
(Q11)."""
    )
)

# %% [markdown] tags=["enonce"]
# ### Poids de la régularisation $\lambda$
#
# Quatre valeurs de $\lambda$, avec $\eta = 5$ : la décroissance par pas $1 - 2\eta\lambda$ vaut
# alors 1 ; 0,99 ; 0,90 et 0,70. Les images entières, réduites de moitié.

# %%
LAMBDAS = [0.0, 1e-3, 1e-2, 3e-2]
m_l2 = balayage("l2_reg", LAMBDAS, "λ", moitie)

# %% tags=["hide-input"]
p_fort = float(m_l2["proba"][-1])
decroit = bool((m_l2["norme"][1:] < m_l2["norme"][:-1]).all())
norme_lambda = claim(decroit, "La norme de l'image décroît quand $\\lambda$ augmente")  # (une phrase à barre oblique)
fort = (
    tr(
        """{claim(p_fort < 0.5, "la pénalité l'emporte sur le score")} : l'image redevient presque l'image moyenne et \
la probabilité tombe à {num(p_fort)} ; le réseau n'est plus convaincu. """
    )
    if p_fort < 0.5
    else tr("l'image pâlit encore, mais le réseau reste convaincu ($p = {num(p_fort, 3, tex=True)}$). ")
)
display(
    tr(
        """{norme_lambda} ({', '.join(num(v, 0) for v in m_l2['norme'])} pour $\\lambda$ = \
{str(tr(" ; ")).join(num(v, None) for v in LAMBDAS)}). Sans pénalité, l'image reste lisible après 100 itérations, car le flou \
et la projection sur $[0, 1]$ régularisent déjà ; elle est seulement plus contrastée et son fond plus chargé de \
motifs qui ne servent guère la classe, puisque rien ne les efface. Avec $\\lambda = {num(LAMBDAS[2], None, tex=True)}$, \
la décroissance vaut $1 - 2\\eta\\lambda = {num(1 - 2 * DEFAUTS['lr'] * LAMBDAS[2], tex=True)}$ par pas : \
{claim(m_l2["norme"][2] < 0.6 * m_l2["norme"][1], "il ne reste que quelques flamants pâles")} sur un fond gris \
presque uniforme (score {num(m_l2['score'][2], 0)}). Avec $\\lambda = {num(LAMBDAS[-1], None, tex=True)}$ \
(décroissance ${num(1 - 2 * DEFAUTS['lr'] * LAMBDAS[-1], tex=True)}$ par pas), {fort}Le poids $\\lambda$ règle donc \
un compromis entre sobriété (peu de contraste inutile) et force du signal (assez de contraste pour que les motifs \
existent)."""
    )
)

# %% [markdown] tags=["enonce"]
# ### Sans translation, sans flou
#
# Que deviennent les images si l'on retire les régularisations implicites ? On garde $\eta$ et
# $\lambda$ par défaut et l'on désactive la translation (`max_jitter=0`), puis aussi le flou
# (`blur_every=0`). La figure montre le carré central de chaque image à pleine résolution
# (cliquez pour l'agrandir : la texture fine compte ici). Le tableau ajoute la part du score que
# l'image garde quand on la décale de 8 pixels.

# %%
ABLATIONS = {
    tr("tout (défaut)"): {},
    tr("sans translation"): {"max_jitter": 0},
    tr("ni translation ni flou"): {"max_jitter": 0, "blur_every": 0},
}
images_ab = torch.cat(
    [
        reference
        if not options
        else tp8.class_visualization(model, CIBLE, **{**DEFAUTS, **options}, seed=0, progress=False).images
        for options in ABLATIONS.values()
    ]
)
p_ab = mesures(model, images_ab, [idx_cible] * len(ABLATIONS))["proba"]
titres_ab = [
    tr("défaut\np = {num(p_ab[0], 3)}"),
    tr("sans\ntranslation\np = {num(p_ab[1], 3)}"),
    tr("ni translation\nni flou\np = {num(p_ab[2], 3)}"),
]
show(
    tp8.image_grid(centre(images_ab), titres_ab, ncols=3),
    alt=tr(
        """Le carré central de trois images du flamant, à pleine résolution : avec tous les réglages par défaut, sans \
translation aléatoire, puis sans translation ni flou, chacune titrée de sa probabilité."""
    ),
)
with torch.no_grad():  # le score garde-t-il sa valeur si l'on décale l'image de 8 pixels ?
    decale = model(torch.roll(images_ab, shifts=(8, 8), dims=(-2, -1)))[:, idx_cible]
tenue = decale / mesures(model, images_ab, [idx_cible] * len(ABLATIONS))["score"]
m_ab = bilan(images_ab, list(ABLATIONS), **{tr("score gardé, décalée de 8 px"): [tr("{pct(t)}") for t in tenue]})

# %% tags=["hide-input"]
sab = dict(zip(ABLATIONS, m_ab["score"].tolist()))
hf_ab = dict(zip(ABLATIONS, m_ab["hautes fréquences"].tolist()))
sat_ab = dict(zip(ABLATIONS, m_ab["saturation"].tolist()))
garde = dict(zip(ABLATIONS, tenue.tolist()))
fin = (
    tr(
        """la part de son énergie dans les motifs de moins de 4 pixels passe de {pct(hf_ab['tout (défaut)'])} à \
{pct(hf_ab['sans translation'])}"""
    )
    if hf_ab["sans translation"] > hf_ab["tout (défaut)"] + 0.05
    else tr(
        """la part de son énergie dans les motifs de moins de 4 pixels reste voisine \
({pct(hf_ab['sans translation'])} contre {pct(hf_ab['tout (défaut)'])}) : ce ne sont pas des motifs plus fins, mais \
des motifs accrochés à la grille des pixels"""
    )
)
semis = (
    tr(
        """{claim(sat_ab["sans translation"] > sat_ab["tout (défaut)"], "Le fond se couvre de taches aux couleurs saturées")} \
(saturation moyenne {num(sat_ab['sans translation'])} contre {num(sat_ab['tout (défaut)'])}), et les têtes de flamant \
se noient dans ce semis. """
    )
    if sat_ab["sans translation"] > sat_ab["tout (défaut)"]
    else ""
)
display(
    tr(
        """Les trois images sont classées avec la même assurance (la probabilité laissée aux autres classes ne \
dépasse pas {sci(m_ab['reste'].max())}) : \
{claim(float(m_ab["reste"].max()) < 1e-3, "les régularisations implicites ne servent pas à convaincre le réseau, mais à rendre l'image lisible pour nous")}. \
{claim(sab["tout (défaut)"] < min(sab["sans translation"], sab["ni translation ni flou"]), "Elles *coûtent* même du score")} \
: {num(sab['tout (défaut)'], 0)} avec elles, {num(sab['sans translation'], 0)} sans translation et \
{num(sab['ni translation ni flou'], 0)} sans translation ni flou. Sans translation, \
{claim(garde["sans translation"] < garde["tout (défaut)"], "la montée exploite des motifs attachés à des positions précises")} \
: décalée de 8 pixels, l'image ne garde que {pct(garde['sans translation'])} de son score, contre \
{pct(garde['tout (défaut)'])} pour l'image régularisée ; {fin}. {semis}Sans le flou en plus, la norme \
({num(m_ab['norme'][-1], 0)}) {claim(m_ab["norme"][-1] > norme_bruit, "dépasse celle du bruit de départ")} \
({num(norme_bruit, 0)}) et \
{claim(hf_ab["ni translation ni flou"] > max(hf_ab["tout (défaut)"], hf_ab["sans translation"]), "l'image devient une texture dense de haute fréquence")} \
({pct(hf_ab['ni translation ni flou'])} de l'énergie dans les motifs fins) : on se rapproche d'un exemple adversaire, \
une image très efficace pour le réseau et peu parlante pour un humain."""
    )
)

# %% [markdown] tags=["question"]
# <a id="q10"></a>
# ## Q10 — Partir d'une vraie photo
#
# **Q8.10** Partez d'une photo plutôt que d'un bruit (paramètre `init_img`), en visant par exemple
# sa vraie classe, puis une autre : qu'obtient-on, et à quoi cela peut-il servir ?

# %% [markdown] tags=["enonce"]
# On part de deux photos de scikit-image, le chat *Chelsea* et la tasse de café. Chacune est
# poussée vers sa vraie classe (`tabby`, `espresso`) puis vers une classe sans rapport
# (`goldfish`, `volcano`) ; les quatre ascensions forment un seul lot.
#
# Un réglage change : la pénalité L2 tire vers l'image moyenne, donc ici *efface la photo* (avec
# les réglages par défaut, il n'en resterait que le facteur $0{,}99^{100} \approx 0{,}37$ de
# contraste, moins ce que retire le flou). On la supprime ($\lambda = 0$) et l'on s'arrête à
# 50 itérations : c'est la photo de départ qui joue le rôle de régularisation ; la translation et
# le flou restent actifs. Chaque rangée montre la photo, puis l'image obtenue vers chacune des deux
# classes (images réduites de moitié). Le tableau donne pour chaque ascension la probabilité de la classe visée avant et après,
# la première classe du réseau à la fin, l'écart RMS entre l'image finale et la photo (en niveaux
# sur 255), la corrélation de leurs pixels, et la corrélation de rang entre l'amplitude de la
# modification et la carte de saillance de la classe visée calculée sur la photo de départ (les
# deux cartes lissées) : la montée modifie-t-elle la photo là où celle-ci offrait déjà une prise à
# la classe ?

# %%
departs = torch.stack([photos[nom].image for nom in ("chelsea", "chelsea", "coffee", "coffee")])
cibles_photo = [photos["chelsea"].imagenet_class, "goldfish", photos["coffee"].imagenet_class, "volcano"]
reve = tp8.class_visualization(
    model, cibles_photo, init_img=departs, seed=0, **{**DEFAUTS, "l2_reg": 0.0, "num_iterations": 50}
)
avant, apres = model.predict(departs, k=1), model.predict(reve.images, k=1)
m_avant, m_apres = mesures(model, departs, reve.target), mesures(model, reve.images, reve.target)
vignettes, titres_photo = [], []
for k in (0, 2):  # une rangée par photo : la photo, puis l'image obtenue vers chacune des deux classes
    vignettes += [departs[k], reve.images[k], reve.images[k + 1]]
    titres_photo += [tr("départ\n{avant[k][0][0]}")] + [
        f"→ {cibles_photo[j]}\np = {num(m_apres['proba'][j], 3)}" for j in (k, k + 1)
    ]
show(
    tp8.image_grid(moitie(torch.stack(vignettes)), titres_photo, ncols=3, title_lines=2),
    alt=tr(
        """Deux rangées de trois images réduites de moitié : le chat, puis le chat poussé vers tabby et vers \
goldfish ; la tasse, puis la tasse poussée vers espresso et vers volcano. Chaque titre donne la classe visée et sa \
probabilité."""
    ),
)

# %% tags=["hide-input"]
from scipy.stats import spearmanr
from skimage.filters import gaussian

modification = reve.images - departs
rms = 255 * modification.flatten(1).pow(2).mean(dim=1).sqrt()
carte_depart = tp8.saliency_map(model, departs, target=reve.target).numpy()
amplitude = modification.abs().amax(dim=1).numpy()
prise = [
    spearmanr(gaussian(amplitude[k], 4).ravel(), gaussian(carte_depart[k], 4).ravel())[0] for k in range(len(departs))
]
gardee = [float(np.corrcoef(departs[k].flatten(), reve.images[k].flatten())[0, 1]) for k in range(len(departs))]
ascensions = [
    tr("le chat vers tabby"),
    tr("le chat vers goldfish"),
    tr("la tasse vers espresso"),
    tr("la tasse vers volcano"),
]
table(
    [
        {
            tr("ascension"): a,
            tr("p avant"): tr("{prob(m_avant['proba'][k])}"),
            tr("p après"): tr("{num(m_apres['proba'][k], 3)}"),
            tr("1re classe à la fin (p)"): tr("{apres[k][0][0]} ({num(apres[k][0][1])})"),
            tr("écart RMS (/255)"): tr("{num(rms[k], 0)}"),
            tr("corrélation des pixels"): tr("{num(gardee[k])}"),
            tr("corrélation modification – saillance"): tr("{num(prise[k])}"),
        }
        for k, a in enumerate(ascensions)
    ]
)

# %% tags=["hide-input"]
suit = [a for a, r in zip(ascensions, prise) if r > 0.2]
ignore = [a for a, r in zip(ascensions, prise) if r <= 0.2]
oui = (
    tr("Oui pour {liste(suit)} : la modification suit alors les zones où le gradient de la classe était déjà fort. ")
    if suit
    else ""
)
if not ignore:
    non = tr("La montée recycle donc ce qu'elle trouve.")
elif suit:
    non = tr(
        """Non pour {liste(ignore)} : la montée ne recycle pas seulement ce que la photo montrait, elle peut aussi \
installer ses motifs ailleurs, là où la carte de départ ne prévoyait rien — une carte de saillance, calculée en un \
point, ne prédit pas où mènera une longue ascension."""
    )
else:
    non = tr(
        """Dans aucun cas pour {liste(ignore)} : la montée ne recycle pas seulement ce que la photo montrait, elle \
peut aussi installer ses motifs ailleurs, là où la carte de départ ne prévoyait rien — une carte de saillance, \
calculée en un point, ne prédit pas où mènera une longue ascension."""
    )
texte_prise = tr(
    "La montée modifie-t-elle la photo là où celle-ci offrait déjà une prise à la classe visée ? {oui}{non}"
)
with torch.no_grad():
    scores_avant, scores_apres = model(departs[:1])[0], model(reve.images[:1])[0]
chat, gagnant = int(reve.target[0]), int(scores_apres.argmax())
premier_avant = int(scores_avant.argmax())
if gagnant != chat:
    sens_proba = tr("*baisse* donc") if m_apres["proba"][0] < m_avant["proba"][0] else tr("ne monte donc que")
    texte_chat = tr(
        """Le chat fait exception, et c'est instructif. Le score de `{model.class_name(chat)}` a bien monté \
({num(scores_avant[chat], 1)} → {num(scores_apres[chat], 1)}), mais celui de `{model.class_name(gagnant)}` encore \
plus ({num(scores_avant[gagnant], 1)} → {num(scores_apres[gagnant], 1)}) : les rayures et les yeux qui font monter \
l'une de ces classes voisines font monter l'autre. La probabilité de `{model.class_name(chat)}` {sens_proba} \
({num(m_avant['proba'][0])} → {num(m_apres['proba'][0], 3)}) alors que son score augmente : c'est le revers de la \
maximisation du score, qui ne dit rien des autres classes : le score d'une classe voisine peut monter en même temps. \
Maximiser la probabilité, ou le score moins celui des classes voisines, trancherait entre elles."""
    )
elif premier_avant != chat:
    p_premier = float(scores_avant.softmax(0)[premier_avant])
    texte_chat = tr(
        """Le chat passe de {num(m_avant['proba'][0])} à {num(m_apres['proba'][0], 3)} pour \
`{model.class_name(chat)}`, qui devient la première classe du réseau ; au départ, celui-ci y voyait surtout \
`{model.class_name(premier_avant)}` ($p = {num(p_premier, tex=True)}$), une classe voisine : la montée a tranché en \
faveur de la classe visée."""
    )
else:
    texte_chat = tr(
        """Le chat passe de {num(m_avant['proba'][0])} à {num(m_apres['proba'][0], 3)} pour \
`{model.class_name(chat)}`, déjà la première classe du réseau au départ."""
    )
prises_vraies = [prise[0], prise[2]]  # les deux ascensions vers la vraie classe
if min(prises_vraies) > 0.2:
    texte_comparer = tr(
        """Comparer la photo et son « rêve » montre alors quelles structures de la photo le réseau exploite pour \
cette classe, comme une carte de saillance (partie 1) rendue dans l'espace des images : \
{claim(min(prises_vraies) > 0.2, "vers leur vraie classe, les deux photos sont modifiées là où leur carte de saillance de départ était forte")} \
(corrélation de rang de {num(prise[0])} et {num(prise[2])})."""
    )
else:
    texte_comparer = tr(
        """Comparer la photo et son « rêve » peut suggérer quelles structures de la photo le réseau exploite pour \
cette classe, à la manière d'une carte de saillance (partie 1) rendue dans l'espace des images ; mais, même vers la \
vraie classe, la modification ne suit pas toujours la carte de saillance de départ (voir plus bas) : cette lecture \
reste une hypothèse."""
    )
display(
    tr(
        """Vers sa vraie classe, la tasse passe d'une probabilité de {num(m_avant['proba'][2])} à \
{num(m_apres['proba'][2], 3)}. L'image n'est pas seulement « confirmée » : la montée **amplifie ce que le réseau y \
voit déjà**. {claim(min(gardee[0], gardee[2]) > 0.7, "La structure de la photo reste en place")} (corrélation de \
{num(gardee[0])} et {num(gardee[2])} entre les pixels de départ et d'arrivée), mais elle se charge de motifs de la \
classe. C'est le principe de *DeepDream* (Mordvintsev et al., 2015), qui fait la même montée sur l'activité d'une \
couche intermédiaire plutôt que sur un score de classe. {texte_comparer}\n\n{texte_chat}\n\nVers une classe sans \
rapport, {claim(min(m_apres["proba"][1], m_apres["proba"][3]) > 0.99, "le réseau bascule complètement")} \
(p = {num(m_apres['proba'][1], 3)} pour `goldfish`, {num(m_apres['proba'][3], 3)} pour `volcano`, contre \
{sci(m_avant['proba'][1])} et {sci(m_avant['proba'][3])} au départ). {texte_prise} \
{claim(min(rms[1], rms[3]) > 10, "La modification est grande")} (écart RMS de {num(rms[1], 0)} et \
{num(rms[3], 0)} niveaux sur 255) et bien visible, à l'opposé des perturbations de quelques niveaux de la partie 2 : \
le basculement est le même, mais rien ne borne ici la taille de la modification. Visible ne veut pas dire justifié : \
que les motifs ajoutés montrent la classe cible à un humain, ou à un autre réseau, cette expérience ne le mesure pas ; \
Q11 pose la question à un second réseau pour les images parties d'un bruit.\n\nPartir de photos sert enfin la \
visualisation elle-même. Une classe a plusieurs *facettes* (pour le flamant : debout, en vol, en groupe…), qu'une \
image partie d'un bruit mêle au hasard ; Nguyen, Yosinski et Clune (2016) les séparent en regroupant les photos de \
la classe qui se ressemblent pour le réseau, puis en partant de l'image moyenne de chaque groupe : une visualisation \
par facette."""
    )
)

# %% [markdown] tags=["question"]
# <a id="q11"></a>
# ## Q11 — Un autre réseau
#
# **Q8.11 Bonus** Refaites la visualisation avec un autre réseau, par exemple VGG16 : les images
# se ressemblent-elles, et chaque réseau reconnaît-il celles de l'autre ?

# %% [markdown] tags=["enonce"]
# Le sujet suggère VGG16 (Simonyan et Zisserman, 2015), conçu par la même équipe d'Oxford que la
# méthode de visualisation : 13 convolutions $3 \times 3$ et trois couches entièrement connectées,
# environ 138 millions de paramètres contre 1,2 million pour SqueezeNet 1.1. On visualise trois
# des classes précédentes avec les mêmes réglages, puis chaque réseau juge les images de l'autre.
# La figure montre, réduites de moitié, les images des deux réseaux pour ces trois classes (en
# haut, celles de SqueezeNet 1.1, déjà vues avant Q8). Le second tableau compare
# les deux réseaux sur ces trois classes : la longueur moyenne du gradient du score
# $\|\nabla_z \tilde y\|_2$ sur le bruit de départ (le même pour les deux) et sur les images
# finales de chacun, la norme $\|z\|_2$, le score, la saturation moyenne et la part de l'énergie
# dans les motifs de moins de 4 pixels de ses images.

# %%
net2 = second_network()
if net2.message is not None:
    display(net2.message)

# %%
if net2.model is not None:
    net = net2.model
    CLASSES2 = ["flamingo", "tarantula", "king penguin"]
    idx2 = [CLASSES.index(c) for c in CLASSES2]  # leur place dans le premier lot
    viz2 = tp8.class_visualization(net, CLASSES2, seed=0, snapshot_every=0, **DEFAUTS)
    m2 = mesures(net, viz2.images, viz2.target)
    fig, axes = tp8.plotting.tile_figure(2, len(CLASSES2), (112, 112), title_lines=2, row_label_px=18)
    for k, c in enumerate(CLASSES2):
        for rangee, (images, p) in enumerate(((viz.images[idx2], m["proba"][idx2]), (viz2.images, m2["proba"]))):
            tp8.plotting.show_tile(
                axes[rangee, k], tp8.to_numpy(moitie(images[k : k + 1]))[0], f"{c}\np = {num(p[k], 3)}"
            )
    tp8.plotting.row_label(fig, axes[0, 0], model.name, 8)
    tp8.plotting.row_label(fig, axes[1, 0], net.name, 8)
    show(
        fig,
        alt=tr(
            """Deux rangées de trois images réduites de moitié, flamingo, tarantula et king penguin : en haut celles \
de {model.name}, en bas celles de {net.name}, obtenues avec les mêmes réglages ; chacune est titrée de la probabilité \
que lui donne le réseau qui l'a produite."""
        ),
    )

# %% tags=["hide-input"]
if net2.model is not None:
    p_12 = mesures(net, viz.images[idx2], viz2.target)["proba"]  # le second réseau juge les images de SqueezeNet 1.1
    p_21 = mesures(model, viz2.images, viz.target[idx2])["proba"]  # et inversement
    display(
        table(
            [
                {
                    tr("classe"): c,
                    tr("{model.name}, ses images"): tr("{num(m['proba'][idx2[k]], 3)}"),
                    tr("{net.name}, ses images"): tr("{num(m2['proba'][k], 3)}"),
                    tr("{net.name}, images de {model.name}"): tr("{prob(p_12[k])}"),
                    tr("{model.name}, images de {net.name}"): tr("{prob(p_21[k])}"),
                }
                for k, c in enumerate(CLASSES2)
            ]
        )
    )

    def norme_gradient(reseau, images, cibles):
        """Longueur moyenne du gradient ∇_z ỹ du score de la classe visée, pour un lot d'images."""
        z = reseau.normalize(images).requires_grad_(True)
        scores = reseau.forward_normalized(z)
        (g,) = torch.autograd.grad(scores[torch.arange(len(cibles)), torch.as_tensor(cibles)].sum(), z)
        return float(g.flatten(1).norm(dim=1).mean())

    cibles2 = viz2.target.tolist()
    bruit = bruit_depart.expand(len(cibles2), -1, -1, -1)
    comparaison = {
        x.name: {
            tr("réseau"): x.name,
            tr("paramètres (millions)"): sum(p.numel() for p in x.parameters()) / 1e6,
            tr("‖∇ỹ‖ sur le bruit"): norme_gradient(x, bruit, cibles2),
            tr("‖∇ỹ‖ sur ses images"): norme_gradient(x, images, cibles2),
            "‖z‖₂": float(x.normalize(images).flatten(1).norm(dim=1).mean()),
            tr("score ỹ"): float(mesures(x, images, cibles2)["score"].mean()),
            tr("saturation"): float(saturation(images).mean()),
            tr("motifs < 4 px"): float(tp8.course.high_frequency_share(images).mean()),
        }
        for x, images in ((model, viz.images[idx2]), (net, viz2.images))
    }
    display(table(list(comparaison.values()), digits={"paramètres (millions)": 2, "‖z‖₂": 0, "score ỹ": 0}))

# %% tags=["hide-input"]
if net2.model is not None:
    c1, c2 = comparaison[model.name], comparaison[net.name]

    def rapport(a, b, plus, moins, egal, tolerance=0.15):
        """Le mot qui décrit a par rapport à b : plus, moins, ou egal à `tolerance` (relative) près."""
        return plus if a > b * (1 + tolerance) else moins if a < b * (1 - tolerance) else egal

    if net.name == "vgg16":
        architecture = tr(
            """VGG16 n'a pas de *pooling* global : sa dernière carte de caractéristiques est lue par des couches \
entièrement connectées, qui tiennent compte de la position des motifs, et ses champs récepteurs grandissent par \
petites convolutions $3 \\times 3$. """
        )
    elif net.name == "squeezenet1_0":
        architecture = tr(
            """`{net.name}` est la première version de SqueezeNet : mêmes modules *Fire*, mais une première \
convolution $7 \\times 7$ à 96 filtres (au lieu de $3 \\times 3$ à 64) et des sous-échantillonnages placés plus \
tard, pour environ 2,4 fois plus de calcul que `{model.name}`. """
        )
    else:
        architecture = ""
    convaincu = float(m2["proba"].min())
    propres = int((m2["proba"] > 0.5).sum())  # ses propres images qui le convainquent

    def fois(x):
        """Un rapport : « 2,03 », ou « 3,2 × 10⁻³ » s'il est minuscule."""
        return num(x) if x >= 0.01 else sci(x)

    def millions(x):
        """« 1,25 million », « 138 millions »."""
        return tr("{num(x, 2 if x < 10 else 0)} millions") if x >= 2 else tr("{num(x, 2 if x < 10 else 0)} million")

    if convaincu > 0.999:
        conviction = tr("Ses trois images le convainquent ($p > 0{{,}}999$). ")
    elif convaincu > 0.9:
        conviction = tr("Ses trois images le convainquent ($p \\geq {num(convaincu, 3, tex=True)}$). ")
    elif propres:
        conviction = tr(
            """Seules {propres} de ses {len(CLASSES2)} images le convainquent (p minimal : {prob(convaincu)}) : les \
réglages du TP, faits pour SqueezeNet 1.1, ne lui conviennent pas forcément. """
        )
    else:
        conviction = tr(
            """Aucune de ses propres images ne le convainc (p maximal : {prob(float(m2['proba'].max()))}) : avec les \
réglages du TP, faits pour SqueezeNet 1.1, la montée n'aboutit pas pour ce réseau. """
        )
    passe = [c for k, c in enumerate(CLASSES2) if p_12[k] > 0.5]
    bloque = [c for k, c in enumerate(CLASSES2) if p_12[k] <= 0.5]
    retour = [c for k, c in enumerate(CLASSES2) if p_21[k] > 0.5]
    if passe and bloque:
        detail = tr(
            """ (plus de 0,5 pour {', '.join(f'`{x}`' for x in passe)} ; seulement \
{", ".join(tr("{prob(p_12[CLASSES2.index(x)])} pour `{x}`") for x in bloque)})"""
        )
    elif passe:
        detail = tr(" (plus de 0,5 pour {', '.join(f'`{x}`' for x in passe)})")
    else:
        detail = tr(" (jamais plus de 0,5)")
    if propres == 0:
        lecon = tr(
            """Le transfert ne se juge pourtant que sur des images qui convainquent le réseau qui les a produites : il \
faudrait d'abord régler $\\eta$ et $\\lambda$ pour ce réseau."""
        )
    elif len(passe) + len(retour) < 2 * len(CLASSES2):
        lecon = tr(
            """Ce qui passe d'un réseau à l'autre reflète vraisemblablement des indices que les deux réseaux \
partagent ; le reste, des particularités du réseau qui a produit l'image, comme celles qu'exploitent les exemples \
adversaires. Une visualisation décrit *un* réseau, pas *la* classe."""
        )
    else:
        lecon = tr(
            """Sur ces trois classes, ce que la montée dessine pour un réseau, l'autre le reconnaît aussi : des indices \
qu'ils partagent."""
        )
    taille2, taille1 = millions(c2["paramètres (millions)"]), millions(c1["paramètres (millions)"])
    couleurs = rapport(
        c2["saturation"], c1["saturation"], tr("plus saturées"), tr("moins saturées"), tr("aussi saturées")
    )
    finesse = rapport(
        c2["motifs < 4 px"], c1["motifs < 4 px"], tr("plus fins"), tr("plus grossiers"), tr("d'une finesse comparable")
    )
    contraste = rapport(
        c2["‖z‖₂"],
        c1["‖z‖₂"],
        tr("à un contraste plus fort"),
        tr("à un contraste plus faible"),
        tr("à un contraste voisin"),
    )
    transfere = tr("bien") if not bloque else tr("mal") if not passe else tr("inégalement")
    display(
        tr(
            """`{net.name}` compte {taille2} de paramètres, contre {taille1} pour `{model.name}`. \
{architecture}{conviction}Leurs couleurs sont {couleurs} que celles de `{model.name}` (saturation moyenne \
{num(c2['saturation'])} contre {num(c1['saturation'])}), et leurs motifs {finesse} (part de l'énergie dans les \
motifs de moins de 4 pixels : {pct(c2['motifs < 4 px'])} contre {pct(c1['motifs < 4 px'])}). Comparez aussi la \
taille, le nombre et la disposition des motifs.\n\nSes scores finaux valent en moyenne {fois(c2['score ỹ'] / \
c1['score ỹ'])} fois ceux de `{model.name}`. Le pas $\\eta$ agit sur le gradient brut, dont la longueur dépend du \
réseau : sur le bruit de départ, celui de `{net.name}` vaut {fois(c2['‖∇ỹ‖ sur le bruit'] / c1['‖∇ỹ‖ sur le \
bruit'])} fois celui de `{model.name}`, et sur les images finales {fois(c2['‖∇ỹ‖ sur ses images'] / c1['‖∇ỹ‖ sur ses \
images'])} fois. Avec les mêmes $\\eta$ et $\\lambda$, l'équilibre entre la poussée du gradient et la décroissance \
L2 s'établit {contraste} ($\\|z\\|_2$ moyen de {num(c2['‖z‖₂'], 0, tex=True)} contre {num(c1['‖z‖₂'], 0, tex=True)}) \
; une comparaison équitable demanderait de régler $\\eta$ pour chaque réseau (Q9).\n\nDans le sens `{model.name}` → \
`{net.name}`, les images se transfèrent {transfere} : jugées par `{net.name}`, elles gardent une probabilité moyenne \
de {prob(p_12.mean())} pour la bonne classe{detail}. Dans l'autre sens, `{model.name}` donne en moyenne \
{prob(p_21.mean())} aux images de `{net.name}`, et plus de 0,5 pour {len(retour)} des {len(CLASSES2)}. {lecon}"""
        )
    )

# %% [markdown] tags=["enonce"]
# La page [Des images lisibles](../images-lisibles/) poursuit au-delà du TP : elle change l'espace
# dans lequel se fait la montée, et mesure ce que cela change pour l'image et pour un second réseau.

# %% [markdown] tags=["solution"]
# ## À retenir
#
# - La visualisation de classe est une **montée de gradient sur l'image**, poids figés, qui
#   maximise le score $\tilde y_i$ d'une classe moins une pénalité de norme. `tp8` utilise la
#   norme au carré dans l'espace normalisé : à chaque pas, l'image est ramenée d'un facteur
#   $1 - 2\eta\lambda$ vers l'image moyenne d'ImageNet.
# - Les **régularisations implicites** (translation aléatoire et flou ; mesuré en Q9 sur une classe
#   et un tirage) ne changent guère la conviction du réseau, mais beaucoup pour nous : la
#   translation écarte les motifs attachés à des positions précises des pixels, et le flou la
#   texture de haute fréquence qu'exploitent aussi les exemples adversaires.
# - Les images obtenues montrent **des parties d'objets et des textures** de la classe, répétées
#   plutôt qu'assemblées en un objet entier. L'objectif, un score moyenné sur toutes les positions,
#   récompense la répétition ; que le réseau s'appuie surtout sur des indices locaux, ce sont des
#   expériences sur des photos qui le montrent (Brendel et Bethge, 2019 ; Geirhos et al., 2019).
# - Une probabilité proche de 1 sur une image qui n'a rien de naturel rappelle que la confiance
#   d'un classifieur ne garantit pas que son entrée ressemble à ses données d'entraînement.
# - Le pas $\eta$ ne change pas l'objectif mais la taille des pas : sur l'exemple de Q9 (une classe,
#   un tirage), trop petit, les motifs ne se développent pas ; trop grand, l'ascension ne suit plus
#   la pente. Le poids $\lambda$ y règle le contraste, jusqu'à effacer la classe.
# - Partir d'une photo amplifie ce que le réseau y voit déjà, à la manière de DeepDream ; viser
#   une autre classe fait basculer le réseau comme en partie 2, mais par une modification grande
#   et visible, que rien ne borne.
# - Les résultats dépendent des réglages ($\eta$, $\lambda$, nombre d'itérations) et du réseau :
#   une visualisation décrit un réseau donné, pas la classe en elle-même. Pour un réseau entraîné
#   contre les attaques, le même gradient dessine des objets sans translation ni flou (Tsipras et
#   al., 2019 ; Santurkar et al., 2019) ; et une visualisation ne vaut qu'une hypothèse, à vérifier
#   sur des photos (Borowski et al., 2021 ; Geirhos et al., 2023).
#
# Avec les cartes de saillance (partie 1) et les exemples adversaires (partie 2), on dispose ainsi
# de trois façons complémentaires d'interroger un classifieur par ses gradients : *où* il regarde
# dans une image, *combien peu* il faut pour le faire changer d'avis, et *ce qu'il cherche* quand
# on le laisse choisir l'image.

# %% [markdown]
# ## Compte rendu
#
# Le compte rendu de la séance tient en quelques lignes :
#
# 1. la réponse à la question étoilée de cette partie, **Q8.8 ★** : les images obtenues, ce
#    qu'elles montrent et ce qu'en disent les mesures ;
# 2. votre avancement : ce qui a marché ou non (le pas de montée à écrire, les expériences des
#    autres questions de cette partie) ;
# 3. si vous le souhaitez, vos remarques : ce que vous avez compris ou non.
#
# Partez du [modèle de compte rendu](compte-rendu-tp8.ipynb), qui a un titre par question du
# TP.
