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

Registry: each method is one function ``(params, seq_len) -> (inv_freq [d/2] float32, attention_factor)``
followed by its entry, ``register(RopeType(...))``: the keys it reads (required, defaulted, derived), its
label and note, its ramp's edges, its own checks, and how the lab builds a config for it. Adding a method is
adding one function and one entry; ``ROPE_TYPES`` (rope_type -> function), the keys the inspector lists,
the types ``posenc eval --rope-scaling`` accepts and the explorer's choices are all read from ``REGISTRY``.
``rope_config.params_from_config(config)`` reads a Hugging Face style config dict into :class:`RopeParams`;
``rope_config.validate(params)`` checks it separately and raises ``ValueError`` naming the bad field.

Every function is checked against ``transformers.modeling_rope_utils.ROPE_INIT_FUNCTIONS``
(``minimind_yarn`` against MiniMind's ``precompute_freqs_cis``); the base frequencies are computed
in float32 in the same order of operations as transformers so the results agree to the last bits.
torch is imported inside the functions that compute: the registry's metadata loads without it (the web
lab lists the rope_types before torch has loaded).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


RopeFunction = Callable[[RopeParams, "int | None"], "tuple[Tensor, float]"]

#: in ``RopeType.keys``: the method cannot run without this key / computes it from other keys when absent
REQUIRED, DERIVED = "required", "derived"
ORIGINAL = "original_max_position_embeddings"


@dataclass(frozen=True)
class RopeType:
    """One ``rope_type``: its function, the keys it reads, and what the lab and the CLI say about it.

    keys: the scaling keys it reads, in the order reports list them, each mapped to ``REQUIRED``,
        ``DERIVED`` or the value used when a config leaves it out (``None``: absent means off).
        Reading ``original_max_position_embeddings`` (L) is needing the original length; reading
        ``factor`` is being a scaling (``posenc eval --rope-scaling TYPE:FACTOR``).
    static_factor: a fixed factor s, designed for s × L tokens (dynamic NTK grows with the length).
    needs_max_position: reads ``max_position_embeddings`` (the trained or table length).
    length_dependent: its frequencies depend on the current length ``seq_len``.
    ramp: ``(low, high)`` keys of a method that treats pair i by how many turns it makes over L: pairs
        turning fewer than ``low`` times are interpolated, more than ``high`` times kept, a blend between.
    fill: ``fill(factor, rotary_pairs)`` gives the values this lab uses for keys a released model ships
        (Llama 3.1's bands, LongRoPE's searched lists) when a config is built from (type, factor, L).
    check: the method's own validation, run after the generic checks; raises ``ValueError`` naming the field.
    """

    name: str
    init: RopeFunction
    title: str  # menus show "name: title"
    note: str  # a sentence or two on what the method does, shown beside the explorer's chart
    keys: Mapping[str, Any] = field(default_factory=dict)
    static_factor: bool = False
    needs_max_position: bool = False
    length_dependent: bool = False
    ramp: tuple[str, str] | None = None
    fill: Callable[[float, int], dict[str, Any]] | None = None
    check: Callable[[RopeParams], None] | None = None

    @property
    def needs_original(self) -> bool:
        return ORIGINAL in self.keys

    @property
    def is_scaling(self) -> bool:
        return "factor" in self.keys

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.keys.items() if v == REQUIRED)

    @property
    def derived(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.keys.items() if v == DERIVED)

    @property
    def defaults(self) -> dict[str, Any]:
        """The keys a config may leave out, with the value used then."""
        return {k: v for k, v in self.keys.items() if v not in (REQUIRED, DERIVED)}

    @property
    def label(self) -> str:
        return f"{self.name}: {self.title}"

    @property
    def explorer_fields(self) -> tuple[str, ...]:
        """The frequency explorer's controls this type reads besides head_dim and base: the training
        length L always; a scaling's factor and target length; its ramp's two keys."""
        if not self.is_scaling:
            return ("original",)
        return ("factor", "original", "target", *(k for k in self.keys if self.ramp and k in self.ramp))


#: rope_type -> its entry, in the order the types are listed everywhere (registered below each function)
REGISTRY: dict[str, RopeType] = {}


def register(entry: RopeType) -> RopeType:
    """Add ``entry`` to the registry (a later entry of the same name replaces it)."""
    REGISTRY[entry.name] = entry
    return entry


def _default_value(p: RopeParams, key: str) -> Any:
    return REGISTRY[p.rope_type].keys[key]


def _default_inv_freq(base: float, dim: int) -> Tensor:
    """θ_i = b^(-2i/d), [d/2] float32; exponent rounded to float32 first, exactly as transformers does."""
    import torch

    exponent = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim  # [d/2]
    return 1.0 / (base**exponent)


def _get(p: RopeParams, key: str) -> Any:
    """The config's value of ``key``, or the default in the method's registry entry when absent or null."""
    value = p.scaling.get(key)
    return _default_value(p, key) if value is None else value


# --------------------------------------------------------------------------------------------------
# the methods, each followed by its registry entry
# --------------------------------------------------------------------------------------------------


def default(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Plain RoPE (Su et al. 2021, RoFormer): θ_i = b^(-2i/d); attention factor 1.

    Reads: ``rope_theta``, rotary dim. ``seq_len`` unused.
    """
    return _default_inv_freq(p.base, p.rotary_dim), 1.0


register(
    RopeType(
        "default",
        default,
        title="plain RoPE",
        note="plain RoPE: θ_i = base^(−2i/d); nothing is scaled.",
    )
)


def linear(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Position Interpolation (Chen et al. 2023, PI; kaiokendev 2023): θ'_i = θ_i / s.

    Equivalent to feeding positions m/s: a context s·L is squeezed into the trained range [0, L).
    Reads: ``factor``. ``seq_len`` unused. Attention factor 1.
    """
    return _default_inv_freq(p.base, p.rotary_dim) / p.scaling["factor"], 1.0


register(
    RopeType(
        "linear",
        linear,
        title="Position Interpolation (PI)",
        note="Position Interpolation divides every θ_i by s: all wavelengths grow s×.",
        keys={"factor": REQUIRED},
        static_factor=True,
    )
)


def ntk(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Fixed NTK-aware scaling (bloc97 2023, teaching variant): b' = b · s^(d/(d-2)), θ'_i = b'^(-2i/d).

    The exponent is chosen so the lowest frequency (i = d/2 - 1) is divided by exactly s, like PI,
    while the highest (i = 0) is unchanged: high frequencies extrapolate, low ones interpolate.
    Reads: ``factor``. ``seq_len`` unused. Attention factor 1.
    """
    d = p.rotary_dim
    base = p.base * p.scaling["factor"] ** (d / (d - 2))
    return _default_inv_freq(base, d), 1.0


def _check_ntk_base(p: RopeParams) -> None:
    if p.rotary_dim < 4:
        raise ValueError(
            f"rope_type {p.rope_type!r} needs a rotary dim of at least 4 (its base exponent is d/(d-2)), "
            f"got {p.rotary_dim}"
        )


register(
    RopeType(
        "ntk",
        ntk,
        title="fixed NTK-aware base",
        note="NTK-aware: a larger base b·s^(d/(d−2)); the fastest pair is untouched, the slowest divided "
        "by s.",
        keys={"factor": REQUIRED},
        static_factor=True,
        check=_check_ntk_base,
    )
)


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


register(
    RopeType(
        "dynamic",
        dynamic,
        title="dynamic NTK",
        note="dynamic NTK: the base grows with the current length; shown at the target length "
        "(plain RoPE up to the original length).",
        keys={"factor": REQUIRED},
        needs_max_position=True,
        length_dependent=True,
        check=_check_ntk_base,
    )
)


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
    import torch

    d, base, factor = p.rotary_dim, p.base, p.scaling["factor"]
    original = p.scaling["original_max_position_embeddings"]
    beta_fast, beta_slow = _get(p, "beta_fast"), _get(p, "beta_slow")
    attention = p.scaling.get("attention_factor")
    if attention is None:
        attention = _yarn_attention_factor(factor, p.scaling.get("mscale"), p.scaling.get("mscale_all_dim"))

    def correction_dim(num_rotations: float) -> float:
        return (d * math.log(original / (num_rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if p.scaling.get("truncate", _default_value(p, "truncate")):  # as transformers: explicit null is False
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, d - 1)
    if low == high:
        high += 0.001  # avoid 0/0 in the ramp
    ramp = torch.clamp((torch.arange(d // 2, dtype=torch.float32) - low) / (high - low), 0, 1)  # γ, [d/2]

    pos_freqs = base ** (torch.arange(0, d, 2).float() / d)  # 1/θ_i, [d/2]
    extrapolation, interpolation = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
    keep = 1 - ramp  # weight of the unscaled frequency
    return interpolation * (1 - keep) + extrapolation * keep, float(attention)


def _check_yarn(p: RopeParams) -> None:
    rope_type, scaling = p.rope_type, p.scaling
    _check_betas(rope_type, scaling)
    _check_attention_factor(rope_type, scaling)
    _check_optional_numbers(rope_type, scaling, ("mscale", "mscale_all_dim"))
    truncate = scaling.get("truncate")
    if truncate is not None and not isinstance(truncate, bool):
        raise ValueError(f"rope scaling 'truncate' must be true or false, got {truncate!r}")


register(
    RopeType(
        "yarn",
        yarn,
        title="YaRN (NTK-by-parts + temperature)",
        note="YaRN: pairs that turn more than β_fast times in L are untouched, fewer than β_slow times "
        "divided by s, a linear ramp between; cos and sin are multiplied by the attention factor.",
        keys={
            "factor": REQUIRED,
            ORIGINAL: REQUIRED,
            "beta_fast": 32,
            "beta_slow": 1,
            "truncate": True,
            "mscale": None,
            "mscale_all_dim": None,
            "attention_factor": DERIVED,
        },
        static_factor=True,
        ramp=("beta_slow", "beta_fast"),
        check=_check_yarn,
    )
)


def longrope(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """LongRoPE (Ding et al. 2024; Phi-3): one searched rescale factor per pair.

    θ'_i = θ_i / f_i with f = ``long_factor`` when ``seq_len > L``, else ``short_factor``.
    attention factor: ``attention_factor`` if given, else √(1 + ln(s) / ln(L)) for s > 1 (1 otherwise),
    with s = ``factor`` or, when absent, ``max_position_embeddings / L`` (Phi-3's convention).
    Reads: ``short_factor``, ``long_factor`` (d/2 numbers each), ``original_max_position_embeddings``,
    ``factor``, ``attention_factor``, ``max_position_embeddings``; ``seq_len`` picks the list.
    """
    import torch

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


def _check_longrope(p: RopeParams) -> None:
    scaling = p.scaling
    _check_attention_factor("longrope", scaling)
    if scaling.get("factor") is None and p.max_position_embeddings is None:
        raise ValueError("rope_type 'longrope' without 'factor' needs max_position_embeddings to derive it")
    for key in ("short_factor", "long_factor"):
        values = scaling.get(key)
        if not isinstance(values, (list, tuple)) or not all(is_number(v) and v > 0 for v in values):
            raise ValueError(f"rope scaling {key!r} must be a list of positive numbers, got {values!r}")
        if len(values) != p.rotary_dim // 2:
            raise ValueError(
                f"rope scaling {key!r} must have rotary_dim / 2 = {p.rotary_dim // 2} entries, "
                f"got {len(values)}"
            )


def _uniform_longrope(factor: float, rotary_pairs: int) -> dict[str, Any]:
    """LongRoPE's lists are searched per model; uniform ones (1 up to L, s beyond) make it PI past L plus
    the paper's attention factor √(1 + ln s / ln L)."""
    return {"short_factor": [1.0] * rotary_pairs, "long_factor": [float(factor)] * rotary_pairs}


register(
    RopeType(
        "longrope",
        longrope,
        title="LongRoPE (uniform factors here)",
        note="LongRoPE ships one searched factor per pair (see the Inspector's phi-3-mini-128k); here "
        "every pair gets the same factor s past the original length, which equals PI plus LongRoPE's "
        "attention factor √(1 + ln s / ln L).",
        keys={
            "short_factor": REQUIRED,
            "long_factor": REQUIRED,
            ORIGINAL: REQUIRED,
            "factor": DERIVED,
            "attention_factor": DERIVED,
        },
        static_factor=True,
        length_dependent=True,
        fill=_uniform_longrope,
        check=_check_longrope,
    )
)


def llama3(p: RopeParams, seq_len: int | None = None) -> tuple[Tensor, float]:
    """Llama 3.1 scaling (Meta 2024): three wavelength bands with a smooth blend.

        λ_i < L / high_freq_factor          → θ_i            (high frequencies untouched)
        λ_i > L / low_freq_factor           → θ_i / s        (low frequencies interpolated)
        otherwise, with α = (L/λ_i − low_freq_factor) / (high_freq_factor − low_freq_factor):
                                              (1 − α)·θ_i/s + α·θ_i
    Meta's release uses s = 8, low = 1, high = 4, L = 8192. Attention factor 1.
    Reads: ``factor``, ``low_freq_factor``, ``high_freq_factor``, ``original_max_position_embeddings``.
    """
    import torch

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


def _check_llama3(p: RopeParams) -> None:
    scaling = p.scaling
    for key in ("low_freq_factor", "high_freq_factor"):
        value = scaling.get(key)
        if not is_number(value) or value <= 0:
            raise ValueError(
                f"rope scaling {key!r} must be a positive number for rope_type 'llama3', got {value!r}"
            )
    if scaling["low_freq_factor"] >= scaling["high_freq_factor"]:
        raise ValueError(
            f"rope scaling 'low_freq_factor' ({scaling['low_freq_factor']}) must be smaller than "
            f"'high_freq_factor' ({scaling['high_freq_factor']})"
        )


register(
    RopeType(
        "llama3",
        llama3,
        title="Llama 3.1 bands",
        note="Llama 3.1: wavelengths shorter than L/high_freq_factor kept, longer than L/low_freq_factor "
        "divided by s, blended smoothly between.",
        keys={
            "factor": REQUIRED,
            "low_freq_factor": REQUIRED,
            "high_freq_factor": REQUIRED,
            ORIGINAL: REQUIRED,
        },
        static_factor=True,
        ramp=("low_freq_factor", "high_freq_factor"),
        fill=lambda factor, rotary_pairs: {"low_freq_factor": 1.0, "high_freq_factor": 4.0},  # Meta's values
        check=_check_llama3,
    )
)


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
    import torch

    d, base, factor = p.rotary_dim, p.base, p.scaling["factor"]
    original = p.scaling["original_max_position_embeddings"]
    beta_fast, beta_slow = _get(p, "beta_fast"), _get(p, "beta_slow")
    attention = _get(p, "attention_factor")
    inv_freq = _default_inv_freq(base, d)  # θ, [d/2]
    if p.max_position_embeddings / original > 1.0:

        def correction_dim(b: float) -> float:
            return (d * math.log(original / (b * 2 * math.pi))) / (2 * math.log(base))

        low = max(math.floor(correction_dim(beta_fast)), 0)
        high = min(math.ceil(correction_dim(beta_slow)), d // 2 - 1)
        ramp = torch.clamp((torch.arange(d // 2).float() - low) / max(high - low, 0.001), 0, 1)  # γ, [d/2]
        inv_freq = inv_freq * (1 - ramp + ramp / factor)
    return inv_freq, float(attention)


register(
    RopeType(
        "minimind_yarn",
        minimind_yarn,
        title="MiniMind's YaRN",
        note="MiniMind's YaRN: the same ramp, clamped at d/2 − 1, attention factor 1, and off "
        "unless the target exceeds the original length.",
        keys={
            "factor": REQUIRED,
            ORIGINAL: REQUIRED,
            "beta_fast": 32,
            "beta_slow": 1,
            "attention_factor": 1.0,
        },
        static_factor=True,
        needs_max_position=True,
        ramp=("beta_slow", "beta_fast"),
        check=_check_yarn,
    )
)


# --------------------------------------------------------------------------------------------------
# the registry's functions (the CLI's and the lab's questions: rope_types.py)
# --------------------------------------------------------------------------------------------------


class _Functions(Mapping[str, RopeFunction]):
    """rope_type -> its function, read from ``REGISTRY`` at each access (a type registered later shows)."""

    def __getitem__(self, name: str) -> RopeFunction:
        return REGISTRY[name].init

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)

    def __repr__(self) -> str:
        return f"ROPE_TYPES({', '.join(REGISTRY)})"


#: ``ROPE_TYPES[rope_type](params, seq_len) -> (inv_freq, attention_factor)``, the HF ROPE_INIT_FUNCTIONS
ROPE_TYPES: Mapping[str, RopeFunction] = _Functions()


def needs_original(rope_type: str) -> bool:
    """Whether ``rope_type`` reads ``original_max_position_embeddings`` (False for an unknown type)."""
    entry = REGISTRY.get(rope_type)
    return entry is not None and entry.needs_original


# --------------------------------------------------------------------------------------------------
# checks the methods share (rope_config.validate runs them with each entry's own)
# --------------------------------------------------------------------------------------------------

#: the largest attention factor accepted: YaRN's is 0.1·ln(s) + 1 (< 3 for any s a model uses); a
#: factor of 1e308 would make cos/sin inf, and anything past ~1e3 overflows float16 q/k
MAX_ATTENTION_FACTOR = 1e3


def is_number(value: Any) -> bool:
    """A finite real number: not a bool, not NaN/inf, not an int too large for a float (2**2000)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 2.0**1023 if isinstance(value, int) else math.isfinite(value)


def is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_factor(rope_type: str, scaling: Mapping[str, Any], required: bool) -> None:
    factor = scaling.get("factor")
    if factor is None:
        if required:
            raise ValueError(
                f"rope_type {rope_type!r} needs a scaling 'factor' (a number >= 1); it is missing"
            )
        return
    if not is_number(factor) or factor < 1:
        raise ValueError(
            f"rope scaling 'factor' must be a number >= 1 for rope_type {rope_type!r}, got {factor!r}"
        )


def _check_optional_numbers(rope_type: str, scaling: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = scaling.get(key)
        if value is not None and not is_number(value):
            raise ValueError(
                f"rope scaling {key!r} must be a number for rope_type {rope_type!r}, got {value!r}"
            )


def _check_betas(rope_type: str, scaling: Mapping[str, Any]) -> None:
    for key in ("beta_fast", "beta_slow"):
        value = scaling.get(key)
        if value is not None and (not is_number(value) or value <= 0):
            raise ValueError(
                f"rope scaling {key!r} must be a positive number for rope_type {rope_type!r}, got {value!r}"
            )
    defaults = REGISTRY[rope_type].keys
    beta_fast = scaling.get("beta_fast") or defaults["beta_fast"]
    beta_slow = scaling.get("beta_slow") or defaults["beta_slow"]
    if beta_fast < beta_slow:
        raise ValueError(
            f"rope scaling 'beta_fast' ({beta_fast}) must be >= 'beta_slow' ({beta_slow}) "
            f"for rope_type {rope_type!r}"
        )


def _check_attention_factor(rope_type: str, scaling: Mapping[str, Any]) -> None:
    value = scaling.get("attention_factor")
    if value is not None and (not is_number(value) or not 0 < value <= MAX_ATTENTION_FACTOR):
        raise ValueError(
            f"rope scaling 'attention_factor' must be a positive number up to {MAX_ATTENTION_FACTOR:g} "
            f"for rope_type {rope_type!r}, got {value!r}"
        )
