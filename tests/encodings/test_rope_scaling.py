"""RoPE scaling: every rope_type against an independent reference.

References: transformers' ``ROPE_INIT_FUNCTIONS`` (and GPT-NeoX's default RoPE, which honours
``partial_rotary_factor``), a transcription of MiniMind's ``precompute_freqs_cis``, and closed forms
computed by hand in float64.
"""

from __future__ import annotations

import itertools
import math
import re

import pytest
import torch
from transformers import LlamaConfig, Phi3Config
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.gpt_neox.modeling_gpt_neox import GPTNeoXRotaryEmbedding
from transformers.utils import logging as hf_logging

from posenc.encodings.rope import cos_sin, frequencies
from posenc.encodings.rope_config import validate
from posenc.encodings.rope_scaling import ROPE_TYPES, RopeParams

hf_logging.set_verbosity_error()  # transformers warns about unusual but valid configs; not our subject

HF_TYPES = ["default", "linear", "dynamic", "yarn", "longrope", "llama3"]
HEAD_DIMS = [64, 128, 96]
BASES = [1e4, 5e5, 1e6]
FACTORS = [2, 4, 8, 16]
PARTIALS = [1.0, 0.5, 0.25]
ORIGINAL = 4096  # the pretraining length L of every scaled config below
SEQ_LENS = [1024, ORIGINAL, ORIGINAL + 1, 50_000]  # below, at, just above and far above L
N_HEADS = 8


def scaling_keys(rope_type: str, factor: float, rotary_dim: int) -> dict:
    """The method-specific keys of a realistic config (Llama 3.1's bands, Phi-3-like factor lists)."""
    keys: dict = {}
    if rope_type in ("linear", "dynamic", "yarn", "llama3", "longrope"):
        keys["factor"] = float(factor)
    if rope_type in ("yarn", "longrope", "llama3"):
        keys["original_max_position_embeddings"] = ORIGINAL
    if rope_type == "llama3":
        keys.update(low_freq_factor=1.0, high_freq_factor=4.0)
    if rope_type == "longrope":
        n = rotary_dim // 2
        keys["short_factor"] = [1.0 + 0.5 * i / n for i in range(n)]
        keys["long_factor"] = [1.0 + 1.3 * factor * i / n for i in range(n)]
    return keys


def extended_length(rope_type: str, factor: float) -> int:
    """max_position_embeddings: dynamic reads the trained length there, the others the extended s·L."""
    return ORIGINAL if rope_type in ("default", "dynamic") else int(ORIGINAL * factor)


def hf_frequencies(rope_type: str, config, seq_len: int | None) -> tuple[torch.Tensor, float]:
    if rope_type == "default":  # transformers has no registry entry for it; GPT-NeoX's honours partial rotary
        return GPTNeoXRotaryEmbedding.compute_default_rope_parameters(config)
    return ROPE_INIT_FUNCTIONS[rope_type](config, None, seq_len)


def our_config(
    style: str, head_dim: int, base: float, partial: float, max_pos: int, rope_type: str, keys: dict
):
    """The same model written as a transformers 4.x config.json (rope_theta + rope_scaling with the
    ``type`` alias, head_dim implied by hidden_size) or a 5.x one (everything in rope_parameters)."""
    if style == "4.x":
        return {
            "hidden_size": head_dim * N_HEADS,
            "num_attention_heads": N_HEADS,
            "rope_theta": base,
            "partial_rotary_factor": partial,
            "max_position_embeddings": max_pos,
            "rope_scaling": None if rope_type == "default" else {"type": rope_type, **keys},
        }
    return {
        "head_dim": head_dim,
        "max_position_embeddings": max_pos,
        "rope_parameters": {
            "rope_type": rope_type,
            "rope_theta": base,
            "partial_rotary_factor": partial,
            **keys,
        },
    }


@pytest.mark.parametrize("style", ["4.x", "5.x"])
@pytest.mark.parametrize("partial", PARTIALS)
@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("rope_type", HF_TYPES)
def test_frequencies_match_transformers(rope_type, head_dim, partial, style):
    rotary_dim = int(head_dim * partial)
    # only dynamic and longrope read seq_len; the others are checked below and above L all the same
    seq_lens = SEQ_LENS if rope_type in ("dynamic", "longrope") else [SEQ_LENS[0], SEQ_LENS[-1]]
    for base, factor in itertools.product(BASES, FACTORS):
        keys = scaling_keys(rope_type, factor, rotary_dim)
        max_pos = extended_length(rope_type, factor)
        hf_config = LlamaConfig(
            hidden_size=head_dim * N_HEADS,
            num_attention_heads=N_HEADS,
            head_dim=head_dim,
            max_position_embeddings=max_pos,
            rope_parameters={
                "rope_type": rope_type,
                "rope_theta": base,
                "partial_rotary_factor": partial,
                **keys,
            },
        )
        config = our_config(style, head_dim, base, partial, max_pos, rope_type, keys)
        for seq_len in seq_lens:
            want, want_scaling = hf_frequencies(rope_type, hf_config, seq_len)
            got, got_scaling = frequencies(config, seq_len=seq_len)
            case = f"{rope_type} base={base:g} factor={factor} seq_len={seq_len}"
            assert got.dtype == torch.float32 and got.shape == (rotary_dim // 2,), case
            torch.testing.assert_close(got, want, rtol=1e-6, atol=0, msg=case)
            assert got_scaling == pytest.approx(want_scaling, rel=1e-6), case


YARN_AND_FRIENDS = [
    ("yarn", {"mscale": 1.0, "mscale_all_dim": 0.707}),  # DeepSeek-style attention factor
    ("yarn", {"mscale": 1.0, "mscale_all_dim": 1.0}),
    ("yarn", {"attention_factor": 1.5}),
    ("yarn", {"truncate": False}),  # gpt-oss leaves the ramp bounds fractional
    ("yarn", {"beta_fast": 16, "beta_slow": 2}),
    ("longrope", {"attention_factor": 1.2}),
    ("llama3", {"low_freq_factor": 2.0, "high_freq_factor": 8.0}),
    ("dynamic", {}),
]


@pytest.mark.parametrize("head_dim", [64, 128])
@pytest.mark.parametrize(("rope_type", "extra"), YARN_AND_FRIENDS)
def test_variants_match_transformers(rope_type, extra, head_dim):
    for base, factor, seq_len in itertools.product([1e4, 1e6], [2, 8, 32], [None, 1000, 20_000]):
        keys = scaling_keys(rope_type, factor, head_dim) | extra
        max_pos = extended_length(rope_type, factor)
        hf_config = LlamaConfig(
            hidden_size=head_dim * N_HEADS,
            num_attention_heads=N_HEADS,
            max_position_embeddings=max_pos,
            rope_parameters={"rope_type": rope_type, "rope_theta": base, **keys},
        )
        want, want_scaling = ROPE_INIT_FUNCTIONS[rope_type](hf_config, None, seq_len)
        got, got_scaling = frequencies(
            our_config("5.x", head_dim, base, 1.0, max_pos, rope_type, keys), seq_len=seq_len
        )
        case = f"{rope_type} {extra} base={base:g} factor={factor} seq_len={seq_len}"
        torch.testing.assert_close(got, want, rtol=1e-6, atol=0, msg=case)
        assert got_scaling == pytest.approx(want_scaling, rel=1e-6), case


@pytest.mark.parametrize("seq_len", [None, 4096, 4097, 100_000])
def test_phi3_style_longrope_reads_top_level_original_and_derives_factor(seq_len):
    """Phi-3's config.json keeps original_max_position_embeddings outside rope_scaling and has no
    factor: s = max_position_embeddings / L sets the attention factor √(1 + ln s / ln L)."""
    head_dim, n = 96, 48
    scaling = {
        "type": "longrope",
        "short_factor": [1.0 + 0.01 * i for i in range(n)],
        "long_factor": [1.0 + 0.5 * i for i in range(n)],
    }
    config = {
        "hidden_size": head_dim * 32,
        "num_attention_heads": 32,
        "rope_theta": 10000.0,
        "max_position_embeddings": 131072,
        "original_max_position_embeddings": 4096,
        "rope_scaling": scaling,
    }
    phi3 = Phi3Config(
        hidden_size=head_dim * 32,
        num_attention_heads=32,
        max_position_embeddings=131072,
        original_max_position_embeddings=4096,
        rope_theta=10000.0,
        rope_scaling=dict(scaling),
    )
    want, want_scaling = ROPE_INIT_FUNCTIONS["longrope"](phi3, None, seq_len)
    got, got_scaling = frequencies(config, seq_len=seq_len)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=0)
    assert got_scaling == pytest.approx(math.sqrt(1 + math.log(32) / math.log(4096)), rel=1e-12)
    assert got_scaling == pytest.approx(want_scaling, rel=1e-6)


# ---------------------------------------------------------------------------------------------------
# ntk (teaching variant): closed form by hand
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("head_dim", HEAD_DIMS)
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("factor", FACTORS)
def test_ntk_is_base_times_factor_to_d_over_d_minus_2(head_dim, base, factor):
    d = head_dim
    new_base = base * factor ** (d / (d - 2))
    want = torch.tensor([new_base ** (-2 * i / d) for i in range(d // 2)], dtype=torch.float64)
    got, scaling = frequencies(
        {"head_dim": d, "rope_theta": base, "rope_scaling": {"rope_type": "ntk", "factor": factor}}
    )
    torch.testing.assert_close(got.double(), want, rtol=1e-6, atol=0)
    assert scaling == 1.0
    # the design choice: the highest frequency is kept, the lowest is divided by exactly s (like PI)
    assert got[0].item() == pytest.approx(1.0, rel=1e-6)
    assert got[-1].item() == pytest.approx(base ** (-(d - 2) / d) / factor, rel=1e-5)


def test_linear_divides_every_frequency_by_the_factor():
    d, base = 64, 1e4
    want = torch.tensor([base ** (-2 * i / d) / 4 for i in range(d // 2)], dtype=torch.float64)
    got, _ = frequencies({"head_dim": d, "rope_theta": base, "rope_scaling": {"type": "linear", "factor": 4}})
    torch.testing.assert_close(got.double(), want, rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------------------------------
# minimind_yarn: against a transcription of MiniMind
# ---------------------------------------------------------------------------------------------------


def minimind_precompute_freqs_cis(
    dim: int, end: int = int(32 * 1024), rope_base: float = 1e6, rope_scaling=None
):
    """Transcribed from MiniMind, model/model_minimind.py, ``precompute_freqs_cis``:
    https://github.com/jingyaogong/minimind/blob/0074dcfd506e8097f981ebe091235606fa57c03b/model/model_minimind.py
    Kept line for line (only reformatted); it returns [end, dim] tables in the "half" layout."""
    freqs, attn_factor = 1.0 / (rope_base ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim)), 1.0
    if rope_scaling is not None:  # YaRN: f'(i) = f(i)((1-γ) + γ/s), where γ∈[0,1] is linear ramp
        orig_max, factor, beta_fast, beta_slow, attn_factor = (
            rope_scaling.get("original_max_position_embeddings", 2048),
            rope_scaling.get("factor", 16),
            rope_scaling.get("beta_fast", 32.0),
            rope_scaling.get("beta_slow", 1.0),
            rope_scaling.get("attention_factor", 1.0),
        )
        if end / orig_max > 1.0:

            def inv_dim(b):
                return (dim * math.log(orig_max / (b * 2 * math.pi))) / (2 * math.log(rope_base))

            low, high = (
                max(math.floor(inv_dim(beta_fast)), 0),
                min(math.ceil(inv_dim(beta_slow)), dim // 2 - 1),
            )
            ramp = torch.clamp(
                (torch.arange(dim // 2, device=freqs.device).float() - low) / max(high - low, 0.001), 0, 1
            )
            freqs = freqs * (1 - ramp + ramp / factor)
    t = torch.arange(end, device=freqs.device)
    freqs = torch.outer(t, freqs).float()
    freqs_cos = torch.cat([torch.cos(freqs), torch.cos(freqs)], dim=-1) * attn_factor
    freqs_sin = torch.cat([torch.sin(freqs), torch.sin(freqs)], dim=-1) * attn_factor
    return freqs_cos, freqs_sin


# MiniMind's own settings (MiniMindConfig with inference_rope_scaling=True), then variations
MINIMIND_CASES = [
    dict(
        dim=64,
        end=32768,
        base=1e6,
        scaling={
            "beta_fast": 32,
            "beta_slow": 1,
            "factor": 16,
            "original_max_position_embeddings": 2048,
            "attention_factor": 1.0,
        },
    ),
    dict(dim=64, end=4096, base=1e6, scaling={"factor": 16, "original_max_position_embeddings": 2048}),
    dict(
        dim=128,
        end=8192,
        base=1e4,
        scaling={
            "factor": 4,
            "original_max_position_embeddings": 512,
            "attention_factor": 1.2,
            "beta_fast": 16,
            "beta_slow": 2,
        },
    ),
    # ceil(dim(beta_slow)) = 34 > d/2 - 1: MiniMind clamps the ramp's upper bound at 31, transformers at 63
    dict(dim=64, end=8192, base=500.0, scaling={"factor": 2, "original_max_position_embeddings": 4096}),
    # table no longer than L: MiniMind leaves the frequencies alone (but still applies attention_factor)
    dict(
        dim=64,
        end=2048,
        base=1e6,
        scaling={"factor": 16, "original_max_position_embeddings": 2048, "attention_factor": 0.9},
    ),
]


@pytest.mark.parametrize("case", MINIMIND_CASES, ids=lambda c: f"d{c['dim']}-end{c['end']}-{c['scaling']}")
def test_minimind_yarn_matches_minimind_tables(case):
    dim, end, base, scaling = case["dim"], case["end"], case["base"], case["scaling"]
    want_cos, want_sin = minimind_precompute_freqs_cis(dim, end, base, scaling)
    config = {
        "head_dim": dim,
        "rope_theta": base,
        "max_position_embeddings": end,
        "rope_scaling": {"rope_type": "minimind_yarn", **scaling},
    }
    inv_freq, attention = frequencies(config)
    cos, sin = cos_sin(torch.arange(end), inv_freq, attention)
    half = dim // 2
    for got, want in ((cos, want_cos), (sin, want_sin)):
        torch.testing.assert_close(got, want[:, :half], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(got, want[:, half:], rtol=1e-6, atol=1e-6)


def test_minimind_default_path_matches_minimind_tables():
    want_cos, want_sin = minimind_precompute_freqs_cis(64, 32768, 1e6, None)
    inv_freq, attention = frequencies({"head_dim": 64, "rope_theta": 1e6, "max_position_embeddings": 32768})
    cos, sin = cos_sin(torch.arange(32768), inv_freq, attention)
    torch.testing.assert_close(cos, want_cos[:, :32], rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(sin, want_sin[:, 32:], rtol=1e-6, atol=1e-6)


def test_minimind_yarn_differs_from_transformers_yarn_where_documented():
    """Same settings, two recipes: the attention factor defaults differ (1 vs 0.1·ln s + 1), and the
    ramp's upper clamp differs when ceil(dim(β_slow)) > d/2 − 1."""
    keys = {"factor": 16, "original_max_position_embeddings": 2048}
    base_config = {"head_dim": 64, "rope_theta": 1e6, "max_position_embeddings": 32768}
    _, mm_attention = frequencies(base_config | {"rope_scaling": {"rope_type": "minimind_yarn", **keys}})
    _, hf_attention = frequencies(base_config | {"rope_scaling": {"rope_type": "yarn", **keys}})
    assert mm_attention == 1.0
    assert hf_attention == pytest.approx(0.1 * math.log(16) + 1)

    keys = {"factor": 2, "original_max_position_embeddings": 4096, "attention_factor": 1.0}
    clamp_config = {"head_dim": 64, "rope_theta": 500.0, "max_position_embeddings": 8192}
    mm, _ = frequencies(clamp_config | {"rope_scaling": {"rope_type": "minimind_yarn", **keys}})
    hf, _ = frequencies(clamp_config | {"rope_scaling": {"rope_type": "yarn", **keys}})
    assert not torch.allclose(mm, hf, rtol=1e-3)


def test_registry_lists_every_documented_rope_type():
    assert list(ROPE_TYPES) == [
        "default",
        "linear",
        "ntk",
        "dynamic",
        "yarn",
        "longrope",
        "llama3",
        "minimind_yarn",
    ]
    for fn in ROPE_TYPES.values():
        assert fn.__doc__ and "Reads" in fn.__doc__


# ---------------------------------------------------------------------------------------------------
# errors: each names the bad field
# ---------------------------------------------------------------------------------------------------

GOOD_LONG = [1.0] * 32


def _cfg(**rope_scaling) -> dict:
    return {"head_dim": 64, "rope_theta": 1e4, "max_position_embeddings": 8192, "rope_scaling": rope_scaling}


BAD_CONFIGS = [
    (_cfg(rope_type="foo"), "rope_type 'foo'"),
    (_cfg(type="su"), "rope_type 'su'"),
    (_cfg(rope_type="linear", factor=0.5), "'factor'"),
    (_cfg(rope_type="linear"), "'factor'"),
    (_cfg(rope_type="dynamic", factor="2"), "'factor'"),
    (_cfg(rope_type="ntk", factor=-1), "'factor'"),
    (_cfg(rope_type="yarn", factor=4), "original_max_position_embeddings"),
    (
        _cfg(rope_type="llama3", factor=8, low_freq_factor=1, high_freq_factor=4),
        "original_max_position_embeddings",
    ),
    (
        _cfg(rope_type="yarn", factor=4, original_max_position_embeddings=0),
        "original_max_position_embeddings",
    ),
    (
        _cfg(rope_type="yarn", factor=4, original_max_position_embeddings=2048, attention_factor=-1.0),
        "attention_factor",
    ),
    (
        _cfg(rope_type="yarn", factor=4, original_max_position_embeddings=2048, beta_fast=1, beta_slow=32),
        "beta_fast",
    ),
    (_cfg(rope_type="yarn", factor=4, original_max_position_embeddings=2048, truncate="yes"), "truncate"),
    (
        _cfg(rope_type="minimind_yarn", factor=4, original_max_position_embeddings=2048, beta_slow=0),
        "beta_slow",
    ),
    (
        _cfg(
            rope_type="longrope",
            original_max_position_embeddings=2048,
            short_factor=[1.0] * 31,
            long_factor=GOOD_LONG,
        ),
        "short_factor",
    ),
    (
        _cfg(
            rope_type="longrope",
            original_max_position_embeddings=2048,
            short_factor=GOOD_LONG,
            long_factor=[1.0] * 33,
        ),
        "long_factor",
    ),
    (
        _cfg(rope_type="longrope", original_max_position_embeddings=2048, short_factor=GOOD_LONG),
        "long_factor",
    ),
    (
        _cfg(
            rope_type="llama3",
            factor=8,
            original_max_position_embeddings=8192,
            low_freq_factor=4,
            high_freq_factor=4,
        ),
        "low_freq_factor",
    ),
    (
        _cfg(rope_type="llama3", factor=8, original_max_position_embeddings=8192, low_freq_factor=1),
        "high_freq_factor",
    ),
    ({"head_dim": 63}, "rotary dim"),
    ({"head_dim": 64, "partial_rotary_factor": 0.3}, "rotary dim"),  # int(19.2) = 19 is odd
    ({"head_dim": 64, "partial_rotary_factor": 0.0}, "partial_rotary_factor"),
    ({"head_dim": 64, "partial_rotary_factor": 1.5}, "partial_rotary_factor"),
    ({"head_dim": 64, "rope_theta": 0}, "rope_theta"),
    ({"head_dim": 64, "rope_theta": -10000.0}, "rope_theta"),
    ({"head_dim": 64, "rope_parameters": {"rope_theta": float("inf")}}, "rope_theta"),
    ({"head_dim": 64, "rope_scaling": [2.0]}, "rope_scaling"),
    ({"head_dim": 64, "rope_parameters": "yarn"}, "rope_parameters"),
    (
        {
            "head_dim": 64,
            "rope_scaling": {"type": "linear", "factor": 2},
            "rope_parameters": {"rope_type": "linear", "factor": 4},
        },
        "rope_parameters",
    ),
    ({"rope_theta": 1e4}, "head_dim"),
    ({"hidden_size": 512}, "num_attention_heads"),
    ({"head_dim": -64}, "head_dim"),
    ({"head_dim": 64, "rope_scaling": {"rope_type": "dynamic", "factor": 2}}, "max_position_embeddings"),
    ({"head_dim": 64, "max_position_embeddings": 0}, "max_position_embeddings"),
    ([("head_dim", 64)], "config"),
]


@pytest.mark.parametrize(("config", "field"), BAD_CONFIGS, ids=[f for _, f in BAD_CONFIGS])
def test_bad_config_raises_value_error_naming_the_field(config, field):
    with pytest.raises(ValueError, match=re.escape(field)):
        frequencies(config)


def test_unknown_rope_type_lists_the_valid_ones():
    with pytest.raises(ValueError) as err:
        frequencies(_cfg(rope_type="yarnn", factor=2))
    for name in ROPE_TYPES:
        assert name in str(err.value)


def test_seq_len_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="seq_len"):
        frequencies({"head_dim": 64}, seq_len=0)


def test_validate_checks_params_directly():
    validate(RopeParams(base=1e4, rotary_dim=64))  # fine: returns None
    with pytest.raises(ValueError, match="rotary dim"):
        validate(RopeParams(base=1e4, rotary_dim=65))
    with pytest.raises(ValueError, match="rope_scaling"):
        validate(RopeParams(base=1e4, rotary_dim=64, scaling=[("rope_type", "linear")]))  # type: ignore[arg-type]
