"""The lab's session: the token its pages carry, and the check every state-changing route makes.

Recording progress and running a learner's code change things on this computer, so only the lab's
own pages may ask for them. :func:`local_post` lets a request through when all of these hold:

* it is a ``POST`` whose body is ``application/json`` (an HTML form or a ``text/plain`` "simple"
  request, which another site can send without asking, is refused: 415);
* its ``Origin``, when the browser sends one, is this lab exactly: ``scheme://host:port`` of the
  request's own Host, on the port the lab listens on (another program on 127.0.0.1, even the same host
  name on another port, is refused: 403); ``Sec-Fetch-Site``, when sent, says ``same-origin``;
* its ``X-Posenc-Token`` header is the token of this run of the lab (:attr:`Lab.token
  <posenc.web.core.Lab.token>`, a fresh random one per process), which every page of the lab carries
  in ``<meta name="posenc-token">`` and ``Lab.post`` sends (403 otherwise). Another site cannot read a
  page of the lab, so it cannot learn the token.

:func:`escaped_json` answers with JSON in which ``<``, ``>`` and ``&`` are written as ``\\u003c``,
``\\u003e`` and ``\\u0026``: text a learner sent (their code, what it printed) comes back as data, never
as markup, even to a client that would sniff the answer as HTML.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

TOKEN_HEADER = "x-posenc-token"


def new_token() -> str:
    """A fresh session token: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def own_origin(request: Request) -> str:
    """This lab's origin as the request addressed it: ``http://127.0.0.1:8765``."""
    host = request.headers.get("host", "")
    server = request.scope.get("server")
    if server and server[1] is not None and ":" not in host.rsplit("]", 1)[-1]:
        default = 443 if request.url.scheme == "https" else 80
        if server[1] != default:
            host = f"{host}:{server[1]}"
    return f"{request.url.scheme}://{host}".lower()


def _port(origin: str) -> int | None:
    rest = origin.split("://", 1)[-1]
    tail = rest.rsplit("]", 1)[-1]
    if ":" in tail:
        try:
            return int(tail.rsplit(":", 1)[1])
        except ValueError:
            return None
    return 443 if origin.startswith("https://") else 80


def local_post(request: Request, token: str) -> None:
    """Refuse (``HTTPException`` 403/405/415) a request that is not a JSON POST from this lab's own pages
    with this session's token; see the module docstring."""
    if request.method != "POST":
        raise HTTPException(405, "this route takes a POST from the lab's own pages")
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise HTTPException(415, "send the body as application/json (from the lab's own pages)")
    mine = own_origin(request)
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() != mine:
        raise HTTPException(403, f"refused: the request comes from {origin[:80]}, not from this lab ({mine})")
    server = request.scope.get("server")
    if server and server[1] is not None and _port(mine) != server[1]:
        raise HTTPException(403, "refused: the request names another port than the lab's")
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise HTTPException(403, f"refused: a {site} request; only the lab's own pages may send this")
    sent = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(sent.encode("utf-8", "replace"), token.encode("utf-8")):
        raise HTTPException(
            403, "refused: this request does not carry this lab's session token; reload the page"
        )


def escaped_json(data: Any, status_code: int = 200) -> Response:
    """``data`` as JSON with ``<``, ``>`` and ``&`` escaped (see the module docstring)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Response(text, status_code=status_code, media_type="application/json")
