"""The architecture table (defaults, layer rules, pair layout) against transformers' own classes, and the
features no gathered real config exercises, on configs built here (documented as constructed, not real).
"""

from __future__ import annotations

import importlib

import pytest
import torch

from posenc.inspector import architectures as archs

from .inspect_helpers import inspect_json

NOT_IN_TRANSFORMERS = {"minimind", "chatglm", "internlm2"}  # remote code: their facts cite their own code


def _transformers_default(config, model_type: str, key: str):
    """What transformers' config class holds for ``key`` when the config.json leaves it out."""
    rope = getattr(config, "rope_parameters", None) or {}
    if key == "rope_theta":
        return (rope.get("full_attention") or rope)["rope_theta"]
    if key == "rope_local_base_freq":
        return rope["sliding_attention"]["rope_theta"]
    if key == "partial_rotary_factor":
        return rope.get("partial_rotary_factor", 1.0)
    if key == "rope_parameters":
        return dict(rope)
    return getattr(config, key)


@pytest.mark.parametrize("model_type", sorted(set(archs.ARCHITECTURES) - NOT_IN_TRANSFORMERS))
def test_defaults_equal_the_transformers_config_class(model_type):
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    arch = archs.ARCHITECTURES[model_type]
    config = CONFIG_MAPPING[model_type]()
    assert type(config).__name__ == arch.source
    for key, value in arch.defaults.items():
        if model_type == "gptj" and key == "rope_theta":
            # GPT-J has no rope_parameters: create_sinusoidal_positions hard-codes 10000 (checked below)
            continue
        if key == "full_attention_interval":
            continue  # read in __post_init__, checked through layer_types below
        assert _transformers_default(config, model_type, key) == value, key
    if getattr(config, "layer_types", None):
        cfg = dict(arch.defaults) | {"num_hidden_layers": config.num_hidden_layers}
        if model_type in ("llama4_text", "smollm3"):
            cfg["attn_temperature_tuning"] = arch.defaults.get("attn_temperature_tuning")
        assert archs.LAYER_TYPES[arch.layer_types](arch, cfg, config.num_hidden_layers) == list(
            config.layer_types
        )


def _rotate(module, x: torch.Tensor, turn: float) -> torch.Tensor:
    """x [b, h, s, d] rotated by ``turn`` radians in every pair, by the model's own transformers function."""
    d = x.shape[-1]
    cos, sin = (
        torch.full((1, 1, d), torch.cos(torch.tensor(turn))),
        torch.full((1, 1, d), torch.sin(torch.tensor(turn))),
    )
    if module.__name__.endswith("gptj"):
        return module.apply_rotary_pos_emb(
            x.transpose(1, 2), sin[..., : d // 2], cos[..., : d // 2]
        ).transpose(1, 2)
    if module.__name__.endswith("llama4"):
        freqs_cis = torch.polar(torch.ones(1, 1, d // 2), torch.full((1, 1, d // 2), turn))
        return module.apply_rotary_emb(x.transpose(1, 2), x.transpose(1, 2), freqs_cis)[0].transpose(1, 2)
    if module.__name__.endswith("deepseek_v3"):
        return module.apply_rotary_pos_emb_interleave(x, x, cos, sin)[0]
    return module.apply_rotary_pos_emb(x, x, cos, sin)[0]


def _partner_of_feature_0(model_type: str, d: int = 8) -> int:
    """Feature 0's pair partner under the model's own transformers apply function: rotating e₀ by 90° lands
    where the partner sits after a 0° rotation (DeepSeek's interleave function also reorders its output)."""
    module = importlib.import_module(f"transformers.models.{model_type}.modeling_{model_type}")
    eye = torch.eye(d).view(d, 1, 1, d)  # [d, h, s, d]: one unit vector per batch row
    where = _rotate(module, eye, 0.0).flatten(1).abs().argmax(dim=1).tolist()  # output slot of each feature
    turned = int(_rotate(module, eye, torch.pi / 2)[0].flatten().abs().argmax())
    return where.index(turned)


@pytest.mark.parametrize(
    "model_type, module",
    [
        ("llama", "llama"),
        ("gemma3_text", "gemma3"),
        ("qwen3", "qwen3"),
        ("gpt_neox", "gpt_neox"),
        ("gptj", "gptj"),
        ("glm", "glm"),
        ("glm4", "glm4"),
        ("cohere", "cohere"),
        ("cohere2", "cohere2"),
        ("llama4_text", "llama4"),
        ("deepseek_v3", "deepseek_v3"),
    ],
)
def test_pair_layout_equals_transformers_apply_function(model_type, module):
    partner = _partner_of_feature_0(module)
    expected = archs.ARCHITECTURES[model_type].layout
    assert (archs.INTERLEAVED if partner == 1 else archs.HALF if partner == 4 else "?") == expected


# --------------------------------------------------------------------------------------------------
# constructed configs (not real files): Llama 4, SmolLM3, GPT-J, ChatGLM, Command R7B shapes
# --------------------------------------------------------------------------------------------------

#: Llama 4 Scout's text model as Meta's model card and Llama4TextConfig describe it (constructed)
LLAMA4_SCOUT = {
    "model_type": "llama4",
    "text_config": {
        "attention_chunk_size": 8192,
        "attn_scale": 0.1,
        "attn_temperature_tuning": True,
        "floor_scale": 8192,
        "head_dim": 128,
        "hidden_size": 5120,
        "max_position_embeddings": 10485760,
        "model_type": "llama4_text",
        "no_rope_layers": [],
        "num_attention_heads": 40,
        "num_hidden_layers": 48,
        "num_key_value_heads": 8,
        "rope_scaling": {
            "factor": 16.0,
            "high_freq_factor": 1.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 8192,
            "rope_type": "llama3",
        },
        "rope_theta": 500000.0,
    },
}
#: SmolLM3-3B's shape with an explicit NoPE pattern (constructed)
SMOLLM3 = {
    "model_type": "smollm3",
    "hidden_size": 2048,
    "num_attention_heads": 16,
    "num_hidden_layers": 36,
    "max_position_embeddings": 65536,
    "rope_theta": 5000000.0,
    "no_rope_layers": [1, 1, 1, 0] * 9,
}
GPTJ = {
    "model_type": "gptj",
    "n_embd": 4096,
    "n_head": 16,
    "n_layer": 28,
    "n_positions": 2048,
    "rotary_dim": 64,
}
CHATGLM = {
    "model_type": "chatglm",
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "kv_channels": 128,
    "num_layers": 28,
    "seq_length": 32768,
    "rope_ratio": 50,
}
COHERE2 = {
    "model_type": "cohere2",
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "max_position_embeddings": 8192,
    "rope_theta": 50000,
    "sliding_window": 4096,
}


def test_llama4_nope_layers_temperature_tuning_chunks_and_empty_llama3_band(write_config):
    from transformers.models.llama4.configuration_llama4 import Llama4Config
    from transformers.models.llama4.modeling_llama4 import Llama4TextRotaryEmbedding

    r = inspect_json(write_config(LLAMA4_SCOUT))
    text = Llama4Config.from_dict(LLAMA4_SCOUT).get_text_config()
    rot = Llama4TextRotaryEmbedding(text)
    s = r["rope_sets"][0]
    assert torch.equal(torch.tensor(s["inv_freq"], dtype=torch.float32), rot.inv_freq)
    assert s["attention_scaling"] == rot.attention_scaling
    # no_rope_layers[i] == 1 means "uses RoPE"; empty: every 4th layer is NoPE (transformers' default)
    nope = [i for i, flag in enumerate(text.no_rope_layers) if not flag]
    assert r["layers_without_rope"]["layers"] == nope == list(range(3, 48, 4))
    assert r["layers"]["types"] == list(text.layer_types)
    assert s["windows"] == [8192] and s["layer_types"] == ["chunked_attention"]
    assert r["layout"] == archs.INTERLEAVED
    bands = r["scaling"]["bands"]
    assert bands["smooth"]["pairs"] == 0 and bands["kept"]["pairs"] + bands["divided"]["pairs"] == 64
    q = r["query_scaling"][0]
    assert q["name"] == "attn_temperature_tuning" and q["layer_indices"] == nope
    # transformers' Llama4TextAttention: log1p(floor((m + 1) / floor_scale)) * attn_scale + 1 on NoPE layers
    m = r["target_length"] - 1
    assert q["at_target_length"] == pytest.approx(
        float(torch.log1p(torch.floor(torch.tensor((m + 1) / 8192)))) * 0.1 + 1
    )
    codes = {p["code"] for p in r["pitfalls"]}
    assert "windowed_rope" in codes  # RoPE layers see at most 8,192 tokens: the long range is NoPE's
    assert "target_beyond_scaled_length" not in codes


def test_smollm3_nope_layers_equal_transformers(write_config):
    from transformers import SmolLM3Config
    from transformers.models.smollm3.modeling_smollm3 import SmolLM3RotaryEmbedding

    r = inspect_json(write_config(SMOLLM3))
    config = SmolLM3Config.from_dict(SMOLLM3)
    assert r["layers_without_rope"]["layers"] == [i for i, f in enumerate(config.no_rope_layers) if not f]
    assert r["layers_without_rope"]["count"] == 9
    assert torch.equal(torch.tensor(r["rope_sets"][0]["inv_freq"]), SmolLM3RotaryEmbedding(config).inv_freq)


def test_gptj_interleaved_partial_rotary_equals_transformers_sinusoid_table(write_config):
    from transformers import GPTJConfig
    from transformers.models.gptj.modeling_gptj import GPTJRotaryEmbedding

    r = inspect_json(write_config(GPTJ))
    table = GPTJRotaryEmbedding(
        GPTJConfig.from_dict(GPTJ)
    ).embed_positions  # [positions, rotary_dim]: sin | cos
    inv_freq = torch.tensor(r["rope_sets"][0]["inv_freq"], dtype=torch.float32)
    assert torch.equal(table[1, :32], torch.sin(inv_freq)) and torch.equal(table[1, 32:], torch.cos(inv_freq))
    assert (r["head_dim"], r["rotary_dim"], r["layout"]) == (256, 64, archs.INTERLEAVED)
    assert r["pairs"][3]["dims"] == [6, 7] and "(2i, 2i + 1)" in r["summary"][1]


def test_chatglm_remote_code_is_analysed_as_its_rope_is_known(write_config):
    """ChatGLM3: RotaryEmbedding(kv_channels // 2, base 10000·rope_ratio); transformers' GLM port keeps it."""
    from transformers import GlmConfig
    from transformers.models.glm.modeling_glm import GlmRotaryEmbedding

    r = inspect_json(write_config(CHATGLM))
    glm = GlmConfig(
        head_dim=128,
        partial_rotary_factor=0.5,
        rope_theta=10000.0 * 50,
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=32768,
    )
    assert torch.equal(torch.tensor(r["rope_sets"][0]["inv_freq"]), GlmRotaryEmbedding(glm).inv_freq)
    assert (r["rotary_dim"], r["base"], r["layout"]) == (64, 500000.0, archs.INTERLEAVED)


def test_cohere2_global_layers_are_nope(write_config):
    from transformers import Cohere2Config

    r = inspect_json(write_config(COHERE2))
    config = Cohere2Config.from_dict(COHERE2)
    # transformers' Cohere2Attention rotates only where sliding_window is set, i.e. on sliding layers
    assert r["layers_without_rope"]["layers"] == [
        i for i, t in enumerate(config.layer_types) if t != "sliding_attention"
    ]
    assert r["layout"] == archs.INTERLEAVED
