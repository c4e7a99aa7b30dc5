"""Checkpoints crafted with a valid digest (issue 37): a wrong-typed or missing field is a one-line error
naming the file and the field, not a traceback; a step beyond the run's steps is refused; a state without
its checksum is treated as damaged (the previous checkpoint is used, else a clear error)."""

import pytest
import torch

from posenc.cli import main
from posenc.model import ModelConfig
from posenc.train import TrainConfig, train
from posenc.train import checkpoint as ckpt
from posenc.train.checkpoint import CheckpointFallback, load_checkpoint

MODEL = ModelConfig.preset("tiny", max_seq_len=32)
CFG = TrainConfig(steps=20, batch_size=2, warmup_steps=0, eval_every=0, ckpt_every=0, eval_windows=2)


def _craft(path, change, digest: bool = True) -> None:
    state = torch.load(path, weights_only=True)
    change(state)
    if digest:
        state["state_sha256"] = ckpt._digest(state)
    torch.save(state, path)


@pytest.fixture
def run(tmp_path):
    run = tmp_path / "run"
    train(MODEL, CFG, run, progress=False, stop_at=1)  # one checkpoint (step 1), no previous one
    return run


def _set(key, value):
    return lambda state: state.__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("train_config", [1, 2]), "train_config"),
        (lambda state: state.pop("rng"), "rng"),
        (_set("rng", {"torch": "not a tensor", "python": None}), "rng"),
        (_set("optimizer", [1]), "optimizer"),
        (_set("world_size", "2"), "world_size"),
        (_set("metrics", 3), "metrics"),
    ],
)
def test_a_malformed_field_with_a_valid_digest_names_the_file_and_the_field(run, capsys, change, field):
    _craft(run / "checkpoint.pt", change)
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("posenc train: error: "), err
    assert "checkpoint.pt" in err[0] and f"'{field}'" in err[0], err[0]


def _set_in(key, inner, value):
    return lambda state: state[key].__setitem__(inner, value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set_in("train_config", "lr", float("nan")), "train_config.lr is nan"),
        (_set_in("metrics", "train_loss", float("inf")), "metrics.train_loss is inf"),
        (
            _set_in("model_config", "pe_options", {"base": float("-inf")}),
            "model_config.pe_options.base is -inf",
        ),
        (
            _set_in(
                "metrics",
                "checks",
                [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
            ),
            "nested deeper than 32 levels",
        ),
        (
            _set_in("train_config", "corpus", torch.tensor([1.0])),
            "train_config.corpus is Tensor, not a JSON value",
        ),
    ],
    ids=["nan-lr", "inf-loss", "inf-base", "deep-metrics", "not-json"],
)
def test_non_finite_or_non_json_config_values_with_a_valid_digest_are_refused(run, capsys, change, field):
    """Parse, don't trust (issue 37): the checkpoint's configs and metrics are checked like every JSON
    file posenc reads back: JSON types, finite numbers, bounded nesting, the field named."""
    _craft(run / "checkpoint.pt", change)
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint.pt" in err[0] and field in err[0], err


def test_a_checkpoint_beyond_the_runs_steps_is_refused(run, capsys):
    _craft(run / "checkpoint.pt", _set("step", 10**6))
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "step 1000000" in err and "20 steps" in err and "1000000/20" not in err, err


def test_a_checkpoint_without_its_state_checksum_is_damaged(run):
    def edit(state):
        state.pop("state_sha256")
        state["optimizer"]["state"][0]["exp_avg"] += 1.0  # unnoticed without the checksum

    _craft(run / "checkpoint.pt", edit, digest=False)
    with pytest.raises(ValueError, match=r"checkpoint.pt.*no state checksum \(state_sha256\)"):
        load_checkpoint(run / "checkpoint.pt")


def test_a_checkpoint_without_its_state_checksum_falls_back_to_the_previous_one(tmp_path):
    run = tmp_path / "run"
    train(MODEL, CFG, run, progress=False, stop_at=1)
    train(MODEL, CFG, run, resume=True, progress=False, stop_at=2)  # latest step 2, previous step 1
    _craft(run / "checkpoint.pt", lambda state: state.pop("state_sha256"), digest=False)
    with pytest.warns(CheckpointFallback, match="state_sha256.*previous checkpoint.*step 1"):
        assert load_checkpoint(run / "checkpoint.pt")["step"] == 1
