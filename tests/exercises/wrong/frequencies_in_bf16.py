# posenc exercise: rope-frequencies
# expect-hint: precision
"""Mistake: the frequencies computed in bf16 (then returned as float32)."""
import torch


def rope_frequencies(head_dim, base=10000.0, partial_rotary_factor=1.0):
    r = int(head_dim * partial_rotary_factor)
    if r % 2:
        raise ValueError("odd rotary dim")
    exponent = torch.arange(0, r, 2, dtype=torch.bfloat16) / r
    return (1.0 / (torch.tensor(base, dtype=torch.bfloat16) ** exponent)).float()
