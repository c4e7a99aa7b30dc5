"""Native C++ kernels for the RoPE rotation on CPU: one pass over x, float32 and bf16, both layouts.

Each kernel reads a pair, rotates it in float32 and writes it, features ≥ r copied in the same pass
(``rope_rotate.cpp`` beside this file); bf16 is widened with a 16-bit shift and rounded once to bf16 (nearest
even, NaN kept — c10::BFloat16's rounding), an interleaved bf16 pair read and written as one 32-bit
word. Measured on 2 cores (benchmarks/rope_apply.py, q and k of (4, 16, 2048, 128)): 1.0-1.2× the
copy floor in every layout, dtype and partial-rotary case, where the eager ops reach 1.25-1.55× on
partial rotary and interleaved bf16 and Inductor's loops 1.4-2.1× there. Built with
``-ffp-contract=off`` (no fused multiply-adds), every product and sum is rounded as torch's float32
ops round it: the result equals ``x₁·cos − x₂·sin`` etc. computed by torch in float32 (bf16: then
rounded to bf16 by torch) to the bit — for bf16 more accurate than the compiled and eager paths,
which round the tables or the intermediate products to bf16.

Built on first use with the system C++ compiler (``$CXX``, else g++, c++ or clang++; about a second)
as ``-O3 -march=native``, and cached in ``$POSENC_CACHE_DIR`` (default ``~/.cache/posenc``) under a
name that hashes the source, the flags, the compiler and this CPU's feature flags, so a cache shared
between machines never loads a library built for another CPU. Loaded through ctypes (a plain C ABI:
no Python headers, no torch headers). A failed build is warned about once and the other paths run.

``posenc.encodings.rope.apply`` takes this path under ``impl="auto"`` for large float32/bf16 x (≥
``compiled.COMPILE_MIN_NUMEL`` elements) on CPU when a compiler is present.
``python -m posenc.encodings.kernels.native`` builds the kernels ahead of time (e.g. in an image
build), prints where they are and checks each against torch.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import torch
from torch import Tensor

from posenc.encodings.kernels.compiled import COMPILE_MIN_NUMEL
from posenc.encodings.kernels.compiled import cxx_compiler as compiler
from posenc.encodings.kernels.eager import Rotation
from posenc.encodings.kernels.formula import rotate_formula

SOURCE = Path(__file__).with_name("rope_rotate.cpp")
#: the kernel of each (dtype, interleaved): an ``extern "C"`` function of SOURCE
ENTRIES = {
    (torch.float32, False): "posenc_rope_f32_half",
    (torch.float32, True): "posenc_rope_f32_interleaved",
    (torch.bfloat16, False): "posenc_rope_bf16_half",
    (torch.bfloat16, True): "posenc_rope_bf16_interleaved",
}
FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-shared", "-fPIC", "-std=c++17", "-pthread")
CACHE_ENV = "POSENC_CACHE_DIR"

_lock = threading.Lock()
_state: dict[str, object] = {}  # "library": the loaded library, or "failed": the reason


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
    return cache_dir() / f"rope_rotate-{digest.hexdigest()[:16]}.so"


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


def library() -> ctypes.CDLL | None:
    """The loaded kernel library, building it first if needed; None (with one warning) if that fails."""
    with _lock:
        if "library" in _state:
            return _state["library"]
        if "failed" in _state:
            return None
        try:
            cxx = compiler()
            if cxx is None:
                raise RuntimeError("no C++ compiler found ($CXX, g++, c++, clang++)")
            if sys.byteorder != "little":
                raise RuntimeError("the bf16 kernels read values as little-endian words")
            path = library_path(cxx)
            if not path.exists():
                _build(cxx, path)
            lib = ctypes.CDLL(str(path))
            for name in ENTRIES.values():
                fn = getattr(lib, name)
                fn.restype = ctypes.c_int
                fn.argtypes = [ctypes.c_void_p] * 5 + [ctypes.c_int64]
        except (OSError, AttributeError, RuntimeError, subprocess.SubprocessError) as err:
            _state["failed"] = str(err)
            warnings.warn(
                f"the native RoPE kernels are not available ({err}); using the other paths",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        _state["library"] = lib
        return lib


def use_native(x: Tensor, impl: str) -> bool:
    """Whether ``apply`` should run a native kernel: ``auto``, float32 or bf16 on CPU, large x, not
    inside ``torch.compile`` tracing (the caller's graph fuses the plain formula there), a compiler
    present and the library not failed to build."""
    return (
        impl == "auto"
        and x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.bfloat16)
        and x.numel() >= COMPILE_MIN_NUMEL
        and not torch.compiler.is_compiling()
        and "failed" not in _state
        and ("library" in _state or compiler() is not None)
    )


def rotate(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor | None:
    """The rotation of float32/bf16 x [b, n_h, s, h_d] by cos/sin [s, r/2] or [b, 1, s, r/2] (taken
    in float32); None where the library is unavailable. No autograd (see :func:`apply_native`)."""
    lib = library()
    if lib is None:
        return None
    b, n_h, s, h_d = x.shape
    half = cos.shape[-1]
    per_batch = cos.dim() == 4 and cos.shape[0] > 1
    cos = cos.float().reshape(-1, s, half).contiguous()  # [b or 1, s, r/2]
    sin = sin.float().reshape(-1, s, half).contiguous()
    if x.stride(-1) != 1:  # the kernel reads each row's features as one contiguous run
        x = x.contiguous()
    y = torch.empty(x.shape, dtype=x.dtype, device=x.device)  # contiguous whatever x's strides
    dims = torch.tensor([b, n_h, s, h_d, half, *x.stride()[:3], s * half if per_batch else 0])
    getattr(lib, ENTRIES[(x.dtype, interleaved)])(
        x.data_ptr(), y.data_ptr(), cos.data_ptr(), sin.data_ptr(), dims.data_ptr(), torch.get_num_threads()
    )
    return y


def apply_native(x: Tensor, cos: Tensor, sin: Tensor, interleaved: bool) -> Tensor | None:
    """The native rotation with autograd for x; None where the library is unavailable (the caller then
    takes another path) or where cos/sin need gradients."""
    if torch.is_grad_enabled() and (cos.requires_grad or sin.requires_grad):
        return None
    if library() is None:
        return None
    if torch.is_grad_enabled() and x.requires_grad:
        return Rotation.apply(x, cos, sin, interleaved, rotate)
    return rotate(x, cos, sin, interleaved)


def main() -> int:
    """``python -m posenc.encodings.kernels.native``: build (or load) the kernels now, say where they are,
    and check each against torch's float32 ops on a small input. Exit status 0 when all four agree."""
    lib = library()
    if lib is None:
        print(f"native RoPE kernels: not available ({_state.get('failed')})")
        return 1
    print(f"native RoPE kernels: {library_path(compiler())}")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 16, generator=gen)
    angles = torch.arange(5.0)[:, None] * torch.rand(6, generator=gen)  # [s, r/2], partial rotary
    cos, sin = angles.cos(), angles.sin()
    ok = True
    for dtype, interleaved in ENTRIES:
        xd = x.to(dtype)
        expected = rotate_formula(xd, cos, sin, interleaved)  # torch's float32 ops, rounded once
        same = torch.equal(rotate(xd, cos, sin, interleaved), expected)
        ok &= same
        layout = "interleaved" if interleaved else "half"
        print(
            f"  {str(dtype).removeprefix('torch.'):9} {layout:11} {'equal to torch' if same else 'DIFFERS'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["apply_native", "cache_dir", "compiler", "library", "library_path", "main", "rotate", "use_native"]
