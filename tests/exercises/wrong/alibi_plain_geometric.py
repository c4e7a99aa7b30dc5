# posenc exercise: alibi-slopes
# expect-hint: geometric
"""Mistake: 2^(−8(h+1)/n) for every n, powers of two or not."""
import torch


def alibi_slopes(n_heads):
    return torch.tensor([2.0 ** (-8.0 * (h + 1) / n_heads) for h in range(n_heads)])
