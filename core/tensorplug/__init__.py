"""tensorplug: PyTorch-style eager tensors and reverse-mode autograd on pluggable backends.

Example:
    >>> import tensorplug as tp
    >>> x = tp.ones(2, 2, requires_grad=True)
    >>> y = (x * 3).mean()
    >>> y
    tensor(3., grad_fn=<MeanBackward0>)
    >>> y.backward()
    >>> x.grad
    tensor([[0.7500, 0.7500],
            [0.7500, 0.7500]])
"""

from __future__ import annotations

import builtins

from . import _compiled as _compiled  # first: picks compiled or plain hot modules
from . import _methods as _methods  # binds methods and operators to Tensor
from . import autograd, linalg, plugins, return_types
from ._backend import BackendUnavailableError, Device, UnsupportedOperation
from ._creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from ._dtype import bool_ as bool
from ._dtype import (
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int32,
    int64,
    promote_types,
    set_default_dtype,
)
from ._einsum import einsum
from ._generator import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    seed,
    set_rng_state,
)
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._linalg import addmm, bmm, dot, matmul, mm

# issue 16 (wt-h16math): statistics, more math, Bessel I0 and linear-algebra gaps
from ._linalg_extra import (
    addbmm,
    addr,
    cholesky_inverse,
    cholesky_solve,
    cross,
    dist,
    inner,
    matrix_exp,
    matrix_power,
    mv,
    renorm,
    vdot,
)
from ._memory_format import contiguous_format, memory_format, preserve_format
from ._ops_bessel import bessel_i0 as i0
from ._ops_bitwise import (
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
)
from ._ops_clamp import clamp, clamp_max, clamp_min, clip
from ._ops_compare import (
    allclose,
    equal,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
)
from ._ops_cumulative import cummax, cummin, cumprod, cumsum
from ._ops_fused import addcdiv, addcmul, addmv, baddbmm, lerp
from ._ops_layout import (
    cartesian_prod,
    diag,
    diag_embed,
    diagonal,
    flip,
    fliplr,
    flipud,
    ger,
    kron,
    meshgrid,
    moveaxis,
    movedim,
    outer,
    repeat_interleave,
    roll,
    tensordot,
    tile,
    trace,
    unbind,
)
from ._ops_logcumsumexp import logcumsumexp
from ._ops_math_extra import (
    deg2rad,
    float_power,
    fmax,
    fmin,
    frexp,
    gcd,
    heaviside,
    lcm,
    ldexp,
    logaddexp,
    logaddexp2,
    nextafter,
    rad2deg,
)
from ._ops_matrix import det, logdet
from ._ops_matrix import inv as inverse
from ._ops_matrix import torch_slogdet as slogdet
from ._ops_median import kthvalue, median, mode, msort, nanmedian
from ._ops_pointwise import (
    abs,
    add,
    cos,
    div,
    divide,
    eq,
    exp,
    expm1,
    ge,
    gt,
    le,
    log,
    log1p,
    lt,
    maximum,
    minimum,
    mul,
    multiply,
    ne,
    neg,
    negative,
    pow,
    reciprocal,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    subtract,
    tanh,
    true_divide,
)
from ._ops_reduce import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from ._ops_rounding import (
    ceil,
    copysign,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    nan_to_num,
    remainder,
    round,
    signbit,
    trunc,
)
from ._ops_runs import histogram, unique_consecutive
from ._ops_scatter import (  # selection (issue 16)
    gather,
    index_add,
    index_select,
    scatter,
    scatter_add,
    take_along_dim,
)
from ._ops_scatter_reduce import scatter_reduce
from ._ops_select import (
    masked_fill,
    masked_select,
    narrow,
    nonzero,
    tril,
    triu,
    where,
)
from ._ops_shape import (
    broadcast_to,
    cat,
    chunk,
    clone,
    concat,
    expand,
    flatten,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unsqueeze,
)
from ._ops_sort import argsort, bincount, searchsorted, sort, topk, unique
from ._ops_special import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    hypot,
    lgamma,
    log2,
    log10,
    logit,
    polygamma,
    sinc,
    sinh,
    tan,
    xlogy,
)
from ._ops_special_more import gammainc as igamma
from ._ops_special_more import gammaincc as igammac
from ._ops_stats import (
    aminmax,
    corrcoef,
    cov,
    histc,
    nanmean,
    nanquantile,
    nansum,
    quantile,
)
from ._plugins import get_backend, list_backends, set_backend, use_backend
from ._sampling import bernoulli, multinomial, normal, poisson, randperm
from ._serialization import load, save
from ._tensor import Tensor

half = float16
float = float32
double = float64
long = int64
int = int32

device = Device  # ``tensorplug.device("cuda:0")``, ``device("cuda", 0)``: as ``torch.device``

__version__ = "0.1.0"


def is_tensor(obj: object) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:
    return input.numel()


def _lazy(name: str) -> object:
    import importlib

    return importlib.import_module(f"tensorplug.{name}")


_RNN_CELLS = ("lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell")


def __getattr__(name: str) -> object:
    # Submodules that import more are loaded on first use.
    if name in (
        "nn",
        "testing",
        "cuda",
        "accelerator",
        "optim",
        "utils",
        "viz",
        "distributed",
        "special",
    ):
        return _lazy(name)
    if name in _RNN_CELLS:  # issue 17: the recurrent cell steps, loaded with nn
        return getattr(_lazy("nn.functional._rnn"), name)
    if name == "cdist":  # issue 16: with the distances of nn.functional
        return getattr(_lazy("nn.functional._cdist"), name)
    if name == "func":  # issue 17: torch.func's functional_call, loaded with nn
        return _lazy(name)
    raise AttributeError(f"module 'tensorplug' has no attribute {name!r}")


__all__ = [
    # tensors and dtypes
    "Tensor", "dtype", "bool", "int32", "int64", "float16", "float32", "float64", "half",
    "float", "double", "long", "int", "get_default_dtype", "set_default_dtype",
    "promote_types", "finfo", "iinfo", "device", "Device", "is_tensor", "numel",
    "memory_format", "contiguous_format", "preserve_format",
    # creation
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
    "linspace", "eye", "rand", "randn", "randint", "zeros_like", "ones_like", "full_like",
    "empty_like", "rand_like", "randn_like", "randint_like", "manual_seed",
    # pointwise
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg",
    "negative", "pow", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "abs", "sin", "cos",
    "tanh", "sigmoid", "relu", "clamp", "clip", "clamp_min", "clamp_max", "reciprocal",
    "square", "maximum", "minimum", "where", "sign", "eq", "ne", "lt", "le", "gt", "ge",
    # rounding, special functions, tests, logic and bits (issue 16)
    "floor", "ceil", "trunc", "fix", "round", "frac", "remainder", "fmod", "floor_divide",
    "copysign", "signbit", "nan_to_num", "erf", "erfc", "erfinv", "lgamma", "digamma",
    "polygamma",
    "exp2", "log2", "log10", "tan", "sinh", "cosh", "asin", "acos", "atan", "asinh",
    "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sinc",
    "logit", "xlogy", "atan2", "arctan2", "hypot", "isnan", "isinf", "isposinf", "isneginf",
    "isfinite", "isclose", "allclose", "equal", "logical_and", "logical_or", "logical_xor",
    "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift",
    # reductions
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "logsumexp", "norm",
    "argmax", "argmin", "all", "any",
    # linear algebra and shapes
    "mm", "addmm", "matmul", "bmm", "dot", "det", "slogdet", "logdet", "inverse",
    "t", "transpose", "reshape", "flatten", "squeeze",
    "unsqueeze", "permute", "expand", "broadcast_to", "cat", "concat", "stack", "split",
    "chunk", "clone",
    # cumulative, layout and contraction ops
    "cumsum", "cumprod", "cummax", "cummin", "tile", "flip", "fliplr", "flipud", "roll", "movedim",
    "moveaxis", "unbind", "diag", "diagonal", "diag_embed", "trace", "outer", "ger", "kron",
    "einsum", "meshgrid", "cartesian_prod", "tensordot", "baddbmm", "addmv", "addcmul",
    "addcdiv", "lerp", "repeat_interleave",
    # selection and masking
    "tril", "triu", "masked_fill", "masked_select", "nonzero", "narrow", "gather",
    "take_along_dim", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
    "sort", "argsort", "topk", "unique", "bincount", "searchsorted",
    # autograd and grad mode
    "autograd", "linalg", "return_types", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled",
    # backends
    "plugins", "get_backend", "set_backend", "use_backend", "list_backends",
    "UnsupportedOperation", "BackendUnavailableError",
    # random sampling and generators
    "Generator", "default_generator", "initial_seed", "seed", "get_rng_state",
    "set_rng_state", "multinomial", "bernoulli", "normal", "poisson", "randperm",
    # checkpoints (safetensors)
    "save", "load",
    # issue 17: the recurrent cell steps (tensorplug.nn.functional._rnn)
    "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell",
    # issue 16 (wt-i16ops): tensorplug.nn.functional._cdist
    "cdist",
    # issue 16 (wt-h16math): statistics, more math, Bessel I0, linear-algebra gaps
    "median", "nanmedian", "kthvalue", "msort", "quantile", "nanquantile", "nansum",
    "nanmean", "aminmax", "logcumsumexp", "cov", "corrcoef", "histc", "logaddexp",
    "logaddexp2", "float_power", "fmax", "fmin", "gcd", "lcm", "ldexp", "frexp", "heaviside",
    "deg2rad", "rad2deg", "i0", "mv", "inner", "vdot", "addr", "addbmm", "dist", "renorm",
    "cross", "cholesky_solve", "cholesky_inverse", "matrix_power", "matrix_exp", "mode",
    "unique_consecutive", "histogram", "igamma", "igammac", "nextafter",
]  # fmt: skip

# issue 16 (wt-h16tensor): the in-place functions (``tensorplug.relu_(x)``: Tensor's methods),
# PyTorch's second names and tensor queries, the splits and the indexed writes
from . import _inplace_variants as _inplace_variants  # noqa: E402
from ._ops_index_write import FUNCTIONS as _INDEX_WRITE  # noqa: E402
from ._ops_split import FUNCTIONS as _SPLIT  # noqa: E402
from ._tensor_protocol import FUNCTIONS as _PROTOCOL  # noqa: E402

globals().update({_n: getattr(Tensor, _n) for _n in _inplace_variants.FUNCTIONS})
globals().update({**_PROTOCOL, **_SPLIT, **_INDEX_WRITE})
softmax, log_softmax, detach = _methods._softmax, _methods._log_softmax, Tensor.detach
__all__ += (*_inplace_variants.FUNCTIONS, *_PROTOCOL, *_SPLIT, *_INDEX_WRITE)
__all__ += ("softmax", "log_softmax", "detach")
