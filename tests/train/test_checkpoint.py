import pickle

import pytest
import torch

from posenc.atomic import atomic_write_text
from posenc.model import ModelConfig, TinyLM
from posenc.train.checkpoint import load_checkpoint, load_model, save_checkpoint


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return TinyLM(ModelConfig.preset("tiny"))


def test_checkpoint_round_trips_model_optimizer_and_configs(tmp_path, tiny):
    opt = torch.optim.AdamW(tiny.parameters(), lr=1e-3)
    _, loss = tiny(torch.randint(0, 256, (2, 16)), torch.randint(0, 256, (2, 16)))
    loss.backward()
    opt.step()
    path = save_checkpoint(
        tmp_path / "checkpoint.pt",
        model=tiny,
        model_config=tiny.config.to_dict(),
        step=7,
        optimizer=opt,
        train_config={"steps": 9},
        metrics={"train_loss": 1.5},
    )
    state = load_checkpoint(path)
    assert (
        state["step"] == 7 and state["train_config"] == {"steps": 9} and state["metrics"]["train_loss"] == 1.5
    )
    assert all(torch.equal(state["model"][k], v) for k, v in tiny.state_dict().items())
    opt2 = torch.optim.AdamW(TinyLM(tiny.config).parameters(), lr=1e-3)
    opt2.load_state_dict(state["optimizer"])  # the optimizer state is complete
    assert {"torch", "python"} <= set(state["rng"])
    # the state and its weights (safetensors), no temp file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "checkpoint.safetensors"]


def test_load_model_rebuilds_the_saved_model(tmp_path, tiny):
    save_checkpoint(tmp_path / "checkpoint.pt", model=tiny, model_config=tiny.config.to_dict(), step=3)
    model, meta = load_model(tmp_path)
    assert meta["step"] == 3 and not model.training
    idx = torch.randint(0, 256, (1, 20))
    tiny.eval()
    assert torch.equal(model(idx)[0], tiny(idx)[0])


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "config.json"
    atomic_write_text(path, "old\n")

    def explode(f):
        f.write(b"half a fi")
        raise OSError("disk full")

    from posenc.atomic import atomic_write

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, explode)
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_model(tmp_path / "run")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt")


def test_truncated_checkpoint_is_a_clear_error_naming_the_file(tmp_path, tiny):
    path = save_checkpoint(tmp_path / "ck.pt", model=tiny, model_config=tiny.config.to_dict(), step=1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="ck.pt.*corrupt"):
        load_checkpoint(path)


def test_foreign_torch_file_is_refused(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    with pytest.raises(ValueError, match="weights.pt.*not a posenc checkpoint"):
        load_checkpoint(path)


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickle_with_code_is_refused_without_running_it(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "posenc-checkpoint", "payload": _Payload()}, f, protocol=2)
    with pytest.raises(ValueError, match="evil.pt"):
        load_checkpoint(path)
    assert "must never run" not in capsys.readouterr().out


def test_checkpoint_from_a_newer_format_is_refused(tmp_path):
    path = tmp_path / "future.pt"
    torch.save(
        {"format": "posenc-checkpoint", "version": 99, "step": 0, "model": {}, "model_config": {}}, path
    )
    with pytest.raises(ValueError, match="version 99"):
        load_checkpoint(path)
