"""The study runs shipped with posenc: their results, reports, plots and trained models (package data).

    src/posenc/reference/
      study-cpu-full/       results.json, report.md, plots (3 seeds; the run the notes quote)
      study-cpu-default/    results.json, report.md, plots, and models/: the trained models of that run
        models/manifest.json       which run made them (preset, seed, steps, its results file) and, per
                                   model, its file, SHA-256, configs and step (:mod:`.models`)
        models/NAME.safetensors    the weights in float16, loaded into float32 models

Found through ``importlib.resources`` (not the source tree), so a regular install from a wheel shows
them as an editable one does. ``tools/ship_reference.py STUDY_OUT`` copies a study's output folder in
(``posenc.evaluate.shipped.ship``); this folder is the one copy, the repository keeps no other.

Nothing here imports torch, nor anything of posenc: the lab reads these files at start-up.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: the shipped study runs, the one the notes quote first
STUDIES: tuple[str, ...] = ("study-cpu-full", "study-cpu-default")
#: the run whose trained models ship (its folder's models/)
MODELS_STUDY = "study-cpu-default"


#: a folder laid out like this one to use instead (the tests' tiny shipped models; a freshly shipped run
#: tried before it is committed)
ENV = "POSENC_REFERENCE_DIR"


def root() -> Path:
    """The folder of the shipped runs inside the installed package (a plain folder: posenc is never
    imported from a zip, its data files are opened by path), or ``$POSENC_REFERENCE_DIR``."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    return Path(str(resources.files(__name__)))


def study_folder(name: str) -> Path:
    """The folder of shipped study run ``name`` ("study-cpu-default")."""
    return root() / name


__all__ = ["ENV", "MODELS_STUDY", "STUDIES", "root", "study_folder"]
