"""Connectionist temporal classification: ``ctc_loss`` (Graves et al., 2006), as PyTorch's.

The forward-backward recursions over the extended label sequence (a blank around every
label) run in log space on the backend's kernels, one sample at a time. The node keeps, per
time step and class, ``log(sum of alpha * beta over the label's positions) + nll``; its
backward is PyTorch's ``ctc_loss_backward`` formula, ``exp(lp) - exp(that - lp)``: the
gradient through a ``log_softmax`` folded in, as PyTorch gives it, so gradients match
PyTorch's exactly. Like PyTorch's, it has no double backward.
"""

from __future__ import annotations

import math
from typing import Any

from ... import _functional_write as fw
from ..._contract import Array, KernelOps
from ..._creation import tensor
from ..._dispatch import unary
from ..._graph import Node
from ..._ops_pointwise import where
from ..._tensor import Tensor
from ..._tensor_ops import TENSOR_OPS

__all__ = ["ctc_loss"]

_NEG_INF = -math.inf


def _lse(k: Any, parts: list[Any]) -> Any:
    """``log(sum(exp(p)))`` of same-shape arrays, elementwise, without overflow."""
    m = parts[0]
    for p in parts[1:]:
        m = k.maximum(m, p)
    safe = k.where(k.eq(m, _NEG_INF), 0.0, m)
    total = k.exp(k.sub(parts[0], safe))
    for p in parts[1:]:
        total = k.add(total, k.exp(k.sub(p, safe)))
    return k.add(safe, k.log(total))


def _shift(k: Any, a: Any, by: int, fill: Any) -> Any:
    """``a`` moved right by ``by`` along its one axis, ``fill`` coming in."""
    return k.concat([fill[:by], k.getitem(a, (slice(0, a.shape[0] - by),))], 0)


def _recursion(k: Any, lpe: Any, ext: list[int], steps: int, skip: Any, fill: Any) -> list[Any]:
    """Log alphas ``[alpha_0, ..., alpha_{steps-1}]`` over ``lpe`` (time x extended labels)."""
    n = len(ext)
    first = k.full((n,), _NEG_INF, k.dtype_of(lpe))
    first = fw.put(k, first, (slice(0, min(2, n)),), k.getitem(lpe, (0, slice(0, min(2, n)))))
    out = [first]
    for t in range(1, steps):
        a = out[-1]
        parts = [a, _shift(k, a, 1, fill)]
        if n > 2:
            parts.append(k.where(skip, _shift(k, a, 2, fill), _NEG_INF))
        out.append(k.add(_lse(k, parts), k.getitem(lpe, (t,))))
    return out


def _sample(k: Any, lp: Any, labels: list[int], steps: int, blank: int) -> tuple[Any, Any]:
    """One sample's negative log-likelihood (0-d) and its ``log(alpha beta) + nll`` table
    (``steps`` x classes)."""
    ext = [blank]
    for c in labels:
        ext += [c, blank]
    n, classes = len(ext), lp.shape[-1]
    dt = k.dtype_of(lp)
    if steps == 0:  # no frames: only the empty target is possible
        return k.full((), math.inf if labels else 0.0, dt), k.full((0, classes), _NEG_INF, dt)
    fill = k.full((2,), _NEG_INF, dt)
    # The extended labels' columns, one slice each: an integer array beside a slice is not
    # an index every Array-API library takes.
    frames = k.getitem(lp, (slice(0, steps),))
    lpe = k.concat([k.getitem(frames, (slice(None), slice(c, c + 1))) for c in ext], 1)
    skip_host = [s >= 2 and ext[s] != blank and ext[s] != ext[s - 2] for s in range(n)]
    skip = k.from_host(skip_host, None)
    alphas = _recursion(k, lpe, ext, steps, skip, fill)
    # beta: the same recursion on the reversed sequences, then reversed back
    rev = k.getitem(k.getitem(lpe, (slice(None, None, -1),)), (slice(None), slice(None, None, -1)))
    rskip = k.from_host([s >= 2 and ext[n - 1 - s] != blank and ext[n - 1 - s] != ext[n + 1 - s]
                         for s in range(n)], None)  # fmt: skip
    betas = _recursion(k, rev, ext[::-1], steps, rskip, fill)
    last = alphas[-1]
    ends = [k.getitem(last, (n - 1,))] + ([k.getitem(last, (n - 2,))] if n > 1 else [])
    nll = k.neg(_lse(k, ends))
    # log(alpha_t(s) beta_t(s)), each including lp_t(l'_s), as PyTorch's table has it
    back = k.getitem(k.stack(betas[::-1], 0), (slice(None), slice(None, None, -1)))
    ab = k.add(k.stack(alphas, 0), back)
    table = k.full((steps, classes), _NEG_INF, dt)
    for c in sorted(set(ext)):
        cols = [k.getitem(ab, (slice(None), s)) for s in range(n) if ext[s] == c]
        table = fw.put(k, table, (slice(None), c), _lse(k, cols))
    return nll, k.add(table, nll)


# fmt: off
class CtcLossBackward0(Node):
    """Per-sample CTC negative log-likelihood ``-log p(target | log_probs)``: grad lp[t, n, c]
    = g[n] * (exp(lp) - exp(log(sum_{s: l'_s = c} alpha_t(s) beta_t(s)) + nll - lp)) for
    t < input_length, 0 after (PyTorch's formula, which includes log_softmax's part)."""
    op, save = "ctc_loss", (0,)

    @staticmethod
    def forward(k: Any, lp: Any, losses: Any, post: Any, valid: Any) -> Any:
        return losses  # computed with the tables, by ``_tables``

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, lp: Array) -> tuple[Array]:
        if ops is TENSOR_OPS:
            raise RuntimeError("derivative for ctc_loss_backward is not implemented")
        _, post, valid = ctx.args
        g3 = ops.reshape(g, (1, -1, 1) if len(ctx.shapes[0]) == 3 else ())
        post, valid = ops.const(post, lp), ops.const(valid, lp)
        d = ops.sub(ops.exp(lp), ops.exp(ops.sub(post, lp)))
        return (ops.mul(ops.where(valid, d, 0.0), g3),)
# fmt: on


def _lengths(x: Any, name: str) -> list[int]:
    if isinstance(x, Tensor):
        return [int(v) for v in x.reshape(-1).tolist()]
    if isinstance(x, int):
        return [x]
    if isinstance(x, (list, tuple)):
        return [int(v) for v in x]
    raise TypeError(f"ctc_loss(): {name} must be a tensor or a sequence of ints")


def _targets(targets: Tensor, lengths: list[int]) -> list[list[int]]:
    flat = targets.tolist()
    if targets.ndim == 2:  # padded, one row per sample
        return [row[:n] for row, n in zip(flat, lengths)]
    out, start = [], 0
    for n in lengths:
        out.append(flat[start : start + n])
        start += n
    return out


def _tables(
    lp: Tensor, labels: list[list[int]], steps: list[int], blank: int, zero_infinity: bool
) -> tuple[Any, Any, Any]:
    k = lp._backend.k
    data = lp._data
    t_max, batch, classes = lp.shape
    dt = k.dtype_of(data)
    losses, posts, valids = [], [], []
    for n in range(batch):
        lp_n = k.getitem(data, (slice(None), n))
        nll, table = _sample(k, lp_n, labels[n], steps[n], blank)
        bad = zero_infinity and math.isinf(float(k.to_host(nll)))
        pad = k.full((t_max - steps[n], classes), _NEG_INF, dt)
        posts.append(k.concat([table, pad], 0))
        keep = [not bad and t < steps[n] for t in range(t_max)]
        valids.append(k.from_host(keep, None))
        losses.append(nll)  # an infinite one becomes 0 after the node, as in PyTorch
    post = k.stack(posts, 1)
    valid = k.reshape(k.stack(valids, 1), (t_max, batch, 1))
    return k.stack(losses, 0), post, valid


def _check(
    lp: Tensor, targets: Tensor, steps: list[int], lens: list[int], blank: int
) -> list[list[int]]:
    """The arguments checked as PyTorch checks them; each sample's labels."""
    if not lp.dtype.is_floating_point:
        raise RuntimeError(f"ctc_loss(): log_probs must be floating point, got {lp.dtype.name}")
    t_max, batch, classes = lp.shape
    if len(steps) != batch or len(lens) != batch:
        raise RuntimeError(
            f"ctc_loss(): expected input_lengths and target_lengths of size {batch}, got "
            f"{len(steps)} and {len(lens)}"
        )
    if any(not 0 <= s <= t_max for s in steps):
        raise RuntimeError(f"ctc_loss(): input_lengths must be in [0, {t_max}], got {steps}")
    if not 0 <= blank < classes:
        raise RuntimeError(f"ctc_loss(): blank must be in label range, got {blank}")
    if targets.dtype.is_floating_point:
        raise RuntimeError("ctc_loss(): targets must be integer class indices")
    labels = _targets(targets, lens)
    if [len(r) for r in labels] != lens:
        raise RuntimeError(f"ctc_loss(): targets hold fewer labels than target_lengths {lens}")
    if any(c == blank or not 0 <= c < classes for row in labels for c in row):
        raise RuntimeError("ctc_loss(): targets must be class indices in [0, C), never blank")
    return labels


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss of ``targets`` under per-frame log-probabilities ``log_probs`` (T, N, C) or
    (T, C); ``targets`` padded (N, S) or concatenated (sum of ``target_lengths``);
    ``reduction="mean"`` divides each loss by its target length first, as PyTorch does."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(
            f"ctc_loss(): log_probs must be (T, N, C) or (T, C), got {list(log_probs.shape)}"
        )
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    steps = _lengths(input_lengths, "input_lengths")
    lens = _lengths(target_lengths, "target_lengths")
    labels = _check(lp, targets, steps, lens, blank)
    losses, post, valid = _tables(lp, labels, steps, blank, zero_infinity)
    out = unary(CtcLossBackward0, lp, losses, post, valid)
    if zero_infinity:
        out = where(out == math.inf, out.new_zeros(()), out)
    if unbatched:
        out = out.squeeze(0)
    if reduction == "sum":
        return out.sum()
    if reduction == "mean":
        denom = tensor([max(n, 1) for n in lens], dtype=lp.dtype, backend=lp._backend)
        return (out / (denom if not unbatched else denom[0])).mean()
    return out
