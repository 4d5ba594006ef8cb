# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tp8:
#     min_figures: 14
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
# ## Le principe : une montée de gradient sur l'image
#
# Notons $\tilde y_i(x)$ le **score** de la classe $i$ pour l'image $x$ : la sortie du réseau
# *avant* le softmax (le logit). Les poids du réseau sont figés ; la seule variable est l'image.
# On cherche l'image qui maximise
#
# $$\mathcal L(x) = \tilde y_i(x) - \lambda\,\|x\|_2 \qquad (3)$$
#
# par montée de gradient, exactement comme on entraîne un réseau, mais par rapport à l'entrée et
# dans le sens qui *augmente* l'objectif :
#
# $$x \leftarrow x + \eta\,\nabla_x \mathcal L(x) \qquad (4)$$
#
# où $\eta$ est le pas (le *learning rate*). Deux choix méritent d'être justifiés.
#
# - **Le score plutôt que la probabilité.** La probabilité softmax de la classe $i$ peut monter
#   simplement parce que les scores des *autres* classes baissent ; Simonyan et al. maximisent le
#   score pour que l'image accumule des indices *en faveur* de la classe $i$, et non des indices
#   contre les 999 autres. Le revers de ce choix apparaîtra en Q10 : rien n'empêche alors le score
#   d'une classe voisine de monter en même temps.
# - **La pénalité $\lambda\|x\|_2$.** Un réseau à ReLU est linéaire par morceaux : sans frein, on
#   ferait monter le score indéfiniment en amplifiant le contraste partout. La pénalité impose
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
# par le gradient du score. C'est exactement la « décroissance L2 » (*L2 decay*) de Yosinski et
# al., avec $\theta_{\text{decay}} = 2\eta\lambda$. Le gradient de la norme non élevée au carré,
# $\lambda\,x/\|x\|_2$, est au contraire un rappel de **longueur constante** $\lambda$, quelle que
# soit la distance de l'image à l'origine. Les deux formulations ne diffèrent pourtant que par le
# réglage de $\lambda$ : un point stationnaire vérifie $\nabla\tilde y_i = 2\lambda x^\star$ dans
# un cas et $\nabla\tilde y_i = \lambda' x^\star/\|x^\star\|_2$ dans l'autre, ce qui est la même
# condition dès que $\lambda' = 2\lambda\|x^\star\|_2$. Elles décrivent donc la même famille
# d'images, plus ou moins contrastées selon le poids choisi ; mais pour une image dont la norme
# vaut quelques centaines, il faut un $\lambda'$ des centaines de fois plus grand que $\lambda$
# (ordre de grandeur calculé plus bas).
#
# ### Dans quel espace ?
#
# Le réseau ne reçoit pas les pixels $x \in [0,1]$ mais leur version normalisée, canal par canal,
# $z = (x - \mu)/\sigma$, avec $\mu$ et $\sigma$ la moyenne et l'écart-type des pixels d'ImageNet.
# `tp8` fait la montée directement sur $z$ et pénalise $\|z\|_2^2$. L'origine $z = 0$ n'est donc
# pas l'image noire mais **l'image moyenne d'ImageNet**, un gris légèrement chaud : la pénalité
# tire vers cette image neutre. C'est aussi le choix de Simonyan et al., qui optimisent une image
# dont on a retranché la moyenne et rajoutent celle-ci pour l'affichage.
#
# ### Les régularisations implicites
#
# La pénalité L2 ne suffit pas : la montée de gradient trouve d'abord des motifs de haute
# fréquence, collés à des positions de pixels précises — la même fragilité que celle exploitée par
# les exemples adversaires de la partie 2. On ajoute donc des opérations appliquées directement à
# l'image, en dehors de l'objectif :
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
# Les réglages par défaut de `tp8.class_visualization`, utilisés partout sauf mention contraire,
# sont ceux du TP : $\eta = 5$, $\lambda = 10^{-3}$, 100 itérations, un flou d'écart-type
# 0,5 pixel toutes les 10 itérations et un décalage d'au plus 16 pixels.

# %% tags=["hide-input"]
DEFAUTS = dict(lr=5.0, l2_reg=1e-3, num_iterations=100, blur_every=10, blur_sigma=0.5, max_jitter=16)
decay = 1 - 2 * DEFAUTS["lr"] * DEFAUTS["l2_reg"]
# L'image de départ elle-même (la première vignette d'une ascension, même graine que plus bas).
depart = tp8.class_visualization(model, "flamingo", **{**DEFAUTS, "num_iterations": 1}, seed=0, progress=False)
bruit_depart = depart.snapshots[0][1]
norme_bruit = float(model.normalize(bruit_depart).norm())
md(
    f"Avec ces valeurs, la décroissance L2 multiplie $z$ par $1 - 2\\eta\\lambda = {num(decay, tex=True)}$ à chaque "
    f"pas, soit par ${num(decay, tex=True)}^{{100}} \\approx {num(decay**100, tex=True)}$ en 100 pas si le gradient du score "
    "ne compensait pas. L'image de départ est un bruit gaussien $z \\sim \\mathcal N(0, 1)$, ramené dans "
    f"les pixels valides, de norme $\\|z\\|_2 \\approx {num(norme_bruit, 0, tex=True)}$ : sa pénalité vaut "
    f"$\\lambda\\|z\\|_2^2 \\approx {num(DEFAUTS['l2_reg'] * norme_bruit**2, 0, tex=True)}$, et avec la norme non "
    "élevée au carré il faudrait "
    f"$\\lambda' = 2\\lambda\\|z\\|_2 \\approx {num(2 * DEFAUTS['l2_reg'] * norme_bruit, tex=True)}$ "
    "pour exercer le même rappel sur cette image."
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
# (`tp8.gaussian_blur`). Elle fabrique ici deux classes ; la suite de la page appelle
# `tp8.class_visualization`.


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
    tp8.image_grid(vos_images, [f"{c}\np = {num(p, 3)}" for c, p in zip(VOS_CLASSES, vos_mesures["proba"])], ncols=2),
    alt="Deux images fabriquées par la boucle autour du pas de montée, l'une pour la classe flamingo, l'autre pour "
    "tarantula, chacune titrée de la probabilité que le réseau donne à sa classe : des motifs colorés sur fond gris.",
)

# %% [markdown]
# ## Huit classes en un seul appel
#
# `tp8.class_visualization` accepte une liste de classes et optimise toutes les images en un seul
# lot : une image de bruit par classe, les mêmes translations aléatoires pour toutes. On choisit
# des animaux, une plante, un objet et un paysage. Sous chaque image : la probabilité finale de
# la classe visée et son score.

# %%
CLASSES = ["flamingo", "tarantula", "goldfish", "king penguin", "jellyfish", "daisy", "hourglass", "volcano"]
with tp8.course.Stopwatch() as chrono_tp:  # le temps et les vignettes (tous les 5 pas) resservent en fin de page
    viz = tp8.class_visualization(model, CLASSES, snapshot_every=5, seed=0, **DEFAUTS)
m = mesures(model, viz.images, viz.target)
titres = [f"{c}\np = {num(p, 3)}, ỹ = {num(s, 0)}" for c, p, s in zip(CLASSES, m["proba"], m["score"])]
show(
    tp8.image_grid(viz.images, titres, ncols=4),
    alt="Huit images générées, une par classe (" + ", ".join(CLASSES) + "), chacune titrée de sa probabilité "
    "et de son score : des motifs colorés répétés sur un fond gris, où l'on reconnaît des fragments de la "
    "classe visée.",
)

# %% [markdown]
# L'évolution de l'une d'elles, `volcano`, aux itérations 25, 50 et 100 (au-dessus de chaque
# vignette, la probabilité de la classe visée à ce moment ; le bruit de départ est montré en Q9,
# et l'ascension du flamant est animée en fin de page) :

# %%
extrait = viz[[CLASSES.index("volcano")]]  # cette classe : son image, ses vignettes, sa colonne de probabilités
extrait.snapshots = [(t, imgs) for t, imgs in extrait.snapshots if t in (25, 50, 100)]  # le bruit est montré plus bas
show(
    tp8.plot_class_visualization(extrait, model, max_columns=3),
    alt="L'image de la classe volcano aux itérations 25, 50 et 100 : des cônes sombres et des coulées orangées "
    "apparaissent sur le bruit puis se contrastent, avec la probabilité de la classe visée au-dessus de chaque "
    "vignette.",
)

# %% [markdown]
# Et, pour les huit classes, la probabilité de la classe visée et l'objectif
# $\tilde y_i - \lambda\|z\|_2^2$ au fil des itérations. Chaque point est mesuré sur l'image
# *décalée* de l'itération en cours, d'où les zigzags.

# %%
iterations = np.arange(viz.probabilities.shape[0])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), facecolor="white", layout="constrained")
for k, c in enumerate(CLASSES):
    ax1.plot(iterations, viz.probabilities[:, k], label=c, lw=1.4)
    ax2.plot(iterations, viz.objective[:, k], lw=1.4)
ax1.set(xlabel="itération", ylabel="probabilité de la classe visée", ylim=(-0.02, 1.02))
ax2.set(xlabel="itération", ylabel=r"objectif $\tilde y_i - \lambda\|z\|_2^2$")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
ax1.legend(fontsize=8, ncols=2, loc="lower right")
show(
    fig,
    alt="Deux graphiques en fonction de l'itération, une courbe par classe : à gauche la probabilité de la classe "
    "visée, qui passe de 0 à 1 en une vingtaine d'itérations ; à droite l'objectif, qui part d'une valeur très "
    "négative, saute vers l'itération 10 puis continue de monter.",
)

# %% [markdown]
# <a id="q8"></a>
# ## Q8 — Ce que montrent les visualisations
#
# Quelques mesures sur les huit images finales : le score, la probabilité qui reste aux 999 autres
# classes ($1 - p$), l'itération à partir de laquelle $p$ dépasse 0,5, la classe suivante dans le
# classement du réseau, et $1 - p$ une fois l'image arrondie sur 8 bits (ce que contiendrait un
# PNG).

# %% tags=["hide-input"]
photos = {s.name: s for s in tp8.sample_images(["chelsea", "coffee"])}
images_photos = torch.stack([s.image for s in photos.values()])
top_photos = [top[0][0] for top in model.predict(images_photos, k=1)]  # classe en tête pour chaque photo
vraies = mesures(model, images_photos, [model.class_index(t) for t in top_photos])
deuxieme = [top[1] for top in model.predict(viz.images, k=2)]
m8 = mesures(model, tp8.quantize(viz.images), viz.target)
seuil = [int(np.argmax(viz.probabilities[:, k].numpy() > 0.5)) for k in range(len(CLASSES))]
table(
    [
        {
            "classe visée": c,
            "score ỹ": num(m["score"][k], 0),
            "1 − p": sci(m["reste"][k]),
            "p dépasse 0,5 à l'itération": seuil[k],
            "2e classe (p)": f"{deuxieme[k][0]} ({sci(deuxieme[k][1])})",
            "1 − p après arrondi 8 bits": sci(m8["reste"][k]),
            "‖z‖₂": num(m["norme"][k], 0),
        }
        for k, c in enumerate(CLASSES)
    ]
)

# %% tags=["hide-input"]
# « Proche parente » pour le réseau : la dernière couche donne à chaque classe un vecteur de poids ;
# on classe les 999 autres classes par similarité cosinus avec celui de la classe visée.
last = [m_ for m_ in model.net.modules() if isinstance(m_, (torch.nn.Linear, torch.nn.Conv2d))][-1]
w = torch.nn.functional.normalize(last.weight.detach().flatten(1), dim=1)
similarity = w @ w.T
rang_voisine = []
for k in range(len(CLASSES)):
    order = similarity[viz.target[k]].argsort(descending=True).tolist()
    rang_voisine.append(order.index(model.class_index(deuxieme[k][0])))  # 1 = la plus semblable
voisines = sum(r <= 20 for r in rang_voisine)
scores_photos = float(vraies["score"].max())
saut = viz.objective[10] - viz.objective[9]
montee_finale = viz.objective[-1] - viz.objective[max(seuil) + 10]
md(
    "**Le réseau est catégorique.** Pour les huit images, la probabilité laissée aux 999 autres classes "
    f"ne dépasse pas {sci(m['reste'].max())}, et $p$ dépasse 0,5 pour la première fois entre les "
    f"itérations {min(seuil)} et {max(seuil)}. La deuxième classe du classement, malgré sa probabilité infime, "
    + claim(voisines >= len(CLASSES) // 2, "est souvent une proche parente de la classe visée")
    + " : "
    + ", ".join(f"`{deuxieme[k][0]}` pour `{c}`" for k, c in enumerate(CLASSES))
    + f". Pour {voisines} des {len(CLASSES)} classes, elle figure parmi les 20 classes dont le vecteur de poids "
    "de la dernière couche ressemble le plus (similarité cosinus) à celui de la classe visée : "
    "les motifs dessinés par la montée servent aussi, un peu, à ces voisines. "
    f"Les scores finaux, de {num(m['score'].min(), 0)} à {num(m['score'].max(), 0)}, "
    + claim(m["score"].min() > 2 * scores_photos, "dépassent de loin ceux de vraies photos")
    + " : la classe en tête obtient un score de "
    f"{num(vraies['score'][0], 0)} sur la photo du chat *Chelsea* (`{top_photos[0]}`, "
    f"$p = {num(vraies['proba'][0], tex=True)}$) et de {num(vraies['score'][1], 0)} sur celle d'une tasse de café "
    f"(`{top_photos[1]}`, $p = {num(vraies['proba'][1], tex=True)}$), deux photos reprises en Q10. Ces images sont des "
    "*super-stimuli* : plus « flamant » que n'importe quelle photo de flamant, du point de vue du réseau. "
    f"L'objectif, lui, part très bas (${num(viz.objective[0].mean(), 0, tex=True)}$ en moyenne : c'est la pénalité "
    "du bruit initial, calculée plus haut), "
    + claim(bool((saut > 0).all()) and float(saut.mean()) > 20, "bondit au premier flou (itération 10)")
    + f" (de {num(saut.mean(), 0)} en moyenne), qui efface d'un coup une grande partie du bruit, puis "
    + claim(bool((montee_finale > 0).all()), "continue de monter bien après que la probabilité a saturé")
    + " : c'est le score qui est maximisé, pas la probabilité."
)

# %% [markdown]
# **Des morceaux répétés, pas un objet entier.** Aucune image ne montre *un* flamant ou *une*
# tarentule posés sur un fond. On y voit des fragments de la classe — têtes et cous roses de
# flamant, pattes velues de tarentule, têtes de manchot, cœurs de pâquerette — répétés un peu
# partout, à plusieurs tailles et dans plusieurs orientations. Rien dans l'objectif ne demande un
# objet unique, centré et complet : le score final de SqueezeNet est une moyenne, sur toutes les
# positions de l'image, de détecteurs de motifs (le *pooling* global de la dernière couche).
# Chaque copie supplémentaire d'une tête de flamant ajoute donc un peu de score, et la translation
# aléatoire favorise justement les motifs qui fonctionnent n'importe où. Le réseau a appris des
# **parties discriminantes** (une tête, un œil, une texture de poils) plus que la forme globale de
# l'objet et l'agencement de ses parties.


# %% tags=["hide-input"]
# Chaque quart de chaque image, seul sur le gris moyen (le reste masqué), est-il encore classé dans la classe
# visée ? Même test sur les huit photos du cours, avec leur classe prédite.
def quarts_reconnus(images, cibles):
    gris = torch.tensor(tp8.models.IMAGENET_MEAN).view(1, 3, 1, 1)
    vus = []
    for i in (0, 112):
        for j in (0, 112):
            masque = gris.expand_as(images).clone()
            masque[:, :, i : i + 112, j : j + 112] = images[:, :, i : i + 112, j : j + 112]
            with torch.no_grad():
                vus.append(model(masque).argmax(1) == cibles)
    return torch.stack(vus)  # (4 quarts, N images)


vus = quarts_reconnus(viz.images, viz.target)
photos_cours = torch.stack([s_.image for s_ in tp8.sample_images()])
vus_photos = quarts_reconnus(photos_cours, model(photos_cours).argmax(1).detach())
part_viz, part_photos = float(vus.float().mean()), float(vus_photos.float().mean())
md(
    f"Une mesure le confirme : réduites à un seul de leurs quatre quarts (le reste remplacé par le gris moyen), "
    f"{int(vus.sum())} des {vus.numel()} vignettes restent classées dans leur classe visée, soit "
    f"{pct(part_viz)}, contre {pct(part_photos)} pour les quarts des huit photos du cours avec leur classe "
    "prédite : "
    + claim(part_viz >= 0.4 and part_viz > 3 * part_photos, "les indices de la classe sont répétés un peu partout")
    + ", alors qu'une photo en rassemble en général l'essentiel au même endroit."
)

# %% [markdown]
# **Les couleurs restent discrètes.** Le fond reste proche du gris moyen d'où part la montée, et
# seuls les détails les plus marqués prennent une couleur de la classe : sur ces images, les
# détails les plus marqués du flamant, du poisson rouge et du volcan tirent vers le rouge. La
# couleur est un indice bon marché pour ces classes, mais la méthode du TP la laisse peu
# s'exprimer ; la section [Des images lisibles](images-lisibles.py) montre ce qu'y change une
# autre façon de décrire l'image.

# %% tags=["remove-cell"]
from skimage.color import rgb2hsv

saturation = float(np.mean([rgb2hsv(im)[..., 1].mean() for im in tp8.to_numpy(viz.images)]))
ecart = viz.images - torch.tensor(tp8.models.IMAGENET_MEAN).view(1, 3, 1, 1)
force = ecart.norm(dim=1, keepdim=True)
marques = (force >= force.flatten(1).quantile(0.9, dim=1).view(-1, 1, 1, 1)).float()  # 10 % les plus marqués
teinte = {c: (viz.images[k] * marques[k]).sum((1, 2)) / marques[k].sum() for k, c in enumerate(CLASSES)}
claim(saturation < 0.35, "Le fond reste proche du gris moyen d'où part la montée")
claim(
    all(teinte[c][0] > max(teinte[c][1], teinte[c][2]) for c in ("flamingo", "goldfish", "volcano")),
    "les détails les plus marqués du flamant, du poisson rouge et du volcan tirent vers le rouge",
)

# %% [markdown]
# **Le contexte fait partie de la classe.** Un réseau entraîné sur des photos apprend aussi ce qui
# *accompagne* l'objet : l'eau où se tiennent les flamants, le ciel autour d'un volcan, la main
# qui tient un objet. Une classe photographiée presque toujours dans le même décor fait de ce décor
# un indice de la classe : c'est une source classique de raccourcis, et d'erreurs, des
# classifieurs. Cherchez ces décors dans les images ci-dessus.
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

# %% tags=["remove-cell"]
claim(float(m8["reste"].max()) < 0.01, "cette certitude survit à l'arrondi sur 8 bits")

# %% [markdown]
# <a id="q9"></a>
# ## Q9 — Itérations, pas d'apprentissage et régularisation
#
# Pour garder la page rapide, on étudie une seule classe, le flamant, une image seule avec la
# graine 0. Une exécution de 200 itérations fournit la progression, et son état à l'itération 100
# est exactement ce que donnerait un appel de 100 itérations avec les réglages par défaut : il sert
# de référence dans toutes les grilles. (Il diffère du flamant de la grille du haut : le bruit de
# départ est le même, mais la suite de translations aléatoires tirée pour une image seule n'est
# pas celle d'un lot de huit. Deux tirages donnent deux images différentes, aussi convaincantes
# l'une que l'autre : la visualisation n'est pas unique.) Sous chaque image figurent sa
# probabilité $p$, son score $\tilde y$ et sa norme $\|z\|_2$ (l'écart à l'image moyenne).

# %%
CIBLE = "flamingo"
idx_cible = model.class_index(CIBLE)
long = tp8.class_visualization(model, CIBLE, **{**DEFAUTS, "num_iterations": 200}, snapshot_every=5, seed=0)
etapes = dict(long.snapshots)
reference = etapes[100]


def legende(images, reglages):
    """Titres « réglage / p, ỹ, ‖z‖ » d'une grille d'images du flamant, et leurs mesures."""
    mm = mesures(model, images, [idx_cible] * images.shape[0])
    titres = [
        f"{r}\np = {num(p, 3)}, ỹ = {num(s, 0)}, ‖z‖ = {num(n, 0)}"
        for r, p, s, n in zip(reglages, mm["proba"], mm["score"], mm["norme"])
    ]
    return titres, mm


# %% [markdown]
# ### Nombre d'itérations

# %%
montrees = [0, 25, 100, 200]
images_it = torch.cat([etapes[t] for t in montrees])
titres_it, m_it = legende(images_it, [f"itération {t}" for t in montrees])
show(
    tp8.image_grid(images_it, titres_it, ncols=4),
    alt="Quatre états de la même image de flamant, aux itérations 0, 25, 100 et 200 : le bruit de départ "
    "s'efface, puis des têtes roses de flamant apparaissent et se contrastent ; sous chaque vignette, la "
    "probabilité, le score et la norme.",
)

# %% tags=["hide-input"]
toutes = sorted(etapes)
m_long = mesures(model, torch.cat([etapes[t] for t in toutes]), [idx_cible] * len(toutes))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2), facecolor="white", layout="constrained")
ax1.plot(toutes, m_long["score"], marker=".", color="tab:red")
ax1.set(xlabel="itération", ylabel=r"score $\tilde y$ de « flamingo »")
ax2.plot(toutes, m_long["norme"], marker=".", color="tab:blue")
ax2.set(xlabel="itération", ylabel=r"$\|z\|_2$ (écart à l'image moyenne)")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.axvline(100, color="grey", ls=":", lw=1)
show(
    fig,
    alt="Deux courbes en fonction de l'itération, de 0 à 200 : à gauche le score de « flamingo », qui monte vite "
    "puis de moins en moins ; à droite la norme de l'image, qui chute au début, touche un minimum puis remonte "
    "en dents de scie.",
)

# %% tags=["hide-input"]
score_t = {t: float(v) for t, v in zip(toutes, m_long["score"])}
norme_t = {t: float(v) for t, v in zip(toutes, m_long["norme"])}
t_min = min(norme_t, key=norme_t.get)
p25 = float(m_it["proba"][montrees.index(25)])
# Ressemblance des images aux itérations 100 et 200, moyennées par blocs de 8 × 8 pixels (leur composition).
z100, z200 = (torch.nn.functional.avg_pool2d(model.normalize(etapes[t]), 8).flatten() for t in (100, 200))
ressemblance = float(torch.nn.functional.cosine_similarity(z100, z200, dim=0))
md(
    f"La norme chute de {num(norme_t[0], 0)} à {num(norme_t[10], 0)} en 10 itérations : "
    + claim(norme_t[10] < 0.7 * norme_t[0], "l'essentiel du bruit de départ, qui ne sert pas la classe, disparaît")
    + f". Elle touche son minimum ({num(norme_t[t_min], 0)}) vers l'itération {t_min}, puis "
    + claim(norme_t[200] > 1.2 * norme_t[t_min], "remonte à mesure que des motifs utiles se dessinent")
    + ", en dents de scie : chaque flou la fait baisser, la montée la reconstruit. "
    + (
        f"À l'itération 25, le réseau est déjà convaincu ($p = {num(p25, 3, tex=True)}$) alors qu'on distingue à "
        "peine quelques silhouettes : il lui faut bien moins de structure qu'à nous. "
        if p25 > 0.5
        else f"À l'itération 25, la probabilité n'est encore que de {num(p25, 3)}. "
    )
    + "Le score grimpe ensuite vite "
    f"({num(score_t[50], 0)} à l'itération 50, {num(score_t[100], 0)} à 100), puis "
    + claim(score_t[200] / score_t[100] < score_t[100] / score_t[50], "plafonne")
    + f" : entre 100 et 200 itérations il ne gagne plus que {pct(score_t[200] / score_t[100] - 1)}, contre "
    f"{pct(score_t[100] / score_t[50] - 1)} entre 50 et 100. Les motifs se contrastent et le détail fin continue "
    "de bouger, mais "
    + claim(ressemblance > 0.7, "la composition de l'image ne change plus guère")
    + f" (moyennées par blocs de 8 × 8 pixels, les images des itérations 100 et 200 ont une similarité cosinus de "
    f"{num(ressemblance)}) : au-delà d'une centaine d'itérations, on paie surtout du temps de calcul."
)

# %% [markdown]
# ### Pas d'apprentissage $\eta$
#
# Le gradient est utilisé brut (sans normalisation, contrairement à l'attaque de la partie 2),
# donc $\eta$ fixe directement l'amplitude de chaque modification. Avec la pénalité au carré, il
# règle aussi la décroissance $1 - 2\eta\lambda$ : augmenter $\eta$ à $\lambda$ fixé renforce à la
# fois la poussée du gradient et le rappel vers l'image moyenne.


# %%
def balayage(reglage, valeurs, symbole):
    """Visualise CIBLE pour chaque valeur d'un réglage (les autres aux défauts), affiche la grille."""
    images = torch.cat(
        [
            reference
            if v == DEFAUTS[reglage]
            else tp8.class_visualization(model, CIBLE, **{**DEFAUTS, reglage: v}, seed=0, progress=False).images
            for v in valeurs
        ]
    )
    titres, mesures = legende(
        images, [f"{symbole} = {num(v, None)}" + (" (défaut)" if v == DEFAUTS[reglage] else "") for v in valeurs]
    )
    show(
        tp8.image_grid(images, titres, ncols=4),
        alt=f"Quatre images du flamant obtenues avec {symbole} = "
        + ", ".join(num(v, None) for v in valeurs)
        + ", les autres réglages par défaut ; sous chacune, sa probabilité, son score et sa norme.",
    )
    mesures["hautes fréquences"] = tp8.course.high_frequency_share(images)
    return mesures


PAS = [0.5, 5.0, 20.0, 50.0]
m_lr = balayage("lr", PAS, "η")

# %% tags=["hide-input"]
i_def = PAS.index(DEFAUTS["lr"])
hf_lr = m_lr["hautes fréquences"]
md(
    f"Les probabilités finales vont de {num(m_lr['proba'].min(), 3)} à {num(m_lr['proba'].max(), 3)} : "
    + claim(
        m_lr["proba"].min() > 0.9, "le pas décide moins *si* le réseau est convaincu que *quelle* image le convainc"
    )
    + f". Avec $\\eta = {num(PAS[0], None, tex=True)}$, cent petits pas ne suffisent pas à développer les motifs : "
    + claim(m_lr["norme"][0] < 0.6 * m_lr["norme"][i_def], "les flamants sont à peine esquissés sur le gris moyen")
    + f" (norme {num(m_lr['norme'][0], 0)}), ce qui suffit pourtant à un score de {num(m_lr['score'][0], 0)}. "
    f"Le réglage par défaut donne un score de {num(m_lr['score'][i_def], 0)}. Au-delà, "
    + claim(
        min(m_lr["norme"][-2:]) > m_lr["norme"][i_def] and min(hf_lr[-2:]) > hf_lr[i_def],
        "chaque pas est si grand que l'image se sature",
    )
    + f" (norme {num(m_lr['norme'][-2], 0)} puis {num(m_lr['norme'][-1], 0)}, contre "
    f"{num(m_lr['norme'][i_def], 0)} par défaut ; part de l'énergie dans les motifs de moins de 4 pixels : "
    f"{pct(hf_lr[-2])} et {pct(hf_lr[-1])}, contre {pct(hf_lr[i_def])}) : des points isolés de couleurs vives "
    "envahissent le fond, les motifs se morcellent et "
    + claim(max(m_lr["score"][-2:]) < m_lr["score"][i_def], "le score *retombe*")
    + f" ({num(m_lr['score'][-2], 0)} pour $\\eta = {num(PAS[-2], None, tex=True)}$, "
    f"{num(m_lr['score'][-1], 0)} pour $\\eta = {num(PAS[-1], None, tex=True)}$), signe que l'ascension rebondit au "
    "lieu de monter. Comme pour l'entraînement d'un réseau, il existe une plage utile : trop petit, on "
    "n'avance pas ; trop grand, on oscille."
)

# %% [markdown]
# ### Poids de la régularisation $\lambda$

# %%
LAMBDAS = [0.0, 1e-3, 1e-2, 3e-2]
m_l2 = balayage("l2_reg", LAMBDAS, "λ")

# %% tags=["hide-input"]
p_fort = float(m_l2["proba"][-1])
decroit = bool((m_l2["norme"][1:] < m_l2["norme"][:-1]).all())
md(
    claim(decroit, "La norme de l'image décroît quand $\\lambda$ augmente") + " "
    f"({', '.join(num(v, 0) for v in m_l2['norme'])} pour $\\lambda$ = "
    f"{' ; '.join(num(v, None) for v in LAMBDAS)}). Sans pénalité, l'image reste lisible après 100 itérations, "
    "car le flou et la projection sur $[0, 1]$ régularisent déjà ; elle est seulement plus contrastée et "
    "son fond plus chargé de motifs qui ne servent guère la classe, puisque rien ne les efface. Avec "
    f"$\\lambda = {num(LAMBDAS[2], None, tex=True)}$, la décroissance vaut $1 - 2\\eta\\lambda = "
    f"{num(1 - 2 * DEFAUTS['lr'] * LAMBDAS[2], tex=True)}$ par pas : "
    + claim(m_l2["norme"][2] < 0.6 * m_l2["norme"][1], "il ne reste que quelques flamants pâles")
    + f" sur un fond gris presque uniforme (score {num(m_l2['score'][2], 0)}). Avec $\\lambda = {num(LAMBDAS[-1], None, tex=True)}$ "
    f"(décroissance ${num(1 - 2 * DEFAUTS['lr'] * LAMBDAS[-1], tex=True)}$ par pas), la pénalité l'emporte sur le score : "
    f"l'image redevient presque l'image moyenne et la probabilité tombe à {num(p_fort)}"
    + (" ; le réseau n'est plus convaincu. " if p_fort < 0.5 else ". ")
    + "Le poids $\\lambda$ règle donc un compromis entre sobriété (peu de contraste inutile) et force du "
    "signal (assez de contraste pour que les motifs existent)."
)

# %% [markdown]
# ### Sans translation, sans flou
#
# Que deviennent les images si l'on retire les régularisations implicites ? On garde $\eta$ et
# $\lambda$ par défaut et l'on désactive la translation (`max_jitter=0`), puis aussi le flou
# (`blur_every=0`). Cliquez sur la figure pour l'agrandir : la texture fine compte ici.

# %%
ABLATIONS = {
    "tout (défaut)": {},
    "sans translation": {"max_jitter": 0},
    "ni translation ni flou": {"max_jitter": 0, "blur_every": 0},
}
images_ab = torch.cat(
    [
        reference
        if not options
        else tp8.class_visualization(model, CIBLE, **{**DEFAUTS, **options}, seed=0, progress=False).images
        for options in ABLATIONS.values()
    ]
)
titres_ab, m_ab = legende(images_ab, list(ABLATIONS))
show(
    tp8.image_grid(images_ab, titres_ab, ncols=3),
    alt="Trois images du flamant : avec tous les réglages par défaut, sans translation aléatoire, puis sans "
    "translation ni flou ; la deuxième se couvre de points de couleurs vives, la troisième devient une texture "
    "dense et fine.",
)

# %% tags=["hide-input"]
sab = dict(zip(ABLATIONS, m_ab["score"].tolist()))
hf_ab = dict(zip(ABLATIONS, tp8.course.high_frequency_share(images_ab).tolist()))
with torch.no_grad():  # le score garde-t-il sa valeur si l'on décale l'image de 8 pixels ?
    decale = model(torch.roll(images_ab, shifts=(8, 8), dims=(-2, -1)))[:, idx_cible]
tenue = dict(zip(ABLATIONS, (decale / m_ab["score"]).tolist()))
md(
    "Les trois images sont classées avec la même assurance (la probabilité laissée aux autres classes ne "
    f"dépasse pas {sci(m_ab['reste'].max())}) : "
    + claim(
        float(m_ab["reste"].max()) < 1e-3,
        "les régularisations implicites ne servent pas à convaincre le réseau, mais à rendre l'image lisible pour nous",
    )
    + ". "
    + claim(
        sab["tout (défaut)"] < min(sab["sans translation"], sab["ni translation ni flou"]),
        "Elles *coûtent* même du score",
    )
    + f" : {num(sab['tout (défaut)'], 0)} avec elles, {num(sab['sans translation'], 0)} sans "
    f"translation et {num(sab['ni translation ni flou'], 0)} sans translation ni flou. Sans translation, "
    + claim(
        tenue["sans translation"] < tenue["tout (défaut)"],
        "la montée exploite des motifs attachés à des positions précises",
    )
    + f" : décalée de 8 pixels, l'image ne garde que {pct(tenue['sans translation'])} de son score, contre "
    f"{pct(tenue['tout (défaut)'])} pour l'image régularisée, et la part de son énergie dans les motifs de moins "
    f"de 4 pixels passe de {pct(hf_ab['tout (défaut)'])} à {pct(hf_ab['sans translation'])} : le fond se couvre "
    "de taches de quelques pixels aux couleurs saturées, et les têtes de flamant se noient dans ce semis. "
    "Sans le flou en plus, la norme "
    + f"({num(m_ab['norme'][-1], 0)}) "
    + claim(m_ab["norme"][-1] > norme_bruit, "dépasse celle du bruit de départ")
    + f" ({num(norme_bruit, 0)}) et "
    + claim(
        hf_ab["ni translation ni flou"] > max(hf_ab["tout (défaut)"], hf_ab["sans translation"]),
        "l'image devient une texture dense de haute fréquence",
    )
    + f" ({pct(hf_ab['ni translation ni flou'])} de l'énergie dans les motifs fins) : on se rapproche d'un "
    "exemple adversaire, une image très efficace pour le réseau et peu parlante pour un humain."
)

# %% [markdown]
# <a id="q10"></a>
# ## Q10 — Partir d'une vraie photo
#
# Au lieu du bruit, on part d'une photo (paramètre `init_img`) : le chat *Chelsea* et la tasse de
# café de scikit-image. Chacune est poussée vers sa vraie classe (`tabby`, `espresso`) puis vers
# une classe sans rapport (`goldfish`, `volcano`) ; les quatre ascensions forment un seul lot.
#
# Un réglage change : la pénalité L2 tire vers l'image moyenne, donc ici *efface la photo* (avec
# les réglages par défaut, il n'en resterait que le facteur $0{,}99^{100} \approx 0{,}37$ de
# contraste, moins ce que retire le flou). On la supprime ($\lambda = 0$) et l'on s'arrête à
# 50 itérations : c'est la photo de départ qui joue le rôle de régularisation ; la translation et
# le flou restent actifs. La troisième colonne montre la modification $\delta$ = fin − départ
# (gris = inchangé).

# %%
departs = torch.stack([photos[nom].image for nom in ("chelsea", "chelsea", "coffee", "coffee")])
cibles_photo = [photos["chelsea"].imagenet_class, "goldfish", photos["coffee"].imagenet_class, "volcano"]
reve = tp8.class_visualization(
    model, cibles_photo, init_img=departs, seed=0, **{**DEFAUTS, "l2_reg": 0.0, "num_iterations": 50}
)

avant, apres = model.predict(departs, k=1), model.predict(reve.images, k=1)
m_avant, m_apres = mesures(model, departs, reve.target), mesures(model, reve.images, reve.target)
delta = reve.images - departs
rms = 255 * delta.flatten(1).pow(2).mean(dim=1).sqrt()
vignettes, titres_photo = [], []
for k, cible in enumerate(cibles_photo):
    vignettes += [departs[k], reve.images[k], (0.5 + delta[k]).clamp(0, 1)]
    titres_photo += [
        f"départ : {avant[k][0][0]} ({num(avant[k][0][1])})\np({cible}) = {prob(m_avant['proba'][k])}",
        f"visé : {cible}, p = {num(m_apres['proba'][k], 3)}\n1re classe : {apres[k][0][0]} ({num(apres[k][0][1])})",
        f"δ (gris = 0), RMS = {num(rms[k], 0)}/255",
    ]
show(
    tp8.image_grid(torch.stack(vignettes), titres_photo, ncols=3),
    alt="Quatre rangées : le chat poussé vers tabby puis vers goldfish, la tasse poussée vers espresso puis vers "
    "volcano ; à gauche la photo de départ, au milieu l'image après 50 itérations, à droite la modification "
    "sur fond gris, avec les probabilités avant et après.",
)

# %% tags=["hide-input"]
from scipy.stats import spearmanr
from skimage.filters import gaussian

# Où la montée a-t-elle changé la photo ? Là où, déjà sur la photo de départ, le gradient de la classe visée
# était fort ? Corrélation de rang entre |δ| et la carte de saillance de départ, toutes deux lissées.
carte_depart = tp8.saliency_map(model, departs, target=reve.target).numpy()
amplitude = delta.abs().amax(dim=1).numpy()
prise = [
    spearmanr(gaussian(amplitude[k], 4).ravel(), gaussian(carte_depart[k], 4).ravel())[0] for k in range(len(departs))
]
gardee = [float(np.corrcoef(departs[k].flatten(), reve.images[k].flatten())[0, 1]) for k in range(len(departs))]
ascensions = ["le chat vers tabby", "le chat vers goldfish", "la tasse vers espresso", "la tasse vers volcano"]
suit = [a for a, r in zip(ascensions, prise) if r > 0.2]
ignore = [a for a, r in zip(ascensions, prise) if r <= 0.2]
texte_prise = (
    "La montée modifie-t-elle la photo là où celle-ci offrait déjà une prise à la classe visée ? On compare "
    "l'amplitude de la modification à la carte de saillance de cette classe calculée sur la photo de départ "
    "(corrélation de rang des deux cartes lissées : "
    + " ; ".join(f"{num(r)} pour {a}" for a, r in zip(ascensions, prise))
    + "). "
    + (f"Oui pour {' et '.join(suit)} : " if suit else "")
    + ("la modification suit alors les zones où le gradient de la classe était déjà fort. " if suit else "")
    + (
        f"{'Non' if suit else 'Dans aucun cas'} pour {' et '.join(ignore)} : la montée ne recycle pas seulement "
        "ce que la photo montrait, elle peut aussi installer ses motifs ailleurs, là où la carte de départ ne "
        "prévoyait rien — une carte de saillance, calculée en un point, ne prédit pas où mènera une longue "
        "ascension."
        if ignore
        else "La montée recycle donc ce qu'elle trouve."
    )
)
with torch.no_grad():
    scores_avant, scores_apres = model(departs[:1])[0], model(reve.images[:1])[0]
chat, gagnant = int(reve.target[0]), int(scores_apres.argmax())
if gagnant != chat:
    texte_chat = (
        f"Le chat fait exception, et c'est instructif. Le score de `{model.class_name(chat)}` a bien monté "
        f"({num(scores_avant[chat], 1)} → {num(scores_apres[chat], 1)}), mais celui de "
        f"`{model.class_name(gagnant)}` encore plus ({num(scores_avant[gagnant], 1)} → "
        f"{num(scores_apres[gagnant], 1)}) : les rayures et les yeux qui font monter l'une de ces classes "
        f"voisines font monter l'autre. La probabilité de `{model.class_name(chat)}` *baisse* donc "
        f"({num(m_avant['proba'][0])} → {num(m_apres['proba'][0], 3)}) alors que son score augmente : c'est "
        "le revers de la maximisation du score annoncé plus haut, qui ne dit rien des autres classes. "
        "Maximiser la probabilité, ou le score moins celui des classes voisines, trancherait entre elles."
    )
else:
    texte_chat = (
        f"Le chat passe de {num(m_avant['proba'][0])} à {num(m_apres['proba'][0], 3)} pour "
        f"`{model.class_name(chat)}`, alors que le réseau hésitait au départ entre plusieurs classes de chats."
    )
md(
    f"Vers sa vraie classe, la tasse passe d'une probabilité de {num(m_avant['proba'][2])} à "
    f"{num(m_apres['proba'][2], 3)}. L'image n'est pas seulement « confirmée » : la montée **amplifie ce "
    "que le réseau y voit déjà**. "
    + claim(min(gardee[0], gardee[2]) > 0.7, "La structure de la photo reste en place")
    + f" (corrélation de {num(gardee[0])} et {num(gardee[2])} entre les pixels de départ et d'arrivée), mais "
    "elle se charge de motifs de la classe. C'est le principe de *DeepDream* "
    "(Mordvintsev et al., 2015), qui fait la même montée sur l'activité d'une couche intermédiaire plutôt "
    "que sur un score de classe. Comparer la photo et son « rêve » montre quelles structures de la photo "
    "le réseau exploite pour cette classe, un peu comme une carte de saillance (partie 1) mais rendue dans "
    "l'espace des images.\n\n" + texte_chat + "\n\n"
    "Vers une classe sans rapport, "
    + claim(min(m_apres["proba"][1], m_apres["proba"][3]) > 0.99, "le réseau bascule complètement")
    + f" (p = {num(m_apres['proba'][1], 3)} pour `goldfish`, {num(m_apres['proba'][3], 3)} pour `volcano`, contre "
    f"{sci(m_avant['proba'][1])} et {sci(m_avant['proba'][3])} au départ). "
    + texte_prise
    + " "
    + claim(min(rms[1], rms[3]) > 10, "La modification est grande")
    + f" (écart RMS de {num(rms[1], 0)} et {num(rms[3], 0)} niveaux sur 255) et bien visible, à l'opposé des "
    "perturbations de quelques niveaux de la partie 2. C'est un changement d'avis *justifié* : l'image "
    "montre désormais, pour nous aussi, des motifs de la classe cible. La comparaison montre a contrario "
    "ce qu'a d'anormal un exemple adversaire : le même basculement, obtenu sans qu'aucun de ces motifs "
    "n'apparaisse."
)

# %% [markdown]
# <a id="q11"></a>
# ## Q11 — Un autre réseau
#
# Le sujet suggère VGG16 (Simonyan et Zisserman, 2015), conçu par la même équipe d'Oxford que la
# méthode de visualisation : 13 convolutions $3 \times 3$ et trois couches entièrement connectées,
# environ 138 millions de paramètres contre 1,2 million pour SqueezeNet 1.1. On visualise trois
# des classes précédentes avec les mêmes réglages (celles de SqueezeNet 1.1 sont dans la figure des
# huit classes de Q8), puis chaque réseau juge les images de l'autre.

# %%
net2 = second_network()
if net2.message is not None:
    display(net2.message)

# %%
if net2.model is not None:
    net = net2.model
    CLASSES2 = ["flamingo", "tarantula", "king penguin"]
    idx2 = [CLASSES.index(c) for c in CLASSES2]  # leur place dans le premier lot
    viz2 = tp8.class_visualization(net, CLASSES2, seed=0, **DEFAUTS)
    m2 = mesures(net, viz2.images, viz2.target)
    titres2 = [
        f"{net.name} : {c}\np = {num(p, 3)}, ỹ = {num(s, 0)}" for c, p, s in zip(CLASSES2, m2["proba"], m2["score"])
    ]
    show(  # celles de SqueezeNet 1.1 pour ces classes sont dans la figure des huit classes (Q8)
        tp8.image_grid(viz2.images, titres2, ncols=3),
        alt=f"Trois images, flamingo, tarantula et king penguin, obtenues pour {net.name} avec les mêmes réglages, "
        "chacune avec sa probabilité et son score.",
    )

# %% tags=["hide-input"]
if net2.model is not None:
    p_12 = mesures(net, viz.images[idx2], viz2.target)["proba"]  # le second réseau juge les images de SqueezeNet 1.1
    p_21 = mesures(model, viz2.images, viz.target[idx2])["proba"]  # et inversement
    display(
        table(
            [
                {
                    "classe": c,
                    f"{model.name}, ses images": num(m["proba"][idx2[k]], 3),
                    f"{net.name}, ses images": num(m2["proba"][k], 3),
                    f"{net.name}, images de {model.name}": prob(p_12[k]),
                    f"{model.name}, images de {net.name}": prob(p_21[k]),
                }
                for k, c in enumerate(CLASSES2)
            ]
        )
    )
    millions = {x.name: sum(p.numel() for p in x.parameters()) / 1e6 for x in (model, net)}

    def norme_gradient(reseau, images, cibles):
        """Longueur moyenne du gradient ∇_z ỹ du score de la classe visée, pour un lot d'images."""
        z = reseau.normalize(images).requires_grad_(True)
        scores = reseau.forward_normalized(z)
        (g,) = torch.autograd.grad(scores[torch.arange(len(cibles)), torch.as_tensor(cibles)].sum(), z)
        return float(g.flatten(1).norm(dim=1).mean())

    # Sur le bruit de départ (le même pour les deux réseaux), puis sur les images finales de chacun.
    cibles2 = viz2.target.tolist()
    bruit = bruit_depart.expand(len(cibles2), -1, -1, -1)
    g_debut = norme_gradient(net, bruit, cibles2) / norme_gradient(model, bruit, cibles2)
    g_fin = norme_gradient(net, viz2.images, cibles2) / norme_gradient(model, viz.images[idx2], cibles2)
    z1, z2 = float(m["norme"][idx2].mean()), float(m2["norme"].mean())
    rapport = float(m2["score"].mean() / m["score"][idx2].mean())
    equilibre = (
        f"Ses scores finaux valent en moyenne {num(rapport)} fois ceux de `{model.name}`. Le pas $\\eta$ agit sur "
        f"le gradient brut, dont l'amplitude dépend du réseau : sur le bruit de départ, le gradient de `{net.name}` "
        f"vaut {num(g_debut)} fois celui de `{model.name}`, et sur les images finales {num(g_fin)} fois. Avec les "
        "mêmes $\\eta$ et $\\lambda$, l'équilibre entre la poussée du gradient et la décroissance L2 s'établit "
        f"donc à un autre contraste ($\\|z\\|_2$ moyen de {num(z2, 0, tex=True)} contre {num(z1, 0, tex=True)}) : une "
        "comparaison équitable demanderait de régler $\\eta$ pour chaque réseau (Q9)."
    )
    from skimage.color import rgb2hsv

    fin1 = float(tp8.course.high_frequency_share(viz.images[idx2]).mean())
    fin2 = float(tp8.course.high_frequency_share(viz2.images).mean())
    sat1 = float(np.mean([rgb2hsv(im)[..., 1].mean() for im in tp8.to_numpy(viz.images[idx2])]))
    sat2 = float(np.mean([rgb2hsv(im)[..., 1].mean() for im in tp8.to_numpy(viz2.images)]))
    if net.name == "vgg16":
        texte = (
            f"VGG16 ({num(millions['vgg16'], 0)} millions de paramètres) n'a pas de *pooling* global : sa "
            "dernière carte de caractéristiques est lue par des couches entièrement connectées, qui tiennent "
            "compte de la position des motifs, et ses champs récepteurs grandissent par petites convolutions "
            "$3 \\times 3$. Comparez la taille, le nombre et la netteté des motifs avec ceux de SqueezeNet. "
            + equilibre
        )
    else:
        texte = (
            f"`{net.name}` ({num(millions[net.name])} million de paramètres) est la première version de "
            "SqueezeNet : mêmes modules *Fire*, mais une première convolution $7 \\times 7$ à 96 filtres (au "
            "lieu de $3 \\times 3$ à 64) et des sous-échantillonnages placés plus tard, pour environ 2,4 fois "
            f"plus de calcul que `{model.name}` ({num(millions[model.name])} million de paramètres). Ses "
            "visualisations sont de même nature — motifs répétés, parties d'objets, couleurs "
            "caractéristiques — mais "
            + claim(sat2 > sat1, "les couleurs y sont plus saturées")
            + f" (saturation moyenne {num(sat2)} contre {num(sat1)}), tandis que "
            + claim(abs(fin2 - fin1) < 0.05, "la finesse des motifs est comparable")
            + f" (part de l'énergie dans les motifs de moins de 4 pixels : {pct(fin2)} contre {pct(fin1)}). "
            + equilibre
        )
    passe = [c for k, c in enumerate(CLASSES2) if p_12[k] > 0.5]
    bloque = [c for k, c in enumerate(CLASSES2) if p_12[k] <= 0.5]
    transfert = (
        f"\n\nLes images se transfèrent {'bien' if not bloque else 'mal' if not passe else 'inégalement'}. "
        f"Jugées par `{net.name}`, les images faites pour "
        f"`{model.name}` gardent une probabilité moyenne de {num(p_12.mean())} pour la bonne classe"
        + (f" (plus de 0,5 pour {', '.join(f'`{x}`' for x in passe)}" if passe else " (jamais plus de 0,5")
        + (
            " ; seulement " + ", ".join(f"{prob(p_12[CLASSES2.index(x)])} pour `{x}`" for x in bloque) + ")"
            if bloque and passe
            else ")"
        )
        + f", et dans l'autre sens {num(p_21.mean())}. Ce qui passe d'un réseau à l'autre correspond aux "
        "indices qu'ils partagent (couleurs, parties typiques) ; le reste exploite les particularités du "
        "réseau qui a produit l'image, comme le font les exemples adversaires. Une visualisation décrit "
        "*un* réseau, pas *la* classe."
    )
    md(texte + transfert)

# %% [markdown]
# Le même échange avec `tp8.feature_visualization`, la méthode de la section
# [Des images lisibles](images-lisibles.py) plus bas (image décrite par ses fréquences, couleurs décorrélées,
# transformations aléatoires) : les trois mêmes classes pour chacun des deux réseaux, avec ses
# réglages par défaut, puis chaque réseau juge les images de l'autre.

# %%
if net2.model is not None:
    lisibles_1 = tp8.feature_visualization(model, CLASSES2, seed=0)
    lisibles_2 = tp8.feature_visualization(net, CLASSES2, seed=0)
    vus_1, vus_2 = lisibles_1.rows(net), lisibles_2.rows(model)  # chaque réseau juge les images de l'autre
    fig, axes = tp8.plotting.tile_figure(2, len(CLASSES2), title_lines=2, row_label_px=18)
    for k, c in enumerate(CLASSES2):
        tp8.plotting.show_tile(
            axes[0, k], tp8.to_numpy(lisibles_1.images[k]), f"{c}\np pour {net.name} : {prob(vus_1[k]['p'])}"
        )
        tp8.plotting.show_tile(
            axes[1, k], tp8.to_numpy(lisibles_2.images[k]), f"{c}\np pour {model.name} : {prob(vus_2[k]['p'])}"
        )
    tp8.plotting.row_label(fig, axes[0, 0], f"images de {model.name}", 8)
    tp8.plotting.row_label(fig, axes[1, 0], f"images de {net.name}", 8)
    show(
        fig,
        alt=f"Deux rangées de trois images, flamingo, tarantula et king penguin, faites avec feature_visualization : en "
        f"haut pour {model.name} : des flamants, des tarentules et des manchots entiers, aux couleurs naturelles ; en "
        f"bas pour {net.name} : des motifs bleutés et violacés où l'on devine des silhouettes de flamant, des pattes "
        "de tarentule et une tête de manchot. Chaque titre donne la probabilité que l'autre réseau attribue à la classe.",
    )

# %% tags=["hide-input"]
if net2.model is not None:
    q_12 = np.array([r["p"] for r in vus_1])  # le second réseau juge les nouvelles images de SqueezeNet 1.1
    q_21 = np.array([r["p"] for r in vus_2])  # et inversement
    display(
        table(
            [
                {
                    "classe": c,
                    f"{net.name}, images de {model.name}": f"{prob(p_12[k])} → {prob(q_12[k])}",
                    f"{model.name}, images de {net.name}": f"{prob(p_21[k])} → {prob(q_21[k])}",
                }
                for k, c in enumerate(CLASSES2)
            ]
        )
    )
    md(
        "Dans chaque case, la probabilité de la classe visée avec la méthode du TP, puis avec "
        f"`feature_visualization`. En moyenne, `{net.name}` donne {num(q_12.mean())} aux nouvelles images de "
        f"`{model.name}` (contre {num(p_12.mean())} avec la méthode du TP), et `{model.name}` {num(q_21.mean())} "
        f"à celles de `{net.name}` (contre {num(p_21.mean())}) : "
        + claim(
            q_12.mean() > float(p_12.mean()) + 0.2 and q_21.mean() > float(p_21.mean()) + 0.2,
            "dans les deux sens, les nouvelles images passent bien mieux d'un réseau à l'autre",
        )
        + ". Elles décrivent toujours un réseau, mais par des traits que l'autre réseau reconnaît aussi ; la "
        "section [Des images lisibles](images-lisibles.py) mesure cet écart sur les huit classes et cherche d'où il vient."
    )

# %% [markdown]
# La page [Des images lisibles](images-lisibles.py) poursuit au-delà du TP : elle change l'espace de la
# montée pour obtenir des images qu'un second réseau reconnaît aussi.

# %% [markdown]
# ## À retenir
#
# - La visualisation de classe est une **montée de gradient sur l'image**, poids figés, qui
#   maximise le score $\tilde y_i$ d'une classe moins une pénalité de norme. `tp8` utilise la
#   norme au carré dans l'espace normalisé : à chaque pas, l'image est ramenée d'un facteur
#   $1 - 2\eta\lambda$ vers l'image moyenne d'ImageNet.
# - Les **régularisations implicites** (translation aléatoire, flou, projection sur $[0,1]$) ne
#   changent rien à la conviction du réseau, mais tout pour nous : elles écartent les motifs de
#   haute fréquence qu'exploitent aussi les exemples adversaires.
# - Les images obtenues montrent **ce qui compte pour le réseau** : des parties d'objets répétées,
#   des textures, des couleurs et du contexte, plutôt que des objets entiers bien composés.
# - Une probabilité proche de 1 sur une image qui n'a rien de naturel rappelle que la confiance
#   d'un classifieur ne garantit pas que son entrée ressemble à ses données d'entraînement.
# - Partir d'une photo amplifie ce que le réseau y voit déjà, à la manière de DeepDream ; viser
#   une autre classe fait basculer le réseau comme en partie 2, mais par une modification visible
#   et qui montre vraiment la nouvelle classe.
# - Les résultats dépendent des réglages ($\eta$, $\lambda$, nombre d'itérations) et du réseau :
#   une visualisation décrit un réseau donné, pas la classe en elle-même.
# - Au-delà du TP, changer **l'espace de la montée** change les images : décrite par ses
#   fréquences avec un spectre en $1/f$, en couleurs décorrélées, et rendue robuste à des
#   transformations aléatoires (Olah et al., 2017 ; Mordvintsev et al., 2018), l'image se
#   rapproche des statistiques d'une photo et un second réseau la reconnaît mieux ; l'effet
#   de chaque ingrédient se mesure sur l'image elle-même.
#
# Avec les cartes de saillance (partie 1) et les exemples adversaires (partie 2), on dispose ainsi
# de trois façons complémentaires d'interroger un classifieur par ses gradients : *où* il regarde
# dans une image, *combien peu* il faut pour le faire changer d'avis, et *ce qu'il cherche* quand
# on le laisse choisir l'image.

# %% tags=["remove-cell"]
claim(
    abs(li_s["pente du spectre"] - photo_s["pente du spectre"])
    < abs(tp_s["pente du spectre"] - photo_s["pente du spectre"])
    and abs(li_s["corrélation R-V-B"] - photo_s["corrélation R-V-B"])
    < abs(tp_s["corrélation R-V-B"] - photo_s["corrélation R-V-B"]),
    "l'image se rapproche des statistiques d'une photo",
)
claim(
    second is None or (top1_li >= top1_tp and top5_li >= top5_tp and p2_li >= p2_tp + 0.1),
    "un second réseau la reconnaît mieux",
)
