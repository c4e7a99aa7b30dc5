"""The weights' checksum (issue 37): ``model_sha256`` differed between identical runs (safetensors wrote
its metadata in hash-map order), and checking it read the whole weights file into memory."""

import hashlib
import os
import tracemalloc

import pytest
import torch

from posenc.model import ModelConfig, TinyLM
from posenc.train import TrainConfig, train
from posenc.train.checkpoint import load_checkpoint, save_checkpoint, weights_bytes


def test_the_same_weights_give_the_same_bytes_every_time():
    torch.manual_seed(0)
    state = TinyLM(ModelConfig.preset("tiny")).state_dict()
    hashes = {hashlib.sha256(weights_bytes(state, step=7)).hexdigest() for _ in range(20)}
    assert len(hashes) == 1


def test_two_identical_runs_give_the_same_model_sha256(tmp_path):
    mcfg = ModelConfig.preset("tiny", max_seq_len=32)
    cfg = TrainConfig(steps=2, batch_size=2, warmup_steps=0, eval_every=0, ckpt_every=0, eval_windows=2)
    hashes = set()
    for name in ("a", "b", "c"):
        train(mcfg, cfg, tmp_path / name, progress=False)
        state = torch.load(tmp_path / name / "checkpoint.pt", weights_only=True)
        assert (
            state["model_sha256"]
            == hashlib.sha256((tmp_path / name / "checkpoint.safetensors").read_bytes()).hexdigest()
        )
        hashes.add(state["model_sha256"])
    assert len(hashes) == 1


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = TinyLM(ModelConfig.preset("tiny"))
    save_checkpoint(tmp_path / "checkpoint.pt", model=model, model_config=model.config.to_dict(), step=1)
    return tmp_path / "checkpoint.pt", model


def test_the_weights_are_checked_without_reading_the_whole_file_at_once(saved, monkeypatch):
    path, model = saved
    real = type(path).read_bytes

    def refuse_weights(self):
        assert self.suffix != ".safetensors", "the whole weights file was read into memory"
        return real(self)

    monkeypatch.setattr(type(path), "read_bytes", refuse_weights)
    state = load_checkpoint(path)
    assert all(torch.equal(state["model"][k], v) for k, v in model.state_dict().items())


def test_a_huge_weights_file_is_refused_in_little_memory(saved):
    path, _ = saved
    weights = path.with_suffix(".safetensors")
    with open(weights, "r+b") as f:
        f.truncate(256 * 2**20)  # a sparse 256 MiB file: its checksum fails
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="fail their checksum"):
            load_checkpoint(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, peak
    assert os.path.getsize(weights) == 256 * 2**20
