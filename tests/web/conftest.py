"""Fixtures for the web lab's tests.

``client``: the app in process through Starlette's test client (addressed as 127.0.0.1, as a browser
on this computer would). ``lab_server``: the real ``posenc lab`` command in a subprocess on a free
port (stopped by its own PID). Every lab here keeps the learner's progress in a temporary
``XDG_DATA_HOME`` (never in the user's own ``~/.local/share/posenc``); ``page`` starts each test with
no progress. ``browser``/``page``: Debian's Chromium driven by Playwright, every
request that leaves 127.0.0.1 recorded (a page must load nothing from the network) and every console
error collected; a test fails if either list is not empty at its end.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.encodings.test_rope_registry import toy_rope_type  # noqa: F401 (a fixture: the registry's toy type)

CHROMIUM = os.environ.get("POSENC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(os.environ.get("POSENC_SCREENSHOTS", "/tmp/posenc-screenshots"))


@pytest.fixture
def client(tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from posenc.web import create_app

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    with TestClient(create_app(tmp_path / "results", warm_up=False), base_url="http://127.0.0.1") as c:
        yield c


def start_lab(results: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``posenc lab --port 0`` in a subprocess; returns it and the address it printed. Its progress file is
    under ``extra_env["XDG_DATA_HOME"]``, or under a folder beside ``results``."""
    data_home = str(results.parent / "xdg-data")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": data_home, **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "posenc", "lab", "--port", "0", "--results", str(results)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"posenc lab: (http://127\.0\.0\.1:\d+/)", line)
        if found:
            LAB_DATA_HOMES[found.group(1).rstrip("/")] = env["XDG_DATA_HOME"]
            return proc, found.group(1)
    stop(proc)
    raise RuntimeError("posenc lab did not print its address:\n" + "".join(lines))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    proc, url = start_lab(tmp_path_factory.mktemp("lab") / "results")
    yield url.rstrip("/")
    stop(proc)


def lab_progress_file(lab_server: str) -> Path:
    """The progress file of the session's ``lab_server`` (start_lab's default XDG_DATA_HOME)."""
    return Path(LAB_DATA_HOMES[lab_server]) / "posenc" / "progress.json"


#: lab address -> its XDG_DATA_HOME (for the labs start_lab started)
LAB_DATA_HOMES: dict[str, str] = {}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"browser tests need Chromium at {CHROMIUM} (`apt-get install chromium`; .ci/run does it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageWatch:
    """Console errors and requests to anywhere but the lab, seen by one page (``page.watch``), and the
    requests still in flight, for :func:`quiet`."""

    def __init__(self, page, base: str):
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.pending: set = set()
        self.last = time.monotonic()  # when a request last started or ended
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._request)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        self.base = base
        page.watch = self

    def _request(self, request) -> None:
        url = request.url
        if url.startswith("data:") or url.startswith("blob:"):
            return
        if not url.startswith(self.base):
            self.outside.append(url)
        self.pending.add(request)
        self.last = time.monotonic()

    def _ended(self, request) -> None:
        self.pending.discard(request)
        self.last = time.monotonic()


def quiet(page, for_ms: int = 500, timeout_ms: int = 60_000) -> None:
    """Wait until the page is loaded and no request of it has been in flight for ``for_ms``: what
    Playwright's "networkidle" means, counted from the page's own request events. Playwright's own
    sometimes never comes after every request has ended (microsoft/playwright#19835; here, 3 loads of
    /angles in 30, none of them with a request open even at the DevTools protocol's level)."""
    page.wait_for_load_state("load")
    watch, deadline = page.watch, time.monotonic() + timeout_ms / 1000
    while watch.pending or time.monotonic() - watch.last < for_ms / 1000:
        if time.monotonic() > deadline:
            still = sorted(r.url.removeprefix(watch.base) for r in watch.pending)
            raise AssertionError(f"no quiet in {timeout_ms / 1000:.0f} s: {still} still in flight")
        page.wait_for_timeout(50)  # lets Playwright deliver the page's events


@pytest.fixture
def page(browser, lab_server):
    lab_progress_file(lab_server).unlink(missing_ok=True)  # every test starts with no progress
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    watch = PageWatch(pg, lab_server)
    pg.lab = lab_server
    yield pg
    context.close()
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def run_coroutine(coroutine):
    """Run a coroutine on its own loop in a thread: Playwright's sync API holds this thread's loop once a
    browser test has run in the same pytest process, and asyncio.run() then refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


#: for each Plotly chart (by id): its box's width, its box's parent's inner width, its drawing's width as
#: shown and as drawn (the svg's width attribute), and every text of it (titles, legend, notes, ticks)
#: that pokes out of the drawing
_PLOTLY_SIZES = """(ids) => ids.map((id) => {
  const box = document.getElementById(id), svg = box.querySelector('.main-svg');
  const parent = box.parentElement, style = getComputedStyle(parent);
  const inner = parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const width = box.getBoundingClientRect().width;
  if (!svg) return { id, box: width, inner, shown: 0, drawn: 0, out: ['no drawing'] };
  const r = svg.getBoundingClientRect();
  const texts = box.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text, .legendtext, .annotation-text,'
    + ' .cbtitle text, .xtick text, .ytick text, .cbaxis text');
  const out = [...texts].filter((t) => {
    const b = t.getBoundingClientRect();
    const outside = b.left < r.left - 1 || b.right > r.right + 1
      || b.top < r.top - 1 || b.bottom > r.bottom + 1;
    return b.width > 0 && outside;
  }).map((t) => t.textContent);
  return { id, box: width, inner, shown: r.width, drawn: svg.width.baseVal.value, out };
})"""


def plotly_misfits(page, ids: list[str]) -> list[str]:
    """What is wrong with the Plotly charts ``ids`` as the page shows them now: a chart not as wide as its
    box, a box wider than its parent, a drawing scaled (its text would shrink with it), a text cut at the
    drawing's edge, or a page wider than the window. Waits up to 5 s for the charts' redraw and the page's
    reflow first (a page caught mid-redraw after a resize was once measured 1 px wider than the window on a
    loaded machine); what is still wrong after that is reported."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "(ids) => ids.every((id) => { const b = document.getElementById(id);"
            " const s = b.querySelector('.main-svg'), w = (e) => e.getBoundingClientRect().width;"
            " return s && Math.abs(w(s) - w(b)) <= 1; })"
            " && document.documentElement.scrollWidth <= window.innerWidth",
            arg=ids,
            timeout=5000,
        )
    except PlaywrightTimeout:
        pass  # the measurements below say what is wrong
    problems = []
    for c in page.evaluate(_PLOTLY_SIZES, ids):
        name = c["id"]
        if abs(c["shown"] - c["box"]) > 1:
            problems.append(f"{name}: drawn {c['shown']:.0f} px wide in a {c['box']:.0f} px box")
        if c["box"] > c["inner"] + 1:
            problems.append(f"{name}: its box is {c['box']:.0f} px in a {c['inner']:.0f} px column")
        if abs(c["drawn"] - c["shown"]) > 1:
            problems.append(f"{name}: drawn for {c['drawn']:.0f} px, scaled to {c['shown']:.0f} px")
        problems += [f"{name}: {text!r} is cut at the chart's edge" for text in c["out"]]
    wide, window, past = page.evaluate(_PAST_THE_WINDOW)
    if wide > window:
        problems.append(f"the page is {wide} px wide in a {window} px window: " + ("; ".join(past) or "?"))
    return problems


# the page's width and window's, and the elements that reach past the window's right edge without a
# scrolling box around them (a table in its own scroller is fine): only the innermost, the first four
_PAST_THE_WINDOW = """() => {
  const W = window.innerWidth, past = [];
  const scrolls = (e) => { const o = getComputedStyle(e).overflowX; return o !== 'visible' && o !== 'clip'; };
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 0.5) continue;
    let a = e.parentElement, inside = false;
    for (; a && a !== document.body; a = a.parentElement) if (scrolls(a)) { inside = true; break; }
    if (inside || [...e.children].some((c) => c.getBoundingClientRect().right > W + 0.5)) continue;
    const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : '');
    const text = (e.textContent || '').trim().slice(0, 40);
    past.push(`${name} (${r.left.toFixed(1)}-${r.right.toFixed(1)} px) ${text}`);
  }
  return [document.documentElement.scrollWidth, W, past.slice(0, 4)];
}"""
