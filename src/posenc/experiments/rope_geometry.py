"""RoPE's geometry as numbers: wavelengths, position collisions and long-term decay.

Shared by experiment 3 (multi-frequency) and ``rope-base``. The inverse frequencies always come
from the library (``posenc.encodings.rope.frequencies``); this module only measures them.

Notation: d = head_dim (rotary dim), pair i = 0 … d/2 − 1, θ_i = base^(−2i/d) (radians per token),
λ_i = 2π/θ_i (wavelength in tokens), Δ = n − m (relative distance, tokens).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from posenc.encodings import rope


def inv_freq(base: float, head_dim: int) -> Tensor:
    """θ_i from the library for plain RoPE: float32 [d/2]."""
    theta, _ = rope.frequencies({"head_dim": head_dim, "rope_theta": float(base)})
    return theta


def wavelengths(theta: Tensor) -> Tensor:
    """λ_i = 2π / θ_i in tokens, float64 [d/2]."""
    return 2 * math.pi / theta.double()


def colliding_offsets(theta: Tensor, max_offset: int, tolerance: float) -> Tensor:
    """The offsets Δ in 1 … max_offset−1 at which positions m and m+Δ look the same.

    Two positions "collide" under the pairs in ``theta`` when, for every pair, their angles differ
    by less than ``tolerance`` radians modulo 2π:  |((Δ·θ_i + π) mod 2π) − π| < tol  for all i.
    The test depends only on Δ (a rotation by m·θ is applied to both), hence offsets, not pairs.

    Args:
        theta (Tensor): inverse frequencies of the pairs used [k].
        max_offset (int): N, positions 0 … N−1.
        tolerance (float): angle resolution in radians.

    Returns:
        Tensor: int64 [c], the colliding offsets.
    """
    offsets = torch.arange(1, max_offset, dtype=torch.float64)  # [N-1]
    angles = offsets[:, None] * theta.double()[None, :]  # [N-1, k]
    gap = torch.remainder(angles + math.pi, 2 * math.pi) - math.pi  # [N-1, k], in [−π, π)
    same = (gap.abs() < tolerance).all(dim=1)  # [N-1]
    return offsets[same].long()


def count_colliding_pairs(offsets: Tensor, n_positions: int) -> int:
    """Number of position pairs (m, m+Δ), 0 ≤ m < m+Δ < N, over the colliding offsets: Σ (N − Δ)."""
    return int((n_positions - offsets).sum())


def roformer_bound(theta: Tensor, distances: Tensor) -> Tensor:
    """RoFormer's long-term-decay bound (Su et al. 2021, §3.4.3), normalised as in its Figure 2.

    With h_i = q_[2i:2i+1] k*_[2i:2i+1] and S_j = Σ_{k<j} e^{iΔθ_k}, Abel summation gives
        |Σ_i h_i e^{iΔθ_i}| ≤ (max_i |h_{i+1} − h_i|) · Σ_{j=1}^{d/2} |S_j|,
    and the figure plots the relative bound (1/(d/2)) · Σ_{j=1}^{d/2} |S_j| against Δ.

    Args:
        theta (Tensor): inverse frequencies [d/2].
        distances (Tensor): relative distances Δ [D] (integers or floats).

    Returns:
        Tensor: float64 [D].
    """
    phase = distances.double()[:, None] * theta.double()[None, :]  # [D, d/2]
    partial = torch.cumsum(torch.polar(torch.ones_like(phase), phase), dim=1)  # S_1 … S_{d/2}, [D, d/2]
    return partial.abs().mean(dim=1)  # [D]


def expected_same_score(theta: Tensor, distances: Tensor) -> Tensor:
    """E[<R_0 q, R_Δ q>] / d for q ~ N(0, I_d): (2/d) Σ_i cos(Δθ_i) (each pair's |q_pair|² has mean 2).

    Returns:
        Tensor: float64 [D].
    """
    phase = distances.double()[:, None] * theta.double()[None, :]  # [D, d/2]
    return phase.cos().sum(dim=1) / theta.numel()  # (2/d)·Σ_i = (1/(d/2))·Σ_i, [D]


def octave_mean(curve: Callable[[Tensor], Tensor], distances: Tensor) -> Tensor:
    """The trend of an oscillating curve: at each Δ, the mean of ``curve`` over every integer Δ' in
    the octave around it, ⌈Δ/√2⌉ ≤ Δ' ≤ ⌊Δ·√2⌋ (Δ = 0 keeps its own value).

    RoFormer's bound and the same-content score swing from one Δ to the next (the pairs' phases
    line up and cancel by turns), so two bases compared at one Δ can rank either way; their octave
    means rank the way the curves trend. A window of fixed width on a log axis treats short and
    long distances alike.

    Args:
        curve: maps integer distances [N] to values [N] (e.g. ``lambda D: roformer_bound(theta, D)``).
        distances (Tensor): integer distances Δ ≥ 0 [D].

    Returns:
        Tensor: float64 [D].
    """
    dist = distances.long()
    top = int(math.floor(int(dist.max()) * math.sqrt(2))) if dist.numel() else 0
    values = curve(torch.arange(0, top + 1)).double()  # every integer Δ' in 0 … top, [top + 1]
    running = torch.cat([values.new_zeros(1), values.cumsum(0)])  # running[k] = Σ_{Δ' < k}, [top + 2]
    lo = torch.ceil(dist.double() / math.sqrt(2)).long().clamp(min=1)  # [D]
    hi = torch.floor(dist.double() * math.sqrt(2)).long().clamp(min=1, max=top)  # [D]
    means = (running[hi + 1] - running[lo]) / (hi - lo + 1).double()  # [D]
    return torch.where(dist == 0, values[0], means)  # [D]


def random_phase_level(n_pairs: int) -> float:
    """Where RoFormer's relative bound settles once the phases Δθ_k look random: (1/n) Σ_{j=1}^{n} E|S_j|
    with S_j a sum of j independent unit phasors, E|S_j| ≈ √(πj)/2 (the mean of a Rayleigh
    distribution of variance j/2: 11 % low at j = 1, under 1 % low from j = 8 on; the level for
    d/2 = 32 pairs comes out about 0.5 % low)."""
    return sum(math.sqrt(math.pi * j) / 2 for j in range(1, n_pairs + 1)) / n_pairs


def rotate_at(x: Tensor, positions: Tensor, theta: Tensor, layout: str = "half") -> Tensor:
    """Rotate one vector per sample to every position with the library: x [b, d] -> [b, P, d]."""
    cos, sin = rope.cos_sin(positions, theta, 1.0)  # [P, d/2] each
    x4 = x[:, None, None, :].expand(-1, 1, positions.numel(), -1)  # [b, 1, P, d]
    return rope.apply(x4, cos, sin, layout=layout)[:, 0]  # [b, P, d]


def self_similarity(theta: Tensor, distances: Tensor, n_samples: int, seed: int = 0) -> dict[str, Tensor]:
    """How a query scores a key with the *same* content Δ tokens away, and a control.

    Measured with random q ~ N(0, I_d), rotated by the library:
        same:        mean over samples of <R_0 q, R_Δ q> / d   → expected (2/d) Σ_i cos(Δθ_i), which decays;
        independent: mean over samples of |<R_0 q, R_Δ k>| / d for an independent k → flat: a rotation
                     of an isotropic random vector is still isotropic, so random pairs show no decay.

    Returns:
        dict with "same" and "independent", each float64 [D].
    """
    g = torch.Generator().manual_seed(seed)
    d = 2 * theta.numel()
    q = torch.randn(n_samples, d, generator=g, dtype=torch.float64)  # [b, d]
    k = torch.randn(n_samples, d, generator=g, dtype=torch.float64)  # [b, d]
    zero = torch.zeros(1, dtype=torch.long)
    q0 = rotate_at(q, zero, theta)[:, 0]  # [b, d], R_0 q = q
    q_at = rotate_at(q, distances, theta)  # [b, D, d]
    k_at = rotate_at(k, distances, theta)  # [b, D, d]
    same = (q0[:, None, :] * q_at).sum(-1).mean(0) / d  # [b, D] -> [D]
    independent = (q0[:, None, :] * k_at).sum(-1).abs().mean(0) / d  # [b, D] -> [D]
    return {"same": same, "independent": independent}
