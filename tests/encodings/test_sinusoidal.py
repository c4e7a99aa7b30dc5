"""Sinusoidal encoding: closed-form values (Vaswani et al. 2017, §3.5), any length, hooks."""

import math

import pytest
import torch

from posenc.encodings import build
from posenc.encodings.sinusoidal import Sinusoidal, table

DIMS = dict(d_model=64, n_heads=4, head_dim=16, max_seq_len=32)


def expected(pos: int, feature: int, dim: int, base: float = 10000.0) -> float:
    """PE[pos, 2i] = sin(pos / base^(2i/d)), PE[pos, 2i+1] = cos(pos / base^(2i/d)), by hand."""
    two_i = feature - feature % 2
    angle = pos / base ** (two_i / dim)
    return math.sin(angle) if feature % 2 == 0 else math.cos(angle)


@pytest.mark.parametrize("pos, feature", [(0, 0), (0, 1), (1, 0), (1, 1), (5, 2), (5, 3), (17, 6), (31, 7)])
def test_values_match_closed_form(pos, feature):
    pe = table(32, 8)
    assert pe[pos, feature].item() == pytest.approx(expected(pos, feature, 8), abs=1e-6)


def test_hand_computed_anchor_values():
    pe = table(3, 4, base=100.0)
    # position 2, dims 2 and 3: angle = 2 / 100^(2/4) = 0.2
    assert pe[2, 2].item() == pytest.approx(math.sin(0.2), abs=1e-7)
    assert pe[2, 3].item() == pytest.approx(math.cos(0.2), abs=1e-7)
    # position 0: sin 0 = 0 on even dims, cos 0 = 1 on odd dims
    assert pe[0].tolist() == [0.0, 1.0, 0.0, 1.0]


@pytest.mark.parametrize("seq_len, dim", [(1, 2), (7, 6), (5000, 16)])
def test_any_length_and_shape(seq_len, dim):
    pe = table(seq_len, dim)
    assert pe.shape == (seq_len, dim) and pe.dtype == torch.float32
    last = seq_len - 1
    for feature in range(dim):
        assert pe[last, feature].item() == pytest.approx(expected(last, feature, dim), abs=1e-6)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(seq_len=4, dim=5), "dim"),
        (dict(seq_len=-1, dim=4), "seq_len"),
        (dict(seq_len=4, dim=4, base=0.0), "base"),
    ],
)
def test_bad_arguments_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        table(**kwargs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_module_adds_scaled_table_beyond_its_initial_length(dtype):
    pe = build("sinusoidal", **DIMS, scale=2.0)
    assert isinstance(pe, Sinusoidal) and pe.acts_on == "input"
    positions = torch.tensor([0, 3, 100])  # 100 > max_seq_len: the cache is rebuilt
    x = torch.randn(2, 3, 64).to(dtype)
    out = pe.add_to_input(x, positions)
    assert out.dtype == dtype
    for row, pos in enumerate(positions.tolist()):
        for feature in (0, 1, 62, 63):
            want = x[1, row, feature].double().item() + 2.0 * expected(pos, feature, 64)
            tol = 2e-2 if dtype == torch.bfloat16 else 1e-5
            assert out[1, row, feature].double().item() == pytest.approx(want, abs=tol)


def test_non_acting_hooks_are_identities_and_unknown_option_is_named():
    pe = build("sinusoidal", **DIMS)
    q, k = torch.randn(1, 4, 5, 16), torch.randn(1, 4, 5, 16)
    q2, k2 = pe.rotate_qk(q, k, torch.arange(5))
    assert torch.equal(q2, q) and torch.equal(k2, k)
    assert pe.score_bias(torch.arange(5), torch.arange(5)) is None
    with pytest.raises(ValueError, match="num_buckets"):
        build("sinusoidal", **DIMS, num_buckets=8)
