"""The RoPE settings form the explorer and the angles page share, read from a query string.

The form (``templates/_rope_scaling.html``, ``Lab.ropeForm`` in ``static/lab.js``) names head_dim, base,
rope_type, factor, original length L, target length N, β_fast, β_slow and low/high_freq_factor; the
rotation playground reads head_dim and base the same way. Here are its choices (``form_choices``, one per
rope_type of the library's registry), labels, defaults and bounds, and :func:`explorer_config`, which turns a
query into the Hugging Face style config ``rope.frequencies`` reads, every value checked.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from posenc.encodings import rope_types
from posenc.web.params import BadInput, query_integer, query_number, query_only

# bounds (what the pages offer is a subset; the routes accept these)
MAX_HEAD_DIM = 1024  # larger than any released model's (Gemma: 256); 512 pairs still draw quickly
MAX_BASE = 1e12  # rope_theta: Llama 3 uses 5e5, Qwen 2.5 1e6, some long-context models 1e8 and more
MAX_FACTOR = 1000.0  # scaling factor s: released models use 4 … 40
MAX_LENGTH = 2**24  # tokens: beyond this float32 positions stop being exact integers
MIN_LENGTH = 16  # tokens: shorter "training lengths" make no sense (and ln(L) = 0 breaks LongRoPE)
MAX_BETA = 1e4
MAX_FREQ_FACTOR = 1e4  # llama3 low/high_freq_factor


def form_choices() -> dict[str, Any]:
    """The form's rope_type menu: every entry of the library's registry (posenc.encodings.rope_scaling.
    REGISTRY), in its order, with the explorer parameters it reads besides head_dim and base (``types``)
    and its menu line (``labels``). Read when a page renders, so a new rope_type appears with no edit.
    ``scaling_step``: the learning path's step that teaches scaling (the form's toggle names it)."""
    from posenc.learn.path import load_path

    types = rope_types.explorer_types()
    step = next((s for s in load_path() if s.key == "note:rope-scaling"), None)
    return {"types": types, "labels": {t: rope_types.label(t) for t in types}, "scaling_step": step}


EXPLORER_DEFAULTS: dict[str, Any] = {
    "head_dim": 64,
    "base": 10000.0,
    "rope_type": "yarn",
    "factor": 4.0,
    "original": 2048,
    "target": 8192,
    "beta_fast": 32.0,
    "beta_slow": 1.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
}
FREQUENCY_PARAMS = tuple(EXPLORER_DEFAULTS)  # the form's query parameters


def read_head_dim(params: QueryParams) -> int:
    """head_dim: even, 2 … MAX_HEAD_DIM."""
    head_dim = query_integer(params, "head_dim", EXPLORER_DEFAULTS["head_dim"], low=2, high=MAX_HEAD_DIM)
    if head_dim % 2:
        raise BadInput(f"head_dim must be even (RoPE rotates features in pairs), got {head_dim}")
    return head_dim


def read_base(params: QueryParams) -> float:
    """base (rope_theta): 2 … MAX_BASE."""
    return query_number(params, "base", EXPLORER_DEFAULTS["base"], low=2.0, high=MAX_BASE)


def explorer_config(
    params: QueryParams, *, also: tuple[str, ...] = ()
) -> tuple[dict[str, Any], int | None, dict[str, Any]]:
    """The Hugging Face style config the explorer's controls stand for, the ``seq_len`` to compute at,
    and the values read (each checked). ``also``: further parameters the calling route reads itself
    (the angles page's), accepted here instead of refused as unknown."""
    query_only(params, FREQUENCY_PARAMS + also)
    rope_type = params.get("rope_type", EXPLORER_DEFAULTS["rope_type"])
    choices = rope_types.explorer_types()
    if rope_type not in choices:
        raise BadInput(f"unknown rope_type {rope_type[:40]!r}; choose one of: {', '.join(choices)}")
    v: dict[str, Any] = {"rope_type": rope_type, "head_dim": read_head_dim(params), "base": read_base(params)}
    v["factor"] = query_number(params, "factor", EXPLORER_DEFAULTS["factor"], low=1.0, high=MAX_FACTOR)
    for key in ("original", "target"):
        v[key] = query_integer(params, key, EXPLORER_DEFAULTS[key], low=MIN_LENGTH, high=MAX_LENGTH)
    for key in ("beta_fast", "beta_slow"):
        v[key] = query_number(params, key, EXPLORER_DEFAULTS[key], low=1e-3, high=MAX_BETA)
    for key in ("low_freq_factor", "high_freq_factor"):
        v[key] = query_number(params, key, EXPLORER_DEFAULTS[key], low=1e-3, high=MAX_FREQ_FACTOR)
    ramp = rope_types.ramp(rope_type)
    if ramp == ("beta_slow", "beta_fast") and v["beta_fast"] < v["beta_slow"]:
        raise BadInput(f"beta_fast ({v['beta_fast']:g}) must be >= beta_slow ({v['beta_slow']:g})")
    if ramp == ("low_freq_factor", "high_freq_factor") and v["low_freq_factor"] >= v["high_freq_factor"]:
        raise BadInput(
            f"low_freq_factor ({v['low_freq_factor']:g}) must be smaller than "
            f"high_freq_factor ({v['high_freq_factor']:g})"
        )

    settings = {k: v[k] for k in ("beta_fast", "beta_slow", "low_freq_factor", "high_freq_factor")}
    config, seq_len = rope_types.config_for(
        rope_type, v["factor"], v["original"], v["target"], head_dim=v["head_dim"], base=v["base"], **settings
    )
    return config, seq_len, v
