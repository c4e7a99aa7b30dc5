"""Round 3 of the hostile probe (issue 37), the lab's side: same origin or nothing on every route that changes
state, sizes checked before any analysis, heavy routes admitted through a bounded queue, and strict parsing of
what a client sends (no 500 for any of it)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from starlette.testclient import TestClient

from posenc.web import create_app
from tests.web.conftest import run_coroutine

LAB = "http://127.0.0.1"


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    with TestClient(create_app(tmp_path / "results", warm_up=False), base_url=LAB) as c:
        c.token = c.app.state.lab.token
        c.results = tmp_path / "results"
        yield c


def _post(lab, url, body, **headers):
    sent = {"content-type": "application/json", "x-posenc-token": lab.token, "origin": LAB, **headers}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lab.post(url, content=raw, headers=sent)


BAD_JOB = {"kind": "training"}  # reaches the route's own checks (400), never starts a job
STATE_CHANGING = [
    "/api/jobs",
    "/api/jobs/abc/cancel",
    "/api/models/attention",
    "/api/models/profiles",
    "/api/models/loss",
]


@pytest.mark.parametrize("url", STATE_CHANGING)
def test_a_simple_text_plain_post_from_another_port_is_refused(lab, url):
    raw = json.dumps({"kind": "experiment", "name": "2", "quick": True}).encode()
    r = lab.post(url, content=raw, headers={"content-type": "text/plain", "origin": "http://127.0.0.1:9999"})
    assert r.status_code in (403, 415), r.text
    assert lab.get("/api/jobs/current").json()["job"] is None


@pytest.mark.parametrize("url", STATE_CHANGING)
@pytest.mark.parametrize(
    "headers",
    [
        {"x-posenc-token": ""},
        {"x-posenc-token": "x" * 43},
        {"sec-fetch-site": "same-site"},
        {"origin": "http://127.0.0.1:9999"},
        {"origin": "http://localhost"},
        {"content-type": "text/plain"},
    ],
    ids=["no-token", "wrong-token", "same-site", "other-port", "other-host-name", "text-plain"],
)
def test_every_state_changing_route_demands_json_same_origin_and_the_token(lab, url, headers):
    r = _post(lab, url, BAD_JOB, **headers)
    assert r.status_code in (403, 415), r.text
    assert lab.get("/api/jobs/current").json()["job"] is None


def test_the_labs_own_request_still_reaches_the_route(lab):
    r = _post(lab, "/api/jobs", BAD_JOB)
    assert r.status_code == 400 and "unknown job kind" in r.json()["error"]
    assert _post(lab, "/api/jobs/nope/cancel", {}).status_code == 404
    # no fetch metadata and no Origin at all (a terminal's curl with the token): let through
    r = lab.post(
        "/api/jobs",
        content=json.dumps(BAD_JOB).encode(),
        headers={"content-type": "application/json", "x-posenc-token": lab.token},
    )
    assert r.status_code == 400


def test_inspect_changes_nothing_but_takes_json_only(lab):
    body = json.dumps({"name": "llama-3.1-8b"}).encode()
    r = lab.post("/api/inspect", content=body, headers={"content-type": "text/plain"})
    assert r.status_code == 415, r.text
    r = lab.post("/api/inspect", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


def test_a_job_body_nested_100000_deep_is_a_400(lab):
    r = _post(lab, "/api/jobs", b"[" * 100_000 + b"]" * 100_000)
    assert r.status_code == 400 and "nested" in r.json()["error"]


@pytest.mark.parametrize("after", ["²", "1" * 5000, "-1", " 1", "1.0", "١"])
def test_the_event_streams_last_id_is_parsed_strictly(lab, after):
    r = lab.get("/api/jobs/nope/events", headers={"last-event-id": after.encode()})
    assert r.status_code == 400 and "last event id" in r.json()["error"], r.text
    r = lab.get("/api/jobs/nope/events", params={"after": after})
    assert r.status_code in (400, 414), r.text  # 414: a 5,000-digit query is refused by the guard first


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"head_dim": int("9" * 400)}, "head_dim"),
        ({"max_position_embeddings": int("9" * 400)}, "max_position_embeddings"),
        ({"hidden_size": int("9" * 400)}, "hidden_size"),
        ({"head_dim": 65536}, "head_dim"),
        ({"head_dim": 2048}, "head_dim"),
        ({"hidden_size": 65536, "num_attention_heads": 1, "head_dim": None}, "head_dim"),
        ({"rope_scaling": {"rope_type": "linear", "factor": int("9" * 400)}}, "factor"),
    ],
)
def test_inspect_checks_sizes_before_any_analysis(lab, monkeypatch, change, field):
    import posenc.inspector

    def never(*a, **k):
        raise AssertionError("the analysis ran before the sizes were checked")

    monkeypatch.setattr(posenc.inspector, "inspect_config", never)
    config = {
        "model_type": "llama",
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "head_dim": 128,
        "max_position_embeddings": 8192,
        "rope_theta": 500000.0,
    }
    config = {k: v for k, v in (config | change).items() if v is not None}
    r = lab.post(
        "/api/inspect",
        content=json.dumps({"config": config}).encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]
    assert len(r.json()["error"]) < 400


def test_a_results_json_nested_100000_deep_is_a_clear_page_not_a_500(lab):
    folder = lab.results / "exp2"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text("[" * 100_000 + "]" * 100_000)
    for url in ["/experiments", "/experiments/2", "/experiments/2/files/x.png"]:
        r = lab.get(url)
        assert r.status_code < 500, (url, r.status_code, r.text[:300])


def test_a_full_gate_answers_429_with_retry_after_at_once():
    from posenc.web.core import Gate

    gate = Gate("test", running=1, waiting=2)

    async def scenario():
        release = asyncio.Event()

        async def hold():
            async with gate.admit():
                await release.wait()

        holders = [asyncio.create_task(hold()) for _ in range(3)]  # 1 running, 2 waiting
        await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(Exception) as refused:
            async with gate.admit():
                pass
        took = time.monotonic() - started
        release.set()
        await asyncio.gather(*holders)
        async with gate.admit():  # free again once the burst is over
            pass
        return refused.value, took

    err, took = run_coroutine(scenario())
    assert took < 0.1
    assert err.status_code == 429 and int(err.headers["retry-after"]) >= 1


def test_a_gate_refuses_at_once_when_the_expected_wait_is_too_long():
    from posenc.web.core import Gate

    gate = Gate("test", running=1, waiting=100, max_wait=1.0)

    async def scenario():
        async with gate.admit():
            await asyncio.sleep(0.3)  # one computation takes 0.3 s: 3 in line fit in 1 s, a 4th does not
        release = asyncio.Event()

        async def hold():
            async with gate.admit():
                await release.wait()

        full_at = []
        holders = []
        for n in range(1, 6):
            holders.append(asyncio.create_task(hold()))
            await asyncio.sleep(0.01)
            full_at.append((n, gate._full()))
        seconds = gate.seconds
        release.set()
        await asyncio.wait_for(asyncio.gather(*holders, return_exceptions=True), 5)
        return full_at, seconds

    full_at, seconds = run_coroutine(scenario())
    assert 0.25 < seconds < 1.0
    assert full_at == [(1, False), (2, False), (3, False), (4, True), (5, True)]
