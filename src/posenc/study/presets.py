"""What the extrapolation study trains and measures: the encodings, the scalings and the presets.

Every encoding is trained with the same model shape, steps, batch, learning-rate schedule, seed and
data order (``posenc.data.train_batch`` is a pure function of (seed, step)), so every model sees the
same tokens: the token budget is ``steps × batch_size × L`` for all of them. Absolute encodings are
added to token embeddings scaled by √d_model (``ModelConfig.embed_scale``), so a sinusoid of RMS
1/√2 sits next to token vectors of comparable size rather than drowning them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: study name -> (posenc.encodings family, pe_options); one model per entry and per seed
ENCODINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "sinusoidal": ("sinusoidal", {}),
    "learned": ("learned", {}),
    "nope": ("nope", {}),
    "rope-1e4": ("rope", {"base": 1e4}),
    "rope-1e6": ("rope", {"base": 1e6}),  # MiniMind's rope_theta
    "alibi": ("alibi", {}),
    "t5": ("t5", {}),
    "xpos": ("xpos", {}),
}

#: display names for plots and the report
LABELS: dict[str, str] = {
    "sinusoidal": "Sinusoidal",
    "learned": "Learned",
    "nope": "NoPE",
    "rope-1e4": "RoPE (base 1e4)",
    "rope-1e6": "RoPE (base 1e6)",
    "alibi": "ALiBi",
    "t5": "T5 bias",
    "xpos": "xPos",
}

#: the RoPE models that are also evaluated with inference-time scaling (no retraining)
ROPE_MODELS: tuple[str, ...] = ("rope-1e4", "rope-1e6")

#: inference-time scalings (posenc.evaluate.specs), each at factor = evaluated length / L ("TYPE:auto")
SCALINGS: tuple[str, ...] = ("linear", "ntk", "dynamic", "yarn", "minimind_yarn")

#: the position-interpolation fine-tune arm: the RoPE 1e4 model, fine-tuned at FT_MULTIPLE × L with
#: linear scaling FT_MULTIPLE (Chen et al. 2023 fine-tune 1000 steps; we fine-tune a short fraction)
FT_MULTIPLE = 4

MULTIPLES: tuple[int, ...] = (1, 2, 4, 8, 16)

#: the rope_base sweep: a RoPE model per base, the bases of ``posenc exp rope-base`` (its BASES; a test
#: keeps the two equal, so the study's sweep and the experiment tell of the same bases)
SWEEP_BASES: tuple[float, ...] = (1e2, 1e4, 1e5, 1e6)

#: the step cap of a retrieval-arm model (batch and warm-up as the preset's LM models, peak lr
#: throughout, so the cap changes no step before it). Each model is trained *to criterion*: checked every
#: ``retrieval_check_every`` steps on held-out passkey trials at 1× L, it stops once it passes (below)
#: or at the cap. The copy circuit forms abruptly, at a step that float-level differences move: in the
#: references trained for a fixed 1000 / 1500 steps, most models had formed it after 600-800 steps, but
#: the default reference's RoPE 1e6 and xPos had not by 1000, nor two seeds each of RoPE 1e4 and xPos in
#: the full one by 1500. The caps are twice those budgets: a model that learns stops well before them, and
#: one that does not costs the cap (the presets' stated times give the worst case)
RETRIEVAL_STEPS_DEFAULT = 2000
RETRIEVAL_STEPS_FULL = 3000
#: steps between two checks of a retrieval-arm model (each check: ``retrieval_check_trials`` trials)
RETRIEVAL_CHECK_EVERY = 100

#: the criterion: exact-key accuracy at least CRITERION_ACCURACY on CRITERION_CHECKS consecutive checks
#: (key in the middle, the evaluation's format, on held-out code). The check's trials are drawn with
#: CHECK_SEED, not the evaluation's seed 0: the criterion is not met on the trials the tables report
CRITERION_ACCURACY = 0.9
CRITERION_CHECKS = 2
CHECK_SEED = 1
#: results written before the criterion recorded none: there a run counts as learned at L when its
#: evaluated exact-key accuracy at 1× (key in the middle) is at least this
LEARNED_AT_1X = 0.8
#: per-seed accuracies that span more than this (30 points) disagree: a mean ± std would describe no
#: seed, so the tables show each seed's value and the findings count seeds ("k of n seeds")
DISAGREE = 0.3
#: fewer seeds than this: the retrieval columns are a demonstration, not a result (one run of the arm
#: can flip on a re-run with another float summation order, issue 40)
ROBUST_SEEDS = 3

#: the retrieval arm: each encoding trained again, from scratch, on passkey trials (posenc.data.
#: passkey.passkey_batch, loss posenc.train.loop.passkey_loss), named "alibi-passkey" (study.runs)
#: where a retrieval-arm model's key is hidden: the middle first (the main table), then the start of
#: the text (farthest from the question) and just before the question
RETRIEVAL_DEPTHS: tuple[float, ...] = (0.5, 0.0, 1.0)


@dataclass(frozen=True)
class StudyPreset:
    """The sizes of one study. ``model`` holds ModelConfig fields (its ``max_seq_len`` is L)."""

    name: str
    description: str
    model: dict[str, Any]
    steps: int  # optimizer steps per model
    batch_size: int  # sequences of L tokens per step
    warmup_steps: int
    lr: float
    seeds: tuple[int, ...]
    eval_windows: int  # held-out windows per length (the same windows for every model)
    passkey_trials: int  # per length, no-scaling evaluation only
    finetune_steps: int  # the PI fine-tune arm (at FT_MULTIPLE × L, batch_size / FT_MULTIPLE)
    long_arm: bool  # also train RoPE 1e4 and 1e6 at 4 × L with the same token budget
    retrieval_steps: int = 0  # the retrieval arm (one model per encoding trained on passkey trials): its
    # step cap; 0: no arm
    retrieval_trials: int = 20  # passkey trials of a retrieval-arm model per length and per depth
    retrieval_check_every: int = 0  # steps between the arm's checks at 1× L; 0: no criterion, the cap
    retrieval_check_trials: int = 10  # held-out trials per check (CHECK_SEED, key in the middle)
    device: str = "auto"
    dtype: str = "auto"
    eval_batch_size: int = 16
    claims: bool = True  # False: a smoke test; the report says it supports no conclusion
    multiples: tuple[int, ...] = field(default=MULTIPLES)

    @property
    def train_length(self) -> int:
        return int(self.model["max_seq_len"])

    @property
    def tokens_per_model(self) -> int:
        return self.steps * self.batch_size * self.train_length

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "train_length": self.train_length, "tokens_per_model": self.tokens_per_model}


#: wall time of ``posenc study --preset quick`` (11 models of 30 steps) in seconds, as the lab's buttons
#: say it: 36 s measured; 411 s on the shared machine under load
QUICK_SECONDS = 36

PRESETS: dict[str, StudyPreset] = {
    "quick": StudyPreset(
        name="quick",
        description="CI smoke test: a 1-layer d-32 model, L 32, 30 steps each, seconds per model; no claims",
        model={"d_model": 32, "n_layers": 1, "n_heads": 2, "n_kv_heads": 1, "max_seq_len": 32},
        steps=30,
        batch_size=8,
        warmup_steps=5,
        lr=3e-3,
        seeds=(0,),
        eval_windows=2,
        passkey_trials=2,
        finetune_steps=5,
        long_arm=False,
        retrieval_steps=10,
        retrieval_trials=2,
        retrieval_check_every=5,
        retrieval_check_trials=2,
        device="cpu",
        eval_batch_size=4,
        claims=False,
    ),
    "default": StudyPreset(
        name="default",
        description="d 128, 4 layers, L 64, 400 steps × 32 × 64 = 0.8 M tokens per model, and a retrieval "
        "arm per encoding trained until it passes a check at L (cap 2000 steps); ~35 min, 2 cores (up to "
        "~40 if no retrieval model passes before its cap). One seed: its retrieval columns are a "
        "demonstration, not a result",
        model={"d_model": 128, "n_layers": 4, "n_heads": 4, "n_kv_heads": 2, "max_seq_len": 64},
        steps=400,
        batch_size=32,
        warmup_steps=40,
        lr=3e-3,
        seeds=(0,),
        eval_windows=12,
        passkey_trials=10,
        finetune_steps=60,
        long_arm=False,
        retrieval_steps=RETRIEVAL_STEPS_DEFAULT,
        retrieval_check_every=RETRIEVAL_CHECK_EVERY,
    ),
    "full": StudyPreset(
        name="full",
        description="d 128, 4 layers, L 64, 600 steps × 32 × 64 = 1.2 M tokens per model, 3 seeds, "
        "RoPE also trained at 4 × L, and a retrieval arm per encoding and seed trained until it passes a "
        "check at L (cap 3000 steps); ~2 h, 2 cores (up to ~3 h if no retrieval model passes before "
        "its cap)",
        model={"d_model": 128, "n_layers": 4, "n_heads": 4, "n_kv_heads": 2, "max_seq_len": 64},
        steps=600,
        batch_size=32,
        warmup_steps=60,
        lr=3e-3,
        seeds=(0, 1, 2),
        eval_windows=16,
        passkey_trials=10,
        finetune_steps=90,
        long_arm=True,
        retrieval_steps=RETRIEVAL_STEPS_FULL,
        retrieval_check_every=RETRIEVAL_CHECK_EVERY,
    ),
    "gpu": StudyPreset(
        name="gpu",
        description="CUDA, bf16, SDPA: d 384, 6 layers, L 256, 400 steps × 64 × 256 = 6.6 M tokens per model",
        model={"d_model": 384, "n_layers": 6, "n_heads": 6, "n_kv_heads": 2, "max_seq_len": 256},
        steps=400,
        batch_size=64,
        warmup_steps=40,
        lr=2e-3,
        seeds=(0,),
        eval_windows=16,
        passkey_trials=20,
        finetune_steps=60,
        long_arm=True,
        retrieval_steps=RETRIEVAL_STEPS_FULL,
        retrieval_trials=50,
        retrieval_check_every=RETRIEVAL_CHECK_EVERY,
        retrieval_check_trials=20,
        device="cuda",
        dtype="bfloat16",
    ),
}


def get_preset(name: str) -> StudyPreset:
    """``PRESETS[name]``; ``ValueError`` naming --preset and the choices otherwise."""
    if name not in PRESETS:
        raise ValueError(f"--preset {name!r} is not a study preset; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


__all__ = [
    "CHECK_SEED",
    "CRITERION_ACCURACY",
    "CRITERION_CHECKS",
    "DISAGREE",
    "ENCODINGS",
    "LEARNED_AT_1X",
    "RETRIEVAL_CHECK_EVERY",
    "ROBUST_SEEDS",
    "FT_MULTIPLE",
    "LABELS",
    "MULTIPLES",
    "RETRIEVAL_DEPTHS",
    "PRESETS",
    "ROPE_MODELS",
    "SCALINGS",
    "SWEEP_BASES",
    "StudyPreset",
    "get_preset",
]
