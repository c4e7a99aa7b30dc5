# posenc exercise: rope-apply-half
# expect-hint: direction
"""Mistake: the signs of rotate_half the wrong way round: a rotation by −m·θ."""
import torch


def rope_apply_half(x, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.float()[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()
    xf = x.float()
    x1, x2 = xf[..., :half], xf[..., half : 2 * half]
    return torch.cat((x1 * cos + x2 * sin, x2 * cos - x1 * sin, xf[..., 2 * half :]), -1).to(x.dtype)
