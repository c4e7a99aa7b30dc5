"""`posenc eval` and `posenc generate` through posenc.cli.main: output, and one-line errors (exit 2)."""

import json
import shutil

import pytest

from posenc.cli import main


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")  # rich wraps table cells to the terminal width


def one_line_error(capsys, rc, *fragments):
    err = capsys.readouterr().err
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert all(f in lines[0] for f in fragments), lines[0]


def test_missing_run_folder(capsys, tmp_path):
    rc = main(["eval", str(tmp_path / "nowhere")])
    one_line_error(capsys, rc, "posenc eval: error:", "nowhere", "does not exist")


def test_folder_without_checkpoint(capsys, tmp_path):
    rc = main(["eval", str(tmp_path)])
    one_line_error(capsys, rc, "checkpoint.pt")


@pytest.mark.parametrize("lengths", ["2y", "1x,,2x", "0x"])
def test_bad_lengths(capsys, rope_run, lengths):
    rc = main(["eval", str(rope_run), "--lengths", lengths])
    one_line_error(capsys, rc, "--lengths")


def test_bad_rope_scaling(capsys, rope_run):
    rc = main(["eval", str(rope_run), "--rope-scaling", "bogus:2"])
    one_line_error(capsys, rc, "'bogus:2'", "yarn", "longrope")


def test_rope_scaling_on_learned_run(capsys, learned_run):
    rc = main(
        ["eval", str(learned_run), "--rope-scaling", "ntk:4", "--windows", "1", "--passkey-trials", "0"]
    )
    one_line_error(capsys, rc, "'learned'", "rope")


def test_eval_prints_the_table_and_writes_eval_json(capsys, learned_run, tmp_path):
    run = shutil.copytree(learned_run, tmp_path / "run")
    rc = main(["eval", str(run), "--lengths", "1x,2x", "--windows", "2", "--passkey-trials", "2"])
    out = capsys.readouterr().out
    assert rc == 0
    for column in ("length", "tokens", "loss", "ppl", "last-L ppl", "passkey"):
        assert column in out
    assert "n/a (learned positions cannot extrapolate)" in out
    assert "128" in out and "eval.json" in out
    assert out.rstrip().splitlines()[-1].startswith(f"Next: posenc generate {run}")
    rows = json.loads((run / "eval.json").read_text())["evals"]["none"]["rows"]
    assert [r["status"] for r in rows] == ["ok", "n/a"]


def test_generate_prints_prompt_and_continuation(capsys, rope_run):
    rc = main(["generate", str(rope_run), "--prompt", "class ", "--max-new-tokens", "20", "--seed", "3"])
    captured = capsys.readouterr()
    assert rc == 0 and captured.out.startswith("class ") and "Next:" not in captured.out  # text alone
    assert captured.err.strip().splitlines()[-1].startswith(f"Next: posenc eval {rope_run}")


def test_generate_missing_run(capsys, tmp_path):
    rc = main(["generate", str(tmp_path / "nowhere")])
    one_line_error(capsys, rc, "posenc generate: error:", "does not exist")


def test_eval_is_refused_in_one_line_while_a_training_writes_the_run(capsys, rope_run, tmp_path, monkeypatch):
    """Issue 37: `posenc eval` took no lock, so it could write eval.json while a training wrote the same
    run folder. It now holds RUN/train.lock while it works and is refused before computing anything."""
    import posenc.train.checkpoint
    from posenc.train.checkpoint import LOCK_NAME, RunLock

    run = shutil.copytree(rope_run, tmp_path / "run")

    def never(*a, **k):
        raise AssertionError("the model was loaded while the run's lock was held by a training")

    with RunLock(run):  # as `posenc train` holds it
        with monkeypatch.context() as patch:
            patch.setattr(posenc.train.checkpoint, "load_model", never)
            rc = main(["eval", str(run), "--lengths", "1x", "--windows", "1", "--passkey-trials", "0"])
        one_line_error(capsys, rc, "being written by another posenc train", "nothing was written")
        assert not (run / "eval.json").exists()
    assert main(["eval", str(run), "--lengths", "1x", "--windows", "1", "--passkey-trials", "0"]) == 0
    assert (run / "eval.json").exists() and not (run / LOCK_NAME).exists()  # released after it


def test_a_training_is_refused_while_eval_writes_the_run_naming_eval(rope_run, tmp_path):
    from posenc.train.checkpoint import RunFolderLocked, RunLock

    run = shutil.copytree(rope_run, tmp_path / "run")
    with RunLock(run, holder="posenc eval"):
        with pytest.raises(RunFolderLocked, match="being written by another posenc eval") as err:
            RunLock(run).acquire()
    assert "--out" in str(err.value)
