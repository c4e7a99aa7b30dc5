# posenc exercise: rope-apply-half
import torch
from torch import Tensor


def rope_apply_half(x: Tensor, positions: Tensor, inv_freq: Tensor) -> Tensor:
    """Rotate queries or keys by RoPE in the half layout (GPT-NeoX, Llama, transformers).

    With r = 2 · len(inv_freq) ≤ h_d, pair i (i = 0 … r/2 − 1) is the features (i, i + r/2); at
    position m it turns by the angle m · θ_i:

        x₁, x₂          = x[..., i], x[..., i + r/2]
        y[..., i]       = x₁ · cos(m θ_i) − x₂ · sin(m θ_i)
        y[..., i + r/2] = x₂ · cos(m θ_i) + x₁ · sin(m θ_i)
        y[..., r:]      = x[..., r:]            (partial rotary: features r … h_d − 1 pass through)

    Args:
        x (Tensor): queries or keys [b, n_h, s, h_d], float32 or bf16.
        positions (Tensor): int64 [s], the position m of each token (need not start at 0).
        inv_freq (Tensor): θ, float32 [r/2].

    Returns:
        Tensor: [b, n_h, s, h_d] in x's dtype, a new tensor (leave x unchanged). Form the angles
        m · θ_i, their cos and sin and the products in float32 whatever x's dtype, and round to
        x's dtype once at the end: in bf16, position 3001 is 3008.
    """
    half = inv_freq.shape[0]  # r/2
    angles = positions.to(torch.float32)[:, None] * inv_freq.float()[None, :]  # m θ_i, [s, r/2]
    cos, sin = angles.cos(), angles.sin()  # [s, r/2] each, broadcast over b and n_h
    xf = x.float()  # [b, n_h, s, h_d]
    x1, x2 = xf[..., :half], xf[..., half : 2 * half]  # [b, n_h, s, r/2] each
    y1 = x1 * cos - x2 * sin
    y2 = x2 * cos + x1 * sin
    tail = xf[..., 2 * half :]  # [b, n_h, s, h_d − r]
    return torch.cat((y1, y2, tail), dim=-1).to(x.dtype)  # [b, n_h, s, h_d]
