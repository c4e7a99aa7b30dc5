"""``posenc exercise check FILE``: run a learner's function on every case and say, precisely, what differs.

The learner's file is first read (its syntax tree, not run): a file that imports posenc itself — the
reference implementation the checker compares with, or the reference solutions — is refused by name.
It is then imported in a separate worker process (:mod:`posenc.exercises.runner`) in its own process
group, one case at a time with a time limit each: code that raises, hangs, exits, crashes or leaves
children behind fails its case with a plain message (the whole group is killed), and the next case runs
in a fresh worker. Answers carry a per-run random token and the checksum of the result file the
harness wrote, so what the learner's code prints or writes is never taken for a result; results are
compared here with the library's values (:mod:`posenc.exercises.catalog`): type, shape, dtype,
inputs left unchanged, then the values — the largest error, the first wrong index with the expected
and the actual value there, and a hint when the result matches a usual mistake.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import math
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posenc.exercises.catalog import EXERCISES, Case, Exercise, find
from posenc.exercises.compare import CaseResult, compare

TIME_LIMIT = 10.0  # seconds per case
MAX_TIME_LIMIT = 3600.0  # an hour per case: beyond it a limit is no limit
STARTUP_LIMIT = 120.0  # seconds for a worker to import torch and the learner's file
MAX_MESSAGE = 1 << 20  # bytes of one protocol line; longer lines are not ours and are dropped
MAX_RESULT = 64 << 20  # bytes of one result file (the cases' answers are a few KiB)
MAX_PRINTED = 64 << 10  # bytes of the learner's output read back for the report
WIDTH = 80
INDENT = " " * 11  # under the case label: "  12  FAIL  "
HEADER = re.compile(r"^#\s*posenc exercise:\s*([A-Za-z0-9_-]+)", re.MULTILINE)


@dataclass
class Report:
    exercise: Exercise
    path: Path
    results: list[CaseResult] = field(default_factory=list)
    problem: str | None = None  # the file could not be used at all (no case ran)
    hints: list[str] = field(default_factory=list)  # hints drawn from several cases together
    printed: list[str] = field(default_factory=list)  # what the learner's code printed

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.results) and all(r.passed for r in self.results)


# --------------------------------------------------------------------------------------------------
# which exercise a file is
# --------------------------------------------------------------------------------------------------


def detect(source: str, path: Path) -> Exercise:
    """The exercise named by the file's ``# posenc exercise: NAME`` line, else the one whose function
    the file defines; ``ValueError`` saying what to add otherwise."""
    found = HEADER.search("\n".join(source.splitlines()[:10]))
    if found:
        return find(found.group(1))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    matches = [e for e in EXERCISES.values() if e.function in defined]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(
        f"cannot tell which exercise {path.name} is: put the line `# posenc exercise: NAME` at its top "
        f"or pass --exercise NAME ({', '.join(EXERCISES)})"
    )


# --------------------------------------------------------------------------------------------------
# the worker process
# --------------------------------------------------------------------------------------------------


class _Worker:
    """One ``posenc.exercises.runner`` process, the leader of its own process group (so that a kill
    reaches the children the learner's code started); messages are read by a thread, so that waiting
    for one can time out, and only those carrying this worker's random token count."""

    def __init__(self, path: Path, function: str, workdir: Path, log):
        self.token = secrets.token_hex(16)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "posenc.exercises.runner", str(path), function, str(workdir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # its own process group: killpg ends the learner's children too
        )
        self.messages: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        try:
            self.proc.stdin.write(f"{self.token}\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # the worker already ended: receive() says so

    def _read(self) -> None:
        while True:
            line = self.proc.stdout.readline(MAX_MESSAGE)
            if not line:
                break
            if not line.endswith("\n"):  # longer than any message of ours: drop the rest of it
                while line and not line.endswith("\n"):
                    line = self.proc.stdout.readline(MAX_MESSAGE)
                continue
            self.messages.put(line)
        self.messages.put(None)  # end of output: the process (and whoever held the pipe) has ended

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message; ``{"event": "exit"}`` when the worker ended; None after ``timeout`` s."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.messages.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return {"event": "exit", "status": self.proc.wait()}
            try:
                message = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue
            if isinstance(message, dict) and message.get("token") == self.token:
                return message  # anything else was not written by the harness

    def run(self, case: int, timeout: float) -> dict[str, Any] | None:
        try:
            self.proc.stdin.write(f"{case}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return {"event": "exit", "status": self.proc.wait()}
        return self.receive(timeout)

    def stop(self) -> None:
        """Kill the worker's whole process group (the learner's children included) and reap it."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(timeout=1.0)  # returns at once unless a child left its group, keeping the pipe
        streams = [self.proc.stdin] + ([self.proc.stdout] if not self.reader.is_alive() else [])
        for stream in streams:  # closing a pipe the reader still reads would wait for it
            try:
                stream.close()
            except OSError:
                pass


def _where(message: dict[str, Any], path: Path) -> str:
    where = message.get("where")
    if not where:
        return ""
    code = f": {where['code']}" if where.get("code") else ""
    return f" ({path.name} line {where['line']}{code})"


def _raised(message: dict[str, Any], path: Path) -> str:
    text = f"{message['type']}: {message['message']}" if message.get("message") else message["type"]
    return text + _where(message, path)


# --------------------------------------------------------------------------------------------------
# checking a file
# --------------------------------------------------------------------------------------------------


def _arg_names(exercise: Exercise) -> list[str]:
    tree = ast.parse(exercise.solution())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == exercise.function)
    return [a.arg for a in fn.args.args]


def check_file(
    path: str | Path,
    exercise: Exercise | str | None = None,
    time_limit: float = TIME_LIMIT,
    startup_limit: float = STARTUP_LIMIT,
) -> Report:
    """Run every case of the exercise on the learner's file; never raises for what the file does
    (``ValueError``/``FileNotFoundError`` only for a missing file, an unknown exercise, or a time limit
    that is not a finite number of seconds in (0, 3600])."""
    import torch

    time_limit = validate_time_limit(time_limit, "time_limit")
    startup_limit = validate_time_limit(startup_limit, "startup_limit")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    source = path.read_text(encoding="utf-8", errors="replace")
    if isinstance(exercise, str):
        exercise = find(exercise)
    exercise = exercise or detect(source, path)
    report = Report(exercise, path)
    try:
        compile(source, str(path), "exec")
    except SyntaxError as err:
        code = f": {err.text.strip()}" if err.text else ""
        report.problem = f"{path.name} line {err.lineno}: {type(err).__name__}: {err.msg}{code}"
        return report
    report.problem = refused_import(source, path)
    if report.problem:
        return report  # never run: it would hand back posenc's own answers

    names = _arg_names(exercise)
    cases = exercise.cases
    with tempfile.TemporaryDirectory(prefix="posenc-exercise-") as tmp:
        workdir = Path(tmp)
        for number, case in enumerate(cases):
            torch.save(list(case.args), workdir / f"case-{number}.pt")
        log_path = workdir / "printed.txt"
        with open(log_path, "w", encoding="utf-8") as log:
            worker = None
            try:
                worker, problem = _start(path, exercise, workdir, log, startup_limit)
                if problem:
                    report.problem = problem
                else:
                    for number, case in enumerate(cases):
                        if worker is None:
                            worker, problem = _start(path, exercise, workdir, log, startup_limit)
                            if problem:
                                report.problem = problem
                                break
                        result, keep = _run_case(worker, number, case, workdir, time_limit, path, names)
                        result.number = number + 1
                        report.results.append(result)
                        if not keep:
                            worker.stop()
                            worker = None
            finally:  # Ctrl-C too: the worker runs in its own session, out of the terminal's reach
                if worker is not None:
                    worker.stop()
        with open(log_path, "rb") as printed:  # the learner may print without end: read a bounded head
            report.printed = printed.read(MAX_PRINTED).decode("utf-8", errors="replace").splitlines()
    report.hints = _cross_case_hints(report)
    return report


def validate_time_limit(value: Any, name: str = "--time-limit") -> float:
    """``value`` as seconds when it is a finite number in (0, 3600]; ``ValueError`` naming ``name``
    otherwise (NaN turned the limit off, inf never ends)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not (0 < seconds <= MAX_TIME_LIMIT):
        raise ValueError(
            f"{name} must be a finite number of seconds in (0, {MAX_TIME_LIMIT:g}], got {value!r}"
        )
    return seconds


#: the modules a learner's file may not import: posenc's own implementation, which the checker
#: compares with, and the reference solutions
_REFERENCE = "posenc"


def refused_import(source: str, path: Path) -> str | None:
    """Why the learner's file may not run, or None: it imports ``posenc`` (the reference implementation
    or the reference solutions) in a form visible in its syntax tree — ``import``, ``from … import``,
    or a call given the module's name as a string (``__import__("posenc.encodings")``,
    ``importlib.import_module(…)``, ``sys.modules.get(…)``), or ``sys.modules["posenc…"]``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # compile() has reported it already
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call):
            names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            names = [node.slice.value] if isinstance(node.slice.value, str) else []
        for name in names:
            if name == _REFERENCE or name.startswith(_REFERENCE + "."):
                what = (
                    "posenc's reference solutions"
                    if name.startswith("posenc.exercises")
                    else "posenc's own implementation, which the checker compares your function with"
                )
                return (
                    f"{path.name} line {node.lineno} uses {name} ({what}): an exercise is written with torch "
                    "alone, so the checker does not run a file that imports posenc; remove it"
                )
    return None


def _start(path: Path, exercise: Exercise, workdir: Path, log, limit: float) -> tuple[_Worker | None, str]:
    worker = _Worker(path, exercise.function, workdir, log)
    message = worker.receive(limit)
    if message is not None and message.get("event") == "ready":
        return worker, ""
    worker.stop()
    if message is None:
        return None, f"importing {path.name} did not finish within {limit:g} s (a loop at import?)"
    event = message.get("event")
    if event == "import-error":
        return None, f"importing {path.name} raised {_raised(message, path)}"
    if event == "missing":
        return None, f"{path.name} defines no function {exercise.function}({', '.join(_arg_names(exercise))})"
    return None, f"the worker ended while importing {path.name} (exit status {message.get('status')})"


def _run_case(
    worker: _Worker, number: int, case: Case, workdir: Path, time_limit: float, path: Path, names: list[str]
) -> tuple[CaseResult, bool]:
    """The case's result, and whether the worker can go on with the next case."""

    message = worker.run(number, time_limit)
    if message is None:
        line = f"did not finish within {time_limit:g} s (an endless loop?)"
        return CaseResult(0, case, False, [line]), False
    event = message.get("event")
    if event == "exit":
        status = message.get("status")
        line = f"the process running your function ended (exit status {status}): os._exit, or a crash"
        return CaseResult(0, case, False, [line]), False
    if event == "raised":
        if case.raises and case.raises in message.get("bases", []):
            return CaseResult(0, case, True), True
        if message.get("type") == "NotImplementedError":
            return CaseResult(0, case, False, ["not written yet: it raises NotImplementedError"]), True
        if case.raises:
            line = f"expected {case.raises}, but it raised {_raised(message, path)}"
        else:
            line = f"raised {_raised(message, path)}"
        return CaseResult(0, case, False, [line]), True
    if event == "unreadable":
        returned = message.get("result")
        line = f"it returned a {returned} that the checker cannot read back: {_raised(message, path)}"
        return CaseResult(0, case, False, [line]), True
    changed = message.get("changed")
    if event != "done" or message.get("case") != number or not _index_list(changed, len(names)):
        line = f"the process running your function answered out of turn ({str(event)[:40]!r}): a crash?"
        return CaseResult(0, case, False, [line]), False
    payload, problem = _read_result(workdir / f"out-{number}.pt", message.get("sha256"))
    if problem:
        return CaseResult(0, case, False, [problem]), False
    try:
        return compare(case, payload, changed, names), True
    except Exception as err:  # noqa: BLE001 — a result of an odd dtype or size: a failed case
        line = f"its result could not be compared ({type(err).__name__}: {str(err).splitlines()[0][:200]})"
        return CaseResult(0, case, False, [line]), True


def _index_list(value: Any, count: int) -> bool:
    return isinstance(value, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < count for i in value
    )


def _read_result(file: Path, sha256: Any) -> tuple[dict[str, Any] | None, str]:
    """The payload the harness wrote to ``file`` (its SHA-256 sent with the answer), or why not."""
    import torch

    try:
        size = file.stat().st_size
        if size > MAX_RESULT:
            return None, f"its result is {size} bytes, more than the checker reads ({MAX_RESULT} bytes)"
        data = file.read_bytes()
    except OSError as err:
        return None, f"its result file could not be read ({err.strerror or err})"
    if not isinstance(sha256, str) or hashlib.sha256(data).hexdigest() != sha256:
        return None, "its result file was changed after the checker's worker wrote it: not a result"
    try:
        payload = torch.load(io.BytesIO(data), weights_only=True)
    except Exception as err:  # noqa: BLE001 — whatever is in the file, a one-line failure
        return None, f"its result could not be read back ({type(err).__name__})"
    if not _valid_payload(payload):
        return None, "its result file does not hold a result the checker wrote"
    return payload, ""


def _valid_payload(payload: Any, depth: int = 0) -> bool:
    """What :func:`posenc.exercises.runner.export` writes, and nothing else."""
    import torch

    if not isinstance(payload, dict) or depth > 8:
        return False
    kind = payload.get("kind")
    if kind == "tensor":
        return type(payload.get("value")) is torch.Tensor
    if kind == "number":
        return isinstance(payload.get("value"), float)
    if kind == "tuple":
        items = payload.get("items")
        return (
            isinstance(payload.get("type"), str)
            and isinstance(items, list)
            and all(_valid_payload(item, depth + 1) for item in items)
        )
    return kind == "other" and isinstance(payload.get("type"), str)


def _cross_case_hints(report: Report) -> list[str]:
    hint = report.exercise.bf16_hint
    failed = [r for r in report.results if not r.passed]
    if not hint or not failed or any(hint in r.hints for r in failed):
        return []
    only_bf16 = all("bf16" in r.case.tags for r in failed)
    some_fp32 = any(r.passed and "bf16" not in r.case.tags for r in report.results)
    return [hint] if only_bf16 and some_fp32 else []


# --------------------------------------------------------------------------------------------------
# the report, 80 columns wide
# --------------------------------------------------------------------------------------------------


def _wrap(text: str, first: str, rest: str) -> list[str]:
    wrapper = textwrap.TextWrapper(WIDTH, first, rest, break_long_words=False, break_on_hyphens=False)
    return wrapper.wrap(text) or [first]


def render(report: Report, shown_path: str | None = None) -> str:
    """The check's report, readable at 80 columns, ending with one ``Next:`` line."""
    exercise, file = report.exercise, shown_path or str(report.path)
    total = len(exercise.cases)
    title = f"{report.path.name}: {exercise.title} ({exercise.name}), {total} cases"
    out = _wrap(title, "", "")
    out.append("")
    if report.problem:
        out += _wrap(report.problem, "  ", "  ")
    seen: dict[tuple, int] = {}  # a failure already shown -> the case that showed it
    hinted: dict[str, int] = {}
    for r in report.results:
        out += _wrap(r.case.label, f"  {r.number:>2}  {'pass' if r.passed else 'FAIL'}  ", INDENT)
        failure = (tuple(r.lines), tuple(r.hints))
        if not r.passed and failure in seen and not any("error" in line for line in r.lines):
            out.append(f"{INDENT}the same as case {seen[failure]}")
            continue
        seen.setdefault(failure, r.number)
        for line in r.lines:
            out += _wrap(line, INDENT, INDENT + "  ")
        for key in r.hints:
            if key in hinted:
                out.append(f"{INDENT}hint: as for case {hinted[key]}")
                continue
            hinted[key] = r.number
            out += _wrap(exercise.hints[key], INDENT + "hint: ", INDENT + "      ")
    for key in report.hints:
        out.append("")
        out += _wrap(
            "the float32 cases pass and only bf16 ones fail: " + exercise.hints[key], "  hint: ", "        "
        )
    if report.printed:
        out.append("")
        out.append(f"  your code printed {len(report.printed)} lines; the first ones:")
        out += [f"    {line[: WIDTH - 4]}" for line in report.printed[:5]]
    out.append("")
    passed = sum(r.passed for r in report.results)
    if report.passed:
        out.append(f"All {total} cases pass.")
        following = _following(exercise)
        out.append(
            f"Next: `posenc exercise start {following.name}`"
            if following
            else "Next: compare with `posenc exercise solution " + exercise.name + "`, or `posenc quiz`"
        )
    else:
        if report.results:
            out.append(f"{passed} of {total} cases pass.")
        first = next((r.number for r in report.results if not r.passed), None)
        fix = f"fix case {first}" if first else "fix that"
        out.append(f"Next: {fix}, then run `posenc exercise check {file}` again.")
    return "\n".join(out) + "\n"


def _following(exercise: Exercise) -> Exercise | None:
    names = list(EXERCISES)
    here = names.index(exercise.name)
    return EXERCISES[names[here + 1]] if here + 1 < len(names) else None
