"""ClassVisualization has AttackResult's protocol: len(), selection (snapshots and columns too), rows()."""

import math

import pytest
import torch

import tp8


@pytest.fixture(scope="module")
def viz(trained_cnn):
    options = {"num_iterations": 8, "image_size": 16, "snapshot_every": 4, "progress": False}
    return tp8.class_visualization(trained_cnn, ["red", "green", "blue", "plain"], max_jitter=2, **options)


@pytest.fixture(scope="module")
def attack(trained_cnn):
    return tp8.fooling_image(trained_cnn, trained_cnn.test_images[:4], "green", max_iter=3, progress=False)


def test_len(viz, attack):
    assert len(viz) == 4 == len(attack)


@pytest.mark.parametrize(
    "index, expected",
    [(2, [2]), (-1, [3]), ([0, 3], [0, 3]), (slice(1, 3), [1, 2]), (torch.tensor([True, False, True, False]), [0, 2])],
    ids=["int", "negative", "list", "slice", "mask"],
)
def test_selection_matches_attack_result(viz, attack, index, expected):
    part = viz[index]
    assert isinstance(part, tp8.ClassVisualization)
    assert len(part) == len(expected) == len(attack[index])
    assert torch.equal(part.images, viz.images[expected])
    assert part.target.tolist() == viz.target[expected].tolist()
    assert [t for t, _ in part.snapshots] == [t for t, _ in viz.snapshots] == [0, 4, 8]
    for (_, mine), (_, whole) in zip(part.snapshots, viz.snapshots):
        assert torch.equal(mine, whole[expected])
    assert torch.equal(part.probabilities, viz.probabilities[:, expected])
    assert torch.equal(part.objective, viz.objective[:, expected])
    assert torch.equal(part.final_probability, viz.final_probability[expected])
    assert torch.equal(attack[index].target, attack.target[expected])  # the same rule as AttackResult


def test_selection_by_a_mask_computed_from_the_result(viz):
    sure = viz[viz.final_probability > 0.5]
    assert len(sure) == int((viz.final_probability > 0.5).sum())
    assert bool((sure.final_probability > 0.5).all())


def test_selection_leaves_the_original_alone(viz):
    before = viz.images.clone()
    part = viz[[1]]
    part.images.add_(1)  # a copy: fancy indexing never returns a view
    assert torch.equal(viz.images, before)


def test_rows_classify_the_images_again(viz, trained_cnn):
    rows = viz.rows(trained_cnn)
    assert [r["class"] for r in rows] == ["red", "green", "blue", "plain"]
    with torch.no_grad():
        scores = trained_cnn(viz.images)
    for k, row in enumerate(rows):
        c = int(viz.target[k])
        assert row["p"] == pytest.approx(float(scores.softmax(1)[k, c]), abs=1e-6)
        assert row["p"] == pytest.approx(float(viz.final_probability[k]), abs=1e-5)
        assert row["score"] == pytest.approx(float(scores[k, c]), abs=1e-5)
        assert row["rank"] == 1 + int((scores[k] > scores[k, c]).sum())
        assert row["norm"] == pytest.approx(float(trained_cnn.normalize(viz.images[k]).norm()), rel=1e-5)
    assert viz[[2]].rows(trained_cnn) == rows[2:3]


def test_rows_without_a_model(viz):
    rows = viz.rows()
    assert [r["class"] for r in rows] == viz.target.tolist()
    assert rows[0]["score"] is None and rows[0]["rank"] is None
    assert rows[1]["p"] == pytest.approx(float(viz.final_probability[1]))
    assert all(math.isfinite(r["norm"]) and r["norm"] > 0 for r in rows)


def test_a_feature_visualization_has_the_same_protocol(trained_cnn):
    result = tp8.feature_visualization(
        trained_cnn, ["red", "blue"], num_iterations=6, image_size=16, pad=2, jitter=2, snapshot_every=3, progress=False
    )
    one = result[1]
    assert len(one) == 1 and one.target.tolist() == [2]
    assert [imgs.shape[0] for _, imgs in one.snapshots] == [1, 1, 1]
    assert one.probabilities.shape == (7, 1)
    assert one.rows(trained_cnn)[0]["class"] == "blue"
