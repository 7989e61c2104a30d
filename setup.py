"""The one build step pyproject.toml cannot state: the optional compiled hot path.

``core/tensorplug/_speedups.c`` compiles to ``tensorplug._speedups`` (docs/performance.md,
"The compiled hot path"). It is optional: where no C compiler is found the install goes on
without it, and tensorplug runs the same ops in pure Python (``tensorplug info`` says which).
``TENSORPLUG_PURE_PYTHON=1`` at install time skips building it.
"""

import os

from setuptools import Extension, setup

ext_modules = []
if not os.environ.get("TENSORPLUG_PURE_PYTHON"):
    ext_modules.append(
        Extension("tensorplug._speedups", ["core/tensorplug/_speedups.c"], optional=True)
    )

setup(ext_modules=ext_modules)
