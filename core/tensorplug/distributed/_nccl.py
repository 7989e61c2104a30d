"""The NCCL transport: a group's collectives on CuPy arrays in GPU memory, through
``cupy.cuda.nccl``, bootstrapped over MPI (rank 0 makes the NCCL id and broadcasts it).

Each process drives one GPU: ``local rank % device count``, the local rank being the rank
among the processes of its node (MPI's shared-memory split), as ``torch.cuda.set_device(
local_rank)`` would pick. NCCL has no bitwise reductions; bool tensors travel as ``uint8``
(``SUM``/``MAX``/``BOR``: a maximum, ``PRODUCT``/``MIN``/``BAND``: a minimum). ``gather``,
``scatter`` and ``all_to_all`` are grouped sends and receives (``ncclGroupStart``/``End``).
The worker waits for the GPU before a collective counts as done.
"""

from __future__ import annotations

from typing import Any

from ._mpi import average, mpi
from ._reduce_op import RedOpType


def nccl_module() -> Any:
    """``cupy.cuda.nccl``, or an ImportError saying what is missing."""
    try:
        from cupy.cuda import nccl
    except ImportError as e:
        raise ImportError(
            "the nccl process group needs CuPy with NCCL (pip install cupy-cuda12x and "
            f"nvidia-nccl-cu12; docs/distributed.md) ({e})"
        ) from e
    if not getattr(nccl, "available", True):
        raise ImportError("cupy.cuda.nccl is not available in this CuPy build")
    return nccl


def _cupy() -> Any:
    import cupy

    return cupy


def _ptr(a: Any) -> int:
    return int(a.__cuda_array_interface__["data"][0])


class NcclTransport:
    """Collectives of one NCCL communicator on contiguous CuPy arrays of one GPU."""

    name = "nccl"
    staged = False

    def __init__(self, comm: Any) -> None:
        self.nccl = nccl = nccl_module()
        cp = _cupy()
        self.size, self.rank = comm.Get_size(), comm.Get_rank()
        local = comm.Split_type(mpi().COMM_TYPE_SHARED)
        self.device = local.Get_rank() % cp.cuda.runtime.getDeviceCount()
        local.Free()
        uid = comm.bcast(nccl.get_unique_id() if self.rank == 0 else None, root=0)
        with cp.cuda.Device(self.device):
            self.comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self._types = {
            "float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32,
            "float64": nccl.NCCL_FLOAT64, "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64,
            "bool": nccl.NCCL_UINT8, "uint8": nccl.NCCL_UINT8, "int8": nccl.NCCL_INT8,
        }  # fmt: skip
        self._ops = {
            RedOpType.SUM: nccl.NCCL_SUM, RedOpType.AVG: nccl.NCCL_SUM,
            RedOpType.PRODUCT: nccl.NCCL_PROD, RedOpType.MIN: nccl.NCCL_MIN,
            RedOpType.MAX: nccl.NCCL_MAX,
        }  # fmt: skip
        self._bool_ops = {
            RedOpType.SUM: nccl.NCCL_MAX, RedOpType.MAX: nccl.NCCL_MAX,
            RedOpType.BOR: nccl.NCCL_MAX, RedOpType.PRODUCT: nccl.NCCL_MIN,
            RedOpType.MIN: nccl.NCCL_MIN, RedOpType.BAND: nccl.NCCL_MIN,
        }  # fmt: skip

    def device_array(self, t: Any) -> tuple[Any, bool]:
        """``t``'s CuPy array (contiguous), and whether it is ``t``'s own memory."""
        if t.device.type != "cuda":
            raise RuntimeError(
                f"the nccl process group moves GPU tensors only; got a tensor on {t.device} "
                "(use an mpi group for CPU tensors, or move it with .to('cuda'))"
            )
        if t.device.index != self.device:
            raise RuntimeError(
                f"this rank's NCCL communicator is on cuda:{self.device}; got a tensor on "
                f"{t.device}"
            )
        data = t._data
        if data.flags.c_contiguous:
            return data, True
        with _cupy().cuda.Device(self.device):
            return _cupy().ascontiguousarray(data), False

    def empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        cp = _cupy()
        with cp.cuda.Device(self.device):
            return cp.empty(shape, dtype)

    def stack(self, arrays: list[Any]) -> Any:
        cp = _cupy()
        with cp.cuda.Device(self.device):
            return cp.stack(arrays)

    def _type(self, a: Any) -> Any:
        return self._types[str(a.dtype)]

    def _op(self, op: RedOpType, a: Any) -> Any:
        table = self._bool_ops if a.dtype.kind == "b" else self._ops
        if op not in table:
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with NCCL on {a.dtype} tensors")
        return table[op]

    def _run(self, call: Any, *arrays: Any) -> None:
        """``call(stream)`` on this GPU, waited for (the collective is done when it returns)."""
        cp = _cupy()
        with cp.cuda.Device(self.device):
            stream = cp.cuda.get_current_stream()
            call(stream.ptr)
            stream.synchronize()

    def allreduce(self, a: Any, op: RedOpType) -> None:
        n, ty, o = a.size, self._type(a), self._op(op, a)
        self._run(lambda s: self.comm.allReduce(_ptr(a), _ptr(a), n, ty, o, s))
        if op == RedOpType.AVG:
            with _cupy().cuda.Device(self.device):
                average(a, self.size)

    def reduce(self, a: Any, op: RedOpType, root: int) -> None:
        n, ty, o = a.size, self._type(a), self._op(op, a)
        self._run(lambda s: self.comm.reduce(_ptr(a), _ptr(a), n, ty, o, root, s))
        if op == RedOpType.AVG and self.rank == root:
            with _cupy().cuda.Device(self.device):
                average(a, self.size)

    def broadcast(self, a: Any, root: int) -> None:
        self._run(lambda s: self.comm.bcast(_ptr(a), a.size, self._type(a), root, s))

    def allgather(self, send: Any, recv: Any) -> None:
        self._run(
            lambda s: self.comm.allGather(_ptr(send), _ptr(recv), send.size, self._type(send), s)
        )

    def reduce_scatter(self, send: Any, recv: Any, op: RedOpType) -> None:
        n, ty, o = recv.size, self._type(recv), self._op(op, recv)
        self._run(lambda s: self.comm.reduceScatter(_ptr(send), _ptr(recv), n, ty, o, s))
        if op == RedOpType.AVG:
            with _cupy().cuda.Device(self.device):
                average(recv, self.size)

    def _exchange(self, sends: list[tuple[Any, int]], recvs: list[tuple[Any, int]]) -> None:
        """Grouped point-to-point: ``(array, peer)`` sends and receives, one NCCL group."""

        def call(s: int) -> None:
            self.nccl.groupStart()
            for a, peer in sends:
                self.comm.send(_ptr(a), a.size, self._type(a), peer, s)
            for a, peer in recvs:
                self.comm.recv(_ptr(a), a.size, self._type(a), peer, s)
            self.nccl.groupEnd()

        self._run(call)

    def gather(self, send: Any, recv: Any, root: int) -> None:
        sends = [(send, root)]
        recvs = [(recv[r], r) for r in range(self.size)] if self.rank == root else []
        self._exchange(sends, recvs)

    def scatter(self, send: Any, recv: Any, root: int) -> None:
        sends = [(send[r], r) for r in range(self.size)] if self.rank == root else []
        self._exchange(sends, [(recv, root)])

    def alltoall(self, send: Any, recv: Any) -> None:
        send, recv = send.reshape(self.size, -1), recv.reshape(self.size, -1)
        peers = range(self.size)
        self._exchange([(send[r], r) for r in peers], [(recv[r], r) for r in peers])

    def send(self, a: Any, dst: int, tag: int) -> None:
        self._exchange([(a, dst)], [])

    def recv(self, a: Any, src: int | None, tag: int) -> int:
        if src is None:
            raise RuntimeError("recv from any source is not supported by the nccl group")
        self._exchange([], [(a, src)])
        return src

    def barrier(self) -> None:
        one = self.empty((1,), "float32")
        one.fill(0)
        self.allreduce(one, RedOpType.SUM)

    def destroy(self) -> None:
        self.comm.destroy()
