"""Learned absolute position embeddings (Gehring et al. 2017, "Convolutional Sequence to Sequence
Learning"; BERT; GPT-2's ``wpe``).

    x'[b, p] = x[b, p] + E[p],        E: a trained table of ``max_positions`` rows of width d

The table has one row per position seen in training and nothing beyond: a learned encoding
cannot extrapolate, so a position >= ``max_positions`` raises ``ValueError`` instead of indexing
out of range (or, worse, silently wrapping).

Verified against ``nn.Embedding`` row lookup.

Notation used for tensor shapes:
    b: batch size, s: sequence length, d: model width.
"""

from __future__ import annotations

from torch import Tensor, nn

from posenc.encodings.base import PositionEncoding, check_number, check_positions


class Learned(PositionEncoding):
    """A trained table of position vectors added to the token embeddings.

    Args:
        max_positions (int): table size; positions 0 … max_positions-1 are known.
        dim (int): model width d.
        init_std (float): rows start as N(0, init_std²); 0.02 as in GPT-2.
    """

    name = "learned"
    acts_on = "input"

    def __init__(self, max_positions: int, dim: int, init_std: float = 0.02):
        super().__init__()
        if isinstance(max_positions, bool) or not isinstance(max_positions, int) or max_positions <= 0:
            raise ValueError(f"max_positions must be a positive int, got {max_positions!r}")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        init_std = check_number("init_std", init_std, low=0)
        self.max_positions = max_positions
        self.embedding = nn.Embedding(max_positions, dim)  # weight [max_positions, d]
        nn.init.normal_(self.embedding.weight, mean=0.0, std=init_std)

    @classmethod
    def from_dims(cls, *, d_model: int, n_heads: int, head_dim: int, max_seq_len: int, **options) -> Learned:
        """Table of ``max_seq_len`` rows of width ``d_model``. Option: ``init_std`` (0.02)."""
        unknown = set(options) - {"init_std"}
        if unknown:
            raise ValueError(
                f"unknown option(s) for learned: {', '.join(sorted(unknown))}; it takes init_std"
            )
        return cls(max_seq_len, d_model, **options)

    def add_to_input(self, x: Tensor, positions: Tensor) -> Tensor:
        """x (Tensor): [b, s, d]; positions (Tensor): integer positions [s]. Returns [b, s, d].

        Raises ``ValueError`` for a position outside 0 … max_positions-1.
        """
        check_positions(positions)
        if positions.numel() == 0:
            return x
        first = int(positions.min())
        if first < 0:
            raise ValueError(f"positions must be >= 0, got {first}")
        self.check_length(int(positions.max()))
        return x + self.embedding(positions).to(x.dtype)  # [s, d] broadcast over b

    def extra_repr(self) -> str:
        return f"max_positions={self.max_positions}, acts_on={self.acts_on!r}"
