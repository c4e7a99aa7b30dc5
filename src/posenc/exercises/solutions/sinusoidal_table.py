# posenc exercise: sinusoidal
import torch
from torch import Tensor


def sinusoidal_table(seq_len: int, dim: int, base: float = 10000.0) -> Tensor:
    """The sinusoidal position table of "Attention Is All You Need" (Vaswani et al. 2017, §3.5).

        PE[p, 2i]     = sin(p / base^(2i/d))
        PE[p, 2i + 1] = cos(p / base^(2i/d))        p = 0 … seq_len − 1,  i = 0 … d/2 − 1

    Each pair (2i, 2i + 1) is a clock hand turning at its own speed: one radian per token for
    i = 0, slower and slower after it.

    Args:
        seq_len (int): number of positions p (≥ 1).
        dim (int): feature size d. It must be even (sin/cos pairs): raise ValueError for an odd d.
        base (float): wavelength base, 10000 in the paper.

    Returns:
        Tensor: float32 [seq_len, dim]. Form the angles p / base^(2i/d) in float64 and cast the
        table to float32 at the end: at p ≈ 4000 a float32 angle is already off by ~1e-4 rad.
    """
    if dim % 2:
        raise ValueError(f"dim must be even (sin/cos pairs), got {dim}")
    two_i = torch.arange(0, dim, 2, dtype=torch.float64)  # 2i, [d/2]
    inv_freq = base ** (-two_i / dim)  # 1 / base^(2i/d), [d/2]
    p = torch.arange(seq_len, dtype=torch.float64)  # [s]
    angles = p[:, None] * inv_freq[None, :]  # p / base^(2i/d), [s, d/2]
    table = torch.empty(seq_len, dim, dtype=torch.float64)  # [s, d]
    table[:, 0::2] = angles.sin()  # even features 2i: sin
    table[:, 1::2] = angles.cos()  # odd features 2i + 1: cos
    return table.float()
