"""A MiniMind checkpoint (``torch.save(model.state_dict())`` under MiniMind's parameter names, read from
jingyaogong/minimind model/model_minimind.py at the pinned commit) gives the logits of MiniMind's
forward pass, written out below from that file's formulas (not from posenc or transformers)."""

import json
import math

import pytest
import torch
from torch.nn import functional as F

from posenc.cli import main

from .own_models import make_tokenizer, sample_text

D, LAYERS, HEADS, KV, HEAD_DIM, FFN, VOCAB, THETA, EPS = 32, 2, 4, 2, 8, 96, 320, 1e6, 1e-6


def minimind_state(seed: int = 0) -> dict:
    """Random weights under MiniMind's names; lm_head tied to embed_tokens as MiniMind ties them."""
    g = torch.Generator().manual_seed(seed)

    def w(*shape, scale=0.3):
        return torch.randn(*shape, generator=g) * scale

    state = {"model.embed_tokens.weight": w(VOCAB, D), "model.norm.weight": 1 + w(D, scale=0.1)}
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        state |= {
            p + "self_attn.q_proj.weight": w(HEADS * HEAD_DIM, D),
            p + "self_attn.k_proj.weight": w(KV * HEAD_DIM, D),
            p + "self_attn.v_proj.weight": w(KV * HEAD_DIM, D),
            p + "self_attn.o_proj.weight": w(D, HEADS * HEAD_DIM),
            p + "self_attn.q_norm.weight": 1 + w(HEAD_DIM, scale=0.1),
            p + "self_attn.k_norm.weight": 1 + w(HEAD_DIM, scale=0.1),
            p + "input_layernorm.weight": 1 + w(D, scale=0.1),
            p + "post_attention_layernorm.weight": 1 + w(D, scale=0.1),
            p + "mlp.gate_proj.weight": w(FFN, D),
            p + "mlp.up_proj.weight": w(FFN, D),
            p + "mlp.down_proj.weight": w(D, FFN),
        }
    state["lm_head.weight"] = state["model.embed_tokens.weight"]
    return state


def rms(x, weight):
    return weight * (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + EPS))


def minimind_logits(state: dict, ids: torch.Tensor) -> torch.Tensor:
    """MiniMind's forward (model_minimind.py): RMSNorm, q/k norm, RoPE on halves, GQA, SwiGLU, tied head."""
    b, n = ids.shape
    freqs = 1.0 / (THETA ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
    angles = torch.outer(torch.arange(n).float(), freqs)  # [n, hd/2]
    cos = torch.cat([angles.cos(), angles.cos()], -1)[:, None]  # [n, 1, hd]
    sin = torch.cat([angles.sin(), angles.sin()], -1)[:, None]

    def rotate(x):  # x [b, n, h, hd]
        half = torch.cat((-x[..., HEAD_DIM // 2 :], x[..., : HEAD_DIM // 2]), -1)
        return x * cos + half * sin

    h = state["model.embed_tokens.weight"][ids]  # [b, n, D]
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        x = rms(h, state[p + "input_layernorm.weight"])
        q = (x @ state[p + "self_attn.q_proj.weight"].T).view(b, n, HEADS, HEAD_DIM)
        k = (x @ state[p + "self_attn.k_proj.weight"].T).view(b, n, KV, HEAD_DIM)
        v = (x @ state[p + "self_attn.v_proj.weight"].T).view(b, n, KV, HEAD_DIM)
        q, k = rms(q, state[p + "self_attn.q_norm.weight"]), rms(k, state[p + "self_attn.k_norm.weight"])
        q, k = rotate(q), rotate(k)
        k, v = (t.repeat_interleave(HEADS // KV, dim=2) for t in (k, v))
        scores = q.transpose(1, 2) @ k.transpose(1, 2).transpose(-2, -1) / math.sqrt(HEAD_DIM)  # [b, H, n, n]
        scores = scores + torch.full((n, n), float("-inf")).triu(1)
        out = (F.softmax(scores, -1) @ v.transpose(1, 2)).transpose(1, 2).reshape(b, n, -1)
        h = h + out @ state[p + "self_attn.o_proj.weight"].T
        x = rms(h, state[p + "post_attention_layernorm.weight"])
        gate, up = x @ state[p + "mlp.gate_proj.weight"].T, x @ state[p + "mlp.up_proj.weight"].T
        h = h + (F.silu(gate) * up) @ state[p + "mlp.down_proj.weight"].T
    return rms(h, state["model.norm.weight"]) @ state["lm_head.weight"].T  # [b, n, V]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("minimind")
    text = sample_text()
    (folder / "text.txt").write_text(text, encoding="utf-8")
    make_tokenizer(text).save_pretrained(folder)
    state = minimind_state()
    torch.save(state, folder / "pretrain_32.pth")
    return folder, state


def test_minimind_checkpoint_gives_minimind_logits(checkpoint):
    from posenc.evaluate.own_eval import load_own
    from posenc.evaluate.sources import resolve_model

    folder, state = checkpoint
    source = resolve_model(str(folder / "pretrain_32.pth"))
    assert source.kind == "minimind"
    loaded = load_own(source, device="cpu")
    ids = torch.randint(0, VOCAB, (2, 40), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got = loaded.model(input_ids=ids).logits
    torch.testing.assert_close(got, minimind_logits(state, ids), rtol=1e-4, atol=1e-4)


def test_minimind_half_precision_and_wrapped_names(checkpoint, tmp_path):
    """MiniMind saves v.half(); a DDP-wrapped save has 'module.' before every name."""
    from posenc.evaluate.minimind_ckpt import load_minimind

    folder, state = checkpoint
    torch.save({f"module.{k}": v.half() for k, v in state.items()}, tmp_path / "sft.pth")
    loaded = load_minimind(tmp_path / "sft.pth", tokenizer=str(folder))
    half = {k: v.half().float() for k, v in state.items()}
    ids = torch.arange(30)[None] % VOCAB
    with torch.no_grad():
        torch.testing.assert_close(
            loaded.model(input_ids=ids).logits, minimind_logits(half, ids), rtol=1e-4, atol=1e-4
        )


def test_minimind_through_posenc_eval(capsys, checkpoint, tmp_path, monkeypatch):
    folder, _ = checkpoint
    monkeypatch.chdir(tmp_path)  # the default results folder, results/eval/pretrain_32, lands here
    rc = main(
        [
            "eval",
            str(folder / "pretrain_32.pth"),
            "--text",
            str(folder / "text.txt"),
            "--train-length",
            "32",
            "--lengths",
            "1x,2x",
            "--windows",
            "2",
            "--passkey-trials",
            "1",
            "--rope-scaling",
            "yarn:2",
            "--json",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    result = json.loads(out.out)
    assert result["kind"] == "minimind" and result["train_length"] == 32
    assert [row["length"] for row in result["rows"]] == [32, 64]
    assert all(math.isfinite(row["ppl"]) for row in result["rows"])
    kept = json.loads((tmp_path / "results/eval/pretrain_32/results.json").read_text())
    assert kept["kind"] == "minimind" and list(kept["evals"]) == [f"yarn:2 @ {folder / 'text.txt'}"]


def test_minimind_errors(capsys, checkpoint, tmp_path):
    folder, state = checkpoint
    torch.save(state, tmp_path / "alone.pth")
    rc = main(["eval", str(tmp_path / "alone.pth")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--tokenizer" in err[0]
    torch.save({"weight": torch.zeros(3)}, tmp_path / "other.pth")
    rc = main(["eval", str(tmp_path / "other.pth"), "--tokenizer", str(folder)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "MiniMind" in err[0]
    (tmp_path / "junk.pth").write_bytes(b"not a pickle")
    rc = main(["eval", str(tmp_path / "junk.pth"), "--tokenizer", str(folder)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "junk.pth" in err[0]
