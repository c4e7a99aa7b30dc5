"""Evaluate a trained run at several lengths: perplexity, last-L perplexity, passkey retrieval.

``evaluate_run(RUN, lengths=["1x", "2x", ...], rope_scaling="yarn:4")`` loads RUN/checkpoint.pt,
cuts the same evaluation windows for every model (``posenc.data.eval_windows`` over the held-out
files of the run's corpus) and writes ``RUN/eval.json``:

    {
      "format": "posenc-eval/1",
      "run": "runs/rope", "pe": "rope", "train_length": 128,
      "evals": {                         # one entry per RoPE scaling spec, never clobbered
        "none":   {"rope_scaling": null,     "updated": "2025-...Z", "rows": [ROW, ...]},
        "yarn:4": {"rope_scaling": "yarn:4", "updated": "...",       "rows": [ROW, ...]}
      }
    }

    ROW = {"length": 256, "multiple": 2.0, "status": "ok",       # or "n/a" with "reason"
           "basis": BASIS,                                        # what determined these numbers
           "windows": 64, "tokens": 16384, "loss": 1.52, "ppl": 4.57,   # tokens = windows * length
           "last": 128, "last_tokens": 8192, "last_loss": 1.61, "last_ppl": 5.0,
           "segment_loss": [1.45, 1.61],          # mean loss of positions [k*L, (k+1)*L)
           "passkey": {"trials": 50, "accuracy": 0.1, "digit_accuracy": 0.42, "depth": 0.5, "seed": 0},
           "rope_scaling_applied": {"rope_type": "yarn", "factor": 4.0} | null,
           "seed": 0, "step": 2000,
           "sha256": "…"}                        # of the row's canonical JSON, basis included

    BASIS = {"eval_version": 2,                  # EVAL_VERSION: bumped when what is measured changes
             "model_sha256": "…",                # the weights and model config (checkpoint.model_fingerprint)
             "step": 2000,
             "corpus": "built-in stdlib-3.11",   # or the resolved path of --corpus / the training corpus
             "corpus_sha256": "…",               # the held-out tokens the windows and prompts come from
             "heldout_fraction": 0.1, "seed": 0, "windows": 64, "passkey_trials": 50,
             "rope_scaling": "yarn:4" | null}

Rows of a new evaluation replace the rows of the same length under the same scaling spec and
keep the others, so ``--lengths 32x`` later adds a row. A learned-PE model beyond its table
gets ``status: "n/a"`` with ``reason: "learned positions cannot extrapolate"``. An evaluation on
another corpus than the run's own (``--corpus``) is kept under its own key, ``"none @ /path/other.txt"``,
so it never mixes with (or replaces) the numbers on the training corpus.

A cached row is worth reusing only when its ``basis`` equals the basis of the evaluation that would
be run now and its ``sha256`` still matches its numbers: :func:`cached_rows` checks both (the study
uses it) and says why rows are stale or untrusted (edited, or written before rows had a checksum).
eval.json is read back through its schema (:mod:`posenc.evaluate.eval_schema`).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import torch

from posenc.atomic import atomic_write_text
from posenc.data import eval_windows, load_corpus
from posenc.data.passkey import MIN_LENGTH
from posenc.evaluate.eval_schema import EVAL_FORMAT
from posenc.evaluate.eval_schema import SCHEMA as EVAL_SCHEMA
from posenc.evaluate.passkey import passkey_accuracy
from posenc.evaluate.perplexity import perplexity
from posenc.evaluate.specs import LengthSpec, RopeScaling, parse_lengths, parse_rope_scaling
from posenc.results.jsonsafe import to_jsonable
from posenc.results.schema import load_json, seal_problem, sealed

DEFAULT_LENGTHS = ("1x", "2x", "4x", "8x", "16x")
DEFAULT_DEPTHS = (0.5,)  # the passkey's key in the middle of the text
EVAL_FILE = "eval.json"
#: the evaluation's own version, part of every row's basis: bump it when a change of this code changes
#: the numbers (windows, loss, passkey prompts), so rows measured by an older posenc are not reused
EVAL_VERSION = 2
NO_SCALING = "none"
NA_LEARNED = "learned positions cannot extrapolate"


def default_device() -> str:
    """``"cuda"`` when a GPU is present, ``"cpu"`` otherwise."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def check_run_dir(run_dir: str | Path) -> Path:
    """The run folder as a Path; ``FileNotFoundError`` naming it when it is missing or has no checkpoint."""
    if not isinstance(run_dir, (str, Path)) or not str(run_dir).strip():
        raise ValueError(f"RUN must be a run folder written by posenc train, got {run_dir!r}")
    path = Path(run_dir).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"run folder {str(path)!r} does not exist")
    if not path.is_dir():
        raise NotADirectoryError(f"run folder {str(path)!r} is not a folder")
    if not (path / "checkpoint.pt").is_file():
        raise FileNotFoundError(
            f"run folder {str(path)!r} has no checkpoint.pt (train it first: posenc train)"
        )
    return path


def rotary_pairs(model: torch.nn.Module) -> int:
    """Rotated feature pairs per head (rotary_dim // 2): what longrope's factor lists are sized for."""
    rotary_dim = getattr(model.pe, "rotary_dim", None)
    if rotary_dim is None:
        partial = float(model.config.pe_options.get("partial_rotary_factor", 1.0))
        rotary_dim = int(model.config.head_dim * partial)
    return int(rotary_dim) // 2


def check_rope_scaling(model: torch.nn.Module, scaling: RopeScaling) -> None:
    """Raise ``ValueError`` naming --rope-scaling when the model's encoding is not RoPE."""
    try:
        model.set_rope_scaling(None)  # a probe: raises on a non-RoPE model, changes nothing otherwise
    except ValueError:
        raise ValueError(
            f"--rope-scaling {scaling.label}: this run's position encoding is {model.config.pe!r}; "
            "RoPE scaling applies only to rope models (leave --rope-scaling out)"
        ) from None


def run_corpus(meta: dict) -> tuple[str | None, float]:
    """(corpus path, held-out fraction) a run was trained with, from its checkpoint's train config.

    ``None`` is the built-in corpus; the fraction defaults to 0.1 (``TrainConfig``'s default).
    """
    train_config = meta.get("train_config") or {}
    corpus = train_config.get("corpus")
    return (str(corpus) if corpus else None), float(train_config.get("heldout_fraction", 0.1))


@functools.lru_cache(maxsize=2)
def _builtin_corpus(heldout_fraction: float):
    """The built-in corpus (seconds to read), read once per process: experiments evaluate many runs."""
    return load_corpus(None, heldout_fraction)


def _load_corpus(path: str | Path | None, heldout_fraction: float):
    return _builtin_corpus(heldout_fraction) if path is None else load_corpus(path, heldout_fraction)


def _same_path(a: str | Path | None, b: str | Path | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def eval_key(rope_scaling: RopeScaling | None, corpus_source: str | None = None) -> str:
    """The key of an evaluation in eval.json: the scaling label (``"none"``, ``"yarn:4"``), followed by
    ``" @ CORPUS"`` when it was made on another corpus than the run's own."""
    key = rope_scaling.label if rope_scaling is not None else NO_SCALING
    return f"{key} @ {corpus_source}" if corpus_source else key


def check_counts(n_windows: object, passkey_trials: object, batch_size: object) -> None:
    """``ValueError`` naming the option when --windows or --batch-size is not an integer ≥ 1, or
    --passkey-trials not one ≥ 0 (a bool is not a count)."""
    for name, value, low in (
        ("--windows", n_windows, 1),
        ("--passkey-trials", passkey_trials, 0),
        ("--batch-size", batch_size, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def check_depths(depths: Sequence[float]) -> tuple[float, ...]:
    """The passkey depths as a tuple of floats in [0, 1]; ``ValueError`` naming --passkey-depths."""
    try:
        values = tuple(float(d) for d in depths)
    except (TypeError, ValueError):
        raise ValueError(f"--passkey-depths must be numbers in [0, 1], got {depths!r}") from None
    if not values or any(not 0.0 <= d <= 1.0 for d in values):  # NaN fails the comparison too
        raise ValueError(f"--passkey-depths must be one or more numbers in [0, 1], got {depths!r}")
    return values


def _basis(
    model_sha256: str,
    step,
    data,
    heldout_fraction: float,
    seed: int,
    n_windows: int,
    trials: int,
    scaling,
    depths: tuple[float, ...] = DEFAULT_DEPTHS,
) -> dict:
    # depths enter the basis only when they differ from the default, so rows measured before depths
    # could be chosen (key in the middle) stay valid
    return ({} if tuple(depths) == DEFAULT_DEPTHS else {"passkey_depths": list(depths)}) | {
        "eval_version": EVAL_VERSION,
        "model_sha256": model_sha256,
        "step": step,
        "corpus": data.source,
        "corpus_sha256": data.fingerprint("heldout"),
        "heldout_fraction": heldout_fraction,
        "seed": seed,
        "windows": n_windows,
        "passkey_trials": trials,
        "rope_scaling": scaling.label if scaling is not None else None,
    }


def expected_basis(
    run_dir: str | Path,
    rope_scaling: str | RopeScaling | None = None,
    *,
    n_windows: int = 64,
    passkey_trials: int = 50,
    seed: int = 0,
    passkey_depths: Sequence[float] = DEFAULT_DEPTHS,
) -> dict:
    """The basis an evaluation of RUN on its own corpus would have now (see the module docstring):
    reads the checkpoint (no model is built) and the run's corpus, runs nothing."""
    from posenc.train.checkpoint import CHECKPOINT_NAME, load_checkpoint, model_fingerprint

    scaling = rope_scaling if isinstance(rope_scaling, RopeScaling) else parse_rope_scaling(rope_scaling)
    run_path = check_run_dir(run_dir)
    state = load_checkpoint(run_path / CHECKPOINT_NAME)
    trained_corpus, heldout_fraction = run_corpus(state)
    data = _load_corpus(trained_corpus, heldout_fraction)
    return _basis(
        model_fingerprint(state["model"], state["model_config"]),
        state["step"],
        data,
        heldout_fraction,
        seed,
        n_windows,
        passkey_trials,
        scaling,
        check_depths(passkey_depths),
    )


_BASIS_WORDS = {
    "eval_version": "evaluation version",
    "model_sha256": "model weights",
    "step": "checkpoint step",
    "corpus": "corpus",
    "corpus_sha256": "corpus content",
    "heldout_fraction": "held-out fraction",
    "seed": "seed",
    "windows": "windows",
    "passkey_trials": "passkey trials",
    "rope_scaling": "RoPE scaling",
    "passkey_depths": "passkey depths",
}


def _short(value) -> str:
    text = repr(value)
    return text[:13] + "…'" if isinstance(value, str) and len(value) == 64 else text


def basis_difference(row_basis, basis: dict) -> str | None:
    """Why a row made on ``row_basis`` cannot stand for an evaluation on ``basis``; None when it can."""
    if not isinstance(row_basis, dict):
        return "it was made by an older posenc that did not record its corpus, weights and settings"
    for key, words in _BASIS_WORDS.items():
        if row_basis.get(key) != basis.get(key):
            return f"its {words} was {_short(row_basis.get(key))}, now {_short(basis.get(key))}"
    return None


def cached_rows(run_dir: str | Path, key: str, lengths: Sequence[int], basis: dict):
    """``(rows, reason)``: the rows of RUN/eval.json under ``key`` for every one of ``lengths`` when each
    was made on exactly ``basis`` (same model, corpus content, seed, windows, passkey trials, scaling,
    evaluation version), else ``(None, reason)``. ``reason`` is None when rows are simply missing
    (nothing to tell), a sentence naming the length and the difference when rows exist but are stale,
    or were edited (their ``sha256`` fails), or carry no checksum (an older posenc), or the file is not
    a posenc eval file."""
    path = Path(run_dir) / EVAL_FILE
    if not path.is_file():
        return None, None
    try:
        entry = read_eval(path).get(key)
    except (OSError, ValueError) as err:
        return None, _first_line(err)
    if entry is None:
        return None, None
    by_length = {row["length"]: row for row in entry["rows"]}
    out = []
    for n in lengths:
        row = by_length.get(n)
        if row is None:
            return None, None
        why = basis_difference(row.get("basis"), basis)
        if why is not None:
            return None, f"{path}: the {key!r} row at length {n} is stale: {why}"
        untrusted = seal_problem(row)  # an edited number must never reach the study's report
        if untrusted is not None:
            return None, f"{path}: the {key!r} row at length {n} {untrusted}"
        out.append(row)
    return out, None


def _first_line(err: BaseException) -> str:
    return (str(err).strip() or type(err).__name__).splitlines()[0]


def evaluate_run(
    run_dir: str | Path,
    lengths: str | Sequence[str] = DEFAULT_LENGTHS,
    rope_scaling: str | RopeScaling | None = None,
    *,
    write: bool = True,
    **settings,
) -> dict:
    """Evaluate RUN at each length and merge the results into ``RUN/eval.json``.

    Args:
        lengths: ``"1x,2x"`` or a list of items; ``Nx`` = N times the training length L, or tokens.
        rope_scaling: a spec (``"yarn:4"``, ``"ntk:auto"``, see ``posenc.evaluate.specs``) or None.
        n_windows: evaluation windows per length (each of ``length`` predicted tokens).
        passkey_trials: passkey trials per length (and per depth); 0 skips the passkey test.
        passkey_depths: where the key is hidden, 0 = the start of the text (farthest from the
            question) to 1 = just before the question. The row's ``passkey`` is the first depth's;
            with more than one, ``passkey_by_depth`` lists each (``{"depth", "accuracy",
            "digit_accuracy"}``) and the basis records the depths.
        corpus: held-out text to evaluate on; ``None`` = the corpus the run was trained on.
        write: merge the results into RUN/eval.json (atomic write), holding the run folder's lock
            (``RUN/train.lock``, :class:`~posenc.train.checkpoint.RunLock`) from before the first
            number is computed until the file is written: ``RunFolderLocked`` at once while a
            ``posenc train`` (or another ``posenc eval``) writes the same folder.
        progress: show a rich progress bar.

    Returns:
        this evaluation's entry: ``{"rope_scaling", "updated", "rows"}`` (rows in the given order),
        plus ``"run"``, ``"pe"``, ``"train_length"`` and ``"path"`` (eval.json, or None).
    """
    if not write:
        return _evaluate_run(run_dir, lengths, rope_scaling, write=False, **settings)
    from posenc.train.checkpoint import RunLock

    run_path = check_run_dir(run_dir)
    check_writable(run_path)  # a read-only folder: said before the lock file is tried
    with RunLock(run_path, holder="posenc eval"):
        return _evaluate_run(run_path, lengths, rope_scaling, write=True, **settings)


def _evaluate_run(
    run_dir: str | Path,
    lengths: str | Sequence[str] = DEFAULT_LENGTHS,
    rope_scaling: str | RopeScaling | None = None,
    *,
    n_windows: int = 64,
    passkey_trials: int = 50,
    batch_size: int = 16,
    seed: int = 0,
    device: str | None = None,
    corpus: str | Path | None = None,
    write: bool = True,
    progress: bool = False,
    passkey_depths: Sequence[float] = DEFAULT_DEPTHS,
) -> dict:
    """:func:`evaluate_run`'s work, its lock held when it writes."""
    specs = parse_lengths(lengths)
    scaling = parse_rope_scaling(rope_scaling) if not isinstance(rope_scaling, RopeScaling) else rope_scaling
    check_counts(n_windows, passkey_trials, batch_size)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"--seed must be an integer in [0, 2^63), got {seed!r}")
    depths = check_depths(passkey_depths)
    run_path = check_run_dir(run_dir)
    if write:  # before any computing: a file that cannot be merged or written fails now, not after
        read_eval(run_path / EVAL_FILE)
        check_writable(run_path)

    from posenc.train.checkpoint import load_model

    model, meta = load_model(run_path, device=device or default_device())
    model.eval()
    train_len = model.config.max_seq_len
    if scaling is not None:
        check_rope_scaling(model, scaling)
    lengths_tokens = list(dict.fromkeys(spec.resolve(train_len) for spec in specs))  # dedupe, keep order
    trained_corpus, heldout_fraction = run_corpus(meta)
    foreign = corpus is not None and not _same_path(corpus, trained_corpus)
    data = _load_corpus(corpus if foreign else trained_corpus, heldout_fraction)
    key = eval_key(scaling, data.source if foreign else None)
    basis = _basis(
        meta["model_sha256"],
        meta.get("step"),
        data,
        heldout_fraction,
        seed,
        n_windows,
        passkey_trials,
        scaling,
        depths,
    )
    files, filler = data.file_tokens("heldout"), data.tokens("heldout")
    table_size = model.pe.max_positions  # None unless the encoding is a finite table (learned)

    rows = []
    with progress_bar(progress) as bar:
        for length in lengths_tokens:
            row = {
                "length": length,
                "multiple": length / train_len,
                "seed": seed,
                "step": meta.get("step"),
                "basis": basis,
            }
            if table_size is not None and length > table_size:
                rows.append(sealed({**row, "status": "n/a", "reason": NA_LEARNED}))
                continue
            applied = scaling.to_dict(length, train_len, rotary_pairs(model)) if scaling else None
            if scaling is not None:
                model.set_rope_scaling(applied)
            run_passkey = passkey_trials > 0 and length >= MIN_LENGTH
            n_trials = passkey_trials * len(depths) if run_passkey else 0
            task = bar.add_task(f"length {length}", total=n_windows + n_trials)
            windows = eval_windows(files, length, n_windows, seed)
            ppl = perplexity(
                model,
                windows,
                batch_size,
                last=min(train_len, length),
                on_batch=lambda k, task=task: bar.advance(task, k),
            )
            by_depth = []
            for depth in depths if run_passkey else ():
                result = passkey_accuracy(
                    model,
                    length,
                    passkey_trials,
                    seed,
                    filler=filler,
                    depth=depth,
                    batch_size=batch_size,
                    on_batch=lambda k, task=task: bar.advance(task, k),
                )
                del result["length"]
                by_depth.append(result)
            extra = {"passkey_by_depth": by_depth} if len(depths) > 1 and by_depth else {}
            passkey = by_depth[0] if by_depth else None
            measured = {**ppl, "passkey": passkey, **extra, "rope_scaling_applied": applied}
            # with its checksum: an edited number is found when the row is read back
            rows.append(sealed({**row, "status": "ok", **measured}))
    if scaling is not None:
        model.set_rope_scaling(None)

    entry = {
        "rope_scaling": scaling.label if scaling else None,
        "corpus": data.source,
        "updated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rows": rows,
    }
    header = {"run": str(run_path), "pe": model.config.pe, "train_length": train_len}
    path = write_eval(run_path / EVAL_FILE, header, entry, key=key) if write else None
    return {**header, **entry, "key": key, "path": str(path) if path else None}


def read_eval(path: Path) -> dict:
    """The ``evals`` of an existing eval.json at ``path`` ({} when there is none), checked against its
    schema (:mod:`posenc.evaluate.eval_schema`: strict JSON, finite numbers, bounded nesting, each
    field's type): :class:`~posenc.results.schema.SchemaError`, one line naming the file and the field,
    when it is not a posenc eval file (a list ``length`` made the merge fail after all the computing)."""
    if not (path.exists() or path.is_symlink()):
        return {}
    data = load_json(path, EVAL_SCHEMA, advice="fix it or move the file away", what="eval file")
    return data["evals"]


def check_writable(folder: Path) -> None:
    """``ValueError`` naming ``folder`` when a file cannot be created in it (read-only folder or file
    system), so ``posenc eval`` says so before computing rather than failing to write after it."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".posenc-write-check-", dir=folder)
    except OSError as err:
        raise ValueError(
            f"cannot write {EVAL_FILE} in {folder} ({err.strerror or err}); make the folder writable, or "
            "evaluate a copy of the run"
        ) from None
    os.close(fd)
    os.unlink(probe)


def write_eval(path: Path, header: dict, entry: dict, key: str | None = None) -> Path:
    """Merge ``entry`` into eval.json at ``path`` under ``key`` (default: its scaling label, or "none");
    atomic (temp + os.replace).

    Rows replace earlier rows of the same length under the same key; other keys are kept.
    Raises ``ValueError`` naming the file when an existing eval.json is not ours or not JSON.
    """
    data = {"format": EVAL_FORMAT, **header, "evals": read_eval(path)}
    key = key or entry["rope_scaling"] or NO_SCALING
    old_entry = data["evals"].get(key)
    by_length = {row["length"]: row for row in (old_entry["rows"] if old_entry else [])}
    by_length.update({row["length"]: row for row in entry["rows"]})
    data["evals"][key] = {**entry, "rows": [by_length[n] for n in sorted(by_length, key=_length_order)]}
    atomic_write_text(path, json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n")
    return path


def _length_order(length) -> tuple:
    return (0, length, "") if isinstance(length, (int, float)) else (1, 0, str(length))


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, *args, **kwargs) -> int:
        return 0

    def advance(self, *args) -> None:
        pass


def progress_bar(show: bool):
    """A rich progress bar on stderr (stdout may carry --json), or a stand-in that shows nothing (and
    imports nothing); used by ``posenc eval`` on a run and on your own model."""
    if not show:
        return _NoBar()
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        console=Console(stderr=True),
    )


__all__ = [
    "DEFAULT_LENGTHS",
    "EVAL_FILE",
    "EVAL_VERSION",
    "LengthSpec",
    "cached_rows",
    "eval_key",
    "evaluate_run",
    "expected_basis",
    "write_eval",
]
