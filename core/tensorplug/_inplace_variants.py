"""The in-place variants PyTorch code reaches for (``x.exp_()``, ``tp.relu_(x)``, ``x.eq_(y)``,
``x.t_()``), generated from one table (``TABLE``) rather than written one by one (issue 16).

Each variant is its out-of-place function's result written into ``self`` by the machinery every
in-place op shares (``_inplace``): the version counter bumped, a leaf that requires grad (or a
view of one) refused, the history rebased on the function's node, which is PyTorch's in-place
node too (``ReluBackward0``), or a ``CopySlices`` on the base for a write through a view; on an
immutable backend the write takes ``_functional_write``'s path. So each variant runs exactly the
checks of its function (``relu_`` on a bool tensor, ``exp_`` of an integer one, whose float
result cannot be written back). When the function's backward needs ``self``'s old value it runs
on a copy of it that carries ``self``'s place in the graph (``source``).

Two kinds need a node of their own: the comparisons in place (``EqBackward0`` for a number,
``EqBackward1`` for a tensor: ``self`` becomes 0 or 1 in its own dtype, and every gradient is
zero), and the shape changes in place (``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``),
which PyTorch records as ``TBackward1``, ``TransposeBackward1``...: ``self`` takes the view's
shape and history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _functional_write as fw
from . import _inplace as IP
from . import _ops_clamp as CL
from . import _ops_pointwise as P
from . import _ops_shape as S
from . import _tensor_protocol as TP
from ._contract import Array, KernelOps
from ._dispatch import binary
from ._graph import Node
from ._tensor import Tensor


def written(fn: Callable[..., Tensor], op: str, node: type[Node] | None = None) -> Any:
    """``self.op(*args, **kwargs)``: ``fn(self, *args, **kwargs)`` written into ``self``.
    ``node``: the class ``fn`` records, whose ``save`` says whether its backward reads
    ``self``'s old value (without it, assumed so: ``fn`` runs on a copy when recorded)."""
    saves = node is None or 0 in node._spec.save

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if not isinstance(self, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(self).__name__}")
        operands = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
        if self._view_ops is not None:
            IP.check_writable(self, op)
        if IP.view_write_needs_graph(self, *operands):
            IP.rebase_view(self, fn(IP.source(self) if saves else self, *args, **kwargs), op)
            return self
        IP.check_inplace(self, op)
        recorded = IP.records(self, tuple(operands))
        views = IP.live_views(self) if recorded and self._views else None
        res = fn(IP.source(self) if recorded and saves else self, *args, **kwargs)
        return IP.commit(self, res, op, recorded, views)

    method.__name__ = method.__qualname__ = op
    method.__doc__ = f"``{fn.__name__}`` in place: the result written into ``self``."
    return method


# -- comparisons in place ----------------------------------------------------------------------


class _CompareInPlace(Node):
    """``self.eq_(other)`` and the other comparisons in place: ``self`` becomes 1 where the
    comparison holds, else 0; grad self = 0, grad other = 0 (a step function)."""

    op, broadcasts = "eq", True
    kernel = "eq"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, Array | None]:
        zero = IP.zeros_like_grad(ctx, ops, g)
        return zero, ops.sum_to(zero, ctx.shapes[1]) if ctx.needs_input_grad[1] else None


def _compare_node(name: str, version: int) -> type[Node]:
    """PyTorch's node of ``name_`` in place: ``<Name>Backward0`` for a number, ``1`` for a
    tensor."""
    cls_name = f"{name.capitalize()}Backward{version}"
    return type(cls_name, (_CompareInPlace,), {"op": name, "kernel": name, "__slots__": ()})


_COMPARE_NODES = {
    name: (_compare_node(name, 0), _compare_node(name, 1))
    for name in ("eq", "ne", "lt", "le", "gt", "ge")
}


def _compare(name: str) -> Callable[[Tensor, Any], Tensor]:
    number, tensor = _COMPARE_NODES[name]

    def fn(input: Tensor, other: Any) -> Tensor:
        return binary(tensor if isinstance(other, Tensor) else number, input, other)

    fn.__name__ = fn.__qualname__ = name
    return fn


# -- shape changes in place ----------------------------------------------------------------


def _renamed(cls: type[Node], name: str) -> type[Node]:
    doc = f"``{cls.op}`` in place: ``self`` takes the view's shape; its backward: {cls.__name__}."
    return type(name, (cls,), {"__doc__": doc, "__slots__": ()})


_SHAPE_NODES = {
    S.TBackward0: _renamed(S.TBackward0, "TBackward1"),
    S.TransposeBackward0: _renamed(S.TransposeBackward0, "TransposeBackward1"),
    S.UnsqueezeBackward0: _renamed(S.UnsqueezeBackward0, "UnsqueezeBackward1"),
    S.SqueezeBackward0: _renamed(S.SqueezeBackward0, "SqueezeBackward3"),
    S.SqueezeBackward1: _renamed(S.SqueezeBackward1, "SqueezeBackward4"),
    S.SqueezeBackward2: _renamed(S.SqueezeBackward2, "SqueezeBackward5"),
}
"""The view ops' nodes and PyTorch's names for them in place."""


def reshaped(fn: Callable[..., Tensor], op: str) -> Any:
    """``self.op(*args)``: ``self`` takes the shape (and, in the graph, the history) of its
    view ``fn(self, *args)``, as PyTorch's in-place view ops change a tensor's metadata. A
    tensor whose own views or detached aliases are alive is refused: they would have to be
    replayed from a tensor whose shape changed under them."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if (self._base is None and self._view_ops is not None) or fw._alias_of(self) is not None:
            raise RuntimeError(f"{op}(): cannot change the shape of a detached alias in place")
        if any(r() is not None for r in self._views or ()):
            raise RuntimeError(
                f"{op}(): views of this tensor are alive; tensorplug cannot change its shape "
                f"in place under them: use the out-of-place {op[:-1]}() instead"
            )
        base = self._base
        if IP.view_write_needs_graph(self) and base is not None and base._grad_fn is None:
            raise RuntimeError(
                f"{op}(): a view of a leaf Variable that requires grad is being used in an "
                "in-place operation. Wrap it in `with tensorplug.no_grad():` or clone() first."
            )
        IP.check_inplace(self, op)
        res = fn(self, *args, **kwargs)
        if self._views:
            self._views = None  # ``res`` only, which is gone with this call
        node = res._grad_fn
        if node is not None:
            node.__class__ = _SHAPE_NODES.get(type(node), type(node))
        self._data, self._meta = res._data, None
        if node is not None:  # else (not recorded) ``self`` keeps its place: a leaf stays one
            self._grad_fn, self._requires_grad = node, True
        if base is not None:
            self._view_ops = res._view_ops
        self._vc.version += 1  # as PyTorch counts it
        return self

    method.__name__ = method.__qualname__ = op
    method.__doc__ = f"``{fn.__name__}`` in place: ``self`` takes the view's shape."
    return method


# -- the table -------------------------------------------------------------------------------

TABLE: dict[str, tuple[Callable[..., Tensor], type[Node] | None]] = {
    "relu_": (P.relu, P.ReluBackward0), "sigmoid_": (P.sigmoid, P.SigmoidBackward0),
    "tanh_": (P.tanh, P.TanhBackward0), "exp_": (P.exp, P.ExpBackward0),
    "log_": (P.log, P.LogBackward0), "log1p_": (P.log1p, P.Log1PBackward0),
    "expm1_": (P.expm1, P.Expm1Backward0), "sqrt_": (P.sqrt, P.SqrtBackward0),
    "rsqrt_": (P.rsqrt, P.RsqrtBackward0), "abs_": (P.abs, P.AbsBackward0),
    "absolute_": (P.abs, P.AbsBackward0), "neg_": (P.neg, P.NegBackward0),
    "negative_": (P.neg, P.NegBackward0), "reciprocal_": (P.reciprocal, P.ReciprocalBackward0),
    "sin_": (P.sin, P.SinBackward0), "cos_": (P.cos, P.CosBackward0),
    "sign_": (P.sign, P.SignBackward0), "sgn_": (TP.sgn, TP.SgnBackward0),
    "square_": (P.square, None), "pow_": (P.pow, None),
    "clamp_min_": (CL.clamp_min, None), "clamp_max_": (CL.clamp_max, None),
    **{f"{name}_": (_compare(name), _CompareInPlace) for name in _COMPARE_NODES},
}  # fmt: skip
"""``name_``: the out-of-place function it writes into ``self``, and the node that function
records (None where it varies: ``self`` then runs on a copy when recorded)."""

ALIASES = {
    "greater_": "gt_", "greater_equal_": "ge_", "less_": "lt_", "less_equal_": "le_",
    "not_equal_": "ne_", "clip_": "clamp_", "divide_": "div_", "multiply_": "mul_",
    "subtract_": "sub_", "true_divide_": "div_",
}  # fmt: skip
"""In-place names that are another in-place method under a second name."""

SHAPES: dict[str, Callable[..., Tensor]] = {
    "t_": S.t, "transpose_": S.transpose, "swapdims_": S.transpose, "swapaxes_": S.transpose,
    "unsqueeze_": S.unsqueeze, "squeeze_": S.squeeze,
}  # fmt: skip
"""The shape changes in place (``reshaped``)."""


def methods() -> dict[str, Any]:
    """The ``Tensor`` methods of the table, with their aliases (of these or of methods
    bound before)."""
    out: dict[str, Any] = {name: written(fn, name, node) for name, (fn, node) in TABLE.items()}
    out.update({name: reshaped(fn, name) for name, fn in SHAPES.items()})
    for alias, name in ALIASES.items():
        out[alias] = out[name] if name in out else getattr(Tensor, name)
    return out


FUNCTIONS = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
    "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
    "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "detach_", "erf_", "erfc_", "exp2_",
    "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "log10_", "log1p_", "log2_", "log_",
    "logit_", "nan_to_num_", "neg_", "negative_", "reciprocal_", "relu_", "round_", "rsqrt_",
    "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_",
    "xlogy_", "zero_",
)  # fmt: skip
"""The in-place forms PyTorch also has as functions (``torch.relu_(x)``): ``tensorplug``'s
are the ``Tensor`` methods themselves."""
