"""Process and device setup for 1-process and DDP runs (``torchrun --nproc_per_node=N -m posenc.train``).

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE (and the rendezvous address) for every process;
we read them, join the process group with gloo on CPU or nccl on CUDA, and give each process
its device. Everything else is ``torch.distributed`` itself — nothing home-made.

Exiting: with gloo on CPU, a normal interpreter exit after ``destroy_process_group()`` crashed a
rank about one run in ten here, so ``posenc.train.__main__`` flushes stdout/stderr and leaves
with ``os._exit`` (see DESIGN.md, lessons).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class Process:
    """Where this process stands: its rank among ``world_size`` and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    owns_group: bool  # we called init_process_group, so we destroy it

    @property
    def is_main(self) -> bool:
        """Rank 0 writes the checkpoints, the log and the progress display."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(request: str, local_rank: int = 0) -> torch.device:
    """``"auto"``: ``cuda:<local_rank>`` when CUDA is present, else CPU; ``"cuda"`` without CUDA: error."""
    if request == "auto":
        request = "cuda" if torch.cuda.is_available() else "cpu"
    if request.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {request!r} was asked for, but torch.cuda.is_available() is False")
        return torch.device(request if ":" in request else f"cuda:{local_rank}")
    return torch.device(request)


def setup(device_request: str) -> Process:
    """Join the torchrun process group when launched by torchrun with WORLD_SIZE > 1."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Process(0, 1, 0, resolve_device(device_request), owns_group=False)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))  # RANK and WORLD_SIZE are read by init_process_group
    device = resolve_device(device_request, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Process(dist.get_rank(), dist.get_world_size(), local_rank, device, owns_group=owns)


def teardown(process: Process) -> None:
    """Leave the process group if :func:`setup` joined it."""
    if process.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def any_rank(process: Process, flag: bool) -> bool:
    """True on every rank when ``flag`` is true on any rank (an all-reduce of one number)."""
    if not process.distributed:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=process.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def mean_over_ranks(process: Process, value: float) -> float:
    """The mean of ``value`` over ranks (for logging the loss of the global batch)."""
    if not process.distributed:
        return value
    t = torch.tensor(
        [value], device=process.device, dtype=torch.float64 if process.device.type == "cpu" else None
    )
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return float(t.item()) / process.world_size


def barrier(process: Process) -> None:
    if process.distributed:
        dist.barrier()
