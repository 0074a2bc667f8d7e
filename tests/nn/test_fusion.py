import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
from oracle import check_module


def _relu_pool_pairs(module):
    return [
        module.Conv2d(2, 3, 3, padding=1), module.ReLU(), module.MaxPool2d(2),
        module.Conv2d(3, 4, 3), module.ReLU(), module.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        module.Flatten(1, 2), module.ReLU(), module.MaxPool1d(2),
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_before_max_pooling_matches_torch(dtype):
    """Sequential pools before the ReLU; values and gradients are those of the written order, also for windows
    whose values are all negative (a quarter of the inputs, so such windows occur at every layer)."""
    check_module(nn.Sequential(*_relu_pool_pairs(nn)), torch.nn.Sequential(*_relu_pool_pairs(torch.nn)),
                 [(3, 2, 12, 11)], dtype=dtype, steps=2, low=-3.0, high=1.0)


def _last_step(model, x):
    return type(model(x).grad_fn).__name__


def _steps(output) -> list:
    """The primitives that made ``output``, last first, along the first input of each."""
    names = []
    step = output.grad_fn
    while step is not None:
        names.append(type(step).__name__)
        step = step.parents[0].grad_fn
    return names


def test_relu_and_max_pooling_swap_only_where_nobody_can_see_it():
    x = gb.randn(2, 3, 8, 8, requires_grad=True)
    assert _last_step(nn.Sequential(nn.ReLU(), nn.MaxPool2d(2)), x) == "Relu"
    assert _last_step(nn.Sequential(nn.MaxPool2d(2), nn.ReLU()), x) == "Relu"
    assert _last_step(nn.Sequential(nn.ReLU(inplace=True), nn.MaxPool2d(2)), x * 1) == "MaxPool"
    assert _last_step(nn.Sequential(nn.LeakyReLU(), nn.MaxPool2d(2)), x) == "MaxPool"
    with_indices = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, return_indices=True))
    assert type(with_indices(x)[0].grad_fn).__name__ == "MaxPool"
    hooked = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    seen = []
    hooked[0].register_forward_hook(lambda module, args, output: seen.append(output.shape))
    assert _last_step(hooked, x) == "MaxPool" and seen == [(2, 3, 8, 8)]


def _conv_blocks(module, relu: str):
    """An im2col block (8 channels) with odd sides, then a Winograd block (32 → 32, 3×3); with a ReLU, an
    in-place one (torchvision's VGG) or none."""
    def between():
        return {"none": [], "relu": [module.ReLU()], "in place": [module.ReLU(inplace=True)]}[relu]

    return [module.Conv2d(3, 8, 3, stride=1, padding=(1, 0)), *between(), module.MaxPool2d(2),
            module.Conv2d(8, 32, 1), module.Conv2d(32, 32, 3, padding=1), *between(),
            module.MaxPool2d(kernel_size=(2, 2))]


@pytest.mark.parametrize("relu", ["relu", "in place", "none"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_convolution_and_max_pooling_fused_match_torch(relu, dtype):
    check_module(nn.Sequential(*_conv_blocks(nn, relu)), torch.nn.Sequential(*_conv_blocks(torch.nn, relu)),
                 [(2, 3, 13, 11)], dtype=dtype, steps=2)


def test_convolution_and_max_pooling_fuse_where_nobody_can_see_it():
    x = gb.randn(2, 3, 9, 8, requires_grad=True)
    conv = nn.Conv2d(3, 4, 3)
    assert _steps(nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))(x)) == ["Convolution"]  # the ReLU included
    assert _steps(nn.Sequential(conv, nn.MaxPool2d(2, 2))(x)) == ["Convolution"]
    assert _steps(nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())(x)) == ["Reshape", "Convolution"]
    # runs that are not fused: the pooling is its own step
    for model in [nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(3)), nn.Sequential(conv, nn.MaxPool2d(2, stride=1)),
                  nn.Sequential(conv, nn.MaxPool2d(2, padding=1)), nn.Sequential(conv, nn.MaxPool2d(2, ceil_mode=True)),
                  nn.Sequential(conv, nn.Tanh(), nn.MaxPool2d(2))]:
        assert "MaxPool" in _steps(model(x)), model
    # an in-place ReLU after a convolution writes to the convolution's own output: fused all the same
    assert "MaxPool" not in _steps(nn.Sequential(conv, nn.ReLU(inplace=True), nn.MaxPool2d(2))(x))
    with_indices = nn.Sequential(conv, nn.MaxPool2d(2, return_indices=True))
    assert _steps(with_indices(x)[0])[0] == "MaxPool"
    hooked = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))
    handle = hooked[2].register_forward_hook(lambda module, args, output: None)
    assert "MaxPool" in _steps(hooked(x))
    handle.remove()
    assert "MaxPool" not in _steps(hooked(x))
    replaced = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
    replaced[0].forward = lambda input: input[:, :1, 1:-1, 1:-1] * 2  # an instance's own forward is what runs
    np.testing.assert_array_equal(replaced(x).detach().numpy(),
                                  np.maximum(x.detach().numpy()[:, :1, 1:7, 1:7].reshape(2, 1, 3, 2, 3, 2)
                                             .max(axis=(3, 5)) * 2, 0))
    # an unbatched input or an output below 2×2 falls back to the layers one by one, with torch's results
    assert _steps(hooked(x[0]))[1] == "MaxPool"
    tiny = nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2))
    with pytest.raises(RuntimeError):
        tiny(gb.randn(1, 3, 3, 3))


def test_fused_model_summary_still_shows_every_layer():
    """summary() reads every layer's output through hooks, which turn the fusion off."""
    from glassbox.models import summary

    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 2))
    result = summary(model, (2, 1, 8, 8), print_summary=False)
    assert [row.output_shape for row in result.rows][:3] == [(2, 4, 8, 8), (2, 4, 8, 8), (2, 4, 4, 4)]
