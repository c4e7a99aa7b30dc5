# posenc exercise: ntk-frequencies
import torch
from torch import Tensor


def ntk_frequencies(head_dim: int, base: float, factor: float) -> Tensor:
    """NTK-aware scaled RoPE frequencies (bloc97 2023): a larger base instead of squeezed positions.

        d    = head_dim                            (every feature rotated)
        b'   = base · factor^(d / (d − 2))
        θ'_i = b'^(−2i/d),   i = 0 … d/2 − 1

    The exponent d / (d − 2) makes the slowest pair (i = d/2 − 1) turn exactly ``factor`` times
    slower — like position interpolation there — while the fastest pair (i = 0) is unchanged.

    Args:
        head_dim (int): d (even, ≥ 4). base (float): rope_theta. factor (float): s ≥ 1.

    Returns:
        Tensor: float32 [d/2], computed like plain RoPE frequencies with base b' (b' as a Python
        float, the exponent 2i/d in float32).
    """
    new_base = base * factor ** (head_dim / (head_dim - 2))  # b'
    exponent = torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim  # 2i/d, [d/2]
    return 1.0 / (new_base**exponent)  # θ'_i, [d/2] float32
