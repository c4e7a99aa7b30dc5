"""The notes as an explorable course, through the test client: every note has a figure or says why it has
none, a figure marker becomes the same component as its tool page, the widgets' JSON routes answer with
the library's numbers, the notes carry one numbering (the learning path's) and one "Next", and plotly is
served compressed and cached.

Expected values come from closed forms or reference implementations (the paper's slopes, transformers'
T5 buckets), never from the lab's own code.
"""

from __future__ import annotations

import gzip
import json
import math
import re

import pytest

from posenc.learn.content import load_notes_index
from posenc.learn.figures import FIGURES, figure_refs, parse_marker
from posenc.learn.path import load_path

NOTES = load_notes_index()


@pytest.mark.parametrize("topic", NOTES, ids=[t.id for t in NOTES])
def test_every_note_page_has_a_figure_or_says_why_it_has_none(client, topic):
    html = client.get(f"/notes/{topic.id}").text
    figures = html.count('class="lab-figure')
    refs = figure_refs(topic.markdown())
    if topic.text_only:
        assert figures == 0 and not refs, f"{topic.id} is listed text-only but places a figure"
        reason = html[html.index('id="text-only"') :]
        assert "No figure on this page" in reason and len(topic.text_only) > 40
    else:
        assert figures == len(refs) >= 1, f"{topic.id}: {figures} figures on the page, {len(refs)} markers"
        assert 'id="text-only"' not in html
        for name in {ref.name for ref in refs if ref.figure.widget}:
            assert f'<script src="/static/widgets/{name}.js"></script>' in html


def test_the_text_only_notes_are_listed_in_one_place_with_a_reason():
    listed = {t.id: t.text_only for t in NOTES if t.text_only}
    assert set(listed) == {"history", "code"}, listed  # index.yaml's text_only: the one list


def test_a_widget_in_a_note_is_the_component_of_its_tool_page(client):
    note = client.get("/notes/rope-rotation").text
    tool = client.get("/playground").text
    for html in (note, tool):
        assert 'data-widget="rotation"' in html
        assert '<script src="/static/widgets/rotation.js"></script>' in html
        assert 'data-part="score"' in html
    assert '<a class="open-tool" href="/playground">' in note
    bias_note = client.get("/notes/other-encodings").text
    assert bias_note.count('data-widget="bias"') == 3 and 'data-widget="bias"' in client.get("/bias").text
    assert 'data-key="bias2"' in bias_note  # a second widget of a kind keeps its own URL state


def test_a_marker_names_a_known_figure_and_known_settings():
    ref = parse_marker('::: figure rotation m=3 n=7 caption="two words"')
    assert ref.name == "rotation" and ref.params == {"m": "3", "n": "7"} and ref.caption == "two words"
    assert parse_marker("an ordinary line") is None
    with pytest.raises(ValueError, match="unknown figure"):
        parse_marker("::: figure nothing")
    with pytest.raises(ValueError, match="reads no 'zoom'"):
        parse_marker("::: figure clock zoom=2")
    assert set(FIGURES) >= {
        "shuffle",
        "rotation",
        "ladder",
        "clock",
        "scaling",
        "bias",
        "study-plot",
        "attention",
    }


def test_the_studys_plots_reserve_their_box(client):
    html = client.get("/notes/measured").text
    imgs = re.findall(
        r'<img src="(/study/files/reference-full/[a-z_]+\.svg)" width="(\d+)" height="(\d+)"', html
    )
    assert len(imgs) == 4
    for src, width, height in imgs:
        assert int(width) > int(height) > 0
        assert client.get(src).status_code == 200


def test_the_own_model_note_draws_the_worked_examples_perplexity_with_and_without_yarn(client):
    """The figure of "Try it on your model": a light SVG (no script, no Plotly) whose dots are the measured
    numbers of the worked example's results.json, read here as plain JSON, higher perplexity drawn higher."""
    from importlib import resources

    data = json.loads(resources.files("posenc.learn").joinpath("data/own_model_example.json").read_text())
    html = client.get("/notes/your-model").text
    figure = html[html.index('<figure class="lab-figure fig-own-example"') :]
    figure = figure[: figure.index("</figure>")]
    assert "<script" not in figure and "plotly" not in html
    assert "data-widget" not in figure  # a picture: nothing to load
    assert "evaluation length (tokens, and × L; log scale)" in figure and "perplexity (per token)" in figure
    for legend in ("no scaling", "yarn:4", "last-L ppl (solid)", "all positions (dashed)"):
        assert f">{legend}</text>" in figure
    assert figure.count("<polyline") == 4
    dots = re.findall(
        r'<circle class="dot ([a-z0-9 ]+)" cx="([0-9.]+)" cy="([0-9.]+)" r="[0-9.]+"><title>([^<]+)</title>',
        figure,
    )
    assert len(dots) == 4 * 4
    heights = []
    for key, name in (("none", "no scaling"), ("yarn:4", "yarn:4")):
        for row in data["evals"][key]["rows"]:
            for field, what in (("last_ppl", "last-L ppl"), ("ppl", "ppl, all positions")):
                k = round(row["length"] / data["train_length"])
                tip = f"{name}, {what}: {row[field]:.2f} at {row['length']} tokens ({k}× L)"
                (dot,) = [d for d in dots if d[3] == tip]
                heights.append((row[field], float(dot[2])))
    heights.sort()
    assert [cy for _, cy in heights] == sorted(
        (cy for _, cy in heights), reverse=True
    )  # higher ppl, higher up
    # the x axis is log2 of the length: 1×, 2×, 4×, 8× L evenly spaced
    xs = sorted({float(cx) for _, cx, _, _ in dots})
    assert (
        len(xs) == 4
        and max(xs[i + 1] - xs[i] for i in range(3)) - min(xs[i + 1] - xs[i] for i in range(3)) < 0.5
    )


def test_a_note_page_carries_the_paths_number_and_one_next(client):
    steps = {s.key: s for s in load_path()}
    for topic in NOTES:
        html = client.get(f"/notes/{topic.id}").text
        step = steps[f"note:{topic.id}"]
        assert f"step {step.number} of {len(steps)}" in html
        assert " of 11" not in html  # the notes' own count is gone
        assert html.count("Next:") <= 1 and html.count('id="next-link"') == 1
        assert 'class="prev-next"' not in html


def test_alibi_slopes_match_the_papers_formula(client):
    for heads in (8, 12, 16):
        d = client.get(f"/api/bias?family=alibi&heads={heads}").json()
        lower = 2 ** math.floor(math.log2(heads))
        want = [2 ** (-8 * (h + 1) / lower) for h in range(lower)]
        want += [2 ** (-8 * (h + 1) / (2 * lower)) for h in range(0, 2 * lower, 2)][: heads - lower]
        assert d["slopes"] == pytest.approx(want, rel=1e-6)
        assert d["reach"] == pytest.approx([math.log(100) / m for m in want], rel=1e-6)


@pytest.mark.parametrize("bidirectional", [0, 1])
def test_t5_buckets_match_transformers(client, bidirectional):
    import torch
    from transformers.models.t5.modeling_t5 import T5Attention

    d = client.get(
        f"/api/bias?family=t5&num_buckets=32&max_distance=128&bidirectional={bidirectional}"
    ).json()
    want = T5Attention._relative_position_bucket(torch.tensor(d["relative"]), bool(bidirectional), 32, 128)
    assert d["buckets"] == want.tolist()


def test_the_clock_route_turns_each_hand_by_position_times_theta(client):
    d = client.get("/api/clock?head_dim=64&base=10000&position=37&pairs=0,8,16").json()
    for hand in d["hands"]:
        theta = 10000 ** (-2 * hand["pair"] / 64)
        assert hand["angle_degrees"] == pytest.approx(math.degrees(37 * theta) % 360, abs=1e-3)
    assert d["ratios"] == pytest.approx([10.0, 10.0], rel=1e-5)  # 10000^(16/64)


def test_the_shuffle_route_keeps_a_word_without_position_and_moves_it_with_rope(client):
    d = client.get("/api/shuffle?sentence=the+dog+bit+the+man&order=3,4,2,0,1&token=1").json()
    assert d["shuffled"] == ["the", "man", "bit", "the", "dog"]
    assert d["encodings"]["nope"]["same"] and not d["encodings"]["rope"]["same"]
    same = client.get("/api/shuffle?sentence=the+dog+bit+the+man&token=1").json()
    assert all(e["same"] and e["max_diff"] == 0 for e in same["encodings"].values())
    assert client.get("/api/shuffle?order=0,0,1,2,3").status_code == 400


def test_plotly_is_served_gzipped_and_cached_for_a_year_at_its_versioned_address(client):
    import plotly

    page = client.get("/angles").text
    src = re.search(r'<script src="(/static/vendor/plotly\.min\.js\?v=[^"]+)"', page).group(1)
    assert src.endswith(plotly.__version__)
    r = client.get(src, headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert "max-age=31536000" in r.headers["cache-control"]
    with client.stream("GET", src, headers={"accept-encoding": "gzip"}) as raw:
        packed = b"".join(raw.iter_raw())
    assert len(packed) < 0.4 * len(gzip.decompress(packed))  # 4.8 MB sent as about 1.4 MB
    again = client.get(src, headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304
