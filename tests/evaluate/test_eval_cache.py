"""Cached evaluations are reused only on the same basis (issue 18, "stale numbers reused").

A row of eval.json records what made it: the model's weights (a hash), the corpus and a hash of its
held-out tokens, the seed, windows, passkey trials, scaling and the evaluation's version. ``cached_rows``
hands rows back only when all of it matches what an evaluation would use now, and otherwise says why.
"""

import json
import shutil

import pytest
import torch

from posenc.evaluate.run import EVAL_VERSION, cached_rows, evaluate_run, expected_basis
from posenc.model import ModelConfig, TinyLM
from posenc.train.checkpoint import load_checkpoint, save_checkpoint
from tests.evaluate.conftest import make_run

SMALL = dict(n_windows=2, passkey_trials=0)


def _private_run(tmp_path, small_corpus):
    corpus = shutil.copytree(small_corpus, tmp_path / "corpus")
    return make_run(tmp_path / "run", corpus, "rope"), corpus


def test_rows_on_the_same_basis_are_reused(tmp_path, small_corpus):
    run, _ = _private_run(tmp_path, small_corpus)
    evaluate_run(run, "1x,2x", **SMALL)
    basis = expected_basis(run, **SMALL)
    rows, why = cached_rows(run, "none", [64, 128], basis)
    assert why is None and [r["length"] for r in rows] == [64, 128]
    assert rows[0]["basis"] == basis and basis["eval_version"] == EVAL_VERSION
    assert cached_rows(run, "none", [64, 256], basis) == (None, None)  # a missing length: nothing to tell


def test_an_edited_corpus_makes_the_rows_stale(tmp_path, small_corpus):
    run, corpus = _private_run(tmp_path, small_corpus)
    evaluate_run(run, "1x", **SMALL)
    for file in corpus.iterdir():  # same paths, same sizes of most files: only the content tells
        file.write_text(file.read_text() + "\n# edited\n")
    rows, why = cached_rows(run, "none", [64], expected_basis(run, n_windows=2, passkey_trials=0))
    assert rows is None and "corpus content" in why and "64" in why


def test_other_weights_or_settings_make_the_rows_stale(tmp_path, small_corpus):
    run, _ = _private_run(tmp_path, small_corpus)
    evaluate_run(run, "1x", **SMALL)
    for settings, words in (
        ({"n_windows": 3, "passkey_trials": 0}, "windows"),
        ({"n_windows": 2, "passkey_trials": 5}, "passkey trials"),
        ({"n_windows": 2, "passkey_trials": 0, "seed": 1}, "seed"),
    ):
        rows, why = cached_rows(run, "none", [64], expected_basis(run, **settings))
        assert rows is None and words in why, (settings, why)
    state = load_checkpoint(run / "checkpoint.pt")
    torch.manual_seed(1)  # the same config and step, other weights (a run trained again)
    model = TinyLM(ModelConfig.from_dict(state["model_config"]))
    save_checkpoint(
        run / "checkpoint.pt",
        model=model,
        model_config=state["model_config"],
        step=state["step"],
        train_config=state["train_config"],
    )
    rows, why = cached_rows(run, "none", [64], expected_basis(run, **SMALL))
    assert rows is None and "model weights" in why


def test_rows_of_an_older_posenc_are_never_reused(tmp_path, small_corpus):
    run, _ = _private_run(tmp_path, small_corpus)
    evaluate_run(run, "1x", **SMALL)
    data = json.loads((run / "eval.json").read_text())
    del data["evals"]["none"]["rows"][0]["basis"]
    (run / "eval.json").write_text(json.dumps(data))
    rows, why = cached_rows(run, "none", [64], expected_basis(run, **SMALL))
    assert rows is None and "older posenc" in why


def test_another_corpus_is_kept_under_its_own_key(tmp_path, small_corpus):
    run, corpus = _private_run(tmp_path, small_corpus)
    own = evaluate_run(run, "1x", **SMALL)
    other = tmp_path / "other.txt"
    other.write_text("".join(f"{i} a different text altogether\n" for i in range(2000)))
    foreign = evaluate_run(run, "1x", corpus=other, **SMALL)
    assert foreign["key"] == f"none @ {other.resolve()}" and foreign["corpus"] == str(other.resolve())
    evals = json.loads((run / "eval.json").read_text())["evals"]
    assert evals["none"]["rows"] == own["rows"]  # not replaced
    assert evals[foreign["key"]]["rows"][0]["loss"] != own["rows"][0]["loss"]
    # --corpus naming the training corpus itself is the run's own evaluation
    assert evaluate_run(run, "1x", corpus=corpus, write=False, **SMALL)["key"] == "none"


def test_an_eval_json_that_is_a_fifo_is_refused_not_waited_on(tmp_path, small_corpus):
    import os
    import subprocess
    import sys

    run, _ = _private_run(tmp_path, small_corpus)
    os.mkfifo(run / "eval.json")
    argv = [sys.executable, "-m", "posenc", "eval", str(run), "--lengths", "1x", "--windows", "1"]
    done = subprocess.run(argv + ["--passkey-trials", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "eval.json" in done.stderr and "not a regular file" in done.stderr


# ----------------------------------------------------------------------------- checksummed rows (issue 37)
def test_an_edited_number_is_found_by_its_checksum_and_never_reused(tmp_path, small_corpus):
    """Issue 37: eval.json rows carried no checksum, so an edited number flowed into the study report."""
    run, _ = _private_run(tmp_path, small_corpus)
    evaluate_run(run, "1x,2x", **SMALL)
    basis = expected_basis(run, **SMALL)
    path = run / "eval.json"
    data = json.loads(path.read_text())
    data["evals"]["none"]["rows"][1]["loss"] = 0.5  # the basis left as it was: only the number tells
    path.write_text(json.dumps(data, indent=2))
    rows, why = cached_rows(run, "none", [64, 128], basis)
    assert rows is None and "length 128" in why and "fails its checksum" in why and "eval.json" in why
    assert cached_rows(run, "none", [64], basis)[0] is not None  # the untouched row still serves


def test_a_row_without_a_checksum_is_evaluated_again_and_says_why(tmp_path, small_corpus):
    run, _ = _private_run(tmp_path, small_corpus)
    evaluate_run(run, "1x", **SMALL)
    path = run / "eval.json"
    data = json.loads(path.read_text())
    del data["evals"]["none"]["rows"][0]["sha256"]  # as written before rows carried one
    path.write_text(json.dumps(data))
    rows, why = cached_rows(run, "none", [64], expected_basis(run, **SMALL))
    assert rows is None and "no checksum" in why and "older posenc" in why


def test_an_eval_json_with_a_non_finite_number_is_refused_naming_the_field(tmp_path, small_corpus):
    """Parse, don't trust: NaN and 1e999 were read as floats; now the file and the field are named."""
    from posenc.results.schema import SchemaError

    run, _ = _private_run(tmp_path, small_corpus)
    evaluate_run(run, "1x", **SMALL)
    path = run / "eval.json"
    text = path.read_text()
    loss = json.loads(text)["evals"]["none"]["rows"][0]["loss"]
    for bad in ("NaN", "1e999"):
        path.write_text(text.replace(f'"loss": {loss!r}', f'"loss": {bad}'))
        with pytest.raises(SchemaError, match=r"eval\.json.*not valid JSON.*move the file away") as err:
            evaluate_run(run, "2x", **SMALL)
        assert "\n" not in str(err.value)
        rows, why = cached_rows(run, "none", [64], expected_basis(run, **SMALL))
        assert rows is None and "eval.json" in why
    data = json.loads(text)
    data["evals"]["none"]["rows"][0]["passkey"] = {"accuracy": 7}  # not a fraction
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match=r"evals\.none\.rows\[0\]\.passkey\.accuracy is the number 7"):
        evaluate_run(run, "2x", **SMALL)
