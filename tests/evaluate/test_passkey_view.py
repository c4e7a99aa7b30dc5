"""The live passkey view's library: the trial, the question's attention row, the strongest head."""

from __future__ import annotations

import pytest
import torch

from posenc.data.passkey import KEY_PREFIX
from posenc.evaluate.passkey import greedy_decode
from posenc.evaluate.passkey_view import ask, build_trial, key_line_span
from posenc.evaluate.views import attention
from posenc.model import ModelConfig, TinyLM

FILLER = torch.tensor(list(b"x = 1\nfor i in range(10):\n    y = i * 2\n" * 40))


def _model(pe: str) -> TinyLM:
    torch.manual_seed(0)
    config = ModelConfig(d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=64, pe=pe)
    return TinyLM(config).eval()


def test_the_trial_hides_the_typed_key_at_its_depth_in_length_bytes():
    trial = build_trial(FILLER, 200, "27182", 0.25, seed=5)
    assert trial.prompt.numel() + 5 == 200 and trial.key == "27182"
    start, stop = key_line_span(trial)
    assert bytes(trial.prompt[start:stop].tolist()) == KEY_PREFIX + b"27182\n"
    assert trial.prompt[start - 1] == ord("\n") and 0.2 < start / 200 < 0.4


@pytest.mark.parametrize("pe", ["rope", "alibi", "nope", "t5"])
def test_the_answer_is_greedy_decoding_and_the_row_is_the_full_maps_last_row(pe):
    model = _model(pe)
    trial = build_trial(FILLER, 150, "48213", 0.5)
    answer = ask(model, trial)
    expected = greedy_decode(model, trial.prompt[None], 5)[0]
    assert answer.digits == bytes(expected.tolist()).decode("latin-1")
    weights, _ = attention(model, trial.prompt, layer=answer.layer, profiles=False)  # [n_h, p, p]
    full_row = weights[answer.head, -1]  # the question's last byte
    torch.testing.assert_close(answer.row, full_row, rtol=1e-5, atol=1e-6)
    start, stop = answer.key_line
    assert answer.key_mass == pytest.approx(float(full_row[start:stop].sum()), abs=1e-5)
    for layer in range(2):  # no head of any layer puts more on the key line
        w, _ = attention(model, trial.prompt, layer=layer, profiles=False)
        assert float(w[:, -1, start:stop].sum(-1).max()) <= answer.key_mass + 1e-6
    with torch.inference_mode():
        logits, _ = model(trial.prompt[None])
    first = torch.softmax(logits[0, -1], -1)
    assert answer.probs[0] == pytest.approx(float(first.max()), abs=1e-5)
