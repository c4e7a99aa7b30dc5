# posenc exercise: relative-position
import torch
from torch import Tensor


def relative_position_scores(
    q: Tensor, k: Tensor, inv_freq: Tensor, m: int, n: int, shift: int
) -> tuple[float, float]:
    """Show numerically that a RoPE attention score depends only on the offset n − m.

    Rotate q to position m and k to position n (half layout: pair i is features (i, i + h_d/2), as
    in the rope-apply-half exercise) and take their dot product; then move both by ``shift``:

        score         = ⟨R_m q, R_n k⟩
        shifted_score = ⟨R_(m+shift) q, R_(n+shift) k⟩

    Rotations compose, R_mᵀ R_n = R_(n−m), so both equal ⟨q, R_(n−m) k⟩: the two numbers must agree
    (to float32 rounding) whatever the shift.

    Args:
        q, k (Tensor): one query and one key, float32 [h_d] (every feature rotated: h_d = r).
        inv_freq (Tensor): θ, float32 [h_d/2].
        m, n (int): positions of q and k (≥ 0); shift (int): added to both (≥ 0).

    Returns:
        (score, shifted_score): two Python floats. Angles m · θ_i in float32.
    """

    def rotate(v: Tensor, position: int) -> Tensor:
        half = inv_freq.shape[0]
        angles = torch.tensor(float(position)) * inv_freq.float()  # [h_d/2]
        cos, sin = angles.cos(), angles.sin()
        v1, v2 = v[:half].float(), v[half:].float()  # [h_d/2] each
        return torch.cat((v1 * cos - v2 * sin, v2 * cos + v1 * sin))  # [h_d]

    score = torch.dot(rotate(q, m).double(), rotate(k, n).double())
    shifted_score = torch.dot(rotate(q, m + shift).double(), rotate(k, n + shift).double())
    return float(score), float(shifted_score)
