"""T5 relative-position buckets by hand and against transformers' T5Attention."""

import pytest
import torch
from transformers.models.t5.modeling_t5 import T5Attention

from posenc.encodings import build
from posenc.encodings.t5 import T5Bias, relative_position_bucket

DIMS = dict(d_model=64, n_heads=4, head_dim=16, max_seq_len=32)


def buckets(offsets, **kwargs):
    return relative_position_bucket(torch.tensor(offsets), **kwargs).tolist()


def test_unidirectional_buckets_by_hand():
    # 32 buckets: distances 0..15 exact; then 16 + floor(ln(d/16) / ln(128/16) * 16)
    # d=16 -> 16; d=23 -> 16 + floor(16 ln(23/16)/ln 8) = 16 + floor(2.79) = 18; d=127 -> 31 (9.96 -> 15.96);
    # d >= 128 -> 31 (clamped); future offsets (> 0) -> bucket 0.
    got = buckets([0, -1, -15, -16, -23, -127, -128, -10_000, 1, 50], bidirectional=False)
    assert got == [0, 1, 15, 16, 18, 31, 31, 31, 0, 0]


def test_bidirectional_buckets_by_hand():
    # 16 buckets per direction: distances 0..7 exact; then 8 + floor(ln(d/8) / ln(128/8) * 8); keys after
    # the query (offset > 0) add 16. d=8 -> 8; d=20 -> 8 + floor(8 ln 2.5 / ln 16) = 8 + floor(2.64) = 10;
    # d=200 -> 15 (clamped).
    got = buckets([0, -3, -8, -20, -200, 3, 8, 20, 200], bidirectional=True)
    assert got == [0, 3, 8, 10, 15, 16 + 3, 16 + 8, 16 + 10, 16 + 15]


def test_small_configuration_by_hand():
    # 8 buckets, unidirectional, max_distance 16: exact 0..3, then 4 + floor(ln(d/4) / ln 4 * 4)
    # d=4 -> 4, d=5 -> 4 + floor(0.64) = 4, d=6 -> 4 + floor(1.17) = 5, d=9 -> 4 + floor(2.34) = 6,
    # d=16 -> 8 -> clamped to 7
    got = buckets([0, -3, -4, -5, -6, -9, -16], bidirectional=False, num_buckets=8, max_distance=16)
    assert got == [0, 3, 4, 4, 5, 6, 7]


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_buckets, max_distance", [(32, 128), (16, 64), (8, 20), (64, 512)])
def test_matches_transformers_t5_attention(bidirectional, num_buckets, max_distance):
    offsets = torch.arange(-1500, 1501)
    want = T5Attention._relative_position_bucket(
        offsets, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance
    )
    got = relative_position_bucket(offsets, bidirectional, num_buckets, max_distance)
    assert torch.equal(got, want.long())


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(num_buckets=1, bidirectional=False), "num_buckets"),
        (dict(num_buckets=2, bidirectional=True), "num_buckets"),
        (dict(num_buckets=32, max_distance=8), "max_distance"),
    ],
)
def test_bad_bucket_configuration_is_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        relative_position_bucket(torch.arange(4), **kwargs)


def test_module_looks_up_the_bias_of_each_bucket():
    pe = build("t5", **DIMS, num_buckets=8, max_distance=16)
    assert isinstance(pe, T5Bias) and pe.acts_on == "bias" and not pe.bidirectional
    table = pe.relative_attention_bias.weight.detach()  # [8, 4]
    got = pe.score_bias(torch.tensor([5, 9]), torch.arange(10))
    assert got.shape == (4, 2, 10)
    # query at 9: key 0 (distance 9) -> bucket 6 (hand computed above), key 9 -> 0, key 4 (distance 5) -> 4
    torch.testing.assert_close(got[:, 1, 0], table[6])
    torch.testing.assert_close(got[:, 1, 9], table[0])
    torch.testing.assert_close(got[:, 1, 4], table[4])
    # query at 5, future key at 7: unidirectional -> bucket 0
    torch.testing.assert_close(got[:, 0, 7], table[0])


def test_non_acting_hooks_are_identities_and_unknown_option_is_named():
    pe = build("t5", **DIMS)
    x = torch.randn(1, 5, 64)
    assert torch.equal(pe.add_to_input(x, torch.arange(5)), x)
    q, k = torch.randn(1, 4, 5, 16), torch.randn(1, 4, 5, 16)
    q2, k2 = pe.rotate_qk(q, k, torch.arange(5))
    assert torch.equal(q2, q) and torch.equal(k2, k)
    with pytest.raises(ValueError, match="buckets"):
        build("t5", **DIMS, buckets=8)
