"""An LSTM layer's recurrence over a whole sequence as one node, as PyTorch's CPU LSTM records
one ``MkldnnRnnLayerBackward0`` per layer and direction.

Per time step the graph of ``_rnn.py`` holds an ``AddmmBackward0``, a fused cell node and two
split views, and its backward makes one skinny product per step for the recurrent weight's
gradient. Here the forward loop runs inside one node, as the kernel pair ``lstm_layer`` /
``lstm_layer_backward`` (derived: the defaults are ``tensorplug._lstm_formulas`` on any
backend's kernels; the NumPy backend's write in place, ``tensorplug_numpy._lstm``), and keeps
every step's gates (as PyTorch's CPU kernel keeps its workspace); the backward runs the
recursion of the states' gradients and makes the recurrent weight's gradient ONE product over
the sequence (``dW_hh = sum_t dgates_t^T h_{t-1}``, a (4H, T B) by (T B, H) product). The
input projection stays the ``AddmmBackward0`` before the node (one product for the sequence
either way). ``create_graph=True`` differentiates the backward's formula on tensors (double
backward, as PyTorch's CPU LSTM supports): there the gates are recomputed as tensor ops from
the saved states, with ONE product (``h_{t-1} W_hh^T`` for all ``t``).
"""

from __future__ import annotations

from typing import Any

from ... import _lstm_formulas as F
from ..._contract import Array, KernelOps
from ..._dispatch import nary
from ..._graph import OUT, Node
from ..._tensor import Tensor
from ..._tensor_ops import TENSOR_OPS


# fmt: off
class MkldnnRnnLayerBackward0(Node):
    """LSTM recurrence from the projected input ``xw`` (T, B, 4H: ``x_t W_ih^T + b_ih + b_hh``),
    ``W_hh`` (4H, H), ``h0`` and ``c0`` (B, H); ``reverse`` runs time backwards. Step ``t``:
    ``a_t = xw_t + h_{t-1} W_hh^T = [a_i | a_f | a_g | a_o]``, ``c_t = sig(a_f) c_{t-1} +
    sig(a_i) tanh(a_g)``, ``h_t = sig(a_o) tanh(c_t)``; output ``[h_1..h_T ; c_1..c_T]``
    (2, T, B, H). With ``gh_t = g_h,t + dgates_{t+1} W_hh`` and ``gc_t = g_c,t + gc_{t+1}
    sig(a_f,t+1) + gh_t sig(a_o) (1 - tanh² c_t)``: ``dgates_t`` as the LSTM cell's (grad xw_t),
    grad W_hh = sum_t dgates_t^T h_{t-1}, grad h0 = dgates_1 W_hh, grad c0 = gc_1 sig(a_f,1).
    The kernels ``lstm_layer`` and ``lstm_layer_backward`` (``tensorplug._lstm_formulas``)."""
    op, save, float_only = "mkldnn_rnn_layer", (0, 1, 2, 3, OUT), True

    @staticmethod
    def forward(
        k: Any, xw: Array, w_hh: Array, h0: Array, c0: Array, reverse: bool, kept: list[Any]
    ) -> Array:
        out, s, g = k.lstm_layer(xw, w_hh, h0, c0, reverse)
        kept[:] = [s, g]
        return out

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, grad: Array, xw: Array, w_hh: Array, h0: Array, c0: Array,
        out: Array,
    ) -> tuple[Any, ...]:
        reverse, kept = ctx.args
        # differentiable: the gates recomputed as tensor ops (else the ones forward kept)
        s, g = F.gates(ops, xw, w_hh, h0, out, reverse) if ops is TENSOR_OPS else kept
        return ops.lstm_layer_backward(grad, w_hh, h0, c0, out, s, g, reverse)
# fmt: on


def lstm_layer(
    xw: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, reverse: bool
) -> tuple[Tensor, Tensor, Tensor]:
    """``(output, h_n, c_n)`` of one LSTM layer and direction over a padded sequence from its
    projected input ``xw`` (T, B, 4H), one ``MkldnnRnnLayerBackward0`` node."""
    y = nary(MkldnnRnnLayerBackward0, (xw, w_hh, h0, c0), reverse, [])
    last = 0 if reverse else xw.shape[0] - 1
    return y[0], y[0, last], y[1, last]
