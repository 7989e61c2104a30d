"""An LSTM layer's recurrence over a whole sequence, forward and backward, written once on an
``ops`` namespace: the defaults of the derived kernels ``lstm_layer`` and
``lstm_layer_backward`` (``_backend.default_kernels``, on the backend's own kernels) and, on
``TENSOR_OPS``, the backward a ``create_graph=True`` backward records
(``nn/functional/_rnn_layer.py``, ``MkldnnRnnLayerBackward0``).

A backend overrides the two kernels only to be faster, with the same operations in the same
order (the NumPy backend's write in place into preallocated buffers: ``tensorplug_numpy._lstm``,
the same bits as these formulas on its kernels).

Step ``t`` from the projected input ``xw_t`` (``x_t W_ih^T + b_ih + b_hh``): ``a_t = xw_t +
h_{t-1} W_hh^T = [a_i | a_f | a_g | a_o]``, ``s_t = sigmoid(a_t)`` (all four blocks; ``g``'s is
unused), ``g_t = tanh(a_g)``, ``c_t = f c_{t-1} + i g_t``, ``h_t = o tanh(c_t)``.
"""

from __future__ import annotations

from typing import Any

from ._contract import Array, BackendOps, KernelOps

T2 = (1, 0)
"""A matrix's transpose."""


def _last(ops: KernelOps, a: Array, start: int, stop: int) -> Array:
    """``a[..., start:stop]``."""
    return ops.getitem(a, (Ellipsis, slice(start, stop)))


def time_steps(steps: int, reverse: bool) -> range:
    """The steps in the order the recurrence visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def lstm_layer(
    ops: BackendOps, xw: Array, w_hh: Array, h0: Array, c0: Array, reverse: bool
) -> tuple[Array, Array, Array]:
    """``(out, s, g)``: ``out = [h_1..h_T ; c_1..c_T]`` (2, T, B, H), each step's sigmoid of
    its gates ``s`` (T, B, 4H) and ``g = tanh(a_g)`` (T, B, H), kept for the backward."""
    steps, n = xw.shape[0], h0.shape[-1]
    hs: list[Any] = [None] * steps
    cs: list[Any] = [None] * steps
    ss: list[Any] = [None] * steps
    gs: list[Any] = [None] * steps
    h, c = h0, c0
    for t in time_steps(steps, reverse):
        # (W_hh h^T)^T: a (4H, B) product is faster than h W_hh^T (B, 4H) on BLAS (skinny
        # results transposed, docs/performance.md)
        a = ops.add(ops.getitem(xw, t), ops.permute(ops.matmul(w_hh, ops.permute(h, T2)), T2))
        s = ss[t] = ops.sigmoid(a)  # i, f and o; g's columns are tanh's
        g = gs[t] = ops.tanh(_last(ops, a, 2 * n, 3 * n))
        c = ops.add(ops.mul(_last(ops, s, n, 2 * n), c), ops.mul(_last(ops, s, 0, n), g))
        h = hs[t] = ops.mul(_last(ops, s, 3 * n, 4 * n), ops.tanh(c))
        cs[t] = c
    out = ops.reshape(ops.stack(hs + cs, 0), (2, steps, *h0.shape))  # one copy
    return out, ops.stack(ss, 0), ops.stack(gs, 0)


def previous(ops: KernelOps, states: Array, first: Array, reverse: bool) -> Array:
    """Each step's previous state, in time order: ``first`` then ``states`` shifted by one
    (reversed: ``states[1:]`` then ``first``)."""
    steps, lead = states.shape[0], ops.reshape(first, (1, *first.shape))
    if reverse:
        return ops.concat([ops.getitem(states, slice(1, steps)), lead], 0)
    return ops.concat([lead, ops.getitem(states, slice(0, steps - 1))], 0)


def gate_factors(ops: KernelOps, s: Array, g: Array, cs: Array, c_prev: Array) -> tuple[Array, ...]:
    """What multiplies the states' gradients at each step, for all steps at once:
    ``(f, po, ko, ki, kf, kg)`` with ``gc_t = g_c,t + gc_{t+1} f_{t+1} + gh_t po_t`` and
    ``dgates_t = [gc ki | gc kf | gc kg | gh ko]``."""
    n = g.shape[-1]
    i, f, o = _last(ops, s, 0, n), _last(ops, s, n, 2 * n), _last(ops, s, 3 * n, 4 * n)
    tc = ops.tanh(cs)
    po, ko = ops.tanh_backward(o, tc), ops.sigmoid_backward(tc, o)
    ki, kf = ops.sigmoid_backward(g, i), ops.sigmoid_backward(c_prev, f)
    return f, po, ko, ki, kf, ops.tanh_backward(i, g)


# fmt: off
def lstm_layer_backward(
    ops: KernelOps, grad: Array, w_hh: Array, h0: Array, c0: Array, out: Array, s: Array,
    g: Array, reverse: bool,
) -> tuple[Array, Array, Array, Array]:
    """``(grad xw, grad W_hh, grad h0, grad c0)`` from ``grad`` of ``out`` (2, T, B, H) and
    what the forward kept. With ``gh_t = g_h,t + dgates_{t+1} W_hh``: ``dgates_t`` as the
    LSTM cell's (grad xw_t), grad W_hh = sum_t dgates_t^T h_{t-1} (ONE (4H, T B) by (T B, H)
    product), grad h0 = dgates_1 W_hh, grad c0 = gc_1 f_1."""
    steps, batch, n = s.shape[0], h0.shape[0], h0.shape[-1]
    hs, cs = ops.getitem(out, 0), ops.getitem(out, 1)
    c_prev = previous(ops, cs, c0, reverse)
    f, po, ko, ki, kf, kg = gate_factors(ops, s, g, cs, c_prev)
    gh_all, gc_all = ops.getitem(grad, 0), ops.getitem(grad, 1)
    dgates: list[Any] = [None] * steps
    dh = dc = None
    for t in time_steps(steps, not reverse):
        gh = ops.getitem(gh_all, t)
        gh = gh if dh is None else ops.add(gh, dh)
        gc = ops.add(ops.getitem(gc_all, t), ops.mul(gh, ops.getitem(po, t)))
        gc = gc if dc is None else ops.add(gc, dc)
        d = dgates[t] = ops.concat(
            [ops.mul(gc, ops.getitem(z, t)) for z in (ki, kf, kg)]
            + [ops.mul(gh, ops.getitem(ko, t))], 1)
        dc, dh = ops.mul(gc, ops.getitem(f, t)), ops.matmul(d, w_hh)
    flat = ops.concat(dgates, 0)  # (T B, 4H), time in order
    flat_prev = ops.reshape(previous(ops, hs, h0, reverse), (steps * batch, n))
    dw_hh = ops.matmul(ops.permute(flat, (1, 0)), flat_prev)
    return ops.reshape(flat, (steps, batch, 4 * n)), dw_hh, dh, dc
# fmt: on


def gates(
    ops: KernelOps, xw: Array, w_hh: Array, h0: Array, out: Array, reverse: bool
) -> tuple[Array, Array]:
    """``(s, g)`` recomputed from the saved states with ONE product (``h_{t-1} W_hh^T`` for
    all ``t``): a ``create_graph=True`` backward differentiates through them."""
    steps, batch, n = xw.shape[0], h0.shape[0], h0.shape[-1]
    flat_prev = ops.reshape(previous(ops, ops.getitem(out, 0), h0, reverse), (steps * batch, n))
    a = ops.add(xw, ops.reshape(
        ops.matmul(flat_prev, ops.permute(w_hh, (1, 0))), (steps, batch, 4 * n)))  # fmt: skip
    return ops.sigmoid(a), ops.tanh(_last(ops, a, 2 * n, 3 * n))
