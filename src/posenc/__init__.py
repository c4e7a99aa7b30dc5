"""posenc: positional encoding in transformers — a learning lab and a tested reference library."""

__version__ = "0.1.0"
