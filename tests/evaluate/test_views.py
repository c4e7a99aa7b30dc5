"""posenc.evaluate.views on tiny models trained for real: attention weights, A(Δ), per-byte losses, the cache.

Expected values are recomputed here from the model's own parameters with the papers' formulas (q·kᵀ/√d,
θ_i = base^(−2i/d) rotations, ALiBi slopes 2^(−8(h+1)/n)), taken from the evaluation code that already
exists (``perplexity``), or written out by hand (small matrices) — never from the function under test.
"""

from __future__ import annotations

import math
import shutil

import pytest
import torch
import torch.nn.functional as F

from posenc.data.tokenizer import encode
from posenc.evaluate.perplexity import perplexity
from posenc.evaluate.views import (
    ModelCache,
    attention,
    byte_losses,
    distance_profile,
    running_mean,
    uniform_profile,
)
from posenc.train.checkpoint import load_model, save_checkpoint
from tests.evaluate.trained_runs import MODELS, TRAIN_LENGTH, run_dir, trained_study

TEXT = encode(
    "def mean(values):\n    total = 0\n    for value in values:\n        total += value\n"
    "    return total / len(values)\n"
)  # 86 bytes: longer than L = 32


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return trained_study(tmp_path_factory)


@pytest.fixture(scope="module")
def models(study):
    return {name: load_model(run_dir(study, name))[0] for name in MODELS}


def _inputs_of_attention(model, tokens, layer):
    """The input x [1, s, d] the block's attention received in a plain forward pass."""
    seen = {}

    def keep(module, args):
        seen["x"] = args[0]

    handle = model.blocks[layer].attn.register_forward_pre_hook(keep)
    try:
        with torch.no_grad():
            model(tokens.long()[None])
    finally:
        handle.remove()
    return seen["x"]


def _rotate_half(x, base):
    """RoPE (Su et al. 2021), half layout: features (i, i + d/2) turned by t·θ_i, θ_i = base^(−2i/d)."""
    s, d = x.shape[-2], x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)  # [d/2]
    angle = torch.arange(s, dtype=torch.float64)[:, None] * theta[None]  # [s, d/2]
    cos, sin = angle.cos(), angle.sin()
    x1, x2 = x[..., : d // 2].double(), x[..., d // 2 :].double()
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def _reference_weights(model, tokens, layer, name):
    """softmax(q·kᵀ/√h_d + bias + causal) of every head, from the layer's qkv matrix, in float64."""
    x = _inputs_of_attention(model, tokens, layer)[0].double()  # [s, d]
    attn = model.blocks[layer].attn
    n_h, n_kv, h_d = attn.n_heads, attn.n_kv_heads, attn.head_dim
    w_qkv = attn.qkv.weight.double()  # [(n_h + 2 n_kv) h_d, d]
    q = (x @ w_qkv[: n_h * h_d].T).view(-1, n_h, h_d).transpose(0, 1)  # [n_h, s, h_d]
    k = (x @ w_qkv[n_h * h_d : (n_h + n_kv) * h_d].T).view(-1, n_kv, h_d).transpose(0, 1)  # [n_kv, s, h_d]
    if name == "rope-1e4":
        q, k = _rotate_half(q, 1e4), _rotate_half(k, 1e4)
    k = k[[h * n_kv // n_h for h in range(n_h)]]  # [n_h, s, h_d]: query head h reads key head h // group
    scores = q @ k.transpose(-1, -2) / math.sqrt(h_d)  # [n_h, s, s]
    s = x.shape[0]
    i, j = torch.arange(s)[:, None], torch.arange(s)[None, :]
    if name == "alibi":
        slopes = torch.tensor([2.0 ** (-8 * (h + 1) / n_h) for h in range(n_h)], dtype=torch.float64)
        scores = scores - slopes[:, None, None] * (i - j).abs()
    scores = scores.masked_fill(j > i, float("-inf"))
    return torch.softmax(scores, dim=-1)


@pytest.mark.parametrize("name", list(MODELS))
def test_attention_rows_are_causal_probability_distributions(models, name):
    model = models[name]
    tokens = TEXT[: TRAIN_LENGTH if name == "learned" else len(TEXT)]
    for layer in range(model.config.n_layers):
        weights, profiles = attention(model, tokens, layer=layer)
        n = tokens.numel()
        assert weights.shape == (model.config.n_heads, n, n)
        assert profiles.shape == (model.config.n_layers, model.config.n_heads, n)
        assert bool((weights >= 0).all())
        assert torch.allclose(weights.sum(-1), torch.ones(model.config.n_heads, n), atol=1e-5)
        assert bool((weights.triu(1) == 0).all())  # causal: no weight on a later byte
        assert torch.allclose(weights[:, 0, 0], torch.ones(model.config.n_heads))


@pytest.mark.parametrize("name", ["rope-1e4", "alibi", "nope"])
@pytest.mark.parametrize("layer", [0, 1])
def test_attention_is_softmax_of_the_scores_recomputed_from_the_projections(models, name, layer):
    model = models[name]
    weights, _ = attention(model, TEXT, layer=layer, profiles=False)
    expected = _reference_weights(model, TEXT, layer, name)
    assert torch.allclose(weights.double(), expected, atol=2e-5), (weights.double() - expected).abs().max()


@pytest.mark.parametrize("name", ["rope-1e4", "alibi"])
def test_the_weights_are_the_ones_the_layer_applies_to_v(models, name):
    """out(w·v) of the recorded weights reproduces the attention block's own output (SDPA's)."""
    model, layer = models[name], 1
    attn = model.blocks[layer].attn
    seen = {}
    handle = attn.register_forward_hook(lambda m, args, out: seen.update(x=args[0], out=out))
    try:
        weights, _ = attention(model, TEXT, layer=layer, profiles=False)  # [n_h, s, s]
    finally:
        handle.remove()
    x = seen["x"][0]  # [s, d]
    n_h, n_kv, h_d = attn.n_heads, attn.n_kv_heads, attn.head_dim
    with torch.no_grad():
        v = (
            (x @ attn.qkv.weight[(n_h + n_kv) * h_d :].T).view(-1, n_kv, h_d).transpose(0, 1)
        )  # [n_kv, s, h_d]
        v = v[[h * n_kv // n_h for h in range(n_h)]]  # [n_h, s, h_d]
        y = (weights @ v).transpose(0, 1).reshape(x.shape[0], n_h * h_d)  # [s, n_h h_d]
        assert torch.allclose(attn.out(y), seen["out"][0], atol=1e-5)


def test_distance_profile_and_uniform_reference_by_hand():
    w = torch.tensor([[1.0, 0, 0], [0.25, 0.75, 0], [0.2, 0.3, 0.5]])
    # A(0) = mean of the diagonal, A(1) of the first subdiagonal, A(2) = w_20
    assert distance_profile(w).tolist() == pytest.approx([(1 + 0.75 + 0.5) / 3, (0.25 + 0.3) / 2, 0.2])
    assert distance_profile(w[None].expand(4, 3, 3)).shape == (4, 3)
    # U(Δ) = mean over i ≥ Δ of 1/(i + 1)
    assert uniform_profile(3).tolist() == pytest.approx([(1 + 1 / 2 + 1 / 3) / 3, (1 / 2 + 1 / 3) / 2, 1 / 3])
    even = torch.tril(torch.ones(5, 5)) / torch.arange(1, 6)[:, None]  # every row spread evenly
    assert torch.allclose(distance_profile(even).double(), uniform_profile(5))


def test_running_mean_by_hand():
    assert running_mean(torch.tensor([1.0, 2, 3, 4]), 2).tolist() == pytest.approx([1, 1.5, 2.5, 3.5])
    assert running_mean(torch.tensor([4.0, 2]), 8).tolist() == pytest.approx([4, 3])


@pytest.mark.parametrize("name", ["rope-1e4", "alibi", "nope"])
def test_byte_losses_average_to_the_evaluation_loss(models, name):
    model = models[name]
    result = byte_losses(model, TEXT)
    assert result.read == len(TEXT) and result.losses.shape == (len(TEXT) - 1,)
    assert result.scaling is None and result.train_length == TRAIN_LENGTH
    evaluated = perplexity(model, TEXT.long()[None], batch_size=1)  # the existing evaluation code
    assert result.losses.double().mean().item() == pytest.approx(evaluated["loss"], rel=1e-5)
    # byte t's loss is −log p(x_t | x_<t) from the logits at position t − 1
    with torch.no_grad():
        logits, _ = model(TEXT.long()[None, :-1])
    by_hand = -F.log_softmax(logits[0].double(), dim=-1).gather(1, TEXT.long()[1:, None])[:, 0]
    assert torch.allclose(result.losses.double(), by_hand, atol=1e-4)


def test_learned_positions_read_only_their_table(models):
    result = byte_losses(models["learned"], TEXT)
    assert result.read == TRAIN_LENGTH + 1 and result.losses.shape == (TRAIN_LENGTH,)
    evaluated = perplexity(models["learned"], TEXT[: TRAIN_LENGTH + 1].long()[None], batch_size=1)
    assert result.losses.double().mean().item() == pytest.approx(evaluated["loss"], rel=1e-5)


def test_yarn_changes_nothing_within_L_and_every_prediction_but_the_first_beyond_it(models):
    model = models["rope-1e4"]
    short = TEXT[: TRAIN_LENGTH + 1]  # L predicted bytes: the auto factor is 1, no scaling
    plain, scaled = byte_losses(model, short), byte_losses(model, short, "yarn:auto")
    assert scaled.scaling is None and torch.equal(plain.losses, scaled.losses)

    plain, scaled = byte_losses(model, TEXT), byte_losses(model, TEXT, "yarn:auto")
    positions = len(TEXT) - 1
    assert scaled.scaling == {"rope_type": "yarn", "factor": pytest.approx(positions / TRAIN_LENGTH)}
    # the first prediction sees one key (softmax = 1 whatever the rotation): unchanged; the factor is set
    # for the whole text, so YaRN changes the bytes inside L as well as those beyond it
    assert scaled.losses[0].item() == pytest.approx(plain.losses[0].item(), abs=1e-5)
    assert (scaled.losses[1:TRAIN_LENGTH] - plain.losses[1:TRAIN_LENGTH]).abs().max() > 1e-4
    assert (scaled.losses[TRAIN_LENGTH:] - plain.losses[TRAIN_LENGTH:]).abs().max() > 1e-4
    assert torch.equal(byte_losses(model, TEXT).losses, plain.losses)  # the model is back as trained


def test_scaling_a_model_that_is_not_rope_is_refused(models):
    with pytest.raises(ValueError, match="RoPE"):
        byte_losses(models["alibi"], TEXT, "yarn:auto")
    with pytest.raises(ValueError, match="at least 2 bytes"):
        byte_losses(models["alibi"], TEXT[:1])


def test_the_cache_loads_once_per_checkpoint_version(study, tmp_path):
    run = tmp_path / "rope"
    shutil.copytree(run_dir(study, "rope-1e4"), run)
    cache = ModelCache()
    first, meta = cache.get(run)
    assert cache.get(run)[0] is first and cache.loads == 1
    save_checkpoint(run / "checkpoint.pt", model=first, model_config=meta["model_config"], step=41)
    second, meta = cache.get(run)  # retrained: a new mtime and size
    assert second is not first and cache.loads == 2 and meta["step"] == 41


def test_the_cache_refuses_corrupt_and_non_finite_checkpoints(study, tmp_path):
    run = tmp_path / "nope"
    shutil.copytree(run_dir(study, "nope"), run)
    model, meta = load_model(run)
    with torch.no_grad():
        model.blocks[0].attn.qkv.weight[0, 0] = float("nan")
    save_checkpoint(run / "checkpoint.pt", model=model, model_config=meta["model_config"], step=40)
    with pytest.raises(ValueError, match="non-finite"):
        ModelCache().get(run)
    for older in run.glob("checkpoint*"):  # a kept previous checkpoint would be loaded instead
        if older.name != "checkpoint.pt":
            older.unlink()
    (run / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        ModelCache().get(run)
    (run / "checkpoint.pt").unlink()
    with pytest.raises(FileNotFoundError):
        ModelCache().get(run)
