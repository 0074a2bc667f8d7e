"""SGD, SGD with momentum, Adagrad, RMSprop and Adam on a non-convex surface with a local minimum.

The notes: in deep learning the loss is non-convex; "gradient descent may get stuck in local minima".
The optimizers differ in what they do with the gradient g = ∂L/∂w (η the learning rate):

    SGD            w ← w - η g
    momentum       v ← μ v + g,  w ← w - η v     (the notes' EMA V = β V + (1 - β) g: the same path
                                                   with η scaled by 1 - β): a ball rolling downhill
    Adagrad        α ← α + g²,  w ← w - η g / (√α + ε)          per-weight rate that only shrinks
    RMSprop        s ← β s + (1 - β) g²,  w ← w - η g / (√s + ε)  Adagrad's sum made a moving average
    Adam           m ← β₁ m + (1 - β₁) g,  s ← β₂ s + (1 - β₂) g²,
                   w ← w - η m̂ / (√ŝ + ε),  m̂ = m / (1 - β₁ᵗ),  ŝ = s / (1 - β₂ᵗ)   momentum + RMSprop

The surface is a bowl with a deep global well and, on the way to it, a small local well:

    L(x, y) = 0.05 ‖p - g‖² - 2 exp(-‖p - g‖² / 2) - 0.5 exp(-‖p - l‖² / (2 · 0.3²)),   p = (x, y)

written with glassbox operations, so autograd gives its gradient; each optimizer from ``glassbox.optim``
moves one 2-element parameter p from the same start. Plain SGD, Adagrad and RMSprop slide into the
local well and stay there (the gradient there is zero); momentum and Adam carry the speed they built
up through the shallow well and reach the global one. Which optimizer escapes depends on the learning
rates and the well's size: this is one surface, not a ranking.

    python examples/optimizers_surface.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import optim

GLOBAL_WELL, LOCAL_WELL, START = (2.0, -1.5), (-2.0, 1.77), (-3.5, 3.0)
OPTIMIZERS = {
    "SGD (η = 0.1)": lambda params: optim.SGD(params, lr=0.1),
    "SGD + momentum 0.9 (η = 0.1)": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "Adagrad (η = 0.5)": lambda params: optim.Adagrad(params, lr=0.5),
    "RMSprop (η = 0.05)": lambda params: optim.RMSprop(params, lr=0.05),
    "Adam (η = 0.1)": lambda params: optim.Adam(params, lr=0.1),
}


def squared_distance(x, y, centre):
    return (x - centre[0]) ** 2 + (y - centre[1]) ** 2


def surface(x, y):
    """L(x, y) for tensors x and y of any (broadcastable) shapes."""
    to_global, to_local = squared_distance(x, y, GLOBAL_WELL), squared_distance(x, y, LOCAL_WELL)
    return 0.05 * to_global - 2.0 * (-to_global / 2.0).exp() - 0.5 * (-to_local / (2 * 0.3**2)).exp()


def trajectory(make_optimizer, steps: int, start=START) -> list[tuple[float, float, float]]:
    """The points (x, y, L) the optimizer visits from ``start``."""
    point = gb.tensor(start, requires_grad=True)  # the one parameter: (2,)
    optimizer = make_optimizer([point])
    visited = []
    for _ in range(steps):
        loss = surface(point[0], point[1])
        visited.append((*point.tolist(), loss.item()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    visited.append((*point.tolist(), surface(point[0], point[1]).item()))
    return visited


def plot(paths: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = gb.linspace(-4.5, 4.5, 181).reshape(1, -1)  # (1, 181)
    y = gb.linspace(-4.0, 4.0, 161).reshape(-1, 1)  # (161, 1)
    heights = surface(x, y).numpy()  # (161, 181) by broadcasting
    figure, (contour, losses) = plt.subplots(1, 2, figsize=(13, 5.5))
    filled = contour.contourf(x.numpy()[0], y.numpy()[:, 0], heights, levels=30, cmap="viridis")
    figure.colorbar(filled, ax=contour)
    for name, points in paths.items():
        contour.plot([p[0] for p in points], [p[1] for p in points], ".-", markersize=3, linewidth=1, label=name)
        losses.plot([p[2] for p in points], label=name)
    contour.plot(*START, "w*", markersize=12)
    contour.plot(*LOCAL_WELL, "wx", markersize=9)
    contour.plot(*GLOBAL_WELL, "wx", markersize=9)
    contour.set(xlabel="x", ylabel="y", title="trajectories from the same start (★); minima (×)")
    contour.legend(fontsize="x-small", loc="lower left")
    losses.set(xlabel="step", ylabel="L(x, y)", title="height along the trajectory")
    losses.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", steps: int = 150):
    paths = {name: trajectory(make, steps) for name, make in OPTIMIZERS.items()}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "optimizers_surface.png"
    plot(paths, path)
    global_minimum = surface(gb.tensor(GLOBAL_WELL[0]), gb.tensor(GLOBAL_WELL[1])).item()
    for name, points in paths.items():
        x, y, height = points[-1]
        where = "global well" if height < global_minimum + 0.1 else "stuck" if height > 0 else "on its way"
        print(f"{name:30s} ends at ({x:+.2f}, {y:+.2f}), L = {height:+.3f}  ({where})")
    print(f"The global minimum is L = {global_minimum:.3f} at {GLOBAL_WELL}; without momentum the optimizers "
          "stop in the local well, with it (momentum, Adam) they roll through.")
    print(f"saved {path}")
    return paths, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
