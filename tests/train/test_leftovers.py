"""Leftovers and misleading advice (issue 18): a killed write's temporary file is removed by the next
write, results follow the umask, and a corrupt checkpoint's error never suggests an unsafe load."""

import os
import pickle
import signal
import subprocess
import sys

import pytest
import torch

from posenc.atomic import atomic_write_text, remove_stale_temporaries
from posenc.model import ModelConfig, TinyLM
from posenc.train import TrainConfig, train
from posenc.train.checkpoint import load_checkpoint, save_checkpoint

KILLED_WRITER = """
import sys, time
from posenc.atomic import atomic_write

def write(f):
    f.write(b"half a checkpoint")
    f.flush()
    print("writing", flush=True)
    time.sleep(600)

atomic_write(sys.argv[1], write)
"""


def _kill_mid_write(path) -> list:
    """Start a writer of ``path``, SIGKILL it in the middle of the write; the temporaries it left."""
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"writing\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def test_the_temporary_of_a_killed_write_is_removed_by_the_next_write(tmp_path):
    path = tmp_path / "checkpoint.pt"
    left = _kill_mid_write(path)
    assert len(left) == 1 and not path.exists()  # the kill left half a file, and no target
    atomic_write_text(path, "whole\n")
    assert path.read_text() == "whole\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]


def test_train_resume_sweeps_the_run_folder_even_with_nothing_left_to_write(tmp_path):
    run = tmp_path / "run"
    cfg = TrainConfig(steps=2, batch_size=2, eval_windows=2, log_every=1)
    mcfg = ModelConfig.preset("tiny", max_seq_len=32)
    train(mcfg, cfg, run, progress=False)
    left = [*_kill_mid_write(run / "checkpoint.pt"), *_kill_mid_write(run / "config.json")]
    assert len(left) == 2
    train(mcfg, cfg, run, resume=True, progress=False)  # finished: resumes to nothing, writes no checkpoint
    assert sorted(p.name for p in run.iterdir()) == [
        "checkpoint.pt",
        "checkpoint.safetensors",
        "config.json",
        "log.jsonl",
    ]


def test_a_live_writers_temporary_and_unrelated_files_are_kept(tmp_path):
    mine = tmp_path / f".results.json.{os.getpid()}.abc123.tmp"  # this process: alive
    legacy = tmp_path / ".results.json.k2j3x9.tmp"  # posenc 0.1.0 named no PID: only age removes it
    other = tmp_path / ".notes.1.x.tmp"  # another file's
    for path in (mine, legacy, other):
        path.write_text("x")
    assert remove_stale_temporaries(tmp_path, ["results.json"]) == []
    old = 3 * 24 * 3600
    os.utime(legacy, (legacy.stat().st_atime - old, legacy.stat().st_mtime - old))
    assert remove_stale_temporaries(tmp_path, ["results.json"]) == [legacy]
    assert mine.exists() and other.exists()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_are_written_with_the_mode_the_umask_gives(tmp_path, umask, mode):
    """Issue 18: every result was 0600 whatever the umask (tempfile.mkstemp's mode)."""
    old = os.umask(umask)
    try:
        path = atomic_write_text(tmp_path / "results.json", "{}\n")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def _evil(path):
    with open(path, "wb") as f:
        pickle.dump({"format": "posenc-checkpoint", "payload": _Payload()}, f, protocol=2)


def _truncated(path):
    torch.manual_seed(0)
    model = TinyLM(ModelConfig.preset("tiny"))
    save_checkpoint(path, model=model, model_config=model.config.to_dict(), step=1)
    path.write_bytes(path.read_bytes()[:5000])


def _random_bytes(path):
    path.write_bytes(bytes(range(256)) * 40)


def _zip_with_code(path):
    torch.save({"format": "posenc-checkpoint", "payload": _Payload()}, path)  # a torch zip with a global


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_evil, "not written by posenc"),
        (_zip_with_code, "not written by posenc"),
        (_truncated, "corrupt, truncated"),
        (_random_bytes, "corrupt, truncated"),
        (lambda path: path.write_bytes(b""), "the file is empty"),
    ],
)
def test_corrupt_checkpoint_errors_never_suggest_an_unsafe_load(tmp_path, capsys, make, words):
    path = tmp_path / "checkpoint.pt"
    make(path)
    with pytest.raises(ValueError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "checkpoint.pt" in message and words in message, message
    for advice in ("weights_only", "safe_globals", "allowlist", "trust"):
        assert advice not in message, message
    assert "must never run" not in capsys.readouterr().out


def test_keeping_the_previous_checkpoint_leaves_no_link_when_both_names_are_one_file(tmp_path):
    """A kill after the current checkpoint was linked as the previous one, before the new state replaced
    it, leaves checkpoint.pt and checkpoint.prev.pt as two names of one file. Renaming a third name of a
    file onto another of its names does nothing (POSIX rename), so the next save's link temporary stayed
    behind (a CI run of test_crash_resume found one); it must be removed."""
    model = TinyLM(ModelConfig.preset("tiny", max_seq_len=16))
    config = model.config.to_dict()
    path = save_checkpoint(tmp_path / "checkpoint.pt", model=model, model_config=config, step=1)
    os.link(path, tmp_path / "checkpoint.prev.pt")  # the state the kill left: one file, two names
    save_checkpoint(path, model=model, model_config=config, step=2)
    assert not sorted(p.name for p in tmp_path.glob(".*.tmp"))
    assert load_checkpoint(path)["step"] == 2
    assert torch.load(tmp_path / "checkpoint.prev.pt", weights_only=False)["step"] == 1
