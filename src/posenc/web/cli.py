"""``posenc lab [--port N] [--open] [--results DIR] [--host H]``: the whole module in a browser.

Serves the lab with uvicorn on 127.0.0.1, port 8765 (the next free one when it is busy, and it says so;
``--port N`` that port only, ``--port 0`` any free one), prints the address and, with ``--open``, opens it
in the default browser. Stop it with Ctrl-C. The learner's progress is the file ``posenc progress``
reads, whatever the port.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import webbrowser

#: ``posenc lab`` listens here by default; when it is busy, on the next free port of the few after it
DEFAULT_PORT = 8765
PORTS_TRIED = 20

HELP = "the web lab: notes, quiz, grill, practice, playgrounds, experiments and the study in a browser"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default {DEFAULT_PORT}, or the next free one after it; 0: any free port)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1, this computer only; anything else is reachable "
        "from the network and is warned about)",
    )
    parser.add_argument("--open", action="store_true", help="open the lab in the default web browser")
    parser.add_argument(
        "--results",
        default="results",
        help="folder where jobs write and pages read results (default %(default)s)",
    )


def _bind(host: str, port: int) -> socket.socket:
    if not 0 <= port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise ValueError(f"--host {host!r}: cannot resolve it ({err.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise ValueError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def bind_default(host: str, first: int = DEFAULT_PORT, tries: int = PORTS_TRIED) -> tuple[socket.socket, str]:
    """A socket on ``first``, or on the next free port of the ``tries`` after it; and what to say about it
    ("" when ``first`` was free)."""
    last_error = None
    for port in range(first, first + tries):
        try:
            sock = _bind(host, port)
        except ValueError as err:
            last_error = err
            continue
        said = (
            "" if port == first else f"port {first} is busy (another program, or another lab): using {port}"
        )
        return sock, said
    raise ValueError(
        f"{last_error}; ports {first}-{first + tries - 1} are all busy: pass --port N (or --port 0)"
    )


def url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}/"


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from posenc.web.app import create_app
    from posenc.web.guard import LOCAL_HOSTS

    if args.port is None:
        sock, said = bind_default(args.host)
        if said:
            print(f"posenc lab: {said}", flush=True)
    else:
        sock = _bind(args.host, args.port)
    hosts = set(LOCAL_HOSTS)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: --host {args.host} makes the lab reachable from other machines; it has no login, "
            "and anyone who reaches it can run experiments on this computer",
            file=sys.stderr,
        )
        hosts.add(args.host)
        if args.host in ("0.0.0.0", "::"):
            hosts.add(socket.gethostname())
    app = create_app(args.results, allowed_hosts=hosts)
    url = url_for(sock)
    # no proxy stands in front of a local lab: X-Forwarded-* headers are not trusted (nor parsed on
    # every request), and answers do not advertise the server
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", proxy_headers=False, server_header=False
    )
    server = uvicorn.Server(config)

    def announce() -> None:
        print(f"posenc lab: {url}  (results in {args.results}/; Ctrl-C to stop)", flush=True)
        print(f"Next: open {url} and follow the path from step 1.", flush=True)
        if args.open:
            webbrowser.open(url)

    # announce once uvicorn has started (it sets `started` after the lifespan startup)
    def wait_and_announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.02)
        if server.started:
            announce()

    threading.Thread(target=wait_and_announce, daemon=True).start()
    server.run(sockets=[sock])
    print("posenc lab stopped. Next: `posenc lab` to start it again, or `posenc notes` in the terminal.")
    return 0
