"""Page: trained models on the learner's text — attention maps and where a model breaks (issue 24).

    /models?run=KEY                the page: the models of one study run, two views
    GET  /api/models               the study runs holding trained models, and their models
    POST /api/models/attention     {"run", "model", "text", "layer", "head"}: one head's weights w_ij
                                   and its mean attention at each distance A(Δ)
    POST /api/models/profiles      {"run", "text"}: A(Δ) averaged over layers and heads, per encoding
    POST /api/models/loss          {"run", "text", "unit": "bits" | "nats",
                                    "panels": [{"model", "scaling": "none" | "yarn:auto" | ...}, ...]}:
                                   the loss of every byte, per panel

The formulas are in :mod:`posenc.evaluate.views`, which computes every number; this module checks
requests, finds the models and answers. The models are those a study run trained, RUN/runs/NAME/ in
the study folders the study page shows (``job_pages.STUDY_RUNS``: the results folder's ``study/`` and
``study-quick/``, where the lab's quick button writes), each loaded once per checkpoint version
(``views.ModelCache``, kept in ``lab.extra``).

The model runs on the CPU in a worker thread, never on the event loop, and one computation at a time:
a request that finds another one computing waits up to WAIT_SECONDS for it, then is answered 429
("busy, try again"); the page sends its requests one after the other, so it never meets a 429 itself.
torch uses VIEW_THREADS threads, leaving a core to the server. Texts are bounded (MAX_ATTENTION_BYTES,
MAX_LOSS_BYTES; 400 beyond, naming the limit). Unknown run or model: 404; bad field, corrupt checkpoint
or non-finite weights: 400 with a message naming it; a non-finite number never reaches the JSON.

The heatmap's weights travel as base64 of little-endian float32, the rows of the lower triangle one
after the other (row i holds w_i0 … w_ii), decoded by the page without arithmetic: for 1 kB of text,
2.8 MB written in ~20 ms, where the same numbers as JSON text (5 decimals) are 4.5 MB and take seconds
of per-number formatting that would hold the GIL and delay every other page.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from posenc.web.app import BadInput, Lab
from posenc.web.job_pages import QUICK_RUN, REFERENCE_DIR, STUDY_QUICK_SECONDS, STUDY_RUNS, seconds_text
from posenc.web.tool_pages import parse_json_body

MAX_ATTENTION_BYTES = 1024  # the heatmap: n² weights per head (1 M at 1 kB)
MAX_PROFILE_BYTES = 512  # A(Δ) of every encoding reads the text's first 512 bytes (8 L of the default preset)
MAX_LOSS_BYTES = 4096
MAX_PANELS = 3
COLOUR_QUANTILE = 0.99  # the heatmap's colour scale ends at this quantile of the weights
RUNNING_WINDOW = 16  # bytes in the running mean of the loss chart
WAIT_SECONDS = 3.0  # a request that finds a model computing waits this long before its 429
VIEW_THREADS = max(1, (os.cpu_count() or 2) // 2)  # torch threads for the views; the rest serve pages
#: the texts the page starts with (JSON: the package ships *.json data files)
SAMPLES = Path(__file__).parent / "templates" / "models_samples.json"
SCALINGS = {"none": "none", "linear:auto": "PI (linear)", "ntk:auto": "NTK", "yarn:auto": "YaRN"}
_RUN_NAME = re.compile(r"^(?P<study>.+)-s(?P<seed>\d+)$")


class Busy(RuntimeError):
    """Another model view is computing (answered 429)."""


# ----------------------------------------------------------------------------- the models on disk
@dataclass(frozen=True)
class TrainedModel:
    """One run folder of a study: RUN/runs/NAME/ with config.json and a checkpoint."""

    name: str  # the folder: "rope-1e4-s0"
    folder: Path
    study_name: str  # "rope-1e4"
    seed: int | None
    label: str
    role: str  # "encoding", "sweep", "finetune", "long" (study.run.plan) or "other"
    pe: str
    train_length: int
    steps: int  # planned; the checkpoint says how many were done
    batch_size: int
    n_layers: int
    n_heads: int
    d_model: int

    def public(self) -> dict[str, Any]:
        keys = ("name", "study_name", "seed", "label", "role", "pe", "train_length", "steps", "batch_size")
        out = {k: getattr(self, k) for k in keys}
        out.update(n_layers=self.n_layers, n_heads=self.n_heads, d_model=self.d_model)
        out["tokens"] = self.steps * self.batch_size * self.train_length
        return out


def _label(study_name: str) -> tuple[str, str]:
    """(label, role) of a study model name."""
    from posenc.study.presets import ENCODINGS, LABELS

    if study_name in ENCODINGS:
        return LABELS[study_name], "encoding"
    if study_name.endswith("-pi-ft"):
        return f"{LABELS.get(study_name[:-6], study_name[:-6])}, PI fine-tuned at 4 L", "finetune"
    if study_name.endswith("-4L"):
        return f"{LABELS.get(study_name[:-3], study_name[:-3])}, trained at 4 L", "long"
    if study_name.startswith("rope-"):
        return f"RoPE (base {study_name[5:]}), base sweep", "sweep"
    return study_name, "other"


def _read_model(folder: Path) -> TrainedModel | None:
    """The model of run folder ``folder`` from its config.json; None when it is not a trained run."""
    from posenc.train.checkpoint import CONFIG_NAME, checkpoint_path

    if not checkpoint_path(folder).is_file():
        return None
    try:
        configs = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        model, train = configs["model"], configs["train"]
        match = _RUN_NAME.match(folder.name)
        study_name = match["study"] if match else folder.name
        label, role = _label(study_name)
        return TrainedModel(
            name=folder.name,
            folder=folder,
            study_name=study_name,
            seed=int(match["seed"]) if match else None,
            label=label,
            role=role,
            pe=str(model["pe"]),
            train_length=int(model["max_seq_len"]),
            steps=int(train["steps"]),
            batch_size=int(train["batch_size"]),
            n_layers=int(model["n_layers"]),
            n_heads=int(model["n_heads"]),
            d_model=int(model["d_model"]),
        )
    except (OSError, ValueError, KeyError, TypeError):  # no or unreadable config.json: not listed
        return None


@dataclass(frozen=True)
class StudyModels:
    """A study folder and the trained models in it."""

    key: str
    label: str
    folder: Path
    models: dict[str, TrainedModel]
    preset: dict[str, Any] | None  # name, description, steps, tokens per model; None: not known

    def public(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "folder": str(self.folder),
            "preset": self.preset,
            "models": [m.public() for m in self.models.values()],
        }


def _preset(folder: Path, models: dict[str, TrainedModel]) -> dict[str, Any] | None:
    """The study preset of ``folder``: from its results.json, else the preset whose model shape, L and
    steps the models match (a study still running has no results.json yet)."""
    from posenc.study.presets import PRESETS

    name = None
    try:
        name = json.loads((folder / "results.json").read_text(encoding="utf-8")).get("preset")
    except (OSError, ValueError, AttributeError):
        pass
    if name not in PRESETS:
        name = None
        encoding = next((m for m in models.values() if m.role == "encoding"), None)
        for key, p in PRESETS.items():
            if encoding and (encoding.d_model, encoding.n_layers, encoding.train_length, encoding.steps) == (
                p.model["d_model"],
                p.model["n_layers"],
                p.train_length,
                p.steps,
            ):
                name = key
    if name is None:
        return None
    p = PRESETS[name]
    return {
        "name": name,
        "description": p.description,
        "steps": p.steps,
        "batch_size": p.batch_size,
        "train_length": p.train_length,
        "tokens_per_model": p.tokens_per_model,
        "claims": p.claims,
    }


def study_models(lab: Lab) -> dict[str, StudyModels]:
    """The study folders (``job_pages.STUDY_RUNS``) holding at least one trained model, in that order."""
    found = {}
    for key, (where, label) in STUDY_RUNS.items():
        root, _, rest = where.partition("/")
        folder = (REFERENCE_DIR if root == "REFERENCE" else lab.results_dir) / rest
        runs = folder / "runs"
        if not runs.is_dir():
            continue
        models = {}
        for sub in sorted(runs.iterdir()):
            model = _read_model(sub) if sub.is_dir() else None
            if model is not None:
                models[model.name] = model
        if models:
            found[key] = StudyModels(key, label, folder, models, _preset(folder, models))
    return found


def main_models(study: StudyModels) -> list[TrainedModel]:
    """One model per encoding of the study (the lowest seed), in the study's order of encodings."""
    from posenc.study.presets import ENCODINGS

    by_name: dict[str, TrainedModel] = {}
    for m in study.models.values():
        if m.role == "encoding" and (
            m.study_name not in by_name or (m.seed or 0) < (by_name[m.study_name].seed or 0)
        ):
            by_name[m.study_name] = m
    return [by_name[n] for n in ENCODINGS if n in by_name]


# ----------------------------------------------------------------------------- reading requests
def _object(data: Any, fields: set[str], example: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadInput(f"send a JSON object, e.g. {example}")
    unknown = sorted(set(data) - fields)
    if unknown:
        raise BadInput(f"unknown field {unknown[0]!r}; this route reads: {', '.join(sorted(fields))}")
    return data


def _study(lab: Lab, data: dict[str, Any]) -> StudyModels:
    key = data.get("run")
    if not isinstance(key, str):
        raise BadInput(f'run must name a study run, e.g. "{QUICK_RUN}", got {key!r}')
    studies = study_models(lab)
    if key not in studies:
        known = ", ".join(studies) or "none yet (run `posenc study --preset quick`)"
        raise HTTPException(
            404, f"no study run {key[:40]!r} with trained models; the runs with models: {known}"
        )
    return studies[key]


def _model(study: StudyModels, name: Any, field: str = "model") -> TrainedModel:
    if not isinstance(name, str):
        raise BadInput(f'{field} must name a model of the run, e.g. "rope-1e4-s0", got {name!r}')
    if name not in study.models:
        raise HTTPException(
            404,
            f"{field}: the run {study.key!r} has no trained model {name[:60]!r}; "
            f"it has: {', '.join(study.models)}",
        )
    return study.models[name]


def _text(data: dict[str, Any], limit: int, view: str) -> bytes:
    """The text's UTF-8 bytes (the model's tokens): at least 2, at most ``limit``."""
    text = data.get("text")
    if not isinstance(text, str):
        raise BadInput(f"text must be a string (the text to feed the model), got {type(text).__name__}")
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise BadInput(
            f"text holds a character UTF-8 cannot encode (at {err.start}): a lone surrogate"
        ) from None
    if not raw:
        raise BadInput("text is empty: type or paste some text")
    if len(raw) < 2:
        raise BadInput("text must hold at least 2 bytes (a model predicts each byte from the ones before)")
    if len(raw) > limit:
        raise BadInput(f"text is {len(raw):,} bytes (UTF-8); the {view} reads at most {limit:,} bytes")
    return raw


def _index(data: dict[str, Any], name: str, count: int, what: str) -> int:
    value = data.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name} must be an integer, got {value!r}")
    if not 0 <= value < count:
        raise BadInput(f"{name} must be between 0 and {count - 1} ({what}), got {value}")
    return value


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def byte_chars(raw: bytes) -> list[str]:
    """Per byte, the character it starts; "" for the continuation bytes of a multi-byte character."""
    out: list[str] = []
    for char in raw.decode("utf-8"):
        size = len(char.encode("utf-8"))
        out += [char] + [""] * (size - 1)
    return out


# ----------------------------------------------------------------------------- computing
class ModelViews:
    """The lab's model state: the model cache and the lock that lets one computation run at a time.
    Made when the routes are; torch and the cache come with the first computation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cache = None  # posenc.evaluate.views.ModelCache, made under the lock on first use

    def run(self, compute, *args) -> bytes:
        """``compute(self, *args)`` under the lock (waiting up to WAIT_SECONDS; :class:`Busy` after)."""
        if not self.lock.acquire(timeout=WAIT_SECONDS):
            raise Busy(
                "another model view is computing (the lab runs one at a time so that pages stay fast); "
                "try again in a moment"
            )
        try:
            if self.cache is None:
                import torch

                from posenc.evaluate.views import ModelCache

                torch.set_num_threads(VIEW_THREADS)  # the process's intra-op pool: only the views use it
                self.cache = ModelCache()
            return compute(self, *args)
        finally:
            self.lock.release()

    def load(self, model: TrainedModel):
        """(model, meta); 404 when the checkpoint is gone, 400 when it cannot be used."""
        try:
            return self.cache.get(model.folder)
        except FileNotFoundError as err:
            raise HTTPException(404, f"{model.name}: {err}") from None
        except ValueError as err:
            raise BadInput(f"{model.name}: {err}") from None


def _finite(tensor, what: str):
    import torch

    if not bool(torch.isfinite(tensor).all()):
        raise BadInput(f"{what} holds non-finite numbers (NaN or inf) on this text; the lab shows none")
    return tensor


def _numbers(tensor, digits: int = 6) -> list[float]:
    """A float tensor as a list of floats with ``digits`` significant digits (shorter JSON)."""
    return [float(f"{v:.{digits}g}") for v in tensor.tolist()]


def _model_facts(model: TrainedModel, meta: dict[str, Any]) -> dict[str, Any]:
    metrics = meta.get("metrics") or {}
    heldout = metrics.get("heldout_loss")
    return {
        "model": model.name,
        "label": model.label,
        "pe": model.pe,
        "train_length": model.train_length,
        "step": meta.get("step"),
        "steps": model.steps,
        "heldout_loss": heldout if isinstance(heldout, (int, float)) and math.isfinite(heldout) else None,
    }


def _tokens(raw: bytes):
    from posenc.data.tokenizer import bytes_to_tokens

    return bytes_to_tokens(raw)


def attention_answer(views: ModelViews, model: TrainedModel, raw: bytes, layer: int, head: int) -> bytes:
    import torch

    from posenc.evaluate.views import attention, distance_profile, readable_length, uniform_profile

    net, meta = views.load(model)
    n = readable_length(net, len(raw))
    weights, _ = attention(net, _tokens(raw[:n]), layer=layer, profiles=False)
    w = _finite(weights[head], f"{model.name} layer {layer} head {head}")  # [n, n]
    rows = torch.ones(n, n, dtype=torch.bool).tril()  # [n, n]: j ≤ i
    lower = w[rows]  # [n(n + 1)/2]: row i is w_i0 … w_ii
    packed = lower.numpy().astype("<f4").tobytes()
    # colours end at the 99th percentile of the rows after the first (whose single weight is 1): a few
    # large weights would otherwise leave every other cell in the darkest colour
    colour_max = float(torch.quantile(lower[1:], COLOUR_QUANTILE)) if n > 1 else 1.0

    answer = {
        **_model_facts(model, meta),
        "layer": layer,
        "head": head,
        "n_layers": model.n_layers,
        "n_heads": model.n_heads,
        "bytes": n,
        "given": len(raw),
        "chars": byte_chars(raw)[:n],
        "weights": {
            "format": "base64 float32 little-endian, rows of the lower triangle",
            "data": base64.b64encode(packed).decode("ascii"),
        },
        "max_weight": float(w.max()),
        "colour_max": colour_max,
        "head_profile": _numbers(distance_profile(w)),
        "uniform": _numbers(uniform_profile(n)),
        "note": _truncated_note(model, n, len(raw)),
    }
    return _json(answer)


def profiles_answer(views: ModelViews, study: StudyModels, raw: bytes) -> bytes:
    from posenc.evaluate.views import attention, readable_length, uniform_profile

    raw = raw[:MAX_PROFILE_BYTES]
    series = []
    for model in main_models(study):
        net, meta = views.load(model)
        n = readable_length(net, len(raw))
        if n < 2:
            continue
        _, profiles = attention(net, _tokens(raw[:n]))  # [n_layers, n_h, n]
        mean = _finite(profiles.mean(dim=(0, 1)), f"{model.name}'s attention")  # [n]
        series.append(
            {
                **_model_facts(model, meta),
                "bytes": n,
                "mean": _numbers(mean),
                "note": _truncated_note(model, n, len(raw)),
            }
        )
    return _json({"bytes": len(raw), "uniform": _numbers(uniform_profile(len(raw))), "series": series})


def loss_answer(views: ModelViews, panels: list[tuple[TrainedModel, str]], raw: bytes, unit: str) -> bytes:
    from posenc.evaluate.views import byte_losses, running_mean

    per_nat = 1 / math.log(2) if unit == "bits" else 1.0  # bits = nats / ln 2
    out = []
    for model, scaling in panels:
        net, meta = views.load(model)
        result = byte_losses(net, _tokens(raw), None if scaling == "none" else scaling)
        losses = _finite(result.losses.double() * per_nat, f"{model.name}'s loss")  # [read − 1]
        L = model.train_length
        inside, beyond = losses[:L], losses[L:]  # byte t ≤ L: entry t − 1 < L
        out.append(
            {
                **_model_facts(model, meta),
                "scaling": scaling,
                "scaling_label": SCALINGS.get(scaling, scaling),
                "applied": result.scaling,
                "read": result.read,
                "losses": _numbers(losses, 4),
                "running": _numbers(running_mean(losses, RUNNING_WINDOW), 4),
                "mean_all": float(losses.mean()),
                "mean_inside": float(inside.mean()),
                "mean_beyond": float(beyond.mean()) if beyond.numel() else None,
                "note": _truncated_note(model, result.read, len(raw)),
            }
        )
    scale_max = 8.0 if unit == "bits" else math.log(256)  # a uniform guess over the 256 byte values
    answer = {
        "bytes": len(raw),
        "chars": byte_chars(raw),
        "unit": unit,
        "scale_max": scale_max,
        "window": RUNNING_WINDOW,
        "panels": out,
    }
    return _json(answer)


def _truncated_note(model: TrainedModel, read: int, given: int) -> str | None:
    if read >= given:
        return None
    return (
        f"{model.label} has a table of {model.train_length} positions: it reads the first {read} of the "
        f"{given} bytes only (learned positions cannot extrapolate)"
    )


def _json(answer: dict[str, Any]) -> bytes:
    """The answer as JSON bytes; ``allow_nan=False``: a stray NaN fails here, never reaches a page."""
    return json.dumps(answer, allow_nan=False, separators=(",", ":")).encode("utf-8")


# ----------------------------------------------------------------------------- routes
@functools.cache
def samples() -> dict[str, str]:
    """The texts the two views start with (the attention one fits L = 64 four times, the loss one 16)."""
    texts = json.loads(SAMPLES.read_text(encoding="utf-8"))
    return {name: str(texts[name]) for name in ("attention", "loss")}


def _finished(lab: Lab, request: Request) -> dict | None:
    """The quick study job this page started and came back from (``?job=ID``), if it is known."""
    runner, job_id = lab.extra.get("jobs"), request.query_params.get("job")
    try:
        return runner.get(job_id).to_dict() if runner is not None and job_id else None
    except KeyError:
        return None


def routes(lab: Lab) -> list[BaseRoute]:
    views = lab.extra["model_views"] = ModelViews()

    async def compute(compute_fn, *args) -> Response:
        try:
            body = await run_in_threadpool(views.run, compute_fn, *args)
        except Busy as err:
            raise HTTPException(429, str(err)) from None
        return Response(body, media_type="application/json")

    def models_page(request: Request):
        studies = study_models(lab)
        key = request.query_params.get("run")
        if key is not None and key not in studies:
            raise HTTPException(
                404, f"no study run {key[:40]!r} with trained models; runs: {', '.join(studies) or 'none'}"
            )
        study = studies.get(key) if key else next(iter(studies.values()), None)
        return lab.page(
            request,
            "models.html",
            key="models",
            title="Trained models on your text",
            studies=list(studies.values()),
            study=study,
            main=[m.name for m in main_models(study)] if study else [],
            study_json=study.public() if study else None,
            results_dir=lab.results_dir,
            quick_folder=lab.results_dir / STUDY_RUNS[QUICK_RUN][0].partition("/")[2],
            quick_text=seconds_text(STUDY_QUICK_SECONDS),
            limits={"attention": MAX_ATTENTION_BYTES, "profiles": MAX_PROFILE_BYTES, "loss": MAX_LOSS_BYTES},
            scalings=SCALINGS,
            samples=samples(),
            finished=_finished(lab, request),
        )

    def api_models(request: Request):
        return JSONResponse(
            {
                "runs": [s.public() for s in study_models(lab).values()],
                "limits": {
                    "attention": MAX_ATTENTION_BYTES,
                    "profiles": MAX_PROFILE_BYTES,
                    "loss": MAX_LOSS_BYTES,
                },
                "scalings": list(SCALINGS),
            }
        )

    async def api_attention(request: Request):
        data = _object(
            parse_json_body(await request.body()),
            {"run", "model", "text", "layer", "head"},
            '{"run": "quick", "model": "rope-1e4-s0", "text": "...", "layer": 0, "head": 0}',
        )
        study = await run_in_threadpool(_study, lab, data)
        model = _model(study, data.get("model"))
        layer = _index(data, "layer", model.n_layers, f"{model.name} has {_count(model.n_layers, 'layer')}")
        head = _index(
            data, "head", model.n_heads, f"{model.name} has {_count(model.n_heads, 'head')} per layer"
        )
        raw = _text(data, MAX_ATTENTION_BYTES, "attention view")
        return await compute(attention_answer, model, raw, layer, head)

    async def api_profiles(request: Request):
        data = _object(
            parse_json_body(await request.body()), {"run", "text"}, '{"run": "quick", "text": "..."}'
        )
        study = await run_in_threadpool(_study, lab, data)
        raw = _text(data, MAX_ATTENTION_BYTES, "attention view")
        return await compute(profiles_answer, study, raw)

    async def api_loss(request: Request):
        data = _object(
            parse_json_body(await request.body()),
            {"run", "text", "unit", "panels"},
            '{"run": "quick", "text": "...", "panels": [{"model": "rope-1e4-s0", "scaling": "none"}]}',
        )
        study = await run_in_threadpool(_study, lab, data)
        unit = data.get("unit", "bits")
        if unit not in ("bits", "nats"):
            raise BadInput(f'unit must be "bits" or "nats", got {unit!r}')
        panels = data.get("panels")
        if not isinstance(panels, list) or not 1 <= len(panels) <= MAX_PANELS:
            raise BadInput(f'panels must be a list of 1 to {MAX_PANELS} objects {{"model", "scaling"}}')
        chosen = []
        for i, panel in enumerate(panels):
            if not isinstance(panel, dict) or set(panel) - {"model", "scaling"}:
                raise BadInput(f'panels[{i}] must be an object with "model" and optionally "scaling"')
            model = _model(study, panel.get("model"), f"panels[{i}].model")
            scaling = panel.get("scaling", "none")
            if scaling not in SCALINGS:
                raise BadInput(f"panels[{i}].scaling must be one of {', '.join(SCALINGS)}, got {scaling!r}")
            if scaling != "none" and model.pe != "rope":
                raise BadInput(
                    f"panels[{i}].scaling {scaling} applies to RoPE models only; {model.name} is {model.pe}"
                )
            chosen.append((model, scaling))
        raw = _text(data, MAX_LOSS_BYTES, "loss view")
        return await compute(loss_answer, chosen, raw, unit)

    return [
        Route("/models", models_page),
        Route("/api/models", api_models),
        Route("/api/models/attention", api_attention, methods=["POST"]),
        Route("/api/models/profiles", api_profiles, methods=["POST"]),
        Route("/api/models/loss", api_loss, methods=["POST"]),
    ]


__all__ = ["MAX_ATTENTION_BYTES", "MAX_LOSS_BYTES", "ModelViews", "byte_chars", "routes", "study_models"]
