"""Fuzzing the encodings with hypothesis (issue 18): bad input is a ``ValueError``/``TypeError`` with a
message, never another exception; a config the library accepts gives finite numbers at positions up to
1e6 in float32, and for bfloat16 / float16 inputs.

Each property runs ``POSENC_FUZZ_EXAMPLES`` examples (default 60, a few seconds for the whole file);
a long run sets it higher, e.g. ``POSENC_FUZZ_EXAMPLES=10000 pytest tests/encodings/test_fuzz.py``.
"""

from __future__ import annotations

import math
import os

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posenc.encodings import FAMILIES, alibi, build, rope, sinusoidal, t5
from posenc.encodings.rope_scaling import ROPE_TYPES

EXAMPLES = int(os.environ.get("POSENC_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 60,  # CI: the same examples every run; a long run explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAX_POSITION = 10**6
DTYPES = (torch.float32, torch.bfloat16, torch.float16)

# ------------------------------------------------------------------------------------------ strategies
NASTY_FLOATS = st.sampled_from(
    [math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1e-300, 5e-324, 1e300, 1.7e308, 1.0, 0.5, 2.0]
)
# Integers: small ones, and ones beyond every size limit (2^24), never the range in between: a valid
# size of 10^6 x 10^6 is the caller's choice, and its allocation would only test the machine's memory.
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1.0, max_value=1e7),
    st.integers(min_value=-(2**70), max_value=4096),
    st.integers(min_value=2**24 + 1, max_value=2**70),
    NASTY_FLOATS,
)
GARBAGE = st.one_of(
    st.none(), st.booleans(), st.text(max_size=4), st.just("64"), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
VALUES = st.one_of(NUMBERS, GARBAGE)


def sometimes(strategy):
    """Mostly a sensible value, sometimes anything at all."""
    return st.one_of(strategy, strategy, strategy, VALUES)


def _factor_list(n_pairs):
    return st.one_of(
        st.lists(st.floats(min_value=1.0, max_value=64.0), min_size=n_pairs, max_size=n_pairs), VALUES
    )


@st.composite
def rope_configs(draw):
    """A Hugging Face style config dict: usually plausible, with fields swapped for junk now and then."""
    head_dim = draw(sometimes(st.sampled_from([2, 8, 16, 32, 64, 128])))
    config = {
        "head_dim": head_dim,
        "rope_theta": draw(sometimes(st.floats(min_value=1.5, max_value=1e9))),
        "max_position_embeddings": draw(sometimes(st.integers(min_value=1, max_value=1 << 20))),
    }
    if draw(st.booleans()):
        config["partial_rotary_factor"] = draw(sometimes(st.sampled_from([0.25, 0.5, 1.0])))
    rope_type = draw(st.sampled_from([*ROPE_TYPES, "nonsense", None]))
    if rope_type is not None and draw(st.integers(0, 4)):
        pairs = head_dim // 2 if isinstance(head_dim, int) and 0 < head_dim <= 512 else 4
        scaling = {"rope_type": rope_type, "factor": draw(sometimes(st.floats(min_value=1.0, max_value=64)))}
        scaling["original_max_position_embeddings"] = draw(sometimes(st.integers(1, 1 << 16)))
        for key, strategy in (
            ("beta_fast", st.floats(min_value=1, max_value=64)),
            ("beta_slow", st.floats(min_value=0.5, max_value=1)),
            ("attention_factor", st.floats(min_value=0.5, max_value=4)),
            ("mscale", st.floats(min_value=0, max_value=2)),
            ("mscale_all_dim", st.floats(min_value=0, max_value=2)),
            ("low_freq_factor", st.floats(min_value=0.5, max_value=2)),
            ("high_freq_factor", st.floats(min_value=3, max_value=8)),
            ("truncate", st.booleans()),
            ("short_factor", _factor_list(pairs)),
            ("long_factor", _factor_list(pairs)),
        ):
            if draw(st.integers(0, 2)) == 0 or (rope_type == "llama3" and "freq" in key):
                scaling[key] = draw(sometimes(strategy))
            if rope_type == "longrope" and key.endswith("_factor") and key != "attention_factor":
                scaling[key] = draw(_factor_list(pairs) if draw(st.integers(0, 3)) else VALUES)
        config[draw(st.sampled_from(["rope_scaling", "rope_parameters"]))] = scaling
    return config


def _accepts_or_explains(call):
    """Run ``call``: the result, or None when it raised ValueError/TypeError with a message. Any other
    exception (OverflowError, ZeroDivisionError, RuntimeError, IndexError, ...) fails the test."""
    try:
        return call()
    except (ValueError, TypeError) as err:
        assert str(err).strip(), f"{type(err).__name__} without a message"
        return None


def _positions(draw_max, n):
    """n integer positions in [0, draw_max], always including the largest."""
    return torch.cat([torch.randint(0, draw_max + 1, (n - 1,)), torch.tensor([draw_max])]).sort().values


# ------------------------------------------------------------------------------------------ properties
@FUZZ
@given(config=rope_configs(), top=st.integers(0, MAX_POSITION), dtype=st.sampled_from(DTYPES))
def test_rope_frequencies_accept_or_explain_and_accepted_configs_stay_finite(config, top, dtype):
    seq_len = top + 1 if top % 2 else None  # dynamic / longrope read the current length
    result = _accepts_or_explains(lambda: rope.frequencies(config, seq_len=seq_len))
    if result is None:
        return
    inv_freq, scaling = result
    assert inv_freq.dtype == torch.float32 and torch.isfinite(inv_freq).all() and (inv_freq > 0).all()
    assert math.isfinite(scaling) and scaling > 0
    positions = _positions(top, 8)
    cos, sin = rope.cos_sin(positions, inv_freq, scaling)
    assert torch.isfinite(cos).all() and torch.isfinite(sin).all()
    head_dim = 2 * inv_freq.numel() + 2  # a pass-through tail as partial rotary leaves one
    x = torch.randn(1, 2, positions.numel(), head_dim).to(dtype)
    y = rope.apply(x, cos, sin)
    assert y.dtype == dtype and torch.isfinite(y).all(), (config, top, dtype)


@FUZZ
@given(
    name=st.sampled_from([*FAMILIES, "rope ", "", 3]),
    d_model=sometimes(st.sampled_from([8, 16, 32, 48, 64])),
    n_heads=sometimes(st.sampled_from([1, 2, 3, 4, 8])),
    head_dim=st.one_of(st.none(), sometimes(st.sampled_from([2, 4, 8, 16, 12]))),
    max_seq_len=sometimes(st.integers(1, 512)),
    options=st.dictionaries(
        st.sampled_from(
            ["base", "scale", "scale_base", "init_std", "partial_rotary_factor", "layout", "center",
             "num_buckets", "max_distance", "bidirectional", "rope_scaling", "bogus"]
        ),
        st.one_of(VALUES, st.sampled_from(["half", "interleaved", "middle"])),
        max_size=3,
    ),
    top=st.integers(0, MAX_POSITION),
    dtype=st.sampled_from(DTYPES),
)  # fmt: skip
def test_build_accepts_or_explains_and_every_hook_stays_finite(
    name, d_model, n_heads, head_dim, max_seq_len, options, top, dtype
):
    dims = {"d_model": d_model, "n_heads": n_heads, "head_dim": head_dim, "max_seq_len": max_seq_len}
    pe = _accepts_or_explains(lambda: build(name, **dims, **options))
    if pe is None:
        return
    if pe.acts_on == "input":  # an absolute table up to the largest position: at most 4 M entries here
        top = min(top, pe.max_positions - 1 if pe.max_positions else 2**22 // d_model)
    positions = _positions(top, 6)
    if pe.acts_on == "input":
        out = _accepts_or_explains(lambda: pe.add_to_input(torch.randn(1, 6, d_model).to(dtype), positions))
    elif pe.acts_on == "qk":
        h_d = head_dim or d_model // n_heads
        q, k = torch.randn(1, n_heads, 6, h_d).to(dtype), torch.randn(1, 1, 6, h_d).to(dtype)
        out = _accepts_or_explains(lambda: torch.cat([t.flatten() for t in pe.rotate_qk(q, k, positions)]))
    elif pe.acts_on == "bias":
        out = pe.score_bias(positions, positions)
    else:
        return
    if out is not None:  # xPos refuses positions too far from its centre; everything else must work
        assert torch.isfinite(out).all(), (name, dims, options, top, dtype)


@FUZZ
@given(value=VALUES)
def test_cos_sin_rejects_any_attention_scaling_but_a_sane_number(value):
    inv_freq = torch.tensor([1.0, 0.01])
    result = _accepts_or_explains(lambda: rope.cos_sin(torch.arange(4), inv_freq, value))
    if result is not None:
        assert 0 < value <= 1e3 and all(torch.isfinite(t).all() for t in result)


@FUZZ
@given(
    n_heads=sometimes(st.integers(1, 4096)),
    top=st.integers(0, MAX_POSITION),
    buckets=sometimes(st.integers(2, 512)),
    max_distance=sometimes(st.integers(1, 1 << 20)),
    bidirectional=sometimes(st.booleans()),
)
def test_bias_functions_accept_or_explain_and_stay_in_range(
    n_heads, top, buckets, max_distance, bidirectional
):
    slopes = _accepts_or_explains(lambda: alibi.slopes(n_heads))
    positions = _positions(top, 5)
    if slopes is not None:
        assert (slopes > 0).all() and (slopes < 1).all()
        assert torch.isfinite(alibi.linear_bias(positions, positions, slopes)).all()
    relative = positions[None, :] - positions[:, None]  # [5, 5], offsets up to ±1e6
    index = _accepts_or_explains(
        lambda: t5.relative_position_bucket(relative, bidirectional, buckets, max_distance)
    )
    if index is not None:
        assert int(index.min()) >= 0 and int(index.max()) < buckets


@FUZZ
@given(seq_len=sometimes(st.integers(0, 64)), dim=sometimes(st.integers(2, 64)), base=VALUES)
def test_sinusoidal_table_accepts_or_explains_and_stays_finite(seq_len, dim, base):
    table = _accepts_or_explains(lambda: sinusoidal.table(seq_len, dim, base))
    if table is not None:
        assert table.shape == (seq_len, dim) and torch.isfinite(table).all()


@pytest.mark.parametrize(
    "config",
    [
        {"head_dim": 64, "rope_theta": 1e-300},  # θ = 1/0: infinite
        {"head_dim": 64, "rope_theta": 1e300},  # θ underflows to 0
        {"head_dim": 64, "rope_scaling": {"rope_type": "ntk", "factor": 1e308}},  # float power overflows
        {"head_dim": 64, "rope_scaling": {"rope_type": "linear", "factor": 1e308}},
        {"head_dim": 2**30},  # a typo that would allocate gigabytes
    ],
)
def test_known_bad_configs_from_the_issue_are_refused(config):
    with pytest.raises(ValueError, match=r"rope_theta|rotary dim|factor"):
        rope.frequencies(config)
