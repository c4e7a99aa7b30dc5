"""Learned absolute positions: table lookup inside the table, a clear error beyond it."""

import pytest
import torch

from posenc.encodings import build
from posenc.encodings.learned import Learned

DIMS = dict(d_model=64, n_heads=4, head_dim=16, max_seq_len=32)


def test_build_makes_a_table_of_max_seq_len_rows():
    pe = build("learned", **DIMS)
    assert isinstance(pe, Learned) and pe.acts_on == "input"
    assert pe.max_positions == 32
    assert pe.embedding.weight.shape == (32, 64)


def test_default_init_is_small_normal():
    pe = Learned(4096, 64)
    assert pe.embedding.weight.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_adds_the_embedding_row_of_each_position(dtype):
    pe = build("learned", **DIMS)
    x = torch.randn(2, 3, 64).to(dtype)
    positions = torch.tensor([0, 5, 31])
    out = pe.add_to_input(x, positions)
    table = pe.embedding.weight.detach()
    for row, pos in enumerate(positions.tolist()):
        want = x[:, row] + table[pos].to(dtype)
        torch.testing.assert_close(out[:, row], want)


@pytest.mark.parametrize("last", [32, 33, 1000])
def test_position_beyond_the_table_raises_a_clear_error(last):
    pe = build("learned", **DIMS)
    with pytest.raises(ValueError, match="cannot extrapolate") as err:
        pe.add_to_input(torch.zeros(1, 2, 64), torch.tensor([0, last]))
    assert "32 positions" in str(err.value) and str(last) in str(err.value)


def test_negative_position_raises():
    pe = build("learned", **DIMS)
    with pytest.raises(ValueError, match="positions"):
        pe.add_to_input(torch.zeros(1, 1, 64), torch.tensor([-1]))


def test_non_acting_hooks_are_identities_and_unknown_option_is_named():
    pe = build("learned", **DIMS)
    q, k = torch.randn(1, 4, 5, 16), torch.randn(1, 4, 5, 16)
    q2, k2 = pe.rotate_qk(q, k, torch.arange(5))
    assert torch.equal(q2, q) and torch.equal(k2, k)
    assert pe.score_bias(torch.arange(5), torch.arange(5)) is None
    with pytest.raises(ValueError, match="base"):
        build("learned", **DIMS, base=10.0)
