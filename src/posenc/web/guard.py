"""The lab's front door: which requests reach a route at all.

The lab runs on the learner's own machine, so the threats are other web pages open in the same
browser (cross-site requests, DNS rebinding) and careless or hostile input, not other users:

* **Host** must name the address the lab serves (``127.0.0.1``, ``localhost``, ``[::1]`` or the
  ``--host`` given): a page on ``evil.example`` whose DNS was rebound to 127.0.0.1 sends its own name
  as Host and is refused (421).
* **Origin**, when a browser sends one (every cross-site request and every same-origin POST), must be
  the lab itself: another site cannot start jobs or read answers (403). ``Sec-Fetch-Site: cross-site``
  is refused the same way, and so is ``same-site`` on anything but GET and HEAD (another port of
  127.0.0.1 is the same site). Routes that change state demand more (:func:`posenc.web.session.local_post`:
  the exact origin with its port, JSON, and this run's token).
* **Size**: a request body is read at most ``max_body`` bytes (413 beyond it); the path and query are
  bounded too (414).
* **Headers** on every answer: a content security policy that lets a page load only what the lab
  serves (so nothing can leave 127.0.0.1), no framing, no MIME sniffing, no referrer.

It is a plain ASGI middleware so it sees every request, static files included, before routing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_BODY = 256 * 1024  # bytes: a config.json or a page of text, with room to spare
MAX_TARGET = 4096  # bytes of path + query string

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
        b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def host_name(value: str) -> str:
    """``"127.0.0.1:8000"`` -> ``"127.0.0.1"``, ``"[::1]:80"`` -> ``"::1"``; lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware enforcing the rules in the module docstring."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = LOCAL_HOSTS, max_body: int = MAX_BODY):
        self.app = app
        self.allowed = frozenset(host_name(h) for h in allowed_hosts)
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _plain(send, *refusal)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except BodyTooLarge as err:
            await _plain(send, 413, str(err))

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        if host_name(headers.get("host", "")) not in self.allowed:
            return 421, "this lab answers only requests addressed to its own host name"
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if target > MAX_TARGET:
            return 414, f"request target longer than {MAX_TARGET} bytes"
        origin = headers.get("origin")
        if origin is not None and origin != "null" and not self._own_origin(origin):
            return 403, "cross-site request refused: the Origin is not this lab"
        if origin == "null" and scope["method"] not in ("GET", "HEAD"):
            return 403, "cross-site request refused: opaque Origin"
        site = headers.get("sec-fetch-site")
        if site == "cross-site" or (site == "same-site" and scope["method"] not in ("GET", "HEAD")):
            return 403, f"{site} request refused"
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "bad Content-Length"
            if int(length) > self.max_body:
                return 413, f"request body larger than {self.max_body} bytes"
        return None

    def _own_origin(self, origin: str) -> bool:
        scheme, _, rest = origin.partition("://")
        return scheme in ("http", "https") and host_name(rest.split("/", 1)[0]) in self.allowed


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"request body larger than {limit} bytes")


async def _plain(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            + SECURITY_HEADERS,
        }
    )
    await send({"type": "http.response.body", "body": body})
