"""``repr`` of tensors in PyTorch's format (4 decimals, aligned columns, summarised)."""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D

_THRESHOLD = 1000
_EDGE = 3


class _Formatter:
    def __init__(self, values: list[Any], dtype: D.dtype) -> None:
        self.kind = dtype.category
        self.sci = False
        self.int_mode = True
        if self.kind == D.FLOAT:
            finite = [abs(v) for v in values if math.isfinite(v)]
            self.int_mode = all(float(v).is_integer() for v in finite)
            if finite:
                nz = [v for v in finite if v != 0]
                big, small = max(finite), min(nz) if nz else 0.0
                if self.int_mode:
                    self.sci = big > 1e8
                else:
                    self.sci = big / small > 1000.0 or big > 1e8 if small else big > 1e8
                    self.sci = self.sci or (small != 0 and small < 1e-4)
        self.width = max((len(self.fmt(v)) for v in values), default=1)

    def fmt(self, v: Any) -> str:
        if self.kind == D.BOOL:
            return str(bool(v))
        if self.kind == D.INT:
            return str(int(v))
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if self.sci:
            return f"{v:.4e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.4f}"

    def pad(self, v: Any) -> str:
        return self.fmt(v).rjust(self.width)


def _flatten(x: Any, summarize: bool) -> list[Any]:
    if not isinstance(x, list):
        return [x]
    items = x[:_EDGE] + x[-_EDGE:] if summarize and len(x) > 2 * _EDGE else x
    out: list[Any] = []
    for it in items:
        out.extend(_flatten(it, summarize))
    return out


def _render(x: Any, f: _Formatter, indent: int, summarize: bool) -> str:
    if not isinstance(x, list):
        return f.pad(x)
    if not x:
        return "[]"
    if not isinstance(x[0], list):
        if summarize and len(x) > 2 * _EDGE:
            parts = [f.pad(v) for v in x[:_EDGE]] + ["..."] + [f.pad(v) for v in x[-_EDGE:]]
        else:
            parts = [f.pad(v) for v in x]
        return "[" + ", ".join(parts) + "]"
    rows: list[str] = []
    items = list(x)
    if summarize and len(items) > 2 * _EDGE:
        rows = [_render(r, f, indent + 1, summarize) for r in items[:_EDGE]] + ["..."] + [
            _render(r, f, indent + 1, summarize) for r in items[-_EDGE:]]
    else:
        rows = [_render(r, f, indent + 1, summarize) for r in items]
    depth = 1
    probe = x[0]
    while isinstance(probe, list) and probe and isinstance(probe[0], list):
        depth += 1
        probe = probe[0]
    sep = "," + "\n" * depth + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def tensor_repr(t: Any) -> str:
    values = t._backend.k.to_host(t._data).tolist()
    dtype = t.dtype
    summarize = t.numel() > _THRESHOLD
    prefix = "tensor("
    flat = _flatten(values, summarize)
    f = _Formatter(flat, dtype)
    body = _render(values, f, len(prefix), summarize)
    suffix = []
    if t.numel() == 0 and t.ndim != 1:
        suffix.append(f"size={tuple(t.shape)}")
    default_dtypes = (D.get_default_dtype(), D.int64, D.bool_)
    if dtype not in default_dtypes or (t.numel() == 0 and dtype is not D.get_default_dtype()):
        suffix.append(f"dtype={dtype!r}")
    if t.device.type != "cpu":
        suffix.append(f"device='{t.device}'")
    if t._grad_fn is not None:
        suffix.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"
