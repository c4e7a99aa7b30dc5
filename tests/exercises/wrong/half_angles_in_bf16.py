# posenc exercise: rope-apply-half
# expect-hint: bf16
"""Mistake: positions and frequencies cast to x's dtype, so bf16 inputs get bf16 angles."""
import torch


def rope_apply_half(x, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.to(x.dtype)[:, None] * inv_freq.to(x.dtype)[None, :]
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :half], x[..., half : 2 * half]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin, x[..., 2 * half :]), dim=-1)
