# posenc exercise: rope-attention
# expect-hint: no_mask
"""Mistake: no causal mask: every token attends to the future too."""
import math

import torch


def rope_attention(q, k, v, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.float()[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()

    def rotate(t):
        t1, t2 = t[..., :half], t[..., half:]
        return torch.cat((t1 * cos - t2 * sin, t2 * cos + t1 * sin), dim=-1)

    scores = rotate(q) @ rotate(k).transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1) @ v
