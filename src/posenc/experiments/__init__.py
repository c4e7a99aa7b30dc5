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
import json
from pathlib import Path
from types import ModuleType

#: the experiments' catalogue, a data file: name -> {"module", "title"}, in the order they are taught.
#: Data rather than code so that the learning path (posenc.learn.path) reads the titles without
#: importing this package (the two sit side by side in the package graph)
CATALOG = Path(__file__).with_name("catalog.json")
_CATALOG: dict[str, dict[str, str]] = json.loads(CATALOG.read_text(encoding="utf-8"))

EXPERIMENTS: dict[str, str] = {name: f"posenc.experiments.{e['module']}" for name, e in _CATALOG.items()}

#: each experiment's title (here, so a page can list them without importing torch)
TITLES: dict[str, str] = {name: e["title"] for name, e in _CATALOG.items()}

#: where each experiment writes by default
DEFAULT_OUT: dict[str, str] = {
    name: f"results/exp{name}" if name.isdigit() else f"results/{name}" for name in EXPERIMENTS
}


def load(name: str) -> ModuleType:
    """The module of experiment ``name`` ("1" … "4", "rope-base"); ``ValueError`` naming it otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return importlib.import_module(EXPERIMENTS[name])


__all__ = ["CATALOG", "DEFAULT_OUT", "EXPERIMENTS", "TITLES", "load"]
