# posenc exercise: rope-apply-interleaved
import torch
from torch import Tensor


def rope_apply_interleaved(x: Tensor, positions: Tensor, inv_freq: Tensor) -> Tensor:
    """Rotate queries or keys by RoPE in the interleaved layout (GPT-J, RoFormer, Meta's Llama).

    With r = 2 · len(inv_freq) ≤ h_d, pair i (i = 0 … r/2 − 1) is the features (2i, 2i + 1); at
    position m it turns by the angle m · θ_i:

        x₁, x₂         = x[..., 2i], x[..., 2i + 1]
        y[..., 2i]     = x₁ · cos(m θ_i) − x₂ · sin(m θ_i)
        y[..., 2i + 1] = x₂ · cos(m θ_i) + x₁ · sin(m θ_i)
        y[..., r:]     = x[..., r:]             (partial rotary: features r … h_d − 1 pass through)

    The same as multiplying the complex number x₁ + i·x₂ by e^(i·m·θ_i).

    Args:
        x (Tensor): queries or keys [b, n_h, s, h_d], float32 or bf16.
        positions (Tensor): int64 [s], the position m of each token (need not start at 0).
        inv_freq (Tensor): θ, float32 [r/2].

    Returns:
        Tensor: [b, n_h, s, h_d] in x's dtype, a new tensor (leave x unchanged). Form the angles,
        their cos and sin and the products in float32 whatever x's dtype; round once at the end.
    """
    half = inv_freq.shape[0]  # r/2
    angles = positions.to(torch.float32)[:, None] * inv_freq.float()[None, :]  # m θ_i, [s, r/2]
    cos, sin = angles.cos(), angles.sin()  # [s, r/2] each
    xf = x.float()  # [b, n_h, s, h_d]
    x1, x2 = xf[..., 0 : 2 * half : 2], xf[..., 1 : 2 * half : 2]  # [b, n_h, s, r/2] each
    pairs = torch.stack((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)  # [b, n_h, s, r/2, 2]
    rotated = pairs.flatten(-2)  # [b, n_h, s, r]: y₁ back at 2i, y₂ at 2i + 1
    tail = xf[..., 2 * half :]  # [b, n_h, s, h_d − r]
    return torch.cat((rotated, tail), dim=-1).to(x.dtype)  # [b, n_h, s, h_d]
