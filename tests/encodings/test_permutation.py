"""Why attention needs position: without a position encoding, bidirectional attention is
permutation-equivariant, Attn(PX) = P Attn(X); every position encoding breaks that symmetry."""

import math

import pytest
import torch

from posenc.encodings import build

D, S = 16, 12  # one head of width 16, 12 tokens


def attention(x, weights, pe=None):
    """Single-head bidirectional softmax attention (no mask) written with plain torch.

    x: [s, d] token vectors; weights: (w_q, w_k, w_v) each [d, d]; pe: a PositionEncoding or None.
    Positions are the slots 0 … s-1; permuting the tokens does not permute the slots.
    """
    w_q, w_k, w_v = weights
    positions = torch.arange(x.shape[0])
    x = x[None]  # [1, s, d]
    if pe is not None:
        x = pe.add_to_input(x, positions)
    q, k, v = ((x @ w)[:, None] for w in (w_q, w_k, w_v))  # each [1, 1, s, d]
    if pe is not None:
        q, k = pe.rotate_qk(q, k, positions)
    scores = q @ k.transpose(-1, -2) / math.sqrt(D)  # [1, 1, s, s]
    if pe is not None and (bias := pe.score_bias(positions, positions)) is not None:
        scores = scores + bias[None]  # [1, 1, s, s]
    return (torch.softmax(scores, dim=-1) @ v)[0, 0]  # [s, d]


def equivariance_error(pe, dtype):
    """max |Attn(PX) - P Attn(X)| for a random permutation P."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(S, D, generator=gen, dtype=dtype)
    weights = [torch.randn(D, D, generator=gen, dtype=dtype) / math.sqrt(D) for _ in range(3)]
    perm = torch.randperm(S, generator=gen)
    return (attention(x[perm], weights, pe) - attention(x, weights, pe)[perm]).abs().max().item()


def single_head(name, **options):
    pe = build(name, d_model=D, n_heads=1, head_dim=D, max_seq_len=32, **options)
    return pe.double()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_no_position_encoding_is_permutation_equivariant(dtype):
    assert equivariance_error(None, dtype) < 1e-6


def test_nope_is_permutation_equivariant():
    assert equivariance_error(single_head("nope"), torch.float64) < 1e-6


@pytest.mark.parametrize(
    "name, options",
    [
        ("sinusoidal", {}),
        ("learned", {"init_std": 1.0}),
        ("alibi", {}),
        ("t5", {"init_std": 1.0, "bidirectional": True}),
        ("rope", {}),
    ],
)
def test_position_encoding_breaks_permutation_equivariance(name, options):
    # ALiBi's single head has the gentlest slope, 2^-8 per token, and still moves outputs here by about 1e-2
    assert equivariance_error(single_head(name, **options), torch.float64) > 1e-3
