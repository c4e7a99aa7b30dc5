"""The RoPE rotation written plainly: the formula every fast path must equal.

For pair i at position m (angle m θ_i, cos and sin already looked up):

    y₁ = x₁ cos − x₂ sin,    y₂ = x₂ cos + x₁ sin,    features ≥ r copied unchanged

with pair i = features (i, i + r/2) in the ``"half"`` layout (GPT-NeoX, Llama, transformers) and
(2i, 2i + 1) in ``"interleaved"`` (GPT-J, RoFormer, Meta's original Llama). Slices, four products
and a ``torch.cat``/``torch.stack``: readable, differentiable, and what ``torch.compile`` fuses into
one pass over x (the compiled path, and the caller's own graph when the model is compiled).

Shapes: x [b, n_h, s, h_d]; cos, sin broadcastable to [b, n_h, s, r/2]; r = 2 · cos.shape[-1] ≤ h_d.
"""

from __future__ import annotations

import torch
from torch import Tensor


def rotate_formula(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor:
    """The rotation in the wider of x's and cos's dtypes, rounded once to x's dtype.

    x [b, n_h, s, h_d]; cos, sin broadcastable to [b, n_h, s, r/2]. Returns [b, n_h, s, h_d].
    With bf16/fp16 cos and x, Inductor still forms the products in float32 and rounds once at the
    store (it upcasts low-precision arithmetic); only the table entries are rounded.
    """
    half = cos.shape[-1]
    rotary_dim = 2 * half
    compute = torch.promote_types(x.dtype, cos.dtype)
    cos, sin = cos.to(compute), sin.to(compute)
    x_rot = x[..., :rotary_dim].to(compute)  # [b, n_h, s, r]
    if interleaved:
        pairs = x_rot.unflatten(-1, (half, 2))  # [b, n_h, s, r/2, 2]
        x1, x2 = pairs[..., 0], pairs[..., 1]  # [b, n_h, s, r/2] each
        rotated = torch.stack((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)  # [b, n_h, s, r/2, 2]
        rotated = rotated.flatten(-2)  # [b, n_h, s, r]
    else:
        x1, x2 = x_rot[..., :half], x_rot[..., half:]  # [b, n_h, s, r/2] each
        rotated = torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)  # [b, n_h, s, r]
    rotated = rotated.to(x.dtype)
    if rotary_dim == x.shape[-1]:
        return rotated
    return torch.cat((rotated, x[..., rotary_dim:]), dim=-1)  # [b, n_h, s, h_d]


__all__ = ["rotate_formula"]
