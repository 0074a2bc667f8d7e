"""XOR with a 2-layer network, using nothing but the glassbox core.

XOR is the classic problem a single neuron cannot solve (it is not linearly
separable); one hidden layer can. The network is written out by hand:

    h = tanh(x W1 + b1)          (4 × 2) @ (2 × 8) → (4 × 8)
    p = sigmoid(h W2 + b2)       (4 × 8) @ (8 × 1) → (4 × 1)
    loss = mean((p - y)²)

and trained with plain gradient descent: w ← w - lr · dL/dw.
"""

import glassbox as gb


def train_xor(steps: int = 2000, learning_rate: float = 1.0, hidden: int = 8, seed: int = 0, report_every: int = 200):
    gb.manual_seed(seed)
    x = gb.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = gb.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = (gb.randn(2, hidden) * 1.0).requires_grad_()
    b1 = gb.zeros(hidden, requires_grad=True)
    w2 = (gb.randn(hidden, 1) * 1.0).requires_grad_()
    b2 = gb.zeros(1, requires_grad=True)
    parameters = [w1, b1, w2, b2]
    losses = []
    for step in range(steps + 1):
        hidden_out = (x @ w1 + b1).tanh()
        prediction = (hidden_out @ w2 + b2).sigmoid()
        loss = ((prediction - y) ** 2).mean()
        for p in parameters:
            p.grad = None
        loss.backward()
        with gb.no_grad():
            for p in parameters:
                p -= learning_rate * p.grad
        losses.append(loss.item())
        if report_every and step % report_every == 0:
            print(f"step {step:5d}   loss {loss.item():.6f}")
    return prediction.detach(), losses


if __name__ == "__main__":
    prediction, losses = train_xor()
    print("inputs   target   prediction")
    for inputs, target, p in zip([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0], prediction.tolist(), strict=True):
        print(f"{inputs}   {target}        {p[0]:.3f}")
    print(f"loss fell from {losses[0]:.4f} to {losses[-1]:.4f}")
