"""The web lab's application: ``create_app(results_dir=...)`` builds it, ``posenc lab`` serves it.

    web/app.py           this file: the Lab (shared state), the page helper, the app factory
    web/guard.py         which requests reach a route (Host, Origin, sizes) and security headers
    web/answers.py       answers kept in memory (pages, JSON) and the shortcut serving them first
    web/markup.py        Markdown + math -> HTML (MathML)
    web/learn_pages.py   home (the learning path) and the notes
    web/practice_pages.py quiz, grill, practice (self-check, walk-through, flashcards)
    web/tool_pages.py    rotation playground, frequency explorer, inspector (+ their JSON routes)
    web/job_pages.py     experiments and the study, run as jobs with live progress
    web/exercise_pages.py the exercises: what to write and the commands (the lab runs no learner code)
    web/position_pages.py angle map and long-term decay of RoPE for chosen settings (+ JSON routes)
    web/model_pages.py   trained models on the learner's text: attention maps, per-byte loss
    web/jobs.py          the job runner: one heavy job at a time, in a subprocess, progress as events
    web/templates/       Jinja2 templates (base.html holds the navigation and the "Next" link)
    web/static/          style sheet and scripts; plotly's script is served from the plotly package

Nothing here imports torch at import time: the lab answers its first page before torch has loaded
(torch is imported in the background once the server is up, and by the routes that need it).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from posenc.learn.path import load_path, next_step
from posenc.web.answers import AnswerStore, Shortcut
from posenc.web.guard import LOCAL_HOSTS, Guard
from posenc.web.markup import inline_html, markdown_html

WEB_DIR = Path(__file__).parent
log = logging.getLogger("posenc.lab")
#: where JSON routes compute (memo_json): one thread, so 200 different queries at once run one after
#: another (about 0.5 ms each) instead of 40 pool threads fighting over the GIL and torch's threads
#: (8-10 times slower in benchmarks/lab_latency.py)
COMPUTE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posenc-compute")

#: the navigation bar: (label, address)
NAV = [
    ("Path", "/"),
    ("Notes", "/notes"),
    ("Playground", "/playground"),
    ("Explorer", "/explorer"),
    ("Angles", "/angles"),
    ("Practice", "/practice"),
    ("Quiz", "/quiz"),
    ("Grill", "/grill"),
    ("Experiments", "/experiments"),
    ("Inspector", "/inspector"),
    ("Models", "/models"),
    ("Exercises", "/exercises"),
    ("Study", "/study"),
]


class BadInput(ValueError):
    """A request's parameter is missing or out of range: answered 400 with this message."""


@dataclass
class Lab:
    """What every route shares: where results live, the templates, the job runner."""

    results_dir: Path
    templates: Jinja2Templates
    nav: list[tuple[str, str]] = field(default_factory=lambda: list(NAV))  # the pages this app serves
    extra: dict[str, Any] = field(default_factory=dict)  # state a page module keeps (loaded once)
    answers: AnswerStore = field(default_factory=AnswerStore)  # kept pages and JSON answers (answers.py)

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


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    templates.env.filters["markdown"] = markdown_html
    templates.env.filters["inline"] = inline_html
    templates.env.globals["path_steps"] = load_path
    return templates


def _page_routes(lab: Lab) -> list[BaseRoute]:
    from posenc.web import (
        exercise_pages,
        job_pages,
        learn_pages,
        model_pages,
        position_pages,
        practice_pages,
        tool_pages,
    )

    routes: list[BaseRoute] = []
    pages = (learn_pages, tool_pages, position_pages, job_pages, model_pages, practice_pages, exercise_pages)
    for module in pages:
        routes += module.routes(lab)
    return [
        Route(r.path, cached_page(r.endpoint, lab.answers), methods=["GET", "HEAD"], name=r.name)
        if isinstance(r, Route) and r.path in PACKAGED_PAGES
        else r
        for r in routes
    ]


#: pages whose HTML depends only on their address and the packaged content (notes, quiz, grill, tools),
#: never on the results folder: rendered once, then served from memory. Pages that read results
#: (experiments, the study, the models) are rendered on every request.
PACKAGED_PAGES = frozenset(
    {
        "/",
        "/notes",
        "/notes/{topic}",
        "/quiz",
        "/grill",
        "/practice",
        "/playground",
        "/explorer",
        "/angles",
        "/inspector",
        "/exercises",
    }
)


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


def _plotly_js(request: Request) -> Response:
    """plotly's own bundled script, from the installed plotly package (never a CDN)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return FileResponse(path, media_type="text/javascript", headers={"cache-control": "max-age=86400"})


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None) or "error"
    if _wants_json(request):
        return JSONResponse({"error": detail}, status_code=status)
    lab: Lab = request.app.state.lab
    return lab.templates.TemplateResponse(
        request,
        "error.html",
        {
            "title": f"{status}",
            "nav": lab.nav,
            "path_key": None,
            "next": None,
            "status": status,
            "detail": detail,
        },
        status_code=status,
    )


async def _bad_input(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(400, str(exc)))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("error answering %s", request.url.path, exc_info=exc)
    return await _http_error(request, HTTPException(500, f"the lab failed on this request: {exc}"))


def _warm_up() -> None:
    """Import torch and the library off the request path, so the first API call does not wait; then
    move every object alive so far (torch's, the templates') out of the garbage collector's sight
    (``gc.freeze``): a full collection otherwise walks them all and stalls every request for tens of
    milliseconds in the middle of a burst."""
    try:
        import posenc.encodings  # noqa: F401
    except Exception:  # a broken torch shows itself on the route that needs it
        log.exception("warming up the library failed")
    gc.collect()
    gc.freeze()


def create_app(
    results_dir: str | Path = "results",
    *,
    allowed_hosts: Iterable[str] = LOCAL_HOSTS,
    warm_up: bool = True,
) -> Starlette:
    """The lab's ASGI application. ``results_dir`` is where jobs write and pages read results;
    ``allowed_hosts`` the host names requests may address (``posenc lab --host`` adds its own)."""
    lab = Lab(results_dir=Path(results_dir), templates=_templates())

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if warm_up:
            threading.Thread(target=_warm_up, name="posenc-warm-up", daemon=True).start()
        yield
        runner = lab.extra.get("jobs")
        if runner is not None:
            runner.shutdown()

    routes = _page_routes(lab) + [
        Route("/static/vendor/plotly.min.js", _plotly_js),
        Mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static"),
    ]
    paths = {getattr(r, "path", None) for r in routes}
    lab.nav = [(label, href) for label, href in NAV if href in paths]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, allowed_hosts=allowed_hosts), Middleware(Shortcut, store=lab.answers)],
        exception_handlers={HTTPException: _http_error, BadInput: _bad_input, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.lab = lab
    return app
