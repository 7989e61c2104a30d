"""dtypes and PyTorch's type-promotion rules, independent of any array library."""

from __future__ import annotations

import math
from typing import Final


class dtype:  # noqa: N801 - PyTorch's spelling: ``tensorplug.dtype``
    """A tensor element type. Backends map each one to their native dtype.

    ``category`` orders bool < integer < floating for promotion.
    """

    __slots__ = ("category", "is_floating_point", "is_signed", "itemsize", "name")

    def __init__(self, name: str, itemsize: int, category: int) -> None:
        self.name = name
        self.itemsize = itemsize
        self.category = category
        self.is_floating_point = category == FLOAT
        self.is_signed = category != BOOL

    def __repr__(self) -> str:
        return f"tensorplug.{self.name}"

    def __reduce__(self) -> str:
        return self.name


BOOL: Final = 0
INT: Final = 1
FLOAT: Final = 2

bool_ = dtype("bool", 1, BOOL)
int32 = dtype("int32", 4, INT)
int64 = dtype("int64", 8, INT)
float16 = dtype("float16", 2, FLOAT)
float32 = dtype("float32", 4, FLOAT)
float64 = dtype("float64", 8, FLOAT)

ALL_DTYPES: Final = (bool_, int32, int64, float16, float32, float64)
FLOAT_DTYPES: Final = (float16, float32, float64)
BY_NAME: Final = {d.name: d for d in ALL_DTYPES}
# PyTorch's aliases
BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64, "int": int32})

_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (``float32`` unless changed)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype, as ``torch.set_default_dtype`` does."""
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"set_default_dtype() expects a floating dtype, got {d!r}")
    _default_float = d


def as_dtype(d: object) -> dtype:
    """Accept a tensorplug dtype, its name, or a Python type (``float``, ``int``, ``bool``)."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in BY_NAME:
        return BY_NAME[d]
    name = getattr(d, "name", None) or getattr(d, "__name__", None)
    if isinstance(name, str) and name in BY_NAME:
        return BY_NAME[name]
    raise TypeError(f"unsupported dtype {d!r}; expected one of {', '.join(BY_NAME)}")


def _larger(a: dtype, b: dtype) -> dtype:
    """Promote two dtypes as PyTorch's ``promote_types`` does."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return a if a.itemsize >= b.itemsize else b


promote_types = _larger


def scalar_dtype(x: object) -> dtype:
    """dtype PyTorch gives a bare Python scalar."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    return _default_float


def result_type(*operands: tuple[dtype, int]) -> dtype:
    """PyTorch's result dtype for operands given as ``(dtype, priority)``.

    Priority 2 is a tensor with dimensions, 1 a zero-dim tensor, 0 a Python scalar. The
    highest-priority operands decide, unless a lower-priority one has a higher category:
    then a zero-dim tensor contributes its own dtype and a scalar the default for its kind.
    """
    best: list[dtype | None] = [None, None, None]
    for d, prio in operands:
        cur = best[prio]
        best[prio] = d if cur is None else _larger(cur, d)
    result: dtype | None = None
    for prio in (2, 1, 0):
        top = best[prio]
        if top is None:
            continue
        if result is None:
            result = top
        elif top.category > result.category:
            if prio == 0:
                result = _default_float if top.category == FLOAT else int64
            else:
                result = top
    assert result is not None
    return result


# -- numeric limits ------------------------------------------------------------------------------
# IEEE 754 formats: (mantissa bits, smallest normal exponent, largest exponent).
_IEEE: Final = {"float16": (10, -14, 15), "float32": (23, -126, 127), "float64": (52, -1022, 1023)}


class _Limits:
    """Read-only attributes, compared by value, printed as PyTorch prints them."""

    __slots__ = ()
    _shown: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"attribute {name!r} of 'tensorplug.{type(self).__name__}' objects is not writable"
        )

    def _set(self, **values: object) -> None:
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        names: tuple[str, ...] = self.__slots__
        return all(getattr(self, k) == getattr(other, k) for k in names)

    __hash__ = None  # type: ignore[assignment]  # unhashable, as PyTorch's

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k):g}" for k in self._shown)
        return f"{type(self).__name__}({shown}, dtype={self.dtype})"  # type: ignore[attr-defined]


class finfo(_Limits):  # noqa: N801 - PyTorch's spelling: ``tensorplug.finfo``
    """The numeric limits of a floating dtype (``torch.finfo``); by default the default dtype.

    Attributes: ``bits``, ``eps`` (the gap between 1 and the next number), ``max``, ``min``,
    ``tiny`` and ``smallest_normal`` (the smallest positive normal number), ``resolution``
    (about ``10 ** -decimal digits``) and ``dtype`` (its name).

    Example:
        >>> import tensorplug as tp
        >>> tp.finfo(tp.float32).eps
        1.1920928955078125e-07
        >>> tp.finfo(tp.float16).max
        65504.0
    """

    __slots__ = ("bits", "dtype", "eps", "max", "min", "resolution", "smallest_normal", "tiny")
    _shown = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")
    bits: int
    dtype: str
    eps: float
    max: float
    min: float
    resolution: float
    smallest_normal: float
    tiny: float

    def __init__(self, type: object = None) -> None:
        d = _default_float if type is None else float64 if type is float else as_dtype(type)
        if not d.is_floating_point:
            raise TypeError(
                "tensorplug.finfo() requires a floating point input type. Use tensorplug.iinfo "
                "to handle 'tensorplug.finfo'"
            )
        mant, emin, emax = _IEEE[d.name]
        eps = 2.0**-mant
        largest = (2.0 - eps) * 2.0**emax
        self._set(bits=8 * d.itemsize, dtype=d.name, eps=eps, max=largest, min=-largest)
        self._set(tiny=2.0**emin, smallest_normal=2.0**emin)
        self._set(resolution=10.0 ** -int(-math.log10(eps)))


class iinfo(_Limits):  # noqa: N801 - PyTorch's spelling: ``tensorplug.iinfo``
    """The numeric limits of an integer dtype (``torch.iinfo``): ``bits``, ``min``, ``max``
    and ``dtype`` (its name).

    Example:
        >>> import tensorplug as tp
        >>> tp.iinfo(tp.int32).max
        2147483647
    """

    __slots__ = ("bits", "dtype", "max", "min")
    _shown = ("min", "max")
    bits: int
    dtype: str
    max: int
    min: int

    def __init__(self, type: object) -> None:
        d = as_dtype(type)
        if d.category == BOOL:
            raise TypeError(f"{d!r} is not supported by tensorplug.iinfo")
        if d.category != INT:
            raise TypeError(
                "tensorplug.iinfo() requires an integer input type. Use tensorplug.finfo to "
                "handle 'tensorplug.iinfo'"
            )
        bits = 8 * d.itemsize
        self._set(bits=bits, dtype=d.name, max=2 ** (bits - 1) - 1, min=-(2 ** (bits - 1)))
