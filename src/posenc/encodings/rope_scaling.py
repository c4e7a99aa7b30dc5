"""RoPE scaling: how each ``rope_type`` turns a configuration into inverse frequencies.

A rotary embedding rotates pair ``i`` of a query/key by the angle ``m * θ_i`` at position ``m``.
Every long-context method below changes only the inverse frequencies ``θ_i`` (and, for some,
multiplies cos/sin by an ``attention_factor``); the rotation itself (``rope.apply``) never changes.

Notation used in the formulas:
    d:   rotary dimension, ``int(head_dim * partial_rotary_factor)`` (even)
    i:   pair index, ``0 … d/2 - 1``
    b:   base (``rope_theta``)
    θ_i: default inverse frequency ``b^(-2i/d)``;  λ_i = 2π / θ_i its wavelength in positions
    s:   scaling ``factor``
    L:   ``original_max_position_embeddings``, the pretraining context length
    r_i: ``L / λ_i``, how many full turns pair i makes over the pretraining length

Registry: ``ROPE_TYPES[rope_type](params, seq_len) -> (inv_freq [d/2] float32, attention_factor)``.
Adding a method is adding one function and one entry. ``params_from_config(config)`` reads a Hugging
Face style config dict into :class:`RopeParams`; ``validate(params)`` checks it separately and raises
``ValueError`` naming the bad field.

Every function is checked against ``transformers.modeling_rope_utils.ROPE_INIT_FUNCTIONS``
(``minimind_yarn`` against MiniMind's ``precompute_freqs_cis``); the base frequencies are computed
in float32 in the same order of operations as transformers so the results agree to the last bits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from torch import Tensor


@dataclass(frozen=True)
class RopeParams:
    """Everything a scaling function reads, already resolved from a config dict (see ``rope.frequencies``).

    ``scaling`` holds ``rope_type`` and the method's own keys (``factor``, ``beta_fast``, …) with
    ``original_max_position_embeddings`` already resolved; it is empty for plain RoPE.
    """

    base: float
    rotary_dim: int
    max_position_embeddings: int | None = None
    scaling: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rope_type(self) -> str:
        return self.scaling.get("rope_type") or "default"


RopeFunction = Callable[[RopeParams, int | None], tuple[Tensor, float]]


def _default_inv_freq(base: float, dim: int) -> Tensor:
    """θ_i = b^(-2i/d), [d/2] float32; exponent rounded to float32 first, exactly as transformers does."""
    exponent = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim  # [d/2]
    return 1.0 / (base**exponent)


def _get(p: RopeParams, key: str, default: Any = None) -> Any:
    value = p.scaling.get(key)
    return default if value is None else value


# --------------------------------------------------------------------------------------------------
# the methods
# --------------------------------------------------------------------------------------------------


def default(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Plain RoPE (Su et al. 2021, RoFormer): θ_i = b^(-2i/d); attention factor 1.

    Reads: ``rope_theta``, rotary dim. ``seq_len`` unused.
    """
    return _default_inv_freq(p.base, p.rotary_dim), 1.0


def linear(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Position Interpolation (Chen et al. 2023, PI; kaiokendev 2023): θ'_i = θ_i / s.

    Equivalent to feeding positions m/s: a context s·L is squeezed into the trained range [0, L).
    Reads: ``factor``. ``seq_len`` unused. Attention factor 1.
    """
    return _default_inv_freq(p.base, p.rotary_dim) / p.scaling["factor"], 1.0


def ntk(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Fixed NTK-aware scaling (bloc97 2023, teaching variant): b' = b · s^(d/(d-2)), θ'_i = b'^(-2i/d).

    The exponent is chosen so the lowest frequency (i = d/2 - 1) is divided by exactly s, like PI,
    while the highest (i = 0) is unchanged: high frequencies extrapolate, low ones interpolate.
    Reads: ``factor``. ``seq_len`` unused. Attention factor 1.
    """
    d = p.rotary_dim
    base = p.base * p.scaling["factor"] ** (d / (d - 2))
    return _default_inv_freq(base, d), 1.0


def dynamic(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Dynamic NTK (emozilla/bloc97 2023): NTK-aware base that grows with the current length.

    With ``n = max(seq_len, M)`` (``M = max_position_embeddings``, the trained length),
    b' = b · (s·n/M − (s − 1))^(d/(d-2)); θ'_i = b'^(-2i/d). For n ≤ M it is plain RoPE.
    Reads: ``factor``, ``max_position_embeddings``; ``seq_len`` (None means M). Attention factor 1.
    """
    d, max_pos, factor = p.rotary_dim, p.max_position_embeddings, p.scaling["factor"]
    n = max_pos if seq_len is None else max(seq_len, max_pos)
    base = p.base * ((factor * n / max_pos) - (factor - 1)) ** (d / (d - 2))
    return _default_inv_freq(base, d), 1.0


def _yarn_attention_factor(factor: float, mscale: float | None, mscale_all_dim: float | None) -> float:
    """YaRN's √(1/t) = 0.1·ln(s) + 1, or its DeepSeek form mscale(s, mscale) / mscale(s, mscale_all_dim)."""

    def get_mscale(scale: float, m: float = 1.0) -> float:
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if mscale and mscale_all_dim:
        return float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
    return get_mscale(factor)


def yarn(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """YaRN (Peng et al. 2023), "NTK-by-parts" interpolation plus an attention temperature.

    Pairs that turn many times over the pretraining length (r_i > β_fast) keep θ_i (extrapolate);
    pairs that turn less than β_slow times are interpolated to θ_i / s; in between a linear ramp:
        dim(β) = d · ln(L / (2π β)) / (2 ln b)         (the pair index where r_i = β)
        lo, hi = dim(β_fast), dim(β_slow)             floor/ceil when ``truncate`` (default True),
                                                      then clamped to [0, d - 1] (transformers' bounds)
        γ_i = clamp((i - lo) / (hi - lo), 0, 1)
        θ'_i = (θ_i / s) · γ_i + θ_i · (1 - γ_i)
    attention factor: ``attention_factor`` if given, else mscale/mscale_all_dim form, else 0.1·ln(s) + 1.
    Reads: ``factor``, ``original_max_position_embeddings``, ``beta_fast`` (32), ``beta_slow`` (1),
    ``attention_factor``, ``mscale``, ``mscale_all_dim``, ``truncate``. ``seq_len`` unused.
    """
    d, base, factor = p.rotary_dim, p.base, p.scaling["factor"]
    original = p.scaling["original_max_position_embeddings"]
    beta_fast, beta_slow = _get(p, "beta_fast", 32), _get(p, "beta_slow", 1)
    attention = p.scaling.get("attention_factor")
    if attention is None:
        attention = _yarn_attention_factor(factor, p.scaling.get("mscale"), p.scaling.get("mscale_all_dim"))

    def correction_dim(num_rotations: float) -> float:
        return (d * math.log(original / (num_rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if p.scaling.get("truncate", True):  # as transformers: an explicit null counts as False
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, d - 1)
    if low == high:
        high += 0.001  # avoid 0/0 in the ramp
    ramp = torch.clamp((torch.arange(d // 2, dtype=torch.float32) - low) / (high - low), 0, 1)  # γ, [d/2]

    pos_freqs = base ** (torch.arange(0, d, 2).float() / d)  # 1/θ_i, [d/2]
    extrapolation, interpolation = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
    keep = 1 - ramp  # weight of the unscaled frequency
    return interpolation * (1 - keep) + extrapolation * keep, float(attention)


def longrope(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """LongRoPE (Ding et al. 2024; Phi-3): one searched rescale factor per pair.

    θ'_i = θ_i / f_i with f = ``long_factor`` when ``seq_len > L``, else ``short_factor``.
    attention factor: ``attention_factor`` if given, else √(1 + ln(s) / ln(L)) for s > 1 (1 otherwise),
    with s = ``factor`` or, when absent, ``max_position_embeddings / L`` (Phi-3's convention).
    Reads: ``short_factor``, ``long_factor`` (d/2 numbers each), ``original_max_position_embeddings``,
    ``factor``, ``attention_factor``, ``max_position_embeddings``; ``seq_len`` picks the list.
    """
    d, original = p.rotary_dim, p.scaling["original_max_position_embeddings"]
    factor = p.scaling.get("factor")
    if factor is None:
        factor = p.max_position_embeddings / original
    attention = p.scaling.get("attention_factor")
    if attention is None:
        attention = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))

    use_long = seq_len is not None and seq_len > original
    ext = torch.tensor(
        p.scaling["long_factor" if use_long else "short_factor"], dtype=torch.float32
    )  # f, [d/2]
    exponent = torch.arange(0, d, 2, dtype=torch.int64).float() / d  # 2i/d, [d/2]
    return 1.0 / (ext * p.base**exponent), float(attention)


def llama3(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Llama 3.1 scaling (Meta 2024): three wavelength bands with a smooth blend.

        λ_i < L / high_freq_factor          → θ_i            (high frequencies untouched)
        λ_i > L / low_freq_factor           → θ_i / s        (low frequencies interpolated)
        otherwise, with α = (L/λ_i − low_freq_factor) / (high_freq_factor − low_freq_factor):
                                              (1 − α)·θ_i/s + α·θ_i
    Meta's release uses s = 8, low = 1, high = 4, L = 8192. Attention factor 1.
    Reads: ``factor``, ``low_freq_factor``, ``high_freq_factor``, ``original_max_position_embeddings``.
    """
    inv_freq = _default_inv_freq(p.base, p.rotary_dim)  # θ, [d/2]
    factor, low, high = p.scaling["factor"], p.scaling["low_freq_factor"], p.scaling["high_freq_factor"]
    original = p.scaling["original_max_position_embeddings"]
    low_freq_wavelen, high_freq_wavelen = original / low, original / high

    wavelen = 2 * math.pi / inv_freq  # λ, [d/2]
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    alpha = (original / wavelen - low) / (high - low)
    smoothed = (1 - alpha) * scaled / factor + alpha * scaled
    is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, scaled), 1.0


def minimind_yarn(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """MiniMind's own YaRN variant (jingyaogong/minimind, ``precompute_freqs_cis``), reproduced exactly.

        lo = max(floor(dim(β_fast)), 0),  hi = min(ceil(dim(β_slow)), d/2 − 1)   (always truncated;
                                                           transformers clamps hi at d − 1 instead)
        γ_i = clamp((i − lo) / max(hi − lo, 0.001), 0, 1)
        θ'_i = θ_i · ((1 − γ_i) + γ_i / s)
    MiniMind builds a table of ``max_position_embeddings`` positions and applies the ramp only when
    that length exceeds L. Its attention factor is ``attention_factor`` with default **1.0** (no
    0.1·ln(s) + 1 temperature), and it multiplies cos/sin even when the ramp is off.
    Reads: ``factor``, ``original_max_position_embeddings``, ``beta_fast`` (32), ``beta_slow`` (1),
    ``attention_factor`` (1.0), ``max_position_embeddings``. ``seq_len`` unused.
    """
    d, base, factor = p.rotary_dim, p.base, p.scaling["factor"]
    original = p.scaling["original_max_position_embeddings"]
    beta_fast, beta_slow = _get(p, "beta_fast", 32.0), _get(p, "beta_slow", 1.0)
    attention = _get(p, "attention_factor", 1.0)
    inv_freq = _default_inv_freq(base, d)  # θ, [d/2]
    if p.max_position_embeddings / original > 1.0:

        def correction_dim(b: float) -> float:
            return (d * math.log(original / (b * 2 * math.pi))) / (2 * math.log(base))

        low = max(math.floor(correction_dim(beta_fast)), 0)
        high = min(math.ceil(correction_dim(beta_slow)), d // 2 - 1)
        ramp = torch.clamp((torch.arange(d // 2).float() - low) / max(high - low, 0.001), 0, 1)  # γ, [d/2]
        inv_freq = inv_freq * (1 - ramp + ramp / factor)
    return inv_freq, float(attention)


ROPE_TYPES: dict[str, RopeFunction] = {
    "default": default,
    "linear": linear,
    "ntk": ntk,
    "dynamic": dynamic,
    "yarn": yarn,
    "longrope": longrope,
    "llama3": llama3,
    "minimind_yarn": minimind_yarn,
}

#: rope types that read ``original_max_position_embeddings`` (the pretraining length L)
NEEDS_ORIGINAL = frozenset({"yarn", "longrope", "llama3", "minimind_yarn"})


# --------------------------------------------------------------------------------------------------
# a Hugging Face style config dict -> RopeParams
# --------------------------------------------------------------------------------------------------

DEFAULT_THETA = 10000.0  # transformers' default when a config has no rope_theta
#: the widest rotary dim accepted: real heads are 64-256 wide; beyond this a typo only allocates
MAX_ROTARY_DIM = 2**16
#: the largest attention factor accepted: YaRN's is 0.1·ln(s) + 1 (< 3 for any s a model uses); a
#: factor of 1e308 would make cos/sin inf, and anything past ~1e3 overflows float16 q/k
MAX_ATTENTION_FACTOR = 1e3


def _positive_int(config: Mapping[str, Any], key: str) -> int:
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"config {key!r} must be a positive integer, got {value!r}")
    return value


def _scaling_dict(config: Mapping[str, Any]) -> dict[str, Any]:
    """The scaling keys from ``rope_scaling`` (transformers 4.x) or ``rope_parameters`` (5.x)."""
    found = {}
    for key in ("rope_scaling", "rope_parameters"):
        value = config.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise ValueError(
                f"config {key!r} must be a dict (or null), got {type(value).__name__}: {value!r}"
            )
        if value:
            found[key] = dict(value)
    if len(found) == 2 and found["rope_scaling"] != found["rope_parameters"]:
        raise ValueError(
            "config has both 'rope_scaling' (transformers 4.x) and 'rope_parameters' (5.x) "
            "and they differ; keep one"
        )
    return next(iter(found.values()), {})


def params_from_config(config: Mapping[str, Any]) -> RopeParams:
    """Resolve a Hugging Face style config dict into :class:`RopeParams` (not yet validated).

    Reads ``head_dim`` (or ``hidden_size // num_attention_heads``), ``partial_rotary_factor``,
    ``rope_theta``, ``max_position_embeddings``, ``original_max_position_embeddings`` and either
    ``rope_scaling`` (``type`` accepted for ``rope_type``) or ``rope_parameters``. Values inside
    ``rope_parameters`` win over top-level ones, except a top-level ``original_max_position_embeddings``
    (Phi-3 keeps it there), which wins as in transformers.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}")
    if config.get("head_dim") is not None:
        head_dim = _positive_int(config, "head_dim")
    else:
        if config.get("hidden_size") is None:
            raise ValueError("config needs 'head_dim' or 'hidden_size' and 'num_attention_heads'")
        head_dim = _positive_int(config, "hidden_size") // _positive_int(config, "num_attention_heads")

    scaling = _scaling_dict(config)
    rope_type = scaling.pop("rope_type", None)
    alias = scaling.pop("type", None)
    rope_type = rope_type or alias or "default"

    base = scaling.pop("rope_theta", None)
    base = config.get("rope_theta") if base is None else base
    base = DEFAULT_THETA if base is None else base

    partial = scaling.pop("partial_rotary_factor", None)
    partial = config.get("partial_rotary_factor") if partial is None else partial
    partial = 1.0 if partial is None else partial
    if isinstance(partial, bool) or not isinstance(partial, (int, float)) or not 0 < partial <= 1:
        raise ValueError(f"partial_rotary_factor must be a number in (0, 1], got {partial!r}")

    if rope_type in NEEDS_ORIGINAL and config.get("original_max_position_embeddings") is not None:
        scaling["original_max_position_embeddings"] = config["original_max_position_embeddings"]
    scaling["rope_type"] = rope_type
    return RopeParams(
        base=base,
        rotary_dim=int(head_dim * partial),
        max_position_embeddings=config.get("max_position_embeddings"),
        scaling=MappingProxyType(scaling),
    )


# --------------------------------------------------------------------------------------------------
# validation: separate from the computation, names the bad field
# --------------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    """A finite real number: not a bool, not NaN/inf, not an int too large for a float (2**2000)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 2.0**1023 if isinstance(value, int) else math.isfinite(value)


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_factor(rope_type: str, scaling: Mapping[str, Any], required: bool) -> None:
    factor = scaling.get("factor")
    if factor is None:
        if required:
            raise ValueError(
                f"rope_type {rope_type!r} needs a scaling 'factor' (a number >= 1); it is missing"
            )
        return
    if not _is_number(factor) or factor < 1:
        raise ValueError(
            f"rope scaling 'factor' must be a number >= 1 for rope_type {rope_type!r}, got {factor!r}"
        )


def _check_optional_numbers(rope_type: str, scaling: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = scaling.get(key)
        if value is not None and not _is_number(value):
            raise ValueError(
                f"rope scaling {key!r} must be a number for rope_type {rope_type!r}, got {value!r}"
            )


def _check_betas(rope_type: str, scaling: Mapping[str, Any]) -> None:
    for key in ("beta_fast", "beta_slow"):
        value = scaling.get(key)
        if value is not None and (not _is_number(value) or value <= 0):
            raise ValueError(
                f"rope scaling {key!r} must be a positive number for rope_type {rope_type!r}, got {value!r}"
            )
    beta_fast, beta_slow = scaling.get("beta_fast") or 32, scaling.get("beta_slow") or 1
    if beta_fast < beta_slow:
        raise ValueError(
            f"rope scaling 'beta_fast' ({beta_fast}) must be >= 'beta_slow' ({beta_slow}) "
            f"for rope_type {rope_type!r}"
        )


def _check_attention_factor(rope_type: str, scaling: Mapping[str, Any]) -> None:
    value = scaling.get("attention_factor")
    if value is not None and (not _is_number(value) or not 0 < value <= MAX_ATTENTION_FACTOR):
        raise ValueError(
            f"rope scaling 'attention_factor' must be a positive number up to {MAX_ATTENTION_FACTOR:g} "
            f"for rope_type {rope_type!r}, got {value!r}"
        )


def validate(p: RopeParams) -> None:
    """Raise ``ValueError`` naming the field when ``p`` cannot be computed with; return None otherwise."""
    if not isinstance(p.scaling, Mapping):
        raise ValueError(f"rope_scaling must be a dict, got {type(p.scaling).__name__}")
    rope_type = p.rope_type
    if rope_type not in ROPE_TYPES:
        raise ValueError(f"unknown rope_type {rope_type!r}; valid rope_type values: {', '.join(ROPE_TYPES)}")
    if not _is_number(p.base) or p.base <= 1:
        # θ_i = b^(-2i/d) must fall with i: a base <= 1 gives no low frequencies (or none at all)
        raise ValueError(
            f"rope_theta (the RoPE base) must be a finite number greater than 1 (1e4 in RoFormer, 1e6 in "
            f"MiniMind), got {p.base!r}"
        )
    if not _is_positive_int(p.rotary_dim) or p.rotary_dim % 2 or p.rotary_dim > MAX_ROTARY_DIM:
        raise ValueError(
            "the rotary dim (head_dim * partial_rotary_factor) must be a positive even integer up to "
            f"{MAX_ROTARY_DIM}, got {p.rotary_dim!r}"
        )
    max_pos = p.max_position_embeddings
    if max_pos is not None and not _is_positive_int(max_pos):
        raise ValueError(f"max_position_embeddings must be a positive integer, got {max_pos!r}")
    if rope_type in ("dynamic", "minimind_yarn") and max_pos is None:
        raise ValueError(f"rope_type {rope_type!r} needs max_position_embeddings (the trained/table length)")

    if rope_type in ("ntk", "dynamic") and p.rotary_dim < 4:
        raise ValueError(
            f"rope_type {rope_type!r} needs a rotary dim of at least 4 (its base exponent is d/(d-2)), "
            f"got {p.rotary_dim}"
        )

    scaling = p.scaling
    if rope_type == "default":
        return
    _check_factor(rope_type, scaling, required=rope_type != "longrope")
    if rope_type in NEEDS_ORIGINAL:
        original = scaling.get("original_max_position_embeddings")
        if original is None:
            raise ValueError(
                f"rope_type {rope_type!r} needs original_max_position_embeddings (the pretraining length); "
                "it is missing"
            )
        if not _is_positive_int(original):
            raise ValueError(f"original_max_position_embeddings must be a positive integer, got {original!r}")

    if rope_type in ("yarn", "minimind_yarn"):
        _check_betas(rope_type, scaling)
        _check_attention_factor(rope_type, scaling)
        _check_optional_numbers(rope_type, scaling, ("mscale", "mscale_all_dim"))
        truncate = scaling.get("truncate")
        if truncate is not None and not isinstance(truncate, bool):
            raise ValueError(f"rope scaling 'truncate' must be true or false, got {truncate!r}")
    elif rope_type == "longrope":
        _check_attention_factor(rope_type, scaling)
        if scaling.get("factor") is None and max_pos is None:
            raise ValueError(
                "rope_type 'longrope' without 'factor' needs max_position_embeddings to derive it"
            )
        for key in ("short_factor", "long_factor"):
            values = scaling.get(key)
            if not isinstance(values, (list, tuple)) or not all(_is_number(v) and v > 0 for v in values):
                raise ValueError(f"rope scaling {key!r} must be a list of positive numbers, got {values!r}")
            if len(values) != p.rotary_dim // 2:
                raise ValueError(
                    f"rope scaling {key!r} must have rotary_dim / 2 = {p.rotary_dim // 2} entries, "
                    f"got {len(values)}"
                )
    elif rope_type == "llama3":
        for key in ("low_freq_factor", "high_freq_factor"):
            value = scaling.get(key)
            if not _is_number(value) or value <= 0:
                raise ValueError(
                    f"rope scaling {key!r} must be a positive number for rope_type 'llama3', got {value!r}"
                )
        if scaling["low_freq_factor"] >= scaling["high_freq_factor"]:
            raise ValueError(
                f"rope scaling 'low_freq_factor' ({scaling['low_freq_factor']}) must be smaller than "
                f"'high_freq_factor' ({scaling['high_freq_factor']})"
            )
