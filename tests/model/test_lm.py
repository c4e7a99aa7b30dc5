"""TinyLM's parts against hand-written references: GQA attention, the score-bias mask, the embedding
scale, init, parameter and FLOP counts."""

from __future__ import annotations

import math

import pytest
import torch

from posenc.model import ModelConfig, TinyLM


def tiny(**overrides) -> TinyLM:
    torch.manual_seed(0)
    return TinyLM(ModelConfig.preset("tiny", **overrides))


def reference_attention(attn, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Causal multi-head attention written out head by head: query head h reads key/value head
    h // (n_h / n_kv) (GQA, Ainslie et al. 2023). bias: [n_h, s, s] added to the scaled scores."""
    b, s, d = x.shape
    n_h, n_kv, h_d = attn.n_heads, attn.n_kv_heads, attn.head_dim
    w = attn.qkv.weight  # rows: n_h·h_d queries, then n_kv·h_d keys, then n_kv·h_d values
    wq, wk, wv = w[: n_h * h_d], w[n_h * h_d : (n_h + n_kv) * h_d], w[(n_h + n_kv) * h_d :]
    future = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
    heads = []
    for h in range(n_h):
        g = h // (n_h // n_kv)
        q = x @ wq[h * h_d : (h + 1) * h_d].T  # [b, s, h_d]
        k = x @ wk[g * h_d : (g + 1) * h_d].T
        v = x @ wv[g * h_d : (g + 1) * h_d].T
        scores = q @ k.transpose(1, 2) / math.sqrt(h_d)  # [b, s, s]
        if bias is not None:
            scores = scores + bias[h]
        scores = scores.masked_fill(future, float("-inf"))
        heads.append(torch.softmax(scores, dim=-1) @ v)  # [b, s, h_d]
    return torch.cat(heads, dim=-1) @ attn.out.weight.T  # [b, s, d]


@pytest.mark.parametrize(("n_heads", "n_kv_heads"), [(4, 1), (4, 2), (4, 4), (8, 2)])
def test_gqa_attention_matches_head_by_head_reference(n_heads, n_kv_heads):
    model = tiny(pe="nope", n_heads=n_heads, n_kv_heads=n_kv_heads, init_std=0.2)
    attn = model.blocks[0].attn
    assert attn.qkv.weight.shape == ((n_heads + 2 * n_kv_heads) * (64 // n_heads), 64)
    x = torch.randn(2, 12, 64)
    positions = torch.arange(12)
    with torch.no_grad():
        got = attn(x, model.pe, positions, model._attention_mask(positions, positions))
        want = reference_attention(attn, x)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_alibi_bias_reaches_each_head_with_its_slope():
    """ALiBi slopes for 4 heads are 2^-2, 2^-4, 2^-6, 2^-8 (Press et al. 2022); bias −m_h·(i − j)."""
    model = tiny(pe="alibi", init_std=0.2)
    attn = model.blocks[0].attn
    s = 10
    distance = (torch.arange(s)[:, None] - torch.arange(s)[None, :]).abs().float()  # [s, s]
    bias = torch.stack([-(2.0 ** (-2 * (h + 1))) * distance for h in range(4)])  # [n_h, s, s]
    x = torch.randn(2, s, 64)
    positions = torch.arange(s)
    with torch.no_grad():
        got = attn(x, model.pe, positions, model._attention_mask(positions, positions))
        want = reference_attention(attn, x, bias)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pe", ["alibi", "t5"])
def test_long_score_bias_is_attended_in_row_chunks_with_the_same_result(pe, monkeypatch):
    """A small chunk budget splits the queries into chunks of a few rows: the logits match the
    whole-mask forward (softmax is per row), with a T5 gradient too, and no bias call ever builds
    more rows than one chunk (memory linear in length at fixed chunk size)."""
    from posenc.model import lm

    model = tiny(pe=pe, max_seq_len=64, init_std=0.2)
    idx = torch.randint(0, 256, (2, 48))
    whole_logits, whole_loss = model(idx, idx)
    whole_loss.backward()
    whole_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()

    rows_seen = []
    original = type(model.pe).score_bias

    def spy(self, q_positions, k_positions):
        rows_seen.append(q_positions.numel())
        return original(self, q_positions, k_positions)

    monkeypatch.setattr(type(model.pe), "score_bias", spy)
    # 7 rows per chunk: 4 bytes · batch 2 · 4 heads · 48 keys · 7 rows
    monkeypatch.setattr(lm, "MASK_CHUNK_BYTES", 4 * 2 * 4 * 48 * 7)
    chunked_logits, chunked_loss = model(idx, idx)
    chunked_loss.backward()
    assert max(rows_seen) == 7 and sum(rows_seen) == 48 * model.config.n_layers
    torch.testing.assert_close(chunked_logits, whole_logits, atol=1e-5, rtol=1e-5)
    for p, want in zip(model.parameters(), whole_grads, strict=True):
        torch.testing.assert_close(p.grad, want, atol=1e-5, rtol=1e-4)


def test_short_score_bias_is_built_once_per_forward(monkeypatch):
    model = tiny(pe="alibi")
    calls = []
    original = type(model.pe).score_bias
    monkeypatch.setattr(
        type(model.pe), "score_bias", lambda self, q, k: calls.append(q.numel()) or original(self, q, k)
    )
    model(torch.randint(0, 256, (2, 16)))
    assert calls == [16]  # shared by every layer


def test_first_block_sees_sqrt_d_scaled_tokens_plus_the_sinusoid():
    """Absolute encodings meet token embeddings multiplied by √d (Vaswani et al. 2017 §3.4)."""
    model = tiny(pe="sinusoidal")
    seen = {}

    def keep_input(module, args):
        seen["x"] = args[0]

    model.blocks[0].register_forward_pre_hook(keep_input)
    idx = torch.tensor([[3, 1, 4, 1, 5]])
    model(idx)
    d = 64
    # PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))
    wave = [[(math.sin, math.cos)[i % 2](p / 10000 ** ((i - i % 2) / d)) for i in range(d)] for p in range(5)]
    pe = torch.tensor(wave)
    want = model.tok_emb.weight[idx[0]] * math.sqrt(d) + pe
    torch.testing.assert_close(seen["x"][0], want, atol=1e-5, rtol=1e-5)


def test_tied_and_untied_heads():
    tied, untied = tiny(pe="nope"), tiny(pe="nope", tie_embeddings=False)
    assert tied.lm_head.weight is tied.tok_emb.weight
    assert untied.lm_head.weight is not untied.tok_emb.weight
    assert untied.num_params() - tied.num_params() == 256 * 64


def test_init_scales_residual_projections_by_depth():
    torch.manual_seed(0)
    model = TinyLM(ModelConfig(pe="nope"))  # d 128, 4 layers: 16 k samples per matrix
    std = 0.02
    for block in model.blocks:
        assert block.attn.qkv.weight.std().item() == pytest.approx(std, rel=0.05)
        assert block.mlp.gate_up.weight.std().item() == pytest.approx(std, rel=0.05)
        assert block.attn.out.weight.std().item() == pytest.approx(std / math.sqrt(8), rel=0.05)
        assert block.mlp.down.weight.std().item() == pytest.approx(std / math.sqrt(8), rel=0.05)
    assert model.tok_emb.weight.std().item() == pytest.approx(std, rel=0.05)


def test_parameter_count_by_hand():
    # tiny: d 64, 2 layers, 4 heads of 16, 2 kv heads, SwiGLU hidden 192, vocab 256, tied
    # qkv, out, gate_up, down, two norms
    per_layer = 64 * (4 + 2 * 2) * 16 + 64 * 64 + 64 * 2 * 192 + 192 * 64 + 2 * 64
    total = 256 * 64 + 2 * per_layer + 64  # + embedding, final norm
    model = tiny(pe="nope")
    assert model.num_params() == total == 115008
    assert model.num_params(exclude_embeddings=True) == total - 256 * 64
    learned = tiny(pe="learned")
    assert learned.num_params() == total + 64 * 64  # the position table
    assert learned.num_params(exclude_embeddings=True) == total - 256 * 64


def test_flops_per_token_by_hand():
    # 6 · (blocks' matmul weights + LM head) + 12 · n_layers · n_h · h_d · seq_len / 2
    matmul = 2 * (64 * 128 + 64 * 64 + 64 * 384 + 192 * 64) + 64 * 256
    model = tiny(pe="rope")
    assert model.flops_per_token(64) == 6 * matmul + 12 * 2 * 64 * 32 == 737280
    assert model.flops_per_token(64, causal=False) == 6 * matmul + 12 * 2 * 64 * 64
    with pytest.raises(ValueError, match="seq_len"):
        model.flops_per_token(0)


def test_bad_inputs_are_named():
    model = tiny(pe="nope")
    with pytest.raises(ValueError, match="idx"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="idx"):
        model(torch.zeros(1, 0, dtype=torch.long))
