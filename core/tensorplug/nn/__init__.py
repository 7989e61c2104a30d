"""``tensorplug.nn``: modules, parameters, initialisation and losses (PyTorch's names).

Example:
    >>> import tensorplug as tp
    >>> net = tp.nn.Sequential(tp.nn.Linear(4, 8), tp.nn.ReLU(), tp.nn.Linear(8, 2))
    >>> net(tp.randn(5, 4)).shape
    (5, 2)
"""

from . import functional, init, modules, parallel, utils
from .modules import *  # noqa: F403 - the layers, listed once: in nn.modules.__all__
from .parameter import Parameter

__all__ = ["functional", "init", "parallel", "utils", "Parameter", *modules.__all__]
