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

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

import tp8
from tp8.course import second_network, table

torch.manual_seed(0)
model = tp8.load_model()  # SqueezeNet 1.1 (Iandola et al., 2016), pré-entraîné sur ImageNet


def md(text: str) -> None:
    """Affiche du Markdown calculé : les nombres cités viennent de l'exécution."""
    display(Markdown(text))


def fr(x, spec: str = ".2f") -> str:
    """Un nombre écrit à la française (virgule décimale), pour le texte et les titres."""
    return format(float(x), spec).replace(".", ",")


def frm(x, spec: str = ".2f") -> str:
    """Le même, dans une formule $…$ (où la virgule décimale s'écrit {,})."""
    return fr(x, spec).replace(",", "{,}")


def puissance(x) -> str:
    """1.2e-08 → « 1,2 × 10⁻⁸ »."""
    if float(x) == 0:
        return "0"
    mantisse, exposant = f"{float(x):.1e}".split("e")
    exposant = str(int(exposant)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantisse.replace('.', ',')} × 10{exposant}"


def proba_txt(p) -> str:
    """Une probabilité : « 0,84 », ou « 1,1 × 10⁻¹² » quand elle est minuscule."""
    return fr(p) if float(p) >= 0.01 else puissance(p)


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
# L'image de départ elle-même : zéro itération, même graine que plus bas.
depart = tp8.class_visualization(model, "flamingo", **{**DEFAUTS, "num_iterations": 0}, seed=0, progress=False)
norme_bruit = float(model.normalize(depart.images).norm())
md(
    f"Avec ces valeurs, la décroissance L2 multiplie $z$ par $1 - 2\\eta\\lambda = {frm(decay)}$ à chaque "
    f"pas, soit par ${frm(decay)}^{{100}} \\approx {frm(decay**100)}$ en 100 pas si le gradient du score "
    "ne compensait pas. L'image de départ est un bruit gaussien $z \\sim \\mathcal N(0, 1)$, ramené dans "
    f"les pixels valides, de norme $\\|z\\|_2 \\approx {frm(norme_bruit, '.0f')}$ : sa pénalité vaut "
    f"$\\lambda\\|z\\|_2^2 \\approx {frm(DEFAUTS['l2_reg'] * norme_bruit**2, '.0f')}$, et avec la norme non "
    "élevée au carré il faudrait "
    f"$\\lambda' = 2\\lambda\\|z\\|_2 \\approx {frm(2 * DEFAUTS['l2_reg'] * norme_bruit)}$ "
    "pour exercer le même rappel sur cette image."
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
viz = tp8.class_visualization(model, CLASSES, snapshot_every=25, seed=0, **DEFAUTS)
m = mesures(model, viz.images, viz.target)
titres = [f"{c}\np = {fr(p, '.3f')}, ỹ = {fr(s, '.0f')}" for c, p, s in zip(CLASSES, m["proba"], m["score"])]
tp8.image_grid(viz.images, titres, ncols=4, size=2.7)
plt.show()

# %% [markdown]
# L'évolution de trois d'entre elles, du bruit de départ à l'itération 100 (au-dessus de chaque
# vignette, la probabilité de la classe visée à ce moment) :

# %%
choix = [CLASSES.index(c) for c in ("flamingo", "goldfish", "volcano")]
extrait = tp8.ClassVisualization(
    images=viz.images[choix],
    target=viz.target[choix],
    snapshots=[(t, imgs[choix]) for t, imgs in viz.snapshots],
    probabilities=viz.probabilities[:, choix],
    objective=viz.objective[:, choix],
)
tp8.plot_class_visualization(extrait, model)
plt.show()

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
plt.show()

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
            "score ỹ": fr(m["score"][k], ".0f"),
            "1 − p": puissance(m["reste"][k]),
            "p dépasse 0,5 à l'itération": seuil[k],
            "2e classe (p)": f"{deuxieme[k][0]} ({puissance(deuxieme[k][1])})",
            "1 − p après arrondi 8 bits": puissance(m8["reste"][k]),
            "‖z‖₂": fr(m["norme"][k], ".0f"),
        }
        for k, c in enumerate(CLASSES)
    ]
)

# %% tags=["hide-input"]
md(
    "**Le réseau est catégorique.** Pour les huit images, la probabilité laissée aux 999 autres classes "
    f"ne dépasse pas {puissance(m['reste'].max())}, et $p$ dépasse 0,5 pour la première fois entre les "
    f"itérations {min(seuil)} et {max(seuil)}. La deuxième classe du classement, malgré sa probabilité infime, "
    "est souvent une proche parente visuelle de la classe visée : "
    + ", ".join(f"`{deuxieme[k][0]}` pour `{c}`" for k, c in enumerate(CLASSES))
    + " : les motifs dessinés par la montée servent aussi, un peu, à ces voisines. "
    f"Les scores finaux, de {fr(m['score'].min(), '.0f')} à {fr(m['score'].max(), '.0f')}, "
    "dépassent de loin ceux de vraies photos : la classe en tête obtient un score de "
    f"{fr(vraies['score'][0], '.0f')} sur la photo du chat *Chelsea* (`{top_photos[0]}`, "
    f"$p = {frm(vraies['proba'][0])}$) et de {fr(vraies['score'][1], '.0f')} sur celle d'une tasse de café "
    f"(`{top_photos[1]}`, $p = {frm(vraies['proba'][1])}$), deux photos reprises en Q10. Ces images sont des "
    "*super-stimuli* : plus « flamant » que n'importe quelle photo de flamant, du point de vue du réseau. "
    f"L'objectif, lui, part très bas (${frm(viz.objective[0].mean(), '.0f')}$ en moyenne : c'est la pénalité "
    "du bruit initial, calculée plus haut), bondit au premier "
    "flou (itération 10), qui efface d'un coup une grande partie du bruit, puis continue de monter bien "
    "après que la probabilité a saturé : c'est le score qui est maximisé, pas la probabilité."
)

# %% [markdown]
# **Des morceaux répétés, pas un objet entier.** Aucune image ne montre *un* flamant ou *une*
# tarentule posés sur un fond. On y voit des têtes et des cous roses de flamant, des pattes
# velues de tarentule, des têtes de manchot avec leur tache orangée, des cœurs de pâquerette
# entourés de pétales, des cônes coiffés de points rouges pour le volcan — répétés un peu
# partout, à plusieurs tailles et dans plusieurs orientations. Rien dans l'objectif ne demande un
# objet unique, centré et complet : le score final de SqueezeNet est une moyenne, sur toutes les
# positions de l'image, de détecteurs de motifs (le *pooling* global de la dernière couche).
# Chaque copie supplémentaire d'une tête de flamant ajoute donc un peu de score, et la translation
# aléatoire favorise justement les motifs qui fonctionnent n'importe où. Le réseau a appris des
# **parties discriminantes** (une tête, un œil, une texture de poils) plus que la forme globale de
# l'objet et l'agencement de ses parties.
#
# **Les couleurs sont souvent justes** : rose pour le flamant, orange pour le poisson rouge,
# rouge pour la lave, jaune et orange au cœur des pâquerettes. La couleur est un indice bon marché
# et fiable pour ces classes, et le réseau s'en sert.
#
# **Le contexte fait partie de la classe.** Un réseau entraîné sur des photos apprend aussi ce qui
# *accompagne* l'objet : sous les flamants apparaissent de longues tiges verticales (des pattes)
# et, en bas de l'image, des reflets horizontaux qui évoquent une étendue d'eau. Une classe
# photographiée presque toujours dans le même décor fait de ce décor un indice de la classe :
# c'est une source classique de raccourcis, et d'erreurs, des classifieurs.
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
        f"{r}\np = {fr(p, '.3f')}, ỹ = {fr(s, '.0f')}, ‖z‖ = {fr(n, '.0f')}"
        for r, p, s, n in zip(reglages, mm["proba"], mm["score"], mm["norme"])
    ]
    return titres, mm


# %% [markdown]
# ### Nombre d'itérations

# %%
montrees = [0, 10, 25, 50, 100, 200]
images_it = torch.cat([etapes[t] for t in montrees])
titres_it, m_it = legende(images_it, [f"itération {t}" for t in montrees])
tp8.image_grid(images_it, titres_it, ncols=3, size=3.2)
plt.show()

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
plt.show()

# %% tags=["hide-input"]
score_t = {t: float(v) for t, v in zip(toutes, m_long["score"])}
norme_t = {t: float(v) for t, v in zip(toutes, m_long["norme"])}
t_min = min(norme_t, key=norme_t.get)
p25 = float(m_it["proba"][montrees.index(25)])
md(
    f"La norme chute de {fr(norme_t[0], '.0f')} à {fr(norme_t[10], '.0f')} en 10 itérations, surtout au "
    "premier flou : "
    "l'essentiel du bruit de départ, qui ne sert pas la classe, disparaît. Elle touche son minimum "
    f"({fr(norme_t[t_min], '.0f')}) vers l'itération {t_min}, puis remonte à mesure que des motifs utiles se "
    "dessinent, en dents de scie : chaque flou la fait baisser, la montée la reconstruit. "
    + (
        f"À l'itération 25, le réseau est déjà convaincu ($p = {frm(p25, '.3f')}$) alors qu'on distingue à "
        "peine quelques silhouettes : il lui faut bien moins de structure qu'à nous. "
        if p25 > 0.5
        else f"À l'itération 25, la probabilité n'est encore que de {fr(p25, '.3f')}. "
    )
    + "Le score grimpe ensuite vite "
    f"({fr(score_t[50], '.0f')} à l'itération 50, {fr(score_t[100], '.0f')} à 100), puis plafonne : "
    "entre 100 et 200 "
    f"itérations il ne gagne plus que {fr(100 * (score_t[200] / score_t[100] - 1), '.0f')} %, contre "
    f"{fr(100 * (score_t[100] / score_t[50] - 1), '.0f')} % entre 50 et 100. Les motifs se contrastent et "
    "grossissent un "
    "peu, mais l'image ne change plus de nature : au-delà d'une centaine d'itérations, on paie surtout du "
    "temps de calcul."
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
        images, [f"{symbole} = {fr(v, 'g')}" + (" (défaut)" if v == DEFAUTS[reglage] else "") for v in valeurs]
    )
    tp8.image_grid(images, titres, ncols=4, size=2.7)
    plt.show()
    return mesures


PAS = [0.5, 5.0, 20.0, 50.0]
m_lr = balayage("lr", PAS, "η")

# %% tags=["hide-input"]
i_def = PAS.index(DEFAUTS["lr"])
md(
    f"Les probabilités finales vont de {fr(m_lr['proba'].min(), '.3f')} à {fr(m_lr['proba'].max(), '.3f')} : "
    "le pas décide moins *si* le réseau est convaincu que *quelle* image le convainc. "
    f"Avec $\\eta = {frm(PAS[0], 'g')}$, cent petits pas ne suffisent pas à développer les motifs : les "
    f"flamants sont à peine esquissés sur le gris moyen (norme {fr(m_lr['norme'][0], '.0f')}), ce qui "
    f"suffit pourtant à un score de {fr(m_lr['score'][0], '.0f')}. Le réglage par défaut donne des têtes "
    f"nettes et un score de {fr(m_lr['score'][i_def], '.0f')}. Au-delà, chaque pas est si grand que l'image "
    f"se sature (norme {fr(m_lr['norme'][-2], '.0f')} puis {fr(m_lr['norme'][-1], '.0f')}, contre "
    f"{fr(m_lr['norme'][i_def], '.0f')} par défaut) : des points verts et magenta envahissent le fond, les "
    "motifs se "
    f"morcellent et le score *retombe* ({fr(m_lr['score'][-2], '.0f')} pour $\\eta = {frm(PAS[-2], 'g')}$, "
    f"{fr(m_lr['score'][-1], '.0f')} pour $\\eta = {frm(PAS[-1], 'g')}$), signe que l'ascension rebondit au "
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
md(
    "La norme de l'image décroît quand $\\lambda$ augmente "
    f"({', '.join(fr(v, '.0f') for v in m_l2['norme'])} pour $\\lambda$ = "
    f"{' ; '.join(fr(v, 'g') for v in LAMBDAS)}). Sans pénalité, l'image reste lisible après 100 itérations, "
    "car le flou et la projection sur $[0, 1]$ régularisent déjà ; elle est seulement plus contrastée et "
    "son fond plus chargé de motifs qui ne servent guère la classe, puisque rien ne les efface. Avec "
    f"$\\lambda = {frm(LAMBDAS[2], 'g')}$, la décroissance vaut $1 - 2\\eta\\lambda = "
    f"{frm(1 - 2 * DEFAUTS['lr'] * LAMBDAS[2])}$ par pas : il ne reste que quelques flamants pâles sur un "
    f"fond gris presque uniforme (score {fr(m_l2['score'][2], '.0f')}). Avec $\\lambda = {frm(LAMBDAS[-1], 'g')}$ "
    f"(décroissance ${frm(1 - 2 * DEFAUTS['lr'] * LAMBDAS[-1])}$ par pas), la pénalité l'emporte sur le score : "
    f"l'image redevient presque l'image moyenne et la probabilité tombe à {fr(p_fort)}"
    + (" ; le réseau n'est plus convaincu. " if p_fort < 0.5 else ". ")
    + "Le poids $\\lambda$ règle donc un compromis entre sobriété (peu de contraste inutile) et force du "
    "signal (assez de contraste pour que les motifs existent)."
)

# %% [markdown]
# ### Sans translation, sans flou
#
# Que deviennent les images si l'on retire les régularisations implicites ? On garde $\eta$ et
# $\lambda$ par défaut et l'on désactive la translation (`max_jitter=0`), puis aussi le flou
# (`blur_every=0`). Les images sont affichées plus grandes pour que la texture fine reste visible.

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
tp8.image_grid(images_ab, titres_ab, ncols=3, size=3.6)
plt.show()

# %% tags=["hide-input"]
sab = dict(zip(ABLATIONS, m_ab["score"].tolist()))
md(
    "Les trois images sont classées avec la même assurance (la probabilité laissée aux autres classes ne "
    f"dépasse pas {puissance(m_ab['reste'].max())}) : les régularisations implicites "
    "ne servent pas à convaincre le réseau, mais à rendre l'image lisible pour nous. Elles *coûtent* même "
    f"du score : {fr(sab['tout (défaut)'], '.0f')} avec elles, {fr(sab['sans translation'], '.0f')} sans "
    f"translation et {fr(sab['ni translation ni flou'], '.0f')} sans translation ni flou. Sans translation, "
    "la montée exploite des motifs attachés à des positions précises : le fond se couvre de taches de "
    "quelques pixels aux couleurs saturées (vert, jaune, magenta), qui ne "
    "survivraient pas à un décalage, et les têtes de flamant se noient dans ce semis. Sans le flou en plus, "
    f"la norme ({fr(m_ab['norme'][-1], '.0f')}) dépasse celle du bruit de départ et l'image devient une "
    "texture dense de haute fréquence, où l'on devine encore de petites têtes roses : on se rapproche d'un "
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
        f"départ : {avant[k][0][0]} ({fr(avant[k][0][1])})\np({cible}) = {proba_txt(m_avant['proba'][k])}",
        f"visé : {cible}, p = {fr(m_apres['proba'][k], '.3f')}\n1re classe : {apres[k][0][0]} ({fr(apres[k][0][1])})",
        f"δ (gris = 0), RMS = {fr(rms[k], '.0f')}/255",
    ]
tp8.image_grid(torch.stack(vignettes), titres_photo, ncols=3, size=3.0)
plt.show()

# %% tags=["hide-input"]
with torch.no_grad():
    scores_avant, scores_apres = model(departs[:1])[0], model(reve.images[:1])[0]
chat, gagnant = int(reve.target[0]), int(scores_apres.argmax())
if gagnant != chat:
    texte_chat = (
        f"Le chat fait exception, et c'est instructif. Le score de `{model.class_name(chat)}` a bien monté "
        f"({fr(scores_avant[chat], '.1f')} → {fr(scores_apres[chat], '.1f')}), mais celui de "
        f"`{model.class_name(gagnant)}` encore plus ({fr(scores_avant[gagnant], '.1f')} → "
        f"{fr(scores_apres[gagnant], '.1f')}) : les rayures et les yeux qui font monter l'une de ces classes "
        f"voisines font monter l'autre. La probabilité de `{model.class_name(chat)}` *baisse* donc "
        f"({fr(m_avant['proba'][0])} → {fr(m_apres['proba'][0], '.3f')}) alors que son score augmente : c'est "
        "le revers de la maximisation du score annoncé plus haut, qui ne dit rien des autres classes. "
        "Maximiser la probabilité, ou le score moins celui des classes voisines, trancherait entre elles."
    )
else:
    texte_chat = (
        f"Le chat passe de {fr(m_avant['proba'][0])} à {fr(m_apres['proba'][0], '.3f')} pour "
        f"`{model.class_name(chat)}`, alors que le réseau hésitait au départ entre plusieurs classes de chats."
    )
md(
    f"Vers sa vraie classe, la tasse passe d'une probabilité de {fr(m_avant['proba'][2])} à "
    f"{fr(m_apres['proba'][2], '.3f')}. L'image n'est pas seulement « confirmée » : la montée **amplifie ce "
    "que le réseau y voit déjà**. La structure de la photo reste en place, mais ses zones les plus "
    "caractéristiques se chargent de motifs de la classe (la crème du café devient granuleuse, le pelage "
    "se couvre de rayures plus marquées, de nouveaux yeux apparaissent). C'est le principe de *DeepDream* "
    "(Mordvintsev et al., 2015), qui fait la même montée sur l'activité d'une couche intermédiaire plutôt "
    "que sur un score de classe. Comparer la photo et son « rêve » montre quelles structures de la photo "
    "le réseau exploite pour cette classe, un peu comme une carte de saillance (partie 1) mais rendue dans "
    "l'espace des images.\n\n" + texte_chat + "\n\n"
    f"Vers une classe sans rapport, le réseau bascule complètement (p = {fr(m_apres['proba'][1], '.3f')} "
    f"pour `goldfish`, {fr(m_apres['proba'][3], '.3f')} pour `volcano`, contre "
    f"{puissance(m_avant['proba'][1])} et {puissance(m_avant['proba'][3])} au départ) et la montée recycle ce "
    "qu'elle trouve : les yeux ronds du chat deviennent des yeux de poisson, la soucoupe accueille un cône "
    "sombre semé de points rouges. La modification est grande (écart RMS de "
    f"{fr(rms[1], '.0f')} et {fr(rms[3], '.0f')} niveaux sur 255) et bien visible, à l'opposé des "
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
# des classes précédentes avec les mêmes réglages, puis chaque réseau juge les images de l'autre.

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
        f"{net.name} : {c}\np = {fr(p, '.3f')}, ỹ = {fr(s, '.0f')}"
        for c, p, s in zip(CLASSES2, m2["proba"], m2["score"])
    ]
    titres1 = [f"{model.name} : {titres[k]}" for k in idx2]
    tp8.image_grid(torch.cat([viz.images[idx2], viz2.images]), titres1 + titres2, ncols=3, size=3.0)
    plt.show()

# %% tags=["hide-input"]
if net2.model is not None:
    p_12 = mesures(net, viz.images[idx2], viz2.target)["proba"]  # le second réseau juge les images de SqueezeNet 1.1
    p_21 = mesures(model, viz2.images, viz.target[idx2])["proba"]  # et inversement
    display(
        table(
            [
                {
                    "classe": c,
                    f"{model.name}, ses images": fr(m["proba"][idx2[k]], ".3f"),
                    f"{net.name}, ses images": fr(m2["proba"][k], ".3f"),
                    f"{net.name}, images de {model.name}": proba_txt(p_12[k]),
                    f"{model.name}, images de {net.name}": proba_txt(p_21[k]),
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
    bruit = depart.images.expand(len(cibles2), -1, -1, -1)
    g_debut = norme_gradient(net, bruit, cibles2) / norme_gradient(model, bruit, cibles2)
    g_fin = norme_gradient(net, viz2.images, cibles2) / norme_gradient(model, viz.images[idx2], cibles2)
    z1, z2 = float(m["norme"][idx2].mean()), float(m2["norme"].mean())
    rapport = float(m2["score"].mean() / m["score"][idx2].mean())
    equilibre = (
        f"Ses scores finaux valent en moyenne {fr(rapport, '.3g')} fois ceux de `{model.name}`. Le pas $\\eta$ agit sur "
        f"le gradient brut, dont l'amplitude dépend du réseau : sur le bruit de départ, le gradient de `{net.name}` "
        f"vaut {fr(g_debut, '.3g')} fois celui de `{model.name}`, et sur les images finales {fr(g_fin, '.3g')} fois. Avec les "
        "mêmes $\\eta$ et $\\lambda$, l'équilibre entre la poussée du gradient et la décroissance L2 s'établit "
        f"donc à un autre contraste ($\\|z\\|_2$ moyen de {frm(z2, '.0f')} contre {frm(z1, '.0f')}) : une "
        "comparaison équitable demanderait de régler $\\eta$ pour chaque réseau (Q9)."
    )
    if net.name == "vgg16":
        texte = (
            f"VGG16 ({fr(millions['vgg16'], '.0f')} millions de paramètres) n'a pas de *pooling* global : sa "
            "dernière carte de caractéristiques est lue par des couches entièrement connectées, qui tiennent "
            "compte de la position des motifs, et ses champs récepteurs grandissent par petites convolutions "
            "$3 \\times 3$. Comparez la taille, le nombre et la netteté des motifs avec ceux de SqueezeNet. "
            + equilibre
        )
    else:
        texte = (
            f"`{net.name}` ({fr(millions[net.name])} million de paramètres) est la première version de "
            "SqueezeNet : mêmes modules *Fire*, mais une première convolution $7 \\times 7$ à 96 filtres (au "
            "lieu de $3 \\times 3$ à 64) et des sous-échantillonnages placés plus tard, pour environ 2,4 fois "
            f"plus de calcul que `{model.name}` ({fr(millions[model.name])} million de paramètres). Ses "
            "visualisations sont de même nature — motifs répétés, parties d'objets, couleurs "
            "caractéristiques — mais les motifs y sont plus petits et plus nombreux, et les couleurs plus "
            "saturées. " + equilibre
        )
    passe = [c for k, c in enumerate(CLASSES2) if p_12[k] > 0.5]
    bloque = [c for k, c in enumerate(CLASSES2) if p_12[k] <= 0.5]
    transfert = (
        f"\n\nLes images se transfèrent {'bien' if not bloque else 'mal' if not passe else 'inégalement'}. "
        f"Jugées par `{net.name}`, les images faites pour "
        f"`{model.name}` gardent une probabilité moyenne de {fr(p_12.mean())} pour la bonne classe"
        + (f" (plus de 0,5 pour {', '.join(f'`{x}`' for x in passe)}" if passe else " (jamais plus de 0,5")
        + (
            " ; seulement " + ", ".join(f"{proba_txt(p_12[CLASSES2.index(x)])} pour `{x}`" for x in bloque) + ")"
            if bloque and passe
            else ")"
        )
        + f", et dans l'autre sens {fr(p_21.mean())}. Ce qui passe d'un réseau à l'autre correspond aux "
        "indices qu'ils partagent (couleurs, parties typiques) ; le reste exploite les particularités du "
        "réseau qui a produit l'image, comme le font les exemples adversaires. Une visualisation décrit "
        "*un* réseau, pas *la* classe."
    )
    md(texte + transfert)

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
#
# Avec les cartes de saillance (partie 1) et les exemples adversaires (partie 2), on dispose ainsi
# de trois façons complémentaires d'interroger un classifieur par ses gradients : *où* il regarde
# dans une image, *combien peu* il faut pour le faire changer d'avis, et *ce qu'il cherche* quand
# on le laisse choisir l'image.
