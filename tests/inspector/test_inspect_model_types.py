"""Model types outside the built-in table (issue 36): the eight that were refused, remote code followed
through ``architectures``, ``--as``, and the refusal that names both ways. Each config is minimal
(constructed from the model card's numbers, not a real file); transformers' own rotary module built from the
same keys is the reference."""

from __future__ import annotations

import pytest
import torch

from posenc.inspector import architectures as archs
from posenc.inspector import from_transformers
from posenc.inspector.analysis import inspect_config

from .inspect_helpers import run_inspect

pytest.importorskip("transformers")


def _rotary(model_type: str, module: str, cls: str, keys: dict):
    """transformers' rotary module for ``keys`` read by ``model_type``'s config class (its text config)."""
    import importlib

    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    config = CONFIG_MAPPING[model_type](**{k: v for k, v in keys.items() if k != "model_type"})
    text = config.get_text_config()
    return getattr(importlib.import_module(f"transformers.models.{module}.modeling_{module}"), cls)(
        text
    ), text


def _same(report_set: dict, inv_freq: torch.Tensor, scaling: float) -> bool:
    mine = torch.tensor(report_set["inv_freq"], dtype=torch.float32)
    return torch.equal(mine, inv_freq) and report_set["attention_scaling"] == pytest.approx(scaling)


APERTUS = {
    "model_type": "apertus",
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_hidden_layers": 2,
    "max_position_embeddings": 65536,
    "rope_theta": 12000000,
    "rope_scaling": {
        "rope_type": "llama3",
        "factor": 8.0,
        "original_max_position_embeddings": 8192,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
    },
}
SEED_OSS = {
    "model_type": "seed_oss",
    "hidden_size": 5120,
    "num_attention_heads": 80,
    "head_dim": 128,
    "num_hidden_layers": 2,
    "max_position_embeddings": 524288,
    "rope_theta": 10000000.0,
}
GLM4_MOE = {
    "model_type": "glm4_moe",
    "hidden_size": 5120,
    "num_attention_heads": 96,
    "head_dim": 128,
    "partial_rotary_factor": 0.5,
    "num_hidden_layers": 2,
    "max_position_embeddings": 131072,
    "rope_theta": 1000000,
}
HUNYUAN = {
    "model_type": "hunyuan_v1_dense",
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "head_dim": 128,
    "num_hidden_layers": 2,
    "max_position_embeddings": 32768,
    "rope_theta": 10000.0,
    "rope_scaling": {"type": "dynamic", "alpha": 1000.0, "factor": 1.0, "beta_fast": 32, "beta_slow": 1},
}
QWEN3_VL_MOE = {
    "model_type": "qwen3_vl_moe",
    "text_config": {
        "hidden_size": 2048,
        "num_attention_heads": 32,
        "head_dim": 128,
        "num_hidden_layers": 2,
        "max_position_embeddings": 262144,
        "rope_theta": 5000000,
        "rope_scaling": {"rope_type": "default", "mrope_section": [24, 20, 20], "mrope_interleaved": True},
    },
}
GEMMA3N = {"model_type": "gemma3n", "text_config": {"num_hidden_layers": 10}}
#: Kimi-K2's config: its own model_type and remote code, DeepSeek-V3's model class and keys
KIMI_K2 = {
    "model_type": "kimi_k2",
    "architectures": ["DeepseekV3ForCausalLM"],
    "auto_map": {"AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM"},
    "hidden_size": 7168,
    "num_attention_heads": 64,
    "num_hidden_layers": 2,
    "qk_rope_head_dim": 64,
    "qk_nope_head_dim": 128,
    "max_position_embeddings": 131072,
    "rope_theta": 50000.0,
    "rope_scaling": {
        "type": "yarn",
        "factor": 32.0,
        "original_max_position_embeddings": 4096,
        "beta_fast": 1.0,
        "beta_slow": 1.0,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
    },
}
#: InternLM2.5's config (remote code whose rotary is Llama's, dynamic NTK included)
INTERNLM2 = {
    "model_type": "internlm2",
    "architectures": ["InternLM2ForCausalLM"],
    "auto_map": {"AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM"},
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_hidden_layers": 2,
    "max_position_embeddings": 32768,
    "rope_theta": 1000000,
    "rope_scaling": {"type": "dynamic", "factor": 2.0},
}


@pytest.mark.parametrize(
    "config, module, cls",
    [
        (APERTUS, "apertus", "ApertusRotaryEmbedding"),
        (SEED_OSS, "seed_oss", "SeedOssRotaryEmbedding"),
        (GLM4_MOE, "glm4_moe", "Glm4MoeRotaryEmbedding"),
        (HUNYUAN, "hunyuan_v1_dense", "HunYuanDenseV1RotaryEmbedding"),
        (QWEN3_VL_MOE, "qwen3_vl_moe", "Qwen3VLMoeTextRotaryEmbedding"),
    ],
    ids=lambda v: v["model_type"] if isinstance(v, dict) else None,
)
def test_refused_transformers_types_equal_their_rotary_module(write_config, config, module, cls):
    r = inspect_config(config)
    rot, _ = _rotary(config["model_type"], module, cls, config)
    assert _same(r["rope_sets"][0], rot.inv_freq, rot.attention_scaling)
    assert r["architecture"]["from_transformers"] == from_transformers.version()
    assert any("checked against transformers" in note for note in r["aliases"])


def test_glm4_moe_pairs_by_rotate_half_on_the_rotated_dims_unlike_glm4():
    r = inspect_config(GLM4_MOE)
    assert (r["layout"], r["rotary_dim"]) == (archs.HALF, 64)
    assert r["pairs"][0]["dims"] == [0, 32]  # glm4: (0, 1)
    assert archs.ARCHITECTURES["glm4"].layout == archs.INTERLEAVED


def test_hunyuan_alpha_is_a_fixed_larger_base():
    r = inspect_config(HUNYUAN)
    base = 10000.0 * 1000.0 ** (128 / 126)  # HunYuan's ntk_alpha: base × alpha^(d/(d−2))
    assert r["rope_type"] == "default" and r["base"] == pytest.approx(base)
    assert any("alpha 1000" in note and "ntk_alpha" in note for note in r["aliases"])


def test_qwen3_vl_moe_interleaves_its_mrope_axes_as_transformers():
    from .hf_reference import mrope_axes

    r = inspect_config(QWEN3_VL_MOE)
    rot, _ = _rotary("qwen3_vl_moe", "qwen3_vl_moe", "Qwen3VLMoeTextRotaryEmbedding", QWEN3_VL_MOE)
    assert r["mrope"]["interleaved"] is True
    assert r["mrope"]["axis_of_pair"] == mrope_axes(rot, 64)


def test_gemma3n_one_rope_per_layer_type_equals_transformers():
    from transformers.models.gemma3n.modeling_gemma3n import Gemma3nRotaryEmbedding

    from .hf_reference import frequencies

    r = inspect_config(GEMMA3N)
    rot, text = _rotary("gemma3n", "gemma3n", "Gemma3nRotaryEmbedding", GEMMA3N)
    assert isinstance(rot, Gemma3nRotaryEmbedding)
    ref = frequencies(rot)
    sets = {s["id"]: s for s in r["rope_sets"]}
    assert set(sets) == set(ref) == {"full_attention", "sliding_attention"}
    for layer_type, (inv_freq, scaling) in ref.items():
        assert _same(sets[layer_type], inv_freq, scaling)
    assert r["layers"]["types"] == list(text.layer_types)


def test_kimi_k2_follows_its_architectures_to_deepseek_v3():
    from transformers import DeepseekV3Config
    from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3RotaryEmbedding

    r = inspect_config(KIMI_K2)
    keys = {k: v for k, v in KIMI_K2.items() if k not in ("model_type", "architectures", "auto_map")}
    rot = DeepseekV3RotaryEmbedding(DeepseekV3Config(**keys))
    assert r["architecture"]["model_type"] == "deepseek_v3"
    assert r["architecture"]["read_as"]["how"] == "architectures: DeepseekV3ForCausalLM"
    assert any("'kimi_k2'" in note and "DeepseekV3ForCausalLM" in note for note in r["aliases"])
    assert _same(r["rope_sets"][0], rot.inv_freq, rot.attention_scaling)
    assert r["layout"] == archs.INTERLEAVED


def test_internlm2_remote_code_reads_as_llama_rotary():
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    r = inspect_config(INTERNLM2)
    keys = {k: v for k, v in INTERNLM2.items() if k not in ("model_type", "architectures", "auto_map")}
    rot = LlamaRotaryEmbedding(LlamaConfig(**keys))
    assert r["architecture"]["model_type"] == "internlm2" and r["rope_type"] == "dynamic"
    assert _same(r["rope_sets"][0], rot.inv_freq, rot.attention_scaling)


CUSTOM = {
    "model_type": "my_llama",
    "hidden_size": 2048,
    "num_attention_heads": 16,
    "num_hidden_layers": 2,
    "max_position_embeddings": 8192,
    "rope_theta": 500000.0,
}


def test_an_unknown_model_type_is_refused_naming_as_and_architectures(write_config):
    rc, out, err = run_inspect(write_config(CUSTOM))
    assert rc != 0
    assert "'my_llama'" in err and "--as MODEL_TYPE" in err and "'architectures'" in err


def test_as_reads_a_custom_model_type_as_the_named_one(write_config):
    path = write_config(CUSTOM)
    rc, out, err = run_inspect(path, "--as", "llama", "--json")
    assert rc == 0, err
    import json

    r = json.loads(out)
    assert r["architecture"]["model_type"] == "llama"
    assert r["architecture"]["read_as"] == {
        "from": "my_llama",
        "how": "--as",
        "why": "read as 'llama' (--as llama)",
    }
    assert r["rope_sets"][0]["base"] == 500000.0
    rc, out, err = run_inspect(path, "--as", "not_a_type")
    assert rc != 0 and "--as 'not_a_type'" in err


def test_architectures_lead_a_custom_model_type_to_a_known_one():
    r = inspect_config(CUSTOM | {"architectures": ["LlamaForCausalLM"]})
    assert r["architecture"]["model_type"] == "llama"
    assert any("'my_llama'" in note and "LlamaForCausalLM" in note for note in r["aliases"])


def test_without_transformers_the_built_in_table_serves(monkeypatch):
    monkeypatch.setattr(from_transformers, "version", lambda: None)
    from_transformers.text_model_of.cache_clear()
    try:
        with pytest.raises(ValueError, match="install transformers for more types") as err:
            inspect_config(SEED_OSS)
        assert "--as MODEL_TYPE" in str(err.value)
        r = inspect_config(KIMI_K2)  # the built-in table knows DeepseekV3Config's model class
        assert r["architecture"]["model_type"] == "deepseek_v3"
        assert inspect_config(CUSTOM, as_type="llama")["rope_sets"][0]["base"] == 500000.0
    finally:
        from_transformers.text_model_of.cache_clear()
