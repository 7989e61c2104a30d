"""Every op of the conformance database, run and described down to each graph field.

``python -m tensorplug.testing._graph_dump OUT.json`` writes, for every sample of every op (float64,
float32 and an integer dtype, both layouts, with and without grad), the outputs' values and
every field of every node they reach: class, ``args``, ``shapes`` and ``dtype`` (with their
classes), what is saved and at which versions, the inputs' nodes, the sequence order, and
which objects are shared (each tensor, node, array, ``TensorMeta`` and version counter gets
an id in order of first sight). Then the gradients of a backward, and the error of each
error input. ``tests/core/test_compiled.py`` runs it with the compiled modules and with
``TENSORPLUG_PURE_PYTHON=1`` and requires the two files to be equal: both run the same
source, and this proves the compiler kept its meaning (docs/architecture.md).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import get_backend, manual_seed
from .._graph import Node, TensorMeta, VersionCounter
from .._tensor import Tensor
from ..autograd import grad as autograd_grad
from ._opdb import op_db


class _Ids:
    """Canonical names for objects, by first sight: identity patterns, not addresses."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.keep: list[Any] = []  # alive while named, so no id is reused

    def __call__(self, obj: Any, kind: str) -> str:
        key = id(obj)
        if key not in self.names:
            self.names[key] = f"{kind}{len(self.names)}"
            self.keep.append(obj)
        return self.names[key]


def _value(v: Any, ids: _Ids) -> Any:
    if isinstance(v, Tensor):
        return {"tensor": ids(v, "T"), "data": ids(v._data, "A")}
    if isinstance(v, Node):
        return ids(v, "N")
    if isinstance(v, TensorMeta):
        return ids(v, "M")
    if isinstance(v, VersionCounter):  # an argument (where's condition's), by identity
        return ids(v, "V")
    if isinstance(v, np.ndarray):
        return {"array": ids(v, "A"), "dtype": str(v.dtype), "values": repr(v.tolist())}
    if isinstance(v, (tuple, list)):
        return {"seq": type(v).__name__, "items": [_value(x, ids) for x in v]}
    if isinstance(v, dict):
        return {str(k): _value(x, ids) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return repr(v)
    return f"{type(v).__name__}:{v!r}"


_NODE_FIELDS = ("args", "needs_input_grad", "shapes", "dtype", "_saved", "_versions", "_extra")


def _graph(outputs: list[Tensor], ids: _Ids) -> dict[str, Any]:
    tensors = []
    for t in outputs:
        tensors.append(
            {
                "id": ids(t, "T"),
                "data": _value(t._data, ids),
                "requires_grad": t._requires_grad,
                "grad_fn": None if t._grad_fn is None else ids(t._grad_fn, "N"),
                "meta": None if t._meta is None else ids(t._meta, "M"),
                "vc": ids(t._vc, "V"),
                "version": t._vc.version,
                "base": None if t._base is None else ids(t._base, "T"),
            }
        )
    nodes: dict[str, Any] = {}
    order: list[tuple[int, str]] = []
    stack = [t._grad_fn for t in reversed(outputs) if t._grad_fn is not None]
    while stack:
        n = stack.pop()
        name = ids(n, "N")
        if name in nodes:
            continue
        d: dict[str, Any] = {"class": type(n).__name__}
        for f in _NODE_FIELDS:
            d[f] = _value(getattr(n, f, "<unset>"), ids)
        d["shapes_class"] = type(getattr(n, "shapes", None)).__name__
        d["dtype_class"] = type(getattr(n, "dtype", None)).__name__
        d["out_vc"] = ids(n._out_vc, "V") if hasattr(n, "_out_vc") else None
        d["next"] = [None if m is None else ids(m, "N") for m in n._next]
        var = getattr(n, "_var_ref", None)
        d["variable"] = None if var is None else ids(var, "T")
        nodes[name] = d
        order.append((n._seq, name))
        stack.extend(m for m in reversed(n._next) if m is not None)
    return {"tensors": tensors, "nodes": nodes, "seq_order": [nm for _, nm in sorted(order)]}


def _outputs(out: Any) -> list[Tensor]:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _outputs(x)]
    return []


def _run(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    try:
        return fn(*args, **kwargs), None
    except Exception as e:  # noqa: BLE001 - any error is recorded: both paths must agree
        return None, f"{type(e).__name__}: {e}"


def dump() -> dict[str, Any]:
    be = get_backend("numpy")
    result: dict[str, Any] = {}
    for info in op_db:
        dtypes = [d for d in (D.float64, D.float32, D.int64) if d in info.dtypes]
        for si, sample in enumerate(info.samples(np.random.default_rng(0))):
            for dtype in dtypes:
                for layout in ("contiguous", "noncontiguous"):
                    for grad in (True, False):
                        bound = sample.bind(be, dtype, layout, requires_grad=grad)
                        ids = _Ids()
                        for t in bound.tensors:  # inputs are named first
                            _value(t, ids)
                            if t._grad_fn is not None:
                                ids(t._grad_fn, "N")
                        manual_seed(0)  # random ops (gumbel_softmax) draw alike in both runs
                        out, err = _run(bound.call, info.op)
                        key = f"{info.name}|{si}:{sample.name}|{dtype.name}|{layout}|{grad}"
                        entry: dict[str, Any] = {"error": err}
                        if err is None:
                            outs = _outputs(out)
                            entry["graph"] = _graph(outs, ids)
                            floats = [o for o in outs if o.requires_grad]
                            if floats and info.supports_autograd:
                                leaves = [t for t in bound.tensors if t.requires_grad]
                                total = sum(o.float().sum() for o in floats)
                                grads, gerr = _run(autograd_grad, total, leaves, allow_unused=True)
                                entry["grad_error"] = gerr
                                entry["grads"] = [
                                    None if g is None else repr(g._data.tolist())
                                    for g in (grads or ())
                                ]
                        result[key] = entry
        for ei, e in enumerate(info.errors() if info.errors else ()):
            bound = e.sample.bind(be, D.float32)
            _, err = _run(bound.call, info.op)
            result[f"{info.name}|error {ei}:{e.sample.name}"] = {"error": err}
    return result


if __name__ == "__main__":
    with open(sys.argv[1], "w") as f:
        json.dump(dump(), f, indent=0, sort_keys=True)
