"""The worker process of ``posenc exercise check``: imports the learner's file and runs its function.

    python -m posenc.exercises.runner FILE FUNCTION WORKDIR

It runs in its own process (and process group) so that a learner's code that hangs, crashes, exits or
starts children cannot take the checker with it: the checker gives each case a time limit and kills
the whole group after it, then starts a fresh worker.

Protocol. The checker writes a per-run random token as the first line on stdin (read before the
learner's file is imported), then case numbers, one per line. Each answer is one JSON object per line
carrying that token, on a private copy of the stdout pipe: fd 1 itself is pointed at stderr before the
learner's code runs, so its prints, ``os.write(1, …)`` and its children's output go to the log, and a
line without the token is never taken for an answer. Case ``i``'s arguments are read from
``WORKDIR/case-i.pt``; the function's result is written by this harness to ``WORKDIR/out-i.pt``
(tensors — plain ``torch.Tensor``, subclasses unwrapped —, numbers and tuples of them only, read back
with ``weights_only=True``), and its SHA-256 is sent with the answer, so a file changed afterwards is
noticed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

#: the messages of an exception, shortened: a learner's error can be a wall of text
MAX_MESSAGE = 300


def _send(channel: TextIO, token: str, **message: Any) -> None:
    channel.write(json.dumps({**message, "token": token}) + "\n")
    channel.flush()


def describe(err: BaseException, path: Path) -> dict[str, Any]:
    """The exception's type (and base types), its message's first line, and the learner's line that
    raised it (the last frame in the learner's file), never our own frames."""
    message = str(err).strip().splitlines()[0] if str(err).strip() else ""
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + " …"
    where = None
    if isinstance(err, SyntaxError) and err.lineno is not None:
        where = {"line": err.lineno, "code": (err.text or "").strip()}
    for frame in traceback.extract_tb(err.__traceback__):
        try:
            same = os.path.samefile(frame.filename, path)
        except OSError:
            same = False
        if same:
            where = {"line": frame.lineno, "code": (frame.line or "").strip()}
    return {
        "type": type(err).__name__,
        "bases": [cls.__name__ for cls in type(err).__mro__],
        "message": message,
        "where": where,
    }


def export(value: Any) -> dict[str, Any]:
    """The learner's result in a form ``torch.load(weights_only=True)`` reads back."""
    import torch

    if isinstance(value, torch.Tensor):  # a subclass is sent as the plain tensor it holds
        return {"kind": "tensor", "value": value.as_subclass(torch.Tensor).detach().cpu().clone()}
    if isinstance(value, bool) or value is None:
        return {"kind": "other", "type": type(value).__name__}
    if isinstance(value, (int, float)):
        return {"kind": "number", "value": float(value)}
    if isinstance(value, (tuple, list)):
        return {"kind": "tuple", "type": type(value).__name__, "items": [export(v) for v in value]}
    return {"kind": "other", "type": f"{type(value).__module__}.{type(value).__qualname__}"}


def _changed_inputs(args: tuple, copies: tuple) -> list[int]:
    import torch

    changed = []
    for index, (arg, copy) in enumerate(zip(args, copies, strict=True)):
        if isinstance(arg, torch.Tensor) and not torch.equal(arg, copy):
            changed.append(index)
    return changed


def _serialized(result: Any) -> bytes:
    """The result as ``torch.save`` bytes of :func:`export`'s payload."""
    import torch

    buffer = io.BytesIO()
    torch.save(export(result), buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    path_arg, function, workdir_arg = argv if argv is not None else sys.argv[1:4]
    path, workdir = Path(path_arg).resolve(), Path(workdir_arg)
    token = sys.stdin.readline().strip()  # before the learner's code runs: it never sees it on stdin
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")  # os.dup: not inherited by children
    os.dup2(2, 1)  # fd 1 is the log now: the learner's os.write(1, …) cannot reach the checker
    sys.stdout = sys.stderr  # the learner's prints must not mix with the protocol

    import torch

    torch.set_num_threads(1)  # tiny tensors: threads only add start-up cost and noise
    sys.path.insert(0, str(path.parent))  # the learner's file may import its neighbours
    try:
        spec = importlib.util.spec_from_file_location("learner_exercise", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as err:  # noqa: BLE001 — anything the learner's module does at import
        _send(channel, token, event="import-error", **describe(err, path))
        return 0
    fn = getattr(module, function, None)
    if not callable(fn):
        _send(channel, token, event="missing", function=function)
        return 0
    _send(channel, token, event="ready")

    for line in sys.stdin:
        case = int(line)
        args = tuple(torch.load(workdir / f"case-{case}.pt", weights_only=True))
        copies = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
        try:
            result = fn(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # noqa: BLE001 — SystemExit included: the learner called exit()
            _send(channel, token, event="raised", case=case, **describe(err, path))
            continue
        try:
            data = _serialized(result)
        except Exception as err:  # noqa: BLE001 — a result whose own methods fail
            kind = f"{type(result).__module__}.{type(result).__qualname__}"
            _send(channel, token, event="unreadable", case=case, result=kind, **describe(err, path))
            continue
        (workdir / f"out-{case}.pt").write_bytes(data)
        changed = _changed_inputs(args, copies)
        _send(
            channel, token, event="done", case=case, changed=changed, sha256=hashlib.sha256(data).hexdigest()
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
