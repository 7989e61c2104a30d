"""``tensorplug.nn.functional``: the layers' operations as functions, with PyTorch's signatures.

Grouped as PyTorch's documentation groups them: activations, losses, convolution and
pooling, normalisation, dropout, linear and sparse functions (``embedding``, ``one_hot``).

Example:
    >>> import tensorplug as tp
    >>> import tensorplug.nn.functional as F
    >>> F.softmax(tp.zeros(2, 4), 1)
    tensor([[0.2500, 0.2500, 0.2500, 0.2500],
            [0.2500, 0.2500, 0.2500, 0.2500]])
"""

# One private module per group; this package's __all__ is the API, in the groups' order.
from ._activation import (
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from ._conv import avg_pool2d, conv2d, max_pool2d, unfold
from ._dropout import dropout
from ._linear import linear
from ._loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ._normalization import batch_norm, layer_norm
from ._sparse import embedding, one_hot

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu", "softplus",
    "leaky_relu",
    "mse_loss", "l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "unfold", "conv2d", "max_pool2d", "avg_pool2d",
    "layer_norm", "batch_norm",
    "dropout",
    "linear",
    "embedding", "one_hot",
]  # fmt: skip
