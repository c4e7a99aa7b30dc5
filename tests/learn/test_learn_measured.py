"""The measured numbers the notes quote (``{{study_*}}``) against the committed reference study run.

The packaged summary must be the one made from the reference ``results.json`` (no stale or edited
figure), every placeholder must equal the mean (± std) of the per-seed values recomputed here with
``statistics``, and every direction the notes state in words must hold in that run — a new reference
run that disagrees with a sentence fails here until the sentence is rewritten.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from posenc.encodings.alibi import slopes
from posenc.learn import content, measured, numbers
from posenc.study.presets import LEARNED_AT_1X as STUDY_LEARNED_AT_1X
from posenc.study.results import arm_seeds

REPO = Path(__file__).resolve().parents[2]
SUMMARY = measured.load_summary()
RESULTS = json.loads((REPO / SUMMARY["source"]).read_text(encoding="utf-8"))


def _at(entry: dict, multiple: int) -> dict:
    return next(row for row in entry["rows"] if row["multiple"] == multiple)


SEEDS = len(RESULTS["seeds"])


def per_seed(name: str, multiple: int, depth: float = 0.5) -> list[float]:
    """Each seed's exact-key accuracy of the retrieval arm's ``name`` with the key at ``depth`` (0 far,
    0.5 the middle, 1 near), straight from results.json: the notes quote the arm per seed, never a mean."""
    rows = _at(RESULTS["retrieval"][name], multiple)["passkey_by_depth"]
    return next(row["accuracy"]["values"] for row in rows if row["depth"] == depth)


def learned_runs() -> list[tuple[str, dict]]:
    """(encoding, seed info) of every retrieval-arm run, as the study's report judges it."""
    return [(name, seed) for name in RESULTS["retrieval"] for seed in arm_seeds(RESULTS, name)]


ALIBI_HEADS = RESULTS["config"]["model"]["n_heads"]
ALIBI_SLOPES = slopes(ALIBI_HEADS).tolist()


# the perplexity models' training times at the preset's full step count (the retrieval arm's models
# train longer, on passkey trials; the PI fine-tunes are short)
LM_SECONDS = [
    run["seconds"]
    for run in RESULTS["runs"].values()
    if run.get("role") != "retrieval" and run["steps"] == RESULTS["config"]["steps"]
]
CRITERION = RESULTS["eval"].get("retrieval_criterion") or {}
# each encoding's median steps to criterion over its seeds that learned
MEDIAN_STEPS = {
    name: statistics.median(s["steps"] for s in arm_seeds(RESULTS, name) if s["learned"])
    for name in RESULTS["retrieval"]
}


def learned_seed_values(name: str, multiple: int) -> list[float]:
    """Exact key, key in the middle, of the retrieval arm's seeds that learned at L."""
    learned = [s["learned"] for s in arm_seeds(RESULTS, name)]
    return [v for v, ok in zip(per_seed(name, multiple), learned, strict=True) if ok]


def rows_of(key: str) -> list[dict]:
    """The rows of a series key straight from results.json."""
    if ":" in key:
        rope, method = key.split(":")
        return RESULTS["scaling"][rope][method]["rows"]
    if key.startswith("base-"):
        return RESULTS["rope_base_sweep"][key[5:]]["rows"]
    if key.endswith("-4L"):
        return RESULTS["long_arm"][key]["rows"]
    return RESULTS["encodings"][key]["rows"]


def last_ppl(key: str, multiple: int) -> tuple[float, float]:
    """(mean, sample std) of the per-seed last-L perplexities, recomputed from the values."""
    row = next(r for r in rows_of(key) if r["multiple"] == multiple)
    values = row["last_ppl"]["values"]
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def test_packaged_summary_is_the_reference_run():
    assert SUMMARY == measured.summarize(RESULTS, SUMMARY["source"])
    assert RESULTS["claims"] is True  # a real preset, not the smoke test


def test_every_scalar_placeholder_equals_the_recomputed_mean_and_std():
    checked = 0
    for key, by_multiple in SUMMARY["last_ppl"].items():
        for multiple in by_multiple:
            text = numbers.value(f"study_{measured.series_name(key)}_{multiple}x")
            mean, std = last_ppl(key, int(multiple))
            shown = [float(part) for part in text.split(" ± ")]
            assert shown[0] == pytest.approx(mean, abs=0.005), (key, multiple)
            if SEEDS > 1:
                assert shown[1] == pytest.approx(std, abs=0.005), (key, multiple)
            checked += 1
    assert checked >= 8 * 1 + 6 * 4  # every encoding at 1x, every scaling at 2x..16x at least


def test_tables_hold_every_series_of_the_run():
    table = numbers.value("study_extrapolation_table")
    for label in (e["label"] for e in RESULTS["encodings"].values()):
        assert f"| {label} |" in table
    assert "| YaRN |" in numbers.value("study_scaling_table")
    for base in RESULTS["rope_base_sweep"]:
        assert f"base {base}, trained at {RESULTS['train_length']}" in numbers.value("study_base_table")


def test_the_depth_table_gives_each_seed_s_exact_key_by_where_the_key_sits():
    """Note 10's far / middle / near table for ALiBi and xPos, cell by cell from results.json."""
    lines = numbers.value("study_retrieval_depth_table").splitlines()
    rows = {line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ")[1:] for line in lines[2:]}
    for name in ("alibi", "xpos"):
        label = RESULTS["retrieval"][name]["label"]
        for depth, where in ((0.0, "far"), (0.5, "middle"), (1.0, "near")):
            want = [",".join(f"{100 * v:.0f}" for v in per_seed(name, k, depth)) for k in MULTS]
            assert rows[f"{label} {where}"] == want, (name, where)
    assert len(rows) == 6


def test_retrieval_placeholders_are_each_seeds_value_and_the_learned_runs_of_the_report():
    """The notes quote the retrieval arm per seed, generated from the reference; which runs learned
    at L is decided as the study's report decides it (posenc.study.results.arm_seeds)."""
    assert measured.LEARNED_AT_1X == STUDY_LEARNED_AT_1X
    for name, entry in RESULTS["retrieval"].items():
        assert SUMMARY["retrieval"][name]["learned"] == [s["learned"] for s in arm_seeds(RESULTS, name)]
        for row in entry["rows"]:
            if row.get("status") != "ok":
                continue
            k = int(row["multiple"])
            for suffix, depth in (("", 0.5), ("_far", 0.0), ("_near", 1.0)):
                text = numbers.value(f"study_retrieval_{measured.series_name(name)}_{k}x{suffix}")
                shown = [float(part.rstrip("%")) for part in text.replace(" and ", ", ").split(", ")]
                assert shown == pytest.approx([100 * v for v in per_seed(name, k, depth)], abs=0.5)
    failed = [(name, s) for name, s in learned_runs() if not s["learned"]]
    assert numbers.value("study_retrieval_learned").startswith(
        f"{len(learned_runs()) - len(failed)} of the {len(learned_runs())} runs"
    )
    not_learned = numbers.value("study_retrieval_not_learned")
    for name, s in failed:
        assert (
            RESULTS["retrieval"][name]["label"] in not_learned and f"{100 * s['at_1x']:.0f}%" in not_learned
        )


def test_missing_or_foreign_summary_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read the study summary"):
        measured.load_summary(tmp_path / "none.json")
    (tmp_path / "other.json").write_text('{"format": "posenc-study/1"}')
    with pytest.raises(ValueError, match="not a posenc-study-summary/1 file"):
        measured.load_summary(tmp_path / "other.json")


def test_series_names_are_placeholder_safe():
    assert measured.series_name("rope-1e4:pi-finetune") == "rope1e4_pi_finetune"
    assert measured.series_name("base-1e2") == "base1e2"
    assert measured.series_name("rope-1e6-4L") == "rope1e6_4L"
    assert measured.series_name("t5") == "t5"


# ---------------------------------------------------------------------------------------------------
# the directions the notes state in words, each checked on the reference run
# ---------------------------------------------------------------------------------------------------


def mean(key: str, multiple: int) -> float:
    return last_ppl(key, multiple)[0]


def has_mean(key: str, multiple: int) -> bool:
    """Whether the series was evaluated at that multiple (learned positions stop at L)."""
    row = next((r for r in rows_of(key) if r["multiple"] == multiple), None)
    return row is not None and row.get("status") == "ok"


def apart(a: str, b: str, multiple: int) -> float:
    """mean(a) − mean(b) in units of the larger of their seed stds (> 1: beyond the seed spread)."""
    spread = max(last_ppl(a, multiple)[1], last_ppl(b, multiple)[1], 1e-9)
    return (mean(a, multiple) - mean(b, multiple)) / spread


MULTS = RESULTS["multiples"]
BEYOND = [k for k in MULTS if k > 1]
INFERENCE_METHODS = ["linear", "ntk", "dynamic", "yarn", "minimind_yarn"]
HEAD_DIM = RESULTS["config"]["model"]["d_model"] // RESULTS["config"]["model"]["n_heads"]


def pairs_turning_within(length: int, base: float, head_dim: int) -> int:
    """Pairs whose wavelength 2π·base^(2i/d) is at most ``length`` (closed form)."""
    return sum(2 * math.pi * base ** (2 * i / head_dim) <= length for i in range(head_dim // 2))


CLAIMS = {
    # a fragment of the notes' text (whitespace-normalised) -> its check on the reference run
    "its last-L perplexity stays within 20% of its 1× value at every length up to 16×": lambda: all(
        mean("alibi", k) <= 1.2 * mean("alibi", 1) for k in MULTS
    ),
    "its last-L perplexity at 2× is more than five times its 1× value": lambda: (
        mean("sinusoidal", 2) > 5 * mean("sinusoidal", 1)
    ),
    "at 16× it is more than five times worse than at 1×, at either base": lambda: all(
        mean(r, 16) > 5 * mean(r, 1) for r in ("rope-1e4", "rope-1e6")
    ),
    "xPos ends at less than half of RoPE's perplexity at 16×": lambda: (
        mean("xpos", 16) < 0.5 * min(mean("rope-1e4", 16), mean("rope-1e6", 16))
    ),
    "at 16× it is below RoPE (base 1e4) by more than the seed spread": lambda: (
        apart("rope-1e4", "t5", 16) > 1
    ),
    "NoPE starts worst of all at 1×": lambda: all(
        mean("nope", 1) > mean(n, 1) for n in RESULTS["encodings"] if n != "nope"
    ),
    "yet it still degrades": lambda: mean("nope", 16) > 1.5 * mean("nope", 1),
    "PI without fine-tuning is worse than no scaling at 2×": lambda: (
        apart("rope-1e4:linear", "rope-1e4:none", 2) > 1
    ),
    "After a short fine-tune at 4 × L (90 steps), PI is far better than PI without it at 4×": lambda: (
        RESULTS["config"]["finetune_steps"] == 90
        and mean("rope-1e4:pi-finetune", 4) < 0.5 * mean("rope-1e4:linear", 4)
    ),
    "grows again beyond the length it was fine-tuned for": lambda: (
        mean("rope-1e4:pi-finetune", 4) < mean("rope-1e4:pi-finetune", 8) < mean("rope-1e4:pi-finetune", 16)
    ),
    "YaRN and MiniMind YaRN are the best inference-time methods at every length from 4× on": lambda: all(
        max(mean("rope-1e4:yarn", k), mean("rope-1e4:minimind_yarn", k))
        < min(mean(f"rope-1e4:{m}", k) for m in ("linear", "ntk", "dynamic", "none"))
        for k in MULTS
        if k >= 4
    ),
    "YaRN cuts the 16× perplexity of RoPE 1e4 to less than half": lambda: (
        mean("rope-1e4:yarn", 16) < 0.5 * mean("rope-1e4:none", 16)
    ),
    "Dynamic NTK comes next": lambda: (
        mean("rope-1e4:dynamic", 16) < min(mean(f"rope-1e4:{m}", 16) for m in ("linear", "ntk", "none"))
    ),
    "plain NTK-aware scaling helps at 2× and 4× and fades beyond": lambda: (
        all(apart("rope-1e4:none", "rope-1e4:ntk", k) > 1 for k in (2, 4))
        and all(abs(apart("rope-1e4:none", "rope-1e4:ntk", k)) <= 1 for k in MULTS if k > 4)
    ),
    "None of them is flat to 16× here": lambda: all(
        mean(f"rope-1e4:{m}", 16) > 2 * mean("rope-1e4:none", 1) for m in INFERENCE_METHODS
    ),
    "Trained at L, base 1e6 is within the seed spread of base 1e4 at every length": lambda: all(
        abs(apart("rope-1e6", "rope-1e4", k)) <= 1 for k in MULTS
    ),
    "Trained at 4 × L, base 1e6 is worse than base 1e4 beyond the training length": lambda: all(
        apart("rope-1e6-4L", "rope-1e4-4L", k) > 1 for k in MULTS if k > 4
    ),
    "Training at the longer length itself is what helped": lambda: (
        mean("rope-1e4-4L", 16) < 0.5 * mean("rope-1e4", 16)
    ),
    "at L = 64 and head_dim 32, most pairs do not complete a turn within L at either base": lambda: (
        RESULTS["train_length"] == 64
        and HEAD_DIM == 32
        and all(pairs_turning_within(64, b, HEAD_DIM) < HEAD_DIM // 4 for b in (1e4, 1e6))
    ),
    "no such model retrieved a single passkey, at any length, 1× included": lambda: all(
        row["passkey"]["mean"] == 0
        for entry in RESULTS["encodings"].values()
        for row in entry["rows"]
        if row.get("status") == "ok"
    ),
    # the retrieval arm, per seed (issue 40: a mean of 43% ± 48 over 35%, 95% and 0% describes no seed)
    "Most of those models learn to copy at L, but not all": lambda: (
        len(learned_runs()) / 2 < sum(s["learned"] for _, s in learned_runs()) < len(learned_runs())
    ),
    "reached at least 80% exact key at 1×": lambda: all(
        (s["at_1x"] >= 0.8) == s["learned"] for _, s in learned_runs()
    ),
    (
        "it stops once it finds at least 90% of the keys on two checks in a row, or at a cap of "
        "{{study_retrieval_steps}} steps"
    ): lambda: (
        CRITERION["accuracy"] == 0.9
        and CRITERION["checks"] == 2
        and CRITERION["every"] == 100
        and numbers.value("study_retrieval_steps") == f"{CRITERION['cap']:,}"
    ),
    "by the median over the seeds that learned, T5 bias learned to copy fastest": lambda: (
        min(MEDIAN_STEPS, key=MEDIAN_STEPS.get) == "t5"
        and sorted(MEDIAN_STEPS.values())[0] < sorted(MEDIAN_STEPS.values())[1]
    ),
    "and xPos slowest": lambda: (
        max(MEDIAN_STEPS, key=MEDIAN_STEPS.get) == "xpos"
        and sorted(MEDIAN_STEPS.values())[-1] > sorted(MEDIAN_STEPS.values())[-2]
    ),
    (
        "no encoding keeps a flat last-L perplexity (within 25% of its 1× value) while its retrieval of a "
        "key in the middle falls below half"
    ): lambda: all(
        min(learned_seed_values(name, k)) >= 0.5
        for name in RESULTS["retrieval"]
        for k in MULTS
        if name in RESULTS["encodings"] and has_mean(name, k) and mean(name, k) <= 1.25 * mean(name, 1)
    ),
    "ALiBi, flat in perplexity, still finds the key at 4× L in every seed": lambda: (
        all(s["learned"] for s in arm_seeds(RESULTS, "alibi"))
        and all(v >= 0.8 for v in per_seed("alibi", 4))
        and all(mean("alibi", k) <= 1.2 * mean("alibi", 1) for k in MULTS)
    ),
    "by 16× its seeds disagree": lambda: max(per_seed("alibi", 16)) - min(per_seed("alibi", 16)) > 0.3,
    "yet all three keep more than half of it": lambda: (
        len(per_seed("alibi", 16)) == 3 and all(v > 0.5 for v in per_seed("alibi", 16))
    ),
    (
        "at 16× two of ALiBi's three seeds find fewer than half of the far keys while every seed still "
        "finds a near one"
    ): lambda: (
        sum(v < 0.5 for v in per_seed("alibi", 16, 0.0)) == 2
        and all(v >= 0.8 for v in per_seed("alibi", 16, 1.0))
        and mean("alibi", 16) <= 1.25 * mean("alibi", 1)  # "what the flat perplexity hides"
    ),
    (
        "from 4× on no seed finds a single far key, while every seed still finds at least half of the near "
        "ones at 4×"
    ): lambda: (
        all(v == 0 for k in MULTS if k >= 4 for v in per_seed("xpos", k, 0.0))
        and all(v >= 0.5 for v in per_seed("xpos", 4, 1.0))
    ),
    "with 4 heads, ALiBi's slopes are 1/4 … 1/256": lambda: (
        ALIBI_HEADS == 4 and ALIBI_SLOPES[0] == 1 / 4 and ALIBI_SLOPES[-1] == 1 / 256
    ),
    "its flattest head penalises a key 1,024 tokens back by only about −4": lambda: (
        RESULTS["lengths"][-1] == 1024 and round(min(ALIBI_SLOPES) * 1024) == 4
    ),
    "At this scale its recency window covers the whole evaluated range": lambda: (
        min(ALIBI_SLOPES) * max(RESULTS["lengths"]) < 5  # e^-4: the far key is damped, not hidden
    ),
    "at L = 1,024 the same head would penalise the farthest key of a 16× window by −64": lambda: (
        min(ALIBI_SLOPES) * 16 * 1024 == 64 and MULTS[-1] == 16
    ),
    # the least-loaded of the perplexity models (the rest shared the cores with other jobs) and the median
    (
        "byte-level models of under a million parameters trained for a minute or two each on two CPU cores"
    ): lambda: (
        max(run["params"] for run in RESULTS["runs"].values()) < 1e6
        and 45 < min(LM_SECONDS) < 150
        and statistics.median(LM_SECONDS) < 180
        and "2 logical cores" in RESULTS["device"]
    ),
}


@pytest.mark.parametrize("fragment", sorted(CLAIMS))
def test_claim_in_the_notes_holds_in_the_reference_run(fragment):
    notes = "\n".join(p.read_text(encoding="utf-8") for p in sorted(content.NOTES_DIR.glob("*.md")))
    assert fragment in " ".join(notes.split()), f"the notes no longer say: {fragment!r}"
    assert CLAIMS[fragment](), f"the reference run does not support: {fragment!r}"
