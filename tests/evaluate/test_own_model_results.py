"""`posenc eval MODEL` writes a results folder: each row as it finishes (Ctrl-C keeps it), a re-run
with the same settings measures only what it lacks, a second scaling sits beside the first, report.md
and the plots are written, another model's folder and non-finite numbers are refused. And a posenc
RoPE run saved as a Llama folder gives posenc's own logits through transformers."""

import json

import pytest
import torch

from posenc.cli import main

from .own_models import L, build, transformers

ARGS = ["--lengths", "1x,2x", "--windows", "1", "--passkey-trials", "1"]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    return build(tmp_path_factory.mktemp("own_models"))


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the default results/eval/NAME lands here
    monkeypatch.setenv("COLUMNS", "80")


def run(capsys, *argv):
    rc = main(["eval", *map(str, argv)])
    return rc, capsys.readouterr()


def counting(monkeypatch):
    from posenc.evaluate import own_eval

    real, calls = own_eval.perplexity_own, []

    def count(loaded, windows, *args, **kwargs):
        calls.append(windows.shape[1])
        return real(loaded, windows, *args, **kwargs)

    monkeypatch.setattr(own_eval, "perplexity_own", count)
    return calls


def test_rows_saved_resumed_and_a_second_scaling_beside(capsys, zoo, tmp_path, monkeypatch):
    calls = counting(monkeypatch)
    rc, out = run(capsys, zoo["llama"], "--text", zoo["text"], *ARGS)
    assert rc == 0, out.err
    folder = tmp_path / "results" / "eval" / "llama"
    assert f"wrote {folder.relative_to(tmp_path)}/" in out.out and "Next: posenc eval" in out.out
    assert max(len(line) for line in out.out.splitlines() if "pytest-" not in line) <= 80  # paths aside
    data = json.loads((folder / "results.json").read_text())
    assert data["format"] == "posenc-own-eval/1" and list(data["evals"]) == [f"none @ {zoo['text']}"]
    assert [r["length"] for r in data["evals"][f"none @ {zoo['text']}"]["rows"]] == [L, 2 * L]
    assert {"ppl_vs_length.png", "passkey.png", "ppl_vs_length.svg"} <= set(data["plots"])
    assert all((folder / name).stat().st_size > 1000 for name in data["plots"])
    assert "| 64 (2×) | 1 |" in (folder / "report.md").read_text()
    assert calls == [L, 2 * L]

    calls.clear()  # same settings plus one more length: only that length is measured
    rc, out = run(capsys, zoo["llama"], "--text", zoo["text"], *ARGS[:1], "1x,2x,4x", *ARGS[2:])
    assert rc == 0 and calls == [4 * L] and "kept 2 rows" in out.out

    calls.clear()  # other windows: a new basis, measured again
    rc, out = run(capsys, zoo["llama"], "--text", zoo["text"], "--lengths", "1x", "--windows", "2")
    assert rc == 0 and calls == [L]

    calls.clear()
    rc, out = run(capsys, zoo["llama"], "--text", zoo["text"], *ARGS, "--rope-scaling", "yarn:2")
    assert rc == 0 and calls == [L, 2 * L]
    data = json.loads((folder / "results.json").read_text())
    none = data["evals"][f"none @ {zoo['text']}"]["rows"]
    assert [r["length"] for r in none] == [L, 2 * L, 4 * L]  # rows of other lengths kept
    assert [r["windows"] for r in none] == [2, 1, 1]  # the 1x row replaced by the new measurement
    assert data["evals"][f"yarn:2 @ {zoo['text']}"]["rows"][1]["rope_scaling_applied"]["factor"] == 2.0


def test_ctrl_c_keeps_the_finished_row_and_the_same_command_resumes(capsys, zoo, tmp_path, monkeypatch):
    from posenc.evaluate import own_eval

    real = own_eval.perplexity_own

    def interrupt_second(loaded, windows, *args, **kwargs):
        if windows.shape[1] == 2 * L:
            raise KeyboardInterrupt
        return real(loaded, windows, *args, **kwargs)

    monkeypatch.setattr(own_eval, "perplexity_own", interrupt_second)
    out_dir = tmp_path / "mine"
    rc, out = run(capsys, zoo["qwen2"], "--text", zoo["text"], *ARGS, "--out", out_dir)
    assert rc == 130 and "the same command measures the rest" in out.err
    rows = json.loads((out_dir / "results.json").read_text())["evals"][f"none @ {zoo['text']}"]["rows"]
    assert [r["length"] for r in rows] == [L]
    monkeypatch.setattr(own_eval, "perplexity_own", real)
    calls = counting(monkeypatch)
    rc, out = run(capsys, zoo["qwen2"], "--text", zoo["text"], *ARGS, "--out", out_dir)
    assert rc == 0 and calls == [2 * L] and "kept 1 rows" in out.out


def test_another_models_folder_is_refused_and_kept(capsys, zoo, tmp_path):
    out_dir = tmp_path / "shared"
    assert run(capsys, zoo["llama"], "--text", zoo["text"], *ARGS, "--out", out_dir)[0] == 0
    before = (out_dir / "results.json").read_bytes()
    rc, out = run(capsys, zoo["qwen2"], "--text", zoo["text"], *ARGS, "--out", out_dir)
    assert rc == 2 and len(out.err.strip().splitlines()) == 1
    assert "holds the results of other weights" in out.err
    assert (out_dir / "results.json").read_bytes() == before


@pytest.mark.parametrize("content", ['{"format": "posenc-own-eval/1", "evals": {"x": NaN}}', "{not json"])
def test_an_unreadable_results_file_is_refused_and_kept(capsys, zoo, tmp_path, content):
    out_dir = tmp_path / "bad"
    out_dir.mkdir()
    (out_dir / "results.json").write_text(content)
    rc, out = run(capsys, zoo["llama"], "--text", zoo["text"], *ARGS, "--out", out_dir)
    assert rc == 2 and "cannot be read" in out.err and len(out.err.strip().splitlines()) == 1
    assert (out_dir / "results.json").read_text() == content


def test_a_non_finite_loss_is_refused_where_it_enters(capsys, zoo, tmp_path, monkeypatch):
    from posenc.evaluate import own_measure

    monkeypatch.setattr(
        own_measure,
        "window_losses",
        lambda loaded, ids: torch.full((ids.shape[0], ids.shape[1] - 1), float("nan")),
    )
    rc, out = run(capsys, zoo["llama"], "--text", zoo["text"], *ARGS, "--out", tmp_path / "nan")
    assert rc == 2 and "not finite" in out.err and len(out.err.strip().splitlines()) == 1
    assert not (tmp_path / "nan" / "results.json").exists()


def test_out_is_refused_for_a_posenc_run(capsys, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "checkpoint.pt").write_bytes(b"")
    rc, out = run(capsys, run_dir, "--out", tmp_path / "x")
    assert rc == 2 and "--out is for a Hugging Face or MiniMind model" in out.err


def test_a_posenc_run_saved_as_llama_gives_posencs_logits(tmp_path):
    from posenc.evaluate.hf_export import byte_tokenizer, llama_state
    from posenc.model import ModelConfig, TinyLM

    torch.manual_seed(0)
    model = TinyLM(ModelConfig(d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=L)).eval()
    c = model.config
    config = transformers.LlamaConfig(
        vocab_size=256,
        hidden_size=64,
        intermediate_size=c.ffn_hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=L,
        rms_norm_eps=c.norm_eps,
        rope_theta=10000.0,
        tie_word_embeddings=False,
    )
    llama = transformers.LlamaForCausalLM(config).eval()
    llama.load_state_dict(llama_state(model), strict=True)
    text = "def f(x):\n    return x + 1  # é, ü, \u00ff\n" * 3
    tok = byte_tokenizer()
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert ids == list(text.encode("utf-8")) and tok.decode(ids) == text  # token i is byte i
    x = torch.tensor([ids])
    with torch.no_grad():
        ours, theirs = model(x)[0], llama(x).logits
    assert torch.allclose(ours, theirs, atol=1e-4, rtol=1e-4)
