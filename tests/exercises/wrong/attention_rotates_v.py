# posenc exercise: rope-attention
# expect-hint: rotate_v
"""Mistake: rotates v as well as q and k."""
import math

import torch


def rope_attention(q, k, v, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.float()[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()

    def rotate(t):
        t1, t2 = t[..., :half], t[..., half:]
        return torch.cat((t1 * cos - t2 * sin, t2 * cos + t1 * sin), dim=-1)

    q, k, v = rotate(q), rotate(k), rotate(v)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    s = q.shape[-2]
    scores = scores.masked_fill(torch.ones(s, s, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
