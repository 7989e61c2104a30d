"""The ``Tensor`` and the per-op hot path (``unary``, ``binary``, ``nary``, ``inplace``)."""

from __future__ import annotations

import os as _os
from collections.abc import Callable, Sequence
from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Any
from weakref import ref as _weakref

from . import _autograd as A
from . import _dtype as D
from . import _grad_mode
from ._autograd import (
    _NEEDS1,
    _NEEDS2,
    _VERSION_0,
    AccumulateGrad,
    Node,
    NodeShell,
    RemovableHandle,
    TensorMeta,
    _next_seq,
    _record_trace,
    _save_general,
    describe,
    meta_of,
    record,
)
from ._backend import Backend, Device
from ._grad_mode import anomaly, state

_SCALARS = (int, float, bool)
_autograd_backward: Any = None  # ``autograd.backward``, bound on first use (import cycle)
_SCALAR_CATEGORY = {bool: D.BOOL, int: D.INT, float: D.FLOAT}
_FLOAT = D.FLOAT


class Tensor:
    """An n-dimensional array on a backend, with PyTorch's autograd attributes.

    Create tensors with ``tensorplug.tensor``, ``zeros``, ``randn``, ...; see the user guide.
    """

    __slots__ = (
        "__weakref__",
        "_accum",
        "_backend",
        "_base",
        "_data",
        "_grad",
        "_grad_fn",
        "_hooks",
        "_meta",
        "_requires_grad",
        "_vc",
    )

    # Slot types, for the type checker (annotations only: values are set per instance).
    _accum: Callable[[], AccumulateGrad | None] | None  # a weak reference
    _backend: Backend
    _base: Tensor | None
    _data: Any
    _grad: Tensor | None
    _grad_fn: Node | None
    _hooks: list[Callable[[Tensor], Tensor | None]] | None
    _meta: TensorMeta | None  # shape and dtype, interned (``meta_of``); None until first needed
    _requires_grad: bool
    _vc: list[Any]  # the version, then weak references to views in the graph

    # Methods bound from the table in ``_methods.py`` at import, declared for type checkers;
    # each is the public function of the same name, which has the full signature
    # (tests/test_typing.py fails when one is missing).
    add: Callable[..., Tensor]
    sub: Callable[..., Tensor]
    subtract: Callable[..., Tensor]
    mul: Callable[..., Tensor]
    multiply: Callable[..., Tensor]
    div: Callable[..., Tensor]
    divide: Callable[..., Tensor]
    true_divide: Callable[..., Tensor]
    pow: Callable[..., Tensor]
    neg: Callable[..., Tensor]
    negative: Callable[..., Tensor]
    exp: Callable[..., Tensor]
    log: Callable[..., Tensor]
    log1p: Callable[..., Tensor]
    expm1: Callable[..., Tensor]
    sqrt: Callable[..., Tensor]
    rsqrt: Callable[..., Tensor]
    abs: Callable[..., Tensor]
    sin: Callable[..., Tensor]
    cos: Callable[..., Tensor]
    tanh: Callable[..., Tensor]
    sigmoid: Callable[..., Tensor]
    relu: Callable[..., Tensor]
    clamp: Callable[..., Tensor]
    clip: Callable[..., Tensor]
    clamp_min: Callable[..., Tensor]
    clamp_max: Callable[..., Tensor]
    reciprocal: Callable[..., Tensor]
    square: Callable[..., Tensor]
    maximum: Callable[..., Tensor]
    minimum: Callable[..., Tensor]
    sign: Callable[..., Tensor]
    where: Callable[..., Tensor]
    eq: Callable[..., Tensor]
    ne: Callable[..., Tensor]
    lt: Callable[..., Tensor]
    le: Callable[..., Tensor]
    gt: Callable[..., Tensor]
    ge: Callable[..., Tensor]
    sum: Callable[..., Tensor]
    mean: Callable[..., Tensor]
    prod: Callable[..., Tensor]
    max: Callable[..., Any]  # a Tensor, or (values, indices) with dim=
    min: Callable[..., Any]
    amax: Callable[..., Tensor]
    amin: Callable[..., Tensor]
    var: Callable[..., Tensor]
    std: Callable[..., Tensor]
    logsumexp: Callable[..., Tensor]
    norm: Callable[..., Tensor]
    argmax: Callable[..., Tensor]
    argmin: Callable[..., Tensor]
    all: Callable[..., Tensor]
    any: Callable[..., Tensor]
    softmax: Callable[..., Tensor]
    log_softmax: Callable[..., Tensor]
    mm: Callable[..., Tensor]
    addmm: Callable[..., Tensor]
    matmul: Callable[..., Tensor]
    bmm: Callable[..., Tensor]
    dot: Callable[..., Tensor]
    t: Callable[..., Tensor]
    transpose: Callable[..., Tensor]
    swapaxes: Callable[..., Tensor]
    reshape: Callable[..., Tensor]
    view: Callable[..., Tensor]
    flatten: Callable[..., Tensor]
    squeeze: Callable[..., Tensor]
    unsqueeze: Callable[..., Tensor]
    permute: Callable[..., Tensor]
    expand: Callable[..., Tensor]
    expand_as: Callable[..., Tensor]
    broadcast_to: Callable[..., Tensor]
    sum_to_size: Callable[..., Tensor]
    split: Callable[..., tuple[Tensor, ...]]
    chunk: Callable[..., tuple[Tensor, ...]]
    clone: Callable[..., Tensor]
    contiguous: Callable[..., Tensor]
    view_as: Callable[..., Tensor]
    reshape_as: Callable[..., Tensor]
    add_: Callable[..., Tensor]
    sub_: Callable[..., Tensor]
    mul_: Callable[..., Tensor]
    div_: Callable[..., Tensor]
    clamp_: Callable[..., Tensor]
    zero_: Callable[..., Tensor]
    fill_: Callable[..., Tensor]
    copy_: Callable[..., Tensor]
    to: Callable[..., Tensor]
    type_as: Callable[..., Tensor]
    cuda: Callable[..., Tensor]
    cpu: Callable[..., Tensor]
    new_zeros: Callable[..., Tensor]
    new_ones: Callable[..., Tensor]
    new_empty: Callable[..., Tensor]
    new_full: Callable[..., Tensor]
    new_tensor: Callable[..., Tensor]
    T: Tensor
    mT: Tensor  # noqa: N815 - PyTorch's name

    if TYPE_CHECKING:
        # Operators, bound from the same table.
        def __add__(self, other: Any) -> Tensor: ...

        __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __add__
        __rtruediv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __add__
        __iadd__ = __isub__ = __imul__ = __itruediv__ = __and__ = __or__ = __add__
        __lt__ = __le__ = __gt__ = __ge__ = __add__

        def __eq__(self, other: object) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: object) -> Tensor: ...  # type: ignore[override]
        def __neg__(self) -> Tensor: ...

        __pos__ = __abs__ = __invert__ = __neg__

        def __getitem__(self, index: Any) -> Tensor: ...
        def __setitem__(self, index: Any, value: Any) -> None: ...

    # Let reflected operators with NumPy arrays on the left reach Tensor's methods.
    __array_priority__ = 1000
    __array_ufunc__ = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "create tensors with tensorplug.tensor(data), tensorplug.zeros(...), and friends"
        )

    @classmethod
    def _make(
        cls, data: Any, backend: Backend, grad_fn: Node | None = None, base: Tensor | None = None
    ) -> Tensor:
        t = object.__new__(cls)
        t._data = data
        t._backend = backend
        t._grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        t._grad = None
        t._accum = None
        t._hooks = None
        t._base = base
        t._vc = [0] if base is None else base._vc
        t._meta = None
        return t

    # -- attributes --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or its length along ``dim``."""
        shape = self.shape
        return shape if dim is None else shape[_dim(dim, len(shape), "size")]

    @property
    def ndim(self) -> int:
        return len(self._data.shape)

    def dim(self) -> int:
        return len(self._data.shape)

    ndimension = dim

    def numel(self) -> int:
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    @property
    def dtype(self) -> D.dtype:
        return self._backend.k.dtype_of(self._data)

    @property
    def device(self) -> Device:
        return self._backend.device(self._data)

    @property
    def backend(self) -> str:
        """The name of the backend holding this tensor's data."""
        return self._backend.name

    @property
    def is_cuda(self) -> bool:
        return self._backend.device_type == "cuda"

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def element_size(self) -> int:
        return self.dtype.itemsize

    def __len__(self) -> int:
        if not self._data.shape:
            raise TypeError("len() of a 0-d tensor")
        return int(self._data.shape[0])

    # -- autograd attributes -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients "
                f"(got {self.dtype.name})"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad_fn(self) -> Node | None:
        return self._grad_fn

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value)}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {list(value.shape)} vs "
                    f"{list(self.shape)}"
                )
        self._grad = value

    @property
    def data(self) -> Tensor:
        """A detached alias, as PyTorch's ``.data`` (in-place changes are not tracked)."""
        return Tensor._make(self._data, self._backend)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data
        self._meta = value._meta

    @property
    def retains_grad(self) -> bool:
        fn = self._grad_fn
        return fn is not None and fn._retain is not None and fn._retain() is self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        A.retain(self._grad_fn, self)

    def _accumulator(self) -> AccumulateGrad:
        """This leaf's node in the graph being built. The tensor holds it weakly and the node
        holds the tensor, as in PyTorch: the graphs keep both alive, and once they are gone a
        leaf dropped by the user is freed at once rather than left to the cycle collector."""
        ref = self._accum
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accum = _weakref(acc)
        return acc

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient is computed; a returned tensor
        replaces it, and must have its dtype and size (as in PyTorch)."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_prehook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | Tensor | None = None,
    ) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of the leaves."""
        node = self._grad_fn
        if gradient is None and inputs is None and not create_graph and node is not None:
            data = self._data
            if data.size == 1:  # ``loss.backward()``: the checks of ``autograd.backward``
                # cannot fail here, so it goes straight to the engine (saves ~1.5 µs a step).
                be = self._backend
                g = be.k.full(data.shape, 1, be.k.dtype_of(data))
                A.run_backward([(node, g)], retain_graph=bool(retain_graph), create_graph=False)
                return
        global _autograd_backward
        if _autograd_backward is None:  # bound once: an import statement costs ~1 µs a call
            from .autograd import backward as _autograd_backward
        _autograd_backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing data (and version counter) with this one, outside the graph."""
        t = Tensor._make(self._data, self._backend)
        # Not a view in the autograd sense (in-place ops on it are allowed, as in PyTorch),
        # but it shares the version counter, so a saved tensor changed through it is caught.
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self._grad_fn = None
        self._requires_grad = False
        return self

    # -- conversion --------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> Any:
        """The data as a NumPy array (shares memory on the NumPy backend)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._backend.k.to_host(self._data)

    def item(self) -> Any:
        n = self.numel()
        if n != 1:
            raise RuntimeError(
                f"a Tensor with {n} elements cannot be converted to Scalar "
                f"(item() needs exactly one element; shape is {list(self.shape)})"
            )
        return self._backend.k.to_host(self._data).reshape(()).item()

    def tolist(self) -> Any:
        return self._backend.k.to_host(self._data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} elements is ambiguous")
        return bool(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    def __iter__(self) -> Any:
        if not self._data.shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("tensorplug tensors are not pickled; use tensorplug.save (safetensors)")

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        """A copy with its own memory, ``requires_grad`` and ``.grad`` (leaves only, as PyTorch)."""
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment. If you were attempting to deepcopy a module, this may "
                "be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]  # type: ignore[no-any-return]
        out = Tensor._make(self._backend.k.copy(self._data), self._backend)
        out._requires_grad = self._requires_grad
        memo[id(self)] = out
        if self._grad is not None:
            out._grad = self._grad.__deepcopy__(memo)
        if type(self) is not Tensor:
            out.__class__ = type(self)
        return out

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> Any:
        return self._data.__dlpack_device__()

    # Declared last: above this point, ``float`` / ``int`` / ``bool`` in annotations must
    # still mean the builtins.
    float: Callable[..., Tensor]
    double: Callable[..., Tensor]
    half: Callable[..., Tensor]
    long: Callable[..., Tensor]
    int: Callable[..., Tensor]
    bool: Callable[..., Tensor]


A._Tensor = Tensor


def _dim(d: int, ndim: int, op: str) -> int:
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= d <= hi:
        raise IndexError(
            f"{op}(): Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})"
        )
    return d % ndim if ndim else 0


# --------------------------------------------------------------------------------------------
# The per-op hot path. ``cls.forward`` runs on raw arrays; a node is recorded only when grad
# mode is on and an input requires grad.
# --------------------------------------------------------------------------------------------


def _wrap(
    out: Any, be: Backend, cls: type[Node], inputs: Sequence[Any], args: tuple[Any, ...]
) -> Tensor:
    node = record(cls, inputs, out, args, be)
    t = Tensor._make(out, be, node)
    node._out_vc = t._vc
    return t


# ``unary`` and ``binary`` build their result inline rather than through ``Tensor._make``: on
# small arrays the op's Python overhead is the cost, and each call saved is measurable
# (benchmarks/bench_w3_overhead.py).
_new = object.__new__


def unary(cls: type[Node], x: Tensor, *args: Any) -> Tensor:
    be = x._backend
    data = x._data
    if cls.float_only:
        try:
            cat = _CATEGORY[data.dtype]
        except (KeyError, TypeError):
            cat = _native_category(be, data)
        if cat != _FLOAT:
            data = be.k.astype(data, D.get_default_dtype())
    try:
        fwd = be._forwards[cls]  # the op's kernel itself where it is one (``Node.kernel``)
    except KeyError:
        fwd = be.forward_of(cls)
    try:
        # A call without ``*args`` when there are none: the starred call costs 70 ns more.
        out = fwd(data, *args) if args else fwd(data)
    except Exception as e:
        raise op_error(cls, (x,), e) from e
    t = _new(Tensor)
    t._data = out
    t._backend = be
    t._grad = t._accum = t._hooks = t._base = None
    t._vc = vc = [0]
    if x._requires_grad and state.grad_enabled:
        # ``record``, inlined for one input (most of an op's cost on small arrays).
        node: Node = _new(NodeShell)  # given its class below (see ``NodeShell``)
        node._extra = None
        node.args = args
        node._backend = be
        fn = x._grad_fn
        if fn is None:
            fn = x._accumulator()
        node._next = (fn,)
        node._seq = _next_seq()  # after ``fn`` (see ``_next_seq``)
        node.needs_input_grad = _NEEDS1[1]
        meta = x._meta
        if meta is None:
            meta = meta_of(x)
        # A pointwise op's output has its input's shape, and mostly its dtype (one identity
        # test): it takes the input's metadata, which the next op then needs not compute, and
        # its node's gradients need no dtype check (``OutDtype``).
        pointwise = cls.elementwise and out.dtype is meta.dtype
        node.shapes, node.dtype = meta.pointwise if pointwise else meta.one
        t._meta = meta if pointwise else None
        plan = cls._plan
        if plan == 0:
            node._saved = node._versions = ()
        elif plan == 1:
            node._saved = (out,)
            node._versions = _VERSION_0
            node._out_vc = vc
        elif plan == 2:  # the one input
            node._saved = (x,)
            node._versions = (x._vc[0],)
        else:
            _save_general(node, cls.save, (x,), out)
            node._out_vc = vc
        node.__class__ = cls
        if anomaly.enabled:
            _record_trace(node)
        t._grad_fn = node
        t._requires_grad = True
    else:
        t._grad_fn = None
        t._requires_grad = False
        t._meta = None
    return t


def binary(cls: type[Node], a: Any, b: Any, *args: Any) -> Tensor:
    if not isinstance(a, Tensor):
        a = _scalar_like(a, b, cls)
    be = a._backend
    da = a._data
    dta = da.dtype  # the inputs' own dtypes, fetched once (the node records them)
    if isinstance(b, Tensor):
        db = b._data
        dtb = db.dtype
        if b._backend is not be:
            raise mismatch_error(cls, a, b)
        if (dta is not dtb and dta != dtb) or (cls.float_only and not _is_float(be, da)):
            da, db = _promote(cls, a, b)
        needs_grad = a._requires_grad or b._requires_grad
    else:
        scat = _SCALAR_CATEGORY.get(b.__class__)
        if scat is None:
            return binary(cls, a, as_operand(b, a, cls), *args)
        db = b
        dtb = None
        try:
            cat = _CATEGORY[dta]
        except (KeyError, TypeError):
            cat = _native_category(be, da)
        if scat > cat or (cls.float_only and cat != _FLOAT):
            have = be.k.dtype_of(da)
            target = D.result_type((have, 2), (D.scalar_dtype(b), 0))
            if cls.float_only and not target.is_floating_point:
                target = D.get_default_dtype()
            da = be.k.astype(da, target)
        needs_grad = a._requires_grad
    try:
        fwd = be._forwards[cls]
    except KeyError:
        fwd = be.forward_of(cls)
    try:
        out = fwd(da, db, *args) if args else fwd(da, db)
    except Exception as e:
        raise op_error(cls, (a, b), e) from e
    t = _new(Tensor)
    t._data = out
    t._backend = be
    t._grad = t._accum = t._hooks = t._base = None
    t._vc = vc = [0]
    if needs_grad and state.grad_enabled:
        # ``record``, inlined for two inputs (``b`` a tensor or a number): most ops.
        node: Node = _new(NodeShell)  # given its class below (see ``NodeShell``)
        node._extra = None
        node.args = args
        node._backend = be
        fa = a._grad_fn
        if fa is None and a._requires_grad:
            fa = a._accumulator()
        ma = a._meta
        if ma is None:
            ma = meta_of(a)
        if dtb is not None:
            fb = b._grad_fn
            if fb is None and b._requires_grad:
                fb = b._accumulator()
            mb = b._meta
            if mb is None:
                mb = meta_of(b)
            if mb is ma and cls.elementwise and out.dtype is ma.dtype:  # see ``unary``
                node.shapes, node.dtype = ma.pointwise2
                t._meta = ma
            else:
                try:
                    node.shapes, node.dtype = ma.pairs[mb]
                except KeyError:
                    node.shapes, node.dtype = ma.pair(mb)
                t._meta = None
        else:
            fb = None
            pointwise = cls.elementwise and out.dtype is ma.dtype
            node.shapes, node.dtype = ma.pointwise_scalar if pointwise else ma.scalar
            t._meta = ma if pointwise else None
        node._next = (fa, fb)
        node._seq = _next_seq()
        node.needs_input_grad = _NEEDS2[fa is not None][fb is not None]
        plan = cls._plan
        if plan == 0:
            node._saved = node._versions = ()
        elif plan == 3 and cls.save[0] == 0:  # mul, div, matmul: both inputs
            node._saved = (a, b)
            node._versions = (a._vc[0], None if dtb is None else b._vc[0])
        elif plan == 1:
            node._saved = (out,)
            node._versions = _VERSION_0
            node._out_vc = vc
        elif plan == 2:
            if cls.save[0] == 0:
                node._saved, node._versions = (a,), (a._vc[0],)
            else:
                node._saved, node._versions = (b,), (None if dtb is None else b._vc[0],)
        else:
            _save_general(node, cls.save, (a, b), out)
            node._out_vc = vc
        node.__class__ = cls
        if anomaly.enabled:
            _record_trace(node)
        t._grad_fn = node
        t._requires_grad = True
    else:
        t._grad_fn = None
        t._requires_grad = False
        t._meta = None
    return t


def nary(cls: type[Node], tensors: Sequence[Any], *args: Any) -> Tensor:
    """The general path: any number of tensor (or scalar) inputs, promoted together."""
    first: Any = None
    arrays = []
    needs_grad = False
    same = True  # all inputs are tensors of one dtype: promotion has nothing to do
    for t in tensors:
        if isinstance(t, Tensor):
            d = t._data
            if first is None:
                first = t
                be = t._backend
                dt = d.dtype
            elif t._backend is not be:
                raise mismatch_error(cls, first, t)
            elif same and d.dtype != dt:
                same = False
            arrays.append(d)
            if t._requires_grad:
                needs_grad = True
        else:
            arrays.append(t)
            same = False
    if first is None:
        raise TypeError(f"{cls.op}(): expected at least one Tensor argument")
    if cls.promote and not (same and (not cls.float_only or _is_float(be, arrays[0]))):
        arrays = _promote_all(cls, tensors, arrays, be)
    try:
        out = (be._forwards.get(cls) or be.forward_of(cls))(*arrays, *args)
    except Exception as e:
        raise op_error(cls, tensors, e) from e
    if needs_grad and state.grad_enabled:
        return _wrap(out, be, cls, tensors, args)
    return Tensor._make(out, be)


def view(cls: type[Node], x: Tensor, *args: Any) -> Tensor:
    """Like ``unary`` for ops whose result may alias ``x`` (shares its version counter)."""
    be = x._backend
    try:
        out = (be._forwards.get(cls) or be.forward_of(cls))(x._data, *args)
    except Exception as e:
        raise op_error(cls, (x,), e) from e
    base = x if x._base is None else x._base
    if x._requires_grad and state.grad_enabled:
        node = record(cls, (x,), out, args, be)
        t = Tensor._make(out, be, node, base)
        vc = t._vc
        node._out_vc = vc
        # The base's version counter also lists (weakly) its views in the graph, so an
        # in-place change of the base or of one view can give the others a fresh history.
        if len(vc) > 32:
            vc[1:] = [r for r in vc[1:] if r() is not None]
        vc.append(_weakref(t))
        return t
    return Tensor._make(out, be, None, base)


def _is_float(be: Backend, arr: Any) -> bool:
    # Through ``dtype_of``: native dtype objects differ per library (no ``.kind`` in the
    # Array API standard); its answer is cached per native dtype object.
    try:
        return _CATEGORY[arr.dtype] == D.FLOAT
    except (KeyError, TypeError):
        return _native_category(be, arr) == D.FLOAT


_CATEGORY: dict[Any, int] = {}
"""Native dtype object -> its tensorplug dtype's promotion category (bool, int, float), as
``dtype_of`` says: the per-op dtype checks without a kernel call."""


def _native_category(be: Backend, arr: Any) -> int:
    cat: int = be.k.dtype_of(arr).category
    try:
        _CATEGORY[arr.dtype] = cat
    except TypeError:  # the Array API does not require hashable dtypes: just not cached
        return cat
    return cat


def _promote(cls: type[Node], a: Tensor, b: Tensor) -> tuple[Any, Any]:
    target = D.result_type((a.dtype, 2 if a.ndim else 1), (b.dtype, 2 if b.ndim else 1))
    if cls.float_only and not target.is_floating_point:
        target = D.get_default_dtype()
    k = a._backend.k
    da = a._data if a.dtype is target else k.astype(a._data, target)
    db = b._data if b.dtype is target else k.astype(b._data, target)
    return da, db


def _promote_all(
    cls: type[Node], tensors: Sequence[Any], arrays: list[Any], be: Backend
) -> list[Any]:
    ops = []
    for t in tensors:
        if isinstance(t, Tensor):
            ops.append((t.dtype, 2 if t.ndim else 1))
        elif t.__class__ in _SCALARS:
            ops.append((D.scalar_dtype(t), 0))
    if not ops:
        return arrays
    target = D.result_type(*ops)
    if cls.float_only and not target.is_floating_point:
        target = D.get_default_dtype()
    return [
        be.k.astype(a, target) if isinstance(t, Tensor) and t.dtype is not target else a
        for t, a in zip(tensors, arrays)
    ]


def _scalar_like(x: Any, other: Any, cls: type[Node]) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{cls.op}(): expected a Tensor argument, got {type(other).__name__}")
    return as_operand(x, other, cls)


def as_operand(x: Any, like: Tensor, cls: type[Node]) -> Tensor:
    """A non-tensor operand as a constant tensor on ``like``'s backend."""
    if isinstance(x, _SCALARS):
        d = D.result_type((like.dtype, 2), (D.scalar_dtype(x), 0))
        be = like._backend
        return Tensor._make(be.k.full((), x, d), be)
    if isinstance(x, (list, tuple)) or hasattr(x, "__array__") or hasattr(x, "__dlpack__"):
        from ._creation import tensor

        return tensor(x, backend=like._backend)
    raise TypeError(
        f"{cls.op}(): unsupported operand type {type(x).__name__}; expected a Tensor or a number"
    )


def mismatch_error(cls: type[Node] | _Named, a: Tensor, b: Tensor) -> RuntimeError:
    return RuntimeError(
        f"{cls.op}(): expected all tensors to be on the same device and backend, but found "
        f"{a.device} ({a.backend}) and {b.device} ({b.backend}).\n"
        f"  first tensor: {describe(a)}\n  other tensor: {describe(b)}\n"
        f"Move one onto the other's backend and device first: `other.to(first)`, or "
        f"`other.to({str(a.device)!r})`."
    )


def op_error(cls: type[Node], inputs: Sequence[Any], e: Exception) -> Exception:
    """Re-raise a kernel failure as an error that names the op and its inputs."""
    if getattr(e, "_tp_op", False):
        return e
    from ._backend import UnsupportedOperation

    shapes = [list(t.shape) for t in inputs if isinstance(t, Tensor)]
    if isinstance(e, UnsupportedOperation):
        err: Exception = e
    elif len(shapes) >= 2 and cls.broadcasts and not _broadcastable(shapes):
        err = RuntimeError(f"{cls.op}(): {_broadcast_message(shapes)}")
    else:
        desc = ", ".join(
            f"{t.dtype.name}{list(t.shape)}" if isinstance(t, Tensor) else repr(t) for t in inputs
        )
        # The nearest builtin type: a library's own exception class (NumPy's AxisError,
        # CuPy's errors) must not leak out of tensorplug.
        kind = next(
            (c for c in type(e).__mro__ if c in (IndexError, ValueError, TypeError, RuntimeError)),
            None,
        )
        err = (
            kind(f"{cls.op}(): {e} (inputs: {desc})")
            if kind is not None
            else RuntimeError(f"{cls.op}(): {type(e).__name__}: {e} (inputs: {desc})")
        )
    err._tp_op = True  # type: ignore[attr-defined]
    return err


def _broadcastable(shapes: list[list[int]]) -> bool:
    n = max(len(s) for s in shapes)
    for i in range(1, n + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(sizes) > 1:
            return False
    return True


def _broadcast_message(shapes: list[list[int]]) -> str:
    a, b = shapes[0], shapes[1]
    n = max(len(a), len(b))
    for i in range(1, n + 1):
        x = a[-i] if len(a) >= i else 1
        y = b[-i] if len(b) >= i else 1
        if x != y and x != 1 and y != 1:
            return (
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {n - i} (shapes {a} and {b})"
            )
    return f"shapes {shapes} cannot be broadcast together"


# --------------------------------------------------------------------------------------------
# In-place ops
# --------------------------------------------------------------------------------------------


def check_inplace(t: Tensor, op: str) -> None:
    if not state.grad_enabled:
        return
    if t._grad_fn is None and t._requires_grad:
        raise RuntimeError(
            f"{op}(): a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with tensorplug.no_grad():` or use an "
            "out-of-place op."
        )


def inplace(cls: type[Node], t: Tensor, *operands: Any, args: tuple[Any, ...] = ()) -> Tensor:
    """Apply ``cls`` out of place, then write the result into ``t`` and rebase its history."""
    if (
        not state.grad_enabled
        and len(operands) == 1
        and not args
        and _inplace_kernel(cls, t, operands[0])
    ):
        return t  # not recorded (the SGD update under ``no_grad``): no graph checks to make
    op = cls.op + "_"
    if (
        t._base is not None
        and state.grad_enabled
        and (
            t._base._requires_grad
            or t._requires_grad
            or any(isinstance(o, Tensor) and o._requires_grad for o in operands)
        )
    ):
        return _inplace_on_view(cls, t, operands, args, op)
    check_inplace(t, op)
    record_grad = state.grad_enabled and (
        t._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in operands)
    )
    if not record_grad and len(operands) == 1 and not args and _inplace_kernel(cls, t, operands[0]):
        return t
    views = None
    if record_grad and len(t._vc) > 1:
        from ._ops_shape import live_views

        views = live_views(t)
    res = _out_of_place(cls, t, operands, args, record_grad)
    write(t, res, op)
    if record_grad:
        t._grad_fn = res._grad_fn
        t._requires_grad = True
        # A saved output stays ``res._data``, a separate array that later in-place ops on
        # ``t`` don't touch.
        if views:
            from ._ops_shape import refresh_views

            refresh_views(t, views)
    return t


def _inplace_on_view(
    cls: type[Node], t: Tensor, operands: tuple[Any, ...], args: tuple[Any, ...], op: str
) -> Tensor:
    """``inplace`` on a view in the graph: the op out of place, then written through the view
    onto its base's history (``CopySlices``), as PyTorch records it."""
    from ._ops_shape import rebase_view

    rebase_view(t, _out_of_place(cls, t, operands, args, True), op)
    return t


def _out_of_place(
    cls: type[Node], t: Tensor, operands: tuple[Any, ...], args: tuple[Any, ...], recorded: bool
) -> Tensor:
    """The in-place op ``cls`` on ``t`` computed out of place, for ``write``/``rebase_view``.
    When it is recorded and its backward needs ``t``'s value from before the write, that
    value is a copy carrying ``t``'s place in the graph."""
    src = t
    if recorded and 0 in cls.save:
        src = Tensor._make(t._backend.k.copy(t._data), t._backend, t._grad_fn)
        src._requires_grad = t._requires_grad
    if not operands:
        return unary(cls, src, *args)
    if len(operands) == 1:
        return binary(cls, src, operands[0], *args)
    return nary(cls, (src, *operands), *args)


_INPLACE_KERNELS = {"add": "iadd", "sub": "isub", "mul": "imul", "div": "idiv"}
"""Optional kernels ``(dst, src) -> None`` that update ``dst`` without a temporary."""


def _inplace_kernel(cls: type[Node], t: Tensor, other: Any) -> bool:
    """Run an unrecorded ``t.op_(other)`` as one in-place kernel (the SGD update, ``+=``) when
    the backend has one and the result needs no cast or broadcast; False to take the general
    path, which also reports every error."""
    name = _INPLACE_KERNELS.get(cls.op)
    be = t._backend
    kernel = None if name is None else getattr(be.k, name, None)
    if kernel is None:
        return False
    td = t._data
    if isinstance(other, Tensor):
        od = other._data
        if (
            other._backend is not be
            or (od.dtype is not td.dtype and od.dtype != td.dtype)
            or od.shape != td.shape
        ):
            return False
    elif other.__class__ in _SCALAR_CATEGORY:
        od = other
        if _SCALAR_CATEGORY[other.__class__] > be.k.dtype_of(td).category:
            return False
    else:
        return False
    if cls.float_only and not _is_float(be, td):
        return False
    kernel(td, od)
    t._vc[0] += 1
    return True


def write(t: Tensor, res: Tensor, op: str) -> None:
    """Copy ``res`` into ``t``'s array in place (casting, never growing ``t``)."""
    if res._backend is not t._backend:
        raise mismatch_error(_Named(op), t, res)
    if res._data.shape != t._data.shape:
        bshape = list(res.shape)
        if (
            not _broadcastable([list(t.shape), bshape])
            or tuple(_broadcast_shape(t.shape, res.shape)) != t.shape
        ):
            raise RuntimeError(
                f"{op}(): output with shape {list(t.shape)} doesn't match the broadcast shape "
                f"{_broadcast_shape(t.shape, res.shape) if _broadcastable([list(t.shape), bshape]) else bshape}"  # noqa: E501
            )
    if res._data.dtype != t._data.dtype:
        tdt, rdt = t.dtype, res.dtype
        if rdt.category > tdt.category:
            raise RuntimeError(
                f"{op}(): result type {rdt.name} can't be cast to the desired output type "
                f"{tdt.name}"
            )
    t._backend.k.assign(t._data, res._data)
    t._vc[0] += 1


def _broadcast_shape(a: Sequence[int], b: Sequence[int]) -> list[int]:
    n = max(len(a), len(b))
    out = []
    for i in range(n, 0, -1):
        x = a[-i] if len(a) >= i else 1
        y = b[-i] if len(b) >= i else 1
        out.append(max(x, y) if 1 in (x, y) else x)
    return out


class _Named:
    def __init__(self, op: str) -> None:
        self.op = op


# --------------------------------------------------------------------------------------------
# The compiled hot path (``_speedups.c``), where the install built it: ``unary`` and
# ``binary`` for the common case, handing every other call to the Python functions above,
# which stay the reference. ``TENSORPLUG_PURE_PYTHON=1`` keeps the Python ones.
# --------------------------------------------------------------------------------------------
py_unary, py_binary = unary, binary
speedups: Any = None
speedups_status = "off: TENSORPLUG_PURE_PYTHON is set"
"""Whether the compiled hot path is in use, and if not why (``tensorplug info``)."""
if not _os.environ.get("TENSORPLUG_PURE_PYTHON"):
    try:
        speedups = _import_module(f"{__package__}._speedups")
    except ImportError as e:  # not built (no C compiler at install time): pure Python
        speedups_status = f"off: not built ({e})"
if speedups is not None:
    try:
        speedups.configure(
            {
                "Tensor": Tensor,
                "Node": Node,
                "TensorMeta": TensorMeta,
                "unary": py_unary,
                "binary": py_binary,
                "anomaly": anomaly,
                "seq_counter": A._seq_counter,
                "meta_of": meta_of,
                "save_general": _save_general,
                "categories": _CATEGORY,
                "native_category": _native_category,
                "needs1": _NEEDS1,
                "needs2": _NEEDS2,
                "version0": _VERSION_0,
                "bool_int_float": (D.BOOL, D.INT, D.FLOAT),
            }
        )
    except (TypeError, KeyError, AttributeError) as e:  # a build older than this source
        speedups_status = f"off: {e}"
        speedups = None
    else:
        speedups_status = "on"
        unary = speedups.unary
        binary = speedups.binary
        speedups.set_grad_mode(state.grad_enabled)  # this thread's, as of now
        _grad_mode.mirror = speedups.set_grad_mode
