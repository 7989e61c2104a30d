"""Point-to-point: ``send``, ``recv``, ``isend``, ``irecv``, as PyTorch's (ranks are global
ranks unless given as ``group_dst``/``group_src``)."""

from __future__ import annotations

from typing import Any

from ._group import ProcessGroup, default_group
from ._staging import array_of, check_tensor, updated
from ._work import Work


def isend(
    tensor: Any,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_dst: int | None = None,
) -> Work:
    """Send ``tensor`` to rank ``dst``; the returned ``Work`` finishes when it was sent."""
    g, t = default_group(group), check_tensor(tensor)
    peer = g.group_rank(dst, group_dst, "dst")
    if peer == g.rank():
        raise ValueError(
            "Invalid destination rank: should not be the same as rank of the current process."
        )
    arr, _ = array_of(g.transport, t)
    arr = arr.copy()  # the tensor may change before the message leaves
    return g.run("send", lambda: g.transport.send(arr, peer, tag))


def irecv(
    tensor: Any,
    src: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_src: int | None = None,
) -> Work:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); ``wait()`` then
    ``result()`` gives the sender's global rank."""
    g, t = default_group(group), check_tensor(tensor)
    peer = None if src is None and group_src is None else g.group_rank(src, group_src, "src")
    arr, finish = updated(g.transport, t)
    source: list[int] = []

    def done() -> int:
        if finish is not None:
            finish()
        return g.global_rank(source[0])

    return g.run("recv", lambda: source.append(g.transport.recv(arr, peer, tag)), None, done)


def send(
    tensor: Any,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_dst: int | None = None,
) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until it was sent."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(
    tensor: Any,
    src: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_src: int | None = None,
) -> int:
    """Receive into ``tensor`` from ``src`` (any rank when None); returns the sender's rank."""
    return int(irecv(tensor, src, group, tag, group_src).result())
