"""Web lab latency: time to the first answer after `posenc lab`, then every page and JSON route under
bursts of concurrent loopback requests.

    python benchmarks/lab_latency.py [--concurrency 200] [--bursts 3] [--routes / /quiz ...]

1. Starts `posenc lab --port 0` in a subprocess (results in a temporary folder) and measures the time
   from the process start to the first 200 answer to GET / (the issue's target: within 2 s).
2. Measures the load generator's own floor: the same bursts against a server that answers at once
   without parsing HTTP (an asyncio protocol in another process). No server can do better than
   this floor on this machine, so read each route's figures against it.
3. For each route, sends ``--bursts`` bursts of ``--concurrency`` requests at once, each on its own
   connection, and prints p50 / p99 / max latency and the number of errors (any answer but 200, or
   a failed connection). Target: p99 ≤ 50 ms. The client is ApacheBench (``ab``, from Debian's
   apache2-utils; written in C, so it leaves the second core to the server) when installed, else
   a small asyncio HTTP/1.1 client in this process (``--client python``), whose own cost on 2 cores
   puts its floor above 50 ms. A route with ``{i}`` gets a different query in every request, so
   each answer is computed rather than served from the lab's memory; ab cannot vary its address,
   so those routes always use the Python client.

Heavy jobs (experiments, the study, model views) are not in the list: they answer at once (202) and
stream their progress; what is measured is that pages and JSON routes stay fast. The server is
stopped by its own PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
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


#: the floor server: answers every request at once with 100 bytes, no HTTP parsing
FLOOR_SERVER = """
import asyncio, sys
ANSWER = b"HTTP/1.1 200 OK\\r\\ncontent-length: 100\\r\\nconnection: close\\r\\n\\r\\n" + b"x" * 100
class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        if b"\\r\\n\\r\\n" in data:
            self.transport.write(ANSWER)
            self.transport.close()
async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
try:
    import uvloop
    run = uvloop.run
except ImportError:
    run = asyncio.run
try:
    run(main())
except KeyboardInterrupt:  # stopped by the benchmark
    pass
"""


def ab_burst(host: str, port: int, target: str, n: int) -> list[tuple[float, int]]:
    """``n`` requests at once with ApacheBench: (latency s, status) each; a failed or non-200 request
    counts with status 0 (ab reports how many, not which)."""
    with tempfile.TemporaryDirectory() as folder:
        table = os.path.join(folder, "times.tsv")
        done = subprocess.run(
            ["ab", "-q", "-r", "-n", str(n), "-c", str(n), "-g", table, f"http://{host}:{port}{target}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise SystemExit(f"ab failed on {target}: {(done.stderr or done.stdout).strip()[-300:]}")
        failed = sum(
            int(m.group(1))
            for m in re.finditer(r"(?:Failed requests|Non-2xx responses):\s+(\d+)", done.stdout)
        )
        with open(table, encoding="utf-8") as f:
            rows = [line.split("\t") for line in f.read().splitlines()[1:] if line.strip()]
    times = [float(row[4]) / 1000 for row in rows]  # ttime: total milliseconds
    return [(t, 0 if i < failed else 200) for i, t in enumerate(times)]


def floor_samples(concurrency: int, bursts: int, client: str) -> list[float]:
    """Latencies (ms) of the bursts against the floor server."""
    server = subprocess.Popen(
        [sys.executable, "-c", FLOOR_SERVER], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        port = int(server.stdout.readline())
        samples = []
        for _ in range(bursts):
            samples += send_burst(client, "127.0.0.1", port, "/", concurrency, 0)
        return [t * 1000 for t, _ in samples]
    finally:
        stop(server)


def send_burst(client: str, host: str, port: int, target: str, n: int, first: int) -> list[tuple[float, int]]:
    if client == "ab" and "{i}" not in target:
        return ab_burst(host, port, target, n)
    return asyncio.run(burst(host, port, target, n, first))


CLIENTS = {"ab": "ApacheBench (ab)", "python": "the asyncio client of this script"}
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
    parser.add_argument(
        "--client",
        choices=("auto", "ab", "python"),
        default="auto",
        help="load generator: ApacheBench (auto: when installed) or the asyncio client in this script",
    )
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.bursts < 1:
        parser.error("--concurrency and --bursts must be at least 1")
    client = args.client
    if client == "auto":
        client = "ab" if shutil.which("ab") else "python"
    elif client == "ab" and not shutil.which("ab"):
        parser.error("--client ab: ApacheBench is not installed (apt-get install apache2-utils)")

    with tempfile.TemporaryDirectory() as results:
        proc, url, startup = start_lab(results)
        try:
            host, port = url.removeprefix("http://").split(":")
            print(f"posenc lab answered GET / {startup:.2f} s after it was started (target: within 2 s)")
            # the lab imports torch in the background after its first answer, then freezes the objects
            # alive for the garbage collector: a route that needs torch waits for that import
            asyncio.run(burst(host, int(port), "/api/rotation?m=1&n=2&theta=0.5", 1))
            time.sleep(1.0)
            print(
                f"{args.bursts} bursts of {args.concurrency} concurrent requests per route,"
                f" each on a new connection, sent by {CLIENTS[client]}"
            )
            print(f"{'route':<{ROUTE}} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}")
            floor = floor_samples(args.concurrency, args.bursts, client)
            numbers = f"{statistics.median(floor):7.1f} {percentile(floor, 0.99):7.1f} {max(floor):7.1f}"
            print(f"{route_cell('floor: a server doing nothing')} {numbers}      -")
            worst = 0.0
            for target in args.routes:
                warm = asyncio.run(
                    burst(host, int(port), target, 1, first=10**6)
                )  # first answer: caches, imports
                if warm[0][1] == 404:
                    print(f"{route_cell(target)} not served by this lab")
                    continue
                samples: list[tuple[float, int]] = []
                for b in range(args.bursts):
                    samples += send_burst(
                        client, host, int(port), target, args.concurrency, b * args.concurrency
                    )
                times = [t * 1000 for t, _ in samples]
                errors = sum(1 for _, status in samples if status != 200)
                p99 = percentile(times, 0.99)
                worst = max(worst, p99)
                numbers = f"{statistics.median(times):7.1f} {p99:7.1f} {max(times):7.1f} {errors:6d}"
                print(f"{route_cell(target)} {numbers}")
            print(f"worst p99 {worst:.1f} ms (target: ≤ 50 ms; {{i}} routes: python client)")
        finally:
            stop(proc)
            print(f"stopped posenc lab (PID {proc.pid}, exit {proc.returncode})")
    print("Next: see benchmarks/README.md for the last figures measured and what bounds them.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
