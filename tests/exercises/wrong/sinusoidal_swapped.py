# posenc exercise: sinusoidal
# expect-hint: swapped
"""Mistake: cos at the even features, sin at the odd ones."""
import torch


def sinusoidal_table(seq_len, dim, base=10000.0):
    if dim % 2:
        raise ValueError("odd dim")
    inv_freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    angles = torch.arange(seq_len, dtype=torch.float64)[:, None] * inv_freq
    table = torch.empty(seq_len, dim, dtype=torch.float64)
    table[:, 0::2], table[:, 1::2] = angles.cos(), angles.sin()
    return table.float()
