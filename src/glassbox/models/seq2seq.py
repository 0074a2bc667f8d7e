"""Sequence to sequence: an encoder RNN reads the source, a decoder RNN writes the target.

The notes: "my model takes a sequence of information, and it outputs some sequence of information".
The encoder has no output of its own; its final state is the *context vector*, which starts the
decoder, and the decoder emits one token per step until <eos>:

    h_j = Encoder(x_j, h_{j-1})                         j = 1 … S        (both directions if bidirectional)
    s_0 = h_S                                           the context vector: the whole source in one state
    s_i = Decoder(y_{i-1}, s_{i-1})                     y_0 = <bos>
    p(y_i | y_<i, x) = softmax(W_o s_i + b_o)

One vector must hold the whole source, so "whenever you have a long sentence the accuracy is not that
good" (the notes' figure: BLEU falls with the sentence length). Attention lets every decoder step look
back at all the encoder states h_j (``glassbox.nn.seq2seq_attention``):

    e_ij = score(s, h_j)        α_ij = exp(e_ij) / Σ_k exp(e_ik)        c_i = Σ_j α_ij h_j

- ``attention="bahdanau"`` (additive): scores with s_{i-1} and feeds c_i into the step,
  s_i = Decoder([y_{i-1}; c_i], s_{i-1}), then p(y_i) = softmax(W_o [s_i; c_i] + b_o);
- ``attention="luong"`` (``"luong-dot"``: the parameter-free dot score): scores with the new s_i, then
  h̃_i = tanh(W_c [s_i; c_i]) and p(y_i) = softmax(W_o h̃_i + b_o). The recurrence does not depend on
  c_i, so a teacher-forced target is decoded in one pass over all steps.

Teacher forcing: in training the decoder is fed the true previous token y_{i-1} with probability
``teacher_forcing_ratio`` at each step, else its own most likely token. ``greedy_decode`` feeds its own
argmax; ``beam_search`` keeps the ``beam_width`` best partial translations, ranked at the end by
log p(y | x) / |y|^length_penalty (length normalisation, so that long translations are not
penalised for having more factors below one). Both return the attention weights α (for plotting).

Sources are (N, S) token ids padded with ``pad_index`` plus their lengths; the encoder runs only the
real steps (``lengths=``) and padded positions receive no attention. A bidirectional encoder's two
final states are concatenated into the decoder's first state (decoder size = directions · hidden_size).
"""

from __future__ import annotations

import numpy

from glassbox import nn
from glassbox import random as gb_random
from glassbox.autograd import no_grad
from glassbox.ops import movement
from glassbox.tensor import Tensor

_CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}
_ATTENTIONS = (None, "bahdanau", "luong", "luong-dot")


class Encoder(nn.Module):
    """Embedding → GRU/LSTM over the real steps of each source: annotations (N, S, D·H) and the final state."""

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, cell: str = "gru",
                 num_layers: int = 1, bidirectional: bool = True, dropout: float = 0.0, pad_index: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.dropout = nn.Dropout(dropout)
        self.rnn = _CELLS[cell](embedding_dim, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional,
                                dropout=dropout if num_layers > 1 else 0.0)
        self.directions = 2 if bidirectional else 1

    def forward(self, source: Tensor, lengths=None):
        embedded = self.dropout(self.embedding(source))  # (N, S, E)
        annotations, state = self.rnn(embedded, lengths=lengths)  # (N, S, D·H); padded steps are zero
        return annotations, _join_directions(state, self.directions)


def _join_directions(state, directions: int):
    """(layers · D, N, H) → (layers, N, D · H): the forward and backward final states side by side."""
    if isinstance(state, tuple):
        return tuple(_join_directions(part, directions) for part in state)
    if directions == 1:
        return state
    layers_times_d, batch, hidden = state.shape
    split = state.reshape(layers_times_d // directions, directions, batch, hidden)
    return split.permute(0, 2, 1, 3).reshape(layers_times_d // directions, batch, directions * hidden)


class Decoder(nn.Module):
    """One or more decoder steps: token ids (N, T) and a state → logits (N, T, V), the new state, α (N, T, S)."""

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, annotation_size: int,
                 cell: str = "gru", num_layers: int = 1, attention: str | None = None, dropout: float = 0.0):
        super().__init__()
        self.attention_kind = attention
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        rnn_input = embedding_dim + (annotation_size if attention == "bahdanau" else 0)
        self.rnn = _CELLS[cell](rnn_input, hidden_size, num_layers, batch_first=True,
                                dropout=dropout if num_layers > 1 else 0.0)
        output_input = hidden_size
        if attention == "bahdanau":
            self.attention = nn.BahdanauAttention(hidden_size, annotation_size, hidden_size)
            output_input = hidden_size + annotation_size
        elif attention in ("luong", "luong-dot"):
            self.attention = nn.LuongAttention(hidden_size, annotation_size,
                                               score="dot" if attention == "luong-dot" else "general")
            self.combine = nn.Linear(hidden_size + annotation_size, hidden_size, bias=False)  # W_c
        self.output = nn.Linear(output_input, vocab_size)  # W_o, b_o

    def forward(self, tokens: Tensor, state, annotations: Tensor, padding_mask=None):
        embedded = self.dropout(self.embedding(tokens))  # (N, T, E)
        if self.attention_kind == "bahdanau":
            return self._bahdanau_steps(embedded, state, annotations, padding_mask)
        outputs, state = self.rnn(embedded, state)  # (N, T, H): every step at once, given the inputs
        if self.attention_kind is None:
            return self.output(self.dropout(outputs)), state, None
        context, weights = self.attention(outputs, annotations, key_padding_mask=padding_mask)  # (N, T, A), (N, T, S)
        attentional = self.combine(movement.cat([outputs, context], dim=-1)).tanh()  # h̃ = tanh(W_c [s; c])
        return self.output(self.dropout(attentional)), state, weights

    def _bahdanau_steps(self, embedded, state, annotations, padding_mask):
        """c_i from s_{i-1} enters step i, so the steps run one after another."""
        logits, all_weights = [], []
        for step in range(embedded.shape[1]):
            previous = state[0] if isinstance(state, tuple) else state  # (layers, N, H): the top layer queries
            context, weights = self.attention(previous[-1], annotations, key_padding_mask=padding_mask)  # (N, A)
            step_input = movement.cat([embedded[:, step], context], dim=-1).unsqueeze(1)  # (N, 1, E + A)
            output, state = self.rnn(step_input, state)  # (N, 1, H)
            features = movement.cat([output.squeeze(1), context], dim=-1)  # (N, H + A)
            logits.append(self.output(self.dropout(features)))
            all_weights.append(weights)
        return movement.stack(logits, 1), state, movement.stack(all_weights, 1)  # (N, T, V), (N, T, S)


class Seq2Seq(nn.Module):
    """Encoder-decoder with GRU or LSTM cells, with or without attention (see the module docstring).

    ``forward(source, source_lengths, target, teacher_forcing_ratio=1.0)`` → logits (N, T, V) for the
    target (N, T) that ends with <eos>: step i is fed <bos> (i = 0) or token i-1. Train with
    ``cross_entropy(logits.transpose(1, 2), target, ignore_index=pad_index)``.
    """

    def __init__(self, source_vocab_size: int, target_vocab_size: int, embedding_dim: int = 32,
                 hidden_size: int = 64, cell: str = "gru", attention: str | None = "luong", num_layers: int = 1,
                 bidirectional: bool = True, dropout: float = 0.0, pad_index: int = 0, bos_index: int = 2,
                 eos_index: int = 3):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"Seq2Seq: cell must be one of {sorted(_CELLS)}, got {cell!r}")
        if attention not in _ATTENTIONS:
            raise ValueError(f"Seq2Seq: attention must be one of {_ATTENTIONS}, got {attention!r}")
        self.cell, self.attention, self.pad_index = cell, attention, pad_index
        self.bos_index, self.eos_index = bos_index, eos_index
        directions = 2 if bidirectional else 1
        self.encoder = Encoder(source_vocab_size, embedding_dim, hidden_size, cell, num_layers, bidirectional, dropout,
                               pad_index)
        self.decoder = Decoder(target_vocab_size, embedding_dim, directions * hidden_size, directions * hidden_size,
                               cell, num_layers, attention, dropout)

    def encode(self, source: Tensor, source_lengths=None):
        """(annotations (N, S, A), the decoder's first state, the padding mask (N, S) True at padding)."""
        if source.ndim != 2 or source.dtype.kind not in "iu":
            raise ValueError(f"Seq2Seq: expected source token ids (N, S) of an integer dtype, got shape "
                             f"{tuple(source.shape)} and dtype {source.dtype}")
        if source_lengths is None:
            lengths = numpy.full(source.shape[0], source.shape[1], dtype=numpy.int64)
        else:
            lengths = numpy.asarray(source_lengths.numpy() if isinstance(source_lengths, Tensor) else source_lengths)
        annotations, state = self.encoder(source, lengths if source_lengths is not None else None)
        padding_mask = numpy.arange(source.shape[1])[None, :] >= lengths[:, None]  # (N, S)
        return annotations, state, padding_mask

    def forward(self, source: Tensor, source_lengths=None, target: Tensor | None = None,
                teacher_forcing_ratio: float = 1.0) -> Tensor:
        if target is None or target.ndim != 2 or target.shape[0] != source.shape[0]:
            raise ValueError(f"Seq2Seq: expected a target (N, T) of token ids with the source's N = {source.shape[0]},"
                             f" got {None if target is None else tuple(target.shape)}")
        annotations, state, padding_mask = self.encode(source, source_lengths)
        batch, steps = target.shape
        bos = numpy.full((batch, 1), self.bos_index, dtype=target.dtype)
        forced = gb_random.generator().random(steps) < teacher_forcing_ratio if teacher_forcing_ratio < 1 else None
        if forced is None or forced[1:].all():  # every input known in advance (step 0 reads <bos>): one pass
            inputs = Tensor._wrap(numpy.concatenate([bos, target.data[:, :-1]], axis=1))  # (N, T): <bos>, y_1 …
            return self.decoder(inputs, state, annotations, padding_mask)[0]
        logits, token = [], Tensor._wrap(bos)
        for step in range(steps):
            step_logits, state, _ = self.decoder(token, state, annotations, padding_mask)  # (N, 1, V)
            logits.append(step_logits)
            if step + 1 < steps:
                chosen = target.data[:, step:step + 1] if forced[step + 1] else step_logits.data.argmax(-1)
                token = Tensor._wrap(chosen.astype(target.dtype))
        return movement.cat(logits, dim=1)  # (N, T, V)

    @no_grad()
    def greedy_decode(self, source: Tensor, source_lengths=None, max_length: int = 50):
        """Feed back the most likely token until every sequence has written <eos> or ``max_length`` tokens.

        Returns (tokens (N, L) int64, <pad> after each <eos>; attention weights (N, L, S), or None without
        attention).
        """
        annotations, state, padding_mask = self.encode(source, source_lengths)
        batch = source.shape[0]
        token = Tensor._wrap(numpy.full((batch, 1), self.bos_index, dtype=numpy.int64))
        finished = numpy.zeros(batch, dtype=bool)
        tokens, weights = [], []
        for _ in range(max_length):
            logits, state, step_weights = self.decoder(token, state, annotations, padding_mask)
            chosen = logits.data[:, 0].argmax(-1)  # (N,)
            tokens.append(numpy.where(finished, self.pad_index, chosen))
            if step_weights is not None:
                weights.append(numpy.where(finished[:, None], 0.0, step_weights.data[:, 0]))
            finished |= chosen == self.eos_index
            if finished.all():
                break
            token = Tensor._wrap(chosen[:, None].astype(numpy.int64))
        attention = Tensor._wrap(numpy.stack(weights, 1)) if weights else None
        return Tensor._wrap(numpy.stack(tokens, 1).astype(numpy.int64)), attention

    @no_grad()
    def beam_search(self, source: Tensor, source_lengths=None, beam_width: int = 5, max_length: int = 50,
                    length_penalty: float = 1.0) -> list:
        """The ``beam_width`` best partial translations kept at every step, for each source sequence.

        A hypothesis ends at <eos>; the finished ones are ranked by log p(y | x) / |y|^length_penalty
        (|y| counts the <eos>; ``length_penalty=0``: the plain log-probability). The search for a sequence
        stops once ``beam_width`` hypotheses have finished or after ``max_length`` tokens (then the
        unfinished beams compete too). Returns, per sequence, a dict with ``tokens`` (list of ids, <eos>
        included when written), ``log_probability``, ``score`` and ``attention`` ((L, S) array or None).
        """
        if beam_width < 1 or max_length < 1:
            raise ValueError(f"Seq2Seq.beam_search: beam_width and max_length must be >= 1, got {beam_width} and "
                             f"{max_length}")
        annotations, state, padding_mask = self.encode(source, source_lengths)
        results = []
        for index in range(source.shape[0]):
            one_state = _select(state, numpy.array([index]))
            results.append(self._beam_search_one(annotations[index:index + 1], one_state,
                                                  padding_mask[index:index + 1], beam_width, max_length,
                                                  length_penalty))
        return results

    def _beam_search_one(self, annotations, state, padding_mask, beam_width, max_length, length_penalty) -> dict:
        def hypothesis(tokens, log_probability, attention):
            return {"tokens": tokens, "log_probability": log_probability,
                    "score": log_probability / len(tokens) ** length_penalty,
                    "attention": attention if self.attention is not None else None}

        source_steps = annotations.shape[1]
        beams = [([], 0.0, numpy.zeros((0, source_steps)))]  # live hypotheses: tokens, log p, attention (L, S)
        finished = []
        for _ in range(max_length):
            live = len(beams)
            last = numpy.asarray([tokens[-1] if tokens else self.bos_index for tokens, _, _ in beams])
            logits, state, weights = self.decoder(Tensor._wrap(last[:, None]), state, _repeat(annotations, live),
                                                  numpy.repeat(padding_mask, live, 0))
            log_probabilities = logits.log_softmax(-1).data[:, 0].astype(numpy.float64)  # (beams, V)
            totals = numpy.asarray([log_p for _, log_p, _ in beams])[:, None] + log_probabilities
            step_weights = weights.data[:, 0] if weights is not None else numpy.zeros((live, source_steps))
            parents, next_beams = [], []
            # the 2·width best extensions: enough to refill the beam however many of them end here
            for rank, flat in enumerate(numpy.argsort(-totals, axis=None, kind="stable")[:2 * beam_width]):
                parent, token = divmod(int(flat), totals.shape[1])
                tokens, attention = beams[parent][0] + [token], numpy.concatenate(
                    [beams[parent][2], step_weights[parent][None]])
                if token == self.eos_index:
                    if rank < beam_width:  # an ending counts only if it is among the width best
                        finished.append(hypothesis(tokens, float(totals[parent, token]), attention))
                elif len(next_beams) < beam_width:
                    next_beams.append((tokens, float(totals[parent, token]), attention))
                    parents.append(parent)
            if len(finished) >= beam_width or not next_beams:
                break
            beams, state = next_beams, _select(state, numpy.asarray(parents))
        else:  # max_length tokens written: the unfinished beams compete with the finished ones
            finished.extend(hypothesis(*beam) for beam in beams)
        return max(finished, key=lambda item: item["score"])


def _select(state, rows):
    """The decoder state of the beams (or sequences) ``rows``: (layers, N, H) → (layers, len(rows), H)."""
    if isinstance(state, tuple):
        return tuple(_select(part, rows) for part in state)
    return Tensor._wrap(state.data[:, rows])


def _repeat(annotations: Tensor, count: int) -> Tensor:
    return Tensor._wrap(numpy.repeat(annotations.data, count, axis=0))  # (count, S, A)

