"""``tp.cuda.graph`` without a GPU (issue 21): a tape of the CPU backend's kernels, replayed.

On the CPU there is no launch to save, but a step's Python (dispatch, recording, the engine)
costs more than its kernels on small tensors: a tape of the kernels with their arguments
bound, replayed, runs the seed network's step (W1) in about half the eager time
(``benchmarks/prototype_numpy_replay.py``, docs/performance.md). So ``tp.cuda.graph`` on a
machine without a CUDA backend captures the default backend's kernels this way, with a CUDA
graph's semantics:

* capturing records every kernel call of the backend (``be.k``) as ``(kernel, arguments,
  result)``; a replay calls each again and writes its result into the array the capture
  made (``assign``), so the tensors made in the region are static and see each replay;
* a CUDA capture runs nothing: the recorded run's in-place writes (parameters, optimizer
  state) are undone when the capture ends, so only replays move them;
* what a graph cannot hold is refused as on a GPU: copies to the host (``to_host``:
  ``.item()``, ``print``...), random numbers, ``unique``.

Only for backends with mutable arrays (``Backend.mutable``): a replay writes in place.
Kernels that give a view of an argument (``reshape``, ``permute``, ``getitem`` of a basic
index) are replayed too, a copy of the view onto itself, except ``broadcast_to`` (its view
may be read-only, and it is always a view).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._contract import IN_PLACE
from ._dtype import bool_

if TYPE_CHECKING:
    from ._backend import Backend

REFUSED = {
    "to_host": "copying a tensor to the host (.item(), .tolist(), .numpy(), print, bool() "
    "or a Python number of a tensor) reads values the replay has not made yet",
    "any_nonfinite": "anomaly mode reads a flag back to the host",
    "random_uniform": "random numbers (rand, dropout, ...) are not captured",
    "random_normal": "random numbers (randn, init functions, ...) are not captured",
    "random_integers": "random numbers (randint, randperm, ...) are not captured",
    "unique": "unique's size depends on the data",
}
_NOT_REPLAYED = frozenset({"dtype_of", "broadcast_to", "const"})


class TapeCapture:
    """A capture of ``be``'s kernels under way (``begin``/``end``/``abort``)."""

    def __init__(self, be: Backend) -> None:
        if not be.mutable:
            raise RuntimeError(
                f"CUDA graphs: backend {be.name!r} has immutable arrays; a replay writes its "
                "results in place, so it cannot be captured"
            )
        self.k = be.k
        self.saved = dict(vars(be.k))
        self.tape: list[tuple[Any, tuple[Any, ...], Any]] = []
        self.undo: list[tuple[Any, Any]] = []
        for name, f in self.saved.items():
            if callable(f) and name not in _NOT_REPLAYED:
                setattr(self.k, name, self._refusing(name) if name in REFUSED else
                        self._recording(name, f))  # fmt: skip

    def _refusing(self, name: str) -> Any:
        why = REFUSED[name]

        def kernel(*args: Any) -> Any:
            raise RuntimeError(
                f"{name}: cannot be captured in a CUDA graph: {why}. Do it before or after "
                "the captured region, or copy new data into a static tensor before replay()"
            )

        return kernel

    def _recording(self, name: str, f: Any) -> Any:
        copy, tape, undo = self.saved["copy"], self.tape, self.undo
        in_place, masked = name in IN_PLACE, name == "getitem"

        def kernel(*args: Any) -> Any:
            if masked and self._boolean(args[1]):
                raise RuntimeError(
                    "getitem: cannot be captured in a CUDA graph: a boolean index (x[mask], "
                    "nonzero, masked_select) gives a size that depends on the data; use where "
                    "or ops of fixed size in the captured region"
                )
            if in_place:
                undo.append((args[0], copy(args[0])))
            r = f(*args)
            flags = getattr(r, "flags", None)
            if flags is not None and not getattr(flags, "writeable", True):
                return r  # a read-only view: it follows its base
            if r is None or isinstance(r, tuple) or hasattr(r, "shape"):
                tape.append((f, args, r))
            return r

        kernel.__name__ = name
        return kernel

    def _boolean(self, idx: Any) -> bool:
        dtype_of = self.saved["dtype_of"]
        parts = idx if isinstance(idx, tuple) else (idx,)
        return any(hasattr(i, "shape") and dtype_of(i) is bool_ for i in parts)

    def _restore(self) -> None:
        for name, f in self.saved.items():
            setattr(self.k, name, f)
        assign = self.saved["assign"]
        for dst, values in reversed(self.undo):
            assign(dst, values)

    def end(self) -> TapeReplay:
        self._restore()
        return TapeReplay(self.tape, self.saved["assign"])

    def abort(self) -> None:
        self._restore()


class TapeReplay:
    """A recorded tape: ``replay()`` reruns it into the same arrays."""

    def __init__(self, tape: list[tuple[Any, tuple[Any, ...], Any]], assign: Any) -> None:
        self.tape, self.assign = tape, assign

    def replay(self) -> None:
        assign = self.assign
        for f, args, r in self.tape:
            out = f(*args)
            if r is None or out is r:
                continue
            if isinstance(r, tuple):
                for a, b in zip(r, out, strict=True):
                    assign(a, b)
            else:
                assign(r, out)
