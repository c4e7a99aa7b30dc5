"""A package's reference folder with tiny shipped models, for the resolver, CLI, lab and wheel tests.

Made once per test session (``shipped_reference(tmp_path_factory)``): the shipped results of the real
package copied (study-cpu-full, study-cpu-default's results and plots), then ``posenc.evaluate.shipped.ship``
run on a small study output: the tiny language models of ``trained_runs`` (trained for real) and two
retrieval-arm models (``rope-1e4-passkey``, ``alibi-passkey``, trained for real on passkey rows at
L = 32), with a results.json whose retrieval rows hold the accuracies written in :data:`MEASURED` (the
study's measured values, as the lab must show them). Point posenc at it with ``POSENC_REFERENCE_DIR``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import posenc.reference
from tests.evaluate.trained_runs import MODELS, TRAIN_LENGTH, small_corpus, trained_study

RETRIEVAL = {"rope-1e4": ("rope", {"base": 1e4}), "alibi": ("alibi", {})}
#: (encoding, multiple, depth) -> the exact-key accuracy written into the tiny study's results.json
MEASURED = {("rope-1e4", 4, 0.5): 0.35, ("alibi", 4, 0.5): 0.85, ("alibi", 4, 0.0): 0.15}
_made: dict[str, Path] = {}


def _train_passkey(run_dir: Path, pe: str, options: dict, corpus: Path) -> None:
    from posenc.model import ModelConfig
    from posenc.train import TrainConfig, train

    model = ModelConfig(
        d_model=32, n_layers=2, n_heads=2, n_kv_heads=1, max_seq_len=TRAIN_LENGTH, pe=pe, pe_options=options
    )
    config = TrainConfig(
        steps=20, batch_size=8, lr=3e-3, min_lr=3e-3, warmup_steps=2, eval_every=0, eval_windows=2,
        log_every=10, ckpt_every=0, device="cpu", corpus=str(corpus), heldout_fraction=0.25, task="passkey",
    )  # fmt: skip
    train(model, config, run_dir, progress=False)


def _rows(encoding: str) -> list[dict]:
    rows = []
    for multiple in (1, 2, 4, 8, 16):
        by_depth = [
            {
                "depth": depth,
                "accuracy": {"mean": acc, "std": 0.0, "values": [acc]},
                "digit_accuracy": {"mean": acc, "std": 0.0, "values": [acc]},
            }  # fmt: skip
            for depth in (0.5, 0.0, 1.0)
            for acc in [MEASURED.get((encoding, multiple, depth), 0.0)]
        ]
        rows.append({"multiple": float(multiple), "length": multiple * TRAIN_LENGTH, "status": "ok",
                     "passkey_by_depth": by_depth})  # fmt: skip
    return rows


def shipped_reference(tmp_path_factory) -> Path:
    """A reference folder (for ``POSENC_REFERENCE_DIR``) whose study-cpu-default ships tiny models."""
    if "root" in _made:
        return _made["root"]
    from posenc.evaluate.shipped import ship

    results = trained_study(tmp_path_factory)
    base = tmp_path_factory.mktemp("shipped")
    corpus = small_corpus(base / "corpus")
    out = base / "study-out"
    runs = {}
    for name in MODELS:
        runs[f"{name}-s0"] = {"name": name, "seed": 0, "role": "encoding",
                              "dir": str(results / "study" / "runs" / f"{name}-s0")}  # fmt: skip
    for name, (pe, options) in RETRIEVAL.items():
        folder = out / "runs" / f"{name}-passkey-s0"
        _train_passkey(folder, pe, options, corpus)
        runs[f"{name}-passkey-s0"] = {"name": f"{name}-passkey", "seed": 0, "role": "retrieval",
                                      "dir": f"runs/{name}-passkey-s0"}  # fmt: skip
    study = {
        "format": "posenc-study/1", "preset": "quick", "seeds": [0], "train_length": TRAIN_LENGTH,
        "config": {"steps": 40, "retrieval_steps": 20}, "eval": {"retrieval_trials": 20},
        "runs": runs, "plots": [],
        "retrieval": {n: {"label": n, "name": f"{n}-passkey", "rows": _rows(n)} for n in RETRIEVAL},
    }  # fmt: skip
    (out / "results.json").write_text(json.dumps(study), encoding="utf-8")
    (out / "report.md").write_text("# A tiny study\n", encoding="utf-8")
    root = base / "reference"
    package = posenc.reference.root()
    for name in posenc.reference.STUDIES:
        shutil.copytree(package / name, root / name, ignore=shutil.ignore_patterns("models"))
    ship(out, root)
    _made["root"] = root
    return root
