"""Fast paths of :func:`posenc.encodings.rope.apply`: the same rotation, near a memory copy's speed.

The reference (``rope.py``) says *what* the rotation is; this package says how to run it fast. It
imports nothing from the reference modules: ``rope.apply`` checks its arguments, then calls
:func:`rotate` here, which picks one of four paths that all compute

    y₁ = x₁ cos − x₂ sin,    y₂ = x₂ cos + x₁ sin,    features ≥ r copied unchanged

    formula.py    the plain formula (slices, four products, cat): what ``torch.compile`` fuses, and
                  what runs inside the caller's own compiled graph
    eager.py      in-place ops into one preallocated output, in cache-sized blocks (no compiler)
    compiled.py   ``torch.compile`` of the formula (CUDA, and CPU dtypes without a native kernel)
    native.py     C++ kernels (``rope_rotate.cpp``) for float32/bf16 on CPU, built on first use

Which one runs (``impl``): the ``impl`` argument of ``rope.apply``, else the environment variable
``POSENC_ROPE_IMPL`` (``auto`` | ``compiled`` | ``eager``), else ``auto``. ``auto`` takes, for large
x (≥ ``COMPILE_MIN_NUMEL`` = 2^20 elements) when a compiler is present, the native kernel (float32/bf16
on CPU) or the compiled one (CUDA, other dtypes), else the eager kernel; ``benchmarks/rope_apply.py``
times them all against a copy.

Shapes: x (Tensor) [b, n_h, s, h_d]; cos, sin (Tensor) [s, r/2] or [b, 1, s, r/2], float32.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from posenc.encodings.kernels import compiled, eager, native
from posenc.encodings.kernels.compiled import COMPILE_MIN_NUMEL, compiler_available
from posenc.encodings.kernels.formula import rotate_formula

IMPLS = ("auto", "compiled", "eager")
ENV_VAR = "POSENC_ROPE_IMPL"


def resolve_impl(impl: str | None) -> str:
    """``impl`` if given, else ``$POSENC_ROPE_IMPL``, else ``"auto"``; ValueError names a bad value."""
    source = "impl"
    if impl is None:
        impl, source = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto", ENV_VAR
    if impl not in IMPLS:
        raise ValueError(f"{source} must be one of {IMPLS}, got {impl!r}")
    return impl


def rotate(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool, impl: str | None = None) -> Tensor:
    """The rotation of x [b, n_h, s, h_d] by cos/sin [s, r/2] or [b, 1, s, r/2] on the fastest path
    ``impl`` allows (arguments already checked by ``rope.apply``). Differentiable with respect to x
    (and to cos/sin). Returns [b, n_h, s, h_d] in x's dtype."""
    partial = 2 * cos.shape[-1] < x.shape[-1]
    resolved = resolve_impl(impl)
    if native.use_native(x, resolved):
        rotated = native.apply_native(x, cos, sin, interleaved)
        if rotated is not None:  # None: the kernel did not build, or cos/sin need gradients
            return rotated
    if compiled.use_compiled(x, resolved, interleaved, partial):
        return compiled.apply_compiled(x, cos, sin, interleaved)
    if torch.compiler.is_compiling():  # inside the caller's graph: Inductor fuses the plain formula
        return rotate_formula(x, cos, sin, interleaved)
    return eager.apply_eager(x, cos, sin, interleaved)


def warm_up(x: Tensor, cos: Tensor, sin: Tensor, layout: str = "half") -> None:
    """Build or compile (if that path will be taken) and run once, so a timed loop pays no compilation.
    cos, sin: [s, r/2] or [b, s, r/2], as ``rope.apply`` takes them."""
    if cos.dim() == 3:
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # [b, 1, s, r/2]
    rotate(x, cos, sin, layout == "interleaved")
    if x.device.type == "cuda":
        torch.cuda.synchronize(x.device)


__all__ = [
    "COMPILE_MIN_NUMEL",
    "ENV_VAR",
    "IMPLS",
    "compiler_available",
    "resolve_impl",
    "rotate",
    "rotate_formula",
    "warm_up",
]
