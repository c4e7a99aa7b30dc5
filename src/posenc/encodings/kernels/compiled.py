"""The compiled rotation: ``torch.compile`` of the plain formula, and when it is worth taking.

Inductor fuses :func:`~posenc.encodings.kernels.formula.rotate_formula` into one pass over x (a
C++/OpenMP loop on CPU, a Triton kernel on CUDA), products in float32, rounding once; for bf16/fp16
x the cos/sin tables are rounded to x's dtype first (faster, still more accurate than transformers'
bf16 rotation). It needs a C++ compiler (CPU) or Triton (CUDA); compiled functions are cached per
(layout, dtype, device type, rotary dim < head dim), compiled with ``dynamic=None`` (static on
first use, one recompile to a dynamic-shape kernel if the shape changes).

``auto`` compiles only where it pays: large tensors (``x.numel() >= COMPILE_MIN_NUMEL`` = 2^20),
a compiler present, not already inside ``torch.compile`` tracing (the caller's graph then holds
the plain formula and Inductor fuses it there), and on CPU neither the interleaved layout nor
float32/float64 partial rotary (the eager kernel measured faster there, see :func:`use_compiled`).
A failed compilation is remembered, warned about once, and that key falls back to eager. Call
:func:`posenc.encodings.kernels.warm_up` before a timed loop: the first call of a key compiles
(seconds).

Shapes: x (Tensor) [b, n_h, s, h_d]; cos, sin (Tensor) [s, r/2] or [b, 1, s, r/2], float32.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import warnings
from collections.abc import Callable

import torch
from torch import Tensor

from posenc.encodings.kernels.eager import LOW_PRECISION, apply_eager
from posenc.encodings.kernels.formula import rotate_formula

#: ``auto`` compiles at and above this many elements of x (4 MiB fp32): below it the launch and
#: guard overhead of a compiled call is comparable to the work, and tests and small models would
#: pay a compilation for nothing.
COMPILE_MIN_NUMEL = 1 << 20

_compiled: dict[tuple, Callable] = {}
_failed: set[tuple] = set()


# --------------------------------------------------------------------------------------------------
# whether to compile
# --------------------------------------------------------------------------------------------------


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
        if interleaved or (partial and x.dtype not in LOW_PRECISION):
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
# the compiled rotation
# --------------------------------------------------------------------------------------------------


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
    if x.dtype in LOW_PRECISION:
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


__all__ = ["COMPILE_MIN_NUMEL", "apply_compiled", "compiler_available", "cxx_compiler", "use_compiled"]
