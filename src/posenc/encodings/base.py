"""The common interface every position encoding implements.

A model never asks *which* encoding it holds; it calls the three hooks below at the
three places position can enter a transformer, and each encoding overrides the one
where it acts (the others are identities):

* ``add_to_input``  — absolute encodings added to the token embeddings (sinusoidal, learned);
* ``rotate_qk``     — rotations of queries and keys (RoPE, xPos);
* ``score_bias``    — additive biases on the attention scores (ALiBi, T5);
* none of them      — NoPE.

Notation used for tensor shapes:
    b: batch size, s: sequence length, d: model width,
    n_h: number of attention heads, h_d: head dimension,
    q_len / k_len: query and key lengths (they differ when decoding with a KV cache).
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import torch
from torch import Tensor, nn

ActsOn = Literal["input", "qk", "bias", "none"]


class PositionEncoding(nn.Module):
    """Base class: identity at every hook. Subclasses set ``acts_on`` and override one hook."""

    #: short registry name, e.g. ``"rope"``
    name: ClassVar[str] = "base"
    #: where the encoding acts: ``"input"``, ``"qk"``, ``"bias"`` or ``"none"``
    acts_on: ClassVar[ActsOn] = "none"
    #: ``None`` when the encoding works at any length, else the largest position + 1 it knows
    max_positions: int | None = None

    def add_to_input(self, x: Tensor, positions: Tensor) -> Tensor:
        """x (Tensor): embeddings [b, s, d]; positions (Tensor): integer positions [s]. Returns [b, s, d]."""
        return x

    def rotate_qk(self, q: Tensor, k: Tensor, positions: Tensor) -> tuple[Tensor, Tensor]:
        """q [b, n_h, s, h_d] and k [b, n_kv, s, h_d] of the *same* new tokens at ``positions`` [s].

        Keys are rotated before they enter a KV cache, so cached keys are never touched again.
        """
        return q, k

    def score_bias(self, q_positions: Tensor, k_positions: Tensor) -> Tensor | None:
        """Additive bias on the attention scores, [n_h, q_len, k_len] (float), or ``None``."""
        return None

    def check_length(self, last_position: int) -> None:
        """Raise a clear ``ValueError`` when a position is beyond what the encoding can represent."""
        if self.max_positions is not None and last_position >= self.max_positions:
            raise ValueError(
                f"{self.name} position encoding has a table of {self.max_positions} positions; "
                f"position {last_position} is beyond it (learned absolute positions cannot extrapolate)"
            )

    def extra_repr(self) -> str:
        return f"acts_on={self.acts_on!r}"


def check_number(
    name: str, value, *, low: float | None = None, low_inclusive: bool = True, allow_inf: bool = False
) -> float:
    """``value`` as a float when it is a real number (not a bool, not a string), not NaN, finite (unless
    ``allow_inf``) and at least ``low`` (or above it); else ``ValueError`` naming ``name``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and isinstance(value, int):
        ok = abs(value) < 2**1023  # float(2**2000) raises OverflowError
    if ok:
        value = float(value)
        ok = not math.isnan(value) and (allow_inf or math.isfinite(value))
        if ok and low is not None:
            ok = value >= low if low_inclusive else value > low
    if not ok:
        bound = "" if low is None else f" {'>=' if low_inclusive else '>'} {low:g}"
        raise ValueError(f"{name} must be a {'' if allow_inf else 'finite '}number{bound}, got {value!r}")
    return value


def check_positions(positions: Tensor) -> Tensor:
    """Positions must be a 1-D integer tensor; returns it unchanged."""
    if not isinstance(positions, Tensor) or positions.dim() != 1:
        raise ValueError(
            f"positions must be a 1-D tensor of integers, got {getattr(positions, 'shape', positions)}"
        )
    if positions.is_floating_point():
        raise ValueError(
            f"positions must be integers (got {positions.dtype}); float positions lose precision "
            "in low-precision dtypes"
        )
    return positions


def default_positions(seq_len: int, offset: int = 0, device: torch.device | None = None) -> Tensor:
    """positions offset … offset+seq_len-1 as int64 [s]."""
    return torch.arange(offset, offset + seq_len, device=device, dtype=torch.long)
