"""ALiBi: attention with linear biases (Press, Smith & Lewis 2022, "Train Short, Test Long").

No position vector is added anywhere; each head h adds a penalty proportional to the distance
between query and key to the attention scores:

    score[h, i, j] = q_i · k_j / √h_d  -  m_h · |pos_i - pos_j|

The slopes m_h form a geometric sequence. For n heads, n a power of two,

    m_h = 2^(-8 (h + 1) / n),        h = 0 … n-1        (8 heads: 1/2, 1/4, …, 1/256)

For other n, the paper's reference code takes the n' slopes of the closest lower power of two
n', followed by every other slope (indices 0, 2, 4, …) of the 2n' sequence, n - n' of them.

Verified against the paper's ``get_slopes`` in
https://github.com/ofirpress/attention_with_linear_biases (fairseq/models/transformer.py).

The reference adds ``m_h · j`` (key position only) in a causal LM; that differs from
``-m_h · (i - j)`` by a constant per query row, which softmax ignores. The distance form used
here is the same for every row, works with a KV cache, and is symmetric: a future key (j > i)
gets the mirrored value ``-m_h · (j - i)``; in a causal model the mask removes it anyway.

Notation used for tensor shapes:
    n_h: number of heads, q_len / k_len: query and key lengths.
"""

from __future__ import annotations

import torch
from torch import Tensor

from posenc.encodings.base import PositionEncoding, check_positions

#: more heads than any model has (a typo of 2**70 would otherwise build a list for ever)
MAX_HEADS = 2**16


def _geometric_slopes(n: int) -> list[float]:
    """2^(-8 (h+1) / n) for h = 0 … n-1 (n a power of two)."""
    return [2.0 ** (-8.0 * (h + 1) / n) for h in range(n)]


def slopes(n_heads: int) -> Tensor:
    """ALiBi slopes for ``n_heads`` heads (any positive count).

    Returns:
        Tensor: float32 [n_h], largest slope first.
    """
    if isinstance(n_heads, bool) or not isinstance(n_heads, int) or not 0 < n_heads <= MAX_HEADS:
        raise ValueError(f"n_heads must be a positive int up to {MAX_HEADS}, got {n_heads!r}")
    lower = 1 << (n_heads.bit_length() - 1)  # closest power of two <= n_heads
    values = _geometric_slopes(lower)
    if lower != n_heads:
        values += _geometric_slopes(2 * lower)[0::2][: n_heads - lower]
    return torch.tensor(values, dtype=torch.float32)


def linear_bias(q_positions: Tensor, k_positions: Tensor, slopes: Tensor) -> Tensor:
    """-slope · |q_pos - k_pos| from explicit positions.

    Args:
        q_positions (Tensor): integer positions of the queries [q_len].
        k_positions (Tensor): integer positions of the keys [k_len].
        slopes (Tensor): per-head slopes [n_h].

    Returns:
        Tensor: float32 [n_h, q_len, k_len].
    """
    check_positions(q_positions)
    check_positions(k_positions)
    if slopes.dim() != 1:
        raise ValueError(f"slopes must be a 1-D tensor [n_h], got shape {tuple(slopes.shape)}")
    distance = (q_positions[:, None] - k_positions[None, :]).abs().float()  # [q_len, k_len]
    return -slopes.float()[:, None, None] * distance[None]  # [n_h, q_len, k_len]


def bias(q_len: int, k_len: int, slopes: Tensor, offset: int | None = None) -> Tensor:
    """The ALiBi bias for ``q_len`` queries against ``k_len`` keys.

    Key j sits at position j; query i at ``offset + i``, where ``offset`` defaults to
    ``k_len - q_len``: the new queries are the last tokens of the sequence, as when decoding with
    a KV cache.

    Args:
        q_len (int): number of queries.
        k_len (int): number of keys.
        slopes (Tensor): per-head slopes [n_h] (see :func:`slopes`).
        offset (int | None): position of the first query.

    Returns:
        Tensor: float32 [n_h, q_len, k_len], on the device of ``slopes``.
    """
    for field, value in (("q_len", q_len), ("k_len", k_len)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{field} must be a non-negative int, got {value!r}")
    if offset is None:
        if q_len > k_len:
            raise ValueError(
                f"q_len ({q_len}) > k_len ({k_len}): queries cannot be aligned to the end of the keys; "
                "pass offset"
            )
        offset = k_len - q_len
    q_positions = torch.arange(offset, offset + q_len, device=slopes.device)  # [q_len]
    k_positions = torch.arange(k_len, device=slopes.device)  # [k_len]
    return linear_bias(q_positions, k_positions, slopes)


class ALiBi(PositionEncoding):
    """ALiBi bias on the attention scores; works at any length.

    Args:
        n_heads (int): number of attention heads n_h (any positive count).
    """

    name = "alibi"
    acts_on = "bias"

    def __init__(self, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.register_buffer("slopes", slopes(n_heads), persistent=False)  # [n_h]

    @classmethod
    def from_dims(cls, *, d_model: int, n_heads: int, head_dim: int, max_seq_len: int, **options) -> ALiBi:
        """ALiBi takes no options; any option raises ``ValueError`` naming it."""
        if options:
            raise ValueError(f"unknown option(s) for alibi: {', '.join(sorted(options))}; it takes none")
        return cls(n_heads)

    def score_bias(self, q_positions: Tensor, k_positions: Tensor) -> Tensor:
        """q_positions [q_len], k_positions [k_len] (integers). Returns float32 [n_h, q_len, k_len]."""
        if self.slopes.dtype != torch.float32:  # model.to(bf16) cast the buffer: restore exact slopes
            self.slopes = slopes(self.n_heads).to(self.slopes.device)
        return linear_bias(q_positions, k_positions, self.slopes)

    def extra_repr(self) -> str:
        return f"n_heads={self.n_heads}, acts_on={self.acts_on!r}"
