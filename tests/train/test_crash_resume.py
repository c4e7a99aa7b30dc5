"""SIGKILL at random moments, resume each time: the finished run is bit-identical to an uninterrupted
one, with no temporary file left and a log of strict JSON (issue 18, crash safety)."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import torch

from posenc.data import stdlib_sources
from posenc.model import ModelConfig
from posenc.train import TrainConfig, train
from posenc.train.checkpoint import load_checkpoint

KILLS = int(os.environ.get("POSENC_CRASH_KILLS", "3"))  # a long run: POSENC_CRASH_KILLS=10
SETTINGS = {
    "steps": 20 * KILLS,
    "warmup_steps": 5,  # explicit: the CLI would shorten the default 100 on a run this short
    "batch_size": 4,
    "ckpt_every": 3,
    "log_every": 1,
    "eval_every": 0,
    "eval_windows": 2,
}


def _corpus(folder):
    folder.mkdir()
    for i, path in enumerate([p for p in stdlib_sources() if 4_000 < p.stat().st_size < 30_000][:16]):
        shutil.copy(path, folder / f"{i:02d}_{path.name}")
    return folder


def _last_step(log) -> int:
    steps = [0]
    for line in log.read_text().splitlines() if log.exists() else []:
        try:
            steps.append(int(json.loads(line).get("step", 0)))
        except (ValueError, AttributeError, TypeError):
            pass  # a line cut by the kill
    return max(steps)


def test_random_sigkills_then_resume_give_the_uninterrupted_run_bit_for_bit(tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    mcfg = ModelConfig.preset("tiny", max_seq_len=32)
    reference = train(
        mcfg, TrainConfig(**SETTINGS, corpus=str(corpus)), tmp_path / "reference", progress=False
    )

    run = tmp_path / "run"
    argv = [sys.executable, "-m", "posenc", "train", "--out", str(run), "--preset", "tiny", "--seq-len", "32"]
    argv += ["--corpus", str(corpus), "--no-progress"]
    argv += [f"--{key.replace('_', '-')}={value}" for key, value in SETTINGS.items()]
    rng = random.Random(18)
    kills = 0
    for attempt in range(KILLS):
        started = subprocess.Popen(argv + (["--resume"] if attempt else []), stdout=subprocess.DEVNULL)
        floor = _last_step(run / "log.jsonl")
        deadline = time.monotonic() + 120
        while (
            _last_step(run / "log.jsonl") < floor + 2
            and started.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)  # training has begun (and logged two steps) in this session
        time.sleep(rng.uniform(0.0, 0.4))  # then a kill at a random moment: mid-step, mid-checkpoint, ...
        if started.poll() is None:
            started.send_signal(signal.SIGKILL)
            kills += 1
        started.wait()
    finished = subprocess.run(argv + ["--resume"], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert kills >= 2, "the run finished before it could be killed: make it longer"

    got, want = (
        load_checkpoint(run / "checkpoint.pt"),
        load_checkpoint(tmp_path / "reference" / "checkpoint.pt"),
    )
    assert got["step"] == want["step"] == SETTINGS["steps"]
    assert all(torch.equal(got["model"][k], want["model"][k]) for k in want["model"])
    assert got["metrics"]["heldout_loss"] == reference["heldout_loss"]
    left = sorted(p.name for p in run.glob(".*.tmp"))
    assert not left, f"a temporary file of a killed write was left behind: {left}"
    for line in (run / "log.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))  # strict JSON
