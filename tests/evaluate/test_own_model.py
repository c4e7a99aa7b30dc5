"""`posenc eval MODEL` on Hugging Face folders: perplexity equals transformers' own loss on the same
windows, with and without --rope-scaling (transformers given the scaling in its config.json), and the
one-line errors. The models are tiny random-weight ones made here (tests/evaluate/own_models.py)."""

import json
import math
import shutil

import pytest
import torch

from posenc.cli import main

from .own_models import L, build, transformers

WINDOWS = 2
LENGTHS = (L, 3 * L)  # 1x and 3x the training length


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    return build(tmp_path_factory.mktemp("own_models"))


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "220")
    monkeypatch.chdir(tmp_path)  # results/eval/NAME, the default results folder, lands here


def eval_json(capsys, *argv) -> dict:
    rc = main(["eval", *map(str, argv), "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)


def one_line_error(capsys, rc, *fragments):
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert all(f in lines[0] for f in fragments), lines[0]


def with_scaling(folder, tmp_path, rope_scaling: dict | None):
    """A copy of the model folder whose config.json carries ``rope_scaling`` the way a user writes it
    there (original length = the model's L; Gemma 3: its full-attention layers)."""
    if rope_scaling is None:
        return folder
    copy = tmp_path / f"{folder.name}-scaled"
    shutil.copytree(folder, copy)
    config = json.loads((copy / "config.json").read_text())
    params = config["rope_parameters"]
    if "full_attention" in params:
        theta = params["full_attention"]["rope_theta"]
        params["full_attention"] = {
            "rope_theta": theta,
            "original_max_position_embeddings": L,
            **rope_scaling,
        }
    else:
        config["rope_parameters"] = {
            "rope_theta": params["rope_theta"],
            "original_max_position_embeddings": L,
            **rope_scaling,
        }
    (copy / "config.json").write_text(json.dumps(config))
    return copy


def transformers_losses(folder, text_file, length) -> torch.Tensor:
    """Per-window losses [WINDOWS] from transformers itself: labels = input_ids on each window."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
    ids = tokenizer(text_file.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
    windows = torch.tensor(ids[: WINDOWS * length]).reshape(WINDOWS, length)
    with torch.no_grad():
        return torch.stack([model(input_ids=w[None], labels=w[None]).loss for w in windows])


CASES = [
    ("llama", None, None),
    ("llama", "yarn:4", {"rope_type": "yarn", "factor": 4.0}),
    ("llama", "linear:2", {"rope_type": "linear", "factor": 2.0}),
    ("llama", "dynamic:2", {"rope_type": "dynamic", "factor": 2.0}),
    (
        "llama",
        "llama3:4",
        {"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0},
    ),
    ("qwen2", None, None),
    ("qwen2", "yarn:4", {"rope_type": "yarn", "factor": 4.0}),
    ("gemma3", None, None),
    ("gemma3", "linear:4", {"rope_type": "linear", "factor": 4.0}),
    ("phi3", None, None),
    (
        "phi3",
        '{"rope_type": "longrope", "factor": 4, "short_factor": [1, 1, 1, 1], "long_factor": [2, 2, 3, 4]}',
        {"rope_type": "longrope", "factor": 4, "short_factor": [1, 1, 1, 1], "long_factor": [2, 2, 3, 4]},
    ),
    (
        "llama",
        "longrope:4",
        {"rope_type": "longrope", "factor": 4.0, "short_factor": [1.0] * 4, "long_factor": [4.0] * 4},
    ),
    (
        "llama",
        '{"rope_type": "yarn", "factor": 3, "beta_fast": 16, "beta_slow": 2}',
        {"rope_type": "yarn", "factor": 3, "beta_fast": 16, "beta_slow": 2},
    ),
]


@pytest.mark.parametrize(
    ("arch", "spec", "rope_scaling"), CASES, ids=[f"{a}-{s or 'none'}"[:24] for a, s, _ in CASES]
)
def test_perplexity_equals_transformers_loss(capsys, zoo, tmp_path, arch, spec, rope_scaling):
    args = [zoo[arch], "--text", zoo["text"], "--lengths", ",".join(map(str, LENGTHS)), "--windows", WINDOWS]
    result = eval_json(capsys, *args, "--passkey-trials", 0, *(["--rope-scaling", spec] if spec else []))
    assert (
        result["train_length"] == L
        and result["model_type"] == transformers.AutoConfig.from_pretrained(zoo[arch]).model_type
    )
    reference = with_scaling(zoo[arch], tmp_path, rope_scaling)
    for row, length in zip(result["rows"], LENGTHS, strict=True):
        expected = transformers_losses(reference, zoo["text"], length).mean().item()
        assert row["length"] == length and row["tokens"] == WINDOWS * (length - 1)
        assert row["loss"] == pytest.approx(expected, rel=1e-4)
        assert row["ppl"] == pytest.approx(math.exp(expected), rel=1e-4)


def test_scaling_changes_the_numbers_beyond_L(capsys, zoo):
    """The scaled rows differ from the unscaled ones at 3L (so the comparison above can fail)."""
    args = [
        zoo["llama"],
        "--text",
        zoo["text"],
        "--lengths",
        3 * L,
        "--windows",
        WINDOWS,
        "--passkey-trials",
        0,
    ]
    plain = eval_json(capsys, *args)["rows"][0]["loss"]
    scaled = eval_json(capsys, *args, "--rope-scaling", "linear:4")["rows"][0]["loss"]
    assert abs(plain - scaled) > 1e-3


def test_last_L_perplexity_is_the_last_L_positions(capsys, zoo):
    """last_loss = transformers' cross-entropy over the last L predicted positions of each window."""
    result = eval_json(
        capsys,
        zoo["qwen2"],
        "--text",
        zoo["text"],
        "--lengths",
        3 * L,
        "--windows",
        WINDOWS,
        "--passkey-trials",
        0,
    )
    row = result["rows"][0]
    tokenizer = transformers.AutoTokenizer.from_pretrained(zoo["qwen2"])
    model = transformers.AutoModelForCausalLM.from_pretrained(zoo["qwen2"]).eval()
    ids = tokenizer(zoo["text"].read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
    windows = torch.tensor(ids[: WINDOWS * 3 * L]).reshape(WINDOWS, 3 * L)
    with torch.no_grad():
        logits = model(input_ids=windows).logits[:, -L - 1 : -1].float()  # predicting the last L tokens
    expected = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), windows[:, -L:].reshape(-1)
    )
    assert row["last"] == L and row["last_tokens"] == WINDOWS * L
    assert row["last_loss"] == pytest.approx(expected.item(), rel=1e-4)


def test_passkey_rows_and_table(capsys, zoo):
    rc = main(
        [
            "eval",
            str(zoo["llama"]),
            "--text",
            str(zoo["text"]),
            "--lengths",
            "2x",
            "--windows",
            "1",
            "--passkey-trials",
            "3",
            "--passkey-depths",
            "0,1",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "64 (2x)" in out and "last-L ppl" in out and "of 3" in out and "Next:" in out


def test_passkey_prompts_hide_the_key_at_the_depth(zoo):
    from posenc.evaluate.own_measure import ANSWER_TOKENS, passkey_prompts

    tokenizer = transformers.AutoTokenizer.from_pretrained(zoo["llama"])
    filler = torch.tensor(
        tokenizer(zoo["text"].read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
    )
    for depth in (0.0, 1.0):
        prompts, keys = passkey_prompts(tokenizer, filler, 200, 4, seed=1, depth=depth)
        assert prompts.shape == (4, 200 - ANSWER_TOKENS)
        for prompt, key in zip(prompts.tolist(), keys, strict=True):
            text = tokenizer.decode(prompt)
            assert text.endswith("\nPASSKEY =") and text.count(f"PASSKEY = {key}\n") == 1
            at = text.index(f"PASSKEY = {key}") / len(text)
            assert (at < 0.1) if depth == 0.0 else (at > 0.8)


# --- one-line errors ---------------------------------------------------------------------------------


def test_folder_without_config_or_checkpoint(capsys, tmp_path):
    rc = main(["eval", str(tmp_path)])
    one_line_error(capsys, rc, "checkpoint.pt", "config.json")


def test_model_folder_without_tokenizer(capsys, zoo, tmp_path):
    folder = tmp_path / "no-tokenizer"
    shutil.copytree(zoo["llama"], folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink(missing_ok=True)
    rc = main(["eval", str(folder), "--text", str(zoo["text"])])
    one_line_error(capsys, rc, "posenc eval: error:", "no tokenizer")


def test_unknown_model_type(capsys, zoo, tmp_path):
    folder = tmp_path / "strange"
    shutil.copytree(zoo["llama"], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"model_type": "no-such-model"}))
    rc = main(["eval", str(folder)])
    one_line_error(capsys, rc, "cannot load a causal LM")


def test_rope_scaling_on_a_model_without_rope(capsys, zoo):
    rc = main(["eval", str(zoo["gpt2"]), "--text", str(zoo["text"]), "--rope-scaling", "yarn:2"])
    one_line_error(capsys, rc, "--rope-scaling", "no rotary position embedding")


@pytest.mark.parametrize("spec", ["ntk:2", "minimind_yarn:2", "yarn:0.5", '{"factor": 2}', "{not json"])
def test_bad_rope_scaling(capsys, zoo, spec):
    rc = main(["eval", str(zoo["llama"]), "--text", str(zoo["text"]), "--rope-scaling", spec])
    one_line_error(capsys, rc, "--rope-scaling")


def test_rope_type_transformers_refuses_for_the_model(capsys, zoo):
    """transformers' Phi-3 takes only longrope: its refusal, in one line."""
    rc = main(["eval", str(zoo["phi3"]), "--text", str(zoo["text"]), "--rope-scaling", "yarn:4"])
    one_line_error(capsys, rc, "--rope-scaling", "phi3", "longrope")


def test_length_beyond_memory(capsys, zoo):
    """Gemma 3's sliding layers build an [n, n] mask: 2^24 tokens cannot fit any machine."""
    rc = main(["eval", str(zoo["gemma3"]), "--text", str(zoo["text"]), "--lengths", str(2**24)])
    one_line_error(capsys, rc, "--lengths 16777216", "GiB", "shorter --lengths")


def test_length_beyond_memory_limit(zoo):
    from posenc.evaluate.own_eval import evaluate_own, load_own
    from posenc.evaluate.sources import resolve_model

    loaded = load_own(resolve_model(str(zoo["llama"])), device="cpu")
    with pytest.raises(ValueError, match=r"--lengths 2048: one window .* GiB"):
        evaluate_own(loaded, "1x,64x", memory_limit=4 * 2**20, text="x")


def test_text_too_short_and_not_utf8(capsys, zoo, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("def f(): pass\n", encoding="utf-8")
    rc = main(["eval", str(zoo["llama"]), "--text", str(short)])
    one_line_error(capsys, rc, "short.txt", "windows")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    rc = main(["eval", str(zoo["llama"]), "--text", str(latin)])
    one_line_error(capsys, rc, "--text", "not UTF-8")


def test_without_transformers(capsys, zoo, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "transformers", None)
    rc = main(["eval", str(zoo["llama"])])
    one_line_error(capsys, rc, "pip install transformers")


def test_hub_id_not_in_cache(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rc = main(["eval", "no-such-owner/no-such-model"])
    one_line_error(capsys, rc, "no-such-owner/no-such-model", "--allow-download")


def test_missing_run_under_an_existing_folder_is_a_missing_run(capsys, monkeypatch, tmp_path):
    """'runs/rpoe' (a typo) where a folder runs/ exists: the run's error, not a hub lookup."""
    (tmp_path / "runs").mkdir()
    monkeypatch.chdir(tmp_path)
    rc = main(["eval", "runs/rpoe"])
    one_line_error(capsys, rc, "runs/rpoe", "does not exist")


def test_ctrl_c_keeps_finished_rows(capsys, zoo, monkeypatch):
    from posenc.evaluate import own_eval

    real = own_eval.perplexity_own
    calls = []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(own_eval, "perplexity_own", interrupt_second)
    rc = main(
        [
            "eval",
            str(zoo["llama"]),
            "--text",
            str(zoo["text"]),
            "--lengths",
            "1x,2x",
            "--windows",
            "1",
            "--passkey-trials",
            "0",
            "--json",
        ]
    )
    out = capsys.readouterr()
    assert rc == 130
    result = json.loads(out.out)
    assert result["interrupted"] and [row["length"] for row in result["rows"]] == [L]
    assert "kept the 1 lengths that finished" in out.err
