"""Sphinx configuration: Markdown pages (MyST) plus an API reference from the docstrings.

Build with ``nox -s docs`` (warnings are errors, and every example is run as a doctest), or by
hand: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A source checkout builds without `pip install` too; an installed tensorplug is the same code.
sys.path[:0] = [str(ROOT / "core"), str(ROOT / "backends")]

import tensorplug  # noqa: E402 - needs the path above

project = "tensorplug"
author = "the tensorplug authors"
copyright = "the tensorplug authors"
release = version = tensorplug.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "conftest.py"]

# MyST: ```python fences stay plain code blocks (their >>> lines are doctests, run by pytest);
# heading anchors let pages link to each other's sections (`gpu.md#install`).
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Google-style docstrings, as the code is written.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": False}

html_theme = "pydata_sphinx_theme"
html_title = f"tensorplug {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
