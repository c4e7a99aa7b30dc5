# posenc exercise: rope-frequencies
import torch
from torch import Tensor


def rope_frequencies(head_dim: int, base: float = 10000.0, partial_rotary_factor: float = 1.0) -> Tensor:
    """RoPE's inverse frequencies θ_i, one per rotated pair of features (Su et al. 2021, RoFormer).

        r   = int(head_dim · partial_rotary_factor)      the rotary dimension: features rotated
        θ_i = base^(−2i/r),   i = 0 … r/2 − 1            θ_0 = 1 radian per token, then slower

    Args:
        head_dim (int): h_d, features per attention head.
        base (float): rope_theta: 1e4 in RoFormer and Llama 2, 5e5 in Llama 3, 1e6 in MiniMind.
        partial_rotary_factor (float): the fraction of h_d that is rotated (GPT-NeoX: 0.25); the
            exponent divides by r, not by h_d. r must be even: raise ValueError when it is odd.

    Returns:
        Tensor: float32 [r/2]. Compute in float32 (transformers: 1 / base^(arange(0, r, 2) / r),
        the exponent in float32); never in bf16/fp16, whose 8-bit mantissa moves every θ_i by up to
        0.4 % — hundreds of tokens of wavelength for the slow pairs.
    """
    r = int(head_dim * partial_rotary_factor)
    if r % 2:
        raise ValueError(f"the rotary dim head_dim * partial_rotary_factor = {r} must be even")
    exponent = torch.arange(0, r, 2, dtype=torch.int64).float() / r  # 2i/r, [r/2] float32
    return 1.0 / (base**exponent)  # θ_i, [r/2] float32
