"""T5 relative position bias (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a
Unified Text-to-Text Transformer", §2.1; after Shaw et al. 2018).

Each head learns one scalar per *bucket* of relative positions, added to the attention scores:

    score[h, i, j] = q_i · k_j  +  B[bucket(pos_j - pos_i), h]

Buckets (``relative_position = memory_position - query_position``):

* bidirectional: half the buckets for keys at or before the query, half for keys after it;
  unidirectional (a causal decoder): future offsets all fall in bucket 0 and every bucket
  describes the past;
* within a direction, with ``n`` buckets: distances 0 … n/2-1 get a bucket each (exact), the
  other n/2 buckets are log-spaced from n/2 up to ``max_distance``; farther distances share the
  last bucket — so the bias is flat beyond ``max_distance`` and extrapolation is graceful.

Verified against Hugging Face transformers ``T5Attention._relative_position_bucket`` (itself from
Mesh TensorFlow), which this function reproduces operation for operation.

Notation used for tensor shapes:
    n_h: number of heads, q_len / k_len: query and key lengths.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from posenc.encodings.base import PositionEncoding, check_number, check_positions

#: more buckets than this is a table no relative bias needs (T5 uses 32), and a typo's allocation
MAX_BUCKETS = 2**16


def _check_buckets(bidirectional: bool, num_buckets: int, max_distance: int) -> None:
    """Both directions need at least one exact and one log bucket; the log range must be non-empty."""
    smallest = 4 if bidirectional else 2
    if (
        isinstance(num_buckets, bool)
        or not isinstance(num_buckets, int)
        or not smallest <= num_buckets <= MAX_BUCKETS
    ):
        raise ValueError(
            f"num_buckets must be an int in [{smallest}, {MAX_BUCKETS}] (bidirectional={bidirectional}), "
            f"got {num_buckets!r}"
        )
    max_exact = (num_buckets // 2 if bidirectional else num_buckets) // 2
    if isinstance(max_distance, bool) or not isinstance(max_distance, int) or max_distance <= max_exact:
        raise ValueError(
            f"max_distance must be an int > {max_exact} (the exact-bucket range), got {max_distance!r}"
        )


def relative_position_bucket(
    relative_position: Tensor, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> Tensor:
    """Map relative positions (memory_position - query_position) to bucket indices.

    Args:
        relative_position (Tensor): integer offsets, any shape.
        bidirectional (bool): separate buckets for future keys (encoder) or not (decoder).
        num_buckets (int): total number of buckets.
        max_distance (int): distances >= this share the last bucket of their direction.

    Returns:
        Tensor: int64, same shape, values in 0 … num_buckets-1.
    """
    _check_buckets(bidirectional, num_buckets, max_distance)
    if relative_position.is_floating_point():
        raise ValueError(f"relative_position must be an integer tensor, got {relative_position.dtype}")
    relative_position = relative_position.long()
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative_position > 0).long() * num_buckets  # keys after the query: upper half
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp(min=0)  # future keys -> distance 0
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    # log-spaced buckets from max_exact up to max_distance; clamping at max_exact keeps log() finite
    # where the exact branch is taken anyway (float32 as in the reference, so boundaries agree)
    ratio = distance.clamp(min=max_exact).float() / max_exact
    log_bucket = (
        max_exact + (torch.log(ratio) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).long()
    )
    log_bucket = log_bucket.clamp(max=num_buckets - 1)
    return buckets + torch.where(is_small, distance, log_bucket)


class T5Bias(PositionEncoding):
    """Learned per-head bias over relative-position buckets.

    Args:
        n_heads (int): number of attention heads n_h.
        num_buckets (int): number of buckets, 32 in T5.
        max_distance (int): distances beyond it share a bucket, 128 in T5.
        bidirectional (bool): ``False`` (default) for a causal decoder, ``True`` for an encoder.
        init_std (float): the table starts as N(0, init_std²).
    """

    name = "t5"
    acts_on = "bias"

    def __init__(
        self,
        n_heads: int,
        num_buckets: int = 32,
        max_distance: int = 128,
        bidirectional: bool = False,
        init_std: float = 0.02,
    ):
        super().__init__()
        _check_buckets(bidirectional, num_buckets, max_distance)
        if isinstance(n_heads, bool) or not isinstance(n_heads, int) or n_heads <= 0:
            raise ValueError(f"n_heads must be a positive int, got {n_heads!r}")
        if not isinstance(bidirectional, bool):
            raise ValueError(f"bidirectional must be true or false, got {bidirectional!r}")
        init_std = check_number("init_std", init_std, low=0)
        self.n_heads, self.num_buckets, self.max_distance = n_heads, num_buckets, max_distance
        self.bidirectional = bool(bidirectional)
        self.relative_attention_bias = nn.Embedding(num_buckets, n_heads)  # weight [num_buckets, n_h]
        nn.init.normal_(self.relative_attention_bias.weight, mean=0.0, std=init_std)

    @classmethod
    def from_dims(cls, *, d_model: int, n_heads: int, head_dim: int, max_seq_len: int, **options) -> T5Bias:
        """Options: ``num_buckets``, ``max_distance``, ``bidirectional``, ``init_std``."""
        unknown = set(options) - {"num_buckets", "max_distance", "bidirectional", "init_std"}
        if unknown:
            raise ValueError(
                f"unknown option(s) for t5: {', '.join(sorted(unknown))}; "
                "it takes num_buckets, max_distance, bidirectional, init_std"
            )
        return cls(n_heads, **options)

    def score_bias(self, q_positions: Tensor, k_positions: Tensor) -> Tensor:
        """q_positions [q_len], k_positions [k_len] (integers). Returns [n_h, q_len, k_len]."""
        check_positions(q_positions)
        check_positions(k_positions)
        relative = k_positions[None, :] - q_positions[:, None]  # [q_len, k_len], memory - query
        bucket = relative_position_bucket(relative, self.bidirectional, self.num_buckets, self.max_distance)
        return self.relative_attention_bias(bucket).permute(2, 0, 1)  # [n_h, q_len, k_len]

    def extra_repr(self) -> str:
        return (
            f"n_heads={self.n_heads}, num_buckets={self.num_buckets}, max_distance={self.max_distance}, "
            f"bidirectional={self.bidirectional}, acts_on={self.acts_on!r}"
        )
