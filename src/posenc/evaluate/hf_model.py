"""A Hugging Face causal LM and its tokenizer, loaded for evaluation, and RoPE scaling applied to it.

    loaded = load_hf("path/to/SmolLM2-135M")          # or a hub id found in the local cache
    apply_rope_scaling(loaded, {"rope_type": "yarn", "factor": 4.0})

Scaling goes through the model's config exactly as transformers applies a ``rope_scaling`` entry of
``config.json``: the config's RoPE parameters (``rope_parameters`` in transformers 5, ``rope_scaling``
in 4.x) get the user's keys, ``original_max_position_embeddings`` is the model's own (the config's
``original_max_position_embeddings`` where it has one, e.g. Phi-3, else ``max_position_embeddings``),
and every rotary module is rebuilt by its own class from that config. ``max_position_embeddings`` is
left as it is: dynamic NTK reads it as the length where its scaling starts. A model whose layers come
in kinds (Gemma 3: sliding and full attention) gets the scaling on its full-attention layers only,
as Gemma 3's release does: a sliding layer never looks further back than its window.

transformers is optional (``pip install transformers``); it is imported when a model is loaded.
"""

from __future__ import annotations

import copy
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

INSTALL_HINT = "pip install transformers (or pip install 'posenc[hf]')"


class MissingTransformers(ValueError):
    """transformers is not installed: a one-line error at the CLI boundary."""


def require_transformers():
    """The transformers module, or ``MissingTransformers`` saying how to install it."""
    try:
        import transformers
    except ImportError:
        raise MissingTransformers(
            f"evaluating a Hugging Face or MiniMind model needs transformers: {INSTALL_HINT}"
        ) from None
    return transformers


@dataclass
class LoadedModel:
    """A causal LM ready to evaluate: ``model(input_ids)`` as transformers calls it, and its tokenizer.

    ``train_length`` is L, the length the model was trained at (what ``Nx`` lengths multiply);
    ``rope_parameters`` its config's RoPE parameters as loaded (None: the model has no RoPE).
    """

    model: nn.Module
    tokenizer: Any
    name: str
    kind: str  # "hf" or "minimind"
    model_type: str
    train_length: int
    rope_parameters: dict | None
    applied: dict | None = field(default=None)  # the scaling now applied (None: the model's own)

    @property
    def text_config(self):
        config = self.model.config
        return config.get_text_config() if hasattr(config, "get_text_config") else config


def best_dtype(device: str, dtype: str = "auto") -> torch.dtype:
    """float32 on CPU; bfloat16 on a GPU that supports it (else float16), unless ``dtype`` names one."""
    names = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if dtype != "auto":
        if dtype not in names:
            raise ValueError(f"--dtype must be auto, {', '.join(names)}; got {dtype!r}")
        return names[dtype]
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def train_length_of(config) -> int:
    """L: the config's ``original_max_position_embeddings`` (in its RoPE parameters or beside them)
    when it has one, else ``max_position_embeddings``."""
    for params in _rope_dicts(rope_parameters_of(config)):
        if params.get("original_max_position_embeddings"):
            return int(params["original_max_position_embeddings"])
    value = getattr(config, "original_max_position_embeddings", None) or getattr(
        config, "max_position_embeddings", None
    )
    if not value:
        raise ValueError(
            f"the model's config ({getattr(config, 'model_type', '?')}) has no max_position_embeddings; "
            "give lengths in tokens (--lengths 512,1024) and --train-length"
        )
    return int(value)


def rope_parameters_of(config) -> dict | None:
    """The config's RoPE parameters: transformers 5's ``rope_parameters`` (flat, or nested by layer
    kind), or 4.x's ``rope_scaling`` with ``rope_theta``; None for a model without RoPE."""
    params = getattr(config, "rope_parameters", None)
    if params:
        return params
    if getattr(config, "rope_theta", None) is not None:  # transformers 4.x
        return {"rope_theta": config.rope_theta, **(getattr(config, "rope_scaling", None) or {})}
    return None


def _nested(params: dict) -> bool:
    """RoPE parameters given per layer kind (``{"sliding_attention": {...}, "full_attention": {...}}``)."""
    return (
        "rope_theta" not in params
        and "rope_type" not in params
        and any(isinstance(v, dict) for v in params.values())
    )


def _rope_dicts(params: dict | None) -> list[dict]:
    """The flat RoPE dicts of ``params``: itself, or each per-layer-kind entry when nested."""
    if not params:
        return []
    return [v for v in params.values() if isinstance(v, dict)] if _nested(params) else [params]


def _rotary_modules(model: nn.Module) -> list[tuple[nn.Module, str, nn.Module]]:
    """(parent, attribute, module) of every rotary embedding module (classes named *RotaryEmbedding)."""
    found = []
    for parent in model.modules():
        for name, child in parent.named_children():
            if type(child).__name__.endswith("RotaryEmbedding"):
                found.append((parent, name, child))
    return found


def has_rope(loaded: LoadedModel) -> bool:
    return loaded.rope_parameters is not None and bool(_rotary_modules(loaded.model))


def rotary_pairs(loaded: LoadedModel) -> int:
    """Rotated feature pairs per head: what longrope's factor lists are sized for."""
    config = loaded.text_config
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    partial = next(
        (
            p.get("partial_rotary_factor")
            for p in _rope_dicts(loaded.rope_parameters)
            if p.get("partial_rotary_factor")
        ),
        getattr(config, "partial_rotary_factor", None) or 1.0,
    )
    return int(head_dim * float(partial)) // 2


def scaled_parameters(loaded: LoadedModel, scaling: dict | None) -> dict | None:
    """The config's RoPE parameters with ``scaling`` merged in (None: the model's own, unchanged)."""
    params = copy.deepcopy(loaded.rope_parameters)
    if scaling is None:
        return params
    extra = {"original_max_position_embeddings": loaded.train_length} | scaling
    if params is None:
        return None
    if not _nested(params):
        flat = {k: v for k, v in params.items() if k in ("rope_theta", "partial_rotary_factor")}
        return flat | extra
    out = {}
    for kind, entry in params.items():  # nested by layer kind: full attention only
        scaled = isinstance(entry, dict) and "sliding" not in kind
        keep = {k: v for k, v in (entry or {}).items() if k in ("rope_theta", "partial_rotary_factor")}
        out[kind] = keep | extra if scaled else entry
    return out


def apply_rope_scaling(loaded: LoadedModel, scaling: dict | None) -> None:
    """Set the model's RoPE parameters to its own with ``scaling`` merged in, and rebuild every rotary
    module from the config by its own class, as loading a config.json with that entry would."""
    if scaling == loaded.applied:
        return
    if scaling is not None and not has_rope(loaded):
        raise ValueError(
            f"--rope-scaling: {loaded.name} ({loaded.model_type}) has no rotary position embedding; "
            "RoPE scaling applies only to RoPE models (leave --rope-scaling out)"
        )
    params = scaled_parameters(loaded, scaling)
    config = loaded.text_config
    if hasattr(config, "rope_parameters"):
        config.rope_parameters = params
        if scaling is not None and hasattr(config, "validate_rope"):
            try:
                config.validate_rope()
            except (ValueError, KeyError, TypeError) as err:
                config.rope_parameters = copy.deepcopy(loaded.rope_parameters)
                raise ValueError(
                    f"--rope-scaling: transformers refuses {scaling} for {loaded.model_type}: "
                    f"{_first_line(err)}"
                ) from None
    else:  # transformers 4.x
        config.rope_scaling = (
            None if scaling is None else {k: v for k, v in params.items() if k != "rope_theta"}
        )
    for parent, name, module in _rotary_modules(loaded.model):
        device = next((b.device for b in module.buffers()), None)
        module_config = getattr(module, "config", config)
        if module_config is not config:
            if hasattr(module_config, "rope_parameters"):
                module_config.rope_parameters = copy.deepcopy(params)
            else:
                module_config.rope_scaling = config.rope_scaling
        cls = type(module)
        takes_device = "device" in inspect.signature(cls.__init__).parameters
        rebuilt = cls(config=module_config, device=device) if takes_device else cls(config=module_config)
        setattr(parent, name, rebuilt.to(device) if device is not None else rebuilt)
    loaded.applied = scaling


def _check_folder(location: str) -> None:
    path = Path(location).expanduser()
    if not path.is_dir():
        return  # a hub id: transformers looks it up in the cache
    if not (path / "config.json").is_file():
        raise ValueError(f"{location!r} has no config.json: not a Hugging Face model folder")
    names = {p.name for p in path.iterdir()}
    if not names & {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json"}:
        raise ValueError(
            f"{location!r} has no tokenizer (tokenizer.json or tokenizer_config.json): save the tokenizer "
            "beside the model (tokenizer.save_pretrained), or pass --tokenizer FOLDER"
        )


def load_tokenizer(location: str, allow_download: bool = False):
    """``AutoTokenizer`` from ``location`` (local files only unless ``allow_download``)."""
    transformers = require_transformers()
    try:
        return transformers.AutoTokenizer.from_pretrained(location, local_files_only=not allow_download)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"cannot load a tokenizer from {location!r}: {_first_line(err)}") from None


def load_hf(
    location: str,
    *,
    device: str = "cpu",
    dtype: str = "auto",
    allow_download: bool = False,
    tokenizer: str | None = None,
    train_length: int | None = None,
) -> LoadedModel:
    """Load a causal LM folder (or cached hub id) with ``AutoModelForCausalLM`` and ``AutoTokenizer``.

    Attention goes through SDPA where the model supports it. Raises ``ValueError`` with one line for a
    folder without config.json or tokenizer, an unknown model type, or a hub id not in the cache.
    """
    transformers = require_transformers()
    if tokenizer is None:
        _check_folder(location)
    elif not (Path(location).expanduser() / "config.json").is_file() and Path(location).expanduser().is_dir():
        raise ValueError(f"{location!r} has no config.json: not a Hugging Face model folder")
    local = not allow_download
    torch_dtype = best_dtype(device, dtype)
    quiet(transformers)
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # config warnings (e.g. a yarn factor) are ours to state
    try:
        config = transformers.AutoConfig.from_pretrained(location, local_files_only=local)
        model = _from_pretrained(transformers, location, config, torch_dtype, local)
    except (OSError, ValueError, KeyError) as err:
        hint = "" if allow_download else " (a hub id is fetched only with --allow-download)"
        raise ValueError(f"cannot load a causal LM from {location!r}: {_first_line(err)}{hint}") from None
    finally:
        transformers.logging.set_verbosity(verbosity)
    tok = load_tokenizer(tokenizer or location, allow_download)
    model.to(device).eval()
    return _loaded(model, tok, str(location), "hf", train_length)


def quiet(transformers) -> None:
    """No loading progress bars from transformers: posenc shows its own."""
    transformers.utils.logging.disable_progress_bar()


def _from_pretrained(transformers, location, config, torch_dtype, local):
    auto = transformers.AutoModelForCausalLM
    dtype_key = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    kwargs = {"config": config, "local_files_only": local, dtype_key: torch_dtype}
    try:
        return auto.from_pretrained(location, attn_implementation="sdpa", **kwargs)
    except ValueError as err:
        if "sdpa" not in str(err).lower():
            raise
        return auto.from_pretrained(location, **kwargs)  # a model without SDPA support: its default


def _loaded(model, tokenizer, name: str, kind: str, train_length: int | None) -> LoadedModel:
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    params = rope_parameters_of(config)
    if train_length is not None and (isinstance(train_length, bool) or train_length < 1):
        raise ValueError(f"--train-length must be a positive number of tokens, got {train_length!r}")
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        name=name,
        kind=kind,
        model_type=str(getattr(config, "model_type", type(model).__name__)),
        train_length=int(train_length or train_length_of(config)),
        rope_parameters=copy.deepcopy(params) if params else None,
    )


def parse_scaling_json(text: str) -> dict:
    """``--rope-scaling '{"rope_type": "yarn", "factor": 4}'`` -> the dict (keys as in config.json)."""
    from posenc.results.jsonsafe import loads_strict

    try:
        value = loads_strict(text)
    except (ValueError, RecursionError) as err:
        raise ValueError(f"--rope-scaling: not valid JSON ({_first_line(err)})") from None
    if not isinstance(value, dict):
        raise ValueError(
            '--rope-scaling: the JSON form must be an object like {"rope_type": "yarn", "factor": 4}'
        )
    value = dict(value)
    if "type" in value and "rope_type" not in value:
        value["rope_type"] = value.pop("type")  # the 4.x spelling
    if not isinstance(value.get("rope_type"), str):
        raise ValueError('--rope-scaling: the JSON object needs a rope_type (e.g. "yarn")')
    return value


def transformers_rope_types() -> tuple[str, ...]:
    """The rope_types the installed transformers computes (its ``ROPE_INIT_FUNCTIONS``)."""
    require_transformers()
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    return tuple(ROPE_INIT_FUNCTIONS)


def check_transformers_type(rope_type: str) -> None:
    """``ValueError`` when transformers does not know ``rope_type`` (posenc's own ntk, minimind_yarn)."""
    known = transformers_rope_types()
    if rope_type not in known:
        raise ValueError(
            f"--rope-scaling {rope_type}: transformers has no rope_type {rope_type!r} (posenc's own); "
            f"for a Hugging Face or MiniMind model use one of {', '.join(known)}"
        )


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:300]


def describe(loaded: LoadedModel) -> dict:
    """JSON-ready facts about the model for the results: name, type, L, its RoPE parameters."""
    return {
        "model": loaded.name,
        "kind": loaded.kind,
        "model_type": loaded.model_type,
        "train_length": loaded.train_length,
        "rope_parameters": json.loads(json.dumps(loaded.rope_parameters, default=str)),
    }
