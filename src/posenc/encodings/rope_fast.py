"""Fast paths for the RoPE rotation: an eager kernel at ~1.2× a memory copy, and compiled kernels.

The rotation itself is :func:`posenc.encodings.rope.apply`'s formula (for pair i with angle m θ_i)

    y₁ = x₁ cos − x₂ sin,    y₂ = x₂ cos + x₁ sin,    tail (features ≥ r) copied,

with pair i = features (i, i + r/2) in the ``"half"`` layout and (2i, 2i + 1) in ``"interleaved"``.
The plain formula (slices, four products, ``torch.cat``/``torch.stack``) reads and writes x's
size several times over; a copy (``x.clone()``) is the floor. Two ways to get near it:

* ``eager``: every result is written straight into one preallocated output
  (``torch.mul(x₁, cos, out=y₁)``; ``y₁.addcmul_(x₂, sin, value=-1)``; …), no temporaries, no cat;
  interleaved float32/float64 pairs are viewed as complex numbers and rotated by one complex
  multiply with cos + i·sin (one contiguous pass, where strided pair views cost twice the copy).
  A custom autograd function keeps training working: a rotation is orthogonal, so the gradient
  with respect to x is the rotation by the opposite angle — the same kernel with −sin.
* ``compiled``: ``torch.compile`` of the plain formula. Inductor fuses it into one pass over x
  (a C++/OpenMP loop on CPU, a Triton kernel on CUDA), products in float32, rounding once; for
  bf16/fp16 x the cos/sin tables are rounded to x's dtype first (faster, still more accurate than
  transformers' bf16 rotation). It needs a C++ compiler (CPU) or Triton (CUDA); compiled
  functions are cached per (layout, dtype, device type, rotary dim < head dim), compiled with
  ``dynamic=None`` (static on first use, one recompile to a dynamic-shape kernel if the shape
  changes).

Which one runs (``impl``): the ``impl`` argument of :func:`posenc.encodings.rope.apply`, else the
environment variable ``POSENC_ROPE_IMPL`` (``auto`` | ``compiled`` | ``eager``), else ``auto``.
(``auto`` takes a third path for large float32/bf16 x on CPU: the native C++ kernels of
:mod:`posenc.encodings.rope_native`, checked first by ``apply``; the choices below then apply to
other dtypes, to CUDA, and where the native library could not be built.)
``auto`` compiles only where it pays: large tensors (``x.numel() >= COMPILE_MIN_NUMEL`` = 2^20),
a compiler present, not already inside ``torch.compile`` tracing (the caller's graph then holds
the plain formula and Inductor fuses it there), and on CPU neither the interleaved layout nor
float32/float64 partial rotary (the eager kernel measured faster there, see :func:`use_compiled`).
A failed compilation is remembered, warned about once, and that key falls back to eager. Call
:func:`warm_up` before a timed loop: the first call of a key compiles (seconds).

Shapes: x (Tensor) [b, n_h, s, h_d]; cos, sin (Tensor) [s, r/2] or [b, 1, s, r/2], float32.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import warnings
from collections.abc import Callable, Iterator

import torch
from torch import Tensor

IMPLS = ("auto", "compiled", "eager")
ENV_VAR = "POSENC_ROPE_IMPL"
#: ``auto`` compiles at and above this many elements of x (4 MiB fp32): below it the launch and
#: guard overhead of a compiled call is comparable to the work, and tests and small models would
#: pay a compilation for nothing.
COMPILE_MIN_NUMEL = 1 << 20

#: the eager kernel's four ops run over blocks of positions of about this many bytes of x, so that
#: what one op writes is still in cache when the next reads it (measured on 2 cores: 2 MiB blocks
#: take the float32 half-layout rotation from ~1.6× to ~1.2-1.3× the copy)
EAGER_BLOCK_BYTES = 2 << 20

#: dtypes whose arithmetic torch forms in float32 inside each op (converting the inputs every time)
_LOW_PRECISION = (torch.bfloat16, torch.float16)

_compiled: dict[tuple, Callable] = {}
_failed: set[tuple] = set()


# --------------------------------------------------------------------------------------------------
# choosing a path
# --------------------------------------------------------------------------------------------------


def resolve_impl(impl: str | None) -> str:
    """``impl`` if given, else ``$POSENC_ROPE_IMPL``, else ``"auto"``; ValueError names a bad value."""
    source = "impl"
    if impl is None:
        impl, source = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto", ENV_VAR
    if impl not in IMPLS:
        raise ValueError(f"{source} must be one of {IMPLS}, got {impl!r}")
    return impl


@functools.cache
def compiler_available(device_type: str) -> bool:
    """Whether Inductor can build kernels here: Triton for CUDA, a C++ compiler for CPU."""
    if device_type == "cuda":
        return importlib.util.find_spec("triton") is not None
    return device_type == "cpu" and cxx_compiler() is not None


def cxx_compiler() -> str | None:
    """Path of the C++ compiler: ``$CXX``, else g++, c++ or clang++; None if there is none."""
    for name in (os.environ.get("CXX", ""), "g++", "c++", "clang++"):
        if name and (path := shutil.which(name)):
            return path
    return None


def use_compiled(x: Tensor, impl: str, interleaved: bool = False, partial: bool = False) -> bool:
    """Whether ``apply`` should take the compiled path for ``x`` under the resolved ``impl``.

    ``auto`` keeps two cases on CPU eager, where the eager kernel measured faster
    (benchmarks/rope_apply.py, 2 cores): the interleaved layout (the complex multiply, bf16/fp16 in
    float32 blocks: ~1.05× float32 and ~1.5× bf16 against Inductor's loop over strided pairs at ~1.3×
    and ~2.1×), and float32/float64 with partial rotary (``partial``: rotary dim < head dim; ~1.25×
    eager against ~1.45-1.5× compiled; bf16 partial: ~1.5× either way, it compiles)."""
    if impl == "eager" or torch.compiler.is_compiling():
        return False
    if impl == "auto" and x.device.type == "cpu":
        if interleaved or (partial and x.dtype not in _LOW_PRECISION):
            return False
    if not compiler_available(x.device.type):
        if impl == "compiled":
            _warn_once(("no-compiler", x.device.type), f"no compiler for {x.device.type}: RoPE runs eager")
        return False
    return impl == "compiled" or x.numel() >= COMPILE_MIN_NUMEL


@functools.cache
def _warn_once(key: tuple, message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------------
# the plain formula (what the compiler fuses) and the compiled path
# --------------------------------------------------------------------------------------------------


def rotate_formula(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor:
    """The rotation written plainly, in the wider of x's and cos's dtypes, rounded once to x's dtype.

    x [b, n_h, s, h_d]; cos, sin broadcastable to [b, n_h, s, r/2]. Returns [b, n_h, s, h_d].
    With bf16/fp16 cos and x, Inductor still forms the products in float32 and rounds once at the
    store (it upcasts low-precision arithmetic); only the table entries are rounded.
    """
    half = cos.shape[-1]
    rotary_dim = 2 * half
    compute = torch.promote_types(x.dtype, cos.dtype)
    cos, sin = cos.to(compute), sin.to(compute)
    x_rot = x[..., :rotary_dim].to(compute)  # [b, n_h, s, r]
    if interleaved:
        pairs = x_rot.unflatten(-1, (half, 2))  # [b, n_h, s, r/2, 2]
        x1, x2 = pairs[..., 0], pairs[..., 1]  # [b, n_h, s, r/2] each
        rotated = torch.stack((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)  # [b, n_h, s, r/2, 2]
        rotated = rotated.flatten(-2)  # [b, n_h, s, r]
    else:
        x1, x2 = x_rot[..., :half], x_rot[..., half:]  # [b, n_h, s, r/2] each
        rotated = torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)  # [b, n_h, s, r]
    rotated = rotated.to(x.dtype)
    if rotary_dim == x.shape[-1]:
        return rotated
    return torch.cat((rotated, x[..., rotary_dim:]), dim=-1)  # [b, n_h, s, h_d]


def _key(x: Tensor, cos: Tensor, interleaved: bool) -> tuple:
    return (interleaved, x.dtype, x.device.type, 2 * cos.shape[-1] < x.shape[-1])


def _compiled_fn(key: tuple) -> Callable:
    if key not in _compiled:
        _compiled[key] = torch.compile(rotate_formula, dynamic=None, fullgraph=True)
    return _compiled[key]


def apply_compiled(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor:
    """The compiled rotation; eager (with a one-time warning) where compiling failed. Autograd works."""
    key = _key(x, cos, interleaved)
    if key in _failed:
        return apply_eager(x, cos, sin, interleaved)
    if x.dtype in _LOW_PRECISION:
        # float32 tables next to bf16 x make Inductor's CPU loop 2.3× slower (measured, AVX2); bf16
        # tables keep it at ~1.2× the copy, and the error stays below transformers' bf16 rotation
        cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    try:
        return _compiled_fn(key)(x, cos, sin, interleaved)
    except Exception as err:  # noqa: BLE001 — any compiler failure (no headers, Triton missing, ...)
        _failed.add(key)
        _warn_once(
            key, f"torch.compile of the RoPE rotation failed ({type(err).__name__}: {err}); using eager"
        )
        return apply_eager(x, cos, sin, interleaved)


def warm_up(x: Tensor, cos: Tensor, sin: Tensor, layout: str = "half") -> None:
    """Compile (if the compiled path will be taken) and run once, so a timed loop pays no compilation."""
    from posenc.encodings.rope import apply

    apply(x, cos, sin, layout)
    if x.device.type == "cuda":
        torch.cuda.synchronize(x.device)


# --------------------------------------------------------------------------------------------------
# the eager kernel: results written in place into one output, no temporaries
# --------------------------------------------------------------------------------------------------


def _pairs(t: Tensor, half: int, interleaved: bool) -> tuple[Tensor, Tensor]:
    """Views of the two members of every pair: [b, n_h, s, r/2] each (strided, no copy)."""
    if interleaved:
        return t[..., 0 : 2 * half : 2], t[..., 1 : 2 * half : 2]
    return t[..., :half], t[..., half : 2 * half]


def _position_blocks(x: Tensor, element_bytes: int) -> Iterator[slice]:
    """Slices of x's positions (dim −2), each covering about ``EAGER_BLOCK_BYTES`` of x when it is held
    at ``element_bytes`` per element (at least one position per block)."""
    rows = max(1, EAGER_BLOCK_BYTES // max(1, element_bytes * x[..., 0, :].numel()))
    return (slice(i, i + rows) for i in range(0, x.shape[-2], rows))


def _buffered_blocks(x: Tensor, element_bytes: int, width: int, dtype: torch.dtype) -> Iterator[tuple]:
    """(block, buffer) for each of :func:`_position_blocks`: ``buffer`` is [..., rows of the block,
    width] of ``dtype``, a view of one tensor allocated once per call (a fresh ~2 MiB tensor per block
    is mapped and page-faulted anew by malloc each time: measured 2.5× the copy instead of ~1.4×)."""
    buffer = None
    for block in _position_blocks(x, element_bytes):
        rows = len(range(x.shape[-2])[block])  # the last block may be shorter
        if buffer is None:
            buffer = torch.empty((*x.shape[:-2], rows, width), dtype=dtype, device=x.device)
        yield block, buffer[..., :rows, :]


def _complex_pairs(t: Tensor, half: int) -> Tensor | None:
    """The interleaved pairs of t as complex numbers x₁ + i·x₂, [b, n_h, s, r/2] (a view, no copy), or
    None where torch cannot view them so (not float32/float64, or strides/offset not pair-aligned)."""
    if t.dtype not in (torch.float32, torch.float64):
        return None
    try:
        return torch.view_as_complex(t[..., : 2 * half].unflatten(-1, (half, 2)))
    except RuntimeError:
        return None


def rotate_into(out: Tensor, x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor:
    """Write the rotation of x into ``out`` (same shape as x, not aliasing it) and return ``out``.

    cos and sin should have x's dtype (mixed dtypes work but are slow); products are formed in
    float32 (or float64) inside each op and rounded at each of the two writes into ``out``.
    Interleaved float32/float64 pairs are one complex multiply instead, (x₁ + i x₂)(cos + i sin) =
    (x₁ cos − x₂ sin) + i (x₂ cos + x₁ sin), in one pass over contiguous memory (the strided
    pair views of four ops run at ~2× the copy; this at ~1.1×); interleaved bf16/fp16 is rotated in
    float32 blocks by the same multiply (:func:`_rotate_upcast_blocks`, float32 tables, one rounding).
    No autograd (``out=`` ops); see :func:`apply_eager`.
    """
    half = cos.shape[-1]
    if interleaved and x.dtype in _LOW_PRECISION:
        return _rotate_upcast_blocks(out, x, cos.float(), sin.float())
    pairs_in = _complex_pairs(x, half) if interleaved and cos.dtype == x.dtype else None
    pairs_out = _complex_pairs(out, half) if pairs_in is not None else None
    if pairs_out is not None:
        torch.mul(pairs_in, torch.complex(cos, sin), out=pairs_out)
    elif not interleaved and x.dtype in _LOW_PRECISION:
        _rotate_swapped_blocks(out, x, cos, sin)
    else:  # four ops, a cache-sized block of positions at a time: y₁ is re-read from cache, not memory
        for block in _position_blocks(x, x.element_size()):
            x1, x2 = _pairs(x[..., block, :], half, interleaved)
            y1, y2 = _pairs(out[..., block, :], half, interleaved)
            c, s = cos[..., block, :], sin[..., block, :]
            torch.mul(x1, c, out=y1)  # x₁ cos
            torch.mul(x2, c, out=y2)  # x₂ cos
            y1.addcmul_(x2, s, value=-1)  # − x₂ sin
            y2.addcmul_(x1, s)  # + x₁ sin
    if 2 * half < x.shape[-1]:
        out[..., 2 * half :].copy_(x[..., 2 * half :])  # partial rotary: the tail passes through
    return out


def _rotate_swapped_blocks(out: Tensor, x: Tensor, cos: Tensor, sin: Tensor) -> None:
    """Half layout, bf16/fp16 x (cos, sin in x's dtype): y = x·[cos, cos] + [x₂, x₁]·[−sin, sin] over
    the rotary features, a block of positions at a time, the partner halves first swapped into one
    block buffer. Each low-precision op converts its inputs, so two ops over whole rows beat four over
    half rows (measured on 2 cores: ~1.7× the copy instead of ~1.8-2.0×, partial rotary 0.25 ~1.5×
    instead of ~1.9×); the roundings are those of the four ops (x₁ cos rounded, then x₂ sin
    subtracted and rounded), so the result is the same to the bit."""
    half = cos.shape[-1]
    rotary = 2 * half
    cos_both = torch.cat((cos, cos), dim=-1)  # [..., s, r]
    sin_signed = torch.cat((-sin, sin), dim=-1)  # [..., s, r]
    for block, partner in _buffered_blocks(x, x.element_size(), rotary, x.dtype):
        xb, yb = x[..., block, :rotary], out[..., block, :rotary]  # [b, n_h, rows, r]
        partner[..., :half].copy_(xb[..., half:])  # x₂
        partner[..., half:].copy_(xb[..., :half])  # x₁
        torch.mul(xb, cos_both[..., block, :], out=yb)  # [x₁ cos, x₂ cos]
        yb.addcmul_(partner, sin_signed[..., block, :])  # [− x₂ sin, + x₁ sin]


def _rotate_upcast_blocks(out: Tensor, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Interleaved bf16/fp16 x: each block of positions is copied to float32, rotated there by the
    complex multiply while it is in cache, and rounded once into ``out`` (cos, sin float32). Measured on
    2 cores: ~1.4-1.5× the copy, against ~3-4× for the four bf16 ops (each converting its inputs), and
    half their rounding error."""
    half = cos.shape[-1]
    turn = torch.complex(cos, sin)  # cos + i·sin, [..., s, r/2], built once for all blocks
    # blocks sized by their float32 copy: that is what has to fit the cache
    for block, rotated in _buffered_blocks(x, 4, x.shape[-1], torch.float32):
        rotated.copy_(x[..., block, :])  # unit last stride, even strides elsewhere: a complex view exists
        _complex_pairs(rotated, half).mul_(turn[..., block, :])
        out[..., block, :].copy_(rotated)  # the partial-rotary tail rides along unchanged
    return out


def rotate_eager(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor:
    """The eager kernel into a fresh contiguous output (no autograd)."""
    return rotate_into(torch.empty_like(x, memory_format=torch.contiguous_format), x, cos, sin, interleaved)


class Rotation(torch.autograd.Function):
    """y = R(θ) x by ``kernel(x, cos, sin, interleaved)``; dL/dx = R(−θ) dL/dy (R is orthogonal), the
    same kernel with −sin. For kernels that autograd cannot see through (``out=`` ops, native code)."""

    @staticmethod
    def forward(ctx, x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool, kernel: Callable) -> Tensor:
        ctx.save_for_backward(cos, sin)
        ctx.interleaved, ctx.kernel = interleaved, kernel
        return kernel(x, cos, sin, interleaved)

    @staticmethod
    def backward(ctx, grad: Tensor):
        cos, sin = ctx.saved_tensors
        return Rotation.apply(grad, cos, -sin, ctx.interleaved, ctx.kernel), None, None, None, None


def apply_eager(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor:
    """The eager fast rotation (x [b, n_h, s, h_d]); the plain formula where cos/sin need gradients."""
    if torch.is_grad_enabled() and (cos.requires_grad or sin.requires_grad):
        return rotate_formula(x, cos, sin, interleaved)
    upcast = interleaved and x.dtype in _LOW_PRECISION  # rotated in float32 blocks by rotate_into
    if x.dtype != cos.dtype and not upcast:
        # float64 x: float64 products. bf16/fp16 x: mixed-dtype out= ops would run ~8× slower (a cast
        # copy per op), so cos/sin are rounded to x's dtype (the products are still formed in float32
        # inside each kernel); the tests bound the error against transformers' bf16 rotation.
        cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    if torch.is_grad_enabled() and x.requires_grad:
        return Rotation.apply(x, cos, sin, interleaved, rotate_eager)
    return rotate_eager(x, cos, sin, interleaved)


__all__ = [
    "COMPILE_MIN_NUMEL",
    "ENV_VAR",
    "IMPLS",
    "Rotation",
    "apply_compiled",
    "apply_eager",
    "compiler_available",
    "cxx_compiler",
    "resolve_impl",
    "rotate_eager",
    "rotate_formula",
    "rotate_into",
    "use_compiled",
    "warm_up",
]
