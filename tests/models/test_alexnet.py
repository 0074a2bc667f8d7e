import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import glassbox as gb
from glassbox.models import AlexNet, AlexNet2012
from oracle import check_module


class TorchvisionAlexNet(torch.nn.Module):
    """torchvision.models.AlexNet, line for line (torchvision is not installable beside this torch)."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        nn = torch.nn
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class TorchAlexNet2012(torch.nn.Module):
    """The paper's layout in PyTorch: LRN (n=5, α=1e-4, β=0.75, k=2) after the first two ReLUs."""

    def __init__(self, num_classes=1000, groups=1):
        super().__init__()
        nn = torch.nn
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(), nn.MaxPool2d(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def torchvision_checkpoints(tmp_path_factory):
    """A seeded torchvision AlexNet, its weights written by torch.save (.pth) and as safetensors."""
    torch.manual_seed(0)
    model = TorchvisionAlexNet().eval()
    folder = tmp_path_factory.mktemp("alexnet")
    torch.save(model.state_dict(), folder / "alexnet.pth")
    save_file(model.state_dict(), str(folder / "alexnet.safetensors"))
    return model, folder


@pytest.fixture(scope="module")
def ours():
    return AlexNet()


def test_parameter_count_and_state_dict_names_are_torchvisions(ours, torchvision_checkpoints):
    theirs = torchvision_checkpoints[0]
    assert count(ours) == count(theirs) == 61_100_840
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert all(ours_state[name].shape == tuple(theirs_state[name].shape) for name in theirs_state)


@pytest.mark.parametrize("filename", ["alexnet.pth", "alexnet.safetensors"])
def test_torchvision_weights_give_the_same_logits(ours, torchvision_checkpoints, filename):
    theirs, folder = torchvision_checkpoints
    ours.load_state_dict(gb.load(folder / filename))
    ours.eval()
    x = np.random.default_rng(1).normal(size=(2, 3, 224, 224)).astype(np.float32)
    with gb.no_grad():
        logits = ours(gb.tensor(x)).numpy()
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    assert logits.shape == (2, 1000) and logits.dtype == np.float32
    assert np.abs(expected).max() > 1e-2  # the comparison below is not between two near-zero arrays
    np.testing.assert_allclose(logits, expected, atol=1e-4, rtol=0)
    np.testing.assert_allclose(logits, expected, atol=1e-5, rtol=1e-3)
    assert np.abs(logits - expected).max() <= 1e-4 * np.abs(expected).max()  # also relative to their size


def test_forward_and_gradients_match_torch_at_a_small_input(ours, torchvision_checkpoints):
    # 67×67: conv1 → 15, pool → 7, conv2 → 7, pool → 3, conv3-5 → 3, pool → 1, adaptive pool → 6×6
    check_module(ours, torchvision_checkpoints[0], [(2, 3, 67, 67)], training=False, atol=1e-5, rtol=1e-3)


def test_softmax_option_and_predict_proba(ours):
    x = gb.randn(2, 3, 64, 64)
    ours.eval()
    with gb.no_grad():
        logits = ours(x)
    probabilities = ours.predict_proba(x)
    np.testing.assert_allclose(probabilities.numpy(), logits.softmax(-1).numpy(), rtol=1e-5)
    np.testing.assert_allclose(probabilities.numpy().sum(1), 1, rtol=1e-5)
    ours.softmax = True
    try:
        with gb.no_grad():
            np.testing.assert_allclose(ours(x).numpy(), probabilities.numpy(), rtol=1e-5)
        np.testing.assert_allclose(ours.predict_proba(x).numpy(), probabilities.numpy(), rtol=1e-5)
    finally:
        ours.softmax = False


def test_the_2012_layout_matches_torch_with_the_papers_parameter_count():
    torch.manual_seed(0)
    ours, theirs = AlexNet2012(groups=2), TorchAlexNet2012(groups=2)
    # the paper's two towers: the notes' "60 million parameters"
    assert count(ours) == count(theirs) == 60_965_224
    check_module(ours, theirs, [(1, 3, 227, 227)], training=False, grad=False, atol=1e-5, rtol=1e-3)


def test_224_input_pads_conv1_to_the_same_55_by_55_maps():
    model = AlexNet2012(num_classes=3, input_size=224).eval()
    assert model.features[0].padding == (2, 2)
    assert count(model) == 62_378_344 - 997 * 4097  # one tower; 3 outputs instead of 1000
    with gb.no_grad():
        x = gb.randn(1, 3, 224, 224)
        assert model.features[:2](x).shape == (1, 96, 55, 55)  # floor((224 + 2·2 − 11) / 4) + 1 = 55
        assert model(x).shape == (1, 3)
    with pytest.raises(ValueError, match=r"expects \(N, 3, 224, 224\).*got shape \(1, 3, 227, 227\)"):
        model(gb.randn(1, 3, 227, 227))
    with pytest.raises(ValueError, match="input_size must be 227"):
        AlexNet2012(input_size=256)
