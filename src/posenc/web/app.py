"""The web lab's application: ``create_app(results_dir=...)`` builds it, ``posenc lab`` serves it.

    web/app.py              this file: the table of pages (PAGES), the navigation, the app factory
    web/cli.py              ``posenc lab``: serves the app with uvicorn on 127.0.0.1
    web/core.py             the Lab (shared state: results folder, templates, kept answers, job runner,
                            model views), the page frame, kept pages and JSON answers (cached_page,
                            memo_json)
    web/params.py           reading requests: query strings and JSON bodies, every value checked (BadInput)
    web/guard.py            which requests reach a route (Host, Origin, sizes) and security headers
    web/session.py          the session token in every page and the check of state-changing POSTs
    web/answers.py          answers kept in memory (pages, JSON) and the shortcut serving them first
    web/markup.py           Markdown + math -> HTML (MathML)
    web/richhtml.py         rich renderables (what the terminal prints) -> HTML
  page modules (``routes(lab)`` serves a page or a few and their JSON routes; each page a row of PAGES):
    web/learn_pages.py      home (the learning path), the notes with their figures, the learner's progress
                            (+ /api/progress, /api/shuffle)
    web/practice_pages.py   quiz, grill, practice (self-check, walk-through, flashcards)
    web/playground_pages.py the rotation playground (+ /api/rotation)
    web/explorer_pages.py   the frequency explorer (+ /api/frequencies)
    web/position_pages.py   angle map and long-term decay of RoPE for chosen settings, the clock's hands
                            (+ JSON routes)
    web/bias_pages.py       the bias explorer: ALiBi, T5 bias, xPos, NoPE (+ /api/bias)
    web/inspector_pages.py  the inspector: a config.json explained (+ /api/inspect)
    web/job_pages.py        experiments and the study, run as jobs with live progress
    web/model_pages.py      trained models on the learner's text: attention maps, per-byte loss
    web/eval_pages.py       your own models' evaluations (``posenc eval MODEL``): tables and plots
    web/exercise_pages.py   the exercises: what to write, an editor, the checker (+ /api/exercises/…)
  what several pages share (no page module imports another):
    web/rope_form.py        the RoPE settings form of the explorer and the angles page (from the registry)
    web/jobs.py             the job runner: one heavy job at a time, in a subprocess, progress as events
    web/worker.py           the job's process (``python -m posenc.web.worker``)
    web/model_views.py      the trained models loaded in the lab, one model view computing at a time
    web/templates/          Jinja2 templates (base.html holds the navigation and the "Next" link);
                            templates/widgets/ the components a tool page and a note share
    web/static/             style sheets and scripts; static/widgets.js keeps a component's state in the
                            URL, static/widgets/NAME.js draws one component; plotly's script is served,
                            gzip-compressed, from the plotly package

The study's run names, folders and tables come from ``posenc.study`` (runs, tables), the rope_types
from ``posenc.encodings.rope_types``. Imports go one way: app -> page modules -> (rope_form,
model_views, core, params, ...); nothing imports app or a page module back. Adding a page: its
module (``routes(lab)``), its template and script, and one row in PAGES.
Adding a widget a note can embed: its entry in ``posenc.learn.figures.FIGURES``, its template
``templates/widgets/NAME.html`` and its script ``static/widgets/NAME.js`` (``Widgets.register``); a tool
page that shows the same widget includes the same template inside a ``data-widget`` root.

Nothing here imports torch at import time: the lab answers its first page before torch has loaded
(torch is imported in the background once the server is up, and by the routes that need it).
"""

from __future__ import annotations

import functools
import gc
import gzip
import importlib
import threading
from collections.abc import Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from posenc.learn.path import load_path
from posenc.web.answers import Shortcut
from posenc.web.core import WEB_DIR, Lab, cached_page, log
from posenc.web.guard import LOCAL_HOSTS, Guard
from posenc.web.markup import inline_html, markdown_html
from posenc.web.params import BadInput


@dataclass(frozen=True)
class Page:
    """A page of the lab: one row of PAGES."""

    path: str  # its address, as the module's route names it
    module: str  # the module in posenc.web whose routes(lab) serve it (and its JSON routes)
    nav: str | None  # its label in the navigation bar (in the table's order); None: not in the bar
    #: its HTML depends only on its address and the packaged content (notes, quiz, grill, tools), never
    #: on the results folder: rendered once, then served from memory. Pages that read results
    #: (experiments, the study, the models) are rendered on every request (or keep their own answers).
    packaged: bool


#: every page of the lab, in the order of the navigation bar
PAGES: tuple[Page, ...] = (
    Page("/", "learn_pages", "Path", packaged=True),
    Page("/notes", "learn_pages", "Notes", packaged=True),
    Page("/notes/{topic}", "learn_pages", None, packaged=True),
    Page("/playground", "playground_pages", "Playground", packaged=True),
    Page("/explorer", "explorer_pages", "Explorer", packaged=True),
    Page("/angles", "position_pages", "Angles", packaged=True),
    Page("/bias", "bias_pages", "Bias", packaged=True),
    Page("/practice", "practice_pages", "Practice", packaged=True),
    Page("/quiz", "practice_pages", "Quiz", packaged=True),
    Page("/grill", "practice_pages", "Grill", packaged=True),
    Page("/experiments", "job_pages", "Experiments", packaged=False),
    Page("/inspector", "inspector_pages", "Inspector", packaged=True),
    Page("/models", "model_pages", "Models", packaged=False),
    Page("/exercises", "exercise_pages", "Exercises", packaged=True),
    Page("/exercises/{name}", "exercise_pages", None, packaged=True),
    Page("/study", "job_pages", "Study", packaged=False),
    Page("/evaluations", "eval_pages", None, packaged=False),
)
#: the navigation bar: (label, address)
NAV = [(page.nav, page.path) for page in PAGES if page.nav is not None]
#: the pages rendered once and kept (see Page.packaged)
PACKAGED_PAGES = frozenset(page.path for page in PAGES if page.packaged)


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    templates.env.filters["markdown"] = markdown_html
    templates.env.filters["inline"] = inline_html
    templates.env.globals["path_steps"] = load_path
    templates.env.globals["plotly_src"] = plotly_src()
    return templates


def _page_routes(lab: Lab) -> list[BaseRoute]:
    """The routes of every module PAGES names (each module once, in the table's order); a packaged
    page's route keeps its answers (``cached_page``)."""
    routes: list[BaseRoute] = []
    for name in dict.fromkeys(page.module for page in PAGES):
        served = importlib.import_module(f"posenc.web.{name}").routes(lab)
        paths = {r.path for r in served if isinstance(r, Route)}
        missing = [page.path for page in PAGES if page.module == name and page.path not in paths]
        if missing:
            raise RuntimeError(f"posenc.web.{name} serves no route {missing[0]!r}, which PAGES gives it")
        routes += served
    return [
        Route(r.path, cached_page(r.endpoint, lab.answers), methods=["GET", "HEAD"], name=r.name)
        if isinstance(r, Route) and r.path in PACKAGED_PAGES
        else r
        for r in routes
    ]


@functools.cache
def _plotly_bundle() -> tuple[str, bytes, bytes]:
    """plotly's bundled script from the installed plotly package (never a CDN): its version, the bytes
    and the same gzip-compressed once (4.8 MB -> about 1.4 MB)."""
    import plotly

    raw = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    return plotly.__version__, raw, gzip.compress(raw, compresslevel=6, mtime=0)


def plotly_src() -> str:
    """The address pages load plotly from: versioned, so a year-long cache never serves an old bundle."""
    import importlib.metadata

    return f"/static/vendor/plotly.min.js?v={importlib.metadata.version('plotly')}"


def _plotly_js(request: Request) -> Response:
    """plotly's script, gzip-compressed when the browser accepts it; cached for a year at its versioned
    address (``plotly_src``), for a day at the bare one."""
    version, raw, packed = _plotly_bundle()
    etag = f'"plotly-{version}"'
    cache = (
        "public, max-age=31536000, immutable" if request.query_params.get("v") == version else "max-age=86400"
    )
    headers = {"cache-control": cache, "etag": etag, "vary": "accept-encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/javascript", headers={**headers, "content-encoding": "gzip"})
    return Response(raw, media_type="text/javascript", headers=headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None) or "error"
    headers = getattr(exc, "headers", None)  # e.g. a 429's Retry-After (core.Gate)
    if _wants_json(request):
        return JSONResponse({"error": detail}, status_code=status, headers=headers)
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
        headers=headers,
    )


async def _bad_input(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(400, str(exc)))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("error answering %s", request.url.path, exc_info=exc)
    return await _http_error(request, HTTPException(500, f"the lab failed on this request: {exc}"))


def _warm_up(lab: Lab) -> None:
    """Import torch and the library and build the notes' HTML off the request path, so neither the
    first API call nor the first visit to a note waits; then move every object alive so far (torch's,
    the templates') out of the garbage collector's sight (``gc.freeze``): a full collection otherwise
    walks them all and stalls every request for tens of milliseconds in the middle of a burst."""
    try:
        import torch

        import posenc.encodings  # noqa: F401
        import posenc.experiments.exp1_why_position  # noqa: F401 (the why-position note's shuffle demo)
        from posenc.web.model_views import VIEW_THREADS

        # the widgets' tensors are tiny: on a busy machine a second intra-op thread only waits for a core
        # (the shuffle demo took 0.4 s with 2 threads at load 11, 6 ms with 1); the model views use as many
        torch.set_num_threads(VIEW_THREADS)
    except Exception:  # a broken torch shows itself on the route that needs it
        log.exception("warming up the library failed")
    try:
        from posenc.web.learn_pages import render_notes

        render_notes(lab.templates.env)
    except Exception:  # a broken note shows itself on its page
        log.exception("building the notes' pages failed")
    gc.collect()
    gc.freeze()


def create_app(
    results_dir: str | Path = "results",
    *,
    allowed_hosts: Iterable[str] = LOCAL_HOSTS,
    warm_up: bool = True,
    progress_file: str | Path | None = None,
) -> Starlette:
    """The lab's ASGI application. ``results_dir`` is where jobs write and pages read results;
    ``allowed_hosts`` the host names requests may address (``posenc lab --host`` adds its own);
    ``progress_file`` the learner's progress (default: the file ``posenc progress`` reads)."""
    lab = Lab(
        results_dir=Path(results_dir),
        templates=_templates(),
        progress_file=Path(progress_file) if progress_file is not None else None,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if warm_up:
            threading.Thread(target=_warm_up, args=(lab,), name="posenc-warm-up", daemon=True).start()
        yield
        lab.jobs.shutdown()

    routes = _page_routes(lab) + [
        Route("/static/vendor/plotly.min.js", _plotly_js),
        Mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static"),
    ]
    lab.nav = list(NAV)  # every address in it is served: _page_routes checked each row
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, allowed_hosts=allowed_hosts), Middleware(Shortcut, store=lab.answers)],
        exception_handlers={HTTPException: _http_error, BadInput: _bad_input, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.lab = lab
    return app
