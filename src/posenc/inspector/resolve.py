"""From a ``config.json`` to the model behind it: which text model, which defaults, which RoPE on which layer.

:func:`resolve` takes the parsed JSON and returns a :class:`Resolved`:

* the text model, unwrapped from a multimodal wrapper (``text_config`` of Gemma 3, Llama 4, Mistral 3,
  Qwen-VL, LLaVA, Voxtral, LFM2-VL) or read from the top level;
* the effective config: the file's keys over the defaults transformers' config class fills
  (:mod:`posenc.inspector.architectures`), aliases resolved (:func:`loading.rope_config`), each default and
  rename listed so nothing changes silently;
* the layer plan: each layer's type and the RoPE set it rotates with, ``None`` for NoPE, linear-attention and
  convolution layers;
* one config dict per RoPE set in the keys :func:`posenc.encodings.rope.frequencies` reads;
* the pair layout, multimodal RoPE (mrope) sections and position-dependent query scales.

A model type outside the built-in table is read through transformers' own config class where transformers is
installed (:mod:`posenc.inspector.from_transformers`). A model type nobody knows (remote code, a custom name)
is followed through its ``architectures`` entry (``DeepseekV3ForCausalLM`` → ``deepseek_v3``), saying so, or
read as the type the caller names (``posenc inspect CONFIG --as llama``); otherwise it raises
``ValueError("unsupported …")`` naming both ways instead of being read as if it were Llama.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from posenc.inspector import architectures as archs
from posenc.inspector import from_transformers as hf
from posenc.inspector.architectures import ARCHITECTURES, FULL, SLIDING, Architecture, LayerRope
from posenc.inspector.loading import detect_family, rope_config

#: RoPE keys that live in ``rope_scaling`` (4.x) / ``rope_parameters`` (5.x), not at the top level
ROPE_DICT_KEYS = ("rope_scaling", "rope_parameters")
#: where multimodal models keep their text model, besides ``text_config``
TEXT_KEYS = ("text_config", "language_config", "llm_config")
MAX_BASE = 3.4e38  # float32's largest finite value: RoPE computes base ** (2i/d) in float32


@dataclass
class Resolved:
    """Everything the analysis needs about the model behind a config (see the module docstring)."""

    model_type: str | None
    declared_type: str | None
    arch: Architecture | None
    config: dict[str, Any]
    wrapper: dict[str, str] | None = None
    defaults: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    layout: str = archs.HALF
    layout_why: str = ""
    remote_code: bool = False
    layers: list[LayerRope] = field(default_factory=list)
    rope_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    mrope: dict[str, Any] | None = None
    query_scaling: list[dict[str, Any]] = field(default_factory=list)
    evidence: str = ""
    theta_from: dict[str, str] = field(default_factory=dict)
    read_as: dict[str, str] | None = None


class NotRope(Exception):
    """The config names a position encoding other than RoPE; ``args`` = (encoding, evidence)."""


# --------------------------------------------------------------------------------------------------
# wrapper, model type, family
# --------------------------------------------------------------------------------------------------


def _unwrap(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str] | None, list[str]]:
    """The text model's config, the wrapper it came from, and notes."""
    declared = config.get("model_type")
    if declared in archs.FLAT_WRAPPERS and not isinstance(config.get("text_config"), Mapping):
        text = {k: v for k, v in config.items() if k != "vision_config"}
        text["model_type"] = archs.FLAT_WRAPPERS[declared]
        wrapper = {"model_type": declared, "key": "(top level)"}
        return (
            text,
            wrapper,
            [f"{declared}: the text model's keys sit at the top level next to vision_config"],
        )
    own = hf.text_model_of(declared) if isinstance(declared, str) and declared not in archs.WRAPPERS else None
    for key in (*TEXT_KEYS, *([own[0]] if own and own[0] not in TEXT_KEYS else [])):
        sub = config.get(key)
        if sub is None:
            continue
        if not isinstance(sub, Mapping):
            raise ValueError(
                f"'{key}' must be a JSON object (the text model's config), got {_json_type(sub)}"
            )
        text = dict(sub)
        default_type = archs.WRAPPERS.get(str(declared), (key, None))[1]
        if default_type is None and own is not None and own[0] == key:
            default_type = own[1]
        if text.get("model_type") is None and default_type:
            text["model_type"] = default_type
        for k in ("_name_or_path", "_source", "_note"):
            text.pop(k, None)
        wrapper = {"model_type": str(declared), "key": key}
        note = f"{declared}: text model under '{key}' (model_type {text.get('model_type')!r})"
        return text, wrapper, [note]
    wrapped = archs.WRAPPERS.get(declared) if isinstance(declared, str) else None
    if wrapped is None and isinstance(declared, str) and declared not in archs.ARCHITECTURES:
        wrapped = hf.text_model_of(declared)
    if wrapped is not None:
        key, default_type = wrapped
        note = f"{declared}: no '{key}' in the file, so the text model is {default_type} with its defaults"
        return {"model_type": default_type}, {"model_type": str(declared), "key": key}, [note]
    return {k: v for k, v in config.items() if not k.startswith("_")}, None, []


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _unsupported(
    model_type: str, text: Mapping[str, Any], top: Mapping[str, Any], encoding: str
) -> ValueError:
    auto_map = top.get("auto_map") or text.get("auto_map")
    remote = " (remote code: auto_map names its own modeling file)" if auto_map else ""
    keys = [
        k
        for k in ("rope_theta", "rotary_emb_base", "rotary_pct", "rope_scaling", "rope_parameters")
        if k in text
    ]
    hint = (
        f"; keys {', '.join(keys)} suggest RoPE, but how the model applies them lives in its own code"
        if keys or encoding == "rope"
        else ""
    )
    names = _architectures(text, top)
    declared = f" and its architectures ({', '.join(names)}) name no known model" if names else ""
    where = f" or transformers {hf.version()}" if hf.version() else " (install transformers for more types)"
    return ValueError(
        f"unsupported architecture: model_type {model_type!r}{remote} is not one posenc{where} knows"
        f"{declared}{hint}; if the model follows a known architecture, say which: posenc inspect CONFIG --as "
        f"MODEL_TYPE (e.g. --as llama), or put its model class in 'architectures' (e.g. "
        f'"LlamaForCausalLM"); built in: {", ".join(sorted(ARCHITECTURES))}'
    )


def _architectures(text: Mapping[str, Any], top: Mapping[str, Any]) -> list[str]:
    names = top.get("architectures") or text.get("architectures") or []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _known(model_type: str) -> Architecture | None:
    """The built-in architecture of ``model_type``, else one read from transformers' config class."""
    if model_type in ARCHITECTURES:
        return ARCHITECTURES[model_type]
    if hf.knows(model_type):
        return hf.architecture(model_type)
    return None


def _read_as(
    as_type: str | None, declared: str | None, text: dict[str, Any], top: Mapping[str, Any]
) -> tuple[str, dict[str, str]] | None:
    """(model type, why) when ``--as`` names one, or when an unknown model type's ``architectures`` entry is
    a known model class; ``None`` otherwise."""
    if as_type is not None:
        if _known(as_type) is None:
            where = f" or transformers {hf.version()}" if hf.version() else ""
            raise ValueError(
                f"--as {as_type!r}: not a model type posenc{where} knows; built in: "
                f"{', '.join(sorted(ARCHITECTURES))}"
            )
        return as_type, {"from": str(declared), "how": "--as", "why": f"read as {as_type!r} (--as {as_type})"}
    if declared is None or _known(declared) is not None:
        return None
    for name in _architectures(text, top):
        found = hf.model_type_of_class(name)
        if found is not None:
            model_type, how = found
            why = (
                f"model_type {declared!r} is not one posenc knows; its architectures names {name}, so it is "
                f"read as {model_type!r} ({how})"
            )
            return model_type, {"from": declared, "how": f"architectures: {name}", "why": why}
    return None


def _family(
    text: dict[str, Any], top: Mapping[str, Any], as_type: str | None = None
) -> tuple[str | None, Architecture | None, str, list[str], dict[str, str] | None]:
    """(model type, architecture or None for a config without model_type, evidence, notes); raises
    :class:`NotRope` for ALiBi/learned/T5 configs and ``ValueError`` for unsupported ones."""
    notes: list[str] = []
    declared = text.get("model_type")
    if declared is not None and not isinstance(declared, str):
        raise ValueError(f"'model_type' must be a string, got {_json_type(declared)}")
    model_type = declared
    read_as = _read_as(as_type, declared, text, top)
    if read_as is not None:
        model_type, how = read_as
        text["model_type"] = model_type
        notes.append(how["why"])
    elif declared in archs.MODEL_TYPE_ALIASES:
        model_type, why = archs.MODEL_TYPE_ALIASES[declared]
        text["model_type"] = model_type
        notes.append(f"model_type {declared!r} read as {model_type!r} ({why})")
    encoding, evidence = detect_family(text)
    if encoding not in ("rope", "unknown"):
        raise NotRope(encoding, evidence)
    if model_type is None:
        if encoding != "rope":
            raise ValueError(
                "unsupported config: no 'model_type' and no position-encoding key recognised (looked for "
                "rope_theta, rope_scaling, rope_parameters, rotary_pct, alibi, position_embedding_type, "
                "n_positions, relative_attention_num_buckets)"
            )
        return None, None, evidence + " (no model_type: read as Llama-style keys)", notes, None
    arch = _known(model_type)
    if arch is None:
        raise _unsupported(model_type, text, top, encoding)
    evidence = f"model_type {model_type!r}"
    if arch.from_transformers:
        swept = _sweep_note()
        notes.append(
            f"{model_type}: defaults and layer types from transformers {arch.from_transformers}'s "
            f"{arch.source}; how it rotates from posenc's table{swept}"
        )
    return model_type, arch, evidence, notes, read_as[1] if read_as else None


def _sweep_note() -> str:
    """`` (checked against transformers X.Y: N of N model types with rotary embeddings)`` or ``""``."""
    from posenc.inspector.rotations import SWEPT

    if not SWEPT.get("transformers"):
        return ""
    return (
        f" (checked against transformers {SWEPT['transformers']}: {SWEPT['exact']} of {SWEPT['total']} model "
        "types with rotary embeddings)"
    )


# --------------------------------------------------------------------------------------------------
# defaults and model-specific key translations
# --------------------------------------------------------------------------------------------------


def _chatglm(cfg: dict[str, Any], notes: list[str]) -> None:
    """ChatGLM2/3: RotaryEmbedding(kv_channels // 2, base = 10000·rope_ratio) rotates half of each head."""
    head_dim = cfg.get("kv_channels") or cfg["hidden_size"] // cfg["num_attention_heads"]
    ratio = cfg.get("rope_ratio", 1.0)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio < math.inf:
        raise ValueError(f"'rope_ratio' must be a positive number, got {ratio!r}")
    cfg.setdefault("head_dim", head_dim)
    cfg.setdefault("partial_rotary_factor", 0.5)
    cfg.setdefault("rope_theta", 10000.0 * ratio)
    cfg.setdefault("max_position_embeddings", cfg.get("seq_length"))
    notes.append(
        f"ChatGLM: head_dim = kv_channels = {head_dim}, RoPE on its first half (partial_rotary_factor 0.5), "
        f"base = 10000 × rope_ratio {ratio:g} = {10000.0 * ratio:g}, length = seq_length "
        f"{cfg.get('seq_length')} "
        "(modeling_chatglm.py RotaryEmbedding; transformers' GlmConfig port reads the same)"
    )


def _ntk_alpha(cfg: dict[str, Any], notes: list[str]) -> None:
    """HunYuan: ``"type": "dynamic"`` with ``alpha`` is a fixed larger base, base × alpha^(d/(d−2)) with d
    the head dim (transformers' HunYuan rotary calls it ``ntk_alpha``: no length dependence, attention
    factor 1)."""
    rope = _rope_dict(cfg)
    if not rope or (rope.get("rope_type") or rope.get("type")) != "dynamic" or not rope.get("alpha"):
        return
    alpha, d = rope["alpha"], cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < math.inf:
        raise ValueError(f"rope scaling 'alpha' must be a positive number, got {alpha!r}")
    if not isinstance(d, int) or d < 4:
        raise ValueError(f"HunYuan's alpha scaling needs a head_dim of at least 4, got {d!r}")
    theta = rope.get("rope_theta", cfg.get("rope_theta", 10000.0))
    base = theta * alpha ** (d / (d - 2))
    kept = {k: v for k, v in rope.items() if k == "partial_rotary_factor"}
    for key in ROPE_DICT_KEYS:
        cfg.pop(key, None)
    cfg["rope_parameters"] = kept | {"rope_type": "default", "rope_theta": base}
    notes.append(
        f"HunYuan: rope scaling type 'dynamic' with alpha {alpha:g} is a fixed larger base, not dynamic NTK: "
        f"base × alpha^(d/(d−2)) = {theta:g} × {alpha:g}^({d}/{d - 2}) = {base:,.6g}, the same at every "
        "length (transformers' HunYuan rotary, 'ntk_alpha'); read as plain RoPE with that base"
    )


TRANSLATIONS = {
    "chatglm": _chatglm,
    "hunyuan_v1_dense": _ntk_alpha,
    "hunyuan_v1_moe": _ntk_alpha,
    "hunyuan_vl_text": _ntk_alpha,
}


def _rope_dict(cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    for key in ROPE_DICT_KEYS:
        value = cfg.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise ValueError(f"config {key!r} must be a dict (or null), got {_json_type(value)}: {value!r}")
        if value:
            return dict(value)
    return None


def _fill_defaults(arch: Architecture, text: dict[str, Any], model_type: str) -> tuple[dict, list[dict]]:
    """The file's keys over the architecture's defaults, and which defaults were used."""
    cfg = dict(text)
    filled = []
    has_rope_dict = _rope_dict(text) is not None
    for key, value in arch.defaults.items():
        if key in text:
            continue
        if key == "rope_parameters" and has_rope_dict:
            continue
        if (
            key == "rope_theta"
            and isinstance(arch.defaults.get("rope_parameters"), Mapping)
            and not has_rope_dict
        ):
            continue
        cfg[key] = value
        filled.append({"name": key, "value": value, "from": f"default of {arch.source}"})
    return cfg, filled


def _check_numbers(cfg: Mapping[str, Any], rope: Mapping[str, Any] | None) -> None:
    """Numbers JSON allows but RoPE cannot use (float32 overflow, lengths past float32's exact integers)."""
    for where, source in (("", cfg), ("rope_scaling/rope_parameters ", rope or {})):
        base = source.get("rope_theta")
        if isinstance(base, (int, float)) and not isinstance(base, bool) and base > MAX_BASE:
            raise ValueError(
                f"{where}'rope_theta' = {base:g} overflows float32 (largest 3.4e38), where RoPE computes "
                "base^(2i/d); no real model uses a base this large"
            )


# --------------------------------------------------------------------------------------------------
# RoPE sets, mrope, query scaling
# --------------------------------------------------------------------------------------------------


def _without_rope_dicts(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cfg.items() if k not in ROPE_DICT_KEYS}


def _nested_by_layer_type(rope: Mapping[str, Any] | None, layer_types: tuple[str, ...] = ()) -> bool:
    """A 5.x ``rope_parameters`` with one dict per layer type (the usual three, or the model's own)."""
    return (
        bool(rope)
        and all(isinstance(v, Mapping) or v is None for v in rope.values())
        and bool(set(rope) & {FULL, SLIDING, archs.CHUNKED, *layer_types})
    )


def _rope_sets(
    arch: Architecture | None, cfg: dict[str, Any], layers: list[LayerRope], theta_from: dict[str, str]
) -> dict[str, dict]:
    """One config dict per RoPE set used by some layer, in the keys rope.frequencies reads; ``theta_from``
    receives the config key each set's base came from when it is not ``rope_theta``."""
    rope = _rope_dict(cfg)
    base_cfg = _without_rope_dicts(cfg)
    used = {layer.rope_set for layer in layers if layer.rope_set is not None}
    sets: dict[str, dict] = {}
    if used and "all" not in used:  # one RoPE per layer type (Gemma 3, OLMo 3, nested rope_parameters)
        for layer_type in sorted(used):
            if _nested_by_layer_type(rope, tuple(used)):
                params = dict(rope.get(layer_type) or {"rope_type": "default"})
            elif layer_type == FULL:
                params = dict(rope or {})
            else:  # sliding layers: plain RoPE with the local base (Gemma 3) or the same base (OLMo 3)
                params = {"rope_type": "default"}
            if "rope_theta" not in params:
                key = (
                    "rope_local_base_freq"
                    if layer_type != FULL and "rope_local_base_freq" in cfg
                    else "rope_theta"
                )
                if cfg.get(key) is not None:
                    params["rope_theta"] = cfg[key]
                    theta_from[layer_type] = key
            sets[layer_type] = base_cfg | {"rope_parameters": params}
        return sets
    if _nested_by_layer_type(
        rope
    ):  # a 5.x nested dict on a model with one rotary: take the full-attention one
        rope = dict(rope.get(FULL) or next(v for v in rope.values() if v))
    if used:
        sets["all"] = base_cfg | ({"rope_parameters": rope} if rope else {})
    return sets


def _mrope(arch: Architecture | None, model_type: str | None, rope: Mapping[str, Any] | None) -> dict | None:
    """Which pairs rotate with the temporal, height and width positions (Qwen2-VL … Qwen3.5).

    transformers splits the pairs in contiguous sections for Qwen2-VL / Qwen2.5-VL
    (``apply_multimodal_rotary_pos_emb``) and interleaves them T, H, W, T, … for Qwen3-VL / Qwen3.5
    (``recomposition_frequencies``), whatever the config's ``mrope_interleaved`` says.
    """
    rope = rope or {}
    section = rope.get("mrope_section")
    kind = arch.mrope if arch is not None else None
    if section is None and arch is not None and arch.mrope_section is not None:
        section = list(arch.mrope_section)
    if section is None:
        return None
    if (
        not isinstance(section, list)
        or len(section) != 3
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in section)
    ):
        raise ValueError(
            f"'mrope_section' must be three non-negative integers (T, H, W pairs), got {section!r}"
        )
    if kind == "interleaved":
        interleaved, why = (
            True,
            f"{model_type} interleaves the axes (transformers' recomposition_frequencies)",
        )
    elif kind == "contiguous":
        interleaved, why = False, f"{model_type} splits contiguous sections (apply_multimodal_rotary_pos_emb)"
    else:
        interleaved = bool(rope.get("mrope_interleaved"))
        why = (
            "from the config's mrope_interleaved" if "mrope_interleaved" in rope else "contiguous by default"
        )
    return {"section": list(section), "interleaved": interleaved, "why": why}


def mrope_axes(mrope: Mapping[str, Any], pairs: int) -> list[str]:
    """The position axis (``"T"``, ``"H"``, ``"W"``) each pair rotates with."""
    t, h, w = mrope["section"]
    if mrope["interleaved"]:
        if 3 * h > pairs + 1 or 3 * w > pairs + 2:
            raise ValueError(
                f"'mrope_section' {mrope['section']} does not fit {pairs} rotary pairs (interleaved)"
            )
        return [
            "H" if i % 3 == 1 and i < 3 * h else "W" if i % 3 == 2 and i < 3 * w else "T"
            for i in range(pairs)
        ]
    if t + h + w != pairs:
        raise ValueError(
            f"'mrope_section' {mrope['section']} sums to {t + h + w}, but the rotary dimension has {pairs} "
            "pairs"
        )
    return ["T"] * t + ["H"] * h + ["W"] * w


def _query_scaling(
    arch: Architecture | None, cfg: Mapping[str, Any], rope: Mapping[str, Any] | None
) -> list[dict]:
    """Position-dependent query scales applied inside attention (not RoPE, not a softmax temperature)."""
    out = []
    if arch is not None and "attn_temperature_tuning" in arch.defaults and cfg.get("attn_temperature_tuning"):
        floor_scale, attn_scale = cfg.get("floor_scale", 8192), cfg.get("attn_scale", 0.1)
        out.append(
            {
                "name": "attn_temperature_tuning",
                "layers": "nope",
                "formula": "q × (1 + attn_scale·ln(1 + floor((m + 1) / floor_scale)))",
                "attn_scale": attn_scale,
                "floor_scale": floor_scale,
                "beta": attn_scale,
                "period": floor_scale,
                "offset": 1,
                "source": "Llama 4 (transformers Llama4TextAttention): on NoPE layers only",
            }
        )
    beta = (rope or {}).get("llama_4_scaling_beta")
    if beta is not None:
        period = (rope or {}).get("original_max_position_embeddings") or cfg.get(
            "original_max_position_embeddings"
        )
        if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not math.isfinite(beta):
            raise ValueError(f"'llama_4_scaling_beta' must be a number, got {beta!r}")
        if not isinstance(period, int) or period <= 0:
            raise ValueError("'llama_4_scaling_beta' needs original_max_position_embeddings (its period)")
        out.append(
            {
                "name": "llama_4_scaling_beta",
                "layers": "all",
                "formula": "q × (1 + β·ln(1 + floor(m / original_max_position_embeddings)))",
                "beta": beta,
                "period": period,
                "offset": 0,
                "source": "Ministral 3 (transformers get_llama_4_attn_scale): every layer, after RoPE",
            }
        )
    return out


def query_scale_at(scaling: Mapping[str, Any], position: int) -> float:
    """The factor ``scaling`` multiplies q by at (0-based) position ``position``."""
    return 1.0 + scaling["beta"] * math.log1p((position + scaling["offset"]) // scaling["period"])


# --------------------------------------------------------------------------------------------------
# the whole resolution
# --------------------------------------------------------------------------------------------------


def _layout(arch: Architecture | None, cfg: Mapping[str, Any]) -> tuple[str, str]:
    if "rope_interleave" in cfg and arch is not None and arch.mla:
        if cfg["rope_interleave"]:
            return archs.INTERLEAVED, arch.layout_why
        return archs.HALF, "rope_interleave: false, so transformers' rotate_half pairs i with i + d/2"
    if arch is not None:
        return arch.layout, arch.layout_why
    if cfg.get("rope_interleave") is True:
        return archs.INTERLEAVED, "the config's rope_interleave: true"
    return archs.HALF, "assumed: no model_type, so transformers' rotate_half (pairs i, i + d/2)"


def resolve(config: Mapping[str, Any], as_type: str | None = None) -> Resolved:
    """The model behind a parsed config.json (see the module docstring); ``as_type`` reads the text model as
    that model type (``--as``). Raises :class:`NotRope` for a non-RoPE config and ``ValueError`` (one line,
    naming the field) for a malformed or unsupported one."""
    text, wrapper, notes = _unwrap(config)
    model_type, arch, evidence, type_notes, read_as = _family(text, config, as_type)
    notes += type_notes
    if arch is not None:
        for key, why in arch.ignores.items():
            if text.get(key) is not None:
                notes.append(f"{key} = {text.pop(key)!r} not read: {why}")
    original = dict(text)
    # renames first (GPT-2/GPT-J/Falcon n_head, GPT-NeoX rotary_pct, …), so a default never shadows a key the
    # file gives under its old name; then the defaults; then the conversions that need them (rotary_dim →
    # partial_rotary_factor)
    text, alias_notes, renamed = rope_config(text)
    filled: list[dict] = []
    if arch is not None and arch.from_transformers:
        text, filled, hf_notes = hf.fill(arch, model_type, original, text)
        notes += hf_notes
    elif arch is not None:
        text, filled = _fill_defaults(arch, text, model_type)
    if model_type in TRANSLATIONS:
        TRANSLATIONS[model_type](text, notes)
    cfg, more_notes, more_renamed = rope_config(text)
    notes += alias_notes + [n for n in more_notes if n not in alias_notes]
    renamed = renamed | more_renamed
    rope = _rope_dict(cfg)
    if rope and (rope.get("rope_type") or rope.get("type")) == "axial":
        raise ValueError(
            "rope_type 'axial' is the 2D RoPE of a vision encoder (image patch rows and columns); posenc "
            "inspect explains a text model's RoPE: give the config of the model's text part"
        )
    _check_numbers(cfg, rope if not _nested_by_layer_type(rope) else None)
    layers = archs.layer_plan(arch, cfg) if arch is not None else [LayerRope(0, FULL, "all")]
    if arch is None and cfg.get("num_hidden_layers"):
        n = cfg["num_hidden_layers"]
        if isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 100_000:
            layers = [LayerRope(i, FULL, "all") for i in range(n)]
    layout, layout_why = _layout(arch, cfg)
    theta_from: dict[str, str] = {}
    sets = _rope_sets(arch, cfg, layers, theta_from)
    first = next(iter(sets.values()), {})
    first_rope = _rope_dict(first)
    return Resolved(
        model_type=model_type,
        declared_type=config.get("model_type"),
        arch=arch,
        config=cfg,
        wrapper=wrapper,
        defaults=filled,
        notes=notes,
        renamed=renamed,
        layout=layout,
        layout_why=layout_why,
        remote_code=bool(config.get("auto_map") or text.get("auto_map")),
        layers=layers,
        rope_sets=sets,
        mrope=_mrope(arch, model_type, first_rope),
        query_scaling=_query_scaling(arch, cfg, first_rope),
        evidence=evidence,
        theta_from=theta_from,
        read_as=read_as,
    )
