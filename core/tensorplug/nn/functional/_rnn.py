"""The recurrent cell steps, as PyTorch names them (``torch.lstm_cell``, ``torch.gru_cell``,
``torch.rnn_tanh_cell``, ``torch.rnn_relu_cell``), and the fused nodes the recurrent layers
build one time step from.

A step of an LSTM or GRU is one node after its matrix products, as PyTorch's fused CUDA
cells are (``ThnnFusedLstmCellBackward0``, ``ThnnFusedGruCellBackward0``): the gates'
nonlinearities and the state update are one forward of a few kernels, and one backward that
recomputes the gates from the saved pre-activations instead of keeping a dozen intermediate
tensors. Our nodes have one output, so the LSTM node returns ``h`` and ``c`` side by side
(``[h | c]``, last dim 2H) and the callers split it (two views).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._contract import Array, KernelOps
from ..._dispatch import nary
from ..._graph import OUT, Node
from ..._linalg import addmm
from ..._ops_pointwise import relu, tanh
from ..._ops_shape import split
from ..._tensor import Tensor
from ._linear import linear

__all__ = ["gru_cell", "lstm_cell", "rnn_relu_cell", "rnn_tanh_cell"]


def _cols(a: Array, start: int, stop: int, k: Any) -> Array:
    return k.getitem(a, (slice(None), slice(start, stop)))


# fmt: off
class ThnnFusedLstmCellBackward0(Node):
    """LSTM step from the gate pre-activations ``a = [a_i | a_f | a_g | a_o]`` and ``c_prev``:
    ``c = sig(a_f) c_prev + sig(a_i) tanh(a_g)``, ``h = sig(a_o) tanh(c)``, output ``[h | c]``.
    With ``g = [g_h | g_c]`` and ``gc = g_c + g_h sig(a_o) (1 - tanh²c)``: grad a_i =
    gc tanh(a_g) sig'(a_i), grad a_f = gc c_prev sig'(a_f), grad a_g = gc sig(a_i) (1 - tanh² a_g),
    grad a_o = g_h tanh(c) sig'(a_o); grad c_prev = gc sig(a_f)."""
    op, save, float_only = "lstm_cell", (0, 1, OUT), True

    @staticmethod
    def forward(k: Any, gates: Array, cx: Array) -> Array:
        n = cx.shape[-1]
        i, f = k.sigmoid(_cols(gates, 0, n, k)), k.sigmoid(_cols(gates, n, 2 * n, k))
        g, o = k.tanh(_cols(gates, 2 * n, 3 * n, k)), k.sigmoid(_cols(gates, 3 * n, 4 * n, k))
        c = k.add(k.mul(f, cx), k.mul(i, g))
        return k.concat([k.mul(o, k.tanh(c)), c], 1)

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, grad: Array, gates: Array, cx: Array, out: Array
    ) -> tuple[Any, ...]:
        n = cx.shape[-1]
        i, f = ops.sigmoid(_cols(gates, 0, n, ops)), ops.sigmoid(_cols(gates, n, 2 * n, ops))
        g = ops.tanh(_cols(gates, 2 * n, 3 * n, ops))
        o = ops.sigmoid(_cols(gates, 3 * n, 4 * n, ops))
        gh, gc = _cols(grad, 0, n, ops), _cols(grad, n, 2 * n, ops)
        tc = ops.tanh(_cols(out, n, 2 * n, ops))
        gc = ops.add(gc, ops.tanh_backward(ops.mul(gh, o), tc))
        dgates = ops.concat([
            ops.sigmoid_backward(ops.mul(gc, g), i),
            ops.sigmoid_backward(ops.mul(gc, cx), f),
            ops.tanh_backward(ops.mul(gc, i), g),
            ops.sigmoid_backward(ops.mul(gh, tc), o),
        ], 1)
        return dgates, ops.mul(gc, f)


class ThnnFusedGruCellBackward0(Node):
    """GRU step from the input and hidden projections ``x = [x_r | x_z | x_n]``,
    ``y = [y_r | y_z | y_n]`` and ``h``: ``r = sig(x_r + y_r)``, ``z = sig(x_z + y_z)``,
    ``n = tanh(x_n + r y_n)``, output ``(1 - z) n + z h``. With ``dn = g (1 - z)(1 - n²)``:
    grad x = [dn y_n sig'(r) | g (h - n) sig'(z) | dn], grad y = [the same | the same | dn r],
    grad h = g z."""
    op, save, float_only = "gru_cell", (0, 1, 2), True

    @staticmethod
    def _gates(k: Any, x: Array, y: Array, n: int) -> tuple[Array, Array, Array]:
        r = k.sigmoid(k.add(_cols(x, 0, n, k), _cols(y, 0, n, k)))
        z = k.sigmoid(k.add(_cols(x, n, 2 * n, k), _cols(y, n, 2 * n, k)))
        return r, z, k.tanh(k.add(_cols(x, 2 * n, 3 * n, k), k.mul(r, _cols(y, 2 * n, 3 * n, k))))

    @staticmethod
    def forward(k: Any, x: Array, y: Array, h: Array) -> Array:
        _, z, n = ThnnFusedGruCellBackward0._gates(k, x, y, h.shape[-1])
        return k.add(n, k.mul(z, k.sub(h, n)))

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, grad: Array, x: Array, y: Array, h: Array
    ) -> tuple[Any, ...]:
        size = h.shape[-1]
        r, z, n = ThnnFusedGruCellBackward0._gates(ops, x, y, size)
        dn = ops.tanh_backward(ops.sub(grad, ops.mul(grad, z)), n)
        dr = ops.sigmoid_backward(ops.mul(dn, _cols(y, 2 * size, 3 * size, ops)), r)
        dz = ops.sigmoid_backward(ops.mul(grad, ops.sub(h, n)), z)
        dx = ops.concat([dr, dz, dn], 1) if ctx.needs_input_grad[0] else None
        dy = ops.concat([dr, dz, ops.mul(dn, r)], 1) if ctx.needs_input_grad[1] else None
        return dx, dy, ops.mul(grad, z)
# fmt: on


def lstm_step(gates: Tensor, cx: Tensor) -> tuple[Tensor, Tensor]:
    """``(h, c)`` of one LSTM step from its gate pre-activations (one fused node)."""
    h, c = split(nary(ThnnFusedLstmCellBackward0, (gates, cx)), cx.shape[-1], 1)
    return h, c


def gru_step(x: Tensor, y: Tensor, hx: Tensor) -> Tensor:
    """The next ``h`` of one GRU step from its input and hidden projections (one node)."""
    return nary(ThnnFusedGruCellBackward0, (x, y, hx))


def _check_cell(op: str, input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, gates: int) -> None:
    for name, t in (("input", input), ("hx", hx), ("w_ih", w_ih), ("w_hh", w_hh)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if input.ndim != 2 or hx.ndim != 2:
        raise RuntimeError(
            f"{op}(): expected input and hidden state to be 2-D (batch, features), got "
            f"{input.ndim}-D and {hx.ndim}-D"
        )
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(
            f"Input batch size {input.shape[0]} doesn't match hidden0 batch size {hx.shape[0]}"
        )
    if w_ih.ndim == 2 and input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.shape[1]} expected {w_ih.shape[1]}"
        )
    if w_hh.ndim == 2 and hx.shape[1] != w_hh.shape[1]:
        raise RuntimeError(
            f"hidden0 has inconsistent hidden_size: got {hx.shape[1]}, expected {w_hh.shape[1]}"
        )
    if w_ih.shape[0] != gates * hx.shape[1] or w_hh.shape != (gates * hx.shape[1], hx.shape[1]):
        raise RuntimeError(
            f"{op}(): weights of shapes {list(w_ih.shape)} and {list(w_hh.shape)} do not fit a "
            f"hidden state of size {hx.shape[1]} ({gates} gates)"
        )


def _proj(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any) -> Tensor:
    """``x w_ih^T + b_ih + h w_hh^T + b_hh``: two ``AddmmBackward0`` nodes."""
    gates = addmm(linear(x, w_ih, b_ih), h, w_hh.t())
    return gates if b_hh is None else gates + b_hh


def lstm_cell(
    input: Tensor,
    hx: tuple[Tensor, Tensor] | list[Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step, PyTorch's ``torch.lstm_cell``: ``(h, c)`` from ``input`` (B, in),
    ``hx = (h, c)`` and the weights (gates in the order i, f, g, o).

    Example:
        >>> import tensorplug as tp
        >>> h, c = tp.lstm_cell(tp.ones(2, 3), (tp.zeros(2, 4), tp.zeros(2, 4)),
        ...                     tp.zeros(16, 3), tp.zeros(16, 4))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise RuntimeError("lstm_cell(): expected hx to be a pair of tensors (h, c)")
    _check_cell("lstm_cell", input, hx[0], w_ih, w_hh, 4)
    return lstm_step(_proj(input, hx[0], w_ih, w_hh, b_ih, b_hh), hx[1])


def _cell(op: str, gates: int, step: Callable[..., Tensor], doc: str) -> Callable[..., Tensor]:
    """A cell step with PyTorch's signature ``(input, hx, w_ih, w_hh, b_ih=None, b_hh=None)``."""

    def cell(
        input: Tensor,
        hx: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor | None = None,
        b_hh: Tensor | None = None,
    ) -> Tensor:
        _check_cell(op, input, hx, w_ih, w_hh, gates)
        return step(input, hx, w_ih, w_hh, b_ih, b_hh)

    cell.__name__ = cell.__qualname__ = op
    cell.__doc__ = doc
    return cell


def _gru(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any) -> Tensor:
    return gru_step(linear(x, w_ih, b_ih), linear(h, w_hh, b_hh), h)


gru_cell = _cell(
    "gru_cell",
    3,
    _gru,
    """One GRU step, PyTorch's ``torch.gru_cell`` (gates in the order r, z, n).

    Example:
        >>> import tensorplug as tp
        >>> tp.gru_cell(tp.ones(2, 3), tp.zeros(2, 4), tp.zeros(12, 3), tp.zeros(12, 4)).shape
        (2, 4)
    """,
)
rnn_tanh_cell = _cell(
    "rnn_tanh_cell",
    1,
    lambda *a: tanh(_proj(*a)),
    "One Elman step with tanh, PyTorch's ``torch.rnn_tanh_cell``: "
    "``tanh(input w_ih^T + b_ih + hx w_hh^T + b_hh)``.",
)
rnn_relu_cell = _cell(
    "rnn_relu_cell",
    1,
    lambda *a: relu(_proj(*a)),
    "One Elman step with ReLU, PyTorch's ``torch.rnn_relu_cell``: "
    "``relu(input w_ih^T + b_ih + hx w_hh^T + b_hh)``.",
)
