"""What a person reads: 80-column output that cuts nothing, one-line errors for unsupported or broken configs,
and bundled examples that agree with themselves."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from posenc.inspector.render import render_comparison, render_report

from . import hf_reference as hf
from .inspect_helpers import CONFIG_DIR, assert_ends_with_next, inspect_json, raw_config, run_inspect

BUNDLED = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))
UNSUPPORTED = hf.DATA / "unsupported"


def _render(report: dict, **kw) -> str:
    console = Console(width=80, file=io.StringIO(), color_system=None, record=True)
    render_report(report, console, **kw)
    return console.export_text()


def _assert_readable(text: str, numbers: list[str]) -> None:
    for line in text.splitlines():
        assert len(line) <= 80, line
    assert "…" not in text, [line for line in text.splitlines() if "…" in line]  # rich's mark for a cut cell
    for number in numbers:  # never cut or split across lines
        assert number in text, number


def _key_numbers(r: dict) -> list[str]:
    out = [f"{r['training_length']:,}", f"{r['target_length']:,}", f"{r['base']:,.0f}"]
    out += [f"{s['base']:,.0f}" for s in r["rope_sets"]]
    out += [f"{w:,}" for s in r["rope_sets"] for w in s["windows"]]
    return out


@pytest.mark.parametrize("spec", BUNDLED + [str(hf.REAL_CONFIGS / f"{n}.json") for n in sorted(hf.SOURCES)])
def test_full_output_fits_80_columns_and_cuts_no_number(spec):
    r = inspect_json(spec)
    _assert_readable(_render(r), _key_numbers(r))


@pytest.mark.parametrize("name", ["gemma-3-4b-it", "qwen3.5-9b", "phi-3-mini-128k", "deepseek-v3"])
def test_short_and_pairs_output_fit_80_columns(name):
    r = inspect_json(name)
    short, pairs = _render(r, short=True), _render(r, pairs=True)
    _assert_readable(short, _key_numbers(r))
    _assert_readable(pairs, [f"{r['pairs'][-1]['dims'][1]}"])
    assert len(short.splitlines()) < 40 and "Frequency ladder" in pairs


def test_comparison_fits_80_columns():
    reports = [inspect_json("llama-2-7b"), inspect_json("gemma-3-4b-it")]
    console = Console(width=80, file=io.StringIO(), color_system=None, record=True)
    render_comparison(reports, console)
    _assert_readable(console.export_text(), ["131,072", "4,096", "16,384"])


def test_warnings_about_the_config_and_notes_are_separate_sections():
    text = _render(inspect_json("llama-3.1-8b"))
    warnings = text.index("Warnings about this config")
    notes = text.index("Notes (general advice, not about this config)")
    assert warnings < notes
    assert "bf16" not in text[warnings:notes] and "cast to bf16" in text[notes:]


def test_summary_comes_first_and_names_layers_sets_and_windows():
    text = _render(inspect_json("gemma-3-4b-it"))
    assert text.index("Summary") < text.index("Parameters used")
    summary = text[text.index("Summary") : text.index("Layers (34)")]
    for words in ("text_config", "5 full_attention", "29 sliding_attention", "window 1,024", "linear ×8"):
        assert words in re.sub(r"\s+", " ", summary), words


def test_minimind_bundled_config_agrees_with_itself():
    """Its note says RoPE beyond 2048 positions is extrapolation: the report must say the same."""
    r = inspect_json("minimind")
    assert "2048" in raw_config("minimind")["_note"]
    assert (r["training_length"], r["target_length"]) == (2048, 32768)
    assert "target_beyond_training" in {p["code"] for p in r["pitfalls"] if p["severity"] == "warning"}


# --------------------------------------------------------------------------------------------------
# unsupported and malformed configs: one line naming the problem, exit 2, no traceback
# --------------------------------------------------------------------------------------------------


def _one_line_error(path: str, *expected: str) -> None:
    rc, out, err = run_inspect(path)
    assert rc == 2 and out == "", (rc, out[-300:])
    assert err.startswith("posenc inspect: error: ") and err.strip().count("\n") == 0, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, (text, err)


def test_remote_code_architecture_is_unsupported():
    _one_line_error(str(UNSUPPORTED / "qwen-7b-chat-int4.json"), "unsupported", "'qwen'", "remote code")


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"model_type": "mystery", "hidden_size": 8}, ["unsupported", "'mystery'"]),
        ({"model_type": "mystery", "rope_theta": 1e4, "head_dim": 64}, ["unsupported", "rope_theta"]),
        ({"hidden_size": 8}, ["unsupported", "no position-encoding key"]),
        (
            {"model_type": "llama", "head_dim": 64, "rope_theta": 1e308, "max_position_embeddings": 4096},
            ["rope_theta", "overflows float32"],
        ),
        (
            {"model_type": "llama", "head_dim": 64, "max_position_embeddings": 1e20},
            ["max_position_embeddings"],
        ),
        (
            {"model_type": "llama", "head_dim": 64, "max_position_embeddings": 10**20},
            ["max_position_embeddings", "2^24"],
        ),
        (
            {"model_type": "llama", "head_dim": 64, "rope_theta": 1.0, "max_position_embeddings": 64},
            ["rope_theta", "greater than 1"],
        ),
        (
            {
                "model_type": "llama",
                "head_dim": 64,
                "max_position_embeddings": 64,
                "rope_scaling": {"rope_type": "linear", "factor": 1e300},
            },
            ["'factor'", "2^24"],
        ),
        ({"model_type": "gemma3", "text_config": [1, 2]}, ["'text_config'", "JSON object"]),
        (
            {"model_type": "llama", "num_hidden_layers": 2, "layer_types": ["full_attention"]},
            ["'layer_types'", "'num_hidden_layers'"],
        ),
        ({"model_type": "smollm3", "num_hidden_layers": 4, "no_rope_layers": [1, 0]}, ["'no_rope_layers'"]),
        (
            {
                "model_type": "qwen2_vl",
                "hidden_size": 256,
                "num_attention_heads": 2,
                "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 23]},
            },
            ["'mrope_section'", "sums to 63"],
        ),
        (
            {"model_type": "exaone4", "num_hidden_layers": 4, "sliding_window_pattern": "LLX"},
            ["'sliding_window_pattern'"],
        ),
    ],
    ids=[
        "unknown-model-type",
        "unknown-model-type-with-rope-keys",
        "no-model-type-no-keys",
        "huge-base",
        "float-length",
        "huge-int-length",
        "base-one",
        "absurd-factor",
        "text-config-not-object",
        "layer-types-length",
        "no-rope-layers-length",
        "mrope-section-sum",
        "bad-window-pattern",
    ],
)
def test_bad_config_gives_one_line_naming_the_field(write_config, config, expected):
    _one_line_error(write_config(config), *expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"model_type": "llama", "rope_theta": 1e400}', ["1e400", "too large"]),
        ('{"model_type": "llama", "rope_theta": NaN}', ["NaN", "not a JSON number"]),
        ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
        ('{"model_type": "llama", "rope_theta": }', ["not valid JSON", "line 1"]),
    ],
    ids=["overflowing-number", "nan", "deep-nesting", "syntax"],
)
def test_unreadable_json_gives_one_line(write_config, text, expected):
    _one_line_error(write_config(text), *expected)


def test_json_output_is_pure_json_and_next_goes_to_stderr():
    rc, out, err = run_inspect("gemma-3-4b-it", "--json")
    assert rc == 0 and json.loads(out)["name"] == "gemma-3-4b-it"
    assert err.startswith("Next: ")
    rc, text, _ = run_inspect("gemma-3-4b-it", "--short")
    assert rc == 0
    assert_ends_with_next(text)
