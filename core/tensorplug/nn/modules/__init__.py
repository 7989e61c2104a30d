"""The layers of ``tensorplug.nn``, one module per concept in PyTorch's layout
(``torch.nn.modules.linear`` is ``tensorplug.nn.modules.linear``); ``tensorplug.nn`` re-exports
every public name, and its ``__all__`` is the API."""

from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .normalization import LayerNorm
from .pooling import AvgPool2d, MaxPool2d
from .sparse import Embedding

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "Linear", "ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "LeakyReLU", "Softplus",
    "Softmax", "LogSoftmax", "Dropout", "Embedding", "LayerNorm", "BatchNorm1d", "BatchNorm2d",
    "Flatten", "Conv2d", "MaxPool2d", "AvgPool2d",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
]  # fmt: skip
