"""Neural-network building blocks: modules, layers, activations, losses, initialisers.

Names, constructor arguments, defaults and state_dict keys follow ``torch.nn``.
Each family of layers lives in its own file; this module gathers them.
"""

from glassbox.nn import functional

# ---- module system, containers and layers ----
# isort: split
from glassbox.nn import init
from glassbox.nn.container import ModuleDict, ModuleList, Sequential
from glassbox.nn.dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from glassbox.nn.embedding import Embedding
from glassbox.nn.flatten import Flatten, Unflatten
from glassbox.nn.linear import Bilinear, Identity, Linear
from glassbox.nn.maxout import Maxout
from glassbox.nn.module import Module
from glassbox.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm
from glassbox.nn.parameter import Parameter

# isort: split
from glassbox.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from glassbox.nn.local_response_norm import LocalResponseNorm
from glassbox.nn.pooling import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)

# isort: split
from glassbox.nn import rnn_utils
from glassbox.nn.rnn import GRU, LSTM, RNN, RNNBase
from glassbox.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase
from glassbox.nn.rnn_utils import PackedSequence

# isort: split
from glassbox.nn.multihead_attention import MultiheadAttention
from glassbox.nn.positional_encoding import LearnedPositionalEmbedding, SinusoidalPositionalEncoding
from glassbox.nn.seq2seq_attention import BahdanauAttention, LuongAttention
from glassbox.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

# ---- activations ----
# isort: split
from glassbox.nn.activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    BinaryStep,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Swish,
    Tanh,
    Tanhshrink,
    Threshold,
    get_activation,
)

# ---- losses ----
# isort: split
from glassbox.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)

# ---- utilities ----
# isort: split
from glassbox.nn import utils
