"""ModelConfig: defaults, presets, validation messages, (de)serialisation."""

from __future__ import annotations

import json

import pytest

from posenc.model import PRESETS, ModelConfig, TinyLM


def test_defaults_are_the_agreed_small_model():
    c = ModelConfig()
    sizes = (c.vocab_size, c.d_model, c.n_layers, c.n_heads, c.n_kv_heads, c.max_seq_len)
    assert sizes == (256, 128, 4, 4, 2, 128)
    assert (c.pe, c.pe_options, c.tie_embeddings) == ("rope", {}, True)
    assert (c.norm_eps, c.dropout, c.init_std) == (1e-5, 0.0, 0.02)
    assert ModelConfig.preset("small") == c


def test_tiny_preset_sizes():
    c = ModelConfig.preset("tiny")
    assert (c.d_model, c.n_layers, c.n_heads, c.n_kv_heads, c.max_seq_len) == (64, 2, 4, 2, 64)
    assert set(PRESETS) >= {"tiny", "small"}


@pytest.mark.parametrize(
    ("d_model", "expected"),
    # 8/3·d = 170.7, 341.3, 1365.3, 256 -> the next multiple of 32
    [(64, 192), (128, 352), (512, 1376), (96, 256)],
)
def test_swiglu_hidden_is_eight_thirds_d_rounded_up_to_32(d_model, expected):
    assert ModelConfig(d_model=d_model, n_heads=4).ffn_hidden_size == expected


def test_explicit_ffn_hidden_wins():
    assert ModelConfig(ffn_hidden=100).ffn_hidden_size == 100


def test_embedding_multiplier_defaults_to_sqrt_d():
    assert ModelConfig(d_model=64, n_heads=4).embedding_multiplier == pytest.approx(8.0)
    assert ModelConfig(embed_scale=1.0).embedding_multiplier == 1.0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"d_model": 130}, "d_model"),  # not divisible by 4 heads
        ({"n_heads": 4, "n_kv_heads": 3}, "n_kv_heads"),
        ({"n_layers": 0}, "n_layers"),
        ({"vocab_size": -1}, "vocab_size"),
        ({"max_seq_len": 2.5}, "max_seq_len"),
        ({"n_heads": True}, "n_heads"),
        ({"ffn_hidden": 0}, "ffn_hidden"),
        ({"pe": "fourier"}, "pe"),
        ({"pe_options": [1, 2]}, "pe_options"),
        ({"norm_eps": 0.0}, "norm_eps"),
        ({"init_std": -0.1}, "init_std"),
        ({"dropout": 1.0}, "dropout"),
        ({"embed_scale": 0}, "embed_scale"),
        ({"tie_embeddings": "yes"}, "tie_embeddings"),
    ],
)
def test_bad_field_raises_value_error_naming_it(overrides, field):
    with pytest.raises(ValueError, match=field):
        ModelConfig(**overrides)


def test_bad_pe_option_is_reported_as_pe_options():
    with pytest.raises(ValueError, match="pe_options.*nope"):
        TinyLM(ModelConfig.preset("tiny", pe="nope", pe_options={"base": 10.0}))


def test_to_dict_from_dict_round_trip_through_json():
    c = ModelConfig(d_model=96, n_heads=6, n_kv_heads=3, pe="t5", pe_options={"num_buckets": 16}, dropout=0.1)
    d = json.loads(json.dumps(c.to_dict()))
    assert ModelConfig.from_dict(d) == c
    d["pe_options"]["num_buckets"] = 8  # the round trip copies, it does not alias
    assert c.pe_options == {"num_buckets": 16}


def test_from_dict_unknown_keys_are_named():
    with pytest.raises(ValueError, match="hidden_size.*rope_theta|rope_theta.*hidden_size"):
        ModelConfig.from_dict({"d_model": 64, "hidden_size": 64, "rope_theta": 1e4})


def test_unknown_preset_is_named():
    with pytest.raises(ValueError, match="huge"):
        ModelConfig.preset("huge")
