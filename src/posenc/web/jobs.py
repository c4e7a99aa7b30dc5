"""The lab's job runner: one heavy job at a time, in a subprocess, its progress kept as events.

A job is a worker command and a results folder (:class:`JobSpec`): the runner starts
``python -m posenc.web.worker ARGS...`` (see :mod:`posenc.web.worker`), reads the JSON line the worker
prints for each event on a reader thread, and keeps them on the :class:`Job`; pages follow a job
through :meth:`JobRunner.stream` (server-sent events in :mod:`posenc.web.job_pages`), from the start
or from the last event they saw, so a reloaded page picks the stream up again. The worker writes its
results into the job's folder, which must lie inside the lab's results folder; the pages then read
those files.

Why a subprocess: an experiment or a study keeps both cores busy for seconds to minutes, holds the GIL
while it does, and may crash; in its own process (at a lower priority) it can do all that while the
server answers every other request, and cancelling it is stopping a process by its own PID.

    runner = JobRunner(Path("results"))
    job = runner.start(JobSpec("experiment", "experiment 2 (quick)",
                               ["experiment", "2", "--quick", "--out", "results/exp2"], Path("results/exp2")))
    runner.cancel(job.id)        # SIGINT (a training checkpoints), then SIGTERM, then SIGKILL
    runner.shutdown()            # the lab stops: the running job is stopped the same way

Nothing here imports torch: the worker does, in its own process.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import anyio

#: how often a stream looks for new events (seconds); the page's progress bar needs no more
POLL_SECONDS = 0.1
#: cancel: seconds to wait after SIGINT, then after SIGTERM, before SIGKILL
STOP_GRACE = (5.0, 5.0)
#: finished jobs kept for their event streams and GET /api/jobs/{id}
HISTORY = 20
#: the files a results folder may serve to the pages (plots)
SERVED_SUFFIXES = {".png": "image/png", ".svg": "image/svg+xml"}


class Busy(RuntimeError):
    """Another heavy computation is running: a job (the message names it and when it started; answered
    409) or a model view (:mod:`posenc.web.model_views`; answered 429, "try again")."""


class NotRunning(RuntimeError):
    """The job asked to stop has already finished."""


@dataclass(frozen=True)
class JobSpec:
    """What to run: ``args`` for ``python -m posenc.web.worker``, writing into ``out_dir``."""

    kind: str  # "experiment", "study" (later: "model-view")
    label: str  # for people: "experiment 2 (quick)"
    args: list[str]  # the worker's arguments
    out_dir: Path  # the folder the job writes; inside the runner's results folder
    params: dict[str, Any] = field(default_factory=dict)  # the request, echoed back to the pages
    page: str | None = None  # the page that shows the job's results, e.g. "/experiments/2"


class Job:
    """One run of a worker: its process, its events (each numbered from 1) and how it ended."""

    def __init__(self, job_id: str, spec: JobSpec, process: subprocess.Popen):
        self.id, self.spec, self.process = job_id, spec, process
        self.started = datetime.now().astimezone()
        self.t0 = time.monotonic()
        self.ended: float | None = None
        self.state = "running"  # then "done", "error" or "cancelled"
        self.fraction, self.message = 0.0, "starting"
        self.error: str | None = None
        self.result: dict[str, Any] | None = None
        self.cancel_requested = False
        self.events: list[dict[str, Any]] = []
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def pid(self) -> int:
        return self.process.pid

    def describe(self) -> str:
        return f"{self.spec.label} started at {self.started:%H:%M:%S}"

    def add(self, event_type: str, **data: Any) -> None:
        """Record an event; a final one ("done", "error", "cancelled") ends the job."""
        with self._lock:
            if not self.running:
                return
            self.events.append({"seq": next(self._seq), "type": event_type, **data})
            if event_type == "progress":
                self.fraction, self.message = data["fraction"], data["message"]
                return
            self.state, self.ended = event_type, time.monotonic()
            if event_type == "done":
                self.fraction, self.result = 1.0, data
            else:
                self.error = data.get("message")

    def events_after(self, seq: int) -> tuple[list[dict[str, Any]], bool]:
        """The events numbered above ``seq``, and whether the job has ended (no more will come)."""
        with self._lock:
            return [e for e in self.events if e["seq"] > seq], not self.running

    def to_dict(self) -> dict[str, Any]:
        end = self.ended if self.ended is not None else time.monotonic()
        return {
            "id": self.id,
            "kind": self.spec.kind,
            "label": self.spec.label,
            "params": self.spec.params,
            "page": self.spec.page,
            "state": self.state,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(end - self.t0, 1),
            "fraction": self.fraction,
            "message": self.message,
            "error": self.error,
            "result": self.result,
            "pid": self.pid,
            "events": len(self.events),
        }


class JobRunner:
    """Runs at most one :class:`JobSpec` at a time (see the module docstring)."""

    def __init__(self, results_dir: str | Path, python: str = sys.executable):
        self.results_dir = Path(results_dir)
        self.python = python
        self._jobs: dict[str, Job] = {}  # by id, oldest first
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ starting and stopping
    def start(self, spec: JobSpec) -> Job:
        """Start ``spec``'s worker; :class:`Busy` when a job is running, ``ValueError`` when its folder
        lies outside the results folder."""
        out = spec.out_dir.resolve()
        if not out.is_relative_to(self.results_dir.resolve()):
            raise ValueError(f"a job writes only inside the results folder {self.results_dir}, not {out}")
        with self._lock:
            if self._closed:
                raise Busy("the lab is shutting down")
            running = self._running()
            if running is not None:
                raise Busy(f"a job is already running: {running.describe()}; wait for it or cancel it")
            process = subprocess.Popen(
                [self.python, "-m", "posenc.web.worker", *spec.args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=_worker_env(),
            )
            job = Job(secrets.token_hex(6), spec, process)
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-HISTORY]:
                del self._jobs[old]
        threading.Thread(target=self._read_stderr, args=(job,), name=f"job-{job.id}-err", daemon=True).start()
        threading.Thread(target=self._read_events, args=(job,), name=f"job-{job.id}", daemon=True).start()
        return job

    def cancel(self, job_id: str) -> Job:
        """Ask job ``job_id`` to stop (KeyError: no such job; :class:`NotRunning`: it has ended).
        Returns at once; the job's stream ends with a "cancelled" event when the process is gone."""
        job = self.get(job_id)
        if not job.running:
            raise NotRunning(f"job {job_id} is not running (it ended: {job.state})")
        job.cancel_requested = True
        threading.Thread(target=_stop, args=(job.process,), name=f"job-{job.id}-stop", daemon=True).start()
        return job

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the running job (if any) and refuse new ones: the lab is closing."""
        with self._lock:
            self._closed = True
            running = self._running()
        if running is not None:
            running.cancel_requested = True
            _stop(running.process, grace=(min(STOP_GRACE[0], timeout / 2), min(STOP_GRACE[1], timeout / 2)))

    # ------------------------------------------------------------------ looking at jobs
    def get(self, job_id: str) -> Job:
        with self._lock:
            return self._jobs[job_id]

    def current(self) -> Job | None:
        """The running job, or else the one that ended last (None before the first job)."""
        with self._lock:
            running = self._running()
            if running is not None:
                return running
            return next(reversed(self._jobs.values()), None)

    def _running(self) -> Job | None:
        return next((j for j in self._jobs.values() if j.running), None)

    async def stream(
        self, job: Job, after: int = 0, heartbeat: float | None = None
    ) -> AsyncIterator[dict[str, Any] | None]:
        """The job's events numbered above ``after``, as they come, until its final one; ``None``
        after each ``heartbeat`` seconds without one (a stream can say it is alive). Polls every
        POLL_SECONDS rather than blocking a thread, so any number of pages can follow a job."""
        seen, quiet_since = after, time.monotonic()
        while True:
            events, ended = job.events_after(seen)
            for event in events:
                seen = event["seq"]
                yield event
            if ended:  # read together with the events: the final one was among them
                return
            now = time.monotonic()
            if events:
                quiet_since = now
            elif heartbeat is not None and now - quiet_since >= heartbeat:
                quiet_since = now
                yield None
            await anyio.sleep(POLL_SECONDS)

    # ------------------------------------------------------------------ the reader threads
    def _read_events(self, job: Job) -> None:
        for line in job.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                job.stderr.append(line.rstrip())  # not an event: keep it with the log lines
                continue
            if not isinstance(event, dict):
                continue
            if "fraction" in event:
                job.add("progress", fraction=float(event["fraction"]), message=str(event.get("message", "")))
            elif event.get("done"):
                job.add("done", **{k: v for k, v in event.items() if k != "done"})
            elif "error" in event:
                kind = "cancelled" if job.cancel_requested or event.get("cancelled") else "error"
                job.add(kind, message=str(event["error"]))
        code = job.process.wait()
        if job.cancel_requested:
            job.add("cancelled", message="cancelled")
        elif code != 0 or job.running:  # ended without its final event: killed, or crashed hard
            tail = next((line for line in reversed(job.stderr) if line.strip()), "")
            why = f"the worker stopped with exit status {code}" + (f": {tail.strip()}" if tail else "")
            job.add("error", message=why)

    @staticmethod
    def _read_stderr(job: Job) -> None:
        for line in job.process.stderr:
            job.stderr.append(line.rstrip())


def _worker_env() -> dict[str, str]:
    """The lab's environment, with this posenc importable (also when run from a source tree)."""
    import posenc

    source = str(Path(posenc.__file__).resolve().parents[1])
    paths = [source] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1"}


def _stop(process: subprocess.Popen, grace: tuple[float, float] = STOP_GRACE) -> None:
    """SIGINT (a study's training stops after its step and checkpoints), then SIGTERM, then SIGKILL,
    each sent to this process by its own PID, and only while it is still running."""
    for sig, wait in ((signal.SIGINT, grace[0]), (signal.SIGTERM, grace[1]), (signal.SIGKILL, 10.0)):
        if process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def result_file(folder: Path, name: str, listed: Iterable[str]) -> tuple[Path, str]:
    """(path, media type) of the plot ``name`` in the results ``folder``, served only when the
    folder's results.json lists it, it is a plot (PNG or SVG), a plain name (no folder part, no
    ``..``), and the real file (symlinks followed) lies inside the folder. ``FileNotFoundError``
    naming the refusal otherwise (the route answers 404)."""
    if name not in set(listed):
        raise FileNotFoundError(f"{name!r} is not one of the plots listed in results.json")
    pure = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or pure.is_absolute()
        or len(pure.parts) != 1
        or pure.name in (".", "..")
    ):
        raise FileNotFoundError(f"{name!r} is not a plain file name")
    media = SERVED_SUFFIXES.get(pure.suffix.lower())
    if media is None:
        raise FileNotFoundError(f"{name!r} is not a plot (PNG or SVG)")
    base = folder.resolve()
    try:
        real = (base / name).resolve(strict=True)
    except (OSError, RuntimeError):
        raise FileNotFoundError(f"{name!r} does not exist in the results folder") from None
    if not real.is_relative_to(base) or not real.is_file():
        raise FileNotFoundError(f"{name!r} does not lie inside the results folder")
    return real, media


__all__ = ["Busy", "Job", "JobRunner", "JobSpec", "NotRunning", "result_file"]
