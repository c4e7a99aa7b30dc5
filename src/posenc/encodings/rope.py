"""Rotary position embedding (RoPE; Su et al. 2021, RoFormer): frequencies → angle table → rotation.

RoPE rotates each pair of query/key features by an angle proportional to the token's position:

    for pair i = 0 … r/2 − 1 with inverse frequency θ_i = b^(−2i/r) (b = ``rope_theta``),
    R_m [x₁, x₂]_i = [x₁ cos(m θ_i) − x₂ sin(m θ_i),  x₂ cos(m θ_i) + x₁ sin(m θ_i)]

Because rotations compose, ⟨R_m q, R_n k⟩ = ⟨q, R_(n−m) k⟩: attention scores depend only on the
offset n − m, and the norm of q and k is unchanged. Scaling methods change only θ (and may
multiply cos/sin by an attention factor); see :mod:`posenc.encodings.rope_scaling` for
PI (Chen et al. 2023), NTK-aware (bloc97 2023), dynamic NTK, YaRN (Peng et al. 2023),
LongRoPE (Ding et al. 2024), Llama 3 (Meta 2024) and MiniMind's YaRN variant.

Read top to bottom, three steps, each usable on its own, then the module a model holds:

* ``frequencies(config, seq_len)`` — inverse frequencies θ [r/2] and the attention factor from a
  Hugging Face style config dict; verified against transformers' ``ROPE_INIT_FUNCTIONS``.
* ``cos_sin(positions, inv_freq, attention_scaling)`` — the angle table, one value per pair,
  computed in float32 from integer positions whatever the activation dtype.
* ``apply(x, cos, sin, layout)`` — the rotation; ``"half"`` pairs feature i with i + r/2
  (GPT-NeoX / Llama / transformers), ``"interleaved"`` pairs 2i with 2i + 1 (GPT-J / RoFormer /
  Meta's original Llama). Verified against transformers' Llama ``apply_rotary_pos_emb``. The fast
  paths that run it live below this module, in :mod:`posenc.encodings.kernels`.
* ``RoPE`` — holds the cos/sin cache and rotates q and k (never v) for the model.

Notation used for tensor shapes:
    b: batch size, s: sequence length, n_h: number of query heads, n_kv: number of key/value heads,
    h_d: head dimension, r: rotary dimension = int(h_d * partial_rotary_factor) (even, r ≤ h_d).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from posenc.encodings import kernels
from posenc.encodings.base import PositionEncoding, check_positions
from posenc.encodings.rope_config import params_from_config, validate
from posenc.encodings.rope_scaling import MAX_ATTENTION_FACTOR, ROPE_TYPES, RopeParams, needs_original

LAYOUTS = ("half", "interleaved")


# --------------------------------------------------------------------------------------------------
# 1. config dict -> frequencies
# --------------------------------------------------------------------------------------------------


def frequencies(config: Mapping[str, Any], seq_len: int | None = None) -> tuple[Tensor, float]:
    """Inverse frequencies θ and the attention factor for a Hugging Face style config dict.

        θ_i = b^(−2i/r),  i = 0 … r/2 − 1           (plain RoPE; b = rope_theta)
        θ'_i = ROPE_TYPES[rope_type](θ, …)          (a scaling changes θ, and maybe the factor)

    Args:
        config (dict): keys as in a model's ``config.json``: ``head_dim`` (or ``hidden_size`` and
            ``num_attention_heads``), ``rope_theta``, ``partial_rotary_factor``,
            ``max_position_embeddings``, ``rope_scaling`` or ``rope_parameters`` (see
            :func:`~posenc.encodings.rope_config.params_from_config`).
        seq_len (int | None): current sequence length; only ``dynamic`` (NTK base grows with it)
            and ``longrope`` (long factors when it exceeds ``original_max_position_embeddings``) use it.

    Returns:
        inv_freq (Tensor): θ, float32 [r/2]; attention_scaling (float): multiplies cos and sin.

    Equals ``transformers.modeling_rope_utils.ROPE_INIT_FUNCTIONS[rope_type](config, device, seq_len)``.
    Raises ``ValueError`` naming the bad field.
    """
    params = params_from_config(config)
    validate(params)
    if seq_len is not None and (not isinstance(seq_len, int) or isinstance(seq_len, bool) or seq_len <= 0):
        raise ValueError(f"seq_len must be a positive integer or None, got {seq_len!r}")
    try:
        inv_freq, attention_scaling = ROPE_TYPES[params.rope_type](params, seq_len)
    except OverflowError:  # a Python float power beyond 1.8e308 (ntk / dynamic with a huge factor)
        raise ValueError(
            f"rope_theta {params.base!r} with rope_type {params.rope_type!r} and factor "
            f"{params.scaling.get('factor')!r} overflows: use a smaller factor or base"
        ) from None
    inv_freq = inv_freq.to(torch.float32)
    if not bool(torch.isfinite(inv_freq).all()) or not bool((inv_freq > 0).all()):
        # θ overflowed (a tiny base: 1e-300 ** x is 0 in float32, θ = 1/0) or underflowed to 0 (a huge
        # base or factor): every angle would be inf/NaN or 0. Say which field, never compute with it.
        raise ValueError(
            f"rope_theta {params.base!r} with rope_type {params.rope_type!r} and factor "
            f"{params.scaling.get('factor')!r} gives inverse frequencies that are not finite positive "
            "float32 numbers (they under- or overflow); use a base in (1, 1e30] and a smaller factor"
        )
    attention_scaling = float(attention_scaling)
    if not 0 < attention_scaling <= MAX_ATTENTION_FACTOR:  # NaN fails too
        raise ValueError(
            f"the attention factor of rope_type {params.rope_type!r} is {attention_scaling!r}; it must be a "
            f"number in (0, {MAX_ATTENTION_FACTOR:g}] (check 'attention_factor', 'mscale', 'mscale_all_dim')"
        )
    return inv_freq, attention_scaling


# --------------------------------------------------------------------------------------------------
# 2. positions -> the angle table
# --------------------------------------------------------------------------------------------------


def cos_sin(positions: Tensor, inv_freq: Tensor, attention_scaling: float = 1.0) -> tuple[Tensor, Tensor]:
    """cos(m θ_i) and sin(m θ_i), one value per rotated pair, times ``attention_scaling``.

    Args:
        positions (Tensor): integer positions m, [s] or [b, s]. Float positions are refused: in
            bf16 only 513 of 0…1023 survive, so the angle must be formed from exact integers.
        inv_freq (Tensor): θ, [r/2].
        attention_scaling (float): YaRN/LongRoPE attention factor (1 for plain RoPE), in (0, 1e3];
            anything else (NaN, inf, <= 0, a bool) raises ``ValueError``.

    Returns:
        cos, sin (Tensor): float32, [s, r/2] (or [b, s, r/2]); angles computed in float32
        (integers up to 2^24 are exact), like transformers.
    """
    if not isinstance(positions, Tensor) or positions.dim() not in (1, 2):
        raise ValueError(
            f"positions must be an integer tensor [s] or [b, s], got {getattr(positions, 'shape', positions)}"
        )
    if positions.is_floating_point() or positions.is_complex() or positions.dtype == torch.bool:
        raise ValueError(
            f"positions must be integers (got {positions.dtype}); float positions lose precision "
            "in low-precision dtypes (bf16 keeps only 513 of the positions 0..1023)"
        )
    if not isinstance(inv_freq, Tensor) or inv_freq.dim() != 1 or not inv_freq.is_floating_point():
        raise ValueError(
            f"inv_freq must be a 1-D float tensor [r/2], got {getattr(inv_freq, 'shape', inv_freq)}"
        )
    if (
        isinstance(attention_scaling, bool)
        or not isinstance(attention_scaling, (int, float))
        or not 0 < attention_scaling <= MAX_ATTENTION_FACTOR  # NaN and inf fail too
    ):
        raise ValueError(
            f"attention_scaling must be a number in (0, {MAX_ATTENTION_FACTOR:g}], got {attention_scaling!r}"
        )
    inv_freq = inv_freq.to(device=positions.device, dtype=torch.float32)
    angles = positions.to(torch.float32).unsqueeze(-1) * inv_freq  # [s, r/2] or [b, s, r/2]
    cos, sin = angles.cos(), angles.sin()
    if attention_scaling != 1.0:
        cos, sin = cos * attention_scaling, sin * attention_scaling
    return cos, sin


# --------------------------------------------------------------------------------------------------
# 3. the rotation
# --------------------------------------------------------------------------------------------------


def apply(x: Tensor, cos: Tensor, sin: Tensor, layout: str = "half", *, impl: str | None = None) -> Tensor:
    """Rotate the first r = 2 · cos.shape[-1] features of ``x``; the remaining h_d − r pass through.

        y₁ = x₁ cos − x₂ sin,    y₂ = x₂ cos + x₁ sin          (for every pair i, at every position)

    Args:
        x (Tensor): queries or keys [b, n_h, s, h_d], any float dtype.
        cos, sin (Tensor): from :func:`cos_sin`, [s, r/2] or [b, s, r/2] (broadcast over heads).
        layout (str): ``"half"`` — pair i is features (x₁, x₂) = (i, i + r/2) (GPT-NeoX, Llama,
            transformers); ``"interleaved"`` — (2i, 2i + 1) (GPT-J, RoFormer, Meta's Llama).
        impl (str | None): ``"auto"`` (default), ``"compiled"`` or ``"eager"``; ``None`` reads the
            environment variable ``POSENC_ROPE_IMPL``. Which fast path runs, never what it computes:
            see :mod:`posenc.encodings.kernels` (the plain formula: ``kernels/formula.py``).

    Returns:
        Tensor [b, n_h, s, h_d] in x's dtype. Products are formed in float32 (or x's dtype if wider).
        For bf16 x on CPU the native kernel keeps float32 tables and rounds once; elsewhere, for
        bf16/fp16 x, the fast paths round cos/sin to x's dtype (the compiled path then rounds once,
        the eager half-layout one at each of its two writes; the eager interleaved one keeps float32
        tables and rounds once): all still closer to float64 than transformers' bf16 rotation
        (tests/encodings/test_rope.py checks it).
        Differentiable with respect to x (and to cos/sin).
    """
    cos, sin = _check_apply(x, cos, sin, layout)
    return kernels.rotate(x, cos, sin, layout == "interleaved", impl)


def _check_apply(x: Tensor, cos: Tensor, sin: Tensor, layout: str) -> tuple[Tensor, Tensor]:
    """Check :func:`apply`'s arguments (``ValueError`` naming the bad one); cos, sin [s, r/2] or
    [b, 1, s, r/2], ready to broadcast over heads."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if not isinstance(x, Tensor) or x.dim() != 4 or not x.is_floating_point():
        raise ValueError(f"x must be a float tensor [b, n_h, s, h_d], got {getattr(x, 'shape', x)}")
    if not isinstance(cos, Tensor) or not isinstance(sin, Tensor) or cos.shape != sin.shape:
        raise ValueError(
            f"cos and sin must be tensors of the same shape, got {getattr(cos, 'shape', cos)} "
            f"and {getattr(sin, 'shape', sin)}"
        )
    if cos.dim() not in (2, 3):
        raise ValueError(f"cos/sin must be [s, r/2] or [b, s, r/2], got {tuple(cos.shape)}")
    rotary_dim, head_dim, seq_len = 2 * cos.shape[-1], x.shape[-1], x.shape[-2]
    if rotary_dim > head_dim:
        raise ValueError(
            f"rotary_dim (2 * cos.shape[-1] = {rotary_dim}) exceeds the head dim of x ({head_dim})"
        )
    if cos.shape[-2] != seq_len:
        raise ValueError(f"cos/sin cover {cos.shape[-2]} positions but x has sequence length {seq_len}")
    if cos.dim() == 3:
        if cos.shape[0] not in (1, x.shape[0]):
            raise ValueError(f"cos/sin batch size {cos.shape[0]} does not match x's batch size {x.shape[0]}")
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # [b, 1, s, r/2], broadcast over heads
    return cos, sin


# --------------------------------------------------------------------------------------------------
# 4. the module a model holds
# --------------------------------------------------------------------------------------------------


class RoPE(PositionEncoding):
    """Rotary position embedding acting on q and k, with an optional inference-time scaling.

    Args:
        head_dim (int): h_d.
        base (float): ``rope_theta`` b; 1e4 in RoFormer/Llama 2, 5e5 in Llama 3, 1e6 in MiniMind/Qwen.
        partial_rotary_factor (float): fraction of h_d that is rotated (GPT-NeoX uses 0.25).
        layout (str): ``"half"`` or ``"interleaved"`` (see :func:`apply`).
        max_seq_len (int): training length; the cos/sin cache starts at this size and it is the
            ``original_max_position_embeddings`` of a scaling dict that omits it.
        rope_scaling (dict | None): e.g. ``{"rope_type": "yarn", "factor": 4}``; see ``set_scaling``.

    The cos/sin cache is a pair of non-persistent buffers built by ``build_cache`` and rebuilt
    only when a position outgrows it (to the next power of two), the device changes or the
    scaling changes; ``model.to(bf16)`` casts buffers, so θ and the table are then recomputed in
    float32 on the next lookup. ``dynamic`` and ``longrope`` depend on the current length
    n = max position + 1: past the original length their frequencies are
    ``frequencies(config, seq_len=n)``. Unlike transformers, which keeps the largest n seen
    until a short input resets it, this module is stateless: the same positions always give the
    same angles, whatever ran before.
    """

    name = "rope"
    acts_on = "qk"

    def __init__(
        self,
        head_dim: int,
        base: float = 10000.0,
        partial_rotary_factor: float = 1.0,
        layout: str = "half",
        max_seq_len: int = 2048,
        rope_scaling: dict | None = None,
    ) -> None:
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        if not isinstance(max_seq_len, int) or isinstance(max_seq_len, bool) or max_seq_len <= 0:
            raise ValueError(f"max_seq_len must be a positive integer, got {max_seq_len!r}")
        if not isinstance(head_dim, int) or isinstance(head_dim, bool) or head_dim <= 0:
            raise ValueError(f"head_dim must be a positive integer, got {head_dim!r}")
        self.head_dim, self.base, self.partial_rotary_factor = head_dim, base, partial_rotary_factor
        self.layout, self.max_seq_len = layout, max_seq_len
        self.register_buffer("inv_freq", torch.empty(0), persistent=False)  # θ, [r/2]
        self.register_buffer("cos_cached", torch.empty(0, 0), persistent=False)  # [cached positions, r/2]
        self.register_buffer("sin_cached", torch.empty(0, 0), persistent=False)  # [cached positions, r/2]
        self._cache_key: object = None
        self._last_lookup: tuple | None = None  # (positions, (version, device, mode), cos, sin)
        self.set_scaling(rope_scaling)

    @classmethod
    def from_dims(
        cls, *, d_model: int, n_heads: int, head_dim: int | None, max_seq_len: int, **options
    ) -> RoPE:
        """Build from model dimensions.

        Options: ``base``, ``partial_rotary_factor``, ``layout``, ``rope_scaling``;
        any other raises ``ValueError``.
        """
        allowed = ("base", "partial_rotary_factor", "layout", "rope_scaling")
        for key in options:
            if key not in allowed:
                raise ValueError(f"unknown RoPE option {key!r}; valid options: {', '.join(allowed)}")
        if head_dim is None:
            head_dim = d_model // n_heads
        return cls(head_dim, max_seq_len=max_seq_len, **options)

    # -- configuration ---------------------------------------------------------------------------

    def _config(self, rope_scaling: Mapping[str, Any] | None) -> dict[str, Any]:
        """The Hugging Face style config dict this module stands for."""
        max_pos = self.max_seq_len
        if rope_scaling is not None:
            if not isinstance(rope_scaling, Mapping):
                raise ValueError(f"rope_scaling must be a dict or None, got {type(rope_scaling).__name__}")
            rope_scaling = dict(rope_scaling)
            original = rope_scaling.setdefault("original_max_position_embeddings", self.max_seq_len)
            if not isinstance(original, int) or isinstance(original, bool) or original <= 0:
                raise ValueError(
                    f"original_max_position_embeddings must be a positive integer, got {original!r}"
                )
            rope_type = rope_scaling.get("rope_type") or rope_scaling.get("type")
            factor = rope_scaling.get("factor")
            if rope_type == "dynamic":
                max_pos = original  # dynamic NTK reads the trained length from max_position_embeddings
            elif needs_original(rope_type) and isinstance(factor, (int, float)) and factor >= 1:
                if original * factor > 2**62:  # inf included; an int factor cannot overflow here
                    raise ValueError(
                        f"rope scaling 'factor' {factor!r} is too large: the extended length "
                        f"original_max_position_embeddings × factor overflows"
                    )
                max_pos = int(original * factor)  # transformers' convention: the extended length s·L
        return {
            "head_dim": self.head_dim,
            "rope_theta": self.base,
            "partial_rotary_factor": self.partial_rotary_factor,
            "max_position_embeddings": max_pos,
            "rope_scaling": rope_scaling,
        }

    def set_scaling(self, rope_scaling: Mapping[str, Any] | None) -> None:
        """Switch the inference-time scaling (None = plain RoPE) without retraining.

        Recomputes ``inv_freq`` with :func:`frequencies` and rebuilds the cache. The training length
        ``max_seq_len`` is ``original_max_position_embeddings`` unless the dict gives it.
        """
        config = self._config(rope_scaling)
        inv_freq, attention_scaling = frequencies(config)
        params = params_from_config(config)
        self.config, self.rope_scaling = config, rope_scaling
        self.rope_type, self.rotary_dim = params.rope_type, params.rotary_dim
        self.attention_scaling = attention_scaling
        # past this length, dynamic and longrope frequencies depend on the length
        self._switch_length = (
            config["max_position_embeddings"]
            if self.rope_type == "dynamic"
            else params.scaling.get("original_max_position_embeddings")
        )
        device = self.inv_freq.device
        self.inv_freq = inv_freq.to(device)
        self.build_cache(self.max_seq_len, device, key="base")

    # -- cache -----------------------------------------------------------------------------------

    def _key(self, length: int) -> object:
        """Which frequencies serve positions 0 … length − 1."""
        if self.rope_type == "dynamic" and length > self._switch_length:
            return ("dynamic", length)
        if self.rope_type == "longrope" and length > self._switch_length:
            return "long"
        return "base"

    def build_cache(self, length: int, device: torch.device | None = None, key: object = None) -> None:
        """Fill ``cos_cached``/``sin_cached`` [length, r/2] for positions 0 … length − 1.

        ``key`` (see ``_key``) says which frequencies to use; by default those of a ``length``-long input.
        """
        device = self.inv_freq.device if device is None else torch.device(device)
        key = self._key(length) if key is None else key
        if key == "base":
            inv_freq, attention_scaling = self.inv_freq.to(device), self.attention_scaling
        else:
            inv_freq, attention_scaling = frequencies(self.config, seq_len=length)
        cos, sin = cos_sin(torch.arange(length, device=device), inv_freq.to(device), attention_scaling)
        self.cos_cached, self.sin_cached, self._cache_key = cos, sin, key
        self._last_lookup = None  # rows gathered from the old table are stale

    def lookup(self, positions: Tensor, device: torch.device | None = None) -> tuple[Tensor, Tensor]:
        """cos, sin [s, r/2] (float32, attention factor applied) for integer ``positions`` [s].

        Reading the largest position is a host sync on CUDA (and a graph break under torch.compile),
        so it happens once per positions tensor: every layer of a forward passes the same tensor and
        gets the rows gathered by the first. Inside torch.compile tracing, length-independent scalings
        compute cos/sin from the positions directly (fused into the graph, no sync).
        """
        check_positions(positions)
        device = positions.device if device is None else torch.device(device)
        if self.inv_freq.dtype != torch.float32 or self.cos_cached.dtype != torch.float32:
            self.set_scaling(self.rope_scaling)  # model.to(bf16) cast the buffers: back to float32 θ
        if torch.compiler.is_compiling() and self.rope_type not in ("dynamic", "longrope"):
            return cos_sin(positions.to(device), self.inv_freq.to(device), self.attention_scaling)
        # inference tensors keep no version counter: for them only identity is checked
        version = -1 if positions.is_inference() else positions._version
        stamp = (version, device, torch.is_inference_mode_enabled())
        last = self._last_lookup
        if last is not None and last[0] is positions and last[1] == stamp:
            return last[2], last[3]
        cos, sin = self._gather(positions, device)
        self._last_lookup = (positions, stamp, cos, sin)  # a strong reference: ids are reused
        return cos, sin

    def _gather(self, positions: Tensor, device: torch.device) -> tuple[Tensor, Tensor]:
        """Rows of the cos/sin table for ``positions`` [s], growing the table when needed."""
        if positions.numel() == 0:
            empty = torch.empty(0, self.rotary_dim // 2, device=device)
            return empty, empty
        low, high = (int(v) for v in torch.aminmax(positions))
        if low < 0:
            raise ValueError(f"positions must be >= 0, got {low}")
        length = high + 1
        key = self._key(length)
        cached = self.cos_cached.shape[0]
        if key != self._cache_key or length > cached or self.cos_cached.device != device:
            if isinstance(key, tuple):  # dynamic: the table is only valid for exactly this length
                new_length = length
            else:  # at least the training length, else the next power of two (few rebuilds while decoding)
                new_length = max(self.max_seq_len, 1 << (length - 1).bit_length())
            self.build_cache(new_length, device, key=key)
        index = positions.to(device)
        return self.cos_cached[index], self.sin_cached[index]

    # -- the hook --------------------------------------------------------------------------------

    def rotate_qk(self, q: Tensor, k: Tensor, positions: Tensor) -> tuple[Tensor, Tensor]:
        """q [b, n_h, s, h_d], k [b, n_kv, s, h_d] (n_kv may be < n_h, GQA) at ``positions`` [s]."""
        cos, sin = self.lookup(positions, device=q.device)
        return apply(q, cos, sin, self.layout), apply(k, cos, sin, self.layout)

    def extra_repr(self) -> str:
        return (
            f"head_dim={self.head_dim}, rotary_dim={self.rotary_dim}, base={self.base:g}, "
            f"layout={self.layout!r}, rope_type={self.rope_type!r}, "
            f"attention_scaling={self.attention_scaling:.4g}"
        )


__all__ = ["LAYOUTS", "RoPE", "RopeParams", "apply", "cos_sin", "frequencies", "params_from_config"]
