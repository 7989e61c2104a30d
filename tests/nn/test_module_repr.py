"""``repr(module)`` of every module class tensorplug has, with default and non-default
constructor arguments, equal to PyTorch's (``extra_repr`` and the nesting of children)."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

# Constructor calls per class: ``(args, kwargs)``, each written once for both libraries;
# a callable argument receives the library (a child module, a tensor).
CALLS: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {
    "Module": [((), {})],
    "Sequential": [((lambda lib: lib.nn.Linear(2, 3), lambda lib: lib.nn.ReLU()), {})],
    "ModuleList": [
        ((), {}),
        ((lambda lib: [lib.nn.Tanh(), lib.nn.Linear(1, 1)],), {}),
        ((lambda lib: [lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.ReLU()],), {}),
    ],
    "ModuleDict": [((lambda lib: {"a": lib.nn.ReLU()},), {})],
    "Identity": [((), {}), ((3,), {"x": 1})],
    "Linear": [((2, 3), {}), ((2, 3), {"bias": False})],
    "NonDynamicallyQuantizableLinear": [((2, 3), {})],
    "Bilinear": [((2, 3, 4), {}), ((2, 3, 4), {"bias": False})],
    "ReLU": [((), {}), ((), {"inplace": True})],
    "Sigmoid": [((), {})],
    "Tanh": [((), {})],
    "GELU": [((), {}), ((), {"approximate": "tanh"})],
    "SiLU": [((), {}), ((), {"inplace": True})],
    "LeakyReLU": [((), {}), ((0.2,), {"inplace": True})],
    "Softplus": [((), {}), ((2.0, 10.0), {})],
    "Softmax": [((), {}), ((1,), {})],
    "LogSoftmax": [((), {}), ((1,), {})],
    "Softmin": [((), {}), ((0,), {})],
    "ELU": [((), {}), ((0.5,), {"inplace": True})],
    "SELU": [((), {}), ((), {"inplace": True})],
    "CELU": [((), {}), ((0.5,), {})],
    "Hardtanh": [((), {}), ((-2.0, 2.0), {})],
    "ReLU6": [((), {}), ((), {"inplace": True})],
    "Hardswish": [((), {})],
    "Hardsigmoid": [((), {})],
    "Mish": [((), {})],
    "LogSigmoid": [((), {})],
    "Softsign": [((), {})],
    "Tanhshrink": [((), {})],
    "GLU": [((), {}), ((0,), {})],
    "Dropout": [((), {}), ((0.25,), {"inplace": True})],
    "Dropout1d": [((), {}), ((0.1,), {})],
    "Dropout2d": [((), {}), ((0.1,), {})],
    "Embedding": [((5, 3), {}), ((5, 3), {"padding_idx": 0, "max_norm": 1.0, "sparse": False})],
    "LayerNorm": [
        ((4,), {}),
        (((2, 3),), {"eps": 1e-3, "elementwise_affine": False}),
        ((4,), {"bias": False}),
    ],
    "GroupNorm": [
        ((2, 4), {}),
        ((2, 4), {"eps": 1e-3, "affine": False}),
        ((2, 4), {"bias": False}),
    ],
    "BatchNorm1d": [
        ((3,), {}),
        ((3,), {"momentum": None, "affine": False}),
        ((3,), {"bias": False}),
    ],
    "BatchNorm2d": [((3,), {}), ((3,), {"eps": 1e-3, "track_running_stats": False})],
    "InstanceNorm1d": [((3,), {}), ((3,), {"affine": True, "track_running_stats": True})],
    "InstanceNorm2d": [((3,), {}), ((3,), {"affine": True})],
    "LocalResponseNorm": [((2,), {}), ((3, 1e-3, 0.5, 2.0), {})],
    "Flatten": [((), {}), ((0, 2), {})],
    "Unflatten": [((1, (2, 3)), {})],
    "Conv1d": [
        ((2, 4, 3), {}),
        (
            (2, 4, 3),
            {
                "stride": 2,
                "padding": 1,
                "dilation": 2,
                "groups": 2,
                "bias": False,
                "padding_mode": "reflect",
            },
        ),
    ],
    "Conv2d": [
        ((2, 4, 3), {}),
        ((2, 4, (3, 1)), {"stride": (2, 1), "padding": (1, 0)}),
        ((2, 4, 3), {"padding": "same", "padding_mode": "circular"}),
    ],
    "ConvTranspose1d": [((2, 4, 3), {}), ((2, 4, 3), {"stride": 2, "output_padding": 1})],
    "ConvTranspose2d": [((2, 4, 3), {}), ((2, 4, 3), {"padding": 1, "bias": False})],
    "MaxPool1d": [((2,), {}), ((3, 1, 1), {"ceil_mode": True})],
    "MaxPool2d": [((2,), {}), ((3, 1, 1), {"dilation": 2})],
    "AvgPool1d": [((2,), {}), ((3, 1, 1), {"ceil_mode": True, "count_include_pad": False})],
    "AvgPool2d": [((2,), {}), ((3, 1, 1), {"divisor_override": 2})],
    "AdaptiveAvgPool1d": [((2,), {})],
    "AdaptiveAvgPool2d": [((2,), {}), (((2, 3),), {})],
    "AdaptiveMaxPool1d": [((2,), {}), ((2,), {"return_indices": True})],
    "AdaptiveMaxPool2d": [((2,), {})],
    "Upsample": [
        ((), {"scale_factor": 2.0}),
        ((), {"size": 4, "mode": "bilinear", "align_corners": True}),
    ],
    "UpsamplingNearest2d": [((), {"scale_factor": 2})],
    "UpsamplingBilinear2d": [((), {"size": 3})],
    "ZeroPad1d": [((1,), {})],
    "ZeroPad2d": [(((1, 2, 0, 1),), {})],
    "ConstantPad1d": [((1, 2.5), {})],
    "ConstantPad2d": [((1, 0.0), {})],
    "ReflectionPad1d": [((1,), {})],
    "ReflectionPad2d": [((1,), {})],
    "ReplicationPad1d": [((1,), {})],
    "ReplicationPad2d": [((1,), {})],
    "CircularPad1d": [((1,), {})],
    "CircularPad2d": [((1,), {})],
    "MSELoss": [((), {}), ((), {"reduction": "sum"})],
    "L1Loss": [((), {})],
    "CrossEntropyLoss": [((), {}), ((), {"ignore_index": 1, "label_smoothing": 0.1})],
    "NLLLoss": [((), {})],
    "BCELoss": [((), {})],
    "BCEWithLogitsLoss": [((), {})],
    "SmoothL1Loss": [((), {}), ((), {"beta": 0.5})],
    "HuberLoss": [((), {})],
    "KLDivLoss": [((), {})],
    "PoissonNLLLoss": [((), {})],
    "GaussianNLLLoss": [((), {})],
    "MarginRankingLoss": [((), {})],
    "HingeEmbeddingLoss": [((), {})],
    "TripletMarginLoss": [((), {})],
    "CosineEmbeddingLoss": [((), {})],
    "MultiLabelSoftMarginLoss": [((), {})],
    "CTCLoss": [((), {})],
    "CosineSimilarity": [((), {}), ((0, 1e-6), {})],
    "PairwiseDistance": [((), {}), ((1.0,), {"keepdim": True})],
    "MultiheadAttention": [((4, 2), {}), ((4, 2), {"kdim": 3, "vdim": 5, "batch_first": True})],
    "TransformerEncoderLayer": [((4, 2, 8), {}), ((4, 2, 8), {"norm_first": True})],
    "TransformerDecoderLayer": [((4, 2, 8), {})],
    "TransformerEncoder": [
        ((lambda lib: lib.nn.TransformerEncoderLayer(4, 2, 8), 2), {"enable_nested_tensor": False})
    ],
    "TransformerDecoder": [((lambda lib: lib.nn.TransformerDecoderLayer(4, 2, 8), 1), {})],
    "Transformer": [((4, 2, 1, 1, 8), {})],
    "RNN": [
        ((3, 4), {}),
        (
            (3, 4, 2),
            {
                "nonlinearity": "relu",
                "bias": False,
                "batch_first": True,
                "dropout": 0.5,
                "bidirectional": True,
            },
        ),
    ],
    "LSTM": [((3, 4), {}), ((3, 4), {"proj_size": 2, "num_layers": 2})],
    "GRU": [((3, 4), {}), ((3, 4), {"bidirectional": True})],
    "RNNCell": [((3, 4), {}), ((3, 4), {"bias": False, "nonlinearity": "relu"})],
    "LSTMCell": [((3, 4), {})],
    "GRUCell": [((3, 4), {})],
    "ParameterList": [((), {}), ((lambda lib: [lib.nn.Parameter(lib.ones(2))],), {})],
    "ParameterDict": [((lambda lib: {"w": lib.nn.Parameter(lib.ones(2, 3))},), {})],
    # issue 16 (wt-i16ops): three spatial dims
    "Conv3d": [((2, 4, 3), {}), ((2, 4, (1, 2, 3)), {"stride": 2, "padding": 1, "bias": False})],
    "ConvTranspose3d": [((2, 4, 3), {}), ((2, 4, 2), {"stride": 2, "output_padding": 1})],
    "MaxPool3d": [((2,), {}), ((3, 1, 1), {"dilation": 2})],
    "AvgPool3d": [((2,), {}), ((3, 1, 1), {"count_include_pad": False})],
    # issue 16/17 (wt-h16nn): layers PyTorch models use
    "Threshold": [((0.1, 2.0), {}), ((0.1, 2.0, True), {})],
    "Softshrink": [((), {}), ((0.3,), {})],
    "Hardshrink": [((), {}), ((0.3,), {})],
    "PReLU": [((), {}), ((3, 0.1), {})],
    "RReLU": [((), {}), ((0.1, 0.2, True), {})],
    "Softmax2d": [((), {})],
    "RMSNorm": [((4,), {}), (([2, 3],), {"eps": 1e-3, "elementwise_affine": False})],
    "BatchNorm3d": [((3,), {}), ((3,), {"momentum": None, "affine": False})],
    "InstanceNorm3d": [((3,), {}), ((3,), {"affine": True, "track_running_stats": True})],
    "PixelShuffle": [((2,), {})],
    "PixelUnshuffle": [((2,), {})],
    "ChannelShuffle": [((2,), {})],
    "Fold": [(((4, 5), 2), {}), (((4, 5), (2, 3)), {"padding": 1, "stride": 2})],
    "Unfold": [((2,), {}), ((2,), {"dilation": 2, "padding": 1})],
    "ZeroPad3d": [((1,), {}), (((1, 2, 0, 1, 2, 0),), {})],
    "ConstantPad3d": [((1, 2.0), {})],
    "ReflectionPad3d": [((1,), {})],
    "ReplicationPad3d": [(((1, 2, 1, 2, 1, 2),), {})],
    "CircularPad3d": [((1,), {})],
    "AdaptiveAvgPool3d": [((2,), {}), (((2, None, 3),), {})],
    "AdaptiveMaxPool3d": [((2,), {}), (((2, 3, 4),), {"return_indices": True})],
    "LPPool1d": [((2, 3), {}), ((1.5, 3, 2), {"ceil_mode": True})],
    "LPPool2d": [((2, 3), {}), ((2, (2, 3), 1), {})],
    "LPPool3d": [((2, 2), {})],
    "MaxUnpool1d": [((2,), {}), ((3, 2, 1), {})],
    "MaxUnpool2d": [((2,), {}), (((2, 3), 1), {})],
    "MaxUnpool3d": [((2,), {})],
    "Dropout3d": [((), {}), ((0.2, True), {})],
    "AlphaDropout": [((), {}), ((0.2,), {})],
    "FeatureAlphaDropout": [((0.3,), {})],
    "EmbeddingBag": [
        ((5, 3), {}),
        ((5, 3), {"mode": "max", "padding_idx": 0, "max_norm": 1.0, "norm_type": 1.0}),
        ((5, 3), {"mode": "sum", "scale_grad_by_freq": True}),
    ],
    "SoftMarginLoss": [((), {}), ((), {"reduction": "sum"})],
    "MultiMarginLoss": [((), {}), ((2, 0.5, lambda lib: lib.ones(3)), {})],
    "MultiLabelMarginLoss": [((), {})],
    "TripletMarginWithDistanceLoss": [((), {}), ((), {"margin": 2.0, "swap": True})],
    "LazyLinear": [((3,), {}), ((3,), {"bias": False})],
    "LazyConv1d": [((4, 3), {})],
    "LazyConv2d": [((4, 3), {"stride": 2, "padding": 1, "bias": False})],
    "LazyConv3d": [((4, 2), {})],
    "LazyBatchNorm1d": [((), {})],
    "LazyBatchNorm2d": [((), {"affine": False})],
    "LazyBatchNorm3d": [((), {"momentum": None})],
}
# Bases PyTorch does not construct directly: nothing of theirs to compare.
ABSTRACT = {"RNNBase", "RNNCellBase"}


def _classes() -> list[str]:
    return [
        n
        for n in tp.nn.modules.__all__
        if inspect.isclass(getattr(tp.nn, n)) and issubclass(getattr(tp.nn, n), tp.nn.Module)
    ]


def test_every_module_class_has_a_call() -> None:
    missing = [n for n in _classes() if n not in CALLS and n not in ABSTRACT]
    assert not missing, f"add constructor calls for {missing} to CALLS"


def _make(lib: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    args = tuple(a(lib) if callable(a) else a for a in args)
    cls = getattr(lib.nn, name, None) or getattr(lib.nn.modules.linear, name)
    return cls(*args, **kwargs)


@pytest.mark.parametrize(
    ("name", "i"), [(n, i) for n, calls in CALLS.items() for i in range(len(calls))]
)
def test_repr_matches_pytorch(name: str, i: int) -> None:
    args, kwargs = CALLS[name][i]
    ours = repr(_make(tp, name, args, kwargs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's Transformer: the nested-tensor fast path
        theirs = repr(_make(torch, name, args, kwargs))
    # A parameter container names the dtype as each library spells it.
    assert ours.replace("tensorplug.", "torch.") == theirs


def test_relu_inplace_writes_its_input_as_pytorch() -> None:
    """``ReLU(inplace=True)``, printed as such, also behaves so: the input is overwritten and
    the gradient flows through the in-place node."""
    results = []
    for lib in (torch, tp):
        x = lib.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
        y = x * 2
        out = lib.nn.ReLU(inplace=True)(y)
        (out * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        results.append((out is y, y.tolist(), x.grad.tolist()))
    assert results[0] == results[1]
