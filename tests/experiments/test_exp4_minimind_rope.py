"""Experiment 4: MiniMind's RoPE steps and its YaRN, against MiniMind's formulas written out here."""

import math

import pytest

from posenc.experiments import exp4_minimind_rope as exp4

D, BASE, S, L, BETA_FAST, BETA_SLOW = 64, 1e6, 16, 2048, 32, 1


@pytest.fixture(scope="module")
def run(tmp_path_factory, load_results):
    out = tmp_path_factory.mktemp("exp4")
    exp4.run(out, quick=True)
    return out, load_results(out)


def test_frequencies(run):
    expected = [BASE ** (-2 * i / D) for i in range(D // 2)]
    assert run[1]["numbers"]["inv_freq"] == pytest.approx(expected, rel=1e-6)


def test_cache_and_rotate_half(run):
    numbers = run[1]["numbers"]
    assert numbers["cache"]["halves_identical"] is True
    assert numbers["cache"]["cos_at_position_1"] == pytest.approx(
        [math.cos(BASE ** (-2 * i / D)) for i in range(4)], abs=1e-6
    )
    assert numbers["rotate_half"]["x"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert numbers["rotate_half"]["rotate_half_x"] == [-5, -6, -7, -8, 1, 2, 3, 4]
    assert numbers["minimind_formula_vs_library"] < 1e-5
    assert numbers["half_vs_interleaved_permuted"] < 1e-5


def test_rotating_q_and_k_only_keeps_outputs_shift_invariant(run):
    shift = run[1]["numbers"]["shift_invariance"]
    assert shift["rotate_qk"] < 1e-3  # float32 angles at positions ~1000
    assert shift["rotate_qkv"] > 0.1  # rotating v makes the output depend on absolute positions


def ramp_bounds() -> tuple[int, int]:
    """MiniMind's low/high: dim(β) = d·ln(L/(2πβ)) / (2 ln base), floor / ceil, clamped to [0, d/2 − 1]."""

    def dim(beta):
        return D * math.log(L / (beta * 2 * math.pi)) / (2 * math.log(BASE))

    return max(math.floor(dim(BETA_FAST)), 0), min(math.ceil(dim(BETA_SLOW)), D // 2 - 1)


def test_yarn_kept_ramp_interpolated_pairs(run):
    yarn = run[1]["numbers"]["yarn"]
    low, high = ramp_bounds()
    assert (low, high) == (5, 14)
    assert yarn["kept_pairs"] == list(range(0, low + 1))
    assert yarn["ramp_pairs"] == list(range(low + 1, high))
    assert yarn["interpolated_pairs"] == list(range(high, D // 2))
    assert yarn["correction_dim_beta_fast"] == pytest.approx(
        D * math.log(L / (64 * math.pi)) / (2 * math.log(BASE))
    )


@pytest.mark.parametrize("rope_type", ["minimind_yarn", "yarn"])
def test_yarn_scale_factors_follow_the_ramp(run, rope_type):
    low, high = ramp_bounds()  # transformers clamps high at d − 1 instead of d/2 − 1: same 14 here
    expected = []
    for i in range(D // 2):
        gamma = min(max((i - low) / (high - low), 0.0), 1.0)
        expected.append(1 - gamma + gamma / S)
    assert run[1]["numbers"]["yarn"]["scale_factor"][rope_type] == pytest.approx(expected, abs=1e-6)


def test_attention_scaling_is_where_minimind_and_transformers_differ(run):
    yarn = run[1]["numbers"]["yarn"]
    assert yarn["attention_scaling"]["minimind_yarn"] == 1.0
    assert yarn["attention_scaling"]["yarn"] == pytest.approx(0.1 * math.log(S) + 1)
    assert yarn["max_abs_factor_diff_minimind_vs_yarn"] < 1e-6


def test_pi_divides_every_frequency_by_the_factor(run):
    yarn = run[1]["numbers"]["yarn"]
    assert yarn["scale_factor"]["linear"] == pytest.approx([1 / S] * (D // 2), abs=1e-7)
    assert yarn["pi_max_abs_dev_from_1_over_s"] < 1e-7


def test_turns_over_original_length(run):
    turns = run[1]["numbers"]["yarn"]["turns_over_original"]
    assert turns == pytest.approx([L * BASE ** (-2 * i / D) / (2 * math.pi) for i in range(D // 2)], rel=1e-6)


def test_plots_written(run, check_plots):
    out, results = run
    check_plots(out, results, ["cos_cache", "yarn_factors"])
