"""RoPE: the rotation, the angle table and the module, against transformers and closed forms."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import GPTNeoXConfig, LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.gpt_neox.modeling_gpt_neox import GPTNeoXRotaryEmbedding
from transformers.models.gpt_neox.modeling_gpt_neox import apply_rotary_pos_emb as neox_apply_rotary_pos_emb
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb
from transformers.utils import logging as hf_logging

from posenc.encodings import build
from posenc.encodings.rope import RoPE, apply, cos_sin, frequencies

hf_logging.set_verbosity_error()


def closed_form_cos_sin(positions: list[int], rotary_dim: int, base: float, scale: float = 1.0):
    """cos(m θ_i), sin(m θ_i) with θ_i = base^(-2i/d), by hand in float64: [s, d/2] each."""
    theta = [base ** (-2 * i / rotary_dim) for i in range(rotary_dim // 2)]
    cos = torch.tensor([[math.cos(m * t) * scale for t in theta] for m in positions], dtype=torch.float64)
    sin = torch.tensor([[math.sin(m * t) * scale for t in theta] for m in positions], dtype=torch.float64)
    return cos, sin


def table(positions: torch.Tensor, head_dim: int, base: float = 1e4, partial: float = 1.0):
    inv_freq, scale = frequencies(
        {"head_dim": head_dim, "rope_theta": base, "partial_rotary_factor": partial}
    )
    return cos_sin(positions, inv_freq, scale)


# ---------------------------------------------------------------------------------------------------
# conformance: the rotation equals transformers' Llama / GPT-NeoX apply_rotary_pos_emb
# ---------------------------------------------------------------------------------------------------

LLAMA_CASES = [
    (64, {"rope_type": "default", "rope_theta": 1e4}),
    (128, {"rope_type": "default", "rope_theta": 5e5}),
    (128, {"rope_type": "yarn", "rope_theta": 1e6, "factor": 4.0, "original_max_position_embeddings": 1024}),
    (
        64,
        {
            "rope_type": "llama3",
            "rope_theta": 5e5,
            "factor": 8.0,
            "original_max_position_embeddings": 512,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
        },
    ),
]


def llama(head_dim: int, rope_parameters: dict) -> tuple[LlamaConfig, dict]:
    """A transformers Llama config and the same model as a config dict."""
    max_pos = 4096
    hf = LlamaConfig(
        hidden_size=head_dim * 4,
        num_attention_heads=4,
        head_dim=head_dim,
        max_position_embeddings=max_pos,
        rope_parameters=dict(rope_parameters),
    )
    return hf, {
        "head_dim": head_dim,
        "max_position_embeddings": max_pos,
        "rope_parameters": dict(rope_parameters),
    }


@pytest.mark.parametrize(("head_dim", "rope_parameters"), LLAMA_CASES, ids=lambda v: str(v)[:30])
def test_apply_half_equals_llama_apply_rotary_pos_emb_fp32(head_dim, rope_parameters):
    hf_config, config = llama(head_dim, rope_parameters)
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(2, 4, 33, head_dim, generator=gen)
    k = torch.randn(2, 2, 33, head_dim, generator=gen)
    position_ids = torch.stack([torch.arange(33), torch.arange(1000, 1033)])  # [b, s], two different offsets
    hf_cos, hf_sin = LlamaRotaryEmbedding(hf_config)(q, position_ids)
    want_q, want_k = apply_rotary_pos_emb(q, k, hf_cos, hf_sin)

    cos, sin = cos_sin(position_ids, *frequencies(config))  # [b, s, r/2]
    torch.testing.assert_close(apply(q, cos, sin), want_q, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(apply(k, cos, sin), want_k, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("head_dim", "rope_parameters"), LLAMA_CASES[:3], ids=lambda v: str(v)[:30])
def test_apply_half_equals_llama_apply_rotary_pos_emb_bf16(head_dim, rope_parameters):
    """transformers rounds cos/sin to bf16 and rotates in bf16; we rotate in float32 and round once,
    so we agree within bf16 tolerance and are at least as close to the float64 truth."""
    hf_config, config = llama(head_dim, rope_parameters)
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(1, 4, 300, head_dim, generator=gen).to(torch.bfloat16)
    position_ids = torch.arange(300)[None] * 7  # up to 2093
    hf_cos, hf_sin = LlamaRotaryEmbedding(hf_config)(q, position_ids)
    want, _ = apply_rotary_pos_emb(q, q, hf_cos, hf_sin)

    cos, sin = cos_sin(position_ids[0], *frequencies(config))
    got = apply(q, cos, sin)
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), want.float(), rtol=2e-2, atol=3e-2)

    truth = apply(q.double(), cos.double(), sin.double())
    assert (got.double() - truth).abs().mean() <= (want.double() - truth).abs().mean()


@pytest.mark.parametrize("partial", [0.25, 0.5])
def test_partial_rotary_equals_gpt_neox(partial):
    head_dim = 64
    hf_config = GPTNeoXConfig(
        hidden_size=head_dim * 4,
        num_attention_heads=4,
        max_position_embeddings=2048,
        rope_parameters={"rope_type": "default", "rope_theta": 1e4, "partial_rotary_factor": partial},
    )
    gen = torch.Generator().manual_seed(2)
    q = torch.randn(2, 4, 17, head_dim, generator=gen)
    position_ids = torch.arange(100, 117)[None].expand(2, -1)
    hf_cos, hf_sin = GPTNeoXRotaryEmbedding(hf_config)(q, position_ids)
    want, _ = neox_apply_rotary_pos_emb(q, q, hf_cos, hf_sin)

    cos, sin = table(position_ids[0], head_dim, partial=partial)
    torch.testing.assert_close(apply(q, cos, sin), want, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------------------
# the angle table
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("head_dim", [64, 96])
def test_cos_sin_matches_closed_form(head_dim):
    positions = [0, 1, 2, 17, 255, 4095]
    cos, sin = table(torch.tensor(positions), head_dim, base=1e4)
    want_cos, want_sin = closed_form_cos_sin(positions, head_dim, 1e4)
    assert cos.shape == (len(positions), head_dim // 2) and cos.dtype == torch.float32
    # float32 angles at position 4095: |error| ≲ 4095 · 2^-24 rad
    torch.testing.assert_close(cos.double(), want_cos, rtol=0, atol=5e-4)
    torch.testing.assert_close(sin.double(), want_sin, rtol=0, atol=5e-4)


def test_cos_sin_batched_positions_and_attention_scaling():
    positions = torch.tensor([[0, 1, 2], [10, 11, 12]])  # [b, s]
    inv_freq, _ = frequencies({"head_dim": 8})
    cos, sin = cos_sin(positions, inv_freq, attention_scaling=1.5)
    assert cos.shape == (2, 3, 4)
    want_cos, want_sin = closed_form_cos_sin([10, 11, 12], 8, 1e4, scale=1.5)
    torch.testing.assert_close(cos[1].double(), want_cos, rtol=0, atol=1e-6)
    torch.testing.assert_close(sin[1].double(), want_sin, rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_cos_sin_rejects_float_positions(dtype):
    with pytest.raises(ValueError, match="positions must be integers"):
        cos_sin(torch.arange(8).to(dtype), frequencies({"head_dim": 8})[0])


def test_bf16_activations_keep_all_1024_positions_distinct():
    """Angles come from integer positions in float32, whatever the activation dtype. The naive way
    (positions cast to bf16 first, as some code did) keeps only 513 distinct rows out of 1024."""
    head_dim = 64
    positions = torch.arange(1024)
    inv_freq, _ = frequencies({"head_dim": head_dim})
    cos, sin = cos_sin(positions, inv_freq)
    assert torch.unique(torch.cat([cos, sin], dim=-1), dim=0).shape[0] == 1024

    # bf16 activations: the same vector at every position comes out rotated differently at each
    x = torch.ones(1, 1, 1024, head_dim, dtype=torch.bfloat16)
    rotated = apply(x, cos, sin)
    assert rotated.dtype == torch.bfloat16
    assert torch.unique(rotated[0, 0], dim=0).shape[0] == 1024

    naive_angles = positions.to(torch.bfloat16).float()[:, None] * inv_freq  # the bug
    assert torch.unique(naive_angles, dim=0).shape[0] == 513


# ---------------------------------------------------------------------------------------------------
# properties of the rotation
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize(
    ("dtype", "rtol"), [(torch.float32, 1e-5), (torch.float64, 1e-6), (torch.bfloat16, 1e-2)]
)
def test_rotation_preserves_norms(layout, dtype, rtol):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 64, 128, generator=gen).to(dtype)
    cos, sin = table(torch.arange(0, 6400, 100), 128)
    out = apply(x, cos, sin, layout)
    torch.testing.assert_close(out.double().norm(dim=-1), x.double().norm(dim=-1), rtol=rtol, atol=0)


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float64, 2e-4), (torch.float32, 2e-4), (torch.bfloat16, 3e-2)]
)
def test_score_depends_only_on_relative_position(layout, dtype, tol):
    """⟨R_m q, R_n k⟩ = ⟨R_(m+t) q, R_(n+t) k⟩ for every shift t. Tolerance is relative to |q||k|:
    float32 angles at positions ≲ 1000 are off by ≲ 6e-5 rad; bf16 outputs carry 2^-8 rounding."""
    head_dim = 64
    gen = torch.Generator().manual_seed(4)
    q = torch.randn(1, 1, 1, head_dim, generator=gen).to(dtype)
    k = torch.randn(1, 1, 1, head_dim, generator=gen).to(dtype)
    inv_freq, _ = frequencies({"head_dim": head_dim, "rope_theta": 1e4})

    def score(m: int, n: int) -> float:
        cos_m, sin_m = cos_sin(torch.tensor([m]), inv_freq)
        cos_n, sin_n = cos_sin(torch.tensor([n]), inv_freq)
        return (
            (apply(q, cos_m, sin_m, layout).double() * apply(k, cos_n, sin_n, layout).double()).sum().item()
        )

    scale = q.double().norm().item() * k.double().norm().item()
    for m, n in [(0, 0), (3, 10), (10, 3), (50, 177), (400, 20)]:
        reference = score(m, n)
        for shift in (1, 37, 256, 600):
            assert abs(score(m + shift, n + shift) - reference) <= tol * scale, (m, n, shift)
    # and the scores really do change with the offset, or the check above would be empty
    by_offset = [score(0, n) for n in range(50)]
    assert max(by_offset) - min(by_offset) > 5 * tol * scale


def test_interleaved_equals_complex_multiplication():
    """Meta's original Llama (llama/model.py, apply_rotary_emb) views pairs (2i, 2i+1) as the complex
    number x_2i + j·x_2i+1 and multiplies by e^(j m θ_i); float64 here."""
    head_dim, positions = 32, torch.arange(0, 900, 30)
    x = torch.randn(2, 3, len(positions), head_dim, dtype=torch.float64)
    theta = torch.tensor([1e4 ** (-2 * i / head_dim) for i in range(head_dim // 2)], dtype=torch.float64)
    phase = torch.polar(
        torch.ones(len(positions), head_dim // 2, dtype=torch.float64), positions[:, None] * theta
    )
    want = torch.view_as_real(torch.view_as_complex(x.unflatten(-1, (-1, 2))) * phase).flatten(-2)
    cos, sin = table(positions, head_dim)
    # angles are float32 in cos_sin: at position ≤ 870 they are off by ≲ 3e-5 rad
    torch.testing.assert_close(apply(x, cos, sin, layout="interleaved"), want, rtol=0, atol=1e-4)


@pytest.mark.parametrize("partial", [1.0, 0.5, 0.25])
def test_interleaved_and_half_layouts_agree_after_feature_permutation(partial):
    """Pair i is (2i, 2i+1) interleaved and (i, i + r/2) in half layout: reorder the features
    [0, 2, 4, …, 1, 3, 5, …] and the two rotations are the same map."""
    head_dim = 64
    r = int(head_dim * partial)
    perm = torch.cat([torch.arange(0, r, 2), torch.arange(1, r, 2), torch.arange(r, head_dim)])
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2, 3, 20, head_dim, generator=gen)
    cos, sin = table(torch.arange(500, 520), head_dim, partial=partial)
    interleaved = apply(x, cos, sin, layout="interleaved")
    half = apply(x[..., perm], cos, sin, layout="half")
    # the same products; interleaved float32 runs as one complex multiply, which may round the
    # sum of the two products differently (fused): equal to float32 rounding, not bit for bit
    torch.testing.assert_close(half, interleaved[..., perm], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_partial_rotary_leaves_the_tail_untouched(layout, dtype):
    head_dim = 64
    x = torch.randn(2, 2, 10, head_dim).to(dtype)
    cos, sin = table(torch.arange(10), head_dim, partial=0.25)  # r = 16
    out = apply(x, cos, sin, layout)
    assert torch.equal(out[..., 16:], x[..., 16:])
    assert not torch.equal(out[..., :16], x[..., :16])


def test_position_zero_is_the_identity():
    x = torch.randn(1, 2, 1, 32)
    cos, sin = table(torch.tensor([0]), 32)
    torch.testing.assert_close(apply(x, cos, sin), x, rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------------
# apply: errors name the problem
# ---------------------------------------------------------------------------------------------------


def _cs(s: int = 4, half: int = 8):
    return table(torch.arange(s), 2 * half)


APPLY_ERRORS = [
    (lambda: apply(torch.randn(1, 1, 4, 16), *_cs(), layout="gptj"), "layout"),
    (lambda: apply(torch.randn(1, 4, 16), *_cs()), "x must be a float tensor"),
    (lambda: apply(torch.ones(1, 1, 4, 16, dtype=torch.long), *_cs()), "x must be a float tensor"),
    (lambda: apply(torch.randn(1, 1, 4, 16), _cs()[0], _cs(5)[1]), "same shape"),
    (lambda: apply(torch.randn(1, 1, 4, 8), *_cs()), "rotary_dim"),
    (lambda: apply(torch.randn(1, 1, 5, 16), *_cs()), "sequence length"),
    (
        lambda: apply(torch.randn(2, 1, 4, 16), _cs()[0].expand(3, 4, 8), _cs()[1].expand(3, 4, 8)),
        "batch size",
    ),
    (lambda: apply(torch.randn(1, 1, 4, 16), _cs()[0][0], _cs()[1][0]), "cos/sin must be"),
]


@pytest.mark.parametrize(("call", "message"), APPLY_ERRORS, ids=[m for _, m in APPLY_ERRORS])
def test_apply_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------------
# the RoPE module
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize(
    "rope_scaling", [None, {"rope_type": "yarn", "factor": 4.0}, {"rope_type": "linear", "factor": 2}]
)
def test_rotate_with_offset_equals_rotating_the_full_sequence_then_slicing(layout, rope_scaling):
    """The KV-cache property: new tokens at positions offset… rotate exactly as they would inside
    the full sequence; keys with fewer heads (GQA) included."""
    rope = RoPE(64, base=1e4, layout=layout, max_seq_len=32, rope_scaling=rope_scaling)
    gen = torch.Generator().manual_seed(6)
    q = torch.randn(2, 8, 48, 64, generator=gen)
    k = torch.randn(2, 2, 48, 64, generator=gen)
    full_q, full_k = rope.rotate_qk(q, k, torch.arange(48))
    for offset in (1, 20, 47):
        part_q, part_k = rope.rotate_qk(q[:, :, offset:], k[:, :, offset:], torch.arange(offset, 48))
        torch.testing.assert_close(part_q, full_q[:, :, offset:], rtol=0, atol=0)
        torch.testing.assert_close(part_k, full_k[:, :, offset:], rtol=0, atol=0)


def test_module_matches_llama_rotary_embedding_and_apply():
    hf_config = LlamaConfig(
        hidden_size=512,
        num_attention_heads=8,
        max_position_embeddings=256,
        rope_parameters={"rope_type": "default", "rope_theta": 5e5},
    )
    gen = torch.Generator().manual_seed(7)
    q, k = torch.randn(1, 8, 100, 64, generator=gen), torch.randn(1, 2, 100, 64, generator=gen)
    position_ids = torch.arange(100)[None]
    want_q, want_k = apply_rotary_pos_emb(q, k, *LlamaRotaryEmbedding(hf_config)(q, position_ids))
    got_q, got_k = RoPE(64, base=5e5, max_seq_len=256).rotate_qk(q, k, position_ids[0])
    torch.testing.assert_close(got_q, want_q, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(got_k, want_k, rtol=1e-6, atol=1e-6)


def test_cache_is_non_persistent_and_rebuilt_only_when_outgrown():
    rope = RoPE(32, max_seq_len=16)
    assert rope.cos_cached.shape == (16, 16) and rope.state_dict() == {}
    cached = rope.cos_cached
    rope.lookup(torch.arange(10))
    assert rope.cos_cached is cached  # within the cache: no rebuild
    cos, sin = rope.lookup(torch.tensor([3, 40]))
    assert rope.cos_cached.shape[0] >= 41  # outgrown: rebuilt larger
    want_cos, want_sin = closed_form_cos_sin([3, 40], 32, 1e4)
    torch.testing.assert_close(cos.double(), want_cos, rtol=0, atol=1e-5)
    torch.testing.assert_close(sin.double(), want_sin, rtol=0, atol=1e-5)
    grown = rope.cos_cached
    rope.lookup(torch.arange(41))
    assert rope.cos_cached is grown


def test_set_scaling_changes_inv_freq_as_frequencies_says():
    rope = RoPE(64, base=1e4, max_seq_len=512)
    default = torch.tensor([1e4 ** (-2 * i / 64) for i in range(32)], dtype=torch.float64)
    torch.testing.assert_close(rope.inv_freq.double(), default, rtol=1e-6, atol=0)

    rope.set_scaling({"rope_type": "linear", "factor": 4})
    torch.testing.assert_close(rope.inv_freq.double(), default / 4, rtol=1e-6, atol=0)
    x = torch.randn(1, 1, 8, 64)
    cos, sin = closed_form_cos_sin(list(range(0, 32, 4)), 64, 1e4)  # PI: position m acts like m / 4
    got, _ = rope.rotate_qk(x, x, torch.arange(0, 8) * 16)
    torch.testing.assert_close(got, apply(x, cos.float(), sin.float()), rtol=1e-4, atol=1e-4)

    # yarn with the training length as original_max_position_embeddings, against transformers
    rope.set_scaling({"rope_type": "yarn", "factor": 8.0})
    hf = LlamaConfig(
        hidden_size=512,
        num_attention_heads=8,
        max_position_embeddings=4096,
        rope_parameters={
            "rope_type": "yarn",
            "rope_theta": 1e4,
            "factor": 8.0,
            "original_max_position_embeddings": 512,
        },
    )
    want, want_scaling = ROPE_INIT_FUNCTIONS["yarn"](hf, None, None)
    torch.testing.assert_close(rope.inv_freq, want, rtol=1e-6, atol=0)
    assert rope.attention_scaling == pytest.approx(want_scaling)
    cos, _ = rope.lookup(torch.tensor([0]))
    assert cos[0, 0].item() == pytest.approx(want_scaling, rel=1e-6)  # cos(0) · attention factor

    rope.set_scaling(None)
    torch.testing.assert_close(rope.inv_freq.double(), default, rtol=1e-6, atol=0)
    assert rope.attention_scaling == 1.0


@pytest.mark.parametrize("original_in_dict", [False, True])
@pytest.mark.parametrize("rope_type", ["dynamic", "longrope"])
def test_length_dependent_scaling_follows_transformers_rotary_embedding(rope_type, original_in_dict):
    """dynamic NTK and LongRoPE switch frequencies once max position + 1 exceeds the trained length
    (max_seq_len, or original_max_position_embeddings when the scaling dict gives it)."""
    head_dim, trained = 64, 128
    scaling: dict = {"rope_type": rope_type, "factor": 4.0}
    if original_in_dict:
        scaling["original_max_position_embeddings"] = trained
    if rope_type == "longrope":
        scaling |= {
            "short_factor": [1.0 + 0.01 * i for i in range(32)],
            "long_factor": [1.0 + 0.2 * i for i in range(32)],
        }
    hf_parameters = {"rope_theta": 1e4, **scaling}
    if rope_type == "longrope":
        hf_parameters["original_max_position_embeddings"] = trained
    else:
        hf_parameters.pop("original_max_position_embeddings", None)  # transformers' dynamic never reads it
    hf_config = LlamaConfig(
        hidden_size=head_dim * 4,
        num_attention_heads=4,
        max_position_embeddings=trained if rope_type == "dynamic" else 4 * trained,
        rope_parameters=hf_parameters,
    )
    max_seq_len = 4 * trained if original_in_dict else trained
    rope = RoPE(head_dim, base=1e4, max_seq_len=max_seq_len, rope_scaling=scaling)
    x = torch.zeros(1, 1, 1, head_dim)
    for length in (100, 128, 129, 300, 100):  # short again at the end: no state carried over
        hf_cos, hf_sin = LlamaRotaryEmbedding(hf_config)(x, torch.arange(length)[None])  # fresh module
        cos, sin = rope.lookup(torch.arange(length))
        torch.testing.assert_close(cos, hf_cos[0, :, : head_dim // 2], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(sin, hf_sin[0, :, : head_dim // 2], rtol=1e-6, atol=1e-6)


def test_build_and_from_dims():
    rope = build(
        "rope",
        d_model=256,
        n_heads=4,
        head_dim=64,
        max_seq_len=128,
        base=5e5,
        layout="interleaved",
        partial_rotary_factor=0.5,
    )
    assert isinstance(rope, RoPE) and rope.acts_on == "qk" and rope.name == "rope"
    assert rope.rotary_dim == 32 and rope.layout == "interleaved" and rope.max_positions is None
    with pytest.raises(ValueError, match="rope_theta"):
        RoPE.from_dims(d_model=256, n_heads=4, head_dim=64, max_seq_len=128, rope_theta=1e4)


MODULE_ERRORS = [
    (lambda: RoPE(64, layout="neox"), "layout"),
    (lambda: RoPE(64, max_seq_len=0), "max_seq_len"),
    (lambda: RoPE(63), "rotary dim"),
    (lambda: RoPE(64, rope_scaling={"rope_type": "yarn", "factor": 0.5}), "factor"),
    (lambda: RoPE(64, rope_scaling="yarn"), "rope_scaling"),
    (
        lambda: RoPE(64).rotate_qk(torch.randn(1, 1, 3, 64), torch.randn(1, 1, 3, 64), torch.arange(3.0)),
        "integers",
    ),
    (lambda: RoPE(64).lookup(torch.tensor([-1, 0])), "positions must be >= 0"),
]


@pytest.mark.parametrize(("call", "message"), MODULE_ERRORS, ids=[m for _, m in MODULE_ERRORS])
def test_module_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_failed_set_scaling_leaves_the_module_unchanged():
    rope = RoPE(64, max_seq_len=64)
    before = rope.inv_freq.clone()
    with pytest.raises(ValueError, match="original_max_position_embeddings"):
        rope.set_scaling(
            {
                "rope_type": "llama3",
                "factor": 8,
                "low_freq_factor": 1,
                "high_freq_factor": 4,
                "original_max_position_embeddings": -5,
            }
        )
    assert torch.equal(rope.inv_freq, before) and rope.rope_type == "default"


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_module_cast_to_low_precision_keeps_float32_frequencies_and_table(dtype):
    """model.to(bf16) casts every float buffer; θ rounded to bf16 moves slow pairs by hundreds of
    positions' worth of angle. The module recomputes θ and its table in float32, so cos/sin equal
    those of a float32 module — at cached positions and beyond the cache."""
    want = RoPE(64, max_seq_len=16, rope_scaling={"rope_type": "yarn", "factor": 4.0})
    cast = RoPE(64, max_seq_len=16, rope_scaling={"rope_type": "yarn", "factor": 4.0}).to(dtype)
    assert cast.inv_freq.dtype == dtype  # what the cast did
    for positions in (torch.arange(8), torch.arange(3000, 3008)):
        got_cos, got_sin = cast.lookup(positions)
        want_cos, want_sin = want.lookup(positions)
        assert got_cos.dtype == torch.float32 and cast.inv_freq.dtype == torch.float32
        torch.testing.assert_close(got_cos, want_cos, rtol=0, atol=0)
        torch.testing.assert_close(got_sin, want_sin, rtol=0, atol=0)
