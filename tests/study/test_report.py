"""results.json schema, aggregation over seeds and report.md wording, on a synthetic study."""

import copy
import math
import statistics

import pytest

from posenc.study import findings, report
from posenc.study import results as study_results

from .synthetic import SEEDS, synthetic_results


@pytest.fixture(scope="module")
def results():
    return synthetic_results()


def _row(results, name, mult):
    return next(r for r in results["encodings"][name]["rows"] if r["multiple"] == mult)


@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0], [3.0, 5.0, 10.0]])
def test_stat_is_mean_and_sample_std(values):
    s = study_results.stat(values)
    assert s["mean"] == pytest.approx(statistics.mean(values))
    assert s["std"] == pytest.approx(statistics.stdev(values) if len(values) > 1 else 0.0)
    assert s["values"] == values


def test_stat_of_diverged_values_has_no_mean():
    assert study_results.stat([None, None])["mean"] is None


def test_synthetic_results_follow_the_schema(results):
    study_results.validate_results(results)
    assert results["seeds"] == list(SEEDS)
    assert set(results["encodings"]) == {
        "sinusoidal",
        "learned",
        "nope",
        "rope-1e4",
        "rope-1e6",
        "alibi",
        "t5",
        "xpos",
    }
    assert list(results["rope_base_sweep"]) == ["1e2", "1e4", "1e5", "1e6"]
    assert set(results["long_arm"]) == {"rope-1e4-4L", "rope-1e6-4L"}
    assert "pi-finetune" in results["scaling"]["rope-1e4"]


def test_aggregate_over_seeds(results):
    # synthetic ppl at 2x for sinusoidal: 10 * 2 * (1 + 0.01 seed)
    row = _row(results, "sinusoidal", 2)
    expected = [20.0 * (1 + 0.01 * s) for s in SEEDS]
    assert row["ppl"]["mean"] == pytest.approx(statistics.mean(expected))
    assert row["ppl"]["std"] == pytest.approx(statistics.stdev(expected))
    assert row["loss"]["values"] == pytest.approx([math.log(v) for v in expected])


def test_learned_is_not_applicable_beyond_L(results):
    assert _row(results, "learned", 1)["status"] == "ok"
    for mult in (2, 4, 8, 16):
        row = _row(results, "learned", mult)
        assert row["status"] == "n/a" and "learned" in row["reason"]


@pytest.mark.parametrize("field", ["format", "runs", "encodings", "seeds", "wall_time_s"])
def test_schema_check_names_a_missing_field(results, field):
    broken = copy.deepcopy(results)
    del broken[field]
    with pytest.raises(ValueError, match=field):
        study_results.validate_results(broken)


def test_schema_check_rejects_a_missing_row(results):
    broken = copy.deepcopy(results)
    broken["encodings"]["alibi"]["rows"].pop()
    with pytest.raises(ValueError, match="alibi"):
        study_results.validate_results(broken)


def test_schema_check_rejects_a_stat_without_one_value_per_seed(results):
    broken = copy.deepcopy(results)
    broken["encodings"]["t5"]["rows"][0]["ppl"]["values"].pop()
    with pytest.raises(ValueError, match="one value per seed"):
        study_results.validate_results(broken)


def test_findings_follow_the_numbers(results):
    text = "\n".join(findings.findings(results))
    # sinusoidal: 10 -> 160 at 16x (+1500%), ALiBi flat (growth 1.0, +0%)
    assert "Sinusoidal: perplexity at 16× L is +1500% (higher)" in text
    assert "ALiBi: perplexity at 16× L is +0.0% (about the same)" in text
    ranking = next(line for line in findings.findings(results) if line.startswith("Ranking"))
    assert ranking.index("ALiBi") < ranking.index("T5 bias") < ranking.index("RoPE (base 1e4)")
    assert ranking.index("RoPE (base 1e4)") < ranking.index("Sinusoidal")
    assert "ALiBi 10.10 is lower than RoPE (base 1e4)" in text
    linear = next(line for line in findings.findings(results) if "with linear" in line)
    yarn = next(line for line in findings.findings(results) if "with yarn" in line)
    assert "(worse)" in linear and "(better)" not in linear  # 1.6 per doubling vs RoPE's 1.3
    assert "(better)" in yarn and "(worse)" not in yarn  # 1.05 per doubling
    advice = next(line for line in findings.findings(results) if "trained at L (" in line)
    assert "1× L: base 1e6 10.10 vs 1e4 10.10 (about the same)" in advice
    assert "16× L" in advice and advice.rstrip(".").endswith("(better)")


def test_equal_numbers_get_no_direction(results):
    same = copy.deepcopy(results)
    same["encodings"]["alibi"]["rows"] = copy.deepcopy(same["encodings"]["rope-1e4"]["rows"])
    text = "\n".join(findings.findings(same))
    assert "ALiBi" in text and "is within 1% of RoPE (base 1e4)" in text


def test_a_difference_within_the_seed_spread_gets_no_direction(results):
    """ALiBi 5% above RoPE 1e4 at 16x, but with a std of 10 (seeds far apart): no direction."""
    noisy = copy.deepcopy(results)
    rope = _row(noisy, "rope-1e4", 16.0)["last_ppl"]
    alibi = _row(noisy, "alibi", 16.0)["last_ppl"]
    alibi.update(mean=rope["mean"] * 1.05, std=10.0)
    text = "\n".join(findings.findings(noisy))
    assert "is within the seed spread of RoPE (base 1e4)" in text
    assert "'within the seed spread', not as a direction" in text  # three seeds: the rule is stated


def test_passkey_findings_say_when_no_model_retrieved_anything(results):
    found = "\n".join(findings.findings(results))
    assert "Passkey: best exact retrieval 100% (" in found  # synthetic 1x rows retrieve every key
    none = copy.deepcopy(results)
    for entry in none["encodings"].values():
        for row in entry["rows"]:
            if row.get("passkey"):
                row["passkey"] = study_results.stat([0.0, 0.0, 0.0])
                row["passkey_digits"] = study_results.stat([0.02, 0.04, 0.0])
    text = "\n".join(findings.findings(none))
    assert "no model retrieved a single key at any length, 1× included" in text
    assert "per-digit accuracy at most 2%, against 10% for a uniform guess" in text
    assert "| 0% ± 0 (2% ± 2) |" in report.render_report(none)


def test_report_markdown(results):
    md = report.render_report(results)
    assert "Smoke test" not in md  # the default preset makes claims
    assert "± " in md  # three seeds: mean ± std
    assert "| ALiBi |" in md and "n/a" in md
    assert "Sinusoidal 20.05 → 43.54 → 406" in md  # the published comparison
    quick = {**results, "claims": False}
    assert "Smoke test" in report.render_report(quick)


def _arm_row(results, name, mult):
    return next(r for r in results["retrieval"][name]["rows"] if r["multiple"] == mult)


def test_the_retrieval_arm_is_aggregated_per_encoding_and_depth(results):
    assert set(results["retrieval"]) == set(results["encodings"])
    assert results["retrieval"]["alibi"]["name"] == "alibi-passkey"
    row = _arm_row(results, "rope-1e4", 2)
    assert row["passkey"]["mean"] == pytest.approx(0.8) and row["passkey"]["values"] == [0.8] * len(SEEDS)
    depths = {d["depth"]: d["accuracy"]["mean"] for d in row["passkey_by_depth"]}
    assert depths == pytest.approx({0.5: 0.8, 0.0: 0.4, 1.0: 1.0})
    assert _arm_row(results, "learned", 2)["status"] == "n/a"
    # the arm's perplexity: synthetic RETRIEVAL_PPL = 1.2 × the LM model's
    ratio = _arm_row(results, "t5", 1)["ppl"]["mean"] / _row(results, "t5", 1)["ppl"]["mean"]
    assert ratio == pytest.approx(1.2)


def test_retrieval_findings_follow_the_numbers(results):
    text = "\n".join(findings.retrieval_findings(results))
    # 1x values 0.9, 0.9, 0.9, 1, 1, 1, 1, 0.85 (three seeds each): the median of 24 is (0.9 + 1) / 2
    assert "the 24 runs that learned: median exact key 95%" in text
    assert "Sinusoidal holds to 1× in all 3 seeds and breaks at 2×" in text
    assert "Learned holds to 1× in all 3 seeds and cannot run (n/a) at 2×" in text
    assert "T5 bias holds to 4× in all 3 seeds and breaks at 8×" in text  # 0.5 at 4x counts, 0.3 at 8x not
    # ALiBi: flat perplexity (growth 1.0) while retrieval falls to 30% at 2x
    assert (
        "ALiBi at 2× in all 3 seeds (retrieval 30, 30, 30%; last-L perplexity 10.10 against 10.10 at 1×)"
        in text
    )
    assert "RoPE (base 1e4) at" not in text.split("Perplexity hides it")[1].split("\n")[0]  # 1.3 per doubling
    assert "Depth: a key just before the question" in text
    assert "perplexity at 1× is 1.20× the LM models'" in text


def test_without_a_flat_perplexity_the_findings_say_the_measures_break_together(results):
    steep = copy.deepcopy(results)
    for row in steep["encodings"]["alibi"]["rows"]:
        if row["status"] == "ok":
            row["last_ppl"] = study_results.stat([10.0 * row["multiple"] ** 2] * len(SEEDS))
    text = "\n".join(findings.retrieval_findings(steep))
    assert "Perplexity hides it" not in text and "here the two measures break together" in text


def test_the_report_has_the_retrieval_tables_and_older_results_still_validate(results):
    md = report.render_report(results)
    assert "## Retrieval arm: passkey accuracy, exact key (per digit), key in the middle" in md
    assert "| RoPE (base 1e4) (3 of 3 seeds) | 100% ± 0 (100% ± 0) | 80% ± 0 (82% ± 0) |" in md
    assert "| RoPE (base 1e4) (3 of 3 seeds) | 50 / 100 / 100 | 40 / 80 / 100 |" in md  # far / middle / near
    assert "10.10 · 30%" in md  # ALiBi at 2x: perplexity beside retrieval
    older = copy.deepcopy(results)
    del older["retrieval"]
    study_results.validate_results(older)
    assert "Retrieval arm" not in report.render_report(older)
