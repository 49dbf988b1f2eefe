"""Several processes, one model: torchrun's set-up, averaged gradients, rank 0's duties.

`python -m hvg train` runs unchanged under `torchrun --nproc_per_node K`: torchrun's
environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) starts a process group,
nccl on GPUs and gloo on CPUs. Data parallelism lives in one place, `hvg.train.fit`: it starts
every process from rank 0's weights (`broadcast_`) and makes each optimizer average its
gradients over the processes before it steps (`synchronised`), so a recipe's step is the same
code for one process or many. Without torchrun (a notebook, a plain `python -m hvg`) every
function here answers for a single process and does nothing to the model.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn

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


def broadcast_(module: nn.Module) -> None:
    """Copy rank 0's parameters and buffers to every process, in place (one process: nothing)."""
    if world_size() > 1:
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


@contextlib.contextmanager
def synchronised(optimizers: list[torch.optim.Optimizer]) -> Iterator[None]:
    """Within the context, each optimizer averages its parameters' gradients over the
    processes just before it steps (a step pre-hook): one all-reduce of all of them, flattened.

    It averages whatever made the gradients (backward, or torch.autograd.grad as in Algorithm
    1), and only what is about to be used: gradients that a step leaves on a network it does
    not update (a GAN's discriminator after the generator's loss) are never sent. A recipe
    whose step may skip an optimizer must decide alike in every process (the VAE-GAN's gate
    reads averaged losses), or the processes would wait on each other forever.
    """
    if world_size() == 1:
        yield
        return
    handles = [o.register_step_pre_hook(lambda o, *_: _average_gradients(o)) for o in optimizers]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _average_gradients(optimizer: torch.optim.Optimizer) -> None:
    """Average the gradients of an optimizer's parameters over the processes, in place."""
    grads = [
        p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None
    ]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size()
    for grad, part in zip(grads, flat.split([g.numel() for g in grads]), strict=True):
        grad.copy_(part.view_as(grad))


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


def gather(value: T) -> list[T]:
    """Every process's `value` (any picklable object), in rank order; [value] for one process."""
    if world_size() == 1:
        return [value]
    values: list = [None] * world_size()
    dist.all_gather_object(values, value)
    return values
