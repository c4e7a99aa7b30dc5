"""What the lab knows about the study's runs: where they live, how their models are named, their tables.

    STUDY_RUNS        the study runs a page can show (the reference runs, RESULTS/study, RESULTS/study-quick)
    study_folder      a STUDY_RUNS folder under the package's reference/ or the lab's results folder
    study_tables      a run's results.json as the study page's tables (one row per model or method)
    study_models      the trained models in those folders, named and labelled from their run names
    main_models       one model per encoding (the lowest seed)

Used by the study page (:mod:`posenc.web.job_pages`) and the models page (:mod:`posenc.web.model_pages`),
which import nothing of each other. The study package's own run naming and table model
(``posenc.study``) will replace the copies here; until then this module keeps them in one place.
Nothing here imports torch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import posenc

#: the same for ``posenc study --preset quick`` (11 models of 30 steps); 411 s on the shared machine
STUDY_QUICK_SECONDS = 36

REFERENCE_DIR = Path(posenc.__file__).resolve().parents[2] / "reference"
#: the study runs a page can show: key -> (folder, label); RESULTS/... relative to the lab's results
STUDY_RUNS: dict[str, tuple[str, str]] = {
    "reference-full": ("REFERENCE/study-cpu-full", "Reference: full preset, 3 seeds"),
    "reference-default": ("REFERENCE/study-cpu-default", "Reference: default preset, 1 seed"),
    "yours": ("RESULTS/study", "Your run (posenc study)"),
    "quick": ("RESULTS/study-quick", "Your quick run (from this page)"),
}
QUICK_RUN = "quick"  # where the lab's study button writes
_RUN_NAME = re.compile(r"^(?P<study>.+)-s(?P<seed>\d+)$")


# ----------------------------------------------------------------------------- the folders
def study_folder(results_dir: Path, where: str) -> Path:
    """ "REFERENCE/x" -> the packaged reference x; "RESULTS/x" -> x under the lab's results folder."""
    root, _, rest = where.partition("/")
    return (REFERENCE_DIR if root == "REFERENCE" else results_dir) / rest


def quick_folder(results_dir: Path) -> Path:
    """Where the lab's quick study button writes: RESULTS/study-quick."""
    return results_dir / STUDY_RUNS[QUICK_RUN][0].partition("/")[2]


# ----------------------------------------------------------------------------- the study's tables
def _stat_text(stat: dict | None, seeds: int, percent: bool = False) -> str:
    if not stat or stat.get("mean") is None:
        return "diverged"
    mean, std = stat["mean"], stat.get("std") or 0.0
    if percent:
        return f"{100 * mean:.0f}%" + (f" ± {100 * std:.0f}" if seeds > 1 else "")
    return f"{mean:.2f}" + (f" ± {std:.2f}" if seeds > 1 else "")


def _cell(row: dict | None, key: str, seeds: int) -> dict[str, str]:
    """One table cell: its text and a tooltip with the value of every seed."""
    if row is None:
        return {"text": "—", "title": "not measured at this length"}
    if row.get("status") != "ok":
        return {"text": "n/a", "title": str(row.get("reason", "not evaluated"))}
    if key == "passkey":
        exact, digits = row.get("passkey"), row.get("passkey_digits")
        if exact is None:
            return {"text": "—", "title": "no passkey trials"}
        text = _stat_text(exact, seeds, percent=True)
        if digits and digits.get("mean") is not None:
            text += f" ({_stat_text(digits, seeds, percent=True)})"
        return {"text": text, "title": "exact key (per digit); per seed: " + _values(exact, percent=True)}
    stat = row.get(key)
    return {"text": _stat_text(stat, seeds), "title": "per seed: " + _values(stat)}


def _values(stat: dict | None, percent: bool = False) -> str:
    values = (stat or {}).get("values") or []
    shown = ["—" if v is None else (f"{100 * v:.0f}%" if percent else f"{v:.3f}") for v in values]
    return ", ".join(shown)


def study_tables(results: dict) -> list[dict[str, Any]]:
    """The study's numbers as tables (one row per model or method, one column per length)."""
    mults, L, seeds = results["multiples"], results["train_length"], len(results["seeds"])
    header = [f"{m:g}× ({m * L})" for m in mults]

    def line(label: str, rows: list[dict], key: str) -> dict[str, Any]:
        by_mult = {r.get("multiple"): r for r in rows}
        return {"label": label, "cells": [_cell(by_mult.get(m), key, seeds) for m in mults]}

    spread = " — mean ± std over seeds" if seeds > 1 else ""
    enc = results["encodings"]
    tables = [
        {
            "id": "ppl",
            "title": "Perplexity (bytes), all positions" + spread,
            "first": "encoding",
            "lines": [line(e["label"], e["rows"], "ppl") for e in enc.values()],
        },
        {
            "id": "last-ppl",
            "title": "Perplexity (bytes), last L positions" + spread,
            "first": "encoding",
            "lines": [line(e["label"], e["rows"], "last_ppl") for e in enc.values()],
        },
        {
            "id": "passkey",
            "title": "Passkey retrieval accuracy: exact key (per digit)"
            + (", models trained on code alone" if results.get("retrieval") else ""),
            "first": "encoding",
            "lines": [line(e["label"], e["rows"], "passkey") for e in enc.values()],
        },
    ]
    arm = results.get("retrieval") or {}
    if arm:
        tables.append(
            {
                "id": "retrieval",
                "title": "Retrieval arm (the same encodings trained on passkey trials): exact key (per "
                "digit), key in the middle" + spread,
                "first": "encoding",
                "lines": [line(e["label"], e["rows"], "passkey") for e in arm.values()],
            }
        )
    for rope, methods in results["scaling"].items():
        label = enc.get(rope, {}).get("label", rope)
        tables.append(
            {
                "id": f"scaling-{rope}",
                "title": f"Scaling on {label}, last-L perplexity (factor = length / L, no retraining; "
                "pi-finetune: PI after a short fine-tune at 4× L)",
                "first": "method",
                "lines": [line(method, e["rows"], "last_ppl") for method, e in methods.items()],
            }
        )
    sweep = [line(f"base {b}", e["rows"], "last_ppl") for b, e in results["rope_base_sweep"].items()]
    sweep += [
        line(f"{n} (trained at {e['train_length']})", e["rows"], "last_ppl")
        for n, e in (results.get("long_arm") or {}).items()
    ]
    tables.append(
        {"id": "rope-base", "title": "rope_base sweep, last-L perplexity", "first": "model", "lines": sweep}
    )
    for t in tables:
        t["header"] = header
    return tables


# ----------------------------------------------------------------------------- the trained models
@dataclass(frozen=True)
class TrainedModel:
    """One run folder of a study: RUN/runs/NAME/ with config.json and a checkpoint."""

    name: str  # the folder: "rope-1e4-s0"
    folder: Path
    study_name: str  # "rope-1e4"
    seed: int | None
    label: str
    role: str  # "encoding", "sweep", "finetune", "long" (study.run.plan) or "other"
    pe: str
    train_length: int
    steps: int  # planned; the checkpoint says how many were done
    batch_size: int
    n_layers: int
    n_heads: int
    d_model: int

    def public(self) -> dict[str, Any]:
        keys = ("name", "study_name", "seed", "label", "role", "pe", "train_length", "steps", "batch_size")
        out = {k: getattr(self, k) for k in keys}
        out.update(n_layers=self.n_layers, n_heads=self.n_heads, d_model=self.d_model)
        out["tokens"] = self.steps * self.batch_size * self.train_length
        return out


def _label(study_name: str) -> tuple[str, str]:
    """(label, role) of a study model name."""
    from posenc.study.presets import ENCODINGS, LABELS

    if study_name in ENCODINGS:
        return LABELS[study_name], "encoding"
    if study_name.endswith("-pi-ft"):
        return f"{LABELS.get(study_name[:-6], study_name[:-6])}, PI fine-tuned at 4 L", "finetune"
    if study_name.endswith("-4L"):
        return f"{LABELS.get(study_name[:-3], study_name[:-3])}, trained at 4 L", "long"
    if study_name.startswith("rope-"):
        return f"RoPE (base {study_name[5:]}), base sweep", "sweep"
    return study_name, "other"


def _read_model(folder: Path) -> TrainedModel | None:
    """The model of run folder ``folder`` from its config.json; None when it is not a trained run."""
    from posenc.train.checkpoint import CONFIG_NAME, checkpoint_path

    if not checkpoint_path(folder).is_file():
        return None
    try:
        configs = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        model, train = configs["model"], configs["train"]
        match = _RUN_NAME.match(folder.name)
        study_name = match["study"] if match else folder.name
        label, role = _label(study_name)
        return TrainedModel(
            name=folder.name,
            folder=folder,
            study_name=study_name,
            seed=int(match["seed"]) if match else None,
            label=label,
            role=role,
            pe=str(model["pe"]),
            train_length=int(model["max_seq_len"]),
            steps=int(train["steps"]),
            batch_size=int(train["batch_size"]),
            n_layers=int(model["n_layers"]),
            n_heads=int(model["n_heads"]),
            d_model=int(model["d_model"]),
        )
    except (OSError, ValueError, KeyError, TypeError):  # no or unreadable config.json: not listed
        return None


@dataclass(frozen=True)
class StudyModels:
    """A study folder and the trained models in it."""

    key: str
    label: str
    folder: Path
    models: dict[str, TrainedModel]
    preset: dict[str, Any] | None  # name, description, steps, tokens per model; None: not known

    def public(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "folder": str(self.folder),
            "preset": self.preset,
            "models": [m.public() for m in self.models.values()],
        }


def _preset(folder: Path, models: dict[str, TrainedModel]) -> dict[str, Any] | None:
    """The study preset of ``folder``: from its results.json, else the preset whose model shape, L and
    steps the models match (a study still running has no results.json yet)."""
    from posenc.study.presets import PRESETS

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


def study_models(results_dir: Path) -> dict[str, StudyModels]:
    """The study folders (STUDY_RUNS, under ``results_dir`` for RESULTS/) holding at least one trained
    model, in that order."""
    found = {}
    for key, (where, label) in STUDY_RUNS.items():
        folder = study_folder(results_dir, where)
        runs = folder / "runs"
        if not runs.is_dir():
            continue
        models = {}
        for sub in sorted(runs.iterdir()):
            model = _read_model(sub) if sub.is_dir() else None
            if model is not None:
                models[model.name] = model
        if models:
            found[key] = StudyModels(key, label, folder, models, _preset(folder, models))
    return found


def main_models(study: StudyModels) -> list[TrainedModel]:
    """One model per encoding of the study (the lowest seed), in the study's order of encodings."""
    from posenc.study.presets import ENCODINGS

    by_name: dict[str, TrainedModel] = {}
    for m in study.models.values():
        if m.role == "encoding" and (
            m.study_name not in by_name or (m.seed or 0) < (by_name[m.study_name].seed or 0)
        ):
            by_name[m.study_name] = m
    return [by_name[n] for n in ENCODINGS if n in by_name]
