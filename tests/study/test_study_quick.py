"""The quick preset end to end: trains every model, writes a valid results.json, report and plots, and a
second run redoes no training and no evaluation."""

import json
import math

import pytest

from posenc.study import report, run_study
from posenc.study.presets import ENCODINGS, PRESETS


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study-quick")
    results = run_study("quick", out, progress=False)
    return out, results


def test_results_json_on_disk_follows_the_schema(study):
    out, results = study
    on_disk = json.loads((out / "results.json").read_text(encoding="utf-8"))
    report.validate_results(on_disk)
    assert on_disk["format"] == "posenc-study/1" and on_disk["preset"] == "quick"
    assert on_disk["claims"] is False
    assert set(on_disk["encodings"]) == set(ENCODINGS)
    assert on_disk["wall_time_s"] > 0


def test_every_encoding_gets_the_same_token_budget(study):
    _, results = study
    p = PRESETS["quick"]
    budget = p.steps * p.batch_size * p.model["max_seq_len"]
    for run in results["runs"].values():
        if run["role"] in ("encoding", "sweep"):
            assert run["tokens"] == budget, run["name"]
            assert run["train_length"] == p.model["max_seq_len"]


def test_rows_are_consistent_perplexities(study):
    _, results = study
    L = results["train_length"]
    for entry in results["encodings"].values():
        for row in entry["rows"]:
            if row["status"] != "ok":
                continue
            assert (
                row["tokens"] == row["windows"] * row["length"] == results["eval"]["windows"] * row["length"]
            )
            assert row["ppl"]["mean"] == pytest.approx(math.exp(row["loss"]["mean"]), rel=1e-6)
            assert row["last_ppl"]["mean"] == pytest.approx(math.exp(row["last_loss"]["mean"]), rel=1e-6)
            if row["length"] == L:  # the last L positions of an L window are all of it
                assert row["last_loss"]["mean"] == pytest.approx(row["loss"]["mean"], rel=1e-6)


def test_the_finetune_arm_runs_at_four_times_L_with_linear_scaling(study):
    _, results = study
    ft = results["runs"]["rope-1e4-pi-ft-s0"]
    assert ft["train_length"] == 4 * results["train_length"]
    assert ft["pe_options"]["rope_scaling"]["rope_type"] == "linear"
    assert ft["pe_options"]["rope_scaling"]["factor"] == 4.0
    assert ft["init_from"] == "rope-1e4-s0"
    assert len(results["scaling"]["rope-1e4"]["pi-finetune"]["rows"]) == len(results["multiples"])


def test_report_and_plots_are_written(study):
    out, results = study
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Smoke test" in md and "## What our numbers show" in md
    assert len(results["plots"]) == 8
    for name in results["plots"]:
        assert (out / name).stat().st_size > 0


def test_a_second_run_redoes_no_training_and_no_evaluation(study):
    out, first = study
    checkpoints = sorted((out / "runs").glob("*/checkpoint.pt"))
    evals = sorted((out / "runs").glob("*/eval.json"))
    assert len(checkpoints) == len(first["runs"]) == len(first["trained_this_session"])
    before = {p: p.stat().st_mtime_ns for p in checkpoints + evals}
    second = run_study("quick", out, progress=False)
    assert second["trained_this_session"] == [] and second["evaluated_this_session"] == []
    assert {p: p.stat().st_mtime_ns for p in checkpoints + evals} == before
    assert second["encodings"] == first["encodings"]  # the cached numbers, unchanged
    # wall time adds up over the sessions that wrote results.json
    assert first["sessions"] == 1 and first["wall_time_total_s"] == first["wall_time_s"]
    assert second["sessions"] == 2
    assert second["wall_time_total_s"] == pytest.approx(first["wall_time_total_s"] + second["wall_time_s"])
    assert "over 2 sessions" in (out / "report.md").read_text(encoding="utf-8")
