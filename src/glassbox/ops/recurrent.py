"""Recurrent sequences as primitives: one layer, one direction, every time step in one graph node.

A recurrent layer applies the same cell at every step, feeding each step's state
into the next (the notes: o_t = f(x_t w + o_{t-1} w')). Composed from Tensor ops
that is some fifteen graph nodes per step; here the whole loop is one Function:

- forward computes the input projection of *all* steps at once, one GEMM
  (T·N, input) @ (input, G·H) for G gates, then loops over time on raw arrays,
  keeping the gate activations that each step's derivative needs;
- backward is backpropagation through time (BPTT): the same loop run in
  reverse, where the gradient reaching the state of step t is the gradient of
  the output at t plus what step t+1 sends back through W_hh:

      dL/dh_t = ∂L/∂output_t + dL/dh_{t+1} · ∂h_{t+1}/∂h_t

  Unrolled, the gradient of an early state is a product of one Jacobian per
  step; when these are small (saturated sigmoid or tanh, small W_hh) it shrinks
  geometrically: the notes' vanishing gradient, and the reason for the LSTM's
  additive cell path c_t = f ⊙ c_{t-1} + i ⊙ g. The weight gradients are sums
  over steps, so they are computed after the loop as one GEMM each:
  dW_hh = Σ_t dA_tᵀ h_{t-1},  dW_ih = Σ_t dA_tᵀ x_t,  dx = dA W_ih
  (dA: the gradients of the gate pre-activations).

Sequences are *packed* (PyTorch's PackedSequence layout): the rows of step t are
the first ``batch_sizes[t]`` sequences, those still running, sorted longest
first. A batch of equal lengths is the special case batch_sizes = (N,) * T. In
the reverse direction a sequence joins at its own last step, from the initial
state. A Function has one output, so the result is one array: the outputs of
every step followed by the final states (h_n, and c_n for the LSTM).
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.tensor import Function, Tensor


# ---- the packed-steps plumbing shared by every cell --------------------------------------------------------
def _schedule(batch_sizes, reverse: bool) -> list:
    """(first row, number of sequences) of every step, in the order the steps are computed."""
    steps, start = [], 0
    for size in batch_sizes:
        steps.append((start, size))
        start += size
    return steps[::-1] if reverse else steps


def _previous(previous_rows, initial, size: int):
    """The state the first ``size`` sequences enter a step with: the last step's outputs, and the
    initial state for sequences that start at this step (the reverse direction of a packed batch)."""
    computed = previous_rows.shape[0]
    if computed >= size:
        return previous_rows[:size]
    return backend.module_of(initial).concatenate((previous_rows, initial[computed:size]))


def _keep_final(final, rows, size: int, next_size: int) -> None:
    """Sequences next_size…size-1 take no further step: their final state is this step's."""
    if next_size < size:
        final[next_size:size] = rows[next_size:]


def _incoming_grad(carry, final_grad, size: int, initial_grad):
    """dL/d(state computed at this step), for its ``size`` sequences: what the next step sent back
    (``carry``) plus, for sequences that end here, the gradient of their final state. Rows of ``carry``
    beyond ``size`` belong to sequences that started at the next step, from the initial state.
    Always an array of our own, which the caller may change in place."""
    computed = carry.shape[0]
    if computed == size:
        return carry
    if computed > size:
        initial_grad[size:computed] += carry[size:]
        return carry[:size]
    grad = backend.module_of(final_grad).empty((size, final_grad.shape[1]), dtype=final_grad.dtype)
    grad[:computed] = carry
    grad[computed:] = final_grad[computed:size]
    return grad


def _stack_previous(outputs, initial, steps):
    """(total, H): the state every row entered its step with, for the one-GEMM dW_hh = dAᵀ h_prev."""
    stacked = backend.module_of(outputs).empty_like(outputs)
    previous_rows = initial
    for start, size in steps:
        stacked[start:start + size] = _previous(previous_rows, initial, size)
        previous_rows = outputs[start:start + size]
    return stacked


def _sigmoid_(a) -> None:
    """σ(a) = 1 / (1 + e^-a), in place; e^-a overflows to inf for very negative a, giving the right limit 0."""
    xp = backend.module_of(a)
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


def _times_sigmoid_derivative_(grad, s) -> None:
    """grad ⊙= σ'(a) = s (1 - s), with s = σ(a), in place."""
    derivative = 1 - s
    derivative *= s
    grad *= derivative


def _times_tanh_derivative_(grad, t) -> None:
    """grad ⊙= tanh'(a) = 1 - t², with t = tanh(a), in place."""
    derivative = t * t
    backend.module_of(t).subtract(1, derivative, out=derivative)
    grad *= derivative


class _Sequence(Function):
    """What the three cells share: arguments, the packed schedule, the weight gradients after the loop.

    Inputs: x (T, N, input) or packed (total, input); the initial states (N, H) each;
    W_ih (G·H, input); W_hh (G·H, H); optionally b_ih and b_hh (G·H,). A subclass gives
    ``run`` (the forward loop) and ``run_backward`` (BPTT), which returns the gradients of the
    pre-activations of the input product x W_ihᵀ + b_ih and of the hidden product h W_hhᵀ + b_hh.
    """

    state_count = 1  # h, and c for the LSTM

    def forward(self, x, *arrays, batch_sizes, reverse):
        count = self.state_count
        self.initial = arrays[:count]  # h0 (, c0): (N, H) each
        self.weight_ih, self.weight_hh = arrays[count], arrays[count + 1]
        biases = arrays[count + 2:]
        self.has_bias = bool(biases)
        self.x_shape = x.shape
        self.x = x.reshape(-1, x.shape[-1])  # (total, input): a batch of equal lengths is packed already
        batch, hidden = self.initial[0].shape
        total = self.x.shape[0]
        if batch_sizes is None:
            batch_sizes = (batch,) * (total // batch)
        self.steps = _schedule(batch_sizes, reverse)
        result = backend.module_of(x).empty((total + count * batch, hidden), dtype=x.dtype)
        self.outputs = result[:total]  # (total, H): h_t of every row
        finals = [result[total + k * batch:total + (k + 1) * batch] for k in range(count)]  # h_n (, c_n)
        with numpy.errstate(over="ignore"):
            self.run(self.outputs, finals, biases)
        if len(self.x_shape) == 3:
            return result.reshape(-1, batch, hidden)  # (T + states, N, H)
        return result

    def backward(self, grad):
        count, batch, hidden = self.state_count, *self.initial[0].shape
        grad = grad.reshape(-1, hidden)
        total = self.x.shape[0]
        final_grads = [grad[total + k * batch:total + (k + 1) * batch] for k in range(count)]
        initial_grads = [backend.module_of(grad).zeros_like(state) for state in self.initial]
        input_gates, hidden_gates = self.run_backward(grad[:total], final_grads, initial_grads)  # (total, G·H)
        needs = self.needs_input_grad
        grads = [(input_gates @ self.weight_ih).reshape(self.x_shape) if needs[0] else None]
        grads += [g if needs[1 + k] else None for k, g in enumerate(initial_grads)]
        grads.append(input_gates.T @ self.x if needs[count + 1] else None)
        grads.append(hidden_gates.T @ _stack_previous(self.outputs, self.initial[0], self.steps)
                     if needs[count + 2] else None)
        if self.has_bias:
            grads.append(input_gates.sum(axis=0) if needs[count + 3] else None)
            grads.append(hidden_gates.sum(axis=0) if needs[count + 4] else None)
        return tuple(grads)

    def next_sizes(self):
        """For each step, the number of sequences the step after it computes (0 after the last)."""
        return [size for _, size in self.steps[1:]] + [0]


class RNNSequence(_Sequence):
    """Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), act = tanh or ReLU."""

    def forward(self, x, *arrays, batch_sizes=None, reverse=False, nonlinearity="tanh"):
        self.nonlinearity = nonlinearity
        return super().forward(x, *arrays, batch_sizes=batch_sizes, reverse=reverse)

    def run(self, outputs, finals, biases):
        xp = backend.module_of(outputs)
        (h0,), (h_n,) = self.initial, finals
        xp.matmul(self.x, self.weight_ih.T, out=outputs)  # every step's input product in one GEMM
        if biases:
            outputs += biases[0] + biases[1]
        weight_hh_t = self.weight_hh.T
        previous_rows = h0
        for (start, size), next_size in zip(self.steps, self.next_sizes(), strict=True):
            h = outputs[start:start + size]  # (n, H), holding the input product until now
            h += _previous(previous_rows, h0, size) @ weight_hh_t
            if self.nonlinearity == "tanh":
                xp.tanh(h, out=h)
            else:
                xp.maximum(h, 0, out=h)
            _keep_final(h_n, h, size, next_size)
            previous_rows = h

    def run_backward(self, output_grads, final_grads, initial_grads):
        xp = backend.module_of(output_grads)
        pre_activation_grads = xp.empty_like(output_grads)  # (total, H)
        carry = output_grads[:0]
        for start, size in reversed(self.steps):
            rows = slice(start, start + size)
            grad_h = _incoming_grad(carry, final_grads[0], size, initial_grads[0])
            grad_a = pre_activation_grads[rows]
            xp.add(grad_h, output_grads[rows], out=grad_a)
            if self.nonlinearity == "tanh":
                _times_tanh_derivative_(grad_a, self.outputs[rows])
            else:
                grad_a *= self.outputs[rows] > 0
            carry = grad_a @ self.weight_hh  # dL/dh_{t-1} through W_hh: (n, H)
        initial_grads[0][:carry.shape[0]] += carry
        return pre_activation_grads, pre_activation_grads


class LSTMSequence(_Sequence):
    """LSTM, gates in PyTorch's order i, f, g, o (rows of W_ih, W_hh):

        [i; f; g; o] = [σ; σ; tanh; σ](x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)
        c_t = f ⊙ c_{t-1} + i ⊙ g          h_t = o ⊙ tanh(c_t)
    """

    state_count = 2

    def run(self, outputs, finals, biases):
        xp = backend.module_of(outputs)
        (h0, c0), (h_n, c_n) = self.initial, finals
        hidden = h0.shape[1]
        gates = self.x @ self.weight_ih.T  # (total, 4H): every step's input product in one GEMM
        if biases:
            gates += biases[0] + biases[1]
        self.gates = gates  # becomes the activated gates, kept for backward
        self.cells = xp.empty_like(outputs)  # c_t
        self.tanh_cells = xp.empty_like(outputs)  # tanh(c_t)
        weight_hh_t = self.weight_hh.T
        h_rows, c_rows = h0, c0
        for (start, size), next_size in zip(self.steps, self.next_sizes(), strict=True):
            rows = slice(start, start + size)
            a = gates[rows]  # (n, 4H)
            a += _previous(h_rows, h0, size) @ weight_hh_t
            _sigmoid_(a[:, :2 * hidden])  # i, f
            _sigmoid_(a[:, 3 * hidden:])  # o
            g = a[:, 2 * hidden:3 * hidden]
            xp.tanh(g, out=g)
            c = self.cells[rows]
            xp.multiply(a[:, hidden:2 * hidden], _previous(c_rows, c0, size), out=c)
            c += a[:, :hidden] * g
            tanh_c = self.tanh_cells[rows]
            xp.tanh(c, out=tanh_c)
            h = outputs[rows]
            xp.multiply(a[:, 3 * hidden:], tanh_c, out=h)
            _keep_final(h_n, h, size, next_size)
            _keep_final(c_n, c, size, next_size)
            h_rows, c_rows = h, c

    def run_backward(self, output_grads, final_grads, initial_grads):
        xp = backend.module_of(output_grads)
        (h0, c0), (final_h_grad, final_c_grad), (h0_grad, c0_grad) = self.initial, final_grads, initial_grads
        hidden = h0.shape[1]
        gate_grads = xp.empty_like(self.gates)  # (total, 4H)
        carry_h = carry_c = output_grads[:0]
        for index in reversed(range(len(self.steps))):
            start, size = self.steps[index]
            rows = slice(start, start + size)
            gates, tanh_c = self.gates[rows], self.tanh_cells[rows]
            i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
            grad_h = _incoming_grad(carry_h, final_h_grad, size, h0_grad)
            grad_h += output_grads[rows]
            grad_c = _incoming_grad(carry_c, final_c_grad, size, c0_grad)
            d = gate_grads[rows]
            grad_i, grad_f, grad_g, grad_o = (d[:, k * hidden:(k + 1) * hidden] for k in range(4))
            xp.multiply(grad_h, tanh_c, out=grad_o)  # h = o ⊙ tanh(c)
            through_tanh = grad_h * o
            _times_tanh_derivative_(through_tanh, tanh_c)
            grad_c += through_tanh  # dL/dc_t: from h_t, and from c_{t+1} (carried)
            if index == 0:
                c_previous = c0[:size]
            else:
                previous_start, previous_size = self.steps[index - 1]
                c_previous = _previous(self.cells[previous_start:previous_start + previous_size], c0, size)
            xp.multiply(grad_c, g, out=grad_i)  # c = f ⊙ c_prev + i ⊙ g
            xp.multiply(grad_c, c_previous, out=grad_f)
            xp.multiply(grad_c, i, out=grad_g)
            _times_sigmoid_derivative_(d[:, :2 * hidden], gates[:, :2 * hidden])
            _times_sigmoid_derivative_(grad_o, o)
            _times_tanh_derivative_(grad_g, g)
            carry_c = grad_c * f  # dL/dc_{t-1}: the additive path
            carry_h = d @ self.weight_hh  # dL/dh_{t-1} through W_hh: (n, H)
        h0_grad[:carry_h.shape[0]] += carry_h
        c0_grad[:carry_c.shape[0]] += carry_c
        return gate_grads, gate_grads


class GRUSequence(_Sequence):
    """GRU, gates in PyTorch's order r, z, n (rows of W_ih, W_hh):

        r = σ(x W_irᵀ + b_ir + h_{t-1} W_hrᵀ + b_hr)        z = σ(x W_izᵀ + b_iz + h_{t-1} W_hzᵀ + b_hz)
        n = tanh(x W_inᵀ + b_in + r ⊙ (h_{t-1} W_hnᵀ + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}  =  n + z ⊙ (h_{t-1} - n)
    """

    def run(self, outputs, finals, biases):
        xp = backend.module_of(outputs)
        (h0,), (h_n,) = self.initial, finals
        hidden = h0.shape[1]
        input_gates = self.x @ self.weight_ih.T  # (total, 3H): every step's input product in one GEMM
        if biases:
            input_gates += biases[0]
        self.gates = input_gates  # becomes r, z, n, kept for backward
        self.hidden_products = xp.empty_like(input_gates)  # h_{t-1} W_hhᵀ + b_hh: its n part is used twice
        weight_hh_t = self.weight_hh.T
        previous_rows = h0
        for (start, size), next_size in zip(self.steps, self.next_sizes(), strict=True):
            rows = slice(start, start + size)
            h_previous = _previous(previous_rows, h0, size)
            a, product = input_gates[rows], self.hidden_products[rows]  # (n, 3H) each
            xp.matmul(h_previous, weight_hh_t, out=product)
            if biases:
                product += biases[1]
            a[:, :2 * hidden] += product[:, :2 * hidden]
            _sigmoid_(a[:, :2 * hidden])  # r, z
            candidate = a[:, 2 * hidden:]
            candidate += a[:, :hidden] * product[:, 2 * hidden:]
            xp.tanh(candidate, out=candidate)  # n
            h = outputs[rows]
            xp.subtract(h_previous, candidate, out=h)
            h *= a[:, hidden:2 * hidden]
            h += candidate
            _keep_final(h_n, h, size, next_size)
            previous_rows = h

    def run_backward(self, output_grads, final_grads, initial_grads):
        xp = backend.module_of(output_grads)
        (h0,), (h0_grad,) = self.initial, initial_grads
        hidden = h0.shape[1]
        input_gate_grads = xp.empty_like(self.gates)  # (total, 3H)
        hidden_gate_grads = xp.empty_like(self.gates)
        carry = output_grads[:0]
        for index in reversed(range(len(self.steps))):
            start, size = self.steps[index]
            rows = slice(start, start + size)
            gates, product = self.gates[rows], self.hidden_products[rows]
            r, z, n = (gates[:, k * hidden:(k + 1) * hidden] for k in range(3))
            if index == 0:
                h_previous = h0[:size]
            else:
                previous_start, previous_size = self.steps[index - 1]
                h_previous = _previous(self.outputs[previous_start:previous_start + previous_size], h0, size)
            grad_h = _incoming_grad(carry, final_grads[0], size, h0_grad)
            grad_h += output_grads[rows]
            d_input, d_hidden = input_gate_grads[rows], hidden_gate_grads[rows]
            grad_r, grad_z, grad_n = (d_input[:, k * hidden:(k + 1) * hidden] for k in range(3))
            xp.subtract(h_previous, n, out=grad_z)  # h = n + z ⊙ (h_prev - n)
            grad_z *= grad_h
            xp.subtract(1, z, out=grad_n)
            grad_n *= grad_h
            _times_tanh_derivative_(grad_n, n)  # now dL/d(pre-activation of n)
            xp.multiply(grad_n, r, out=d_hidden[:, 2 * hidden:])  # through r ⊙ (h W_hnᵀ + b_hn)
            xp.multiply(grad_n, product[:, 2 * hidden:], out=grad_r)
            _times_sigmoid_derivative_(d_input[:, :2 * hidden], gates[:, :2 * hidden])
            d_hidden[:, :2 * hidden] = d_input[:, :2 * hidden]
            carry = d_hidden @ self.weight_hh  # dL/dh_{t-1} through W_hh, plus the direct path through z
            carry += grad_h * z
        h0_grad[:carry.shape[0]] += carry
        return input_gate_grads, hidden_gate_grads


def _split(result: Tensor, packed: bool, batch: int, state_count: int) -> tuple:
    """(outputs, *final states) out of one sequence Function's result."""
    if not packed:  # (T + states, N, H)
        steps = result.shape[0] - state_count
        return (result[:steps],) + tuple(result[steps + k] for k in range(state_count))
    total = result.shape[0] - state_count * batch  # (total + states · N, H)
    return (result[:total],) + tuple(result[total + k * batch:total + (k + 1) * batch] for k in range(state_count))


def _weights(weight_ih, weight_hh, bias_ih, bias_hh) -> tuple:
    if (bias_ih is None) != (bias_hh is None):
        raise ValueError("recurrent sequence: give both biases (b_ih and b_hh) or neither")
    return (weight_ih, weight_hh) if bias_ih is None else (weight_ih, weight_hh, bias_ih, bias_hh)


def rnn_sequence(input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
                 bias_hh: Tensor | None = None, batch_sizes=None, reverse: bool = False,
                 nonlinearity: str = "tanh") -> tuple:
    """One direction of an Elman RNN layer over (T, N, input) or packed (total, input) → (output, h_n)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'")
    result = RNNSequence.apply(input, h0, *_weights(weight_ih, weight_hh, bias_ih, bias_hh),
                               batch_sizes=batch_sizes, reverse=reverse, nonlinearity=nonlinearity)
    return _split(result, input.ndim == 2, h0.shape[0], 1)


def lstm_sequence(input: Tensor, h0: Tensor, c0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                  bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, batch_sizes=None,
                  reverse: bool = False) -> tuple:
    """One direction of an LSTM layer over (T, N, input) or packed (total, input) → (output, h_n, c_n)."""
    result = LSTMSequence.apply(input, h0, c0, *_weights(weight_ih, weight_hh, bias_ih, bias_hh),
                                batch_sizes=batch_sizes, reverse=reverse)
    return _split(result, input.ndim == 2, h0.shape[0], 2)


def gru_sequence(input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
                 bias_hh: Tensor | None = None, batch_sizes=None, reverse: bool = False) -> tuple:
    """One direction of a GRU layer over (T, N, input) or packed (total, input) → (output, h_n)."""
    result = GRUSequence.apply(input, h0, *_weights(weight_ih, weight_hh, bias_ih, bias_hh),
                               batch_sizes=batch_sizes, reverse=reverse)
    return _split(result, input.ndim == 2, h0.shape[0], 1)
