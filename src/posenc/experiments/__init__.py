"""The module's experiments, each runnable from the terminal and importable by the web lab.

Every experiment module defines

    EXPERIMENT, TITLE
    run(out_dir, quick=False, progress=None, **options) -> dict   # writes results.json + plots
    summary(results) -> list of rich renderables                  # the terminal explanation

``EXPERIMENTS`` maps the command-line name (``posenc exp 2``) to its module; :func:`load` imports
one lazily so a broken experiment cannot break the others.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXPERIMENTS: dict[str, str] = {
    "1": "posenc.experiments.exp1_why_position",
    "2": "posenc.experiments.exp2_rope_basics",
    "3": "posenc.experiments.exp3_multi_frequency",
    "4": "posenc.experiments.exp4_minimind_rope",
    "rope-base": "posenc.experiments.exp_rope_base",
}

#: each experiment's title (here, so a page can list them without importing torch)
TITLES: dict[str, str] = {
    "1": "Why position: attention alone is blind to word order",
    "2": "RoPE basics: a rotation per position, scores that depend only on n − m",
    "3": "Multi-frequency: the wavelength ladder, unique positions, long-term decay",
    "4": "MiniMind's RoPE explained: frequencies, cache, rotate_half, q/k only, YaRN",
    "rope-base": "rope_base: wavelengths, long-term decay and perplexity beyond the training length",
}

#: where each experiment writes by default
DEFAULT_OUT: dict[str, str] = {
    name: f"results/exp{name}" if name.isdigit() else f"results/{name}" for name in EXPERIMENTS
}


def load(name: str) -> ModuleType:
    """The module of experiment ``name`` ("1" … "4", "rope-base"); ``ValueError`` naming it otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return importlib.import_module(EXPERIMENTS[name])


__all__ = ["DEFAULT_OUT", "EXPERIMENTS", "TITLES", "load"]
