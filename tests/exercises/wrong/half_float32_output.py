# posenc exercise: rope-apply-half
# expect: wrong dtype: expected bfloat16, got float32
"""Mistake: computes in float32 as asked but never casts back to x's dtype."""
import torch


def rope_apply_half(x, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.float()[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()
    xf = x.float()
    x1, x2 = xf[..., :half], xf[..., half : 2 * half]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin, xf[..., 2 * half :]), -1)
