# posenc exercise: rope-frequencies
# expect-hint: rotary_dim
"""Mistake: partial rotary divides the exponent by h_d instead of the rotary dim r."""
import torch


def rope_frequencies(head_dim, base=10000.0, partial_rotary_factor=1.0):
    r = int(head_dim * partial_rotary_factor)
    if r % 2:
        raise ValueError("odd rotary dim")
    exponent = torch.arange(0, r, 2).float() / head_dim
    return 1.0 / (base**exponent)
