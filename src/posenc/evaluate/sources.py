"""What ``posenc eval MODEL`` evaluates: MODEL resolved, in this one function, to its kind.

    resolve_model("runs/rope")                  -> ModelSource("run", "runs/rope")
    resolve_model("~/models/SmolLM2-135M")      -> ModelSource("hf", ...)   a folder with config.json
    resolve_model("HuggingFaceTB/SmolLM2-135M") -> ModelSource("hf", ...)   a hub id (local cache)
    resolve_model("out/pretrain_768.pth")       -> ModelSource("minimind", ...)   a MiniMind state dict
    resolve_model("MiniMind2")                  -> ModelSource("minimind", ...)   MiniMind's own export

A folder with ``checkpoint.pt`` is a posenc run; a folder with ``config.json`` a Hugging Face model,
unless that config says ``model_type: minimind`` (MiniMind's "Transformers-MiniMind" export, read as a
MiniMind checkpoint without running its code); a ``.pth`` / ``.pt`` / ``.bin`` file a MiniMind
checkpoint. A name that is no path here but looks like a hub id (``owner/name``, with no folder
``owner`` here) is handed to transformers, which finds it in the local cache (or downloads it with
``--allow-download``). Anything else is treated as a run folder, whose checks say what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
STATE_DICT_SUFFIXES = (".pth", ".pt", ".bin")


def minimind_config(folder: Path) -> dict:
    """``folder``'s config.json when it is MiniMind's (``model_type: minimind``: its rope_theta,
    rms_norm_eps, MoE top-k), else {}; a config that cannot be read is left to the loader. The one reader
    of it, for :func:`resolve_model` (an export folder) and for a ``.pth``'s folder (its defaults)."""
    import json

    try:
        with open(Path(folder) / "config.json", encoding="utf-8") as f:
            config = json.loads(f.read(1 << 20))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) and config.get("model_type") == "minimind" else {}


@dataclass(frozen=True)
class ModelSource:
    """``kind``: "run" (a posenc run folder), "hf" (a Hugging Face folder or hub id) or "minimind"."""

    kind: str
    location: str


def resolve_model(arg: str) -> ModelSource:
    """MODEL -> its kind and location (see the module docstring); ``ValueError`` for an empty name."""
    if not isinstance(arg, str) or not arg.strip():
        raise ValueError(
            "MODEL is empty: give a posenc run folder, a Hugging Face model folder or a MiniMind .pth"
        )
    path = Path(arg).expanduser()
    if path.is_dir():
        if (path / "checkpoint.pt").is_file():
            return ModelSource("run", arg)
        if (path / "config.json").is_file():
            return ModelSource("minimind" if minimind_config(path) else "hf", str(path))
        raise FileNotFoundError(
            f"{arg!r} holds neither checkpoint.pt (a posenc run: posenc train) nor config.json "
            "(a Hugging Face model folder)"
        )
    if path.is_file():
        if path.suffix in STATE_DICT_SUFFIXES:
            return ModelSource("minimind", str(path))
        raise ValueError(
            f"{arg!r} is a file but not a MiniMind checkpoint (.pth); MODEL is a run folder, "
            "a Hugging Face model folder, or a MiniMind .pth"
        )
    # "runs/rope" mistyped is a missing run when a folder "runs" is here, not a hub id
    if _HUB_ID.match(arg) and not arg.startswith((".", "~")) and not path.parent.is_dir():
        return ModelSource("hf", arg)
    from posenc.evaluate.shipped import resolve_run

    # a shipped model's name -> its run folder in the cache; any other text is a run whose checks name
    # what is missing
    return ModelSource("run", str(resolve_run(arg)))
