"""The code guide (notes/11-code-guide.md): its line references point at the functions they name, a
stale one stops the note from rendering, and its runnable snippets run."""

from __future__ import annotations

import re

import pytest

from posenc.learn import coderefs
from posenc.learn.content import find_topic, load_notes_index

GUIDE = find_topic("code")
SNIPPET = re.compile(r"```python run\n(.*?)```", re.S)


def test_every_reference_in_the_notes_points_at_what_it_names():
    refs = [ref for topic in load_notes_index() for ref in coderefs.references(topic.markdown(render=False))]
    assert len(refs) >= 15
    for path, name, text in refs:
        first, last = coderefs.span(path, name)
        lines = (coderefs.SRC / path).read_text(encoding="utf-8").splitlines()
        leaf = name.split(".")[-1]
        assert re.match(rf"\s*(def|class) {leaf}\b|\s*{leaf}\b.*=", lines[first - 1]), (path, name)
        assert last >= first
        if text is not None:
            assert text in lines[coderefs.line_of(path, name, text) - 1]


def test_the_guide_walks_through_every_step():
    names = {(path, name) for path, name, _ in coderefs.references(GUIDE.markdown(render=False))}
    for wanted in [
        ("posenc/encodings/rope.py", "frequencies"),
        ("posenc/encodings/rope.py", "cos_sin"),
        ("posenc/encodings/rope.py", "apply"),
        ("posenc/encodings/kernels/formula.py", "rotate_formula"),
        ("posenc/encodings/rope_scaling.py", "ROPE_TYPES"),
        ("posenc/encodings/rope.py", "RoPE.build_cache"),
        ("posenc/encodings/rope.py", "RoPE.rotate_qk"),
        ("posenc/model/lm.py", "CausalSelfAttention.forward"),
    ]:
        assert wanted in names, wanted
    text = GUIDE.markdown()
    needles = ["precompute_freqs_cis", "apply_rotary_pos_emb", "rotate_half", "LlamaRotaryEmbedding"]
    needles += ["interleaved", "partial rotary", "MiniMind's YaRN against transformers' YaRN"]
    for needle in needles:
        assert needle in text, needle


def test_rendered_references_are_line_numbers():
    text = GUIDE.markdown()
    assert "code_ref" not in text and "{{" not in text
    first, last = coderefs.span("posenc/encodings/rope.py", "frequencies")
    assert f"`encodings/rope.py` lines {first}–{last}" in text


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("{{code_ref:posenc/encodings/rope.py:no_such_function}}", "has no no_such_function"),
        ("{{code_ref:posenc/encodings/rope.py:RoPE.no_such_method}}", "has no RoPE.no_such_method"),
        ("{{code_ref:posenc/encodings/gone.py:apply}}", "no module posenc/encodings/gone.py"),
        ("{{code_ref:posenc/model/lm.py:CausalSelfAttention.forward@pe.rotate_v(}}", "no line containing"),
    ],
)
def test_a_stale_reference_fails_naming_the_note(ref, message):
    from posenc.learn.numbers import render

    with pytest.raises(ValueError, match=re.escape(message)) as err:
        render(f"see {ref}", "notes/11-code-guide.md")
    assert str(err.value).startswith("notes/11-code-guide.md: ")


def test_the_guide_snippets_run():
    """The ``python run`` blocks, in order, in one namespace (each builds on the one before); every
    claim in them is an assert."""
    snippets = SNIPPET.findall(GUIDE.markdown())
    assert len(snippets) >= 5 and all("assert" in s for s in snippets)
    namespace: dict = {}
    for number, code in enumerate(snippets, 1):
        exec(compile(code, f"code-guide snippet {number}", "exec"), namespace)  # noqa: S102
