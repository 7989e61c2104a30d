"""``tensorplug.nn``: modules, parameters, initialisation and losses (PyTorch's names).

Example:
    >>> import tensorplug as tp
    >>> net = tp.nn.Sequential(tp.nn.Linear(4, 8), tp.nn.ReLU(), tp.nn.Linear(8, 2))
    >>> net(tp.randn(5, 4)).shape
    (5, 2)
"""

from . import functional, init, utils
from .modules import Module, ModuleDict, ModuleList, Sequential
from .modules_layers import (
    GELU,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .modules_loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .parameter import Parameter

__all__ = [
    "functional", "init", "utils", "Parameter",
    "Module", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "Linear", "ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "LeakyReLU", "Softplus",
    "Softmax", "LogSoftmax", "Dropout", "Embedding", "LayerNorm", "BatchNorm1d", "BatchNorm2d",
    "Flatten", "Conv2d", "MaxPool2d", "AvgPool2d",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
]  # fmt: skip
