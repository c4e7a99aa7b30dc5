# posenc exercise: rope-apply-half
# expect-hint: tail
"""Mistake: writes the rotation into zeros, so the partial-rotary tail comes back as zeros."""
import torch


def rope_apply_half(x, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.float()[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()
    xf = x.float()
    x1, x2 = xf[..., :half], xf[..., half : 2 * half]
    out = torch.zeros_like(xf)
    out[..., :half] = x1 * cos - x2 * sin
    out[..., half : 2 * half] = x2 * cos + x1 * sin
    return out.to(x.dtype)
