"""Sinusoidal absolute position encoding (Vaswani et al. 2017, "Attention Is All You Need", §3.5).

    PE[p, 2i]     = sin(p / base^(2i / d))
    PE[p, 2i + 1] = cos(p / base^(2i / d)),        i = 0 … d/2 - 1, base = 10000

Each pair of features is a clock turning at its own speed, from one radian per token (i = 0) down
to one turn per ~2π·base tokens. The table is a fixed function of ``p``, so it exists at any
length; whether a model *uses* it well beyond its training length is another matter.

Verified against the closed form above, computed with ``math.sin``/``math.cos`` in the tests.

Notation used for tensor shapes:
    b: batch size, s: sequence length, d: model width.
"""

from __future__ import annotations

import torch
from torch import Tensor

from posenc.encodings.base import PositionEncoding, check_number, check_positions


def table(seq_len: int, dim: int, base: float = 10000.0) -> Tensor:
    """The sinusoid table for positions 0 … seq_len-1.

    Args:
        seq_len (int): number of positions (any length, >= 0).
        dim (int): feature size d; must be even (sin/cos pairs).
        base (float): wavelength base, 10000 in the paper; must be > 0.

    Returns:
        Tensor: float32 [seq_len, dim]; angles are computed in float64 so large positions stay exact.
    """
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or not 0 <= seq_len <= 2**24:
        raise ValueError(f"seq_len must be an int in [0, 2^24], got {seq_len!r}")
    if isinstance(dim, bool) or not isinstance(dim, int) or not 0 < dim <= 2**24 or dim % 2:
        raise ValueError(f"dim must be a positive even int up to 2^24 (sin/cos pairs), got {dim!r}")
    # wavelengths 2π·base^(2i/d) must grow with i; beyond 1e300 base^(-k) underflows float64
    base = check_number("base", base, low=1, low_inclusive=False)
    if base > 1e300:
        raise ValueError(f"base must be at most 1e300 (its powers underflow beyond), got {base!r}")
    inv_freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # [d/2]
    angles = torch.arange(seq_len, dtype=torch.float64)[:, None] * inv_freq[None, :]  # [s, d/2]
    pe = torch.stack((angles.sin(), angles.cos()), dim=-1)  # [s, d/2, 2]: sin at 2i, cos at 2i+1
    return pe.reshape(seq_len, dim).float()  # [s, d]


class Sinusoidal(PositionEncoding):
    """Adds ``scale · table(...)[positions]`` to the token embeddings.

    The scale matters (a lesson paid for on this project): the sinusoid has entries of size ~1, so
    it must meet token embeddings of a comparable size — embeddings initialised with std 1, or
    multiplied by √d as in the paper. With std-0.02 embeddings the sinusoid drowns the tokens.
    The model owns the embedding scale; ``scale`` (default 1.0) is here for experiments.

    Args:
        dim (int): model width d (even).
        base (float): wavelength base, default 10000.
        scale (float): factor on the table, default 1.0.
        max_seq_len (int): length of the table built up front; it is rebuilt when outgrown.
    """

    name = "sinusoidal"
    acts_on = "input"

    def __init__(self, dim: int, base: float = 10000.0, scale: float = 1.0, max_seq_len: int = 2048):
        super().__init__()
        self.dim, self.base = dim, check_number("base", base, low=1, low_inclusive=False)
        self.scale = check_number("scale", scale)
        self.register_buffer("pe", table(max_seq_len, dim, self.base), persistent=False)  # [s, d]

    @classmethod
    def from_dims(
        cls, *, d_model: int, n_heads: int, head_dim: int, max_seq_len: int, **options
    ) -> Sinusoidal:
        """Options: ``base`` (10000.0), ``scale`` (1.0); anything else raises ``ValueError``."""
        unknown = set(options) - {"base", "scale"}
        if unknown:
            raise ValueError(
                f"unknown option(s) for sinusoidal: {', '.join(sorted(unknown))}; it takes base, scale"
            )
        return cls(d_model, max_seq_len=max_seq_len, **options)

    def _build_cache(self, seq_len: int, device: torch.device) -> None:
        """(Re)build the table for ``seq_len`` positions on ``device``."""
        self.pe = table(seq_len, self.dim, self.base).to(device)  # [s, d]

    def add_to_input(self, x: Tensor, positions: Tensor) -> Tensor:
        """x (Tensor): [b, s, d]; positions (Tensor): integer positions [s] (>= 0). Returns [b, s, d]."""
        check_positions(positions)
        if positions.numel() == 0:
            return x
        first, last = int(positions.min()), int(positions.max())
        if first < 0:
            raise ValueError(f"positions must be >= 0, got {first}")
        # rebuilt when outgrown, moved, or cast by model.to(dtype) (the table stays float32)
        if last >= self.pe.shape[0] or self.pe.device != x.device or self.pe.dtype != torch.float32:
            self._build_cache(max(last + 1, self.pe.shape[0]), x.device)
        return x + (self.scale * self.pe[positions]).to(x.dtype)  # [s, d] broadcast over b

    def extra_repr(self) -> str:
        return f"dim={self.dim}, base={self.base}, scale={self.scale}, acts_on={self.acts_on!r}"
