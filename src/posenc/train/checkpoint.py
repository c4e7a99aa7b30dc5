"""Checkpoints and run folders: atomic writes, safe loads, checksums, and ``load_model``.

A run folder holds:

    RUN/config.json              the model and train configs (for people; the checkpoint holds them too)
    RUN/checkpoint.pt            the latest training state (replaced atomically)
    RUN/checkpoint.safetensors   its model weights
    RUN/checkpoint.prev.pt       the checkpoint before it, and its weights: the fallback when the
    RUN/checkpoint.prev.safetensors   latest is found corrupt
    RUN/log.jsonl                one JSON object per line: progress, held-out losses, start/stop events

No pickled code is ever executed. The weights are a safetensors file (tensors and a JSON header, no
pickle at all); the rest of the state is a plain dict of tensors and Python primitives, read back with
``torch.load(..., weights_only=True)`` only:

    format "posenc-checkpoint", version 2, step (optimizer steps done; since batches are a
    function of the step, it is also the data position), optimizer (state dict), rng (torch CPU /
    CUDA and Python ``random`` states), model_config, train_config (dicts), world_size, metrics
    (losses at that step), torch_version, model_file (the weights' file name), model_sha256 (SHA-256
    of that file), state_sha256 (a digest of every other entry, tensors included).

Corruption (a bit flip, a copy cut short, a damaged disk) is caught by those two checksums, or by the
file failing to load; the previous checkpoint is then used, with a warning. Saving keeps
``checkpoint.pt`` present and loadable at every instant: the current pair becomes the previous one
(the weights renamed, the state hard-linked), then the new weights and the new state are written,
each atomically; the state names its weights by checksum, so a kill at any point leaves a consistent
pair. Version-1 checkpoints (weights inside checkpoint.pt, posenc 0.1.0) are still read.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as save_safetensors
from torch import nn

from posenc.atomic import atomic_write, file_sha256, regular_file
from posenc.results.schema import JSON, Obj, Opt, load_json, validate

CHECKPOINT_FORMAT = "posenc-checkpoint"
CHECKPOINT_VERSION = 2
CHECKPOINT_NAME = "checkpoint.pt"
WEIGHTS_FORMAT = "posenc-weights"
CONFIG_NAME = "config.json"
LOG_NAME = "log.jsonl"
_REQUIRED = ("step", "model", "model_config")


def rng_state() -> dict[str, Any]:
    """The random number generators' states: torch CPU, every CUDA device (if used), Python."""
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved (CUDA states only when the device count matches)."""
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    cuda = state.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def save_checkpoint(
    path: str | Path,
    *,
    model: nn.Module,
    model_config: dict[str, Any],
    step: int,
    optimizer: torch.optim.Optimizer | None = None,
    train_config: dict[str, Any] | None = None,
    world_size: int = 1,
    metrics: dict[str, Any] | None = None,
    keep_previous: bool = True,
) -> Path:
    """Write a checkpoint of ``model`` (unwrapped: not DDP, not compiled) at ``step``: the weights to
    ``PATH.safetensors``, the rest to ``PATH`` (see the module docstring), the previous checkpoint kept
    as ``PATH.prev``. The RNG states are taken here. Returns ``path``.

    keep_previous: False replaces ``PATH`` and leaves ``PATH.prev`` as it is — for the first save of a
        run resumed from ``PATH.prev`` (the latest was missing or damaged: it must not become the
        previous checkpoint, the one intact pair would be lost).
    """
    path = Path(path)
    weights = weights_bytes(model.state_dict(), step)
    state = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "step": int(step),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "rng": rng_state(),
        "model_config": model_config,
        "train_config": train_config,
        "world_size": int(world_size),
        "metrics": metrics or {},
        "torch_version": str(torch.__version__),  # a plain str: TorchVersion is not weights-only safe
        "model_file": _weights_path(path).name,
        "model_sha256": hashlib.sha256(weights).hexdigest(),
    }
    state["state_sha256"] = _digest(state)
    if keep_previous:
        _keep_as_previous(path)
    atomic_write(_weights_path(path), lambda f: f.write(weights))
    atomic_write(path, lambda f: torch.save(state, f))
    return path


def weights_bytes(state_dict: dict[str, torch.Tensor], step: int = 0) -> bytes:
    """A state dict as safetensors bytes. Tensors that share storage (a tied LM head) are stored once;
    the header's ``aliases`` (JSON) maps the other names to the stored one."""
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    for name, tensor in state_dict.items():
        tensor = tensor.detach()
        key = (tensor.device, tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tensor.dtype,
               tuple(tensor.shape), tuple(tensor.stride()))  # fmt: skip
        if key in seen:
            aliases[name] = seen[key]
            continue
        seen[key] = name
        tensors[name] = tensor.to("cpu").contiguous().clone()  # its own storage: safetensors needs that
    metadata = {"format": WEIGHTS_FORMAT, "step": str(int(step)), "aliases": json.dumps(aliases)}
    return _canonical_header(save_safetensors(tensors, metadata=metadata))


def _canonical_header(data: bytes) -> bytes:
    """safetensors bytes with their JSON header in one fixed order (metadata keys sorted, tensors by
    offset), so that the same weights always give the same bytes and ``model_sha256``: safetensors
    writes its metadata in hash-map order, which changes from one call to the next."""
    size = int.from_bytes(data[:8], "little")  # an 8-byte little-endian header size, the header, the data
    header = json.loads(data[8 : 8 + size])
    ordered: dict[str, Any] = {}
    if "__metadata__" in header:
        ordered["__metadata__"] = dict(sorted(header.pop("__metadata__").items()))
    for name in sorted(header, key=lambda n: (header[n]["data_offsets"], n)):
        ordered[name] = header[name]
    text = json.dumps(ordered, separators=(",", ":")).encode("ascii")
    text += b" " * (-len(text) % 8)  # padded to 8 bytes, as safetensors aligns the data
    return len(text).to_bytes(8, "little") + text + data[8 + size :]


def _weights_path(path: Path) -> Path:
    return path.with_suffix(".safetensors")


def checkpoint_files(path: str | Path) -> list[Path]:
    """Every file a checkpoint at ``path`` may consist of: the state and weights, latest and previous."""
    path = Path(path)
    return [path, _weights_path(path), previous_path(path), _weights_path(previous_path(path))]


def previous_path(path: str | Path) -> Path:
    """``RUN/checkpoint.prev.pt`` for ``RUN/checkpoint.pt``: where the checkpoint before it is kept."""
    path = Path(path)
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def _keep_as_previous(path: Path) -> None:
    """Make the current checkpoint the previous one, leaving ``path`` readable all along: the weights
    are renamed (the current state finds them by checksum), the state is hard-linked (copied where
    links are not supported); the new state then replaces ``path``."""
    previous = previous_path(path)
    if not path.is_file():  # nothing to keep (deleted, a dangling symlink): the previous pair stays
        return
    if _weights_path(path).exists():
        os.replace(_weights_path(path), _weights_path(previous))
    link = previous.with_name(f".{previous.name}.{os.getpid()}.link.tmp")
    link.unlink(missing_ok=True)
    try:
        os.link(path, link)
        os.replace(link, previous)
        # a kill between this and the new state's write leaves path and previous as one file; renaming a
        # name of a file onto another of its names does nothing (POSIX rename), so the link would stay
        link.unlink(missing_ok=True)
    except OSError:  # a file system without hard links
        link.unlink(missing_ok=True)
        data = path.read_bytes()
        atomic_write(previous, lambda f: f.write(data))


def _digest(value: Any) -> str:
    """SHA-256 of a checkpoint's entries (``state_sha256`` itself left out): tensors by dtype, shape and
    bytes, everything else as sorted JSON; a silent change of any optimizer moment shows."""
    digest = hashlib.sha256()

    def walk(item: Any) -> None:
        if torch.is_tensor(item):
            tensor = item.detach().to("cpu").contiguous()
            digest.update(f"T{tensor.dtype}{tuple(tensor.shape)}".encode())
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(item, dict):
            digest.update(b"{")
            for key in sorted(item, key=repr):
                if key == "state_sha256":
                    continue
                digest.update(repr(key).encode() + b":")
                walk(item[key])
            digest.update(b"}")
        elif isinstance(item, (list, tuple)):
            digest.update(b"[")
            for element in item:
                walk(element)
            digest.update(b"]")
        else:
            digest.update(repr(item).encode())

    walk(value)
    return digest.hexdigest()


class CheckpointFallback(UserWarning):
    """The latest checkpoint was corrupt; the previous one was loaded instead."""


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`: the state with ``torch.load(weights_only=True)``,
    the weights from safetensors into ``state["model"]`` (version 1: from the state itself).

    When ``path`` fails a checksum or cannot be read and ``PATH.prev`` is intact, the previous
    checkpoint is returned instead, with a :class:`CheckpointFallback` warning naming both and the steps.
    Raises ``FileNotFoundError`` when ``path`` is missing and ``ValueError`` naming ``path`` when it is
    corrupt, truncated, not a posenc checkpoint, or from a newer format version, and no intact previous
    checkpoint exists.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        return _load_one(path, map_location)
    except ValueError as err:
        previous = previous_path(path)
        if not previous.is_file():
            raise
        try:
            state = _load_one(previous, map_location)
        except ValueError:
            raise err from None
        warnings.warn(
            f"{err} — using the previous checkpoint {str(previous)!r} (step {state['step']}) instead",
            CheckpointFallback,
            stacklevel=2,
        )
        return state


def load_resume_checkpoint(path: str | Path) -> dict[str, Any] | None:
    """The checkpoint ``train --resume`` continues from, never silently none while one is left.

    ``path`` itself when it is there (the previous one when it is damaged, as :func:`load_checkpoint`);
    when it is missing (deleted, a symlink to nothing, a symlink loop) the previous checkpoint, with a
    :class:`CheckpointFallback` warning; None only when no file of a checkpoint exists at all (a run
    killed before its first one, which starts again from step 0). Raises ``ValueError`` naming ``path``
    when files of a checkpoint remain but none of them is a usable checkpoint.
    """
    path = Path(path)
    if path.exists():
        return load_checkpoint(path)
    left = [p.name for p in checkpoint_files(path) if os.path.lexists(p)]
    if not left:
        return None
    why = _why_missing(path)
    previous = previous_path(path)
    stop = "nothing was changed: restore it from a copy, or train again into a new --out"
    if not previous.exists():
        raise ValueError(
            f"checkpoint {str(path)!r} {why} and no previous checkpoint is left (only {', '.join(left)}); "
            f"resuming would start again from step 0, so {stop}"
        )
    try:
        state = _load_one(previous, "cpu")
    except ValueError as err:
        raise ValueError(
            f"checkpoint {str(path)!r} {why}, and the previous one is unusable ({err}); {stop}"
        ) from None
    warnings.warn(
        f"checkpoint {str(path)!r} {why} — using the previous checkpoint {str(previous)!r} "
        f"(step {state['step']}) instead",
        CheckpointFallback,
        stacklevel=2,
    )
    return state


def _why_missing(path: Path) -> str:
    """Why an absent ``path`` is absent, in words: deleted, a symlink to nothing, or a symlink loop."""
    if not path.is_symlink():
        return "is missing (deleted?)"
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return "is a symlink loop"
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "is a symlink loop"
    return f"is a symlink to nothing ({os.readlink(path)!r})"


def _load_one(path: Path, map_location) -> dict[str, Any]:
    regular_file(path, "checkpoint")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a truncated zip, random bytes, a pickle with code: all unreadable here
        raise ValueError(f"checkpoint {str(path)!r} {_unreadable_reason(err)}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is not a posenc checkpoint (no format {CHECKPOINT_FORMAT!r} entry)")
    version = state.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= CHECKPOINT_VERSION:
        raise ValueError(
            f"checkpoint {str(path)!r} has format version {version!r}; this posenc reads "
            f"versions up to {CHECKPOINT_VERSION}"
        )
    if version >= 2:
        if not isinstance(state.get("state_sha256"), str):
            raise ValueError(
                f"checkpoint {str(path)!r} has no state checksum (state_sha256): it was not written whole "
                "by posenc, or was edited, so nothing in it can be trusted"
            )
        if state["state_sha256"] != _digest(state):
            raise ValueError(
                f"checkpoint {str(path)!r} fails its checksum (state_sha256): it was changed or damaged "
                "after it was written"
            )
        state["model"] = _load_weights(path, state, map_location)
    missing = [key for key in _REQUIRED if key not in state]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} lacks {', '.join(missing)}")
    model = state["model"]
    if not isinstance(model, dict) or not all(torch.is_tensor(v) for v in model.values()):
        raise ValueError(f"checkpoint {str(path)!r}: 'model' is not a state dict of tensors")
    if not isinstance(state["model_config"], dict):
        raise ValueError(f"checkpoint {str(path)!r}: 'model_config' is not a dict")
    if isinstance(state["step"], bool) or not isinstance(state["step"], int) or state["step"] < 0:
        raise ValueError(f"checkpoint {str(path)!r}: 'step' is not a non-negative integer")
    _check_fields(path, state, version)
    state["path"] = str(path)
    return state


_CONFIGS = ("model_config", "train_config", "metrics")
_CONFIGS_SCHEMA = Obj({key: Opt(Obj({})) for key in _CONFIGS})
#: RUN/config.json, as :func:`read_json` checks it (the configs themselves by ModelConfig/TrainConfig)
CONFIG_SCHEMA = Obj({}, optional={"model": Obj({}), "train": Obj({}), "world_size": JSON()})


def _check_fields(path: Path, state: dict[str, Any], version: int) -> None:
    """The shape of what training reads back (a digest proves integrity, not that posenc wrote it):
    ``ValueError`` naming the file and the field. Version 1 (posenc 0.1.0) may lack the optional ones."""

    def bad(field: str, what: str) -> ValueError:
        return ValueError(f"checkpoint {str(path)!r}: {field!r} is not {what}")

    for field in ("train_config", "metrics"):
        if state.get(field) is not None and not isinstance(state[field], dict):
            raise bad(field, "a dict")
    # what is read back as JSON-like data: JSON types, finite numbers, bounded nesting
    validate({key: state.get(key) for key in _CONFIGS}, _CONFIGS_SCHEMA, f"checkpoint {str(path)!r}")
    optimizer = state.get("optimizer")
    if optimizer is not None and not (
        isinstance(optimizer, dict)
        and isinstance(optimizer.get("state"), dict)
        and isinstance(optimizer.get("param_groups"), list)
    ):
        raise bad("optimizer", "an optimizer state dict (with 'state' and 'param_groups')")
    world = state.get("world_size", 1)
    if isinstance(world, bool) or not isinstance(world, int) or world < 1:
        raise bad("world_size", "a positive integer")
    if "rng" not in state and version < 2:
        return
    rng = state.get("rng")
    python = rng.get("python") if isinstance(rng, dict) else None
    if not (
        isinstance(rng, dict)
        and torch.is_tensor(rng.get("torch"))
        and rng["torch"].dtype == torch.uint8
        and isinstance(python, tuple)
        and len(python) == 3
        and isinstance(python[1], tuple)
        and all(isinstance(word, int) for word in python[1])
    ):
        raise bad("rng", "the random number generators' states (torch CPU and Python)")
    cuda = rng.get("cuda")
    if cuda is not None and not (
        isinstance(cuda, (list, tuple)) and all(torch.is_tensor(t) and t.dtype == torch.uint8 for t in cuda)
    ):
        raise bad("rng", "the random number generators' states (CUDA)")


def _load_weights(path: Path, state: dict[str, Any], map_location) -> dict[str, torch.Tensor]:
    """The weights a version-2 state names by checksum: its own file, else the previous checkpoint's
    (a save killed between renaming the weights and writing the new state leaves them there)."""
    wanted = state.get("model_sha256")
    if not isinstance(wanted, str):
        raise ValueError(f"checkpoint {str(path)!r} names no weights (model_sha256)")
    own = path.with_name(str(state.get("model_file") or _weights_path(path).name))
    candidates = list(dict.fromkeys([own, _weights_path(path), _weights_path(previous_path(path))]))
    for candidate in candidates:
        if candidate.is_file() and file_sha256(candidate) == wanted:  # in chunks: a huge file costs no memory
            break
    else:
        raise ValueError(
            f"checkpoint {str(path)!r}: its weights {own.name!r} are missing or fail their checksum "
            "(model_sha256): they were changed or damaged after they were written"
        )
    before = os.stat(candidate)
    try:
        with safe_open(candidate, framework="pt", device="cpu") as weights:
            tensors = {name: weights.get_tensor(name) for name in weights.keys()}  # noqa: SIM118
            aliases = json.loads((weights.metadata() or {}).get("aliases") or "{}")
    except (SafetensorError, ValueError, TypeError, OSError) as err:
        raise ValueError(f"weights {str(candidate)!r} are not a safetensors file ({err})") from None
    if not _same_file(before, os.stat(candidate)):
        raise ValueError(
            f"weights {str(candidate)!r} changed while they were read: another program writes them"
        )
    if not isinstance(aliases, dict) or not all(target in tensors for target in aliases.values()):
        raise ValueError(
            f"weights {str(candidate)!r}: the header's 'aliases' name tensors the file does not hold"
        )
    for name, target in aliases.items():
        tensors[name] = tensors[target]  # a tied weight: the same tensor under both names
    if map_location is not None and str(map_location) != "cpu":
        tensors = {name: t.to(map_location) for name, t in tensors.items()}
        for name, target in aliases.items():
            tensors[name] = tensors[target]
    return tensors


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


#: words of torch's own advice on a refused load; posenc never repeats it (it suggests an unsafe load)
_UNSAFE_ADVICE = re.compile(r"weights_only|safe_globals|allowlist|trust|arbitrary code", re.IGNORECASE)


def _unreadable_reason(err: Exception) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in words that never suggest loading it
    unsafely: torch's message advises ``weights_only=False`` or allowlisting globals, which would run
    whatever code the file holds."""
    text = str(err)
    if "Unsupported global" in text or "Unsupported class" in text:
        return (
            "holds pickled Python objects besides tensors, which a safe (weights-only) load refuses and "
            "posenc never runs; it was not written by posenc: train the run again or restore a copy"
        )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    noise = ("WeightsUnpickler error", "Please file an issue", "Check the documentation")
    useful = [line for line in lines if not _UNSAFE_ADVICE.search(line) and not line.startswith(noise)]
    detail = f"{type(err).__name__}: {useful[0][:200]}" if useful else type(err).__name__
    if type(err).__name__ == "EOFError":
        detail = "the file is empty"
    return (
        f"is corrupt, truncated or not a torch file ({detail}), e.g. from a damaged disk or a copy cut "
        "short: restore a copy or train the run again into a new --out"
    )


def model_fingerprint(state_dict: dict[str, torch.Tensor], model_config: dict[str, Any]) -> str:
    """SHA-256 (hex) of a model: its config (JSON, sorted keys) and every tensor's name, dtype, shape
    and bytes. Equal fingerprints compute equal outputs; cached evaluations are keyed by it."""
    digest = hashlib.sha256(json.dumps(model_config, sort_keys=True, default=str).encode("utf-8"))
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().to("cpu").contiguous()
        digest.update(f"\n{name}:{tensor.dtype}:{tuple(tensor.shape)}:".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def non_finite_tensors(state_dict: dict[str, torch.Tensor]) -> list[str]:
    """Names of the floating-point tensors of ``state_dict`` holding NaN or ±inf (a diverged run)."""
    return [
        name
        for name, tensor in state_dict.items()
        if torch.is_tensor(tensor) and tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]


def checkpoint_path(run_dir_or_checkpoint: str | Path) -> Path:
    """RUN/checkpoint.pt for a run folder, or the path itself for a file."""
    path = Path(run_dir_or_checkpoint).expanduser()
    return path / CHECKPOINT_NAME if path.is_dir() else path


def load_model(run_dir: str | Path, device: str | torch.device = "cpu"):
    """Load a trained model from a run folder (RUN/checkpoint.pt) or a checkpoint file.

    Returns ``(model, meta)``: the ``TinyLM`` in eval mode on ``device``, and a dict with
    ``step``, ``model_config``, ``train_config``, ``world_size``, ``metrics``, ``path`` and
    ``model_sha256`` (:func:`model_fingerprint`).
    Raises ``FileNotFoundError`` naming the path when there is no checkpoint, and ``ValueError``
    naming it when it is unreadable or its weights hold NaN/inf (a diverged run: every output
    would be NaN).
    """
    from posenc.model import ModelConfig, TinyLM  # here, so posenc.train imports without the model

    path = checkpoint_path(run_dir)
    if not path.exists():
        raise FileNotFoundError(
            f"no checkpoint at {str(path)!r} (is {str(run_dir)!r} a training run folder?)"
        )
    state = load_checkpoint(path)
    bad = non_finite_tensors(state["model"])
    if bad:
        raise ValueError(
            f"checkpoint {str(path)!r} holds non-finite weights (NaN or inf in {', '.join(bad[:3])}"
            f"{', ...' if len(bad) > 3 else ''}): the run diverged; train it again with a smaller --lr"
        )
    config = ModelConfig.from_dict(state["model_config"])
    model = TinyLM(config)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise ValueError(f"checkpoint {str(path)!r} does not fit its own model config: {err}") from None
    model.to(device).eval()
    meta = {
        "step": state["step"],
        "model_config": state["model_config"],
        "train_config": state.get("train_config"),
        "world_size": state.get("world_size", 1),
        "metrics": state.get("metrics", {}),
        "path": state.get("path", str(path)),  # the previous checkpoint's, when the latest was corrupt
        "model_sha256": model_fingerprint(state["model"], state["model_config"]),
    }
    return model, meta


# ----------------------------------------------------------------------------- one writer per run folder
LOCK_NAME = "train.lock"


class RunFolderLocked(RuntimeError):
    """Another live process is training into the run folder; nothing was written."""


class StaleLockTakenOver(UserWarning):
    """The run folder's lock named a process that is no longer running; it was taken over."""


class RunLock:
    """``RUN/train.lock``: one ``posenc train`` (or ``posenc eval``) writes a run folder at a time.

    The lock is an exclusive ``flock`` on that file, which holds the owner's PID and what it is
    (``holder``, "posenc train" by default), named when another process is refused: the kernel drops it
    when its process ends, however it ends. A lock file whose PID is no longer running is taken over
    with a :class:`StaleLockTakenOver` warning — also when the flock is still held by a leftover child
    of that dead process (the file is then replaced). A live owner gets :class:`RunFolderLocked`,
    before anything is written. :meth:`release` (on exit, Ctrl-C and exceptions alike) removes the
    file, and the folder when the lock created it and it is still empty.
    """

    def __init__(self, folder: str | Path, holder: str = "posenc train"):
        self.folder, self.holder = Path(folder), holder
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None
        self._made_folder = False

    def acquire(self) -> RunLock:
        import fcntl  # POSIX only; imported here so that loading checkpoints needs no fcntl

        if self.folder.exists() and not self.folder.is_dir():
            raise NotADirectoryError(f"output path {str(self.folder)!r} exists and is not a folder")
        self._made_folder = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(10):  # each retry follows another process's release or takeover in between
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner, other = _lock_pid(fd), _lock_holder(fd)
                os.close(fd)
                if owner is None or _alive(owner):
                    self._forget_folder()
                    raise RunFolderLocked(
                        f"{str(self.folder)!r} is being written by another {other} "
                        f"(PID {owner if owner is not None else '?'}, lock {str(self.path)!r}): wait for it "
                        f"to end or stop it{self._elsewhere()}; nothing was written"
                    ) from None
                # its owner is dead and a leftover child of it holds the flock: replace the file
                text = f"{owner}\n".encode()  # the dead owner's PID: taking it over says so below
                atomic_write(self.path, lambda f, text=text: f.write(text))
                continue
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:  # locked a file its last owner removed on release: lock the current one
                os.close(fd)
                continue
            owner = _lock_pid(fd)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {self.holder}\n".encode(), 0)
            self._fd = fd
            if owner is not None and owner != os.getpid() and not _alive(owner):
                warnings.warn(
                    f"took over the lock {str(self.path)!r} of PID {owner}, which is no longer running "
                    "(a run that was killed)",
                    StaleLockTakenOver,
                    stacklevel=2,
                )
            return self
        raise RunFolderLocked(f"could not lock {str(self.path)!r}: other processes keep taking it")

    def _elsewhere(self) -> str:
        return ", or choose another --out" if self.holder == "posenc train" else ""

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still held: a waiting process then sees a new file
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None
        self._forget_folder()

    def _forget_folder(self) -> None:
        if self._made_folder:
            try:
                self.folder.rmdir()  # only when empty: a run that failed before writing anything
            except OSError:
                pass
            self._made_folder = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _lock_text(fd: int) -> list[str]:
    try:
        return os.pread(fd, 64, 0).decode("ascii").split(maxsplit=1)
    except (OSError, UnicodeDecodeError):
        return []


def _lock_pid(fd: int) -> int | None:
    """The PID a lock file names first ("12345 posenc eval"; an older posenc wrote the PID alone)."""
    text = (_lock_text(fd) or [""])[0]
    return int(text) if text.isdigit() and len(text) < 12 else None


def _lock_holder(fd: int) -> str:
    """What holds the lock ("posenc train", "posenc eval"), as its file says; a file without a name is
    an older posenc's, and only ``posenc train`` took the lock then."""
    words = _lock_text(fd)
    holder = words[1].strip() if len(words) > 1 else "posenc train"
    return holder if holder.replace(" ", "").isalnum() and len(holder) <= 40 else "posenc process"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or a number kill() does not take: not provably dead
    return True


def read_json(path: Path) -> dict[str, Any]:
    """A run's config.json: a JSON object, strict (finite numbers, bounded nesting and size);
    :class:`~posenc.results.schema.SchemaError` (a ``ValueError``) naming the file and the field."""
    return load_json(path, CONFIG_SCHEMA, advice="restore it, or move it away", what="run file")
