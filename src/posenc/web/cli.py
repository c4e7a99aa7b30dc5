"""``posenc lab [--port N] [--open] [--results DIR] [--host H]``: the whole module in a browser.

Serves the lab with uvicorn on 127.0.0.1 (a free port unless ``--port``), prints the address and,
with ``--open``, opens it in the default browser. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import webbrowser

HELP = "the web lab: notes, quiz, grill, practice, playgrounds, experiments and the study in a browser"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
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
