"""Note pages with their widgets: page weight and time until every widget shows the library's numbers.

    python benchmarks/note_pages.py [--runs 5] [--notes why-position clock other-encodings ...]

1. Starts `posenc lab --port 0` in a subprocess (results in a temporary folder); waits until the library
   is imported (one JSON route answered) and then ``--settle`` seconds more, the time a learner spends on
   the home page before opening a note: the lab's warm-up (torch imported, every note's HTML built) runs
   off the request path meanwhile, so a learner's first note does not find it cold either.
2. For each note, in Chromium (Debian's /usr/bin/chromium, through Playwright): a first visit (empty
   browser cache: every script and style fetched), then ``--runs`` reloads with a new widget query each
   time (so the widgets ask the server again instead of reading an answer it kept). Reports the median
   time from navigation to "every widget drew an answer" (each widget's root gets data-ready), and the
   bytes the first visit moved (transferSize of the document and every resource, compressed where the
   server compressed it).
3. Plotly: the bundle's size as served (gzip) and raw; the note pages draw with SVG and load no plotly.

Target (issue 33): a note page with its widgets interactive within 1 s on this machine. The numbers
measured on the 2-core machine are in benchmarks/README.md. The load average is printed before and after:
other programs on the machine (training runs) slow every figure.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, start_lab, stop  # noqa: E402

ALL_READY = "() => [...document.querySelectorAll('[data-widget]')].every((w) => w.dataset.ready)"
WEIGHT = """() => {
  const entries = [performance.getEntriesByType('navigation')[0],
                   ...performance.getEntriesByType('resource')];
  return entries.reduce((sum, e) => sum + (e.transferSize || 0), 0);
}"""
NOTES = [
    "why-position",
    "rope-rotation",
    "frequencies",
    "clock",
    "relative-proof",
    "rope-scaling",
    "other-encodings",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notes", nargs="+", default=NOTES)
    parser.add_argument("--settle", type=float, default=8.0, help="seconds between start-up and first note")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    proc, url = start_lab(Path(tempfile.mkdtemp()) / "results")
    base = url.rstrip("/")
    try:
        urllib.request.urlopen(f"{base}/api/rotation?m=1&n=2", timeout=60).read()  # the library is loaded
        time.sleep(args.settle)
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        with urllib.request.urlopen(
            urllib.request.Request(f"{base}/static/vendor/plotly.min.js", headers={"accept-encoding": "gzip"})
        ) as r:
            packed = r.read()
        raw = len(gzip.decompress(packed))
        print(f"plotly.min.js: {raw / 1e6:.2f} MB raw, {len(packed) / 1e6:.2f} MB served (gzip)")
        print(
            f"{'note':<18} {'widgets':>7} {'first visit':>12} {'moved':>9} {'median reload':>14} {'max':>7}"
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for note in args.notes:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{base}/notes/{note}")
                page.wait_for_function(ALL_READY, polling=10, timeout=60000)
                first = time.perf_counter() - start
                moved = page.evaluate(WEIGHT)
                widgets = page.locator("[data-widget]").count()
                times = []
                for run in range(args.runs):
                    start = time.perf_counter()
                    page.goto(
                        f"{base}/notes/{note}?bench={run}&clock.position={run + 1}&bias.length={8 + run}"
                    )
                    page.wait_for_function(ALL_READY, polling=10, timeout=60000)
                    times.append(time.perf_counter() - start)
                print(
                    f"{note:<18} {widgets:>7} {first * 1000:>9.0f} ms {moved / 1e3:>6.0f} kB "
                    f"{statistics.median(times) * 1000:>11.0f} ms {max(times) * 1000:>4.0f} ms"
                )
                context.close()
            browser.close()
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print("Next: compare with benchmarks/README.md (Note pages); a first visit over 1 s: trim that note.")
    finally:
        stop(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
