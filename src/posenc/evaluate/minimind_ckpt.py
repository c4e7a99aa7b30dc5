"""A MiniMind checkpoint (``out/pretrain_768.pth``: MiniMind's state dict) as a transformers model.

MiniMind (github.com/jingyaogong/minimind, ``model/model_minimind.py`` at the commit the course pins,
d65ef2c0) saves ``torch.save(model.state_dict())`` of ``MiniMindForCausalLM`` (in half precision).
Its dense decoder is, layer for layer, transformers' Qwen3: RMSNorm before attention and MLP, q and k
each RMS-normed over head_dim before the rotation (``q_norm``, ``k_norm``), RoPE on halves
(``rotate_half``), grouped-query attention without biases, SwiGLU MLP, tied embeddings. The
parameter names are even the same, so the state dict loads into ``Qwen3ForCausalLM`` unchanged:

    model.embed_tokens.weight                           [V, d]
    model.layers.{i}.input_layernorm.weight             [d]
    model.layers.{i}.self_attn.{q,k,v,o}_proj.weight    [H*hd, d], [KV*hd, d], [KV*hd, d], [d, H*hd]
    model.layers.{i}.self_attn.{q,k}_norm.weight        [hd]
    model.layers.{i}.post_attention_layernorm.weight    [d]
    model.layers.{i}.mlp.{gate,up,down}_proj.weight     [F, d], [F, d], [d, F]
    model.norm.weight                                   [d]
    lm_head.weight                                      [V, d]   (tied to embed_tokens)

The config is read off the shapes (d, layers, heads = q rows / hd, KV heads, F, V); what the weights do
not hold is MiniMind's default (``rope_theta`` 1e6, ``rms_norm_eps`` 1e-6) unless a ``config.json``
with ``model_type: minimind`` sits beside the checkpoint. MoE checkpoints (``mlp.experts``) are refused.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import torch

from posenc.evaluate.hf_model import LoadedModel, _loaded, best_dtype, load_tokenizer, require_transformers

#: MiniMind's defaults for what the weights do not say (MiniMindConfig at d65ef2c0)
MINIMIND_ROPE_THETA = 1e6
MINIMIND_RMS_EPS = 1e-6
#: MiniMind's pretraining length (trainer/train_pretrain.py --max_seq_len default at d65ef2c0): the L of
#: ``Nx`` lengths and of the scalings' original_max_position_embeddings, unless --train-length
MINIMIND_TRAIN_LENGTH = 340
_PREFIXES = ("module.", "_orig_mod.")  # DDP and torch.compile wrappers
_LAYER = re.compile(r"^model\.layers\.(\d+)\.")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors by MiniMind's names (wrapper prefixes removed); one-line errors."""
    path = Path(path).expanduser()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, ValueError, OSError, pickle.UnpicklingError) as err:
        raise ValueError(
            f"{str(path)!r} is not a readable PyTorch state dict ({str(err).splitlines()[0][:200]})"
        ) from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]  # a resume checkpoint holding the model beside the optimizer
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{str(path)!r} is not a state dict of tensors (MiniMind saves model.state_dict())")
    out = {}
    for key, value in state.items():
        for prefix in _PREFIXES:
            key = key.removeprefix(prefix)
        out[key] = value
    return out


def config_from_state(state: dict[str, torch.Tensor], name: str, overrides: dict | None = None) -> dict:
    """Qwen3 config keys for a MiniMind state dict, read off its shapes (see the module docstring)."""
    if "model.embed_tokens.weight" not in state or "model.layers.0.self_attn.q_norm.weight" not in state:
        raise ValueError(
            f"{name} does not hold MiniMind's parameter names (model.embed_tokens.weight, "
            "model.layers.0.self_attn.q_norm.weight); is it a MiniMind checkpoint?"
        )
    if any(".mlp.experts." in key for key in state):
        raise ValueError(
            f"{name} is a MiniMind MoE checkpoint (mlp.experts); only dense MiniMind models are supported"
        )
    vocab, d_model = state["model.embed_tokens.weight"].shape
    head_dim = state["model.layers.0.self_attn.q_norm.weight"].shape[0]
    n_layers = 1 + max(int(m.group(1)) for key in state if (m := _LAYER.match(key)))
    overrides = overrides or {}
    return {
        "vocab_size": int(vocab),
        "hidden_size": int(d_model),
        "num_hidden_layers": n_layers,
        "head_dim": int(head_dim),
        "num_attention_heads": state["model.layers.0.self_attn.q_proj.weight"].shape[0] // head_dim,
        "num_key_value_heads": state["model.layers.0.self_attn.k_proj.weight"].shape[0] // head_dim,
        "intermediate_size": int(state["model.layers.0.mlp.gate_proj.weight"].shape[0]),
        "hidden_act": "silu",
        "rms_norm_eps": float(overrides.get("rms_norm_eps", MINIMIND_RMS_EPS)),
        "rope_theta": float(overrides.get("rope_theta", MINIMIND_ROPE_THETA)),
        "tie_word_embeddings": "lm_head.weight" not in state
        or torch.equal(state["lm_head.weight"], state["model.embed_tokens.weight"]),
        "attention_bias": False,
        "use_sliding_window": False,
    }


def _beside_config(path: Path) -> dict:
    """A MiniMind config.json beside the checkpoint (its rope_theta, rms_norm_eps), else {}."""
    candidate = path.parent / "config.json"
    try:
        data = json.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("model_type") == "minimind" else {}


def load_minimind(
    path: str | Path,
    *,
    device: str = "cpu",
    dtype: str = "auto",
    tokenizer: str | None = None,
    train_length: int | None = None,
) -> LoadedModel:
    """A MiniMind ``.pth`` as ``Qwen3ForCausalLM`` with MiniMind's tokenizer (``--tokenizer`` FOLDER, or
    the checkpoint's own folder when it holds tokenizer.json)."""
    transformers = require_transformers()
    path = Path(path).expanduser()
    tok_dir = tokenizer or (
        str(path.parent)
        if (path.parent / "tokenizer.json").is_file() or (path.parent / "tokenizer_config.json").is_file()
        else None
    )
    if tok_dir is None:
        raise ValueError(
            f"no tokenizer for the MiniMind checkpoint {str(path)!r}: pass --tokenizer FOLDER "
            "(MiniMind's model/ folder holds tokenizer.json)"
        )
    state = read_state_dict(path)
    keys = config_from_state(state, repr(str(path)), _beside_config(path))
    length = int(train_length or MINIMIND_TRAIN_LENGTH)
    # max_position_embeddings = L: where dynamic NTK starts scaling and what the scalings' original is
    config = transformers.Qwen3Config(**keys, max_position_embeddings=length)
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        config._attn_implementation = "sdpa"
        model = transformers.Qwen3ForCausalLM(config)
    finally:
        transformers.logging.set_verbosity(verbosity)
    if keys["tie_word_embeddings"]:
        state.pop("lm_head.weight", None)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (k == "lm_head.weight" and keys["tie_word_embeddings"])]
    if missing or unexpected:
        names = ", ".join((missing + unexpected)[:3])
        raise ValueError(f"{str(path)!r} does not match MiniMind's layout: {names}")
    if keys["tie_word_embeddings"]:
        model.tie_weights()
    model.to(device=device, dtype=best_dtype(device, dtype)).eval()
    tok = load_tokenizer(tok_dir)
    loaded = _loaded(model, tok, str(path), "minimind", length)
    loaded.model_type = "minimind (as qwen3)"
    return loaded
