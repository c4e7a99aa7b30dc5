"""One writer per run folder (issue 37): two ``posenc train`` into one folder at once mixed both runs in
log.jsonl (or one died in a rename race); two ``--resume`` at once duplicated every line. The second is
now refused in one line before it writes anything; a lock left by a killed run is taken over."""

import json
import signal
import subprocess
import sys
import time

import pytest

from posenc.model import ModelConfig
from posenc.train import TrainConfig, train
from posenc.train.checkpoint import LOCK_NAME, RunFolderLocked, RunLock, StaleLockTakenOver

MODEL = ModelConfig.preset("tiny", max_seq_len=32)
CFG = TrainConfig(steps=2, batch_size=2, eval_every=0, ckpt_every=0, eval_windows=2, log_every=1)
ARGS = ["--preset", "tiny", "--seq-len", "32", "--batch-size", "2", "--log-every", "1", "--warmup-steps", "0"]
ARGS += ["--eval-every", "0", "--ckpt-every", "0", "--eval-windows", "2", "--device", "cpu", "--no-progress"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _files(folder) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _start(run, *extra) -> subprocess.Popen:
    argv = [sys.executable, "-m", "posenc", "train", *ARGS, "--out", str(run), *extra]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_steps(log, count: int, proc) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and sum('"loss"' in line for line in log.read_text().splitlines()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the first run did not log {count} steps: {proc.poll()}")


@pytest.mark.parametrize("resume", [False, True])
def test_a_second_train_into_a_folder_in_use_is_refused_in_one_line(tmp_path, resume):
    run = tmp_path / "run"
    if resume:  # a run stopped after its first step, with the settings the command line gives
        cfg = TrainConfig(**{**CFG.to_dict(), "steps": 100000, "warmup_steps": 0})
        train(MODEL, cfg, run, progress=False, stop_at=1)
    first = _start(run, "--steps", "100000", *(["--resume"] if resume else []))
    try:
        _wait_for_steps(run / "log.jsonl", 3, first)
        second = subprocess.run(
            [sys.executable, "-m", "posenc", "train", *ARGS, "--steps", "100000", "--out", str(run)]
            + (["--resume"] if resume else []),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        first.send_signal(signal.SIGINT)  # the first run saves a checkpoint and stops
        first.communicate(timeout=120)
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "being written by another posenc train" in lines[0], second.stderr
    assert f"PID {first.pid}" in lines[0] and "nothing was written" in lines[0]
    assert first.returncode == 130
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if "loss" in r]
    assert steps == sorted(set(steps)), "two runs wrote the log"
    assert sum(r.get("event") in ("start", "resume") for r in records) == 1 + resume
    assert not (run / LOCK_NAME).exists()


def test_a_held_lock_refuses_train_before_anything_is_written(tmp_path):
    run = tmp_path / "run"
    train(MODEL, CFG, run, progress=False, stop_at=1)
    before = _files(run)
    with RunLock(run):
        with pytest.raises(RunFolderLocked, match="being written by another posenc train"):
            train(MODEL, CFG, run, resume=True, progress=False)
        assert {k: v for k, v in _files(run).items() if k != LOCK_NAME} == before
    assert _files(run) == before  # released: the lock file is gone


def test_a_lock_of_a_dead_process_is_taken_over_saying_so(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_NAME).write_text(f"{_dead_pid()}\n")
    with pytest.warns(StaleLockTakenOver, match="no longer running"):
        summary = train(MODEL, CFG, run, progress=False)
    assert summary["step"] == 2 and not (run / LOCK_NAME).exists()


def test_a_flock_kept_by_a_leftover_child_of_a_dead_run_is_taken_over(tmp_path):
    """A child that inherited the dead run's lock (fork) keeps the flock: the PID decides."""
    run = tmp_path / "run"
    run.mkdir()
    lock = run / LOCK_NAME
    lock.write_text(f"{_dead_pid()}\n")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.warns(StaleLockTakenOver):
            assert train(MODEL, CFG, run, progress=False)["step"] == 2
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_released_on_an_exception_and_leaves_no_empty_folder(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(FileNotFoundError, match="missing_corpus"):
        train(MODEL, TrainConfig(corpus=str(tmp_path / "missing_corpus")), run, progress=False)
    assert not run.exists()
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    with pytest.raises(FileNotFoundError):
        train(MODEL, TrainConfig(corpus=str(tmp_path / "missing_corpus")), run, progress=False)
    assert _files(run) == {"notes.txt": b"mine"}  # a folder that was there stays, the lock is gone
