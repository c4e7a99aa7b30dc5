"""TinyLM with every position encoding: training step, KV-cache decoding, length limits, causality,
bf16 autocast. Expected values come from the model itself only where the property is a
self-consistency (cache vs full pass, prefix vs full sequence); nothing is compared with a
number the code under test produced for the same path."""

from __future__ import annotations

import pytest
import torch

from posenc.model import ModelConfig, TinyLM

# name -> (pe, pe_options); every family, RoPE in both layouts, partial and with a large base
VARIANTS: dict[str, tuple[str, dict]] = {
    "nope": ("nope", {}),
    "sinusoidal": ("sinusoidal", {}),
    "learned": ("learned", {}),
    "rope_half": ("rope", {"layout": "half"}),
    "rope_interleaved": ("rope", {"layout": "interleaved"}),
    "rope_partial_0.5": ("rope", {"partial_rotary_factor": 0.5}),
    "rope_base_1e6": ("rope", {"base": 1e6}),
    "alibi": ("alibi", {}),
    "t5": ("t5", {}),
    "xpos": ("xpos", {}),
}
UNBOUNDED = [v for v in VARIANTS if v != "learned"]  # every encoding but the learned table
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
L = 64  # the tiny preset's training length


def make_model(variant: str, **overrides) -> TinyLM:
    torch.manual_seed(0)
    pe, options = VARIANTS[variant]
    return TinyLM(ModelConfig.preset("tiny", pe=pe, pe_options=dict(options), **overrides))


def randomize(model: TinyLM) -> TinyLM:
    """Large random weights (encoding tables included) so attention is far from uniform and a wrong
    position or a wrong mask moves the logits far more than rounding does."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" not in name:
                p.normal_(0.0, 0.5 if name.startswith("pe.") else 0.1)
    return model


def tokens(b: int, s: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, 256, (b, s), generator=torch.Generator().manual_seed(seed))


# ----------------------------------------------------------------------------- training


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_one_adamw_step_lowers_the_loss_on_a_fixed_batch(variant):
    model = make_model(variant)
    idx = tokens(4, L + 1)
    x, y = idx[:, :-1], idx[:, 1:]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    _, before = model(x, y)
    before.backward()
    opt.step()
    with torch.no_grad():
        _, after = model(x, y)
    assert after.item() < before.item() - 0.05, (before.item(), after.item())


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v in ("learned", "t5")])
def test_encoding_parameters_receive_gradients(variant):
    model = make_model(variant)
    idx = tokens(2, 33)
    _, loss = model(idx[:, :-1], idx[:, 1:])
    loss.backward()
    pe_params = list(model.pe.named_parameters())
    assert pe_params, "this encoding should own trainable parameters"
    for name, p in pe_params:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


# ----------------------------------------------------------------------------- KV cache


def decode_in_pieces(model: TinyLM, idx: torch.Tensor) -> torch.Tensor:
    """Prefill 6 tokens, append a chunk of 3 (several queries against a non-empty cache), then
    one token at a time."""
    cache = model.new_cache(idx.size(0))
    pieces = [model(idx[:, :6], cache=cache)[0]]
    pieces.append(model(idx[:, 6:9], cache=cache)[0])
    for t in range(9, idx.size(1)):
        pieces.append(model(idx[:, t : t + 1], cache=cache)[0])
    assert cache.length == idx.size(1)
    return torch.cat(pieces, dim=1)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_kv_cache_decoding_matches_one_full_forward(variant, device):
    model = randomize(make_model(variant)).to(device).eval()
    idx = tokens(2, 24).to(device)
    with torch.no_grad():
        full, _ = model(idx)
        decoded = decode_in_pieces(model, idx)
    assert decoded.shape == full.shape == (2, 24, 256)
    assert full.abs().max() > 1.0  # the tolerance below is tight next to the logits' size
    torch.testing.assert_close(decoded, full, atol=1e-5, rtol=1e-5)


def test_cache_stores_rotated_keys_of_every_layer_with_kv_heads():
    model = make_model("rope_half")
    cache = model.new_cache(3)
    model(tokens(3, 10), cache=cache)
    model(tokens(3, 1), cache=cache)
    assert cache.length == 11
    for k, v in zip(cache.k, cache.v, strict=True):
        assert k.shape == v.shape == (3, 2, 11, 16)  # [b, n_kv, t, h_d]


def test_cache_for_another_batch_size_is_refused():
    model = make_model("nope")
    with pytest.raises(ValueError, match="batch size"):
        model(tokens(2, 4), cache=model.new_cache(3))


# ----------------------------------------------------------------------------- generation


@pytest.mark.parametrize("variant", ["nope", "rope_half", "alibi", "t5", "learned"])
def test_greedy_generation_with_cache_equals_without(variant):
    model = randomize(make_model(variant))
    prompt = tokens(2, 5)
    with_cache = model.generate(prompt, 12, temperature=0.0, use_cache=True)
    without = model.generate(prompt, 12, temperature=0.0, use_cache=False)
    assert with_cache.shape == (2, 17)
    assert torch.equal(with_cache[:, :5], prompt)
    assert torch.equal(with_cache, without)


def test_top_k_one_is_greedy_and_sampling_follows_the_generator():
    model = randomize(make_model("rope_half"))
    prompt = tokens(2, 4)
    greedy = model.generate(prompt, 8, temperature=0.0)
    assert torch.equal(model.generate(prompt, 8, temperature=1.0, top_k=1), greedy)
    a = model.generate(prompt, 8, temperature=1.5, generator=torch.Generator().manual_seed(7))
    b = model.generate(prompt, 8, temperature=1.5, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"max_new_tokens": -1}, "max_new_tokens"),
        ({"temperature": -0.5}, "temperature"),
        ({"top_k": 0}, "top_k"),
    ],
)
def test_generate_bad_arguments_are_named(kwargs, name):
    model = make_model("nope")
    args = {"max_new_tokens": 2} | kwargs
    with pytest.raises(ValueError, match=name):
        model.generate(tokens(1, 3), **args)


# ----------------------------------------------------------------------------- length


def test_learned_positions_beyond_the_table_raise_a_clear_error():
    model = make_model("learned")
    model(tokens(1, L))  # exactly the table: fine
    with pytest.raises(ValueError, match=rf"learned.*table of {L} positions.*position {L} is beyond"):
        model(tokens(1, L + 1))


def test_learned_positions_beyond_the_table_raise_while_decoding():
    model = make_model("learned")
    cache = model.new_cache(1)
    with torch.no_grad():
        model(tokens(1, L), cache=cache)
        with pytest.raises(ValueError, match=rf"learned.*position {L} is beyond"):
            model(tokens(1, 1), cache=cache)
        with pytest.raises(ValueError, match="learned"):
            model.generate(tokens(1, L - 2), max_new_tokens=5)


@pytest.mark.parametrize("variant", UNBOUNDED)
def test_runs_at_sixteen_times_the_training_length(variant):
    model = make_model(variant).eval()
    with torch.no_grad():
        logits, _ = model(tokens(1, 16 * L))
    assert logits.shape == (1, 16 * L, 256)
    assert torch.isfinite(logits).all()


# ----------------------------------------------------------------------------- causality, dtype


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_logits_at_position_t_ignore_later_tokens(variant):
    model = randomize(make_model(variant)).eval()
    idx = tokens(2, 32)
    t = 15
    changed = idx.clone()
    shift = 1 + tokens(2, 32 - t - 1, seed=2) % 255  # 1 … 255: every later token differs
    changed[:, t + 1 :] = (idx[:, t + 1 :] + shift) % 256
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(changed)
    torch.testing.assert_close(a[:, : t + 1], b[:, : t + 1], atol=1e-6, rtol=0)
    assert (a[:, t + 1 :] - b[:, t + 1 :]).abs().max() > 1e-3  # later positions do see the change


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_bf16_autocast_trains_and_stays_close_to_fp32(variant, device):
    model = make_model(variant).to(device)
    idx = tokens(2, L + 1).to(device)
    x, y = idx[:, :-1], idx[:, 1:]
    with torch.no_grad():
        ref, _ = model(x)
    with torch.autocast(device_type=device, dtype=torch.bfloat16):
        logits, loss = model(x, y)
    loss.backward()
    assert logits.dtype == torch.float32
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    # bf16 keeps ~3 significant digits; logits here are O(1)
    assert (logits.detach() - ref).abs().max() < 0.1
