"""The numbers of ``posenc inspect --json`` against rope.frequencies, the papers' closed forms, the configs.

Expected values come from ``posenc.encodings.rope.frequencies`` (the library the issue says the
report must agree with, itself verified against transformers), from the formulas of the papers
computed here in float64, or from the numbers written in the bundled config files.
"""

from __future__ import annotations

import math

import pytest
import torch

from posenc.encodings.rope import frequencies

from .inspect_helpers import CONFIG_DIR, inspect_json, raw_config

BUNDLED = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))

# name -> (rope_type, head_dim, rotary_dim, base, training length, target length), from the model cards
EXPECTED = {
    "llama-2-7b": ("default", 128, 128, 1e4, 4096, 4096),
    "llama-3.1-8b": ("llama3", 128, 128, 5e5, 8192, 131072),
    "mistral-7b-v0.1": ("default", 128, 128, 1e4, 32768, 32768),
    "qwen2.5-7b-yarn": ("yarn", 128, 128, 1e6, 32768, 131072),
    "phi-3-mini-128k": ("longrope", 96, 96, 1e4, 4096, 131072),
    "deepseek-v3": ("yarn", 64, 64, 1e4, 4096, 163840),
    "gpt-neox-20b": ("default", 96, 24, 1e4, 2048, 2048),
    # MiniMind's max_position_embeddings is its cos/sin table; its own YaRN recipe trains at 2048
    "minimind": ("default", 64, 64, 1e6, 2048, 32768),
    "minimind-yarn": ("minimind_yarn", 64, 64, 1e6, 2048, 32768),
}


def plain_wavelength(base: float, d: int, i: int) -> float:
    """λ⁰_i = 2π·b^(2i/d) in float64, RoFormer's definition."""
    return 2 * math.pi * base ** (2 * i / d)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_key_figures_match_the_model_cards(name):
    r = inspect_json(name)
    rope_type, head_dim, rotary_dim, base, train, target = EXPECTED[name]
    assert (r["rope_type"], r["head_dim"], r["rotary_dim"], r["base"]) == (
        rope_type,
        head_dim,
        rotary_dim,
        base,
    )
    assert (r["training_length"], r["target_length"]) == (train, target)


@pytest.mark.parametrize("name", BUNDLED)
def test_wavelengths_and_scale_factors_equal_rope_frequencies(name):
    r = inspect_json(name)
    inv_freq, attention_scaling = frequencies(r["rope_config"], seq_len=r["target_length"])
    inv_plain, _ = frequencies({"head_dim": r["rotary_dim"], "rope_theta": r["base"]})
    expected_wavelength = (2 * math.pi / inv_freq.double()).tolist()
    expected_plain = (2 * math.pi / inv_plain.double()).tolist()
    expected_scale = (inv_plain.double() / inv_freq.double()).tolist()
    pairs = r["pairs"]
    assert [p["wavelength"] for p in pairs] == pytest.approx(expected_wavelength, rel=1e-12)
    assert [p["wavelength_default"] for p in pairs] == pytest.approx(expected_plain, rel=1e-12)
    assert [p["scale_factor"] for p in pairs] == pytest.approx(expected_scale, rel=1e-12)
    assert r["attention"]["attention_scaling"] == pytest.approx(attention_scaling, rel=1e-12)
    assert r["longest_wavelength"] == pytest.approx(max(expected_wavelength), rel=1e-12)


def test_llama2_critical_dimension_equals_the_paper_closed_form():
    r = inspect_json("llama-2-7b")
    d, base, train = 128, 1e4, 4096
    closed_form = 2 * math.ceil((d / 2) * math.log(train / (2 * math.pi), base))
    assert closed_form == 92  # the value Liu et al. 2023 report for LLaMA2
    assert r["critical_dimension"]["d_extra"] == closed_form
    assert r["critical_dimension"]["pairs_with_full_turn"] == 46
    # pair 45 completes a turn within 4096 tokens, pair 46 does not
    assert plain_wavelength(base, d, 45) < train < plain_wavelength(base, d, 46)
    assert [p["full_turn_in_training"] for p in r["pairs"]] == [i < 46 for i in range(64)]


@pytest.mark.parametrize("name", BUNDLED)
def test_critical_dimension_agrees_with_the_pairs_that_complete_a_turn(name):
    r = inspect_json(name)
    # the distances the RoPE layers saw: the training length, or W − 1 when every one of them slides
    reach = r["critical_dimension"].get("reach")
    train = r["training_length"] if reach is None else min(r["training_length"], reach["tokens"])
    d, base = r["rotary_dim"], r["base"]
    closed_form = 2 * math.ceil((d / 2) * math.log(train / (2 * math.pi), base))
    full_turns = sum(plain_wavelength(base, d, i) <= train for i in range(d // 2))
    assert r["critical_dimension"]["d_extra"] == closed_form
    assert r["critical_dimension"]["pairs_with_full_turn"] == full_turns == closed_form // 2


@pytest.mark.parametrize("name", ["qwen2.5-7b-yarn", "deepseek-v3", "minimind-yarn"])
def test_yarn_groups_follow_the_paper_and_agree_with_scale_factors(name):
    r, cfg = inspect_json(name), raw_config(name)
    scaling = cfg["rope_scaling"]
    train, s = scaling["original_max_position_embeddings"], scaling["factor"]
    fast, slow = scaling.get("beta_fast", 32), scaling.get("beta_slow", 1)
    d, base = r["rotary_dim"], r["base"]
    for p in r["pairs"]:
        wavelength = plain_wavelength(base, d, p["pair"])
        expected = (
            "untouched"
            if wavelength < train / fast
            else "interpolated"
            if wavelength > train / slow
            else "ramp"
        )
        assert p["group"] == expected, p
        if expected == "untouched":
            assert p["scale_factor"] == pytest.approx(1.0, abs=1e-6)
        elif expected == "interpolated":
            assert p["scale_factor"] == pytest.approx(s, rel=1e-6)
        else:
            assert 1.0 + 1e-6 < p["scale_factor"] < s * (1 - 1e-6)
    groups = [p["group"] for p in r["pairs"]]
    assert groups == sorted(groups, key=["untouched", "ramp", "interpolated"].index)  # contiguous, in order


def test_llama3_bands_follow_meta_and_agree_with_scale_factors():
    r = inspect_json("llama-3.1-8b")
    train, s, low, high = 8192, 8.0, 1.0, 4.0
    for p in r["pairs"]:
        wavelength = plain_wavelength(5e5, 128, p["pair"])
        if wavelength < train / high:
            assert p["group"] == "kept" and p["scale_factor"] == pytest.approx(1.0, abs=1e-6)
        elif wavelength > train / low:
            assert p["group"] == "divided" and p["scale_factor"] == pytest.approx(s, rel=1e-6)
        else:  # θ' = (1 − α)·θ/s + α·θ with α = (L/λ − low)/(high − low)
            alpha = (train / wavelength - low) / (high - low)
            assert p["group"] == "smooth"
            assert 1 / p["scale_factor"] == pytest.approx((1 - alpha) / s + alpha, rel=1e-5)
    bands = r["scaling"]["bands"]
    assert (bands["kept"]["pairs"], bands["smooth"]["pairs"], bands["divided"]["pairs"]) == (29, 6, 29)


def test_minimind_yarn_scale_factors_follow_minimind_formula():
    r = inspect_json("minimind-yarn")
    d, base, train, s = 64, 1e6, 2048, 16

    def inv_dim(beta):
        return d * math.log(train / (beta * 2 * math.pi)) / (2 * math.log(base))

    low, high = max(math.floor(inv_dim(32)), 0), min(math.ceil(inv_dim(1)), d // 2 - 1)
    for p in r["pairs"]:
        ramp = min(max((p["pair"] - low) / max(high - low, 0.001), 0.0), 1.0)
        assert 1 / p["scale_factor"] == pytest.approx((1 - ramp) + ramp / s, rel=1e-6)
    hf = r["scaling"]["transformers_yarn"]
    assert hf["max_relative_difference_inv_freq"] < 1e-6  # same ramp for MiniMind's numbers
    assert hf["attention_scaling"] == 1.0
    assert hf["attention_scaling_without_attention_factor"] == pytest.approx(0.1 * math.log(16) + 1)
    assert r["attention"]["attention_scaling"] == 1.0


def test_deepseek_v3_rotates_qk_rope_head_dim_and_folds_mscale_into_the_softmax():
    r = inspect_json("deepseek-v3")
    assert r["head_dim"] == r["rotary_dim"] == 64  # not hidden_size // heads = 56
    assert any("qk_rope_head_dim" in note for note in r["aliases"])
    mscale = 0.1 * 1.0 * math.log(40) + 1.0
    attention = r["attention"]
    assert attention["attention_scaling"] == pytest.approx(mscale / mscale)  # mscale == mscale_all_dim
    assert attention["softmax_scale_multiplier"] == pytest.approx(mscale**2)
    assert attention["softmax_scale"] == pytest.approx((128 + 64) ** -0.5 * mscale**2)


def test_gpt_neox_rotates_a_quarter_of_each_head():
    r = inspect_json("gpt-neox-20b")
    assert (r["head_dim"], r["rotary_dim"]) == (6144 // 64, 24)
    sources = {p["name"]: p["source"] for p in r["parameters"]}
    assert sources["partial_rotary_factor"] == "config: rotary_pct"
    assert sources["rope_theta"] == "config: rotary_emb_base"


def test_llama2_parameters_make_the_default_base_explicit():
    params = {p["name"]: p for p in inspect_json("llama-2-7b")["parameters"]}
    assert params["rope_theta"]["value"] == 10000.0
    assert params["rope_theta"]["source"] == "default of LlamaConfig"  # Llama 2's file names no rope_theta
    assert params["partial_rotary_factor"]["source"] == "default"


def test_yarn_parameters_make_betas_and_attention_factor_explicit():
    params = {p["name"]: p for p in inspect_json("qwen2.5-7b-yarn")["parameters"]}
    assert (params["beta_fast"]["value"], params["beta_fast"]["source"]) == (32, "default")
    assert (params["beta_slow"]["value"], params["beta_slow"]["source"]) == (1, "default")
    assert params["attention_factor"]["source"] == "derived"
    assert params["attention_factor"]["value"] == pytest.approx(0.1 * math.log(4) + 1)


@pytest.mark.parametrize("target, which", [(131072, "long_factor"), (4096, "short_factor")])
def test_longrope_reports_which_factor_list_applies(target, which):
    r = inspect_json("phi-3-mini-128k", "--target-length", str(target))
    assert r["scaling"]["list_at_target"] == which
    expected = raw_config("phi-3-mini-128k")["rope_scaling"][which]
    assert [p["scale_factor"] for p in r["pairs"]] == pytest.approx(expected, rel=1e-6)
    assert r["attention"]["attention_scaling"] == pytest.approx(math.sqrt(1 + math.log(32) / math.log(4096)))


def test_phi3_su_type_is_read_as_longrope(write_config):
    cfg = raw_config("phi-3-mini-128k")
    cfg["rope_scaling"]["type"] = "su"
    r = inspect_json(write_config(cfg))
    assert r["rope_type"] == "longrope" and any("'su'" in note for note in r["aliases"])


@pytest.mark.parametrize("target, active", [(16384, True), (4096, False)])
def test_dynamic_ntk_effective_base_matches_the_closed_form(write_config, target, active):
    cfg = raw_config("llama-2-7b") | {"rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}
    r = inspect_json(write_config(cfg), "--target-length", str(target))
    d, base, s, trained = 128, 1e4, 2.0, 4096
    expected = base * ((s * max(target, trained) / trained) - (s - 1)) ** (d / (d - 2))
    assert r["scaling"]["effective_base"] == pytest.approx(expected, rel=1e-5)
    assert r["scaling"]["active"] is active
    last = 2 * math.pi / r["pairs"][-1]["wavelength"]
    assert last == pytest.approx(expected ** (-(d - 2) / d), rel=1e-5)


def test_pitfall_target_beyond_training_without_scaling():
    assert "target_beyond_training" not in codes(inspect_json("llama-2-7b"))
    assert "target_beyond_training" in codes(inspect_json("llama-2-7b", "--target-length", "8192"))


def test_pitfall_target_beyond_factor_times_original():
    assert "target_beyond_scaled_length" not in codes(inspect_json("qwen2.5-7b-yarn"))
    assert "target_beyond_scaled_length" in codes(
        inspect_json("qwen2.5-7b-yarn", "--target-length", "200000")
    )


def test_pitfall_longest_wavelength_shorter_than_target():
    longest = plain_wavelength(1e4, 24, 11)  # GPT-NeoX-20B's slowest rotated pair
    assert 29_000 < longest < 30_000
    assert "longest_wavelength_short" not in codes(inspect_json("gpt-neox-20b"))
    assert "longest_wavelength_short" in codes(inspect_json("gpt-neox-20b", "--target-length", "40000"))


def test_out_of_distribution_pairs_are_those_without_a_full_turn_that_rotate_further():
    r = inspect_json("llama-3.1-8b")
    for p in r["pairs"]:
        theta, theta_plain = 2 * math.pi / p["wavelength"], 2 * math.pi / p["wavelength_default"]
        expected = (not p["full_turn_in_training"]) and 131072 * theta > 8192 * theta_plain * (1 + 1e-6)
        assert p["angles_beyond_training"] is expected
    assert r["pairs_beyond_training_angles"] == 29  # divided by 8 but stretched 16×
    assert inspect_json("deepseek-v3")["pairs_beyond_training_angles"] == 0  # interpolated exactly 40×


def codes(report: dict) -> set[str]:
    return {p["code"] for p in report["pitfalls"]}


def test_bf16_positions_of_fastest_pair_error_is_half_the_spacing():
    r = inspect_json("llama-3.1-8b")  # θ_0 = 1, positions up to 131071 = 2^17 - 1
    theta_fastest = max(2 * math.pi / p["wavelength"] for p in r["pairs"])
    assert theta_fastest == 1.0
    spacing = 2 ** (16 - 8 + 1)  # bf16 keeps 8 significant bits: multiples of 2^(e-p+1) in [2^16, 2^17)
    assert r["precision"]["bf16"]["max_angle_error_cast_positions"] == spacing / 2 * theta_fastest
    assert r["precision"]["fp16"]["max_angle_error_cast_positions"] is None  # positions ≥ 65520 are inf
    assert r["precision"]["fp32"]["max_angle_error_cast_positions"] == 0.0


@pytest.mark.parametrize("dtype_name, dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16)])
def test_collapse_count_in_report_matches_torch_unique(dtype_name, dtype):
    for name in ("llama-3.1-8b", "mistral-7b-v0.1", "gpt-neox-20b"):
        r = inspect_json(name)
        n = r["target_length"]
        distinct = torch.unique(torch.arange(n).to(dtype)).numel()
        assert r["precision"][dtype_name]["distinct_positions"] == distinct
        assert r["precision"][dtype_name]["collapsed_positions"] == n - distinct


def test_a_pitfall_rule_registered_in_one_place_reaches_the_report():
    """The checks are a rule list: one decorated function adds a warning, in --json and the summary."""
    from posenc.inspector import pitfalls
    from posenc.inspector.analysis import inspect_config
    from posenc.inspector.loading import load_config

    before = list(pitfalls.RULES)
    try:

        @pitfalls.rule("toy_check", "warning")
        def _toy(f: pitfalls.Facts) -> str | None:
            return f"toy: trained at {f.train:,}" if f.rope_type == "llama3" else None

        with pytest.raises(ValueError, match="already registered"):
            pitfalls.rule("toy_check", "info")
        r = inspect_config(load_config("llama-3.1-8b")[2])
        toy = {"code": "toy_check", "severity": "warning", "message": "toy: trained at 8,192"}
        assert toy in r["pitfalls"]
        assert "toy_check" in r["summary"][-1]
        assert all(p["code"] != "toy_check" for p in inspect_config(load_config("llama-2-7b")[2])["pitfalls"])
    finally:
        pitfalls.RULES[:] = before


def test_a_config_whose_rope_scaling_and_rope_parameters_disagree_is_refused():
    """Issue 37: linear ×2 in rope_scaling and ×4 in rope_parameters was analysed as ×2 with no warning;
    the library refuses it (docs/errors.md), and so does the inspector, naming the key."""
    from posenc.inspector import inspect_config

    base = {
        "model_type": "llama",
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "max_position_embeddings": 8192,
        "rope_theta": 500000.0,
    }
    both = base | {
        "rope_scaling": {"type": "linear", "factor": 2.0},
        "rope_parameters": {"rope_type": "linear", "factor": 4.0, "rope_theta": 500000.0},
    }
    with pytest.raises(ValueError, match=r"rope_scaling.*rope_parameters.*differ \(factor: 2.0 vs 4.0\)"):
        inspect_config(both, "x")
    agree = base | {
        "rope_scaling": {"type": "linear", "factor": 4.0},
        "rope_parameters": {"rope_type": "linear", "factor": 4.0, "rope_theta": 500000.0},
    }
    assert inspect_config(agree, "x")["factor"] == 4.0
