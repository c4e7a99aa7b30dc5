"""``posenc inspect`` on real config.json files of models released 2023–2026, against transformers.

Each file in ``data/configs`` is a public copy of a model's config.json (``sources.json`` names the
repository, path and commit). For every one, ``posenc inspect FILE --json`` must exit 0, and per layer type
its inverse frequencies and attention factors must equal — exactly, float32 for float32 — what the model's own
transformers rotary-embedding class holds after loading the same file; layer types, NoPE layers, LongRoPE's
long set, mrope axes and the defaults filled in are checked against transformers the same way.
"""

from __future__ import annotations

import logging
import re

import pytest
import torch

from posenc.inspector import architectures as archs

from . import hf_reference as hf
from .inspect_helpers import inspect_json, run_inspect

NAMES = sorted(hf.SOURCES)
PATHS = {name: str(hf.REAL_CONFIGS / f"{name}.json") for name in NAMES}


def report(name: str) -> dict:
    return inspect_json(PATHS[name])


def test_every_gathered_config_names_its_source_and_most_are_2023_to_2026():
    files = sorted(p.stem for p in hf.REAL_CONFIGS.glob("*.json") if p.name != "sources.json")
    assert files == NAMES == sorted(hf.ROTARY)
    for source in hf.SOURCES.values():
        assert (
            source["repo"].count("/") == 1
            and source["path"]
            and re.fullmatch(r"[0-9a-f]{40}", source["commit"])
        )
        assert source["model"] and source["released"]
    recent = [n for n, s in hf.SOURCES.items() if re.match(r"202[3-6]", s["released"])]
    assert len(recent) >= 20, recent


@pytest.mark.parametrize("name", NAMES)
def test_real_config_inspects_with_exit_0(name):
    rc, out, err = run_inspect(PATHS[name], "--json")
    assert rc == 0, err
    assert err.startswith("Next: ")  # stdout stays pure JSON
    r = report(name)
    assert r["family"] == "rope" and r["rope_sets"] and r["summary"]


@pytest.mark.parametrize("name", NAMES)
def test_frequencies_and_attention_factors_equal_the_models_transformers_rotary(name):
    r = report(name)
    _, text = hf.hf_config(hf.raw(name))
    reference = hf.frequencies(hf.rotary(name, text))
    for s in r["rope_sets"]:
        key = s["id"] if s["id"] in reference else "all"
        inv_freq, attention_scaling = reference[key]
        assert torch.equal(torch.tensor(s["inv_freq"], dtype=torch.float32), inv_freq.float()), (
            name,
            s["id"],
        )
        assert s["attention_scaling"] == attention_scaling, (name, s["id"])
    if len(reference) > 1:  # one rotary buffer per layer type: the report has one set per type in use
        used = {t for t in text.layer_types}
        assert {s["id"] for s in r["rope_sets"]} == used & set(reference)


def test_thirty_or_more_layer_type_sets_are_checked():
    sets = sum(len(report(name)["rope_sets"]) for name in NAMES)
    assert len(NAMES) >= 20 and sets >= len(NAMES) + 4  # Gemma 3 ×3 and OLMo 3 have two sets each


@pytest.mark.parametrize("name", NAMES)
def test_layer_types_equal_transformers(name):
    r = report(name)
    _, text = hf.hf_config(hf.raw(name))
    if getattr(text, "layer_types", None):
        assert r["layers"]["types"] == list(text.layer_types)
    assert r["layers"]["count"] == text.num_hidden_layers


def test_exaone4_global_layers_are_nope_as_transformers_attention_decides():
    r = report("exaone-4.0-32b")
    _, text = hf.hf_config(hf.raw("exaone-4.0-32b"))
    # transformers' Exaone4Attention: rotate only if sliding_window is None or the layer slides
    expected = [
        i
        for i, t in enumerate(text.layer_types)
        if not (text.sliding_window is None or t == "sliding_attention")
    ]
    assert r["layers_without_rope"]["layers"] == expected and len(expected) == 16
    assert r["rope_sets"][0]["layer_types"] == ["sliding_attention"]
    assert any(p["code"] == "windowed_rope" for p in r["pitfalls"])


@pytest.mark.parametrize("name, kind", [("qwen3.5-9b", "linear_attention"), ("lfm2.5-vl-1.6b", "conv")])
def test_layers_without_attention_have_no_rope(name, kind):
    r = report(name)
    _, text = hf.hf_config(hf.raw(name))
    expected = [i for i, t in enumerate(text.layer_types) if t == kind]
    assert r["layers_without_rope"]["layers"] == expected and expected
    assert r["rope_sets"][0]["layers"] == [i for i, t in enumerate(text.layer_types) if t == "full_attention"]


def test_longrope_shows_short_and_long_sets_as_transformers_switches_them():
    name = "phi-3.5-vision-instruct-text"
    s = report(name)["rope_sets"][0]
    _, text = hf.hf_config(hf.raw(name))
    rot = hf.rotary(name, text)
    short, short_scaling = hf.frequencies(rot)["all"]
    assert torch.equal(torch.tensor(s["inv_freq"], dtype=torch.float32), short)  # transformers loads short
    long, long_scaling = hf.longrope_long(rot, 4096)
    assert torch.equal(torch.tensor(s["long"]["inv_freq"], dtype=torch.float32), long)
    assert s["long"]["attention_scaling"] == long_scaling and s["long"]["applies_above"] == 4096
    assert not torch.equal(short, long)
    assert "short_factor" in s["scaling_summary"] and "long_factor" in s["scaling_summary"]


@pytest.mark.parametrize(
    "name, interleaved",
    [
        ("qwen2.5-vl-3b-instruct", False),
        ("qwen2.5-vl-7b-instruct", False),
        ("qwen3-vl-8b-instruct", True),
        ("qwen3.5-9b", True),
    ],
)
def test_mrope_axes_equal_transformers_recomposition(name, interleaved):
    r = report(name)
    _, text = hf.hf_config(hf.raw(name))
    axes = hf.mrope_axes(hf.rotary(name, text), r["rotary_dim"] // 2)
    assert r["mrope"]["axis_of_pair"] == axes and r["mrope"]["interleaved"] is interleaved
    assert [p["axis"] for p in r["pairs"]] == axes
    assert {a: len(v) for a, v in r["mrope"]["pairs"].items()} == dict(
        zip("THW", r["mrope"]["section"], strict=True)
    )


def test_gemma3_wrapper_sparse_text_config_is_filled_as_transformers_does():
    r = report("gemma-3-4b-it")
    _, text = hf.hf_config(hf.raw("gemma-3-4b-it"))
    assert r["architecture"]["wrapper"] == {"model_type": "gemma3", "key": "text_config"}
    filled = {d["name"]: d["value"] for d in r["architecture"]["defaults_filled"]}
    assert filled["head_dim"] == text.head_dim == 256
    assert filled["num_attention_heads"] == text.num_attention_heads == 8
    assert filled["max_position_embeddings"] == text.max_position_embeddings == 131072
    sets = {s["id"]: s for s in r["rope_sets"]}
    assert sets["full_attention"]["base"] == text.rope_parameters["full_attention"]["rope_theta"] == 1e6
    assert sets["sliding_attention"]["base"] == text.rope_parameters["sliding_attention"]["rope_theta"] == 1e4
    assert (sets["full_attention"]["rope_type"], sets["full_attention"]["factor"]) == ("linear", 8.0)
    assert sets["full_attention"]["layers"] == [5, 11, 17, 23, 29]
    assert sets["sliding_attention"]["windows"] == [text.sliding_window] == [1024]
    # linear scaling: max_position_embeddings 131,072 is already the extended length, not 8 × 131,072
    assert (r["training_length"], r["target_length"]) == (16384, 131072)
    assert not [p for p in r["pitfalls"] if p["severity"] == "warning"]


def test_deepseek_v3_pairs_features_interleaved_as_transformers_rope_interleave():
    r = report("deepseek-v3")
    _, text = hf.hf_config(hf.raw("deepseek-v3"))
    assert text.rope_interleave is True
    assert r["layout"] == archs.INTERLEAVED and r["pairs"][1]["dims"] == [2, 3]
    assert r["attention"]["softmax_scale_multiplier"] is not None  # MLA folds mscale² into the softmax scale


def test_ministral3_query_scale_equals_transformers_and_is_not_an_mscale():
    from transformers.models.ministral3.modeling_ministral3 import get_llama_4_attn_scale

    r = report("devstral-small-2-24b")
    q = r["query_scaling"][0]
    assert q["name"] == "llama_4_scaling_beta" and q["layer_indices"] == list(range(40))
    for position, value in ((8191, q["at_training_length"]), (393215, q["at_target_length"])):
        expected = get_llama_4_attn_scale(torch.tensor([[position]]), 0.1, 8192).item()
        assert value == pytest.approx(expected, rel=1e-6)
    assert r["attention"]["softmax_scale_multiplier"] is None  # no DeepSeek-style mscale² on the softmax
    assert "only enters attention_scaling" in r["attention"]["explanation"]


def test_falcon_without_rope_keys_uses_falcon_config_defaults():
    r = report("falcon-7b")
    _, text = hf.hf_config(hf.raw("falcon-7b"))
    filled = {d["name"]: d["value"] for d in r["architecture"]["defaults_filled"]}
    assert filled["rope_theta"] == text.rope_parameters["rope_theta"] == 10000.0
    assert filled["max_position_embeddings"] == text.max_position_embeddings == 2048
    assert r["head_dim"] == text.head_dim == 64 and r["layers"]["count"] == 32
    assert any("RefinedWebModel" in note for note in r["aliases"])


def test_yarn_lengths_that_disagree_warn_as_transformers_does(write_config):
    """Qwen3's model card: add YaRN ×4 on 32,768 for 131,072 tokens; its config says 40,960."""
    from transformers import Qwen3Config

    cfg = hf.raw("qwen3-8b") | {
        "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}
    }
    r = inspect_json(write_config(cfg))
    warning = next(p for p in r["pitfalls"] if p["code"] == "lengths_disagree")
    assert (
        warning["severity"] == "warning"
        and "131,072" in warning["message"]
        and "40,960" in warning["message"]
    )
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger = logging.getLogger("transformers.modeling_rope_utils")
    level = logger.level  # other test modules silence transformers' warnings; hear them here
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        Qwen3Config.from_dict(cfg)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert any("implicit factor" in m for m in seen)  # transformers warns about the same mismatch
    agreeing = inspect_json(write_config(cfg | {"max_position_embeddings": 131072}, "agree.json"))
    assert "lengths_disagree" not in {p["code"] for p in agreeing["pitfalls"]}


def test_nominal_length_is_flagged(write_config):
    """Mistral Nemo Instruct's config says 1,024,000 over a 128k training context (the base model's "
    "128,000)."""
    assert "nominal_length" not in {p["code"] for p in report("mistral-nemo-base-2407")["pitfalls"]}
    r = inspect_json(write_config(hf.raw("mistral-nemo-base-2407") | {"max_position_embeddings": 1024000}))
    assert "nominal_length" in {p["code"] for p in r["pitfalls"] if p["severity"] == "warning"}


@pytest.mark.parametrize("name", NAMES)
def test_precision_advice_is_a_note_not_a_warning_about_the_config(name):
    for p in report(name)["pitfalls"]:
        if p["code"] in ("low_precision_positions", "fp16_overflow", "fp32_angle_error"):
            assert p["severity"] == "note"
