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
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)

# Issue 16's activations, distances and losses (one block, kept apart from the seed's).
from ._activation_extra import (
    celu,
    celu_,
    elu,
    elu_,
    glu,
    gumbel_softmax,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    logsigmoid,
    mish,
    relu6,
    selu,
    selu_,
    softmin,
    softsign,
    tanhshrink,
)

# Issue 16/17 (wt-h16nn): the functional forms PyTorch models use that were missing.
from ._activation_shrink import (
    hardshrink,
    leaky_relu_,
    prelu,
    relu,  # with PyTorch's ``inplace`` (tensorplug.relu has none, as torch.relu)
    relu_,
    rrelu,
    rrelu_,
    softshrink,
    threshold,
    threshold_,
)

# Issue 17's attention.
from ._attention import scaled_dot_product_attention
from ._conv import (  # issue 16 (wt-i16ops)
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from ._ctc import ctc_loss
from ._distance import cosine_similarity, normalize, pairwise_distance
from ._dropout import dropout, dropout1d, dropout2d
from ._dropout_alpha import alpha_dropout, dropout3d, feature_alpha_dropout
from ._embedding_bag import embedding_bag
from ._linear import bilinear, linear
from ._loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ._loss_extra import (
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    margin_ranking_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    triplet_margin_loss,
)
from ._loss_margin import (
    multi_margin_loss,
    multilabel_margin_loss,
    soft_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._multihead_attention import multi_head_attention_forward
from ._normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
)
from ._padding import pad
from ._pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ._pooling3d import avg_pool3d, max_pool3d  # issue 16 (wt-i16ops)
from ._pooling_extra import (
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from ._rearrange import channel_shuffle, fold, pixel_shuffle, pixel_unshuffle
from ._resample import interpolate
from ._rms_norm import rms_norm
from ._sparse import embedding, one_hot
from ._windows import unfold

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu", "softplus",
    "leaky_relu",
    "mse_loss", "l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "unfold", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "pad",
    "interpolate",
    "layer_norm", "batch_norm", "group_norm", "instance_norm", "local_response_norm",
    "dropout", "dropout1d", "dropout2d",
    "linear", "bilinear",
    "embedding", "one_hot",
    # issue 16's activations, distances and losses
    "elu", "selu", "celu", "hardtanh", "relu6", "hardswish", "hardsigmoid", "mish",
    "logsigmoid", "glu", "softsign", "tanhshrink", "softmin", "gumbel_softmax",
    "normalize", "cosine_similarity", "pairwise_distance",
    "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
    "cosine_embedding_loss", "multilabel_soft_margin_loss", "ctc_loss",
    "elu_", "selu_", "celu_", "hardtanh_",
    # issue 17's attention
    "scaled_dot_product_attention", "multi_head_attention_forward",
    # issue 16 (wt-i16ops): three spatial dims
    "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d",
    # issue 16/17 (wt-h16nn): functional forms PyTorch models use
    "threshold", "threshold_", "softshrink", "hardshrink", "prelu", "rrelu", "rrelu_",
    "relu_", "leaky_relu_",
    "rms_norm", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "fold",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "dropout3d", "alpha_dropout", "feature_alpha_dropout", "embedding_bag",
    "soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
    "triplet_margin_with_distance_loss",
]  # fmt: skip
