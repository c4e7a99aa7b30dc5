# posenc exercise: relative-position
# expect-hint: only_q
"""Mistake: rotates q but leaves k where it is."""
import torch


def relative_position_scores(q, k, inv_freq, m, n, shift):
    half = inv_freq.shape[0]

    def rotate(v, position):
        angles = position * inv_freq
        cos, sin = angles.cos(), angles.sin()
        return torch.cat((v[:half] * cos - v[half:] * sin, v[half:] * cos + v[:half] * sin))

    return float(rotate(q, m) @ k), float(rotate(q, m + shift) @ k)
