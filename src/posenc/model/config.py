"""The model's configuration: one dataclass, every knob named, defaults commented.

``ModelConfig()`` is the "small" preset; ``ModelConfig.preset("tiny")`` the one the tests use.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from posenc.encodings import FAMILIES


def check_fields(cls: type, d: Any, what: str) -> None:
    """``d`` must be a dict whose keys are fields of the dataclass ``cls``; else ``ValueError`` naming them.

    Shared by every config's ``from_dict`` (model and train configs).
    """
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be a dict, got {type(d).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"unknown {what} field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")


# name -> overrides of the defaults below; the sizes the experiments and tests refer to
PRESETS: dict[str, dict[str, Any]] = {
    # smallest useful model, for tests: 0.12 M parameters, a CPU step in milliseconds
    "tiny": {"d_model": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "max_seq_len": 64},
    # the default: 0.77 M parameters, trains in minutes on 2 CPU cores
    "small": {"d_model": 128, "n_layers": 4, "n_heads": 4, "n_kv_heads": 2, "max_seq_len": 128},
    # MiniMind-26M's shape (22 M parameters here: its vocabulary is 6400, ours 256 bytes): for GPU runs
    "minimind": {"d_model": 512, "n_layers": 8, "n_heads": 8, "n_kv_heads": 2, "max_seq_len": 512},
}


@dataclass
class ModelConfig:
    """A decoder-only LM in the MiniMind / Llama shape with a pluggable position encoding.

    Scale of absolute position encodings (a lesson paid for, see DESIGN.md): the token
    embeddings are multiplied by ``embed_scale`` (default √d_model, as Vaswani et al. 2017
    §3.4 and Gemma do) before the encoding's ``add_to_input`` hook. With ``init_std`` 0.02
    the token vectors then start with RMS 0.02·√d (0.16 at d 64, 0.23 at d 128) next to a
    sinusoid of RMS 1/√2, instead of being drowned by it at RMS 0.02. The multiplier is
    applied for *every* encoding, so the comparison between encodings stays fair; with
    pre-norm blocks it changes nothing else but the size of the residual stream.
    """

    vocab_size: int = 256  # byte-level tokens (posenc.data.tokenizer)
    d_model: int = 128  # residual width d
    n_layers: int = 4  # transformer blocks
    n_heads: int = 4  # query heads n_h; head_dim = d_model // n_heads = 32
    n_kv_heads: int = 2  # key/value heads n_kv (GQA, Ainslie et al. 2023): each serves n_h / n_kv queries
    max_seq_len: int = 128  # training length L; only the learned encoding cannot go beyond it
    ffn_hidden: int | None = None  # SwiGLU hidden width; None -> 8/3·d rounded up to a multiple of 32
    pe: str = "rope"  # position encoding, a name of posenc.encodings.FAMILIES
    pe_options: dict[str, Any] = field(default_factory=dict)  # to encodings.build, e.g. {"base": 1e6}
    tie_embeddings: bool = True  # LM head shares the token-embedding matrix (MiniMind, GPT-2)
    norm_eps: float = 1e-5  # RMSNorm epsilon
    dropout: float = 0.0  # on attention weights and residual branches; 0 for these small runs
    init_std: float = 0.02  # normal init of every matrix (nanoGPT); residual outputs / √(2·n_layers)
    embed_scale: float | None = None  # token-embedding multiplier; None -> √d_model (see above)

    def __post_init__(self) -> None:
        self.validate()

    # ----------------------------------------------------------------- derived sizes
    @property
    def head_dim(self) -> int:
        """h_d = d_model / n_heads."""
        return self.d_model // self.n_heads

    @property
    def ffn_hidden_size(self) -> int:
        """SwiGLU hidden width: ``ffn_hidden`` or 8/3·d rounded up to a multiple of 32.

        8/3·d keeps the SwiGLU MLP's three matrices at the parameter count of a 4·d GELU
        MLP's two (Shazeer 2020); d 128 -> 352, d 64 -> 192, d 512 -> 1376.
        """
        if self.ffn_hidden is not None:
            return self.ffn_hidden
        return 32 * math.ceil(8 * self.d_model / 3 / 32)

    @property
    def embedding_multiplier(self) -> float:
        """The factor the token embeddings are multiplied by: ``embed_scale`` or √d_model."""
        return math.sqrt(self.d_model) if self.embed_scale is None else float(self.embed_scale)

    # ----------------------------------------------------------------- validation
    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad field."""
        for name in ("vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "max_seq_len"):
            _check_positive_int(name, getattr(self, name))
        if self.ffn_hidden is not None:
            _check_positive_int("ffn_hidden", self.ffn_hidden)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"n_heads ({self.n_heads}) must be divisible by n_kv_heads ({self.n_kv_heads}): "
                "each key/value head serves a whole group of query heads"
            )
        if self.pe not in FAMILIES:
            raise ValueError(
                f"pe: unknown position encoding {self.pe!r}; choose one of {', '.join(FAMILIES)}"
            )
        if not isinstance(self.pe_options, dict):
            raise ValueError(f"pe_options must be a dict, got {type(self.pe_options).__name__}")
        if not isinstance(self.tie_embeddings, bool):
            raise ValueError(f"tie_embeddings must be true or false, got {self.tie_embeddings!r}")
        _check_positive_float("norm_eps", self.norm_eps)
        _check_positive_float("init_std", self.init_std)
        if self.embed_scale is not None:
            _check_positive_float("embed_scale", self.embed_scale)
        if (
            not isinstance(self.dropout, (int, float))
            or isinstance(self.dropout, bool)
            or not 0 <= self.dropout < 1
        ):
            raise ValueError(f"dropout must be a number in [0, 1), got {self.dropout!r}")

    # ----------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every field (``pe_options`` copied)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError`` naming them."""
        check_fields(cls, d, "model config")
        d = dict(d)
        if isinstance(d.get("pe_options"), dict):
            d["pe_options"] = dict(d["pe_options"])
        return cls(**d)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> ModelConfig:
        """``PRESETS[name]`` with ``overrides`` on top, e.g. ``preset("tiny", pe="alibi")``."""
        if name not in PRESETS:
            raise ValueError(f"unknown model preset {name!r}; choose one of {', '.join(PRESETS)}")
        return cls.from_dict({**PRESETS[name], **overrides})


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_positive_float(name: str, value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or not math.isfinite(float(value) if abs(value) < 2**1023 else math.inf)
    ):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
