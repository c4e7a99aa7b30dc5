"""The models page with the shipped models: first view after launch, and each view on 1 kB of text.

    python benchmarks/models_page.py [--bytes 1024] [--repeats 3]

Uses the models shipped with posenc when this install has them; otherwise ships, into a temporary
reference folder (``POSENC_REFERENCE_DIR``), untrained models of the default preset's shape (8 language
models and 8 retrieval-arm models: a view costs the same whatever the weights). The cache of run folders
starts empty (``POSENC_CACHE_DIR``), as on a fresh install. Then ``posenc lab`` is started on an empty
results folder and timed:

1. launch -> the home page answered, then GET /models (the page: no model is loaded for it);
2. each view, its first call (models loaded, laid out in the cache) and the median of ``--repeats``:
   attention (one head, 1 kB), profiles (every encoding), loss (three panels, YaRN in the third) and the
   passkey view at 16 × L with the key at the start (every retrieval-arm model).

Printed side by side with the targets (first view ≤ 2 s after launch; each view ≤ 1 s) and their ratio.
The lab is stopped by its own PID at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_latency import start_lab, stop  # noqa: E402
from model_views import get, post, sample_text, session_token  # noqa: E402


def fake_study(out: Path) -> Path:
    """A study output with untrained default-shape models of every encoding and its retrieval arm."""
    import torch

    from posenc.model import ModelConfig, TinyLM
    from posenc.study.presets import ENCODINGS, get_preset
    from posenc.train import TrainConfig, save_checkpoint

    preset = get_preset("default")
    runs = {}
    for name, (pe, options) in ENCODINGS.items():
        for study_name, role, task in ((name, "encoding", "lm"), (f"{name}-passkey", "retrieval", "passkey")):
            run = f"{study_name}-s0"
            config = ModelConfig.from_dict({**preset.model, "pe": pe, "pe_options": options})
            train = TrainConfig(steps=preset.steps, batch_size=preset.batch_size, device="cpu", task=task)
            torch.manual_seed(0)
            save_checkpoint(
                out / "runs" / run / "checkpoint.pt",
                model=TinyLM(config),
                model_config=config.to_dict(),
                step=preset.steps,
                train_config=train.to_dict(),
            )
            runs[run] = {"name": study_name, "seed": 0, "role": role, "dir": f"runs/{run}"}
    results = {"format": "posenc-study/1", "preset": "default", "seeds": [0], "runs": runs, "plots": []}
    (out / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bytes", type=int, default=1024, help="bytes of text per view (default 1024)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per view after the first")
    args = parser.parse_args(argv)

    from posenc.reference import ENV, study_folder
    from posenc.reference.models import manifest

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ["POSENC_CACHE_DIR"] = str(tmp / "cache")
        os.environ["XDG_DATA_HOME"] = str(tmp / "xdg")
        if manifest() is None:
            from posenc.evaluate.shipped import ship

            root = tmp / "reference"
            ship(fake_study(tmp / "study-out"), root)
            (root / "study-cpu-full").mkdir()
            os.environ[ENV] = str(root)
            where = "untrained default-shape models shipped into a temporary folder"
        else:
            where = f"the models shipped in {study_folder('study-cpu-default')}"
        print(f"models page with {where}; {args.bytes} bytes of text")
        proc, url, started = start_lab(str(tmp / "results"))
        try:
            page = get(url + "/models")
            rows = [("launch -> home page", started, None), ("first GET /models", page, None)]
            rows.append(("launch -> /models", started + page, 2.0))
            token = session_token(url)
            text = sample_text(args.bytes)
            views = {
                "attention": {"text": text, "model": "rope-1e4-s0", "layer": 0, "head": 0},
                "profiles": {"text": text},
                "loss": {"text": text, "panels": [{"model": "rope-1e4-s0"}, {"model": "alibi-s0"},
                                                  {"model": "rope-1e4-s0", "scaling": "yarn:auto"}]},
                "passkey": {"key": "48213", "depth": 0.0, "multiple": 16, "seed": 0},
            }  # fmt: skip
            for view, fields in views.items():
                body = {"run": "reference-default", **fields}
                first, status = post(f"{url}/api/models/{view}", body, url, token)
                if status != 200:
                    raise SystemExit(f"POST /api/models/{view} answered {status}")
                later = [post(f"{url}/api/models/{view}", body, url, token)[0] for _ in range(args.repeats)]
                rows.append((f"{view}: first call", first, None))
                rows.append((f"{view}: median", statistics.median(later), 1.0))
        finally:
            stop(proc)
        print(f"{'':<24} {'seconds':>8} {'target':>7} {'ratio':>6}")
        for name, seconds, target in rows:
            ratio = f"{seconds / target:6.2f}" if target else ""
            print(f"{name:<24} {seconds:8.3f} {target or '':>7} {ratio:>6}")
        print("ratio = seconds / target (≤ 1 meets it)")
        print(f"stopped posenc lab (PID {proc.pid})")
        print("Next: python benchmarks/model_views.py  (the same views while a light page is timed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
