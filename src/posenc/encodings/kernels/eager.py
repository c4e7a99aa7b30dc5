"""The eager fast rotation: every result written straight into one preallocated output, no compiler.

The plain formula (:mod:`.formula`: slices, four products, ``torch.cat``) reads and writes x's size
several times over; a copy (``x.clone()``) is the floor. This kernel gets near it (~1.2× the copy on
2 cores for float32):

* ``torch.mul(x₁, cos, out=y₁)``; ``y₁.addcmul_(x₂, sin, value=-1)``; … — no temporaries, no cat, run
  over cache-sized blocks of positions so that what one op writes is still in cache when the next
  reads it;
* interleaved float32/float64 pairs are viewed as complex numbers and rotated by one complex multiply
  with cos + i·sin (one contiguous pass, where strided pair views cost twice the copy); interleaved
  bf16/fp16 is copied to float32 a block at a time and rotated there the same way;
* half-layout bf16/fp16 runs two ops over whole rows, x·[cos, cos] + [x₂, x₁]·[−sin, sin].

A custom autograd function (:class:`Rotation`) keeps training working: a rotation is orthogonal, so
the gradient with respect to x is the rotation by the opposite angle — the same kernel with −sin.

Shapes: x (Tensor) [b, n_h, s, h_d]; cos, sin (Tensor) [s, r/2] or [b, 1, s, r/2], float32.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from posenc.encodings.kernels.formula import rotate_formula

#: the eager kernel's four ops run over blocks of positions of about this many bytes of x, so that
#: what one op writes is still in cache when the next reads it (measured on 2 cores: 2 MiB blocks
#: take the float32 half-layout rotation from ~1.6× to ~1.2-1.3× the copy)
EAGER_BLOCK_BYTES = 2 << 20

#: dtypes whose arithmetic torch forms in float32 inside each op (converting the inputs every time)
LOW_PRECISION = (torch.bfloat16, torch.float16)


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
    if interleaved and x.dtype in LOW_PRECISION:
        return _rotate_upcast_blocks(out, x, cos.float(), sin.float())
    pairs_in = _complex_pairs(x, half) if interleaved and cos.dtype == x.dtype else None
    pairs_out = _complex_pairs(out, half) if pairs_in is not None else None
    if pairs_out is not None:
        torch.mul(pairs_in, torch.complex(cos, sin), out=pairs_out)
    elif not interleaved and x.dtype in LOW_PRECISION:
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
    upcast = interleaved and x.dtype in LOW_PRECISION  # rotated in float32 blocks by rotate_into
    if x.dtype != cos.dtype and not upcast:
        # float64 x: float64 products. bf16/fp16 x: mixed-dtype out= ops would run ~8× slower (a cast
        # copy per op), so cos/sin are rounded to x's dtype (the products are still formed in float32
        # inside each kernel); the tests bound the error against transformers' bf16 rotation.
        cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    if torch.is_grad_enabled() and x.requires_grad:
        return Rotation.apply(x, cos, sin, interleaved, rotate_eager)
    return rotate_eager(x, cos, sin, interleaved)


__all__ = ["EAGER_BLOCK_BYTES", "LOW_PRECISION", "Rotation", "apply_eager", "rotate_eager", "rotate_into"]
