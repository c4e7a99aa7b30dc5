"""NoPE: no position encoding at all.

A decoder with a causal mask still knows where it is: token ``i`` attends to exactly ``i + 1``
tokens, so the mask alone can carry position: Haviv et al. 2022 ("Transformer Language Models
without Positional Encodings Still Learn Positional Information") conjecture that the model counts;
Chi et al. 2023 ("Latent Positional Information is in the Self-Attention Variance of Transformer
Language Models Without Positional Embeddings") show the mechanism, the variance of attention's
output shrinking with the number of tokens attended; Kazemnejad et al. 2023 ("The Impact of
Positional Encoding on Length Generalization in Transformers") study how NoPE extrapolates.
Without a causal mask (bidirectional attention) NoPE is blind to order: attention is permutation-equivariant.

Every hook is the identity inherited from :class:`~posenc.encodings.base.PositionEncoding`.
"""

from __future__ import annotations

from posenc.encodings.base import PositionEncoding


class NoPE(PositionEncoding):
    """No position encoding: acts nowhere; position comes only from the causal mask."""

    name = "nope"
    acts_on = "none"

    @classmethod
    def from_dims(cls, *, d_model: int, n_heads: int, head_dim: int, max_seq_len: int, **options) -> NoPE:
        """NoPE takes no options; any option raises ``ValueError`` naming it."""
        if options:
            raise ValueError(f"unknown option(s) for nope: {', '.join(sorted(options))}; it takes none")
        return cls()
