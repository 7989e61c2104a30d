"""The tensor collectives, PyTorch's names and signatures: each checks its arguments in the
caller's thread, queues the communication on the group's worker (``_work.py``) and returns
None, or a ``Work`` with ``async_op=True``.

As in PyTorch's c10d API the collectives are not differentiable: they read and write the
tensors' data, outside autograd (a tensor that requires grad is written as ``.data`` would be).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._group import ProcessGroup, default_group
from ._mpi import check_op
from ._reduce_op import ReduceOp, as_red_op
from ._staging import array_of, check_tensor, describe, updated, writer
from ._work import Work


def _issue(
    g: ProcessGroup, name: str, fn: Any, meta: Any, finish: Any, async_op: bool
) -> Work | None:
    work = g.run(name, fn, meta, finish)
    if async_op:
        return work
    work.wait()
    return None


def _same(name: str, tensors: Sequence[Any], like: Any) -> None:
    """Every tensor of a list as ``like`` (dtype and number of elements)."""
    for i, t in enumerate(tensors):
        check_tensor(t, f"{name}[{i}]")
        if t.dtype != like.dtype or t.numel() != like.numel():
            raise ValueError(
                f"{name}[{i}] has shape {tuple(t.shape)} and dtype {t.dtype}; it must have "
                f"{like.numel()} elements of dtype {like.dtype} as the input "
                f"{tuple(like.shape)}"
            )


def _sized(name: str, tensors: Sequence[Any], g: ProcessGroup) -> None:
    if len(tensors) != g.size():
        raise ValueError(
            f"{name} must hold one tensor per rank of the group ({g.size()}), got {len(tensors)}"
        )


def all_reduce(
    tensor: Any, op: Any = ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """``tensor`` replaced, on every rank, by the reduction (``op``) of all ranks' tensors."""
    g, t, red = default_group(group), check_tensor(tensor), as_red_op(op)
    arr, finish = updated(g.transport, t)
    check_op(red, arr.dtype)
    fn = lambda: g.transport.allreduce(arr, red)  # noqa: E731
    return _issue(g, "all_reduce", fn, (describe(t), red.name), finish, async_op)


def broadcast(
    tensor: Any,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """Rank ``src``'s ``tensor`` copied into ``tensor`` on every other rank."""
    g, t = default_group(group), check_tensor(tensor)
    root = g.group_rank(src, group_src, "src")
    arr, finish = updated(g.transport, t)
    fn = lambda: g.transport.broadcast(arr, root)  # noqa: E731
    return _issue(g, "broadcast", fn, (describe(t), root), finish, async_op)


def reduce(
    tensor: Any,
    dst: int | None = None,
    op: Any = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """The reduction of all ranks' ``tensor`` into ``tensor`` on rank ``dst`` (the others'
    are left as they were)."""
    g, t, red = default_group(group), check_tensor(tensor), as_red_op(op)
    root = g.group_rank(dst, group_dst, "dst")
    arr, finish = updated(g.transport, t)
    check_op(red, arr.dtype)
    fn = lambda: g.transport.reduce(arr, red, root)  # noqa: E731
    return _issue(g, "reduce", fn, (describe(t), red.name, root), finish, async_op)


def all_gather(
    tensor_list: list[Any], tensor: Any, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """``tensor_list[r]`` = rank ``r``'s ``tensor``, on every rank."""
    g, t = default_group(group), check_tensor(tensor)
    _sized("tensor_list", tensor_list, g)
    _same("tensor_list", tensor_list, t)
    send, _ = array_of(g.transport, t)
    recv = g.transport.empty((g.size(), *send.shape), send.dtype)
    finish = writer(g.transport, [(o, recv[i]) for i, o in enumerate(tensor_list)])
    fn = lambda: g.transport.allgather(send, recv)  # noqa: E731
    return _issue(g, "all_gather", fn, describe(t), finish, async_op)


def all_gather_into_tensor(
    output_tensor: Any, input_tensor: Any, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """The ranks' ``input_tensor`` concatenated (or stacked) into ``output_tensor``, whose
    size is the group's size times the input's."""
    g, out, t = default_group(group), check_tensor(output_tensor), check_tensor(input_tensor)
    if out.dtype != t.dtype or out.numel() != g.size() * t.numel():
        raise ValueError(
            f"output tensor must have dtype {t.dtype} and {g.size()} times the input's "
            f"{t.numel()} elements, got shape {tuple(out.shape)} and dtype {out.dtype}"
        )
    send, _ = array_of(g.transport, t)
    recv, finish = updated(g.transport, out)
    fn = lambda: g.transport.allgather(send, recv)  # noqa: E731
    return _issue(g, "all_gather_into_tensor", fn, describe(t), finish, async_op)


def reduce_scatter(
    output: Any,
    input_list: list[Any],
    op: Any = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """``output`` on rank ``r`` = the reduction over ranks of their ``input_list[r]``."""
    g, out, red = default_group(group), check_tensor(output), as_red_op(op)
    _sized("input_list", input_list, g)
    _same("input_list", input_list, out)
    send = g.transport.stack([array_of(g.transport, t)[0] for t in input_list])
    recv, finish = updated(g.transport, out)
    check_op(red, recv.dtype)
    fn = lambda: g.transport.reduce_scatter(send, recv, red)  # noqa: E731
    return _issue(g, "reduce_scatter", fn, (describe(out), red.name), finish, async_op)


def reduce_scatter_tensor(
    output: Any,
    input: Any,
    op: Any = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """``input`` split into the group's size of equal chunks; rank ``r`` gets the reduction
    of chunk ``r`` over all ranks in ``output``."""
    g, out, t = default_group(group), check_tensor(output), check_tensor(input)
    red = as_red_op(op)
    if out.dtype != t.dtype or t.numel() != g.size() * out.numel():
        raise ValueError(
            f"input tensor must have dtype {out.dtype} and {g.size()} times the output's "
            f"{out.numel()} elements, got shape {tuple(t.shape)} and dtype {t.dtype}"
        )
    send, _ = array_of(g.transport, t)
    recv, finish = updated(g.transport, out)
    check_op(red, recv.dtype)
    fn = lambda: g.transport.reduce_scatter(send, recv, red)  # noqa: E731
    return _issue(g, "reduce_scatter_tensor", fn, (describe(t), red.name), finish, async_op)


def gather(
    tensor: Any,
    gather_list: list[Any] | None = None,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """``gather_list[r]`` on rank ``dst`` = rank ``r``'s ``tensor``."""
    g, t = default_group(group), check_tensor(tensor)
    root = g.group_rank(0 if dst is None and group_dst is None else dst, group_dst, "dst")
    send, _ = array_of(g.transport, t)
    recv, finish = None, None
    if g.rank() == root:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _sized("gather_list", gather_list, g)
        _same("gather_list", gather_list, t)
        recv = g.transport.empty((g.size(), *send.shape), send.dtype)
        finish = writer(g.transport, [(o, recv[i]) for i, o in enumerate(gather_list)])
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    fn = lambda: g.transport.gather(send, recv, root)  # noqa: E731
    return _issue(g, "gather", fn, (describe(t), root), finish, async_op)


def scatter(
    tensor: Any,
    scatter_list: list[Any] | None = None,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """``tensor`` on rank ``r`` = rank ``src``'s ``scatter_list[r]``."""
    g, t = default_group(group), check_tensor(tensor)
    root = g.group_rank(0 if src is None and group_src is None else src, group_src, "src")
    send = None
    if g.rank() == root:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _sized("scatter_list", scatter_list, g)
        _same("scatter_list", scatter_list, t)
        send = g.transport.stack([array_of(g.transport, s)[0] for s in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    recv, finish = updated(g.transport, t)
    fn = lambda: g.transport.scatter(send, recv, root)  # noqa: E731
    return _issue(g, "scatter", fn, (describe(t), root), finish, async_op)


def all_to_all(
    output_tensor_list: list[Any],
    input_tensor_list: list[Any],
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """``output_tensor_list[r]`` on rank ``q`` = rank ``r``'s ``input_tensor_list[q]``. All
    tensors have one shape and dtype (PyTorch's uneven splits are not supported)."""
    g = default_group(group)
    _sized("input_tensor_list", input_tensor_list, g)
    _sized("output_tensor_list", output_tensor_list, g)
    first = check_tensor(input_tensor_list[0], "input_tensor_list[0]")
    _same("input_tensor_list", input_tensor_list, first)
    _same("output_tensor_list", output_tensor_list, first)
    send = g.transport.stack([array_of(g.transport, s)[0] for s in input_tensor_list])
    recv = g.transport.empty(send.shape, send.dtype)
    finish = writer(g.transport, [(o, recv[i]) for i, o in enumerate(output_tensor_list)])
    fn = lambda: g.transport.alltoall(send, recv)  # noqa: E731
    return _issue(g, "all_to_all", fn, describe(first), finish, async_op)


def all_to_all_single(
    output: Any,
    input: Any,
    output_split_sizes: Any = None,
    input_split_sizes: Any = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """``input`` split evenly along its first dimension, chunk ``q`` sent to rank ``q``;
    ``output`` holds the chunks received, in rank order (even splits only)."""
    g, out, t = default_group(group), check_tensor(output), check_tensor(input)
    if output_split_sizes is not None or input_split_sizes is not None:
        raise NotImplementedError("all_to_all_single with uneven split sizes is not supported")
    if out.dtype != t.dtype or out.numel() != t.numel() or t.numel() % g.size():
        raise ValueError(
            f"all_to_all_single needs input and output of one dtype and size, divisible by the "
            f"group's size {g.size()}; got {tuple(t.shape)} {t.dtype} and "
            f"{tuple(out.shape)} {out.dtype}"
        )
    send, _ = array_of(g.transport, t)
    recv, finish = updated(g.transport, out)
    fn = lambda: g.transport.alltoall(send, recv)  # noqa: E731
    return _issue(g, "all_to_all_single", fn, describe(t), finish, async_op)


def barrier(
    group: ProcessGroup | None = None,
    async_op: bool = False,
    device_ids: Any = None,
    timeout: Any = None,
) -> Work | None:
    """Wait until every rank of the group reached the barrier."""
    g = default_group(group)
    work = g.run("barrier", g.transport.barrier, "barrier", None)
    if async_op:
        return work
    work.wait(timeout)
    return None
