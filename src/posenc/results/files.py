"""Results as files: a JSON file written atomically, an output folder made (or refused) up front."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from posenc.atomic import atomic_write_text
from posenc.results.jsonsafe import to_jsonable


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (:func:`~posenc.results.jsonsafe.to_jsonable` first): temp file
    in the same folder, then ``os.replace``."""
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


__all__ = ["prepare_out_dir", "write_json_atomic"]
