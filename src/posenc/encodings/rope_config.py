"""A Hugging Face style config dict -> :class:`~posenc.encodings.rope_scaling.RopeParams`, and its checks.

``params_from_config(config)`` reads the keys a model's ``config.json`` uses (``head_dim`` or
``hidden_size``/``num_attention_heads``, ``rope_theta``, ``partial_rotary_factor``,
``max_position_embeddings`` and ``rope_scaling`` (transformers 4.x) or ``rope_parameters`` (5.x));
``validate(params)`` checks them separately from the computation and raises ``ValueError`` naming the
bad field: the checks every rope_type shares, then those its registry entry implies, then its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from posenc.encodings.rope_scaling import (
    REGISTRY,
    REQUIRED,
    ROPE_TYPES,
    RopeParams,
    check_factor,
    is_number,
    is_positive_int,
    needs_original,
)

# --------------------------------------------------------------------------------------------------
# a Hugging Face style config dict -> RopeParams
# --------------------------------------------------------------------------------------------------

DEFAULT_THETA = 10000.0  # transformers' default when a config has no rope_theta
#: the widest rotary dim accepted: real heads are 64-256 wide; beyond this a typo only allocates
MAX_ROTARY_DIM = 2**16


def _positive_int(config: Mapping[str, Any], key: str) -> int:
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"config {key!r} must be a positive integer, got {value!r}")
    return value


def _scaling_dict(config: Mapping[str, Any]) -> dict[str, Any]:
    """The scaling keys from ``rope_scaling`` (transformers 4.x) or ``rope_parameters`` (5.x)."""
    found = {}
    for key in ("rope_scaling", "rope_parameters"):
        value = config.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise ValueError(
                f"config {key!r} must be a dict (or null), got {type(value).__name__}: {value!r}"
            )
        if value:
            found[key] = dict(value)
    if len(found) == 2 and found["rope_scaling"] != found["rope_parameters"]:
        raise ValueError(
            "config has both 'rope_scaling' (transformers 4.x) and 'rope_parameters' (5.x) "
            "and they differ; keep one"
        )
    return next(iter(found.values()), {})


def params_from_config(config: Mapping[str, Any]) -> RopeParams:
    """Resolve a Hugging Face style config dict into :class:`RopeParams` (not yet validated).

    Reads ``head_dim`` (or ``hidden_size // num_attention_heads``), ``partial_rotary_factor``,
    ``rope_theta``, ``max_position_embeddings``, ``original_max_position_embeddings`` and either
    ``rope_scaling`` (``type`` accepted for ``rope_type``) or ``rope_parameters``. Values inside
    ``rope_parameters`` win over top-level ones, except a top-level ``original_max_position_embeddings``
    (Phi-3 keeps it there), which wins as in transformers.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}")
    if config.get("head_dim") is not None:
        head_dim = _positive_int(config, "head_dim")
    else:
        if config.get("hidden_size") is None:
            raise ValueError("config needs 'head_dim' or 'hidden_size' and 'num_attention_heads'")
        hidden, heads = _positive_int(config, "hidden_size"), _positive_int(config, "num_attention_heads")
        if hidden % heads:
            raise ValueError(
                f"hidden_size {hidden} is not divisible by the head count (num_attention_heads {heads}), "
                "so there is no whole head_dim; fix one of them or give 'head_dim' explicitly"
            )
        head_dim = hidden // heads

    scaling = _scaling_dict(config)
    rope_type = scaling.pop("rope_type", None)
    alias = scaling.pop("type", None)
    rope_type = rope_type or alias or "default"

    base = scaling.pop("rope_theta", None)
    base = config.get("rope_theta") if base is None else base
    base = DEFAULT_THETA if base is None else base

    partial = scaling.pop("partial_rotary_factor", None)
    partial = config.get("partial_rotary_factor") if partial is None else partial
    partial = 1.0 if partial is None else partial
    if isinstance(partial, bool) or not isinstance(partial, (int, float)) or not 0 < partial <= 1:
        raise ValueError(f"partial_rotary_factor must be a number in (0, 1], got {partial!r}")

    if needs_original(rope_type) and config.get("original_max_position_embeddings") is not None:
        scaling["original_max_position_embeddings"] = config["original_max_position_embeddings"]
    scaling["rope_type"] = rope_type
    return RopeParams(
        base=base,
        rotary_dim=int(head_dim * partial),
        max_position_embeddings=config.get("max_position_embeddings"),
        scaling=MappingProxyType(scaling),
    )


def validate(p: RopeParams) -> None:
    """Raise ``ValueError`` naming the field when ``p`` cannot be computed with; return None otherwise.

    The checks every type shares, then the ones its entry's keys imply (``factor``, the original length),
    then the entry's own ``check``.
    """
    if not isinstance(p.scaling, Mapping):
        raise ValueError(f"rope_scaling must be a dict, got {type(p.scaling).__name__}")
    rope_type = p.rope_type
    if rope_type not in REGISTRY:
        raise ValueError(f"unknown rope_type {rope_type!r}; valid rope_type values: {', '.join(ROPE_TYPES)}")
    entry = REGISTRY[rope_type]
    if not is_number(p.base) or p.base <= 1:
        # θ_i = b^(-2i/d) must fall with i: a base <= 1 gives no low frequencies (or none at all)
        raise ValueError(
            f"rope_theta (the RoPE base) must be a finite number greater than 1 (1e4 in RoFormer, 1e6 in "
            f"MiniMind), got {p.base!r}"
        )
    if not is_positive_int(p.rotary_dim) or p.rotary_dim % 2 or p.rotary_dim > MAX_ROTARY_DIM:
        raise ValueError(
            "the rotary dim (head_dim * partial_rotary_factor) must be a positive even integer up to "
            f"{MAX_ROTARY_DIM}, got {p.rotary_dim!r}"
        )
    max_pos = p.max_position_embeddings
    if max_pos is not None and not is_positive_int(max_pos):
        raise ValueError(f"max_position_embeddings must be a positive integer, got {max_pos!r}")
    if entry.needs_max_position and max_pos is None:
        raise ValueError(f"rope_type {rope_type!r} needs max_position_embeddings (the trained/table length)")

    scaling = p.scaling
    if entry.is_scaling:
        check_factor(rope_type, scaling, required=entry.keys["factor"] == REQUIRED)
    if entry.needs_original:
        original = scaling.get("original_max_position_embeddings")
        if original is None:
            raise ValueError(
                f"rope_type {rope_type!r} needs original_max_position_embeddings (the pretraining length); "
                "it is missing"
            )
        if not is_positive_int(original):
            raise ValueError(f"original_max_position_embeddings must be a positive integer, got {original!r}")
    if entry.check is not None:
        entry.check(p)


__all__ = ["DEFAULT_THETA", "MAX_ROTARY_DIM", "params_from_config", "validate"]
