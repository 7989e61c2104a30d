"""Running a recurrent layer over a sequence: the time loop of ``RNN``, ``LSTM`` and ``GRU``,
padded or packed, one direction at a time.

The input projection of every time step is one matrix product before the loop (as PyTorch's
CPU kernels do). An LSTM over a padded sequence without projections then runs as one node
(``_rnn_layer``); otherwise a step is one ``AddmmBackward0`` (the hidden projection added to the
step's slice) and one fused cell node (``_rnn.py``). A packed batch is run on its data
directly: at step ``t`` only the first ``batch_sizes[t]`` rows are live, so the state shrinks
(forward) or grows (backward) by slicing, and a finished row keeps its last state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._linalg import addmm, mm
from ..._ops_pointwise import relu, tanh
from ..._ops_shape import cat, split, stack
from ..._tensor import Tensor
from ..functional._linear import linear
from ..functional._rnn import gru_step, lstm_step
from ..functional._rnn_layer import lstm_layer

Weights = Sequence[Any]
"""One layer and direction's ``(w_ih, w_hh, b_ih, b_hh[, w_hr])``, biases None without."""


def _step(mode: str, x: Tensor, h: Tensor, c: Any, w: Any) -> tuple[Tensor, Any]:
    """One time step: ``w`` is ``(w_hh^T, b_hh, w_hr^T)`` as prepared by ``run_direction``."""
    w_hh_t, b_hh, w_hr_t = w
    if mode == "LSTM":
        h, c = lstm_step(addmm(x, h, w_hh_t), c)
        return (h if w_hr_t is None else mm(h, w_hr_t)), c
    if mode == "GRU":
        y = mm(h, w_hh_t) if b_hh is None else addmm(b_hh, h, w_hh_t)
        return gru_step(x, y, h), None
    pre = addmm(x, h, w_hh_t)
    return (tanh(pre) if mode == "RNN_TANH" else relu(pre)), None


def _input_projection(mode: str, x: Tensor, w: Weights) -> Tensor:
    """Every step's ``x w_ih^T + b_ih`` at once, ``b_hh`` folded in where the cell allows."""
    b_ih, b_hh = w[2], w[3]
    if mode != "GRU" and b_hh is not None:
        b_ih = b_hh if b_ih is None else b_ih + b_hh
    if x.ndim == 2:
        return linear(x, w[0], b_ih)
    # As one matrix (T * B, in): a 2-D product is one BLAS call each way, where a batched
    # one broadcasts the weight and sums its gradient over time afterwards.
    t, b, n = x.shape
    return linear(x.reshape(t * b, n), w[0], b_ih).reshape(t, b, -1)


def run_direction(
    mode: str,
    x: Tensor,
    h0: Tensor,
    c0: Any,
    w: Weights,
    reverse: bool,
    batch_sizes: list[int] | None,
) -> tuple[Tensor, Tensor, Any]:
    """One layer in one direction: ``(output, h_n, c_n)``. ``x`` is (T, B, in) padded or
    the packed data (N, in) with its ``batch_sizes``; the output has the same layout."""
    xw = _input_projection(mode, x, w)
    if (
        mode == "LSTM"
        and batch_sizes is None
        and xw.ndim == 3
        and xw.shape[0]
        and (len(w) < 5 or w[4] is None)
    ):  # the common case: the whole recurrence one node (``_rnn_layer``)
        return lstm_layer(xw, w[1], h0, c0, reverse)
    steps = list(xw.unbind(0) if batch_sizes is None else split(xw, batch_sizes, 0))
    prep = (
        w[1].t(),
        w[3] if mode == "GRU" else None,
        w[4].t() if len(w) > 4 and w[4] is not None else None,
    )
    sizes = batch_sizes or [h0.shape[0]] * len(steps)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    outs: list[Any] = [None] * len(steps)
    finished: list[tuple[Tensor, Any]] = []
    h, c, live = h0, c0, h0.shape[0]
    if reverse:
        live = sizes[-1]
        h, c = h0[:live], (None if c0 is None else c0[:live])
    for t in order:
        bs = sizes[t]
        if bs < live:  # forward over a packed batch: rows bs.. end here
            finished.append((h[bs:], None if c is None else c[bs:]))
            h, c = h[:bs], (None if c is None else c[:bs])
        elif bs > live:  # backward: rows live..bs start here, from their initial state
            h = cat([h, h0[live:bs]])
            c = None if c is None else cat([c, c0[live:bs]])
        live = bs
        h, c = _step(mode, steps[t], h, c, prep)
        outs[t] = h
    if finished:
        h = cat([h, *[f[0] for f in reversed(finished)]])
        c = None if c is None else cat([c, *[f[1] for f in reversed(finished)]])
    out = stack(outs) if batch_sizes is None else cat(outs)
    return out, h, c
