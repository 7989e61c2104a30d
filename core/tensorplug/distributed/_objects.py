"""Collectives of picklable Python objects (``broadcast_object_list``, ``all_gather_object``,
``gather_object``, ``scatter_object_list``): pickled by mpi4py's lower-case methods on the
group's MPI communicator, in the group's worker (so in order with its tensor collectives).

As PyTorch warns for its own: unpickling runs arbitrary code, so use them only between
processes of one job you trust.
"""

from __future__ import annotations

from typing import Any

from ._group import ProcessGroup, default_group


def _run(g: ProcessGroup, name: str, fn: Any) -> Any:
    return g.run(name, fn).result()


def broadcast_object_list(
    object_list: list[Any],
    src: int | None = None,
    group: ProcessGroup | None = None,
    device: Any = None,
    group_src: int | None = None,
) -> None:
    """``object_list``'s items replaced, in place, by rank ``src``'s."""
    g = default_group(group)
    root = g.group_rank(src, group_src, "src")
    mine = list(object_list) if g.rank() == root else None
    got = _run(g, "broadcast_object_list", lambda: g.comm.bcast(mine, root=root))
    if len(got) != len(object_list):
        raise ValueError(
            f"broadcast_object_list: rank {g.global_rank(root)} sent {len(got)} objects but this "
            f"rank's object_list has {len(object_list)} places"
        )
    object_list[:] = got


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """``object_list[r]`` = rank ``r``'s ``obj`` (``object_list`` has one place per rank)."""
    g = default_group(group)
    if len(object_list) != g.size():
        raise ValueError(
            f"object_list must have {g.size()} places (the group's size), got {len(object_list)}"
        )
    object_list[:] = _run(g, "all_gather_object", lambda: g.comm.allgather(obj))


def gather_object(
    obj: Any,
    object_gather_list: list[Any] | None = None,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    group_dst: int | None = None,
) -> None:
    """``object_gather_list[r]`` on rank ``dst`` = rank ``r``'s ``obj``."""
    g = default_group(group)
    root = g.group_rank(0 if dst is None and group_dst is None else dst, group_dst, "dst")
    if g.rank() == root and (object_gather_list is None or len(object_gather_list) != g.size()):
        raise ValueError(f"object_gather_list must have {g.size()} places on the destination rank")
    got = _run(g, "gather_object", lambda: g.comm.gather(obj, root=root))
    if g.rank() == root:
        assert object_gather_list is not None
        object_gather_list[:] = got


def scatter_object_list(
    scatter_object_output_list: list[Any],
    scatter_object_input_list: list[Any] | None = None,
    src: int | None = None,
    group: ProcessGroup | None = None,
    group_src: int | None = None,
) -> None:
    """``scatter_object_output_list[0]`` on rank ``r`` = rank ``src``'s
    ``scatter_object_input_list[r]``."""
    g = default_group(group)
    root = g.group_rank(0 if src is None and group_src is None else src, group_src, "src")
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError(
            "Expected argument scatter_object_output_list to be a list of size at least 1."
        )
    items = None
    if g.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != g.size():
            raise ValueError(
                f"scatter_object_input_list must have {g.size()} items on the source rank"
            )
        items = list(scatter_object_input_list)
    scatter_object_output_list[0] = _run(
        g, "scatter_object_list", lambda: g.comm.scatter(items, root=root)
    )
