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
not hold is MiniMind's default (``rope_theta`` 1e6, ``rms_norm_eps`` 1e-6, and for MoE one expert per
token with normalised top-k weights) unless a ``config.json`` with ``model_type: minimind`` sits beside
the checkpoint.

A MoE checkpoint (``use_moe``: ``MOEFeedForward``) holds a router ``mlp.gate.weight`` [E, d] and E
SwiGLU experts ``mlp.experts.{e}.{gate,up,down}_proj.weight``. Its forward is transformers' Qwen3-MoE
block: softmax over the E router logits, the top k, divided by their sum when ``norm_topk_prob``, and
the weighted sum of those experts' outputs. It loads into ``Qwen3MoeForCausalLM`` with the experts
stacked as transformers 5 keeps them (``experts.gate_up_proj`` [E, 2F, d]: the gates, then the ups;
``experts.down_proj`` [E, d, F]), as MiniMind's own ``scripts/convert_model.py`` stacks them.

MiniMind's "Transformers-MiniMind" export (``convert_torch2transformers_minimind``: a folder with
``config.json`` of ``model_type: minimind``, its tokenizer and ``pytorch_model.bin`` or
``model.safetensors``) is read the same way: its weights by these names and its config's values, without
running the export's own Python code (``trust_remote_code`` is never needed).
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import torch
from safetensors import SafetensorError

from posenc.evaluate.hf_model import LoadedModel, _loaded, best_dtype, load_tokenizer, require_transformers
from posenc.evaluate.sources import minimind_config

#: MiniMind's defaults for what the weights do not say (MiniMindConfig at d65ef2c0)
MINIMIND_ROPE_THETA = 1e6
MINIMIND_RMS_EPS = 1e-6
#: MiniMind's pretraining length (trainer/train_pretrain.py --max_seq_len default at d65ef2c0): the L of
#: ``Nx`` lengths and of the scalings' original_max_position_embeddings, unless --train-length
MINIMIND_TRAIN_LENGTH = 340
_PREFIXES = ("module.", "_orig_mod.")  # DDP and torch.compile wrappers
_LAYER = re.compile(r"^model\.layers\.(\d+)\.")
_EXPERT = re.compile(r"^model\.layers\.0\.mlp\.experts\.(\d+)\.gate_proj\.weight$")
#: MiniMindConfig's MoE default: one expert per token (num_experts_per_tok), weights normalised
MINIMIND_EXPERTS_PER_TOKEN = 1
#: the weights file of MiniMind's transformers export (save_pretrained, safe_serialization=False or not)
EXPORT_WEIGHTS = ("pytorch_model.bin", "model.safetensors")


def weights_file(path: str | Path) -> Path:
    """The weights of MODEL: the ``.pth`` itself, or an export folder's :data:`EXPORT_WEIGHTS` file."""
    path = Path(path).expanduser()
    if not path.is_dir():
        return path
    for name in EXPORT_WEIGHTS:
        if (path / name).is_file():
            return path / name
    raise FileNotFoundError(
        f"the MiniMind export {str(path)!r} holds no {' or '.join(EXPORT_WEIGHTS)} "
        "(a sharded or incomplete save?)"
    )


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors by MiniMind's names (wrapper prefixes removed); one-line errors. ``path``
    is a ``.pth`` or an export folder (:func:`weights_file`)."""
    path = weights_file(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(path)
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, ValueError, OSError, pickle.UnpicklingError, SafetensorError) as err:
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
        **_mlp_keys(state, name, overrides),
        "hidden_act": "silu",
        "rms_norm_eps": float(overrides.get("rms_norm_eps", MINIMIND_RMS_EPS)),
        "rope_theta": float(overrides.get("rope_theta", MINIMIND_ROPE_THETA)),
        "tie_word_embeddings": "lm_head.weight" not in state
        or torch.equal(state["lm_head.weight"], state["model.embed_tokens.weight"]),
        "attention_bias": False,
        "use_sliding_window": False,
    }


def _mlp_keys(state: dict[str, torch.Tensor], name: str, overrides: dict) -> dict:
    """The MLP's config keys: ``intermediate_size`` for a dense model; for MoE (``mlp.experts``) the
    expert count and size read off the weights, top-k and ``norm_topk_prob`` from MiniMind's config."""
    experts = {int(m.group(1)) for key in state if (m := _EXPERT.match(key))}
    if not experts:
        if "model.layers.0.mlp.gate_proj.weight" not in state:
            raise ValueError(f"{name} has neither mlp.gate_proj nor mlp.experts in layer 0")
        return {"intermediate_size": int(state["model.layers.0.mlp.gate_proj.weight"].shape[0])}
    count = max(experts) + 1
    if experts != set(range(count)) or "model.layers.0.mlp.gate.weight" not in state:
        raise ValueError(f"{name} is a MoE checkpoint with experts missing or without its router mlp.gate")
    top_k = overrides.get("num_experts_per_tok", MINIMIND_EXPERTS_PER_TOKEN)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= count:
        raise ValueError(f"{name}: num_experts_per_tok must be a whole number in [1, {count}], not {top_k!r}")
    size = int(state["model.layers.0.mlp.experts.0.gate_proj.weight"].shape[0])
    return {
        "intermediate_size": size,
        "moe_intermediate_size": size,
        "num_experts": count,
        "num_experts_per_tok": top_k,
        "norm_topk_prob": bool(overrides.get("norm_topk_prob", True)),
        "decoder_sparse_step": 1,
        "mlp_only_layers": [],
    }


def stack_experts(state: dict[str, torch.Tensor], layers: int, experts: int) -> dict[str, torch.Tensor]:
    """MiniMind's per-expert weights stacked as transformers 5's Qwen3-MoE holds them (the router,
    ``mlp.gate.weight``, keeps its name)."""
    out = {k: v for k, v in state.items() if ".mlp.experts." not in k}
    for layer in range(layers):
        p = f"model.layers.{layer}.mlp.experts"
        try:
            gates, ups, downs = (
                torch.stack([state[f"{p}.{e}.{w}_proj.weight"] for e in range(experts)])
                for w in ("gate", "up", "down")
            )
        except KeyError as err:
            raise ValueError(f"the MoE checkpoint lacks {err.args[0]}") from None
        out[f"{p}.gate_up_proj"] = torch.cat([gates, ups], dim=1)
        out[f"{p}.down_proj"] = downs
    return out


def load_minimind(
    path: str | Path,
    *,
    device: str = "cpu",
    dtype: str = "auto",
    tokenizer: str | None = None,
    train_length: int | None = None,
) -> LoadedModel:
    """A MiniMind ``.pth`` (or its transformers export folder) as ``Qwen3ForCausalLM``
    (``Qwen3MoeForCausalLM`` for MoE) with MiniMind's tokenizer: ``--tokenizer`` FOLDER, or the
    checkpoint's own folder when it holds tokenizer.json."""
    transformers = require_transformers()
    path = Path(path).expanduser()
    home = path if path.is_dir() else path.parent
    has_tokenizer = any((home / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json"))
    tok_dir = tokenizer or (str(home) if has_tokenizer else None)
    if tok_dir is None:
        raise ValueError(
            f"no tokenizer for the MiniMind checkpoint {str(path)!r}: pass --tokenizer FOLDER "
            "(MiniMind's model/ folder holds tokenizer.json)"
        )
    state = read_state_dict(path)
    keys = config_from_state(state, repr(str(path)), minimind_config(home))
    length = int(train_length or MINIMIND_TRAIN_LENGTH)
    # max_position_embeddings = L: where dynamic NTK starts scaling and what the scalings' original is
    moe = "num_experts" in keys
    if moe:
        state = stack_experts(state, keys["num_hidden_layers"], keys["num_experts"])
        config = transformers.Qwen3MoeConfig(**keys, max_position_embeddings=length)
    else:
        config = transformers.Qwen3Config(**keys, max_position_embeddings=length)
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        config._attn_implementation = "sdpa"
        model = (transformers.Qwen3MoeForCausalLM if moe else transformers.Qwen3ForCausalLM)(config)
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
    loaded.model_type = "minimind moe (as qwen3_moe)" if moe else "minimind (as qwen3)"
    return loaded
