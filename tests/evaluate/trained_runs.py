"""Tiny trained runs for the model-view tests, laid out as a study run: RESULTS/study/runs/NAME-s0/.

Trained for real (``posenc.train.train``, a few seconds each) on a small folder of standard-library files,
2 layers × 2 query heads sharing 1 key/value head (GQA), L = 32. Made once per test session and shared
by the library, route and browser tests (``trained_study(tmp_path_factory)``); tests that damage a run
copy it first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from posenc.data import stdlib_sources

TRAIN_LENGTH = 32
#: study name -> (encoding, options), as posenc.study.presets.ENCODINGS names them
MODELS = {
    "rope-1e4": ("rope", {"base": 1e4}),
    "alibi": ("alibi", {}),
    "nope": ("nope", {}),
    "learned": ("learned", {}),
}
_made: dict[str, Path] = {}


def small_corpus(folder: Path) -> Path:
    """24 standard-library files of 4-40 kB copied into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [p for p in stdlib_sources() if 4_000 < p.stat().st_size < 40_000][:24]
    for i, path in enumerate(sources):
        shutil.copy(path, folder / f"{i:02d}_{path.name}")
    return folder


def train_tiny(run_dir: Path, pe: str, options: dict, corpus: Path, steps: int = 40) -> Path:
    from posenc.model import ModelConfig
    from posenc.train import TrainConfig, train

    model = ModelConfig(
        d_model=32, n_layers=2, n_heads=2, n_kv_heads=1, max_seq_len=TRAIN_LENGTH, pe=pe, pe_options=options
    )
    config = TrainConfig(
        steps=steps, batch_size=8, lr=3e-3, min_lr=3e-4, warmup_steps=5, eval_every=0, eval_windows=2,
        log_every=10, ckpt_every=0, device="cpu", corpus=str(corpus), heldout_fraction=0.25,
    )  # fmt: skip
    train(model, config, run_dir, progress=False)
    return run_dir


def trained_study(tmp_path_factory) -> Path:
    """A results folder whose ``study/runs/`` holds one trained tiny model per entry of MODELS."""
    if "results" not in _made:
        root = tmp_path_factory.mktemp("trained-study")
        corpus = small_corpus(root / "corpus")
        for name, (pe, options) in MODELS.items():
            train_tiny(root / "results" / "study" / "runs" / f"{name}-s0", pe, options, corpus)
        _made["results"] = root / "results"
    return _made["results"]


def run_dir(results: Path, name: str) -> Path:
    return results / "study" / "runs" / f"{name}-s0"
