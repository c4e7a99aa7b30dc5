"""TinyLM.set_rope_scaling: inference-time RoPE scaling switches the model's frequencies."""

from __future__ import annotations

import math

import pytest
import torch

from posenc.encodings import rope
from posenc.model import ModelConfig, TinyLM

H_D, L, BASE = 16, 64, 10000.0  # the tiny preset: head_dim 64 / 4, training length 64


def tiny_rope(**pe_options) -> TinyLM:
    torch.manual_seed(0)
    return TinyLM(ModelConfig.preset("tiny", pe="rope", pe_options=pe_options))


def hand_rotation(x: torch.Tensor, positions: torch.Tensor, inv_freq: list[float]) -> torch.Tensor:
    """Half-layout RoPE written out: pair (i, i + h_d/2) turned by m·θ_i."""
    half = x.shape[-1] // 2
    out = x.clone()
    for i, theta in enumerate(inv_freq):
        angle = positions.double()[:, None] * theta  # [s, 1]
        c, s = angle.cos().float(), angle.sin().float()
        x1, x2 = x[..., :, i : i + 1], x[..., :, half + i : half + i + 1]
        out[..., :, i : i + 1] = x1 * c - x2 * s
        out[..., :, half + i : half + i + 1] = x2 * c + x1 * s
    return out


def rotated_q(model: TinyLM, positions: torch.Tensor) -> torch.Tensor:
    q = torch.randn(1, 4, positions.numel(), H_D, generator=torch.Generator().manual_seed(3))
    k = torch.randn(1, 2, positions.numel(), H_D)
    return model.pe.rotate_qk(q, k, positions)[0], q


def test_linear_scaling_divides_every_frequency_by_the_factor():
    """Position interpolation (Chen et al. 2023): θ_i = base^(−2i/d) / factor."""
    model = tiny_rope()
    positions = torch.arange(0, 4 * L, 7)
    model.set_rope_scaling({"rope_type": "linear", "factor": 4.0})
    got, q = rotated_q(model, positions)
    want = hand_rotation(q, positions, [BASE ** (-2 * i / H_D) / 4.0 for i in range(H_D // 2)])
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "spec",
    [
        {"rope_type": "yarn", "factor": 4.0},
        {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0},
        {"rope_type": "linear", "factor": 2.0},
    ],
)
def test_set_rope_scaling_uses_the_library_frequencies_for_the_same_spec(spec):
    model = tiny_rope()
    model.set_rope_scaling(spec)
    # the same spec as a Hugging Face config: original length = the model's training length
    config = {
        "head_dim": H_D,
        "rope_theta": BASE,
        "max_position_embeddings": int(L * spec["factor"]),
        "rope_scaling": {**spec, "original_max_position_embeddings": L},
    }
    inv_freq, attention_scaling = rope.frequencies(config)
    positions = torch.arange(3 * L)
    got, q = rotated_q(model, positions)
    cos, sin = rope.cos_sin(positions, inv_freq, attention_scaling)
    torch.testing.assert_close(got, rope.apply(q, cos, sin, "half"), atol=1e-5, rtol=1e-5)


def test_original_length_defaults_to_the_training_length():
    model = tiny_rope()
    positions = torch.arange(2 * L)
    model.set_rope_scaling({"rope_type": "yarn", "factor": 4.0})
    implicit, _ = rotated_q(model, positions)
    model.set_rope_scaling({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": L})
    explicit, _ = rotated_q(model, positions)
    model.set_rope_scaling({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": L // 2})
    other, _ = rotated_q(model, positions)
    torch.testing.assert_close(implicit, explicit, atol=0, rtol=0)
    assert (implicit - other).abs().max() > 1e-3


def test_none_restores_plain_rope():
    model = tiny_rope()
    positions = torch.arange(2 * L)
    model.set_rope_scaling({"rope_type": "yarn", "factor": 4.0})
    scaled, q = rotated_q(model, positions)
    model.set_rope_scaling(None)
    restored, _ = rotated_q(model, positions)
    want = hand_rotation(q, positions, [BASE ** (-2 * i / H_D) for i in range(H_D // 2)])
    torch.testing.assert_close(restored, want, atol=1e-5, rtol=1e-5)
    assert (scaled - restored).abs().max() > 1e-3


def test_none_restores_the_scaling_the_model_was_built_with():
    trained_with = {"rope_type": "linear", "factor": 2.0}
    model = tiny_rope(rope_scaling=trained_with)
    positions = torch.arange(L)
    model.set_rope_scaling({"rope_type": "yarn", "factor": 4.0})
    model.set_rope_scaling(None)
    got, q = rotated_q(model, positions)
    want = hand_rotation(q, positions, [BASE ** (-2 * i / H_D) / 2.0 for i in range(H_D // 2)])
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_scaled_model_still_decodes_like_a_full_forward():
    model = tiny_rope().eval()
    model.set_rope_scaling({"rope_type": "yarn", "factor": 4.0})
    idx = torch.randint(0, 256, (1, 3 * L // 2), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        full, _ = model(idx)
        cache = model.new_cache(1)
        pieces = [model(idx[:, :10], cache=cache)[0]]
        pieces += [model(idx[:, t : t + 1], cache=cache)[0] for t in range(10, idx.size(1))]
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pe", ["nope", "sinusoidal", "learned", "alibi", "t5", "xpos"])
def test_non_rope_model_refuses_rope_scaling(pe):
    model = TinyLM(ModelConfig.preset("tiny", pe=pe))
    with pytest.raises(ValueError, match=rf"RoPE.*{pe}"):
        model.set_rope_scaling({"rope_type": "linear", "factor": 2.0})


def test_bad_spec_is_a_value_error_and_changes_nothing():
    model = tiny_rope()
    model.set_rope_scaling({"rope_type": "yarn", "factor": 4.0})
    yarn_factor = 0.1 * math.log(4.0) + 1  # YaRN's attention factor (Peng et al. 2023)
    with pytest.raises(ValueError, match="rope_scaling"):
        model.set_rope_scaling("yarn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="factor"):
        model.set_rope_scaling({"rope_type": "linear", "factor": 0.5})
    assert model.pe.attention_scaling == pytest.approx(yarn_factor)  # still the yarn model
