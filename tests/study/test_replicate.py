"""Reproducibility measured: a study's claims compared with a second run's (posenc.study.replicate)."""

from __future__ import annotations

import copy
import json

import pytest

from posenc.results.schema import SchemaError, sealed
from posenc.study.replicate import REPLICATE_FILE, claims, compare, read_replicate, varies, write_replicate
from posenc.study.report import render_report, write_report
from posenc.study.results import by_multiple
from tests.study.synthetic import synthetic_results


@pytest.fixture(scope="module")
def results() -> dict:
    return synthetic_results()


def _set_passkey(results: dict, name: str, multiple: float, value: float) -> None:
    """Every seed of the retrieval arm's ``name`` gets exact key ``value`` at ``multiple`` (key in the
    middle), as a second run whose copy circuit formed differently would."""
    rows = results["retrieval"][name]["rows"]
    i = rows.index(by_multiple(rows)[multiple])
    row = rows[i]
    row["passkey"]["values"] = [value] * len(row["passkey"]["values"])
    row["passkey"]["mean"] = value
    if "sha256" in row:  # sealed as that run would have written it
        rows[i] = sealed(row)


def test_a_run_agrees_with_itself_on_every_claim(results):
    rows = compare(claims(results), claims(copy.deepcopy(results)))
    assert rows and all(a.held for a in rows)


def test_the_claims_name_the_synthetic_directions(results):
    found = claims(results)
    # synthetic.py: ALiBi flat (growth 1.0), RoPE 1e4 ×1.3 per doubling: ALiBi lower at 16×
    assert found["ALiBi against RoPE (base 1e4), last-L perplexity at 16× L"] == "lower"
    assert found["Sinusoidal: last-L perplexity at 16× L against 1×"] == "higher"
    assert found["ALiBi: last-L perplexity at 16× L against 1×"] == "about the same"
    # RETRIEVAL: ALiBi 1.0 at 1×, 0.3 at 2× -> holds to 1× in every seed; T5 0.5 at 4× -> holds to 4×
    assert found["ALiBi (retrieval arm): exact key ≥ 50% holds to"] == "seed 0 1×, seed 1 1×, seed 2 1×"
    assert found["T5 bias (retrieval arm): exact key ≥ 50% holds to"] == "seed 0 4×, seed 1 4×, seed 2 4×"
    assert found["ALiBi: retrieval lost while last-L perplexity stays flat, first at"] == "2×"


def test_a_flipped_retrieval_result_is_marked_as_varying_in_the_findings_and_the_table(results):
    other = copy.deepcopy(results)
    _set_passkey(other, "alibi", 2, 0.9)  # the re-run's ALiBi holds to 2×
    record = {"format": 1, "this": "threads 2", "other": "threads 1", "other_preset": "default",
              "other_claims": claims(other)}  # fmt: skip
    differ = varies(results, record)
    assert differ == {
        "ALiBi (retrieval arm): exact key ≥ 50% holds to": "seed 0 2×, seed 1 2×, seed 2 2×",
        "ALiBi: retrieval lost while last-L perplexity stays flat, first at": "4×",
    }
    report = render_report(results, record)
    survive = next(line for line in report.splitlines() if line.startswith("- Where retrieval survives"))
    assert (
        "ALiBi holds to 1× in all 3 seeds and breaks at 2× [varies between runs: the re-run gives seed 0 2×"
        in survive
    )
    assert "T5 bias holds to 4× in all 3 seeds and breaks at 8×;" in survive  # held: no mark
    assert "## Reproducibility: the same study run twice" in report
    assert f"{len(claims(results)) - 2} of {len(claims(results))} claims" in report
    assert "| ALiBi (retrieval arm): exact key ≥ 50% holds to | seed 0 1×, seed 1 1×, seed 2 1× | " in report


def test_without_a_second_run_the_report_has_no_reproducibility_section(results):
    report = render_report(results)
    assert "Reproducibility" not in report and "varies between runs" not in report


def test_replicate_json_round_trips_through_the_study_folder(tmp_path, results):
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = copy.deepcopy(results)
    _set_passkey(other, "t5", 8, 0.9)
    (other_dir / "results.json").write_text(json.dumps(other), encoding="utf-8")
    out = tmp_path / "this"
    out.mkdir()
    write_replicate(out, "threads 2", other_dir, "threads 1")
    record = read_replicate(out)
    assert record["other"] == "threads 1" and record["other_preset"] == results["preset"]
    write_report(out, results)
    text = (out / "report.md").read_text(encoding="utf-8")
    assert (
        "T5 bias holds to 4× in all 3 seeds and breaks at 8× [varies between runs: the re-run gives seed 0 8×"
        in text
    )


@pytest.mark.parametrize(
    "text, problem",
    [
        (
            '{"format": 1, "this": "a", "other": "b", "other_claims": {"x": 3}}',
            "other_claims.x is the number 3, not text",
        ),
        ('{"format": 2, "this": "a", "other": "b", "other_claims": {}}', "format is the number 2, not 1"),
        ('{"format": 1, "this": "a", "other_claims": {}}', "other is missing"),
        ('{"format": 1, "this": "a", "other": "b", "other_claims": {"x": NaN}}', "is not valid JSON"),
        ("[1, 2", "is not valid JSON"),
    ],
)
def test_a_broken_replicate_file_is_one_error_naming_it_and_the_field(tmp_path, text, problem):
    (tmp_path / REPLICATE_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        read_replicate(tmp_path)
    message = str(caught.value)
    assert REPLICATE_FILE in message and problem in message and "\n" not in message
    assert "run posenc study --replicate OTHER again" in message


def test_the_other_run_is_read_as_any_study_is(tmp_path, results):
    """A missing results.json, one that is not a study's and one whose row was edited after it was
    written are each refused naming the file, and nothing is written."""
    with pytest.raises(ValueError, match="cannot read the other run's results"):
        write_replicate(tmp_path, "a", tmp_path / "missing", "b")
    other = tmp_path / "other"
    other.mkdir()
    (other / "results.json").write_text('{"preset": "default"}', encoding="utf-8")
    with pytest.raises(SchemaError, match="results.json"):
        write_replicate(tmp_path, "a", other, "b")
    sealed_results = json.loads(json.dumps(results))
    rows = sealed_results["encodings"]["alibi"]["rows"]
    rows[0] = sealed(rows[0])
    rows[0]["last_ppl"]["mean"] += 1.0
    (other / "results.json").write_text(json.dumps(sealed_results), encoding="utf-8")
    with pytest.raises(SchemaError, match="fails its checksum"):
        write_replicate(tmp_path, "a", other, "b")
    assert not (tmp_path / REPLICATE_FILE).exists()


def test_the_cli_refuses_a_second_run_of_another_preset(tmp_path, results):
    import argparse

    from posenc.study.cli import _replicate

    other_dir, out = tmp_path / "other", tmp_path / "this"
    other_dir.mkdir()
    out.mkdir()
    (other_dir / "results.json").write_text(json.dumps({**results, "preset": "full"}), encoding="utf-8")
    args = argparse.Namespace(out=str(out), replicate=str(other_dir), replicate_labels=None)
    with pytest.raises(ValueError, match="ran preset 'full', not 'default'"):
        _replicate(args, results)
    assert not (out / REPLICATE_FILE).exists()
    (other_dir / "results.json").write_text(json.dumps(results), encoding="utf-8")
    _replicate(args, results)
    assert read_replicate(out)["other"] == results["device"]


def test_the_flat_but_lost_claim_is_the_findings_sentence(results):
    """The claim and the report's sentence count the same way, per length: a seed that loses the key at 2×
    (where perplexity is not flat) and finds it again at 4× (where it is) is lost nowhere under a flat
    perplexity, in both; lost at 8× under a flat perplexity, it is named at 8× in both."""
    from posenc.study.findings import claim_flat_lost, retrieval_findings

    other = copy.deepcopy(results)
    keys = {1: [1.0] * 3, 2: [0.3, 0.9, 0.9], 4: [0.9] * 3, 8: [0.9] * 3, 16: [0.9] * 3}
    for row in other["retrieval"]["alibi"]["rows"]:
        row["passkey"]["values"] = keys[int(row["multiple"])]
    for row in other["encodings"]["alibi"]["rows"]:
        row["last_ppl"]["mean"] = 20.0 if row["multiple"] == 2 else 10.1
    hides = [line for line in retrieval_findings(other) if line.startswith("Perplexity hides it")]
    assert claims(other)[claim_flat_lost("ALiBi")] == "never"
    assert not any("ALiBi" in line for line in hides)
    by_multiple(other["retrieval"]["alibi"]["rows"])[8]["passkey"]["values"] = [0.9, 0.2, 0.9]
    hides = [line for line in retrieval_findings(other) if line.startswith("Perplexity hides it")]
    assert claims(other)[claim_flat_lost("ALiBi")] == "8×"
    assert any("ALiBi at 8× in 1 of 3 seeds" in line for line in hides), hides


def test_the_report_says_when_the_two_runs_were_bit_identical(tmp_path, results):
    """A second run equal bit for bit (as torch threads 1 against 2 turned out to be) is named as what it
    is, a determinism check; a run whose numbers differ says how many and by how much at most."""
    from posenc.study.replicate import measured_values

    values = measured_values(results)
    assert (
        values["encodings/alibi/2x/last_ppl"]
        == by_multiple(results["encodings"]["alibi"]["rows"])[2]["last_ppl"]["mean"]
    )
    other_dir, out = tmp_path / "other", tmp_path / "this"
    other_dir.mkdir()
    out.mkdir()
    other = copy.deepcopy(results)
    (other_dir / "results.json").write_text(json.dumps(other), encoding="utf-8")
    write_replicate(out, "AVX512 kernels", other_dir, "AVX2 kernels")
    text = render_report(results, read_replicate(out))
    assert f"The two runs are bit-identical: all {len(values)} measured means are equal" in text
    rows = other["encodings"]["alibi"]["rows"]
    i = rows.index(by_multiple(rows)[2])
    rows[i]["last_ppl"]["mean"] *= 1.02
    rows[i] = sealed(rows[i])
    (other_dir / "results.json").write_text(json.dumps(other), encoding="utf-8")
    write_replicate(out, "AVX512 kernels", other_dir, "AVX2 kernels")
    text = render_report(results, read_replicate(out))
    assert f"1 of the {len(values)} measured means differ between the runs" in text
    assert "perplexities by at most 2 %, the retrieval arm's exact-key accuracies by up to 0 points" in text
    assert "bit-identical" not in text


def test_value_agreement_separates_perplexity_from_retrieval_accuracy():
    from posenc.study.replicate import value_agreement

    this = {"encodings/a/1x/last_ppl": 10.0, "scaling/r/yarn/2x/ppl": 5.0, "retrieval/a/2x/passkey": 0.9,
            "retrieval/a/2x/last_ppl": 30.0, "retrieval/a/2x/passkey_digits": 0.1}  # fmt: skip
    other = {
        **this,
        "encodings/a/1x/last_ppl": 10.1,
        "retrieval/a/2x/passkey": 0.2,
        "retrieval/a/2x/last_ppl": 3.0,
    }
    v = value_agreement(this, other)
    assert (v.same, v.both) == (2, 5)
    assert v.lm_ppl == pytest.approx(0.1 / 10.1) and v.retrieval_points == pytest.approx(70)
