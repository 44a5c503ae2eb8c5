"""Scratch arrays reused across training steps, one per (role, shape).

Keyed by shape as well as role, so a last minibatch smaller than the others
keeps buffers of its own instead of reallocating the full-size ones every
epoch (the training loop does the same for its gathered batches).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Buffers:
    """``get(role, shape)`` returns the same uninitialized array each time."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self._arrays: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}

    def get(self, role: str, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        key = (role, shape)
        buf = self._arrays.get(key)
        if buf is None:
            buf = self._arrays[key] = np.empty(shape, dtype=self.dtype if dtype is None else dtype)
        return buf
