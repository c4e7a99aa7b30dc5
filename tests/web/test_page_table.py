"""The lab's table of pages (``app.PAGES``): every row is served by its module and shows in the navigation as
before, packaged pages are kept, and the web package's modules import one way (no cycles, no page module
importing another)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from starlette.routing import Route

from posenc.exercises.catalog import EXERCISES
from posenc.learn.content import load_notes_index
from posenc.web import app as web_app
from posenc.web.app import NAV, PACKAGED_PAGES, PAGES, Page

WEB = Path(web_app.__file__).parent

#: the navigation bar as the lab showed it before the table existed: the table must keep it
NAV_BEFORE = [
    ("Path", "/"),
    ("Notes", "/notes"),
    ("Playground", "/playground"),
    ("Explorer", "/explorer"),
    ("Angles", "/angles"),
    ("Practice", "/practice"),
    ("Quiz", "/quiz"),
    ("Grill", "/grill"),
    ("Experiments", "/experiments"),
    ("Inspector", "/inspector"),
    ("Models", "/models"),
    ("Exercises", "/exercises"),
    ("Study", "/study"),
]
PACKAGED_BEFORE = {
    "/",
    "/notes",
    "/notes/{topic}",
    "/quiz",
    "/grill",
    "/practice",
    "/playground",
    "/explorer",
    "/angles",
    "/inspector",
    "/exercises",
    "/exercises/{name}",  # issue 34: an exercise in the lab's editor
}


def _address(path: str) -> str:
    """A page's address with its path parameter filled in (the first note for /notes/{topic})."""
    return path.replace("{topic}", load_notes_index()[0].id).replace("{name}", next(iter(EXERCISES)))


#: pages added since (issue 33): the bias explorer, after the angle map
ADDED = {"/bias": ("Bias", 5)}


def test_the_table_keeps_the_navigation_and_the_packaged_pages():
    nav = list(NAV_BEFORE)
    for href, (label, at) in ADDED.items():
        nav.insert(at, (label, href))
    assert NAV == nav
    assert PACKAGED_PAGES == PACKAGED_BEFORE | set(ADDED)
    assert len({page.path for page in PAGES}) == len(PAGES)  # one row per address


@pytest.mark.parametrize("page", PAGES, ids=[page.path for page in PAGES])
def test_every_row_is_served_by_its_module_and_shows_the_navigation(client, page):
    import importlib

    lab = client.app.state.lab
    module = importlib.import_module(f"posenc.web.{page.module}")
    assert page.path in {r.path for r in module.routes(lab) if isinstance(r, Route)}
    r = client.get(_address(page.path))
    assert r.status_code == 200, r.text
    bar = r.text[r.text.index('<nav aria-label="sections">') : r.text.index("</nav>")]
    assert re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', bar) == [(href, label) for label, href in NAV]
    if page.nav is not None:
        assert f'<a href="{page.path}" aria-current="page">{page.nav}</a>' in bar


@pytest.mark.parametrize("page", [p for p in PAGES if p.packaged], ids=lambda p: p.path)
def test_a_packaged_page_is_rendered_once_then_kept(client, page):
    address = _address(page.path)
    store = client.app.state.lab.answers
    first = client.get(address)
    kept = store.get(address, b"")
    assert kept is not None and kept.body == first.content
    assert client.get(address).content == first.content


def test_a_row_whose_module_does_not_serve_its_address_stops_the_app(tmp_path, monkeypatch):
    from posenc.web import create_app

    monkeypatch.setattr(
        web_app, "PAGES", (*PAGES, Page("/nowhere", "exercise_pages", "Nowhere", packaged=True))
    )
    with pytest.raises(RuntimeError, match="/nowhere"):
        create_app(tmp_path, warm_up=False)


def _web_imports() -> dict[str, set[str]]:
    """module -> the posenc.web modules it imports (anywhere in it, functions included)."""
    graph = {}
    for path in WEB.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "posenc.web":
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("posenc.web."):
                found.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("posenc.web.")}
        graph[path.stem] = found - {path.stem}
    return graph


def test_web_modules_import_one_way():
    graph = _web_imports()
    pages = {page.module for page in PAGES}
    assert pages <= set(graph)
    for name in pages:
        assert not graph[name] & (pages | {"app"}), f"{name} imports {graph[name] & (pages | {'app'})}"
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, f"import cycle: {' -> '.join((*trail[trail.index(name) :], name))}"
        if name in done:
            return
        for other in graph.get(name, ()):
            visit(other, (*trail, name))
        done.add(name)

    for name in graph:
        visit(name, ())
