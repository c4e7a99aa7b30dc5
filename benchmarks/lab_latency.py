"""Web lab latency: time to the first answer after `posenc lab`, then every page and JSON route under
bursts of concurrent loopback requests.

    python benchmarks/lab_latency.py [--concurrency 200] [--bursts 3] [--routes / /quiz ...]

1. Starts `posenc lab --port 0` in a subprocess (results in a temporary folder) and measures the time
   from the process start to the first 200 answer to GET / (the issue's target: within 2 s).
2. For each route, sends ``--bursts`` bursts of ``--concurrency`` requests at once, each on its own
   connection (a route with ``{i}`` gets a different query in every request, so each answer is
   computed rather than served from the lab's memory), from a small asyncio HTTP/1.1 client in this process (light enough that the load
   generator does not starve the server on a 2-core machine), and prints p50 / p99 / max latency and
   the number of errors (any answer but 200, or a failed connection). Target: p99 ≤ 50 ms.

Heavy jobs (experiments, the study, model views) are not in the list: they answer at once (202) and
stream their progress; what is measured is that pages and JSON routes stay fast. The server is
stopped by its own PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

#: pages and JSON routes (GET) measured by default; a route the lab does not serve is reported, not timed
ROUTES = [
    "/",
    "/notes",
    "/notes/rope-scaling",
    "/notes/measured",
    "/quiz",
    "/grill",
    "/practice",
    "/playground",
    "/explorer",
    "/inspector",
    "/experiments",
    "/experiments/2",
    "/study",
    "/exercises",
    "/api/rotation?m=3&n=7&theta=0.7854",
    "/api/frequencies?head_dim=64&base=10000&rope_type=yarn&factor=4&original=2048&target=8192",
    "/api/jobs/current",
    # every request of a burst asks something new ({i} = a number unique to the request): what a
    # learner moving a slider costs, computed, not answered from memory
    "/api/rotation?m={i}&n=7&theta=0.7854",
    "/api/frequencies?head_dim=64&base=1{i}000&rope_type=yarn&factor=4&original=2048&target=8192",
]


def start_lab(results: str) -> tuple[subprocess.Popen, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "posenc", "lab", "--port", "0", "--results", results],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen = []
    for line in proc.stdout:
        seen.append(line)
        found = re.search(r"posenc lab: (http://127\.0\.0\.1:\d+)/", line)
        if found:
            url = found.group(1)
            break
    else:
        proc.wait()
        raise SystemExit("posenc lab did not start; it printed:\n" + "".join(seen[-20:]))
    # whatever the lab prints later is read and dropped, so a full pipe can never stall the server
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    deadline = time.perf_counter() + 60
    while True:  # the address is printed once uvicorn listens; the first full answer is what counts
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.perf_counter() > deadline:
                stop(proc)
                raise SystemExit(f"posenc lab at {url} never answered GET / with 200") from None
            time.sleep(0.01)
    return proc, url, time.perf_counter() - t0


def stop(proc: subprocess.Popen) -> None:
    """Stop the lab by its own PID: Ctrl-C first (it stops cleanly), then kill."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def one_request(host: str, port: int, target: str) -> tuple[float, int]:
    """Latency (s) and status of one GET on a fresh connection; status 0 for a failed connection."""
    t0 = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readline()
        await reader.read()  # the whole body: latency is time to the last byte
        writer.close()
        status = int(head.split()[1]) if head else 0
    except (OSError, ValueError, IndexError):
        status = 0
    return time.perf_counter() - t0, status


async def burst(host: str, port: int, target: str, n: int, first: int = 0) -> list[tuple[float, int]]:
    """``n`` requests at once; ``{i}`` in ``target`` becomes first, first + 1, ... (one per request)."""
    return await asyncio.gather(*(one_request(host, port, target.format(i=first + i)) for i in range(n)))


ROUTE = 44  # route column: 44 + four number columns fit in 80 terminal columns


def route_cell(target: str) -> str:
    """The route padded to its column; a longer route gets a line of its own (never cut)."""
    if len(target) <= ROUTE:
        return f"{target:<{ROUTE}}"
    return f"{target}\n{'':<{ROUTE}}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=200, help="requests per burst (default 200)")
    parser.add_argument("--bursts", type=int, default=3, help="bursts per route (default 3)")
    parser.add_argument("--routes", nargs="+", default=ROUTES, help="GET targets to measure")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.bursts < 1:
        parser.error("--concurrency and --bursts must be at least 1")

    with tempfile.TemporaryDirectory() as results:
        proc, url, startup = start_lab(results)
        try:
            host, port = url.removeprefix("http://").split(":")
            print(f"posenc lab answered GET / {startup:.2f} s after it was started (target: within 2 s)")
            print(
                f"{args.bursts} bursts of {args.concurrency} concurrent requests per route,"
                " each on a new connection"
            )
            print(f"{'route':<{ROUTE}} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}")
            worst = 0.0
            for target in args.routes:
                warm = asyncio.run(burst(host, int(port), target, 1, first=10**6))  # first answer: caches, imports
                if warm[0][1] == 404:
                    print(f"{route_cell(target)} not served by this lab")
                    continue
                samples: list[tuple[float, int]] = []
                for b in range(args.bursts):
                    samples += asyncio.run(burst(host, int(port), target, args.concurrency, b * args.concurrency))
                times = [t * 1000 for t, _ in samples]
                errors = sum(1 for _, status in samples if status != 200)
                p99 = percentile(times, 0.99)
                worst = max(worst, p99)
                numbers = f"{statistics.median(times):7.1f} {p99:7.1f} {max(times):7.1f} {errors:6d}"
                print(f"{route_cell(target)} {numbers}")
            print(f"worst p99 {worst:.1f} ms (target: ≤ 50 ms)")
        finally:
            stop(proc)
            print(f"stopped posenc lab (PID {proc.pid}, exit {proc.returncode})")
    print("Next: see benchmarks/README.md for the last figures measured and what bounds them.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
