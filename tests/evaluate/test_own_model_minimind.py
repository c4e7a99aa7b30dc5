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


def minimind_state(seed: int = 0, experts: int = 0) -> dict:
    """Random weights under MiniMind's names; lm_head tied to embed_tokens as MiniMind ties them. With
    ``experts``, each MLP is MiniMind's MoE: a router mlp.gate and that many SwiGLU experts."""
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
        }
        mlps = [f"{p}mlp.experts.{e}." for e in range(experts)] or [p + "mlp."]
        for m in mlps:
            state |= {
                m + "gate_proj.weight": w(FFN, D),
                m + "up_proj.weight": w(FFN, D),
                m + "down_proj.weight": w(D, FFN),
            }
        if experts:
            state[p + "mlp.gate.weight"] = w(experts, D, scale=1.0)
    state["lm_head.weight"] = state["model.embed_tokens.weight"]
    return state


def rms(x, weight):
    return weight * (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + EPS))


def swiglu(x, state, p):
    """MiniMind's FeedForward: down(silu(gate(x)) * up(x))."""
    gate, up = x @ state[p + "gate_proj.weight"].T, x @ state[p + "up_proj.weight"].T
    return (F.silu(gate) * up) @ state[p + "down_proj.weight"].T


def moe(x, state, p, top_k, norm=True):
    """MiniMind's MOEFeedForward: softmax over the router's logits, the top k of each token, divided by
    their sum (+1e-20) when norm_topk_prob, and those experts' outputs summed with these weights."""
    flat = x.reshape(-1, x.shape[-1])
    scores = F.softmax(flat @ state[p + "gate.weight"].T, dim=-1)
    weight, index = torch.topk(scores, k=top_k, dim=-1)
    if norm:
        weight = weight / (weight.sum(-1, keepdim=True) + 1e-20)
    out = torch.zeros_like(flat)
    for t in range(flat.shape[0]):
        for w, e in zip(weight[t], index[t], strict=True):
            out[t] += w * swiglu(flat[t], state, f"{p}experts.{int(e)}.")
    return out.view_as(x)


def minimind_logits(state: dict, ids: torch.Tensor, theta: float = THETA, top_k: int = 1) -> torch.Tensor:
    """MiniMind's forward (model_minimind.py): RMSNorm, q/k norm, RoPE on halves, GQA, SwiGLU (or its
    MoE when the state holds experts), tied head."""
    b, n = ids.shape
    freqs = 1.0 / (theta ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
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
        experts = p + "mlp.gate.weight" in state
        h = h + (moe(x, state, p + "mlp.", top_k) if experts else swiglu(x, state, p + "mlp."))
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


def _logits(loaded, ids):
    with torch.no_grad():
        return loaded.model(input_ids=ids).logits


@pytest.mark.parametrize("top_k", [1, 2])
def test_a_minimind_moe_checkpoint_gives_minimind_moe_logits(checkpoint, tmp_path, top_k):
    """MiniMind's MoE (4 experts; its default of 1 per token, and 2 from a config.json beside it) loads as
    transformers' Qwen3-MoE with the experts stacked, and gives MiniMind's MoE forward's logits."""
    from posenc.evaluate.minimind_ckpt import load_minimind

    folder, _ = checkpoint
    state = minimind_state(seed=3, experts=4)
    torch.save(state, tmp_path / "pretrain_moe.pth")
    if top_k != 1:
        config = {"model_type": "minimind", "use_moe": True, "num_experts_per_tok": top_k}
        (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    loaded = load_minimind(tmp_path / "pretrain_moe.pth", tokenizer=str(folder))
    assert loaded.model_type == "minimind moe (as qwen3_moe)"
    ids = torch.randint(0, VOCAB, (2, 24), generator=torch.Generator().manual_seed(2))
    expected = minimind_logits(state, ids, top_k=top_k)
    torch.testing.assert_close(_logits(loaded, ids), expected, rtol=1e-4, atol=1e-4)
    if top_k == 1:  # the other top-k gives other logits: the config was read, not ignored
        assert not torch.allclose(expected, minimind_logits(state, ids, top_k=2), atol=1e-3)


@pytest.mark.parametrize("weights", ["pytorch_model.bin", "model.safetensors"])
def test_minimind_s_own_transformers_export_is_read_without_its_code(checkpoint, tmp_path, weights):
    """MiniMind's "Transformers-MiniMind" export (model_type minimind, auto_map to its own Python file,
    which is not there and never run): resolved as a MiniMind checkpoint; its config's rope_theta used."""
    from safetensors.torch import save_file

    from posenc.evaluate.own_eval import load_own
    from posenc.evaluate.sources import resolve_model

    folder, state = checkpoint
    export = tmp_path / "MiniMind2-Small"
    make_tokenizer(sample_text()).save_pretrained(export)
    config = {
        "model_type": "minimind",
        "architectures": ["MiniMindForCausalLM"],
        "auto_map": {"AutoModelForCausalLM": "model_minimind.MiniMindForCausalLM"},
        "rope_theta": 10000.0,
        "rms_norm_eps": EPS,
    }
    (export / "config.json").write_text(json.dumps(config), encoding="utf-8")
    untied = {k: v.clone() for k, v in state.items()}
    if weights.endswith(".safetensors"):
        untied.pop("lm_head.weight")  # safetensors refuses shared tensors; save_pretrained drops the tie
        save_file(untied, export / weights)
    else:
        torch.save(untied, export / weights)
    source = resolve_model(str(export))
    assert source.kind == "minimind"
    loaded = load_own(source, device="cpu")
    ids = torch.randint(0, VOCAB, (1, 30), generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(
        _logits(loaded, ids), minimind_logits(state, ids, theta=1e4), rtol=1e-4, atol=1e-4
    )


def test_broken_moe_checkpoints_and_exports_are_one_line_errors(capsys, checkpoint, tmp_path):
    folder, _ = checkpoint
    state = minimind_state(experts=3)
    del state["model.layers.0.mlp.experts.1.gate_proj.weight"]
    torch.save(state, tmp_path / "holes.pth")
    export = tmp_path / "export"
    export.mkdir()
    (export / "config.json").write_text('{"model_type": "minimind"}', encoding="utf-8")
    top = tmp_path / "top"
    top.mkdir()
    torch.save(minimind_state(experts=2), top / "moe.pth")
    (top / "config.json").write_text('{"model_type": "minimind", "num_experts_per_tok": 5}', encoding="utf-8")
    cases = [
        ([str(tmp_path / "holes.pth")], "experts missing"),
        ([str(export)], "holds no pytorch_model.bin or model.safetensors"),
        ([str(top / "moe.pth")], "num_experts_per_tok must be a whole number in [1, 2], not 5"),
    ]
    for argv, problem in cases:
        rc = main(["eval", *argv, "--tokenizer", str(folder)])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and problem in err[0], err
