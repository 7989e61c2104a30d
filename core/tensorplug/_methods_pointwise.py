"""The ``Tensor`` methods and operators of the rounding, special-function, comparison, logical
and bitwise ops (issue 16), bound by ``_methods`` as its own table is."""

from __future__ import annotations

from typing import Any

from . import _ops_bitwise as B
from . import _ops_compare as C
from . import _ops_rounding as RD
from . import _ops_special as SP
from ._elementwise import inplace_op, reflected, require
from ._grad_mode import no_grad
from ._graph import Node
from ._inplace import check_fits, copy_, inplace
from ._tensor import Tensor


def _round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    if decimals == 0:
        return inplace_op(RD.RoundBackward0, RD.round)(self)
    require(RD.RoundBackward1, self)
    return inplace(RD.RoundBackward1, self, args=(int(decimals),))


def _by_other(tensor_cls: type[Node], number_cls: type[Node] | None, check: bool = False) -> Any:
    """``self.remainder_(other)``, ``%=``, ``self.atan2_(other)``...: the node by the kind of
    ``other``, as the function picks it (``check``: integer division by zero refused first;
    no ``number_cls``: a number is refused, as PyTorch's ``atan2_``); the result is written
    into ``self``, whose dtype must hold it."""

    def method(self: Tensor, other: Any) -> Tensor:
        if check:
            RD.check_divisor(tensor_cls.op, self, other)
        cls = tensor_cls if isinstance(other, Tensor) else number_cls
        if cls is None:
            raise TypeError(
                f"{tensor_cls.op}_(): argument 'other' (position 1) must be Tensor, not "
                f"{type(other).__name__}"
            )
        if self._backend not in cls._spec.forwards:
            require(cls, self)
        return inplace(cls, self, other)

    method.__doc__ = f"``{tensor_cls.op}`` in place."
    return method


def _written(fn: Any) -> Any:
    """``self &= other``, the other bitwise ops and the logical ones in place: ``fn``'s result
    written into ``self``, whose dtype must hold it, and not recorded (no gradient: PyTorch
    leaves ``self``'s history as it was, too)."""

    def method(self: Tensor, other: Any) -> Tensor:
        return _write(self, fn(self, other), fn.__name__ + "_")

    def unary(self: Tensor) -> Tensor:
        return _write(self, fn(self), fn.__name__ + "_")

    chosen = unary if fn.__name__.endswith("_not") else method
    chosen.__doc__ = f"``{fn.__name__}`` in place."
    return chosen


def _write(self: Tensor, res: Tensor, op: str) -> Tensor:
    check_fits(self, res, op)
    with no_grad():
        return copy_(self, res)


def _divisor(fn: Any) -> Any:
    """``self.remainder(divisor)``, ``self.fmod(divisor)``: PyTorch's method spelling."""

    def method(self: Tensor, divisor: Any) -> Tensor:
        return fn(self, divisor)  # type: ignore[no-any-return]

    method.__doc__ = f"``{fn.__name__}(self, divisor)``."
    return method


def _nan_to_num_(
    self: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    if not self.dtype.is_floating_point:
        return self
    return inplace(RD.NanToNumBackward0, self, args=RD.nan_to_num_args(self, nan, posinf, neginf))


_UNARY = {
    "floor": (RD.floor, RD.FloorBackward0), "ceil": (RD.ceil, RD.CeilBackward0),
    "trunc": (RD.trunc, RD.TruncBackward0), "fix": (RD.fix, RD.TruncBackward0),
    "frac": (RD.frac, RD.FracBackward0), "erf": (SP.erf, SP.ErfBackward0),
    "erfc": (SP.erfc, SP.ErfcBackward0), "erfinv": (SP.erfinv, SP.ErfinvBackward0),
    "lgamma": (SP.lgamma, SP.LgammaBackward0), "digamma": (SP.digamma, SP.DigammaBackward0),
    "exp2": (SP.exp2, SP.Exp2Backward0), "log2": (SP.log2, SP.Log2Backward0),
    "log10": (SP.log10, SP.Log10Backward0), "tan": (SP.tan, SP.TanBackward0),
    "sinh": (SP.sinh, SP.SinhBackward0), "cosh": (SP.cosh, SP.CoshBackward0),
    "asin": (SP.asin, SP.AsinBackward0), "acos": (SP.acos, SP.AcosBackward0),
    "atan": (SP.atan, SP.AtanBackward0), "asinh": (SP.asinh, SP.AsinhBackward0),
    "acosh": (SP.acosh, SP.AcoshBackward0), "atanh": (SP.atanh, SP.AtanhBackward0),
    "arcsin": (SP.asin, SP.AsinBackward0), "arccos": (SP.acos, SP.AcosBackward0),
    "arctan": (SP.atan, SP.AtanBackward0), "arcsinh": (SP.asinh, SP.AsinhBackward0),
    "arccosh": (SP.acosh, SP.AcoshBackward0), "arctanh": (SP.atanh, SP.AtanhBackward0),
    "sinc": (SP.sinc, SP.SincBackward0),
}  # fmt: skip

_IN_PLACE_NODES = {"asinh": SP.AsinhBackward1, "acosh": SP.AcoshBackward1,
                   "atanh": SP.AtanhBackward1}  # fmt: skip
"""The in-place forms PyTorch records with a node of their own."""
for _name, _cls in _IN_PLACE_NODES.items():
    _UNARY[_name] = _UNARY["arc" + _name[1:]] = (_UNARY[_name][0], _cls)

_ATAN2_ = _by_other(SP.Atan2Backward0, None)
_REMAINDER_ = _by_other(RD.RemainderBackward1, RD.RemainderBackward0, True)
_FLOOR_DIVIDE_ = _by_other(RD.NoDerivative, RD.NoDerivative, True)

METHODS: dict[str, Any] = {
    **{name: fn for name, (fn, _) in _UNARY.items()},
    **{name + "_": inplace_op(cls, fn) for name, (fn, cls) in _UNARY.items()},
    "round": RD.round, "round_": _round_, "remainder": _divisor(RD.remainder),
    "fmod": _divisor(RD.fmod),
    "floor_divide": RD.floor_divide, "copysign": RD.copysign, "signbit": RD.signbit,
    "nan_to_num": RD.nan_to_num, "logit": SP.logit, "logit_": SP.logit_, "xlogy": SP.xlogy,
    "atan2": SP.atan2, "arctan2": SP.atan2, "hypot": SP.hypot,
    "remainder_": _REMAINDER_, "fmod_": _by_other(RD.FmodBackward1, RD.FmodBackward0, True),
    "floor_divide_": _FLOOR_DIVIDE_,
    "copysign_": _by_other(RD.CopysignBackward0, RD.CopysignBackward1),
    "atan2_": _ATAN2_, "arctan2_": _ATAN2_, "hypot_": _by_other(SP.HypotBackward0, None),
    "xlogy_": _by_other(SP.XlogyBackward0, SP.XlogyBackward2),
    "isnan": C.isnan, "isinf": C.isinf, "isposinf": C.isposinf, "isneginf": C.isneginf,
    "isfinite": C.isfinite, "isclose": C.isclose, "allclose": C.allclose, "equal": C.equal,
    "logical_and": C.logical_and, "logical_or": C.logical_or, "logical_xor": C.logical_xor,
    "logical_not": C.logical_not, "logical_and_": _written(C.logical_and),
    "logical_or_": _written(C.logical_or), "logical_xor_": _written(C.logical_xor),
    "logical_not_": _written(C.logical_not), "nan_to_num_": _nan_to_num_,
    "bitwise_and": B.bitwise_and, "bitwise_or": B.bitwise_or, "bitwise_xor": B.bitwise_xor,
    "bitwise_not": B.bitwise_not, "bitwise_left_shift": B.bitwise_left_shift,
    "bitwise_right_shift": B.bitwise_right_shift,
    "bitwise_and_": _written(B.bitwise_and), "bitwise_or_": _written(B.bitwise_or),
    "bitwise_xor_": _written(B.bitwise_xor), "bitwise_not_": _written(B.bitwise_not),
    "bitwise_left_shift_": _written(B.bitwise_left_shift),
    "bitwise_right_shift_": _written(B.bitwise_right_shift),
    # operators
    "__mod__": RD.remainder, "__rmod__": reflected(RD.remainder),
    "__imod__": _REMAINDER_, "__floordiv__": RD.floor_divide,
    "__rfloordiv__": reflected(RD.floor_divide), "__ifloordiv__": _FLOOR_DIVIDE_,
    "__xor__": B.bitwise_xor, "__rxor__": B.bitwise_xor, "__ixor__": _written(B.bitwise_xor),
    "__iand__": _written(B.bitwise_and), "__ior__": _written(B.bitwise_or),
    "__lshift__": B.bitwise_left_shift, "__rlshift__": B.rlshift,
    "__ilshift__": _written(B.bitwise_left_shift), "__rshift__": B.bitwise_right_shift,
    "__rrshift__": B.rrshift, "__irshift__": _written(B.bitwise_right_shift),
    "__invert__": B.invert,
}  # fmt: skip
