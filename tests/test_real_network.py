"""The three techniques on the real, pretrained SqueezeNet 1.1 and real ImageNet photos.

Skipped (with the reason) unless TP8_WEIGHTS_DIR holds squeezenet1_1.pth; the photos come
from TP8_IMAGENET_DIR (default ../shared/images/imagenet-val).
"""

import pytest
import torch

import tp8


@pytest.fixture(scope="module")
def photos(squeezenet, imagenet_val):
    paths, labels = imagenet_val
    images = tp8.load_images(paths)
    with torch.no_grad():
        predicted = torch.cat([squeezenet(images[i : i + 50]).argmax(1) for i in range(0, len(images), 50)])
    return images, labels, predicted


def test_top1_accuracy_matches_the_reference(photos):
    _, labels, predicted = photos
    accuracy = float((predicted == labels).float().mean())
    # ../shared/weights/README.md reports 69.5 % on these 298 photos (its own resizing may differ slightly).
    assert accuracy == pytest.approx(0.695, abs=0.03)


def test_saliency_on_real_photos(squeezenet, photos):
    images, _, predicted = photos
    x = images[:8]
    maps = tp8.saliency_map(squeezenet, x)
    assert maps.shape == (8, 224, 224)
    assert (
        bool(torch.isfinite(maps).all()) and float(maps.min()) >= 0 and bool((maps.flatten(1).max(1).values > 0).all())
    )
    # The map of the predicted class is not the map of an unrelated class.
    other = tp8.saliency_map(squeezenet, x, (predicted[:8] + 500) % 1000)
    assert not torch.allclose(maps, other)
    # Batched maps equal single ones.
    assert torch.allclose(tp8.saliency_map(squeezenet, x[3]), maps[3], rtol=1e-4, atol=1e-7)


def test_fooling_real_photos_survives_8bit_rounding(squeezenet, photos):
    images, labels, predicted = photos
    correct = (predicted == labels).nonzero()[:, 0][:16]
    g = torch.Generator().manual_seed(0)
    targets = torch.randint(0, 1000, (len(correct),), generator=g)
    targets = torch.where(targets == labels[correct], (targets + 1) % 1000, targets)
    result = tp8.fooling_image(squeezenet, images[correct], targets, progress=False)
    assert result.success_rate == 1.0, result.rows(squeezenet)
    with torch.no_grad():
        assert torch.equal(squeezenet(result.images).argmax(1), targets)  # what a PNG holds
    assert torch.equal(result.images, tp8.quantize(result.images))
    assert float(result.linf_255.median()) < 40  # a few dozen grey levels at most, usually far fewer
    assert int(result.iterations.max()) < 100


def test_class_visualization_raises_the_class_probability(squeezenet):
    result = tp8.class_visualization(squeezenet, ["tarantula", "flamingo"], num_iterations=60, progress=False)
    start, end = result.probabilities[0], result.final_probability
    assert bool((end > 0.9).all()), end
    assert bool((end > start).all())
    assert float(result.images.std()) > 0.05  # an image, not a flat grey


def test_class_visualization_from_a_real_photo_keeps_it_recognisable(squeezenet):
    chelsea = tp8.sample_images(["chelsea"])[0].image
    result = tp8.class_visualization(squeezenet, "tabby", init_img=chelsea, num_iterations=20, progress=False)
    assert float(result.final_probability[0]) > float(result.probabilities[0, 0])
    assert float((result.images[0] - chelsea).abs().mean()) < 0.15
