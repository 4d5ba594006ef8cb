"""A notebook page whose cell raises makes the (strict) build fail, and says where and why.

Scratch copies of the site (:class:`sitekit.ScratchSite`) are built in a temporary folder: one page
whose second code cell divides by zero, and pages whose sentences are guarded by
``tp8.course.claim`` — a claim the run contradicts, or a claimed sentence the text no longer holds,
fails the build with the page and the sentence.
"""

from __future__ import annotations

from sitekit import PAGE_HEADER, ScratchSite

FAILING_PAGE = (
    PAGE_HEADER
    + """
# %% [markdown]
# # Une page qui échoue

# %%
answer = 42
print(answer)

# %%
ratio = answer / 0  # tp8-test: échec volontaire
"""
)


def test_a_failing_cell_fails_the_build(tmp_path):
    site = ScratchSite(tmp_path, {"failing.py": FAILING_PAGE})
    proc = site.build()
    output = proc.output
    assert proc.returncode != 0, f"the build succeeded despite a failing cell:\n{output[-3000:]}"
    # A useful message: which page, which cell (its code), which error.
    assert "failing.py" in output, output[-3000:]
    assert "ZeroDivisionError" in output, output[-3000:]
    assert "answer / 0" in output, output[-3000:]
    assert not (tmp_path / "site" / "failing" / "index.html").exists()


CLAIM_PAGE = (
    PAGE_HEADER
    + """
# %% [markdown]
# # Des affirmations vérifiées
#
# Le café est plus dense que la porcelaine, et nous le vérifions.

# %% tags=["remove-cell"]
import tp8.course

cafe, porcelaine = {cafe}, 1.2
tp8.course.claim(cafe > porcelaine, "Le café est plus dense que la porcelaine")
"""
)


def test_a_false_claim_fails_the_build_naming_the_page_and_the_sentence(tmp_path):
    site = ScratchSite(tmp_path, {"claims.py": CLAIM_PAGE.replace("{cafe}", "0.9")})
    proc = site.build()
    assert proc.returncode != 0, proc.output[-3000:]
    assert "claims.py" in proc.output and "ClaimError" in proc.output, proc.output[-3000:]
    assert "Le café est plus dense que la porcelaine" in proc.output, proc.output[-3000:]
    assert not (tmp_path / "site" / "claims" / "index.html").exists()


def test_a_claimed_sentence_must_stay_in_the_text(tmp_path):
    site = ScratchSite(tmp_path, {"claims.py": CLAIM_PAGE.replace("{cafe}", "1.6")})
    first = site.build()
    assert first.returncode == 0, first.output[-3000:]
    assert "Le café est plus dense que la porcelaine" in site.html("claims.py")
    # An instructor rewrites the guarded sentence but not its check: the build says which one.
    site.write("claims.py", site.read("claims.py").replace("# Le café est plus dense", "# Le thé est plus dense"))
    second = site.build()
    assert second.returncode != 0, second.output[-3000:]
    assert "claims.py" in second.output and "« Le café est plus dense que la porcelaine »" in second.output
