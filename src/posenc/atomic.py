"""Atomic file writes: a reader, or a crash, sees the old file or the new one, never half of one.

Every result posenc writes (checkpoints, results.json, eval.json, plots, reports) goes through here.

The new content goes to a temporary file beside the target, ``.NAME.PID.RANDOM.tmp``, which is then
renamed onto it. A process killed mid-write (SIGKILL, power loss) leaves that temporary behind; the
next write of the same file removes the ones whose writer is gone (the PID in the name is no live
process) or that are older than a day, so leftovers never pile up (``posenc train`` also sweeps its
run folder when it starts). Files are created with the mode
``0o666 & ~umask`` like any other tool's (``tempfile.mkstemp`` alone would make them 0600).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: a temporary file older than this is stale whoever wrote it (no posenc write takes a day)
STALE_AFTER_S = 24 * 3600
_umask_lock = threading.Lock()


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(file_object)`` on a temporary file beside ``path``, fsync it, then ``os.replace`` it
    onto ``path``. The folder is created if missing; the temporary file is removed on any failure, and
    stale temporaries of killed writers of ``path`` are removed first (:func:`remove_stale_temporaries`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent, [path.name])
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; results are shared like any file
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def regular_file(path: str | Path, what: str = "file") -> Path:
    """``path`` when it is a regular file (symlinks followed); ``ValueError`` naming it when it is a FIFO,
    a device, a socket or a folder: reading a FIFO or a device blocks forever or never ends."""
    path = Path(path)
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a FIFO, device or socket)"
        raise ValueError(f"{what} {str(path)!r} is {kind}; move it away or give a regular file")
    return path


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere: set and restore it (another thread could read it in between)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def remove_stale_temporaries(
    folder: str | Path, names: list[str], *, sole_writer: bool = False
) -> list[Path]:
    """Remove the temporary files :func:`atomic_write` left in ``folder`` for the files ``names`` that no
    writer will finish: their writer's PID is no live process, or they are older than ``STALE_AFTER_S``.
    A temporary of a live writer (this process included) is kept, and nothing else in the folder is
    touched. Returns the paths removed; errors are ignored (best effort).

    sole_writer: the caller holds the folder's lock, so no other process writes these files and every
        temporary not of this process is stale, whatever its PID: a killed writer's PID may already
        belong to another process (PIDs are reused, quickly in a container).
    """
    prefixes = tuple(f".{name}." for name in names)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefixes) and name.endswith(".tmp")):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            if old or (sole_writer and not _own(name)) or not _writer_alive(name):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _own(name: str) -> bool:
    """Whether ``.TARGET.PID.RANDOM.tmp`` names this process as its writer."""
    parts = name[1:-4].split(".")
    return len(parts) >= 3 and parts[-2] == str(os.getpid())


def _writer_alive(name: str) -> bool:
    """Whether the process named in ``.TARGET.PID.RANDOM.tmp`` still runs. Names without a PID (written by
    posenc 0.1.0, ``.TARGET.RANDOM.tmp``) count as alive here: only their age makes them stale."""
    parts = name[1:-4].split(".")  # TARGET may hold dots: the PID is the second field from the end
    pid = parts[-2] if len(parts) >= 3 else ""
    if not pid.isdigit():
        return True
    pid_number = int(pid)
    if pid_number == os.getpid():
        return True
    try:
        os.kill(pid_number, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's live process, or a number no kill() takes: leave it
    return True


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 (hex) of a file, read in chunks of ``chunk`` bytes: never the whole file in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
