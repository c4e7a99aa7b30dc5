"""The extrapolation study (``posenc study``): every encoding trained at L, measured from 1× to 16× L.

    from posenc.study import run_study
    results = run_study("quick", "results/study-quick")

``presets`` (what is trained), ``runs`` (run names, study folders, finding trained models), ``run``
(orchestration, caching), ``results`` (results.json: schema, building, checking), ``findings`` (what
the numbers show, in sentences), ``tables`` (the tables, one model for the report and the lab),
``report`` (report.md), ``plots`` (figures), ``cli`` (the command).
"""

__all__ = ["run_study"]


def __getattr__(name: str):
    # run_study imports torch; the study's names, tables and report (posenc.study.runs, .tables,
    # .report) are read by the web lab at start-up, which must not pay for torch
    if name == "run_study":
        from posenc.study.run import run_study

        return run_study
    raise AttributeError(f"module 'posenc.study' has no attribute {name!r}")
