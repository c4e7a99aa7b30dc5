"""Parsing the two user specs of an evaluation: the lengths and the RoPE scaling.

Lengths (``--lengths 1x,2x,4x,8x,16x``) are multiples of the run's training length ``L`` or
plain token counts (``512``); they are parsed first (syntax) and resolved against ``L`` once the
run is loaded.

RoPE scaling (``--rope-scaling yarn:4``) is ``TYPE:FACTOR``, ``TYPE:auto`` or ``auto``. TYPE is any
rope_type of the registry that scales by a factor (:func:`posenc.encodings.rope_types.scaling_types`;
``posenc encodings`` lists them), with its
defaults for every other key (YaRN's beta_fast 32 and beta_slow 1), except keys a released model ships:
Llama 3.1's low_freq_factor 1 and high_freq_factor 4 (Meta's values), and for LongRoPE *uniform* rescale
factors, short_factor = 1 and long_factor = FACTOR for every rotary pair (its real factors are searched per
model; the uniform choice makes it a PI stretch beyond L plus the paper's attention factor
sqrt(1 + ln s / ln L)). ``auto`` is ``yarn:auto``; ``TYPE:auto`` uses factor = evaluated length / L at
each length (no scaling at lengths <= L).

``original_max_position_embeddings`` is the run's training length ``L`` (the model's default).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from posenc.encodings import rope_types

_SPEC_FORMS = "TYPE:FACTOR (e.g. yarn:4), TYPE:auto or auto"
#: the longest evaluation length and the largest scaling factor: float32 holds every integer position
#: up to 2^24, and no model here is evaluated anywhere near it
MAX_TOKENS = 2**24
MAX_FACTOR = float(2**24)
_LENGTH = re.compile(r"^(?:(\d+(?:\.\d+)?)x|(\d+))$")


@dataclass(frozen=True)
class LengthSpec:
    """One entry of ``--lengths``: a multiple of the training length or a token count."""

    text: str
    multiple: float | None = None
    tokens: int | None = None

    def resolve(self, train_len: int) -> int:
        """The length in tokens for a run trained at ``train_len`` tokens."""
        if self.tokens is not None:
            return self.tokens
        length = round(self.multiple * train_len)
        if length < 1:
            raise ValueError(
                f"--lengths: {self.text!r} is less than one token for training length {train_len}"
            )
        if length > MAX_TOKENS:
            raise ValueError(
                f"--lengths: {self.text!r} is {length} tokens for training length {train_len}; "
                f"at most {MAX_TOKENS} (2^24)"
            )
        return length


def parse_lengths(spec: str | list[str] | tuple[str, ...]) -> list[LengthSpec]:
    """``"1x,2x,512"`` (or a list of such items) -> length specs, in the given order.

    Raises ``ValueError`` naming ``--lengths`` and the bad item.
    """
    items = spec.split(",") if isinstance(spec, str) else [str(s) for s in spec]
    items = [item.strip() for item in items]
    if not items or all(not item for item in items):
        raise ValueError("--lengths is empty; give e.g. 1x,2x,4x (multiples of the training length) or 512")
    out = []
    for item in items:
        match = _LENGTH.match(item.lower())
        if match is None:
            raise ValueError(
                f"--lengths: {item!r} is not a length; use multiples of the training length like 2x "
                "or token counts like 512, separated by commas"
            )
        if match.group(1) is not None:
            multiple = float(match.group(1))
            if not 0 < multiple <= MAX_TOKENS:
                raise ValueError(f"--lengths: {item!r} must be a positive multiple of at most {MAX_TOKENS}x")
            out.append(LengthSpec(item, multiple=multiple))
        else:
            tokens = int(match.group(2))
            if not 1 <= tokens <= MAX_TOKENS:
                raise ValueError(f"--lengths: {item!r} must be between 1 and {MAX_TOKENS} (2^24) tokens")
            out.append(LengthSpec(item, tokens=tokens))
    return out


@dataclass(frozen=True)
class RopeScaling:
    """A parsed ``--rope-scaling`` spec: ``factor=None`` means auto (evaluated length / L)."""

    rope_type: str
    factor: float | None

    @property
    def label(self) -> str:
        """Canonical text, the key of this evaluation in eval.json (``"yarn:4"``, ``"yarn:auto"``)."""
        if self.factor is None:
            return f"{self.rope_type}:auto"
        return f"{self.rope_type}:{self.factor:g}"

    def factor_for(self, length: int, train_len: int) -> float:
        """The factor used at ``length``: the fixed factor, or ``length / train_len`` for auto."""
        return self.factor if self.factor is not None else length / train_len

    def to_dict(self, length: int, train_len: int, rotary_pairs: int) -> dict | None:
        """The ``set_rope_scaling`` spec at ``length``, or ``None`` when the factor is 1 or less (auto).

        rotary_pairs: number of rotated feature pairs per head (rotary_dim // 2); longrope needs it
        for its per-pair factor lists.
        """
        factor = self.factor_for(length, train_len)
        if self.factor is None and factor <= 1.0:
            return None
        return rope_types.scaling_for(self.rope_type, factor, rotary_pairs)


def parse_rope_scaling(spec: str | None) -> RopeScaling | None:
    """``"yarn:4"`` -> ``RopeScaling("yarn", 4.0)``; ``None``, ``""`` or ``"none"`` -> ``None``.

    Strict: an unknown type, a missing, non-numeric, non-finite or < 1 factor raises ``ValueError``
    naming the spec and listing the valid types.
    """
    if spec is None or spec.strip().lower() in ("", "none"):
        return None
    text = spec.strip().lower()
    types = rope_types.scaling_types()
    valid = f"valid types: {', '.join(types)}; forms: {_SPEC_FORMS}"
    if text == "auto":
        return RopeScaling("yarn", None)
    if text.count(":") != 1:
        raise ValueError(f"--rope-scaling {spec!r} is not TYPE:FACTOR; {valid}")
    rope_type, factor_text = (part.strip() for part in text.split(":"))
    if rope_type not in types:
        raise ValueError(f"--rope-scaling {spec!r}: unknown type {rope_type!r}; {valid}")
    if factor_text == "auto":
        return RopeScaling(rope_type, None)
    try:
        factor = float(factor_text)
    except ValueError:
        raise ValueError(
            f"--rope-scaling {spec!r}: factor {factor_text!r} is not a number; {valid}"
        ) from None
    if not math.isfinite(factor) or not 1.0 <= factor <= MAX_FACTOR:
        raise ValueError(
            f"--rope-scaling {spec!r}: factor must be a finite number in [1, 2^24], got {factor_text!r}"
        )
    return RopeScaling(rope_type, factor)


def __getattr__(name: str) -> Any:
    # ROPE_SCALING_TYPES, read from the registry when asked (a rope_type registered later is listed)
    if name == "ROPE_SCALING_TYPES":
        return rope_types.scaling_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
