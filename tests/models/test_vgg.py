import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import glassbox as gb
from glassbox.models import VGG11, VGG16
from glassbox.models.vgg import CONFIGURATIONS, _initialise
from glassbox.nn import init as glassbox_init
from oracle import check_module


def torch_make_layers(configuration, batch_norm=False):
    """torchvision.models.vgg.make_layers, line for line (torchvision is not installable beside this torch)."""
    layers, in_channels = [], 3
    for v in configuration:
        if v == "M":
            layers += [torch.nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = torch.nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, torch.nn.BatchNorm2d(v), torch.nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, torch.nn.ReLU(inplace=True)]
            in_channels = v
    return torch.nn.Sequential(*layers)


class TorchvisionVGG(torch.nn.Module):
    """torchvision.models.VGG with its initialisation."""

    def __init__(self, configuration, batch_norm=False, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        nn = torch.nn
        self.features = torch_make_layers(CONFIGURATIONS[configuration], batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        for m in self.modules() if init_weights else []:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.fixture
def skip_random_init(monkeypatch):
    """Build models with zero weights: counting and naming parameters needs no random draws (100M+ of them)."""
    monkeypatch.setattr(glassbox_init, "_uniform", lambda tensor, *args: tensor)
    monkeypatch.setattr(glassbox_init, "_normal", lambda tensor, *args: tensor)


@pytest.mark.parametrize("configuration, batch_norm, expected", [
    ("A", False, 132_863_336), ("A", True, 132_868_840), ("D", False, 138_357_544), ("D", True, 138_365_992)])
def test_parameter_counts_and_names_are_torchvisions(skip_random_init, configuration, batch_norm, expected):
    ours = (VGG11 if configuration == "A" else VGG16)(batch_norm=batch_norm)
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        theirs = TorchvisionVGG(configuration, batch_norm, init_weights=False)
    assert count(ours) == count(theirs) == expected
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert all(ours_state[name].shape == tuple(theirs_state[name].shape) for name in theirs_state)


def test_every_convolution_is_3_by_3_stride_1_same_padding(skip_random_init):
    model = VGG16(num_classes=2)
    convolutions = [m for m in model.features if isinstance(m, gb.nn.Conv2d)]
    assert len(convolutions) == 13 and sum(isinstance(m, gb.nn.MaxPool2d) for m in model.features) == 5
    assert all(c.kernel_size == (3, 3) and c.stride == (1, 1) and c.padding == (1, 1) for c in convolutions)
    x = gb.randn(1, 3, 32, 32)
    with gb.no_grad():
        for layer in model.features:
            before, x = x.shape[-1], layer(x)
            assert x.shape[-1] == (before // 2 if isinstance(layer, gb.nn.MaxPool2d) else before)
        assert x.shape == (1, 512, 1, 1)  # 32 / 2⁵
        assert model.eval()(gb.randn(2, 3, 32, 32)).shape == (2, 2)


def test_torchvision_initialisation():
    gb.manual_seed(0)
    conv, linear, norm = gb.nn.Conv2d(3, 64, 3), gb.nn.Linear(500, 400), gb.nn.BatchNorm2d(8)
    norm.weight.data[...] = 0.5
    for module in (conv, linear, norm):
        _initialise(module)
    assert abs(conv.weight.data.std() - np.sqrt(2 / (64 * 9))) < 0.01  # He normal, fan-out: √(2 / (64·3·3))
    assert not conv.bias.data.any() and not linear.bias.data.any()
    assert abs(linear.weight.data.std() - 0.01) < 2e-4
    assert norm.weight.data.tolist() == [1.0] * 8


@pytest.mark.slow
@pytest.mark.parametrize("batch_norm", [False, True])
def test_vgg11_matches_its_torch_twin(batch_norm):
    torch.manual_seed(0)
    ours, theirs = VGG11(batch_norm=batch_norm), TorchvisionVGG("A", batch_norm)
    for module in theirs.modules():  # running statistics that are not the defaults, so eval mode uses them
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    # 32×32 → 1×1 after five pools; the adaptive pool then repeats it to 7×7. Gradients of the 133M
    # parameters are compared once (with batch norm), the plain network's forward alone.
    check_module(ours, theirs, [(2, 3, 32, 32)], training=False, atol=1e-5, rtol=1e-3, grad=batch_norm)


@pytest.mark.slow
def test_vgg16_loads_torchvision_weights_from_pth_and_safetensors(tmp_path):
    torch.manual_seed(0)
    theirs = TorchvisionVGG("D").eval()
    ours = VGG16(init_weights=False)
    assert count(ours) == count(theirs) == 138_357_544
    torch.save(theirs.state_dict(), tmp_path / "vgg16.pth")
    save_file(theirs.state_dict(), str(tmp_path / "vgg16.safetensors"))
    x = np.random.default_rng(1).uniform(0, 1, size=(1, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    del theirs
    assert np.abs(expected).max() > 1e-2  # the comparison is not between two near-zero arrays
    ours.eval()
    for filename in ("vgg16.pth", "vgg16.safetensors"):
        ours.load_state_dict(gb.load(tmp_path / filename))
        with gb.no_grad():
            logits = ours(gb.tensor(x)).numpy()
        assert logits.shape == (1, 1000) and logits.dtype == np.float32
        np.testing.assert_allclose(logits, expected, atol=1e-4, rtol=0, err_msg=filename)
        assert np.abs(logits - expected).max() <= 1e-4 * np.abs(expected).max(), filename
