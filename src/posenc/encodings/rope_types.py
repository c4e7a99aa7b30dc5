"""The rope_type registry as the CLI, the inspector and the lab read it (torch-free).

Every rope_type is one function and one entry in :mod:`posenc.encodings.rope_scaling` (``REGISTRY``);
nothing here lists a type by name. What each front end asks:

    scaling_types()            the types ``posenc eval --rope-scaling TYPE:FACTOR`` accepts
    explorer_types()           rope_type -> the frequency explorer's controls it reads
    label(t), note(t)          the menu line and the sentence shown beside the explorer's chart
    ramp(t)                    the (low, high) keys of YaRN's ramp or Llama 3.1's bands, or None
    keys(t), static_factor(t)  what the inspector lists as parameters; whether s × L bounds the context
    scaling_for(t, s, pairs)   the ``rope_scaling`` dict an evaluation applies at factor s
    config_for(t, s, L, N, …)  a whole Hugging Face style config (and the seq_len to compute it at)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posenc.encodings.rope_scaling import ORIGINAL, REGISTRY


def scaling_types() -> tuple[str, ...]:
    """The rope_types that scale by a factor: what ``posenc eval --rope-scaling TYPE:FACTOR`` accepts."""
    return tuple(name for name, entry in REGISTRY.items() if entry.is_scaling)


def explorer_types() -> dict[str, tuple[str, ...]]:
    """rope_type -> the frequency explorer's controls it reads besides head_dim and base."""
    return {name: entry.explorer_fields for name, entry in REGISTRY.items()}


def label(rope_type: str) -> str:
    """One line for a menu: ``"yarn: YaRN (NTK-by-parts + temperature)"``."""
    return REGISTRY[rope_type].label


def note(rope_type: str) -> str:
    """What the method does to the frequencies, in a sentence or two."""
    return REGISTRY[rope_type].note


def ramp(rope_type: str) -> tuple[str, str] | None:
    """The (low, high) keys of the method's ramp or bands, or None: ``("beta_slow", "beta_fast")`` for YaRN,
    ``("low_freq_factor", "high_freq_factor")`` for Llama 3.1. Pairs turning fewer than ``low`` times over L
    are divided by s, more than ``high`` times kept."""
    return REGISTRY[rope_type].ramp


def scaling_for(
    rope_type: str, factor: float, rotary_pairs: int, original: int | None = None, **settings: Any
) -> dict[str, Any] | None:
    """The ``rope_scaling`` dict of ``rope_type`` at factor s, or None for a type that does not scale.

    original: L, written as ``original_max_position_embeddings`` for a type that reads it (left out: the
        model fills in its own training length). settings: values of the type's own keys (``beta_fast``,
        ``low_freq_factor``, …); keys the type does not read are ignored. A key the type needs and
        ``settings`` leaves out takes the entry's ``fill`` (Llama 3.1's bands, uniform LongRoPE lists).
    """
    entry = REGISTRY[rope_type]
    if not entry.is_scaling:
        return None
    spec: dict[str, Any] = {"rope_type": rope_type, "factor": float(factor)}
    if original is not None and entry.needs_original:
        spec[ORIGINAL] = original
    filled = entry.fill(float(factor), rotary_pairs) if entry.fill else {}
    for key in entry.keys:
        if key in spec:
            continue
        if key in settings:
            spec[key] = settings[key]
        elif key in filled:
            spec[key] = filled[key]
    return spec


def config_for(
    rope_type: str, factor: float, original: int, target: int, *, head_dim: int, base: float, **settings: Any
) -> tuple[dict[str, Any], int | None]:
    """A Hugging Face style config for (type, factor s, training length L, target length N), and the
    ``seq_len`` to compute its frequencies at (N for a length-dependent type, else None).

    ``max_position_embeddings`` is N for a type that reads L separately (the extended length; MiniMind's
    table length, its ramp on only when N > L), else L (dynamic NTK reads the trained length from it).
    settings: as in :func:`scaling_for`.
    """
    entry = REGISTRY[rope_type]
    config = {
        "head_dim": head_dim,
        "rope_theta": base,
        "max_position_embeddings": target if entry.needs_original else original,
        "rope_scaling": scaling_for(rope_type, factor, head_dim // 2, original, **settings),
    }
    return config, target if entry.length_dependent else None


def keys(rope_type: str) -> Mapping[str, Any]:
    """The scaling keys ``rope_type`` reads, in report order: ``REQUIRED``, ``DERIVED`` or the default."""
    return REGISTRY[rope_type].keys


def static_factor(rope_type: str) -> bool:
    """Whether the factor is fixed, so the method was designed for factor × L tokens (not dynamic NTK)."""
    return REGISTRY[rope_type].static_factor
