import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
from glassbox import optim
from glassbox.nn.rnn import gru_sequence, lstm_sequence, rnn_sequence
from glassbox.nn.rnn_cells import gru_cell, lstm_cell, rnn_cell
from oracle import check_module, finite_difference_check

STEPS, BATCH, INPUT, HIDDEN = 4, 3, 5, 6
MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def make_pair(mode, **options):
    """The glassbox layer and its torch twin, built with the same arguments."""
    if mode.startswith("RNN"):
        options["nonlinearity"] = mode[4:].lower()
        return nn.RNN(INPUT, HIDDEN, **options), torch.nn.RNN(INPUT, HIDDEN, **options)
    return getattr(nn, mode)(INPUT, HIDDEN, **options), getattr(torch.nn, mode)(INPUT, HIDDEN, **options)


def with_states(library, rnn, lengths=None):
    """A module whose forward takes (x, h0[, c0]) as separate tensors, so check_module can feed
    and differentiate the initial states; with ``lengths`` the torch side packs and pads around the
    layer (PyTorch's way) and the glassbox side passes ``lengths=`` (its shortcut)."""

    class WithStates(library.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, x, *states):
            hx = None if not states else (tuple(states) if len(states) == 2 else states[0])
            if lengths is None:
                return self.rnn(x, hx)
            if library is gb:
                return self.rnn(x, hx, lengths=lengths)
            utils = torch.nn.utils.rnn
            packed = utils.pack_padded_sequence(x, torch.tensor(lengths), self.rnn.batch_first, enforce_sorted=False)
            output, final = self.rnn(packed, hx)
            steps = x.shape[1 if self.rnn.batch_first else 0]
            return utils.pad_packed_sequence(output, self.rnn.batch_first, total_length=steps)[0], final

    return WithStates()


def input_shapes(mode, layers, bidirectional, batch_first, states, batch=BATCH):
    shapes = [(batch, STEPS, INPUT) if batch_first else (STEPS, batch, INPUT)]
    if states:
        state = (layers * (2 if bidirectional else 1), batch, HIDDEN)
        shapes += [state, state] if mode == "LSTM" else [state]
    return shapes


@pytest.mark.parametrize("states", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["one_way", "bidirectional"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch(mode, layers, bidirectional, batch_first, states):
    ours, theirs = make_pair(mode, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    check_module(with_states(gb, ours), with_states(torch, theirs),
                 input_shapes(mode, layers, bidirectional, batch_first, states), dtype="float64")


@pytest.mark.parametrize("bidirectional", [False, True], ids=["one_way", "bidirectional"])
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch_in_float32(mode, bidirectional):
    ours, theirs = make_pair(mode, num_layers=2, bidirectional=bidirectional, batch_first=True)
    check_module(with_states(gb, ours), with_states(torch, theirs), input_shapes(mode, 2, bidirectional, True, True),
                 dtype="float32", steps=2)
    check_module(ours, theirs, input_shapes(mode, 2, bidirectional, True, False), dtype="float32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["one_way", "bidirectional"])
@pytest.mark.parametrize("mode", MODES)
def test_layer_without_bias_matches_torch(mode, bidirectional, dtype):
    ours, theirs = make_pair(mode, num_layers=2, bidirectional=bidirectional, bias=False)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    check_module(with_states(gb, ours), with_states(torch, theirs),
                 input_shapes(mode, 2, bidirectional, False, True), dtype=dtype, steps=2)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_input_matches_torch(mode):
    ours, theirs = make_pair(mode, num_layers=2, bidirectional=True)
    state = (4, HIDDEN)
    shapes = [(STEPS, INPUT)] + ([state, state] if mode == "LSTM" else [state])
    check_module(with_states(gb, ours), with_states(torch, theirs), shapes, dtype="float64")
    check_module(ours, theirs, [(STEPS, INPUT)], dtype="float64")


@pytest.mark.parametrize("mode", MODES)
def test_dropout_between_layers_matches_torch_when_it_cannot_differ(mode):
    # p = 0 in training, and p > 0 in eval mode: no element is dropped in either library
    ours, theirs = make_pair(mode, num_layers=2, dropout=0.0)
    check_module(ours, theirs, [(STEPS, BATCH, INPUT)], dtype="float64", training=True)
    ours, theirs = make_pair(mode, num_layers=3, dropout=0.6, bidirectional=True)
    check_module(ours, theirs, [(STEPS, BATCH, INPUT)], dtype="float64", training=False)


def test_dropout_acts_between_layers_and_not_after_the_last():
    gb.manual_seed(0)
    layer = nn.LSTM(INPUT, HIDDEN, num_layers=2, dropout=1.0).double()
    x = gb.randn(STEPS, BATCH, INPUT, dtype="float64")
    output, (h_n, _) = layer(x)
    # p = 1 drops all of layer 0's outputs: layer 1 sees zeros, and its output ignores x
    second = nn.LSTM(HIDDEN, HIDDEN).double()
    second.load_state_dict({name.replace("_l1", "_l0"): value for name, value in layer.state_dict().items()
                            if "_l1" in name})
    expected, _ = second(gb.zeros(STEPS, BATCH, HIDDEN, dtype="float64"))
    np.testing.assert_allclose(output.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    assert not np.allclose(h_n[0].detach().numpy(), 0)  # layer 0's own state is not dropped
    # a single layer has nothing to drop between: training output equals evaluation output (with PyTorch's warning)
    with pytest.warns(UserWarning, match="dropout"):
        single = nn.GRU(INPUT, HIDDEN, dropout=0.5).double()
    trained, _ = single(x)
    evaluated, _ = single.eval()(x)
    np.testing.assert_array_equal(trained.detach().numpy(), evaluated.detach().numpy())


def test_dropout_in_training_is_random_and_rescaled():
    gb.manual_seed(1)
    layer = nn.RNN(INPUT, HIDDEN, num_layers=2, dropout=0.5).double()
    x = gb.randn(STEPS, BATCH, INPUT, dtype="float64")
    first, _ = layer(x)
    second, _ = layer(x)
    evaluated, _ = layer.eval()(x)
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())
    assert not np.allclose(first.detach().numpy(), evaluated.detach().numpy())


LENGTHS = [3, 4, 1]  # unsorted, and one sequence of length 1


@pytest.mark.parametrize(("batch_first", "states"), [(False, False), (True, True)],
                         ids=["time_first", "batch_first_h0"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["one_way", "bidirectional"])
@pytest.mark.parametrize("mode", MODES)
def test_lengths_match_torch_packed_sequences(mode, bidirectional, batch_first, states):
    """lengths= gives what PyTorch's pack_padded_sequence → layer → pad_packed_sequence gives: outputs
    (zero past each sequence's end), final states at each sequence's own last step, all gradients."""
    ours, theirs = make_pair(mode, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    check_module(with_states(gb, ours, LENGTHS), with_states(torch, theirs, LENGTHS),
                 input_shapes(mode, 2, bidirectional, batch_first, states), dtype="float64")


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_lengths_in_float32_and_padding_does_not_matter(mode):
    ours, theirs = make_pair(mode, bidirectional=True)
    check_module(with_states(gb, ours, LENGTHS), with_states(torch, theirs, LENGTHS),
                 input_shapes(mode, 1, True, False, True), dtype="float32")
    x = np.random.default_rng(0).normal(size=(STEPS, BATCH, INPUT))
    changed = x.copy()
    changed[1:, 2] = 100.0  # the padding of the length-1 sequence
    first = ours(gb.tensor(x, dtype="float32"), lengths=LENGTHS)
    second = ours(gb.tensor(changed, dtype="float32"), lengths=LENGTHS)
    first_h = first[1][0] if mode == "LSTM" else first[1]
    second_h = second[1][0] if mode == "LSTM" else second[1]
    np.testing.assert_array_equal(first[0].detach().numpy(), second[0].detach().numpy())
    np.testing.assert_array_equal(first_h.detach().numpy(), second_h.detach().numpy())
    assert not np.any(first[0].detach().numpy()[1:, 2])  # zero past the end


def test_packed_sequence_in_and_out_matches_torch():
    ours, theirs = make_pair("LSTM", num_layers=2, bidirectional=True)
    theirs.double()
    ours.double().load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    x = np.random.default_rng(2).normal(size=(STEPS, BATCH, INPUT))
    packed_theirs = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(LENGTHS),
                                                            enforce_sorted=False)
    packed_ours = nn.rnn_utils.pack_padded_sequence(gb.tensor(x), LENGTHS, enforce_sorted=False)
    output_theirs, (h_theirs, _) = theirs(packed_theirs)
    output_ours, (h_ours, _) = ours(packed_ours)
    assert isinstance(output_ours, nn.PackedSequence)
    np.testing.assert_allclose(output_ours.data.detach().numpy(), output_theirs.data.detach().numpy(), atol=1e-12)
    np.testing.assert_array_equal(output_ours.batch_sizes.numpy(), output_theirs.batch_sizes.numpy())
    np.testing.assert_allclose(h_ours.detach().numpy(), h_theirs.detach().numpy(), atol=1e-12)


# ---- the primitives against the composed cells ------------------------------------------------------------
SEQUENCES = {"LSTM": (lstm_sequence, 4, 2), "GRU": (gru_sequence, 3, 1), "RNN_TANH": (rnn_sequence, 1, 1),
             "RNN_RELU": (rnn_sequence, 1, 1)}


def run_sequence(mode, x, states, weights, lengths=None, reverse=False):
    """The primitive over a padded (T, N, input) batch, packed when ``lengths`` are given."""
    function = SEQUENCES[mode][0]
    options = {"nonlinearity": mode[4:].lower()} if mode.startswith("RNN") else {}
    if lengths is None:
        return function(x, *states, *weights, reverse=reverse, **options)
    packed = nn.rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False)
    sorted_states = [state.index_select(0, packed.sorted_indices) for state in states]
    output, *finals = function(packed.data, *sorted_states, *weights, batch_sizes=packed.batch_sizes.tolist(),
                               reverse=reverse, **options)
    padded, _ = nn.rnn_utils.pad_packed_sequence(packed._replace(data=output))
    return (padded, *[final.index_select(0, packed.unsorted_indices) for final in finals])


def run_cells(mode, x, states, weights, lengths, reverse=False):
    """The reference: the composed cell applied step by step, each sequence over its own steps only."""
    outputs, finals = [], [[] for _ in states]
    for b, length in enumerate(lengths):
        state = [s[b:b + 1] for s in states]
        steps = []
        for t in (reversed(range(length)) if reverse else range(length)):
            if mode == "LSTM":
                state = list(lstm_cell(x[t, b:b + 1], *state, *weights))
            elif mode == "GRU":
                state = [gru_cell(x[t, b:b + 1], *state, *weights)]
            else:
                state = [rnn_cell(x[t, b:b + 1], *state, *weights, nonlinearity=mode[4:].lower())]
            steps.append(state[0])
        if reverse:
            steps.reverse()
        padding = [gb.zeros(1, states[0].shape[1], dtype=x.dtype)] * (x.shape[0] - length)
        outputs.append(gb.cat(steps + padding))  # (T, H)
        for k, s in enumerate(state):
            finals[k].append(s)
    return (gb.stack(outputs, dim=1), *[gb.cat(f) for f in finals])


def make_arguments(mode, rng, batch=BATCH):
    _, gates, state_count = SEQUENCES[mode]
    shapes = [(STEPS, batch, INPUT)] + [(batch, HIDDEN)] * state_count
    shapes += [(gates * HIDDEN, INPUT), (gates * HIDDEN, HIDDEN), (gates * HIDDEN,), (gates * HIDDEN,)]
    return [rng.uniform(-1, 1, size=shape) for shape in shapes], state_count


@pytest.mark.parametrize("lengths", [None, [2, 4, 1]], ids=["equal_lengths", "packed"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("mode", MODES)
def test_primitive_matches_composed_cells(mode, reverse, lengths):
    arrays, state_count = make_arguments(mode, np.random.default_rng(3))

    def evaluate(runner):
        tensors = [gb.tensor(a, requires_grad=True) for a in arrays]
        results = runner(tensors[0], tensors[1:1 + state_count], tensors[1 + state_count:])
        weight = np.random.default_rng(4)
        loss = sum((r * gb.tensor(weight.uniform(-1, 1, size=r.shape))).sum() for r in results)
        loss.backward()
        return [r.detach().numpy() for r in results], [t.grad.numpy() for t in tensors]

    (ours, our_grads) = evaluate(lambda x, states, weights: run_sequence(mode, x, states, weights, lengths, reverse))
    (reference, reference_grads) = evaluate(
        lambda x, states, weights: run_cells(mode, x, states, weights, lengths or [STEPS] * BATCH, reverse))
    for got, expected in zip(ours + our_grads, reference + reference_grads, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("mode", MODES)
def test_primitive_gradients_by_finite_differences(mode, reverse):
    """Packed, lengths 2, 3, 1 (unsorted), hidden 2: every input and weight, against central differences."""
    rng = np.random.default_rng(5)
    _, gates, state_count = SEQUENCES[mode]
    hidden, size = 2, 2
    lengths = [2, 3, 1]
    shapes = [(3, 3, size)] + [(3, hidden)] * state_count
    shapes += [(gates * hidden, size), (gates * hidden, hidden), (gates * hidden,), (gates * hidden,)]
    arrays = [rng.uniform(-1, 1, size=shape) for shape in shapes]
    if mode == "RNN_RELU":  # keep pre-activations away from the kink at 0, where the derivative jumps
        arrays[-1] += 1.5

    def function(x, *rest):
        output, *finals = run_sequence(mode, x, rest[:state_count], rest[state_count:], lengths, reverse)
        return gb.cat([output.reshape(-1)] + [final.reshape(-1) for final in finals])

    finite_difference_check(function, inputs=arrays)


def test_primitive_records_one_node_per_layer_and_direction():
    layer = nn.LSTM(INPUT, HIDDEN, num_layers=2)
    output, _ = layer(gb.randn(STEPS, BATCH, INPUT))
    names, node, seen = [], output._ctx, set()
    stack = [node]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(node.name)
        stack.extend(parent._ctx for parent in node.parents)
    assert names.count("LSTMSequence") == 2
    assert len(names) < 12


@pytest.mark.parametrize("mode", MODES)
def test_backward_twice_with_retain_graph_accumulates_the_same_gradient(mode):
    layer, _ = make_pair(mode, bidirectional=True)
    x = gb.randn(STEPS, BATCH, INPUT, requires_grad=True)
    output, _ = layer(x, lengths=[4, 2, 3])
    loss = (output * output).sum()
    loss.backward(retain_graph=True)
    first = [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in layer.parameters()]
    loss.backward()
    second = [x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]
    for once, twice in zip(first, second, strict=True):
        np.testing.assert_allclose(twice, 2 * once, rtol=1e-5, atol=1e-6)


def test_only_needed_gradients_are_computed():
    layer = nn.GRU(INPUT, HIDDEN)
    layer.weight_hh_l0.requires_grad_(False)
    x = gb.randn(STEPS, BATCH, INPUT)
    output, _ = layer(x)
    output.sum().backward()
    assert layer.weight_hh_l0.grad is None and layer.weight_ih_l0.grad is not None and x.grad is None


# ---- construction, initialisation, errors -----------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_parameters_names_shapes_and_init_match_torch(mode):
    gb.manual_seed(0)
    ours, theirs = make_pair(mode, num_layers=2, bidirectional=True)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())
    bound = 1 / math.sqrt(HIDDEN)
    values = np.concatenate([p.detach().numpy().ravel() for p in ours.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert repr(ours) == repr(theirs)
    assert len(ours.all_weights) == 4 and len(ours.all_weights[0]) == 4
    gb.manual_seed(0)
    again, _ = make_pair(mode, num_layers=2, bidirectional=True)
    np.testing.assert_array_equal(again.weight_hh_l1_reverse.detach().numpy(),
                                  ours.weight_hh_l1_reverse.detach().numpy())


def test_wrong_input_size_names_the_layer_and_both_sizes():
    with pytest.raises(RuntimeError, match=r"LSTM: input has 4 features .*\(5, 3, 4\).*input_size = 5"):
        nn.LSTM(INPUT, HIDDEN)(gb.randn(5, 3, 4))
    with pytest.raises(ValueError, match=r"GRU: expected a 3-D .* got shape \(5,\)"):
        nn.GRU(INPUT, HIDDEN)(gb.randn(5))


def test_wrong_initial_state_shapes_name_the_layer_and_both_shapes():
    layer = nn.LSTM(INPUT, HIDDEN, num_layers=2)
    x = gb.randn(STEPS, BATCH, INPUT)
    good = gb.zeros(2, BATCH, HIDDEN)
    with pytest.raises(RuntimeError, match=r"LSTM: h0 has shape \(1, 3, 6\), expected \(2, 3, 6\)"):
        layer(x, (gb.zeros(1, BATCH, HIDDEN), good))
    with pytest.raises(RuntimeError, match=r"LSTM: c0 has shape \(2, 3, 7\), expected \(2, 3, 6\)"):
        layer(x, (good, gb.zeros(2, BATCH, 7)))
    with pytest.raises(TypeError, match="LSTM: hx must be a tuple"):
        layer(x, good)
    with pytest.raises(RuntimeError, match=r"RNN: h0 has shape \(2, 6\), expected \(2, 3, 6\)"):
        nn.RNN(INPUT, HIDDEN, bidirectional=True)(x, gb.zeros(2, HIDDEN))


def test_empty_batch_matches_torch_and_empty_sequence_is_refused():
    ours, theirs = make_pair("LSTM", num_layers=2, bidirectional=True)
    output, (h_n, c_n) = ours(gb.zeros(STEPS, 0, INPUT))
    expected, (expected_h, _) = theirs(torch.zeros(STEPS, 0, INPUT))
    assert output.shape == tuple(expected.shape) and h_n.shape == c_n.shape == tuple(expected_h.shape)
    with pytest.raises(RuntimeError, match=r"LSTM: expected a sequence of at least one step, got input shape"):
        ours(gb.zeros(0, BATCH, INPUT))


def test_functional_sequences_check_their_arguments():
    x, h0 = gb.zeros(STEPS, BATCH, INPUT), gb.zeros(BATCH, HIDDEN)
    weight_ih, weight_hh = gb.zeros(3 * HIDDEN, INPUT), gb.zeros(3 * HIDDEN, HIDDEN)
    with pytest.raises(ValueError, match=r"gru_sequence: weight_ih has shape \(18, 5\), expected \(18, 4\)"):
        gru_sequence(gb.zeros(STEPS, BATCH, 4), h0, weight_ih, weight_hh)
    with pytest.raises(ValueError, match=r"gru_sequence: h0 has shape \(2, 6\), expected \(3, 6\)"):
        gru_sequence(x, gb.zeros(2, HIDDEN), weight_ih, weight_hh)
    with pytest.raises(ValueError, match="both biases"):
        gru_sequence(x, h0, weight_ih, weight_hh, bias_ih=gb.zeros(3 * HIDDEN))
    with pytest.raises(ValueError, match=r"batch_sizes \[2, 3\] must be non-increasing"):
        rnn_sequence(gb.zeros(5, INPUT), gb.zeros(2, HIDDEN), weight_ih[:HIDDEN], weight_hh[:HIDDEN],
                     batch_sizes=[2, 3])
    with pytest.raises(ValueError, match="packed .* with batch_sizes"):
        lstm_sequence(gb.zeros(5, INPUT), h0, h0, gb.zeros(24, INPUT), gb.zeros(24, HIDDEN))


def test_bad_constructor_arguments_and_lengths():
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(INPUT, HIDDEN, proj_size=2)
    with pytest.raises(ValueError, match="proj_size is only supported for LSTM"):
        nn.RNNBase("GRU", INPUT, HIDDEN, proj_size=2)
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(INPUT, HIDDEN, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(INPUT, HIDDEN, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRU(INPUT, 0)
    layer = nn.GRU(INPUT, HIDDEN)
    with pytest.raises(ValueError, match=r"GRU, lengths=: .*every length must lie in \[1, 4\].*got \[5, 1, 1\]"):
        layer(gb.randn(STEPS, BATCH, INPUT), lengths=[5, 1, 1])
    with pytest.raises(ValueError, match="GRU, lengths=: .*2 lengths given for a batch of 3"):
        layer(gb.randn(STEPS, BATCH, INPUT), lengths=[2, 1])
    with pytest.raises(RuntimeError, match="dtype"):
        layer(gb.randn(STEPS, BATCH, INPUT, dtype="float64"))


def test_training_reduces_the_loss_on_a_memory_task():
    """Recall the first element of a sequence at its end: needs gradient through every step (BPTT)."""
    gb.manual_seed(0)
    rng = np.random.default_rng(0)
    layer, head = nn.LSTM(1, 8), nn.Linear(8, 1)
    optimizer = optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=0.05)
    x = rng.choice([-1.0, 1.0], size=(6, 32, 1)).astype(np.float32)
    target = gb.tensor(x[0])
    x = gb.tensor(x)
    losses = []
    for _ in range(60):
        output, _ = layer(x)
        loss = ((head(output[-1]) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
