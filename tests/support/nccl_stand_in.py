"""A stand-in for ``cupy.cuda.nccl`` on MPI, over the CuPy stand-in (``cupy_stand_in.py``), so
the NCCL process group's code (``tensorplug/distributed/_nccl.py``) runs on the CPU under
``mpiexec``: ``install()`` puts stand-in ``cupy``, ``cupy.cuda`` and ``cupy.cuda.nccl`` modules
in ``sys.modules`` and makes the real cupy backend run on them.

The communicator takes what NCCL's takes (device pointers, counts, NCCL datatypes and ops, a
stream) and does the same collective with mpi4py on NumPy views of that memory; sends and
receives between ``groupStart`` and ``groupEnd`` are posted together, as NCCL groups them.
What it cannot show is NCCL itself on GPUs: ``benchmarks/gpu_check.py`` does.
"""

from __future__ import annotations

import ctypes
import dataclasses
import sys
import types
from typing import Any

import numpy as np
from mpi4py import MPI

import cupy_stand_in

TYPES = {0: "int8", 1: "uint8", 2: "int32", 4: "int64", 6: "float16", 7: "float32", 8: "float64"}
OPS = {0: MPI.SUM, 1: MPI.PROD, 2: MPI.MAX, 3: MPI.MIN}


def _view(ptr: int, count: int, ty: int) -> np.ndarray:
    dtype = np.dtype(TYPES[ty])
    if count == 0:
        return np.empty(0, dtype)
    return np.frombuffer((ctypes.c_char * (count * dtype.itemsize)).from_address(ptr), dtype)


class _Nccl(types.ModuleType):
    NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_INT64 = 0, 1, 2, 4
    NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 8
    NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
    available = True

    def __init__(self) -> None:
        super().__init__("cupy.cuda.nccl")
        self.grouped: list[tuple[Any, ...]] | None = None
        self.NcclCommunicator = lambda ndev, uid, rank: _Communicator(self, ndev, uid, rank)
        self.created: list[Any] = []

    def get_unique_id(self) -> tuple[int, ...]:
        return tuple(np.random.default_rng().integers(0, 255, 128).tolist())

    def groupStart(self) -> None:  # noqa: N802 - NCCL's name
        self.grouped = []

    def groupEnd(self) -> None:  # noqa: N802
        calls, self.grouped = self.grouped or [], None
        MPI.Request.Waitall([call() for call in calls])


class _Communicator:
    def __init__(self, nccl: _Nccl, ndev: int, uid: tuple[int, ...], rank: int) -> None:
        self.comm = MPI.COMM_WORLD.Dup()
        if (self.comm.Get_size(), self.comm.Get_rank()) != (ndev, rank):
            raise NotImplementedError("the NCCL stand-in makes communicators of the whole job")
        self.nccl = nccl
        self.uid = uid
        nccl.created.append(self)

    def allReduce(self, send: int, recv: int, n: int, ty: int, op: int, stream: int) -> None:  # noqa: N802
        r = _view(recv, n, ty)
        self.comm.Allreduce(MPI.IN_PLACE if send == recv else _view(send, n, ty), r, OPS[op])

    def reduce(self, send: int, recv: int, n: int, ty: int, op: int, root: int, s: int) -> None:
        mine = self.comm.Get_rank() == root
        src = MPI.IN_PLACE if send == recv and mine else _view(send, n, ty)
        self.comm.Reduce(src, _view(recv, n, ty) if mine else None, OPS[op], root=root)

    def bcast(self, buf: int, n: int, ty: int, root: int, stream: int) -> None:
        self.comm.Bcast(_view(buf, n, ty), root=root)

    def allGather(self, send: int, recv: int, n: int, ty: int, stream: int) -> None:  # noqa: N802
        self.comm.Allgather(_view(send, n, ty), _view(recv, n * self.comm.Get_size(), ty))

    def reduceScatter(self, send: int, recv: int, n: int, ty: int, op: int, s: int) -> None:  # noqa: N802
        size = self.comm.Get_size()
        self.comm.Reduce_scatter_block(_view(send, n * size, ty), _view(recv, n, ty), OPS[op])

    def send(self, buf: int, n: int, ty: int, peer: int, stream: int) -> None:
        a = _view(buf, n, ty)
        self._post(lambda: self.comm.Isend(a, dest=peer))

    def recv(self, buf: int, n: int, ty: int, peer: int, stream: int) -> None:
        a = _view(buf, n, ty)
        self._post(lambda: self.comm.Irecv(a, source=peer))

    def _post(self, call: Any) -> None:
        if self.nccl.grouped is not None:
            self.nccl.grouped.append(call)
        else:
            call().Wait()

    def destroy(self) -> None:
        self.comm.Free()


class _Stream:
    ptr = 0

    def synchronize(self) -> None:
        pass


def install(devices: int = 1) -> Any:
    """Stand-in ``cupy`` with ``devices`` fake GPUs and NCCL, behind the real cupy backend."""
    cp = cupy_stand_in.make(devices)
    cupy_stand_in.FakeArray.__cuda_array_interface__ = property(  # type: ignore[attr-defined]
        lambda a: {"data": (a.ctypes.data, False), "shape": a.shape, "typestr": a.dtype.str}
    )
    cp.cuda.nccl = _Nccl()
    cp.cuda.get_current_stream = lambda: _Stream()
    sys.modules.update({"cupy": cp, "cupy.cuda": cp.cuda, "cupy.cuda.nccl": cp.cuda.nccl})

    import tensorplug_cupy._backend as cb
    from tensorplug._plugins import REGISTRY

    cb._cupy = lambda: cp
    REGISTRY.manager()
    spec = REGISTRY.specs["cupy"]
    REGISTRY.specs["cupy"] = dataclasses.replace(spec, probe=lambda: (True, ""))
    return cp
