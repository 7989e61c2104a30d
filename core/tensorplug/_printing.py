"""``repr`` of tensors in PyTorch's format: 4 decimals, aligned columns, rows wrapped at 80
characters, large tensors summarised with ``...``."""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D

_THRESHOLD = 1000  # more elements than this: print the edges only
_EDGE = 3  # items kept at each end of a summarised dim
_LINEWIDTH = 80


class _Formatter:
    """One number format for a whole tensor, chosen as PyTorch chooses it.

    The width and the mode come from the nonzero finite values only: integral floats print as
    ``1.``, a wide range of magnitudes (or tiny values) switches to scientific notation.
    """

    def __init__(self, values: list[Any], dtype: D.dtype) -> None:
        self.floating = dtype.is_floating_point
        self.int_mode = True
        self.sci = False
        self.width = 1
        if not self.floating:
            self.width = max((len(str(v)) for v in values), default=1)
            return
        nz = [v for v in values if math.isfinite(v) and v != 0]
        if not nz:
            return
        lo, hi = min(abs(v) for v in nz), max(abs(v) for v in nz)
        self.int_mode = all(float(v).is_integer() for v in nz)
        wide = hi / lo > 1000.0 or hi > 1.0e8
        self.sci = wide if self.int_mode else wide or lo < 1.0e-4
        if self.sci:
            widths = [len(f"{v:.4e}") for v in nz]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in nz]
        else:
            widths = [len(f"{v:.4f}") for v in nz]
        self.width = max(self.width, *widths)

    def fmt(self, v: Any) -> str:
        if not self.floating:
            text = str(v)
        elif self.sci:
            text = f"{v:.4e}"
        elif self.int_mode:
            text = f"{v:.0f}" + ("." if math.isfinite(v) else "")
        else:
            text = f"{v:.4f}"
        return text.rjust(self.width)


def _edges(x: list[Any], summarize: bool) -> tuple[list[Any], bool]:
    """``x`` or, summarised, its first and last ``_EDGE`` items; and whether it was cut."""
    if summarize and len(x) > 2 * _EDGE:
        return x[:_EDGE] + x[-_EDGE:], True
    return x, False


def _values(x: Any, ndim: int, summarize: bool) -> list[Any]:
    """The scalars that will be printed (the edges only, when summarised)."""
    if ndim == 0:
        return [x]
    items, _ = _edges(x, summarize)
    if ndim == 1:
        return items
    out: list[Any] = []
    for it in items:
        out.extend(_values(it, ndim - 1, summarize))
    return out


def _render(x: Any, f: _Formatter, ndim: int, indent: int, summarize: bool) -> str:
    if ndim == 0:
        return f.fmt(x)
    items, cut = _edges(x, summarize)
    if ndim == 1:
        parts = [f.fmt(v) for v in items]
        if cut:
            parts.insert(_EDGE, " ...")
        per_line = max(1, (_LINEWIDTH - indent) // (f.width + 2))
        lines = [", ".join(parts[i : i + per_line]) for i in range(0, len(parts), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_render(r, f, ndim - 1, indent + 1, summarize) for r in items]
    if cut:
        rows.insert(_EDGE, "...")
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new line when it would pass 80 columns."""
    parts = [text]
    line = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if line + len(s) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + s)
            line = indent + len(s)
        else:
            parts.append(", " + s)
            line += len(s) + 2
    return "".join(parts) + ")"


def tensor_repr(t: Any) -> str:
    prefix = "tensor("
    indent = len(prefix)
    dtype = t.dtype
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = dtype in (D.get_default_dtype(), D.int64, D.bool_)
    if t.numel() == 0:
        body = "[]"
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if dtype is not D.get_default_dtype():
            suffixes.append(f"dtype={dtype!r}")
    else:
        values = t._backend.k.to_host(t._data).tolist()
        summarize = t.numel() > _THRESHOLD
        f = _Formatter(_values(values, t.ndim, summarize), dtype)
        body = _render(values, f, t.ndim, indent, summarize)
        if not default:
            suffixes.append(f"dtype={dtype!r}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
