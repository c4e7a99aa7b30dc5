"""``posenc inspect`` through ``posenc.cli.main``: bundled configs, comparison, plot, clear errors."""

from __future__ import annotations

import json

import pytest

from .inspect_helpers import CONFIG_DIR, assert_ends_with_next, inspect_json, run_inspect

BUNDLED = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_issue_lists_every_bundled_example():
    expected = {
        "minimind",
        "minimind-yarn",
        "llama-2-7b",
        "llama-3.1-8b",
        "mistral-7b-v0.1",
        "qwen2.5-7b-yarn",
        "phi-3-mini-128k",
        "deepseek-v3",
        "gpt-neox-20b",
        # issue 19: the instructive real configs of models people run today
        "gemma-3-4b-it",
        "devstral-small-2-24b",
        "exaone-4.0-32b",
        "qwen3.5-9b",
        "qwen2.5-vl-7b-instruct",
        "falcon-7b",
        "gpt-oss-20b",
    }
    assert expected <= set(BUNDLED)
    for name in BUNDLED:
        assert json.loads((CONFIG_DIR / f"{name}.json").read_text())["_source"], f"{name} cites no source"


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_config_inspects_as_text(name):
    rc, out, err = run_inspect(name)
    assert rc == 0, err
    for heading in (name, "Summary", "Parameters used", "low-precision", "Warnings about this config"):
        assert heading in out
    assert "Frequency ladder" not in out  # the per-pair table is behind --pairs
    assert_ends_with_next(out)


def test_pairs_flag_adds_the_ladder_and_short_keeps_only_summary_and_warnings():
    rc, out, err = run_inspect("llama-3.1-8b", "--pairs")
    assert rc == 0, err
    assert "Frequency ladder" in out and "Summary" in out
    rc, short, err = run_inspect("llama-3.1-8b", "--short")
    assert rc == 0, err
    assert "Summary" in short and "Warnings about this config" in short
    for detail in ("Parameters used", "Frequency ladder", "low-precision", "Notes"):
        assert detail not in short
    assert len(short.splitlines()) < len(out.splitlines()) / 3


def test_short_and_pairs_exclude_each_other():
    rc, _, err = run_inspect("llama-2-7b", "--short", "--pairs")
    assert rc == 2 and "not allowed with" in err


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_config_inspects_as_json(name):
    report = inspect_json(name)
    assert report["family"] == "rope"
    assert report["name"] == name
    assert len(report["pairs"]) == report["rotary_dim"] // 2
    for key in ("parameters", "critical_dimension", "scaling", "attention", "precision", "pitfalls"):
        assert key in report


def test_list_names_every_bundled_config():
    rc, out, _ = run_inspect("--list")
    assert rc == 0
    assert all(name in out for name in BUNDLED)
    assert_ends_with_next(out)


def test_two_configs_are_compared_side_by_side():
    rc, out, err = run_inspect("llama-2-7b", "llama-3.1-8b")
    assert rc == 0, err
    assert "Comparison" in out and "llama-2-7b" in out and "llama-3.1-8b" in out

    both = inspect_json("llama-2-7b", "llama-3.1-8b")
    assert [r["name"] for r in both["reports"]] == ["llama-2-7b", "llama-3.1-8b"]
    assert both["comparison"]["rope_type"] == ["default", "llama3"]
    assert both["comparison"]["base (rope_theta)"] == ["10,000", "500,000"]


@pytest.mark.parametrize("configs", [("qwen2.5-7b-yarn",), ("llama-2-7b", "deepseek-v3")])
def test_plot_writes_a_png(tmp_path, configs):
    target = tmp_path / "ladder.png"
    rc, _, err = run_inspect(*configs, "--plot", str(target))
    assert rc == 0, err
    data = target.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 20_000
    assert [p.name for p in tmp_path.iterdir()] == ["ladder.png"]  # no temporary file left behind


def test_a_model_folder_is_read_through_its_config_json(write_config, tmp_path):
    write_config(json.loads((CONFIG_DIR / "llama-2-7b.json").read_text()))
    report = inspect_json(str(tmp_path))
    assert report["rope_type"] == "default" and report["rotary_dim"] == 128


@pytest.mark.parametrize(
    "config, encoding",
    [
        ({"model_type": "bloom", "hidden_size": 1024, "n_head": 16}, "alibi"),
        ({"model_type": "mpt", "attn_config": {"alibi": True}, "d_model": 4096}, "alibi"),
        ({"model_type": "falcon", "alibi": True, "hidden_size": 4544}, "alibi"),
        ({"model_type": "gpt2", "n_positions": 1024, "n_embd": 768}, "learned"),
        ({"model_type": "t5", "relative_attention_num_buckets": 32}, "t5_relative_bias"),
    ],
)
def test_config_without_rope_says_what_it_has(write_config, config, encoding):
    path = write_config(config)
    report = inspect_json(path)
    assert report["family"] == "none"
    assert report["position_encoding"] == encoding
    rc, out, _ = run_inspect(path)
    assert rc == 0 and "not RoPE" in out


def test_falcon_with_alibi_false_is_rope(write_config):
    path = write_config(
        {
            "model_type": "falcon",
            "alibi": False,
            "hidden_size": 4544,
            "num_attention_heads": 71,
            "rope_theta": 10000.0,
            "max_position_embeddings": 2048,
        }
    )
    report = inspect_json(path)
    assert report["family"] == "rope" and report["head_dim"] == 64


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, ["config file not found", "does-not-exist.json", "llama-3.1-8b"]),
        ('{"rope_theta": 10000,\n "head_dim": 64\n "x": 1}', ["not valid JSON", "line 3, column 2"]),
        ("[1, 2, 3]", ["expected a JSON object", "array"]),
        ('"llama"', ["expected a JSON object", "string"]),
        (b"\xff\xfe{}", ["not UTF-8"]),
        (
            {
                "head_dim": 64,
                "max_position_embeddings": 128,
                "rope_scaling": {"rope_type": "warp", "factor": 2},
            },
            ["unknown rope_type 'warp'"],
        ),
        ({"rope_theta": 10000.0, "max_position_embeddings": 128}, ["'head_dim'", "'hidden_size'"]),
        (
            {
                "head_dim": 64,
                "rope_theta": 1e4,
                "max_position_embeddings": 128,
                "rope_scaling": {"rope_type": "yarn", "factor": 4},
            },
            ["original_max_position_embeddings"],
        ),
        ({"head_dim": 64, "rope_theta": 1e4}, ["max_position_embeddings"]),
        (
            {
                "head_dim": 64,
                "rope_theta": 1e4,
                "max_position_embeddings": 128,
                "rope_scaling": {"rope_type": "linear", "factor": 0.5},
            },
            ["'factor'", "0.5", "below 1"],
        ),
        (
            {"head_dim": 66, "partial_rotary_factor": 0.5, "rope_theta": 1e4, "max_position_embeddings": 128},
            ["rotary dim", "33", "odd"],
        ),
    ],
    ids=[
        "missing",
        "not-json",
        "array",
        "string",
        "not-utf8",
        "unknown-rope-type",
        "no-head-dim",
        "yarn-without-original",
        "no-length",
        "factor-below-1",
        "odd-rotary-dim",
    ],
)
def test_malformed_config_gives_one_line_error_and_exit_2(tmp_path, content, expected):
    path = tmp_path / ("does-not-exist.json" if content is None else "config.json")
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_text(json.dumps(content))
    rc, out, err = run_inspect(str(path))
    assert rc == 2
    assert out == ""
    assert err.startswith("posenc inspect: error: ") and err.strip().count("\n") == 0, err
    for text in expected:
        assert text in err


@pytest.mark.parametrize(
    "args, expected",
    [
        ((), "give a config"),
        (("llama-2-7b", "minimind", "mistral-7b-v0.1"), "one config, or two"),
        (("llama-2-7b", "--target-length", "0"), "--target-length"),
        (("llama-2-7b", "--plot", "ladder.txt"), "--plot"),
        (("llama-2-7b", "--plot", "/no/such/folder/ladder.png"), "folder not found"),
    ],
)
def test_bad_arguments_give_one_line_error_and_exit_2(args, expected):
    rc, _, err = run_inspect(*args)
    assert rc == 2 and expected in err and err.strip().count("\n") == 0
