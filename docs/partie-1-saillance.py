# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # partie-1-saillance (en cours d'écriture)

# %%
import tp8

print(tp8.__version__)
