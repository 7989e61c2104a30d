"""Learning-rate schedules with PyTorch's names, arguments, recurrences and state dicts.

Call ``scheduler.step()`` once per epoch (``OneCycleLR``, ``CyclicLR``,
``CosineAnnealingWarmRestarts``: per batch if you like), after ``optimizer.step()``;
``ReduceLROnPlateau.step(metric)`` takes the monitored value. ``get_last_lr()`` gives the
learning rates the last step set. A scheduler stepped before its optimizer warns, as
PyTorch's does.

Example:
    >>> import tensorplug as tp
    >>> opt = tp.optim.SGD([tp.nn.Parameter(tp.zeros(1))], lr=0.1)
    >>> sched = tp.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 3], gamma=0.5)
    >>> for _ in range(4):
    ...     opt.step()
    ...     sched.step()
    >>> sched.get_last_lr(), sched.last_epoch
    ([0.025], 4)
"""

from ._lr_base import EPOCH_DEPRECATION_WARNING as EPOCH_DEPRECATION_WARNING
from ._lr_base import LRScheduler
from ._lr_base import _LRScheduler as _LRScheduler
from ._lr_combined import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from ._lr_cycles import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ._lr_schedules import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "CyclicLR",
    "ReduceLROnPlateau",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
]

# Shown under this module's name (in reprs, docs and pickles), where PyTorch keeps them.
for _name in [*__all__, "_LRScheduler"]:
    globals()[_name].__module__ = __name__
del _name
