"""The native C++ RoPE kernels (posenc.encodings.kernels.native) on CPU (float32, bf16; half and
interleaved layouts): values against the float64 references and against torch's own float32
arithmetic (rounded to bf16 by torch), gradients, NaN/inf, the dispatch of ``rope.apply`` and the
build cache. Skipped only where no C++ compiler exists (a failed build with a compiler present fails
these tests)."""

from __future__ import annotations

import warnings

import pytest
import torch

from posenc.encodings.kernels import compiled, native
from posenc.encodings.rope import apply
from tests.encodings.test_kernels import TOLERANCE, inputs, reference

pytestmark = pytest.mark.skipif(native.compiler() is None, reason="native kernel: no C++ compiler here")


def torch_rotation(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, layout: str) -> torch.Tensor:
    """The rotation by torch's float32 ops on x's pairs, rounded once to x's dtype by torch."""
    half = cos.shape[-1]
    rotary = x[..., : 2 * half].float()
    if layout == "interleaved":
        pairs = rotary.unflatten(-1, (half, 2))  # [..., r/2, 2]
        x1, x2 = pairs[..., 0], pairs[..., 1]
        rotated = torch.stack((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1).flatten(-2)
    else:
        x1, x2 = rotary[..., :half], rotary[..., half:]
        rotated = torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)
    return torch.cat((rotated.to(x.dtype), x[..., 2 * half :]), dim=-1)


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("partial", [1.0, 0.25])
@pytest.mark.parametrize("shape", [(2, 3, 40, 64), (1, 5, 7, 8), (3, 1, 1, 128)])
def test_kernel_equals_torch_float32_ops_to_the_bit_and_the_float64_reference(shape, partial, dtype, layout):
    """Shapes with an odd number of rows (split over the threads unevenly), one rotated pair per row
    (h_d 8 at 0.25), a single position."""
    x, positions, cos, sin = inputs(shape, dtype, partial, offset=1000)
    got = native.rotate(x, cos, sin, layout == "interleaved")
    assert got is not None and got.dtype == dtype and got.shape == x.shape
    assert torch.equal(got, torch_rotation(x, cos, sin, layout))
    tol = TOLERANCE[dtype]
    torch.testing.assert_close(got.double(), reference(x, positions, partial, layout), rtol=tol, atol=tol)


def test_per_batch_tables_and_several_threads(monkeypatch):
    """cos/sin [b, 1, s, r/2] (a position offset per sequence) index the table of each row's batch
    element; 3 threads over 2·3·40 rows."""
    x, _, cos, sin = inputs((2, 3, 40, 64), torch.bfloat16, 1.0)
    _, _, cos2, sin2 = inputs((2, 3, 40, 64), torch.bfloat16, 1.0, offset=500)
    cos_b, sin_b = torch.stack((cos, cos2))[:, None], torch.stack((sin, sin2))[:, None]  # [2, 1, s, r/2]
    monkeypatch.setattr(torch, "get_num_threads", lambda: 3)
    for layout in ("half", "interleaved"):
        got = native.rotate(x, cos_b, sin_b, layout == "interleaved")
        assert torch.equal(got[0], torch_rotation(x[0], cos, sin, layout))
        assert torch.equal(got[1], torch_rotation(x[1], cos2, sin2, layout))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_strided_x_is_read_in_place_and_the_output_is_contiguous(dtype):
    """q as the model makes it (a slice of the fused projection, viewed [b, s, n_h, h_d], transposed),
    an offset slice of positions, and a non-unit feature stride (copied first): all as if contiguous."""
    b, s, n_h, h_d = 2, 9, 3, 16
    gen = torch.Generator().manual_seed(2)
    fused = torch.randn(b, s, (n_h + 2) * h_d, generator=gen).to(dtype)  # [b, s, q | k | v]
    q = fused[..., : n_h * h_d].view(b, s, n_h, h_d).transpose(1, 2)  # [b, n_h, s, h_d], strided
    _, _, cos, sin = inputs((b, n_h, s, h_d), dtype, 1.0, offset=7)
    wide = torch.randn(b, n_h, s + 4, h_d, generator=gen).to(dtype)[:, :, 2 : 2 + s]  # storage offset
    odd = torch.randn(b, n_h, s, 2 * h_d, generator=gen).to(dtype)[..., ::2]  # feature stride 2
    for x in (q, wide, odd):
        for interleaved in (False, True):
            got = native.rotate(x, cos, sin, interleaved)
            assert got.is_contiguous()
            assert torch.equal(got, native.rotate(x.contiguous(), cos, sin, interleaved))


@pytest.mark.parametrize("layout", ["half", "interleaved"])
def test_nan_and_inf_round_as_torch_rounds_them(layout):
    x, _, cos, sin = inputs((1, 2, 8, 16), torch.bfloat16, 1.0, offset=3)
    x[0, 0, 1, 4] = float("nan")
    x[0, 1, 2, 7] = float("inf")
    x[0, 1, 3, 0] = 3.0e38  # rotating may overflow float32's bf16 range: rounds to inf like torch
    cos = cos.clone()
    # a NaN whose low bits are set (products keep the payload): rounding by adding 0x7FFF to its bits
    # would carry into the sign and give −0.0; torch gives NaN
    pair = 2 if layout == "interleaved" else 4  # the pair of feature 4
    cos[5, pair] = torch.tensor(0x7FFFFFFF, dtype=torch.int32).view(torch.float32)
    got = native.rotate(x, cos, sin, layout == "interleaved")
    torch.testing.assert_close(got, torch_rotation(x, cos, sin, layout), rtol=0, atol=0, equal_nan=True)
    partner = 5 if layout == "interleaved" else 4 + 8  # the other member of feature 4's pair
    assert got[0, 0, 1, 4].isnan() and got[0, 0, 1, partner].isnan()  # both members of the NaN's pair
    assert got[0, 0, 5, 4].isnan() and got[0, 1, 5, partner].isnan()  # pair of cos[5, ·] NaN, every head


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_gradient_is_the_rotation_by_minus_theta(dtype, layout):
    """Autograd through the native path: dL/dx = R(−θ) dL/dy, equal to torch's ops doing that
    rotation to the bit, and to autograd through the float64 reference within rounding."""
    x, positions, cos, sin = inputs((2, 2, 12, 32), dtype, 1.0, offset=300)
    weight = torch.randn(x.shape, generator=torch.Generator().manual_seed(1)).to(dtype)  # dL/dy
    x1 = x.clone().requires_grad_()
    (
        native.apply_native(x1, cos, sin, layout == "interleaved").float() * weight.float()
    ).sum().backward()
    assert torch.equal(x1.grad, torch_rotation(weight, cos, -sin, layout))
    x2 = x.double().requires_grad_()
    (reference(x2, positions, 1.0, layout) * weight.double()).sum().backward()
    tol = TOLERANCE[dtype]
    torch.testing.assert_close(x1.grad.double(), x2.grad, rtol=tol, atol=tol)


def test_apply_takes_the_native_kernel_only_where_it_should(monkeypatch):
    calls = []
    real = native.rotate
    monkeypatch.setattr(native, "rotate", lambda *a: calls.append(a[3]) or real(*a))
    large, _, cos, sin = inputs((1, 8, 1024, 128), torch.bfloat16, 1.0)  # 2^20 elements
    small, _, cos_small, sin_small = inputs((1, 2, 16, 128), torch.bfloat16, 1.0)
    for layout in ("half", "interleaved"):
        assert torch.equal(apply(large, cos, sin, layout), torch_rotation(large, cos, sin, layout))
        assert torch.equal(
            apply(large.float(), cos, sin, layout), torch_rotation(large.float(), cos, sin, layout)
        )
    assert calls == [False, False, True, True]
    apply(large, cos, sin, "interleaved", impl="eager")  # eager never builds or calls native code
    apply(small, cos_small, sin_small, "interleaved")  # small: not worth a call
    apply(large.half(), cos, sin, "interleaved")  # fp16: no native kernel
    assert len(calls) == 4
    assert not native.use_native(large, "compiled")  # "compiled" means torch.compile


def test_a_failed_build_warns_once_and_falls_back_to_eager(monkeypatch, tmp_path):
    monkeypatch.setattr(native, "_state", {})
    monkeypatch.setenv(native.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(native, "FLAGS", (*native.FLAGS, "-fno-such-flag"))
    large, _, cos, sin = inputs((1, 8, 1024, 128), torch.bfloat16, 1.0)
    with pytest.warns(RuntimeWarning, match="native RoPE kernels are not available"):
        got = apply(large, cos, sin, "interleaved")
    assert torch.equal(got, apply(large, cos, sin, "interleaved", impl="eager"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        apply(large, cos, sin, "interleaved")  # no second warning, no second build attempt
    assert not native.use_native(large, "auto")
    assert list(tmp_path.iterdir()) == []  # the failed build left no partial library behind


def test_the_library_is_built_once_per_source_flags_and_cpu(monkeypatch, tmp_path):
    monkeypatch.setattr(native, "_state", {})
    monkeypatch.setenv(native.CACHE_ENV, str(tmp_path))
    assert native.library() is not None
    (built,) = tmp_path.iterdir()
    stamp = built.stat().st_mtime_ns
    monkeypatch.setattr(native, "_state", {})
    assert native.library() is not None  # a new process: loads the cached library
    assert built.stat().st_mtime_ns == stamp and list(tmp_path.iterdir()) == [built]
    monkeypatch.setattr(native, "_cpu_flags", lambda: "flags : some other cpu")
    assert native.library_path(native.compiler()) != built  # another CPU, another library


def test_compile_min_numel_is_shared_with_the_compiled_path():
    """auto's size threshold is the compiled path's: one knob for "large enough to pay"."""
    just_below = torch.empty(compiled.COMPILE_MIN_NUMEL - 2, dtype=torch.bfloat16).view(1, 1, -1, 2)
    assert not native.use_native(just_below, "auto")


def test_the_self_check_builds_reports_and_fails_loudly(monkeypatch, tmp_path, capsys):
    """``python -m posenc.encodings.kernels.native``: where the library is, each kernel against torch."""
    monkeypatch.setattr(native, "_state", {})
    monkeypatch.setenv(native.CACHE_ENV, str(tmp_path))
    assert native.main() == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and out.count("equal to torch") == 4
    monkeypatch.setattr(native, "rotate", lambda x, *rest: torch.zeros_like(x))  # a wrong kernel
    assert native.main() == 1
    assert capsys.readouterr().out.count("DIFFERS") == 4
    monkeypatch.setattr(native, "_state", {"failed": "no C++ compiler found"})
    assert native.main() == 1
    assert "not available (no C++ compiler found)" in capsys.readouterr().out
