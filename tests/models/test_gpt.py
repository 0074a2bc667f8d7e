import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import optim
from glassbox.models.gpt import GPT, GPTConfig

TEXT = ("the quick brown fox jumps over the lazy dog. a stitch in time saves nine. all that glitters is not gold. "
        "the early bird catches the worm. ") * 4


def tiny_config(**changes):
    options = {"block_size": 16, "vocab_size": 13, "n_layer": 2, "n_head": 2, "n_embd": 16, "dropout": 0.0}
    options.update(changes)
    return GPTConfig(**options)


def tiny_model(seed=0, **changes):
    gb.manual_seed(seed)
    return GPT(tiny_config(**changes))


def torch_twin(model: GPT):
    """nanoGPT's model.py, written out in PyTorch, with the glassbox model's weights."""
    import torch
    from torch import nn

    config = model.config

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(config.n_embd, dim=2)
            q, k, v = (t.view(B, T, config.n_head, C // config.n_head).transpose(1, 2) for t in (q, k, v))
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.attn = SelfAttention()
            self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = nn.ModuleDict({"c_fc": nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias),
                                      "c_proj": nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)})

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp["c_proj"](torch.nn.functional.gelu(self.mlp["c_fc"](self.ln_2(x))))

    class TorchGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict({
                "wte": nn.Embedding(config.vocab_size, config.n_embd),
                "wpe": nn.Embedding(config.block_size, config.n_embd),
                "h": nn.ModuleList([Block() for _ in range(config.n_layer)]),
                "ln_f": nn.LayerNorm(config.n_embd, bias=config.bias)})
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx, targets):
            x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(idx.shape[1]))
            for block in self.transformer.h:
                x = block(x)
            logits = self.lm_head(self.transformer.ln_f(x))
            return logits, torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())

    twin = TorchGPT().double()
    twin.load_state_dict({name: torch.tensor(value.numpy()) for name, value in model.state_dict().items()})
    return twin


@pytest.mark.parametrize("bias", [True, False])
def test_logits_loss_and_gradients_equal_nanogpt_in_pytorch(bias):
    import torch

    model = tiny_model(bias=bias).double()
    twin = torch_twin(model)
    rng = np.random.default_rng(0)
    idx, targets = rng.integers(0, 13, size=(3, 16)), rng.integers(0, 13, size=(3, 16))
    logits, loss = model(gb.tensor(idx), gb.tensor(targets))
    loss.backward()
    theirs_logits, theirs_loss = twin(torch.tensor(idx), torch.tensor(targets))
    theirs_loss.backward()
    np.testing.assert_allclose(logits.detach().numpy(), theirs_logits.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert loss.item() == pytest.approx(theirs_loss.item(), rel=1e-12)
    theirs = dict(twin.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=name)


def test_the_output_head_and_the_token_embedding_are_one_parameter():
    model = tiny_model()
    assert model.lm_head.weight is model.transformer.wte.weight
    parameters = list(model.parameters())
    assert sum(parameter is model.lm_head.weight for parameter in parameters) == 1
    assert list(model.state_dict())[0] == "transformer.wte.weight" and "lm_head.weight" in model.state_dict()
    embedded = 13 * 16 + 16 * 16  # wte (= lm_head) + wpe
    per_block = 2 * (2 * 16) + (16 * 48 + 48) + (16 * 16 + 16) + (16 * 64 + 64) + (64 * 16 + 16)
    assert model.get_num_params(non_embedding=False) == embedded + 2 * per_block + 2 * 16
    assert model.get_num_params() == model.get_num_params(non_embedding=False) - 16 * 16
    # one optimizer step moves the head and the embedding together: they are the same array
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-2)
    idx = gb.tensor(np.random.default_rng(1).integers(0, 13, size=(2, 8)))
    before = model.lm_head.weight.detach().numpy().copy()
    model(idx, idx)[1].backward()
    optimizer.step()
    assert model.lm_head.weight is model.transformer.wte.weight
    assert not np.allclose(model.transformer.wte.weight.detach().numpy(), before)


def test_nanogpt_initialisation():
    model = tiny_model(n_layer=4, n_embd=64, n_head=4, vocab_size=200, block_size=64)
    for name, parameter in model.named_parameters():
        values = parameter.detach().numpy()
        if name.endswith("c_proj.weight"):
            assert values.std() == pytest.approx(0.02 / math.sqrt(2 * 4), rel=0.1), name
        elif values.ndim == 2:
            assert values.std() == pytest.approx(0.02, rel=0.1), name
            assert abs(values.mean()) < 0.002, name
        elif "ln" in name and name.endswith("weight"):
            assert (values == 1).all(), name
        else:
            assert (values == 0).all(), name  # biases


def test_configure_optimizers_decays_the_matrices_only():
    model = tiny_model()
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=6e-4, betas=(0.9, 0.95))
    assert isinstance(optimizer, optim.AdamW)
    decay, no_decay = optimizer.param_groups
    assert (decay["weight_decay"], no_decay["weight_decay"]) == (0.1, 0.0)
    assert decay["lr"] == 6e-4 and decay["betas"] == (0.9, 0.95)
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    assert sorted(names[id(p)] for p in decay["params"]) == sorted(
        name for name, parameter in model.named_parameters() if parameter.ndim == 2)
    assert all(p.ndim == 1 for p in no_decay["params"]) and len(no_decay["params"]) > 0
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_a_token_changes_no_prediction_before_it():
    model = tiny_model(seed=1).double()
    idx = np.random.default_rng(2).integers(0, 13, size=(2, 12))
    targets = np.zeros_like(idx)
    logits = model(gb.tensor(idx), gb.tensor(targets))[0].detach().numpy()
    for position in range(12):
        changed = idx.copy()
        changed[:, position] = (changed[:, position] + 5) % 13
        other = model(gb.tensor(changed), gb.tensor(targets))[0].detach().numpy()
        np.testing.assert_array_equal(other[:, :position], logits[:, :position])
        assert not np.allclose(other[:, position], logits[:, position])


def test_without_targets_only_the_last_position_is_predicted():
    model = tiny_model(seed=2)
    idx = gb.tensor(np.random.default_rng(3).integers(0, 13, size=(2, 9)))
    full = model(idx, idx)[0].detach().numpy()
    last, loss = model(idx)
    assert loss is None and last.shape == (2, 1, 13)
    np.testing.assert_allclose(last.detach().numpy()[:, 0], full[:, -1], rtol=1e-5, atol=1e-6)


def test_the_loss_of_a_tiny_model_falls_on_a_small_text():
    characters = sorted(set(TEXT))
    data = np.asarray([characters.index(c) for c in TEXT])
    model = tiny_model(seed=3, vocab_size=len(characters), block_size=32, n_embd=32)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.99))
    rng = np.random.default_rng(3)
    losses = []
    for _ in range(150):
        starts = rng.integers(0, len(data) - 33, size=16)
        idx = np.stack([data[s:s + 32] for s in starts])
        targets = np.stack([data[s + 1:s + 33] for s in starts])
        _, loss = model(gb.tensor(idx), gb.tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(math.log(len(characters)), rel=0.1)  # a uniform guess at the start
    assert np.mean(losses[-10:]) < 0.5 * losses[0]


def test_generate_is_seeded_and_respects_top_k():
    model = tiny_model(seed=4, block_size=8).eval()
    prompt = gb.tensor(np.asarray([[1, 2, 3], [4, 5, 6]]))
    gb.manual_seed(7)
    first = model.generate(prompt, max_new_tokens=10, temperature=1.5, top_k=3).numpy()
    gb.manual_seed(7)
    again = model.generate(prompt, max_new_tokens=10, temperature=1.5, top_k=3).numpy()
    gb.manual_seed(8)
    other = model.generate(prompt, max_new_tokens=10, temperature=1.5, top_k=3).numpy()
    np.testing.assert_array_equal(first, again)
    assert first.shape == (2, 13) and (first[:, :3] == prompt.numpy()).all()
    assert not np.array_equal(first, other)
    # every sampled token is among the 3 most likely after its (block-size cropped) context
    for length in range(3, 13):
        context = first[:, max(0, length - 8):length]
        logits = model(gb.tensor(context))[0].detach().numpy()[:, -1]
        top3 = np.argsort(-logits, axis=-1)[:, :3]
        assert all(first[row, length] in top3[row] for row in range(2))
    # top_k=1 is greedy decoding, whatever the seed
    greedy = model.generate(prompt, max_new_tokens=6, top_k=1).numpy()
    for length in range(3, 9):
        logits = model(gb.tensor(greedy[:, :length]))[0].detach().numpy()[:, -1]
        np.testing.assert_array_equal(greedy[:, length], logits.argmax(-1))


def test_sampling_follows_the_softmax():
    model = tiny_model(seed=5, vocab_size=4).eval()
    prompt = gb.tensor(np.zeros((4000, 1), dtype=np.int64))
    gb.manual_seed(0)
    drawn = model.generate(prompt, max_new_tokens=1, temperature=0.5).numpy()[:, 1]
    logits = model(gb.tensor(np.zeros((1, 1), dtype=np.int64)))[0].detach().numpy()[0, -1] / 0.5
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    frequencies = np.bincount(drawn, minlength=4) / 4000
    np.testing.assert_allclose(frequencies, expected, atol=0.03)


def test_bad_arguments_fail_clearly():
    model = tiny_model()
    with pytest.raises(ValueError, match="block size is only 16"):
        model(gb.tensor(np.zeros((1, 17), dtype=np.int64)))
    with pytest.raises(ValueError, match="token ids"):
        model(gb.randn(1, 4))
    with pytest.raises(ValueError, match="divisible"):
        GPT(tiny_config(n_embd=10, n_head=3))
    with pytest.raises(ValueError, match="temperature"):
        model.generate(gb.tensor([[1]]), 2, temperature=0)
    with pytest.raises(ValueError, match="top_k"):
        model.generate(gb.tensor([[1]]), 2, top_k=0)
    model.crop_block_size(8)
    assert model.transformer.wpe.weight.shape == (8, 16)
    with pytest.raises(ValueError, match="block size is only 8"):
        model(gb.tensor(np.zeros((1, 9), dtype=np.int64)))
