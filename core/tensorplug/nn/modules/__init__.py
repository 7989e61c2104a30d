"""The layers of ``tensorplug.nn``, one module per concept in PyTorch's layout
(``torch.nn.modules.linear`` is ``tensorplug.nn.modules.linear``); ``tensorplug.nn`` re-exports
every public name, and its ``__all__`` is the API."""

from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh

# Issue 16's activations, distances and losses (one block, kept apart from the seed's).
from .activation_extra import (
    CELU,
    ELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    ReLU6,
    Softmin,
    Softsign,
    Tanhshrink,
)

# Issue 16/17 (wt-h16nn): the layers PyTorch models use that were missing.
from .activation_shrink import Hardshrink, PReLU, RReLU, Softmax2d, Softshrink, Threshold

# Issue 17's attention and transformers.
from .attention import MultiheadAttention, NonDynamicallyQuantizableLinear
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .container import ModuleDict, ModuleList, Sequential
from .conv import (  # issue 16 (wt-i16ops)
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout, Dropout1d, Dropout2d
from .dropout_alpha import AlphaDropout, Dropout3d, FeatureAlphaDropout
from .embedding_bag import EmbeddingBag

# Issue 17's small layers and containers (one block, kept apart from the others).
from .flatten import (
    Flatten,
    Unflatten,
)
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyLinear,
    LazyModuleMixin,
)
from .linear import (
    Bilinear,
    Identity,
    Linear,
)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .loss_extra import (
    CosineEmbeddingLoss,
    CTCLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    MarginRankingLoss,
    MultiLabelSoftMarginLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .loss_margin import (
    MultiLabelMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
    TripletMarginWithDistanceLoss,
)
from .module import Module
from .normalization import GroupNorm, LayerNorm, LocalResponseNorm
from .padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from .parameter_container import ParameterDict, ParameterList
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from .pooling_extra import (
    AdaptiveAvgPool3d,
    AdaptiveMaxPool3d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from .rearrange import ChannelShuffle, Fold, PixelShuffle, PixelUnshuffle, Unfold
from .rms_norm import RMSNorm
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # issue 17
from .sparse import Embedding
from .transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "Linear", "ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "LeakyReLU", "Softplus",
    "Softmax", "LogSoftmax", "Dropout", "Embedding", "LayerNorm", "BatchNorm1d", "BatchNorm2d",
    "Flatten", "Conv2d", "MaxPool2d", "AvgPool2d",
    "Conv1d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "AvgPool1d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "Dropout1d", "Dropout2d",
    "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LocalResponseNorm", "Upsample",
    "UpsamplingNearest2d", "UpsamplingBilinear2d", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d",
    "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d",
    "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    # issue 16's activations, distances and losses
    "ELU", "SELU", "CELU", "Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid", "Mish",
    "LogSigmoid", "Softsign", "Tanhshrink", "Softmin", "GLU",
    "CosineSimilarity", "PairwiseDistance",
    "SmoothL1Loss", "HuberLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "TripletMarginLoss", "CosineEmbeddingLoss",
    "MultiLabelSoftMarginLoss", "CTCLoss",
    # issue 17's attention and transformers
    "MultiheadAttention", "NonDynamicallyQuantizableLinear", "Transformer",
    "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    # issue 17's recurrent layers
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    # issue 17's small layers and containers
    "Bilinear", "Unflatten", "ParameterList", "ParameterDict",
    # issue 16 (wt-i16ops): three spatial dims
    "Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d",
    # issue 16/17 (wt-h16nn): layers PyTorch models use
    "Threshold", "Softshrink", "Hardshrink", "PReLU", "RReLU", "Softmax2d",
    "RMSNorm", "BatchNorm3d", "InstanceNorm3d",
    "PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "Fold", "Unfold",
    "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d",
    "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "EmbeddingBag",
    "SoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
    "TripletMarginWithDistanceLoss",
    "LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
]  # fmt: skip
