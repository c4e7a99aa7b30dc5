"""`posenc exp`: one-line errors for bad input, and a full run through the command line."""

import json

import pytest

from posenc.cli import main
from posenc.experiments import EXPERIMENTS, load


def test_unknown_experiment_is_a_one_line_error(capsys):
    assert main(["exp", "9"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "unknown experiment '9'" in err
    assert all(name in err for name in EXPERIMENTS)


def test_no_train_only_for_rope_base(capsys, tmp_path):
    assert main(["exp", "2", "--no-train", "--out", str(tmp_path)]) == 2
    assert "--no-train" in capsys.readouterr().err


def test_out_that_is_a_file_is_a_clear_error(capsys, tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    assert main(["exp", "1", "--quick", "--out", str(target)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_load_names_the_bad_experiment():
    with pytest.raises(ValueError, match="'5'"):
        load("5")


def test_cli_run_prints_tables_and_writes_results(capsys, tmp_path):
    assert main(["exp", "rope-base", "--quick", "--no-train", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rope_base at head_dim" in out and "Training skipped" in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[-1].startswith("Next: ") and sum(line.startswith("Next:") for line in lines) == 1
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["experiment"] == "rope-base"


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_experiment_has_the_shared_interface(name):
    module = load(name)
    assert isinstance(module.TITLE, str) and module.EXPERIMENT == name
    assert callable(module.run) and callable(module.summary)
