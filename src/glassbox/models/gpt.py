"""A GPT-style language model: a decoder-only transformer that predicts the next token (after nanoGPT).

The notes' transformers "can predict what could happen next". A GPT reads tokens x_1 … x_T and
gives, at every position t, a distribution over the token that follows, seeing only x_1 … x_t:

    h⁰_t = W_te[x_t] + W_pe[t]                               token + learned position embedding
    a    = h + CausalSelfAttention(LayerNorm(h))             pre-norm blocks, n_layer of them:
    h'   = a + MLP(LayerNorm(a))                             MLP(u) = W₂ GELU(W₁ u), 4·C wide
    p(x_{t+1} | x_≤t) = softmax(W_te · LayerNorm(h^L_t))     the output head shares W_te (weight tying)

Causal self-attention is multi-head attention whose mask hides the future: position t attends to
positions ≤ t only, so training on a text of T tokens trains T next-token predictions at once, and
changing token t changes no prediction before t. Tying the output head to the token embedding
(Press & Wolf, 2017) saves V·C parameters and makes "similar input tokens" mean "similar outputs".

As nanoGPT (Karpathy, model.py): weights N(0, 0.02²), biases zero, and the projections that write
into the residual stream (attention's and the MLP's ``c_proj``) N(0, (0.02/√(2·n_layer))²), so
that the residual stream's variance does not grow with depth; ``configure_optimizers`` gives AdamW
two groups, weight decay on the matrices (embeddings and Linear weights) only, not on biases and
LayerNorm gains; ``generate`` samples from softmax(logits / temperature), optionally keeping only
the ``top_k`` most likely tokens. Parameter names are nanoGPT's (``transformer.wte``, ``transformer.h.0.attn.c_attn``,
``lm_head`` …) so its checkpoints load unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from glassbox import backend, dtypes, nn, optim
from glassbox import random as gb_random
from glassbox.autograd import no_grad
from glassbox.creation import arange
from glassbox.nn.attention import scaled_dot_product_attention
from glassbox.nn.functional import cross_entropy, gelu
from glassbox.ops import movement
from glassbox.tensor import Tensor


@dataclass
class GPTConfig:
    block_size: int = 256  # the longest context, in tokens
    vocab_size: int = 65
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True  # biases in the Linear layers and LayerNorms, as GPT-2


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"GPT: n_embd {config.n_embd} must be divisible by n_head {config.n_head}")
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # Q, K, V of all heads
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout, self.resid_dropout = config.dropout, nn.Dropout(config.dropout)
        self.n_head, self.n_embd = config.n_head, config.n_embd

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape  # batch, sequence length, embedding width
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # (B, T, C) each
        q = q.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        v = v.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        y = scaled_dot_product_attention(q, k, v, dropout_p=self.attn_dropout if self.training else 0.0,
                                         is_causal=True)  # (B, nh, T, hs): position t sees 1 … t
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, T, C): the heads side by side
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        hidden = gelu(self.c_fc(x))  # (B, T, 4C)
        return self.dropout(self.c_proj(hidden))  # (B, T, C)


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))  # the residual stream keeps a direct path for the gradient
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict({
            "wte": nn.Embedding(config.vocab_size, config.n_embd),
            "wpe": nn.Embedding(config.block_size, config.n_embd),
            "drop": nn.Dropout(config.dropout),
            "h": nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            "ln_f": nn.LayerNorm(config.n_embd, bias=config.bias),
        })
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying: one Parameter, used twice
        for module in self.modules():
            if isinstance(module, nn.Linear | nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):  # writes into the residual stream: scaled down with depth
                nn.init.normal_(parameter, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def get_num_params(self, non_embedding: bool = True) -> int:
        """Parameters counted once each; the position embeddings left out by default (the token
        embeddings stay in: they are the output head's weights too)."""
        count = sum(parameter.numel() for parameter in self.parameters())
        return count - self.transformer.wpe.weight.numel() if non_embedding else count

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        """Logits (B, T, V) and the mean cross-entropy with ``targets`` (B, T), or, without targets,
        the logits of the last position only (B, 1, V) and None (all that generation needs)."""
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT: expected token ids (B, T) of an integer dtype, got shape {tuple(idx.shape)} "
                             f"and dtype {idx.dtype}")
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"GPT: cannot forward a sequence of length {T}, block size is only "
                             f"{self.config.block_size}")
        positions = arange(0, T, dtype=dtypes.int64)  # (T,)
        token_embeddings = self.transformer.wte(idx)  # (B, T, C)
        position_embeddings = self.transformer.wpe(positions)  # (T, C), the same for every sequence
        x = self.transformer.drop(token_embeddings + position_embeddings)  # (B, T, C)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is None:
            return self.lm_head(x[:, -1:]), None  # (B, 1, V)
        logits = self.lm_head(x)  # (B, T, V)
        loss = cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T), ignore_index=-1)
        return logits, loss

    def crop_block_size(self, block_size: int) -> None:
        """Use a shorter context than the model was built with (keeps the first position embeddings)."""
        if block_size > self.config.block_size:
            raise ValueError(f"GPT: can only crop the block size, {block_size} > {self.config.block_size}")
        self.config.block_size = block_size
        self.transformer.wpe.weight = nn.Parameter(Tensor._wrap(self.transformer.wpe.weight.data[:block_size].copy()))

    def configure_optimizers(self, weight_decay: float, learning_rate: float, betas=(0.9, 0.95),
                             device_type: str = "cpu") -> optim.AdamW:
        """AdamW with weight decay on every parameter of 2 or more dimensions (the matrices of the Linear
        layers and the embeddings), none on the biases and LayerNorm gains."""
        parameters = [parameter for parameter in self.parameters() if parameter.requires_grad]  # each once
        decay = [parameter for parameter in parameters if parameter.ndim >= 2]
        no_decay = [parameter for parameter in parameters if parameter.ndim < 2]
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        return optim.AdamW(groups, lr=learning_rate, betas=betas)

    @no_grad()
    def generate(self, idx: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None) -> Tensor:
        """Append ``max_new_tokens`` tokens to ``idx`` (B, T), each drawn from softmax(logits / temperature)
        over the ``top_k`` most likely tokens (all with None), conditioning on at most ``block_size``
        tokens. Draws come from glassbox's generator: ``gb.manual_seed`` makes them repeat."""
        if temperature <= 0:
            raise ValueError(f"GPT.generate: temperature must be positive, got {temperature}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"GPT.generate: top_k must be at least 1, got {top_k}")
        rng = gb_random.generator(idx.device)
        for _ in range(max_new_tokens):
            context = idx if idx.shape[1] <= self.config.block_size else idx[:, -self.config.block_size:]
            logits, _ = self(context)
            logits = logits[:, -1, :] / temperature  # (B, V)
            if top_k is not None:
                logits = logits.masked_fill(logits < _kth_largest(logits, top_k), float("-inf"))
            probabilities = logits.softmax(-1).data.astype("float64")  # (B, V)
            cumulative = probabilities.cumsum(axis=1)
            draws = rng.random((probabilities.shape[0], 1)) * cumulative[:, -1:]  # uniform in [0, total)
            # inverse CDF: the first token whose cumulative probability exceeds the draw (never one of p = 0)
            next_tokens = (cumulative <= draws).sum(axis=1, keepdims=True).astype("int64")  # (B, 1)
            idx = movement.cat([idx, Tensor._wrap(next_tokens)], dim=1)  # (B, T + 1)
        return idx


def _kth_largest(logits: Tensor, k: int) -> Tensor:
    """The k-th largest logit of each row, (B, 1): top-k sampling drops every logit below it."""
    xp = backend.module_of(logits.data)
    columns = logits.shape[-1]
    k = min(k, columns)
    top = xp.partition(logits.data, columns - k, axis=-1)[:, columns - k:]  # (B, k): the k largest, unordered
    return Tensor._wrap(top.min(axis=-1, keepdims=True))
