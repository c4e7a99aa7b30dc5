"""Pages: the experiments and the extrapolation study, run as jobs with live progress.

    /experiments                     the five experiments, what each has produced so far
    /experiments/{name}              one experiment: run it (quick or full), then its tables and plots
    /experiments/{name}/files/{f}    a plot the experiment wrote (only those its results.json lists)
    /study?run=KEY                   the study's results: a reference run or the learner's own
    /study/files/{run}/{f}           a plot of that run
    /api/study?run=KEY               the perplexity-vs-length numbers for the page's chart
    POST /api/jobs                   {"kind": "experiment", "name": "2", "quick": true}
                                     or {"kind": "study", "preset": "quick"} -> 202 {"id", "job"}
    GET  /api/jobs/current           the running job (or the last one), or null
    GET  /api/jobs/{id}              one job
    GET  /api/jobs/{id}/events       its progress as server-sent events, then done / error / cancelled
    POST /api/jobs/{id}/cancel       stop it

An experiment's page renders the very renderables ``posenc exp NAME`` prints (``summary(results)``,
through :mod:`posenc.web.richhtml`) from RESULTS/expN/results.json, the same folder the terminal
command writes (``posenc.experiments.DEFAULT_OUT`` under the lab's results folder): a result the
terminal produced shows here without running again, and the reverse.

The study page reads a results folder: the committed reference runs (``reference/`` next to the
package's source tree), RESULTS/study (``posenc study``'s default folder) and RESULTS/study-quick,
where the lab's own button runs the quick preset (its own folder, so it never mixes its 30-step models
into a terminal run of another preset in RESULTS/study; a run resumes what it finds there).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.routing import BaseRoute, Route

from posenc.experiments import EXPERIMENTS, TITLES
from posenc.results.schema import JSON, SchemaError, load_json
from posenc.study import runs as study
from posenc.study.presets import QUICK_SECONDS
from posenc.study.results import check_row_checksums, untimed_models, wall_seconds
from posenc.study.results import validate_results as check_study_results
from posenc.study.tables import study_tables
from posenc.web.core import Lab, cached_page, png_size, seconds_text
from posenc.web.jobs import Busy, JobSpec, NotRunning, result_file
from posenc.web.markup import markdown_html
from posenc.web.params import BadInput, parse_json_body
from posenc.web.session import local_post
from posenc.web.worker import LAB_PRESETS

#: wall time of ``posenc exp NAME [--quick]`` in seconds, torch start-up included: (quick, full), measured
#: with ``time posenc exp N [--quick] --out /tmp/x``, one after another, on this project's 2-core CPU
#: machine while other programs shared it (load about 2-4). The issue that asked for these saw 3-4x longer
#: on a busier machine (exp 3 --quick 38 s, rope-base --quick 130 s), so the pages say "about" and why.
EXPERIMENT_SECONDS: dict[str, tuple[float, float]] = {
    "1": (5, 5),  # --quick changes nothing here: one figure for both
    "2": (4, 6),
    "3": (12, 27),
    "4": (4, 6),
    "rope-base": (36, 935),  # full: four models of 1000 steps each, timed 2026-12-07 on the 2 cores alone
}
MEASURED_ON = "2 CPU cores shared with other work (up to 4x longer while other programs keep them busy)"


# ----------------------------------------------------------------------------- reading results
def experiment_dir(lab: Lab, name: str) -> Path:
    """RESULTS/exp2, RESULTS/rope-base: the CLI's default folder, under the lab's results folder."""
    return lab.experiment_dir(name)


@functools.lru_cache(maxsize=32)
def _read_json(path: str, mtime_ns: int, size: int) -> Any:
    # strict and bounded: finite numbers, nesting and size bounded, one line naming file and field
    return load_json(Path(path), JSON(), what="results file")


def read_results(folder: Path) -> dict | None:
    """FOLDER/results.json (cached until the file changes); None when there is none; ``ValueError``
    with a clear message when it cannot be read."""
    path = folder / "results.json"
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    try:
        data = _read_json(str(path), stat.st_mtime_ns, stat.st_size)
    except OSError as err:
        raise ValueError(f"{path} could not be read ({err}); run it again to replace it") from None
    except SchemaError as err:
        what = f"{err.field} {err.problem}" if err.field else err.problem.removeprefix("is ")
        raise ValueError(f"{path} could not be read ({what}); run it again to replace it") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object; run it again to replace it")
    return data


def _written(folder: Path) -> str:
    stamp = (folder / "results.json").stat().st_mtime
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def _plots(names: list[str], folder: Path | None = None) -> list[dict[str, Any]]:
    """results.json's plot files grouped by figure: the PNG to show (or the SVG), the SVG to open, and the
    PNG's pixel size when ``folder`` holds it (the page reserves the picture's box before it loads)."""
    figures: dict[str, dict[str, Any]] = {}
    for name in names:
        if not isinstance(name, str):
            continue
        stem, _, suffix = name.rpartition(".")
        if suffix in ("png", "svg"):
            figures.setdefault(stem, {"stem": stem})[suffix] = name
    for figure in figures.values():
        size = png_size(folder / figure["png"]) if folder is not None and "png" in figure else None
        if size is not None:
            figure["width"], figure["height"] = size
    return [f for f in figures.values() if "png" in f or "svg" in f]


@functools.cache
def experiment_doc(name: str) -> str:
    """The experiment module's docstring, read from its source (importing it would load torch)."""
    spec = importlib.util.find_spec(EXPERIMENTS[name])
    source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    return ast.get_docstring(ast.parse(source)) or ""


def _file_key(path: str | Path) -> tuple[int, int] | None:
    """(mtime, size) of ``path``, None when it is missing: the cache key of what is built from it."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def experiment_result(lab: Lab, name: str) -> dict[str, Any] | None:
    """What the experiment's page shows of RESULTS/NAME/results.json: the summary as blocks, plots
    (built once per version of the file: pages stay fast when many ask at once)."""
    folder = experiment_dir(lab, name)
    return _experiment_result(name, folder, _file_key(folder / "results.json"))


@functools.lru_cache(maxsize=16)
def _experiment_result(name: str, folder: Path, key: tuple[int, int] | None) -> dict[str, Any] | None:
    try:
        results = read_results(folder)
    except ValueError as err:
        return {"error": str(err)}
    if results is None:
        return None
    from posenc.experiments import load
    from posenc.web.richhtml import blocks

    try:
        summary = blocks(load(name).summary(results))
    except Exception as err:  # an older or hand-edited results.json: say so, do not fail the page
        return {
            "error": f"{folder}/results.json does not match this version of the experiment "
            f"({type(err).__name__}: {err}); run it again to replace it"
        }
    return {
        "quick": bool(results.get("quick")),
        "written": _written(folder),
        "folder": str(folder),
        "blocks": summary,
        "plots": _plots(results.get("plots") or [], folder),
    }


def files_state(paths: list[str]) -> Callable[[], tuple]:
    """A cheap state of these files for a kept page: their ``_file_key`` each. Paths are strings fixed
    once: a ``stat`` each, no Path arithmetic per request."""
    return lambda: tuple(_file_key(path) for path in paths)


def experiments_files(lab: Lab) -> list[str]:
    """What the experiment pages are built from: every experiment's results.json."""
    return [str(experiment_dir(lab, name) / "results.json") for name in EXPERIMENTS]


def experiment_state(lab: Lab, name: str) -> dict[str, Any]:
    """For the index: whether a result exists, quick or full, and when it was written (no torch)."""
    folder = experiment_dir(lab, name)
    try:
        results = read_results(folder)
    except ValueError:
        return {"state": "unreadable"}
    if results is None:
        return {"state": "none"}
    return {"state": "quick" if results.get("quick") else "full", "written": _written(folder)}


# ----------------------------------------------------------------------------- the study
def _pick_run(lab: Lab, request: Request) -> tuple[dict[str, study.StudyRun], study.StudyRun | None]:
    runs = study.study_runs(lab.results_dir)
    key = request.query_params.get("run")
    if key is None:
        return runs, next(iter(runs.values()), None)
    if key not in study.STUDY_FOLDERS:
        raise BadInput(f"unknown study run {key!r}; choose one of {', '.join(study.STUDY_FOLDERS)}")
    if key not in runs:
        raise HTTPException(404, f"the study run {key!r} has no results.json yet")
    return runs, runs[key]


def study_chart(results: dict) -> dict[str, Any]:
    """The perplexity-vs-length series per encoding (means and stds, as results.json holds them)."""
    series: dict[str, list[dict]] = {"ppl": [], "last_ppl": []}
    for name, entry in results["encodings"].items():
        for key in series:
            ok = [
                r
                for r in entry["rows"]
                if r.get("status") == "ok" and r.get(key) and r[key].get("mean") is not None
            ]
            series[key].append(
                {
                    "name": name,
                    "label": entry["label"],
                    "x": [r["multiple"] for r in ok],
                    "length": [r["length"] for r in ok],
                    "y": [r[key]["mean"] for r in ok],
                    "err": [r[key].get("std") or 0.0 for r in ok],
                }
            )
    return {
        "train_length": results["train_length"],
        "multiples": results["multiples"],
        "seeds": results["seeds"],
        "preset": results["preset"],
        "series": series,
    }


@functools.lru_cache(maxsize=8)
def _study_chart(folder: Path, key: Any) -> dict[str, Any]:
    return study_chart(read_study_results(folder))


def read_study_results(folder: Path) -> dict:
    """A study's FOLDER/results.json, checked as the study reads it back (its schema, a row per multiple
    and a value per seed, every row's checksum): ``ValueError``, one line naming the file and the field."""
    results = read_results(folder)
    if results is None:
        raise ValueError(f"{folder}/results.json is gone")
    check_study_results(results, folder / "results.json")
    check_row_checksums(results, folder / "results.json")
    return results


def report_sections(text: str) -> tuple[list[str], list[str], bool]:
    """report.md split for the page: (sections before its first table, sections after), each a
    Markdown chunk with its heading, and whether it is a smoke test. The sections that hold only a
    table (shown from results.json by :func:`study_tables`) and the plot links (shown as figures)
    are left out; so is the title (the page has its own)."""
    chunks, current = [], []
    for line in text.splitlines():
        if line.startswith("## ") and current:
            chunks.append(current)
            current = []
        current.append(line)
    if current:
        chunks.append(current)
    before, after, smoke, seen_table = [], [], False, False
    for chunk in chunks:
        heading = chunk[0] if chunk[0].startswith("## ") else ""
        body = [line for line in chunk[1:] if line.strip()] if heading else chunk
        if not heading:  # the title and the smoke-test banner
            smoke = any("Smoke test" in line for line in body)
            continue
        if heading == "## Plots":
            continue
        if body and all(line.lstrip().startswith("|") for line in body):
            seen_table = True
            continue
        (after if seen_table else before).append("\n".join(chunk))
    return before, after, smoke


def study_context(run: study.StudyRun) -> dict[str, Any]:
    """What the study page shows of a run (built once per version of its results.json and report.md)."""
    folder = run.folder
    return _study_context(folder, _file_key(folder / "results.json"), _file_key(folder / "report.md"))


@functools.lru_cache(maxsize=8)
def _study_context(folder: Path, results_key: Any, report_key: Any) -> dict[str, Any]:
    run = study.StudyRun("", "", folder)
    results = read_study_results(run.folder)
    try:
        tables = study_tables(results)
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"{run.folder}/results.json lacks the study's numbers ({err!r})") from None
    report_path = run.folder / "report.md"
    report = report_path.read_text(encoding="utf-8") if report_path.is_file() else ""
    before, after, smoke = report_sections(report)
    # the `| markdown` filter's own function, applied here once rather than on every request
    before, after = [markdown_html(x) for x in before], [markdown_html(x) for x in after]
    try:  # no wall time at all: none shown; one that is not a finite number: refused, naming the field
        seconds = wall_seconds(results)[1] if "wall_time_s" in results else None
    except ValueError as err:
        raise ValueError(f"{run.folder}/{err}; run the study again to replace it") from None
    train_minutes = sum((r.get("seconds") or 0.0) for r in results.get("runs", {}).values()) / 60
    return {
        "results": results,
        "tables": tables,
        "report_before": before,
        "report_after": after,
        "smoke": smoke or not results.get("claims", True),
        "plots": _plots(results.get("plots") or [], run.folder),
        "wall_minutes": None if seconds is None else seconds / 60,
        "train_minutes": train_minutes,
        "untimed_models": untimed_models(results),
        "models": len(results.get("runs", {})),
    }


# ----------------------------------------------------------------------------- jobs
def job_spec(lab: Lab, body: Any) -> JobSpec:
    """The job a POST /api/jobs body asks for; ``BadInput`` naming what is wrong."""
    if not isinstance(body, dict):
        raise BadInput(
            'the body must be a JSON object, e.g. {"kind": "experiment", "name": "2", "quick": true}'
        )
    kind = body.get("kind")
    if kind == "experiment":
        allowed = {"kind", "name", "quick"}
    elif kind == "study":
        allowed = {"kind", "preset"}
    else:
        raise BadInput(f"unknown job kind {kind!r}; choose experiment or study")
    extra = sorted(set(body) - allowed)
    if extra:
        raise BadInput(
            f"unknown field(s) for a {kind} job: {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}"
        )
    if kind == "experiment":
        name, quick = body.get("name"), body.get("quick", False)
        if not isinstance(name, str) or name not in EXPERIMENTS:
            raise BadInput(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
        if not isinstance(quick, bool):
            raise BadInput(f"quick must be true or false, not {quick!r}")
        out = experiment_dir(lab, name).resolve()
        return JobSpec(
            kind="experiment",
            label=f"experiment {name} ({'quick' if quick else 'full'})",
            args=["experiment", name, "--out", str(out)] + (["--quick"] if quick else []),
            out_dir=out,
            params={"kind": kind, "name": name, "quick": quick},
            page=f"/experiments/{name}",
        )
    preset = body.get("preset")
    if preset not in LAB_PRESETS:
        raise BadInput(
            f"the lab runs the study's {' or '.join(LAB_PRESETS)} preset only, not {preset!r}; run "
            '`posenc study --preset default` (or full) in a terminal, then pick "Your run" on this page'
        )
    out = study.STUDY_FOLDERS[study.QUICK].path(lab.results_dir).resolve()
    return JobSpec(
        kind="study",
        label=f"study ({preset} preset)",
        args=["study", "--preset", preset, "--out", str(out)],
        out_dir=out,
        params={"kind": kind, "preset": preset},
        page="/study",
    )


#: seconds without an event after which a stream sends a comment (keeps it open, notices a gone page)
HEARTBEAT_SECONDS = 15.0


def _sse(event: dict) -> str:
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"


#: digits a last event id may have: a job has far fewer events than 10^18
MAX_EVENT_ID_DIGITS = 18


def last_event_id(request: Request) -> int:
    """The event a stream resumes after (``Last-Event-ID`` or ``?after=``): ASCII digits only, at most
    MAX_EVENT_ID_DIGITS of them (``²``, ``١`` or 5,000 digits: 400), 0 when neither is sent."""
    after = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    if not (after.isascii() and after.isdigit() and len(after) <= MAX_EVENT_ID_DIGITS):
        raise BadInput(
            f"the last event id must be a whole number of at most {MAX_EVENT_ID_DIGITS} digits, "
            f"not {after[:40]!r}"
        )
    return int(after)


def routes(lab: Lab) -> list[BaseRoute]:
    runner = lab.jobs
    experiments_state = files_state(experiments_files(lab))

    def experiments_index(request: Request):
        from posenc.learn.path import load_path

        why = {s.id: s.why for s in load_path() if s.kind == "experiment"}
        items = [
            {
                "name": name,
                "title": TITLES[name],
                "why": why.get(name, ""),
                "seconds": [seconds_text(s) for s in EXPERIMENT_SECONDS[name]],
                **experiment_state(lab, name),
            }
            for name in EXPERIMENTS
        ]
        return lab.page(
            request,
            "experiments.html",
            key=None,
            title="Experiments",
            items=items,
            results_dir=lab.results_dir,
            measured_on=MEASURED_ON,
        )

    def experiment_page(request: Request):
        name = request.path_params["name"]
        if name not in EXPERIMENTS:
            raise HTTPException(404, f"no experiment {name!r}; the experiments are {', '.join(EXPERIMENTS)}")
        quick_s, full_s = EXPERIMENT_SECONDS[name]
        return lab.page(
            request,
            "experiment.html",
            key=f"experiment:{name}",
            title=f"Experiment {name}: {TITLES[name]}",
            name=name,
            heading=TITLES[name],
            doc=experiment_doc(name),
            result=experiment_result(lab, name),
            folder=experiment_dir(lab, name),
            quick_text=seconds_text(quick_s),
            full_text=seconds_text(full_s),
            measured_on=MEASURED_ON,
            finished=lab.finished_job(request),
        )

    def experiment_file(request: Request):
        name, file = request.path_params["name"], request.path_params["file"]
        if name not in EXPERIMENTS:
            raise HTTPException(404, f"no experiment {name!r}")
        return _serve(experiment_dir(lab, name), file)

    def study_page(request: Request):
        runs, run = _pick_run(lab, request)
        context: dict[str, Any] = {"problem": None}
        if run is not None:
            try:
                context = {**study_context(run), "problem": None}
            except ValueError as err:
                context = {"problem": str(err)}
        return lab.page(
            request,
            "study.html",
            key="study",
            title="The extrapolation study",
            runs=list(runs.values()),
            run=run,
            reference_dir=study.REFERENCE_DIR,
            quick_folder=study.STUDY_FOLDERS[study.QUICK].path(lab.results_dir),
            quick_text=seconds_text(QUICK_SECONDS),
            measured_on=MEASURED_ON,
            finished=lab.finished_job(request),
            **context,
        )

    def study_file(request: Request):
        runs = study.study_runs(lab.results_dir)
        key, file = request.path_params["run"], request.path_params["file"]
        if key not in runs:
            raise HTTPException(404, f"no study run {key!r} with results")
        return _serve(runs[key].folder, file)

    async def study_api(request: Request):  # cheap (the chart is kept per results.json): on the loop
        _, run = _pick_run(lab, request)
        if run is None:
            raise HTTPException(404, "no study results yet")
        try:
            chart = _study_chart(run.folder, _file_key(run.folder / "results.json"))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise HTTPException(404, f"{run.folder}/results.json cannot be read: {err}") from None
        return JSONResponse({"run": run.key, "label": run.label, **chart})

    async def start_job(request: Request):
        local_post(request, lab.token)  # same origin, JSON and this run's token, or nothing
        spec = job_spec(lab, parse_json_body(await request.body()))
        try:
            job = runner.start(spec)
        except Busy as err:
            raise HTTPException(409, str(err)) from None
        return JSONResponse({"id": job.id, "job": job.to_dict()}, status_code=202)

    def current_state() -> object:
        """Kept while no job runs (the answer changes only when one starts); never while one runs,
        whose elapsed seconds move on between its events."""
        job = runner.current()
        if job is None:
            return None
        return object() if job.running else (job.id, job.state, len(job.events))

    async def current_job(request: Request):  # a lock and a dict: no trip through the thread pool
        job = runner.current()
        return JSONResponse({"job": job.to_dict() if job else None})

    def _job(request: Request):
        job_id = request.path_params["id"]
        try:
            return runner.get(job_id)
        except KeyError:
            raise HTTPException(404, f"no job {job_id!r} (the lab keeps its recent jobs only)") from None

    async def get_job(request: Request):
        return JSONResponse(_job(request).to_dict())

    def cancel_job(request: Request):
        local_post(request, lab.token)
        try:
            job = runner.cancel(_job(request).id)
        except NotRunning as err:
            raise HTTPException(409, str(err)) from None
        return JSONResponse(job.to_dict(), status_code=202)

    def job_events(request: Request):
        after = last_event_id(request)
        job = _job(request)

        async def stream():
            yield "retry: 2000\n\n"
            async for event in runner.stream(job, after, heartbeat=HEARTBEAT_SECONDS):
                yield ": still running\n\n" if event is None else _sse(event)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    study_state = files_state(study.study_files(lab.results_dir))
    return [
        Route("/experiments", cached_page(experiments_index, lab.answers, state=experiments_state)),
        Route("/experiments/{name}", cached_page(experiment_page, lab.answers, state=experiments_state)),
        Route("/experiments/{name}/files/{file}", experiment_file),
        Route("/study", cached_page(study_page, lab.answers, state=study_state)),
        Route("/study/files/{run}/{file}", study_file),
        Route("/api/study", study_api),
        Route("/api/jobs", start_job, methods=["POST"]),
        Route("/api/jobs/current", cached_page(current_job, lab.answers, state=current_state)),
        Route("/api/jobs/{id}", get_job),
        Route("/api/jobs/{id}/events", job_events),
        Route("/api/jobs/{id}/cancel", cancel_job, methods=["POST"]),
    ]


def _serve(folder: Path, name: str) -> FileResponse:
    try:
        results = read_results(folder)
    except ValueError:
        results = None
    listed = (results or {}).get("plots") or []
    try:
        path, media = result_file(folder, name, [p for p in listed if isinstance(p, str)])
    except FileNotFoundError as err:
        raise HTTPException(404, f"no such plot: {err}") from None
    return FileResponse(path, media_type=media, headers={"cache-control": "no-cache"})
