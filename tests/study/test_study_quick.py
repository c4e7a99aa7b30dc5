"""The quick preset end to end: trains every model, writes a valid results.json, report and plots, and a
second run redoes no training and no evaluation."""

import json
import math

import pytest

from posenc.study import results as study_results
from posenc.study import run_study
from posenc.study.presets import ENCODINGS, PRESETS


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study-quick")
    results = run_study("quick", out, progress=False)
    return out, results


def test_results_json_on_disk_follows_the_schema(study):
    out, results = study
    on_disk = json.loads((out / "results.json").read_text(encoding="utf-8"))
    study_results.validate_results(on_disk)
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
    assert len(results["plots"]) == 10
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


# ----------------------------------------------------------------------------- stale numbers (issue 18)
def _other_corpus(folder):
    """A text file unlike the built-in corpus: numbered sentences, enough for every study length."""
    path = folder / "other.txt"
    path.write_text("".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(3000)))
    return path


def test_an_evaluation_on_another_corpus_never_enters_the_study(study, tmp_path):
    """`posenc eval S/runs/alibi-s0 --corpus other.txt` with the study's own lengths, windows and passkey
    trials, then `posenc study --out S`: the study's numbers stay those of its own corpus."""
    from posenc import cli

    out, first = study
    preset = PRESETS["quick"]
    lengths = ",".join(str(m * preset.train_length) for m in preset.multiples)
    run = out / "runs" / "alibi-s0"
    argv = ["eval", str(run), "--corpus", str(_other_corpus(tmp_path)), "--lengths", lengths]
    argv += ["--windows", str(preset.eval_windows), "--passkey-trials", str(preset.passkey_trials)]
    assert cli.main(argv) == 0
    evals = json.loads((run / "eval.json").read_text(encoding="utf-8"))["evals"]
    assert any(key.startswith("none @ ") and key.endswith("other.txt") for key in evals)  # its own key
    again = run_study("quick", out, progress=False)
    assert again["encodings"] == first["encodings"]
    assert again["evaluated_this_session"] == []


def test_cached_rows_made_otherwise_are_evaluated_again_and_the_reason_is_said(study):
    """Rows that do not record what made them (posenc 0.1.0), or that were made on another basis, are
    never reused: the study measures again, reports why, and ends with its own numbers."""
    out, first = study
    path = out / "runs" / "alibi-s0" / "eval.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for row in data["evals"]["none"]["rows"]:
        del row["basis"]  # as written by posenc 0.1.0
        row["loss"] = 99.0  # numbers that must not reach results.json
    path.write_text(json.dumps(data))
    path = out / "runs" / "rope-1e4-s0" / "eval.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for row in data["evals"]["yarn:auto"]["rows"]:
        row["basis"]["corpus_sha256"] = "0" * 64  # made on an edited corpus
        row["loss"] = 99.0
    path.write_text(json.dumps(data))
    again = run_study("quick", out, progress=False)
    assert sorted(again["evaluated_this_session"]) == ["alibi-s0:none", "rope-1e4-s0:yarn:auto"]
    stale = again["reevaluated_this_session"]
    assert "older posenc" in stale["alibi-s0:none"]
    assert "corpus content" in stale["rope-1e4-s0:yarn:auto"]
    assert again["encodings"] == first["encodings"] and again["scaling"] == first["scaling"]


def test_an_edited_number_in_eval_json_never_reaches_the_study(study):
    """Issue 37: eval.json rows carried no checksum, so a number edited with its basis left intact was
    reused and flowed into results.json and the report. Now the row fails its checksum: measured again."""
    out, first = study
    path = out / "runs" / "nope-s0" / "eval.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["evals"]["none"]["rows"][0]["loss"] = 0.01
    path.write_text(json.dumps(data, indent=2))
    again = run_study("quick", out, progress=False)
    assert again["evaluated_this_session"] == ["nope-s0:none"]
    assert "fails its checksum" in again["reevaluated_this_session"]["nope-s0:none"]
    assert again["encodings"] == first["encodings"]


def test_the_retrieval_arm_trains_to_criterion_and_records_its_checks(study):
    out, results = study
    criterion = results["eval"]["retrieval_criterion"]
    assert criterion["every"] == PRESETS["quick"].retrieval_check_every and criterion["cap"] == 10
    arm = [run for run in results["runs"].values() if run["role"] == "retrieval"]
    assert len(arm) == len(ENCODINGS)
    for run in arm:
        steps = [c["step"] for c in run["checks"]]
        assert steps == list(range(criterion["every"], run["steps"] + 1, criterion["every"]))
        assert run["learned"] == (run["criterion_step"] is not None)
        log = (out / run["dir"] / "log.jsonl").read_text(encoding="utf-8")
        assert log.count('"event": "check"') == len(steps)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Retrieval arm: steps to criterion per seed" in md


def test_a_model_trained_with_other_settings_is_refused_with_the_way_forward(study, tmp_path, monkeypatch):
    """A folder whose retrieval-arm model an older posenc trained with another step count (before the
    criterion, a fixed 1000 or 1500 steps) is not silently retrained or mixed: the study stops with one
    message naming the folder, what differs, and what to do (delete it, or another --out)."""
    import dataclasses
    import shutil

    from posenc.study import presets

    out, _ = study
    copy = tmp_path / "old-study"
    shutil.copytree(out, copy)
    other = dataclasses.replace(PRESETS["quick"], retrieval_steps=PRESETS["quick"].retrieval_steps + 5)
    monkeypatch.setitem(presets.PRESETS, "quick", other)
    with pytest.raises(ValueError) as refused:
        run_study("quick", copy, progress=False)
    message = str(refused.value)
    assert "cannot resume" in message and "-passkey-s0" in message and "steps" in message
    assert "delete" in message and "another --out" in message
