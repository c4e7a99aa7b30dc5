"""The study's runs: how its models are named, where its results live, and finding them on disk.

Names (made here, read back here, nowhere else)::

    rope-1e4                 a model of the study (presets.ENCODINGS), or of the rope_base sweep
    rope-1e4-pi-ft           the PI fine-tune arm (FINETUNE_SUFFIX): rope-1e4 fine-tuned at 4 × L
    rope-1e4-4L              the long arm (LONG_SUFFIX): trained at 4 × L, same token budget
    alibi-passkey            the retrieval arm (RETRIEVAL_SUFFIX): trained on passkey trials
    rope-1e4-s0              a run: one model and one seed, the folder OUT/runs/rope-1e4-s0/

Folders a front end shows (:data:`STUDY_FOLDERS`): the reference runs shipped with the package
(:mod:`posenc.reference`, found through ``importlib.resources``), RESULTS/study (``posenc study``'s
default ``--out``) and RESULTS/study-quick, where the lab's own button runs the quick preset (its own
folder, so it never mixes its 30-step models into a terminal run of another preset).

The trained models of a study are its run folders (RESULTS/study/runs/NAME/) and, for the shipped
default reference, the models that ship with posenc (``posenc.reference.models``; :func:`study_models`
lists them as the study "reference-default", each model ``shipped``).

Nothing here imports torch: the web lab reads these names at start-up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posenc import reference
from posenc.reference import models as shipped_models
from posenc.study.presets import ENCODINGS, LABELS, PRESETS

FINETUNE_SUFFIX = "-pi-ft"
LONG_SUFFIX = "-4L"
RETRIEVAL_SUFFIX = "-passkey"
_RUN_NAME = re.compile(r"^(?P<study>.+)-s(?P<seed>\d+)$")


def rope_name(base: float) -> str:
    """The study name of a RoPE model of ``base``: 1e4 -> "rope-1e4"."""
    mantissa, exponent = f"{base:.0e}".split("e")
    return f"rope-{mantissa}e{int(exponent)}"


def rope_base(name: str) -> float | None:
    """The base of a RoPE model's study name ("rope-1e4" -> 10000.0); None for any other name."""
    if not name.startswith("rope-"):
        return None
    try:
        return float(name.removeprefix("rope-"))
    except ValueError:  # "rope-1e4-4L", "rope-1e4-pi-ft": an arm, not a plain RoPE model
        return None


def finetune_name(name: str) -> str:
    """ "rope-1e4" -> "rope-1e4-pi-ft", the model fine-tuned from it with linear scaling."""
    return name + FINETUNE_SUFFIX


def long_name(name: str) -> str:
    """ "rope-1e4" -> "rope-1e4-4L", the same encoding trained at 4 × L."""
    return name + LONG_SUFFIX


def retrieval_name(name: str) -> str:
    """ "alibi" -> "alibi-passkey", the same encoding trained on passkey trials."""
    return name + RETRIEVAL_SUFFIX


def run_name(name: str, seed: int) -> str:
    """The run folder of model ``name`` at ``seed``: "rope-1e4", 0 -> "rope-1e4-s0"."""
    return f"{name}-s{seed}"


def parse_run_name(folder_name: str) -> tuple[str, int | None]:
    """(study name, seed) of a run folder: "rope-1e4-s0" -> ("rope-1e4", 0); a folder named otherwise
    is its own study name with no seed."""
    match = _RUN_NAME.match(folder_name)
    return (match["study"], int(match["seed"])) if match else (folder_name, None)


def describe(name: str) -> tuple[str, str]:
    """(label, role) of a study name; the role is study.run.Job's ("encoding", "sweep", "finetune",
    "long", "retrieval"), or "other" for a name the study does not make."""
    if name in ENCODINGS:
        return LABELS[name], "encoding"
    if name.endswith(RETRIEVAL_SUFFIX):
        base = name.removesuffix(RETRIEVAL_SUFFIX)
        return f"{LABELS.get(base, base)}, trained on passkey trials", "retrieval"
    if name.endswith(FINETUNE_SUFFIX):
        base = name.removesuffix(FINETUNE_SUFFIX)
        return f"{LABELS.get(base, base)}, PI fine-tuned at 4 L", "finetune"
    if name.endswith(LONG_SUFFIX):
        base = name.removesuffix(LONG_SUFFIX)
        return f"{LABELS.get(base, base)}, trained at 4 L", "long"
    if name.startswith("rope-"):
        return f"RoPE (base {name.removeprefix('rope-')}), base sweep", "sweep"
    return name, "other"


# ----------------------------------------------------------------------------- the study folders
#: the reference runs shipped with the package (package data: posenc/reference/)
REFERENCE_DIR = reference.root()
#: ``posenc study``'s default --out (relative to the working folder)
DEFAULT_OUT = "results/study"


@dataclass(frozen=True)
class StudyFolder:
    """A folder a front end shows a study from: ``where`` is "REFERENCE/x" (a committed reference run)
    or "RESULTS/x" (x under the results folder the front end writes to)."""

    key: str
    label: str
    where: str

    def path(self, results_dir: Path) -> Path:
        root, _, rest = self.where.partition("/")
        return (REFERENCE_DIR if root == "REFERENCE" else Path(results_dir)) / rest


#: the study folders a front end shows, in this order: key -> folder
STUDY_FOLDERS: dict[str, StudyFolder] = {
    f.key: f
    for f in (
        StudyFolder("reference-full", "Reference: full preset, 3 seeds", "REFERENCE/study-cpu-full"),
        StudyFolder("reference-default", "Reference: default preset, 1 seed", "REFERENCE/study-cpu-default"),
        StudyFolder("yours", "Your run (posenc study)", f"RESULTS/{Path(DEFAULT_OUT).name}"),
        StudyFolder(
            "quick", "Your quick run (started from the lab's study or models page)", "RESULTS/study-quick"
        ),
    )
}
#: the folder the lab's study button writes (the quick preset)
QUICK = "quick"


@dataclass(frozen=True)
class StudyRun:
    """A study folder that holds a results.json."""

    key: str
    label: str
    folder: Path


def study_runs(results_dir: Path) -> dict[str, StudyRun]:
    """The study folders whose results.json exists, in the order of :data:`STUDY_FOLDERS`."""
    runs = {}
    for key, place in STUDY_FOLDERS.items():
        folder = place.path(results_dir)
        if (folder / "results.json").is_file():
            runs[key] = StudyRun(key, place.label, folder)
    return runs


def study_files(results_dir: Path) -> list[str]:
    """What a page of the study's results is built from: each folder's results.json and report.md."""
    folders = [place.path(results_dir) for place in STUDY_FOLDERS.values()]
    return [str(f / name) for f in folders for name in ("results.json", "report.md")]


# ----------------------------------------------------------------------------- the trained models
@dataclass(frozen=True)
class TrainedModel:
    """One run folder of a study: RUN/runs/NAME/ with config.json and a checkpoint."""

    name: str  # the folder: "rope-1e4-s0"
    folder: Path
    study_name: str  # "rope-1e4"
    seed: int | None
    label: str
    role: str  # "encoding", "sweep", "finetune", "long", "retrieval" (study.run.plan) or "other"
    pe: str
    train_length: int
    steps: int  # planned; the checkpoint says how many were done
    batch_size: int
    n_layers: int
    n_heads: int
    d_model: int
    shipped: bool = False  # shipped with posenc: ``folder`` is its run folder in the cache, made on use

    def public(self) -> dict[str, Any]:
        keys = ("name", "study_name", "seed", "label", "role", "pe", "train_length", "steps", "batch_size")
        keys += ("shipped",)
        out = {k: getattr(self, k) for k in keys}
        out.update(n_layers=self.n_layers, n_heads=self.n_heads, d_model=self.d_model)
        out["tokens"] = self.steps * self.batch_size * self.train_length
        return out


def read_model(folder: Path) -> TrainedModel | None:
    """The model of run folder ``folder`` from its config.json; None when it is not a trained run."""
    from posenc.train.checkpoint import CONFIG_NAME, checkpoint_path

    if not checkpoint_path(folder).is_file():
        return None
    try:
        configs = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        return _trained_model(folder.name, folder, configs["model"], configs["train"])
    except (OSError, ValueError, KeyError, TypeError):  # no or unreadable config.json: not listed
        return None


def _trained_model(
    name: str, folder: Path, model: dict[str, Any], train: dict[str, Any], shipped: bool = False
) -> TrainedModel:
    """A run's :class:`TrainedModel` from its model and train configs (KeyError, ValueError if not)."""
    study_name, seed = parse_run_name(name)
    label, role = describe(study_name)
    return TrainedModel(
        name=name,
        folder=folder,
        study_name=study_name,
        seed=seed,
        label=label,
        role=role,
        pe=str(model["pe"]),
        train_length=int(model["max_seq_len"]),
        steps=int(train["steps"]),
        batch_size=int(train["batch_size"]),
        n_layers=int(model["n_layers"]),
        n_heads=int(model["n_heads"]),
        d_model=int(model["d_model"]),
        shipped=shipped,
    )


@dataclass(frozen=True)
class StudyModels:
    """A study folder and the trained models in it."""

    key: str
    label: str
    folder: Path
    models: dict[str, TrainedModel]
    preset: dict[str, Any] | None  # name, description, steps, tokens per model; None: not known
    shipped: bool = False  # the models shipped with posenc (not trained by the user)

    def public(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "shipped": self.shipped,
            "folder": str(self.folder),
            "preset": self.preset,
            "models": [m.public() for m in self.models.values()],
        }


def preset_of(folder: Path, models: dict[str, TrainedModel]) -> dict[str, Any] | None:
    """The study preset of ``folder``: from its results.json, else the preset whose model shape, L and
    steps the models match (a study still running has no results.json yet)."""
    name = None
    try:
        name = json.loads((folder / "results.json").read_text(encoding="utf-8")).get("preset")
    except (OSError, ValueError, AttributeError):
        pass
    if name not in PRESETS:
        name = None
        encoding = next((m for m in models.values() if m.role == "encoding"), None)
        for key, p in PRESETS.items():
            if encoding and (encoding.d_model, encoding.n_layers, encoding.train_length, encoding.steps) == (
                p.model["d_model"],
                p.model["n_layers"],
                p.train_length,
                p.steps,
            ):
                name = key
    if name is None:
        return None
    p = PRESETS[name]
    return {
        "name": name,
        "description": p.description,
        "steps": p.steps,
        "batch_size": p.batch_size,
        "train_length": p.train_length,
        "tokens_per_model": p.tokens_per_model,
        "claims": p.claims,
    }


#: the label of the shipped models on a page (the study "reference-default" is theirs)
SHIPPED_LABEL = "Shipped with posenc: the default reference's trained models"


def shipped_study() -> StudyModels | None:
    """The models shipped with posenc as a study (key "reference-default": they are that reference
    run's models); None when this install ships none. Reads the manifest only: no weights, no torch."""
    try:
        entries = shipped_models.shipped_models()
    except (OSError, ValueError, KeyError, TypeError):  # a damaged manifest: listed as none
        return None
    models = {}
    for run, entry in entries.items():
        try:
            models[run] = _trained_model(
                run, shipped_models.folder_of(entry), entry.model_config, entry.train_config, shipped=True
            )
        except (ValueError, KeyError, TypeError):
            continue
    if not models:
        return None
    key = "reference-default"
    folder = STUDY_FOLDERS[key].path(Path("."))
    return StudyModels(key, SHIPPED_LABEL, folder, models, preset_of(folder, models), shipped=True)


def study_models(results_dir: Path) -> dict[str, StudyModels]:
    """The study folders (:data:`STUDY_FOLDERS`) holding at least one trained model, in that order;
    the shipped models stand for the default reference (:func:`shipped_study`)."""
    found = {}
    for key, place in STUDY_FOLDERS.items():
        if key == "reference-default":
            shipped = shipped_study()
            if shipped is not None:
                found[key] = shipped
            continue
        folder = place.path(results_dir)
        runs = folder / "runs"
        if not runs.is_dir():
            continue
        models = {}
        for sub in sorted(runs.iterdir()):
            model = read_model(sub) if sub.is_dir() else None
            if model is not None:
                models[model.name] = model
        if models:
            found[key] = StudyModels(key, place.label, folder, models, preset_of(folder, models))
    return found


def main_models(study: StudyModels) -> list[TrainedModel]:
    """One model per encoding of the study (the lowest seed), in the study's order of encodings."""
    by_name: dict[str, TrainedModel] = {}
    for m in study.models.values():
        if m.role == "encoding" and (
            m.study_name not in by_name or (m.seed or 0) < (by_name[m.study_name].seed or 0)
        ):
            by_name[m.study_name] = m
    return [by_name[n] for n in ENCODINGS if n in by_name]


def retrieval_models(study: StudyModels) -> list[TrainedModel]:
    """One retrieval-arm model per encoding (the lowest seed), in the study's order of encodings."""
    by_name: dict[str, TrainedModel] = {}
    for m in study.models.values():
        if m.role == "retrieval" and (
            m.study_name not in by_name or (m.seed or 0) < (by_name[m.study_name].seed or 0)
        ):
            by_name[m.study_name] = m
    return [by_name[n] for n in map(retrieval_name, ENCODINGS) if n in by_name]


__all__ = [
    "DEFAULT_OUT",
    "FINETUNE_SUFFIX",
    "LONG_SUFFIX",
    "QUICK",
    "REFERENCE_DIR",
    "RETRIEVAL_SUFFIX",
    "SHIPPED_LABEL",
    "STUDY_FOLDERS",
    "StudyFolder",
    "StudyModels",
    "StudyRun",
    "TrainedModel",
    "describe",
    "finetune_name",
    "long_name",
    "main_models",
    "parse_run_name",
    "preset_of",
    "read_model",
    "retrieval_models",
    "retrieval_name",
    "rope_base",
    "rope_name",
    "run_name",
    "shipped_study",
    "study_files",
    "study_models",
    "study_runs",
]
