"""The named tuples tensorplug's ops return, as ``torch.return_types``.

Each is a ``tuple`` subclass named as PyTorch names it (``topk``, ``linalg_svd``), whose
fields read by name or unpack by position, built from one sequence as PyTorch's structseqs
are, and printed as PyTorch prints them::

    >>> import tensorplug as tp
    >>> r = tp.topk(tp.tensor([1.0, 3.0, 2.0]), 2)
    >>> isinstance(r, tp.return_types.topk)
    True
    >>> r
    tensorplug.return_types.topk(
    values=tensor([3., 2.]),
    indices=tensor([1, 2]))
    >>> values, indices = r
"""

from __future__ import annotations

import inspect
import operator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._tensor import Tensor

    # What a type checker sees: tuples of tensors, so unpacking one gives tensors.
    _Two = tuple[Tensor, Tensor]
    _Three = tuple[Tensor, Tensor, Tensor]
    _Four = tuple[Tensor, Tensor, Tensor, Tensor]
else:
    _Two = _Three = _Four = tuple

_S = TypeVar("_S", bound="_StructSeq")


class _StructSeq:
    """A fixed-length tuple whose fields also read by name (PyTorch's ``structseq``)."""

    _fields: ClassVar[tuple[str, ...]] = ()
    n_fields: ClassVar[int] = 0
    n_sequence_fields: ClassVar[int] = 0
    n_unnamed_fields: ClassVar[int] = 0

    def __init_subclass__(cls) -> None:
        cls._fields = tuple(inspect.get_annotations(cls))
        cls.n_fields = cls.n_sequence_fields = len(cls._fields)
        for i, name in enumerate(cls._fields):
            setattr(cls, name, property(operator.itemgetter(i), doc=f"Field {i}: ``{name}``."))
        cls.__module__ = __name__

    def __new__(cls: type[_S], sequence: Iterable[Any], dict: Any = None) -> _S:
        items = tuple(sequence)
        if len(items) != cls.n_fields:
            raise TypeError(
                f"tensorplug.return_types.{cls.__name__}() takes a {cls.n_fields}-sequence "
                f"({len(items)}-sequence given)"
            )
        return tuple.__new__(cls, items)  # type: ignore[type-var]

    def __repr__(self) -> str:
        body = ",\n".join(
            f"{name}={value!r}"
            for name, value in zip(self._fields, self)  # type: ignore[call-overload]
        )
        return f"tensorplug.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (tuple(cast("tuple[Any, ...]", self)),)


# fmt: off
# Class names are PyTorch's (lower case, ``max``/``min`` as the ops), hence the noqa.
class topk(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class sort(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class max(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class min(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class cummax(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class cummin(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class slogdet(_StructSeq, _Two):  # noqa: N801
    sign: Tensor
    logabsdet: Tensor
class linalg_slogdet(_StructSeq, _Two):  # noqa: N801
    sign: Tensor
    logabsdet: Tensor
class linalg_eigh(_StructSeq, _Two):  # noqa: N801
    eigenvalues: Tensor
    eigenvectors: Tensor
class linalg_qr(_StructSeq, _Two):  # noqa: N801
    Q: Tensor
    R: Tensor
class linalg_svd(_StructSeq, _Three):  # noqa: N801
    U: Tensor
    S: Tensor
    Vh: Tensor
class linalg_lstsq(_StructSeq, _Four):  # noqa: N801
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor
# issue 16 (wt-h16math): statistics, frexp and the linalg ``_ex`` functions
class frexp(_StructSeq, _Two):  # noqa: N801
    mantissa: Tensor
    exponent: Tensor
class median(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class nanmedian(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class mode(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class kthvalue(_StructSeq, _Two):  # noqa: N801
    values: Tensor
    indices: Tensor
class aminmax(_StructSeq, _Two):  # noqa: N801
    min: Tensor
    max: Tensor
class histogram(_StructSeq, _Two):  # noqa: N801
    hist: Tensor
    bin_edges: Tensor
class linalg_inv_ex(_StructSeq, _Two):  # noqa: N801
    inverse: Tensor
    info: Tensor
class linalg_solve_ex(_StructSeq, _Two):  # noqa: N801
    result: Tensor
    info: Tensor
class linalg_cholesky_ex(_StructSeq, _Two):  # noqa: N801
    L: Tensor
    info: Tensor
class linalg_lu_factor(_StructSeq, _Two):  # noqa: N801
    LU: Tensor
    pivots: Tensor
class linalg_lu(_StructSeq, _Three):  # noqa: N801
    P: Tensor
    L: Tensor
    U: Tensor
# fmt: on

__all__ = [
    "topk", "sort", "max", "min", "cummax", "cummin", "slogdet", "linalg_slogdet",
    "linalg_eigh", "linalg_qr", "linalg_svd", "linalg_lstsq",
    # issue 16 (wt-h16math)
    "frexp", "median", "nanmedian", "mode", "kthvalue", "aminmax", "histogram",
    "linalg_inv_ex", "linalg_solve_ex", "linalg_cholesky_ex", "linalg_lu_factor", "linalg_lu",
]  # fmt: skip
