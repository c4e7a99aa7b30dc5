"""The job runner and its API: one job at a time in a subprocess, progress as events, cancel, errors.

Real workers run here (``python -m posenc.web.worker``), on the quick sizes: experiment 2 --quick
finishes in seconds; experiment 3 --quick runs long enough (tens of seconds) to be cancelled midway.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from posenc.web import create_app
from posenc.web.jobs import JobRunner, JobSpec

WAIT = 240  # seconds: generous, the test machine's cores are shared


def events(client, job_id: str, after: int | None = None) -> list[tuple[str, dict]]:
    """Read a job's event stream to its end: [(event name, data), ...]."""
    headers = {"last-event-id": str(after)} if after is not None else {}
    out, name = [], None
    with client.stream("GET", f"/api/jobs/{job_id}/events", headers=headers, timeout=WAIT) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[6:])))
    return out


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def wait_for(predicate, seconds: float = WAIT, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def client(client):
    """The conftest's client, sending this run's session token as the lab's pages do."""
    client.headers["x-posenc-token"] = client.app.state.lab.token
    return client


@pytest.fixture(autouse=True)
def full_priority(monkeypatch):
    """Workers at the server's own priority: on a shared test machine a niced worker crawls."""
    monkeypatch.setenv("POSENC_JOB_NICE", "0")


@pytest.fixture
def lab(tmp_path):
    results = tmp_path / "results"
    with TestClient(create_app(results, warm_up=False), base_url="http://127.0.0.1") as client:
        client.headers["x-posenc-token"] = client.app.state.lab.token  # as the lab's pages send it
        client.results = results
        yield client


def test_a_quick_experiment_runs_as_a_job_with_progress_then_its_result(lab):
    r = lab.post("/api/jobs", json={"kind": "experiment", "name": "2", "quick": True})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    pid = r.json()["job"]["pid"]
    assert pid != os.getpid()

    # one heavy job at a time: the second is refused, naming the first and when it started
    second = lab.post("/api/jobs", json={"kind": "experiment", "name": "1", "quick": True})
    assert second.status_code == 409
    message = second.json()["error"]
    assert "already running" in message and "experiment 2 (quick)" in message and "started at" in message

    stream = events(lab, job_id)
    names = [name for name, _ in stream]
    assert names[-1] == "done" and set(names[:-1]) == {"progress"}
    fractions = [data["fraction"] for name, data in stream if name == "progress"]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1
    assert any("scoring" in data["message"] for _, data in stream)  # the experiment's own messages
    assert [data["seq"] for _, data in stream] == list(range(1, len(stream) + 1))

    folder = lab.results / "exp2"
    written = json.loads((folder / "results.json").read_text())
    assert written["experiment"] == "2" and written["quick"] is True
    assert all((folder / name).is_file() for name in written["plots"])
    current = lab.get("/api/jobs/current").json()["job"]
    assert current["id"] == job_id and current["state"] == "done" and current["fraction"] == 1.0
    wait_for(lambda: gone(pid), 60, "the worker to exit")

    # a page that reloads asks for the events after the last one it saw: it gets the rest only
    rest = events(lab, job_id, after=len(stream) - 1)
    assert [name for name, _ in rest] == ["done"]
    assert lab.get(f"/api/jobs/{job_id}").json()["state"] == "done"
    page = lab.get(f"/experiments/2?job={job_id}").text
    assert "Finished: experiment 2 (quick)" in page and "Quick run, written" in page


def test_the_quick_study_runs_as_a_job_and_its_page_shows_it(lab):
    r = lab.post("/api/jobs", json={"kind": "study", "preset": "quick"})
    assert r.status_code == 202, r.text
    stream = events(lab, r.json()["id"])
    assert stream[-1][0] == "done", stream[-1]
    progress = [data for name, data in stream if name == "progress"]
    fractions = [data["fraction"] for data in progress]
    assert fractions == sorted(fractions) and fractions[-1] > 0.9  # run_study's on_progress, stage by stage
    assert any(data["message"].startswith("training ") for data in progress)
    assert any(data["message"].startswith("evaluating ") for data in progress)
    written = json.loads((lab.results / "study-quick" / "results.json").read_text())
    assert written["preset"] == "quick"
    page = lab.get("/study?run=quick")
    assert page.status_code == 200 and "Smoke test" in page.text
    alibi = written["encodings"]["alibi"]["rows"][0]["ppl"]["mean"]
    assert f"{alibi:.2f}" in page.text
    assert 'href="/study?run=quick"' in lab.get("/study").text


def test_cancel_stops_the_worker_process(lab):
    r = lab.post("/api/jobs", json={"kind": "experiment", "name": "3", "quick": True})
    assert r.status_code == 202
    job_id, pid = r.json()["id"], r.json()["job"]["pid"]

    def computing():  # torch loaded and the experiment under way
        job = lab.get("/api/jobs/current").json()["job"]
        assert job["state"] == "running", job
        return job["events"] >= 2  # the worker's "loading torch", then the experiment's own

    wait_for(computing, what="the experiment to start computing")
    assert not gone(pid)
    r = lab.post(f"/api/jobs/{job_id}/cancel", json={})
    assert r.status_code == 202
    stream = events(lab, job_id)
    assert stream[-1][0] == "cancelled"
    wait_for(lambda: gone(pid), 30, "the worker to exit")
    assert lab.get("/api/jobs/current").json()["job"]["state"] == "cancelled"
    assert lab.post(f"/api/jobs/{job_id}/cancel", json={}).status_code == 409  # it has ended


def test_a_failing_worker_reaches_the_page_as_an_error_event_with_its_message(lab):
    lab.results.mkdir(parents=True)
    (lab.results / "exp2").write_text("a file where the results folder should be")
    r = lab.post("/api/jobs", json={"kind": "experiment", "name": "2", "quick": True})
    assert r.status_code == 202
    stream = events(lab, r.json()["id"])
    name, data = stream[-1]
    assert name == "error"
    assert "exists and is not a folder" in data["message"] and "Traceback" not in data["message"]
    job = lab.get("/api/jobs/current").json()["job"]
    assert job["state"] == "error" and job["error"] == data["message"]
    assert (lab.results / "exp2").read_text().startswith("a file")  # untouched


def test_a_killed_worker_is_reported_with_its_exit_status(tmp_path):
    runner = JobRunner(tmp_path)
    job = runner.start(
        JobSpec(
            "experiment", "experiment 2", ["experiment", "2", "--out", str(tmp_path / "e")], tmp_path / "e"
        )
    )
    os.kill(job.pid, signal.SIGKILL)
    wait_for(lambda: not job.running, 30, "the job to end")
    assert job.state == "error" and "exit status -9" in job.error


def test_a_job_may_not_write_outside_the_results_folder(tmp_path):
    runner = JobRunner(tmp_path / "results")
    with pytest.raises(ValueError, match="only inside the results folder"):
        runner.start(
            JobSpec("experiment", "x", ["experiment", "2", "--out", str(tmp_path)], tmp_path / "elsewhere")
        )
    assert runner.current() is None


def test_the_lab_stopping_stops_the_running_job(tmp_path):
    with TestClient(create_app(tmp_path / "results", warm_up=False), base_url="http://127.0.0.1") as client:
        client.headers["x-posenc-token"] = client.app.state.lab.token  # as the lab's pages send it
        r = client.post("/api/jobs", json={"kind": "experiment", "name": "3", "quick": True})
        pid = r.json()["job"]["pid"]
        assert not gone(pid)
    wait_for(lambda: gone(pid), 30, "the worker to exit after the lab stopped")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"kind": "training"}, "'training'"),
        ({"name": "2"}, "None"),
        ({"kind": "experiment", "name": "5"}, "'5'"),
        ({"kind": "experiment", "name": "../../etc"}, "'../../etc'"),
        ({"kind": "experiment", "name": 2}, "2"),
        ({"kind": "experiment", "name": "2", "quick": "yes"}, "'yes'"),
        ({"kind": "experiment", "name": "2", "out": "/tmp"}, "out"),
        ({"kind": "study", "preset": "full"}, "'full'"),
        ({"kind": "study", "preset": "quick; rm -rf /"}, "'quick; rm -rf /'"),
        ({"kind": "study"}, "None"),
        (["experiment", "2"], "JSON object"),
    ],
)
def test_bad_job_requests_are_a_400_naming_what_is_wrong(client, body, named):
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 400, body
    assert named in r.json()["error"]
    assert client.get("/api/jobs/current").json() == {"job": None}  # nothing started


def test_a_body_that_is_not_json_is_a_400(client):
    r = client.post("/api/jobs", content=b"kind=experiment", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_unknown_jobs_are_404(client):
    for r in (
        client.get("/api/jobs/nope"),
        client.get("/api/jobs/nope/events"),
        client.post("/api/jobs/nope/cancel", json={}),  # as Lab.post sends it
    ):
        assert r.status_code == 404 and "nope" in r.json()["error"]


def test_the_worker_prints_only_json_events_on_stdout(tmp_path):
    out = tmp_path / "exp1"
    proc = subprocess.run(
        [sys.executable, "-m", "posenc.web.worker", "experiment", "1", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, proc.stderr
    assert lines[-1]["done"] is True and lines[-1]["results"] == str(out / "results.json")
    assert all(0 <= e["fraction"] <= 1 and isinstance(e["message"], str) for e in lines[:-1])
    assert (out / "results.json").is_file()


def test_the_worker_refuses_arguments_outside_its_closed_set(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "posenc.web.worker", "study", "--preset", "full", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "error" in json.loads(proc.stdout.splitlines()[-1])
    assert not (tmp_path / "results.json").exists()
