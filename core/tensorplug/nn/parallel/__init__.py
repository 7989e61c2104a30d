"""``tensorplug.nn.parallel``: data-parallel training (``DataParallel``,
``DistributedDataParallel``), PyTorch's ``torch.nn.parallel``.

Empty for now: the data-parallel issue fills it. The package exists so that programs importing
``tensorplug.nn.parallel`` (or checking for it) find it.
"""

__all__: list[str] = []
