"""The models page says what the models shipped with posenc show, and they show it: each sentence of the
page about the shipped models is checked here on those models, through the page's own routes and its
own sample texts (``templates/models_samples.json``).

Skipped only while no models ship (a checkout before ``tools/ship_reference.py`` ran); the package
carries them, so these tests run in CI.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from posenc.reference import models as manifest
from posenc.web import create_app
from posenc.web.model_pages import samples

pytestmark = pytest.mark.skipif(manifest.manifest() is None, reason="no models ship in this checkout")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("claims")
    mp = pytest.MonkeyPatch()
    mp.setenv("POSENC_CACHE_DIR", str(tmp / "cache"))
    mp.setenv("XDG_DATA_HOME", str(tmp / "xdg"))
    with TestClient(create_app(tmp / "results", warm_up=False), base_url="http://127.0.0.1") as client:
        client.headers["x-posenc-token"] = client.app.state.lab.token
        yield client
    mp.undo()


@pytest.fixture(scope="module")
def profiles(lab) -> dict[str, list[float]]:
    """A(Δ) / U(Δ) of every shipped language model on the page's attention sample (1 = even spread)."""
    r = lab.post("/api/models/profiles", json={"run": "reference-default", "text": samples()["attention"]})
    assert r.status_code == 200, r.text
    d = r.json()
    uniform = d["uniform"]
    return {s["model"]: [a / u for a, u in zip(s["mean"], uniform, strict=False)] for s in d["series"]}


def _ratio(profiles, name):
    return next(v for k, v in profiles.items() if k.startswith(name + "-s"))


def test_the_page_states_the_claims_checked_here(lab):
    page = lab.get("/models").text
    assert "ALiBi's bias makes the last few bytes win" in page
    assert "NoPE's heads are the flattest of all" in page
    assert "RoPE's heads look hardest at the last two bytes" in page


def test_alibi_makes_the_last_few_bytes_win(profiles):
    ratio = _ratio(profiles, "alibi")
    assert min(ratio[1:3]) > 2, ratio[:4]  # Δ = 1, 2: more than twice the even share
    assert ratio[64] < 1, ratio[64]  # a byte L back: less than the even share


def test_nope_is_the_flattest_no_distance_gets_twice_the_even_share(profiles):
    peaks = {name: max(ratio) for name, ratio in profiles.items()}
    nope = next(name for name in peaks if name.startswith("nope-s"))
    assert peaks[nope] < 2, peaks[nope]
    assert min(peaks, key=peaks.get) == nope, peaks


def test_rope_looks_hardest_at_the_last_two_bytes_and_farther_back_in_bands(profiles):
    ratio = _ratio(profiles, "rope-1e4")
    peak = max(range(len(ratio)), key=ratio.__getitem__)
    assert peak in (1, 2) and ratio[peak] > 5, (peak, ratio[peak])
    # a band: past its near peak the profile falls and then rises again by at least half
    low = min(range(8, 48), key=ratio.__getitem__)
    assert max(ratio[low:200]) > 1.5 * ratio[low], (low, ratio[low], max(ratio[low:200]))


def test_beyond_its_training_length_rope_loses_more_than_a_bit_per_byte_more_than_alibi(lab):
    """Done-means of issue 35: the page's loss view shows RoPE's and ALiBi's losses beyond L differing
    as in the reference, by more than 1 bit per byte, on the page's own long sample."""
    runs = lab.get("/api/models").json()["runs"]
    models = {m["name"].rsplit("-s", 1)[0]: m["name"] for m in runs[0]["models"]}
    r = lab.post(
        "/api/models/loss",
        json={"run": "reference-default", "text": samples()["loss"], "unit": "bits",
              "panels": [{"model": models["rope-1e4"], "scaling": "none"},
                         {"model": models["alibi"], "scaling": "none"}]},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    rope, alibi = r.json()["panels"]
    assert rope["mean_beyond"] - alibi["mean_beyond"] > 1.0, (rope["mean_beyond"], alibi["mean_beyond"])
    assert abs(rope["mean_inside"] - alibi["mean_inside"]) < 1.0  # inside L they are alike


def test_the_passkey_view_says_which_models_never_learned_to_copy_at_L(lab):
    """The shipped reference's results.json records, per retrieval-arm model, whether it met its
    training criterion; the live view passes that on, so a model that never learned is not read as one
    that fails to extrapolate."""
    import json

    from posenc.reference import study_folder

    results = json.loads((study_folder("study-cpu-default") / "results.json").read_text(encoding="utf-8"))
    learned = {name: entry["learned"][0] for name, entry in results["retrieval"].items()}
    assert not all(learned.values()), "every model learned: nothing to check here"
    r = lab.post("/api/models/passkey", json={"run": "reference-default", "key": "48213", "depth": 0.5,
                                              "multiple": 1, "seed": 0})  # fmt: skip
    assert r.status_code == 200, r.text
    for answer in r.json()["answers"]:
        name = answer["model"].removesuffix("-passkey-s0")
        assert answer["measured"]["learned"] == int(learned[name]), name
