"""``tensorplug.optim``: optimizers and learning-rate schedules with PyTorch's formulas.

Example:
    >>> import tensorplug as tp
    >>> net = tp.nn.Linear(2, 1)
    >>> opt = tp.optim.Adam(net.parameters(), lr=1e-2)
    >>> loss = net(tp.ones(4, 2)).pow(2).mean()
    >>> loss.backward()
    >>> opt.step()
    >>> opt.zero_grad()
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
