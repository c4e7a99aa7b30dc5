"""Checkpoints and run folders: atomic writes, safe loads, and ``load_model``.

A run folder holds three files:

    RUN/config.json     the model and train configs (for people; the checkpoint holds them too)
    RUN/checkpoint.pt   the latest checkpoint (one file, replaced atomically)
    RUN/log.jsonl       one JSON object per line: progress, held-out losses, start/stop events

A checkpoint is a plain dict of tensors and Python primitives, read back with
``torch.load(..., weights_only=True)`` only — no pickled code is ever executed:

    format "posenc-checkpoint", version 1, step (optimizer steps done; since batches are a
    function of the step, it is also the data position), model (state dict), optimizer
    (state dict), rng (torch CPU / CUDA and Python ``random`` states), model_config,
    train_config (dicts), world_size, metrics (losses at that step), torch_version.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import torch
from torch import nn

from posenc.atomic import atomic_write

CHECKPOINT_FORMAT = "posenc-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_NAME = "checkpoint.pt"
CONFIG_NAME = "config.json"
LOG_NAME = "log.jsonl"
_REQUIRED = ("step", "model", "model_config")


def rng_state() -> dict[str, Any]:
    """The random number generators' states: torch CPU, every CUDA device (if used), Python."""
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved (CUDA states only when the device count matches)."""
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    cuda = state.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def save_checkpoint(
    path: str | Path,
    *,
    model: nn.Module,
    model_config: dict[str, Any],
    step: int,
    optimizer: torch.optim.Optimizer | None = None,
    train_config: dict[str, Any] | None = None,
    world_size: int = 1,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint of ``model`` (unwrapped: not DDP, not compiled) at ``step`` atomically.

    The RNG states are taken here. Returns the path written.
    """
    state = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "step": int(step),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "rng": rng_state(),
        "model_config": model_config,
        "train_config": train_config,
        "world_size": int(world_size),
        "metrics": metrics or {},
        "torch_version": str(torch.__version__),  # a plain str: TorchVersion is not weights-only safe
    }
    path = Path(path)
    atomic_write(path, lambda f: torch.save(state, f))
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` with ``torch.load(weights_only=True)``.

    Raises ``FileNotFoundError`` when ``path`` is missing and ``ValueError`` naming ``path`` when it is
    corrupt, truncated, not a posenc checkpoint, or from a newer format version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a truncated zip, random bytes, a pickle with code: all unreadable here
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        reason = next((line for line in lines if "Unsupported global" in line), lines[0] if lines else "")
        raise ValueError(
            f"checkpoint {str(path)!r} is corrupt or not a weights-only torch file "
            f"({type(err).__name__}: {reason})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is not a posenc checkpoint (no format {CHECKPOINT_FORMAT!r} entry)")
    if not isinstance(state.get("version"), int) or state["version"] > CHECKPOINT_VERSION:
        raise ValueError(
            f"checkpoint {str(path)!r} has format version {state.get('version')!r}; this posenc reads "
            f"versions up to {CHECKPOINT_VERSION}"
        )
    missing = [key for key in _REQUIRED if key not in state]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} lacks {', '.join(missing)}")
    return state


def checkpoint_path(run_dir_or_checkpoint: str | Path) -> Path:
    """RUN/checkpoint.pt for a run folder, or the path itself for a file."""
    path = Path(run_dir_or_checkpoint).expanduser()
    return path / CHECKPOINT_NAME if path.is_dir() else path


def load_model(run_dir: str | Path, device: str | torch.device = "cpu"):
    """Load a trained model from a run folder (RUN/checkpoint.pt) or a checkpoint file.

    Returns ``(model, meta)``: the ``TinyLM`` in eval mode on ``device``, and a dict with
    ``step``, ``model_config``, ``train_config``, ``world_size``, ``metrics`` and ``path``.
    Raises ``FileNotFoundError`` naming the path when there is no checkpoint.
    """
    from posenc.model import ModelConfig, TinyLM  # here, so posenc.train imports without the model

    path = checkpoint_path(run_dir)
    if not path.exists():
        raise FileNotFoundError(
            f"no checkpoint at {str(path)!r} (is {str(run_dir)!r} a training run folder?)"
        )
    state = load_checkpoint(path)
    config = ModelConfig.from_dict(state["model_config"])
    model = TinyLM(config)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise ValueError(f"checkpoint {str(path)!r} does not fit its own model config: {err}") from None
    model.to(device).eval()
    meta = {
        "step": state["step"],
        "model_config": state["model_config"],
        "train_config": state.get("train_config"),
        "world_size": state.get("world_size", 1),
        "metrics": state.get("metrics", {}),
        "path": str(path),
    }
    return model, meta


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; ``ValueError`` naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{str(path)!r} is not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{str(path)!r} does not hold a JSON object")
    return data
