"""Process groups: ``init_process_group``, the world group, ``new_group``, and what keeps a
failure on one rank from hanging the others.

Ranks and the world size come from MPI (``mpiexec``, ``srun``: whatever started the job), so
there is no rendezvous to configure. An NCCL group is bootstrapped over MPI: rank 0 makes the
NCCL id and broadcasts it.

Faults: with more than one rank, ``init_process_group`` installs a ``sys.excepthook`` that
prints the traceback and calls ``MPI_Abort`` (as ``python -m mpi4py`` does), so an uncaught
exception on one rank ends the whole job instead of leaving the others blocked in their next
collective; a collective that does not finish within the group's ``timeout`` raises
``DistBackendError`` (then aborts the same way if uncaught). A process killed outright is seen
by the launcher (MPICH's and Open MPI's kill the job).
"""

from __future__ import annotations

import atexit
import datetime
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ._mpi import MpiTransport, mpi
from ._work import DistBackendError, Work, Worker

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
"""PyTorch's default process-group timeout."""

_DEBUG_LEVELS = ("OFF", "INFO", "DETAIL")


def debug_level() -> str:
    """``TENSORPLUG_DISTRIBUTED_DEBUG`` (as ``TORCH_DISTRIBUTED_DEBUG``): ``OFF`` (default),
    ``INFO``, or ``DETAIL``, which checks before every collective that all ranks call the same
    one with the same shapes and dtypes (one small all-gather each: docs/performance.md)."""
    level = os.environ.get("TENSORPLUG_DISTRIBUTED_DEBUG", "OFF").upper()
    if level not in _DEBUG_LEVELS:
        raise ValueError(
            f"TENSORPLUG_DISTRIBUTED_DEBUG must be one of {', '.join(_DEBUG_LEVELS)}, got {level!r}"
        )
    return level


class ProcessGroup:
    """A set of ranks and its communicator, with one worker thread running its collectives
    in order (``_work.py``)."""

    def __init__(
        self,
        comm: Any,
        backend: str,
        timeout: datetime.timedelta,
        ranks: Sequence[int] | None = None,
    ) -> None:
        self.comm = comm  # the MPI communicator (also the NCCL group's bootstrap and checks)
        self._rank = int(comm.Get_rank())
        self._size = int(comm.Get_size())
        self.ranks = list(range(self._size)) if ranks is None else list(ranks)
        """The members' ranks in the default group, in group-rank order."""
        self.backend = backend
        self.timeout = timeout
        self.broken = False
        self.check = debug_level() == "DETAIL"
        if backend == "nccl":
            from ._nccl import NcclTransport

            self.transport: Any = NcclTransport(comm)
        else:
            self.transport = MpiTransport(comm)
        self.worker = Worker(f"tensorplug-distributed-{backend}")

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return self.backend

    def group_rank(self, rank: int | None, group_rank: int | None, what: str) -> int:
        """A collective's ``src``/``dst`` (a global rank) or ``group_src``/``group_dst`` (a rank
        in this group) as a rank in this group, checked."""
        if (rank is None) == (group_rank is None):
            if rank is None:
                raise ValueError(f"Must specify either {what} or group_{what}")
            raise ValueError(f"Can not specify both {what} and group_{what}")
        if group_rank is not None:
            if not 0 <= group_rank < self._size:
                raise ValueError(f"Group rank {group_rank} is not part of group {self.ranks}")
            return int(group_rank)
        if rank not in self.ranks:
            raise ValueError(f"Global rank {rank} is not part of group {self.ranks}")
        return self.ranks.index(int(rank))

    def global_rank(self, group_rank: int) -> int:
        return self.ranks[group_rank]

    def timeout_seconds(self, timeout: Any = None) -> float:
        t = self.timeout if timeout is None else timeout
        return t.total_seconds() if isinstance(t, datetime.timedelta) else float(t)

    def run(
        self,
        name: str,
        fn: Callable[[], Any],
        meta: Any = None,
        finish: Callable[[], Any] | None = None,
    ) -> Work:
        """Queue ``fn`` (the communication) on the worker; ``finish`` runs in the caller's
        thread on ``wait()`` (writing staged results back into tensors). ``meta``: what must
        match across ranks (checked under ``TENSORPLUG_DISTRIBUTED_DEBUG=DETAIL``)."""
        if self.broken:
            raise DistBackendError(
                f"[Rank {self._rank}] the process group cannot run {name}: an earlier "
                "collective failed or timed out"
            )
        work = Work(self, name)
        work._finish = finish
        if self.check and meta is not None:

            def job() -> Any:
                self.check_same(name, meta)
                return fn()

            return self.worker.submit(work, job)
        return self.worker.submit(work, fn)

    def check_same(self, name: str, meta: Any) -> None:
        """Raise on every rank when the ranks' calls differ, naming two that differ."""
        seen = self.comm.allgather((name, meta))
        for r, other in enumerate(seen):
            if other != seen[0]:
                raise RuntimeError(
                    f"Detected mismatch between collectives on ranks. Rank 0 is running "
                    f"{_describe(seen[0])}, but Rank {r} is running {_describe(other)} "
                    "(TENSORPLUG_DISTRIBUTED_DEBUG=DETAIL)"
                )

    def shutdown(self) -> None:
        if not self.broken:
            self.worker.stop()
            if hasattr(self.transport, "destroy"):
                self.transport.destroy()

    def __repr__(self) -> str:
        return f"<ProcessGroup {self.backend} rank {self._rank} of {self._size}>"


def _describe(call: tuple[str, Any]) -> str:
    name, meta = call
    return f"{name} with {meta}"


class _World:
    group: ProcessGroup | None = None
    groups: list[ProcessGroup] = []  # noqa: RUF012 - the one registry of live groups
    hook_installed = False


_ABORT_GRACE_S = 0.5
"""How long a failing rank waits, after writing why, before it aborts the job."""


def _abort_on_uncaught(previous: Callable[..., Any]) -> Callable[..., Any]:
    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        previous(kind, value, tb)
        world = _World.group
        if world is not None and world.size() > 1:
            sys.stderr.write(
                f"tensorplug.distributed: uncaught {kind.__name__} on rank {world.rank()}; "
                "aborting the job (MPI_Abort)\n"
            )
            sys.stderr.flush()
            # mpiexec forwards each rank's output through its proxy, asynchronously, and
            # MPI_Abort kills the proxies: without a pause the traceback and this line were
            # sometimes cut off, leaving the user no reason for the job's end.
            time.sleep(_ABORT_GRACE_S)
            mpi().COMM_WORLD.Abort(1)

    return hook


def _at_exit() -> None:
    """A group whose collective timed out has a worker stuck in MPI: MPI_Finalize would wait
    for it forever, so the job is aborted instead."""
    if any(g.broken for g in _World.groups) and _World.group is not None:
        sys.stderr.flush()
        mpi().COMM_WORLD.Abort(1)


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: datetime.timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the job's default process group: ``backend="mpi"`` (any tensors; the default) or
    ``"nccl"`` (CuPy tensors on GPUs). Rank and world size come from MPI; ``world_size`` and
    ``rank``, when given, must agree with it. ``timeout`` bounds every collective's wait.

    Example (run under ``mpiexec -n 2``)::

        import tensorplug as tp
        import tensorplug.distributed as dist

        dist.init_process_group("mpi")
        t = tp.ones(3) * (dist.get_rank() + 1)
        dist.all_reduce(t)  # tensor([3., 3., 3.]) on both ranks
    """
    if _World.group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = "mpi" if backend is None else str(backend).lower()
    if backend not in ("mpi", "nccl"):
        raise ValueError(
            f"Invalid backend: {backend!r}; tensorplug.distributed has 'mpi' and 'nccl' (Gloo "
            "and UCC are PyTorch's own libraries)"
        )
    if init_method not in (None, "env://") or store is not None:
        raise ValueError(
            "init_method and store are not used: MPI starts the processes and tells each its "
            "rank (run the script under mpiexec or srun)"
        )
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(
            f"Expected timeout argument to be of type datetime.timedelta, got {timeout}"
        )
    comm = mpi().COMM_WORLD.Dup()
    for given, actual, what in (
        (world_size, comm.Get_size(), "world_size"),
        (rank, comm.Get_rank(), "rank"),
    ):
        if given != -1 and given != actual:
            raise ValueError(f"{what}={given} disagrees with MPI's {what} {actual} (mpiexec -n)")
    group = ProcessGroup(comm, backend, timeout or DEFAULT_TIMEOUT)
    _World.group = group
    _World.groups.append(group)
    if not _World.hook_installed:
        sys.excepthook = _abort_on_uncaught(sys.excepthook)
        atexit.register(_at_exit)
        _World.hook_installed = True


def default_group(group: ProcessGroup | None = None) -> ProcessGroup:
    """``group``, or the default one; an error when there is none."""
    if group is not None:
        if not isinstance(group, ProcessGroup):
            raise TypeError(f"group must be a ProcessGroup (from new_group), got {group!r}")
        return group
    if _World.group is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return _World.group


def is_initialized() -> bool:
    return _World.group is not None


def is_available() -> bool:
    return True


def is_mpi_available() -> bool:
    try:
        mpi()
    except ImportError:
        return False
    return True


def is_nccl_available() -> bool:
    from ._nccl import nccl_module

    try:
        nccl_module()
    except ImportError:
        return False
    return True


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group when None)."""
    return default_group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of ranks in ``group``."""
    return default_group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    return default_group(group).backend


def new_group(
    ranks: Sequence[int] | None = None,
    timeout: datetime.timedelta | None = None,
    backend: str | None = None,
    pg_options: Any = None,
    use_local_synchronization: bool = False,
) -> ProcessGroup | None:
    """A group of ``ranks`` (all ranks when None). Every rank of the job must call it, as in
    PyTorch; ranks outside ``ranks`` get None (PyTorch's ``GroupMember.NON_GROUP_MEMBER``)."""
    world = default_group()
    members = sorted(range(world.size()) if ranks is None else {int(r) for r in ranks})
    if any(r < 0 or r >= world.size() for r in members):
        raise ValueError(
            f"new_group: ranks {list(ranks or [])} are not all in 0..{world.size() - 1}"
        )
    mine = world.rank() in members
    comm = world.comm.Split(
        0 if mine else mpi().UNDEFINED, members.index(world.rank()) if mine else 0
    )
    if not mine:
        return None
    group = ProcessGroup(
        comm, backend or world.backend, timeout or world.timeout, [world.ranks[r] for r in members]
    )
    _World.groups.append(group)
    return group


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Stop ``group`` (every group when None, the default one included)."""
    targets = list(_World.groups) if group is None else [default_group(group)]
    for g in targets:
        g.shutdown()
        if g in _World.groups:
            _World.groups.remove(g)
        if g is _World.group:
            _World.group = None
    if group is None:
        _World.group = None
