"""transformers as the source of a model type's defaults and layer types, where it is installed.

The built-in table (:data:`posenc.inspector.architectures.ARCHITECTURES`) covers the model types people run
most, offline. Any other model type transformers knows is read here from transformers' own config class:
the class is built from the config's keys, so its defaults, its ``layer_types`` rule and its standardised
``rope_parameters`` (base, partial rotary factor, scaling, one dict per layer type where the model has
several) are transformers' own. What the config class does not say, how the model's attention code rotates
(pair layout, NoPE layers, multimodal RoPE), comes from :data:`posenc.inspector.rotations.ROTATIONS`, a table
that ``tests/inspector/test_inspect_sweep.py`` keeps in step with transformers' modeling code.

Nothing here imports a modeling module or torch: only ``transformers.models.auto`` and the config class.
Without transformers every function answers "unknown" and the built-in table serves alone.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any

from posenc.inspector import architectures as archs
from posenc.inspector import rotations

#: keys the analysis reads besides the RoPE dict, filled from transformers' config object when the file
#: leaves them out
STRUCTURAL_KEYS = (
    "hidden_size",
    "num_attention_heads",
    "head_dim",
    "max_position_embeddings",
    "num_hidden_layers",
    "sliding_window",
    "attention_chunk_size",
    "qk_rope_head_dim",
    "qk_nope_head_dim",
    "rope_interleave",
)
#: RoPE keys of the file that transformers' standardised ``rope_parameters`` replaces
ROPE_FILE_KEYS = (
    "rope_scaling",
    "rope_parameters",
    "rope_theta",
    "partial_rotary_factor",
    "rotary_pct",
    "rotary_emb_base",
)
#: the model classes whose names ``architectures`` lists, by the suffixes transformers gives them
CLASS_SUFFIXES = ("ForCausalLM", "ForConditionalGeneration", "LMHeadModel", "Model")


@cache
def version() -> str | None:
    """transformers' version; ``None`` when it is not installed or older than 5 (no ``rope_parameters``)."""
    try:
        import transformers
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING  # noqa: F401
    except ImportError:
        return None
    major = int(transformers.__version__.split(".")[0])
    return transformers.__version__ if major >= 5 else None


def _config_mapping():
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    return CONFIG_MAPPING


def knows(model_type: str | None) -> bool:
    """Whether the installed transformers has a config class for ``model_type``."""
    if not model_type or version() is None:
        return False
    return model_type in _config_mapping()


def _config_class(model_type: str):
    return _config_mapping()[model_type]


@cache
def text_model_of(wrapper: str) -> tuple[str, str] | None:
    """(key, model type) of the text model inside a wrapper transformers knows (the sub-config its
    ``get_text_config()`` returns: ``text_config``, Dia's ``decoder_config``, …), else ``None``."""
    if not knows(wrapper):
        return None
    cls = _config_class(wrapper)
    try:
        with _quiet():
            default = cls()
            text = default.get_text_config()
    except Exception:  # a wrapper whose defaults do not build
        return None
    for key in getattr(cls, "sub_configs", None) or {}:
        model_type = getattr(text, "model_type", None)
        if getattr(default, key, None) is text and model_type and model_type != wrapper:
            return key, model_type
    return None


@cache
def _classes_to_types() -> dict[str, list[str]]:
    """transformers' model class names (``DeepseekV3ForCausalLM``, …) → the model types using that class
    (several model types reuse ``LlamaForCausalLM``)."""
    if version() is None:
        return {}
    from transformers.models.auto import modeling_auto

    out: dict[str, list[str]] = {}
    for name in (
        "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
        "MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",
        "MODEL_FOR_MULTIMODAL_LM_MAPPING_NAMES",
        "MODEL_MAPPING_NAMES",
    ):
        for model_type, classes in getattr(modeling_auto, name, {}).items():
            for cls in classes if isinstance(classes, (list, tuple)) else [classes]:
                out.setdefault(cls, [])
                if model_type not in out[cls]:
                    out[cls].append(model_type)
    return out


def _prefix(class_name: str) -> str | None:
    for suffix in CLASS_SUFFIXES:
        if class_name.endswith(suffix) and len(class_name) > len(suffix):
            return class_name[: -len(suffix)]
    return None


def model_type_of_class(class_name: str) -> tuple[str, str] | None:
    """The model type a model class name (from a config's ``architectures``) belongs to, and how it was found:
    transformers' own mapping where it is installed (the type whose config class carries the class's name,
    ``LlamaForCausalLM`` → ``LlamaConfig`` → ``llama``), else the built-in table."""
    prefix = _prefix(class_name)
    candidates = [t for t in _classes_to_types().get(class_name, []) if t in archs.ARCHITECTURES or knows(t)]
    if candidates:
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

        named = [t for t in candidates if CONFIG_MAPPING_NAMES.get(t) == f"{prefix}Config"]
        found = (named or candidates)[0]
        return found, f"transformers {version()} maps {class_name} to model_type {found!r}"
    for model_type, arch in archs.ARCHITECTURES.items():
        if prefix and arch.source.split()[0] == f"{prefix}Config":
            return model_type, f"{class_name} is the model class of {arch.source.split()[0]}"
    return None


@contextmanager
def _quiet():
    """transformers' config classes log warnings (unknown rope keys, …) the report states itself."""
    logger = logging.getLogger("transformers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def config_object(model_type: str, text: Mapping[str, Any]):
    """transformers' config object for ``text`` (the text model's keys), or ``ValueError`` naming why not."""
    cls = _config_class(model_type)
    keys = {k: copy.deepcopy(v) for k, v in text.items() if k != "model_type" and not k.startswith("_")}
    try:
        with _quiet():
            obj = cls(**keys)
    except Exception as err:  # a config class refusing the values: say which class and why, in one line
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"transformers' {cls.__name__} refuses this config: {message}") from None
    return obj


def _get(obj: Any, key: str) -> Any:
    try:
        return getattr(obj, key, None)
    except Exception as err:  # transformers' per-layer attributes (Gemma 4's head_dim) refuse a global read
        raise ValueError(
            f"'{key}' differs from layer to layer in transformers' {type(obj).__name__}; posenc inspect "
            "reads one value per model"
        ) from err


def architecture(model_type: str) -> archs.Architecture:
    """The :class:`Architecture` of a model type transformers knows: its class name as source, the rotation
    kind from :data:`rotations.ROTATIONS` (half layout, one RoPE per layer type where transformers keeps
    several, when the table says nothing)."""
    cls = _config_class(model_type)
    return archs.Architecture(
        source=cls.__name__,
        from_transformers=version(),
        **rotations.rotation(model_type),
    )


def fill(
    arch: archs.Architecture, model_type: str, original: Mapping[str, Any], text: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """The effective config of a model type transformers knows: ``text`` (the file's keys, aliases resolved)
    with transformers' standardised ``rope_parameters`` in place of the file's RoPE keys and the structural
    keys it leaves out filled from the config object; then which defaults were used, and notes."""
    obj = config_object(model_type, original)
    source = f"default of {arch.source}"
    cfg = dict(text)
    filled: list[dict[str, Any]] = []
    notes: list[str] = []
    for key in STRUCTURAL_KEYS:
        value = _get(obj, key)
        if cfg.get(key) is None and value is not None:
            cfg[key] = value
            filled.append({"name": key, "value": value, "from": source})
    types = _get(obj, "layer_types")
    if types and cfg.get("layer_types") is None:
        cfg["layer_types"] = list(types)
        if len(set(types)) > 1:
            filled.append(
                {"name": "layer_types", "value": _pattern(list(types)), "from": f"{arch.source} rule"}
            )
    rope = _get(obj, "rope_parameters")
    if rope:
        rope = copy.deepcopy(dict(rope))
        given_theta = _gives_theta(original)
        for key in ROPE_FILE_KEYS:
            cfg.pop(key, None)
        cfg["rope_parameters"] = rope
        flat = rope if not any(isinstance(v, Mapping) or v is None for v in rope.values()) else None
        if flat is not None and not given_theta and flat.get("rope_theta") is not None:
            filled.append({"name": "rope_theta", "value": flat["rope_theta"], "from": source})
        if (
            flat is not None
            and flat.get("rope_type", "default") != "default"
            and not _gives_rope_dict(original)
        ):
            filled.append({"name": "rope_parameters", "value": flat, "from": source})
        if flat is None and not _gives_rope_dict(original):
            filled.append({"name": "rope_parameters", "value": rope, "from": source})
        if not arch.partial_rotary:
            for params in [rope] + [v for v in rope.values() if isinstance(v, Mapping)]:
                if params.pop("partial_rotary_factor", 1) != 1:
                    note = (
                        f"partial_rotary_factor not applied: transformers' {arch.source} model rotates the "
                        "whole head_dim its rotary module reads"
                    )
                    notes += [note] if note not in notes else []
        partial = _partial_ignored(original, rope)
        if partial:
            notes.append(partial)
    return cfg, filled, notes


def _pattern(types: list[str]) -> str:
    """``["sliding_attention"] * 3 + ["full_attention"]`` repeated → ``"3 sliding_attention, 1 full_…"``."""
    counts: dict[str, int] = {}
    for t in types:
        counts[t] = counts.get(t, 0) + 1
    return ", ".join(f"{n} {t}" for t, n in counts.items())


def _gives_theta(config: Mapping[str, Any]) -> bool:
    if config.get("rope_theta") is not None or config.get("rotary_emb_base") is not None:
        return True
    for key in ("rope_scaling", "rope_parameters"):
        value = config.get(key)
        if isinstance(value, Mapping) and (
            value.get("rope_theta") is not None
            or any(isinstance(v, Mapping) and v.get("rope_theta") is not None for v in value.values())
        ):
            return True
    return False


def _gives_rope_dict(config: Mapping[str, Any]) -> bool:
    return any(
        isinstance(config.get(k), Mapping) and config.get(k) for k in ("rope_scaling", "rope_parameters")
    )


def _partial_ignored(config: Mapping[str, Any], rope: Mapping[str, Any]) -> str | None:
    """A partial-rotary key of the file that transformers' class does not read (Cohere 2's rotary_pct)."""
    for key in ("rotary_pct", "partial_rotary_factor"):
        value = config.get(key)
        flat = [rope] + [v for v in rope.values() if isinstance(v, Mapping)]
        if value is not None and value != 1 and not any("partial_rotary_factor" in r for r in flat):
            return (
                f"{key} = {value!r} is not read: transformers' config class for this model has no partial "
                "rotary, so RoPE rotates the whole head"
            )
    return None
