"""The lab with models shipped with posenc: the models page lists them beside the learner's own run,
and the live passkey view (POST /api/models/passkey) answers with every retrieval-arm model.

The shipped models are tiny ones trained for real (``tests.evaluate.shipped_models``); the accuracies
the view must show beside each answer are those written into their results.json (``MEASURED``), and an
answer's digits and probabilities are checked against greedy decoding (``posenc.evaluate.passkey``).
"""

from __future__ import annotations

import pytest
import torch
from starlette.testclient import TestClient

import posenc.reference
from posenc.data import load_corpus
from posenc.data.passkey import KEY_PREFIX
from posenc.evaluate import shipped
from posenc.evaluate.passkey import greedy_decode
from posenc.evaluate.passkey_view import build_trial
from posenc.study import runs as study_runs
from posenc.web import create_app
from tests.evaluate.shipped_models import MEASURED, shipped_reference
from tests.evaluate.trained_runs import TRAIN_LENGTH, trained_study


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return shipped_reference(tmp_path_factory)


def _heldout(meta):
    """The held-out split of the corpus the model was trained on (the trials' filler)."""
    config = meta["train_config"]
    return load_corpus(config["corpus"], config["heldout_fraction"]).tokens("heldout")


def _lab(results, root, tmp_path, monkeypatch):
    monkeypatch.setenv(posenc.reference.ENV, str(root))
    monkeypatch.setenv("POSENC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(study_runs, "REFERENCE_DIR", root)
    client = TestClient(create_app(results, warm_up=False), base_url="http://127.0.0.1")
    return client


@pytest.fixture
def lab(root, tmp_path, monkeypatch):
    with _lab(tmp_path / "results", root, tmp_path, monkeypatch) as c:
        c.headers["x-posenc-token"] = c.app.state.lab.token
        yield c


def test_with_no_run_of_their_own_the_page_opens_on_the_shipped_models(lab):
    page = lab.get("/models").text
    assert "Shipped with posenc" in page and 'id="passkey-form"' in page
    assert '"run": "reference-default"' in page and "rope-1e4-passkey-s0" in page


def test_the_learners_own_run_opens_first_and_the_shipped_models_are_listed_beside_it(
    root, tmp_path, monkeypatch, tmp_path_factory
):
    with _lab(trained_study(tmp_path_factory), root, tmp_path, monkeypatch) as c:
        page = c.get("/models").text
        assert '"run": "yours"' in page
        assert 'href="/models?run=reference-default"' in page and 'class="badge shipped"' in page
        assert 'class="badge yours"' in page
        runs = {r["key"]: r["shipped"] for r in c.get("/api/models").json()["runs"]}
        assert runs == {"reference-default": True, "yours": False}


def test_the_passkey_view_answers_with_every_retrieval_arm_model_and_the_studys_accuracy(lab):
    r = lab.post("/api/models/passkey", json={"run": "reference-default", "key": "48213", "depth": 0.5,
                                              "multiple": 4, "seed": 3})  # fmt: skip
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["length"] == 4 * TRAIN_LENGTH and len(d["prompt"]) == 4 * TRAIN_LENGTH - 5
    start, stop = d["key_line"]
    assert "".join(d["prompt"][start:stop]) == KEY_PREFIX.decode() + "48213\n"
    assert [a["model"] for a in d["answers"]] == ["rope-1e4-passkey-s0", "alibi-passkey-s0"]
    assert [a["measured"]["accuracy"] for a in d["answers"]] == [
        MEASURED[("rope-1e4", 4, 0.5)], MEASURED[("alibi", 4, 0.5)]
    ]  # fmt: skip
    # the digits are the model's greedy answer on the same trial, decoded by the evaluation's own code
    model, meta = shipped.load("alibi-passkey")
    trial = build_trial(_heldout(meta), 4 * TRAIN_LENGTH, "48213", 0.5, 3)
    assert "".join(d["prompt"]) == bytes(trial.prompt.tolist()).decode("ascii", "replace").replace(
        "\ufffd", "·"
    )
    expected = bytes(greedy_decode(model, trial.prompt[None], 5)[0].tolist()).decode("latin-1")
    alibi = d["answers"][1]
    assert "".join(alibi["digits"]) == expected
    assert all(0 < p <= 1 for p in alibi["probs"]) and len(alibi["row"]) == len(d["prompt"])
    assert sum(alibi["row"]) == pytest.approx(1, abs=1e-3)  # one query's weights: a distribution
    assert 0 <= alibi["key_mass"] <= 1 and alibi["correct"] == [
        a == b for a, b in zip(expected, "48213", strict=True)
    ]


def test_the_nearest_measured_depth_is_the_one_shown(lab):
    r = lab.post("/api/models/passkey", json={"run": "reference-default", "depth": 0.1, "multiple": 4})
    alibi = r.json()["answers"][1]["measured"]
    assert (alibi["depth"], alibi["accuracy"]) == (0.0, MEASURED[("alibi", 4, 0.0)])


def test_probabilities_equal_the_softmax_of_greedy_decoding(lab):
    d = lab.post(
        "/api/models/passkey", json={"run": "reference-default", "multiple": 1, "key": "12345"}
    ).json()
    model, meta = shipped.load("rope-1e4-passkey")
    trial = build_trial(_heldout(meta), TRAIN_LENGTH, "12345", 0.5, 0)
    with torch.inference_mode():
        logits, _ = model(trial.prompt[None])
    first = torch.softmax(logits[0, -1], -1)
    digit = ord(d["answers"][0]["digits"][0])
    assert int(first.argmax()) == digit and d["answers"][0]["probs"][0] == pytest.approx(
        float(first[digit]), abs=1e-4
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "1234"}, "key"),
        ({"key": "12a45"}, "key"),
        ({"depth": 1.5}, "depth"),
        ({"depth": "mid"}, "depth"),
        ({"multiple": 3}, "multiple"),
        ({"multiple": True}, "multiple"),
        ({"seed": -1}, "seed"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(lab, body, field):
    r = lab.post("/api/models/passkey", json={"run": "reference-default", **body})
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]


def test_an_unknown_run_is_a_404_and_a_cross_site_post_is_refused(lab):
    assert lab.post("/api/models/passkey", json={"run": "nosuch"}).status_code == 404
    r = lab.post("/api/models/passkey", json={"run": "reference-default"}, headers={"x-posenc-token": "x"})
    assert r.status_code == 403
