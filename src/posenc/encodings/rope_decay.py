"""RoPE's long-term decay, and where a scaling's ramp starts and ends along the pairs.

Everything here takes the inverse frequencies θ [r/2] from :func:`posenc.encodings.rope.frequencies`
(plain or scaled) and the attention factor a that multiplies cos and sin; it adds no formula for θ.

* ``relative_upper_bound(inv_freq, distances, a)`` — RoFormer's long-term decay curve (Su et al. 2021,
  §3.4.3, Figure 2). Write a pair of q as the complex number q_i = q[2i] + i·q[2i+1] (any pairing of
  features works the same way). Then ⟨R_m q, R_n k⟩ = Re Σ_i h_i e^{i(m−n)θ_i} with h_i = q_i·conj(k_i).
  With S_j = Σ_{k<j} e^{i(m−n)θ_k} (S_0 = 0) and h_{r/2} = 0, Abel summation gives
      |Σ_i h_i e^{i(m−n)θ_i}| ≤ (max_i |h_{i+1} − h_i|) · Σ_{j=1}^{r/2} |S_j|,
  and the paper plots the part that depends on the distance alone, (1/(r/2)) Σ_{j=1}^{r/2} |S_j|.
  Here it is multiplied by a² (cos and sin of both q and k carry a); a = 1 is the paper's curve.
* ``mean_qk_product(inv_freq, distances, a)`` — E[⟨R_m q, R_n q⟩] for q ~ N(0, I_r) (the same vector
  as query and key): each pair contributes (q_{2i}² + q_{2i+1}²)·cos((n−m)θ_i) and E[q_{2i}² + q_{2i+1}²]
  = 2, so the mean is a²·Σ_i 2·cos((n−m)θ_i); at distance 0 it is r·a².
* ``crossing_pair(turns, length, base, rotary_dim)`` — the (fractional) pair index i where plain RoPE's
  pair turns ``turns`` times over ``length`` tokens, r_i = L/λ_i = L·θ_i/(2π) with θ_i = b^(−2i/r):
      dim(β) = r · ln(L / (2π β)) / (2 ln b)
  (YaRN's ``find_correction_dim``, Peng et al. 2023, eq. 17; Llama 3.1's bands are the same crossing
  with β = low_freq_factor, high_freq_factor).

Sums are taken in float64 over the float32 θ the model uses. Distances are integers (relative
positions n − m ≥ 0; both curves are even in the distance).

Notation used for tensor shapes: r: rotary dimension (r/2 pairs), D: number of distances.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _check(inv_freq: Tensor, distances: Tensor) -> tuple[Tensor, Tensor]:
    """θ [r/2] and distances [D] as float64 (``ValueError`` naming the bad argument)."""
    if not isinstance(inv_freq, Tensor) or inv_freq.dim() != 1 or not inv_freq.is_floating_point():
        raise ValueError(
            f"inv_freq must be a 1-D float tensor [r/2], got {getattr(inv_freq, 'shape', inv_freq)}"
        )
    if len(inv_freq) == 0:
        raise ValueError("inv_freq must hold at least one pair's frequency")
    if not isinstance(distances, Tensor) or distances.dim() != 1:
        raise ValueError(f"distances must be a 1-D tensor [D], got {getattr(distances, 'shape', distances)}")
    if distances.is_floating_point() or distances.is_complex() or distances.dtype == torch.bool:
        raise ValueError(f"distances must be integers (relative positions), got {distances.dtype}")
    return inv_freq.double(), distances.double()


def relative_upper_bound(inv_freq: Tensor, distances: Tensor, attention_scaling: float = 1.0) -> Tensor:
    """a² · (1/(r/2)) Σ_{j=1}^{r/2} |S_j(n−m)| with S_j = Σ_{k<j} e^{i(n−m)θ_k} (RoFormer §3.4.3).

    Args:
        inv_freq (Tensor): θ, [r/2] (from ``rope.frequencies``).
        distances (Tensor): integer relative distances n − m, [D].
        attention_scaling (float): a, the factor on cos and sin (YaRN's 0.1·ln s + 1; 1 for plain RoPE).

    Returns:
        Tensor float64 [D]. At distance 0, S_j = j, so the value is a²·(r/2 + 1)/2.
    """
    theta, dist = _check(inv_freq, distances)
    angles = dist.unsqueeze(-1) * theta  # (n − m)·θ_k, [D, r/2]
    turns = torch.polar(torch.ones_like(angles), angles)  # e^{i(n−m)θ_k}, complex128 [D, r/2]
    partial = torch.cumsum(turns, dim=-1)  # S_1 … S_{r/2}, [D, r/2]
    return attention_scaling**2 * partial.abs().mean(dim=-1)  # [D]


def mean_qk_product(inv_freq: Tensor, distances: Tensor, attention_scaling: float = 1.0) -> Tensor:
    """E[⟨R_m q, R_n q⟩] = a² · Σ_i 2·cos((n−m)θ_i) for q ~ N(0, I_r), one standard normal per feature.

    Args:
        inv_freq (Tensor): θ, [r/2] (from ``rope.frequencies``).
        distances (Tensor): integer relative distances n − m, [D].
        attention_scaling (float): a, the factor on cos and sin; the product carries a².

    Returns:
        Tensor float64 [D]. At distance 0 it is r·a² (E|q|² = r).
    """
    theta, dist = _check(inv_freq, distances)
    angles = dist.unsqueeze(-1) * theta  # (n − m)·θ_i, [D, r/2]
    return attention_scaling**2 * 2 * angles.cos().sum(dim=-1)  # [D]


def crossing_pair(turns: float, length: float, base: float, rotary_dim: int) -> float:
    """The fractional pair index where plain RoPE's pair i turns ``turns`` times over ``length`` tokens:
    dim(β) = r · ln(L / (2π β)) / (2 ln b). Pairs below it turn more often, pairs above it less.

    YaRN's ramp runs from floor(dim(β_fast)) to ceil(dim(β_slow)) (clamped to the pairs); Llama 3.1's
    blend between the same crossings at β = high_freq_factor and low_freq_factor.
    """
    if not (turns > 0 and length > 0 and base > 1 and rotary_dim > 0):
        raise ValueError(
            f"crossing_pair needs turns > 0, length > 0, base > 1, rotary_dim > 0; got turns={turns}, "
            f"length={length}, base={base}, rotary_dim={rotary_dim}"
        )
    return rotary_dim * math.log(length / (2 * math.pi * turns)) / (2 * math.log(base))
