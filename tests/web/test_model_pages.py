"""/models and its JSON routes through the test client, on tiny models trained for real.

Expected numbers come from the library called directly on the same checkpoint (``attention``, whose own
tests recompute it from the model's projections), from the existing evaluation code (``perplexity``) or
from closed forms (U(Δ), bits = nats / ln 2); the routes must carry them unchanged and refuse bad input
with a 400/404 naming the problem.
"""

from __future__ import annotations

import base64
import math
import shutil
import threading
import time

import numpy as np
import pytest
import torch
from starlette.testclient import TestClient

from posenc.data.tokenizer import encode
from posenc.evaluate.perplexity import perplexity
from posenc.evaluate.views import attention
from posenc.train.checkpoint import load_model, save_checkpoint
from posenc.web import create_app, model_pages, model_views
from tests.evaluate.trained_runs import MODELS, TRAIN_LENGTH, run_dir, trained_study

TEXT = (
    "def mean(values):\n    total = 0\n    for value in values:\n        total += value\n    return total\n"
)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return trained_study(tmp_path_factory)


@pytest.fixture
def client(client):
    """The conftest's client, sending this run's session token as the lab's pages do."""
    client.headers["x-posenc-token"] = client.app.state.lab.token
    return client


@pytest.fixture(scope="module")
def lab(study):
    with TestClient(create_app(study, warm_up=False), base_url="http://127.0.0.1") as c:
        c.headers["x-posenc-token"] = c.app.state.lab.token  # as the lab's pages send it
        yield c


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def _refused(response, status: int, *words: str) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    message = response.json()["error"]
    assert "Traceback" not in message
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    return message


def _lower_triangle(answer: dict) -> list[np.ndarray]:
    """The rows w_i0 … w_ii the route sent as base64 float32."""
    flat = np.frombuffer(base64.b64decode(answer["weights"]["data"]), dtype="<f4")
    n = answer["bytes"]
    assert flat.size == n * (n + 1) // 2
    starts = [i * (i + 1) // 2 for i in range(n + 1)]
    return [flat[starts[i] : starts[i + 1]] for i in range(n)]


def test_the_models_of_a_study_run_are_listed(lab):
    runs = [r for r in _ok(lab.get("/api/models"))["runs"] if not r["shipped"]]  # shipped ones: their tests
    assert [r["key"] for r in runs] == ["yours"]
    models = {m["name"]: m for m in runs[0]["models"]}
    assert set(models) == {f"{name}-s0" for name in MODELS}
    rope = models["rope-1e4-s0"]
    assert (rope["pe"], rope["label"], rope["role"], rope["train_length"]) == (
        "rope",
        "RoPE (base 1e4)",
        "encoding",
        32,
    )
    assert (rope["steps"], rope["batch_size"], rope["tokens"]) == (40, 8, 40 * 8 * 32)
    assert runs[0]["preset"] is None  # tiny test models match no study preset, and no results.json says one


def test_the_page_names_the_run_its_models_and_how_long_they_trained(lab):
    page = lab.get("/models")
    assert page.status_code == 200
    assert 'id="attention"' in page.text and 'id="breaks"' in page.text
    assert "preset unknown" in page.text and "rope-1e4-s0" in page.text
    assert 'id="models-data"' in page.text


@pytest.mark.parametrize("name, layer, head", [("rope-1e4", 1, 0), ("alibi", 0, 1), ("nope", 1, 1)])
def test_attention_route_carries_the_library_weights(lab, study, name, layer, head):
    d = _ok(
        lab.post(
            "/api/models/attention",
            json={"run": "yours", "model": f"{name}-s0", "text": TEXT, "layer": layer, "head": head},
        )
    )
    raw = TEXT.encode()
    assert d["bytes"] == d["given"] == len(raw) and d["chars"][:4] == ["d", "e", "f", " "]
    assert (d["layer"], d["head"], d["n_layers"], d["n_heads"], d["train_length"]) == (
        layer,
        head,
        2,
        2,
        TRAIN_LENGTH,
    )
    assert d["step"] == d["steps"] == 40 and d["note"] is None
    rows = _lower_triangle(d)
    for i, row in enumerate(rows):
        assert row.min() >= 0 and abs(float(row.sum()) - 1) < 1e-5, i  # each row a distribution over j ≤ i
    model, _ = load_model(run_dir(study, name))
    weights, _ = attention(model, encode(TEXT), layer=layer, profiles=False)
    expected = weights[head].numpy()
    for i in (0, 1, TRAIN_LENGTH, len(raw) - 1):
        assert np.array_equal(rows[i], expected[i, : i + 1])
        assert not expected[i, i + 1 :].any()  # what the route leaves out is zero (causal)
    assert d["max_weight"] == pytest.approx(float(expected.max()))
    n = len(raw)
    uniform = [sum(1 / (i + 1) for i in range(delta, n)) / (n - delta) for delta in range(n)]
    assert d["uniform"] == pytest.approx(uniform, rel=1e-5)
    diagonal = [float(np.mean([expected[i, i - delta] for i in range(delta, n)])) for delta in range(n)]
    assert d["head_profile"] == pytest.approx(diagonal, rel=1e-4, abs=1e-7)


def test_learned_positions_show_their_table_only(lab):
    d = _ok(lab.post("/api/models/attention", json={"run": "yours", "model": "learned-s0", "text": TEXT}))
    assert d["bytes"] == TRAIN_LENGTH and d["given"] == len(TEXT.encode())
    assert "32 positions" in d["note"]


def test_profiles_route_has_one_line_per_encoding(lab):
    d = _ok(lab.post("/api/models/profiles", json={"run": "yours", "text": TEXT * 8}))
    assert d["bytes"] == model_pages.MAX_PROFILE_BYTES  # the first 512 bytes of a longer text
    assert [s["model"] for s in d["series"]] == [
        "learned-s0",
        "nope-s0",
        "rope-1e4-s0",
        "alibi-s0",
    ]  # study order
    for s in d["series"]:
        assert len(s["mean"]) == s["bytes"] == (TRAIN_LENGTH if s["pe"] == "learned" else d["bytes"])
        assert s["mean"][0] > 0 and all(v >= 0 for v in s["mean"])
    alibi = next(s for s in d["series"] if s["pe"] == "alibi")
    assert alibi["mean"][1] > alibi["mean"][400]  # the bias favours nearby bytes


def test_loss_route_matches_the_evaluation_loss(lab, study):
    text = TEXT * 3
    raw = encode(text)
    panels = [
        {"model": "rope-1e4-s0"},
        {"model": "alibi-s0"},
        {"model": "rope-1e4-s0", "scaling": "yarn:auto"},
    ]
    nats = _ok(
        lab.post("/api/models/loss", json={"run": "yours", "text": text, "unit": "nats", "panels": panels})
    )
    bits = _ok(lab.post("/api/models/loss", json={"run": "yours", "text": text, "panels": panels}))
    assert (
        bits["unit"] == "bits"
        and bits["scale_max"] == 8.0
        and nats["scale_max"] == pytest.approx(math.log(256))
    )
    assert nats["bytes"] == len(raw) and len(nats["chars"]) == len(raw)
    for k, name in enumerate(["rope-1e4", "alibi"]):
        model, _ = load_model(run_dir(study, name))
        evaluated = perplexity(model, raw.long()[None], batch_size=1)["loss"]  # the existing evaluation code
        p = nats["panels"][k]
        assert len(p["losses"]) == len(raw) - 1 and p["read"] == len(raw)
        assert p["mean_all"] == pytest.approx(evaluated, rel=1e-5)
        assert np.mean(p["losses"]) == pytest.approx(evaluated, rel=1e-3)  # rounded to 4 digits
        assert p["mean_inside"] == pytest.approx(np.mean(p["losses"][:TRAIN_LENGTH]), rel=1e-3)
        assert p["mean_beyond"] == pytest.approx(np.mean(p["losses"][TRAIN_LENGTH:]), rel=1e-3)
        assert bits["panels"][k]["mean_all"] == pytest.approx(evaluated / math.log(2), rel=1e-5)
        assert p["applied"] is None and p["scaling"] == "none"
    yarn = nats["panels"][2]
    assert yarn["applied"] == {"rope_type": "yarn", "factor": pytest.approx((len(raw) - 1) / TRAIN_LENGTH)}
    assert yarn["losses"][0] == pytest.approx(nats["panels"][0]["losses"][0], abs=2e-4)  # one key: unchanged
    assert np.abs(np.subtract(yarn["losses"], nats["panels"][0]["losses"]))[TRAIN_LENGTH:].max() > 1e-3
    again = _ok(
        lab.post(
            "/api/models/loss", json={"run": "yours", "text": text, "unit": "nats", "panels": panels[:1]}
        )
    )
    assert again["panels"][0]["losses"] == nats["panels"][0]["losses"]  # the cached model is back as trained


def _attention(**fields) -> dict:
    return {"run": "yours", "model": "rope-1e4-s0", "text": TEXT, **fields}


def _loss(model: str = "nope-s0", scaling: str = "none", **fields) -> dict:
    return {"run": "yours", "text": TEXT, "panels": [{"model": model, "scaling": scaling}], **fields}


@pytest.mark.parametrize(
    "route, body, status, words",
    [
        ("attention", _attention(text=""), 400, ["empty"]),
        ("attention", _attention(text="x"), 400, ["at least 2 bytes"]),
        ("attention", _attention(text="x" * 1025), 400, ["1,025", "at most 1,024"]),
        ("attention", _attention(text="é" * 513), 400, ["1,026 bytes"]),  # bytes, not characters
        ("attention", _attention(layer=2), 400, ["layer", "0 and 1", "2 layers"]),
        ("attention", _attention(head=-1), 400, ["head", "0 and 1"]),
        ("attention", _attention(layer="0"), 400, ["layer must be an integer"]),
        ("attention", _attention(text=5), 400, ["text must be a string"]),
        ("attention", _attention(colour=1), 400, ["unknown field 'colour'"]),
        ("attention", _attention(run="quick"), 404, ["no study run 'quick'", "yours"]),
        ("attention", _attention(model="../../x"), 404, ["no trained model", "rope-1e4-s0"]),
        ("attention", _attention(model=None), 400, ["model must name a model"]),
        ("attention", [1, 2], 400, ["JSON object"]),
        ("profiles", {"run": "yours", "text": "x" * 2000}, 400, ["at most 1,024"]),
        ("loss", _loss(text="x" * 4097), 400, ["4,097", "at most 4,096"]),
        ("loss", _loss(panels=[]), 400, ["panels must be a list of 1 to 3"]),
        ("loss", _loss("alibi-s0", "yarn:auto"), 400, ["panels[0].scaling", "RoPE models only"]),
        ("loss", _loss("rope-1e4-s0", "yarn:99"), 400, ["panels[0].scaling must be one of"]),
        ("loss", _loss("rope-1e4-s0", ["yarn:auto"]), 400, ["panels[0].scaling must be one of"]),
        ("loss", _loss("rope-1e4-s0", {"a": 1}), 400, ["panels[0].scaling must be one of"]),
        ("loss", _loss(unit="bytes"), 400, ['unit must be "bits" or "nats"']),
        ("loss", _loss("nope-s1"), 404, ["panels[0].model", "no trained model 'nope-s1'"]),
    ],
)
def test_bad_requests_are_refused_with_a_message_naming_the_problem(lab, route, body, status, words):
    _refused(lab.post(f"/api/models/{route}", json=body), status, *words)


def test_a_body_that_is_not_json_is_refused(lab):
    _refused(
        lab.post("/api/models/loss", content=b"{not json", headers={"content-type": "application/json"}),
        400,
        "not valid JSON",
    )


@pytest.fixture
def damaged(study, tmp_path):
    """A results folder holding a copy of the nope run, to damage."""
    results = tmp_path / "results"
    shutil.copytree(run_dir(study, "nope"), results / "study" / "runs" / "nope-s0")
    with TestClient(create_app(results, warm_up=False), base_url="http://127.0.0.1") as c:
        c.headers["x-posenc-token"] = c.app.state.lab.token  # as the lab's pages send it
        yield c, results / "study" / "runs" / "nope-s0"


def test_a_corrupt_checkpoint_is_a_400_naming_it(damaged):
    client, run = damaged
    for older in run.glob("checkpoint*"):  # a kept previous checkpoint would be loaded instead
        if older.name != "checkpoint.pt":
            older.unlink()
    (run / "checkpoint.pt").write_bytes(b"\x00" * 100)
    body = {"run": "yours", "model": "nope-s0", "text": TEXT}
    message = _refused(client.post("/api/models/attention", json=body), 400, "nope-s0", "corrupt")
    assert "checkpoint.pt" in message


def test_non_finite_weights_never_reach_the_page(damaged):
    client, run = damaged
    model, meta = load_model(run)
    with torch.no_grad():
        model.lm_head.weight[3, 0] = float("inf")
    save_checkpoint(run / "checkpoint.pt", model=model, model_config=meta["model_config"], step=40)
    body = {"run": "yours", "text": TEXT, "panels": [{"model": "nope-s0"}]}
    _refused(client.post("/api/models/loss", json=body), 400, "non-finite")


def test_a_retrained_run_is_loaded_again(damaged):
    client, run = damaged
    body = {"run": "yours", "model": "nope-s0", "text": TEXT}
    assert _ok(client.post("/api/models/attention", json=body))["step"] == 40
    _ok(client.post("/api/models/attention", json=dict(body, layer=1)))
    views = client.app.state.lab.model_views
    assert views.cache.loads == 1  # loaded once, reused
    model, meta = load_model(run)
    save_checkpoint(run / "checkpoint.pt", model=model, model_config=meta["model_config"], step=77)
    assert _ok(client.post("/api/models/attention", json=body))["step"] == 77
    assert views.cache.loads == 2


def test_a_second_computation_waits_briefly_then_gets_429_while_pages_stay_fast(lab, monkeypatch):
    monkeypatch.setattr(model_views, "WAIT_SECONDS", 0.3)
    views = lab.app.state.lab.model_views
    body = {"run": "yours", "model": "rope-1e4-s0", "text": TEXT}
    assert views.lock.acquire(timeout=5)  # a model view computing
    try:
        t0 = time.perf_counter()
        _refused(
            lab.post("/api/models/attention", json=body), 429, "another model view is computing", "try again"
        )
        assert time.perf_counter() - t0 >= 0.3
        assert lab.get("/api/models").status_code == 200  # listing and pages do not wait for the model
        assert lab.get("/quiz").status_code == 200
    finally:
        views.lock.release()
    # a request that arrives while another computes waits its turn (within WAIT_SECONDS) and is answered
    monkeypatch.setattr(model_views, "WAIT_SECONDS", 10.0)
    views.lock.acquire()
    threading.Timer(0.3, views.lock.release).start()
    assert _ok(lab.post("/api/models/attention", json=body))["model"] == "rope-1e4-s0"


def test_without_a_study_run_the_page_says_how_to_make_one(client, tmp_path, monkeypatch):
    monkeypatch.setenv("POSENC_REFERENCE_DIR", str(tmp_path / "none"))  # an install that ships no models
    page = client.get("/models")
    assert page.status_code == 200
    assert "No trained models yet" in page.text
    assert "posenc study --preset quick" in page.text and "posenc study --preset default" in page.text
    assert 'data-job=\'{"kind": "study", "preset": "quick"}\'' in page.text
    assert 'id="attention"' not in page.text
    assert _ok(client.get("/api/models"))["runs"] == []
    body = {"run": "yours", "model": "rope-1e4-s0", "text": TEXT}
    _refused(client.post("/api/models/attention", json=body), 404, "posenc study --preset quick")
