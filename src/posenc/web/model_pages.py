"""Page: trained models on the learner's text — attention maps and where a model breaks (issue 24).

    /models?run=KEY                the page: the models of one study run, two views
    GET  /api/models               the study runs holding trained models, and their models
    POST /api/models/attention     {"run", "model", "text", "layer", "head"}: one head's weights w_ij
                                   and its mean attention at each distance A(Δ)
    POST /api/models/profiles      {"run", "text"}: A(Δ) averaged over layers and heads, per encoding
    POST /api/models/loss          {"run", "text", "unit": "bits" | "nats",
                                    "panels": [{"model", "scaling": "none" | "yarn:auto" | ...}, ...]}:
                                   the loss of every byte, per panel
    POST /api/models/passkey       {"run", "key", "depth", "multiple", "seed"}: one passkey trial asked
                                   of every retrieval-arm model (:mod:`posenc.web.passkey_view`)

The formulas are in :mod:`posenc.evaluate.views`, which computes every number; this module checks
requests, finds the models and answers. The models are those a study run trained, RUN/runs/NAME/ in
the study folders the study page shows (``posenc.study.runs.STUDY_FOLDERS``: the results folder's
``study/`` and ``study-quick/``, where the lab's quick button writes; found by ``study_models``), and
the models shipped with posenc (the default reference's, "reference-default"), each loaded once per
checkpoint version (``views.ModelCache``, kept in ``lab.model_views``). The page opens on the learner's
own run when there is one, else on the shipped models; both are listed, each labelled.

The model runs on the CPU in a worker thread, never on the event loop, and one computation at a time
(:mod:`posenc.web.model_views`): a request that finds another one computing waits up to WAIT_SECONDS
for it, then is answered 429 ("busy, try again"); the page sends its requests one after the other, so
it never meets a 429 itself. torch uses VIEW_THREADS threads, leaving a core to the server. Texts are
bounded (MAX_ATTENTION_BYTES, MAX_LOSS_BYTES; 400 beyond, naming the limit). Unknown run or model: 404;
bad field, corrupt checkpoint or non-finite weights: 400 with a message naming it; a non-finite number
never reaches the JSON.

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
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from posenc.study.presets import MULTIPLES, QUICK_SECONDS
from posenc.study.runs import (
    QUICK,
    STUDY_FOLDERS,
    StudyModels,
    TrainedModel,
    main_models,
    retrieval_models,
    study_models,
)
from posenc.web import passkey_view
from posenc.web.core import Lab, seconds_text
from posenc.web.jobs import Busy
from posenc.web.model_views import ModelViews
from posenc.web.params import BadInput, body_index, body_object, body_text, parse_json_body
from posenc.web.session import local_post

MAX_ATTENTION_BYTES = 1024  # the heatmap: n² weights per head (1 M at 1 kB)
MAX_PROFILE_BYTES = 512  # A(Δ) of every encoding reads the text's first 512 bytes (8 L of the default preset)
MAX_LOSS_BYTES = 4096
MAX_PANELS = 3
COLOUR_QUANTILE = 0.99  # the heatmap's colour scale ends at this quantile of the weights
RUNNING_WINDOW = 16  # bytes in the running mean of the loss chart
#: the texts the page starts with (JSON: the package ships *.json data files)
SAMPLES = Path(__file__).parent / "templates" / "models_samples.json"
SCALINGS = {"none": "none", "linear:auto": "PI (linear)", "ntk:auto": "NTK", "yarn:auto": "YaRN"}


# ----------------------------------------------------------------------------- reading requests
def _study(lab: Lab, data: dict[str, Any]) -> StudyModels:
    key = data.get("run")
    if not isinstance(key, str):
        raise BadInput(f'run must name a study run, e.g. "{QUICK}", got {key!r}')
    studies = study_models(lab.results_dir)
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


def routes(lab: Lab) -> list[BaseRoute]:
    views = lab.model_views

    async def compute(compute_fn, *args) -> Response:
        async with lab.views_gate.admit():  # a bounded queue: 429 at once when full, before a thread
            try:
                body = await run_in_threadpool(views.run, compute_fn, *args)
            except Busy as err:
                raise HTTPException(429, str(err), headers={"retry-after": "2"}) from None
        return Response(body, media_type="application/json")

    async def view_body(request: Request) -> Any:
        local_post(request, lab.token)  # same origin, JSON and this run's token, or nothing
        return parse_json_body(await request.body())

    def models_page(request: Request):
        studies = study_models(lab.results_dir)
        key = request.query_params.get("run")
        if key is not None and key not in studies:
            raise HTTPException(
                404, f"no study run {key[:40]!r} with trained models; runs: {', '.join(studies) or 'none'}"
            )
        own = [s for s in studies.values() if not s.shipped]  # the learner's own run first, if any
        study = studies.get(key) if key else next(iter(own or studies.values()), None)
        return lab.page(
            request,
            "models.html",
            key="models",
            title="Trained models on your text",
            studies=list(studies.values()),
            study=study,
            main=[m.name for m in main_models(study)] if study else [],
            retrieval=[m.name for m in retrieval_models(study)] if study else [],
            multiples=MULTIPLES,
            study_json=study.public() if study else None,
            results_dir=lab.results_dir,
            quick_folder=STUDY_FOLDERS[QUICK].path(lab.results_dir),
            quick_text=seconds_text(QUICK_SECONDS),
            limits={"attention": MAX_ATTENTION_BYTES, "profiles": MAX_PROFILE_BYTES, "loss": MAX_LOSS_BYTES},
            scalings=SCALINGS,
            samples=samples(),
            finished=lab.finished_job(request),
        )

    def api_models(request: Request):
        return JSONResponse(
            {
                "runs": [s.public() for s in study_models(lab.results_dir).values()],
                "limits": {
                    "attention": MAX_ATTENTION_BYTES,
                    "profiles": MAX_PROFILE_BYTES,
                    "loss": MAX_LOSS_BYTES,
                },
                "scalings": list(SCALINGS),
            }
        )

    async def api_attention(request: Request):
        data = body_object(
            await view_body(request),
            {"run", "model", "text", "layer", "head"},
            '{"run": "quick", "model": "rope-1e4-s0", "text": "...", "layer": 0, "head": 0}',
        )
        study = await run_in_threadpool(_study, lab, data)
        model = _model(study, data.get("model"))
        layer = body_index(
            data, "layer", model.n_layers, f"{model.name} has {_count(model.n_layers, 'layer')}"
        )
        head = body_index(
            data, "head", model.n_heads, f"{model.name} has {_count(model.n_heads, 'head')} per layer"
        )
        raw = body_text(data, MAX_ATTENTION_BYTES, "attention view")
        return await compute(attention_answer, model, raw, layer, head)

    async def api_profiles(request: Request):
        data = body_object(await view_body(request), {"run", "text"}, '{"run": "quick", "text": "..."}')
        study = await run_in_threadpool(_study, lab, data)
        raw = body_text(data, MAX_ATTENTION_BYTES, "attention view")
        return await compute(profiles_answer, study, raw)

    async def api_loss(request: Request):
        data = body_object(
            await view_body(request),
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
            if not isinstance(scaling, str) or scaling not in SCALINGS:
                raise BadInput(
                    f"panels[{i}].scaling must be one of {', '.join(SCALINGS)}, got {str(scaling)[:60]!r}"
                )
            if scaling != "none" and model.pe != "rope":
                raise BadInput(
                    f"panels[{i}].scaling {scaling} applies to RoPE models only; {model.name} is {model.pe}"
                )
            chosen.append((model, scaling))
        raw = body_text(data, MAX_LOSS_BYTES, "loss view")
        return await compute(loss_answer, chosen, raw, unit)

    return [
        Route("/models", models_page),
        Route("/api/models", api_models),
        Route("/api/models/attention", api_attention, methods=["POST"]),
        Route("/api/models/profiles", api_profiles, methods=["POST"]),
        Route("/api/models/loss", api_loss, methods=["POST"]),
        *passkey_view.routes(lab, _study, compute, view_body),
    ]


__all__ = ["MAX_ATTENTION_BYTES", "MAX_LOSS_BYTES", "byte_chars", "routes"]
