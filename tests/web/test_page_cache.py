"""Packaged pages are rendered once and served from memory; pages that read results are not cached."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import HTMLResponse

from posenc.web.app import PACKAGED_PAGES, _cached


def run(coroutine):
    """Run a coroutine on its own loop in a thread: Playwright's sync API may hold this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def request(path: str, query: str = "") -> Request:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []}
    return Request(scope)


def test_a_cached_endpoint_renders_once_per_address_and_a_query_bypasses_it():
    calls = []

    def endpoint(req: Request) -> HTMLResponse:
        calls.append(req.url.path)
        return HTMLResponse(f"<p>{req.url.path} {len(calls)}</p>")

    page = _cached(endpoint)
    first = run(page(request("/quiz")))
    again = run(page(request("/quiz")))
    assert first.body == again.body == b"<p>/quiz 1</p>" and calls == ["/quiz"]
    assert again.media_type == "text/html"
    run(page(request("/grill")))
    run(page(request("/quiz", "x=1")))
    assert calls == ["/quiz", "/grill", "/quiz"]


def test_an_error_answer_is_never_kept():
    calls = []

    def endpoint(req: Request) -> HTMLResponse:
        calls.append(1)
        return HTMLResponse("missing", status_code=404)

    page = _cached(endpoint)
    for _ in range(2):
        assert run(page(request("/notes/nosuch"))).status_code == 404
    assert len(calls) == 2


def test_pages_that_read_the_results_folder_are_not_cached(client, tmp_path):
    assert not {"/study", "/experiments", "/experiments/{name}", "/models"} & PACKAGED_PAGES
    assert client.get("/quiz").text == client.get("/quiz").text
