"""The lab's /evaluations page: the folders `posenc eval MODEL` writes under RESULTS/eval/, each shown with
its tables and plots; unknown names, unlisted files and unreadable results answered with a reason."""

from __future__ import annotations

import json
import re

import pytest

from posenc.evaluate.own_results import OwnResults


def _row(length: int, ppl: float, last_ppl: float, accuracy: float) -> dict:
    import math

    return {
        "length": length,
        "multiple": length / 32,
        "status": "ok",
        "windows": 2,
        "tokens": 2 * (length - 1),
        "loss": math.log(ppl),
        "ppl": ppl,
        "last": 32,
        "last_tokens": 64,
        "last_loss": math.log(last_ppl),
        "last_ppl": last_ppl,
        "passkey": {"trials": 4, "accuracy": accuracy, "digit_accuracy": accuracy, "depth": 0.5, "seed": 0},
        "passkey_by_depth": None,
        "rope_scaling_applied": None,
        "seed": 0,
        "basis": {"windows": 2},
    }


@pytest.fixture
def evaluated(client):
    """RESULTS/eval/tiny-llama written by the library's own writer (two rows, report.md, the plots)."""
    folder = client.app.state.lab.results_dir / "eval" / "tiny-llama"
    store = OwnResults(folder)
    store.start(
        {
            "model": "models/tiny-llama",
            "kind": "hf",
            "model_type": "llama",
            "train_length": 32,
            "rope_parameters": {"rope_theta": 1e4},
        },
        "f" * 64,
    )
    header = {
        "rope_scaling": None,
        "text": "book.txt",
        "text_tokens": 9000,
        "dtype": "float32",
        "device": "cpu",
    }
    store.save_row("none", header, _row(32, 9.5, 9.5, 0.75))
    store.save_row("none", header, _row(128, 11.25, 19.375, 0.25))
    store.finish()
    return folder


def test_an_evaluation_folder_shows_its_table_and_plots(client, evaluated):
    page = client.get("/evaluations")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert 'href="/evaluations?model=tiny-llama" aria-current="page"' in text
    assert "models/tiny-llama" in text and "L = 32 tokens" in text
    assert '<th scope="row">128 (4×)</th>' in text and "19.375" in text and "25% @0.5 of 4" in text
    plots = re.findall(r'<img src="(/evaluations/files/tiny-llama/[^"]+)"', page.text)
    assert plots == [
        "/evaluations/files/tiny-llama/ppl_vs_length.png",
        "/evaluations/files/tiny-llama/passkey.png",
    ]
    for address in plots:
        r = client.get(address)
        assert (
            r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"
        )
    assert client.get("/evaluations?model=tiny-llama").text == page.text


def test_unknown_names_and_unlisted_files(client, evaluated):
    r = client.get("/evaluations?model=nope")
    assert r.status_code == 400 and "no evaluation &#39;nope&#39;" in r.text and "tiny-llama" in r.text
    assert client.get("/evaluations/files/tiny-llama/results.json").status_code == 404
    assert client.get("/evaluations/files/tiny-llama/..%2Fx.png").status_code == 404
    assert client.get("/evaluations/files/other/passkey.png").status_code == 404


def test_an_unreadable_results_file_is_named_not_a_failed_page(client, evaluated):
    (evaluated / "results.json").write_text(json.dumps({"format": "posenc-own-eval/1", "evals": 3}))
    page = client.get("/evaluations")
    assert page.status_code == 200 and "has no evaluations" in page.text


def test_no_evaluation_yet_says_what_to_run(client):
    page = client.get("/evaluations")
    assert page.status_code == 200 and 'id="no-evaluations"' in page.text and "posenc eval" in page.text
    assert 'href="/evaluations"' in client.get("/study").text  # the study page leads here
