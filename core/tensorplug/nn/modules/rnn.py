"""The recurrent layers, with PyTorch's arguments, parameter names and layout: ``RNN``
(tanh or ReLU), ``LSTM`` (with ``proj_size``), ``GRU`` and their one-step cells.

Parameters of layer ``k`` are ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` (and ``weight_hr_l{k}`` with a projection), ``_reverse`` appended for the
backward direction; the gates are stacked in PyTorch's order (i, f, g, o for the LSTM, r, z, n
for the GRU), so a PyTorch ``state_dict`` loads as it is. Every parameter starts from
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..._creation import empty, zeros
from ..._ops_shape import cat, stack
from ..._tensor import Tensor
from .. import init
from ..functional._dropout import dropout
from ..functional._rnn import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._recurrence import run_direction
from .module import Module, _factory

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _reset(module: Module, hidden_size: int) -> None:
    stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: the parameters, the checks and the loop over
    layers and directions (``_recurrence.run_direction``)."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
        backend: Any = None,
    ) -> None:
        super().__init__()
        _check_config(mode, hidden_size, num_layers, dropout, proj_size)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        kw = _factory(device, dtype, backend)
        gate, real = _GATES[mode] * hidden_size, proj_size or hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for suffix in ("", "_reverse") if bidirectional else ("",):
                width = input_size if layer == 0 else real * (2 if bidirectional else 1)
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate, width)),
                    ("weight_hh", (gate, real)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    full = f"{name}_l{layer}{suffix}"
                    setattr(self, full, Parameter(empty(*shape, **kw)))
                    self._flat_weights_names.append(full)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights into one buffer for cuDNN; the steps here
        read the parameters as they are. Kept so PyTorch code that calls it runs."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """Each layer and direction's parameters, in PyTorch's order."""
        per = len(self._flat_weights_names) // (self.num_layers * (1 + self.bidirectional))
        w = self._flat_weights
        return [w[i : i + per] for i in range(0, len(w), per)]

    def _weights(self, layer: int, direction: int) -> list[Any]:
        suffix = "_reverse" if direction else ""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
        return [getattr(self, f"{n}_l{layer}{suffix}", None) for n in names]

    def _state_shape(self, batch: int, size: int) -> tuple[int, int, int]:
        return (self.num_layers * (1 + self.bidirectional), batch, size)

    def _check_input(self, input: Tensor, packed: bool) -> None:
        if not packed and input.ndim not in (2, 3):
            raise ValueError(
                f"{self._get_name()}: Expected input to be 2D or 3D, got {input.ndim}D instead"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )

    def _run(self, x: Tensor, hx: list[Tensor], batch_sizes: list[int] | None) -> Any:
        """All layers over ``x`` (time-major or packed data) from states ``hx`` (h, and c for
        the LSTM, each (layers * directions, B, size)): ``(output, [h_n, c_n])``."""
        dirs = 1 + self.bidirectional
        finals: list[list[Tensor]] = [[] for _ in hx]
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                i = layer * dirs + d
                c0 = hx[1][i] if len(hx) > 1 else None
                out, h, c = run_direction(
                    self.mode, x, hx[0][i], c0, self._weights(layer, d), d == 1, batch_sizes
                )
                outs.append(out)
                finals[0].append(h)
                if c is not None:
                    finals[1].append(c)
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)
        return x, [stack(f) for f in finals]

    def _forward(self, input: Any, hx: Any) -> tuple[Any, list[Tensor]]:
        packed = isinstance(input, PackedSequence)
        data = input.data if packed else input
        self._check_input(data, packed)
        unbatched = not packed and data.ndim == 2
        if packed:
            sizes = [int(s) for s in input.batch_sizes.tolist()]
            batch, x = sizes[0], data
        else:
            x = (
                data.unsqueeze(1)
                if unbatched
                else (data.transpose(0, 1) if self.batch_first else data)
            )
            sizes, batch = None, x.shape[1]
        states = self._initial_states(data, hx, batch, unbatched)
        if packed and input.sorted_indices is not None:
            states = [s[:, input.sorted_indices] for s in states]
        out, finals = self._run(x, states, sizes)
        if packed:
            if input.unsorted_indices is not None:
                finals = [f[:, input.unsorted_indices] for f in finals]
            out = PackedSequence(
                out, input.batch_sizes, input.sorted_indices, input.unsorted_indices
            )
        elif unbatched:
            out, finals = out.squeeze(1), [f.squeeze(1) for f in finals]
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, finals

    def _initial_states(self, like: Tensor, hx: Any, batch: int, unbatched: bool) -> list[Tensor]:
        real = self.proj_size or self.hidden_size
        sizes = [real, self.hidden_size] if self.mode == "LSTM" else [real]
        if hx is None:
            return [
                zeros(*self._state_shape(batch, s), dtype=like.dtype, backend=like._backend)
                for s in sizes
            ]
        given = list(hx) if self.mode == "LSTM" else [hx]
        _check_state_dims(self.mode, like, given, unbatched)
        given = [h.unsqueeze(1) for h in given] if unbatched else given
        for j, (h, s) in enumerate(zip(given, sizes)):
            want = self._state_shape(batch, s)
            if tuple(h.shape) != want:
                which = f"hidden[{j}]" if self.mode == "LSTM" else "hidden"
                raise RuntimeError(f"Expected {which} size {want}, got {list(h.shape)}")
        return given

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False)):  # fmt: skip
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s


def _check_config(mode: str, hidden: int, layers: int, p: Any, proj: int) -> None:
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    if p > 0 and layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={p} and "
            f"num_layers={layers}",
            stacklevel=3,
        )
    if not isinstance(hidden, int) or isinstance(hidden, bool):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden).__name__}")
    if hidden <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj >= hidden:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if proj and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


def _check_state_dims(mode: str, input: Tensor, given: list[Tensor], unbatched: bool) -> None:
    want = 2 if unbatched else 3
    if all(h.ndim == want for h in given):
        return
    kind = "unbatched 2-D input" if unbatched else "batched 3-D input"
    if mode == "LSTM":
        dims = ", ".join(f"{h.ndim}-D" for h in given)
        raise RuntimeError(
            f"For {kind}, hx and cx should also be {want}-D but got ({dims}) tensors"
        )
    raise RuntimeError(f"For {kind}, hx should also be {want}-D but got {given[0].ndim}-D tensor")


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, ``nonlinearity``
    ``'tanh'`` or ``'relu'``. ``forward(input, hx=None)`` returns ``(output, h_n)``.

    Example:
        >>> import tensorplug as tp
        >>> out, h = tp.nn.RNN(3, 4, num_layers=2)(tp.randn(5, 2, 3))
        >>> out.shape, h.shape
        ((5, 2, 4), (2, 2, 4))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:  # PyTorch's positional order: input, hidden, layers, nonlinearity
            nonlinearity, args = args[3], args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        out, finals = self._forward(input, hx)
        return out, finals[0]


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o; with ``proj_size > 0`` the hidden state is
    projected by ``weight_hr``. ``forward(input, (h_0, c_0)=None)`` returns
    ``(output, (h_n, c_n))``.

    Example:
        >>> import tensorplug as tp
        >>> out, (h, c) = tp.nn.LSTM(3, 4, batch_first=True)(tp.randn(2, 5, 3))
        >>> out.shape, h.shape, c.shape
        ((2, 5, 4), (1, 2, 4), (1, 2, 4))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, tuple[Tensor, Tensor]]:
        out, finals = self._forward(input, hx)
        return out, (finals[0], finals[1])


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n: ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``,
    ``h' = (1 - z) n + z h``. ``forward(input, hx=None)`` returns ``(output, h_n)``.

    Example:
        >>> import tensorplug as tp
        >>> out, h = tp.nn.GRU(3, 4, bidirectional=True)(tp.randn(5, 3))
        >>> out.shape, h.shape
        ((5, 8), (2, 4))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        out, finals = self._forward(input, hx)
        return out, finals[0]


class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (gates * hidden, input), ``weight_hh``
    (gates * hidden, hidden), ``bias_ih`` and ``bias_hh``, and the input checks."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
        device: Any = None, dtype: Any = None, backend: Any = None,
    ) -> None:  # fmt: skip
        super().__init__()
        kw = _factory(device, dtype, backend)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, **kw))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        nl = getattr(self, "nonlinearity", "tanh")
        return s + (f", nonlinearity={nl}" if nl != "tanh" else "")

    def _batch(self, input: Tensor, hx: Any, n: int) -> tuple[Tensor, list[Tensor], bool]:
        """``input`` and the states made 2-D (zeros where ``hx`` is None), and whether the
        input was one sample."""
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{self._get_name()}: Expected input to be 1D or 2D, got {input.ndim}D instead"
            )
        states = [] if hx is None else (list(hx) if n == 2 else [hx])
        if any(h.ndim not in (1, 2) for h in states):
            raise ValueError(
                f"{self._get_name()}: Expected hidden to be 1D or 2D, got "
                f"{max(h.ndim for h in states)}D instead"
            )
        one = input.ndim == 1
        if one:
            input, states = input.unsqueeze(0), [h.unsqueeze(0) for h in states]
        if hx is None:
            z = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, backend=input._backend)
            states = [z] * n
        return input, states, one

    def _weights(self) -> tuple[Tensor, Tensor, Any, Any]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """One Elman step with ``nonlinearity`` ``'tanh'`` or ``'relu'``; ``forward(input,
    hx=None)`` returns ``h'``."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True,
        nonlinearity: str = "tanh", device: Any = None, dtype: Any = None, backend: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 1, device, dtype, backend)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), one = self._batch(input, hx, 1)
        if self.nonlinearity not in ("tanh", "relu"):  # PyTorch checks it here, not before
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        out = cell(x, h, *self._weights())
        return out.squeeze(0) if one else out


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c)=None)`` returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, **kw: Any) -> None:
        super().__init__(input_size, hidden_size, bias, 4, **kw)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, states, one = self._batch(input, hx, 2)
        h, c = lstm_cell(x, (states[0], states[1]), *self._weights())
        return (h.squeeze(0), c.squeeze(0)) if one else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step; ``forward(input, hx=None)`` returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, **kw: Any) -> None:
        super().__init__(input_size, hidden_size, bias, 3, **kw)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), one = self._batch(input, hx, 1)
        out = gru_cell(x, h, *self._weights())
        return out.squeeze(0) if one else out
