"""The summary a person reads first: a few lines over the whole report, and the words for a RoPE set."""

from __future__ import annotations

from typing import Any

from posenc.inspector import architectures as archs


def rope_words(s: dict[str, Any]) -> str:
    """``base 1,000,000, linear ×8`` for a RoPE set."""
    names = {
        "default": "plain",
        "linear": "linear",
        "yarn": "YaRN",
        "llama3": "Llama 3",
        "dynamic": "dynamic NTK",
        "longrope": "LongRoPE",
    }
    words = names.get(s["rope_type"], s["rope_type"])
    if s["factor"] and s["rope_type"] != "longrope":
        words += f" ×{s['factor']:g}"
    partial = f", {s['rotary_dim']} of {s['head_dim']} dims" if s["rotary_dim"] != s["head_dim"] else ""
    return f"base {s['base']:,.0f}, {words}{partial}"


def _group_words(g: dict[str, Any]) -> str:
    window = f"; {g['window_kind']} window {g['window']:,}" if g["window"] else ""
    return f"{g['count']} {g['layer_type']} (layers {g['ranges']}{window})"


def summary_lines(r: dict[str, Any]) -> list[str]:
    a, lines = r["architecture"], []
    what = f"model_type {a['model_type']!r}" if a["model_type"] else "no model_type (Llama-style keys)"
    if a["wrapper"]:
        what = (
            f"{a['wrapper']['model_type']} wrapper, text model {a['model_type']} under {a['wrapper']['key']}"
        )
    if a.get("read_as"):
        what += f" (model_type {a['read_as']['from']!r} read as {a['model_type']!r}: {a['read_as']['how']})"
    if a.get("from_transformers"):
        what += f" (defaults from transformers {a['from_transformers']}'s {a['config_class']})"
    if a["remote_code"]:
        what += " (remote code; posenc knows its RoPE)"
    if a["defaults_filled"]:
        shown = ", ".join(f"{d['name']} {_short(d['value'])}" for d in a["defaults_filled"])
        what += f"; filled as {a['config_class']} does: {shown}"
    lines.append(what)
    pair = "(2i, 2i + 1)" if a["layout"] == archs.INTERLEAVED else f"(i, i + {r['rotary_dim'] // 2})"
    lines.append(
        f"{a['layout']} layout: pair i rotates features {pair} of the {r['rotary_dim']} rotated dims "
        f"(head_dim {r['head_dim']}); {a['layout_why']}"
    )
    parts = []
    for s in r["rope_sets"]:
        groups = [g for g in r["layers"]["groups"] if g["rope_set"] == s["id"]]
        parts.append(" + ".join(_group_words(g) for g in groups) + f": {rope_words(s)}")
    for g in r["layers"]["groups"]:
        if g["rope_set"] is None:
            parts.append(f"{_group_words(g)}: no RoPE, {g['why_no_rope']}")
    lines.append(f"{r['layers']['count']} layers: " + "; ".join(parts))
    if r["mrope"]:
        lines.append(r["mrope"]["summary"])
    lines += [q["summary"] for q in r["query_scaling"]]
    if r.get("dual_chunk_attention"):
        lines.append(r["dual_chunk_attention"]["summary"])
    length = (
        f"length: trained at {r['training_length']:,} ({r['training_length_from']}), analysed at "
        f"{r['target_length']:,} ({r['target_length_from']})"
    )
    lines.append(length)
    warnings = [p for p in r["pitfalls"] if p["severity"] == "warning"]
    lines.append(
        f"{len(warnings)} warning{'s' * (len(warnings) != 1)} about this config"
        + (": " + ", ".join(p["code"] for p in warnings) if warnings else "")
    )
    return lines


def _short(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:,}" if isinstance(value, int) or value != int(value) else f"{int(value):,}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items() if k != "type") + "}"
    return str(value)
