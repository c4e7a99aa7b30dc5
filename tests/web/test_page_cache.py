"""Pages are rendered once per address (and per state of the results they read) and served from
memory; JSON routes compute each query once, a burst of the same query included."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import HTMLResponse

from posenc.web.answers import AnswerStore
from posenc.web.app import PACKAGED_PAGES
from posenc.web.core import cached_page, memo_json
from tests.web.conftest import run_coroutine

run = run_coroutine  # Playwright's sync API may hold this thread's loop


def request(path: str, query: str = "") -> Request:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []}
    return Request(scope)


def test_a_cached_endpoint_renders_once_per_address_and_a_query_bypasses_it():
    calls = []

    def endpoint(req: Request) -> HTMLResponse:
        calls.append(req.url.path)
        return HTMLResponse(f"<p>{req.url.path} {len(calls)}</p>")

    page = cached_page(endpoint, AnswerStore())
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

    page = cached_page(endpoint, AnswerStore())
    for _ in range(2):
        assert run(page(request("/notes/nosuch"))).status_code == 404
    assert len(calls) == 2


def test_pages_that_read_the_results_folder_are_not_packaged(client, tmp_path):
    assert not {"/study", "/experiments", "/experiments/{name}", "/models"} & PACKAGED_PAGES
    assert client.get("/quiz").text == client.get("/quiz").text


def test_a_page_with_a_state_is_rendered_again_when_its_state_changes():
    calls, state = [], {"version": 1}

    def endpoint(req: Request) -> HTMLResponse:
        calls.append(req.url.query)
        return HTMLResponse(f"<p>version {state['version']}</p>")

    page = cached_page(endpoint, AnswerStore(), state=lambda: state["version"])
    assert run(page(request("/study"))).body == b"<p>version 1</p>"
    assert run(page(request("/study"))).body == b"<p>version 1</p>" and len(calls) == 1
    run(page(request("/study", "run=full")))  # a query is part of the key
    run(page(request("/study", "run=full")))
    assert calls == ["", "run=full"]
    state["version"] = 2
    assert run(page(request("/study"))).body == b"<p>version 2</p>" and len(calls) == 3
    run(page(request("/study", "job=abc")))  # a job's banner is never kept
    run(page(request("/study", "job=abc")))
    assert calls[-2:] == ["job=abc", "job=abc"]


def test_an_experiment_page_shows_new_results_as_soon_as_they_are_written(client, tmp_path):
    folder = tmp_path / "results" / "exp2"
    before = client.get("/experiments/2").text
    assert before == client.get("/experiments/2").text
    folder.mkdir(parents=True)
    (folder / "results.json").write_text("[1, 2]", encoding="utf-8")  # unreadable as a result
    after = client.get("/experiments/2").text
    assert after != before and "results.json" in after


def test_memo_json_computes_a_query_once_even_for_a_burst_and_keeps_no_error():
    import threading
    import time

    calls, lock = [], threading.Lock()

    def compute(params):
        with lock:
            calls.append(dict(params))
        time.sleep(0.05)  # long enough that the whole burst arrives while it computes
        if params.get("bad"):
            raise ValueError("bad input")
        return {"m": int(params["m"])}

    store = AnswerStore()
    endpoint = memo_json(compute, store, size=2)

    async def burst(query: str, n: int):
        return await asyncio.gather(
            *(endpoint(request("/api/x", query)) for _ in range(n)), return_exceptions=True
        )

    answers = run(burst("m=3", 50))
    assert {a.body for a in answers} == {b'{"m":3}'} and len(calls) == 1
    run(burst("m=3&n=1", 1))
    run(burst("n=1&m=3", 1))  # the same parameters in another order: the same answer
    assert len(calls) == 2
    assert store.get("/api/x", b"n=1&m=3").body == store.get("/api/x", b"m=3&n=1").body  # both addresses kept
    errors = run(burst("m=1&bad=1", 3))
    assert all(isinstance(e, ValueError) for e in errors) and len(calls) == 3
    run(burst("m=1&bad=1", 1))  # an error is computed again, never served from memory
    assert len(calls) == 4
    run(burst("m=4", 1))
    run(burst("m=5", 1))  # size 2: m=3 has been forgotten
    run(burst("m=3", 1))
    assert len(calls) == 7


def test_the_store_forgets_the_least_recently_served_and_checks_the_state():
    store, state = AnswerStore(size=2), {"v": 1}
    store.put("/a", b"", b"a", "text/html")
    store.put("/b", b"", b"b", "text/html", state=lambda: state["v"], version=1)
    assert store.get("/a", b"").body == b"a"  # /a served: /b is now the least recently served
    store.put("/c", b"", b"c", "text/html")
    assert store.get("/b", b"") is None and len(store) == 2
    store.put("/b", b"", b"b", "text/html", state=lambda: state["v"], version=1)
    assert store.get("/b", b"").body == b"b"
    state["v"] = 2
    assert store.get("/b", b"") is None  # its state moved on: rendered again
    kept = store.get("/c", b"")
    assert (b"content-length", b"1") in kept.headers and (
        b"content-type",
        b"text/html; charset=utf-8",
    ) in kept.headers


def test_the_shortcut_answers_a_kept_page_exactly_as_the_route_does(client):
    first = client.get("/quiz")  # rendered by the route, then kept
    again = client.get("/quiz")  # answered by the shortcut
    assert again.content == first.content
    assert {k: v for k, v in again.headers.items() if k != "date"} == {
        k: v for k, v in first.headers.items() if k != "date"
    }  # the guard's security headers included
    head = client.head("/quiz")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    assert client.get("/quiz", headers={"host": "evil.example"}).status_code == 421  # the guard still first
