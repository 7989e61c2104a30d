"""``einsum``: any subscript string (ellipsis, repeated and broadcast labels), operands
contracted pairwise through ``matmul``, three or more in a greedy order.

Each operand first loses its repeated labels (a ``diagonal``) and the labels no one else
needs (a ``sum``). Then, while more than one operand is left, the pair whose result is
smallest is contracted: both are permuted to ``(batch, own, contracted)`` layouts, reshaped
to three dims and multiplied with one batched ``matmul``. Every step is a recorded tensor op,
so gradients (and double backward) come from those ops' nodes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import _linalg as L
from . import _ops_reduce as R
from . import _ops_shape as S
from ._ops_layout import diagonal
from ._tensor import Tensor

_ELLIPSIS_BASE = 0x100
"""Ellipsis dims get labels from here on (characters no subscript can be)."""


def _fail(msg: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {msg}")


def _labels(term: str, ndim: int, pos: int, n_ell: int | None) -> list[str]:
    """The labels of one operand's term; its ellipsis dims are the last of all ellipsis dims."""
    out: list[str] = []
    i = 0
    while i < len(term):
        c = term[i]
        if term.startswith("...", i):
            k = ndim - (len(term.replace("...", "").replace(" ", "")))
            k = max(k, 0) if n_ell is None else n_ell
            total = n_ell if n_ell is not None else k
            out.extend(chr(_ELLIPSIS_BASE + total - k + j) for j in range(k))
            i += 3
            continue
        if c != " ":
            if not c.isascii() or not c.isalpha():
                raise _fail(
                    f"invalid subscript given at index {pos + i} in the equation string, "
                    "subscripts must be in [a-zA-Z]"
                )
            out.append(c)
        i += 1
    return out


def _parse(equation: str, ndims: Sequence[int]) -> tuple[list[list[str]], list[str]]:
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) < len(ndims):
        raise _fail("more operands were provided than specified in the equation")
    if len(terms) > len(ndims):
        raise _fail("fewer operands were provided than specified in the equation")
    n_ell = 0
    inputs = []
    pos = 0
    for i, (term, nd) in enumerate(zip(terms, ndims)):
        explicit = len(term.replace("...", "").replace(" ", ""))
        if "..." not in term and explicit != nd:
            raise _fail(
                f"the number of subscripts in the equation ({explicit}) does not match the "
                f"number of dimensions ({nd}) for operand {i} and no ellipsis was given"
            )
        if "..." in term and explicit > nd:
            raise _fail(
                f"the number of subscripts in the equation ({explicit}) is more than the number "
                f"of dimensions ({nd}) for operand {i}"
            )
        k = nd - explicit if "..." in term else 0
        n_ell = max(n_ell, k)
        inputs.append((term, nd, pos, k))
        pos += len(term) + 1
    labels = [_labels(t, nd, p, k) for t, nd, p, k in inputs]
    # Ellipsis labels right-aligned across operands: renumber so the last dims agree.
    labels = [
        [c if ord(c) < _ELLIPSIS_BASE else chr(ord(c) + n_ell - k) for c in ls]
        for ls, (_, _, _, k) in zip(labels, inputs)
    ]
    seen = [c for ls in labels for c in ls]
    if arrow:
        output = _labels(rhs, n_ell + len(rhs.replace("...", "")), len(lhs) + 2, n_ell)
        for c in output:
            if output.count(c) > 1:
                raise _fail(f"output subscript {c} appears more than once in the output")
            if c not in seen:
                raise _fail(
                    f"output subscript {c} does not appear in the equation for any input operand"
                )
    else:
        ell = sorted({c for c in seen if ord(c) >= _ELLIPSIS_BASE})
        output = ell + sorted(
            c for c in set(seen) if ord(c) < _ELLIPSIS_BASE and seen.count(c) == 1
        )
    return labels, output


def _sizes(labels: list[list[str]], operands: Sequence[Tensor]) -> dict[str, int]:
    size: dict[str, int] = {}
    for i, (ls, t) in enumerate(zip(labels, operands)):
        for c, n in zip(ls, t.shape):
            have = size.get(c)
            if have is None or have == 1:
                size[c] = n  # a size 1 broadcasts to the other's (0 included)
            elif n != have and n != 1:
                name = "..." if ord(c) >= _ELLIPSIS_BASE else c
                raise _fail(
                    f"subscript {name} has size {n} for operand {i} which does not broadcast "
                    f"with previously seen size {have}"
                )
    return size


def _prepare(t: Tensor, ls: list[str], keep: set[str]) -> tuple[Tensor, list[str]]:
    """``t`` with its repeated labels reduced to one (their diagonal) and the labels not in
    ``keep`` summed away."""
    ls = list(ls)
    for c in dict.fromkeys(ls):
        while ls.count(c) > 1:
            i = ls.index(c)
            j = ls.index(c, i + 1)
            t = diagonal(t, 0, i, j)  # the diagonal's dim goes last
            ls = [x for n, x in enumerate(ls) if n not in (i, j)] + [c]
    drop = tuple(i for i, c in enumerate(ls) if c not in keep)
    if drop:
        t = R.sum(t, drop)
        ls = [c for c in ls if c in keep]
    return t, ls


def _permuted(t: Tensor, ls: list[str], order: list[str]) -> Tensor:
    perm = [ls.index(c) for c in order]
    return t if perm == list(range(len(perm))) else S.permute(t, perm)


def _contract(
    a: Tensor, la: list[str], b: Tensor, lb: list[str], keep: set[str], size: dict[str, int]
) -> tuple[Tensor, list[str]]:
    """``a`` and ``b`` contracted over their shared labels not in ``keep``, by one matmul."""
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    own_a = [c for c in la if c not in lb]
    own_b = [c for c in lb if c not in la]
    a = _expanded(
        _permuted(a, la, batch + own_a + summed), batch + own_a + summed, size, batch + summed
    )
    b = _expanded(
        _permuted(b, lb, batch + summed + own_b), batch + summed + own_b, size, batch + summed
    )
    nb, nk = _prod(size, batch), _prod(size, summed)
    ma, nbn = _prod(size, own_a, a, len(batch)), _prod(size, own_b, b, len(batch) + len(summed))
    out = L.matmul(S.reshape(a, (nb, ma, nk)), S.reshape(b, (nb, nk, nbn)))
    shape = [size[c] for c in batch] + list(a.shape[len(batch) : len(batch) + len(own_a)])
    shape += list(b.shape[len(batch) + len(summed) :])
    return S.reshape(out, shape), batch + own_a + own_b


def _prod(size: dict[str, int], labels: list[str], t: Tensor | None = None, at: int = 0) -> int:
    if t is None:
        return math.prod(size[c] for c in labels)
    return math.prod(t.shape[at : at + len(labels)])


def _expanded(t: Tensor, ls: list[str], size: dict[str, int], shared: list[str]) -> Tensor:
    """``t`` with its size-1 shared labels broadcast to the size the other operand has."""
    target = [size[c] if c in shared else n for c, n in zip(ls, t.shape)]
    return t if list(t.shape) == target else S.expand(t, *target)


def _greedy_pair(
    labels: list[list[str]], size: dict[str, int], output: list[str]
) -> tuple[int, int]:
    """The pair whose contraction makes the smallest intermediate."""
    best: tuple[int, int, int] | None = None
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            others = {c for k, ls in enumerate(labels) if k not in (i, j) for c in ls}
            keep = others | set(output)
            kept = (set(labels[i]) | set(labels[j])) & keep
            cost = _prod(size, sorted(kept))
            if best is None or cost < best[0]:
                best = (cost, i, j)
    assert best is not None
    return best[1], best[2]


def _sublist_equation(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``("Ab,bc->Ac"-like equation, (a, b))``:
    labels 0-25 are ``A``-``Z`` and 26-51 ``a``-``z`` (PyTorch's), ``...`` is ``Ellipsis``."""

    def letters(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
                continue
            if not isinstance(s, int) or isinstance(s, bool):
                raise TypeError(f"einsum(): subscripts must be ints or Ellipsis, not {s!r}")
            if not 0 <= s < 52:
                raise ValueError(
                    "einsum(): subscript in subscript list is not within the valid range [0, 52)"
                )
            out.append(chr(ord("A") + s) if s < 26 else chr(ord("a") + s - 26))
        return "".join(out)

    n = len(args) // 2
    operands = args[0 : 2 * n : 2]
    lhs = ",".join(letters(s) for s in args[1 : 2 * n : 2])
    return (lhs + "->" + letters(args[-1]) if len(args) % 2 else lhs), operands


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Sums of products of the operands' elements, as the subscripts say (PyTorch's rules:
    ``...`` for leading dims, repeated labels take a diagonal, the output without ``->`` is
    each label used once, in alphabetical order). The sublist form ``einsum(a, [0, 1], b,
    [1, 2], [0, 2])`` names the dims with ints (0 to 51) and ``...``.

    >>> import tensorplug as tp
    >>> a, b = tp.ones(2, 3), tp.ones(3, 4)
    >>> tp.einsum("ij,jk->ik", a, b).shape
    (2, 4)
    >>> tp.einsum(a, [0, 1], b, [1, 2], [0, 2]).shape
    (2, 4)
    """
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a str, not {type(equation).__name__}")
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operands must be Tensors, not {type(t).__name__}")
    labels, output = _parse(equation, [t.ndim for t in operands])
    size = _sizes(labels, operands)
    ts = list(operands)
    for i in range(len(ts)):
        keep = set(output) | {c for k, ls in enumerate(labels) if k != i for c in ls}
        ts[i], labels[i] = _prepare(ts[i], labels[i], keep)
    while len(ts) > 1:
        i, j = _greedy_pair(labels, size, output) if len(ts) > 2 else (0, 1)
        keep = set(output) | {c for k, ls in enumerate(labels) if k not in (i, j) for c in ls}
        t, ls = _contract(ts[i], labels[i], ts[j], labels[j], keep, size)
        ts = [x for k, x in enumerate(ts) if k not in (i, j)] + [t]
        labels = [x for k, x in enumerate(labels) if k not in (i, j)] + [ls]
    t, ls = _prepare(ts[0], labels[0], set(output))
    t = _permuted(t, ls, [c for c in output if c in ls])
    target = [size[c] for c in output]
    if list(t.shape) != target:  # a label of size 1 here that another operand broadcast
        t = S.expand(S.reshape(t, [n if c in ls else 1 for c, n in zip(output, target)]), *target)
    return t if t is not operands[0] else S.clone(t)
