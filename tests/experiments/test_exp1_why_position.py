"""Experiment 1: attention without position is permutation-equivariant; encodings and masks break it."""

import pytest

from posenc.experiments import exp1_why_position as exp1

ROUND_OFF = 1e-5  # float32 attention on O(1) values: exact equality up to a few ulps
CLEARLY = 1e-2  # a difference carrying information


@pytest.fixture(scope="module")
def run(tmp_path_factory, load_results):
    out = tmp_path_factory.mktemp("exp1")
    returned = exp1.run(out, quick=True)
    return out, returned, load_results(out)


def test_results_on_disk_equal_returned_dict(run):
    _, returned, on_disk = run
    assert returned == on_disk
    assert on_disk["experiment"] == "1" and on_disk["quick"] is True


def test_without_position_permuting_tokens_only_permutes_outputs(run):
    gaps = run[2]["numbers"]["permutation_gap"]["nope"]
    # Attn(PX) = P Attn(X) exactly in real arithmetic: only round-off remains
    assert gaps["bidirectional_reversed"] < ROUND_OFF
    assert gaps["bidirectional_rotated"] < ROUND_OFF


@pytest.mark.parametrize("name", ["sinusoidal", "learned", "rope"])
def test_position_encodings_make_the_outputs_differ(run, name):
    gaps = run[2]["numbers"]["permutation_gap"][name]
    assert gaps["bidirectional_reversed"] > CLEARLY
    assert gaps["bidirectional_rotated"] > CLEARLY


def test_symmetric_alibi_is_blind_to_reversal_only(run):
    # bias −m·|i−j|: a reversal i -> 2−i keeps every |i−j|, a rotation does not
    gaps = run[2]["numbers"]["permutation_gap"]["alibi"]
    assert gaps["bidirectional_reversed"] < ROUND_OFF
    assert gaps["bidirectional_rotated"] > 1e-3
    assert gaps["causal_reversed"] > CLEARLY


@pytest.mark.parametrize("name", list(exp1.ENCODINGS))
def test_causal_mask_alone_breaks_the_symmetry(run, name):
    # the first token attends only to itself in one order and to all three in the other
    assert run[2]["numbers"]["permutation_gap"][name]["causal_reversed"] > CLEARLY


def test_i_like_you_pools_like_you_like_i_without_position(run):
    sentence = run[2]["numbers"]["sentence"]
    assert sentence["tokens"] == [["i", "like", "you"], ["you", "like", "i"]]
    assert sentence["nope"]["pooled_diff"] < ROUND_OFF
    assert sentence["nope"]["like_row_diff"] < ROUND_OFF
    for name in ("sinusoidal", "learned", "rope"):
        assert sentence[name]["pooled_diff"] > 1e-3, name


def test_plots_written(run, check_plots):
    out, _, results = run
    check_plots(out, results, ["permutation_gaps", "outputs_by_token"])
