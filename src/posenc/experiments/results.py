"""Writing an experiment's results: ``results.json`` (atomic) and progress reports.

Every experiment's ``run(out_dir, quick=False, progress=None) -> dict`` returns the same dict it
writes to ``out_dir/results.json``. The layout is shared so the web lab can read any of them:

    {
      "experiment": "2",              # the name used on the command line (`posenc exp 2`)
      "title": "RoPE basics",
      "quick": false,                 # --quick: smaller sizes, same claims
      "settings": {...},              # the inputs: seeds, sizes, bases
      "numbers": {...},               # the measured values the explanation quotes
      "plots": ["rotations.png", "rotations.svg", ...]   # files beside results.json
    }
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from posenc.atomic import atomic_write_text

#: progress callback: ``progress(fraction_done in [0, 1], short message)``; the CLI shows a bar
Progress = Callable[[float, str], None]


def report(progress: Progress | None, fraction: float, message: str) -> None:
    """Call ``progress`` if one was given (experiments run silently for the web lab otherwise)."""
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0), message)


def to_jsonable(value: Any) -> Any:
    """Tensors, numpy values, tuples and paths -> plain JSON types; non-finite floats -> None."""
    if isinstance(value, torch.Tensor):
        return to_jsonable(value.detach().cpu().tolist())
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays and scalars
        return to_jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON: temp file in the same folder, then ``os.replace``."""
    path = Path(path)
    atomic_write_text(path, json.dumps(to_jsonable(data), indent=2) + "\n")
    return path


def prepare_out_dir(out_dir: str | Path) -> Path:
    """Create ``out_dir`` (and parents); a path that exists as a file is a clear error."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def finish(
    out_dir: Path,
    *,
    experiment: str,
    title: str,
    quick: bool,
    settings: dict,
    numbers: dict,
    plots: list[str],
) -> dict:
    """Assemble the shared results dict, write ``out_dir/results.json`` atomically, return the dict."""
    results = to_jsonable(
        {
            "experiment": experiment,
            "title": title,
            "quick": quick,
            "settings": settings,
            "numbers": numbers,
            "plots": plots,
        }
    )
    write_json_atomic(out_dir / "results.json", results)
    return results
