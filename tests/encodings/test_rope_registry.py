"""The rope_type registry: one entry per type, and every front end reads it.

A toy rope_type registered in one place (the ``toy_rope_type`` fixture) is computed by the library, parsed by
``posenc eval --rope-scaling``, explained by the inspector and offered by the frequency explorer's list.
The entries' key lists are compared with the ones transformers' own validation reads.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import math

import pytest
import torch

from posenc.encodings import rope, rope_types
from posenc.encodings.rope_config import validate
from posenc.encodings.rope_scaling import (
    DERIVED,
    REGISTRY,
    REQUIRED,
    ROPE_TYPES,
    RopeParams,
    RopeType,
    default,
)

TOY_GAIN = 2.0  # the toy's defaulted key


def toy(p: RopeParams, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    """Square-root interpolation, a made-up method: θ'_i = θ_i / √s, attention factor ``gain`` / 2.

    Reads: ``factor``, ``original_max_position_embeddings``, ``gain`` (2.0).
    """
    inv_freq, _ = default(p)
    gain = p.scaling.get("gain") or TOY_GAIN
    return inv_freq / math.sqrt(p.scaling["factor"]), gain / 2


def _check_toy(p: RopeParams) -> None:
    gain = p.scaling.get("gain")
    if gain is not None and not gain > 0:
        raise ValueError(f"rope scaling 'gain' must be positive for rope_type 'toy', got {gain!r}")


@pytest.fixture
def toy_rope_type(monkeypatch):
    """The one place the toy type is added (and removed again after the test)."""
    entry = RopeType(
        "toy",
        toy,
        title="square-root interpolation",
        note="toy: every θ_i divided by √s.",
        keys={"factor": REQUIRED, "original_max_position_embeddings": REQUIRED, "gain": TOY_GAIN},
        static_factor=True,
        check=_check_toy,
    )
    monkeypatch.setitem(REGISTRY, "toy", entry)
    return entry


TOY_CONFIG = {
    "head_dim": 64,
    "rope_theta": 10000.0,
    "max_position_embeddings": 16384,
    "rope_scaling": {"rope_type": "toy", "factor": 4.0, "original_max_position_embeddings": 2048},
}


def test_a_registered_type_is_computed_and_validated_by_the_library(toy_rope_type):
    assert ROPE_TYPES["toy"] is toy and list(ROPE_TYPES)[-1] == "toy"
    inv_freq, attention = rope.frequencies(TOY_CONFIG)
    plain, _ = rope.frequencies({"head_dim": 64, "rope_theta": 10000.0})
    torch.testing.assert_close(inv_freq, plain / 2.0, rtol=1e-6, atol=0)  # √4 = 2
    assert attention == 1.0
    with pytest.raises(ValueError, match="gain"):
        rope.frequencies(TOY_CONFIG | {"rope_scaling": TOY_CONFIG["rope_scaling"] | {"gain": -1.0}})
    with pytest.raises(ValueError, match="original_max_position_embeddings"):
        rope.frequencies(TOY_CONFIG | {"rope_scaling": {"rope_type": "toy", "factor": 4.0}})
    # the model's RoPE module fills in the original length, as for YaRN
    module = rope.RoPE(64, max_seq_len=128, rope_scaling={"rope_type": "toy", "factor": 4.0})
    assert module.config["rope_scaling"]["original_max_position_embeddings"] == 128
    assert module.config["max_position_embeddings"] == 512


def test_a_registered_type_is_accepted_by_eval_rope_scaling(toy_rope_type):
    from posenc.evaluate import cli as eval_cli
    from posenc.evaluate.specs import ROPE_SCALING_TYPES, RopeScaling, parse_rope_scaling

    assert parse_rope_scaling("toy:4") == RopeScaling("toy", 4.0)
    assert parse_rope_scaling("toy:auto").to_dict(256, 64, 32) == {"rope_type": "toy", "factor": 4.0}
    assert "toy" in ROPE_SCALING_TYPES
    with pytest.raises(ValueError, match="toy"):  # listed among the valid types
        parse_rope_scaling("nonsense:4")
    parser = argparse.ArgumentParser()
    eval_cli.add_arguments(parser)
    assert "toy" in " ".join(parser.format_help().split())


def test_a_registered_type_is_explained_by_the_inspector(toy_rope_type):
    from posenc.inspector.analysis import inspect_config

    report = inspect_config(TOY_CONFIG)
    assert report["rope_type"] == "toy" and report["training_length"] == 2048
    assert report["factor"] == 4.0 and report["target_length"] == 16384
    rows = {row["name"]: row for row in report["parameters"]}
    assert rows["gain"] == {"name": "gain", "value": TOY_GAIN, "source": "default"}
    assert rows["original_max_position_embeddings"]["source"] == "config"
    plain_wavelengths = [p["wavelength_default"] for p in report["pairs"]]
    assert [p["wavelength"] for p in report["pairs"]] == pytest.approx([2 * w for w in plain_wavelengths])
    # its factor is static: 4 × 2048 = 8192 < 16384 is a target beyond what the scaling was designed for
    longer = inspect_config(TOY_CONFIG | {"max_position_embeddings": 65536})
    assert "target_beyond_scaled_length" in {p["code"] for p in longer["pitfalls"]}


def test_a_registered_type_is_offered_by_the_explorer(toy_rope_type):
    assert rope_types.explorer_types()["toy"] == ("factor", "original", "target")
    assert rope_types.label("toy") == "toy: square-root interpolation"
    assert rope_types.note("toy") == "toy: every θ_i divided by √s."
    assert rope_types.ramp("toy") is None
    config, seq_len = rope_types.config_for("toy", 4.0, 2048, 8192, head_dim=64, base=1e4, beta_fast=8.0)
    assert config["rope_scaling"] == {
        "rope_type": "toy",
        "factor": 4.0,
        "original_max_position_embeddings": 2048,
    }  # beta_fast is not a toy key: ignored
    assert config["max_position_embeddings"] == 8192 and seq_len is None
    rope.frequencies(config)  # a config the library accepts


# --------------------------------------------------------------------------------------------------
# the built-in entries
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_entry_s_docstring_names_every_key_it_reads(name):
    entry = REGISTRY[name]
    reads = entry.init.__doc__.split("Reads:")[1]
    for key in entry.keys:
        assert f"``{key}``" in reads, (name, key)
    assert entry.needs_original == ("original_max_position_embeddings" in reads)


def test_what_the_front_ends_list():
    assert rope_types.scaling_types() == tuple(t for t in REGISTRY if t != "default")
    assert set(rope_types.explorer_types()) == set(ROPE_TYPES)
    assert rope_types.explorer_types()["default"] == ("original",)
    assert rope_types.explorer_types()["yarn"] == ("factor", "original", "target", "beta_fast", "beta_slow")
    assert rope_types.ramp("llama3") == ("low_freq_factor", "high_freq_factor")
    assert {t for t in REGISTRY if rope_types.static_factor(t)} == set(REGISTRY) - {"default", "dynamic"}
    assert rope_types.keys("yarn")["beta_fast"] == 32 and rope_types.keys("longrope")["factor"] == DERIVED


@pytest.mark.parametrize("name", [t for t in REGISTRY if t != "default"])
def test_configs_built_for_every_type_are_valid(name):
    config, seq_len = rope_types.config_for(
        name, 4.0, 2048, 8192, head_dim=64, base=1e4, low_freq_factor=1.0, high_freq_factor=4.0
    )
    inv_freq, attention = rope.frequencies(config, seq_len=seq_len)
    assert inv_freq.shape == (32,) and attention > 0
    assert seq_len == (8192 if name in ("dynamic", "longrope") else None)
    spec = rope_types.scaling_for(name, 4.0, 32)  # what an evaluation applies; the model adds L
    model_config = {"head_dim": 64, "max_position_embeddings": 8192, "original_max_position_embeddings": 2048}
    validate(rope.params_from_config(model_config | {"rope_scaling": spec}))


def test_the_registry_loads_without_torch():
    import subprocess
    import sys

    code = "import sys, posenc.encodings.rope_types; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------------
# the key lists against transformers' validation
# --------------------------------------------------------------------------------------------------


def _transformers_keys(rope_type: str) -> tuple[set[str], set[str]] | None:
    """(required, optional) key sets of transformers' ``_validate_<rope_type>_rope_parameters``, read from
    its source; None where transformers has no such method (ntk, minimind_yarn)."""
    mixin = getattr(
        pytest.importorskip("transformers.modeling_rope_utils"), "RotaryEmbeddingConfigMixin", None
    )
    method = getattr(mixin, f"_validate_{rope_type}_rope_parameters", None)
    if method is None:
        return None
    found: dict[str, set[str]] = {"required_keys": set(), "optional_keys": set()}
    for node in ast.walk(ast.parse(inspect.cleandoc("\n" + inspect.getsource(method)))):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Set):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in found:
                    found[target.id] = {ast.literal_eval(e) for e in node.value.elts}
    return found["required_keys"], found["optional_keys"]


@pytest.mark.parametrize("name", list(REGISTRY))
def test_keys_agree_with_transformers_validation(name):
    keys = _transformers_keys(name)
    if keys is None:
        pytest.skip(f"transformers has no rope_type {name!r}")
    required, optional = keys
    outside = {"rope_type", "rope_theta", "partial_rotary_factor"}  # read by every type, not scaling keys
    entry = REGISTRY[name]
    assert set(entry.required) == required - outside
    assert set(entry.keys) == (required | optional) - outside
