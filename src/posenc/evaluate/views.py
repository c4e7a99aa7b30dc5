"""What a trained model does on one text: attention weights per layer and head, loss per byte.

    cache = ModelCache()
    model, meta = cache.get("results/study/runs/rope-1e4-s0")     # loaded once per checkpoint version
    tokens = encode("def f(x):\\n    return x\\n")                # uint8 [n]: one token per UTF-8 byte
    weights, profiles = attention(model, tokens, layer=0)        # [n_h, n, n] and [n_layers, n_h, n]
    result = byte_losses(model, tokens, rope_scaling="yarn:auto")   # result.losses: float32 [n - 1], nats

**Attention weights** of one head, query i and key j (both byte positions):

    w_ij = softmax_j( q_i·k_j / √h_d + b_ij ),   b_ij = the score bias (ALiBi, T5) and −∞ for j > i,

q and k after the encoding's rotation (RoPE, xPos): the weights the model multiplies v by
(``CausalSelfAttention.attention_weights``; SDPA computes them without returning them). Each row is a
probability distribution over the bytes 0 … i.

**Mean attention at distance Δ** (bytes back), per head:

    A(Δ) = 1/(n − Δ) · Σ_{i=Δ}^{n−1} w_{i, i−Δ},      U(Δ) = 1/(n − Δ) · Σ_{i=Δ}^{n−1} 1/(i + 1),

U is what attention spread evenly over every visible byte would give (the reference a diffuse head
follows); a recency bias (ALiBi) puts A far above U at small Δ.

**Loss per byte**: byte t (t ≥ 1) is predicted from bytes 0 … t−1 by the query at position t − 1,

    l_t = −ln p(x_t | x_<t)   nats   (l_t / ln 2 in bits; 8 bits = a uniform guess over 256 bytes),

the per-position cross-entropy of ``posenc.evaluate.perplexity.token_losses`` on the text as one
window, so the mean of l equals ``perplexity(model, window)["loss"]``. A model trained at length L
saw queries at positions 0 … L−1 only: bytes t ≥ L + 1 are predicted from positions it never saw.
Inference-time RoPE scaling follows ``posenc eval --rope-scaling TYPE:auto``: factor = positions / L
(no scaling when the text fits in L), set for the whole text, so it changes the loss of early bytes
too (all but the first prediction, which sees a single key).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from posenc.evaluate.perplexity import token_losses
from posenc.evaluate.run import check_rope_scaling, rotary_pairs
from posenc.evaluate.specs import RopeScaling, parse_rope_scaling

#: most models one cache holds (the default preset's are 3 MB each, the gpu preset's 40 MB)
MAX_CACHED_MODELS = 12


def checkpoint_key(run_dir: str | Path) -> tuple[str, int, int]:
    """(resolved checkpoint path, mtime in ns, size in bytes): a retrained run gets a new key.
    ``FileNotFoundError`` naming the run when it has no checkpoint."""
    from posenc.train.checkpoint import checkpoint_path

    path = checkpoint_path(run_dir).resolve()
    try:
        stat = path.stat()
    except OSError:
        raise FileNotFoundError(f"run {str(run_dir)!r} has no checkpoint ({path.name} is missing)") from None
    return str(path), stat.st_mtime_ns, stat.st_size


def check_finite(model: nn.Module, where: str) -> None:
    """``ValueError`` naming ``where`` and the first parameter holding NaN or ±inf (a diverged run)."""
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ValueError(
                f"{where}: the weights hold non-finite numbers (NaN or inf, in {name}): the training "
                "diverged; train it again"
            )


class ModelCache:
    """Trained models by run folder, each loaded once per version of its checkpoint (path, mtime,
    size), the least recently used dropped beyond ``max_models``. Thread-safe; loading goes through
    ``posenc.train.checkpoint.load_model`` (weights-only loads), on the CPU, in eval mode."""

    def __init__(self, max_models: int = MAX_CACHED_MODELS):
        self.max_models = max_models
        self._models: OrderedDict[tuple[str, int, int], tuple[nn.Module, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # checkpoints read so far (the tests count them)

    def get(self, run_dir: str | Path) -> tuple[nn.Module, dict[str, Any]]:
        """(model, meta) of ``run_dir``; ``FileNotFoundError`` when it has no checkpoint, ``ValueError``
        when the checkpoint is corrupt or its weights are not finite."""
        from posenc.train.checkpoint import load_model

        key = checkpoint_key(run_dir)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            model, meta = load_model(run_dir, device="cpu")
            self.loads += 1
            check_finite(model, str(run_dir))
            model.eval()
            for old in [k for k in self._models if k[0] == key[0]]:  # an older version of this run
                del self._models[old]
            self._models[key] = (model, meta)
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
            return model, meta


def _ids(tokens: Tensor) -> Tensor:
    """tokens uint8/int [n] -> int64 [1, n]; ``ValueError`` for an empty or non-1-D input."""
    if tokens.dim() != 1 or tokens.numel() == 0:
        raise ValueError(f"tokens must be a non-empty 1-D tensor of byte values, got {tuple(tokens.shape)}")
    return tokens.to(torch.long)[None]  # [1, n]


def readable_length(model: nn.Module, n: int) -> int:
    """How many of n tokens the model can take as input: all, or its table of positions (learned)."""
    table = getattr(model.pe, "max_positions", None)
    return n if table is None else min(n, int(table))


def distance_profile(weights: Tensor) -> Tensor:
    """A(Δ) of the module docstring: causal weights [..., n, n] (zero above the diagonal) -> [..., n],
    Δ = 0 … n − 1."""
    n = weights.size(-1)
    rows = torch.arange(n, device=weights.device)
    # key j = i − Δ; where Δ > i, (i − Δ) mod n = i − Δ + n lies above the diagonal, where w is exactly 0
    index = (rows[:, None] - rows[None, :]) % n  # [n (i), n (Δ)]
    diagonals = weights.gather(-1, index.expand(*weights.shape[:-2], n, n))  # [..., n (i), n (Δ)]
    return diagonals.sum(-2) / (n - rows).to(weights.dtype)  # [..., n]


def uniform_profile(n: int) -> Tensor:
    """U(Δ) of the module docstring, float64 [n]: attention spread evenly over the visible bytes."""
    inverse = 1.0 / torch.arange(1, n + 1, dtype=torch.float64)  # [n]: 1/(i + 1)
    tail = inverse.flip(0).cumsum(0).flip(0)  # [n]: Σ_{i ≥ Δ} 1/(i + 1)
    return tail / torch.arange(n, 0, -1, dtype=torch.float64)  # [n]


@torch.inference_mode()
def attention(
    model: nn.Module, tokens: Tensor, layer: int | None = None, profiles: bool = True
) -> tuple[Tensor | None, Tensor | None]:
    """One forward pass over ``tokens`` [n] (at most the model's table of positions: see
    :func:`readable_length`). Returns the weights w of every head of ``layer`` (float32 [n_h, n, n]; None
    when ``layer`` is None) and, with ``profiles``, A(Δ) of every layer and head (float32
    [n_layers, n_h, n]; else None, and only ``layer``'s weights are computed).

    Each layer's weights are computed inside its forward (a hook on the block's attention, reading the
    input the block gave it) and reduced to A(Δ) at once: one layer's [n_h, n, n] at a time is held.
    """
    blocks = model.blocks
    if layer is not None and not 0 <= layer < len(blocks):
        raise ValueError(f"layer must be between 0 and {len(blocks) - 1}, got {layer}")
    ids = _ids(tokens)
    kept: dict[str, Tensor] = {}
    reduced: list[Tensor] = []

    def hook(index: int):
        def record(module: nn.Module, args: tuple, output: Tensor) -> None:
            if not profiles and index != layer:
                return
            x, pe, positions, attn_mask = args[:4]  # CausalSelfAttention.forward's inputs
            weights = module.attention_weights(x, pe, positions, attn_mask)[0]  # [n_h, n, n]
            if profiles:
                reduced.append(distance_profile(weights))  # [n_h, n]
            if index == layer:
                kept["weights"] = weights

        return record

    handles = [block.attn.register_forward_hook(hook(i)) for i, block in enumerate(blocks)]
    try:
        model(ids)
    finally:
        for handle in handles:
            handle.remove()
    return kept.get("weights"), torch.stack(reduced) if profiles else None


@dataclass
class ByteLosses:
    """:func:`byte_losses`' answer: ``losses`` float32 [read − 1] in nats (entry t − 1 is byte t's),
    ``read`` the bytes the model could take (fewer than given for a learned table of positions),
    ``scaling`` the ``set_rope_scaling`` dict applied (None: the model as trained)."""

    losses: Tensor
    read: int
    scaling: dict[str, Any] | None
    train_length: int


def byte_losses(
    model: nn.Module, tokens: Tensor, rope_scaling: str | RopeScaling | None = None
) -> ByteLosses:
    """l_t for every byte t ≥ 1 of ``tokens`` [n] (n ≥ 2), optionally with inference-time RoPE scaling
    (``"yarn:auto"``, ``"ntk:4"``, ... as ``posenc eval --rope-scaling``; ``ValueError`` on a model
    that is not RoPE). The model is restored to its trained scaling afterwards, whatever happens."""
    if tokens.dim() != 1 or tokens.numel() < 2:
        raise ValueError("the text must hold at least 2 bytes: the first byte is not predicted")
    scaling = rope_scaling if isinstance(rope_scaling, RopeScaling) else parse_rope_scaling(rope_scaling)
    train_len = int(model.config.max_seq_len)
    read = readable_length(model, tokens.numel() - 1) + 1  # inputs are bytes 0 … read − 2
    window = _ids(tokens[:read])  # [1, read]: x = bytes 0 … read − 2, y = bytes 1 … read − 1
    applied = None
    if scaling is not None:
        check_rope_scaling(model, scaling)
        applied = scaling.to_dict(read - 1, train_len, rotary_pairs(model))
        model.set_rope_scaling(applied)
    try:
        losses = token_losses(model, window)[0]  # [read − 1] nats
    finally:
        if scaling is not None:
            model.set_rope_scaling(None)
    return ByteLosses(losses=losses.float(), read=read, scaling=applied, train_length=train_len)


def running_mean(values: Tensor, window: int) -> Tensor:
    """Mean of the last ``window`` values up to each entry (fewer at the start), float64 [n]:
    m_t = 1/k Σ_{s=t−k+1}^{t} v_s with k = min(window, t + 1)."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    sums = torch.cat([torch.zeros(1, dtype=torch.float64), values.double().cumsum(0)])  # [n + 1]
    t = torch.arange(values.numel())
    k = torch.clamp(t + 1, max=window)  # [n]
    return (sums[t + 1] - sums[t + 1 - k]) / k


__all__ = [
    "ByteLosses",
    "ModelCache",
    "attention",
    "byte_losses",
    "check_finite",
    "checkpoint_key",
    "distance_profile",
    "readable_length",
    "running_mean",
    "uniform_profile",
]
