"""Loading networks and weights, class names, devices — and every error path of it."""

import pickle
import urllib.error
import warnings

import pytest
import torch
import torchvision

import tp8
from tp8 import models


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv("TP8_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("TP8_REQUIRE_WEIGHTS", raising=False)


@pytest.fixture(scope="module")
def random_state(tmp_path_factory):
    """A squeezenet1_1 state dict with random values, saved as <dir>/squeezenet1_1.pth."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    state = torchvision.models.squeezenet1_1(weights=None).state_dict()
    torch.save(state, folder / "squeezenet1_1.pth")
    return folder, state


def _offline(monkeypatch, tmp_path):
    """Make torchvision's download fail as it does on a machine without internet."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))

    def refuse(self, *args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.models.WeightsEnum, "get_state_dict", refuse)


def test_random_weights_warn_and_the_module_is_frozen_in_eval_mode(no_env):
    with pytest.warns(UserWarning, match="random weights"):
        model = tp8.load_model("squeezenet1_1", weights=None)
    assert not model.training and not model.pretrained
    assert all(not p.requires_grad for p in model.parameters())
    model.train()
    assert not model.training  # the study never trains
    assert model.num_classes == 1000 and model.categories[1] == "goldfish"
    out = model(torch.rand(2, 3, 224, 224))
    assert out.shape == (2, 1000)


def test_the_model_normalises_inside(no_env):
    with pytest.warns(UserWarning):
        model = tp8.load_model("squeezenet1_1", weights=None)
    x = torch.rand(1, 3, 64, 64)
    mean = torch.tensor(models.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(models.IMAGENET_STD).view(1, 3, 1, 1)
    assert torch.allclose(model(x), model.net((x - mean) / std))
    assert torch.allclose(model.denormalize(model.normalize(x)), x, atol=1e-6)
    with pytest.raises(tp8.InputError, match="unsqueeze"):
        model(torch.rand(3, 64, 64))


def test_state_dict_file_directory_and_env_override(no_env, monkeypatch, random_state):
    folder, state = random_state
    by_file = tp8.load_model("squeezenet1_1", weights=folder / "squeezenet1_1.pth")
    by_dir = tp8.load_model("squeezenet1_1", weights=str(folder))
    monkeypatch.setenv("TP8_WEIGHTS_DIR", str(folder))
    by_env = tp8.load_model("squeezenet1_1")
    for model in (by_file, by_dir, by_env):
        assert model.pretrained
        assert torch.equal(model.net.features[0].weight, state["features.0.weight"])
    assert by_env.weights_source == str(folder / "squeezenet1_1.pth")


def test_env_dir_without_the_file_falls_back_to_torchvision(no_env, monkeypatch, tmp_path):
    monkeypatch.setenv("TP8_WEIGHTS_DIR", str(tmp_path))
    _offline(monkeypatch, tmp_path)
    with pytest.raises(tp8.WeightsError) as info:
        tp8.load_model("resnet18")
    message = str(info.value)
    assert "resnet18.pth" in message and "TP8_WEIGHTS_DIR" in message
    assert "resnet18-f37072fd.pth" in message  # torchvision's own file name, for TORCH_HOME


def test_offline_without_weights_says_what_to_do(no_env, monkeypatch, tmp_path):
    _offline(monkeypatch, tmp_path)
    with pytest.raises(tp8.WeightsError, match=r"TP8_WEIGHTS_DIR.*squeezenet1_1\.pth"):
        tp8.load_model("squeezenet1_1")
    assert tp8.load_optional_model("squeezenet1_1") is None
    monkeypatch.setenv("TP8_REQUIRE_WEIGHTS", "1")
    with pytest.raises(tp8.WeightsError):
        tp8.load_optional_model("squeezenet1_1")


def test_env_dir_that_is_not_a_directory(no_env, monkeypatch, tmp_path):
    monkeypatch.setenv("TP8_WEIGHTS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(tp8.WeightsError, match="not a directory"):
        tp8.load_model("squeezenet1_1")


def test_corrupt_and_foreign_weight_files(no_env, tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x80\x04not really a checkpoint" * 10)
    with pytest.raises(tp8.WeightsError, match="is not a state dict tp8 can read: it is corrupt"):
        tp8.load_model("squeezenet1_1", weights=garbage)

    truncated = tmp_path / "truncated.pth"
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), truncated)
    truncated.write_bytes(truncated.read_bytes()[:5000])
    with pytest.raises(tp8.WeightsError, match="corrupt"):
        tp8.load_model("squeezenet1_1", weights=truncated)

    a_list = tmp_path / "list.pth"
    torch.save([torch.zeros(3)], a_list)
    with pytest.raises(
        tp8.WeightsError, match=r"is not a state dict \(a dict of tensors\): it holds an object of type list"
    ):
        tp8.load_model("squeezenet1_1", weights=a_list)

    not_tensors = tmp_path / "not-tensors.pth"
    torch.save({"features.0.weight": torch.zeros(1), "epoch": 3}, not_tensors)
    with pytest.raises(tp8.WeightsError, match="whose entry 'epoch' is not a tensor"):
        tp8.load_model("squeezenet1_1", weights=not_tensors)

    other = tmp_path / "resnet.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), other)
    with pytest.raises(tp8.WeightsError, match="does not match the architecture squeezenet1_1"):
        tp8.load_model("squeezenet1_1", weights=other)

    with pytest.raises(tp8.WeightsError, match="does not exist"):
        tp8.load_model("squeezenet1_1", weights=tmp_path / "missing.pth")


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_weights_are_loaded_with_weights_only(no_env, tmp_path, capsys):
    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as f:
        pickle.dump({"features.0.weight": _Payload()}, f)
    with pytest.raises(tp8.WeightsError) as error:
        tp8.load_model("squeezenet1_1", weights=evil)
    assert "must never run" not in capsys.readouterr().out
    assert "is not a state dict" in str(error.value) and "weights_only" not in str(error.value)


def test_a_non_state_dict_file_never_gets_the_advice_to_switch_the_safe_loader_off(no_env, tmp_path, recwarn):
    """torch's own message suggests `weights_only=False`, which would run the file's code: never repeated."""
    whole = tmp_path / "whole-model.pth"
    torch.save(torchvision.models.squeezenet1_1(weights=None), whole)  # a pickled module, not a state dict
    random_bytes = tmp_path / "random.pth"
    random_bytes.write_bytes(bytes(range(256)) * 20)
    payload = tmp_path / "payload.pth"
    torch.save({"features.0.weight": _Payload()}, payload)
    for path, words in (
        (whole, "holds Python objects besides tensors"),
        (random_bytes, "corrupt, truncated, or not a file written by torch.save"),
        (payload, "holds Python objects besides tensors"),
    ):
        with pytest.raises(tp8.WeightsError) as error:
            tp8.load_model("squeezenet1_1", weights=path)
        message = str(error.value)
        assert f"weights file {path} is not a state dict tp8 can read" in message and words in message, message
        assert "weights_only" not in message and "trusted" not in message and "\n" not in message
        assert "torch.save(model.state_dict(), 'squeezenet1_1.pth')" in message
    assert not [w for w in recwarn if "pickle" in str(w.message)]  # torch's protocol notes stay quiet


def test_common_checkpoint_wrappers_are_accepted(no_env, tmp_path, random_state):
    _, state = random_state
    wrapped = tmp_path / "ckpt.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}, "epoch": 3}, wrapped)
    model = tp8.load_model("squeezenet1_1", weights=wrapped)
    assert torch.equal(model.net.classifier[1].weight, state["classifier.1.weight"])


def test_unknown_model_names_the_closest():
    with pytest.raises(tp8.UnknownModelError, match="squeezenet1_1"):
        tp8.load_model("squeezenet11")
    assert "vgg16" in tp8.available_models() and "resnet18" in tp8.available_models()


def test_class_names_indices_and_errors(no_env):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = tp8.load_model("squeezenet1_1", weights=None)
    assert model.class_index("Goldfish") == 1
    assert model.class_index("great_white_shark") == 2
    assert model.class_index("  GREAT white  shark ") == 2
    assert model.class_index(7) == 7 and model.class_index("7") == 7
    assert model.class_name(1) == "goldfish"
    with pytest.raises(tp8.UnknownClassError, match="closest: 'tarantula'"):
        model.class_index("tarantual")
    assert model.class_index("crane") == 517 and model.class_index("crane bird") == 134
    twins = tp8.Classifier(torch.nn.Flatten(), ["crane", "crane", "heron"])
    with pytest.raises(tp8.UnknownClassError, match=r"ambiguous.*0, 1"):
        twins.class_index("Crane")
    with pytest.raises(tp8.UnknownClassError, match="out of range"):
        model.class_index(1000)
    with pytest.raises(tp8.UnknownClassError):
        model.class_index(True)
    indices = model.class_indices(["goldfish", 3], 2)
    assert indices.tolist() == [1, 3]
    with pytest.raises(tp8.InputError, match="3 targets for 2 images"):
        model.class_indices([1, 2, 3], 2)


def test_devices():
    assert tp8.resolve_device(None) == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(tp8.InputError, match="no CUDA"):
            tp8.resolve_device("cuda")
    with pytest.raises(tp8.InputError, match="unknown device"):
        tp8.resolve_device("gpu0")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_everything_runs_on_cuda(trained_cnn):  # pragma: no cover - needs a GPU
    model = trained_cnn.to("cuda")
    try:
        x = model.test_images[:2]
        assert tp8.saliency_map(model, x).device.type == "cuda"
        assert tp8.fooling_image(model, x, 0, progress=False).images.shape == x.shape
        assert tp8.class_visualization(model, 0, num_iterations=2, image_size=16, progress=False).images.shape[0] == 1
    finally:
        trained_cnn.to("cpu")
