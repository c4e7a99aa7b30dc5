"""Orchestration of the study: train every model, evaluate it, write results.json, plots, report.md.

    OUT/runs/NAME-sSEED/       one run folder per model (posenc.train layout + eval.json); a
                               retrieval-arm model's checks at L: in its checkpoint and log.jsonl
    OUT/results.json           every number (schema: posenc.study.results)
    OUT/*.png, OUT/*.svg       plots (posenc.study.plots)
    OUT/report.md              what was measured and what it shows (posenc.study.report)

Cached and resumable: a run folder holding a finished run is not trained again (``train(...,
resume=True)`` returns at once; an interrupted one continues from its checkpoint), and an evaluation
whose rows are already in RUN/eval.json is not redone when every row was made on the same basis: the
same weights (a hash), corpus content (a hash of the held-out tokens), seed, windows, passkey trials,
scaling and evaluation version (``posenc.evaluate.run.cached_rows``). Rows made otherwise (``posenc
eval RUN --windows 8``, an older posenc, an edited corpus) are evaluated again, and the results say
why (``reevaluated_this_session``); an evaluation on another corpus (``--corpus``) is kept under its
own key and never read here.
Ctrl-C stops the current training after its step (the trainer checkpoints) and ends the study.
A retrieval-arm model trains to criterion (``posenc.study.criterion``): it stops once it passes its
check at L, or at the preset's cap; a resumed run keeps the checks it made.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from posenc.evaluate.run import DEFAULT_DEPTHS
from posenc.results.files import prepare_out_dir, write_json_atomic
from posenc.study.criterion import Criterion, make_check
from posenc.study.presets import (
    ENCODINGS,
    FT_MULTIPLE,
    RETRIEVAL_DEPTHS,
    ROPE_MODELS,
    SCALINGS,
    SWEEP_BASES,
    StudyPreset,
    get_preset,
)
from posenc.study.runs import DEFAULT_OUT, finetune_name, long_name, retrieval_name, rope_name, run_name

NO_SCALING = "none"


@dataclass
class Job:
    """One model of the study: how to train it and which evaluations it gets."""

    name: str  # study name, e.g. "rope-1e4", "rope-1e4-pi-ft", "rope-1e4-4L"
    seed: int
    pe: str
    pe_options: dict[str, Any]
    train_length: int
    steps: int
    batch_size: int
    warmup_steps: int
    role: str  # "encoding", "sweep", "finetune", "long" or "retrieval" (trained on passkey trials)
    init_from: str | None = None  # run folder name whose weights start this run (the fine-tune arm)
    criterion: Criterion | None = None  # a retrieval-arm model trained to criterion (steps: its cap)
    scalings: tuple[str, ...] = ()
    evals: list = field(default_factory=list)

    @property
    def run_name(self) -> str:
        return run_name(self.name, self.seed)

    @property
    def tokens(self) -> int:
        return self.steps * self.batch_size * self.train_length


def plan(preset: StudyPreset) -> list[Job]:
    """Every model of the study, in training order (a fine-tune after the model it starts from)."""
    L = preset.train_length
    common = {"steps": preset.steps, "batch_size": preset.batch_size, "warmup_steps": preset.warmup_steps}
    jobs = []
    for seed in preset.seeds:
        for name, (pe, options) in ENCODINGS.items():
            scalings = SCALINGS if name in ROPE_MODELS else ()
            jobs.append(Job(name, seed, pe, dict(options), L, role="encoding", scalings=scalings, **common))
        for base in SWEEP_BASES:
            if rope_name(base) not in ENCODINGS:
                jobs.append(
                    Job(rope_name(base), seed, "rope", {"base": float(base)}, L, role="sweep", **common)
                )
        jobs.append(
            Job(
                finetune_name("rope-1e4"),
                seed,
                "rope",
                {
                    "base": 1e4,
                    "rope_scaling": {
                        "rope_type": "linear",
                        "factor": float(FT_MULTIPLE),
                        "original_max_position_embeddings": L,
                    },
                },
                FT_MULTIPLE * L,
                steps=preset.finetune_steps,
                batch_size=max(1, preset.batch_size // FT_MULTIPLE),
                warmup_steps=min(preset.warmup_steps, max(1, preset.finetune_steps // 10)),
                role="finetune",
                init_from=run_name("rope-1e4", seed),
            )
        )
        if preset.long_arm:  # the same token budget at 4 × L: batch / 4
            for name in ROPE_MODELS:
                jobs.append(
                    Job(
                        long_name(name),
                        seed,
                        "rope",
                        dict(ENCODINGS[name][1]),
                        4 * L,
                        steps=preset.steps,
                        batch_size=max(1, preset.batch_size // 4),
                        warmup_steps=preset.warmup_steps,
                        role="long",
                    )
                )
    if preset.retrieval_steps:  # after every LM model: the perplexity results come first
        for seed in preset.seeds:
            for name, (pe, options) in ENCODINGS.items():
                jobs.append(
                    Job(
                        retrieval_name(name),
                        seed,
                        pe,
                        dict(options),
                        L,
                        steps=preset.retrieval_steps,
                        batch_size=preset.batch_size,
                        warmup_steps=preset.warmup_steps,
                        role="retrieval",
                        criterion=Criterion.of(preset),
                    )
                )
    return jobs


def _configs(job: Job, preset: StudyPreset, device: str):
    from posenc.model import ModelConfig
    from posenc.train import TrainConfig

    mcfg = ModelConfig.from_dict(
        {**preset.model, "max_seq_len": job.train_length, "pe": job.pe, "pe_options": job.pe_options}
    )
    lr = preset.lr if job.role != "finetune" else preset.lr / 10
    tcfg = TrainConfig(
        steps=job.steps,
        batch_size=job.batch_size,
        lr=lr,
        # the retrieval arm keeps its peak rate: the copy circuit forms abruptly after ~600-800 steps,
        # and under the cosine decay to lr / 10 a RoPE model never formed it in 1000 steps
        min_lr=lr if job.role == "retrieval" else lr / 10,
        warmup_steps=job.warmup_steps,
        seed=job.seed,
        eval_every=0,
        eval_windows=min(8, preset.eval_windows * 2),
        log_every=max(1, job.steps // 10),
        ckpt_every=max(50, job.steps // 4),
        device=device,
        dtype=preset.dtype,
        task="passkey" if job.role == "retrieval" else "lm",
    )
    return mcfg, tcfg


def _seed_finetune(run_dir: Path, source_dir: Path, mcfg, tcfg) -> None:
    """Start the fine-tune run from ``source_dir``'s weights: a step-0 checkpoint holding them and a
    fresh optimizer, written with the fine-tune's own configs, which ``train(resume=True)`` continues.
    RoPE's tables are non-persistent buffers, so the linear scaling of ``mcfg`` is kept."""
    from posenc.model import TinyLM
    from posenc.train.checkpoint import CHECKPOINT_NAME, load_model, save_checkpoint
    from posenc.train.loop import make_optimizer

    source, _ = load_model(source_dir, device="cpu")
    model = TinyLM(mcfg)
    model.load_state_dict(source.state_dict())
    run_dir.mkdir(parents=True, exist_ok=True)
    save_checkpoint(
        run_dir / CHECKPOINT_NAME,
        model=model,
        model_config=mcfg.to_dict(),
        step=0,
        optimizer=make_optimizer(model, tcfg, torch.device("cpu")),
        train_config=tcfg.to_dict(),
        world_size=1,
    )


def _finished(run_dir: Path, mcfg, tcfg) -> dict | None:
    """The training summary of a finished run in ``run_dir`` made with these exact configs, read from
    its checkpoint (no corpus to load, no model to build); None when it is unfinished or differs (then
    ``train(resume=True)`` continues it, or refuses it listing the differences)."""
    from posenc.train.checkpoint import CHECKPOINT_NAME, load_checkpoint
    from posenc.train.loop import config_differences, log_lines

    if not (run_dir / CHECKPOINT_NAME).exists():
        return None
    state = load_checkpoint(run_dir / CHECKPOINT_NAME)
    saved_model, saved_train = state["model_config"], state.get("train_config") or {}
    metrics = state.get("metrics") or {}
    done = state["step"] == tcfg.steps or metrics.get("stopped_at") == state["step"]  # cap, or criterion
    if not done or config_differences(saved_model, saved_train, mcfg, tcfg):
        return None
    end = {}  # the trainer's last "end" record: speed and time of the session that finished the run
    log = run_dir / "log.jsonl"
    for line in log_lines(log, "the study stopped") if log.is_file() else []:
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        trained = isinstance(record, dict) and record.get("resumed_from") != record.get("step")
        if trained and record.get("event") == "end":
            end = record
    # parameters counted once (a tied LM head shares the embedding tensor, saved once per storage)
    params = sum(t.numel() for t in {id(t.untyped_storage()): t for t in state["model"].values()}.values())
    return {
        "step": state["step"],
        "resumed_from": state["step"],
        "interrupted": False,
        "tokens": state["step"] * tcfg.batch_size * mcfg.max_seq_len * int(state.get("world_size", 1)),
        "tokens_per_s": end.get("tokens_per_s"),
        "elapsed_s": end.get("elapsed_s"),
        "train_loss": metrics.get("train_loss"),
        "heldout_loss": metrics.get("heldout_loss"),
        "params": params,
        "stopped_at": metrics.get("stopped_at"),
        "checks": list(metrics.get("checks") or []),
    }


def criterion_info(job: Job, summary: dict) -> dict:
    """What results.json records of a retrieval-arm run trained to criterion: its checks (step and
    exact-key accuracy at L), the step its criterion was met (None: it reached the cap without), and
    whether it learned at L. Empty for any other run."""
    if job.criterion is None:
        return {}
    checks = [
        {"step": c["step"], "accuracy": c.get("accuracy"), "digit_accuracy": c.get("digit_accuracy")}
        for c in summary.get("checks") or []
    ]
    return {"checks": checks, "criterion_step": summary.get("stopped_at"),
            "learned": summary.get("stopped_at") is not None}  # fmt: skip


def _filler(cache: dict, tcfg):
    """The held-out byte tokens [f] the retrieval checks hide their keys in (the evaluation's split)."""
    from posenc.data import load_corpus

    key = (tcfg.corpus, tcfg.heldout_fraction)
    if key not in cache:
        cache[key] = load_corpus(tcfg.corpus, tcfg.heldout_fraction).tokens("heldout")
    return cache[key]


def _eval_specs(job: Job, preset: StudyPreset) -> list[tuple[str | None, list[int], int, tuple[float, ...]]]:
    """(scaling spec, lengths in tokens, passkey trials, passkey depths) of every evaluation of ``job``."""
    L = preset.train_length
    lengths = [m * L for m in preset.multiples]
    if job.role == "retrieval":
        return [(None, lengths, preset.retrieval_trials, RETRIEVAL_DEPTHS)]
    specs: list[tuple[str | None, list[int], int, tuple[float, ...]]] = [
        (None, lengths, preset.passkey_trials, DEFAULT_DEPTHS)
    ]
    for method in job.scalings:
        specs.append((f"{method}:auto", [n for n in lengths if n > L], 0, DEFAULT_DEPTHS))
    return specs


class _Bar:
    """One rich progress bar over the whole study, advanced in work units (tokens trained + evaluated).

    When stderr is not a terminal (``posenc study > log 2>&1``, nohup, CI), rich draws no live bar, so
    each new stage is printed as one line instead, with the work done so far and the ETA."""

    def __init__(
        self,
        enabled: bool,
        total: float,
        on_progress: Callable[[float, str], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.enabled, self.clock, self.t0 = enabled, clock, clock()
        # on_progress(fraction done, stage) for a caller without a terminal (the web lab's worker)
        self.on_progress, self.total, self.done, self.text = on_progress, total, 0.0, ""
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.console = Console(stderr=True)
            self.progress = Progress(
                TextColumn("[bold]study[/] {task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA {task.fields[eta]}"),
                console=self.console,
            )
            self.task = self.progress.add_task("", total=total, eta="?")

    def __enter__(self):
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.progress.stop()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(min(1.0, self.done / self.total) if self.total > 0 else 1.0, self.text)

    def describe(self, text: str) -> None:
        self.text = text
        self._report()
        if not self.enabled:
            return
        eta = self._eta_text()
        self.progress.update(self.task, description=text, eta=eta)
        if not self.console.is_terminal:
            task = self.progress.tasks[0]
            self.console.print(
                f"study {task.percentage:5.1f}% · {(task.elapsed or 0) / 60:.1f} min elapsed · "
                f"ETA {eta} · {text}",
                highlight=False,
                markup=False,
            )

    def eta_s(self) -> float | None:
        """Seconds left at this session's average rate (work done since the bar started, cached work
        excluded), or None before any work is done. The study advances once per model, so rich's rate
        over the last 30 s would swing between nothing and everything."""
        if self.done <= 0:
            return None
        return (self.clock() - self.t0) * max(0.0, self.total - self.done) / self.done

    def _eta_text(self) -> str:
        eta = self.eta_s()
        return "?" if eta is None else f"{eta / 60:.0f} min"

    def note(self, text: str) -> None:
        """A line the user must read (why cached numbers were not reused), printed above the bar."""
        if self.enabled:
            self.console.print(text, highlight=False, markup=False)

    def advance(self, units: float) -> None:
        self.done += units
        self._report()
        if self.enabled:
            self.progress.update(self.task, advance=units, eta=self._eta_text())

    def skip(self, units: float) -> None:
        """Work found done (cached) leaves the total, so the ETA counts only work still to do."""
        self.total = max(0.0, self.total - units)
        self._report()
        if self.enabled:
            total = self.progress.tasks[0].total or 0.0
            self.progress.update(self.task, total=max(0.0, total - units))


def _eval_units(
    lengths: list[int], windows: int, trials: int, depths: tuple[float, ...] = DEFAULT_DEPTHS
) -> float:
    # a forward pass costs about a third of a training step's tokens; passkey trials are one window each
    return sum(n * (windows + trials * len(depths)) for n in lengths) / 3


def run_study(
    preset: str | StudyPreset = "default",
    out_dir: str | Path = DEFAULT_OUT,
    *,
    device: str | None = None,
    progress: bool = True,
    on_progress: Callable[[float, str], None] | None = None,
) -> dict:
    """Run (or resume) the study; returns the results dict also written to OUT/results.json.

    ``on_progress(fraction, stage)``, when given, is called at each stage and as work completes
    (the fraction of the work left to do, cached runs excluded, now done), with or without a bar.

    Raises ValueError for an unknown preset, NotADirectoryError when ``out_dir`` is a file,
    KeyboardInterrupt when a training was interrupted (its checkpoint is kept; run again to resume).
    """
    from posenc.evaluate import evaluate_run
    from posenc.evaluate.run import cached_rows, expected_basis
    from posenc.study import plots, report
    from posenc.study import results as study_results
    from posenc.train import train

    spec = get_preset(preset) if isinstance(preset, str) else preset
    if not isinstance(out_dir, (str, Path)) or not str(out_dir).strip():
        raise ValueError(
            f"--out must name a folder, got {out_dir!r} (an empty path would be the current folder)"
        )
    device = check_device(spec, device)
    out = prepare_out_dir(out_dir)
    if not os.access(out, os.W_OK):
        raise PermissionError(f"--out {str(out)!r} is not writable")
    runs_dir = out / "runs"
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    earlier = _earlier_wall_time(out, spec.name)
    jobs = plan(spec)
    total = sum(
        job.tokens + sum(_eval_units(n, spec.eval_windows, k, d) for _, n, k, d in _eval_specs(job, spec))
        for job in jobs
    )
    trained, evaluated, train_info, eval_rows, stale = [], [], {}, {}, {}
    eval_device = "cuda" if device == "cuda" else ("cpu" if device == "cpu" else None)
    fillers: dict = {}  # held-out filler of the retrieval checks, by (corpus, held-out fraction)
    with _Bar(progress, total, on_progress) as bar:
        for job in jobs:
            run_dir = runs_dir / job.run_name
            mcfg, tcfg = _configs(job, spec, device)
            bar.describe(f"training {job.run_name} ({'up to ' if job.criterion else ''}{job.steps} steps)")
            exists = (run_dir / "config.json").exists() or (run_dir / "checkpoint.pt").exists()
            if not exists and job.init_from is not None:
                _seed_finetune(run_dir, runs_dir / job.init_from, mcfg, tcfg)
                exists = True
            t_train = time.perf_counter()
            summary = _finished(run_dir, mcfg, tcfg) if exists else None
            if summary is None:  # new, or interrupted: train() starts it or continues from its checkpoint
                check = {}
                if job.criterion is not None:
                    check = {
                        "check_every": job.criterion.every,
                        "on_check": make_check(
                            job.criterion, _filler(fillers, tcfg), job.train_length, spec.eval_batch_size
                        ),
                    }
                try:
                    summary = train(mcfg, tcfg, run_dir, resume=exists, progress=False, **check)
                except ValueError as err:
                    if not str(err).startswith("cannot resume"):
                        raise
                    # a model an older posenc trained with other settings (e.g. a retrieval-arm model
                    # of a fixed step count, before the criterion): say how to get past it
                    raise ValueError(
                        f"{err}. This model was trained with other settings (an older posenc or another "
                        f"preset): delete {str(run_dir)!r} to train it again with this preset (the other "
                        "models and their evaluations are kept), or pass another --out"
                    ) from None
            if summary["interrupted"]:
                raise KeyboardInterrupt(f"training of {job.run_name} interrupted at step {summary['step']}")
            if summary.get("resumed_from") != summary["step"]:
                trained.append(job.run_name)
                _save_wall_time(out, spec.name, time.perf_counter() - t0, earlier)
            train_info[job.run_name] = {
                "name": job.name,
                "seed": job.seed,
                "role": job.role,
                "pe": job.pe,
                "pe_options": job.pe_options,
                "train_length": job.train_length,
                "steps": summary["step"],
                "batch_size": job.batch_size,
                "tokens": summary["tokens"],
                "init_from": job.init_from,
                "train_loss": summary["train_loss"],
                "heldout_loss": summary["heldout_loss"],
                "params": summary["params"],
                "tokens_per_s": summary.get("tokens_per_s"),  # of the session that finished the run
                "seconds": summary.get("elapsed_s"),  # training time of that session
                "seconds_this_session": time.perf_counter() - t_train,
                "dir": str(Path("runs") / job.run_name),
                **criterion_info(job, summary),
            }
            done = min(job.tokens, summary["tokens"])  # a run that met its criterion stopped before its cap
            (bar.advance if job.run_name in trained else bar.skip)(done)
            bar.skip(job.tokens - done)
            for scaling, lengths, trials, depths in _eval_specs(job, spec):
                key = scaling or NO_SCALING
                bar.describe(f"evaluating {job.run_name} ({key})")
                # seed 0: the same windows and passkey prompts for every model
                settings = {
                    "n_windows": spec.eval_windows,
                    "passkey_trials": trials,
                    "seed": 0,
                    "passkey_depths": depths,
                }
                basis = expected_basis(run_dir, scaling, **settings)
                rows, why = cached_rows(run_dir, key, lengths, basis)
                units = _eval_units(lengths, spec.eval_windows, trials, depths)
                if rows is not None:
                    bar.skip(units)
                else:
                    if why is not None:  # rows exist but were made otherwise: say so, then measure again
                        stale[f"{job.run_name}:{key}"] = why
                        bar.note(f"evaluating {job.run_name} ({key}) again: {why}")
                    entry = evaluate_run(
                        run_dir,
                        lengths=[str(n) for n in lengths],
                        rope_scaling=scaling,
                        n_windows=spec.eval_windows,
                        passkey_trials=trials,
                        passkey_depths=depths,
                        batch_size=spec.eval_batch_size,
                        seed=settings["seed"],
                        device=eval_device,
                    )
                    rows = entry["rows"]
                    evaluated.append(f"{job.run_name}:{key}")
                    _save_wall_time(out, spec.name, time.perf_counter() - t0, earlier)
                    bar.advance(units)
                eval_rows.setdefault(job.run_name, {})[key] = rows
        bar.describe("plots and report")
        results = study_results.build_results(
            spec,
            jobs=[(job.run_name, job.name, job.seed, job.role) for job in jobs],
            train_info=train_info,
            eval_rows=eval_rows,
            meta={
                "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "wall_time_s": time.perf_counter() - t0,
                "device": _device_name(device),
                "versions": _versions(),
                "trained_this_session": trained,
                "evaluated_this_session": evaluated,
                "reevaluated_this_session": stale,  # "run:key" -> why its cached rows were not reused
            },
        )
        results["plots"] = plots.make_plots(results, out)
        wall = _save_wall_time(out, spec.name, time.perf_counter() - t0, earlier)
        results.update({k: wall[k] for k in ("wall_time_s", "wall_time_total_s", "sessions")})
        study_results.write_results(out, results)
        report.write_report(out, results)
    return results


#: the study's wall time so far, every session's: rewritten as each run is trained and each evaluated, so
#: that a session killed before it wrote results.json still counts (up to the end of its last run)
WALL_FILE = "wall_time.json"


def _earlier_wall_time(out: Path, preset: str) -> tuple[float, int]:
    """(wall seconds, sessions) of the earlier sessions of ``preset`` in OUT: from OUT/wall_time.json,
    else (a study of an older posenc) OUT/results.json. Each session adds its own, so a study resumed over
    several sessions reports its whole wall time. (0, 0) when there is none, it is unreadable, or it is
    another preset's."""
    from posenc.study.results import RESULTS_FILE, wall_seconds

    for name in (WALL_FILE, RESULTS_FILE):
        if not (out / name).is_file():  # none yet (or a FIFO, which must not block the study)
            continue
        try:
            earlier = json.loads((out / name).read_text(encoding="utf-8"))
            if earlier.get("preset") != preset:
                return 0.0, 0
            seconds, total, sessions = wall_seconds(earlier)  # inf (1e999) or a bad type: not counted
            return total, sessions
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return 0.0, 0
    return 0.0, 0


def _save_wall_time(out: Path, preset: str, this_s: float, earlier: tuple[float, int]) -> dict:
    """Write OUT/wall_time.json: this session's seconds so far and every session's; returns its fields."""
    fields = {
        "preset": preset,
        "wall_time_s": this_s,
        "wall_time_total_s": earlier[0] + this_s,
        "sessions": earlier[1] + 1,
    }
    write_json_atomic(out / WALL_FILE, fields)
    return fields


def check_device(spec: StudyPreset, device: str | None) -> str:
    """The device the study runs on (``--device``, else the preset's); ``ValueError`` saying what to do
    when it cannot run there: a CUDA preset (``gpu``: bf16, 6.6 M tokens per model) on a machine without
    CUDA, or pushed onto the CPU where it would run for many hours, or ``--device cuda`` with no GPU."""
    device = device or spec.device
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, got {device!r}")
    has_cuda = torch.cuda.is_available()
    if spec.device == "cuda" and (device == "cpu" or not has_cuda):
        why = "--device cpu was given" if device == "cpu" else "no CUDA GPU is visible here"
        raise ValueError(
            f"--preset {spec.name} is sized for a CUDA GPU ({spec.description}) and {why}: on a CPU it "
            "would run for many hours in bfloat16. On a CPU use --preset default (about 35 min on 2 cores) "
            "or --preset full"
        )
    if device == "cuda" and not has_cuda:
        raise ValueError("--device cuda: no CUDA GPU is visible here; leave --device out or use --device cpu")
    return device


def _device_name(device: str) -> str:
    if device != "cpu" and torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    # the kernels' instruction set decides the float summation order (softmax's, at least): a run on
    # AVX2 kernels is not bit-identical to one on AVX-512 (ATEN_CPU_CAPABILITY picks them), while runs on
    # 1 and 2 threads are (torch splits the work among threads, not the sums)
    kernels = torch.backends.cpu.get_cpu_capability()
    return f"cpu ({os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}, {kernels} kernels)"


def _versions() -> dict[str, str]:
    from posenc import __version__

    return {"posenc": __version__, "torch": torch.__version__, "python": platform.python_version()}


__all__ = ["Job", "plan", "run_study"]
