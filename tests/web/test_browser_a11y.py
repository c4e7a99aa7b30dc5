"""Accessibility and phone layout in Chromium: axe-core on every page, the skip link, the focus ring,
the collapsing navigation at 390x844, results kept in view beside their controls."""

from __future__ import annotations

import re

import pytest

from posenc.web.app import PAGES
from tests.web.conftest import quiet

PHONE = {"width": 390, "height": 844}


def every_page(page) -> list[str]:
    """Each address of app.PAGES, with a note, an exercise and an experiment page for the {name} ones."""
    addresses = [p.path for p in PAGES if "{" not in p.path]
    for index in ("/notes", "/exercises", "/experiments"):
        page.goto(page.lab + index)
        href = page.eval_on_selector(f"main a[href^='{index}/']", "a => a.getAttribute('href')")
        addresses.append(href)
    return addresses


def test_axe_finds_no_serious_or_critical_violation_on_any_page(page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = {}
    for address in every_page(page):
        page.goto(page.lab + address)
        quiet(page)
        results = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            found[address] = bad
    assert found == {}, found


def test_skip_link_is_the_first_focusable_element_and_lands_on_main(page):
    page.goto(page.lab + "/playground")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.textContent, document.activeElement.getAttribute('href')]"
    )
    assert focused[1] == "#main" and "skip" in focused[0].lower()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_focus_ring_contrasts_at_least_3_to_1_with_white(page):
    page.goto(page.lab + "/playground")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert style[0] != "none" and float(style[1].rstrip("px")) >= 2
    rgb = tuple(int(x) for x in re.findall(r"\d+", style[2])[:3])
    ratio = (1.0 + 0.05) / (_luminance(rgb) + 0.05)
    assert ratio >= 3, (style, ratio)


@pytest.fixture
def phone(browser, lab_server):
    from tests.web.conftest import PageWatch

    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    watch = PageWatch(pg, lab_server)
    pg.lab = lab_server
    yield pg
    context.close()
    assert watch.outside == [] and watch.errors == [], (watch.outside, watch.errors)


def test_phone_header_is_at_most_64px_and_its_menu_opens_by_keyboard(phone):
    phone.goto(phone.lab + "/playground")
    assert phone.eval_on_selector("header.top", "h => h.getBoundingClientRect().height") <= 64
    nav_links = phone.locator("header nav a")
    assert not nav_links.first.is_visible()
    button = phone.locator("header button.menu")
    assert button.get_attribute("aria-expanded") == "false"
    button.focus()
    phone.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert nav_links.first.is_visible()
    phone.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize("address", ["/playground", "/explorer", "/angles", "/bias"])
def test_phone_result_stays_in_view_while_a_control_is_used(phone, address):
    """Scroll each visible control of the widget to the bottom of the screen (as a learner about to move
    it): the control is not covered and its widget's result ([data-result]) is on the screen with it."""
    phone.goto(phone.lab + address)
    quiet(phone)
    report = phone.evaluate(
        """() => {
          const header = document.querySelector('header.top').getBoundingClientRect().bottom;
          const vh = window.innerHeight;
          const out = [];
          const sel = ['input[type=range]', 'input[type=number]', 'select'].map(s => 'main .controls ' + s);
          const controls = [...document.querySelectorAll(sel.join(', '))]
            .filter(c => c.getBoundingClientRect().height > 0);
          for (const c of controls) {
            c.scrollIntoView({block: 'end'});
            const widget = c.closest('[data-widget], .tool-grid, .bias-grid');
            const result = widget && widget.querySelector('[data-result]');
            const cb = c.getBoundingClientRect();
            const hit = document.elementFromPoint(cb.left + cb.width / 2, cb.top + cb.height / 2);
            const rb = result ? result.getBoundingClientRect() : null;
            const onControl = hit && (hit === c || c.contains(hit));
            const ok = !!rb && rb.height > 80 && rb.top < vh && rb.bottom > header + 80 && onControl;
            if (!ok) out.push([c.id || c.name, rb && [rb.top, rb.bottom], hit && hit.tagName, cb.top]);
          }
          return {controls: controls.length, failing: out};
        }"""
    )
    assert report["controls"] >= 1 and report["failing"] == [], report


def test_answering_a_quiz_question_by_keyboard_moves_focus_to_the_next_question(page):
    page.goto(page.lab + "/quiz")
    first = page.locator(".mcq").nth(0).locator(".option button").first
    first.focus()
    page.keyboard.press("Enter")
    where = page.evaluate(
        "() => { const a = document.activeElement, q = a.closest('.mcq');"
        " return [a.tagName, q ? [...document.querySelectorAll('.mcq')].indexOf(q) : -1]; }"
    )
    assert where == ["BUTTON", 1]


def _api_requests(page, address: str, edit) -> dict[str, int]:
    page.goto(page.lab + address)
    quiet(page)
    seen: dict[str, int] = {}

    def count(request):
        if "/api/" in request.url and "/api/progress" not in request.url:  # a tool use may tick the step
            path = request.url.split("?")[0].removeprefix(page.lab)
            seen[path] = seen.get(path, 0) + 1

    page.on("request", count)
    edit(page)
    page.wait_for_timeout(600)
    quiet(page)
    return seen


def test_one_edit_sends_each_api_request_once(page):
    def head_dim(pg):  # typed, then left: fires "input" and "change"
        pg.fill("#head_dim", "32")
        pg.press("#head_dim", "Tab")

    assert _api_requests(page, "/explorer", head_dim) == {"/api/frequencies": 1}
    assert _api_requests(page, "/angles", head_dim) == {"/api/angles": 1, "/api/decay": 1}

    def length(pg):  # a field of the angle map outside the RoPE form's query still sends
        pg.fill("#length", "300")
        pg.press("#length", "Tab")

    assert _api_requests(page, "/angles", length) == {"/api/angles": 1, "/api/decay": 1}


def test_phone_chart_text_is_not_cut(phone):
    """At 390x844 the explorer's charts keep every text whole: each text's box lies inside its chart (a
    250 px tall axis once cut "wavelength 2π/θ (tokens, log scale)" to "…log scal")."""
    phone.goto(phone.lab + "/explorer?scaling=1&rope_type=yarn")
    phone.wait_for_selector("#wavelength-plot text.title")
    cut = phone.evaluate(
        """() => [...document.querySelectorAll('svg.chart')].flatMap(chart => {
          const box = chart.getBoundingClientRect();
          return [...chart.querySelectorAll('text')]
            .map(t => [t.textContent, t.getBoundingClientRect()])
            .filter(([, r]) => r.top < box.top - 1 || r.bottom > box.bottom + 1
                               || r.left < box.left - 1 || r.right > box.right + 1)
            .map(([text, r]) => [chart.id, text, Math.round(r.left - box.left),
                                 Math.round(box.right - r.right)]);
        })"""
    )
    assert cut == [], cut
