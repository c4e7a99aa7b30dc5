"""Reading a config: a path, a model folder or a bundled example name, and what position encoding it names.

Three steps, each raising a one-line ``ValueError``/``FileNotFoundError`` that names the problem:

* :func:`load_config` — the JSON object of a ``config.json`` (line and column when it is not JSON);
* :func:`detect_family` — RoPE, or what the config has instead (ALiBi, learned absolute, T5 buckets);
* :func:`rope_config` — the config in the keys ``posenc.encodings.rope.frequencies`` reads, with the
  aliases transformers resolves itself (GPT-NeoX ``rotary_pct``, DeepSeek ``qk_rope_head_dim``, Phi-3
  ``"su"``), each rename reported so nothing changes silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from posenc.results.jsonsafe import loads_strict

#: bundled example configs (``posenc inspect llama-3.1-8b``), written from public model cards' numbers
CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"

#: model types whose transformers implementation uses RoPE even when the config names no RoPE key
#: (Llama 2's config.json has no rope_theta: transformers' default base 10000 applies)
ROPE_MODEL_TYPES = frozenset(
    {
        "llama",
        "mistral",
        "mixtral",
        "qwen2",
        "qwen2_moe",
        "qwen3",
        "qwen3_moe",
        "phi3",
        "phi",
        "gpt_neox",
        "gptj",
        "deepseek_v2",
        "deepseek_v3",
        "gemma",
        "gemma2",
        "gemma3_text",
        "olmo",
        "olmo2",
        "stablelm",
        "internlm2",
        "minimind",
        "granite",
        "cohere",
        "starcoder2",
    }
)
LEARNED_MODEL_TYPES = frozenset({"gpt2", "opt", "bert", "roberta", "gpt_neo", "bart", "distilbert", "xglm"})


def bundled_configs() -> list[str]:
    """Names of the bundled example configs, sorted."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


def _resolve(spec: str) -> Path:
    path = Path(spec)
    if path.is_dir():
        path = path / "config.json"
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path} (the folder {spec} has no config.json)")
        return path
    if path.is_file():
        return path
    bundled = CONFIG_DIR / f"{spec}.json"
    if "/" not in spec and bundled.is_file():
        return bundled
    raise FileNotFoundError(
        f"config file not found: {spec} "
        f"(not a file, and not a bundled example: {', '.join(bundled_configs())})"
    )


def load_config(spec: str) -> tuple[str, Path, dict[str, Any]]:
    """Read a config given as a path, a model folder holding ``config.json``, or a bundled name.

    Returns ``(name, path, config)``; ``name`` is the bundled name or the path as given.
    Raises ``FileNotFoundError`` (missing) or ``ValueError`` (not UTF-8, not JSON — with line and
    column — or JSON that is not an object).
    """
    path = _resolve(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text (byte {err.start}); a config.json is JSON text") from None
    config = parse_json(text, str(path))
    if not isinstance(config, dict):
        raise ValueError(
            f"{path}: expected a JSON object {{...}} as in a config.json, got a JSON {_json_type(config)}"
        )
    name = path.stem if path.parent == CONFIG_DIR else spec
    return name, path, config


def parse_json(text: str, where: str = "config") -> Any:
    """``json.loads`` with one-line errors: line and column for bad syntax, the value for numbers that
    overflow a float (``1e400``) or are not JSON (``NaN``), and a clear word for absurd nesting."""
    try:
        return loads_strict(text)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{where}: not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    except RecursionError:
        raise ValueError(
            f"{where}: JSON nested too deeply to read (a config.json is a few levels deep)"
        ) from None
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None


def _json_type(value: Any) -> str:
    names = {
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def detect_family(config: dict[str, Any]) -> tuple[str, str]:
    """``("rope", evidence)`` or ``(encoding, evidence)`` for a config without RoPE.

    ALiBi is checked first: Falcon configs carry ``"alibi": false`` next to rotary settings, BLOOM's
    config names no key at all (its model type implies ALiBi), MPT keeps ``alibi`` in ``attn_config``.
    """
    model_type = str(config.get("model_type", ""))
    attn_config = config.get("attn_config") if isinstance(config.get("attn_config"), dict) else {}
    if config.get("alibi") is True:
        return "alibi", "'alibi': true"
    if attn_config.get("alibi") is True:
        return "alibi", "'attn_config': {'alibi': true}"
    if config.get("position_embedding_type") == "alibi":
        return "alibi", "'position_embedding_type': 'alibi'"
    if model_type == "bloom":
        return "alibi", "model_type 'bloom': BLOOM adds ALiBi biases and its config names no position key"

    rope_keys = [
        k
        for k in (
            "rope_theta",
            "rope_parameters",
            "rotary_pct",
            "rotary_emb_base",
            "partial_rotary_factor",
            "rotary_dim",
            "qk_rope_head_dim",
        )
        if config.get(k) is not None
    ]
    if config.get("rope_scaling"):
        rope_keys.append("rope_scaling")
    if rope_keys:
        return "rope", "keys " + ", ".join(rope_keys)
    if model_type in ROPE_MODEL_TYPES:
        return "rope", f"model_type {model_type!r} (transformers uses RoPE for it)"

    pet = config.get("position_embedding_type")
    if pet is not None:
        return "learned" if pet == "absolute" else str(pet), f"'position_embedding_type': {pet!r}"
    if config.get("relative_attention_num_buckets") is not None:
        return "t5_relative_bias", (
            f"'relative_attention_num_buckets': {config['relative_attention_num_buckets']} (T5 bucketed bias)"
        )
    if config.get("n_positions") is not None or model_type in LEARNED_MODEL_TYPES:
        size = config.get("n_positions", config.get("max_position_embeddings"))
        return "learned", f"learned absolute position table (model_type {model_type!r}, {size} positions)"
    return "unknown", (
        "no position-encoding key recognised (looked for rope_theta, rope_scaling, rope_parameters, "
        "rotary_pct, alibi, position_embedding_type, n_positions, relative_attention_num_buckets, model_type)"
    )


def rope_config(config: dict[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """The config in the keys ``rope.frequencies`` reads, one note per alias resolved, and
    ``{new key: the config key it was read from}``.

    Mirrors what transformers' config classes do on load: GPT-NeoX ``rotary_pct`` →
    ``partial_rotary_factor`` and ``rotary_emb_base`` → ``rope_theta``; GPT-J ``n_embd``/``n_head``/
    ``rotary_dim``; DeepSeek-V2/V3 ``head_dim = qk_rope_head_dim`` (multi-head latent attention rotates
    only those features); Phi-3's early ``"su"`` → ``"longrope"``.
    """
    cfg = {k: v for k, v in config.items() if not k.startswith("_")}
    notes: list[str] = []
    renamed: dict[str, str] = {}

    def alias(old: str, new: str, why: str) -> None:
        if cfg.get(old) is not None and cfg.get(new) is None:
            cfg[new], renamed[new] = cfg[old], old
            notes.append(f"{old} = {cfg[old]!r} read as {new} ({why})")

    alias("rotary_pct", "partial_rotary_factor", "GPT-NeoX naming, as transformers' GPTNeoXConfig")
    alias("rotary_emb_base", "rope_theta", "GPT-NeoX naming, as transformers' GPTNeoXConfig")
    alias("n_embd", "hidden_size", "GPT-2/GPT-J naming")
    alias("n_head", "num_attention_heads", "GPT-2/GPT-J naming")
    alias("n_positions", "max_position_embeddings", "GPT-2/GPT-J naming")
    alias("n_layer", "num_hidden_layers", "GPT-2/GPT-J/Falcon naming")
    if cfg.get("qk_rope_head_dim") is not None:
        if cfg.get("head_dim") != cfg["qk_rope_head_dim"]:
            notes.append(
                f"head_dim = qk_rope_head_dim = {cfg['qk_rope_head_dim']} (multi-head latent attention: RoPE "
                f"rotates only these features; qk_nope_head_dim = {cfg.get('qk_nope_head_dim')} carry no "
                "position; as transformers' DeepseekV3Config)"
            )
        cfg["head_dim"], renamed["head_dim"] = cfg["qk_rope_head_dim"], "qk_rope_head_dim"
    if cfg.get("rotary_dim") is not None and cfg.get("partial_rotary_factor") is None:
        head_dim = cfg.get("head_dim") or _head_dim_or_none(cfg)
        if head_dim:
            cfg["partial_rotary_factor"] = cfg["rotary_dim"] / head_dim
            renamed["partial_rotary_factor"] = "rotary_dim"
            notes.append(
                f"rotary_dim = {cfg['rotary_dim']} of head_dim {head_dim} read as partial_rotary_factor "
                f"{cfg['partial_rotary_factor']:g} (GPT-J naming)"
            )
    for key in ("rope_scaling", "rope_parameters"):
        scaling = cfg.get(key)
        if isinstance(scaling, dict) and (scaling.get("rope_type") or scaling.get("type")) == "mrope":
            cfg[key] = {k: v for k, v in scaling.items() if k not in ("type", "rope_type")} | {
                "rope_type": "default"
            }
            notes.append(
                f"{key} type 'mrope' read as rope_type 'default' with mrope_section (multimodal RoPE: the "
                "frequencies are plain RoPE's, split across the T/H/W position axes; transformers does this)"
            )
            continue
        if isinstance(scaling, dict) and (scaling.get("rope_type") or scaling.get("type")) == "su":
            cfg[key] = {k: v for k, v in scaling.items() if k not in ("type", "rope_type")} | {
                "rope_type": "longrope"
            }
            notes.append(
                f"{key} type 'su' read as 'longrope' (its later name; transformers' Phi3Config does this)"
            )
    return cfg, notes, renamed


def _head_dim_or_none(cfg: dict[str, Any]) -> int | None:
    hidden, heads = cfg.get("hidden_size"), cfg.get("num_attention_heads")
    if isinstance(hidden, int) and isinstance(heads, int) and heads > 0:
        return hidden // heads
    return None
