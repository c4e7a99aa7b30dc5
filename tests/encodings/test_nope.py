"""NoPE: built by name, acts nowhere, every hook is the identity."""

import pytest
import torch

from posenc.encodings import build
from posenc.encodings.nope import NoPE

DIMS = dict(d_model=64, n_heads=4, head_dim=16, max_seq_len=32)


def test_build_returns_nope_acting_nowhere():
    pe = build("nope", **DIMS)
    assert isinstance(pe, NoPE)
    assert pe.acts_on == "none"


def test_every_hook_is_identity():
    pe = build("nope", **DIMS)
    x = torch.randn(2, 10, 64)
    q, k = torch.randn(2, 4, 10, 16), torch.randn(2, 4, 10, 16)
    positions = torch.arange(10)
    assert torch.equal(pe.add_to_input(x, positions), x)
    q2, k2 = pe.rotate_qk(q, k, positions)
    assert torch.equal(q2, q) and torch.equal(k2, k)
    assert pe.score_bias(positions, positions) is None


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="base"):
        build("nope", **DIMS, base=10000.0)
