# posenc exercise: sinusoidal
# expect: expected it to raise ValueError
"""Mistake: an odd dim is not refused."""
import torch


def sinusoidal_table(seq_len, dim, base=10000.0):
    inv_freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    angles = torch.arange(seq_len, dtype=torch.float64)[:, None] * inv_freq
    table = torch.empty(seq_len, 2 * inv_freq.numel(), dtype=torch.float64)
    table[:, 0::2], table[:, 1::2] = angles.sin(), angles.cos()
    return table[:, :dim].float()
