"""posenc: positional encoding in transformers — a learning lab and a tested reference library."""

__version__ = "0.1.0"

#: The package graph, lowest layer first. A package (or top-level module) imports only from layers
#: strictly below its own, never from a sibling in its layer; data flows one way.
#: ``tests/test_architecture.py`` builds the import graph with ``ast`` and enforces this (and no
#: cycle), and docs/architecture.md quotes it. ``posenc`` itself (this file) imports nothing.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("atomic",),  # atomic file writes, file checksums
    ("reference",),  # the shipped study runs and models (package data)
    ("data", "encodings", "results"),  # corpora and passkey trials; the reference library; results files
    ("model",),
    ("train",),
    ("evaluate",),
    ("experiments", "study", "inspector", "exercises", "learn"),
    ("cli", "web"),  # the two front ends
)

#: Programs started by name (``python -m posenc``, ``torchrun -m posenc.train``): above every layer,
#: they may import anything and nothing imports them.
ENTRY_POINTS: tuple[str, ...] = ("posenc.__main__", "posenc.train.__main__")
