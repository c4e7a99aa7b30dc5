"""The learner's state on the server (issue 34): one progress file for the lab and the terminal, the routes
that read and record it, the guard on every state-changing route (JSON, same origin, the session's token),
exercises checked by the lab with the terminal's checker, and ``posenc lab``'s fixed default port.

In the browser: tests/web/test_browser_state.py."""

from __future__ import annotations

import json
import re
import socket

import pytest

from posenc.cli import main
from posenc.exercises.catalog import EXERCISES
from posenc.learn import progress
from posenc.learn.content import load_grill, load_quiz
from posenc.learn.path import load_path

STATE_ROUTES = [
    ("/api/progress/step", {"key": "note:clock"}),
    ("/api/progress/quiz", {"answers": {q.id: q.answer for q in load_quiz().mcq}}),
    ("/api/progress/grill", {"grades": {"D1": True}}),
    ("/api/progress/forget", {"confirm": True}),
    ("/api/exercises/rope-frequencies/check", {"code": "def rope_frequencies(:\n"}),  # fails at once
]


def token_of(client) -> str:
    """The session token a page of the lab carries (as a page's script reads it)."""
    page = client.get("/notes").text
    return re.search(r'<meta name="posenc-token" content="([^"]+)">', page).group(1)


def post(client, url: str, body, **headers):
    sent = {"content-type": "application/json", "x-posenc-token": token_of(client), **headers}
    return client.post(url, content=json.dumps(body).encode(), headers=sent)


def progress_file(client):
    return client.app.state.lab.progress_file


# --------------------------------------------------------------------------------------------------
# one store: the file `posenc progress` reads
# --------------------------------------------------------------------------------------------------


def test_the_lab_keeps_progress_in_the_file_posenc_progress_reads(client, tmp_path):
    assert progress_file(client) == tmp_path / "xdg-data" / "posenc" / "progress.json"
    assert progress_file(client) == progress.progress_file()
    progress.record_quiz(4, 5, ["advantage"])  # `posenc quiz` in a terminal
    got = client.get("/api/progress").json()
    assert got["quiz"]["score"] == 4 and got["steps"] == ["quiz"] and got["total"] == len(load_path())
    assert got["file"] == str(progress_file(client))
    post(client, "/api/progress/step", {"key": "note:why-position"})
    assert progress.load()["steps"] == ["quiz", "note:why-position"]  # what the terminal reads


def test_every_page_carries_this_runs_token_and_another_run_has_another(client, tmp_path):
    from starlette.testclient import TestClient

    from posenc.web import create_app

    token = token_of(client)
    assert token == client.app.state.lab.token and len(token) >= 40
    assert f'content="{token}"' in client.get("/exercises/rope-frequencies").text
    with TestClient(create_app(tmp_path / "other", warm_up=False), base_url="http://127.0.0.1") as other:
        assert token_of(other) != token


# --------------------------------------------------------------------------------------------------
# only the lab's own pages may change state or run code
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, body", STATE_ROUTES, ids=[u for u, _ in STATE_ROUTES])
def test_a_state_changing_route_refuses_what_another_site_could_send(client, url, body):
    before = client.get("/api/progress").json()
    raw = json.dumps(body).encode()
    token = token_of(client)
    refused = {
        "no token": client.post(url, content=raw, headers={"content-type": "application/json"}),
        "a wrong token": post(client, url, body, **{"x-posenc-token": "x" * 43}),
        "text/plain (a simple request)": client.post(
            url, content=raw, headers={"content-type": "text/plain", "x-posenc-token": token}
        ),
        "a form": client.post(url, data={"code": "x"}, headers={"x-posenc-token": token}),
        "another port on 127.0.0.1": post(client, url, body, origin="http://127.0.0.1:8766"),
        "another site": post(client, url, body, origin="http://evil.example"),
        "a same-site request": post(client, url, body, **{"sec-fetch-site": "same-site"}),
    }
    for what, answer in refused.items():
        assert answer.status_code in (403, 415), (what, answer.status_code, answer.text)
        assert "error" in answer.json()
    assert client.get(url).status_code == 405
    assert client.get("/api/progress").json() == before  # nothing changed
    assert post(client, url, body, origin="http://127.0.0.1").status_code == 200  # the lab's own page


def test_the_check_answers_code_as_escaped_json_never_as_markup(client):
    code = 'x = "</script><img src=x onerror=alert(1)>" +\n'  # a syntax error: no worker starts
    answer = post(client, "/api/exercises/rope-frequencies/check", {"code": code})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<" not in answer.text and ">" not in answer.text
    result = answer.json()
    assert not result["passed"] and "SyntaxError" in result["problem"]
    assert "</script><img src=x onerror=alert(1)>" in result["problem"]  # as data, decoded by JSON


@pytest.mark.parametrize(
    "body, message",
    [
        ({"code": ""}, "code is empty"),
        ({"code": 3}, "code must be a string"),
        ({"code": "x = 1\n" * 20000}, "at most 65,536 bytes"),
        ({"source": "x"}, "unknown field 'source'"),
    ],
)
def test_the_check_refuses_a_bad_body_with_a_message(client, body, message):
    answer = post(client, "/api/exercises/rope-frequencies/check", body)
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_the_check_of_an_unknown_exercise_is_404(client):
    assert post(client, "/api/exercises/nope/check", {"code": "x = 1\n"}).status_code == 404


# --------------------------------------------------------------------------------------------------
# what counts as done
# --------------------------------------------------------------------------------------------------


def test_a_step_is_recorded_only_when_it_can_be_done_that_way(client):
    assert post(client, "/api/progress/step", {"key": "note:clock"}).json()["steps"] == ["note:clock"]
    for key, status, message in [
        ("quiz", 400, "when it is answered"),
        ("grill", 400, "every question is graded"),
        ("exercises", 400, "when one passes"),
        ("note:nope", 400, "a step of the learning path"),
        ("experiment:2", 409, "no results yet"),
    ]:
        answer = post(client, "/api/progress/step", {"key": key})
        assert answer.status_code == status and message in answer.json()["error"], key
    results = client.app.state.lab.experiment_dir("2") / "results.json"
    results.parent.mkdir(parents=True)
    results.write_text("{}")
    assert "experiment:2" in post(client, "/api/progress/step", {"key": "experiment:2"}).json()["steps"]


def test_a_quiz_taken_in_the_lab_is_graded_there_and_shows_in_posenc_progress(client, capsys, monkeypatch):
    mcq = load_quiz().mcq
    answers = {q.id: q.answer for q in mcq}
    wrong = mcq[4]
    answers[wrong.id] = next(letter for letter in "abcd" if letter != wrong.answer)
    partial = dict(list(answers.items())[:3])
    assert post(client, "/api/progress/quiz", {"answers": partial}).status_code == 400
    assert post(client, "/api/progress/quiz", {"answers": {**answers, wrong.id: "e"}}).status_code == 400
    got = post(client, "/api/progress/quiz", {"answers": answers}).json()
    assert got["quiz"]["score"] == 4 and got["quiz"]["missed"] == [wrong.id] and "quiz" in got["steps"]
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["progress"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Quiz: 4/5" in out and "missed: question 5." in out and "Path: 1 of" in out


def test_grill_grades_give_section_scores_and_a_band_only_for_the_full_grill(client):
    grill = load_grill()
    section = grill.section("D")
    grades = {q.id: k % 2 == 0 for k, q in enumerate(section.questions)}
    got = post(client, "/api/progress/grill", {"grades": grades}).json()
    score = sum(grades.values())
    assert got["grill"]["sections"]["D"]["score"] == score and got["grill"]["full"] is None
    assert got["grill"]["grades"] == grades and "grill" not in got["steps"]
    everything = {q.id: True for s in grill.sections for q in s.questions}
    got = post(client, "/api/progress/grill", {"grades": everything}).json()
    assert got["grill"]["full"]["score"] == grill.total
    assert got["grill"]["full"]["band"] == grill.band(grill.total).label and "grill" in got["steps"]
    assert post(client, "/api/progress/grill", {"grades": {"Z9": True}}).status_code == 400
    cleared = post(client, "/api/progress/grill", {"grades": {}}).json()
    assert cleared["grill"] == {"sections": {}, "full": None, "grades": {}}


def test_forget_needs_a_confirmation_and_forgets_everything(client):
    post(client, "/api/progress/step", {"key": "note:clock"})
    post(client, "/api/progress/quiz", {"answers": {q.id: q.answer for q in load_quiz().mcq}})
    post(client, "/api/progress/grill", {"grades": {"D1": True}})
    progress.record_exercise("sinusoidal", True, 8, 8)
    progress.record_cards("flashcards", [3])
    assert post(client, "/api/progress/forget", {}).status_code == 400
    assert post(client, "/api/progress/forget", {"confirm": "yes"}).status_code == 400
    assert progress_file(client).exists()
    got = post(client, "/api/progress/forget", {"confirm": True}).json()
    assert got["steps"] == [] and got["quiz"] is None and got["exercises"] == {} and got["cards"] == {}
    assert got["grill"] == {"sections": {}, "full": None, "grades": {}}
    assert not progress_file(client).exists()  # as `posenc progress --reset`


# --------------------------------------------------------------------------------------------------
# exercises checked by the lab
# --------------------------------------------------------------------------------------------------


def test_the_reference_passes_and_a_broken_one_fails_with_the_checkers_hint(client):
    e = EXERCISES["rope-frequencies"]
    answer = post(client, f"/api/exercises/{e.name}/check", {"code": e.solution()})
    result = answer.json()
    assert answer.status_code == 200 and result["passed"], result["report"]
    assert result["score"] == result["of"] == len(e.cases)
    assert f"All {len(e.cases)} cases pass." in result["report"] and "Next:" not in result["report"]
    kept = client.get("/api/progress").json()
    assert kept["exercises"][e.name]["passed"] and "exercises" in kept["steps"]

    broken = e.solution().replace("return 1.0 / (base**exponent)", "return base**exponent")
    assert broken != e.solution()
    result = post(client, f"/api/exercises/{e.name}/check", {"code": broken}).json()
    assert not result["passed"] and result["score"] < result["of"]
    hints = [h for case in result["cases"] for h in case["hints"]]
    assert e.hints["sign"] in hints  # the terminal's hint for this mistake
    assert "hint:" in result["report"]
    kept = client.get("/api/progress").json()["exercises"][e.name]
    assert kept["passed"] and kept["score"] == result["score"]  # passed once stays passed


# --------------------------------------------------------------------------------------------------
# the fixed default port
# --------------------------------------------------------------------------------------------------


def test_posenc_lab_listens_on_8765_by_default_and_says_when_it_takes_the_next(capsys):
    import argparse

    from posenc.web.cli import DEFAULT_PORT, add_arguments, bind_default

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).port is None and DEFAULT_PORT == 8765
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        sock, said = bind_default("127.0.0.1", port)
        try:
            assert sock.getsockname()[1] > port
            assert f"port {port} is busy" in said and f"using {sock.getsockname()[1]}" in said
        finally:
            sock.close()
    finally:
        busy.close()
    sock, said = bind_default("127.0.0.1", port)  # free again
    assert sock.getsockname()[1] == port and said == ""
    sock.close()
