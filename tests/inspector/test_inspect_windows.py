"""What a windowed layer can see (issue 36): the critical dimension and the pairs with a full turn in training
use the farthest distance a layer attends (a sliding window W: W − 1 back, transformers' mask keeps
``kv_idx > q_idx − W``; a chunk of C tokens: C − 1 back); dual chunk attention; Cohere 2's rotary_pct; the
query-scale sentence. Minimal configs with the real models' numbers (constructed, not real files)."""

from __future__ import annotations

import pytest

from posenc.inspector.analysis import inspect_config

#: Command R7B: RoPE only on its sliding layers (window 4,096), base 50,000, 131,072 positions
COMMAND_R7B = {
    "model_type": "cohere2",
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "head_dim": 128,
    "num_hidden_layers": 8,
    "max_position_embeddings": 131072,
    "rope_theta": 50000,
    "sliding_window": 4096,
    "sliding_window_pattern": 4,
}
#: Llama 4 Maverick's text model: RoPE layers attend in chunks of 8,192
LLAMA4_MAVERICK = {
    "model_type": "llama4_text",
    "hidden_size": 5120,
    "num_attention_heads": 40,
    "head_dim": 128,
    "num_hidden_layers": 8,
    "max_position_embeddings": 1048576,
    "rope_theta": 500000.0,
    "attention_chunk_size": 8192,
    "no_rope_layers": [1, 1, 1, 0] * 2,
}
#: StarCoder2-3B: every layer slides over 4,096 tokens, base 999,999.44
STARCODER2_3B = {
    "model_type": "starcoder2",
    "hidden_size": 3072,
    "num_attention_heads": 24,
    "num_hidden_layers": 2,
    "max_position_embeddings": 16384,
    "rope_theta": 999999.4420358813,
    "sliding_window": 4096,
}
#: Phi-3-mini-4k: every layer slides over 2,047 tokens, head_dim 96
PHI3_MINI_4K = {
    "model_type": "phi3",
    "hidden_size": 3072,
    "num_attention_heads": 32,
    "num_hidden_layers": 2,
    "max_position_embeddings": 4096,
    "rope_theta": 10000.0,
    "sliding_window": 2047,
}


@pytest.mark.parametrize(
    "config, reach, pairs",
    [
        (COMMAND_R7B, 4095, 39),  # 59 of 64 over the full 131,072
        (LLAMA4_MAVERICK, 8191, 35),  # 59 over 1,048,576
        (STARCODER2_3B, 4095, 31),  # 37 over 16,384
        (PHI3_MINI_4K, 2046, 31),  # 34 of 48 over 4,096
    ],
    ids=["command-r7b", "llama4-maverick", "starcoder2-3b", "phi-3-mini-4k"],
)
def test_windowed_layers_count_the_pairs_that_turn_within_what_they_see(config, reach, pairs):
    r = inspect_config(config)
    crit = r["critical_dimension"]
    assert crit["values"]["L_train"] == reach and crit["reach"]["span"] == reach
    assert crit["pairs_with_full_turn"] == pairs
    primary = next(s for s in r["rope_sets"] if s["id"] == r["primary_rope_set"])
    assert primary["pairs_with_full_turn"] == pairs and primary["reach"]["tokens"] == reach
    assert sum(p["full_turn_in_training"] for p in r["pairs"]) == pairs


def test_the_window_note_says_w_minus_one_tokens_back():
    r = inspect_config(COMMAND_R7B)
    note = next(p for p in r["pitfalls"] if p["code"] == "windowed_rope")
    assert "at most 4,095 tokens back" in note["message"]


def test_a_set_with_unwindowed_layers_keeps_the_training_length():
    r = inspect_config({k: v for k, v in STARCODER2_3B.items() if k != "sliding_window"})
    assert r["critical_dimension"]["values"]["L_train"] == 16384 and "reach" not in r["critical_dimension"]
    assert r["critical_dimension"]["pairs_with_full_turn"] == 37


#: Qwen2.5-7B-Instruct-1M: 1,010,000 positions through dual chunk attention, trained at 262,144
QWEN25_1M = {
    "model_type": "qwen2",
    "hidden_size": 3584,
    "num_attention_heads": 28,
    "num_hidden_layers": 2,
    "max_position_embeddings": 1010000,
    "rope_theta": 10000000.0,
    "dual_chunk_attention_config": {
        "chunk_size": 262144,
        "local_size": 8192,
        "original_max_position_embeddings": 262144,
    },
}


def test_dual_chunk_attention_gives_the_training_length_and_is_explained():
    r = inspect_config(QWEN25_1M)
    assert r["training_length"] == 262144
    assert r["training_length_from"] == "dual_chunk_attention_config.original_max_position_embeddings"
    assert r["target_length"] == 1010000
    codes = {p["code"] for p in r["pitfalls"]}
    assert "dual_chunk_attention" in codes and "nominal_length" not in codes
    assert any("transformers does not implement it" in line for line in r["summary"])


def test_cohere2_rotary_pct_is_not_read_as_transformers():
    from transformers import Cohere2Config
    from transformers.models.cohere2.modeling_cohere2 import Cohere2RotaryEmbedding

    config = COMMAND_R7B | {"rotary_pct": 0.5}
    r = inspect_config(config)
    rot = Cohere2RotaryEmbedding(Cohere2Config(**{k: v for k, v in config.items() if k != "model_type"}))
    assert r["rotary_dim"] == 128 == 2 * rot.inv_freq.numel()
    assert any(note.startswith("rotary_pct = 0.5 not read") for note in r["aliases"])


def test_the_query_scale_sentence_names_one_position_when_target_equals_training_length():
    ministral = {
        "model_type": "ministral3",
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "head_dim": 128,
        "num_hidden_layers": 2,
        "max_position_embeddings": 16384,
        "rope_parameters": {
            "rope_type": "yarn",
            "rope_theta": 1000000.0,
            "factor": 16.0,
            "original_max_position_embeddings": 16384,
            "llama_4_scaling_beta": 0.1,
        },
    }
    r = inspect_config(ministral, target_length=16384)
    summary = r["query_scaling"][0]["summary"]
    assert summary.count("16,383") == 1 and "(the training and target length)" in summary
