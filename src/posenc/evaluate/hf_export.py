"""A posenc RoPE run saved as a Hugging Face Llama folder: the same model, loadable by transformers.

    save_as_llama("results/study/runs/rope-1e4-s0", "models/rope-llama")
    # posenc eval models/rope-llama --rope-scaling yarn:4     (the path a Hugging Face model takes)

posenc's decoder is Llama's shape: pre-norm RMSNorm blocks, grouped-query attention with RoPE in the
half layout, a SwiGLU MLP, no biases. The weights map one to one, with three adjustments:

* ``qkv`` is split into ``q_proj``, ``k_proj``, ``v_proj`` (rows [q | k | v]) and ``gate_up`` into
  ``gate_proj``, ``up_proj`` (rows [gate | up]);
* posenc multiplies the token embeddings by ``embed_scale`` (√d by default) and Llama does not: the
  saved ``embed_tokens`` is the embedding times that factor, and the LM head keeps the unscaled matrix
  (so ``tie_word_embeddings`` is false even when the run tied them);
* the tokenizer is posenc's byte-level one (vocabulary 256: token i is byte i), written as a
  ``tokenizers`` BPE with no merges over GPT-2's byte-to-character table, so ``AutoTokenizer`` gives
  the same ids and decodes them back to the same bytes.

Only runs with ``pe`` rope, the half layout, full rotary and no scaling of their own can be written
(``ValueError`` naming the setting otherwise). ``tests/evaluate/test_hf_export.py`` checks that the
saved model gives posenc's logits.
"""

from __future__ import annotations

from pathlib import Path

import torch

from posenc.evaluate.hf_model import require_transformers


def byte_to_char() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table (the ByteLevel pre-tokenizer's alphabet)."""
    printable = (
        list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    )
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:  # the 68 bytes that are not printable move to 256, 257, ...
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def byte_tokenizer():
    """posenc's byte-level tokenizer as a transformers ``PreTrainedTokenizerFast`` (token i = byte i)."""
    transformers = require_transformers()
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {char: byte for byte, char in byte_to_char().items()}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok)


def _check_exportable(config) -> None:
    options = dict(config.pe_options)
    if config.pe != "rope":
        raise ValueError(f"only a rope run can be saved as a Llama folder; this run's pe is {config.pe!r}")
    for key, ok in (("layout", "half"), ("partial_rotary_factor", 1.0), ("rope_scaling", None)):
        if options.get(key, ok) != ok:
            raise ValueError(f"pe_options {key}={options[key]!r}: a Llama folder needs {key}={ok!r}")


def llama_state(model) -> dict[str, torch.Tensor]:
    """posenc TinyLM weights under LlamaForCausalLM's names (see the module docstring)."""
    c = model.config
    q_size, kv_size = c.n_heads * c.head_dim, c.n_kv_heads * c.head_dim
    state = {
        "model.embed_tokens.weight": model.tok_emb.weight * model.embed_scale,  # [V, d]
        "model.norm.weight": model.norm.weight,
        "lm_head.weight": model.lm_head.weight,  # the unscaled matrix (tied runs: the embedding)
    }
    for i, block in enumerate(model.blocks):
        p = f"model.layers.{i}."
        q, k, v = block.attn.qkv.weight.split([q_size, kv_size, kv_size], dim=0)  # rows [q | k | v]
        gate, up = block.mlp.gate_up.weight.split(block.mlp.hidden, dim=0)  # rows [gate | up]
        state |= {
            p + "input_layernorm.weight": block.attn_norm.weight,
            p + "post_attention_layernorm.weight": block.mlp_norm.weight,
            p + "self_attn.q_proj.weight": q,
            p + "self_attn.k_proj.weight": k,
            p + "self_attn.v_proj.weight": v,
            p + "self_attn.o_proj.weight": block.attn.out.weight,
            p + "mlp.gate_proj.weight": gate,
            p + "mlp.up_proj.weight": up,
            p + "mlp.down_proj.weight": block.mlp.down.weight,
        }
    return {name: t.detach().clone().contiguous() for name, t in state.items()}


def save_as_llama(run_dir: str | Path, out_dir: str | Path) -> Path:
    """Write RUN's model and tokenizer as a Hugging Face Llama folder; returns the folder."""
    transformers = require_transformers()
    from posenc.train.checkpoint import load_model

    model, _ = load_model(run_dir, device="cpu")
    c = model.config
    _check_exportable(c)
    config = transformers.LlamaConfig(
        vocab_size=c.vocab_size,
        hidden_size=c.d_model,
        intermediate_size=c.ffn_hidden_size,
        num_hidden_layers=c.n_layers,
        num_attention_heads=c.n_heads,
        num_key_value_heads=c.n_kv_heads,
        head_dim=c.head_dim,
        max_position_embeddings=c.max_seq_len,  # L: what --rope-scaling's original length reads
        rms_norm_eps=c.norm_eps,
        rope_theta=float(dict(c.pe_options).get("base", 10000.0)),
        tie_word_embeddings=False,
        attention_bias=False,
        mlp_bias=False,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
    )
    llama = transformers.LlamaForCausalLM(config)
    llama.load_state_dict(llama_state(model), strict=True)
    out = Path(out_dir).expanduser()
    llama.save_pretrained(out)
    byte_tokenizer().save_pretrained(out)
    return out
