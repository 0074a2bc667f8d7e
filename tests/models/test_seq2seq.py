import itertools
import math

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import optim
from glassbox.models.seq2seq import Seq2Seq
from glassbox.nn.utils import clip_grad_norm_

CONFIGURATIONS = list(itertools.product(["gru", "lstm"], [None, "bahdanau", "luong", "luong-dot"]))
SOURCE_VOCAB, TARGET_VOCAB = 13, 7


def random_batch(seed=0, batch=4, source_steps=6, target_steps=5):
    """Sources padded with 0 past their lengths (longest first is not required), targets ending anywhere."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, source_steps + 1, size=batch)
    lengths[0] = source_steps
    source = rng.integers(4, SOURCE_VOCAB, size=(batch, source_steps))
    source[np.arange(source_steps)[None, :] >= lengths[:, None]] = 0
    target = rng.integers(3, TARGET_VOCAB, size=(batch, target_steps))
    return gb.tensor(source), gb.tensor(lengths), gb.tensor(target)


def small_model(cell, attention, seed=0, bidirectional=True, **options):
    gb.manual_seed(seed)
    return Seq2Seq(SOURCE_VOCAB, TARGET_VOCAB, embedding_dim=6, hidden_size=5, cell=cell, attention=attention,
                   bidirectional=bidirectional, **options)


# ---- the same network in PyTorch, written out from the formulas --------------------------------------------
def torch_twin(model: Seq2Seq, cell: str, attention):
    import torch

    def module(**children):
        container = torch.nn.Module()
        for name, child in children.items():
            setattr(container, name, child)
        return container

    rnn = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    encoder = model.encoder
    hidden, embedding_dim = encoder.rnn.hidden_size, encoder.embedding.embedding_dim
    size = 2 * hidden  # annotations and decoder state
    decoder_input = embedding_dim + (size if attention == "bahdanau" else 0)
    children = {"embedding": torch.nn.Embedding(TARGET_VOCAB, embedding_dim),
                "rnn": rnn(decoder_input, size, batch_first=True),
                "output": torch.nn.Linear(size * (2 if attention == "bahdanau" else 1), TARGET_VOCAB)}
    if attention == "bahdanau":
        children["attention"] = module(query_projection=torch.nn.Linear(size, size, bias=False),
                                       key_projection=torch.nn.Linear(size, size, bias=False),
                                       score_vector=torch.nn.Linear(size, 1, bias=False))
    if attention in ("luong", "luong-dot"):
        if attention == "luong":
            children["attention"] = module(key_projection=torch.nn.Linear(size, size, bias=False))
        children["combine"] = torch.nn.Linear(2 * size, size, bias=False)
    twin = module(encoder=module(embedding=torch.nn.Embedding(SOURCE_VOCAB, embedding_dim, padding_idx=0),
                                 rnn=rnn(embedding_dim, hidden, batch_first=True, bidirectional=True)),
                  decoder=module(**children))
    twin.load_state_dict({name: torch.tensor(value.numpy()) for name, value in model.state_dict().items()})
    return twin.double()


def torch_forward(twin, cell, attention, source, lengths, target):
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    steps = source.shape[1]
    packed = pack_padded_sequence(twin.encoder.embedding(source), lengths, batch_first=True, enforce_sorted=False)
    output, state = twin.encoder.rnn(packed)
    annotations, _ = pad_packed_sequence(output, batch_first=True, total_length=steps)  # (N, S, 2H)
    join = lambda h: torch.cat([h[0], h[1]], dim=-1).unsqueeze(0)  # (2, N, H) → (1, N, 2H)
    state = tuple(join(part) for part in state) if cell == "lstm" else join(state)
    padding = torch.arange(steps)[None, :] >= lengths[:, None]  # (N, S)
    inputs = torch.cat([torch.full((source.shape[0], 1), 2), target[:, :-1]], dim=1)
    embedded = twin.decoder.embedding(inputs)  # (N, T, E)

    def attend(scores):  # scores (N, T, S) → α and c
        weights = torch.softmax(scores.masked_fill(padding[:, None, :], float("-inf")), dim=-1)
        return weights @ annotations, weights

    if attention == "bahdanau":
        logits = []
        for step in range(inputs.shape[1]):
            previous = (state[0] if cell == "lstm" else state)[-1]  # s_{i-1}: (N, 2H)
            energy = torch.tanh(twin.decoder.attention.query_projection(previous)[:, None]
                                + twin.decoder.attention.key_projection(annotations))  # (N, S, 2H)
            context, _ = attend(twin.decoder.attention.score_vector(energy).squeeze(-1)[:, None])  # (N, 1, 2H)
            output, state = twin.decoder.rnn(torch.cat([embedded[:, step:step + 1], context], -1), state)
            logits.append(twin.decoder.output(torch.cat([output, context], -1)))
        return torch.cat(logits, 1)
    outputs, _ = twin.decoder.rnn(embedded, state)  # (N, T, 2H)
    if attention is None:
        return twin.decoder.output(outputs)
    keys = twin.decoder.attention.key_projection(annotations) if attention == "luong" else annotations
    context, _ = attend(outputs @ keys.transpose(1, 2))
    return twin.decoder.output(torch.tanh(twin.decoder.combine(torch.cat([outputs, context], -1))))


@pytest.mark.parametrize("cell, attention", CONFIGURATIONS)
def test_logits_and_gradients_equal_the_pytorch_formulas(cell, attention):
    import torch

    model = small_model(cell, attention).double()
    twin = torch_twin(model, cell, attention)
    source, lengths, target = random_batch(seed=1)
    logits = model(source, lengths, target)
    F.cross_entropy(logits.transpose(1, 2), target).backward()
    theirs = torch_forward(twin, cell, attention, torch.tensor(source.numpy()), torch.tensor(lengths.numpy()),
                           torch.tensor(target.numpy()))
    torch.nn.functional.cross_entropy(theirs.transpose(1, 2), torch.tensor(target.numpy())).backward()
    np.testing.assert_allclose(logits.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    theirs_grads = dict(twin.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), theirs_grads[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("cell, attention", CONFIGURATIONS)
def test_shapes_attention_weights_and_padding(cell, attention):
    model = small_model(cell, attention).double()
    source, lengths, target = random_batch(seed=2)
    logits = model(source, lengths, target)
    assert logits.shape == (4, 5, TARGET_VOCAB) and logits.dtype == np.float64
    # more padding columns change nothing: the encoder stops at each length, attention skips padding
    padded = gb.tensor(np.pad(source.numpy(), ((0, 0), (0, 3))))
    np.testing.assert_allclose(model(padded, lengths, target).detach().numpy(), logits.detach().numpy(), atol=1e-12)
    model.eval()
    tokens, weights = model.greedy_decode(padded, lengths, max_length=6)
    assert tokens.dtype == np.int64 and tokens.shape[0] == 4 and tokens.shape[1] <= 6
    if attention is None:
        assert weights is None
        return
    weights = weights.numpy()
    assert weights.shape == tokens.shape + (9,)
    mask = np.arange(9)[None, :] >= lengths.numpy()[:, None]
    assert (weights[np.broadcast_to(mask[:, None, :], weights.shape)] == 0).all()  # no attention on padding
    written = tokens.numpy() != model.pad_index
    np.testing.assert_allclose(weights.sum(-1)[written], 1.0, rtol=1e-12)  # α of each step sums to one


@pytest.mark.parametrize("attention", [None, "bahdanau", "luong"])
def test_teacher_forcing_in_one_pass_equals_decoding_step_by_step(attention):
    model = small_model("gru", attention).double()
    source, lengths, target = random_batch(seed=3)
    at_once = model(source, lengths, target).detach().numpy()
    annotations, state, padding = model.encode(source, lengths)
    inputs = np.concatenate([np.full((4, 1), model.bos_index), target.numpy()[:, :-1]], axis=1)
    for step in range(target.shape[1]):
        logits, state, _ = model.decoder(gb.tensor(inputs[:, step:step + 1]), state, annotations, padding)
        np.testing.assert_allclose(logits.detach().numpy()[:, 0], at_once[:, step], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell, attention", [("gru", "luong"), ("lstm", "bahdanau"), ("gru", None)])
def test_without_teacher_forcing_the_decoder_feeds_back_its_argmax_like_greedy_decoding(cell, attention):
    model = small_model(cell, attention).double()
    source, lengths, target = random_batch(seed=4, target_steps=6)
    free_running = model(source, lengths, target, teacher_forcing_ratio=0.0).detach().numpy()
    tokens, _ = model.greedy_decode(source, lengths, max_length=6)
    tokens = tokens.numpy()
    for row in range(4):
        written = list(tokens[row])
        steps = written.index(model.eos_index) + 1 if model.eos_index in written else len(written)
        np.testing.assert_array_equal(free_running[row, :steps].argmax(-1), tokens[row, :steps])


def test_teacher_forcing_ratio_mixes_both_inputs_and_is_seeded():
    model = small_model("gru", "luong").double()
    source, lengths, target = random_batch(seed=5, target_steps=8)
    forced = model(source, lengths, target, teacher_forcing_ratio=1.0).detach().numpy()
    free = model(source, lengths, target, teacher_forcing_ratio=0.0).detach().numpy()
    gb.manual_seed(11)
    mixed = model(source, lengths, target, teacher_forcing_ratio=0.5).detach().numpy()
    gb.manual_seed(11)
    np.testing.assert_array_equal(model(source, lengths, target, teacher_forcing_ratio=0.5).detach().numpy(), mixed)
    np.testing.assert_allclose(mixed[:, 0], forced[:, 0])  # step 0 is always fed <bos>
    assert not np.allclose(mixed, forced) and not np.allclose(mixed, free)


def sequence_log_probability(model, source, lengths, tokens) -> float:
    logits = model(source, lengths, gb.tensor(np.asarray([tokens])))
    log_probabilities = logits.log_softmax(-1).detach().numpy()[0]
    return float(sum(log_probabilities[step, token] for step, token in enumerate(tokens)))


@pytest.mark.parametrize("attention, length_penalty", [("luong", 0.0), ("bahdanau", 1.0), (None, 0.6)])
def test_a_wide_beam_finds_the_best_sequence_of_an_exhaustive_search(attention, length_penalty):
    model = small_model("gru", attention, seed=6).double()
    model.eval()
    source, lengths, _ = random_batch(seed=6, batch=1)
    max_length = 3
    candidates = []  # every ending at <eos> within max_length, and every unfinished one of max_length tokens
    for length in range(1, max_length + 1):
        for tokens in itertools.product(range(TARGET_VOCAB), repeat=length):
            ends = tokens[-1] == model.eos_index
            if model.eos_index in tokens[:-1] or (not ends and length < max_length):
                continue
            log_p = sequence_log_probability(model, source, lengths, list(tokens))
            candidates.append((log_p / length ** length_penalty, list(tokens), log_p))
    best_score, best_tokens, best_log_p = max(candidates)
    found = model.beam_search(source, lengths, beam_width=1000, max_length=max_length,
                              length_penalty=length_penalty)[0]
    assert found["tokens"] == best_tokens
    assert found["score"] == pytest.approx(best_score, rel=1e-9)
    assert found["log_probability"] == pytest.approx(best_log_p, rel=1e-9)


@pytest.mark.parametrize("cell, attention", [("gru", "luong"), ("lstm", "bahdanau")])
def test_beam_width_one_is_greedy_decoding_and_wider_beams_score_at_least_as_well(cell, attention):
    model = small_model(cell, attention, seed=7).double()
    model.eval()
    source, lengths, _ = random_batch(seed=7, batch=3)
    tokens, weights = model.greedy_decode(source, lengths, max_length=8)
    narrow = model.beam_search(source, lengths, beam_width=1, max_length=8, length_penalty=0.0)
    wide = model.beam_search(source, lengths, beam_width=4, max_length=8, length_penalty=0.0)
    for row in range(3):
        greedy = list(tokens.numpy()[row])
        greedy = greedy[:greedy.index(model.eos_index) + 1] if model.eos_index in greedy else greedy
        assert narrow[row]["tokens"] == greedy
        np.testing.assert_allclose(narrow[row]["attention"], weights.numpy()[row, :len(greedy)], rtol=1e-12)
        assert narrow[row]["log_probability"] == pytest.approx(
            sequence_log_probability(model, source[row:row + 1], lengths[row:row + 1], greedy), rel=1e-9)
        wide_found = wide[row]["tokens"]
        if wide_found[-1] == model.eos_index and greedy[-1] == model.eos_index:
            assert wide[row]["log_probability"] >= narrow[row]["log_probability"] - 1e-12


def test_every_parameter_learns_and_a_copy_task_is_learned():
    gb.manual_seed(0)
    model = Seq2Seq(8, 8, embedding_dim=8, hidden_size=16, attention="luong")
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    for _ in range(150):
        source = rng.integers(4, 8, size=(32, 5))
        target = np.concatenate([source, np.full((32, 1), 3)], axis=1)  # copy, then <eos>
        logits = model(gb.tensor(source), None, gb.tensor(target))
        loss = F.cross_entropy(logits.transpose(1, 2), gb.tensor(target))
        optimizer.zero_grad()
        loss.backward()
        for name, parameter in model.named_parameters():
            assert parameter.grad is not None and np.isfinite(parameter.grad.numpy()).all(), name
        clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    source = rng.integers(4, 8, size=(64, 5))
    tokens, _ = model.eval().greedy_decode(gb.tensor(source), max_length=7)
    assert (tokens.numpy()[:, :5] == source).all(axis=1).mean() >= 0.9
    assert loss.item() < 0.1 * math.log(8)


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="cell must be one of"):
        Seq2Seq(5, 5, cell="rnn")
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2Seq(5, 5, attention="dot")
    model = small_model("gru", "luong")
    source, lengths, target = random_batch()
    with pytest.raises(ValueError, match="source token ids"):
        model(gb.randn(4, 6), lengths, target)
    with pytest.raises(ValueError, match="expected a target"):
        model(source, lengths, None)
    with pytest.raises(ValueError, match="beam_width"):
        model.beam_search(source, lengths, beam_width=0)


def endless(loader):
    while True:  # a new shuffle every epoch
        yield from loader


@pytest.mark.slow
def test_attention_translates_held_out_dates_and_beats_plain_seq2seq_on_the_longest_inputs():
    """The notes' figure as a claim: with attention, accuracy stays up on long inputs; without, one context
    vector must carry the whole date. Both models: the same bidirectional GRU encoder, the same steps."""
    from glassbox.data import DataLoader
    from glassbox.text.dates import date_splits

    train, _, test = date_splits(10_000, 0, 1_000, seed=0)
    held_out = test.get_batch(np.arange(len(test)))
    truth = np.asarray([target for _, target in test.pairs])
    longest = test.source_lengths >= np.quantile(test.source_lengths, 0.9)
    exact = {}
    for attention in ("luong", None):
        gb.manual_seed(0)
        model = Seq2Seq(len(train.source_vocab), len(train.target_vocab), embedding_dim=32, hidden_size=64,
                        cell="gru", attention=attention, bidirectional=True)
        optimizer = optim.Adam(model.parameters(), lr=3e-3)
        loader = DataLoader(train, batch_size=64, shuffle=True, drop_last=True, generator=0)
        for _, batch in zip(range(400), endless(loader), strict=False):
            logits = model(batch.source, batch.source_lengths, batch.target)
            loss = F.cross_entropy(logits.transpose(1, 2), batch.target, ignore_index=model.pad_index)
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
        tokens, _ = model.eval().greedy_decode(held_out.source, held_out.source_lengths, max_length=12)
        exact[attention] = np.asarray([test.decode_target(row) for row in tokens.numpy()]) == truth
    assert exact["luong"].mean() >= 0.95, {name: matches.mean() for name, matches in exact.items()}
    assert exact["luong"][longest].mean() > exact[None][longest].mean(), {
        name: matches[longest].mean() for name, matches in exact.items()}
    assert longest.sum() >= 50
