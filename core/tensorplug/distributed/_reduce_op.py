"""``ReduceOp``: how a reducing collective combines the ranks' values, as PyTorch's."""

from __future__ import annotations

import enum


class RedOpType(enum.IntEnum):
    """The reduction kinds (PyTorch's ``ReduceOp.RedOpType``, with its values)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self) -> str:
        return f"RedOpType.{self.name}"


class ReduceOp:
    """PyTorch's ``torch.distributed.ReduceOp``: ``ReduceOp.SUM``, ``AVG``, ``PRODUCT``,
    ``MIN``, ``MAX``, ``BAND``, ``BOR``, ``BXOR``, each a ``ReduceOp.RedOpType``.

    ``AVG`` is the sum divided by the group's size (floor division for integer tensors, as
    NCCL's ``ncclAvg``). ``PREMUL_SUM`` exists for the name only and is refused by the
    collectives, as on PyTorch's MPI and Gloo backends.
    """

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM

    def __init__(self, op: int) -> None:
        self.op = RedOpType(op)

    def __eq__(self, other: object) -> bool:
        other_op = other.op if isinstance(other, ReduceOp) else other
        return bool(self.op == other_op)

    def __hash__(self) -> int:
        return hash(self.op)

    def __repr__(self) -> str:
        return repr(self.op)


def as_red_op(op: object) -> RedOpType:
    """``op`` (a ``ReduceOp`` or one of its members) as a ``RedOpType``."""
    if isinstance(op, ReduceOp):
        return op.op
    if isinstance(op, RedOpType):
        return op
    raise TypeError(f"op must be a tensorplug.distributed.ReduceOp (e.g. ReduceOp.SUM), got {op!r}")
