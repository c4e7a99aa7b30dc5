"""xPos: RoPE with an exponential decay (Sun et al. 2022, "A Length-Extrapolatable Transformer").

RoPE's score ⟨R_m q, R_n k⟩ depends only on the offset m − n but does not shrink with it; at long
offsets its oscillation makes attention erratic. xPos multiplies each rotated pair i by a scale
that grows with position on queries and shrinks on keys:

    ζ_i = (2i + 0.4 d) / (1.4 d) ∈ [0.29, 1),        i = 0 … d/2 − 1,  d = h_d
    q̃_m = ζ^(m / γ) ⊙ R_m q,   k̃_n = ζ^(−n / γ) ⊙ R_n k,        γ = ``scale_base`` (512)

so that, pair by pair,

    ⟨q̃_m, k̃_n⟩ = Σ_i ζ_i^((m − n) / γ) · ⟨R_m q, R_n k⟩_i

— still a function of m − n only, and decaying for a query after its key (m > n), fastest on the
high-frequency pairs (small ζ_i), barely at all on the slow ones (ζ_i → 1).

Implementation: built on :mod:`posenc.encodings.rope`; multiplying RoPE's cos and sin by ζ^(±m/γ)
gives the scaled rotation in one call of ``rope.apply``. Verified against the closed form above
(computed in the tests in float64) and structurally against torchscale's ``XPOS``
(microsoft/torchscale, torchscale/component/xpos_relative_position.py).

Range: ζ^(m/γ) is computed in float32. For |m − c|/γ around 70 (c = ``center``), ζ_0^(−70) ≈ 3.5^70
overflows float32 (and ζ_0^70 underflows): about 36,000 positions with γ = 512, and only about
4,500 when q/k are float16 (max 65504). The paper centres positions to halve the largest |m|;
torchscale uses ``min_pos = −(len + offset) // 2`` on every call. Here ``center`` is fixed at
construction instead, because keys are scaled once before they enter a KV cache: a centre that
moved with the length would leave cached keys scaled for an old centre. Scores do not depend on
``center`` (it cancels in m − n); only the range of the individual q̃, k̃ does.

Notation used for tensor shapes:
    b: batch size, s: sequence length, n_h: query heads, n_kv: key/value heads, h_d: head dimension.
"""

from __future__ import annotations

import torch
from torch import Tensor

from posenc.encodings import rope
from posenc.encodings.base import PositionEncoding, check_positions


def decay_base(head_dim: int) -> Tensor:
    """ζ_i = (2i + 0.4 d) / (1.4 d) for i = 0 … d/2 − 1, float32 [h_d/2]."""
    if isinstance(head_dim, bool) or not isinstance(head_dim, int) or head_dim <= 0 or head_dim % 2:
        raise ValueError(f"head_dim must be a positive even int (rotated pairs), got {head_dim!r}")
    two_i = torch.arange(0, head_dim, 2, dtype=torch.float32)  # [h_d/2]
    return (two_i + 0.4 * head_dim) / (1.4 * head_dim)


def scale(positions: Tensor, zeta: Tensor, scale_base: float, center: int = 0) -> Tensor:
    """ζ^((m − center) / scale_base) per position and pair.

    Args:
        positions (Tensor): integer positions m [s].
        zeta (Tensor): decay bases ζ [h_d/2] (see :func:`decay_base`).
        scale_base (float): γ (512 in the paper); ``math.inf`` gives 1 everywhere (plain RoPE).
        center (int): the position whose scale is 1.

    Returns:
        Tensor: float32 [s, h_d/2]. The keys use the reciprocal, ζ^(−(n − center) / γ).
    """
    exponent = (positions - center).to(torch.float32) / scale_base  # [s]
    return zeta.to(device=positions.device, dtype=torch.float32)[None, :] ** exponent[:, None]  # [s, h_d/2]


class XPos(PositionEncoding):
    """xPos rotation + decay of q and k.

    Args:
        head_dim (int): h_d (even; every feature is rotated).
        base (float): RoPE ``rope_theta``, default 10000.
        scale_base (float): γ, default 512; larger is a slower decay, ``math.inf`` is plain RoPE.
        layout (str): ``"half"`` or ``"interleaved"`` pairing, as in :func:`posenc.encodings.rope.apply`
            (torchscale's ``rotate_every_two`` is ``"interleaved"``).
        center (int): position whose scale is 1 (e.g. ``max_seq_len // 2``); default 0.
        max_seq_len (int): training length (recorded in the RoPE config; xPos has no table limit).
    """

    name = "xpos"
    acts_on = "qk"

    def __init__(
        self,
        head_dim: int,
        base: float = 10000.0,
        scale_base: float = 512.0,
        layout: str = "half",
        center: int = 0,
        max_seq_len: int = 2048,
    ):
        super().__init__()
        zeta = decay_base(head_dim)
        if isinstance(scale_base, bool) or not isinstance(scale_base, (int, float)) or not scale_base > 0:
            raise ValueError(f"scale_base must be a number > 0 (math.inf allowed), got {scale_base!r}")
        if layout not in rope.LAYOUTS:
            raise ValueError(f"layout must be one of {rope.LAYOUTS}, got {layout!r}")
        if isinstance(center, bool) or not isinstance(center, int) or abs(center) > 2**24:
            raise ValueError(f"center must be an int position in [-2^24, 2^24] (or 'middle'), got {center!r}")
        self.head_dim, self.scale_base, self.layout, self.center = head_dim, float(scale_base), layout, center
        self.config = {"head_dim": head_dim, "rope_theta": base, "max_position_embeddings": max_seq_len}
        inv_freq, self.attention_scaling = rope.frequencies(self.config)  # [h_d/2], 1.0 for plain RoPE
        self.register_buffer("inv_freq", inv_freq, persistent=False)  # θ, [h_d/2]
        self.register_buffer("zeta", zeta, persistent=False)  # ζ, [h_d/2]

    @classmethod
    def from_dims(cls, *, d_model: int, n_heads: int, head_dim: int, max_seq_len: int, **options) -> XPos:
        """Options: ``base`` (10000), ``scale_base`` (512), ``layout`` ("half"), ``center`` (an int, or
        ``"middle"`` for ``max_seq_len // 2``)."""
        unknown = set(options) - {"base", "scale_base", "layout", "center"}
        if unknown:
            raise ValueError(
                f"unknown option(s) for xpos: {', '.join(sorted(unknown))}; "
                "it takes base, scale_base, layout, center"
            )
        if options.get("center") == "middle":
            options["center"] = max_seq_len // 2
        return cls(head_dim, max_seq_len=max_seq_len, **options)

    def _tables(self, device: torch.device) -> tuple[Tensor, Tensor]:
        """θ and ζ in float32 on ``device`` (rebuilt if ``model.to(dtype)`` cast the buffers)."""
        if self.inv_freq.dtype != torch.float32 or self.zeta.dtype != torch.float32:
            self.inv_freq = rope.frequencies(self.config)[0].to(self.inv_freq.device)
            self.zeta = decay_base(self.head_dim).to(self.zeta.device)
        return self.inv_freq.to(device), self.zeta.to(device)

    def rotate_qk(self, q: Tensor, k: Tensor, positions: Tensor) -> tuple[Tensor, Tensor]:
        """q [b, n_h, s, h_d] and k [b, n_kv, s, h_d] at integer ``positions`` [s]; same shapes back."""
        check_positions(positions)
        positions = positions.to(q.device)
        inv_freq, zeta = self._tables(q.device)
        cos, sin = rope.cos_sin(positions, inv_freq, self.attention_scaling)  # [s, h_d/2] each, float32
        up = scale(positions, zeta, self.scale_base, self.center)  # [s, h_d/2]: ζ^((m - c)/γ)
        down = up.reciprocal()  # ζ^(-(n - c)/γ)
        self._check_range(up, down, positions, q.dtype)
        q = rope.apply(q, cos * up, sin * up, self.layout)
        k = rope.apply(k, cos * down, sin * down, self.layout)
        return q, k

    def _check_range(self, up: Tensor, down: Tensor, positions: Tensor, dtype: torch.dtype) -> None:
        """The scales must be finite and nonzero in float32, and, for float16 q/k, at most 2^8 (which
        leaves q̃ = scale · q room below float16's 65504): past that xPos gives inf/NaN, never a number.
        (See the module docstring: about 36,000 positions from the centre with γ = 512, fewer in fp16.)"""
        if positions.numel() == 0:
            return
        largest = torch.maximum(up.max(), down.max())
        limit = 2.0**8 if dtype == torch.float16 else float(torch.finfo(torch.float32).max)
        if not bool(torch.isfinite(largest)) or float(largest) > limit:
            low, high = (int(v) for v in torch.aminmax(positions))
            kind = "float16" if dtype == torch.float16 else "float32"
            raise ValueError(
                f"xpos: positions {low}..{high} are too far from the centre {self.center} for scale_base "
                f"{self.scale_base:g}: the decay ζ^(±(m − c)/γ) overflows {kind}; "
                "use a larger scale_base, center='middle', shorter inputs, or float32/bfloat16 q and k"
            )

    def extra_repr(self) -> str:
        return (
            f"head_dim={self.head_dim}, scale_base={self.scale_base:g}, layout={self.layout!r}, "
            f"center={self.center}, acts_on={self.acts_on!r}"
        )


__all__ = ["XPos", "decay_base", "scale"]
