"""The models page's live passkey view: one trial, every retrieval-arm model of a study asked it.

    POST /api/models/passkey   {"run": "reference-default", "key": "48213", "depth": 0.25,
                                "multiple": 4, "seed": 0}

The trial (``posenc.evaluate.passkey_view.build_trial``): filler from the held-out split of the corpus
the models were trained on, the key line at ``depth`` of it, ``multiple`` × L bytes in all (a multiple the
study measured: 1, 2, 4, 8, 16). Each retrieval-arm model answers it (greedy, digit by digit, with the
probability of each digit) and shows its strongest head's attention from the question onto the text;
beside each answer, what the study measured for that model at that length and the nearest measured
depth (``posenc.study.results.measured_retrieval``). A learned table of L positions cannot read past L:
that model's entry says so instead of answering.

Same rules as the other model views (:mod:`posenc.web.model_pages`): a same-origin JSON POST with the
session's token, the views gate (a bounded queue) and one computation at a time; a bad field is a 400
naming it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.study.presets import MULTIPLES
from posenc.study.results import measured_retrieval
from posenc.study.runs import StudyModels, retrieval_models
from posenc.web.model_views import ModelViews
from posenc.web.params import BadInput, body_object

EXAMPLE = '{"run": "reference-default", "key": "48213", "depth": 0.5, "multiple": 4, "seed": 0}'
FIELDS = {"run", "key", "depth", "multiple", "seed"}
MAX_SEED = 2**31 - 1


def read_request(data: Any) -> dict[str, Any]:
    """The view's fields, checked (400 naming the field); ``run`` is checked by the caller."""
    data = body_object(data, FIELDS, EXAMPLE)
    key = data.get("key", "48213")
    if not (isinstance(key, str) and len(key) == 5 and key.isascii() and key.isdigit()):
        raise BadInput(f'key must be 5 digits, e.g. "48213", got {str(key)[:20]!r}')
    depth = data.get("depth", 0.5)
    if isinstance(depth, bool) or not isinstance(depth, (int, float)) or not 0 <= depth <= 1:
        raise BadInput(f"depth must be a number from 0 (the start of the text) to 1 (its end), got {depth!r}")
    multiple = data.get("multiple", 1)
    if isinstance(multiple, bool) or multiple not in MULTIPLES:
        raise BadInput(
            f"multiple must be one of {', '.join(map(str, MULTIPLES))} (the lengths the study measured, "
            f"in units of L), got {str(multiple)[:20]!r}"
        )
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BadInput(f"seed must be an integer from 0 to {MAX_SEED}, got {str(seed)[:20]!r}")
    return {"key": key, "depth": float(depth), "multiple": int(multiple), "seed": seed}


def _results(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _filler(meta: dict[str, Any]):
    from posenc.evaluate.run import _load_corpus, run_corpus

    corpus, heldout_fraction = run_corpus(meta)
    return _load_corpus(corpus, heldout_fraction).tokens("heldout")


def _chars(tokens) -> list[str]:
    """One display character per byte (a byte that is not printable ASCII shows as a middle dot)."""
    return [chr(b) if 32 <= b < 127 or b == 10 else "·" for b in tokens.tolist()]


def passkey_answer(views: ModelViews, study: StudyModels, asked: dict[str, Any]) -> bytes:
    from posenc.evaluate.passkey_view import ask, build_trial, key_line_span
    from posenc.evaluate.views import readable_length

    models = retrieval_models(study)
    if not models:
        raise BadInput(f"the run {study.key!r} has no retrieval-arm models (trained on passkey trials)")
    L = models[0].train_length
    length = asked["multiple"] * L
    first, meta = views.load(models[0])
    trial = build_trial(_filler(meta), length, asked["key"], asked["depth"], asked["seed"])
    results = _results(study.folder)
    answers = []
    for model in models:
        net, _ = views.load(model) if model is not models[0] else (first, meta)
        encoding = model.study_name.removesuffix("-passkey")
        measured = (
            measured_retrieval(results, encoding, asked["multiple"], asked["depth"]) if results else None
        )
        entry: dict[str, Any] = {
            "model": model.name,
            "label": model.label,
            "pe": model.pe,
            "measured": measured,
        }
        if readable_length(net, length) < length:
            entry["na"] = f"a learned table of {model.train_length} positions cannot read {length} bytes"
            answers.append(entry)
            continue
        answer = ask(net, trial)
        row = answer.row
        if not all(math.isfinite(p) for p in answer.probs) or not bool(row.isfinite().all()):
            raise BadInput(f"{model.name} gives non-finite numbers on this trial; the lab shows none")
        entry.update(
            digits=list(answer.digits),
            probs=[round(p, 4) for p in answer.probs],
            correct=answer.correct,
            exact=all(answer.correct),
            layer=answer.layer,
            head=answer.head,
            key_mass=round(answer.key_mass, 4),
            row=[float(f"{v:.4g}") for v in row.tolist()],
        )
        answers.append(entry)
    start, stop = key_line_span(trial)
    out = {
        "run": study.key,
        "shipped": study.shipped,
        "train_length": L,
        "length": length,
        "multiple": asked["multiple"],
        "depth": asked["depth"],
        "key": asked["key"],
        "seed": asked["seed"],
        "key_line": [start, stop],
        "prompt": _chars(trial.prompt),
        "answers": answers,
    }
    return json.dumps(out, allow_nan=False, separators=(",", ":")).encode("utf-8")


def routes(lab, study_of, compute, view_body) -> list[BaseRoute]:
    """The view's route; ``study_of``, ``compute`` and ``view_body`` are the models page's own (the
    same study lookup, views gate and same-origin rule as its other views)."""

    async def api_passkey(request: Request):
        data = await view_body(request)
        asked = read_request(data)
        study = await run_in_threadpool(study_of, lab, data)
        return await compute(passkey_answer, study, asked)

    return [Route("/api/models/passkey", api_passkey, methods=["POST"])]


__all__ = ["passkey_answer", "read_request", "routes"]
