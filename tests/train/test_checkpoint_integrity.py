"""Checkpoint format 2 (issue 18, crash safety): weights in safetensors (no pickle), the rest loaded with
``torch.load(weights_only=True)``, checksums that catch a damaged file, and the previous checkpoint used
when the latest one is damaged or a save was cut short at any point."""

import hashlib
import json
import warnings

import pytest
import torch
from safetensors.torch import load_file

from posenc.model import ModelConfig, TinyLM
from posenc.train import checkpoint as ckpt
from posenc.train.checkpoint import (
    CheckpointFallback,
    checkpoint_files,
    load_checkpoint,
    load_model,
    save_checkpoint,
)


def _model(seed: int) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM(ModelConfig.preset("tiny"))


def _save(path, seed: int, step: int):
    model = _model(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randint(0, 256, (1, 8)), torch.randint(0, 256, (1, 8)))[1].backward()
    optimizer.step()
    save_checkpoint(
        path, model=model, model_config=model.config.to_dict(), step=step, optimizer=optimizer, metrics={}
    )
    return model


def _same_weights(state, model) -> bool:
    return all(torch.equal(state["model"][k], v) for k, v in model.state_dict().items())


def _flip_a_byte(path, offset_from_end: int = 100):
    data = bytearray(path.read_bytes())
    data[-offset_from_end] ^= 0xFF
    path.write_bytes(bytes(data))


def test_weights_are_safetensors_and_the_state_holds_no_weights(tmp_path):
    model = _save(tmp_path / "checkpoint.pt", seed=0, step=3)
    weights = load_file(tmp_path / "checkpoint.safetensors")  # plain safetensors: no pickle anywhere
    assert set(weights) | {"lm_head.weight"} == set(model.state_dict())  # the tied head is stored once
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert "model" not in state and state["version"] == 2
    assert (
        state["model_sha256"]
        == hashlib.sha256((tmp_path / "checkpoint.safetensors").read_bytes()).hexdigest()
    )
    loaded, meta = load_model(tmp_path)
    assert loaded.lm_head.weight is loaded.tok_emb.weight and meta["step"] == 3


def test_a_second_save_keeps_the_first_as_the_previous_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.pt"
    _save(path, seed=0, step=1)
    _save(path, seed=1, step=2)
    assert [p.exists() for p in checkpoint_files(path)] == [True, True, True, True]
    assert load_checkpoint(ckpt.previous_path(path))["step"] == 1


@pytest.mark.parametrize("damaged", ["checkpoint.safetensors", "checkpoint.pt"])
def test_a_damaged_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, damaged):
    path = tmp_path / "checkpoint.pt"
    first = _save(path, seed=0, step=1)
    _save(path, seed=1, step=2)
    _flip_a_byte(tmp_path / damaged)
    with pytest.warns(
        CheckpointFallback, match=r"using the previous checkpoint .*checkpoint.prev.pt.*step 1"
    ):
        state = load_checkpoint(path)
    assert state["step"] == 1 and _same_weights(state, first)


def test_a_damaged_checkpoint_without_a_previous_one_is_a_clear_error(tmp_path):
    path = tmp_path / "checkpoint.pt"
    _save(path, seed=0, step=1)
    _flip_a_byte(tmp_path / "checkpoint.safetensors")
    with pytest.raises(ValueError, match=r"checkpoint.pt.*weights .*fail their checksum"):
        load_checkpoint(path)


def test_a_changed_optimizer_moment_fails_the_state_checksum(tmp_path):
    path = tmp_path / "checkpoint.pt"
    _save(path, seed=0, step=1)
    state = torch.load(path, weights_only=True)
    state["optimizer"]["state"][0]["exp_avg"] += 1.0  # a silent change that still loads
    torch.save(state, path)
    with pytest.raises(ValueError, match="fails its checksum"):
        load_checkpoint(path)


@pytest.mark.parametrize("cut_after_writes", [0, 1])
def test_a_save_cut_short_at_any_point_leaves_a_consistent_checkpoint(
    tmp_path, monkeypatch, cut_after_writes
):
    """Kill points of a save: after the current pair became the previous one, after the new weights."""
    path = tmp_path / "checkpoint.pt"
    first = _save(path, seed=0, step=1)
    writes = []
    real = ckpt.atomic_write

    def dying_write(target, write):
        if len(writes) == cut_after_writes:
            raise KeyboardInterrupt("killed")
        writes.append(target)
        return real(target, write)

    monkeypatch.setattr(ckpt, "atomic_write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        _save(path, seed=1, step=2)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the latest state is intact: no fallback needed
        state = load_checkpoint(path)
    assert state["step"] == 1 and _same_weights(state, first)


def test_version_1_checkpoints_of_posenc_0_1_0_still_load(tmp_path):
    model = _model(0)
    torch.save(
        {
            "format": "posenc-checkpoint",
            "version": 1,
            "step": 4,
            "model": model.state_dict(),
            "model_config": model.config.to_dict(),
        },
        tmp_path / "checkpoint.pt",
    )
    loaded, meta = load_model(tmp_path)
    assert meta["step"] == 4 and torch.equal(loaded.tok_emb.weight, model.tok_emb.weight)


def test_the_safetensors_header_names_the_step_and_the_tied_weight(tmp_path):
    _save(tmp_path / "checkpoint.pt", seed=0, step=9)
    data = (tmp_path / "checkpoint.safetensors").read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])["__metadata__"]
    assert header["format"] == "posenc-weights" and header["step"] == "9"
    assert json.loads(header["aliases"]) == {"lm_head.weight": "tok_emb.weight"}
