# posenc exercise: sinusoidal
# expect-hint: precision
"""Mistake: the well-known float32 recipe (exp of a log): fine for short tables, off at p ≈ 4000."""
import math

import torch


def sinusoidal_table(seq_len, dim, base=10000.0):
    if dim % 2:
        raise ValueError("odd dim")
    position = torch.arange(seq_len).unsqueeze(1).float()
    div_term = torch.exp(torch.arange(0, dim, 2).float() * (-math.log(base) / dim))
    table = torch.zeros(seq_len, dim)
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    return table
