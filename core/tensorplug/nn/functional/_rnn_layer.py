"""An LSTM layer's recurrence over a whole sequence as one node, as PyTorch's CPU LSTM records
one ``MkldnnRnnLayerBackward0`` per layer and direction.

Per time step the graph of ``_rnn.py`` holds an ``AddmmBackward0``, a fused cell node and two
split views, and its backward makes one skinny product per step for the recurrent weight's
gradient. Here the forward loop runs inside one node, on kernels, with the recurrent weight
transposed once into the contiguous layout BLAS multiplies fastest, and keeps every step's
gates (as PyTorch's CPU kernel keeps its workspace); the backward runs the recursion of the
states' gradients and makes the recurrent weight's gradient ONE product over the sequence
(``dW_hh = sum_t dgates_t^T h_{t-1}``, a (4H, T B) by (T B, H) product). The input projection
stays the ``AddmmBackward0`` before the node (one product for the sequence either way). The
backward is written with ``ops`` kernels, so every backend runs it and ``create_graph=True``
differentiates it again (double backward, as PyTorch's CPU LSTM supports): there the gates are
recomputed as tensor ops from the saved states, with ONE product (``h_{t-1} W_hh^T`` for all
``t``).
"""

from __future__ import annotations

from typing import Any

from ..._contract import Array, KernelOps
from ..._dispatch import nary
from ..._graph import OUT, Node
from ..._tensor import Tensor
from ..._tensor_ops import TENSOR_OPS


def _last(a: Array, start: int, stop: int, k: Any) -> Array:
    """``a[..., start:stop]``."""
    return k.getitem(a, (Ellipsis, slice(start, stop)))


# fmt: off
class MkldnnRnnLayerBackward0(Node):
    """LSTM recurrence from the projected input ``xw`` (T, B, 4H: ``x_t W_ih^T + b_ih + b_hh``),
    ``W_hh`` (4H, H), ``h0`` and ``c0`` (B, H); ``reverse`` runs time backwards. Step ``t``:
    ``a_t = xw_t + h_{t-1} W_hh^T = [a_i | a_f | a_g | a_o]``, ``c_t = sig(a_f) c_{t-1} +
    sig(a_i) tanh(a_g)``, ``h_t = sig(a_o) tanh(c_t)``; output ``[h_1..h_T ; c_1..c_T]``
    (2, T, B, H). With ``gh_t = g_h,t + dgates_{t+1} W_hh`` and ``gc_t = g_c,t + gc_{t+1}
    sig(a_f,t+1) + gh_t sig(a_o) (1 - tanh² c_t)``: ``dgates_t`` as the LSTM cell's (grad xw_t),
    grad W_hh = sum_t dgates_t^T h_{t-1}, grad h0 = dgates_1 W_hh, grad c0 = gc_1 sig(a_f,1)."""
    op, save, float_only = "mkldnn_rnn_layer", (0, 1, 2, 3, OUT), True

    @staticmethod
    def forward(
        k: Any, xw: Array, w_hh: Array, h0: Array, c0: Array, reverse: bool, kept: list[Any]
    ) -> Array:
        steps, n = xw.shape[0], h0.shape[-1]
        w_t = k.copy(k.permute(w_hh, (1, 0)))  # (H, 4H) contiguous: BLAS's fast layout
        hs: list[Any] = [None] * steps
        cs: list[Any] = [None] * steps
        ss: list[Any] = [None] * steps
        gs: list[Any] = [None] * steps
        h, c = h0, c0
        for t in range(steps - 1, -1, -1) if reverse else range(steps):
            a = k.add(k.getitem(xw, t), k.matmul(h, w_t))
            s = ss[t] = k.sigmoid(a)  # i, f and o; g's columns are tanh's
            g = gs[t] = k.tanh(_last(a, 2 * n, 3 * n, k))
            c = k.add(k.mul(_last(s, n, 2 * n, k), c), k.mul(_last(s, 0, n, k), g))
            h = hs[t] = k.mul(_last(s, 3 * n, 4 * n, k), k.tanh(c))
            cs[t] = c
        kept[:] = [k.stack(ss, 0), k.stack(gs, 0)]
        return k.reshape(k.stack(hs + cs, 0), (2, steps, *h0.shape))  # one copy

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, grad: Array, xw: Array, w_hh: Array, h0: Array, c0: Array,
        out: Array,
    ) -> tuple[Any, ...]:
        reverse, kept = ctx.args
        steps, batch, n = xw.shape[0], h0.shape[0], h0.shape[-1]
        hs, cs = ops.getitem(out, 0), ops.getitem(out, 1)
        h_prev, c_prev = _previous(ops, hs, h0, reverse), _previous(ops, cs, c0, reverse)
        flat_prev = ops.reshape(h_prev, (steps * batch, n))
        if ops is TENSOR_OPS:  # differentiable: the gates recomputed as tensor ops
            a = ops.add(xw, ops.reshape(
                ops.matmul(flat_prev, ops.permute(w_hh, (1, 0))), (steps, batch, 4 * n)))
            s, g = ops.sigmoid(a), ops.tanh(_last(a, 2 * n, 3 * n, ops))
        else:  # the gates forward kept
            s, g = kept
        i, f, o = _last(s, 0, n, ops), _last(s, n, 2 * n, ops), _last(s, 3 * n, 4 * n, ops)
        tc = ops.tanh(cs)
        # What multiplies the states' gradients at each step, for all steps at once: gc_t =
        # g_c,t + gc_{t+1} f_{t+1} + gh_t po_t, dgates_t = [gc k_i | gc k_f | gc k_g | gh k_o]
        po, ko = ops.tanh_backward(o, tc), ops.sigmoid_backward(tc, o)
        ki, kf = ops.sigmoid_backward(g, i), ops.sigmoid_backward(c_prev, f)
        kg = ops.tanh_backward(i, g)
        gh_all, gc_all = ops.getitem(grad, 0), ops.getitem(grad, 1)
        dgates: list[Any] = [None] * steps
        dh = dc = None
        for t in range(steps) if reverse else range(steps - 1, -1, -1):
            gh = ops.getitem(gh_all, t)
            gh = gh if dh is None else ops.add(gh, dh)
            gc = ops.add(ops.getitem(gc_all, t), ops.mul(gh, ops.getitem(po, t)))
            gc = gc if dc is None else ops.add(gc, dc)
            d = dgates[t] = ops.concat(
                [ops.mul(gc, ops.getitem(z, t)) for z in (ki, kf, kg)]
                + [ops.mul(gh, ops.getitem(ko, t))], 1)
            dc, dh = ops.mul(gc, ops.getitem(f, t)), ops.matmul(d, w_hh)
        flat = ops.concat(dgates, 0)  # (T B, 4H), time in order
        dw_hh = ops.matmul(ops.permute(flat, (1, 0)), flat_prev)
        return ops.reshape(flat, (steps, batch, 4 * n)), dw_hh, dh, dc
# fmt: on


def _previous(ops: KernelOps, states: Array, first: Array, reverse: bool) -> Array:
    """Each step's previous state, in time order: ``first`` then ``states`` shifted by one
    (reversed: ``states[1:]`` then ``first``)."""
    steps, lead = states.shape[0], ops.reshape(first, (1, *first.shape))
    if reverse:
        return ops.concat([ops.getitem(states, slice(1, steps)), lead], 0)
    return ops.concat([lead, ops.getitem(states, slice(0, steps - 1))], 0)


def lstm_layer(
    xw: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, reverse: bool
) -> tuple[Tensor, Tensor, Tensor]:
    """``(output, h_n, c_n)`` of one LSTM layer and direction over a padded sequence from its
    projected input ``xw`` (T, B, 4H), one ``MkldnnRnnLayerBackward0`` node."""
    y = nary(MkldnnRnnLayerBackward0, (xw, w_hh, h0, c0), reverse, [])
    last = 0 if reverse else xw.shape[0] - 1
    return y[0], y[0, last], y[1, last]
