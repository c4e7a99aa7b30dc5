# posenc exercise: sinusoidal
# expect-hint: offset
"""Mistake: positions 1 … seq_len."""
import torch


def sinusoidal_table(seq_len, dim, base=10000.0):
    if dim % 2:
        raise ValueError("odd dim")
    inv_freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    angles = torch.arange(1, seq_len + 1, dtype=torch.float64)[:, None] * inv_freq
    table = torch.empty(seq_len, dim, dtype=torch.float64)
    table[:, 0::2], table[:, 1::2] = angles.sin(), angles.cos()
    return table.float()
