"""Passkey retrieval: can the model copy a number it read far back in its context?

The trials (a key line hidden in held-out code, the question at the end, their exact layout) are
data: :mod:`posenc.data.passkey`. Here they are asked: decoding is greedy (argmax) with the KV cache,
5 new bytes. ``accuracy`` = fraction of trials whose 5 bytes equal the key; ``digit_accuracy`` =
fraction of the 5 * n_trials bytes equal to the key byte at the same place (tiny models rarely get all
five; this shows partial recall). A model that ignores the key scores about 0 and 0.1 (a uniform
digit guess).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from posenc.data.passkey import KEY_DIGITS, passkey_trials
from posenc.evaluate.perplexity import DEFAULT_MEMORY_BUDGET, window_batch_size


@torch.inference_mode()
def greedy_decode(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """Greedy continuation with the KV cache: prompt int64 [b, p] -> new tokens int64 [b, max_new_tokens]."""
    cache = model.new_cache(prompt.shape[0])
    logits, _ = model(prompt, cache=cache)  # [b, p, V]
    new = [logits[:, -1].argmax(dim=-1)]  # [b]
    while len(new) < max_new_tokens:
        logits, _ = model(new[-1][:, None], cache=cache)  # [b, 1, V]
        new.append(logits[:, -1].argmax(dim=-1))
    return torch.stack(new, dim=1)  # [b, max_new_tokens]


def passkey_accuracy(
    model: nn.Module,
    length: int,
    n_trials: int,
    seed: int = 0,
    *,
    filler: Tensor | None = None,
    depth: float = 0.5,
    batch_size: int = 8,
    on_batch: Callable[[int], None] | None = None,
) -> dict:
    """Passkey retrieval at ``length`` tokens (see the module docstring for the design).

    filler (Tensor | None): byte tokens [f] to hide the key in; ``None`` = the held-out split of the
    built-in corpus. Returns ``{"length", "trials", "accuracy", "digit_accuracy", "depth", "seed"}``.
    """
    if filler is None:
        from posenc.data import load_corpus

        filler = load_corpus().tokens("heldout")
    trials = passkey_trials(filler, length, n_trials, seed, depth)
    was_training = model.training
    model.eval()
    device = next(iter(model.parameters()), torch.empty(0)).device
    step = window_batch_size(model, length, batch_size, DEFAULT_MEMORY_BUDGET)
    exact = digits = 0
    try:
        for start in range(0, n_trials, step):
            batch = trials[start : start + step]
            prompts = torch.stack([t.prompt for t in batch]).to(device)  # [b, length - 5]
            answers = torch.stack([t.answer for t in batch])  # [b, 5]
            guess = greedy_decode(model, prompts, KEY_DIGITS).cpu()  # [b, 5]
            hits = guess == answers  # [b, 5]
            exact += int(hits.all(dim=1).sum())
            digits += int(hits.sum())
            if on_batch is not None:
                on_batch(len(batch))
    finally:
        model.train(was_training)
    return {
        "length": length,
        "trials": n_trials,
        "accuracy": exact / n_trials,
        "digit_accuracy": digits / (KEY_DIGITS * n_trials),
        "depth": depth,
        "seed": seed,
    }
