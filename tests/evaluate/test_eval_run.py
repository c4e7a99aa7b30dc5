"""evaluate_run on tiny saved runs: eval.json keys, learned-PE n/a rows, merging by scaling spec."""

import json
import math
import shutil

import pytest

from posenc.evaluate.run import NA_LEARNED, evaluate_run

ROW_KEYS = {
    "length",
    "multiple",
    "status",
    "windows",
    "tokens",
    "loss",
    "ppl",
    "last",
    "last_tokens",
    "last_loss",
    "last_ppl",
    "segment_loss",
    "passkey",
    "rope_scaling_applied",
    "seed",
    "step",
    "basis",
    "sha256",  # of the row, basis included (issue 37)
}
SMALL = dict(n_windows=3, passkey_trials=2, batch_size=4)


@pytest.fixture
def fresh(tmp_path):
    """A private copy of a session run folder, so eval.json starts absent."""

    def copy(run):
        return shutil.copytree(run, tmp_path / run.name)

    return copy


def read_eval(run):
    return json.loads((run / "eval.json").read_text())


def test_eval_json_holds_the_documented_keys_and_learned_na_rows(learned_run, fresh):
    run = fresh(learned_run)
    evaluate_run(run, "1x,2x", **SMALL)
    data = read_eval(run)
    assert data["format"] == "posenc-eval/1"
    assert (data["pe"], data["train_length"]) == ("learned", 64)
    assert set(data["evals"]) == {"none"}
    ok, na = data["evals"]["none"]["rows"]
    assert set(ok) == ROW_KEYS
    assert ok["status"] == "ok" and ok["length"] == 64 and ok["multiple"] == 1.0
    assert ok["tokens"] == 3 * 64 and ok["windows"] == 3  # n_windows × L positions
    assert ok["last"] == 64 and ok["last_tokens"] == 3 * 64
    assert ok["ppl"] == pytest.approx(math.exp(ok["loss"]))
    assert set(ok["passkey"]) == {"trials", "accuracy", "digit_accuracy", "depth", "seed"}
    assert ok["passkey"]["trials"] == 2
    assert na["status"] == "n/a" and na["length"] == 128 and na["reason"] == NA_LEARNED
    assert "loss" not in na


def test_scalings_are_kept_side_by_side_and_rows_merge_by_length(rope_run, fresh):
    run = fresh(rope_run)
    first = evaluate_run(run, "1x,2x", **SMALL)
    evaluate_run(run, "2x", "yarn:2", **SMALL)
    evaluate_run(run, "4x", **SMALL)
    evals = read_eval(run)["evals"]
    assert set(evals) == {"none", "yarn:2"}
    assert [r["length"] for r in evals["none"]["rows"]] == [64, 128, 256]
    assert evals["none"]["rows"][1]["loss"] == first["rows"][1]["loss"]  # the earlier row is kept as it was
    (yarn_row,) = evals["yarn:2"]["rows"]
    assert evals["yarn:2"]["rope_scaling"] == "yarn:2"
    assert yarn_row["rope_scaling_applied"] == {"rope_type": "yarn", "factor": 2.0}
    assert yarn_row["loss"] != evals["none"]["rows"][1]["loss"]  # the scaling changed the model
    assert yarn_row["tokens"] == 3 * 128 and yarn_row["last_tokens"] == 3 * 64


def test_same_arguments_give_identical_numbers(rope_run):
    a = evaluate_run(rope_run, "2x", write=False, **SMALL)
    b = evaluate_run(rope_run, "2x", write=False, **SMALL)
    assert a["rows"] == b["rows"]
    assert not (rope_run / "eval.json").exists()


def test_auto_scaling_uses_length_over_training_length(rope_run):
    rows = evaluate_run(rope_run, "1x,4x", "linear:auto", write=False, n_windows=2, passkey_trials=0)["rows"]
    assert rows[0]["rope_scaling_applied"] is None
    assert rows[1]["rope_scaling_applied"] == {"rope_type": "linear", "factor": 4.0}
    assert rows[1]["passkey"] is None  # --passkey-trials 0 skips it


def test_rope_scaling_on_a_non_rope_run_is_a_clear_error(learned_run):
    with pytest.raises(ValueError, match="RoPE scaling applies only to rope models"):
        evaluate_run(learned_run, "1x", "yarn:2", write=False, **SMALL)


def test_an_unreadable_eval_json_is_reported_not_overwritten(rope_run, fresh):
    run = fresh(rope_run)
    (run / "eval.json").write_text("not json")
    with pytest.raises(ValueError, match="eval.json"):
        evaluate_run(run, "1x", n_windows=1, passkey_trials=0)
    assert (run / "eval.json").read_text() == "not json"


def test_passkey_depths_give_a_row_per_depth_and_enter_the_basis(rope_run, fresh):
    from posenc.evaluate.run import cached_rows, expected_basis

    run = fresh(rope_run)
    rows = evaluate_run(run, "1x", **SMALL, passkey_depths=(0.5, 0.0, 1.0))["rows"]
    by_depth = rows[0]["passkey_by_depth"]
    assert [d["depth"] for d in by_depth] == [0.5, 0.0, 1.0]
    assert rows[0]["passkey"] == by_depth[0]  # the first depth is the row's passkey
    assert all(d["trials"] == 2 for d in by_depth)
    assert rows[0]["basis"]["passkey_depths"] == [0.5, 0.0, 1.0]
    settings = dict(n_windows=3, passkey_trials=2, seed=0)
    same = expected_basis(run, None, **settings, passkey_depths=(0.5, 0.0, 1.0))
    assert cached_rows(run, "none", [64], same)[0] is not None
    # the default (key in the middle) adds no key to the basis, so rows made before depths stay valid
    default = expected_basis(run, None, **settings)
    assert "passkey_depths" not in default
    cached, why = cached_rows(run, "none", [64], default)
    assert cached is None and "passkey depths" in why
    plain = evaluate_run(run, "1x", **SMALL)["rows"][0]
    assert "passkey_by_depth" not in plain and "passkey_depths" not in plain["basis"]


@pytest.mark.parametrize("depths", [(), (1.5,), (float("nan"),), ("far",)])
def test_bad_passkey_depths_are_refused_by_name(rope_run, depths):
    with pytest.raises(ValueError, match="--passkey-depths"):
        evaluate_run(rope_run, "1x", **SMALL, passkey_depths=depths)


def _no_computing(monkeypatch):
    import posenc.train.checkpoint

    def never(*a, **k):
        raise AssertionError("the model was loaded before the eval file was checked")

    monkeypatch.setattr(posenc.train.checkpoint, "load_model", never)


@pytest.mark.parametrize("length", [[256], {"n": 256}, "256", True])
def test_an_eval_row_whose_length_is_not_a_number_is_refused_before_computing(
    rope_run, fresh, monkeypatch, length
):
    """Issue 37: a list or dict ``length`` in eval.json died in the merge, after all the computing."""
    run = fresh(rope_run)
    evaluate_run(run, "1x", n_windows=1, passkey_trials=0)
    data = read_eval(run)
    data["evals"]["none"]["rows"][0]["length"] = length
    (run / "eval.json").write_text(json.dumps(data))
    _no_computing(monkeypatch)
    with pytest.raises(ValueError, match=r"eval.json.*rows\[0\]\.length is .*not a whole number") as err:
        evaluate_run(run, "2x", n_windows=1, passkey_trials=0)
    assert "\n" not in str(err.value)


def test_eval_on_a_folder_it_cannot_write_says_so_before_computing(rope_run, fresh, monkeypatch):
    """Issue 37: eval on a read-only run computed everything, then failed to write and printed no numbers.
    (The test runs as root here, where chmod does not stop a write: the folder's refusal is simulated.)"""
    import tempfile

    run = fresh(rope_run)

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    _no_computing(monkeypatch)
    with pytest.raises(ValueError, match=rf"cannot write eval.json in {run}.*Permission denied"):
        evaluate_run(run, "1x", n_windows=1, passkey_trials=0)
    assert not (run / "eval.json").exists()
    monkeypatch.undo()
    assert evaluate_run(run, "1x", n_windows=1, passkey_trials=0, write=False)["path"] is None
