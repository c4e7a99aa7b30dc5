"""The lab's frame through the test client: pages answer, errors are clear, the guard holds."""

from __future__ import annotations

import json
import re

from posenc.learn.content import load_notes_index
from posenc.learn.path import load_path, next_step


def test_home_lists_every_step_of_the_path_in_order(client):
    r = client.get("/")
    assert r.status_code == 200
    steps = load_path()
    path_list = r.text[r.text.index('<ol class="path"') :]  # the nav bar links some steps too
    positions = [path_list.index(f'href="{s.url}"') for s in steps]
    assert positions == sorted(positions)
    assert len(steps) >= 20 and steps[0].key == "note:why-position" and steps[-1].kind == "study"


def test_every_note_renders_with_its_title_and_a_next_link_following_the_path(client):
    for topic in load_notes_index():
        r = client.get(f"/notes/{topic.id}")
        assert r.status_code == 200, topic.id
        assert "{{" not in r.text, f"{topic.id}: a placeholder was not filled"
        following = next_step(f"note:{topic.id}")
        assert f'href="{following.url}"' in r.text.split('class="next-footer"')[1]


def test_measured_numbers_link_to_the_study(client):
    html = client.get("/notes/measured").text
    from posenc.learn.numbers import value

    number = value("study_alibi_16x")
    assert f'<a href="/study#measured">{number}</a>' in html


def test_quoted_commands_link_to_their_lab_page(client):
    html = client.get("/notes/relative-proof").text
    assert re.search(r'<a class="cmd" href="/experiments/2"><code>posenc exp 2</code></a>', html)


def test_unknown_note_is_a_404_page_naming_the_topics(client):
    r = client.get("/notes/no-such-topic")
    assert r.status_code == 404
    assert "no-such-topic" in r.text and "rope-scaling" in r.text


def test_api_errors_are_json(client):
    r = client.get("/api/no-such-route")
    assert r.status_code == 404
    assert "error" in r.json()


def test_host_other_than_the_lab_is_refused_dns_rebinding(client):
    r = client.get("/", headers={"host": "attacker.example:8000"})
    assert r.status_code == 421
    assert "host" in r.json()["error"]


def test_cross_site_origin_is_refused(client):
    for headers in ({"origin": "http://attacker.example"}, {"sec-fetch-site": "cross-site"}):
        r = client.post("/", headers=headers)
        assert r.status_code == 403, headers


def test_own_origin_is_accepted(client):
    assert client.get("/", headers={"origin": "http://127.0.0.1:8000"}).status_code == 200
    assert client.get("/", headers={"origin": "http://localhost:9"}).status_code == 200


def test_oversized_body_and_target_are_refused(client):
    assert client.post("/", content=b"x" * (300 * 1024)).status_code == 413
    assert client.get("/notes/" + "a" * 5000).status_code == 414


def test_security_headers_forbid_loading_anything_from_elsewhere(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_path_traversal_in_static_files_is_refused(client):
    for target in (
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/%252e%252e/app.py",
        "/static//etc/passwd",
    ):
        r = client.get(target)
        assert r.status_code == 404, target
        assert "create_app" not in r.text


def test_pages_embed_the_path_as_data_for_the_progress_script(client):
    html = client.get("/").text
    data = re.search(r'<script type="application/json" id="path-data">(.*?)</script>', html, re.S).group(1)
    steps = json.loads(data)
    assert [s["url"] for s in steps] == [s.url for s in load_path()]


def test_plotly_is_served_from_the_installed_package(client):
    r = client.get("/static/vendor/plotly.min.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert len(r.content) > 1_000_000
