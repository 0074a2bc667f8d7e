"""A character-level GPT trained on English text, printing what it writes as it learns.

The notes' transformers "can predict what could happen next": a GPT (``glassbox.models.gpt``, after
nanoGPT) reads a block of characters and predicts, at every position, the character that follows. It
is trained on the glosses of WordNet (the definitions and examples of the English nouns, already on
the machine: ``glassbox.text.corpus``) or on any text file given by ``--text``; the last 10 % of the
text is held out to measure the validation loss.

The training loop is nanoGPT's: AdamW with weight decay on the matrices only
(``GPT.configure_optimizers``), a learning rate that warms up linearly and then decays along a cosine,
gradient norm clipped to 1. Every ``--sample-every`` steps it prints the training and validation loss
(cross-entropy in nats per character; ln(vocabulary) for a model that knows nothing) and a sample drawn
with ``GPT.generate`` (temperature 0.8, top-k 10): first noise, then words, then gloss-like phrases.

    python examples/char_lm.py                         # WordNet noun glosses; about 10 minutes on one core
    python examples/char_lm.py --text my_book.txt --steps 2000
    python examples/char_lm.py --fast                  # a smoke run in seconds
"""

import argparse
import math
from pathlib import Path

import numpy

import glassbox as gb
from glassbox.models.gpt import GPT, GPTConfig
from glassbox.nn.utils import clip_grad_norm_
from glassbox.optim.lr_scheduler import LambdaLR


def load_text(path=None, sentences: int = 40_000) -> str:
    """The text of ``path``, or the first ``sentences`` WordNet noun-gloss sentences, one per line."""
    if path is not None:
        return Path(path).read_text(encoding="utf-8")
    from glassbox.text.corpus import wordnet_sentences

    return "\n".join(" ".join(words) for words in wordnet_sentences(parts_of_speech=("noun",), limit=sentences))


def random_blocks(data: numpy.ndarray, rng, block_size: int, batch: int):
    """``batch`` random windows of the text: inputs x (B, T) and the next characters y (B, T)."""
    starts = rng.integers(0, len(data) - block_size - 1, size=batch)
    x = numpy.stack([data[start:start + block_size] for start in starts])
    y = numpy.stack([data[start + 1:start + 1 + block_size] for start in starts])
    return gb.tensor(x), gb.tensor(y)


def warmup_then_cosine(warmup: int, total: int, floor: float = 0.1):
    """The learning-rate factor of step s: s / warmup, then a cosine from 1 down to ``floor``."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    return factor


def train(text: str, config: GPTConfig, steps: int, batch: int = 32, learning_rate: float = 1e-3,
          sample_every: int = 200, sample_length: int = 200, seed: int = 0):
    """Train on ``text``; returns the model, the characters, losses and the samples printed along the way."""
    characters = sorted(set(text))
    index = {character: position for position, character in enumerate(characters)}
    data = numpy.fromiter((index[character] for character in text), dtype=numpy.int64, count=len(text))
    split = int(0.9 * len(data))
    train_data, validation_data = data[:split], data[split:]
    if len(validation_data) <= config.block_size + 1:
        raise ValueError(f"char_lm: the text ({len(text)} characters) is too short for blocks of "
                         f"{config.block_size}; give a longer text or a smaller block size")
    config.vocab_size = len(characters)
    gb.manual_seed(seed)
    model = GPT(config)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=learning_rate, betas=(0.9, 0.99))
    scheduler = LambdaLR(optimizer, warmup_then_cosine(max(1, steps // 20), steps))
    rng = numpy.random.default_rng(seed)
    history = {"step": [], "train_loss": [], "validation_loss": [], "sample": []}
    losses = []
    for step in range(1, steps + 1):
        x, y = random_blocks(train_data, rng, config.block_size, batch)
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if step % sample_every == 0 or step == steps:
            model.eval()
            with gb.no_grad():
                validation = numpy.mean([model(*random_blocks(validation_data, rng, config.block_size, batch))[1].item()
                                         for _ in range(4)])
            prompt = gb.tensor([[index["\n"] if "\n" in index else 0]])
            written = model.generate(prompt, sample_length, temperature=0.8, top_k=10).numpy()[0, 1:]
            sample = "".join(characters[i] for i in written)
            model.train()
            for key, value in (("step", step), ("train_loss", float(numpy.mean(losses[-sample_every:]))),
                               ("validation_loss", float(validation)), ("sample", sample)):
                history[key].append(value)
            print(f"step {step:5d}  train loss {history['train_loss'][-1]:.3f}  validation loss {validation:.3f}"
                  f"\n{sample}\n", flush=True)
    return model, characters, losses, history


def main(text_path=None, steps: int = 1500, fast: bool = False, seed: int = 0):
    if fast:  # every piece once, on a small model: seconds
        config, steps, batch, sample_every, sample_length = (
            GPTConfig(block_size=32, n_layer=1, n_head=2, n_embd=32), min(steps, 60), 8, 30, 40)
        text = load_text(text_path, sentences=2_000)
    else:
        config, batch, sample_every, sample_length = (
            GPTConfig(block_size=64, n_layer=4, n_head=4, n_embd=128), 32, max(1, steps // 8), 200)
        text = load_text(text_path)
    print(f"{len(text):,} characters, {len(set(text))} distinct; uniform guess: loss ln({len(set(text))}) = "
          f"{math.log(len(set(text))):.3f}")
    model, characters, losses, history = train(text, config, steps, batch, sample_every=sample_every,
                                               sample_length=sample_length, seed=seed)
    print(f"{model.get_num_params():,} parameters; first loss {losses[0]:.3f}, last validation loss "
          f"{history['validation_loss'][-1]:.3f}")
    return {"characters": characters, "losses": losses, "history": history}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", help="a UTF-8 text file (default: WordNet's noun glosses)")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--fast", action="store_true", help="a tiny smoke run (seconds)")
    arguments = parser.parse_args()
    main(arguments.text, arguments.steps, arguments.fast)
