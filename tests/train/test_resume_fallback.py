"""``train --resume`` never restarts from step 0 while a checkpoint is left (issue 37): with the latest
checkpoint missing (deleted, a dangling symlink, a symlink loop) it resumes from the previous pair,
saying so, and keeps that pair until a new checkpoint is whole; with no usable checkpoint it stops."""

import json
import os
import warnings

import pytest
import torch

from posenc.cli import main
from posenc.model import ModelConfig
from posenc.train import TrainConfig, load_model, train
from posenc.train.checkpoint import CheckpointFallback, load_checkpoint

MODEL = ModelConfig.preset("tiny", max_seq_len=32)


def _cfg(**kw) -> TrainConfig:
    base = {"steps": 6, "batch_size": 2, "eval_every": 0, "ckpt_every": 2, "eval_windows": 2, "log_every": 1}
    return TrainConfig(**(base | kw))


def _same_parameters(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def _break_latest(run, how: str) -> None:
    latest = run / "checkpoint.pt"
    latest.unlink()
    if how == "dangling symlink":
        latest.symlink_to(run / "no-such-file.pt")
    elif how == "symlink loop":
        latest.symlink_to(latest.name)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted 6-step run: what every resumed run must end as, bit for bit."""
    run = tmp_path_factory.mktemp("reference") / "run"
    train(MODEL, _cfg(), run, progress=False)
    return load_model(run)[0]


@pytest.mark.parametrize("how", ["deleted", "dangling symlink", "symlink loop"])
def test_a_missing_latest_checkpoint_resumes_from_the_previous_pair(tmp_path, reference, how):
    run = tmp_path / "run"
    train(MODEL, _cfg(), run, progress=False, stop_at=4)  # checkpoints at 2 (previous) and 4 (latest)
    _break_latest(run, how)
    with pytest.warns(CheckpointFallback, match=r"checkpoint.pt.*using the previous checkpoint.*step 2"):
        summary = train(MODEL, _cfg(), run, resume=True, progress=False)
    assert summary["resumed_from"] == 2 and summary["step"] == 6
    assert _same_parameters(load_model(run)[0], reference)  # resumed exactly, not retrained from 0
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3, 4, 5, 6]


def test_the_previous_pair_is_kept_until_a_new_checkpoint_is_whole(tmp_path):
    """The first save after falling back must not turn the broken latest into the previous pair."""
    run = tmp_path / "run"
    train(MODEL, _cfg(), run, progress=False, stop_at=4)
    (run / "checkpoint.pt").unlink()  # checkpoint.safetensors (step 4) is left behind, orphaned
    with pytest.warns(CheckpointFallback):
        train(MODEL, _cfg(), run, resume=True, progress=False, stop_at=3)
    assert load_checkpoint(run / "checkpoint.pt")["step"] == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_checkpoint(run / "checkpoint.prev.pt")["step"] == 2  # its weights intact


@pytest.mark.parametrize("previous", ["missing", "damaged"])
def test_no_usable_checkpoint_left_stops_instead_of_restarting(tmp_path, previous):
    run = tmp_path / "run"
    train(MODEL, _cfg(), run, progress=False, stop_at=4)
    (run / "checkpoint.pt").unlink()
    if previous == "missing":
        (run / "checkpoint.prev.pt").unlink()
    else:
        data = bytearray((run / "checkpoint.prev.safetensors").read_bytes())
        data[-50] ^= 0xFF
        (run / "checkpoint.prev.safetensors").write_bytes(bytes(data))
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    with pytest.raises(ValueError, match=r"checkpoint.pt.*(missing|does not exist).*nothing was changed"):
        train(MODEL, _cfg(), run, resume=True, progress=False)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_the_command_line_says_so_in_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    train(MODEL, _cfg(), run, progress=False, stop_at=4)
    _break_latest(run, "symlink loop")
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("posenc train: warning: checkpoint"), err
    assert "step 2" in err[0]
    assert os.path.isfile(run / "checkpoint.pt") and load_checkpoint(run / "checkpoint.pt")["step"] == 6
