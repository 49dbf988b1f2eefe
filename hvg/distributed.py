"""Several processes, one model: torchrun's set-up, DistributedDataParallel, rank 0's duties.

`python -m hvg train` runs unchanged under `torchrun --nproc_per_node K`: torchrun's
environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) starts a process group,
nccl on GPUs and gloo on CPUs. Without it (a notebook, a plain `python -m hvg`) every function
here answers for a single process and `parallel` returns the module itself, so single-process
training runs exactly the code it ran before.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from hvg.config import seed_everything

T = TypeVar("T")


def _launched_processes() -> int:
    """How many processes torchrun started (WORLD_SIZE), 1 without torchrun."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def device() -> torch.device:
    """Where this process trains: GPU number LOCAL_RANK when there are GPUs, else the CPU."""
    if not torch.cuda.is_available():
        return torch.device("cpu")
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if local >= torch.cuda.device_count():
        raise ValueError(
            f"process {local} has no GPU: this machine has {torch.cuda.device_count()}. Start "
            "at most one process per GPU (torchrun --nproc_per_node), or hide the GPUs "
            '(CUDA_VISIBLE_DEVICES="") to train on the CPU.'
        )
    return torch.device("cuda", local)


@contextlib.contextmanager
def launched() -> Iterator[None]:
    """Join the process group of the processes torchrun started, and leave it afterwards.

    Does nothing for a single process, or when the caller has set up a group already.
    """
    if _launched_processes() == 1 or dist.is_initialized():
        yield
        return
    here = device()
    if here.type == "cuda":
        torch.cuda.set_device(here)
    dist.init_process_group("nccl" if here.type == "cuda" else "gloo")
    try:
        yield
    finally:
        # A DistributedDataParallel wrapper still alive when its group is destroyed makes the
        # process abort at exit (seen with gloo, torch 2.14): free the unreachable ones first.
        gc.collect()
        dist.destroy_process_group()


def world_size() -> int:
    """The number of processes training together (1 without a process group)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    """This process's number among them, from 0 (0 without a process group)."""
    return dist.get_rank() if dist.is_initialized() else 0


def is_main() -> bool:
    """True in the one process that writes checkpoints, prints and shows progress bars."""
    return rank() == 0


def parallel(module: nn.Module) -> nn.Module:
    """`module` wrapped in DistributedDataParallel when several processes train, else itself.

    Call it on the network a step runs forward, after moving it to its device; keep the plain
    module for checkpoints. The wrapper averages gradients over the processes during
    backward, starts every process from rank 0's weights, and before each forward copies
    rank 0's buffers (batch norm's running statistics, which only eval mode uses) to the
    others: DDP's defaults, which behave the same in every torch the course supports.
    """
    return DistributedDataParallel(module) if world_size() > 1 else module


def no_sync(module: nn.Module) -> contextlib.AbstractContextManager:
    """A context in which backward through `module` skips the gradient all-reduce."""
    if isinstance(module, DistributedDataParallel):
        return module.no_sync()
    return contextlib.nullcontext()


def seed_rank(seed: int) -> None:
    """Give every process its own noise once the (identical) model is built.

    Rank 0, like a single process, keeps drawing from `seed`'s stream as it always did;
    rank r > 0 switches to seed + r.
    """
    if rank() > 0:
        seed_everything(seed + rank())


def barrier() -> None:
    """Wait until every process gets here (nothing to wait for in a single process)."""
    if world_size() > 1:
        dist.barrier()


def _collective_device() -> torch.device:
    """Where tensors for a collective must live: the GPU for nccl, the CPU for gloo."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def average(values: dict[str, float]) -> dict[str, float]:
    """Each value averaged over the processes (one all-reduce); unchanged for one process."""
    if world_size() == 1:
        return values
    total = torch.tensor(list(values.values()), dtype=torch.float64, device=_collective_device())
    dist.all_reduce(total)
    return dict(zip(values, (total / world_size()).tolist(), strict=True))


def average_(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """Average each tensor (a gradient, say) over the processes in place; for steps that take
    gradients with torch.autograd.grad, which DistributedDataParallel's hooks never see."""
    if world_size() > 1:
        for tensor in tensors:
            dist.all_reduce(tensor)
            tensor /= world_size()
    return tensors


def gather(value: T) -> list[T]:
    """Every process's `value` (any picklable object), in rank order; [value] for one process."""
    if world_size() == 1:
        return [value]
    values: list = [None] * world_size()
    dist.all_gather_object(values, value)
    return values
