"""The training loop: learning, convergence, resume (in process and after a real Ctrl-C), run folders."""

import json
import math
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from posenc.data import eval_windows, load_corpus, train_batch
from posenc.model import ModelConfig, TinyLM
from posenc.train import TrainConfig, load_model, train
from posenc.train.loop import make_optimizer

ENCODINGS = ["nope", "sinusoidal", "learned", "rope", "alibi", "t5", "xpos"]


def _quick(**kw) -> TrainConfig:
    """A few cheap steps: no periodic evaluation or checkpoint, a small held-out set."""
    base = {"steps": 6, "batch_size": 4, "eval_every": 0, "ckpt_every": 0, "eval_windows": 4, "log_every": 1}
    return TrainConfig(**(base | kw))


def _same_parameters(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("pe", ENCODINGS)
def test_one_training_step_lowers_the_loss_on_a_fixed_batch(pe):
    torch.manual_seed(0)
    model = TinyLM(ModelConfig.preset("tiny", pe=pe))
    optimizer = make_optimizer(model, TrainConfig(lr=3e-3), torch.device("cpu"))
    x, y = train_batch(load_corpus().tokens("train"), step=0, batch_size=8, seq_len=64, seed=0)
    _, before = model(x, y)
    before.backward()
    optimizer.step()
    with torch.no_grad():
        _, after = model(x, y)
    assert after.item() < before.item() - 1e-3


def test_200_steps_reach_a_heldout_loss_well_below_the_byte_unigram_entropy(tmp_path):
    cfg = TrainConfig(
        steps=200,
        batch_size=32,
        lr=1e-2,
        min_lr=1e-3,
        warmup_steps=20,
        eval_every=0,
        ckpt_every=0,
        eval_windows=8,
        log_every=50,
    )
    train(ModelConfig.preset("tiny"), cfg, tmp_path / "run", progress=False)
    model, _ = load_model(tmp_path / "run")
    corpus = load_corpus()
    # the bar: the entropy of the training split's byte frequencies, in nats, counted here
    counts = np.bincount(
        np.frombuffer(b"".join(f.read_bytes() for f in corpus.train_files), np.uint8), minlength=256
    )
    p = counts[counts > 0] / counts.sum()
    entropy = float(-(p * np.log(p)).sum())
    # the held-out loss, computed here from the logits on 64 windows of 65 bytes from held-out files
    windows = eval_windows(corpus.file_tokens("heldout"), 64, 64)
    with torch.no_grad():
        logits, _ = model(windows[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 256), windows[:, 1:].reshape(-1)).item()
    assert 3.0 < entropy < 3.6  # Python source: ~4.7 bits per byte
    assert loss < 0.8 * entropy, (loss, entropy)


def test_stopped_and_resumed_run_matches_an_uninterrupted_run_bitwise(tmp_path):
    model_config, cfg = ModelConfig.preset("tiny"), _quick(steps=6)
    full = train(model_config, cfg, tmp_path / "full", progress=False)
    first = train(model_config, cfg, tmp_path / "part", progress=False, stop_at=3)
    assert first["interrupted"] and first["step"] == 3
    assert load_model(tmp_path / "part")[1]["step"] == 3
    second = train(model_config, cfg, tmp_path / "part", resume=True, progress=False)
    assert second["step"] == 6 and second["resumed_from"] == 3 and not second["interrupted"]
    assert _same_parameters(load_model(tmp_path / "full")[0], load_model(tmp_path / "part")[0])
    assert second["train_loss"] == full["train_loss"]
    steps = [
        r["step"]
        for r in map(json.loads, (tmp_path / "part" / "log.jsonl").read_text().splitlines())
        if "loss" in r
    ]
    assert steps == [1, 2, 3, 4, 5, 6]  # the log reads as one run


def test_ctrl_c_saves_a_checkpoint_and_resume_matches_an_uninterrupted_run(tmp_path):
    steps = 400
    args = [
        "--preset",
        "tiny",
        "--seq-len",
        "32",
        "--steps",
        str(steps),
        "--batch-size",
        "4",
        "--log-every",
        "1",
        "--ckpt-every",
        "0",
        "--eval-every",
        "0",
        "--eval-windows",
        "4",
        "--device",
        "cpu",
        "--no-progress",
    ]
    run = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "posenc.train", *args, "--out", str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = run / "log.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and sum('"loss"' in line for line in log.read_text().splitlines()) >= 5:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in out and "--resume" in out
    stopped_at = load_model(run)[1]["step"]
    assert 5 <= stopped_at < steps

    config = ModelConfig.preset("tiny", max_seq_len=32)
    cfg = _quick(steps=steps, ckpt_every=0, eval_windows=4, device="cpu")
    train(config, cfg, run, resume=True, progress=False)
    train(config, cfg, tmp_path / "uninterrupted", progress=False)
    assert _same_parameters(load_model(run)[0], load_model(tmp_path / "uninterrupted")[0])


def test_an_existing_run_is_never_overwritten(tmp_path):
    train(ModelConfig.preset("tiny"), _quick(steps=2), tmp_path / "run", progress=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    with pytest.raises(ValueError, match="already holds a run.*--resume"):
        train(ModelConfig.preset("tiny"), _quick(steps=2), tmp_path / "run", progress=False)
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before


@pytest.mark.parametrize(
    ("model_kw", "train_kw", "field"),
    [
        ({"pe": "alibi"}, {}, "model.pe"),
        ({}, {"lr": 1e-2}, "train.lr"),
        ({"d_model": 32}, {}, "model.d_model"),
    ],
)
def test_resume_with_a_different_config_is_refused(tmp_path, model_kw, train_kw, field):
    train(ModelConfig.preset("tiny"), _quick(steps=4), tmp_path / "run", progress=False, stop_at=2)
    with pytest.raises(ValueError, match=f"different configuration.*{field}"):
        train(
            ModelConfig.preset("tiny", **model_kw),
            _quick(steps=4, **train_kw),
            tmp_path / "run",
            resume=True,
            progress=False,
        )


def test_resume_may_change_how_the_run_is_watched(tmp_path):
    train(ModelConfig.preset("tiny"), _quick(steps=4), tmp_path / "run", progress=False, stop_at=2)
    summary = train(
        ModelConfig.preset("tiny"),
        _quick(steps=4, log_every=2, eval_windows=2, ckpt_every=1),
        tmp_path / "run",
        resume=True,
        progress=False,
    )
    assert summary["step"] == 4


def test_resume_without_a_run_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run to resume"):
        train(ModelConfig.preset("tiny"), _quick(), tmp_path / "empty", resume=True, progress=False)


def test_resuming_a_finished_run_changes_nothing(tmp_path):
    train(ModelConfig.preset("tiny"), _quick(steps=3), tmp_path / "run", progress=False)
    checkpoint = (tmp_path / "run" / "checkpoint.pt").read_bytes()
    summary = train(
        ModelConfig.preset("tiny"), _quick(steps=3), tmp_path / "run", resume=True, progress=False
    )
    assert summary["step"] == 3 and summary["heldout_loss"] is not None
    assert (tmp_path / "run" / "checkpoint.pt").read_bytes() == checkpoint


def test_run_folder_holds_config_checkpoint_and_log(tmp_path):
    config = ModelConfig.preset("tiny", pe="alibi")
    summary = train(config, _quick(steps=4, ckpt_every=2, eval_every=2), tmp_path / "run", progress=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["model"] == config.to_dict() and saved["train"]["steps"] == 4
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "heldout_loss" in r and "event" not in r] == [2, 4]
    assert records[0]["event"] == "start" and records[-1]["event"] == "end"
    model, meta = load_model(tmp_path / "run")
    assert meta["step"] == 4 and meta["metrics"]["heldout_loss"] == summary["heldout_loss"]
    assert summary["tokens"] == 4 * 4 * 64


def test_bad_corpus_path_is_reported_before_training(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing_corpus"):
        train(
            ModelConfig.preset("tiny"),
            _quick(corpus=str(tmp_path / "missing_corpus")),
            tmp_path / "run",
            progress=False,
        )


def test_seq_len_longer_than_a_tiny_corpus_is_a_clear_error(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4):
        (corpus / f"{i}.txt").write_text("tiny text\n")
    with pytest.raises(ValueError, match="seq_len"):
        train(ModelConfig.preset("tiny"), _quick(corpus=str(corpus)), tmp_path / "run", progress=False)


def test_pure_function_of_step_means_the_same_seed_gives_the_same_run(tmp_path):
    a = train(ModelConfig.preset("tiny"), _quick(steps=3, seed=1), tmp_path / "a", progress=False)
    b = train(ModelConfig.preset("tiny"), _quick(steps=3, seed=1), tmp_path / "b", progress=False)
    c = train(ModelConfig.preset("tiny"), _quick(steps=3, seed=2), tmp_path / "c", progress=False)
    assert a["train_loss"] == b["train_loss"] != c["train_loss"]
    assert _same_parameters(load_model(tmp_path / "a")[0], load_model(tmp_path / "b")[0])


def test_a_passkey_run_trains_on_trials_and_runs_saved_before_tasks_still_resume(tmp_path):
    mcfg = ModelConfig.preset("tiny", pe="rope", max_seq_len=32)
    cfg = TrainConfig(steps=6, batch_size=4, warmup_steps=1, eval_every=0, eval_windows=2, task="passkey")
    summary = train(mcfg, cfg, tmp_path / "pk", progress=False)
    assert summary["step"] == 6 and math.isfinite(summary["train_loss"])
    saved = json.loads((tmp_path / "pk" / "config.json").read_text())
    assert saved["train"]["task"] == "passkey"
    # a run saved before TrainConfig had a task is the plain LM it was: resumable as "lm" only
    from posenc.train.loop import config_differences

    before = {
        k: v for k, v in TrainConfig(**{**cfg.to_dict(), "task": "lm"}).to_dict().items() if k != "task"
    }
    assert (
        config_differences(mcfg.to_dict(), before, mcfg, TrainConfig(**{**cfg.to_dict(), "task": "lm"})) == []
    )
    assert config_differences(mcfg.to_dict(), before, mcfg, cfg) == [
        "train.task: run has 'lm', asked for 'passkey'"
    ]


def test_a_passkey_run_too_short_for_a_trial_is_refused_before_anything_is_written(tmp_path):
    mcfg = ModelConfig.preset("tiny", pe="rope", max_seq_len=16)
    cfg = TrainConfig(steps=2, batch_size=2, warmup_steps=0, task="passkey")
    with pytest.raises(ValueError, match="--task passkey needs --seq-len >= 32"):
        train(mcfg, cfg, tmp_path / "short", progress=False)
    assert not (tmp_path / "short").exists()


# ----------------------------------------------------------------------------- periodic checks
def _counting_check(stop_at_step: int | None = None, seen: list | None = None):
    """A check that records what it was given and asks to stop at ``stop_at_step``."""

    def check(model, step, history):
        assert isinstance(model, TinyLM) and model.training
        if seen is not None:
            seen.append((step, [r["step"] for r in history]))
        return {"value": step / 100, "stop": step == stop_at_step}

    return check


def test_a_check_every_n_steps_is_logged_and_kept_in_the_summary(tmp_path):
    seen = []
    summary = train(
        ModelConfig.preset("tiny"), _quick(), tmp_path / "run", progress=False,
        check_every=2, on_check=_counting_check(seen=seen),
    )  # fmt: skip
    assert [step for step, _ in seen] == [2, 4, 6]
    assert seen[-1][1] == [2, 4]  # each check sees the earlier ones
    assert [c["step"] for c in summary["checks"]] == [2, 4, 6] and summary["stopped_at"] is None
    assert summary["step"] == 6 and not summary["interrupted"]
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r.get("event") == "check"] == [2, 4, 6]
    kept = load_model(tmp_path / "run")[1]["metrics"]["checks"]
    assert kept[-1] == {"value": 0.06, "stop": False, "step": 6}


def test_a_check_that_asks_to_stop_ends_the_run_as_finished_and_a_resume_returns_at_once(tmp_path):
    cfg = _quick(steps=10)
    summary = train(
        ModelConfig.preset("tiny"), cfg, tmp_path / "run", progress=False,
        check_every=2, on_check=_counting_check(stop_at_step=4),
    )  # fmt: skip
    assert summary["step"] == 4 and summary["stopped_at"] == 4 and not summary["interrupted"]
    _, meta = load_model(tmp_path / "run")
    assert meta["step"] == 4 and meta["metrics"]["stopped_at"] == 4
    seen = []
    again = train(
        ModelConfig.preset("tiny"), cfg, tmp_path / "run", resume=True, progress=False,
        check_every=2, on_check=_counting_check(seen=seen),
    )  # fmt: skip
    assert again["step"] == 4 and again["resumed_from"] == 4 and again["stopped_at"] == 4
    assert seen == [] and [c["step"] for c in again["checks"]] == [2, 4]


def test_an_interrupted_run_keeps_its_check_history_on_resume(tmp_path):
    """stop_at splits the run as Ctrl-C would; the checks made before it are in the checkpoint and the
    log, the resumed session sees them and adds its own; the weights equal an uninterrupted run's."""
    cfg = _quick(steps=8, ckpt_every=2)
    first = train(
        ModelConfig.preset("tiny"), cfg, tmp_path / "split", progress=False, stop_at=4,
        check_every=2, on_check=_counting_check(),
    )  # fmt: skip
    assert first["interrupted"] and [c["step"] for c in first["checks"]] == [2, 4]
    seen = []
    second = train(
        ModelConfig.preset("tiny"), cfg, tmp_path / "split", resume=True, progress=False,
        check_every=2, on_check=_counting_check(seen=seen),
    )  # fmt: skip
    assert seen == [(6, [2, 4]), (8, [2, 4, 6])]
    assert [c["step"] for c in second["checks"]] == [2, 4, 6, 8]
    log = [json.loads(line) for line in (tmp_path / "split" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r.get("event") == "check"] == [2, 4, 6, 8]
    train(ModelConfig.preset("tiny"), cfg, tmp_path / "whole", progress=False, check_every=2,
          on_check=_counting_check())  # fmt: skip
    assert _same_parameters(load_model(tmp_path / "split")[0], load_model(tmp_path / "whole")[0])


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_a_bad_check_interval_is_refused(tmp_path, bad):
    with pytest.raises(ValueError, match="check_every"):
        train(ModelConfig.preset("tiny"), _quick(), tmp_path / "run", progress=False, check_every=bad)
