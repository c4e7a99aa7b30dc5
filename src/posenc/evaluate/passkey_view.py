"""One passkey trial, asked live: a model's answer digit by digit and where its strongest head looks.

    trial = build_trial(filler, length=512, key="48213", depth=0.25, seed=0)
    answer = ask(model, trial)     # answer.digits "48213", answer.probs [5], answer.head (layer, head)

The trial is the evaluation's (:mod:`posenc.data.passkey`): held-out filler, the key line
``PASSKEY = 48213`` at ``depth`` of it, the question ``PASSKEY = `` at the end; prompt + 5 answer bytes
= ``length``. The filler's offset is drawn from ``seed`` (the same seed, the same text).

**The answer** is greedy, as ``posenc.evaluate.passkey.passkey_accuracy`` decodes: digit k is the
argmax of p(· | prompt, digits < k), and its probability is that p: one forward pass over the prompt
(the first digit), then one step per digit with the KV cache.

**The strongest head**: for each layer l and head h, the attention mass of the question's last byte q
(the query that produces the first digit) on the key line's bytes,

    m(l, h) = Σ_{j ∈ key line} w^{l,h}_{q j},

read in the same forward pass (only that query's row of weights is computed: a [n_h, 1, n] row per
layer, not the n × n map); the head with the largest m is shown, ``row`` = its weights float32
[length − 5] over every position.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from posenc.data.passkey import KEY_DIGITS, KEY_PREFIX, MIN_LENGTH, PasskeyTrial, build_passkey_prompt


def build_trial(filler: Tensor, length: int, key: str, depth: float, seed: int = 0) -> PasskeyTrial:
    """The trial of ``length`` tokens hiding ``key`` at ``depth``, its filler taken from ``filler``
    (held-out byte tokens [f]) at an offset drawn from ``seed``. ``ValueError`` naming the bad value."""
    if not MIN_LENGTH <= length:
        raise ValueError(f"length must be at least {MIN_LENGTH} tokens, got {length}")
    n_filler = length - MIN_LENGTH
    if filler.numel() <= n_filler:
        filler = filler.repeat(n_filler // max(1, filler.numel()) + 2)  # [k * f]
    generator = torch.Generator().manual_seed(seed)
    offset = int(torch.randint(0, filler.numel() - n_filler, (1,), generator=generator))
    return build_passkey_prompt(filler[offset:], length, key, depth)


@dataclass
class PasskeyAnswer:
    """:func:`ask`'s answer: ``digits`` (5 bytes decoded, as text), ``probs`` (p of each), ``correct``
    (per digit), ``layer``/``head`` (the strongest head), ``key_mass`` (its m), ``row`` (its weights from
    the question's last byte, float32 [prompt length]) and the key line's span in the prompt."""

    digits: str
    probs: list[float]
    correct: list[bool]
    layer: int
    head: int
    key_mass: float
    row: Tensor
    key_line: tuple[int, int]


def key_line_span(trial: PasskeyTrial) -> tuple[int, int]:
    """[start, stop) of the key line ``PASSKEY = ddddd\\n`` in the trial's prompt."""
    start = trial.key_line_start
    return start, start + len(KEY_PREFIX) + KEY_DIGITS + 1


@torch.inference_mode()
def ask(model: nn.Module, trial: PasskeyTrial) -> PasskeyAnswer:
    """The model's answer to ``trial`` and its strongest head (see the module docstring)."""
    prompt = trial.prompt.to(torch.long)  # [p]
    start, stop = key_line_span(trial)
    rows: list[Tensor] = []  # per layer: [n_h, p], the question's last byte's weights

    def record(module: nn.Module, args: tuple, output: Tensor) -> None:
        x, pe, positions, attn_mask = args[:4]  # CausalSelfAttention.forward's inputs
        rows.append(module.attention_weights(x, pe, positions, attn_mask, last=1)[0, :, 0])  # [n_h, p]

    handles = [block.attn.register_forward_hook(record) for block in model.blocks]
    cache = model.new_cache(1)
    try:
        logits, _ = model(prompt[None], cache=cache)  # [1, p, V]
    finally:
        for handle in handles:
            handle.remove()
    digits, probs = [], []
    while True:
        p = torch.softmax(logits[0, -1].float(), dim=-1)  # [V]
        digits.append(p.argmax())
        probs.append(float(p[digits[-1]]))
        if len(digits) == KEY_DIGITS:
            break
        logits, _ = model(digits[-1].view(1, 1), cache=cache)  # [1, 1, V]
    guess = torch.stack(digits)  # [5]
    weights = torch.stack(rows)  # [n_layers, n_h, p]
    mass = weights[..., start:stop].sum(-1)  # [n_layers, n_h]
    layer, head = divmod(int(mass.argmax()), mass.size(1))
    return PasskeyAnswer(
        digits=bytes(guess.tolist()).decode("latin-1"),
        probs=probs,
        correct=(guess == trial.answer).tolist(),
        layer=layer,
        head=head,
        key_mass=float(mass[layer, head]),
        row=weights[layer, head].float(),  # [p]
        key_line=(start, stop),
    )


__all__ = ["PasskeyAnswer", "ask", "build_trial", "key_line_span"]
