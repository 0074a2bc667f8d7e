"""A small encoder-decoder transformer for translation, built on ``nn.Transformer``.

The notes: "Transformers: Attention is all you need": like an RNN it handles sequences (translation,
summarisation), but it does not read them in order: self-attention gives every position a view of
every other at once. The translator (Vaswani et al., 2017):

    x = E_src[source] · √d_model + PE            source tokens, scaled, plus where each one is
    y = E_tgt[<bos>, y_1 … y_{T-1}] · √d_model + PE
    memory = Encoder(x)                          self-attention over the source (padding masked)
    h = Decoder(y, memory)                       masked self-attention (position i sees ≤ i) and
                                                 attention over the memory
    p(y_i | y_<i, x) = softmax(W_o h_i + b_o)

PE is the sinusoidal positional encoding (``nn.SinusoidalPositionalEncoding``): attention alone
treats its input as a set. Training feeds the whole shifted target at once (teacher forcing; the
causal mask keeps each position from seeing its answer), so one pass trains every step.
``greedy_decode`` writes one token at a time, feeding back its argmax, and re-runs the decoder over
the prefix written so far.

Inputs as ``glassbox.models.seq2seq.Seq2Seq``: source (N, S) ids padded with ``pad_index`` and its
lengths, target (N, T) ending with <eos>; ``forward`` returns logits (N, T, V).
"""

from __future__ import annotations

import math

import numpy

from glassbox import nn
from glassbox.autograd import no_grad
from glassbox.tensor import Tensor


class TransformerTranslator(nn.Module):
    def __init__(self, source_vocab_size: int, target_vocab_size: int, d_model: int = 64, nhead: int = 4,
                 num_encoder_layers: int = 2, num_decoder_layers: int = 2, dim_feedforward: int = 256,
                 dropout: float = 0.1, max_len: int = 512, pad_index: int = 0, bos_index: int = 2,
                 eos_index: int = 3):
        super().__init__()
        self.d_model, self.pad_index, self.bos_index, self.eos_index = d_model, pad_index, bos_index, eos_index
        self.source_embedding = nn.Embedding(source_vocab_size, d_model, padding_idx=pad_index)
        self.target_embedding = nn.Embedding(target_vocab_size, d_model, padding_idx=pad_index)
        self.positional_encoding = nn.SinusoidalPositionalEncoding(d_model, max_len, dropout, batch_first=True)
        self.transformer = nn.Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                                          dropout, batch_first=True)
        self.output = nn.Linear(d_model, target_vocab_size)

    def _embed(self, embedding: nn.Embedding, tokens: Tensor) -> Tensor:
        return self.positional_encoding(embedding(tokens) * math.sqrt(self.d_model))  # (N, L, d_model)

    def encode(self, source: Tensor, source_lengths=None):
        """(memory (N, S, d_model), the source padding mask (N, S), True at padding)."""
        if source.ndim != 2 or source.dtype.kind not in "iu":
            raise ValueError(f"TransformerTranslator: expected source token ids (N, S) of an integer dtype, got "
                             f"shape {tuple(source.shape)} and dtype {source.dtype}")
        if source_lengths is None:
            padding_mask = numpy.zeros(source.shape, dtype=bool)
        else:
            lengths = source_lengths.numpy() if isinstance(source_lengths, Tensor) else numpy.asarray(source_lengths)
            padding_mask = numpy.arange(source.shape[1])[None, :] >= lengths[:, None]  # (N, S)
        memory = self.transformer.encoder(self._embed(self.source_embedding, source),
                                          src_key_padding_mask=padding_mask)
        return memory, padding_mask

    def decode(self, decoder_input: Tensor, memory: Tensor, source_padding_mask) -> Tensor:
        """Logits (N, T, V) of the next token after each prefix of ``decoder_input`` (N, T), <bos> first."""
        steps = decoder_input.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(steps, dtype=memory.dtype)  # (T, T)
        hidden = self.transformer.decoder(self._embed(self.target_embedding, decoder_input), memory,
                                          tgt_mask=causal, tgt_is_causal=True,
                                          memory_key_padding_mask=source_padding_mask)  # (N, T, d_model)
        return self.output(hidden)

    def forward(self, source: Tensor, source_lengths=None, target: Tensor | None = None) -> Tensor:
        if target is None or target.ndim != 2 or target.shape[0] != source.shape[0]:
            raise ValueError(f"TransformerTranslator: expected a target (N, T) of token ids with the source's N = "
                             f"{source.shape[0]}, got {None if target is None else tuple(target.shape)}")
        memory, padding_mask = self.encode(source, source_lengths)
        bos = numpy.full((target.shape[0], 1), self.bos_index, dtype=target.dtype)
        decoder_input = Tensor._wrap(numpy.concatenate([bos, target.data[:, :-1]], axis=1))  # <bos>, y_1 … y_{T-1}
        return self.decode(decoder_input, memory, padding_mask)

    @no_grad()
    def greedy_decode(self, source: Tensor, source_lengths=None, max_length: int = 50) -> Tensor:
        """The argmax token at each step, fed back, until every sequence has written <eos> or
        ``max_length`` tokens: (N, L) int64, <pad> after each <eos>."""
        memory, padding_mask = self.encode(source, source_lengths)
        batch = source.shape[0]
        written = numpy.full((batch, 1), self.bos_index, dtype=numpy.int64)  # (N, 1 + steps so far)
        finished = numpy.zeros(batch, dtype=bool)
        tokens = []
        for _ in range(max_length):
            logits = self.decode(Tensor._wrap(written), memory, padding_mask)  # (N, t, V)
            chosen = logits.data[:, -1].argmax(-1)
            tokens.append(numpy.where(finished, self.pad_index, chosen))
            finished |= chosen == self.eos_index
            if finished.all():
                break
            written = numpy.concatenate([written, chosen[:, None].astype(numpy.int64)], axis=1)
        return Tensor._wrap(numpy.stack(tokens, 1).astype(numpy.int64))
