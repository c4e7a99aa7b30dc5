# posenc exercise: yarn
import math

import torch
from torch import Tensor


def yarn_frequencies(
    head_dim: int,
    base: float,
    factor: float,
    original_max_position_embeddings: int,
    beta_fast: float = 32.0,
    beta_slow: float = 1.0,
) -> tuple[Tensor, float]:
    """YaRN (Peng et al. 2023) as transformers computes it: NTK-by-parts frequencies and the
    attention factor.

    With d = head_dim, L = original_max_position_embeddings, s = factor, θ_i = base^(−2i/d):

        dim(β) = d · ln(L / (2π β)) / (2 ln base)      the pair that turns β times over L
        lo     = max(floor(dim(beta_fast)), 0)
        hi     = min(ceil(dim(beta_slow)), d − 1)      (if lo == hi, add 0.001 to hi)
        γ_i    = clamp((i − lo) / (hi − lo), 0, 1)     i = 0 … d/2 − 1
        θ'_i   = θ_i · (1 − γ_i) + (θ_i / s) · γ_i     fast pairs kept, slow pairs divided by s
        attention factor = 0.1 · ln(s) + 1             (1 when s ≤ 1; multiplies cos and sin)

    Args:
        head_dim (int): d (even). base (float): rope_theta. factor (float): s ≥ 1.
        original_max_position_embeddings (int): L, the pretraining length.
        beta_fast, beta_slow (float): ramp bounds in turns over L (32 and 1 in the paper).

    Returns:
        (inv_freq, attention_factor): θ' as float32 [d/2] (θ_i computed as in rope-frequencies,
        in float32), and a Python float.
    """

    def correction_dim(turns: float) -> float:
        wavelengths = original_max_position_embeddings / (turns * 2 * math.pi)  # L / (2π β)
        return head_dim * math.log(wavelengths) / (2 * math.log(base))

    lo = max(math.floor(correction_dim(beta_fast)), 0)
    hi = min(math.ceil(correction_dim(beta_slow)), head_dim - 1)
    if lo == hi:
        hi += 0.001  # no 0/0 in the ramp
    i = torch.arange(head_dim // 2, dtype=torch.float32)  # pair index, [d/2]
    gamma = torch.clamp((i - lo) / (hi - lo), 0, 1)  # γ_i, [d/2]
    theta = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))  # [d/2]
    inv_freq = theta * (1 - gamma) + (theta / factor) * gamma  # θ'_i, [d/2]
    attention_factor = 0.1 * math.log(factor) + 1.0 if factor > 1 else 1.0
    return inv_freq, attention_factor
