"""The shipped trained models: their manifest, their names and their checksums (torch-free).

``study-cpu-default/models/manifest.json`` (written by ``posenc.evaluate.shipped.ship``)::

    {"format": "posenc-shipped/1",
     "study": "study-cpu-default",
     "made_by": {"preset": "default", "seeds": [0], "steps": 400, "retrieval_steps": 2000,
                 "train_length": 64, "results": "results.json", "results_sha256": "...",
                 "started": "...", "posenc": "0.1.0", "torch": "2.13.0+cpu"},
     "dtype": "float16",
     "models": {"rope-1e4-s0": {"file": "rope-1e4-s0.safetensors", "sha256": "...", "bytes": 1640000,
                                "study_name": "rope-1e4", "seed": 0, "step": 400,
                                "model_config": {...}, "train_config": {...}, "metrics": {...}}, ...}}

A model is asked for by its run name ("rope-1e4-s0") or its study name ("rope-1e4", "alibi-passkey":
the lowest seed). :func:`verified_file` checks a file's SHA-256 against the manifest before anything
reads it: a damaged or edited file is refused with one line naming it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from posenc.atomic import file_sha256
from posenc.reference import MODELS_STUDY, study_folder

MANIFEST_FORMAT = "posenc-shipped/1"
MODELS_DIR = "models"
MANIFEST_NAME = "manifest.json"
#: the suffix of a retrieval-arm model's study name (posenc.study.runs.RETRIEVAL_SUFFIX says the same;
#: a test keeps the two equal, this layer sits below the study)
RETRIEVAL_SUFFIX = "-passkey"


class ShippedModelError(ValueError):
    """A shipped model that cannot be used: unknown name, missing or damaged file (one line)."""


@dataclass(frozen=True)
class ShippedModel:
    """One entry of the manifest."""

    run: str  # "rope-1e4-s0"
    study_name: str  # "rope-1e4"
    seed: int
    file: Path
    sha256: str
    step: int
    model_config: dict[str, Any]
    train_config: dict[str, Any]
    metrics: dict[str, Any]

    @property
    def retrieval(self) -> bool:
        """Trained on passkey trials (the study's retrieval arm)."""
        return self.study_name.endswith(RETRIEVAL_SUFFIX)


def models_dir() -> Path:
    return study_folder(MODELS_STUDY) / MODELS_DIR


def manifest_path() -> Path:
    return models_dir() / MANIFEST_NAME


@cache
def _manifest(path: str, mtime_ns: int) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ShippedModelError(f"{path} is not a {MANIFEST_FORMAT} manifest; reinstall posenc")
    return data


def manifest() -> dict[str, Any] | None:
    """The manifest, or None when this install ships no models."""
    path = manifest_path()
    try:
        return _manifest(str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


def shipped_models() -> dict[str, ShippedModel]:
    """Run name -> model, in the manifest's order; empty when no models ship."""
    data = manifest()
    if data is None:
        return {}
    folder = models_dir()
    return {
        run: ShippedModel(
            run=run,
            study_name=str(entry["study_name"]),
            seed=int(entry["seed"]),
            file=folder / str(entry["file"]),
            sha256=str(entry["sha256"]),
            step=int(entry["step"]),
            model_config=dict(entry["model_config"]),
            train_config=dict(entry.get("train_config") or {}),
            metrics=dict(entry.get("metrics") or {}),
        )
        for run, entry in data["models"].items()
    }


def names() -> list[str]:
    """The study names a user may type ("rope-1e4", "alibi-passkey"), in the manifest's order."""
    return list(dict.fromkeys(m.study_name for m in shipped_models().values()))


def find(name: str) -> ShippedModel | None:
    """The shipped model called ``name`` (run name, or study name: its lowest seed); None if none is."""
    models = shipped_models()
    if name in models:
        return models[name]
    seeds = sorted((m for m in models.values() if m.study_name == name), key=lambda m: m.seed)
    return seeds[0] if seeds else None


def get(name: str) -> ShippedModel:
    """:func:`find`, or :class:`ShippedModelError` listing the names there are."""
    model = find(name)
    if model is None:
        known = ", ".join(names()) or "none (this install ships no trained models)"
        raise ShippedModelError(f"no shipped model {name[:60]!r}; the shipped models: {known}")
    return model



def verified_file(model: ShippedModel) -> Path:
    """The model's weights file once its SHA-256 matches the manifest; :class:`ShippedModelError` (one
    line naming the file) when it is missing or differs."""
    try:
        actual = file_sha256(model.file)
    except FileNotFoundError:
        raise ShippedModelError(
            f"shipped model {model.run}: its weights {model.file} are missing; reinstall posenc"
        ) from None
    if actual != model.sha256:
        raise ShippedModelError(
            f"shipped model {model.run}: {model.file.name} fails its checksum (SHA-256 {actual[:12]}…, the "
            f"manifest says {model.sha256[:12]}…): the file is damaged or was changed; reinstall posenc"
        )
    return model.file


# ----------------------------------------------------------------------------- run folders in the cache
def cache_root() -> Path:
    """Where shipped models are laid out as run folders for the code that reads run folders
    (``posenc eval NAME`` writes its eval.json there; the package's folder may be read-only):
    ``$POSENC_CACHE_DIR/shipped``, else ``$XDG_CACHE_HOME/posenc/shipped``, else ``~/.cache/posenc/shipped``.
    """
    if os.environ.get("POSENC_CACHE_DIR"):
        return Path(os.environ["POSENC_CACHE_DIR"]).expanduser() / "shipped"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "posenc" / "shipped"


def folder_of(model: ShippedModel) -> Path:
    """The cache run folder of ``model``, named by the checksum of its weights (a new version of the
    weights gets a new folder); made by ``posenc.evaluate.shipped.run_folder``, not here."""
    return cache_root() / model.sha256[:16] / model.run


__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "MODELS_DIR",
    "cache_root",
    "folder_of",
    "ShippedModel",
    "ShippedModelError",
    "find",
    "get",
    "manifest",
    "manifest_path",
    "models_dir",
    "names",
    "shipped_models",
    "verified_file",
]
