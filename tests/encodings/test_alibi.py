"""ALiBi slopes and biases against the paper's reference code and hand-written closed forms."""

import math

import pytest
import torch

from posenc.encodings import build
from posenc.encodings.alibi import ALiBi, bias, slopes

DIMS = dict(d_model=64, n_heads=4, head_dim=16, max_seq_len=32)


def reference_get_slopes(n):
    """Transcribed from https://github.com/ofirpress/attention_with_linear_biases
    (fairseq/models/transformer.py, TransformerDecoder.__init__ -> get_slopes)."""

    def get_slopes_power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        ratio = start
        return [start * ratio**i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    else:
        closest_power_of_2 = 2 ** math.floor(math.log2(n))
        return (
            get_slopes_power_of_2(closest_power_of_2)
            + reference_get_slopes(2 * closest_power_of_2)[0::2][: n - closest_power_of_2]
        )


def test_eight_heads_are_powers_of_one_half():
    assert slopes(8).tolist() == [2.0**-k for k in range(1, 9)]


@pytest.mark.parametrize("n_heads", [1, 2, 3, 5, 6, 7, 12, 16, 20, 24, 32, 40])
def test_slopes_match_reference_get_slopes(n_heads):
    got = slopes(n_heads)
    assert got.dtype == torch.float32 and got.shape == (n_heads,)
    torch.testing.assert_close(got, torch.tensor(reference_get_slopes(n_heads), dtype=torch.float32))


def test_six_heads_by_hand():
    # 4 heads: 2^-2, 2^-4, 2^-6, 2^-8; then 8-head slopes at even index: 2^-1, 2^-3
    assert slopes(6).tolist() == [2.0**-2, 2.0**-4, 2.0**-6, 2.0**-8, 2.0**-1, 2.0**-3]


@pytest.mark.parametrize("bad", [0, -4, 2.0, True, "8"])
def test_bad_head_count_is_named(bad):
    with pytest.raises(ValueError, match="n_heads"):
        slopes(bad)


def test_square_bias_closed_form():
    got = bias(3, 3, torch.tensor([0.5, 0.25]))
    distance = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    want = torch.stack([-0.5 * distance, -0.25 * distance])
    assert got.shape == (2, 3, 3) and got.dtype == torch.float32
    torch.testing.assert_close(got, want)


def test_kv_cache_bias_aligns_queries_to_the_last_keys():
    # 2 new queries at positions 2, 3 against 4 keys at positions 0..3
    got = bias(2, 4, torch.tensor([0.5]))
    want = -0.5 * torch.tensor([[[2.0, 1.0, 0.0, 1.0], [3.0, 2.0, 1.0, 0.0]]])
    torch.testing.assert_close(got, want)
    # one decoding step: query at position 4
    torch.testing.assert_close(bias(1, 5, torch.tensor([1.0])), -torch.tensor([[[4.0, 3.0, 2.0, 1.0, 0.0]]]))


def test_explicit_offset():
    got = bias(1, 3, torch.tensor([1.0]), offset=0)
    torch.testing.assert_close(got, -torch.tensor([[[0.0, 1.0, 2.0]]]))


def test_more_queries_than_keys_needs_an_offset():
    with pytest.raises(ValueError, match="q_len"):
        bias(4, 2, torch.tensor([1.0]))


def test_module_bias_from_positions_matches_closed_form():
    pe = build("alibi", **DIMS)
    assert isinstance(pe, ALiBi) and pe.acts_on == "bias"
    got = pe.score_bias(torch.tensor([5, 6]), torch.arange(7))
    m = torch.tensor([2.0**-2, 2.0**-4, 2.0**-6, 2.0**-8])  # 4 heads: 2^(-8(h+1)/4)
    distance = torch.tensor([[5.0, 4, 3, 2, 1, 0, 1], [6.0, 5, 4, 3, 2, 1, 0]])
    torch.testing.assert_close(got, -m[:, None, None] * distance)


def test_module_bias_stays_float32_after_model_cast():
    pe = build("alibi", **{**DIMS, "n_heads": 6}).to(torch.bfloat16)
    got = pe.score_bias(torch.tensor([3]), torch.arange(4))
    assert got.dtype == torch.float32
    torch.testing.assert_close(got[:, 0, 0], -3 * torch.tensor(reference_get_slopes(6), dtype=torch.float32))


def test_non_acting_hooks_are_identities_and_unknown_option_is_named():
    pe = build("alibi", **DIMS)
    x = torch.randn(1, 5, 64)
    assert torch.equal(pe.add_to_input(x, torch.arange(5)), x)
    q, k = torch.randn(1, 4, 5, 16), torch.randn(1, 4, 5, 16)
    q2, k2 = pe.rotate_qk(q, k, torch.arange(5))
    assert torch.equal(q2, q) and torch.equal(k2, k)
    with pytest.raises(ValueError, match="slope"):
        build("alibi", **DIMS, slope=0.5)
