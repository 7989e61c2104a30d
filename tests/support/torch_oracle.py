"""The comparison the small against-PyTorch tests share: what a call or a program gave in
PyTorch (``want``) and in tensorplug (``got``), each either the class of the exception it
raised or a sequence (or mapping) of results compared exactly, NaNs in the same places."""

from __future__ import annotations

from typing import Any

import numpy as np


def assert_like_torch(want: Any, got: Any) -> None:
    """PyTorch's exception class (or a subclass) raised, or the same results."""
    if isinstance(want, type):
        assert isinstance(got, type) and issubclass(got, want), f"PyTorch raises {want}"
        return
    assert not isinstance(got, type), f"tensorplug raises {got}, PyTorch gives {want}"
    assert len(got) == len(want)
    if isinstance(want, dict):
        assert got.keys() == want.keys()
        got, want = [got[k] for k in want], list(want.values())
    for g, w in zip(got, want):
        np.testing.assert_equal(g, w)
