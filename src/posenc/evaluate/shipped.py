"""The trained models shipped with posenc, by name: loaded, laid out as run folders, and shipped.

    model, meta = load("rope-1e4")          # float32 TinyLM from the shipped float16 weights, checked
    folder = run_folder("alibi-passkey")    # a run folder (checkpoint.pt + config.json) in the cache
    folder = resolve_run("alibi")           # what `posenc eval RUN` / `posenc generate RUN` call:
                                            # an existing folder as it is, else a shipped model's folder
    ship("/path/to/study-out")              # tools/ship_reference.py: a study's output into the package

The weights ship as float16 safetensors (half the bytes of float32; a default-preset model's largest
weight error is about 1e-3 of its size) and are loaded into float32 models: every computation runs
exactly as on a trained run. The manifest and its checksums are :mod:`posenc.reference.models`.

A run folder is what ``posenc eval`` reads and writes (its eval.json): the shipped folder inside the
package may be read-only, so :func:`run_folder` writes one per model into the user's cache
(``posenc.reference.models.cache_root``), once per version of its weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from posenc.atomic import atomic_write, atomic_write_text, file_sha256
from posenc.reference import MODELS_STUDY, root
from posenc.reference import models as manifest_models
from posenc.reference.models import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MODELS_DIR,
    ShippedModel,
    ShippedModelError,
    folder_of,
)

#: the study roles that ship: one language model per encoding and its retrieval-arm model
SHIPPED_ROLES = ("encoding", "retrieval")
SHIPPED_DTYPE = torch.float16
#: what a study folder gives the package besides its models (and the plots its results.json lists)
STUDY_FILES = ("results.json", "report.md", "replicate.json")  # replicate.json: when it was compared
_MARK = "shipped.json"  # in a cache run folder: which shipped weights it was made from


# ----------------------------------------------------------------------------- loading
def _read_weights(model: ShippedModel) -> dict[str, torch.Tensor]:
    path = manifest_models.verified_file(model)
    try:
        with safe_open(path, framework="pt", device="cpu") as f:
            tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118
            aliases = json.loads((f.metadata() or {}).get("aliases") or "{}")
    except (SafetensorError, ValueError, OSError) as err:
        raise ShippedModelError(f"shipped model {model.run}: {path.name} is unreadable ({err})") from None
    for name, target in aliases.items():
        tensors[name] = tensors[target]  # a tied weight stored once
    return tensors


def load(name: str, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, dict[str, Any]]:
    """(model, meta) of shipped model ``name`` ("rope-1e4", "alibi-passkey", "rope-1e4-s0"), as
    ``posenc.train.checkpoint.load_model`` returns them: a float32 ``TinyLM`` in eval mode and its
    ``step``, ``model_config``, ``train_config``, ``metrics``, ``path``, ``model_sha256``.
    :class:`ShippedModelError` (one line) for an unknown name or a file that fails its checksum."""
    from posenc.model import ModelConfig, TinyLM
    from posenc.train.checkpoint import model_fingerprint

    entry = manifest_models.get(name)
    tensors = _read_weights(entry)
    model = TinyLM(ModelConfig.from_dict(entry.model_config))  # float32
    try:
        model.load_state_dict(tensors)  # copy_ casts float16 -> float32
    except RuntimeError as err:
        raise ShippedModelError(f"shipped model {entry.run} does not fit its config: {err}") from None
    model.to(device).eval()
    meta = {
        "step": entry.step,
        "model_config": entry.model_config,
        "train_config": entry.train_config,
        "world_size": 1,
        "metrics": entry.metrics,
        "path": str(entry.file),
        "model_sha256": model_fingerprint(model.state_dict(), entry.model_config),
        "shipped": entry.run,
    }
    return model, meta


# ----------------------------------------------------------------------------- run folders
def run_folder(name: str) -> Path:
    """A run folder of shipped model ``name`` (checkpoint.pt in float32, config.json), made in the cache
    the first time and reused after; the weights are checked against the manifest either way."""
    from posenc.train.checkpoint import CHECKPOINT_NAME, CONFIG_NAME, save_checkpoint

    entry = manifest_models.get(name)
    folder = folder_of(entry)
    mark = folder / _MARK
    try:
        made = json.loads(mark.read_text(encoding="utf-8")).get("sha256") == entry.sha256
    except (OSError, ValueError, AttributeError):
        made = False
    if made and (folder / CHECKPOINT_NAME).is_file():
        manifest_models.verified_file(entry)  # the package's file is still the one the folder came from
        return folder
    model, _ = load(entry.run)
    configs = {"model": entry.model_config, "train": entry.train_config}
    atomic_write_text(folder / CONFIG_NAME, json.dumps(configs, indent=2) + "\n")
    save_checkpoint(
        folder / CHECKPOINT_NAME,
        model=model,
        model_config=entry.model_config,
        step=entry.step,
        train_config=entry.train_config,
        metrics=entry.metrics,
        keep_previous=False,
    )
    atomic_write_text(mark, json.dumps({"run": entry.run, "sha256": entry.sha256}) + "\n")
    return folder


def resolve_run(run: str | Path) -> Path | str:
    """RUN as ``posenc eval`` and ``posenc generate`` take it: an existing path unchanged; the name of a
    shipped model ("rope-1e4", "alibi-passkey") -> its run folder (:func:`run_folder`); a path-like text
    (with a separator) unchanged, so the caller's own check names it; any other name: one-line
    ``FileNotFoundError`` listing the shipped names. One call, for any front end that takes a RUN."""
    text = str(run)
    if not text.strip() or Path(text).expanduser().exists() or "/" in text or os.sep in text:
        return run
    if manifest_models.find(text) is None:
        known = ", ".join(manifest_models.names()) or "none in this install"
        raise FileNotFoundError(
            f"RUN {text[:60]!r} is neither a run folder nor a shipped model (shipped: {known})"
        )
    return run_folder(text)


# ----------------------------------------------------------------------------- shipping
def _study_results(study_out: Path) -> dict[str, Any]:
    path = study_out / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShippedModelError(f"{study_out} has no results.json: is the study finished?") from None
    if not isinstance(results, dict) or "runs" not in results:
        raise ShippedModelError(f"{path} is not a study's results.json")
    return results


def fp16_bytes(state: dict[str, Any]) -> tuple[bytes, float]:
    """(safetensors bytes of a checkpoint's model with its floating-point parameters in float16, the
    largest relative weight error |w16 − w| / max|w| over the tensors)."""
    from posenc.model import ModelConfig, TinyLM
    from posenc.train.checkpoint import weights_bytes

    model = TinyLM(ModelConfig.from_dict(state["model_config"]))
    model.load_state_dict(state["model"])
    worst = 0.0
    with torch.no_grad():
        for param in model.parameters():  # parameters only: buffers (tables, slopes) are not weights
            half = param.data.to(SHIPPED_DTYPE)
            scale = float(param.data.abs().max()) or 1.0
            worst = max(worst, float((half.float() - param.data).abs().max()) / scale)
            param.data = half
    return weights_bytes(model.state_dict(), int(state["step"])), worst


def _copy_results(study_out: Path, target: Path, results: dict[str, Any]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for file in [*STUDY_FILES, *results.get("plots", [])]:
        if (study_out / file).is_file():
            shutil.copyfile(study_out / file, target / file)
        elif file in STUDY_FILES:
            (target / file).unlink(missing_ok=True)  # a comparison of the run this one replaces


def ship(
    study_out: str | Path, dest: str | Path | None = None, name: str = MODELS_STUDY, *, models: bool = True
) -> Path:
    """Copy a finished study's output folder into the package as shipped run ``name``: its results.json,
    report.md and plots, and the models of :data:`SHIPPED_ROLES` as float16 safetensors with a manifest
    (the run that made them, every file's SHA-256). ``dest``: the package's reference folder (default:
    the installed one, i.e. src/posenc/reference in a checkout). ``models=False`` ships the results
    only (the full preset's 63 models would outweigh the package) and leaves no models folder. Returns
    the study's new folder."""
    import posenc
    from posenc.train.checkpoint import load_checkpoint

    study_out = Path(study_out).expanduser()
    results = _study_results(study_out)
    target = Path(dest).expanduser() / name if dest is not None else root() / name
    models_out = target / MODELS_DIR
    if not models:
        if models_out.exists():
            shutil.rmtree(models_out)  # models of the run this one replaces: they no longer match
        _copy_results(study_out, target, results)
        return target
    entries: dict[str, Any] = {}
    staged: dict[str, bytes] = {}
    for run, info in results["runs"].items():
        if info.get("role") not in SHIPPED_ROLES:
            continue
        state = load_checkpoint(study_out / str(info.get("dir") or f"runs/{run}") / "checkpoint.pt")
        data, error = fp16_bytes(state)
        staged[f"{run}.safetensors"] = data
        entries[run] = {
            "file": f"{run}.safetensors",
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "study_name": str(info["name"]),
            "seed": int(info["seed"]),
            "role": str(info["role"]),
            "step": int(state["step"]),
            "model_config": state["model_config"],
            "train_config": state.get("train_config") or {},
            "metrics": state.get("metrics") or {},
            "fp16_max_relative_error": error,
        }
    if not entries:
        raise ShippedModelError(f"{study_out}/results.json names no {' or '.join(SHIPPED_ROLES)} models")
    config = results.get("config") or {}
    made_by = {
        "preset": results.get("preset"),
        "seeds": results.get("seeds"),
        "steps": config.get("steps"),
        "retrieval_steps": config.get("retrieval_steps"),
        "train_length": results.get("train_length"),
        "results": "results.json",
        "results_sha256": file_sha256(study_out / "results.json"),
        "started": results.get("started"),
        "source": study_out.name,
        "posenc": posenc.__version__,
        "torch": str(torch.__version__),
    }
    # the new files replace the old ones: the old models folder goes first, so no stale model stays
    if models_out.exists():
        shutil.rmtree(models_out)
    _copy_results(study_out, target, results)
    for file, data in staged.items():
        atomic_write(models_out / file, lambda f, data=data: f.write(data))
    manifest = {
        "format": MANIFEST_FORMAT,
        "study": name,
        "made_by": made_by,
        "dtype": "float16",
        "models": entries,
    }
    atomic_write_text(models_out / MANIFEST_NAME, json.dumps(manifest, indent=1) + "\n")
    return target


__all__ = [
    "SHIPPED_ROLES",
    "fp16_bytes",
    "load",
    "resolve_run",
    "run_folder",
    "ship",
]
