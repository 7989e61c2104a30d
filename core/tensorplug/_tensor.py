"""``Tensor``: the public tensor class, its attributes, conversions and autograd API.

Its fields are ``TensorBase``'s (``_graph.py``); ops and operators are bound to it as methods
from one table (``_methods.py``), each the public function of the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _dtype as D
from . import _functional_write as fw
from ._backend import Backend, Device
from ._graph import (
    AccumulateGrad,
    Node,
    RemovableHandle,
    TensorBase,
    TensorMeta,
    VersionCounter,
    accumulator,
    new_tensor,
    retain,
)
from ._tensor_math import MathMethods


class Tensor(TensorBase, MathMethods):  # MathMethods: annotations only (issue 16)
    """An n-dimensional array on a backend, with PyTorch's autograd attributes.

    Create tensors with ``tensorplug.tensor``, ``zeros``, ``randn``, ...; see the user guide.
    """

    __slots__ = ()

    # Field types, for the type checker (the fields are ``TensorBase``'s slots).
    _accum: Callable[[], AccumulateGrad | None] | None  # a weak reference
    _backend: Backend
    _base: Tensor | None
    _data: Any
    _grad: Tensor | None
    _grad_fn: Node | None
    _hooks: list[Callable[[Tensor], Tensor | None]] | None
    _meta: TensorMeta | None  # shape and dtype, interned (``meta_of``); None until first needed
    _requires_grad: bool
    _vc: VersionCounter
    # How the array was made from the one that owns its memory: ``(node class, args, shape)``
    # per view op, in order; None when it owns its memory (``TensorBase``).
    _view_ops: tuple[tuple[type[Node], tuple[Any, ...], tuple[int, ...]], ...] | None
    _views: list[Any] | None  # weak references to a base's views in the graph

    # Methods bound from the table in ``_methods.py`` at import, declared for type checkers;
    # each is the public function of the same name, which has the full signature
    # (tests/core/test_typing.py fails when one is missing).
    backward: Callable[..., None]  # ``autograd.backward`` for this tensor
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
    det: Callable[..., Tensor]
    inverse: Callable[..., Tensor]
    logdet: Callable[..., Tensor]
    slogdet: Callable[..., Any]
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
    is_contiguous: Callable[..., bool]
    scatter_reduce: Callable[..., Tensor]
    scatter_reduce_: Callable[..., Tensor]
    polygamma: Callable[..., Tensor]
    polygamma_: Callable[..., Tensor]
    mvlgamma: Callable[..., Tensor]
    xlog1py: Callable[..., Tensor]
    stride: Callable[..., Any]
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
    # cumulative, layout and contraction ops
    cumsum: Callable[..., Tensor]
    cumprod: Callable[..., Tensor]
    cumsum_: Callable[..., Tensor]
    cumprod_: Callable[..., Tensor]
    repeat: Callable[..., Tensor]
    repeat_interleave: Callable[..., Tensor]
    tile: Callable[..., Tensor]
    flip: Callable[..., Tensor]
    fliplr: Callable[..., Tensor]
    flipud: Callable[..., Tensor]
    roll: Callable[..., Tensor]
    movedim: Callable[..., Tensor]
    moveaxis: Callable[..., Tensor]
    diag: Callable[..., Tensor]
    diagonal: Callable[..., Tensor]
    diag_embed: Callable[..., Tensor]
    trace: Callable[..., Tensor]
    outer: Callable[..., Tensor]
    ger: Callable[..., Tensor]
    kron: Callable[..., Tensor]
    baddbmm: Callable[..., Tensor]
    addmv: Callable[..., Tensor]
    addcmul: Callable[..., Tensor]
    addcdiv: Callable[..., Tensor]
    lerp: Callable[..., Tensor]
    addcmul_: Callable[..., Tensor]
    addcdiv_: Callable[..., Tensor]
    lerp_: Callable[..., Tensor]
    addmv_: Callable[..., Tensor]
    baddbmm_: Callable[..., Tensor]
    cummax: Callable[..., Any]  # (values, indices)
    cummin: Callable[..., Any]
    unbind: Callable[..., tuple[Tensor, ...]]
    # random sampling (``_sampling``, ``_sampling_inplace``)
    bernoulli: Callable[..., Tensor]
    multinomial: Callable[..., Tensor]
    uniform_: Callable[..., Tensor]
    normal_: Callable[..., Tensor]
    random_: Callable[..., Tensor]
    exponential_: Callable[..., Tensor]
    geometric_: Callable[..., Tensor]
    cauchy_: Callable[..., Tensor]
    log_normal_: Callable[..., Tensor]
    bernoulli_: Callable[..., Tensor]
    # selection and masking (issue 16): sort/topk give named tuples, unique/nonzero tuples
    tril: Callable[..., Tensor]
    triu: Callable[..., Tensor]
    tril_: Callable[..., Tensor]
    triu_: Callable[..., Tensor]
    masked_fill: Callable[..., Tensor]
    masked_fill_: Callable[..., Tensor]
    masked_select: Callable[..., Tensor]
    nonzero: Callable[..., Any]
    narrow: Callable[..., Tensor]
    gather: Callable[..., Tensor]
    take_along_dim: Callable[..., Tensor]
    scatter: Callable[..., Tensor]
    scatter_: Callable[..., Tensor]
    scatter_add: Callable[..., Tensor]
    scatter_add_: Callable[..., Tensor]
    index_select: Callable[..., Tensor]
    index_add: Callable[..., Tensor]
    index_add_: Callable[..., Tensor]
    sort: Callable[..., Any]
    argsort: Callable[..., Tensor]
    topk: Callable[..., Any]
    unique: Callable[..., Any]
    bincount: Callable[..., Tensor]
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
        """A tensor of this class holding ``data`` (``_graph.new_tensor``)."""
        return new_tensor(cls, data, backend, grad_fn, base)

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
        """Whether the tensor is on a CUDA device (``device.type == "cuda"``)."""
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    def get_device(self) -> int:
        """The device index (``1`` on ``cuda:1``), ``-1`` on the CPU, as in PyTorch."""
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index or 0

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
        t = new_tensor(Tensor, self._data, self._backend)
        t._view_ops = self._view_ops  # the same memory: a write into it is checked the same
        if not self._backend.mutable:
            fw.alias(t, self)
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not self._backend.mutable:
            fw.detach_memory(self)  # its views keep the old memory, as they would share it
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
        retain(self._grad_fn, self)

    def _accumulator(self) -> AccumulateGrad:
        """This leaf's node in the graph being built (``_graph.accumulator``)."""
        return accumulator(self)

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

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """``hook(tensor)`` runs after a gradient was accumulated into this leaf's ``.grad``
        (``_post_accumulate.py``), as in PyTorch; it returns None."""
        from ._post_accumulate import register_post_accumulate_grad_hook

        return register_post_accumulate_grad_hook(self, hook)

    def detach(self) -> Tensor:
        """A tensor sharing data (and version counter) with this one, outside the graph."""
        t = new_tensor(Tensor, self._data, self._backend)
        # Not a view in the autograd sense (in-place ops on it are allowed, as in PyTorch),
        # but it shares the version counter, so a saved tensor changed through it is caught,
        # and its memory: a write into an expand()ed one is refused as through the view.
        t._vc = self._vc
        t._view_ops = self._view_ops
        if not self._backend.mutable:
            fw.alias(t, self)  # the shared memory, kept by the core on such a backend
        return t

    def detach_(self) -> Tensor:
        """Take this tensor out of the graph, in place (not a view, as PyTorch refuses it:
        the view's base would keep it in the graph)."""
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
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

    # Python's number protocols, with PyTorch's rules: any tensor of one element converts
    # (whatever its shape); ``__index__`` only an integer (or bool) one; ``bool()`` of no or
    # several values is ambiguous.
    def _scalar(self) -> Any:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        n = self.numel()
        if n != 1:
            many = "no values" if n == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {many} is ambiguous")
        return bool(self.item())

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``); any other tensor only with
        an empty spec (its ``str``), else ``TypeError``, as in PyTorch."""
        if not self._data.shape and type(self) is Tensor:  # PyTorch's rule: plain 0-d tensors
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    def __contains__(self, element: Any) -> bool:
        """``element in x``: whether any entry of ``x`` equals ``element`` (broadcast)."""
        if not isinstance(element, (Tensor, int, float, bool)):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element)}."
            )
        return bool((self == element).any())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """``numpy.asarray(x)``: the data on the host (``numpy()``'s rules)."""
        host = self.numpy()
        if dtype is not None:
            return host.astype(dtype, copy=bool(copy))
        return host.copy() if copy else host

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
        out = new_tensor(type(self), self._backend.k.copy(self._data), self._backend)
        out._requires_grad = self._requires_grad
        memo[id(self)] = out
        if self._grad is not None:
            out._grad = self._grad.__deepcopy__(memo)
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


def _dim(d: int, ndim: int, op: str) -> int:
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= d <= hi:
        raise IndexError(
            f"{op}(): Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})"
        )
    return d % ndim if ndim else 0
