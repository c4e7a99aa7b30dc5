"""Each script in benchmarks/ runs end to end on tiny sizes and prints the figures it promises.

Timings are not checked (they are the scripts' output, not a property of the code); what is checked
is that every script still runs against the current library and prints well-formed numbers, so a
refactor cannot silently break the measurements the performance issue relies on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run_script(name: str, *args: str) -> str:
    """stdout of ``python benchmarks/<name> <args>``; the test fails with stderr if it exits non-zero."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def number_after(label: str, text: str) -> float:
    """The first number on the line that starts with ``label``."""
    match = re.search(rf"^{re.escape(label)}\s+([0-9.]+)", text, re.MULTILINE)
    assert match, f"no line {label!r} in:\n{text}"
    return float(match.group(1))


def test_rope_apply_prints_a_ratio_for_every_method_that_applies():
    out = run_script(
        "rope_apply.py", "--shape", "1", "2", "16", "32", "--dtypes", "fp32", "--layouts", "half",
        "--partials", "1.0", "--repeats", "1",
    )  # fmt: skip
    row = next(line for line in out.splitlines() if line.startswith("fp32  half"))
    ratios = [float(r) for r in re.findall(r"([0-9.]+)×", row)]
    assert len(ratios) == 4 and all(r > 0 for r in ratios), row  # auto, eager, HF eager, HF compile
    assert "—" in row  # rotary-embedding-torch has no half layout


def test_train_throughput_prints_the_fraction_and_a_breakdown_that_adds_up():
    out = run_script(
        "train_throughput.py", "--preset", "tiny", "--steps", "3", "--batch-size", "2",
        "--mm-size", "64", "--mm-reps", "2", "--profile-steps", "1",
    )  # fmt: skip
    assert number_after("tokens/s", out) > 0
    assert 0 < number_after("fraction of peak", out)
    shares = [float(s) for s in re.findall(r"^  \S+(?: \S+)?\s+([0-9.]+)% of the step", out, re.MULTILINE)]
    assert len(shares) == 3 and sum(shares) == pytest.approx(100, abs=0.2), out
    assert re.search(r"^ceilings: .* \d+% of peak; matmuls \+ attention \d+%", out, re.MULTILINE), out


def test_long_context_memory_prints_a_ratio_per_encoding():
    out = run_script(
        "long_context_memory.py", "--preset", "tiny", "--pes", "rope", "alibi", "--multiples", "1", "2"
    )
    for pe in ("rope", "alibi"):
        row = re.search(rf"^{pe}\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$", out, re.MULTILINE)
        assert row, out  # peak MB at both lengths, their ratio, the whole-bias size
        short, long, ratio, _ = map(float, row.groups())
        # the ratio is of the peaks, printed rounded to 0.1 MB
        assert (long - 0.05) / (short + 0.05) - 0.005 <= ratio <= (long + 0.05) / (short - 0.05) + 0.005


def test_generation_prints_both_timings_and_the_speed_up():
    out = run_script("generation.py", "--preset", "tiny", "--context", "32", "--tokens", "2")
    cached = number_after("  KV cache (1-token forward)", out)
    recompute = number_after("  recompute (full-sequence fwd)", out)
    assert cached > 0 and recompute > 0
    assert number_after("  speed-up", out) == pytest.approx(recompute / cached, abs=0.06)


def test_lab_latency_starts_the_lab_times_each_route_and_stops_it():
    out = run_script("lab_latency.py", "--concurrency", "3", "--bursts", "1", "--routes", "/", "/nosuch")
    assert 0 < number_after("posenc lab answered GET /", out) < 60
    row = re.search(r"^/\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)$", out, re.MULTILINE)
    assert row, out
    p50, p99, worst, errors = row.groups()
    assert 0 < float(p50) <= float(p99) <= float(worst) and errors == "0"
    assert re.search(r"^/nosuch\s+not served by this lab$", out, re.MULTILINE), out
    assert number_after("worst p99", out) == float(p99)
    pid = int(re.search(r"^stopped posenc lab \(PID (\d+), exit", out, re.MULTILINE).group(1))
    with pytest.raises(ProcessLookupError):  # stopped by its PID, and waited for (no zombie left)
        os.kill(pid, 0)


def test_model_views_times_each_view_and_the_page_latency_beside_it():
    out = run_script(
        "model_views.py", "--preset", "quick", "--bytes", "64", "--repeats", "1", "--probes", "3"
    )
    for view in ("attention", "profiles", "loss"):
        row = re.search(rf"^{view}\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$", out, re.MULTILINE)
        assert row, out  # first call, median, max of the later calls (s)
        first, median, worst = map(float, row.groups())
        assert first > 0 and 0 < median <= worst
    idle = re.search(r"^idle\s+([0-9.]+)\s+([0-9.]+)$", out, re.MULTILINE)
    busy = re.search(r"^while views compute\s+([0-9.]+)\s+([0-9.]+)$", out, re.MULTILINE)
    ratio = re.search(r"^ratio busy / idle\s+([0-9.]+)\s+([0-9.]+)$", out, re.MULTILINE)
    assert idle and busy and ratio, out
    for k in (0, 1):  # the ratio is of the printed latencies (rounded to 0.1 ms)
        i, b = float(idle.groups()[k]), float(busy.groups()[k])
        assert (b - 0.05) / (i + 0.05) - 0.005 <= float(ratio.groups()[k]) <= (b + 0.05) / (i - 0.05) + 0.005
    assert (
        int(re.search(r"^views computed meanwhile: (\d+) \(refused: 0\)$", out, re.MULTILINE).group(1)) >= 1
    )
    pid = int(re.search(r"^stopped posenc lab \(PID (\d+), exit", out, re.MULTILINE).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_lab_flood_floods_the_lab_checks_the_bar_and_stops_it():
    # times are the script's output, not checked here (it exits 1 on a FAIL line: a shared machine may)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "lab_flood.py"), "--requests", "10"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert re.search(r"^(PASS|FAIL)  pages during the burst: \d+ answered", out, re.MULTILINE), out
    assert re.search(r"^(PASS|FAIL)  heavy requests: 10 in [0-9.]+ s, statuses \{", out, re.MULTILINE), out
    assert re.search(r"^(PASS|FAIL)  memory: \d+ MiB before, \d+ MiB after", out, re.MULTILINE), out
    pid = int(re.search(r"^stopped posenc lab \(PID (\d+), exit", out, re.MULTILINE).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_lab_flood_of_model_views_trains_models_floods_them_and_stops_the_lab():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "lab_flood.py"), "--requests", "6", "--target", "models"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = done.stdout
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert re.search(r"^trained the quick preset's models in \d+ s$", out, re.MULTILINE), out
    assert "flooded with model views (/api/models/*)" in out
    line = r"^(PASS|FAIL)  heavy requests: 6 in [0-9.]+ s, statuses \{([^}]*)\}"
    found = re.search(line, out, re.MULTILINE)
    assert found, out
    statuses = dict(item.split(": ") for item in found.group(2).split(", "))
    assert set(statuses) <= {"200", "429"} and "200" in statuses, out  # computed, or refused at once
    pid = int(re.search(r"^stopped posenc lab \(PID (\d+), exit", out, re.MULTILINE).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
