"""Answers the lab keeps in memory, and the shortcut that serves them before routing.

A page whose HTML depends only on its address (the notes, the quiz, the tools) or on files whose
state is cheap to read (a results page: the (mtime, size) of its results.json), and a JSON route
that is a pure function of its query, are computed once; later requests for the same address are
answered from an :class:`AnswerStore`. :class:`Shortcut`, an ASGI middleware inside the guard, looks
there first, so such a request costs a dictionary lookup (and, for a results page, a few ``stat``
calls) instead of Starlette's routing and a ``Request`` per call. Under a burst of 200 concurrent
requests on 2 cores that is what keeps the lab's p99 low (``benchmarks/lab_latency.py``).

The store is keyed by the exact path and query string a browser sends; an answer kept with a
``state`` function is served only while that function returns the value it had when the answer was
rendered (read *before* rendering, so a change during the render is never hidden).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_ANSWERS = 1024  # addresses kept; the least recently served is forgotten first


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: list[tuple[bytes, bytes]]  # content-type and content-length, as Starlette writes them
    media_type: str | None
    state: Callable[[], Hashable] | None
    version: Hashable

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type)


class AnswerStore:
    """Kept 200 answers by (path, query string); bounded, least recently served forgotten first."""

    def __init__(self, size: int = MAX_ANSWERS):
        self.size = size
        self._kept: OrderedDict[tuple[str, bytes], Kept] = OrderedDict()

    def get(self, path: str, query: bytes) -> Kept | None:
        kept = self._kept.get((path, query))
        if kept is None or (kept.state is not None and kept.state() != kept.version):
            return None
        self._kept.move_to_end((path, query))
        return kept

    def put(
        self,
        path: str,
        query: bytes,
        body: bytes,
        media_type: str | None,
        state: Callable[[], Hashable] | None = None,
        version: Hashable = None,
    ) -> None:
        headers = Response(body, media_type=media_type).raw_headers
        self._kept[(path, query)] = Kept(bytes(body), headers, media_type, state, version)
        self._kept.move_to_end((path, query))
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


class Shortcut:
    """ASGI middleware: a GET or HEAD whose answer is kept is answered here, without routing."""

    def __init__(self, app: ASGIApp, store: AnswerStore):
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            kept = self.store.get(scope["path"], scope.get("query_string", b""))
            if kept is not None:
                await send({"type": "http.response.start", "status": 200, "headers": kept.headers})
                body = b"" if scope["method"] == "HEAD" else kept.body
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
