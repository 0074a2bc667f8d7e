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
  over steps, so they are computed after the loop, as GEMMs over all steps:
  dW_hh = Σ_t dA_tᵀ h_{t-1},  dW_ih = Σ_t dA_tᵀ x_t,  dx = dA W_ih
  (dA: the gradients of the gate pre-activations, saved by the loop).

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
from glassbox.autograd import Function


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


def _stack_previous(outputs, initial, steps, stacked):
    """Fill ``stacked`` (total, H) with the state every row entered its step with, for dW_hh = dAᵀ h_prev."""
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
    xp.divide(1, a, out=a)  # NumPy's divide by an array runs faster than its reciprocal


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
        self.steps = _schedule(batch_sizes, reverse)
        result = backend.module_of(x).empty((total + count * batch, hidden), dtype=x.dtype)
        self.outputs = result[:total]  # (total, H): h_t of every row
        finals = [result[total + k * batch:total + (k + 1) * batch] for k in range(count)]  # h_n (, c_n)
        with numpy.errstate(over="ignore"):
            self.run(self.outputs, finals, biases)
        if len(self.x_shape) == 3:
            return result.reshape(self.x_shape[0] + count, batch, hidden)  # (T + states, N, H)
        return result

    def backward(self, grad):
        count, batch, hidden = self.state_count, *self.initial[0].shape
        grad = grad.reshape(-1, hidden)
        total = self.x.shape[0]
        final_grads = [grad[total + k * batch:total + (k + 1) * batch] for k in range(count)]
        initial_grads = [backend.module_of(grad).zeros_like(state) for state in self.initial]
        input_gates, hidden_gates = self.run_backward(grad[:total], final_grads, initial_grads)  # (total, G·H)
        needs = self.needs_input_grad
        xp = backend.module_of(grad)
        need_ih, need_hh = needs[count + 1], needs[count + 2]
        grad_ih = grad_hh = None
        if need_ih and need_hh and input_gates is hidden_gates:
            # LSTM and RNN: both weight gradients in one GEMM dAᵀ [h_prev | x], which runs faster than
            # the two, the thin (total, input) one above all
            previous_and_x = xp.empty((total, hidden + self.x.shape[1]), dtype=grad.dtype)
            _stack_previous(self.outputs, self.initial[0], self.steps, previous_and_x[:, :hidden])
            previous_and_x[:, hidden:] = self.x
            both = input_gates.T @ previous_and_x  # (G·H, H + input)
            grad_hh, grad_ih = xp.ascontiguousarray(both[:, :hidden]), xp.ascontiguousarray(both[:, hidden:])
        else:
            if need_ih:
                grad_ih = input_gates.T @ self.x  # (G·H, input)
            if need_hh:
                previous = _stack_previous(self.outputs, self.initial[0], self.steps, xp.empty_like(self.outputs))
                grad_hh = hidden_gates.T @ previous  # (G·H, H)
        grads = [(input_gates @ self.weight_ih).reshape(self.x_shape) if needs[0] else None]
        grads += [g if needs[1 + k] else None for k, g in enumerate(initial_grads)]
        grads += [grad_ih, grad_hh]
        if self.has_bias:
            bias_ih = input_gates.sum(axis=0)  # (G·H,)
            bias_hh = bias_ih.copy() if hidden_gates is input_gates else hidden_gates.sum(axis=0)
            grads += [bias_ih if needs[count + 3] else None, bias_hh if needs[count + 4] else None]
        return tuple(grads)

    def next_sizes(self):
        """For each step, the number of sequences the step after it computes (0 after the last)."""
        return [size for _, size in self.steps[1:]] + [0]


class RNNSequence(_Sequence):
    """Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), act = tanh or ReLU."""

    def forward(self, x, *arrays, batch_sizes, reverse, nonlinearity):
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

    g goes through the same sigmoid as the other gates, tanh(a) = 2σ(2a) - 1: one exp over the
    contiguous (n, 4H) block is cheaper than sigmoids on three column slices plus a tanh.
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
        product = xp.empty((h0.shape[0], 4 * hidden), dtype=outputs.dtype)
        scratch = xp.empty_like(h0)
        h_rows, c_rows = h0, c0
        for (start, size), next_size in zip(self.steps, self.next_sizes(), strict=True):
            rows = slice(start, start + size)
            a = gates[rows]  # (n, 4H)
            xp.matmul(_previous(h_rows, h0, size), weight_hh_t, out=product[:size])
            a += product[:size]
            i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            g *= 2
            _sigmoid_(a)
            g *= 2
            g -= 1  # tanh of the pre-activation
            c = self.cells[rows]
            xp.multiply(f, _previous(c_rows, c0, size), out=c)
            c += xp.multiply(i, g, out=scratch[:size])
            tanh_c = self.tanh_cells[rows]
            xp.tanh(c, out=tanh_c)
            h = outputs[rows]
            xp.multiply(o, tanh_c, out=h)
            _keep_final(h_n, h, size, next_size)
            _keep_final(c_n, c, size, next_size)
            h_rows, c_rows = h, c

    def run_backward(self, output_grads, final_grads, initial_grads):
        xp = backend.module_of(output_grads)
        (h0, c0), (final_h_grad, final_c_grad), (h0_grad, c0_grad) = self.initial, final_grads, initial_grads
        hidden = h0.shape[1]
        gate_grads = xp.empty_like(self.gates)  # (total, 4H)
        derivative = xp.empty((h0.shape[0], 4 * hidden), dtype=self.gates.dtype)
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
            # dL/dc_t: from c_{t+1} (carried) and from h_t, through o ⊙ (1 - tanh²c) = o - h ⊙ tanh(c)
            through_h = xp.multiply(self.outputs[rows], tanh_c, out=grad_i)
            xp.subtract(o, through_h, out=through_h)
            through_h *= grad_h
            grad_c += through_h
            if index == 0:
                c_previous = c0[:size]
            else:
                previous_start, previous_size = self.steps[index - 1]
                c_previous = _previous(self.cells[previous_start:previous_start + previous_size], c0, size)
            xp.multiply(grad_c, g, out=grad_i)  # c = f ⊙ c_prev + i ⊙ g
            xp.multiply(grad_c, c_previous, out=grad_f)
            xp.multiply(grad_c, i, out=grad_g)
            # from gate outputs to pre-activations, all four at once: σ' = s (1 - s), and tanh' = 1 - g² for g
            slope = derivative[:size]
            xp.subtract(1, gates, out=slope)
            slope *= gates
            slope_g = slope[:, 2 * hidden:3 * hidden]
            xp.multiply(g, g, out=slope_g)
            xp.subtract(1, slope_g, out=slope_g)
            d *= slope
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
