"""``tensorplug.optim``: optimizers and learning-rate schedules with PyTorch's formulas,
signatures, checks and state dicts.

Each update follows PyTorch's for-loop implementation operation by operation, in place on
the parameters outside the autograd graph. ``foreach``/``fused`` on SGD, Adam and AdamW take
the multi-tensor step (``_foreach``: a group in a constant number of launches, the same
results), by default on GPU backends; on the other optimizers they, and ``capturable``,
change nothing; ``differentiable=True`` is refused.

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
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import (
    Optimizer,
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adadelta",
    "Adagrad",
    "Adamax",
    "NAdam",
    "RAdam",
    "LBFGS",
    "Rprop",
    "ASGD",
    "lr_scheduler",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
]
