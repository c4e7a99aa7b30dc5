"""Reference implementations of every position-encoding family.

``build(name, d_model=..., n_heads=..., head_dim=..., max_seq_len=..., **options)`` returns a
:class:`~posenc.encodings.base.PositionEncoding`; the model calls its three hooks and never
asks which family it holds. ``FAMILIES`` lists what is implemented (``posenc encodings``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from posenc.encodings.base import PositionEncoding


@dataclass(frozen=True)
class Family:
    name: str
    module: str
    cls: str
    acts_on: str
    paper: str
    reference: str  # the implementation our tests compare against, or the closed form


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("nope", "nope", "NoPE", "none", "Kazemnejad et al. 2023 (NoPE)", "identity"),
        Family("sinusoidal", "sinusoidal", "Sinusoidal", "input", "Vaswani et al. 2017", "closed form"),
        Family("learned", "learned", "Learned", "input", "Gehring et al. 2017; GPT-2", "nn.Embedding"),
        Family(
            "rope",
            "rope",
            "RoPE",
            "qk",
            "Su et al. 2021 (RoFormer) + scaling",
            "transformers ROPE_INIT_FUNCTIONS, MiniMind",
        ),
        Family(
            "alibi", "alibi", "ALiBi", "bias", "Press et al. 2022", "ofirpress/attention_with_linear_biases"
        ),
        Family("t5", "t5", "T5Bias", "bias", "Raffel et al. 2020", "transformers T5Attention"),
        Family("xpos", "xpos", "XPos", "qk", "Sun et al. 2022 (xPos)", "torchscale xPos"),
    ]
}


def build(
    name: str, *, d_model: int, n_heads: int, head_dim: int, max_seq_len: int, **options
) -> PositionEncoding:
    """Build the encoding ``name`` for a model of the given dimensions.

    ``options`` are family specific (e.g. ``base``, ``layout``, ``partial_rotary_factor``,
    ``rope_scaling`` for RoPE; ``num_buckets``, ``max_distance`` for T5). Unknown names and
    options raise ``ValueError``.
    """
    if not isinstance(name, str) or name not in FAMILIES:
        raise ValueError(f"unknown position encoding {name!r}; choose one of {', '.join(FAMILIES)}")
    for field, value, most in (
        ("d_model", d_model, MAX_DIM),
        ("n_heads", n_heads, MAX_HEADS),
        ("max_seq_len", max_seq_len, MAX_DIM),
    ):
        _check_dim(field, value, most)
    if head_dim is not None:
        _check_dim("head_dim", head_dim, MAX_HEADS)
    family = FAMILIES[name]
    cls = getattr(importlib.import_module(f"posenc.encodings.{family.module}"), family.cls)
    return cls.from_dims(
        d_model=d_model, n_heads=n_heads, head_dim=head_dim, max_seq_len=max_seq_len, **options
    )


#: the largest width or length ``build`` accepts: beyond 2^24 float32 no longer holds every integer
MAX_DIM = 2**24
#: the most heads, and the widest head, accepted (real models: up to 128 heads of 256)
MAX_HEADS = 2**16


def _check_dim(field: str, value, most: int) -> None:
    """A model dimension must be an int in [1, most] (not a bool, not a string like "64")."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise ValueError(f"{field} must be an integer in [1, {most}], got {value!r}")


def __getattr__(name: str):
    # base.py imports torch: loaded on first use, so that the tables here and the rope_type registry
    # (rope_scaling.py) import without torch (the web lab lists them before torch has loaded)
    if name == "PositionEncoding":
        from posenc.encodings.base import PositionEncoding

        return PositionEncoding
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FAMILIES", "Family", "PositionEncoding", "build"]
