# posenc exercise: rope-attention
import math

import torch
from torch import Tensor


def rope_attention(q: Tensor, k: Tensor, v: Tensor, positions: Tensor, inv_freq: Tensor) -> Tensor:
    """Causal self-attention with RoPE on the queries and the keys — and not on the values.

        q', k' = R q, R k          rotated at their positions (half layout, as in rope-apply-half)
        scores = q' k'ᵀ / √h_d     [s, s] per head; token j may look only at tokens 0 … j (causal)
        out    = softmax(scores) v  softmax over the keys; v is NOT rotated: position decides
                                    where to look (q·k), not what is read (v)

    Args:
        q, k, v (Tensor): float32 [b, n_h, s, h_d] (h_d even, every feature rotated).
        positions (Tensor): int64 [s], increasing: the position m of each token.
        inv_freq (Tensor): θ, float32 [h_d/2].

    Returns:
        Tensor: float32 [b, n_h, s, h_d]. Angles m · θ_i in float32.
    """
    half = inv_freq.shape[0]
    angles = positions.to(torch.float32)[:, None] * inv_freq[None, :]  # [s, h_d/2]
    cos, sin = angles.cos(), angles.sin()

    def rotate(t: Tensor) -> Tensor:
        t1, t2 = t[..., :half], t[..., half:]  # [b, n_h, s, h_d/2] each
        return torch.cat((t1 * cos - t2 * sin, t2 * cos + t1 * sin), dim=-1)  # [b, n_h, s, h_d]

    q_rot, k_rot = rotate(q), rotate(k)
    scores = q_rot @ k_rot.transpose(-2, -1) / math.sqrt(q.shape[-1])  # [b, n_h, s, s]
    s = q.shape[-2]
    future = torch.ones(s, s, dtype=torch.bool).triu(1)  # key j > query i
    scores = scores.masked_fill(future, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v  # [b, n_h, s, h_d]
