"""The lab's core: the state every page shares (:class:`Lab`), the page frame, and the kept answers.

    Lab           results folder, templates, navigation, kept answers, the job runner, the model views,
                  the session token and the progress file (``lab.progress(change)``);
                  ``lab.page(...)`` renders a template inside the frame (navigation, "Next" link)
    cached_page   a page route whose answers are kept (per address, and per a state of its files)
    memo_json     a JSON route for a pure function of its query, computed once per query
    seconds_text  a duration as the pages write it
    png_size      a PNG's pixel size (an <img>'s width and height, so the page reserves its box)
    Gate          a bounded admission queue for a heavy route: 429 with Retry-After at once when full

Page modules import this (and :mod:`posenc.web.params` to read requests); it imports no page module.
Nothing here imports torch.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.templating import Jinja2Templates

from posenc.experiments import DEFAULT_OUT
from posenc.learn import progress as progress_store
from posenc.learn.path import next_step
from posenc.web.answers import AnswerStore
from posenc.web.jobs import JobRunner
from posenc.web.model_views import ModelViews
from posenc.web.session import new_token

WEB_DIR = Path(__file__).parent
log = logging.getLogger("posenc.lab")
#: where JSON routes compute (memo_json): one thread, so 200 different queries at once run one after
#: another (about 0.5 ms each) instead of 40 pool threads fighting over the GIL and torch's threads
#: (8-10 times slower in benchmarks/lab_latency.py)
COMPUTE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posenc-compute")


class Gate:
    """A bounded admission queue for one kind of heavy request, on the event loop.

    At most ``running`` requests compute at once and at most ``waiting`` more wait their turn, and a
    request is queued only while its expected wait (the requests ahead of it times the recent time of one,
    an exponential average) stays under ``max_wait`` seconds; any other is answered 429 with
    ``Retry-After`` at once, before it takes a thread, a lock or any memory. So a flood of heavy requests
    never queues for the server's thread pool, every one is answered or refused within about ``max_wait``
    plus one computation even on a slow or busy machine, and pages, job events and cancels (which never
    pass a gate) stay answered meanwhile (benchmarks/lab_flood.py measures it)."""

    def __init__(
        self, what: str, running: int = 1, waiting: int = 8, retry_after: int = 2, max_wait: float = 2.5
    ):
        self.what, self.running, self.waiting, self.retry_after = what, running, waiting, retry_after
        self.max_wait = max_wait
        self.admitted = 0  # running + waiting; touched on the event loop only
        self.seconds = 0.0  # recent time of one computation (exponential average; 0 until one ran)
        self._slots: asyncio.Semaphore | None = None

    def _full(self) -> bool:
        if self.admitted >= self.running + self.waiting:
            return True
        ahead = self.admitted - self.running + 1  # computations to wait for, this one's slot included
        return ahead > 0 and ahead * self.seconds / self.running > self.max_wait

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a place while the block runs; ``HTTPException`` 429 at once when the queue is full."""
        if self._full():
            raise HTTPException(
                429,
                f"the lab is busy with {self.admitted} {self.what} requests (it computes {self.running} at a "
                f"time and queues at most {self.waiting}); try again in a moment",
                headers={"retry-after": str(self.retry_after)},
            )
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.running)
        self.admitted += 1
        try:
            async with self._slots:
                started = time.perf_counter()
                try:
                    yield
                finally:
                    took = time.perf_counter() - started
                    self.seconds = took if self.seconds == 0 else 0.7 * self.seconds + 0.3 * took
        finally:
            self.admitted -= 1


@dataclass
class Lab:
    """What every route shares: where results live, the templates, the navigation, the kept answers,
    the job runner, the model views, the session token and the learner's progress file."""

    results_dir: Path
    templates: Jinja2Templates
    #: the learner's progress: the file ``posenc progress`` reads (learn/progress.py), shared with the
    #: terminal; None: that file, found when the lab starts (``$XDG_DATA_HOME/posenc/progress.json``)
    progress_file: Path | None = None
    nav: list[tuple[str, str]] = field(default_factory=list)  # (label, address): the bar (app.PAGES)
    answers: AnswerStore = field(default_factory=AnswerStore)  # kept pages and JSON answers (answers.py)
    #: one heavy job at a time in a subprocess (jobs.py); the app's lifespan stops it when the lab stops
    jobs: JobRunner = field(init=False)
    #: one model view at a time in this process (model_views.py); torch loads with its first computation
    model_views: ModelViews = field(default_factory=ModelViews)

    #: the bounded queues of the heavy routes (Gate): config analyses, and the model views
    inspect_gate: Gate = field(default_factory=lambda: Gate("config analysis", running=1, waiting=4))
    views_gate: Gate = field(default_factory=lambda: Gate("model view", running=1, waiting=4))
    #: this run's session token: state-changing routes demand it (session.local_post); pages carry it
    token: str = field(default_factory=new_token)
    #: one read-modify-write of the progress file at a time in this process (the write itself is atomic)
    progress_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.jobs = JobRunner(self.results_dir)
        if self.progress_file is None:
            self.progress_file = progress_store.progress_file()
        self.templates.env.globals["session_token"] = self.token

    def progress(self, change: Callable[..., Any] | None = None, *args: Any) -> dict:
        """The progress file's content after ``change(*args, file=...)`` (one of learn/progress.py's
        ``record_*`` functions), or as it is when ``change`` is None. Runs in the caller's thread: call it
        from a route's thread pool, not on the event loop."""
        with self.progress_lock:
            if change is not None:
                change(*args, file=self.progress_file)
            return progress_store.load(self.progress_file, warn=log.warning)

    def experiment_dir(self, name: str) -> Path:
        """RESULTS/exp2, RESULTS/rope-base: the CLI's default folder, under the lab's results folder."""
        return self.results_dir / Path(DEFAULT_OUT[name]).name

    def page(
        self, request: Request, template: str, *, key: str | None, title: str, **context
    ) -> HTMLResponse:
        """Render ``template`` inside the lab's frame; ``key`` is the page's step on the learning path
        (its "Next" link follows the path; pages off the path point to the first unvisited step)."""
        following = next_step(key) if key else None
        return self.templates.TemplateResponse(
            request,
            template,
            {"title": title, "nav": self.nav, "path_key": key, "next": following, **context},
        )

    def finished_job(self, request: Request) -> dict | None:
        """The job a page started and came back from (``?job=ID``), if the runner still knows it."""
        job_id = request.query_params.get("job")
        try:
            return self.jobs.get(job_id).to_dict() if job_id else None
        except KeyError:
            return None


def cached_page(
    endpoint: Callable[[Request], Any], store: AnswerStore, state: Callable[[], Hashable] | None = None
) -> Callable[[Request], Any]:
    """``endpoint`` with its 200 answers kept in ``store``, per address (and per ``state()``).

    Without ``state`` the page depends on its address alone (packaged content): a query string
    bypasses the store. With ``state`` (a cheap function, e.g. the (mtime, size) of the files the page
    reads), the query string is part of the address and an answer is served only while the state is
    the same, so a results page changes the moment its results.json does; a ``job`` query (the
    finished banner of a job, whose state lives in the runner) always renders afresh.

    Kept answers are served by the :class:`~posenc.web.answers.Shortcut` middleware before routing;
    this wrapper serves them too (for an app without it) and renders the rest in the thread pool.
    """
    is_coroutine = inspect.iscoroutinefunction(endpoint)

    async def cached(request: Request) -> Response:
        path, query = request.url.path, request.scope.get("query_string", b"")
        keep = not query if state is None else "job" not in request.query_params
        kept = store.get(path, query) if keep else None
        if kept is not None:
            return kept.response()
        version = state() if state is not None and keep else None  # before the render: see answers.py
        if is_coroutine:
            response = await endpoint(request)
        else:
            response = await run_in_threadpool(endpoint, request)
        if response.status_code == 200 and keep:
            store.put(path, query, response.body, response.media_type, state, version)
        return response

    return cached


def memo_json(
    compute: Callable[[QueryParams], Any], store: AnswerStore | None = None, size: int = 512
) -> Callable[[Request], Any]:
    """A JSON route for ``compute(query)``, a pure function of its query parameters: each answer is
    computed once (on the one ``COMPUTE`` thread, off the event loop) and kept for the next ``size`` distinct
    queries, whatever the order of their parameters; the exact address is also put in ``store`` for
    the shortcut. Requests for a query being computed wait for that computation instead of starting
    their own, so a burst of identical requests costs one computation. Errors are never kept."""
    kept: OrderedDict[tuple, bytes] = OrderedDict()
    pending: dict[tuple, asyncio.Future] = {}

    def render(params: QueryParams) -> bytes:
        return bytes(JSONResponse(compute(params)).body)

    async def endpoint(request: Request) -> Response:
        params = request.query_params
        key = tuple(sorted(params.multi_items()))
        body = kept.get(key)
        if body is None:
            task = pending.get(key)
            if task is None:
                task = asyncio.get_running_loop().run_in_executor(COMPUTE, render, params)
                pending[key] = task
                task.add_done_callback(lambda done, key=key: _keep(done, key))
            body = await asyncio.shield(task)  # a client that leaves does not cancel the others' answer
        else:
            kept.move_to_end(key)
        if store is not None:
            store.put(request.url.path, request.scope.get("query_string", b""), body, "application/json")
        return Response(body, media_type="application/json")

    def _keep(task: asyncio.Future, key: tuple) -> None:
        pending.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            kept[key] = task.result()
            if len(kept) > size:
                kept.popitem(last=False)

    return endpoint


def seconds_text(seconds: float) -> str:
    """A duration as the pages write it: "36 s", "20 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a PNG file from its header (IHDR), None when it is missing or not a PNG."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
