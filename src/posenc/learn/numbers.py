"""Numbers quoted by the learning content, computed by the library when the content is shown.

Content files never type a derived number by hand: they write a placeholder ``{{name}}`` and
:func:`render` replaces it with the value below, computed from ``posenc.encodings`` (RoPE
frequencies from :func:`posenc.encodings.rope.frequencies`, ALiBi slopes from
:func:`posenc.encodings.alibi.slopes`, T5 buckets, xPos decay bases). A content edit that changes
a setting changes the number with it; ``tests/learn`` checks every value against its closed form.

Conventions used below (the settings the notes quote):
    head_dim 64 at base 1e4 and 1e6 (the wavelength table);
    MiniMind2-small (configs/minimind*.json, commit 9d898576): head_dim 64, rope_theta 1e6, YaRN with
        original_max_position_embeddings L = 2048, factor s = 16, β_fast 32, β_slow 1;
    current MiniMind (minimind-3, MiniMind2 104M): hidden 768 / 8 heads = head_dim 96, same YaRN;
    Llama 3.1 8B: head_dim 128, rope_theta 5e5, L = 8192, s = 8, low/high_freq_factor 1/4;
    Phi-3-mini-128k (LongRoPE): L = 4096, max_position_embeddings 131072 (s = 32).
Wavelength of pair i: λ_i = 2π / θ_i, θ_i = inv_freq[i].
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

#: ``{{ name }}`` in content text
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

_NUMBERS: dict[str, Callable[[], str]] = {}

HEAD_DIM = 64
BASES = {"1e4": 1e4, "1e6": 1e6}
MINIMIND = {"head_dim": 64, "rope_theta": 1e6, "max_position_embeddings": 32768}
MINIMIND_YARN = {"factor": 16, "original_max_position_embeddings": 2048, "beta_fast": 32, "beta_slow": 1}
MINIMIND_HEAD_DIM_96 = 96  # minimind-3 and MiniMind2 (104M): hidden_size 768, 8 attention heads
LLAMA31_8B = {"head_dim": 128, "rope_theta": 5e5, "max_position_embeddings": 131072}
LLAMA31_SCALING = {
    "rope_type": "llama3",
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
}


def _number(fn: Callable[[], str]) -> Callable[[], str]:
    """Register ``fn`` under its own name as a placeholder (cached: each is computed once)."""
    _NUMBERS[fn.__name__] = functools.cache(fn)
    return fn


def names() -> list[str]:
    """Every placeholder name content may use."""
    return sorted(_NUMBERS)


def value(name: str) -> str:
    """The formatted value of placeholder ``name``; ``ValueError`` for an unknown one."""
    if name not in _NUMBERS:
        raise ValueError(f"unknown placeholder {{{{{name}}}}}; known: {', '.join(names())}")
    return _NUMBERS[name]()


def render(text: str, where: str = "content", decorate: Callable[[str, str], str] | None = None) -> str:
    """Replace every ``{{name}}`` in ``text``; an unknown name raises ``ValueError`` naming ``where``.

    ``decorate(name, value)``, when given, returns what is put in place of the value (the web lab
    turns measured numbers into links to the study that measured them)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _NUMBERS:
            raise ValueError(f"{where}: unknown placeholder {{{{{name}}}}}; known: {', '.join(names())}")
        value = _NUMBERS[name]()
        return decorate(name, value) if decorate is not None else value

    from posenc.learn.coderefs import resolve

    return PLACEHOLDER.sub(replace, resolve(text, where))  # line references first: see coderefs


# --------------------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------------------


def tokens(x: float) -> str:
    """A length in tokens: 2 decimals below 100, 1 below 10,000, whole tokens with separators above."""
    if x < 100:
        return f"{x:.2f}"
    if x < 10_000:
        return f"{x:,.1f}"
    return f"{x:,.0f}"


def sig(x: float, digits: int = 4) -> str:
    """``digits`` significant digits in the experiments' one style (:mod:`posenc.results.formatting`):
    ``0.02292``, ``1.277``, ``8.82 × 10⁻⁵`` below 0.001 — never ``8.82e-05``."""
    from posenc.results.formatting import num, power_of_ten

    return power_of_ten(x, digits) if 0 < abs(x) < 1e-3 else num(x, digits)


def base(b: float, digits: int = 3) -> str:
    """A RoPE base as the notes write bases: ``1e6``, ``1.75e7``."""
    from posenc.results.formatting import base as written

    return written(b, digits)


def fixed(x: float, decimals: int = 3) -> str:
    return f"{x:.{decimals}f}"


# --------------------------------------------------------------------------------------------------
# library calls
# --------------------------------------------------------------------------------------------------


@functools.cache
def _inv_freq(base: float, head_dim: int = HEAD_DIM) -> list[float]:
    from posenc.encodings.rope import frequencies

    inv_freq, _ = frequencies({"head_dim": head_dim, "rope_theta": base})
    return inv_freq.tolist()


def _wavelengths(base: float, head_dim: int = HEAD_DIM) -> list[float]:
    return [2 * math.pi / f for f in _inv_freq(base, head_dim)]


def _kappa(config: dict, seq_len: int | None = None) -> list[float]:
    """κ_i = θ_i / θ'_i, the factor each pair's frequency is divided by, and nothing else."""
    from posenc.encodings.rope import frequencies

    plain = {k: v for k, v in config.items() if k not in ("rope_scaling", "rope_parameters")}
    base_freq, _ = frequencies(plain)
    scaled, _ = frequencies(config, seq_len)
    return (base_freq.double() / scaled.double()).tolist()


def _attention(config: dict) -> float:
    from posenc.encodings.rope import frequencies

    return frequencies(config)[1]


def _yarn_config(rope_type: str = "yarn", head_dim: int = HEAD_DIM) -> dict:
    return MINIMIND | {"head_dim": head_dim, "rope_scaling": {"rope_type": rope_type, **MINIMIND_YARN}}


def _bands(kappa: list[float], factor: float) -> tuple[int, int, int]:
    """(kept, in between, divided by the full factor) pair counts."""
    kept = sum(abs(k - 1) < 1e-5 for k in kappa)
    divided = sum(abs(k - factor) < 1e-5 * factor for k in kappa)
    return kept, len(kappa) - kept - divided, divided


# --------------------------------------------------------------------------------------------------
# frequencies and wavelengths (head_dim 64)
# --------------------------------------------------------------------------------------------------


def _theta(x: float) -> str:
    """θ_i in the wavelength table: 4 significant digits with trailing zeros (1.000, 0.7499, 1.334 × 10⁻⁴)."""
    from posenc.results.formatting import power_of_ten

    return power_of_ten(x, 4) if x < 1e-3 else f"{x:#.4g}"


@_number
def wavelength_table() -> str:
    """Markdown table: pair i, θ_i and λ_i at base 1e4 and 1e6, head_dim 64."""
    rows = [
        "| pair i | θ_i, base 1e4 | λ_i, base 1e4 | θ_i, base 1e6 | λ_i, base 1e6 |",
        "|---:|---:|---:|---:|---:|",
    ]
    lo, hi = _inv_freq(1e4), _inv_freq(1e6)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        lam_a, lam_b = tokens(2 * math.pi / a), tokens(2 * math.pi / b)
        rows.append(f"| {i} | {_theta(a)} | {lam_a} | {_theta(b)} | {lam_b} |")
    return "\n".join(rows)


@_number
def wl_shortest() -> str:
    return tokens(_wavelengths(1e4)[0])


@_number
def wl_longest_1e4() -> str:
    return tokens(_wavelengths(1e4)[-1])


@_number
def wl_longest_1e6() -> str:
    return tokens(_wavelengths(1e6)[-1])


def _turns(length: int, base: float) -> str:
    """How many pairs complete at least one full turn within ``length`` positions."""
    return str(sum(w <= length for w in _wavelengths(base)))


@_number
def turns_2048_1e4() -> str:
    return _turns(2048, 1e4)


@_number
def turns_2048_1e6() -> str:
    return _turns(2048, 1e6)


@_number
def turns_512_1e4() -> str:
    return _turns(512, 1e4)


@_number
def hand_ratio_1e4() -> str:
    f = _inv_freq(1e4)
    return fixed(f[0] / f[1], 4)


@_number
def hand_ratio_1e6() -> str:
    f = _inv_freq(1e6)
    return fixed(f[0] / f[1], 4)


@_number
def slowest_deg_1e4() -> str:
    return sig(math.degrees(_inv_freq(1e4)[-1]), 3)


@_number
def slowest_deg_1e6() -> str:
    return sig(math.degrees(_inv_freq(1e6)[-1]), 3)


# --------------------------------------------------------------------------------------------------
# RoPE scaling (MiniMind settings unless named otherwise)
# --------------------------------------------------------------------------------------------------


@_number
def ntk_base() -> str:
    """The NTK-aware base b' read back from the library's frequencies: θ'_1 = b'^(−2/d)."""
    from posenc.encodings.rope import frequencies

    inv_freq, _ = frequencies(MINIMIND | {"rope_scaling": {"rope_type": "ntk", "factor": 16}})
    return base(float(inv_freq.double()[1]) ** (-HEAD_DIM / 2))


def _ntk_kappa() -> list[float]:
    return _kappa(MINIMIND | {"rope_scaling": {"rope_type": "ntk", "factor": 16}})


@_number
def ntk_kappa_first() -> str:
    return fixed(_ntk_kappa()[0], 2)


@_number
def ntk_kappa_mid() -> str:
    return fixed(_ntk_kappa()[16], 2)


@_number
def ntk_kappa_last() -> str:
    return fixed(_ntk_kappa()[-1], 2)


def _dynamic_kappa_last(seq_len: int) -> str:
    config = {
        "head_dim": HEAD_DIM,
        "rope_theta": 1e6,
        "max_position_embeddings": 2048,
        "rope_scaling": {"rope_type": "dynamic", "factor": 2.0},
    }
    return fixed(_kappa(config, seq_len)[-1], 2)


@_number
def dynamic_kappa_1x() -> str:
    return _dynamic_kappa_last(2048)


@_number
def dynamic_kappa_2x() -> str:
    return _dynamic_kappa_last(4096)


@_number
def dynamic_kappa_4x() -> str:
    return _dynamic_kappa_last(8192)


def _yarn_bands() -> tuple[int, int, int]:
    return _bands(_kappa(_yarn_config()), MINIMIND_YARN["factor"])


@_number
def yarn_kept() -> str:
    return str(_yarn_bands()[0])


@_number
def yarn_ramp() -> str:
    return str(_yarn_bands()[1])


@_number
def yarn_interp() -> str:
    return str(_yarn_bands()[2])


def _yarn_bands_96() -> tuple[int, int, int]:
    return _bands(_kappa(_yarn_config(head_dim=MINIMIND_HEAD_DIM_96)), MINIMIND_YARN["factor"])


@_number
def yarn_kept_96() -> str:
    return str(_yarn_bands_96()[0])


@_number
def yarn_ramp_96() -> str:
    return str(_yarn_bands_96()[1])


@_number
def yarn_interp_96() -> str:
    return str(_yarn_bands_96()[2])


@_number
def yarn_last_kept() -> str:
    return str(_yarn_bands()[0] - 1)


@_number
def yarn_first_interp() -> str:
    return str(HEAD_DIM // 2 - _yarn_bands()[2])


def _yarn_mscale(factor: float) -> float:
    config = MINIMIND | {"rope_scaling": {**MINIMIND_YARN, "rope_type": "yarn", "factor": factor}}
    return _attention(config)


@_number
def yarn_mscale_16() -> str:
    return fixed(_yarn_mscale(16))


@_number
def yarn_mscale_4() -> str:
    return fixed(_yarn_mscale(4))


@_number
def yarn_logit_scale_16() -> str:
    return fixed(_yarn_mscale(16) ** 2)


@_number
def minimind_attention() -> str:
    return f"{_attention(_yarn_config('minimind_yarn')):.1f}"


@_number
def minimind_vs_yarn_max_diff() -> str:
    """Largest |θ'_i(minimind_yarn) − θ'_i(yarn)| for MiniMind's settings, in radians per token."""
    from posenc.encodings.rope import frequencies

    a, _ = frequencies(_yarn_config("yarn"))
    b, _ = frequencies(_yarn_config("minimind_yarn"))
    diff = float((a.double() - b.double()).abs().max())
    return "0" if diff == 0 else sig(diff, 2)


@_number
def longrope_attention_phi3() -> str:
    # the per-pair factor lists do not affect the attention factor; ones stand in for Phi-3's lists
    ones = [1.0] * 48
    config = {
        "head_dim": 96,
        "rope_theta": 1e4,
        "max_position_embeddings": 131072,
        "original_max_position_embeddings": 4096,
        "rope_scaling": {"rope_type": "longrope", "short_factor": ones, "long_factor": ones},
    }
    return fixed(_attention(config))


def _llama3_bands() -> tuple[int, int, int]:
    return _bands(_kappa(LLAMA31_8B | {"rope_scaling": LLAMA31_SCALING}), LLAMA31_SCALING["factor"])


@_number
def llama3_kept() -> str:
    return str(_llama3_bands()[0])


@_number
def llama3_blend() -> str:
    return str(_llama3_bands()[1])


@_number
def llama3_divided() -> str:
    return str(_llama3_bands()[2])


# --------------------------------------------------------------------------------------------------
# ALiBi, T5, xPos
# --------------------------------------------------------------------------------------------------


def _slopes(n_heads: int) -> str:
    from posenc.encodings.alibi import slopes

    return ", ".join(sig(s, 6) for s in slopes(n_heads).tolist())


@_number
def alibi_slopes_8() -> str:
    return _slopes(8)


@_number
def alibi_slopes_12() -> str:
    return _slopes(12)


T5_DISTANCES = (0, 1, 2, 7, 8, 15, 16, 20, 32, 64, 100, 127, 128, 1000)


@_number
def t5_bucket_table() -> str:
    """Markdown table: distance → bucket for a decoder (past keys) and an encoder (before / after)."""
    import torch

    from posenc.encodings.t5 import relative_position_bucket

    distance = torch.tensor(T5_DISTANCES)
    past = relative_position_bucket(-distance, bidirectional=False).tolist()  # key before the query
    enc_before = relative_position_bucket(-distance, bidirectional=True).tolist()
    enc_after = relative_position_bucket(distance, bidirectional=True).tolist()
    rows = [
        "| distance | decoder (key before) | encoder, key before | encoder, key after |",
        "|---:|---:|---:|---:|",
    ]
    for row in zip(T5_DISTANCES, past, enc_before, enc_after, strict=True):
        rows.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(rows)


@_number
def xpos_zeta_last_64() -> str:
    from posenc.encodings.xpos import decay_base

    return fixed(float(decay_base(HEAD_DIM)[-1]), 4)


# --------------------------------------------------------------------------------------------------
# measured: the study's reference run (posenc.learn.measured), checked in tests/learn/test_learn_measured.py
# --------------------------------------------------------------------------------------------------


def _register_measured() -> None:
    from posenc.learn import measured

    for name, fn in measured.placeholders().items():
        _NUMBERS[name] = functools.cache(fn)


_register_measured()


def _register_own_example() -> None:
    """The note "Try it on your model": a real ``posenc eval`` (posenc.learn.own_example), checked in
    tests/learn/test_learn_own_example.py."""
    from posenc.learn import own_example

    for name, fn in own_example.placeholders().items():
        _NUMBERS[name] = functools.cache(fn)


_register_own_example()
