"""Runs of layers that ``nn.Sequential`` computes as one, with the same results.

- ReLU → max pooling runs as max pooling → ReLU. relu never reverses an order, so
  max(relu(a), relu(b)) = relu(max(a, b)), and the ReLU works on a quarter of the values (2×2
  windows). The gradients are the same too: a window's winner is the same position in both orders
  wherever the ReLU passes a gradient at all (where the window's maximum is above 0); elsewhere
  both orders give 0.
- Conv2d → (ReLU →) MaxPool2d(2) runs as one primitive: the convolution, the 2×2, stride-2 max
  pooling and the ReLU on the pooled values (``pool`` and ``relu`` of
  ``glassbox.ops.conv.Convolution`` and of ``glassbox.ops.winograd.WinogradConvolution``). The
  convolution writes its outputs grouped by pooling window, where run separately it would lay its
  map out row by row only for the pooling to take it apart again, and the backward would do both
  copies in reverse; the ReLU's gradient rides on the pooling's winners.

A run is fused only where nothing can tell the difference: modules of exactly these types (a
subclass, or an instance given a ``forward`` of its own, may compute something else), no hooks on
any of them (``glassbox.models.summary`` reads each layer's output through hooks), a pooling that
returns no indices; and for the convolution, a batched input on the CPU whose output is at least
2×2 (``_convolution`` says so by returning None). An in-place ReLU (torchvision's VGG and AlexNet
use them) swaps with a pooling only after a convolution, whose fresh output nobody else holds;
elsewhere its input may be the caller's tensor, which it must go on overwriting.
"""

from __future__ import annotations

from .activation import ReLU
from .conv import Conv2d, _convolution
from .module import Module
from .pooling import MaxPool1d, MaxPool2d, _pair


def _unhooked(module: Module) -> bool:
    """No hooks, and no ``forward`` of its own set on the instance."""
    return not (module._forward_hooks or module._forward_pre_hooks or "forward" in module.__dict__)


def _plain_relu(module: Module, after_convolution: bool = False) -> bool:
    return type(module) is ReLU and (after_convolution or not module.inplace) and _unhooked(module)


def _max_pooling(module: Module) -> bool:
    return type(module) in (MaxPool1d, MaxPool2d) and not module.return_indices and _unhooked(module)


def _two_by_two(module: Module) -> bool:
    """MaxPool2d with 2×2 windows, stride 2, no padding, dilation or ceil_mode."""
    return (type(module) is MaxPool2d and _max_pooling(module) and _pair(module.kernel_size, "kernel_size") == (2, 2)
            and _pair(module.stride, "stride") == (2, 2) and _pair(module.padding, "padding") == (0, 0)
            and _pair(module.dilation, "dilation") == (1, 1) and not module.ceil_mode)


def _convolution_then_pooling(conv: Conv2d, relu, pool: MaxPool2d):
    def run(input):
        pooled = _convolution(input, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups,
                              2, conv._layer_name(), conv.padding_mode, pool=True, relu=relu is not None)
        if pooled is None:  # not fused: the layers one by one
            return pool(conv(input) if relu is None else relu(conv(input)))
        return pooled

    return run


def fused_step(modules: list, position: int):
    """What ``Sequential`` runs next, from ``modules[position]`` on: (a callable of the input, how many modules
    it stands for)."""
    module = modules[position]
    following = modules[position + 1:position + 3]
    if type(module) is Conv2d and _unhooked(module) and following:
        if _two_by_two(following[0]):
            return _convolution_then_pooling(module, None, following[0]), 2
        if len(following) == 2 and _plain_relu(following[0], True) and _two_by_two(following[1]):
            return _convolution_then_pooling(module, following[0], following[1]), 3
    if following and _plain_relu(module) and _max_pooling(following[0]):
        pool = following[0]
        return (lambda input: module(pool(input))), 2
    return module, 1
