"""The analysis behind ``posenc inspect``: one JSON-ready report per config.

:mod:`posenc.inspector.resolve` first finds the model behind the config (wrapper, defaults, which layers
rotate with which RoPE set); each RoPE set is then analysed the same way (:mod:`.rope_set`, what its scaling
does in :mod:`.scaling`), and the set of the global (full-attention) layers, the one that has to cover long
distances, fills the report's top-level keys. Here: the model around them (layer groups and their windows,
mrope, position-dependent query scales); then the checks (:mod:`.pitfalls`, a rule list) and the summary a
person reads first (:mod:`.summary`).
"""

from __future__ import annotations

from typing import Any

from posenc.encodings import rope
from posenc.inspector import architectures as archs
from posenc.inspector.pitfalls import pitfalls
from posenc.inspector.resolve import NotRope, Resolved, mrope_axes, query_scale_at, resolve
from posenc.inspector.rope_set import MAX_TARGET, dual_chunk, frequencies, rope_report
from posenc.inspector.summary import rope_words, summary_lines


def inspect_config(
    config: dict[str, Any],
    name: str = "config",
    target_length: int | None = None,
    path: str | None = None,
    as_type: str | None = None,
) -> dict[str, Any]:
    """The full report for one config dict (JSON-ready: numbers, strings, lists, dicts, ``None``).

    Non-RoPE configs get a short report (``family`` "none" and what they use instead). Raises
    ``ValueError`` prefixed with ``name`` when the config is malformed, its architecture unsupported, or its
    RoPE set-up cannot be computed. ``as_type`` reads the text model as that model type (``--as``).
    """
    head = {"name": name, "path": path, "source": config.get("_source"), "note": config.get("_note")}
    if target_length is not None and not (
        isinstance(target_length, int)
        and not isinstance(target_length, bool)
        and 0 < target_length <= MAX_TARGET
    ):
        raise ValueError(
            f"--target-length must be an integer in 1 … {MAX_TARGET} (2^24), got {target_length!r}"
        )
    disagreement = rope_dicts_disagree(config)
    if disagreement:
        raise ValueError(f"{name}: {disagreement}")
    try:
        res = resolve(config, as_type)
    except NotRope as err:
        encoding, evidence = err.args
        return head | {
            "family": "none",
            "position_encoding": encoding,
            "evidence": evidence,
            "message": _not_rope_message(encoding, evidence),
            "summary": [_not_rope_message(encoding, evidence)],
        }
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    try:
        return head | _model_report(res, target_length)
    except ValueError as err:
        raise ValueError(f"{name}: {err}{_hint(str(err))}") from None


def rope_dicts_disagree(config: Any) -> str | None:
    """The refusal when a config has both ``rope_scaling`` (transformers 4.x) and ``rope_parameters`` (5.x)
    and a key they share has different values (``type`` read as ``rope_type``), as
    :func:`posenc.encodings.rope_config.params_from_config` refuses it; None otherwise. A key only one of
    them gives (5.x adds ``rope_theta``) is no disagreement; per-layer-type ``rope_parameters`` (a dict of
    dicts) is compared with a flat ``rope_scaling`` only where the two are both flat."""
    if not isinstance(config, dict):
        return None
    old, new = config.get("rope_scaling"), config.get("rope_parameters")
    if not (isinstance(old, dict) and isinstance(new, dict) and old and new):
        return None
    if any(isinstance(v, dict) for v in (*old.values(), *new.values())):
        return None

    def norm(d: dict) -> dict:
        out = dict(d)
        if "type" in out and "rope_type" not in out:
            out["rope_type"] = out.pop("type")
        out.pop("type", None)
        return out

    a, b = norm(old), norm(new)
    for key in sorted(set(a) & set(b)):
        if a[key] != b[key]:
            return (
                "config has both 'rope_scaling' (transformers 4.x) and 'rope_parameters' (5.x) and they "
                f"differ ({key}: {str(a[key])[:40]} vs {str(b[key])[:40]}); keep one"
            )
    return None


def _not_rope_message(encoding: str, evidence: str) -> str:
    what = {
        "alibi": "ALiBi (Press et al. 2022): linear distance biases on the attention scores, no rotation",
        "learned": "a learned absolute position table added to the embeddings (cannot go past its size)",
        "t5_relative_bias": "T5's bucketed relative position bias on the attention scores",
    }.get(encoding, f"position_embedding_type {encoding!r}")
    return f"not RoPE: this config uses {what} ({evidence}); posenc inspect analyses RoPE set-ups only"


def _hint(message: str) -> str:
    """One more sentence for the two pitfalls that stop the computation itself."""
    if "'factor' must be a number >= 1" in message:
        return (
            " — a factor below 1 shrinks the context instead of extending it (transformers only warns; "
            "posenc refuses)"
        )
    if "rotary dim" in message:
        return " — RoPE rotates features in pairs, so an odd rotary dim leaves one feature without a partner"
    return ""


# --------------------------------------------------------------------------------------------------
# the model: layers, RoPE sets, mrope, query scaling
# --------------------------------------------------------------------------------------------------


def _primary_set(res: Resolved) -> str:
    """The RoPE set of the global (full-attention) layers, else the first one used."""
    for layer in res.layers:
        if layer.layer_type == archs.FULL and layer.rope_set is not None:
            return layer.rope_set
    return next(iter(res.rope_sets))


def _window(res: Resolved, layer_type: str) -> tuple[int | None, str | None]:
    """(tokens a layer of this type attends back, "sliding" or "chunk"), or (None, None) for full "
    "attention."""
    cfg, mode = res.config, res.arch.window if res.arch is not None else "none"
    if mode == "auto":  # read from transformers: its layer types say which layers slide, else every one does
        mode = "sliding_layers" if cfg.get("layer_types") else "all"
    if layer_type == archs.CHUNKED:
        return cfg.get("attention_chunk_size"), "chunk"
    if layer_type in archs.NO_ATTENTION:
        return None, None
    if mode == "all" or (mode == "sliding_layers" and layer_type == archs.SLIDING):
        window, max_pos = cfg.get("sliding_window"), cfg.get("max_position_embeddings")
        # a window as long as the model's whole length (Phi-3.5: 131,072) limits nothing
        if (
            isinstance(window, int)
            and not isinstance(window, bool)
            and 0 < window
            and not (isinstance(max_pos, int) and window >= max_pos)
        ):
            return window, "sliding"
    return None, None


def layer_ranges(indices: list[int]) -> str:
    """``[0, 1, 2, 4, 6, 7]`` → ``"0–2, 4, 6–7"``."""
    parts, start = [], None
    for k, i in enumerate(indices):
        if start is None:
            start = i
        if k + 1 == len(indices) or indices[k + 1] != i + 1:
            parts.append(f"{start}" if start == i else f"{start}–{i}")
            start = None
    return ", ".join(parts)


def _layer_groups(res: Resolved) -> list[dict[str, Any]]:
    """Layers grouped by (type, RoPE set, window), in order of first appearance."""
    groups: dict[tuple, dict[str, Any]] = {}
    for layer in res.layers:
        window, kind = _window(res, layer.layer_type)
        key = (layer.layer_type, layer.rope_set, layer.why_none, window)
        group = groups.setdefault(
            key,
            {
                "layer_type": layer.layer_type,
                "rope_set": layer.rope_set,
                "why_no_rope": layer.why_none,
                "window": window,
                "window_kind": kind,
                "layers": [],
            },
        )
        group["layers"].append(layer.index)
    return [g | {"count": len(g["layers"]), "ranges": layer_ranges(g["layers"])} for g in groups.values()]


def _reach(groups: list[dict[str, Any]], set_id: str) -> dict[str, Any] | None:
    """How far back every layer of a RoPE set can attend, when all of them are windowed: transformers' sliding
    mask keeps ``kv_idx > q_idx − W``, so W − 1 tokens back; a chunk of C tokens reaches C − 1 back."""
    mine = [g for g in groups if g["rope_set"] == set_id]
    if not mine or any(g["window"] is None for g in mine):
        return None
    far = max(mine, key=lambda g: g["window"])
    what = "sliding window" if far["window_kind"] == "sliding" else "chunks of"
    return {
        "tokens": far["window"] - 1,
        "why": f"{what} {far['window']:,}: at most {far['window'] - 1:,} tokens back",
    }


def _set_entry(
    set_id: str, cfg: dict[str, Any], res: Resolved, sub: dict[str, Any], groups: list[dict[str, Any]]
) -> dict[str, Any]:
    """One RoPE set: which layers use it, and its inverse frequencies and attention factor as transformers
    builds them when the model loads (``seq_len`` None; LongRoPE's long list shown beside the short one)."""
    params = rope.params_from_config(cfg)
    inv_freq, attention_scaling = frequencies(cfg)  # [d/2], as the rotary module holds it after __init__
    mine = [g for g in groups if g["rope_set"] == set_id]
    layers = sorted(i for g in mine for i in g["layers"])
    windows = {g["window"] for g in mine}
    entry = {
        "id": set_id,
        "layer_types": sorted({g["layer_type"] for g in mine}),
        "layers": layers,
        "count": len(layers),
        "ranges": layer_ranges(layers),
        "windows": sorted(w for w in windows if w is not None),
        "unwindowed_layers": any(w is None for w in windows),
        "rope_type": params.rope_type,
        "base": float(params.base),
        "head_dim": sub["head_dim"],
        "rotary_dim": params.rotary_dim,
        "factor": sub["factor"],
        "inv_freq": inv_freq.tolist(),
        "attention_scaling": attention_scaling,
        "training_length": sub["training_length"],
        "training_length_from": sub["training_length_from"],
        "target_length": sub["target_length"],
        "scaling_summary": sub["scaling"]["summary"],
        "pairs_with_full_turn": sub["critical_dimension"]["pairs_with_full_turn"],
        "reach": sub["critical_dimension"].get("reach"),
        "base_from": res.theta_from.get(set_id, "rope_theta"),
        "long": None,
    }
    entry["description"] = rope_words(entry)
    if params.rope_type == "longrope":
        original = params.scaling["original_max_position_embeddings"]
        long_inv, long_scaling = frequencies(cfg, seq_len=original + 1)
        entry["long"] = {
            "inv_freq": long_inv.tolist(),
            "attention_scaling": long_scaling,
            "applies_above": original,
            "summary": (
                f"transformers starts with short_factor and switches every layer to long_factor once a "
                f"sequence is longer than {original:,} tokens"
            ),
        }
    return entry


def _mrope_report(res: Resolved, rotary_dim: int) -> dict[str, Any] | None:
    if res.mrope is None:
        return None
    axes = mrope_axes(res.mrope, rotary_dim // 2)
    pairs = {axis: [i for i, a in enumerate(axes) if a == axis] for axis in ("T", "H", "W")}
    names = {"T": "temporal", "H": "height", "W": "width"}
    how = "interleaved T, H, W, T, H, W and so on" if res.mrope["interleaved"] else "in contiguous sections"
    parts = [
        f"{len(pairs[a])} with the {names[a]} ({a}) position: pairs {layer_ranges(pairs[a])}" for a in pairs
    ]
    return res.mrope | {
        "axis_of_pair": axes,
        "pairs": pairs,
        "summary": (
            f"multimodal RoPE (mrope_section {res.mrope['section']}, {how}; {res.mrope['why']}): of the "
            f"{rotary_dim // 2} pairs, "
            + "; ".join(parts)
            + ". For text tokens all three positions are equal, "
            "so text alone sees plain RoPE"
        ),
    }


def _query_entries(res: Resolved, groups: list[dict[str, Any]], train: int, target: int) -> list[dict]:
    out = []
    nope = sorted(
        i for g in groups if g["rope_set"] is None and "NoPE" in (g["why_no_rope"] or "") for i in g["layers"]
    )
    attending = sorted(i for g in groups if g["layer_type"] not in archs.NO_ATTENTION for i in g["layers"])
    for q in res.query_scaling:
        layers = nope if q["layers"] == "nope" else attending
        at_train, at_target = query_scale_at(q, train - 1), query_scale_at(q, target - 1)
        out.append(
            q
            | {
                "layer_indices": layers,
                "at_training_length": at_train,
                "at_target_length": at_target,
                "summary": (
                    f"{q['name']}: {q['formula']} with "
                    + (
                        f"attn_scale {q['beta']:g}, floor_scale {q['period']:,}"
                        if q["offset"]
                        else f"β = {q['beta']:g}, original_max_position_embeddings {q['period']:,}"
                    )
                    + f" on {len(layers)} layers ({layer_ranges(layers)}): ×{at_train:.4g} at position "
                    + (
                        f"{train - 1:,} (the training and target length). "
                        if target == train
                        else f"{train - 1:,}, ×{at_target:.4g} at {target - 1:,}. "
                    )
                    + "It multiplies q by a factor that "
                    "grows "
                    "with the position (sharper attention far out), unlike an mscale that multiplies the "
                    "softmax scale for every position alike"
                ),
            }
        )
    return out


def _model_report(res: Resolved, target_arg: int | None) -> dict[str, Any]:
    if not res.rope_sets:
        raise ValueError(
            "no layer of this model rotates q/k (every layer is NoPE, linear attention or convolution)"
        )
    groups = _layer_groups(res)
    primary = _primary_set(res)
    reach = {set_id: _reach(groups, set_id) for set_id in res.rope_sets}
    report = rope_report(
        res.rope_sets[primary], res, target_arg, precision=True, primary=primary, reach=reach[primary]
    )
    target, train = report["target_length"], report["training_length"]
    subs = {
        set_id: report
        if set_id == primary
        else rope_report(cfg, res, target, precision=False, primary=set_id, reach=reach[set_id])
        for set_id, cfg in res.rope_sets.items()
    }
    sets = [_set_entry(set_id, cfg, res, subs[set_id], groups) for set_id, cfg in res.rope_sets.items()]
    mrope = _mrope_report(res, report["rotary_dim"])
    if mrope is not None:
        for pair, axis in zip(report["pairs"], mrope["axis_of_pair"], strict=True):
            pair["axis"] = axis
    without = [g for g in groups if g["rope_set"] is None]
    report.update(
        architecture={
            "model_type": res.model_type,
            "declared_model_type": res.declared_type,
            "config_class": res.arch.source if res.arch is not None else None,
            "wrapper": res.wrapper,
            "remote_code": res.remote_code,
            "layout": res.layout,
            "layout_why": res.layout_why,
            "defaults_filled": res.defaults,
            **({"read_as": res.read_as} if res.read_as else {}),
            **(
                {"from_transformers": res.arch.from_transformers}
                if res.arch and res.arch.from_transformers
                else {}
            ),
        },
        layers={
            "count": len(res.layers),
            "groups": groups,
            "types": [layer.layer_type for layer in res.layers],
        },
        rope_sets=sets,
        primary_rope_set=primary,
        layers_without_rope={
            "count": sum(g["count"] for g in without),
            "layers": sorted(i for g in without for i in g["layers"]),
            "groups": [
                {"why": g["why_no_rope"], "layers": g["layers"], "ranges": g["ranges"]} for g in without
            ],
        },
        mrope=mrope,
        query_scaling=_query_entries(res, groups, train, target),
    )
    dca = dual_chunk(res.config)
    if dca is not None:
        report["dual_chunk_attention"] = dca | {
            "summary": (
                f"dual chunk attention (dual_chunk_attention_config: chunks of {dca['chunk_size']:,}, local "
                f"window {dca['local_size']:,}): servers that implement it (vLLM, SGLang) reach "
                f"{report['target_length']:,} tokens by keeping every relative position within the "
                f"{train:,} trained; transformers does not implement it and rotates with plain positions"
            )
        }
    primary_entry = next(s for s in sets if s["id"] == primary)
    report["pitfalls"] = pitfalls(report, res, primary_entry)
    report["summary"] = summary_lines(report)
    return report
