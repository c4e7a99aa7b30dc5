# posenc exercise: alibi-slopes
# expect-hint: start_at_zero
"""Mistake: 2^(−8h/n): the first slope is 1."""
import torch


def alibi_slopes(n_heads):
    def geometric(n):
        return [2.0 ** (-8.0 * h / n) for h in range(n)]

    lower = 1 << (n_heads.bit_length() - 1)
    return torch.tensor(geometric(lower) + geometric(2 * lower)[0::2][: n_heads - lower])
