"""A flood of heavy requests against ``posenc lab`` on 127.0.0.1: does the lab stay answerable?

1. Starts ``posenc lab --port 0`` in a subprocess (results in a temporary folder; stopped by its own PID).
2. Warms it (one config analysis), then reads the lab process's resident memory (``/proc/PID/status``).
3. Sends ``--requests`` (200) heavy requests at once, each on its own connection: half ``POST
   /api/inspect`` of a real config with its plot (each a different rope_theta, so nothing is answered
   from memory), half the probe's attack (``head_dim`` 65536, refused by size before any analysis).
   Meanwhile a probe asks for two pages (``/`` and ``/quiz``) every 100 ms.
4. Reports: every heavy request's status and time to its answer (200/400 answered, 429 "busy, retry"),
   the pages' worst latency during the burst, and the memory after the burst against before.

``--target models`` floods the model views instead (``POST /api/models/attention``, ``/profiles`` and
``/loss`` in turn, each on its own text so nothing is answered from memory), sent as the lab's pages send
them (same origin, JSON, the session token read from the home page), against a lab whose study folder
holds trained models: the set-up trains the quick preset's encodings (seed 0, 30 steps each, in this
process, about a minute) into RESULTS/study/runs before the lab starts.

The bar (issue 37): pages answered within 1 s meanwhile, every heavy request answered or 429 within 5 s,
memory back within 10 % of its level before the burst. It prints PASS or FAIL per line and exits 1 on a
FAIL. Loopback only; every loop is bounded (a request gives up after 60 s).

    python benchmarks/lab_flood.py [--requests 200] [--target inspect|models]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from lab_latency import start_lab, stop  # noqa: E402 (the same start and stop as the latency benchmark)

CONFIG = {
    "model_type": "llama",
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "max_position_embeddings": 8192,
    "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8192},
}
PAGES = ["/", "/quiz"]
GIVE_UP = 60.0  # seconds: a request that takes longer is counted as unanswered


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def request(
    host: str, port: int, method: str, target: str, body: bytes = b"", token: str = ""
) -> tuple[float, int]:
    """(seconds to the last byte, status) of one request on a fresh connection; status 0: no answer.
    With ``token``: sent as the lab's own pages send a state-changing request (Origin, session token)."""
    t0 = time.perf_counter()
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    if token:
        head += f"Origin: http://{host}:{port}\r\nX-Posenc-Token: {token}\r\n"
    try:
        async with asyncio.timeout(GIVE_UP):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(head.encode() + b"\r\n" + body)
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()
            writer.close()
        status = int(status_line.split()[1]) if status_line else 0
    except (OSError, ValueError, IndexError, TimeoutError):
        status = 0
    return time.perf_counter() - t0, status


def heavy_body(i: int) -> bytes:
    if i % 2:
        return json.dumps({"config": CONFIG | {"head_dim": 65536}}).encode()  # the probe's attack
    return json.dumps({"config": CONFIG | {"rope_theta": 10000.0 + i}, "plot": True}).encode()


#: the model views flooded with --target models, in turn: route -> the body's fields besides run and text
VIEWS = {
    "attention": {"model": "rope-1e4-s0", "layer": 0, "head": 0},
    "profiles": {},
    "loss": {"panels": [{"model": "rope-1e4-s0"}, {"model": "alibi-s0"}, {"model": "rope-1e4-s0",
                                                                          "scaling": "yarn:auto"}]},
}  # fmt: skip


def view_request(i: int) -> tuple[str, bytes]:
    """The i-th model view of the flood: its route and a body on a text of its own (no answer memo)."""
    view = list(VIEWS)[i % len(VIEWS)]
    text = f"# request {i}\n" + "def f(x):\n    return x * 2\n" * 20
    return f"/api/models/{view}", json.dumps({"run": "yours", "text": text, **VIEWS[view]}).encode()


def train_models(results: Path) -> float:
    """The quick preset's encodings (seed 0) trained into RESULTS/study/runs, as ``posenc study --preset
    quick`` trains them; returns the seconds it took."""
    from posenc.study.presets import get_preset
    from posenc.study.run import _configs, plan
    from posenc.train import train

    t0 = time.perf_counter()
    preset = get_preset("quick")
    for job in plan(preset):
        if job.role == "encoding" and job.seed == 0:
            mcfg, tcfg = _configs(job, preset, "cpu")
            train(mcfg, tcfg, results / "study" / "runs" / job.run_name, progress=False)
    return time.perf_counter() - t0


def session_token(host: str, port: int) -> str:
    """The lab's per-session token, as its pages carry it (``<meta name="posenc-token">``)."""
    import urllib.request

    with urllib.request.urlopen(f"http://{host}:{port}/", timeout=60) as answer:
        found = re.search(r'<meta name="posenc-token" content="([^"]+)"', answer.read().decode("utf-8"))
    if found is None:
        raise SystemExit("the lab's home page carries no session token")
    return found.group(1)


async def flood(
    host: str, port: int, n: int, target: str = "inspect", token: str = ""
) -> tuple[list[tuple[float, int]], list[float]]:
    pages: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            for page in PAGES:
                seconds, status = await request(host, port, "GET", page)
                pages.append(seconds if status == 200 else float("inf"))
            await asyncio.sleep(0.1)

    prober = asyncio.create_task(probe())
    await asyncio.sleep(0.3)  # the probe's idle latency first
    if target == "models":
        heavy = await asyncio.gather(
            *(request(host, port, "POST", *view_request(i), token=token) for i in range(n))
        )
    else:
        heavy = await asyncio.gather(
            *(request(host, port, "POST", "/api/inspect", heavy_body(i)) for i in range(n))
        )
    await asyncio.sleep(0.3)
    done.set()
    await prober
    return heavy, pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="heavy requests at once (default 200)")
    parser.add_argument(
        "--target",
        choices=["inspect", "models"],
        default="inspect",
        help="what to flood: config analyses (default) or the model views of a lab with trained models",
    )
    args = parser.parse_args()
    results = tempfile.mkdtemp(prefix="posenc-flood-")
    if args.target == "models":
        print(f"trained the quick preset's models in {train_models(Path(results)):.0f} s")
    proc, url, _ = start_lab(results)
    try:
        host, port = url.removeprefix("http://").split(":")
        port = int(port)
        token = session_token(host, port) if args.target == "models" else ""
        for i in range(3):  # warm: torch, the analysis (models loaded), and the gate's average time of one
            if args.target == "models":
                warm, status = asyncio.run(request(host, port, "POST", *view_request(i), token=token))
                if status != 200:
                    raise SystemExit(f"the model view {view_request(i)[0]} answered {status}, not 200")
            else:
                asyncio.run(request(host, port, "POST", "/api/inspect", heavy_body(2 * i)))
        time.sleep(1.0)
        before = rss_mib(proc.pid)
        t0 = time.perf_counter()
        heavy, pages = asyncio.run(flood(host, port, args.requests, args.target, token))
        burst = time.perf_counter() - t0
        time.sleep(2.0)  # let the last answers go out and the allocator settle
        after = rss_mib(proc.pid)
    finally:
        stop(proc)
        shutil.rmtree(results, ignore_errors=True)
    print(f"stopped posenc lab (PID {proc.pid}, exit {proc.returncode})")

    statuses: dict[int, int] = {}
    for _, status in heavy:
        statuses[status] = statuses.get(status, 0) + 1
    slowest = max(seconds for seconds, _ in heavy)
    answered = all(status in (200, 400, 429) for _, status in heavy)
    worst_page = max(pages) if pages else float("inf")
    growth = (after - before) / before
    checks = [
        (
            f"pages during the burst: {len(pages)} answered, p50 {statistics.median(pages) * 1000:.0f} ms, "
            f"worst {worst_page * 1000:.0f} ms (bar 1000 ms)",
            worst_page <= 1.0,
        ),
        (
            f"heavy requests: {args.requests} in {burst:.1f} s, "
            f"statuses {dict(sorted(statuses.items()))}, "
            f"slowest answer {slowest:.2f} s (bar: all answered or 429 within 5 s)",
            answered and slowest <= 5.0,
        ),
        (
            f"memory: {before:.0f} MiB before, {after:.0f} MiB after ({growth:+.1%}; bar +10 %)",
            growth <= 0.10,
        ),
    ]
    target = "model views (/api/models/*)" if args.target == "models" else "config analyses (/api/inspect)"
    print(f"flooded with {target}")
    for line, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {line}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
