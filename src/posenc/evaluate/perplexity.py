"""Perplexity of a language model over fixed evaluation windows.

For windows w of shape [n, s + 1] the model reads x = w[:, :s] and predicts y = w[:, 1:]; the
loss at position t of window i is the cross-entropy

    l_{i,t} = logsumexp(z_{i,t}) - z_{i,t}[y_{i,t}],     z = model logits [n, s, V],

and the figures are means over every counted position:

    loss = (1 / (n s)) sum_{i,t} l_{i,t},        ppl = exp(loss),
    last_loss = (1 / (n m)) sum_i sum_{t >= s - m} l_{i,t}   (the last m = ``last`` positions).

Why the last positions: on a window 16x the training length L, the mean over all positions
mixes in the first L positions, which every model handles (they are inside its training range);
the loss on the last L positions is what shows whether a model extrapolates.

Notation used for tensor shapes: n windows, s positions per window, V vocabulary size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

#: default bound on the activations one batch may hold (bytes); the batch shrinks at long lengths
DEFAULT_MEMORY_BUDGET = 512 * 2**20


def window_batch_size(model: nn.Module, seq_len: int, batch_size: int, memory_budget: int) -> int:
    """Windows per forward pass so that the largest activations fit ``memory_budget`` bytes.

    The estimate per window (fp32) counts the logits with their log-softmax (2 · s · V) and one
    layer's activations (about 12 · s · d: the residual, q/k/v, the SwiGLU hidden). Attention
    scores are not counted: SDPA's causal kernels do not materialise them, and with a score-bias
    mask the model attends a chunk of query rows at a time within ``posenc.model.lm.MASK_CHUNK_BYTES``
    whatever the batch. At s = 2048, V = 256, d = 128: 16 MiB per window.
    """
    config = getattr(model, "config", None)
    vocab = getattr(config, "vocab_size", 256)
    d_model = getattr(config, "d_model", 128)
    per_window = 4 * seq_len * (2 * vocab + 12 * d_model)
    return max(1, min(batch_size, memory_budget // per_window))


@torch.inference_mode()
def token_losses(model: nn.Module, windows: Tensor) -> Tensor:
    """Per-position cross-entropy (nats), float32 [n, s], for windows int64 [n, s + 1]."""
    x, y = windows[:, :-1], windows[:, 1:]  # [n, s], [n, s]
    logits, _ = model(x)  # [n, s, V]
    n, s, vocab = logits.shape
    losses = F.cross_entropy(logits.float().reshape(n * s, vocab), y.reshape(n * s), reduction="none")
    return losses.reshape(n, s)  # [n, s]


def perplexity(
    model: nn.Module,
    windows: Tensor,
    batch_size: int = 16,
    last: int | None = None,
    *,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    on_batch: Callable[[int], None] | None = None,
) -> dict:
    """Mean loss and perplexity of ``model`` on ``windows``.

    Args:
        model: called as ``model(idx) -> (logits [b, s, V], _)``; evaluated in ``eval()`` mode.
        windows (Tensor): token windows [n, s + 1] (int); each gives s predicted positions.
        batch_size: most windows per forward pass; fewer at long lengths (``memory_budget``).
        last: also report the loss over the last ``last`` positions of every window (and the mean
            loss of each consecutive ``last``-sized segment, ``segment_loss``); ``None``: not.
        on_batch: called with the number of windows after each batch (progress bars).

    Returns:
        dict with ``length`` (s), ``windows`` (n), ``tokens`` (n * s positions averaged over),
        ``loss`` (nats), ``ppl``; ``last``, ``last_tokens`` (n * last), ``last_loss``, ``last_ppl``
        and ``segment_loss`` (list, segment k = positions [k*last, (k+1)*last)), all ``None`` when
        ``last`` is ``None``. Sums are accumulated in float64.
    """
    if windows.dim() != 2 or windows.shape[1] < 2:
        raise ValueError(
            f"windows must be [n, length + 1] with length >= 1, got shape {tuple(windows.shape)}"
        )
    n, seq_len = windows.shape[0], windows.shape[1] - 1
    if n == 0:
        raise ValueError("windows is empty: no evaluation window to average over")
    if last is not None and not 1 <= last <= seq_len:
        raise ValueError(f"last must be between 1 and the window length {seq_len}, got {last}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")

    was_training = model.training
    model.eval()
    device = next(iter(model.parameters()), torch.empty(0)).device
    step = window_batch_size(model, seq_len, batch_size, memory_budget)
    n_segments = math.ceil(seq_len / last) if last else 0
    total = torch.zeros((), dtype=torch.float64)
    last_total = torch.zeros((), dtype=torch.float64)
    position_total = torch.zeros(seq_len, dtype=torch.float64)  # per-position sums, for segments
    try:
        for start in range(0, n, step):
            chunk = windows[start : start + step].to(device=device, dtype=torch.long)
            losses = token_losses(model, chunk).double().cpu()  # [b, s]
            total += losses.sum()
            if last:
                last_total += losses[:, seq_len - last :].sum()
                position_total += losses.sum(dim=0)
            if on_batch is not None:
                on_batch(chunk.shape[0])
    finally:
        model.train(was_training)

    loss = (total / (n * seq_len)).item()
    out = {"length": seq_len, "windows": n, "tokens": n * seq_len, "loss": loss, "ppl": math.exp(loss)}
    out.update(last=last, last_tokens=None, last_loss=None, last_ppl=None, segment_loss=None)
    if last:
        last_loss = (last_total / (n * last)).item()
        segments = [position_total[k * last : (k + 1) * last] for k in range(n_segments)]
        out.update(
            last_tokens=n * last,
            last_loss=last_loss,
            last_ppl=math.exp(last_loss),
            segment_loss=[(seg.sum() / (n * seg.numel())).item() for seg in segments],
        )
    return out
