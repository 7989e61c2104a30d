"""Every op of issue 2 against PyTorch in float64: values, dtypes, node names and gradients,
plus a central finite-difference check of each differentiable op's gradient.

Each case is ``fn(lib, *inputs)`` written once against the shared PyTorch/tensorplug API, where
``lib`` is the library module (``torch`` or ``tensorplug``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")


@dataclass
class Case:
    """One op call: ``fn(lib, *inputs)``; each input an array made by ``makers``."""

    id: str
    fn: Callable[..., Any]
    shapes: list[tuple[int, ...]]
    domain: tuple[float, float] = (-2.0, 2.0)
    grad: bool = True  # the op is differentiable
    node: bool = True  # compare grad_fn names with PyTorch
    fd: bool = True  # check against finite differences


def _data(case: Case, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    lo, hi = case.domain
    out = []
    for shape in case.shapes:
        n = int(np.prod(shape))
        # Distinct values, far (> 0.04) from each other and from 0: no ties for max/min/sort,
        # no kinks of abs/relu/clamp within a finite-difference step.
        grid = np.linspace(lo, hi, 4 * n + 8)
        grid = grid[np.abs(grid) > 0.04]
        vals = rng.choice(grid, size=n, replace=False)
        out.append(vals.reshape(shape))
    return out


def _as(lib: Any, arrays: list[np.ndarray], requires_grad: bool) -> list[Any]:
    return [lib.tensor(a.copy(), dtype=lib.float64, requires_grad=requires_grad) for a in arrays]


def _outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _dtype_name(t: Any) -> str:
    return str(t.dtype).split(".")[-1]


def _weights(outs: list[Any], seed: int) -> list[np.ndarray | None]:
    rng = np.random.default_rng(seed + 1)
    return [rng.normal(size=tuple(o.shape)) if o.dtype.is_floating_point else None for o in outs]


def _loss(lib: Any, outs: list[Any], weights: list[np.ndarray | None]) -> Any:
    total = None
    for o, w in zip(outs, weights):
        if w is None:
            continue
        term = (o * lib.tensor(w, dtype=lib.float64)).sum()
        total = term if total is None else total + term
    return total


def numerical_grad(
    f: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray], eps: float = 1e-6
) -> list[np.ndarray]:
    """Central differences of the scalar ``f`` with respect to every element of ``arrays``."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = f(arrays)
            flat[i] = old - eps
            down = f(arrays)
            flat[i] = old
            gflat[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


# -- the op table -------------------------------------------------------------------------


def F(lib: Any) -> Any:  # noqa: N802 - torch.nn.functional is conventionally F
    return lib.nn.functional


def _unary_fn(name: str) -> Callable[..., Any]:
    return lambda lib, a: getattr(lib, name)(a)


def _method_fn(name: str) -> Callable[..., Any]:
    return lambda lib, a: getattr(a, name)()


def _binary_fn(name: str) -> Callable[..., Any]:
    return lambda lib, a, b: getattr(lib, name)(a, b)


POS = (0.3, 2.0)
S34 = [(3, 4), (3, 4)]

CASES = [
    # arithmetic: functions, methods, operators, reflected forms, broadcasting
    Case("add", lambda lib, a, b: lib.add(a, b), S34),
    Case("add_method_alpha", lambda lib, a, b: a.add(b, alpha=2.5), S34),
    Case("add_op_broadcast", lambda lib, a, b: a + b, [(3, 1), (4,)]),
    Case("add_scalar", lambda lib, a: a + 1.5, [(3, 4)]),
    Case("radd_scalar", lambda lib, a: 2 + a, [(3, 4)]),
    Case("sub", lambda lib, a, b: lib.sub(a, b), S34),
    Case("sub_alpha", lambda lib, a, b: lib.sub(a, b, alpha=3), S34),
    Case("sub_op_broadcast", lambda lib, a, b: a - b, [(2, 3, 1), (3, 4)]),
    Case("sub_method", lambda lib, a, b: a.sub(b), S34),
    Case("sub_scalar", lambda lib, a: a - 2, [(3, 4)]),
    Case("add_alpha_scalar", lambda lib, a: lib.add(a, 3, alpha=2), [(3,)]),
    Case("sub_alpha_scalar", lambda lib, a: a.sub(0.5, alpha=4), [(3,)]),
    Case("add_alpha_inplace", lambda lib, a: (a * 1).add_(2, alpha=-1), [(3,)]),
    Case("rsub_scalar", lambda lib, a: 2 - a, [(3, 4)]),
    Case("mul", lambda lib, a, b: lib.mul(a, b), S34),
    Case("mul_op_broadcast", lambda lib, a, b: a * b, [(4,), (3, 1)]),
    Case("mul_method", lambda lib, a, b: a.mul(b), S34),
    Case("mul_scalar", lambda lib, a: a * 3, [(3, 4)]),
    Case("rmul_scalar", lambda lib, a: 0.5 * a, [(3, 4)]),
    Case("mul_0d", lambda lib, a, b: a * b, [(3, 4), ()]),
    Case("div", lambda lib, a, b: lib.div(a, b), S34),
    Case("div_op_broadcast", lambda lib, a, b: a / b, [(2, 3), (3,)]),
    Case("div_method", lambda lib, a, b: a.div(b), S34),
    Case("div_scalar", lambda lib, a: a / 4, [(3, 4)]),
    Case("rdiv_scalar", lambda lib, a: 2 / a, [(3, 4)], node=False),
    Case("pow_int", lambda lib, a: a**2, [(3, 4)]),
    Case("pow_cube_method", lambda lib, a: a.pow(3), [(3, 4)]),
    Case("pow_float", lambda lib, a: lib.pow(a, 2.5), [(3, 4)], POS),
    Case("pow_neg", lambda lib, a: a**-1, [(3, 4)], POS),
    Case("pow_zero", lambda lib, a: a**0, [(3, 4)]),
    Case("pow_tensor", lambda lib, a, b: a**b, [(3, 4), (4,)], POS),
    Case("pow_tensor_fn", lambda lib, a, b: lib.pow(a, b), S34, POS),
    Case("rpow_scalar", lambda lib, a: 2**a, [(3, 4)]),
    Case("neg", lambda lib, a: lib.neg(a), [(3, 4)]),
    Case("neg_op", lambda lib, a: -a, [(3, 4)]),
    Case("neg_method", lambda lib, a: a.neg(), [(3, 4)]),
    # unary math, as functions and as methods
    *[
        Case(name, _unary_fn(name), [(3, 4)], dom)
        for name, dom in [
            ("exp", (-2, 2)),
            ("log", POS),
            ("log1p", (-0.5, 2)),
            ("expm1", (-2, 2)),
            ("sqrt", POS),
            ("rsqrt", POS),
            ("abs", (-2, 2)),
            ("sin", (-3, 3)),
            ("cos", (-3, 3)),
            ("tanh", (-2, 2)),
            ("sigmoid", (-3, 3)),
            ("relu", (-2, 2)),
            ("reciprocal", POS),
            ("square", (-2, 2)),
            ("sign", (-2, 2)),
        ]
    ],
    *[
        Case(name + "_method", _method_fn(name), [(2, 3)], dom)
        for name, dom in [
            ("exp", (-2, 2)),
            ("log", POS),
            ("log1p", POS),
            ("expm1", (-1, 1)),
            ("sqrt", POS),
            ("rsqrt", POS),
            ("abs", (-2, 2)),
            ("sin", (-3, 3)),
            ("cos", (-3, 3)),
            ("tanh", (-2, 2)),
            ("sigmoid", (-3, 3)),
            ("relu", (-2, 2)),
            ("reciprocal", POS),
            ("square", (-2, 2)),
            ("sign", (-2, 2)),
        ]
    ],
    Case("abs_op", lambda lib, a: abs(a), [(3, 4)]),
    Case("clamp", lambda lib, a: lib.clamp(a, -0.5, 0.7), [(3, 4)]),
    Case("clamp_min_kw", lambda lib, a: lib.clamp(a, min=-0.5), [(3, 4)]),
    Case("clamp_max_kw", lambda lib, a: a.clamp(max=0.5), [(3, 4)]),
    Case("clamp_min", lambda lib, a: lib.clamp_min(a, 0.1), [(3, 4)]),
    Case("clamp_max", lambda lib, a: a.clamp_max(-0.1), [(3, 4)]),
    Case("clip", lambda lib, a: a.clip(-1, 1), [(3, 4)], node=False),
    Case(
        "clamp_tensor_bounds",
        lambda lib, a, lo, hi: lib.clamp(a, lo - 1, hi + 1),
        [(3, 4), (4,), (3, 1)],
        node=False,
    ),
    Case("maximum", lambda lib, a, b: lib.maximum(a, b), S34),
    Case("maximum_broadcast", lambda lib, a, b: a.maximum(b), [(3, 4), (4,)]),
    Case("minimum", lambda lib, a, b: lib.minimum(a, b), [(3, 1), (4,)]),
    Case("where", lambda lib, a, b: lib.where(a > 0, a, b), S34),
    Case("where_broadcast", lambda lib, a, b: lib.where(b > 0, a, b * 2), [(3, 4), (4,)]),
    Case("where_method", lambda lib, a, b: a.where(b < 0, b), S34),
    # comparisons: bool results, not differentiable
    *[Case(n, _binary_fn(n), S34, grad=False) for n in ("eq", "ne", "lt", "le", "gt", "ge")],
    Case("lt_op_scalar", lambda lib, a: a < 0.3, [(3, 4)], grad=False),
    Case("ge_op_broadcast", lambda lib, a, b: a >= b, [(3, 4), (4,)], grad=False),
    Case("eq_op", lambda lib, a: a == a * 1, [(3, 4)], grad=False),
    Case("ne_op_scalar", lambda lib, a: a != 1, [(3, 4)], grad=False),
    Case("gt_method", lambda lib, a, b: a.gt(b), S34, grad=False),
    Case("rgt_scalar", lambda lib, a: 0.5 > a, [(3, 4)], grad=False),  # noqa: SIM300
    # reductions
    Case("sum_all", lambda lib, a: a.sum(), [(2, 3, 4)]),
    Case("sum_dim", lambda lib, a: lib.sum(a, 1), [(2, 3, 4)]),
    Case("sum_neg_keepdim", lambda lib, a: a.sum(-1, keepdim=True), [(2, 3, 4)]),
    Case("sum_tuple", lambda lib, a: a.sum(dim=(0, -1)), [(2, 3, 4)]),
    Case("mean_all", lambda lib, a: lib.mean(a), [(2, 3, 4)]),
    Case("mean_dim", lambda lib, a: a.mean(0), [(2, 3, 4)]),
    Case("mean_tuple_keepdim", lambda lib, a: a.mean((1, 2), keepdim=True), [(2, 3, 4)]),
    Case("prod_all", lambda lib, a: a.prod(), [(2, 3)], (0.5, 1.5)),
    Case("prod_dim", lambda lib, a: lib.prod(a, 1), [(2, 3)]),
    Case("prod_keepdim", lambda lib, a: a.prod(-1, keepdim=True), [(3, 4)]),
    Case(
        "prod_with_zero",
        lambda lib, a: (a * lib.tensor([1.0, 0.0, 1.0], dtype=lib.float64)).prod(1),
        [(2, 3)],
    ),
    Case(
        "prod_two_zeros",
        lambda lib, a: (a * lib.tensor([0.0, 0.0, 1.0], dtype=lib.float64)).prod(1),
        [(2, 3)],
    ),
    Case("max_all", lambda lib, a: a.max(), [(3, 4)]),
    Case("min_all", lambda lib, a: lib.min(a), [(3, 4)]),
    Case("max_dim", lambda lib, a: lib.max(a, 1), [(3, 4)], node=False),
    Case("max_dim_values", lambda lib, a: a.max(dim=0).values, [(3, 4)]),
    Case(
        "max_dim_indices", lambda lib, a: a.max(dim=-1, keepdim=True).indices, [(3, 4)], grad=False
    ),
    Case("min_dim_keepdim", lambda lib, a: a.min(1, keepdim=True)[0], [(3, 4)]),
    Case("min_dim_indices", lambda lib, a: lib.min(a, 0)[1], [(3, 4)], grad=False),
    Case("max_binary", lambda lib, a, b: lib.max(a, b), S34),
    Case("amax_all", lambda lib, a: lib.amax(a), [(3, 4)]),
    Case("amax_tuple", lambda lib, a: a.amax(dim=(0, 2)), [(2, 3, 4)]),
    Case("amin_neg_keepdim", lambda lib, a: lib.amin(a, -1, keepdim=True), [(2, 3, 4)]),
    Case("var_all", lambda lib, a: a.var(), [(3, 4)]),
    Case("var_dim", lambda lib, a: lib.var(a, 1), [(3, 4)]),
    Case("var_unbiased_false", lambda lib, a: a.var(0, unbiased=False), [(3, 4)]),
    Case(
        "var_correction_tuple",
        lambda lib, a: lib.var(a, dim=(0, 1), correction=0, keepdim=True),
        [(2, 3, 4)],
    ),
    Case("std_all", lambda lib, a: a.std(), [(3, 4)]),
    Case("std_dim_keepdim", lambda lib, a: lib.std(a, -1, keepdim=True), [(3, 4)]),
    Case("std_correction", lambda lib, a: a.std(dim=0, correction=0), [(3, 4)]),
    Case("std_of_equal_values", lambda lib, a: a.expand(3, 4).std(0), [(1, 4)], fd=False),
    Case("logsumexp_dim", lambda lib, a: lib.logsumexp(a, 1), [(3, 4)]),
    Case("logsumexp_tuple_keepdim", lambda lib, a: a.logsumexp((0, 2), keepdim=True), [(2, 3, 4)]),
    Case("logsumexp_large", lambda lib, a: (a * 500).logsumexp(-1), [(3, 4)]),
    Case("norm", lambda lib, a: a.norm(), [(3, 4)]),
    Case("norm_fn_dim", lambda lib, a: lib.norm(a, dim=1), [(3, 4)]),
    Case("norm_p1", lambda lib, a: a.norm(p=1), [(3, 4)]),
    Case("norm_p3_keepdim", lambda lib, a: a.norm(3, dim=0, keepdim=True), [(3, 4)]),
    Case("norm_inf", lambda lib, a: a.norm(p=float("inf")), [(3, 4)]),
    Case("argmax_all", lambda lib, a: lib.argmax(a), [(3, 4)], grad=False),
    Case("argmax_dim", lambda lib, a: a.argmax(1), [(3, 4)], grad=False),
    Case("argmax_keepdim", lambda lib, a: a.argmax(dim=-1, keepdim=True), [(3, 4)], grad=False),
    Case("argmin_all", lambda lib, a: a.argmin(), [(3, 4)], grad=False),
    Case("argmin_dim", lambda lib, a: lib.argmin(a, dim=0), [(3, 4)], grad=False),
    Case("sum_0d_dim", lambda lib, a: a.sum(0), [()]),
    Case("mean_0d_keepdim", lambda lib, a: a.mean(-1, keepdim=True), [()]),
    Case("max_0d_dim", lambda lib, a: a.max(0), [()], node=False),
    Case("argmax_0d_dim", lambda lib, a: a.argmax(0), [()], grad=False),
    Case("prod_logsumexp_0d", lambda lib, a: a.prod(0) * a.logsumexp(-1), [()]),
    # linear algebra
    Case("mm", lambda lib, a, b: lib.mm(a, b), [(3, 4), (4, 5)]),
    Case("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), [(5,), (3, 4), (4, 5)]),
    Case(
        "addmm_beta_alpha",
        lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=-2.0),
        [(3, 1), (3, 4), (4, 5)],
    ),
    Case("addmm_method", lambda lib, c, a, b: c.addmm(a, b), [(3, 5), (3, 4), (4, 5)]),
    Case("mm_method", lambda lib, a, b: a.mm(b), [(2, 4), (4, 3)]),
    Case("matmul_2d_op", lambda lib, a, b: a @ b, [(3, 4), (4, 5)]),
    Case("matmul_1d_1d", lambda lib, a, b: lib.matmul(a, b), [(4,), (4,)]),
    Case("matmul_1d_2d", lambda lib, a, b: a @ b, [(4,), (4, 3)], node=False),
    Case("matmul_2d_1d", lambda lib, a, b: a @ b, [(3, 4), (4,)]),
    Case("matmul_batched", lambda lib, a, b: a @ b, [(2, 3, 4), (2, 4, 5)]),
    Case("matmul_broadcast", lambda lib, a, b: lib.matmul(a, b), [(2, 1, 3, 4), (5, 4, 2)]),
    Case("matmul_2d_3d", lambda lib, a, b: a.matmul(b), [(3, 4), (2, 4, 5)], node=False),
    Case("matmul_1d_3d", lambda lib, a, b: a @ b, [(4,), (2, 4, 3)]),
    Case("matmul_3d_1d", lambda lib, a, b: a @ b, [(2, 3, 4), (4,)]),
    Case("bmm", lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    Case("bmm_method", lambda lib, a, b: a.bmm(b), [(3, 2, 2), (3, 2, 1)]),
    Case("dot", lambda lib, a, b: lib.dot(a, b), [(5,), (5,)]),
    Case("dot_method", lambda lib, a, b: a.dot(b), [(3,), (3,)]),
    Case("t", lambda lib, a: lib.t(a), [(3, 4)]),
    Case("t_method", lambda lib, a: a.t() * 2, [(3, 4)]),
    Case("T", lambda lib, a: a.T, [(3, 4)], node=False),
    Case("mT", lambda lib, a: a.mT, [(2, 3, 4)], node=False),
    Case("transpose", lambda lib, a: lib.transpose(a, 0, 2), [(2, 3, 4)]),
    Case("transpose_neg", lambda lib, a: a.transpose(-1, -2), [(2, 3, 4)]),
    # shapes
    Case("reshape", lambda lib, a: a.reshape(4, 3), [(3, 4)]),
    Case("reshape_fn_tuple", lambda lib, a: lib.reshape(a, (-1,)), [(3, 4)]),
    Case("view", lambda lib, a: a.view(2, -1), [(3, 4)]),
    Case("view_tuple", lambda lib, a: a.view((6, 2)), [(3, 4)]),
    Case("flatten", lambda lib, a: lib.flatten(a), [(2, 3, 4)]),
    Case("flatten_start", lambda lib, a: a.flatten(1), [(2, 3, 4)]),
    Case("flatten_range", lambda lib, a: a.flatten(0, 1), [(2, 3, 4)]),
    Case("squeeze", lambda lib, a: lib.squeeze(a), [(3, 1, 4, 1)]),
    Case("squeeze_dim", lambda lib, a: a.squeeze(1), [(3, 1, 4)]),
    Case("squeeze_neg_dim", lambda lib, a: a.squeeze(-1), [(3, 4, 1)]),
    Case("unsqueeze", lambda lib, a: lib.unsqueeze(a, 0), [(3, 4)]),
    Case("unsqueeze_neg", lambda lib, a: a.unsqueeze(-1), [(3, 4)]),
    Case("permute", lambda lib, a: lib.permute(a, (2, 0, 1)), [(2, 3, 4)]),
    Case("permute_method", lambda lib, a: a.permute(1, 2, 0), [(2, 3, 4)]),
    Case("expand", lambda lib, a: a.expand(3, 4), [(3, 1)]),
    Case("expand_new_dims", lambda lib, a: a.expand(2, -1, 4), [(3, 1)]),
    Case("cat", lambda lib, a, b: lib.cat([a, b]), [(2, 3), (4, 3)]),
    Case("cat_dim", lambda lib, a, b: lib.cat((a, b), dim=-1), [(2, 3), (2, 1)]),
    Case("stack", lambda lib, a, b: lib.stack([a, b]), S34),
    Case("stack_dim", lambda lib, a, b, c: lib.stack([a, b, c], dim=-1), [(2, 3)] * 3),
    Case("split", lambda lib, a: lib.split(a, 2), [(5, 3)], node=False),
    Case("split_sizes", lambda lib, a: a.split([1, 2], dim=1), [(4, 3)], node=False),
    Case("chunk", lambda lib, a: a.chunk(3, dim=1), [(2, 7)], node=False),
    Case("chunk_fn", lambda lib, a: lib.chunk(a, 2), [(4, 3)], node=False),
    # indexing
    Case("getitem_int", lambda lib, a: a[1], [(3, 4)]),
    Case("getitem_neg_int", lambda lib, a: a[-1, 2], [(3, 4)]),
    Case("getitem_slice", lambda lib, a: a[1:3], [(4, 3)]),
    Case("getitem_step", lambda lib, a: a[::2, 1::2], [(5, 4)]),
    Case("getitem_none", lambda lib, a: a[None, :, None], [(3, 4)]),
    Case("getitem_ellipsis", lambda lib, a: a[..., 1], [(2, 3, 4)]),
    Case("getitem_mixed", lambda lib, a: a[0, ..., None, 1:3], [(2, 3, 4)]),
    Case("getitem_int_tensor", lambda lib, a: a[lib.tensor([0, 2, 2])], [(3, 4)]),
    Case("getitem_int_tensor_2d", lambda lib, a: a[lib.tensor([[0, 1], [2, 0]])], [(3, 2)]),
    Case("getitem_int_tensor_dim1", lambda lib, a: a[:, lib.tensor([3, 0, 3])], [(2, 4)]),
    Case(
        "getitem_two_int_tensors",
        lambda lib, a: a[lib.tensor([0, 1, 1]), lib.tensor([2, 0, 2])],
        [(2, 3)],
    ),
    Case("getitem_list", lambda lib, a: a[[0, 2]], [(3, 4)]),
    Case("getitem_bool_mask", lambda lib, a: a[a > 0], [(3, 4)]),
    Case("getitem_bool_rows", lambda lib, a: a[lib.tensor([True, False, True])], [(3, 4)]),
    # setitem (recorded as CopySlices)
    Case("setitem_tensor", lambda lib, a, v: _setitem(lib, a, 1, v * 2), [(3, 4), (4,)]),
    Case("setitem_slice_scalar", lambda lib, a: _setitem(lib, a, (slice(None), 1), 0.5), [(3, 4)]),
    Case(
        "setitem_broadcast", lambda lib, a, v: _setitem(lib, a, (slice(0, 2),), v), [(3, 4), (4,)]
    ),
    Case("setitem_mask", lambda lib, a: _setitem(lib, a, a < 0, 0.0), [(3, 4)]),
    Case(
        "setitem_int_tensor",
        lambda lib, a, v: _setitem(lib, a, lib.tensor([2, 0]), v),
        [(3, 4), (2, 4)],
    ),
    # nn.functional
    Case("F.relu", lambda lib, a: F(lib).relu(a), [(3, 4)]),
    Case("F.sigmoid", lambda lib, a: F(lib).sigmoid(a), [(3, 4)]),
    Case("F.tanh", lambda lib, a: F(lib).tanh(a), [(3, 4)]),
    Case("F.softmax", lambda lib, a: F(lib).softmax(a, dim=1), [(3, 4)]),
    Case("F.softmax_dim0", lambda lib, a: F(lib).softmax(a * 30, 0), [(3, 4)]),
    Case("F.log_softmax", lambda lib, a: F(lib).log_softmax(a, dim=-1), [(3, 4)]),
    Case("F.log_softmax_3d", lambda lib, a: F(lib).log_softmax(a, 1), [(2, 3, 4)]),
    Case("F.mse_loss", lambda lib, a, b: F(lib).mse_loss(a, b), S34),
    Case("F.mse_loss_sum", lambda lib, a, b: F(lib).mse_loss(a, b, reduction="sum"), S34),
    Case("F.mse_loss_none", lambda lib, a, b: F(lib).mse_loss(a, b, reduction="none"), S34),
    Case(
        "F.cross_entropy", lambda lib, a: F(lib).cross_entropy(a, lib.tensor([1, 0, 3])), [(3, 4)]
    ),
    Case(
        "F.cross_entropy_sum",
        lambda lib, a: F(lib).cross_entropy(a, lib.tensor([2, 2, 0]), reduction="sum"),
        [(3, 4)],
    ),
    Case(
        "F.cross_entropy_none",
        lambda lib, a: F(lib).cross_entropy(a, lib.tensor([3, 1, 0]), reduction="none"),
        [(3, 4)],
    ),
    Case(
        "F.cross_entropy_probs",
        lambda lib, a, b: F(lib).cross_entropy(a, F(lib).softmax(b, 1)),
        S34,
        node=False,
    ),
    Case("F.linear", lambda lib, x, w, b: F(lib).linear(x, w, b), [(5, 3), (4, 3), (4,)]),
    Case("F.linear_nobias", lambda lib, x, w: F(lib).linear(x, w), [(5, 3), (4, 3)]),
    # in-place ops on non-leaf tensors
    Case("inplace_chain", lambda lib, x: _inplace_chain(x), [(3, 4)]),
    Case("add_", lambda lib, a, b: (a * 1).add_(b), S34),
    Case("add_alpha_", lambda lib, a, b: (a * 1).add_(b, alpha=-2), S34),
    Case("sub_", lambda lib, a, b: (a * 2).sub_(b), [(3, 4), (4,)]),
    Case("mul_", lambda lib, a, b: (a + 0).mul_(b), S34),
    Case("div_", lambda lib, a, b: (a * 1).div_(b), S34, POS),
    Case("mul_scalar_", lambda lib, a: (a * 1).mul_(3), [(3, 4)]),
    Case("iadd_op", lambda lib, a, b: _iadd(a * 1, b), S34),
    Case("clamp_", lambda lib, a: (a * 1).clamp_(-0.5, 0.5), [(3, 4)]),
    Case("clamp_min_", lambda lib, a: (a * 1).clamp_(min=0.0), [(3, 4)]),
    Case("copy_", lambda lib, a, b: (a * 1).copy_(b) * a, S34, node=False),
    Case("copy_broadcast", lambda lib, a, b: (a * 1).copy_(b) * a, [(3, 4), (4,)], node=False),
    Case("zero_", lambda lib, a: (a * 1).zero_() + a, [(3, 4)], node=False),
    Case("fill_", lambda lib, a: (a * 1).fill_(2.0) * a, [(3, 4)], node=False),
    Case("clone", lambda lib, a: lib.clone(a) * a, [(3, 4)]),
    Case(
        "to_float32_and_back",
        lambda lib, a: a.to(lib.float32).double(),
        [(3, 4)],
        node=False,
        fd=False,
    ),  # float32 rounding defeats finite differences
]


def _setitem(lib: Any, a: Any, idx: Any, v: Any) -> Any:
    y = a * 1
    y[idx] = v
    return y * a


def _inplace_chain(x: Any) -> Any:
    y = x * 2
    y.add_(1)
    y.mul_(x)
    return y


def _iadd(a: Any, b: Any) -> Any:
    a += b
    return a


IDS = [c.id for c in CASES]
assert len(set(IDS)) == len(IDS), "duplicate case ids"


def _run(lib: Any, case: Case, arrays: list[np.ndarray], requires_grad: bool) -> tuple[Any, Any]:
    inputs = _as(lib, arrays, requires_grad)
    return inputs, case.fn(lib, *inputs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case: Case) -> None:
    """Values, dtypes, shapes, the node name and every input's gradient, as PyTorch."""
    arrays = _data(case, seed=len(case.id))
    # Inputs always require grad: non-differentiable results must still come out without it.
    t_in, t_out = _run(torch, case, arrays, True)
    p_in, p_out = _run(tp, case, arrays, True)
    t_outs, p_outs = _outputs(t_out), _outputs(p_out)
    assert len(p_outs) == len(t_outs)
    for p, t in zip(p_outs, t_outs):
        assert isinstance(p, tp.Tensor)
        assert tuple(p.shape) == tuple(t.shape)
        assert _dtype_name(p) == _dtype_name(t)
        np.testing.assert_allclose(_np(p), _np(t), rtol=1e-10, atol=1e-12)
        assert p.requires_grad == t.requires_grad
        if case.node and t.grad_fn is not None:
            assert p.grad_fn.name() == t.grad_fn.name()
    if not case.grad:
        return
    weights = _weights(t_outs, seed=1)
    _loss(torch, t_outs, weights).backward()
    _loss(tp, p_outs, weights).backward()
    for p, t in zip(p_in, t_in):
        if t.grad is None:
            assert p.grad is None or not np.any(_np(p.grad))
            continue
        assert p.grad is not None
        assert p.grad.dtype is tp.float64
        np.testing.assert_allclose(_np(p.grad), _np(t.grad), rtol=1e-9, atol=1e-10)


DIFFERENTIABLE = [c for c in CASES if c.grad and c.fd]


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=[c.id for c in DIFFERENTIABLE])
def test_gradient_matches_finite_differences(case: Case) -> None:
    """The analytic gradient equals central finite differences in float64."""
    arrays = _data(case, seed=len(case.id) + 7)
    p_in, p_out = _run(tp, case, arrays, True)
    outs = _outputs(p_out)
    weights = _weights(outs, seed=3)
    _loss(tp, outs, weights).backward()

    def f(arrs: list[np.ndarray]) -> float:
        with tp.no_grad():
            _, out = _run(tp, case, arrs, False)
            return float(_loss(tp, _outputs(out), weights).item())

    expected = numerical_grad(f, [a.copy() for a in arrays])
    for x, g in zip(p_in, expected):
        got = np.zeros_like(g) if x.grad is None else _np(x.grad)
        np.testing.assert_allclose(got, g, rtol=1e-5, atol=1e-6)
