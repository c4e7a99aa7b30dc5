"""Web lab model views: the time of each view for 1 kB of text, and a light page's latency while one computes.

    python benchmarks/model_views.py [--bytes 1024] [--repeats 5] [--preset default] [--probes 40]

1. Writes a study folder into a temporary results folder: one model per study encoding with the shape of
   ``posenc study --preset PRESET`` (default: d 128, 4 layers × 4 heads, L 64), untrained — a view
   costs the same whatever the weights — saved with the real checkpoint code, plus its config.json.
2. Starts ``posenc lab`` on it (a subprocess) and times each view on a text of ``--bytes`` bytes
   (Python source): POST /api/models/attention (one head's map), /api/models/profiles (A(Δ) of every
   encoding, first 512 bytes) and /api/models/loss (three panels, the third with YaRN). Printed: the
   first call (it loads the models) and the median of ``--repeats`` later ones. Target: ≤ 1 s.
3. The latency of GET /quiz, ``--probes`` requests one after another (50 ms apart) while the lab is
   idle, then again while a client thread asks for model views back to back: p50 and p90 of both and
   their ratio (busy / idle), side by side, with the number of views computed meanwhile.

The lab is stopped by its own PID at the end.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_latency import start_lab, stop  # noqa: E402  (the same start/stop as the latency benchmark)

#: views timed: route -> the body's fields besides run and text
VIEWS = {
    "attention": {"model": "rope-1e4-s0", "layer": 0, "head": 0},
    "profiles": {},
    "loss": {
        "panels": [
            {"model": "rope-1e4-s0"},
            {"model": "alibi-s0"},
            {"model": "rope-1e4-s0", "scaling": "yarn:auto"},
        ]
    },
}


def write_study(results: Path, preset_name: str) -> Path:
    """RESULTS/study/runs/NAME-s0/ (checkpoint.pt + config.json) for every study encoding."""
    import torch

    from posenc.model import ModelConfig, TinyLM
    from posenc.study.presets import ENCODINGS, get_preset
    from posenc.train import TrainConfig, save_checkpoint

    preset = get_preset(preset_name)
    for name, (pe, options) in ENCODINGS.items():
        run = results / "study" / "runs" / f"{name}-s0"
        run.mkdir(parents=True)
        model_config = ModelConfig.from_dict({**preset.model, "pe": pe, "pe_options": options})
        train_config = TrainConfig(steps=preset.steps, batch_size=preset.batch_size, device="cpu")
        torch.manual_seed(0)
        save_checkpoint(
            run / "checkpoint.pt",
            model=TinyLM(model_config),
            model_config=model_config.to_dict(),
            step=preset.steps,
            train_config=train_config.to_dict(),
        )
        configs = {"model": model_config.to_dict(), "train": train_config.to_dict()}
        (run / "config.json").write_text(json.dumps(configs, indent=2) + "\n", encoding="utf-8")
    return results


def sample_text(n_bytes: int) -> str:
    """``n_bytes`` of ASCII Python source (this file, repeated as needed)."""
    source = Path(__file__).read_text(encoding="utf-8").encode("ascii", "replace").decode("ascii")
    return (source * (n_bytes // len(source) + 1))[:n_bytes]


def session_token(base: str) -> str:
    """The lab's per-session token, as its pages carry it (``<meta name="posenc-token">``): the model
    views are state-changing POSTs, answered only with it (web/session.local_post)."""
    with urllib.request.urlopen(base + "/", timeout=60) as answer:
        page = answer.read().decode("utf-8")
    found = re.search(r'<meta name="posenc-token" content="([^"]+)"', page)
    if found is None:
        raise SystemExit("the lab's home page carries no session token")
    return found.group(1)


def post(url: str, body: dict, base: str, token: str) -> tuple[float, int]:
    """Seconds and status of one POST with a JSON body (the whole answer read), sent as the lab's own
    pages send it: same origin, JSON, the session token."""
    headers = {"content-type": "application/json", "origin": base, "x-posenc-token": token}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as err:
        status = err.code
    return time.perf_counter() - t0, status


def get(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
    return time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def probe(url: str, n: int) -> list[float]:
    """``n`` GETs one after another, 50 ms apart; their latencies in ms."""
    times = []
    for _ in range(n):
        times.append(1000 * get(url))
        time.sleep(0.05)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bytes", type=int, default=1024, help="bytes of text per view (default 1024)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per view after the first")
    parser.add_argument("--preset", default="default", help="study preset whose model shape to use")
    parser.add_argument("--probes", type=int, default=40, help="GET /quiz requests per condition")
    args = parser.parse_args(argv)
    if args.bytes < 2 or args.repeats < 1 or args.probes < 2:
        parser.error("--bytes must be >= 2, --repeats >= 1 and --probes >= 2")

    with tempfile.TemporaryDirectory() as folder:
        results = write_study(Path(folder) / "results", args.preset)
        proc, url, _ = start_lab(str(results))
        try:
            text = sample_text(args.bytes)
            token = session_token(url)
            shape = f"models of the {args.preset!r} preset's shape, untrained"
            print(f"model views on {args.bytes} bytes of text, {shape}")
            print(f"{'view':<10} {'first s':>8} {'median s':>9} {'max s':>7}")
            for view, fields in VIEWS.items():
                body = {"run": "yours", "text": text, **fields}
                first, status = post(f"{url}/api/models/{view}", body, url, token)
                if status != 200:
                    raise SystemExit(f"POST /api/models/{view} answered {status}")
                later = [post(f"{url}/api/models/{view}", body, url, token)[0] for _ in range(args.repeats)]
                print(f"{view:<10} {first:8.3f} {statistics.median(later):9.3f} {max(later):7.3f}")
            print("target: each view ≤ 1 s")

            get(f"{url}/quiz")  # warm
            idle = probe(f"{url}/quiz", args.probes)
            stop_flag, computed, refused = threading.Event(), [0], [0]

            def keep_busy() -> None:
                kinds = list(VIEWS.items())
                while not stop_flag.is_set():
                    view, fields = kinds[computed[0] % len(kinds)]
                    _, status = post(
                        f"{url}/api/models/{view}", {"run": "yours", "text": text, **fields}, url, token
                    )
                    computed[0] += status == 200
                    refused[0] += status != 200

            worker = threading.Thread(target=keep_busy, daemon=True)
            worker.start()
            time.sleep(0.2)
            busy = probe(f"{url}/quiz", args.probes)
            stop_flag.set()
            worker.join(timeout=120)
            print(f"GET /quiz, {args.probes} requests one after another (ms)")
            print(f"{'':<22} {'p50':>7} {'p90':>7}")
            print(f"{'idle':<22} {statistics.median(idle):7.1f} {percentile(idle, 0.9):7.1f}")
            print(f"{'while views compute':<22} {statistics.median(busy):7.1f} {percentile(busy, 0.9):7.1f}")
            ratio50 = statistics.median(busy) / statistics.median(idle)
            ratio90 = percentile(busy, 0.9) / percentile(idle, 0.9)
            print(f"{'ratio busy / idle':<22} {ratio50:7.2f} {ratio90:7.2f}")
            print(f"views computed meanwhile: {computed[0]} (refused: {refused[0]})")
        finally:
            stop(proc)
            print(f"stopped posenc lab (PID {proc.pid}, exit {proc.returncode})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
