"""Parsing --lengths and --rope-scaling: good specs, and strict errors for bad ones."""

import pytest

from posenc.evaluate.specs import ROPE_SCALING_TYPES, parse_lengths, parse_rope_scaling


@pytest.mark.parametrize(
    "spec, rope_type, factor, label",
    [
        ("yarn:4", "yarn", 4.0, "yarn:4"),
        ("linear:2", "linear", 2.0, "linear:2"),
        ("ntk:8", "ntk", 8.0, "ntk:8"),
        ("dynamic:4", "dynamic", 4.0, "dynamic:4"),
        ("minimind_yarn:16", "minimind_yarn", 16.0, "minimind_yarn:16"),
        ("llama3:8", "llama3", 8.0, "llama3:8"),
        ("longrope:4", "longrope", 4.0, "longrope:4"),
        ("YaRN:2.5", "yarn", 2.5, "yarn:2.5"),
        ("auto", "yarn", None, "yarn:auto"),
        ("ntk:auto", "ntk", None, "ntk:auto"),
    ],
)
def test_good_rope_scaling_specs(spec, rope_type, factor, label):
    parsed = parse_rope_scaling(spec)
    assert (parsed.rope_type, parsed.factor, parsed.label) == (rope_type, factor, label)


@pytest.mark.parametrize("spec", [None, "", "none", "NONE"])
def test_no_scaling(spec):
    assert parse_rope_scaling(spec) is None


@pytest.mark.parametrize(
    "spec", ["foo:2", "yarn", "yarn:abc", "yarn:0.5", "yarn:inf", "yarn:nan", "yarn:4:5", ":4"]
)
def test_bad_rope_scaling_spec_names_the_spec_and_lists_the_types(spec):
    with pytest.raises(ValueError) as err:
        parse_rope_scaling(spec)
    message = str(err.value)
    assert repr(spec) in message
    if "finite" not in message:  # the < 1 / non-finite factor message says what a factor must be instead
        assert all(t in message for t in ROPE_SCALING_TYPES)


def test_scaling_dicts_carry_each_type_s_required_fields():
    assert parse_rope_scaling("yarn:4").to_dict(256, 64, 8) == {"rope_type": "yarn", "factor": 4.0}
    assert parse_rope_scaling("llama3:8").to_dict(64, 64, 8) == {
        "rope_type": "llama3",
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
    }
    longrope = parse_rope_scaling("longrope:4").to_dict(256, 64, 8)
    assert longrope["short_factor"] == [1.0] * 8 and longrope["long_factor"] == [4.0] * 8


def test_auto_factor_is_length_over_training_length_and_none_within_it():
    auto = parse_rope_scaling("dynamic:auto")
    assert auto.to_dict(512, 128, 16) == {"rope_type": "dynamic", "factor": 4.0}
    assert auto.to_dict(128, 128, 16) is None
    assert auto.to_dict(64, 128, 16) is None


def test_lengths_as_multiples_and_token_counts():
    specs = parse_lengths("1x, 2x,1.5x,512")
    assert [s.resolve(64) for s in specs] == [64, 128, 96, 512]
    assert [s.resolve(128) for s in parse_lengths(["1x", "16x"])] == [128, 2048]


@pytest.mark.parametrize("spec", ["abc", "2y", "", "0x", "0", "-1", "2x,,4x", "x"])
def test_bad_lengths_raise_naming_the_option(spec):
    with pytest.raises(ValueError, match="--lengths"):
        parse_lengths(spec)
