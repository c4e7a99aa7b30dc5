"""The training loop: a plain loop you can read in one sitting (nanoGPT's train.py, as a function).

    for step in range(start, steps):
        set the learning rate of this step (linear warm-up, cosine decay)
        x, y = train_batch(tokens, step, ...)        # a pure function of (seed, step, rank)
        loss = model(x, y); loss.backward(); clip; optimizer.step()
        (task "passkey": passkey_batch + passkey_loss, the study's retrieval arm)
        every N steps: log, evaluate on held-out windows, checkpoint
        every check_every steps: on_check(model, step, history), the caller's check (the study's
            retrieval arm: passkey accuracy at L), which may end the run as finished

Resuming is exact because everything a step reads is either in the checkpoint (weights,
optimizer moments, step) or a pure function of (seed, step, rank) (the batch, and the RNG
seed of the step, which dropout would draw from). Ctrl-C (SIGINT) or SIGTERM finishes the
current step, writes a checkpoint and returns; a second Ctrl-C stops at once (the last
checkpoint is intact: checkpoints are replaced atomically).

A diverged run (a NaN or inf loss, or weights, e.g. from ``--lr 1e30``) is never saved: every step
folds ``isfinite(loss)`` into a flag on the device (no host sync), and the flag, and the weights, are
checked before each log line, held-out evaluation and checkpoint. Training then stops with
:class:`TrainingDiverged` (a ``RuntimeError``: ``posenc train`` prints it on one line and exits 2),
the last good checkpoint is kept, and log.jsonl gets a ``"diverged"`` event. log.jsonl is strict JSON:
no bare NaN ever enters it.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from torch.nn.parallel import DistributedDataParallel

from posenc.atomic import atomic_write_text, regular_file, remove_stale_temporaries
from posenc.data import eval_windows, load_corpus, train_batch, unigram_entropy
from posenc.data.batches import mix_seed
from posenc.data.passkey import ANSWER as PASSKEY_ANSWER
from posenc.data.passkey import MIN_LENGTH as PASSKEY_MIN_LENGTH
from posenc.data.passkey import passkey_batch
from posenc.results.jsonsafe import to_jsonable
from posenc.train import distributed
from posenc.train.checkpoint import (
    CHECKPOINT_NAME,
    CONFIG_NAME,
    LOG_NAME,
    RunFolderLocked,
    RunLock,
    checkpoint_files,
    load_resume_checkpoint,
    non_finite_tensors,
    read_json,
    save_checkpoint,
    set_rng_state,
)
from posenc.train.config import LATER_FIELDS, OPERATIONAL_FIELDS, TrainConfig, lr_at


def train(
    model_config,
    train_config: TrainConfig,
    out_dir: str | Path,
    resume: bool = False,
    progress: bool = True,
    stop_at: int | None = None,
    check_every: int = 0,
    on_check: Callable[[torch.nn.Module, int, list[dict]], dict] | None = None,
) -> dict[str, Any]:
    """Train a ``TinyLM(model_config)`` as ``train_config`` says; write the run to ``out_dir``.

    resume: continue the run in ``out_dir`` from its checkpoint; the configs must equal the saved
        ones (except ``OPERATIONAL_FIELDS``), else ``ValueError`` listing the differences. Without
        it, an ``out_dir`` that already holds a run is refused (nothing is ever overwritten).
    progress: show a rich progress bar (step, loss, tokens/s, ETA) on stderr.
    stop_at: stop after this step as an interrupted run would (checkpoint written, ``interrupted``
        true in the summary) — to split a run into sessions; ``--resume`` continues it.
    check_every, on_check: every ``check_every`` steps (0: never), ``on_check(model, step, history)``
        is called on the main process with the unwrapped model and the earlier checks' records; it
        returns a JSON-ready record of this check (kept in the checkpoint's metrics and log.jsonl as
        ``"event": "check"``, so a resumed run keeps its history). A record with ``"stop": true`` ends
        the run there as finished (a checkpoint, ``stopped_at`` in the summary); resuming a run that
        stopped so returns at once. The caller decides what to check (the trainer imports nothing above
        it): the study's retrieval arm checks passkey accuracy at L (``posenc.study.criterion``).

    One writer per run folder: ``out_dir/train.lock`` is held while training (:class:`RunLock`); a
    second ``train`` into the same folder gets ``RunFolderLocked`` before anything is written.
    Launched by torchrun, every process calls this; rank 0 writes the run folder. Returns a summary
    dict (steps, tokens, tokens_per_s, train_loss, heldout_loss, unigram_entropy, interrupted, ...).
    """
    from posenc.model import ModelConfig

    if not isinstance(model_config, ModelConfig):
        raise ValueError(f"model_config must be a ModelConfig, got {type(model_config).__name__}")
    if not isinstance(train_config, TrainConfig):
        raise ValueError(f"train_config must be a TrainConfig, got {type(train_config).__name__}")
    model_config.validate()
    train_config.validate()
    if train_config.task == "passkey" and model_config.max_seq_len < PASSKEY_MIN_LENGTH:
        raise ValueError(
            f"--task passkey needs --seq-len >= {PASSKEY_MIN_LENGTH} (a passkey trial is at least "
            f"{PASSKEY_MIN_LENGTH} tokens), got {model_config.max_seq_len}"
        )
    if stop_at is not None and (isinstance(stop_at, bool) or not isinstance(stop_at, int) or stop_at < 1):
        raise ValueError(f"stop_at must be a positive integer or None, got {stop_at!r}")
    if isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 0:
        raise ValueError(f"check_every must be an integer >= 0, got {check_every!r}")
    if on_check is not None and not callable(on_check):
        raise ValueError(f"on_check must be callable or None, got {type(on_check).__name__}")
    if not isinstance(out_dir, (str, Path)) or not str(out_dir).strip():
        raise ValueError(
            f"--out must name the run folder, got {out_dir!r} (an empty path would train into the "
            "current folder)"
        )
    process = distributed.setup(train_config.device)
    lock = RunLock(out_dir) if process.is_main else None  # rank 0 writes the run folder: it holds the lock
    try:
        refused = None
        try:
            if lock is not None:
                lock.acquire()  # before anything is written; RunFolderLocked while another run writes
        except Exception as err:  # noqa: BLE001 — re-raised on every rank below
            refused = err
        if distributed.any_rank(process, refused is not None):
            raise refused or RunFolderLocked(f"rank 0 could not lock the run folder {str(out_dir)!r}")
        return _train(
            model_config,
            train_config,
            Path(out_dir),
            resume,
            progress and process.is_main,
            stop_at,
            process,
            (check_every, on_check) if check_every and on_check is not None else None,
        )
    finally:
        if lock is not None:
            lock.release()
        distributed.teardown(process)


def _train(
    mcfg, cfg: TrainConfig, out_dir: Path, resume: bool, progress: bool, stop_at, process, check=None
) -> dict[str, Any]:
    from posenc.model import TinyLM

    checkpoint = _open_run_dir(out_dir, mcfg, cfg, resume, process.world_size, sole_writer=process.is_main)
    distributed.barrier(process)  # every rank has checked the folder before rank 0 writes to it
    device = process.device
    use_bf16 = cfg.dtype == "bfloat16" or (
        cfg.dtype == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported()
    )
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if use_bf16 else nullcontext()

    torch.manual_seed(cfg.seed)  # the initial weights
    raw_model = TinyLM(mcfg).to(device)  # before the corpus: a bad pe_option fails in a moment
    optimizer = make_optimizer(raw_model, cfg, device)

    corpus = load_corpus(cfg.corpus, cfg.heldout_fraction)
    tokens = corpus.tokens("train")
    seq_len = mcfg.max_seq_len  # the training length L
    for split in ("train", "heldout"):
        if corpus.tokens(split).numel() < seq_len + 2:
            raise ValueError(
                f"corpus {corpus.name!r}: its {split} split holds {corpus.tokens(split).numel()} tokens, "
                f"too few for seq_len {seq_len} (at least {seq_len + 2}); use a larger corpus or a smaller "
                "--seq-len"
            )
    tokens_per_step = cfg.batch_size * seq_len * process.world_size  # the global batch
    passkey = cfg.task == "passkey"
    make_batch = passkey_batch if passkey else train_batch

    step, metrics = 0, {}
    if checkpoint is not None:
        _restore(checkpoint, raw_model, optimizer)
        step, metrics = checkpoint["step"], dict(checkpoint.get("metrics") or {})
    model = raw_model
    if process.distributed:  # averages gradients over ranks during backward
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.compile:
        model = torch.compile(model)

    log_path = out_dir / LOG_NAME
    windows = None
    if process.is_main:
        windows = eval_windows(corpus.file_tokens("heldout"), seq_len, cfg.eval_windows, seed=0)  # [n, L + 1]
        if not (out_dir / CONFIG_NAME).exists():
            configs = {"model": mcfg.to_dict(), "train": cfg.to_dict(), "world_size": process.world_size}
            atomic_write_text(out_dir / CONFIG_NAME, json.dumps(configs, indent=2) + "\n")
        _truncate_log(log_path, step)  # drop lines a killed session wrote after its last checkpoint
        _log(
            log_path,
            {
                "event": "resume" if resume else "start",
                "step": step,
                "world_size": process.world_size,
                "device": str(device),
                "bf16": use_bf16,
                "params": raw_model.num_params(),
            },
        )

    nonfinite = torch.zeros((), dtype=torch.bool, device=device)  # any non-finite loss since the last check

    def check_finite(at_step: int, what: str, weights: bool = False) -> None:
        """Raise TrainingDiverged when a loss since the last check, or (``weights``) a weight, is not
        finite, on any rank; nothing is saved after it. Called where the host syncs anyway."""
        bad = [] if not bool(nonfinite) else ["the training loss is NaN or inf"]
        if weights:
            names = non_finite_tensors(raw_model.state_dict())
            bad += [f"weights hold NaN or inf ({', '.join(names[:2])})"] if names else []
        if not distributed.any_rank(process, bool(bad)):
            return
        kept = (
            f"the last good checkpoint (step {saved_step}) is kept in {str(out_dir / CHECKPOINT_NAME)!r}"
            if (out_dir / CHECKPOINT_NAME).exists()
            else "no checkpoint was written"
        )
        if process.is_main:
            _log(log_path, {"event": "diverged", "step": at_step, "kept_step": saved_step, "at": what})
        raise TrainingDiverged(
            f"training diverged at step {at_step} ({'; '.join(bad) or 'on another rank'}), found before "
            f"the {what}; {kept}. Lower --lr (it is {cfg.lr:g}) or --grad-clip, then train again "
            "(--resume continues from that checkpoint with the same settings)"
        )

    def save(at_step: int) -> None:
        nonlocal saved_step, keep_previous
        check_finite(at_step, "checkpoint", weights=True)
        if process.is_main:
            save_checkpoint(
                out_dir / CHECKPOINT_NAME,
                model=raw_model,
                model_config=mcfg.to_dict(),
                step=at_step,
                optimizer=optimizer,
                train_config=cfg.to_dict(),
                world_size=process.world_size,
                metrics=metrics,
                keep_previous=keep_previous,
            )
        saved_step, keep_previous = at_step, True

    def evaluate(at_step: int) -> None:
        check_finite(at_step, "held-out evaluation")
        if process.is_main:
            metrics["heldout_loss"] = heldout_loss(raw_model, windows, cfg.batch_size, device, autocast)
            if not math.isfinite(metrics["heldout_loss"]):
                nonfinite.fill_(True)  # the weights give NaN on held-out text: diverged as well
            metrics["heldout_step"] = at_step
            _log(log_path, {"step": at_step, "heldout_loss": metrics["heldout_loss"]})
            display.note(f"step {at_step}: held-out loss {metrics['heldout_loss']:.4f}")

    def run_check(at_step: int) -> bool:
        """The caller's check at ``at_step`` (see ``train``); True when it ends the run."""
        record = {}
        if process.is_main:
            history = metrics.setdefault("checks", [])
            record = check[1](raw_model, at_step, [dict(r) for r in history])
            record = to_jsonable({**record, "step": at_step})
            history.append(record)
            _log(log_path, {"event": "check", **record})
        stopping = distributed.any_rank(process, bool(record.get("stop")))
        if stopping:
            metrics["stopped_at"] = at_step
        return stopping

    saved_step = step
    # resumed from checkpoint.prev.pt (the latest missing or damaged): the first save replaces the latest
    # and keeps that previous pair, the only intact one, instead of making the broken latest the previous
    keep_previous = checkpoint is None or Path(checkpoint["path"]) == out_dir / CHECKPOINT_NAME
    start_step, interrupted = step, False
    stopped = metrics.get("stopped_at") == step and step > 0  # this run already ended on its check
    t_start = t_last = time.perf_counter()
    t_first = None  # the summary's tokens/s leaves out the session's first step (warm-up, compilation)
    busy = 0.0  # seconds spent evaluating and checkpointing, left out of tokens/s
    last_log_step = step
    with (
        _Display(progress, cfg.steps, step, f"{mcfg.pe} · {out_dir.name}") as display,
        _StopRequest() as stop,
    ):
        while step < cfg.steps and not stopped:
            lr = lr_at(step, cfg)
            for group in optimizer.param_groups:
                group["lr"] = lr
            # the RNG that dropout draws from is reseeded every step: a function of the step, like the data
            torch.manual_seed(mix_seed(cfg.seed, step, process.rank))
            x, y = make_batch(
                tokens, step, cfg.batch_size, seq_len, cfg.seed, process.rank, process.world_size
            )
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)  # [b, L] each
            with autocast:
                if passkey:
                    logits, _ = model(x)
                    loss = passkey_loss(logits, y)
                else:
                    _, loss = model(x, y)
            nonfinite |= ~torch.isfinite(loss.detach())  # on the device: no sync per step
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(raw_model.parameters(), cfg.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1

            if step == start_step + 1:
                t_first = time.perf_counter()
            t0 = time.perf_counter()
            if check is not None and step % check[0] == 0:
                stopped = run_check(step)  # before the checkpoint of this step, which then holds it
            busy += time.perf_counter() - t0
            if step % cfg.log_every == 0 or step == cfg.steps or stopped:
                check_finite(step, "log line")
                metrics["train_loss"] = distributed.mean_over_ranks(process, loss.item())  # .item() syncs
                now = time.perf_counter()
                tok_s = (step - last_log_step) * tokens_per_step / max(now - t_last, 1e-9)
                t_last, last_log_step = now, step
                display.update(step, metrics["train_loss"], tok_s)
                if process.is_main:
                    _log(
                        log_path,
                        {"step": step, "loss": metrics["train_loss"], "lr": lr, "tokens_per_s": tok_s},
                    )
            t0 = time.perf_counter()
            if cfg.eval_every and step % cfg.eval_every == 0 and step < cfg.steps:
                evaluate(step)
            if cfg.ckpt_every and step % cfg.ckpt_every == 0 and step < cfg.steps and not stopped:
                save(step)
            busy += time.perf_counter() - t0
            if stopped:
                break
            if distributed.any_rank(process, stop.requested) or step == stop_at:
                interrupted = step < cfg.steps
                break
        t_end = time.perf_counter()
        if not interrupted and metrics.get("heldout_step") != step:
            evaluate(step)
        if saved_step != step:
            save(step)

    steps_done = step - start_step
    if steps_done > 1:  # steady state: after the first step, without evaluation and checkpoint time
        tokens_per_s = (steps_done - 1) * tokens_per_step / max(t_end - t_first - busy, 1e-9)
    else:
        tokens_per_s = steps_done * tokens_per_step / max(t_end - t_start, 1e-9)
    summary = {
        "run": str(out_dir),
        "pe": mcfg.pe,
        "step": step,
        "steps": cfg.steps,
        "resumed_from": start_step if resume else None,
        "interrupted": interrupted,
        "stopped_at": metrics.get("stopped_at"),  # the step whose check ended the run, or None
        "checks": list(metrics.get("checks") or []),
        "tokens": step * tokens_per_step,
        "tokens_per_s": tokens_per_s,
        "elapsed_s": t_end - t_start,
        "train_loss": metrics.get("train_loss"),
        "heldout_loss": metrics.get("heldout_loss"),
        "unigram_entropy": unigram_entropy(tokens),
        "params": raw_model.num_params(),
        "world_size": process.world_size,
        "rank": process.rank,
        "device": str(device),
    }
    if process.is_main:
        _log(log_path, {"event": "interrupted" if interrupted else "end", **summary})
    return summary


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW (Loshchilov & Hutter 2019) with weight decay on matrices (dim >= 2) only, as nanoGPT.

    ``fused=True``: one kernel for the whole update, on CPU and CUDA alike.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=True)


@torch.no_grad()
def heldout_loss(
    model: torch.nn.Module, windows: torch.Tensor, batch_size: int, device, autocast=None
) -> float:
    """Mean next-token cross-entropy (nats) over ``windows`` (int64 [n, L + 1]): every position of
    every window counts once."""
    was_training = model.training
    model.eval()
    total = 0.0
    for i in range(0, windows.size(0), batch_size):
        w = windows[i : i + batch_size].to(device)  # [b, L + 1]
        with autocast or nullcontext():
            _, loss = model(w[:, :-1], w[:, 1:])
        total += loss.item() * w.size(0)
    model.train(was_training)
    return total / windows.size(0)


# ----------------------------------------------------------------------------- the run folder
def read_run_configs(run_dir: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (model, train) config dicts of the run in ``run_dir`` (config.json, else the checkpoint)."""
    run_dir = Path(run_dir)
    if (run_dir / CONFIG_NAME).exists():
        saved = read_json(run_dir / CONFIG_NAME)
        if not isinstance(saved.get("model"), dict) or not isinstance(saved.get("train"), dict):
            raise ValueError(f"{str(run_dir / CONFIG_NAME)!r} lacks the 'model' and 'train' configs")
        return saved["model"], saved["train"]
    state = load_resume_checkpoint(run_dir / CHECKPOINT_NAME)
    if state is not None:
        return state["model_config"], state.get("train_config") or {}
    raise FileNotFoundError(
        f"no run to resume in {str(run_dir)!r}: it holds no {CONFIG_NAME} or {CHECKPOINT_NAME}"
    )


def config_differences(saved_model: dict, saved_train: dict, mcfg, cfg: TrainConfig) -> list[str]:
    """Human-readable differences between a saved run's configs and the given ones."""
    norm = lambda d: json.loads(json.dumps(d))  # noqa: E731 — compare as the JSON file stores them
    diffs = []
    for prefix, saved, given, skip in (
        ("model", norm(saved_model), norm(mcfg.to_dict()), frozenset()),
        ("train", norm({**LATER_FIELDS, **saved_train}), norm(cfg.to_dict()), OPERATIONAL_FIELDS),
    ):
        for key in sorted(set(saved) | set(given)):
            if key not in skip and saved.get(key) != given.get(key):
                diffs.append(f"{prefix}.{key}: run has {saved.get(key)!r}, asked for {given.get(key)!r}")
    return diffs


def _open_run_dir(
    out_dir: Path, mcfg, cfg: TrainConfig, resume: bool, world_size: int, sole_writer: bool = False
) -> dict | None:
    """Check ``out_dir`` before anything is written; returns the checkpoint to resume from, if any.
    sole_writer: this process holds the run's lock (rank 0), so every temporary not its own is stale."""
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"output path {str(out_dir)!r} exists and is not a folder")
    for name in (CONFIG_NAME, CHECKPOINT_NAME, LOG_NAME):  # a FIFO or device would block the run
        regular_file(out_dir / name, f"run file ({name})")
    names = [CONFIG_NAME, LOG_NAME, *(p.name for p in checkpoint_files(out_dir / CHECKPOINT_NAME))]
    # left by a session killed mid-write; rank 0 holds the run's lock here, so none is a live writer's
    remove_stale_temporaries(out_dir, names, sole_writer=sole_writer)
    if not resume:
        existing = [name for name in (CONFIG_NAME, CHECKPOINT_NAME, LOG_NAME) if (out_dir / name).exists()]
        if existing:
            raise ValueError(
                f"{str(out_dir)!r} already holds a run ({', '.join(existing)}); pass --resume to continue "
                "it, or choose another --out (nothing was overwritten)"
            )
        return None
    checkpoint = load_resume_checkpoint(out_dir / CHECKPOINT_NAME)  # the previous one if need be
    if checkpoint is not None:
        saved_model, saved_train = checkpoint["model_config"], checkpoint.get("train_config") or {}
        saved_world = checkpoint.get("world_size", 1)
    else:  # killed before its first checkpoint (no file of one exists): the run starts again from step 0
        saved_model, saved_train = read_run_configs(out_dir)
        saved_world = read_json(out_dir / CONFIG_NAME).get("world_size", 1)
    diffs = config_differences(saved_model, saved_train, mcfg, cfg)
    if saved_world != world_size:
        diffs.append(f"world_size: run has {saved_world} process(es), this launch has {world_size}")
    if diffs:
        raise ValueError(
            f"cannot resume {str(out_dir)!r} with a different configuration: " + "; ".join(diffs)
        )
    if checkpoint is not None and non_finite_tensors(checkpoint["model"]):
        raise ValueError(
            f"checkpoint {str(out_dir / CHECKPOINT_NAME)!r} holds NaN or inf weights (written by a diverged "
            "run of an older posenc); it cannot be resumed: train again into a new --out with a smaller --lr"
        )
    if checkpoint is not None and checkpoint.get("optimizer") is None:
        raise ValueError(
            f"checkpoint {str(out_dir / CHECKPOINT_NAME)!r} holds no optimizer state to resume from"
        )
    if checkpoint is not None and checkpoint.get("rng") is None:
        raise ValueError(
            f"checkpoint {checkpoint['path']!r} holds no random number states ('rng') to resume from"
        )
    if checkpoint is not None and checkpoint["step"] > cfg.steps:
        raise ValueError(
            f"checkpoint {checkpoint['path']!r} is at step {checkpoint['step']}, beyond this run's "
            f"{cfg.steps} steps: it is not this run's checkpoint; restore the run's own, or train again "
            "into a new --out"
        )
    return checkpoint


def passkey_loss(logits: torch.Tensor, targets: torch.Tensor, answer_weight: float = 1.0) -> torch.Tensor:
    """The loss of a passkey training batch: the mean cross-entropy of every position (the model
    still learns the code around the key) plus ``answer_weight`` × the mean over the 5 answer digits
    (``targets[:, ANSWER]``, :data:`posenc.data.passkey.ANSWER`), the only bytes that need the key.
    Without the second term the answer is 5 of L targets and the models never learn to retrieve in
    the study's budget (see the study report).

    logits float [b, s, V], targets int64 [b, s] -> scalar float32.
    """
    per_token = torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    ).view_as(targets)  # [b, s]
    return per_token.mean() + answer_weight * per_token[:, PASSKEY_ANSWER].mean()


def _restore(checkpoint: dict, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Load a checkpoint's weights, optimizer moments and RNG states; a part that does not fit is a
    ``ValueError`` naming the file and the field (a crafted checkpoint can pass its digest)."""
    for field, load in (
        ("model", model.load_state_dict),
        ("optimizer", optimizer.load_state_dict),
        ("rng", set_rng_state),
    ):
        try:
            load(checkpoint[field])
        except (RuntimeError, ValueError, TypeError, KeyError, IndexError) as err:
            detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
            raise ValueError(
                f"checkpoint {checkpoint['path']!r}: {field!r} does not fit this run ({detail})"
            ) from None


class TrainingDiverged(RuntimeError):
    """The loss or the weights became NaN/inf; the last good checkpoint was kept (see the module doc)."""


def _log(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(to_jsonable(record), allow_nan=False) + "\n")


def log_lines(path: Path, consequence: str) -> list[str]:
    """The lines of a run's log.jsonl as text; ``ValueError`` naming the file, the line and the byte when
    one is not UTF-8 (posenc writes ASCII only: the file was damaged or edited), ending with
    ``consequence`` (what was not done). A FIFO or a folder there is refused, never waited on."""
    regular_file(path, "log")  # a FIFO here would block forever
    lines = []
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise ValueError(
                f"log {str(path)!r} line {number} is not UTF-8 text (byte 0x{raw[err.start]:02x} at column "
                f"{err.start + 1}): it was damaged or edited; move it away or restore a copy ({consequence})"
            ) from None
    return lines


def _truncate_log(path: Path, step: int) -> None:
    """Keep only the log lines up to ``step``: after a resume the log reads as one uninterrupted run."""
    if not path.exists():
        return
    kept = []
    for line in log_lines(path, "the run was not resumed"):
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue  # a line cut by a kill
        line_step = record.get("step", 0) if isinstance(record, dict) else None
        if isinstance(line_step, int) and line_step <= step:
            kept.append(line)
    atomic_write_text(path, "".join(k + "\n" for k in kept))


# ----------------------------------------------------------------------------- progress and signals
class _Display:
    """The rich progress bar (step, loss, tokens/s, elapsed, ETA) on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int, completed: int, label: str):
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[tok_s]} tok/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.task = self.progress.add_task(label, total=total, completed=completed, loss="—", tok_s="—")

    def __enter__(self) -> _Display:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.progress.stop()

    def update(self, step: int, loss: float, tokens_per_s: float) -> None:
        if self.enabled:
            self.progress.update(self.task, completed=step, loss=f"{loss:.4f}", tok_s=f"{tokens_per_s:,.0f}")

    def note(self, message: str) -> None:
        if self.enabled:
            self.progress.console.print(message)


class _StopRequest:
    """Turns the first SIGINT / SIGTERM into a request to stop after the current step; the
    handlers go back to what they were, so a second Ctrl-C interrupts at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum, frame) -> None:
        self.requested = True
        self._restore()

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def __enter__(self) -> _StopRequest:
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        self._restore()
