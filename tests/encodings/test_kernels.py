"""RoPE fast paths (posenc.encodings.kernels: eager in-place kernel, torch.compile on CPU, CUDA) against
independent references.

References: transformers' Llama / GPT-NeoX ``apply_rotary_pos_emb`` (half layout) and the complex
multiplication of Meta's original Llama (interleaved layout), both in float64.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers.models.gpt_neox.modeling_gpt_neox import apply_rotary_pos_emb as neox_apply_rotary_pos_emb

from posenc.encodings import kernels
from posenc.encodings.kernels import compiled, eager
from posenc.encodings.rope import RoPE, apply, cos_sin, frequencies

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA fast path: no CUDA device here")
needs_cpu_compiler = pytest.mark.skipif(
    not compiled.compiler_available("cpu"), reason="compiled path: no C++ compiler here"
)


def reference(x: torch.Tensor, positions: torch.Tensor, partial: float, layout: str) -> torch.Tensor:
    """The rotation in float64 by an independent route: transformers' GPT-NeoX apply_rotary_pos_emb
    (half) or Meta Llama's complex multiplication (interleaved); θ_i = 1e4^(−2i/r) by hand."""
    head_dim = x.shape[-1]
    r = int(head_dim * partial)
    theta = torch.tensor([1e4 ** (-2 * i / r) for i in range(r // 2)], dtype=torch.float64)
    angles = positions.double()[:, None] * theta  # [s, r/2]
    xd = x.double()
    if layout == "half":
        cos = torch.cat([angles.cos(), angles.cos()], dim=-1)[None]  # [1, s, r], transformers' table
        sin = torch.cat([angles.sin(), angles.sin()], dim=-1)[None]  # [1, s, r]
        out, _ = neox_apply_rotary_pos_emb(xd, xd, cos, sin)
        return out
    phase = torch.polar(torch.ones_like(angles), angles)  # e^(j m θ_i), [s, r/2]
    pairs = torch.view_as_complex(xd[..., :r].unflatten(-1, (-1, 2)).contiguous())  # [b, n_h, s, r/2]
    rotated = torch.view_as_real(pairs * phase).flatten(-2)  # [b, n_h, s, r]
    return torch.cat([rotated, xd[..., r:]], dim=-1)


def inputs(shape, dtype, partial, device="cpu", offset=0):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen).to(device=device, dtype=dtype)
    positions = torch.arange(offset, offset + shape[2])
    inv_freq, scale = frequencies({"head_dim": shape[-1], "partial_rotary_factor": partial})
    cos, sin = cos_sin(positions.to(device), inv_freq, scale)
    return x, positions, cos, sin


# float32 angles at positions < 1100 are off by ≲ 1e-4 rad; bf16 outputs carry 2^-8 relative rounding
TOLERANCE = {torch.float32: 2e-4, torch.bfloat16: 4e-2, torch.float64: 2e-4}


# ---------------------------------------------------------------------------------------------------
# eager kernel: values and gradients
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("partial", [1.0, 0.25])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_eager_kernel_equals_reference(layout, partial, dtype):
    x, positions, cos, sin = inputs((2, 3, 40, 64), dtype, partial, offset=1000)
    got = apply(x, cos, sin, layout, impl="eager")
    assert got.dtype == dtype
    tol = TOLERANCE[dtype]
    torch.testing.assert_close(got.double(), reference(x, positions, partial, layout), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    ("layout", "dtype"), [("half", torch.float32), ("half", torch.bfloat16), ("interleaved", torch.bfloat16)]
)
@pytest.mark.parametrize("partial", [1.0, 0.25])
def test_eager_kernel_in_position_blocks_equals_the_whole(layout, dtype, partial, monkeypatch):
    """Blocks of 3 positions (6 for the bf16 half layout; the last block shorter), with per-batch
    cos/sin [b, s, r/2] too: the same values as one pass, and the same as the reference. (bf16
    interleaved blocks are sized by their float32 copy, reused from block to block.)"""
    x, positions, cos, sin = inputs((2, 3, 40, 64), dtype, partial, offset=1000)
    whole = apply(x, cos, sin, layout, impl="eager")
    monkeypatch.setattr(eager, "EAGER_BLOCK_BYTES", 3 * 2 * 3 * 64 * 4)
    torch.testing.assert_close(apply(x, cos, sin, layout, impl="eager"), whole, rtol=0, atol=0)
    batched = apply(x, cos.expand(2, -1, -1), sin.expand(2, -1, -1), layout, impl="eager")
    torch.testing.assert_close(batched, whole, rtol=0, atol=0)
    tol = TOLERANCE[dtype]
    torch.testing.assert_close(whole.double(), reference(x, positions, partial, layout), rtol=tol, atol=tol)


@pytest.mark.parametrize("partial", [1.0, 0.25])
def test_bf16_half_layout_rounds_like_the_four_op_rotation(partial):
    """The swapped-partner kernel (x·[cos, cos] + [x₂, x₁]·[−sin, sin]) rounds where the plain bf16
    ops do — x₁ cos, then − x₂ sin — so it equals them to the bit."""
    x, positions, cos, sin = inputs((2, 3, 40, 64), torch.bfloat16, partial, offset=1000)
    c, s = cos.bfloat16(), sin.bfloat16()
    half = c.shape[-1]
    x1, x2 = x[..., :half], x[..., half : 2 * half]
    y1 = (x1 * c).addcmul_(x2, s, value=-1)
    y2 = (x2 * c).addcmul_(x1, s)
    expected = torch.cat((y1, y2, x[..., 2 * half :]), dim=-1)
    assert torch.equal(apply(x, cos, sin, "half", impl="eager"), expected)


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize("partial", [1.0, 0.25])
def test_eager_kernel_gradient_equals_autograd_of_reference(layout, partial):
    """The custom backward (rotation by −θ) against autograd through the float64 reference."""
    x, positions, cos, sin = inputs((2, 2, 12, 32), torch.float64, partial, offset=300)
    weight = torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x1 = x.clone().requires_grad_()
    (apply(x1, cos.double(), sin.double(), layout, impl="eager") * weight).sum().backward()
    x2 = x.clone().requires_grad_()
    (reference(x2, positions, partial, layout) * weight).sum().backward()
    # cos/sin come from float32 angles (≲ 3e-5 rad off at position 311), the reference's are float64
    torch.testing.assert_close(x1.grad, x2.grad, rtol=2e-4, atol=2e-4)


def test_interleaved_pairs_are_viewed_as_complex_only_where_aligned():
    """The complex fast path needs float32/64, a unit last stride and an even storage offset; any
    other x takes the strided kernel and still equals the reference."""
    x, positions, cos, sin = inputs((2, 3, 10, 64), torch.float32, 1.0, offset=7)
    assert eager._complex_pairs(x, 32).shape == (2, 3, 10, 32)
    assert eager._complex_pairs(x.bfloat16(), 32) is None
    shifted = torch.cat((torch.zeros(2, 3, 10, 1), x), dim=-1)[..., 1:]  # odd storage offset
    transposed = x.transpose(-1, -2).contiguous().transpose(-1, -2)  # last-dim stride 10
    for odd in (shifted, transposed):
        assert eager._complex_pairs(odd, 32) is None
        got = apply(odd, cos, sin, "interleaved", impl="eager")
        torch.testing.assert_close(
            got.double(), reference(x, positions, 1.0, "interleaved"), rtol=1e-5, atol=1e-5
        )


def test_interleaved_bf16_from_a_transposed_projection_equals_the_reference():
    """q as the model makes it: [b, s, n_h, h_d] memory seen as [b, n_h, s, h_d] (not contiguous)."""
    x, positions, cos, sin = inputs((2, 3, 40, 64), torch.bfloat16, 1.0, offset=1000)
    transposed = x.transpose(1, 2).contiguous().transpose(1, 2)
    got = apply(transposed, cos, sin, "interleaved", impl="eager")
    tol = TOLERANCE[torch.bfloat16]
    torch.testing.assert_close(got.double(), reference(x, positions, 1.0, "interleaved"), rtol=tol, atol=tol)


def test_eager_kernel_passes_gradcheck():
    x, _, cos, sin = inputs((1, 2, 5, 8), torch.float64, 0.5)
    x.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda t: apply(t, cos.double(), sin.double(), "interleaved", impl="eager"), (x,)
    )


def test_gradient_reaches_cos_and_sin_when_they_require_it():
    """d(x₁ cos − x₂ sin)/d cos = x₁ summed over batch and heads: checked by hand."""
    x, _, cos, sin = inputs((2, 3, 4, 8), torch.float64, 1.0)
    cos, sin = cos.double().requires_grad_(), sin.double().requires_grad_()
    apply(x, cos, sin, impl="eager").sum().backward()
    x1, x2 = x[..., :4], x[..., 4:]
    torch.testing.assert_close(cos.grad, (x1 + x2).sum(dim=(0, 1)))
    torch.testing.assert_close(sin.grad, (x1 - x2).sum(dim=(0, 1)))


# ---------------------------------------------------------------------------------------------------
# compiled path on CPU
# ---------------------------------------------------------------------------------------------------


@needs_cpu_compiler
@pytest.mark.parametrize(
    ("layout", "partial", "dtype"),
    [("half", 1.0, torch.float32), ("interleaved", 0.25, torch.float32), ("half", 0.25, torch.bfloat16)],
)
def test_compiled_cpu_equals_reference(layout, partial, dtype):
    x, positions, cos, sin = inputs((2, 3, 40, 64), dtype, partial, offset=1000)
    got = apply(x, cos, sin, layout, impl="compiled")
    assert got.dtype == dtype
    tol = TOLERANCE[dtype]
    torch.testing.assert_close(got.double(), reference(x, positions, partial, layout), rtol=tol, atol=tol)


@needs_cpu_compiler
def test_compiled_cpu_trains_gradient_equals_reference():
    x, positions, cos, sin = inputs((2, 2, 12, 32), torch.float32, 1.0, offset=50)
    weight = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    x1 = x.clone().requires_grad_()
    (apply(x1, cos, sin, "half", impl="compiled") * weight).sum().backward()
    x2 = x.double().requires_grad_()
    (reference(x2, positions, 1.0, "half") * weight.double()).sum().backward()
    torch.testing.assert_close(x1.grad.double(), x2.grad, rtol=2e-4, atol=2e-4)


def test_failed_compilation_falls_back_to_eager_with_a_warning(monkeypatch):
    def broken(key):
        raise RuntimeError("no compiler today")

    monkeypatch.setattr(compiled, "_compiled_fn", broken)
    monkeypatch.setattr(compiled, "_failed", set())
    monkeypatch.setattr(compiled, "compiler_available", lambda device_type: True)
    x, positions, cos, sin = inputs((1, 2, 6, 16), torch.float32, 1.0)
    with pytest.warns(RuntimeWarning, match="no compiler today"):
        got = apply(x, cos, sin, impl="compiled")
    torch.testing.assert_close(got.double(), reference(x, positions, 1.0, "half"), rtol=2e-4, atol=2e-4)


# ---------------------------------------------------------------------------------------------------
# choosing the path
# ---------------------------------------------------------------------------------------------------


def test_auto_compiles_only_large_tensors_and_never_inside_tracing(monkeypatch):
    monkeypatch.setattr(compiled, "compiler_available", lambda device_type: True)
    small = torch.empty(1, 1, 16, 64)
    large = torch.empty(1, 8, 1024, 128)  # 2^20 elements
    assert not compiled.use_compiled(small, "auto")
    assert compiled.use_compiled(large, "auto")
    assert compiled.use_compiled(small, "compiled")
    assert not compiled.use_compiled(large, "eager")
    # interleaved on CPU: the eager complex multiply (bf16 in float32 blocks) is the faster path
    assert not compiled.use_compiled(large, "auto", interleaved=True)
    assert not compiled.use_compiled(large.bfloat16(), "auto", interleaved=True)
    assert compiled.use_compiled(large, "compiled", interleaved=True)
    # partial rotary on CPU: eager for float32/64, compiled for bf16 (the faster of each)
    assert not compiled.use_compiled(large, "auto", partial=True)
    assert not compiled.use_compiled(large.double(), "auto", partial=True)
    assert compiled.use_compiled(large.bfloat16(), "auto", partial=True)
    assert compiled.use_compiled(large, "compiled", partial=True)
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    assert not compiled.use_compiled(large, "auto")


def test_auto_without_a_compiler_runs_eager(monkeypatch):
    monkeypatch.setattr(compiled, "compiler_available", lambda device_type: False)
    assert not compiled.use_compiled(torch.empty(1, 8, 1024, 128), "auto")


def test_impl_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.setenv("POSENC_ROPE_IMPL", "eager")
    assert kernels.resolve_impl(None) == "eager"
    assert kernels.resolve_impl("compiled") == "compiled"
    monkeypatch.delenv("POSENC_ROPE_IMPL")
    assert kernels.resolve_impl(None) == "auto"


def test_bad_impl_raises_value_error_naming_its_source(monkeypatch):
    x, _, cos, sin = inputs((1, 1, 4, 8), torch.float32, 1.0)
    with pytest.raises(ValueError, match="impl must be one of"):
        apply(x, cos, sin, impl="triton")
    monkeypatch.setenv("POSENC_ROPE_IMPL", "fast")
    with pytest.raises(ValueError, match="POSENC_ROPE_IMPL must be one of"):
        apply(x, cos, sin)


# ---------------------------------------------------------------------------------------------------
# the module's lookup: one host read of the positions per forward, no graph break when compiled
# ---------------------------------------------------------------------------------------------------


def test_lookup_reads_the_positions_once_per_tensor(monkeypatch):
    rope = RoPE(32, max_seq_len=16)
    calls = []
    real = torch.aminmax
    monkeypatch.setattr(torch, "aminmax", lambda t: calls.append(1) or real(t))
    positions = torch.arange(10, 30)  # beyond the 16-long table: it grows on the first lookup
    first = rope.lookup(positions)
    for _ in range(7):  # the other layers of the same forward
        again = rope.lookup(positions)
        assert again[0] is first[0] and again[1] is first[1]
    assert len(calls) == 1
    rope.lookup(torch.arange(10, 30))  # a new forward's positions: read again
    assert len(calls) == 2
    want_cos, _ = cos_sin(positions, frequencies({"head_dim": 32})[0])
    torch.testing.assert_close(first[0], want_cos, rtol=0, atol=0)


def test_lookup_sees_in_place_changes_and_scaling_changes():
    rope = RoPE(32, max_seq_len=64)
    positions = torch.arange(8)
    cos_before, _ = rope.lookup(positions)
    positions += 5  # bumps the tensor's version
    cos_after, _ = rope.lookup(positions)
    torch.testing.assert_close(cos_after, rope.cos_cached[5:13], rtol=0, atol=0)
    assert not torch.equal(cos_before, cos_after)
    rope.set_scaling({"rope_type": "linear", "factor": 2.0})
    cos_scaled, _ = rope.lookup(positions)
    want, _ = cos_sin(positions, frequencies({"head_dim": 32})[0] / 2)
    torch.testing.assert_close(cos_scaled, want, rtol=1e-6, atol=1e-6)


@needs_cpu_compiler
def test_rotate_qk_compiles_without_graph_breaks_and_matches_eager():
    rope = RoPE(32, max_seq_len=64)
    q, positions, _, _ = inputs((1, 4, 20, 32), torch.float32, 1.0)
    k = q[:, :2].flip(-1).contiguous()
    compiled = torch.compile(rope.rotate_qk, fullgraph=True)  # fullgraph: a graph break raises
    got_q, got_k = compiled(q, k, positions)
    want_q, want_k = rope.rotate_qk(q, k, positions)
    torch.testing.assert_close(got_q, want_q, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(got_k, want_k, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------------
# CUDA (skipped only where no CUDA device exists; run on the GPU machine)
# ---------------------------------------------------------------------------------------------------


@needs_cuda
@pytest.mark.parametrize("impl", ["compiled", "eager"])
@pytest.mark.parametrize("layout", ["half", "interleaved"])
@pytest.mark.parametrize(
    ("partial", "dtype"), [(1.0, torch.float32), (0.25, torch.bfloat16), (1.0, torch.bfloat16)]
)
def test_cuda_paths_equal_reference(impl, layout, partial, dtype):
    x, positions, cos, sin = inputs((2, 4, 300, 128), dtype, partial, device="cuda", offset=700)
    got = apply(x, cos, sin, layout, impl=impl)
    assert got.device.type == "cuda" and got.dtype == dtype
    tol = TOLERANCE[dtype]
    want = reference(x.cpu(), positions, partial, layout)
    torch.testing.assert_close(got.double().cpu(), want, rtol=tol, atol=tol)


@needs_cuda
def test_cuda_auto_path_on_a_large_tensor_equals_reference_and_trains():
    x, positions, cos, sin = inputs((1, 8, 1024, 128), torch.bfloat16, 1.0, device="cuda")
    assert compiled.use_compiled(x, "auto")
    x.requires_grad_()
    got = apply(x, cos, sin, "half")
    torch.testing.assert_close(
        got.double().cpu(), reference(x.detach().cpu(), positions, 1.0, "half"), rtol=4e-2, atol=4e-2
    )
    got.float().square().sum().backward()  # |R x|² = |x|²: gradient 2x
    torch.testing.assert_close(x.grad.float(), 2 * x.detach().float(), rtol=4e-2, atol=4e-2)


# ---------------------------------------------------------------------------------------------------
# layout: the kernels sit below the reference and import nothing back
# ---------------------------------------------------------------------------------------------------


def test_kernels_import_nothing_from_the_reference_modules():
    """Every posenc import inside encodings/kernels/ names a kernels module (the reference imports the
    kernels, never the other way round), and importing the package loads no reference module."""
    folder = Path(kernels.__file__).parent
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                if name.startswith("posenc"):
                    assert name.startswith("posenc.encodings.kernels"), f"{path.name} imports {name}"
    code = "import sys, posenc.encodings.kernels; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for reference in ("posenc.encodings.rope", "posenc.encodings.rope_scaling", "posenc.encodings.xpos"):
        assert reference not in loaded.split()
