"""The sweep over transformers' model types with rotary embeddings: transformers' objects as the reference.

For one model type: its config class with the class defaults (the text config of a multimodal wrapper), the
modeling module's rotary-embedding class built from it, the inverse frequencies and attention scaling per
layer type it holds, and where its apply function sends each feature. Nothing here computes RoPE.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import torch

POSITION = 3  # the position the apply function is probed at: every pair turns by 3·θ_i


@dataclass
class Swept:
    """One model type: its text config, its rotary module and the module it came from."""

    model_type: str
    text: Any
    rotary: Any
    module: Any
    frequencies: dict[str, tuple[torch.Tensor, float]] = field(default_factory=dict)


@cache
def rotary_model_types() -> dict[str, tuple[str, tuple[str, ...]]]:
    """{model type: (modeling module name, its rotary-embedding class names)} for every model type whose
    modeling module defines a class named ``…RotaryEmbedding``."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES, model_type_to_module_name

    out = {}
    for model_type in sorted(CONFIG_MAPPING_NAMES):
        module = _modeling(model_type_to_module_name(model_type))
        if module is None:
            continue
        names = tuple(
            n
            for n, obj in vars(module).items()
            if n.endswith("RotaryEmbedding") and isinstance(obj, type) and obj.__module__ == module.__name__
        )
        if names:
            out[model_type] = (module.__name__, names)
    return out


def _modeling(name: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(f"transformers.models.{name}.modeling_{name}")
    except Exception:  # modules needing optional packages
        return None


def quiet_transformers() -> None:
    logging.getLogger("transformers").setLevel(logging.ERROR)


def text_config(model_type: str):
    """The class-default config of ``model_type`` and its text config."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    config = CONFIG_MAPPING[model_type]()
    return config, config.get_text_config()


def build(model_type: str) -> Swept:
    """The text model's rotary module as transformers builds it (the first rotary class of the module that
    accepts the text config, text classes before vision and audio ones)."""
    module_name, names = rotary_model_types()[model_type]
    module = importlib.import_module(module_name)
    _, text = text_config(model_type)
    ordered = sorted(names, key=lambda n: any(w in n for w in ("Vision", "Audio", "ViT", "DiT", "SaProt")))
    errors = []
    for name in ordered:
        try:
            rot = getattr(module, name)(text)
        except Exception as err:
            errors.append(f"{name}: {type(err).__name__}: {err}")
            continue
        swept = Swept(model_type, text, rot, module)
        swept.frequencies = frequencies(rot)
        if swept.frequencies:
            return swept
        errors.append(f"{name}: no inv_freq buffer")
    raise LookupError("; ".join(errors)[:300])


def frequencies(rot) -> dict[str, tuple[torch.Tensor, float]]:
    """{layer type: (inv_freq, attention_scaling)} for rotaries with one buffer per layer type, else
    {"all": (inv_freq, attention_scaling)}."""
    kinds = getattr(rot, "rope_type", None)
    if isinstance(kinds, dict):
        return {
            t: (getattr(rot, f"{t}_inv_freq").clone(), float(getattr(rot, f"{t}_attention_scaling")))
            for t in kinds
            if hasattr(rot, f"{t}_inv_freq")
        }
    inv = getattr(rot, "inv_freq", None)
    if not isinstance(inv, torch.Tensor):
        return {}
    return {"all": (inv.clone(), float(getattr(rot, "attention_scaling", 1.0)))}


def cos_sin(rot, layer_type: str | None, head_dim: int):
    """What the rotary's forward returns at position :data:`POSITION` for one token: (cos, sin), or a complex
    ``freqs_cis`` (Llama 4, DeepSeek-V2); ``None`` when no position layout it accepts is found."""
    x = torch.zeros(1, 1, head_dim)
    kwargs = {}
    if layer_type is not None and "layer_type" in inspect.signature(rot.forward).parameters:
        kwargs["layer_type"] = layer_type
    for positions in (torch.tensor([[POSITION]]), *(torch.full((k, 1, 1), POSITION) for k in (3, 4))):
        try:
            out = rot(x, positions, **kwargs)
        except Exception:
            continue
        if isinstance(out, tuple) and len(out) == 2 and out[0].shape[0] == 1 and out[0].dim() == 3:
            return out
        if isinstance(out, torch.Tensor) and out.is_complex():
            return out
    return None


APPLY_NAMES = ("apply_rotary_pos_emb", "apply_rotary_pos_emb_interleave", "apply_rotary_emb")


def _probe(apply, x: torch.Tensor, cos, sin) -> torch.Tensor:
    """apply(x …) for x [b = n, h = 1, s = 1, n]; the image of each unit vector, [n, n]."""
    n = x.shape[-1]
    if sin is None:  # complex freqs_cis: x is [b, s, h, d]
        return apply(x.transpose(1, 2), x.transpose(1, 2), cos)[0].transpose(1, 2).reshape(n, n)
    params = list(inspect.signature(apply).parameters)
    if params[:3] == ["x", "cos", "sin"]:
        return apply(x, cos, sin).reshape(n, n)
    return apply(x, x, cos, sin)[0].reshape(n, n)


def interleave_first(module, text) -> bool:
    """Whether the attention calls DeepSeek's apply_rotary_pos_emb_interleave: always, or by the config's
    ``rope_interleave``."""
    source = inspect.getsource(module)
    if "apply_rotary_pos_emb_interleave(q" not in source:
        return False
    return "if self.config.rope_interleave" not in source or bool(getattr(text, "rope_interleave", False))


def apply_matrix(
    module, out, head_dim: int, interleave_first: bool = False
) -> tuple[torch.Tensor, int] | None:
    """Where the module's apply function sends each unit vector at POSITION, in input coordinates (an apply
    function that also reorders its output, DeepSeek's interleave, is undone by probing it at angle 0):
    ([n, n] with row j = image of feature j, n) with n the head dim, or the rotary dim where the attention
    splits the rotated features off before the call (Phi, StableLM); ``None`` when no apply function
    accepts the rotary's output."""
    complex_ = isinstance(out, torch.Tensor)
    if complex_:
        cos, sin, width = out, None, 2 * out.shape[-1]
        identity = (torch.ones_like(out.real) + 0j, None)
    else:
        cos, sin = (t.float() for t in out)
        width = cos.shape[-1]
        identity = (torch.ones_like(cos), torch.zeros_like(sin))
    names = APPLY_NAMES
    if interleave_first:  # DeepSeek-V3 keeps both functions and picks by the config's rope_interleave
        names = ("apply_rotary_pos_emb_interleave", *APPLY_NAMES)
    for name in names:
        apply = getattr(module, name, None)
        if apply is None or "mrope_section" in inspect.signature(apply).parameters:
            continue
        for n in dict.fromkeys((head_dim, width)):
            eye = torch.eye(n).view(n, 1, 1, n)  # [b = n, h, s, n]: one unit vector per row
            try:
                rotated = _probe(apply, eye, cos, sin)
                slots = _probe(apply, eye, *identity)  # [n, n] permutation: the output slot of each feature
            except Exception:
                continue
            return rotated @ slots.T, n
    return None


def expected_matrix(report_pairs: list[dict], inv_freq: list[float], scaling: float, head_dim: int):
    """The rotation the inspector describes: pair i turns features ``dims`` by POSITION·θ_i, × scaling."""
    m = torch.eye(head_dim, dtype=torch.float64)
    for pair, theta in zip(report_pairs, inv_freq, strict=True):
        a, b = pair["dims"]
        angle = torch.tensor(POSITION * theta, dtype=torch.float32).double()
        c, s = torch.cos(angle) * scaling, torch.sin(angle) * scaling
        m[a, a], m[a, b], m[b, a], m[b, b] = c, s, -s, c  # row j = image of e_j: e_a → c·e_a + s·e_b
    return m.float()
