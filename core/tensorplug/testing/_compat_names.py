"""The public names of PyTorch and of tensorplug, namespace by namespace, with the argument
names of each callable: what ``tensorplug.testing.compat`` compares.

PyTorch's side is recorded once, with PyTorch installed, in ``_torch_names.json`` beside this
module (``python -m tensorplug.testing.compat --write`` refreshes it), so that the page can be
rebuilt, and its staleness tested, without PyTorch.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from typing import Any

# (PyTorch's namespace, tensorplug's): the namespaces model code reaches into.
NAMESPACES: tuple[tuple[str, str], ...] = (
    ("torch", "tensorplug"),
    ("torch.Tensor", "tensorplug.Tensor"),
    ("torch.nn", "tensorplug.nn"),
    ("torch.nn.functional", "tensorplug.nn.functional"),
    ("torch.optim", "tensorplug.optim"),
    ("torch.optim.lr_scheduler", "tensorplug.optim.lr_scheduler"),
    ("torch.linalg", "tensorplug.linalg"),
    ("torch.utils.data", "tensorplug.utils.data"),
    ("torch.accelerator", "tensorplug.accelerator"),
    ("torch.cuda", "tensorplug.cuda"),
)

# A name's arguments: their names in order (``*`` stripped), or None where not introspectable.
Arguments = list[str] | None


def resolve(dotted: str) -> Any:
    """The module or class ``dotted`` names; None when it does not exist."""
    module, _, attr = dotted.rpartition(".")
    try:
        return importlib.import_module(dotted)
    except ImportError:
        pass
    try:
        return getattr(importlib.import_module(module), attr, None)
    except ImportError:
        return None


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _from_doc(name: str, doc: str) -> Arguments:
    """The arguments of a built-in from its docstring's signature lines
    (``add(input, other, *, alpha=1, out=None) -> Tensor``), every overload's together."""
    line = rf"^\s*(?:\.\. function:: )?{re.escape(name)}\((.*?)\)\s*->"
    found = re.findall(line, doc, re.MULTILINE)
    if not found:
        return None
    names: list[str] = []
    for signature in found:
        for part in _split_top(signature):
            arg = part.split("=")[0].split(":")[0].replace("\\", "").strip().lstrip("*")
            if arg.isidentifier() and arg != "self" and arg not in names:
                names.append(arg)
    return names


def arguments(obj: Any, name: str, drop_first: bool) -> Arguments:
    """The argument names of ``obj`` (a class: its constructor's); ``drop_first``: a method
    written as a function, whose first argument is the tensor itself."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        doc = getattr(obj, "__doc__", None)
        return _from_doc(name, doc) if isinstance(doc, str) else None
    names = [p.name for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    return [n for n in (names[1:] if drop_first else names) if n != "self"]


def _own(namespace: Any, name: str, value: Any) -> bool:
    """Whether ``name`` is part of the namespace's API: not a module, not a helper imported
    from elsewhere (``typing.Optional`` in ``torch.nn.functional``)."""
    if name.startswith("_") or isinstance(value, types.ModuleType):
        return False
    module = getattr(value, "__module__", None) or ""
    return module.split(".")[0] in ("torch", "tensorplug", "builtins", "") or not callable(value)


def public_names(dotted: str) -> dict[str, Arguments]:
    """Every public name of a namespace (``__all__`` where it has one) with its arguments."""
    namespace = resolve(dotted)
    if namespace is None:
        return {}
    is_class = isinstance(namespace, type)
    listed = None if is_class else getattr(namespace, "__all__", None)
    names = listed if listed is not None else [n for n in dir(namespace) if not n.startswith("_")]
    out: dict[str, Arguments] = {}
    for name in sorted(n for n in set(names) if not n.startswith("_")):
        value = getattr(namespace, name, None)
        if value is None or (listed is None and not _own(namespace, name, value)):
            continue
        if isinstance(value, types.ModuleType):
            continue
        static = inspect.getattr_static(namespace, name, None) if is_class else None
        method = isinstance(static, types.FunctionType)  # not static, class or built-in
        out[name] = arguments(value, name, method) if callable(value) else None
    return out


def torch_snapshot() -> dict[str, Any]:
    """PyTorch's names now (PyTorch must be installed): what ``_torch_names.json`` holds."""
    torch = importlib.import_module("torch")  # by name: the type checker runs without PyTorch

    return {
        "torch_version": torch.__version__.split("+")[0],
        "namespaces": {torch_ns: public_names(torch_ns) for torch_ns, _ in NAMESPACES},
    }


# What model code reaches for most (the seed's programs and issue 16's lists): a missing one
# of these is listed first, in bold, in its namespace's section.
_COMMON_NAMES: dict[str, str] = {
    "torch": (
        "tril triu masked_fill masked_select where topk sort argsort gather scatter scatter_add "
        "index_select index_add narrow take_along_dim nonzero unique bincount searchsorted cumsum "
        "cumprod cummax repeat_interleave tile flip roll movedim unbind diag diagonal diag_embed "
        "trace outer kron einsum meshgrid cartesian_prod tensordot baddbmm addmv addcmul addcdiv "
        "lerp floor ceil round trunc frac remainder fmod floor_divide erf erfc erfinv atan2 hypot "
        "exp2 log2 log10 sinh cosh asin acos atan asinh acosh atanh tan sinc logit xlogy lgamma "
        "digamma nan_to_num isnan isinf isfinite isclose allclose equal logical_and logical_or "
        "logical_not logical_xor bitwise_and bitwise_or bitwise_xor bitwise_not copysign signbit "
        "multinomial bernoulli normal randperm Generator no_grad enable_grad inference_mode save "
        "load cat stack matmul bmm mm softmax zeros ones full arange linspace manual_seed "
        "from_numpy tensor clamp max min argmax mean sum std var norm cdist chunk split squeeze "
        "unsqueeze transpose permute flatten reshape sigmoid tanh relu exp log sqrt abs finfo "
        "iinfo "
        "set_grad_enabled is_grad_enabled autocast compile"
    ),
    "torch.Tensor": (
        "tril triu masked_fill masked_fill_ masked_select topk sort argsort gather scatter "
        "scatter_ scatter_add index_select index_add_ narrow nonzero unique cumsum cumprod repeat "
        "repeat_interleave flip roll unbind diag diagonal trace floor ceil round remainder fmod "
        "isnan isinf logical_not bernoulli_ normal_ uniform_ random_ fill_ zero_ copy_ clone "
        "detach item tolist numpy to cpu cuda float double long int bool half view reshape "
        "expand expand_as permute transpose contiguous is_contiguous size dim ndim shape numel "
        "backward grad requires_grad_ register_hook retain_grad type_as new_zeros new_ones "
        "new_full new_empty new_tensor data_ptr element_size unfold split chunk masked_scatter_"
    ),
    "torch.nn": (
        "Conv1d ConvTranspose2d ConvTranspose1d Upsample Dropout2d GroupNorm InstanceNorm2d "
        "LocalResponseNorm Embedding LSTM GRU RNN MultiheadAttention TransformerEncoder "
        "TransformerEncoderLayer TransformerDecoderLayer Transformer LayerNorm BatchNorm1d "
        "BatchNorm2d MaxPool1d AvgPool1d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool2d "
        "Flatten Unflatten Identity ModuleList ModuleDict ParameterList ParameterDict Sequential "
        "GELU SiLU Mish Hardtanh Hardswish Hardsigmoid ELU SELU CELU ReLU6 Softsign Tanhshrink "
        "LogSigmoid Softmin Softmax LogSoftmax GLU SmoothL1Loss HuberLoss KLDivLoss PoissonNLLLoss "
        "GaussianNLLLoss MarginRankingLoss HingeEmbeddingLoss TripletMarginLoss "
        "CosineEmbeddingLoss MultiLabelSoftMarginLoss CTCLoss BCELoss BCEWithLogitsLoss "
        "CrossEntropyLoss NLLLoss MSELoss L1Loss PixelShuffle ZeroPad2d ReflectionPad2d "
        "ReplicationPad2d ConstantPad2d CosineSimilarity PairwiseDistance"
    ),
    "torch.nn.functional": (
        "pad interpolate conv1d conv_transpose1d conv_transpose2d adaptive_avg_pool1d "
        "adaptive_avg_pool2d adaptive_max_pool2d avg_pool1d max_pool1d dropout1d dropout2d "
        "group_norm instance_norm local_response_norm normalize cosine_similarity "
        "pairwise_distance one_hot glu mish hardtanh hardswish hardsigmoid elu selu celu relu6 "
        "softsign tanhshrink logsigmoid softmin gumbel_softmax smooth_l1_loss huber_loss kl_div "
        "poisson_nll_loss gaussian_nll_loss margin_ranking_loss hinge_embedding_loss "
        "triplet_margin_loss cosine_embedding_loss multilabel_soft_margin_loss ctc_loss "
        "scaled_dot_product_attention embedding layer_norm batch_norm gelu silu leaky_relu "
        "binary_cross_entropy binary_cross_entropy_with_logits unfold fold grid_sample "
        "pixel_shuffle"
    ),
    "torch.optim": "Adadelta Adagrad Adamax NAdam RAdam LBFGS SGD Adam AdamW RMSprop",
    "torch.optim.lr_scheduler": (
        "LambdaLR MultiplicativeLR StepLR MultiStepLR ExponentialLR LinearLR ConstantLR "
        "OneCycleLR CosineAnnealingLR CosineAnnealingWarmRestarts ReduceLROnPlateau SequentialLR "
        "ChainedScheduler"
    ),
    "torch.linalg": (
        "solve inv cholesky qr eigh svd svdvals det slogdet norm vector_norm matrix_norm pinv "
        "lstsq cross"
    ),
    "torch.utils.data": (
        "Dataset IterableDataset TensorDataset Subset ConcatDataset DataLoader random_split "
        "default_collate get_worker_info Sampler RandomSampler SequentialSampler BatchSampler "
        "WeightedRandomSampler DistributedSampler"
    ),
    "torch.accelerator": "is_available current_accelerator device_count synchronize",
    "torch.cuda": "is_available device_count manual_seed synchronize get_device_name",
}
COMMON: dict[str, tuple[str, ...]] = {ns: tuple(t.split()) for ns, t in _COMMON_NAMES.items()}
