# posenc exercise: alibi-slopes
import torch
from torch import Tensor


def alibi_slopes(n_heads: int) -> Tensor:
    """ALiBi's per-head slopes m_h (Press, Smith & Lewis 2022, "Train Short, Test Long").

    Head h adds −m_h · |i − j| to the score of query i and key j. For n heads, n a power of two:

        m_h = 2^(−8(h + 1)/n),   h = 0 … n − 1        (8 heads: 1/2, 1/4, …, 1/256)

    For any other n, the paper's code takes the n' slopes of the closest power of two n' < n,
    then every other slope (indices 0, 2, 4, …) of the 2n' sequence: n − n' more of them.

    Args:
        n_heads (int): number of heads n, any positive integer.

    Returns:
        Tensor: float32 [n_heads], largest slope first.
    """

    def geometric(n: int) -> list[float]:
        return [2.0 ** (-8.0 * (h + 1) / n) for h in range(n)]

    lower = 1 << (n_heads.bit_length() - 1)  # the closest power of two <= n_heads
    slopes = geometric(lower)
    if lower < n_heads:
        slopes += geometric(2 * lower)[0::2][: n_heads - lower]
    return torch.tensor(slopes, dtype=torch.float32)
