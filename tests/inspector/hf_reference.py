"""transformers as the reference for ``posenc inspect``: each model's own config and rotary-embedding class.

Nothing here computes RoPE: the frequencies, attention factors, layer types, NoPE flags, mrope axes and pair
layouts all come out of transformers objects built from the same config.json the inspector reads.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import torch

DATA = Path(__file__).resolve().parent / "data"
REAL_CONFIGS = DATA / "configs"
SOURCES = json.loads((REAL_CONFIGS / "sources.json").read_text())["configs"]

#: config file stem -> the model's own rotary-embedding class in transformers
ROTARY = {
    "deepseek-v3": "deepseek_v3.modeling_deepseek_v3.DeepseekV3RotaryEmbedding",
    "devstral-small-2-24b": "ministral3.modeling_ministral3.Ministral3RotaryEmbedding",
    "exaone-4.0-32b": "exaone4.modeling_exaone4.Exaone4RotaryEmbedding",
    "falcon-7b": "falcon.modeling_falcon.FalconRotaryEmbedding",
    "gemma-2-9b-it": "gemma2.modeling_gemma2.Gemma2RotaryEmbedding",
    "gemma-3-1b-it": "gemma3.modeling_gemma3.Gemma3RotaryEmbedding",
    "gemma-3-27b-it": "gemma3.modeling_gemma3.Gemma3RotaryEmbedding",
    "gemma-3-4b-it": "gemma3.modeling_gemma3.Gemma3RotaryEmbedding",
    "gpt-oss-20b": "gpt_oss.modeling_gpt_oss.GptOssRotaryEmbedding",
    "lfm2.5-vl-1.6b": "lfm2.modeling_lfm2.Lfm2RotaryEmbedding",
    "llama-3.1-8b": "llama.modeling_llama.LlamaRotaryEmbedding",
    "llama-3.2-3b": "llama.modeling_llama.LlamaRotaryEmbedding",
    "mistral-7b-instruct-v0.3": "mistral.modeling_mistral.MistralRotaryEmbedding",
    "mistral-nemo-base-2407": "mistral.modeling_mistral.MistralRotaryEmbedding",
    "olmo-3.1-32b-instruct": "olmo3.modeling_olmo3.Olmo3RotaryEmbedding",
    "phi-1": "phi.modeling_phi.PhiRotaryEmbedding",
    "phi-3.5-vision-instruct-text": "phi3.modeling_phi3.Phi3RotaryEmbedding",
    "phi-4": "phi3.modeling_phi3.Phi3RotaryEmbedding",
    "qwen2.5-7b": "qwen2.modeling_qwen2.Qwen2RotaryEmbedding",
    "qwen2.5-vl-3b-instruct": "qwen2_5_vl.modeling_qwen2_5_vl.Qwen2_5_VLRotaryEmbedding",
    "qwen2.5-vl-7b-instruct": "qwen2_5_vl.modeling_qwen2_5_vl.Qwen2_5_VLRotaryEmbedding",
    "qwen3-30b-a3b": "qwen3_moe.modeling_qwen3_moe.Qwen3MoeRotaryEmbedding",
    "qwen3-8b": "qwen3.modeling_qwen3.Qwen3RotaryEmbedding",
    "qwen3-vl-8b-instruct": "qwen3_vl.modeling_qwen3_vl.Qwen3VLTextRotaryEmbedding",
    "qwen3.5-9b": "qwen3_5.modeling_qwen3_5.Qwen3_5TextRotaryEmbedding",
    "voxtral-mini-3b-2507": "llama.modeling_llama.LlamaRotaryEmbedding",
}


def raw(name: str) -> dict[str, Any]:
    return json.loads((REAL_CONFIGS / f"{name}.json").read_text())


def hf_config(config: dict[str, Any]):
    """transformers' config object for a config.json dict, and its text config.

    Falcon-7B's first config names model_type "RefinedWebModel", which only its remote code read;
    transformers' FalconConfig takes the same keys (the hub file was later renamed to model_type "falcon").
    """
    from transformers import FalconConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    model_type = config["model_type"]
    if model_type == "RefinedWebModel":
        cfg = FalconConfig(**{k: v for k, v in config.items() if k != "model_type"})
    else:
        cfg = CONFIG_MAPPING[model_type].from_dict(config)
    return cfg, cfg.get_text_config()


def rotary_class(name: str):
    module, cls = ROTARY[name].rsplit(".", 1)
    return getattr(importlib.import_module(f"transformers.models.{module}"), cls)


def rotary(name: str, text_config):
    """The model's rotary module, as its decoder builds it when the model loads."""
    return rotary_class(name)(text_config)


def frequencies(rot) -> dict[str, tuple[torch.Tensor, float]]:
    """{layer type: (inv_freq, attention_scaling)} for rotaries with one buffer per layer type (Gemma 3,
    OLMo 3), else {"all": (inv_freq, attention_scaling)}."""
    if isinstance(getattr(rot, "rope_type", None), dict):
        return {
            t: (getattr(rot, f"{t}_inv_freq").clone(), float(getattr(rot, f"{t}_attention_scaling")))
            for t in rot.rope_type
        }
    return {"all": (rot.inv_freq.clone(), float(rot.attention_scaling))}


def longrope_long(rot, original: int) -> tuple[torch.Tensor, float]:
    """The long-factor frequencies, by running the rotary past the original length (what generation does)."""
    x = torch.zeros(1, 1, 1)
    rot(x, torch.tensor([[original]]))  # one position past the original length: seq_len = original + 1
    return rot.inv_freq.clone(), float(rot.attention_scaling)


def mrope_axes(rot, pairs: int) -> list[str]:
    """The axis each pair takes its position from, read off the rotary's recomposition_frequencies."""
    freq = (
        torch.arange(3, dtype=torch.float32).view(3, 1, 1, 1).expand(3, 1, 1, pairs).clone()
    )  # [3, b, s, d/2]
    out = rot.recomposition_frequencies(freq)[0, 0, :pairs]  # [d/2], the axis index of each pair
    return ["THW"[int(a)] for a in out]
