"""Parsing the two user specs of an evaluation: the lengths and the RoPE scaling.

Lengths (``--lengths 1x,2x,4x,8x,16x``) are multiples of the run's training length ``L`` or
plain token counts (``512``); they are parsed first (syntax) and resolved against ``L`` once the
run is loaded.

RoPE scaling (``--rope-scaling yarn:4``) is ``TYPE:FACTOR``, ``TYPE:auto`` or ``auto``:

==================  ===========================================================================
``linear:2``        position interpolation (Chen et al. 2023): positions divided by the factor
``ntk:8``           static NTK-aware scaling (bloc97 2023): base multiplied by f^(d/(d-2))
``dynamic:4``       dynamic NTK (transformers ``rope_type="dynamic"``): base grows with the length
``yarn:4``          YaRN (Peng et al. 2023), transformers' defaults beta_fast 32, beta_slow 1
``minimind_yarn:16``  MiniMind's own YaRN variant (its ``inference_rope_scaling``)
``llama3:8``        Llama 3.1 scaling, low_freq_factor 1, high_freq_factor 4 (Meta's values)
``longrope:4``      LongRoPE (Ding et al. 2024) with *uniform* rescale factors: short_factor = 1 and
                    long_factor = FACTOR for every rotary pair. LongRoPE's real factors are searched
                    per model; the uniform choice makes it a PI stretch beyond L plus the paper's
                    attention factor sqrt(1 + ln s / ln L).
``auto``            ``yarn:auto``; ``TYPE:auto`` uses factor = evaluated length / L at each length
                    (no scaling at lengths <= L).
==================  ===========================================================================

``original_max_position_embeddings`` is the run's training length ``L`` (the model's default).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: the RoPE scaling types ``--rope-scaling`` accepts, in the order they are listed in errors
ROPE_SCALING_TYPES: tuple[str, ...] = (
    "linear",
    "ntk",
    "dynamic",
    "yarn",
    "minimind_yarn",
    "llama3",
    "longrope",
)

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
        spec: dict = {"rope_type": self.rope_type, "factor": float(factor)}
        if self.rope_type == "llama3":
            spec.update(low_freq_factor=1.0, high_freq_factor=4.0)
        elif self.rope_type == "longrope":
            spec.update(short_factor=[1.0] * rotary_pairs, long_factor=[float(factor)] * rotary_pairs)
        return spec


def parse_rope_scaling(spec: str | None) -> RopeScaling | None:
    """``"yarn:4"`` -> ``RopeScaling("yarn", 4.0)``; ``None``, ``""`` or ``"none"`` -> ``None``.

    Strict: an unknown type, a missing, non-numeric, non-finite or < 1 factor raises ``ValueError``
    naming the spec and listing the valid types.
    """
    if spec is None or spec.strip().lower() in ("", "none"):
        return None
    text = spec.strip().lower()
    valid = f"valid types: {', '.join(ROPE_SCALING_TYPES)}; forms: {_SPEC_FORMS}"
    if text == "auto":
        return RopeScaling("yarn", None)
    if text.count(":") != 1:
        raise ValueError(f"--rope-scaling {spec!r} is not TYPE:FACTOR; {valid}")
    rope_type, factor_text = (part.strip() for part in text.split(":"))
    if rope_type not in ROPE_SCALING_TYPES:
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
