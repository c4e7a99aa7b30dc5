"""The training configuration: one dataclass, every knob named, defaults commented.

The defaults train the "small" model (posenc.model.PRESETS) on the built-in corpus in a few
minutes on a 2-core CPU: 2000 steps × 32 sequences × 128 tokens = 8.2 M tokens.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from posenc.model.config import check_fields

#: fields that may change when a run is resumed: they decide how a run is watched and where it
#: runs, not what it computes (a different device or torch.compile can change the last bits of
#: floating point results, never the recipe). Every other field must match the saved run.
OPERATIONAL_FIELDS = frozenset({"log_every", "eval_every", "eval_windows", "ckpt_every", "device", "compile"})

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "bfloat16")
#: what a run trains on: "lm" (corpus windows, train_batch) or "passkey" (passkey_batch + passkey_loss)
TASKS = ("lm", "passkey")
#: train-config fields added after runs were saved without them, with the value those runs had
LATER_FIELDS = {"task": "lm"}


@dataclass
class TrainConfig:
    """How to train: optimizer, schedule, data, bookkeeping. The model is a ``ModelConfig``;
    the sequence length is the model's ``max_seq_len`` (the training length L)."""

    steps: int = 2000  # optimizer steps in the whole run (the cosine schedule spans them)
    batch_size: int = 32  # sequences per step *per process*; global batch = batch_size × world_size
    lr: float = 3e-3  # peak learning rate; small models take large rates (nanoGPT's shakespeare-char: 1e-3)
    min_lr: float = 3e-4  # floor of the cosine decay, lr / 10 (Chinchilla, Hoffmann et al. 2022)
    warmup_steps: int = 100  # linear warm-up from lr / (warmup_steps + 1) to lr
    weight_decay: float = 0.1  # AdamW decoupled decay, on matrices only (not gains, not biases)
    beta1: float = 0.9  # AdamW β1
    beta2: float = 0.95  # AdamW β2: 0.95 rather than 0.999 keeps small-batch LM training stable (GPT-3)
    grad_clip: float = 1.0  # clip the global gradient norm to this; 0 disables
    seed: int = 0  # initial weights, data order (train_batch is a function of (seed, step, rank))
    eval_every: int = 250  # held-out loss every N steps (and always at the end); 0: only at the end
    eval_windows: int = 32  # held-out windows of seq_len + 1 tokens for that loss (fixed for the run)
    log_every: int = 10  # steps between progress / log.jsonl updates
    ckpt_every: int = 500  # steps between checkpoints (and always at the end, and on Ctrl-C); 0: end only
    device: str = "auto"  # "auto" (CUDA when present), "cpu" or "cuda"
    dtype: str = "auto"  # "auto" (bfloat16 autocast on CUDA, float32 on CPU), "float32" or "bfloat16"
    compile: bool = False  # torch.compile the model (first steps slower, later ones faster)
    corpus: str | None = None  # None: the built-in Python stdlib corpus; else a UTF-8 file or folder
    heldout_fraction: float = 0.1  # share of the corpus's documents held out (split by document)
    task: str = "lm"  # "lm": next byte of corpus windows; "passkey": passkey trials (posenc.data.passkey)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad field."""
        for name in ("steps", "batch_size", "eval_windows", "log_every"):
            _check_int(name, getattr(self, name), low=1)
        for name in ("warmup_steps", "seed", "eval_every", "ckpt_every"):
            _check_int(name, getattr(self, name), low=0)
        if self.seed >= 2**63:  # torch.manual_seed takes a signed 64-bit integer
            raise ValueError(f"seed must be below 2^63, got {self.seed!r}")
        for name in ("lr", "min_lr", "weight_decay", "grad_clip"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(float(value) if abs(value) < 2**1023 else math.inf)
                or value < 0
            ):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if self.min_lr > self.lr:
            raise ValueError(f"min_lr ({self.min_lr}) must not exceed lr ({self.lr})")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
        if not (self.device in DEVICES or (isinstance(self.device, str) and self.device.startswith("cuda:"))):
            raise ValueError(f"device must be one of {', '.join(DEVICES)} (or cuda:N), got {self.device!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if not isinstance(self.compile, bool):
            raise ValueError(f"compile must be true or false, got {self.compile!r}")
        if self.corpus is not None and (not isinstance(self.corpus, str) or not self.corpus.strip()):
            raise ValueError(
                f"corpus must be a path to a UTF-8 text file or folder, or None for the built-in corpus, "
                f"got {self.corpus!r} (an empty path would read the current folder)"
            )
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        hf = self.heldout_fraction
        if isinstance(hf, bool) or not isinstance(hf, (int, float)) or not 0 < hf < 1:
            raise ValueError(f"heldout_fraction must be a number in (0, 1), got {hf!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError`` naming them."""
        check_fields(cls, d, "train config")
        return cls(**d)


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate of step ``step`` (0-based): linear warm-up, then cosine decay to ``min_lr``.

        step < W:        lr · (step + 1) / (W + 1)
        W <= step < T:   min_lr + ½ (1 + cos(π · (step − W) / (T − W))) · (lr − min_lr)

    with W = warmup_steps, T = steps (nanoGPT's ``get_lr``; Loshchilov & Hutter 2017 for the cosine).
    """
    w, t = config.warmup_steps, config.steps
    if step < w:
        return config.lr * (step + 1) / (w + 1)
    progress = min(1.0, (step - w) / max(1, t - w))
    return config.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (config.lr - config.min_lr)


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
