# posenc exercise: ntk-frequencies
# expect-hint: no_exponent
"""Mistake: base · factor instead of base · factor^(d/(d − 2))."""
import torch


def ntk_frequencies(head_dim, base, factor):
    exponent = torch.arange(0, head_dim, 2).float() / head_dim
    return 1.0 / ((base * factor) ** exponent)
