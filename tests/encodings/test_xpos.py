"""xPos (Sun et al. 2022) against its closed form: per pair i, with ζ_i = (2i + 0.4 d) / (1.4 d),

    ⟨q̃_m, k̃_n⟩ = Σ_i ζ_i^((m − n) / γ) · [(q_a k_a + q_b k_b) cos α_i + (q_b k_a − q_a k_b) sin α_i],
    α_i = (n − m) θ_i

where (a, b) = (i, i + d/2) in the "half" layout and θ_i = base^(−2i/d). Everything expected is
computed here in float64 with ``math``; the module under test computes angles in float32.
"""

import math

import pytest
import torch

from posenc.encodings import build
from posenc.encodings.xpos import XPos

D = 16
DIMS = dict(d_model=64, n_heads=4, head_dim=D, max_seq_len=32)


def zeta(i: int, d: int = D) -> float:
    return (2 * i + 0.4 * d) / (1.4 * d)


def closed_form_score(q, k, m, n, gamma=512.0, base=10000.0, d=D):
    q, k = q.double().tolist(), k.double().tolist()
    total = 0.0
    for i in range(d // 2):
        a, b, c, e = q[i], q[i + d // 2], k[i], k[i + d // 2]
        alpha = (n - m) * base ** (-2 * i / d)
        rope_i = (a * c + b * e) * math.cos(alpha) + (b * c - a * e) * math.sin(alpha)
        total += zeta(i, d) ** ((m - n) / gamma) * rope_i
    return total


def xpos_score(pe, q, k, m, n):
    """⟨q̃_m, k̃_n⟩ through the module: q and k stacked at positions [m, n], query taken at m, key at n."""
    qs = q.expand(1, 1, 2, -1).contiguous()  # [1, 1, 2, d]
    ks = k.expand(1, 1, 2, -1).contiguous()  # [1, 1, 2, d]
    q_rot, k_rot = pe.rotate_qk(qs, ks, torch.tensor([m, n]))
    return (q_rot[0, 0, 0].double() @ k_rot[0, 0, 1].double()).item()


@pytest.fixture
def qk():
    gen = torch.Generator().manual_seed(0)
    return torch.randn(D, generator=gen, dtype=torch.float64), torch.randn(
        D, generator=gen, dtype=torch.float64
    )


@pytest.mark.parametrize("m, n", [(0, 0), (5, 2), (2, 5), (100, 3), (700, 10), (1000, 999)])
@pytest.mark.parametrize("gamma", [512.0, 64.0])
def test_score_matches_closed_form(qk, m, n, gamma):
    q, k = qk
    pe = XPos(D, scale_base=gamma)
    want = closed_form_score(q, k, m, n, gamma=gamma)
    assert xpos_score(pe, q, k, m, n) == pytest.approx(want, rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("shift", [0, 7, 300])
def test_score_depends_on_relative_position_only(qk, shift):
    q, k = qk
    pe = XPos(D, scale_base=64.0)
    base_score = closed_form_score(q, k, 20, 4, gamma=64.0)
    assert xpos_score(pe, q, k, 20 + shift, 4 + shift) == pytest.approx(base_score, rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("distance", [0, 1, 64, 256, 512])
def test_pair_norms_decay_as_zeta_power(qk, distance):
    """‖q̃_m‖_i · ‖k̃_n‖_i = ζ_i^((m − n)/γ) ‖q‖_i ‖k‖_i: the rotation keeps norms, the scale decays them."""
    q, k = qk
    pe = XPos(D)  # γ = 512
    m, n = 600, 600 - distance
    q_rot, _ = pe.rotate_qk(q.expand(1, 1, 1, -1), k.expand(1, 1, 1, -1), torch.tensor([m]))
    _, k_rot = pe.rotate_qk(q.expand(1, 1, 1, -1), k.expand(1, 1, 1, -1), torch.tensor([n]))
    envelopes = []
    for i in range(D // 2):
        pair = [i, i + D // 2]
        got = q_rot[0, 0, 0, pair].norm().item() * k_rot[0, 0, 0, pair].norm().item()
        want = zeta(i) ** (distance / 512) * q[pair].norm().item() * k[pair].norm().item()
        assert got == pytest.approx(want, rel=1e-5)
        envelopes.append(got / (q[pair].norm().item() * k[pair].norm().item()))
    if distance > 0:  # the fastest pair (smallest ζ) decays most: 0.2857^(distance/512) for pair 0
        assert all(e < 1 for e in envelopes) and envelopes == sorted(envelopes)
        assert envelopes[0] == pytest.approx((0.4 / 1.4) ** (distance / 512), rel=1e-5)


def torchscale_xpos(x, scale_base, downscale=False):
    """torchscale's XPOS.forward (offset 0), transcribed from https://github.com/microsoft/torchscale
    (torchscale/component/xpos_relative_position.py). x: [b * n_h, s, h_d]; interleaved pairs; the
    scale is centred at min_pos = -(length + offset) // 2 with offset 0."""
    length, head_dim = x.shape[1], x.shape[2]
    zeta_ = (torch.arange(0, head_dim, 2) + 0.4 * head_dim) / (1.4 * head_dim)
    min_pos = -length // 2
    max_pos = length + min_pos
    scale = zeta_ ** torch.arange(min_pos, max_pos, 1).to(zeta_).div(scale_base)[:, None]
    inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim // 2) / (head_dim // 2)))
    angles = torch.einsum("i , j -> i j", torch.arange(0, length, dtype=torch.float), inv_freq)
    sin, cos = torch.sin(angles), torch.cos(angles)
    if downscale:
        scale = 1 / scale
    sin, cos = ((t * scale).repeat_interleave(2, dim=-1) for t in (sin, cos))  # duplicate_interleave
    rotated = torch.stack((-x[:, :, 1::2], x[:, :, ::2]), dim=-1).flatten(-2)  # rotate_every_two
    return x * cos + rotated * sin


def test_scores_match_torchscale_xpos():
    gen = torch.Generator().manual_seed(1)
    q, k = torch.randn(4, 300, 32, generator=gen), torch.randn(4, 300, 32, generator=gen)  # [b * n_h, s, h_d]
    want = torchscale_xpos(q, 128) @ torchscale_xpos(k, 128, downscale=True).transpose(1, 2)  # [4, s, s]
    q_rot, k_rot = XPos(32, scale_base=128, layout="interleaved").rotate_qk(
        q[None], k[None], torch.arange(300)
    )
    got = q_rot[0] @ k_rot[0].transpose(1, 2)  # [4, s, s]; centring differs but cancels in m - n
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_without_decay_it_is_rope(layout, dtype):
    """scale_base = inf makes every scale ζ^0 = 1: xPos is exactly RoPE."""
    xpos = build("xpos", **DIMS, scale_base=math.inf, layout=layout)
    rope = build("rope", **DIMS, layout=layout)
    q, k = torch.randn(2, 4, 9, D).to(dtype), torch.randn(2, 4, 9, D).to(dtype)
    positions = torch.arange(3, 12)
    got, want = xpos.rotate_qk(q, k, positions), rope.rotate_qk(q, k, positions)
    torch.testing.assert_close(got[0], want[0])
    torch.testing.assert_close(got[1], want[1])


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_keeps_dtype_and_shape_with_gqa(dtype):
    pe = build("xpos", **DIMS)
    q, k = torch.randn(2, 4, 5, D).to(dtype), torch.randn(2, 2, 5, D).to(dtype)
    q2, k2 = pe.rotate_qk(q, k, torch.arange(5))
    assert q2.shape == q.shape and k2.shape == k.shape and q2.dtype == k2.dtype == dtype


def test_center_does_not_change_scores(qk):
    q, k = qk
    plain, centred = XPos(D, scale_base=64.0), XPos(D, scale_base=64.0, center=500)
    assert xpos_score(centred, q, k, 510, 490) == pytest.approx(xpos_score(plain, q, k, 510, 490), rel=1e-4)


def test_centering_keeps_far_positions_finite():
    # ζ_0^(−40000/512) = 3.5^78 ≈ 1e42 overflows float32; centred at 40000 the scale is ~1
    far = torch.tensor([40_000, 40_001])
    q, k = torch.randn(1, 1, 2, D), torch.randn(1, 1, 2, D)
    with pytest.raises(ValueError, match="too far from the centre 0.*overflows float32"):
        XPos(D).rotate_qk(q, k, far)  # inf/NaN keys, once returned silently, are refused
    q_c, k_c = build("xpos", **{**DIMS, "max_seq_len": 80_000}, center="middle").rotate_qk(q, k, far)
    assert torch.isfinite(q_c).all() and torch.isfinite(k_c).all()


@pytest.mark.parametrize(
    "options, field",
    [({"scale_base": 0}, "scale_base"), ({"layout": "diagonal"}, "layout"), ({"center": 1.5}, "center")],
)
def test_bad_options_are_named(options, field):
    with pytest.raises(ValueError, match=field):
        build("xpos", **DIMS, **options)


def test_odd_head_dim_is_refused():
    with pytest.raises(ValueError, match="head_dim"):
        XPos(15)


def test_non_acting_hooks_are_identities_and_unknown_option_is_named():
    pe = build("xpos", **DIMS)
    assert isinstance(pe, XPos) and pe.acts_on == "qk"
    x = torch.randn(1, 5, 64)
    assert torch.equal(pe.add_to_input(x, torch.arange(5)), x)
    assert pe.score_bias(torch.arange(5), torch.arange(5)) is None
    with pytest.raises(ValueError, match="num_buckets"):
        build("xpos", **DIMS, num_buckets=8)
