"""The MPI transport: a group's collectives on contiguous host (NumPy) arrays, through
mpi4py's buffer interface (no pickling, no per-element Python: MPI reads and writes the
arrays' memory).

Datatypes come from the arrays' buffer format (mpi4py's mapping: ``float16`` is MPICH's
``MPIX_C_FLOAT16``, ``bool`` is ``MPI_C_BOOL``). MPI defines only logical reductions on
``MPI_C_BOOL``, so a bool ``SUM``/``MAX``/``BOR`` is a logical or, ``PRODUCT``/``MIN``/``BAND``
a logical and and ``BXOR`` an exclusive or (what a sum or product of bools cast back to bool
gives). ``AVG`` is a ``SUM`` divided by the group's size afterwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._reduce_op import RedOpType


def mpi() -> Any:
    """mpi4py's ``MPI`` module, or an ImportError saying what to install."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            'tensorplug.distributed needs mpi4py and an MPI library: pip install "tensorplug[mpi]" '
            "(mpi4py and MPICH from the package index), or mpi4py built against your cluster's "
            f"MPI (docs/distributed.md) ({e})"
        ) from e
    return MPI


def check_op(op: RedOpType, dtype: np.dtype[Any]) -> None:
    """Refuse, with PyTorch's kind of message, a reduction the dtype has no meaning for."""
    if op == RedOpType.PREMUL_SUM:
        raise ValueError("ReduceOp.PREMUL_SUM is not supported by the MPI and NCCL groups")
    if dtype.kind == "f" and op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with {dtype} tensors")
    if dtype.kind == "b" and op == RedOpType.AVG:
        raise RuntimeError("Cannot use ReduceOp.AVG with bool tensors")


def average(a: Any, size: int) -> None:
    """``a`` (NumPy or CuPy) divided by ``size`` in place: floor division for integers."""
    if a.dtype.kind == "f":
        a /= size
    else:
        a //= size


class MpiTransport:
    """Collectives of one MPI communicator on contiguous NumPy arrays."""

    name = "mpi"
    staged = True
    """Arrays must be host NumPy arrays: other backends' tensors are staged through host."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.MPI = mpi()
        self.size = comm.Get_size()
        m = self.MPI
        self._ops = {
            RedOpType.SUM: m.SUM, RedOpType.AVG: m.SUM, RedOpType.PRODUCT: m.PROD,
            RedOpType.MIN: m.MIN, RedOpType.MAX: m.MAX, RedOpType.BAND: m.BAND,
            RedOpType.BOR: m.BOR, RedOpType.BXOR: m.BXOR,
        }  # fmt: skip
        self._bool_ops = {
            RedOpType.SUM: m.LOR, RedOpType.PRODUCT: m.LAND, RedOpType.MIN: m.LAND,
            RedOpType.MAX: m.LOR, RedOpType.BAND: m.LAND, RedOpType.BOR: m.LOR,
            RedOpType.BXOR: m.LXOR,
        }  # fmt: skip

    @staticmethod
    def empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray[Any, Any]:
        return np.empty(shape, dtype)

    @staticmethod
    def stack(arrays: list[Any]) -> np.ndarray[Any, Any]:
        return np.stack(arrays)

    def _op(self, op: RedOpType, a: np.ndarray[Any, Any]) -> Any:
        return (self._bool_ops if a.dtype.kind == "b" else self._ops)[op]

    def allreduce(self, a: np.ndarray[Any, Any], op: RedOpType) -> None:
        self.comm.Allreduce(self.MPI.IN_PLACE, a, op=self._op(op, a))
        if op == RedOpType.AVG:
            average(a, self.size)

    def reduce(self, a: np.ndarray[Any, Any], op: RedOpType, root: int) -> None:
        if self.comm.Get_rank() == root:
            self.comm.Reduce(self.MPI.IN_PLACE, a, op=self._op(op, a), root=root)
            if op == RedOpType.AVG:
                average(a, self.size)
        else:
            self.comm.Reduce(a, None, op=self._op(op, a), root=root)

    def broadcast(self, a: np.ndarray[Any, Any], root: int) -> None:
        self.comm.Bcast(a, root=root)

    def allgather(self, send: np.ndarray[Any, Any], recv: np.ndarray[Any, Any]) -> None:
        self.comm.Allgather(send, recv)

    def gather(self, send: np.ndarray[Any, Any], recv: Any, root: int) -> None:
        self.comm.Gather(send, recv, root=root)

    def scatter(self, send: Any, recv: np.ndarray[Any, Any], root: int) -> None:
        self.comm.Scatter(send, recv, root=root)

    def alltoall(self, send: np.ndarray[Any, Any], recv: np.ndarray[Any, Any]) -> None:
        self.comm.Alltoall(send, recv)

    def reduce_scatter(
        self, send: np.ndarray[Any, Any], recv: np.ndarray[Any, Any], op: RedOpType
    ) -> None:
        self.comm.Reduce_scatter_block(send, recv, op=self._op(op, send))
        if op == RedOpType.AVG:
            average(recv, self.size)

    def send(self, a: np.ndarray[Any, Any], dst: int, tag: int) -> None:
        self.comm.Send(a, dest=dst, tag=tag)

    def recv(self, a: np.ndarray[Any, Any], src: int | None, tag: int) -> int:
        status = self.MPI.Status()
        source = self.MPI.ANY_SOURCE if src is None else src
        self.comm.Recv(a, source=source, tag=tag, status=status)
        return int(status.Get_source())

    def barrier(self) -> None:
        self.comm.Barrier()
