"""A native C++ kernel for the one case the eager and compiled paths leave far from the copy: RoPE on
interleaved bf16 pairs, on CPU.

Each pair (x₂ᵢ, x₂ᵢ₊₁) is one 32-bit word: the kernel widens both halves to float32 with a shift and a
mask, rotates, rounds each result to bf16 (nearest even, NaN kept — c10::BFloat16's rounding) and
writes the pair back, in one pass over x (``native/rope_bf16_pairs.cpp``). Measured on 2 cores
(benchmarks/rope_apply.py): ~1.1× the q/k copy floor, against ~1.5× for the eager float32-block path
and ~2× for Inductor's loop over strided pairs. Built with ``-ffp-contract=off`` (no fused
multiply-adds), its products and sums are rounded as torch's float32 ops round them, so its result
equals the eager path's to the bit.

Built on first use with the system C++ compiler (``$CXX``, else g++, c++ or clang++; about a second)
as ``-O3 -march=native``, and cached in ``$POSENC_CACHE_DIR`` (default ``~/.cache/posenc``) under a
name that hashes the source, the flags, the compiler and this CPU's feature flags, so a cache shared
between machines never loads a library built for another CPU. Loaded through ctypes (a plain C ABI:
no Python headers, no torch headers). A failed build is warned about once and the eager path runs.

``posenc.encodings.rope.apply`` takes this path under ``impl="auto"`` for large bf16 x (≥
``rope_fast.COMPILE_MIN_NUMEL`` elements) in the interleaved layout on CPU when a compiler is present.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import torch
from torch import Tensor

SOURCE = Path(__file__).with_name("native") / "rope_bf16_pairs.cpp"
FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-shared", "-fPIC", "-std=c++17", "-pthread")
CACHE_ENV = "POSENC_CACHE_DIR"

_lock = threading.Lock()
_state: dict[str, object] = {}  # "kernel": the loaded function, or "failed": the reason


def compiler() -> str | None:
    """Path of the C++ compiler to build with: ``$CXX``, else g++, c++ or clang++; None if none."""
    for name in (os.environ.get("CXX", ""), "g++", "c++", "clang++"):
        if name and (path := shutil.which(name)):
            return path
    return None


def cache_dir() -> Path:
    """Where built kernels are kept: ``$POSENC_CACHE_DIR``, else ``$XDG_CACHE_HOME/posenc`` or
    ``~/.cache/posenc`` — or, where that cannot be created or written (a read-only home), a
    per-user folder in the temporary directory."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posenc"
    try:
        base.mkdir(parents=True, exist_ok=True)
        if os.access(base, os.W_OK):
            return base
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"posenc-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


@functools.cache
def _cpu_flags() -> str:
    """This CPU's feature flags (what ``-march=native`` builds for), or the machine name if unknown."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line
    except OSError:
        pass
    return platform.machine()


def library_path(cxx: str) -> Path:
    """The cached library's path for this source, flags, compiler and CPU."""
    digest = hashlib.sha256()
    for part in (SOURCE.read_text(), " ".join(FLAGS), cxx, _cpu_flags()):
        digest.update(part.encode())
    return cache_dir() / f"rope_bf16_pairs-{digest.hexdigest()[:16]}.so"


def _build(cxx: str, target: Path) -> None:
    """Compile SOURCE into ``target`` (written under a temporary name, then renamed: a concurrent
    build or a killed one never leaves a half-written library under the final name)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=target.stem, suffix=".tmp")
    os.close(fd)
    try:
        done = subprocess.run(
            [cxx, *FLAGS, str(SOURCE), "-o", partial], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(cxx).name} exited {done.returncode}: {done.stderr.strip()[-500:]}")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def kernel():
    """The loaded C function, building it first if needed; None (with one warning) if that fails."""
    with _lock:
        if "kernel" in _state:
            return _state["kernel"]
        if "failed" in _state:
            return None
        try:
            cxx = compiler()
            if cxx is None:
                raise RuntimeError("no C++ compiler found ($CXX, g++, c++, clang++)")
            if sys.byteorder != "little":
                raise RuntimeError("the kernel reads bf16 pairs as little-endian 32-bit words")
            path = library_path(cxx)
            if not path.exists():
                _build(cxx, path)
            fn = ctypes.CDLL(str(path)).posenc_rope_bf16_pairs
        except (OSError, RuntimeError, subprocess.SubprocessError) as err:
            _state["failed"] = str(err)
            warnings.warn(
                f"the native bf16 RoPE kernel is not available ({err}); using the eager path",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_int64] * 7
        _state["kernel"] = fn
        return fn


def use_native(x: Tensor, impl: str, interleaved: bool) -> bool:
    """Whether ``apply`` should run the native kernel: ``auto``, interleaved, bf16, CPU, large x, not
    inside ``torch.compile`` tracing, a compiler present and the kernel not failed to build."""
    from posenc.encodings.rope_fast import COMPILE_MIN_NUMEL

    return (
        impl == "auto"
        and interleaved
        and x.dtype == torch.bfloat16
        and x.device.type == "cpu"
        and x.numel() >= COMPILE_MIN_NUMEL
        and not torch.compiler.is_compiling()
        and "failed" not in _state
        and compiler() is not None
    )


def rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor | None:
    """The rotation of bf16 x [b, n_h, s, h_d] by float32 cos/sin [s, r/2] or [b, 1, s, r/2] (or
    broadcastable to it); None where the kernel is unavailable. No autograd (see :func:`apply_native`)."""
    fn = kernel()
    if fn is None:
        return None
    b, n_h, s, h_d = x.shape
    half = cos.shape[-1]
    per_batch = cos.dim() == 4 and cos.shape[0] > 1
    cos = cos.float().reshape(-1, s, half).contiguous()  # [b or 1, s, r/2]
    sin = sin.float().reshape(-1, s, half).contiguous()
    x = x.contiguous()
    y = torch.empty_like(x)
    fn(
        x.data_ptr(),
        y.data_ptr(),
        cos.data_ptr(),
        sin.data_ptr(),
        b * n_h * s,  # rows of h_d features
        s,
        n_h * s,  # rows per batch element
        s * half if per_batch else 0,  # table stride between batch elements
        h_d,
        half,
        torch.get_num_threads(),
    )
    return y


class _NativeRotate(torch.autograd.Function):
    """y = R(θ) x by the native kernel; dL/dx = R(−θ) dL/dy (R is orthogonal)."""

    @staticmethod
    def forward(ctx, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        ctx.save_for_backward(cos, sin)
        return rotate(x, cos, sin)

    @staticmethod
    def backward(ctx, grad: Tensor):
        cos, sin = ctx.saved_tensors
        return _NativeRotate.apply(grad, cos, -sin), None, None


def apply_native(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor | None:
    """The native rotation with autograd for x; None where the kernel is unavailable (the caller then
    takes the eager path) or where cos/sin need gradients."""
    if torch.is_grad_enabled() and (cos.requires_grad or sin.requires_grad):
        return None
    if kernel() is None:
        return None
    if torch.is_grad_enabled() and x.requires_grad:
        return _NativeRotate.apply(x, cos, sin)
    return rotate(x, cos, sin)


__all__ = ["apply_native", "cache_dir", "compiler", "kernel", "library_path", "rotate", "use_native"]
