# posenc exercise: rope-apply-half
# expect-hint: pairs_half
"""Mistake: pairs neighbours (2i, 2i + 1) — the interleaved layout — in the half-layout exercise."""
import torch


def rope_apply_half(x, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.float()[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()
    xf = x.float()
    x1, x2 = xf[..., 0 : 2 * half : 2], xf[..., 1 : 2 * half : 2]
    rotated = torch.stack((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1).flatten(-2)
    return torch.cat((rotated, xf[..., 2 * half :]), dim=-1).to(x.dtype)
