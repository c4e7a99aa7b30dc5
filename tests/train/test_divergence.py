"""A diverging run stops with a clear message and keeps its last good checkpoint (issue 18).

Before: ``posenc train --lr 1e30`` saved NaN weights and exited 0, and log.jsonl held bare ``NaN``
(not JSON); ``eval``/``generate`` on those weights printed an all-NaN table or NUL bytes.
"""

import json

import pytest
import torch

from posenc import cli
from posenc.model import ModelConfig, TinyLM
from posenc.train import TrainConfig, load_model, loop, train
from posenc.train.checkpoint import load_checkpoint, save_checkpoint


def _strict_json_lines(path):
    def refuse(constant):
        raise ValueError(f"bare {constant} in {path}")

    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]


def test_a_loss_that_turns_nan_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    good = loop.lr_at
    monkeypatch.setattr(loop, "lr_at", lambda step, cfg: good(step, cfg) if step < 6 else 1e30)
    cfg = TrainConfig(steps=30, batch_size=2, eval_every=0, ckpt_every=5, eval_windows=2, log_every=1)
    run = tmp_path / "run"
    with pytest.raises(loop.TrainingDiverged, match=r"diverged at step \d+.*last good checkpoint \(step 5\)"):
        train(ModelConfig.preset("tiny", max_seq_len=32), cfg, run, progress=False)
    state = load_checkpoint(run / "checkpoint.pt")
    assert state["step"] == 5 and all(torch.isfinite(t).all() for t in state["model"].values())
    records = _strict_json_lines(run / "log.jsonl")
    assert records[-1]["event"] == "diverged" and records[-1]["kept_step"] == 5
    load_model(run)  # the kept checkpoint is usable


def test_posenc_train_with_a_huge_lr_exits_non_zero_with_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--out", str(out), "--preset", "tiny", "--seq-len", "32", "--steps", "8"]
    argv += ["--batch-size", "2", "--lr", "1e30", "--min-lr", "0", "--eval-windows", "2", "--no-progress"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "diverged" in err[0] and "--lr" in err[0], err
    assert not (out / "checkpoint.pt").exists() or load_model(out)  # never NaN weights on disk
    _strict_json_lines(out / "log.jsonl")


@pytest.fixture
def nan_run(tmp_path):
    torch.manual_seed(0)
    config = ModelConfig.preset("tiny")
    model = TinyLM(config)
    with torch.no_grad():
        model.blocks[0].attn.qkv.weight[0, 0] = float("nan")
    return save_checkpoint(
        tmp_path / "nan" / "checkpoint.pt", model=model, model_config=config.to_dict(), step=3
    ).parent


@pytest.mark.parametrize("command", [["eval", "--lengths", "1x"], ["generate", "--max-new-tokens", "5"]])
def test_eval_and_generate_refuse_nan_weights(nan_run, capsys, command):
    assert cli.main([command[0], str(nan_run), *command[1:]]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "non-finite weights" in err and "blocks.0.attn.qkv.weight" in err
    assert len(err.strip().splitlines()) == 1


def test_resuming_a_checkpoint_with_nan_weights_is_refused(nan_run):
    """A NaN checkpoint written by posenc 0.1.0 is not continued (it would only diverge again)."""
    state = load_checkpoint(nan_run / "checkpoint.pt")
    mcfg, cfg = (
        ModelConfig.from_dict(state["model_config"]),
        TrainConfig(steps=4, batch_size=2, eval_windows=2),
    )
    model = TinyLM(mcfg)
    model.load_state_dict(state["model"])
    save_checkpoint(
        nan_run / "checkpoint.pt",
        model=model,
        model_config=state["model_config"],
        step=3,
        optimizer=loop.make_optimizer(model, cfg, torch.device("cpu")),
        train_config=cfg.to_dict(),
    )
    with pytest.raises(ValueError, match="NaN or inf weights.*new --out"):
        train(mcfg, cfg, nan_run, resume=True, progress=False)
