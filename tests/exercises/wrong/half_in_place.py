# posenc exercise: rope-apply-half
# expect: it changed its input `x` in place
"""Mistake: rotates x in place (right values, but the caller's q is destroyed)."""


def rope_apply_half(x, positions, inv_freq):
    half = inv_freq.shape[0]
    angles = positions.float()[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :half].float(), x[..., half : 2 * half].float()
    y1, y2 = x1 * cos - x2 * sin, x2 * cos + x1 * sin
    x[..., :half], x[..., half : 2 * half] = y1.to(x.dtype), y2.to(x.dtype)
    return x
