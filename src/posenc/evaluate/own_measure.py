"""Perplexity and passkey retrieval of a Hugging Face (or MiniMind) model, in the model's own tokens.

Perplexity. The text is tokenized once, without added special tokens; window k is tokens
[k n, (k + 1) n) (the first K consecutive non-overlapping windows from the start). In a window of n
tokens the model predicts positions 1 .. n - 1 (as transformers' ``labels=input_ids`` loss does), so

    loss = mean over the K (n - 1) predicted positions of  logsumexp(z_t) - z_t[y_t],   ppl = exp(loss),

and ``last_loss`` is the same mean over the last m = min(L, n - 1) predicted positions of each window,
what shows whether a model holds beyond its training length L (see ``posenc.evaluate.perplexity``).

Bounded memory: the decoder runs once per batch of windows (SDPA attention, no KV cache); the LM head
and the cross-entropy run over chunks of positions, so the [b, n, V] logits are never held whole.

Passkey. A key line ``PASSKEY = 48213`` hidden in the text's tokens at ``depth`` (0 = the start), the
question ``PASSKEY =`` at the end, the model's BOS first when its tokenizer adds one; every prompt is
``length - ANSWER_TOKENS`` tokens, so its greedy answer ends at position ``length - 1``. The answer's
text, stripped of leading spaces, is compared with the key: ``accuracy`` (all 5 digits) and
``digit_accuracy`` (digits equal at the same place).

Notation used for tensor shapes: b windows in a batch, n tokens per window, d hidden size, V vocabulary.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from posenc.evaluate.hf_model import LoadedModel

#: new tokens a passkey answer may take: 5 digits and a space token before them, for any tokenizer that
#: holds a digit in one token (byte-level BPE, SentencePiece with digit splitting, Llama 3's groups)
ANSWER_TOKENS = 6
KEY_LINE = "\nPASSKEY = {key}\n"
QUESTION = "\nPASSKEY ="
#: most logits one chunk of the LM head may hold (bytes, float32)
LOGITS_CHUNK_BYTES = 64 * 2**20


def text_tokens(tokenizer, text: str) -> Tensor:
    """int64 [N]: ``text`` in the model's tokens, no special tokens added."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return torch.tensor(ids, dtype=torch.long)


def token_windows(tokens: Tensor, length: int, n_windows: int, source: str = "the text") -> Tensor:
    """int64 [K, n]: the first K consecutive non-overlapping windows of n tokens."""
    need = length * n_windows
    if tokens.numel() < need:
        raise ValueError(
            f"{source} has {tokens.numel():,} tokens; {n_windows} windows of {length} need {need:,}: "
            "use fewer --windows, shorter --lengths or a longer --text"
        )
    return tokens[:need].reshape(n_windows, length)  # [K, n]


def _decoder_and_head(loaded: LoadedModel):
    model = loaded.model
    decoder = getattr(model, model.base_model_prefix, None) or model.get_decoder()
    return decoder, model.get_output_embeddings()


def _finish_logits(config, logits: Tensor) -> Tensor:
    """What a CausalLM does to its head's output besides the head (float32 in, float32 out)."""
    cap = getattr(config, "final_logit_softcapping", None)  # Gemma 2 and 3
    if cap:
        logits = torch.tanh(logits / cap) * cap
    scale = getattr(config, "logit_scale", None)  # Cohere
    if isinstance(scale, (int, float)) and not isinstance(scale, bool):
        logits = logits * scale
    scaling = getattr(config, "logits_scaling", None)  # Granite
    if isinstance(scaling, (int, float)) and not isinstance(scaling, bool) and scaling:
        logits = logits / scaling
    return logits


@torch.inference_mode()
def window_losses(loaded: LoadedModel, ids: Tensor) -> Tensor:
    """float32 [b, n - 1]: next-token cross-entropy (nats) at positions 1 .. n - 1 of windows [b, n]."""
    decoder, head = _decoder_and_head(loaded)
    hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state  # [b, n, d]
    b, n, _ = hidden.shape
    vocab = head.weight.shape[0]
    chunk = max(1, LOGITS_CHUNK_BYTES // (4 * b * vocab))
    out = []
    for start in range(0, n - 1, chunk):
        end = min(start + chunk, n - 1)
        logits = _finish_logits(loaded.text_config, head(hidden[:, start:end]).float())  # [b, c, V]
        target = ids[:, start + 1 : end + 1]  # [b, c]
        losses = F.cross_entropy(logits.reshape(-1, vocab), target.reshape(-1), reduction="none")
        out.append(losses.reshape(b, end - start))
    return torch.cat(out, dim=1)  # [b, n - 1]


def window_bytes(loaded: LoadedModel, length: int) -> int:
    """Activations one window of ``length`` tokens needs at its peak (bytes, an upper estimate).

    Per token: the residual and its norms (4 d), the MLP's gate, up and product (3 F), q, k, v
    ((H + 2 KV) hd), twice for the temporaries of one layer. Attention through SDPA's causal
    kernels is linear in n; a model with sliding-window layers (or no SDPA) builds an [n, n] mask or
    scores, counted as 4 H n^2 bytes.
    """
    config = loaded.text_config
    param = next(loaded.model.parameters())
    elem = param.element_size()
    d = config.hidden_size
    heads = getattr(config, "num_attention_heads", 1)
    head_dim = getattr(config, "head_dim", None) or d // heads
    kv = getattr(config, "num_key_value_heads", None) or heads
    ffn = getattr(config, "intermediate_size", None) or 4 * d
    per_token = 2 * elem * (4 * d + 3 * ffn + (heads + 2 * kv) * head_dim)
    quadratic = getattr(config, "sliding_window", None) or "sdpa" not in str(
        getattr(config, "_attn_implementation", "sdpa")
    )
    logits = min(LOGITS_CHUNK_BYTES, 4 * length * config.vocab_size)  # one chunk of the LM head
    return length * per_token + (4 * heads * length * length if quadratic else 0) + logits


def kv_bytes(loaded: LoadedModel, length: int) -> int:
    """The KV cache of one sequence of ``length`` tokens (bytes)."""
    config = loaded.text_config
    heads = getattr(config, "num_attention_heads", 1)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    kv = getattr(config, "num_key_value_heads", None) or heads
    elem = next(loaded.model.parameters()).element_size()
    return 2 * config.num_hidden_layers * kv * head_dim * length * elem


def free_bytes(device: str) -> int | None:
    """Memory free for activations on ``device`` (bytes), None when it cannot be told."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return int(torch.cuda.mem_get_info(torch.device(device))[0])
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_fits(
    loaded: LoadedModel, lengths: list[int], device: str, memory_limit: int | None = None
) -> int | None:
    """``ValueError`` naming the first length whose one window cannot fit; returns the free bytes."""
    free = memory_limit if memory_limit is not None else free_bytes(device)
    if free is None:
        return None
    for length in lengths:
        need = window_bytes(loaded, length)
        if need > 0.9 * free:
            raise ValueError(
                f"--lengths {length}: one window of {length:,} tokens needs about {need / 2**30:.1f} GiB, "
                f"{free / 2**30:.1f} GiB free on {device}; use shorter --lengths"
            )
    return free


def perplexity_own(
    loaded: LoadedModel,
    windows: Tensor,
    last: int,
    *,
    batch_size: int = 8,
    budget: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> dict:
    """Loss and perplexity over windows int64 [K, n] (see the module docstring); sums in float64."""
    k, n = windows.shape
    if n < 2:
        raise ValueError(f"--lengths: a window needs at least 2 tokens, got {n}")
    last = max(1, min(last, n - 1))
    device = next(loaded.model.parameters()).device
    step = batch_size if budget is None else max(1, min(batch_size, budget // window_bytes(loaded, n)))
    total = torch.zeros((), dtype=torch.float64)
    last_total = torch.zeros((), dtype=torch.float64)
    for start in range(0, k, step):
        chunk = windows[start : start + step].to(device)
        losses = window_losses(loaded, chunk).double().cpu()  # [b, n - 1]
        total += losses.sum()
        last_total += losses[:, -last:].sum()
        if on_batch is not None:
            on_batch(chunk.shape[0])
    loss = (total / (k * (n - 1))).item()
    last_loss = (last_total / (k * last)).item()
    if not (math.isfinite(loss) and math.isfinite(last_loss)):  # refused here, where it enters
        raise ValueError(
            f"--lengths {n}: the model's loss is not finite ({loss}); its weights or --dtype overflow "
            "(try --dtype float32)"
        )
    return {
        "windows": k,
        "tokens": k * (n - 1),
        "loss": loss,
        "ppl": _exp(loss),
        "last": last,
        "last_tokens": k * last,
        "last_loss": last_loss,
        "last_ppl": _exp(last_loss),
    }


def _exp(x: float) -> float:
    return math.exp(x) if x < 700 else math.inf


def _bos(tokenizer) -> list[int]:
    """[bos] when the tokenizer puts one before a text by default (Llama, Gemma), else []."""
    bos = getattr(tokenizer, "bos_token_id", None)
    if bos is None:
        return []
    ids = tokenizer("1", add_special_tokens=True)["input_ids"]
    return [bos] if ids and ids[0] == bos else []


def passkey_prompts(
    tokenizer, filler: Tensor, length: int, n_trials: int, seed: int, depth: float
) -> tuple[Tensor, list[str]]:
    """int64 [trials, length - ANSWER_TOKENS] prompts and their keys (see the module docstring)."""
    generator = torch.Generator().manual_seed(seed)
    bos = _bos(tokenizer)
    question = tokenizer(QUESTION, add_special_tokens=False)["input_ids"]
    prompt_len = length - ANSWER_TOKENS
    prompts, keys = [], []
    for _ in range(n_trials):
        key = str(int(torch.randint(10000, 100000, (1,), generator=generator)))
        key_line = tokenizer(KEY_LINE.format(key=key), add_special_tokens=False)["input_ids"]
        n_filler = prompt_len - len(bos) - len(key_line) - len(question)
        if n_filler < 0:
            raise ValueError(
                f"--lengths {length}: too short for a passkey trial in this model's tokens "
                f"(needs {length - n_filler}); use --passkey-trials 0 or longer lengths"
            )
        if filler.numel() < n_filler:
            raise ValueError(
                f"the text has {filler.numel():,} tokens; a passkey trial at {length} needs {n_filler:,}"
            )
        offset = int(torch.randint(0, filler.numel() - n_filler + 1, (1,), generator=generator))
        body = filler[offset : offset + n_filler].tolist()
        cut = round(depth * n_filler)
        ids = bos + body[:cut] + key_line + body[cut:] + question
        prompts.append(ids)
        keys.append(key)
    return torch.tensor(prompts, dtype=torch.long), keys  # [trials, length - ANSWER_TOKENS]


@torch.inference_mode()
def greedy(loaded: LoadedModel, prompts: Tensor, new_tokens: int) -> Tensor:
    """Greedy continuation with the model's KV cache: prompts [b, p] -> new tokens [b, new_tokens]."""
    model = loaded.model
    params = inspect.signature(model.forward).parameters
    # transformers >= 5.2x names the KV cache ``cache``; before, ``past_key_values``
    name = "cache" if "cache" in params else "past_key_values"
    keep = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
    out = model(input_ids=prompts, use_cache=True, **keep)
    new = [out.logits[:, -1].argmax(dim=-1)]  # [b]
    cache = getattr(out, name)
    while len(new) < new_tokens:
        out = model(input_ids=new[-1][:, None], use_cache=True, **{name: cache})
        cache = getattr(out, name)
        new.append(out.logits[:, -1].argmax(dim=-1))
    return torch.stack(new, dim=1)  # [b, new_tokens]


def passkey_own(
    loaded: LoadedModel,
    filler: Tensor,
    length: int,
    n_trials: int,
    *,
    seed: int = 0,
    depth: float = 0.5,
    batch_size: int = 8,
    budget: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> dict:
    """Passkey retrieval at ``length`` tokens.

    Returns ``{"trials", "accuracy", "digit_accuracy", "depth", "seed"}``."""
    prompts, keys = passkey_prompts(loaded.tokenizer, filler, length, n_trials, seed, depth)
    device = next(loaded.model.parameters()).device
    per_trial = window_bytes(loaded, length) + kv_bytes(loaded, length)
    step = batch_size if budget is None else max(1, min(batch_size, budget // per_trial))
    exact = digits = 0
    for start in range(0, n_trials, step):
        new = greedy(loaded, prompts[start : start + step].to(device), ANSWER_TOKENS).cpu()
        for row, key in zip(new.tolist(), keys[start : start + step], strict=True):
            guess = loaded.tokenizer.decode(row, skip_special_tokens=True).lstrip()[: len(key)]
            exact += guess == key
            digits += sum(a == b for a, b in zip(guess, key, strict=False))  # a short guess
        if on_batch is not None:
            on_batch(min(step, n_trials - start))
    return {
        "trials": n_trials,
        "accuracy": exact / n_trials,
        "digit_accuracy": digits / (5 * n_trials),
        "depth": depth,
        "seed": seed,
    }
