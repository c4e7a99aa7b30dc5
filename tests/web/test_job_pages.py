"""The experiments and study pages through the test client: what they show comes from the results files.

No job runs here: the experiment results are made in process once (experiment 2 --quick, a second),
the study pages read the committed reference runs and small copies of them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from rich.table import Table
from starlette.testclient import TestClient

import posenc.reference
from posenc.experiments import EXPERIMENTS, TITLES, load
from posenc.results.schema import sealed
from posenc.study import runs as study_runs
from posenc.study.results import learned_rows
from posenc.study.tables import disagree
from posenc.web import create_app, job_pages
from posenc.web.richhtml import blocks, table_html

REFERENCE = posenc.reference.root()


class Tables(HTMLParser):
    """Every <table> of a page: {"id", "caption", "rows": [[cell text, ...], ...]} (header rows too)."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"id": dict(attrs).get("id"), "caption": "", "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.tables[-1]["caption"] += data


def tables_of(html: str) -> list[dict]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture(scope="module")
def exp2_results(tmp_path_factory) -> Path:
    """A real RESULTS/exp2 written by experiment 2 --quick (in process, about a second)."""
    results = tmp_path_factory.mktemp("made") / "results"
    load("2").run(results / "exp2", quick=True)
    return results


@pytest.fixture
def lab(tmp_path, exp2_results):
    """A lab over a copy of the results folder (tests may damage their copy)."""
    results = tmp_path / "results"
    shutil.copytree(exp2_results, results, symlinks=True)
    with TestClient(create_app(results, warm_up=False), base_url="http://127.0.0.1") as client:
        client.headers["x-posenc-token"] = client.app.state.lab.token  # as the lab's pages send it
        client.results = results
        yield client


# ----------------------------------------------------------------------------- rich -> HTML
def test_rich_table_becomes_an_html_table_with_title_caption_columns_and_escaped_cells():
    table = Table(title="T <1>", caption="note & more")
    table.add_column("name")
    table.add_column("value", justify="right")
    table.add_row("[green]sees order[/]", "1.5")
    table.add_row("<script>alert(1)</script>", "[bold]2[/]")
    out = str(table_html(table))
    parsed = tables_of(out)[0]
    assert parsed["rows"] == [
        ["name", "value"],
        ["sees order", "1.5"],
        ["<script>alert(1)</script>", "2"],
    ]
    assert "T <1>" in parsed["caption"] and "note & more" in parsed["caption"]
    assert "<script>" not in out  # escaped, never markup
    assert '<span class="good">sees order</span>' in out and "<strong>2</strong>" in out
    assert '<td class="num">1.5</td>' in out


def test_strings_become_plain_text_for_markdown_with_their_colour_as_a_class():
    out = blocks(["[yellow]--quick trains for seconds[/]", "plain [0, 1] text", Table()])
    assert [b.kind for b in out] == ["text", "text", "table"]
    assert out[0].text == "--quick trains for seconds" and out[0].css == "warn"
    assert out[1].text == "plain [0, 1] text" and out[1].css == ""


# ----------------------------------------------------------------------------- experiments
def test_experiments_index_lists_every_experiment_with_its_state(lab):
    r = lab.get("/experiments")
    assert r.status_code == 200
    for name, title in TITLES.items():
        assert f'href="/experiments/{name}"' in r.text and str(escape(title)) in r.text
    row = re.search(r'<tr data-key="experiment:2">.*?</tr>', r.text, re.S).group(0)
    assert "quick run" in row
    row1 = re.search(r'<tr data-key="experiment:1">.*?</tr>', r.text, re.S).group(0)
    assert "not run yet" in row1


def test_experiment_page_shows_the_terminal_summary_tables_cell_for_cell(lab):
    results = json.loads((lab.results / "exp2" / "results.json").read_text())
    expected = [item for item in load("2").summary(results) if isinstance(item, Table)]
    page = lab.get("/experiments/2")
    assert page.status_code == 200
    shown = [t for t in tables_of(page.text) if t["caption"]]
    assert len(shown) == len(expected)
    for table, got in zip(expected, shown, strict=True):
        header = [str(c.header) for c in table.columns]
        rows = [list(cells) for cells in zip(*(c.cells for c in table.columns), strict=True)]
        assert got["rows"] == [header] + rows
        assert str(table.title) in got["caption"]
    sentence = next(item for item in load("2").summary(results) if isinstance(item, str))
    assert sentence.split(":")[0] in page.text


def test_finished_result_is_shown_without_running_again(lab):
    path = lab.results / "exp2" / "results.json"
    before = path.stat().st_mtime_ns
    for _ in range(2):
        page = lab.get("/experiments/2")
        assert "Quick run, written" in page.text
    assert path.stat().st_mtime_ns == before
    assert lab.get("/api/jobs/current").json() == {"job": None}


def test_experiment_page_shows_every_plot_results_json_lists_and_serves_it(lab):
    plots = json.loads((lab.results / "exp2" / "results.json").read_text())["plots"]
    page = lab.get("/experiments/2").text
    for name in plots:
        assert f"/experiments/2/files/{name}" in page
        r = lab.get(f"/experiments/2/files/{name}")
        assert r.status_code == 200
        assert r.content == (lab.results / "exp2" / name).read_bytes()
        assert r.headers["content-type"].startswith("image/png" if name.endswith(".png") else "image/svg+xml")


def test_experiment_not_run_yet_offers_both_sizes_with_their_times(lab):
    page = lab.get("/experiments/1").text
    assert "Not run yet" in page
    quick, full = job_pages.EXPERIMENT_SECONDS["1"]
    assert f"Run quick (about {job_pages.seconds_text(quick)})" in page
    assert f"Run full (about {job_pages.seconds_text(full)})" in page
    assert job_pages.MEASURED_ON in page


def test_unknown_experiment_is_a_404_naming_the_experiments(lab):
    r = lab.get("/experiments/9")
    assert r.status_code == 404
    assert all(name in r.text for name in EXPERIMENTS)


def test_unreadable_results_json_is_a_clear_message_not_a_traceback(lab):
    (lab.results / "exp2" / "results.json").write_text("{not json")
    r = lab.get("/experiments/2")
    assert r.status_code == 200
    assert "could not be read" in r.text and "Traceback" not in r.text
    (lab.results / "exp2" / "results.json").write_text('{"numbers": {}}')
    r = lab.get("/experiments/2")
    assert r.status_code == 200 and "run it again" in r.text


# ----------------------------------------------------------------------------- files: no traversal
@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.png"
    path.write_text("TOP-SECRET-OUTSIDE")
    return path


def test_results_files_refuse_path_traversal(lab, secret):
    folder = lab.results / "exp2"
    (folder / "evil.png").symlink_to(secret)
    data = json.loads((folder / "results.json").read_text())
    data["plots"] += ["evil.png", "../secret.png", str(secret), "results.json"]
    (folder / "results.json").write_text(json.dumps(data))
    targets = [
        "/experiments/2/files/../secret.png",
        "/experiments/2/files/%2e%2e/secret.png",
        "/experiments/2/files/%2e%2e%2fsecret.png",
        "/experiments/2/files/..%2fsecret.png",
        "/experiments/2/files/%252e%252e%252fsecret.png",
        "/experiments/2/files/" + str(secret).replace("/", "%2f"),
        "/experiments/2/files//" + str(secret).lstrip("/"),
        "/experiments/2/files/evil.png",  # listed, but a symlink to a file outside the folder
        "/experiments/2/files/results.json",  # listed, inside, but not a plot
        "/experiments/2/files/report.md",  # not listed
        "/experiments/%2e%2e/files/secret.png",
    ]
    for target in targets:
        r = lab.get(target)
        assert r.status_code in (400, 404), target
        assert b"TOP-SECRET" not in r.content, target


def test_result_file_refuses_names_outside_the_folder_even_when_listed(tmp_path, secret):
    from posenc.web.jobs import result_file

    folder = tmp_path / "results" / "exp2"
    folder.mkdir(parents=True)
    (folder / "ok.png").write_bytes(b"png")
    (folder / "link.png").symlink_to(secret)
    for name in ("../secret.png", str(secret), "link.png", "sub/ok.png", "..", ".", "", "ok.png\x00"):
        with pytest.raises(FileNotFoundError):
            result_file(folder, name, [name])
    assert result_file(folder, "ok.png", ["ok.png"]) == ((folder / "ok.png").resolve(), "image/png")
    with pytest.raises(FileNotFoundError):
        result_file(folder, "ok.png", [])  # present, but not listed


# ----------------------------------------------------------------------------- the study
def _parse_stat(text: str) -> tuple[float, float | None]:
    found = re.fullmatch(r"([\d.]+)(?: ± ([\d.]+))?", text)
    assert found, text
    return float(found.group(1)), (float(found.group(2)) if found.group(2) else None)


def _check_rows(table: dict, entries: list[tuple[str, list[dict]]], key: str, multiples: list[int]):
    rows = {row[0]: row[1:] for row in table["rows"][1:]}
    assert list(rows) == [label for label, _ in entries]
    for label, agg in entries:
        by_mult = {r["multiple"]: r for r in agg}
        for m, cell in zip(multiples, rows[label], strict=True):
            row = by_mult.get(m)
            if row is None:
                assert cell == "—"
            elif row["status"] != "ok":
                assert cell == "n/a"
            else:
                mean, std = _parse_stat(cell)
                assert abs(mean - row[key]["mean"]) <= 0.005 + 1e-9, (label, m)
                if std is not None:
                    assert abs(std - row[key]["std"]) <= 0.005 + 1e-9, (label, m)


def test_study_page_numbers_equal_the_reference_results_json(lab):
    results = json.loads((REFERENCE / "study-cpu-full" / "results.json").read_text())
    page = lab.get("/study")
    assert page.status_code == 200
    assert 'id="measured"' in page.text
    tables = {t["id"]: t for t in tables_of(page.text) if t["id"]}
    mults = results["multiples"]
    assert tables["table-ppl"]["rows"][0][1:] == [f"{m}× ({m * results['train_length']})" for m in mults]
    encodings = [(e["label"], e["rows"]) for e in results["encodings"].values()]
    _check_rows(tables["table-ppl"], encodings, "ppl", mults)
    _check_rows(tables["table-last-ppl"], encodings, "last_ppl", mults)
    for rope, methods in results["scaling"].items():
        _check_rows(
            tables[f"table-scaling-{rope}"], [(k, e["rows"]) for k, e in methods.items()], "last_ppl", mults
        )
    sweep = [(f"base {b}", e["rows"]) for b, e in results["rope_base_sweep"].items()]
    sweep += [(f"{n} (trained at {e['train_length']})", e["rows"]) for n, e in results["long_arm"].items()]
    _check_rows(tables["table-rope-base"], sweep, "last_ppl", mults)
    passkey = {row[0]: row[1:] for row in tables["table-passkey"]["rows"][1:]}
    for label, rows in encodings:
        for row, cell in zip(rows, passkey[label], strict=True):
            if row["status"] == "ok":
                exact = float(cell.split("%")[0])
                assert abs(exact - 100 * row["passkey"]["mean"]) <= 0.5


@pytest.mark.parametrize(
    "run, folder", [("reference-full", "study-cpu-full"), ("reference-default", "study-cpu-default")]
)
def test_study_page_shows_the_retrieval_arm_where_the_run_has_one(lab, run, folder):
    results = json.loads((REFERENCE / folder / "results.json").read_text())
    tables = {t["id"]: t for t in tables_of(lab.get(f"/study?run={run}").text) if t["id"]}
    if not results.get("retrieval"):  # a run made before the retrieval arm
        assert "table-retrieval" not in tables
        return
    arm = [(row[0], row[1:]) for row in tables["table-retrieval"]["rows"][1:]]
    # over the seeds that learned at L (issue 40): each row says how many, seeds that disagree are listed
    assert len(arm) == len(results["retrieval"])
    for (label, cells), (name, entry) in zip(arm, results["retrieval"].items(), strict=True):
        assert label.startswith(entry["label"])
        for row, cell in zip(learned_rows(results, name), cells, strict=True):
            if row["status"] != "ok":
                assert cell == "n/a"
            elif not row["passkey"]["values"]:
                assert cell == "did not learn"
            elif disagree(row["passkey"]):
                assert cell == ", ".join(f"{100 * v:.0f}" for v in row["passkey"]["values"]) + "%"
            else:
                assert abs(float(cell.split("%")[0]) - 100 * row["passkey"]["mean"]) <= 0.5


def test_study_page_shows_the_report_text_and_its_plots(lab):
    page = lab.get("/study").text
    report = (REFERENCE / "study-cpu-full" / "report.md").read_text()
    finding = next(line for line in report.splitlines() if line.startswith("- ALiBi: perplexity at"))
    assert finding[2:30] in page
    assert "What our numbers show" in page and "Discussion" in page
    assert "| encoding |" not in page  # the report's tables are shown from results.json instead
    plots = json.loads((REFERENCE / "study-cpu-full" / "results.json").read_text())["plots"]
    for name in plots:
        assert f"/study/files/reference-full/{name}" in page
    r = lab.get(f"/study/files/reference-full/{plots[0]}")
    assert r.status_code == 200 and r.content == (REFERENCE / "study-cpu-full" / plots[0]).read_bytes()
    assert lab.get("/study/files/reference-full/report.md").status_code == 404
    assert lab.get("/study/files/reference-full/%2e%2e%2fstudy-cpu-default%2fresults.json").status_code == 404


def test_study_offers_the_learners_own_run_beside_the_references(lab):
    page = lab.get("/study").text
    assert 'href="/study?run=reference-default"' in page and 'href="/study?run=yours"' not in page
    own = lab.results / "study"
    own.mkdir()
    for name in ("results.json", "report.md"):
        shutil.copy(REFERENCE / "study-cpu-default" / name, own / name)
    data = json.loads((own / "results.json").read_text())
    row = data["encodings"]["alibi"]["rows"][0]
    row["ppl"]["mean"] = 1.2345  # mark it: this page reads this file
    data["encodings"]["alibi"]["rows"][0] = sealed(row)  # as a run of the learner's would have written it
    (own / "results.json").write_text(json.dumps(data))
    page = lab.get("/study").text
    assert 'href="/study?run=yours"' in page
    mine = lab.get("/study?run=yours").text
    alibi = next(r for r in {t["id"]: t for t in tables_of(mine)}["table-ppl"]["rows"] if r[0] == "ALiBi")
    assert alibi[1] == "1.23"
    chart = lab.get("/api/study?run=yours").json()
    alibi_series = next(s for s in chart["series"]["ppl"] if s["name"] == "alibi")
    assert alibi_series["y"][0] == 1.2345


def test_study_chart_numbers_are_the_results_json_means(lab):
    results = json.loads((REFERENCE / "study-cpu-full" / "results.json").read_text())
    chart = lab.get("/api/study?run=reference-full").json()
    for series in chart["series"]["last_ppl"]:
        rows = [r for r in results["encodings"][series["name"]]["rows"] if r["status"] == "ok"]
        assert series["y"] == [r["last_ppl"]["mean"] for r in rows]
        assert series["x"] == [r["multiple"] for r in rows]


def test_study_run_choice_is_checked(lab):
    r = lab.get("/study?run=../../etc")
    assert r.status_code == 400 and "reference-full" in r.text
    assert lab.get("/study?run=quick").status_code == 404  # not run yet
    assert lab.get("/api/study?run=nope").status_code == 400


def test_study_without_any_results_says_where_they_would_be(lab, tmp_path, monkeypatch):
    monkeypatch.setattr(study_runs, "REFERENCE_DIR", tmp_path / "no-reference")
    r = lab.get("/study")
    assert r.status_code == 200
    assert "No study results found" in r.text and "Run the quick preset" in r.text


def test_job_pages_load_without_torch():
    import subprocess
    import sys

    code = (
        "import sys, posenc.web.job_pages, posenc.web.jobs, posenc.web.worker; print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True
    )
    assert out.stdout.strip() == "False"


def _run_time(page: str) -> str:
    return " ".join(re.search(r'<span id="run-time">(.*?)</span>', page, re.S).group(1).split())


def _own_study_copy(lab):
    """(folder, results, summed training seconds) of a copy of the default reference as the user's run."""
    own = lab.results / "study"
    own.mkdir()
    for name in ("results.json", "report.md"):
        shutil.copy(REFERENCE / "study-cpu-default" / name, own / name)
    data = json.loads((own / "results.json").read_text())
    return own, data, sum(r.get("seconds") or 0.0 for r in data["runs"].values())


def test_study_header_explains_a_wall_time_below_the_summed_training_time(lab):
    own, data, train_s = _own_study_copy(lab)
    data.update(wall_time_s=60.0, wall_time_total_s=train_s * 0.7, sessions=2)  # resumed, models in parallel
    (own / "results.json").write_text(json.dumps(data))
    said = _run_time(lab.get("/study?run=yours").text)
    assert "over 2 sessions (the run was resumed)" in said and "trained in parallel" in said, said
    data.update(wall_time_s=train_s * 1.5, sessions=1)
    data.pop("wall_time_total_s")
    (own / "results.json").write_text(json.dumps(data))
    said = _run_time(lab.get("/study?run=yours").text)
    assert "of it training" in said and "parallel" not in said and "resumed" not in said, said


def test_the_quick_run_is_labelled_by_where_it_was_started():
    from posenc.study.runs import STUDY_FOLDERS, describe

    label = STUDY_FOLDERS["quick"].label
    assert "this page" not in label and "models page" in label
    assert describe("rope-1e4-passkey") == ("RoPE (base 1e4), trained on passkey trials", "retrieval")


def test_experiment_times_are_consistent():
    """A quick run never takes longer than the full one, and where --quick changes nothing (exp 1) both
    show one figure (the table was re-measured; see job_pages.EXPERIMENT_SECONDS)."""
    for name, (quick, full) in job_pages.EXPERIMENT_SECONDS.items():
        assert quick <= full, name
    assert job_pages.EXPERIMENT_SECONDS["1"][0] == job_pages.EXPERIMENT_SECONDS["1"][1]
    assert job_pages.EXPERIMENT_SECONDS["rope-base"][0] >= 30  # 26 s was too low even on an idle machine


def test_an_edited_number_in_a_checksummed_study_results_json_is_refused_naming_the_row(lab):
    """Issue 37: results rows carry a checksum with their basis; a number edited afterwards is refused
    with one line naming the file and the row, never shown as if measured."""
    from posenc.results.schema import sealed

    own = lab.results / "study"
    own.mkdir()
    for name in ("results.json", "report.md"):
        shutil.copy(REFERENCE / "study-cpu-default" / name, own / name)
    data = json.loads((own / "results.json").read_text())
    for entry in data["encodings"].values():  # as posenc study writes them now
        entry["rows"] = [sealed({**row, "basis": {"rows_sha256": [None]}}) for row in entry["rows"]]
    (own / "results.json").write_text(json.dumps(data))
    mine = lab.get("/study?run=yours").text
    assert "fails its checksum" not in mine and "table-ppl" in mine  # sealed and intact: shown
    data["encodings"]["alibi"]["rows"][0]["ppl"]["mean"] = 1.2345
    (own / "results.json").write_text(json.dumps(data))
    mine = lab.get("/study?run=yours").text
    assert "1.23" not in mine and "fails its checksum" in mine
    assert "encodings[&#39;alibi&#39;].rows[0]" in mine and "results.json" in mine
    r = lab.get("/api/study?run=yours")
    assert r.status_code == 404 and "fails its checksum" in r.text
    data["encodings"]["alibi"]["rows"][0]["ppl"]["mean"] = float("nan")  # json.dumps writes NaN
    (own / "results.json").write_text(json.dumps(data))
    mine = lab.get("/study?run=yours").text
    assert "not valid JSON (NaN is not a JSON number" in mine


def test_study_header_says_when_earlier_sessions_went_untimed(lab):
    """A study resumed before posenc kept its wall-time ledger says "1 session" and times the last one
    only (the full reference: 21 of its 63 models trained in that session): the header says so rather
    than blaming parallel training."""
    own, data, train_s = _own_study_copy(lab)
    data.update(wall_time_s=train_s * 0.3, wall_time_total_s=train_s * 0.3, sessions=1)
    data["trained_this_session"] = list(data["runs"])[:5]
    (own / "results.json").write_text(json.dumps(data))
    said = _run_time(lab.get("/study?run=yours").text)
    n = len(data["runs"])
    assert f"{n - 5} of the {n} models trained in earlier sessions it does not count" in said, said
    assert "parallel" not in said, said
