"""nn-numpy's array for compact features (nn_core.compact): integers, scaled as rows are read.

The network trains from it as from X: ``batch`` gathers a batch's integer
rows and scales them into the float batch buffer, and slices (evaluation's
chunks) come back as float rows. The scaling is one ``np.divide(raw,
divisor, dtype=dtype)`` element by element, the operation that makes X, so
every row has the bits it has in X.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.compact import scale_integers


class ScaledRows:
    """``raw / divisor`` in ``dtype``, row by row on demand; ``raw`` is (samples, features) integers."""

    def __init__(self, raw: np.ndarray, divisor: float, dtype: Any) -> None:
        self.raw = raw
        self.divisor = float(divisor)
        self.dtype = np.dtype(dtype)
        self._gathered: dict[int, np.ndarray] = {}  # integer rows of a batch, by batch size

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.raw.shape)

    def __len__(self) -> int:
        return len(self.raw)

    def scale(self, raw_rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return scale_integers(raw_rows, self.divisor, self.dtype, out)

    def __getitem__(self, rows: Any) -> np.ndarray:
        """Float rows (a slice or an index array): what ``X[rows]`` would give."""
        return self.scale(self.raw[rows])

    def dense(self) -> np.ndarray:
        """All of X as floats (a full batch, or a small evaluation)."""
        return self.scale(self.raw)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(rows)``: X as floats, so numpy code handed this array (a plugin's callback) is right."""
        X = self.dense()
        return X if dtype is None else X.astype(dtype, copy=False)

    def take(self, index: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Rows ``index`` scaled into ``out``, through a reused integer buffer (no temporary of either size)."""
        gathered = self._gathered.get(len(index))
        if gathered is None:
            gathered = self._gathered[len(index)] = np.empty((len(index), self.raw.shape[1]), self.raw.dtype)
        np.take(self.raw, index, axis=0, out=gathered, mode="clip")
        return self.scale(gathered, out)
