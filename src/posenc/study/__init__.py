"""The extrapolation study (``posenc study``): every encoding trained at L, measured from 1× to 16× L.

    from posenc.study import run_study
    results = run_study("quick", "results/study-quick")

``presets`` (what is trained), ``run`` (orchestration, caching), ``report`` (results.json schema,
report.md), ``plots`` (figures), ``cli`` (the command).
"""

from posenc.study.run import run_study

__all__ = ["run_study"]
