"""Tiny random-weight Hugging Face models, each with a byte-level BPE tokenizer trained here, saved with
save_pretrained: what `posenc eval MODEL` loads in tests/evaluate/test_own_model*.py (no network)."""

import glob
import sysconfig
from pathlib import Path

import torch

transformers = __import__("pytest").importorskip("transformers")
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402

VOCAB = 320
L = 32  # every model's training length (max_position_embeddings, or Phi-3's original)
SMALL = dict(
    hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
)


def sample_text() -> str:
    """About 60 kB of the standard library's own sources."""
    files = sorted(glob.glob(sysconfig.get_paths()["stdlib"] + "/*.py"))
    return "\n".join(Path(p).read_text(encoding="utf-8", errors="replace") for p in files[:6])[:60_000]


def make_tokenizer(text: str):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator([text], trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")


def configs() -> dict:
    ids = dict(vocab_size=VOCAB, bos_token_id=0, eos_token_id=1, pad_token_id=1)
    return {
        "llama": transformers.LlamaConfig(**SMALL, **ids, max_position_embeddings=L, rope_theta=10000.0),
        "qwen2": transformers.Qwen2Config(**SMALL, **ids, max_position_embeddings=L, rope_theta=1e6),
        "gemma3": transformers.Gemma3TextConfig(
            **SMALL,
            **ids,
            head_dim=8,
            max_position_embeddings=L,
            sliding_window=16,
            layer_types=["sliding_attention", "full_attention"],
            final_logit_softcapping=30.0,
        ),
        "phi3": transformers.Phi3Config(
            **SMALL,
            **ids,
            max_position_embeddings=4 * L,
            original_max_position_embeddings=L,
            rope_scaling={
                "rope_type": "longrope",
                "short_factor": [1.0, 1.1, 1.2, 1.3],
                "long_factor": [1.5, 2.0, 3.0, 4.0],
            },
        ),
    }


def build(folder: Path) -> dict[str, Path]:
    """folder/NAME for each architecture (and gpt2, without RoPE), folder/text.txt."""
    text = sample_text()
    (folder / "text.txt").write_text(text, encoding="utf-8")
    tokenizer = make_tokenizer(text)
    out = {}
    for name, config in configs().items():
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(config)
        with torch.no_grad():  # random weights larger than the init, so positions change the loss visibly
            for p in model.parameters():
                if p.dim() == 2:
                    p.normal_(0, 0.3)
        model.save_pretrained(folder / name)
        tokenizer.save_pretrained(folder / name)
        out[name] = folder / name
    gpt2 = transformers.GPT2Config(
        vocab_size=VOCAB, n_embd=32, n_layer=1, n_head=4, n_positions=4 * L, bos_token_id=0, eos_token_id=1
    )
    transformers.GPT2LMHeadModel(gpt2).save_pretrained(folder / "gpt2")
    tokenizer.save_pretrained(folder / "gpt2")
    out["gpt2"] = folder / "gpt2"
    out["text"] = folder / "text.txt"
    return out
