# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tp8:
#     min_figures: 1
# ---

# %% [markdown]
# # Regarder à l'intérieur d'un classifieur d'images
#
# Un réseau de neurones entraîné sur ImageNet sait reconnaître un chat, une tasse d'espresso ou une
# fusée. Mais *sur quoi* fonde-t-il sa réponse ? Se laisse-t-il
# berner facilement ? Et qu'a-t-il retenu, au juste, de ce qu'est « un chat » ? Ce cours répond
# à ces trois questions par l'expérience, avec un réseau réel, des images réelles et des figures
# calculées au moment où le site a été construit.
#
# ## À quoi sert ce cours, et pour qui
#
# Il accompagne le **TP 8 « Visualisation des réseaux de neurones »** d'un module d'apprentissage
# profond. Il s'adresse à des étudiantes et étudiants qui savent ce qu'est un réseau convolutif,
# une fonction de perte et la rétropropagation, et qui ont déjà manipulé des tenseurs PyTorch.
# Aucun entraînement n'est au programme : on prend un réseau déjà appris, on **fige ses poids**,
# et l'on agit sur la seule chose qui reste modifiable, **l'image d'entrée**. Le réseau devient
# alors un objet d'étude, que l'on interroge comme on interrogerait un instrument de mesure.
#
# Les calculs eux-mêmes tiennent en quelques lignes et sont rassemblés dans la petite bibliothèque
# Python `tp8` ; les pages du cours les appellent, montrent ce qu'ils produisent, expliquent
# pourquoi, et répondent à chacune des questions du TP en s'appuyant sur les résultats
# affichés juste au-dessus. Les enseignants trouveront de quoi modifier ou republier le cours dans
# [Pour les enseignants](enseignants/).

# %% [markdown]
# ## Une seule idée, trois usages
#
# Un classifieur est une fonction $f$ qui associe à une image $x$ (un tableau de
# $h \times w \times 3$ valeurs de pixels) un vecteur de scores $\tilde{y} = f(x) \in \mathbb{R}^K$,
# un score par classe ($K = 1000$ pour ImageNet). La fonction softmax transforme ces scores en
# probabilités $\hat{y} = \mathrm{softmax}(\tilde{y})$.
#
# Pendant l'apprentissage, on dérive la perte par rapport aux **poids**. Ici, on dérive le score
# d'une classe $c$ par rapport aux **pixels** :
#
# $$ g = \frac{\partial \tilde{y}_c}{\partial x}, $$
#
# un tableau de même taille que l'image, qui dit dans quel sens pousser chaque pixel pour faire
# monter le score de la classe $c$. La rétropropagation le calcule pour le prix d'une passe avant
# et d'une passe arrière. Ce même gradient sert trois fois :
#
# | | Question posée au réseau | Ce que l'on fait de $g$ | D'après |
# |---|---|---|---|
# | [Partie 1 — Cartes de saillance](partie-1-saillance/) | Quels pixels comptent pour la classe prédite ? | on **regarde** $\lvert g \rvert$, pixel par pixel | Simonyan et al. (2014) |
# | [Partie 2 — Exemples adversaires](partie-2-adversaires/) | Peut-on changer sa réponse sans que l'œil voie la différence ? | on **suit** le gradient d'une autre classe, à petits pas | le phénomène : Biggio et al. (2013), Szegedy et al. (2014) |
# | [Partie 3 — Visualisation de classes](partie-3-visualisation/) | À quoi ressemble, pour lui, une image typique d'une classe ? | on **remonte** le gradient pendant de nombreux pas, en partant d'un bruit, avec des régularisations | Simonyan et al. (2014), Yosinski et al. (2015) |
#
# Le réseau étudié est **SqueezeNet 1.1** (Iandola et al., 2016), appris sur ImageNet. La famille a été
# conçue pour être compacte (ses auteurs annoncent, pour la version 1.0, la précision d'AlexNet avec
# cinquante fois moins de paramètres ; la version 1.1 demande 2,4 fois moins de calcul, à précision
# égale) et elle est assez rapide pour que tout le cours s'exécute sur un simple processeur. Les
# questions bonus reprennent les expériences avec un second réseau. Les articles cités sont réunis
# dans les [Références](references/).

# %% [markdown]
# ## Figure 1 — les trois approches sur une même photo
#
# Le sujet du TP annonce une « figure 1 » qui illustre ses trois parties ; voici la nôtre, calculée
# sur une photo d'espresso du domaine public (CC0, fournie avec scikit-image). Tout le code nécessaire tient
# dans la cellule suivante : chaque approche est **un appel** à `tp8`.

# %% tags=["remove-cell"]
# Réglages de la page (barres de progression coupées, figures en français), hors de la vue du lecteur.
import tp8.course

tp8.course.setup()

# %%
import torch
from IPython.display import display

import tp8
from tp8.course import tr

torch.manual_seed(0)
model = tp8.load_model()  # SqueezeNet 1.1, poids figés
photo = tp8.sample_images(["coffee"])[0].image  # (3, 224, 224), dans [0, 1]
classe, proba = model.predict(photo, k=1)[0][0]  # la classe prédite

# 1. Carte de saillance : quels pixels comptent ?
carte = tp8.saliency_map(model, photo)
# 2. Exemple adversaire : lui faire voir un flamant rose
leurre = tp8.fooling_image(model, photo, target="flamingo")
# 3. Visualisation de classe : son image « idéale » de cette classe
reve = tp8.class_visualization(model, classe, seed=0)

display(tr("Classe prédite pour la photo : {classe} (probabilité {tp8.course.pct(proba)})"))
display(tr("Réseau : {tp8.course.provenance(model)}"))

# %% tags=["hide-input"]
# Figure 1, composed from the three results above: two images per approach, pixel for pixel.
import numpy as np

from tp8.course import num, pct, quote, tr  # noqa: F401 - num, pct, quote: used in the tr() templates

MAGNIFY = 20  # the difference is multiplied by this factor to be seen

row = leurre.rows(model)[0]
seen_class, seen_prob = model.predict(leurre.images[0], k=1)[0][0]  # on the 8-bit adversarial image
delta = (leurre.images[0] - leurre.original[0]).movedim(0, -1).numpy()
smap = carte.detach().cpu().numpy()
viz_prob = float(reve.final_probability[0])
start = reve.snapshots[0][1][0]  # the random image the ascent started from
steps = reve.probabilities.shape[0] - 1
psnr = float(20 * np.log10(255 / (float(leurre.l2_255[0]) / delta.size**0.5)))
levels = np.abs(delta * 255).round()  # how many grey levels each value moved
slight = float(((levels > 0) & (levels <= 2)).sum() / max(int((levels > 0).sum()), 1))
beyond = float((levels > 4).mean())  # values that moved more than 4 grey levels

fig, axes = tp8.plotting.tile_figure(2, 3, title_lines=3, fontsize=9, gap=14)
show = tp8.plotting.show_tile  # an image in its tile, pixel for pixel
show(axes[0, 0], tp8.to_numpy(photo), tr("① Carte de saillance\nphoto : {quote(classe)}\n(probabilité {pct(proba)})"))
show(
    axes[1, 0],
    smap,
    tr("clair = pixel dont une petite\nvariation fait bouger le score"),
    cmap="hot",
    vmin=0,
    vmax=float(np.percentile(smap, 99.5)),
)
show(
    axes[0, 1],
    tp8.to_numpy(leurre.images[0]),
    tr("② Exemple adversaire\nphoto retouchée : {quote(seen_class)}\n(probabilité {pct(seen_prob)})"),
)
show(
    axes[1, 1],
    np.clip(0.5 + MAGNIFY * delta, 0, 1),
    tr("retouche × {MAGNIFY} (gris = 0) ;\nau plus {num(row['Linf (/255)'], 0)}/255 par valeur"),
)
show(axes[0, 2], tp8.to_numpy(start), tr("③ Visualisation de classe\npoint de départ :\nbruit aléatoire"))
show(axes[1, 2], tp8.to_numpy(reve.images[0]), tr("après {steps} itérations :\n{quote(classe)} ({pct(viz_prob)})"))
tp8.course.show(
    fig,
    alt=tr(
        """Figure 1, en trois colonnes. À gauche, la photo d'une tasse d'espresso, classée {classe}, et sa
carte de saillance, des points clairs sur fond noir. Au milieu, la même photo retouchée, classée
{seen_class}, identique à l'œil, et sa retouche multipliée par {MAGNIFY}, une fine texture colorée sur
fond gris. À droite, le bruit aléatoire de départ et l'image obtenue après {steps} itérations pour la
classe {classe}, couverte de motifs bruns et crème."""
    ),
)

# %% tags=["hide-input"]
from IPython.display import display

from tp8.course import INVISIBLE_PSNR_DB, claim  # noqa: F401 - used in the tr() templates

target = model.class_name(int(leurre.target[0]))
if row["success"]:
    averaged = (
        tr(
            """ Le PSNR n'est qu'une moyenne : il n'empêche pas quelques valeurs de bouger davantage (ici
{pct(beyond, 1)} de plus de 4 niveaux), ce que seul un budget par valeur (la contrainte
$L_\\infty$ de la partie 2) exclurait."""
        )
        if beyond > 0
        else ""
    )
    fooled = tr(
        """la photo retouchée, arrondie à 256 niveaux par canal comme dans un vrai fichier PNG, est
classée {quote(seen_class)} avec une probabilité de {pct(seen_prob)}, alors qu'aucune valeur de
pixel n'a bougé de plus de {num(row['Linf (/255)'], 0)} niveaux sur 255, et la plupart d'un ou deux
seulement (PSNR de {num(psnr, 0)} dB, au-delà des {num(INVISIBLE_PSNR_DB, 0)} dB où une retouche
répartie sur l'image cesse en pratique d'être visible) : {claim(psnr > INVISIBLE_PSNR_DB and slight > 0.5 and beyond < 0.05, "sur la figure, la retouche ne se voit qu'une fois amplifiée")},
ici multipliée par {MAGNIFY}.{averaged}"""
    )
else:
    fooled = tr("le réseau voit encore {quote(seen_class)} : la méthode naïve a échoué sur cette photo.")
display(
    tr(
        """**Figure 1.** Les trois approches appliquées à la même photo avec le réseau `{model.name}`,
calculées lors de la construction de cette page.
**①** Le réseau reconnaît {quote(classe)} avec une probabilité de {pct(proba)} ; la carte de
saillance montre, pour chaque pixel, à quel point une petite variation de sa valeur ferait
bouger le score de cette classe.
**②** Après {row['iterations']} pas de gradient vers la classe {quote(target)}, {fooled}
**③** En partant d'un bruit aléatoire (en haut) et en faisant monter le score de la classe
{quote(classe)} pendant {steps} itérations, on obtient l'image du bas, que le réseau classe
{quote(classe)} avec une probabilité de {pct(viz_prob)} : {claim(viz_prob > proba, "il en est plus sûr que de la photo elle-même")}
({pct(proba)}). Chacune de ces images est étudiée en détail, limites comprises, dans la partie
correspondante."""
    )
)

# %% [markdown]
# ## Comment lire ce cours
#
# **Dans l'ordre.** Les trois parties suivent celles du TP et se lisent de préférence dans l'ordre,
# car chacune réutilise des idées de la précédente :
#
# 1. [Partie 1 — Cartes de saillance](partie-1-saillance/) : l'approximation linéaire du réseau
#    autour d'une image, et ce que dit (ou ne dit pas) la taille du gradient ; questions Q1 à Q4.
# 2. [Partie 2 — Exemples adversaires](partie-2-adversaires/) : la montée de gradient vers une
#    autre classe, la taille réelle des retouches, les conséquences pratiques, et des attaques plus
#    efficaces que la méthode naïve ; questions Q5 à Q7.
# 3. [Partie 3 — Visualisation de classes](partie-3-visualisation/) : générer l'image qui maximise
#    un score, et le rôle des régularisations ; questions Q8 à Q11.
#
# **Les réponses aux questions.** Chaque question du TP a sa section, intitulée « Q5 — … »,
# placée juste après les figures et les nombres sur lesquels elle s'appuie. La page
# [Questions](questions/) les récapitule toutes, avec un lien vers chaque réponse.
#
# **Les symboles.** Dans la page [Questions](questions/), ★ signale les questions étoilées du TP
# (Q1, Q5 et Q8), dont la réponse est attendue dans le compte rendu du soir même, et **Bonus** les
# questions facultatives (Q4, Q7 et Q11). Les encadrés colorés signalent ce qui sort du fil
# principal :
#
# <div class="admonition note"><p class="admonition-title">Remarque</p>
# <p>Un complément ou une précision, que l'on peut sauter en première lecture.</p></div>
#
# <div class="admonition warning"><p class="admonition-title">Attention</p>
# <p>Une condition d'exécution différente de celle du TP. Par exemple, si les poids de VGG16 n'étaient
# pas disponibles sur la machine qui a construit le site, les questions bonus le disent dans un tel
# encadré et montrent les résultats d'un autre réseau réellement entraîné.</p></div>
#
# **Les nombres.** Toutes les figures et tous les nombres des pages sont produits par le code de la
# page, exécuté à chaque construction du site ; ils peuvent varier légèrement d'une exécution ou
# d'une machine à l'autre. Les noms de classes restent ceux d'ImageNet, en anglais
# (« Egyptian cat », « espresso », « flamingo »…), tels que les renvoie le réseau.

# %% [markdown]
# ## Comment l'exécuter
#
# ### Dans un notebook
#
# Chaque partie est un notebook Jupyter, tout comme cette page. En haut de chacune, deux boutons
# permettent de **télécharger le notebook** (un fichier `.ipynb` sans résultats, à exécuter
# soi-même) ou de l'**ouvrir dans Google Colab** (ce lien suppose que le dépôt du cours soit public).
# La première cellule de ces notebooks installe `tp8` ; au premier appel, torchvision télécharge les
# poids pré-entraînés du réseau (quelques mégaoctets pour SqueezeNet). Sur Colab, un GPU n'est pas
# nécessaire, mais il accélère nettement la partie 3 (`tp8.load_model(device="cuda")`).
#
# ### Sur sa machine
#
# Après avoir cloné le dépôt (lien en haut à droite de chaque page), deux commandes suffisent ;
# elles créent au besoin l'environnement virtuel `.venv` et y installent tout le nécessaire :
#
# ```bash
# make site   # construit le site exécuté dans site/
# make serve  # aperçu local, mis à jour à chaque modification
# ```
#
# La seconde affiche l'adresse de l'aperçu, en général `http://127.0.0.1:8000`.
#
# Sur une machine sans accès à Internet, placez les fichiers de poids (`squeezenet1_1.pth`…) dans
# un dossier et indiquez-le par la variable d'environnement `TP8_WEIGHTS_DIR`.
#
# ### En ligne de commande
#
# La bibliothèque installe aussi une commande `tp8`, pratique pour essayer vos propres photos sans
# ouvrir de notebook :
#
# ```bash
# # les cinq classes les plus probables
# tp8 predict photo.jpg
# # carte de saillance de la classe prédite
# tp8 saliency photo.jpg -o cartes/
# # exemple adversaire, et la figure qui le montre
# tp8 fool photo.jpg --target "flamingo" --figure fig.png
# # visualisation de deux classes
# tp8 classviz tarantula flamingo -o classes/
# ```
#
# Toutes les sous-commandes acceptent `--model` (par exemple `--model vgg16`) et
# `--device cuda` ; `tp8 COMMANDE --help` détaille les autres options. Pour l'utiliser depuis
# Python, la page [API](api/) documente chaque fonction.
