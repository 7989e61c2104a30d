"""Op-database entries of the recurrent cell steps (``lstm_cell``, ``gru_cell``,
``rnn_tanh_cell``, ``rnn_relu_cell``: PyTorch's ``torch.*_cell``), each with a NumPy float64
reference. The recurrent layers run these steps' fused nodes, so every backend checks them
here."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _dtype as D
from ..nn.functional._rnn import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef
from ._samples import F16_GRAD, F16_SUM, Gen, S, uniform

_FUSED = (("*", "one fused node here (PyTorch's CUDA kernel has one too); its CPU composes"),)


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _affine(x: np.ndarray, h: np.ndarray, w: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
    gi, gh = x @ w[0].T, h @ w[1].T
    if len(w) > 2 and w[2] is not None:
        gi = gi + w[2]
    if len(w) > 3 and w[3] is not None:
        gh = gh + w[3]
    return gi, gh


def _lstm_ref(x: np.ndarray, hx: Any, *w: Any) -> tuple[np.ndarray, np.ndarray]:
    gi, gh = _affine(x, hx[0], w)
    i, f, g, o = np.split(gi + gh, 4, axis=1)
    c = _sig(f) * hx[1] + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c), c


def _gru_ref(x: np.ndarray, h: np.ndarray, *w: Any) -> np.ndarray:
    gi, gh = _affine(x, h, w)
    (xr, xz, xn), (hr, hz, hn) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
    r, z = _sig(xr + hr), _sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def _rnn_ref(act: Any) -> Any:
    def ref(x: np.ndarray, h: np.ndarray, *w: Any) -> np.ndarray:
        gi, gh = _affine(x, h, w)
        return act(gi + gh)

    return ref


def _cell_samples(gates: int, lstm: bool, kink: bool = False) -> Any:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        def u(*shape: int) -> np.ndarray:
            return uniform(rng, shape, -1.0, 1.0)

        def state(b: int, n: int) -> Any:
            return (u(b, n), u(b, n)) if lstm else u(b, n)

        for name, b, i, n, bias in [("batch3", 3, 4, 2, True), ("no_bias", 2, 3, 3, False),
                                    ("batch1", 1, 2, 4, True)]:  # fmt: skip
            w: tuple[np.ndarray, ...] = (u(gates * n, i), u(gates * n, n))
            if bias:
                w += (u(gates * n), u(gates * n))
            yield S(name, (u(b, i), state(b, n), *w))

    return gen


def _errors(gates: int, lstm: bool) -> Any:
    def errors() -> Iterator[ErrorInput]:
        one = np.ones
        hx = (one((2, 3)), one((2, 3))) if lstm else one((2, 3))
        yield ErrorInput(
            S("batch_mismatch", (one((4, 2)), hx, one((gates * 3, 2)), one((gates * 3, 3)))),
            RuntimeError,
            "Input batch size 4 doesn't match hidden0 batch size 2",
        )

    return errors


def _entry(name: str, op: Any, ref: Any, gates: int, lstm: bool, nodes: Any) -> OpInfo:
    return OpInfo(
        name,
        op,
        ref,
        _cell_samples(gates, lstm),
        errors=_errors(gates, lstm),
        tolerances={D.float16: F16_SUM},
        grad_tolerances={D.float16: F16_GRAD},
        torch_ref=TorchRef(name, other_nodes=nodes),
    )


def rnn_ops() -> list[OpInfo]:
    return [
        _entry("lstm_cell", lstm_cell, _lstm_ref, 4, True, _FUSED),
        _entry("gru_cell", gru_cell, _gru_ref, 3, False, _FUSED),
        _entry("rnn_tanh_cell", rnn_tanh_cell, _rnn_ref(np.tanh), 1, False, ()),
        _entry("rnn_relu_cell", rnn_relu_cell, _rnn_ref(lambda v: np.maximum(v, 0)), 1, False, ()),
    ]
