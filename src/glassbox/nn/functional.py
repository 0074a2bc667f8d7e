"""The stateless forms of the layers, activations and losses, as ``torch.nn.functional``.

Each function is defined beside its module, in the file of its family; this
module gathers them under one name: ``import glassbox.nn.functional as F``.
"""

# ---- layers (linear, dropout, normalization, embedding) ----
from glassbox.nn.dropout import dropout, dropout1d, dropout2d, dropout3d  # noqa: F401
from glassbox.nn.embedding import embedding  # noqa: F401
from glassbox.nn.linear import bilinear, linear  # noqa: F401
from glassbox.nn.normalization import batch_norm, layer_norm  # noqa: F401

# isort: split
from glassbox.nn.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from glassbox.nn.local_response_norm import local_response_norm  # noqa: F401
from glassbox.nn.pooling import (  # noqa: F401
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

# isort: split
from glassbox.nn.attention import scaled_dot_product_attention  # noqa: F401
from glassbox.nn.multihead_attention import multi_head_attention_forward  # noqa: F401

# isort: split
from glassbox.ops.indexing import one_hot  # noqa: F401
from glassbox.ops.movement import pad  # noqa: F401

# ---- activations ----
# isort: split
from glassbox.nn.activation_functions import (  # noqa: F401
    binary_step,
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    maxout,
    mish,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    swish,
    tanh,
    tanhshrink,
    threshold,
)

# ---- losses ----
# isort: split
from glassbox.nn.loss import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
