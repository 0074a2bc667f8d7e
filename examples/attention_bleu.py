"""Why attention: translation quality against input length, with and without it (the notes' BLEU figure).

The notes: an encoder-decoder squeezes the whole source into one context vector, so "whenever you have a
long sentence, the accuracy is not that good ... as the sentence length increases the BLEU score is
coming down". Attention lets every output step look at every encoder state h_j,

    α_ij = exp(e_ij) / Σ_k exp(e_ik)            c_i = Σ_j α_ij h_j

and the score stays up. Here both models translate lists of one to three human-readable dates into
ISO 8601 ("Wed, 25 Nov 26; 11/03/2027" → "2026-11-25 2027-11-03", ``glassbox.text.dates``), so a longer
input carries more to translate, as a longer sentence does. Both have the same bidirectional GRU
encoder, the same size and the same training (Adam, teacher forcing, gradient clipping); only the
decoder differs: the plain one starts from the context vector alone, the other attends (Luong's score).

It plots corpus BLEU (``glassbox.text.bleu``, sacreBLEU's 13a tokenisation: "2026 - 11 - 25") and exact
match per input-length bucket on held-out dates, and the attention weights α of one example: each
output character looks at the input characters that spell it.

    python examples/attention_bleu.py --out runs/examples            # about 6 minutes on one core
    python examples/attention_bleu.py --out runs/examples --fast     # seconds: a smoke run, not the result
"""

import argparse
from pathlib import Path

import numpy

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import optim
from glassbox.data import DataLoader
from glassbox.models.seq2seq import Seq2Seq
from glassbox.nn.utils import clip_grad_norm_
from glassbox.text.bleu import corpus_bleu
from glassbox.text.dates import date_splits

LENGTH_EDGES = (0, 15, 30, 45, 60, 90, 120, 1000)
MODELS = {"plain seq2seq": None, "attention (Luong)": "luong"}


def train(attention, train_set, steps: int, hidden: int, embedding: int, seed: int = 0, log_every: int = 0):
    """Adam on the cross-entropy of the teacher-forced target, gradient norm clipped to 1."""
    gb.manual_seed(seed)
    model = Seq2Seq(len(train_set.source_vocab), len(train_set.target_vocab), embedding, hidden, cell="gru",
                    attention=attention, bidirectional=True)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True, generator=seed)
    losses, step = [], 0
    while step < steps:
        for batch in loader:
            logits = model(batch.source, batch.source_lengths, batch.target)  # (N, T, V)
            loss = F.cross_entropy(logits.transpose(1, 2), batch.target, ignore_index=model.pad_index)
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), max_norm=1.0)  # one long-sequence batch must not throw the weights
            optimizer.step()
            losses.append(loss.item())
            step += 1
            if log_every and step % log_every == 0:
                print(f"  step {step:5d}  loss {numpy.mean(losses[-log_every:]):.4f}", flush=True)
            if step == steps:
                break
    return model.eval(), losses


def translate(model, dataset, max_length: int):
    batch = dataset.get_batch(numpy.arange(len(dataset)))
    tokens, _ = model.greedy_decode(batch.source, batch.source_lengths, max_length=max_length)
    return [dataset.decode_target(row) for row in tokens.numpy()]


def scores_by_length(dataset, predictions) -> list:
    """(shortest, longest, count, exact match, corpus BLEU) for each input-length bucket that has examples."""
    references = [target for _, target in dataset.pairs]
    rows = []
    for low, high in zip(LENGTH_EDGES[:-1], LENGTH_EDGES[1:], strict=True):
        members = numpy.flatnonzero((dataset.source_lengths >= low) & (dataset.source_lengths < high))
        if len(members) == 0:
            continue
        hypotheses, truths = [predictions[i] for i in members], [references[i] for i in members]
        exact = float(numpy.mean([h == t for h, t in zip(hypotheses, truths, strict=True)]))
        rows.append((low, high, len(members), exact, corpus_bleu(hypotheses, [truths]).score))
    return rows


def plot_by_length(results: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (bleu_axis, exact_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, rows in results.items():
        centres = [(low + min(high, 200)) / 2 for low, high, *_ in rows]
        bleu_axis.plot(centres, [row[4] for row in rows], "o-", label=name)
        exact_axis.plot(centres, [100 * row[3] for row in rows], "o-", label=name)
    bleu_axis.set(xlabel="input length (characters)", ylabel="BLEU", ylim=(0, 102), title="BLEU by input length")
    exact_axis.set(xlabel="input length (characters)", ylabel="exact match (%)", ylim=(0, 102),
                   title="exact match by input length")
    for axis in (bleu_axis, exact_axis):
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_attention(model, dataset, index: int, path, max_length: int):
    """The weights α (output characters × input characters) of example ``index``; returns them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    batch = dataset.get_batch([index])
    tokens, weights = model.greedy_decode(batch.source, batch.source_lengths, max_length=max_length)
    written = [dataset.target_vocab.lookup_token(int(t)) for t in tokens.numpy()[0] if t != model.pad_index]
    source = dataset.pairs[index][0]
    alpha = weights.numpy()[0, :len(written), :len(source)]  # (outputs, inputs)
    figure, axis = plt.subplots(figsize=(max(6, 0.22 * len(source)), max(3, 0.3 * len(written))))
    axis.imshow(alpha, cmap="viridis", aspect="auto", vmin=0, vmax=1)
    axis.set_xticks(range(len(source)), [c if c != " " else "␣" for c in source])
    axis.set_yticks(range(len(written)), ["<eos>" if t == "<eos>" else t if t != " " else "␣" for t in written])
    axis.set(xlabel="input", ylabel="output", title=f"attention weights α: {source!r}")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return alpha


def main(out="runs/examples", steps: int = 1200, train_size: int = 20_000, test_size: int = 1_000,
         hidden: int = 64, embedding: int = 32, fast: bool = False, seed: int = 0):
    if fast:  # a smoke run of every piece: tiny data, tiny models, a few steps
        steps, train_size, test_size, hidden, embedding = 15, 400, 60, 16, 8
    train_set, _, test_set = date_splits(train_size, 0, test_size, seed=seed, dates_per_example=(1, 3))
    max_length = int(max(test_set.target_lengths)) + 1
    results, models, losses = {}, {}, {}
    for name, attention in MODELS.items():
        print(f"training {name} ({steps} steps)")
        models[name], losses[name] = train(attention, train_set, steps, hidden, embedding, seed,
                                           log_every=0 if fast else 200)
        results[name] = scores_by_length(test_set, translate(models[name], test_set, max_length))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_length_path, heat_map_path = out / "attention_bleu_by_length.png", out / "attention_weights.png"
    plot_by_length(results, by_length_path)
    example = int(numpy.argmin(numpy.abs(test_set.source_lengths - 45)))  # two dates, short enough to read
    alpha = plot_attention(models["attention (Luong)"], test_set, example, heat_map_path, max_length)
    print(f"\n{'input length':>14}  {'count':>5}  " + "  ".join(f"{name:>26}" for name in results))
    print(f"{'':>14}  {'':>5}  " + "  ".join(f"{'BLEU':>14} {'exact':>11}" for _ in results))
    for position, (low, high, count, *_) in enumerate(next(iter(results.values()))):
        cells = "  ".join(f"{rows[position][4]:14.1f} {100 * rows[position][3]:10.1f}%" for rows in results.values())
        print(f"{low:>6} – {high:<5}  {count:5d}  {cells}")
    print(f"plots: {by_length_path}, {heat_map_path}")
    return {"by_length": results, "losses": losses, "attention": alpha, "example": test_set.pairs[example],
            "paths": (by_length_path, heat_map_path)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--fast", action="store_true", help="a tiny smoke run (seconds)")
    arguments = parser.parse_args()
    main(arguments.out, steps=arguments.steps, hidden=arguments.hidden, fast=arguments.fast)
