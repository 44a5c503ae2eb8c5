"""Features kept as the integers a file holds, scaled when they are read.

Image datasets store pixels as bytes; dividing them by 255 into float32 up
front quadruples the memory (Fashion-MNIST's 60,000 training images: 47 MB
as bytes, 188 MB as float32, 376 MB as float64). :class:`ScaledIntegerData`
keeps the bytes and says how to scale them. A network that implements
:class:`nn_core.contracts.TakesScaledIntegers` trains from the bytes and
scales each batch as it gathers it, with the same division, so training
gives the same bits as from the float array without ever holding it. Every
other reader of ``X`` gets the float array, made on first use and kept: a
dataset that returns this class is never wrong anywhere, only compact
where a backend can use it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.contracts import Data
from nn_core.errors import DataError

HASH_ROWS = 4096
"""Rows scaled at a time when hashing, so a hash never makes the whole float array."""


def scale_integers(raw: np.ndarray, divisor: float, dtype: Any, out: np.ndarray | None = None) -> np.ndarray:
    """``raw / divisor`` in ``dtype``, element by element: the one operation that turns compact
    features into X, wherever it happens (a dataset's float X, a backend's batch), so all agree
    bit for bit."""
    return np.divide(raw, divisor, out=out, dtype=dtype)


def hash_array(digest: Any, array: np.ndarray) -> None:
    """Feed ``digest`` an array's dtype, shape and bytes (no copy of a dataset-sized C-contiguous buffer)."""
    array = np.ascontiguousarray(array)
    _hash_header(digest, array.dtype, array.shape)
    digest.update(array.data.cast("B"))


def _hash_header(digest: Any, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    digest.update(f"{dtype.str}{shape}".encode())


class ScaledIntegerData(Data):
    """Data whose ``X`` is ``np.divide(raw, divisor, dtype=dtype)``, made only when asked for.

    ``raw`` is a 2-D integer array (uint8 pixels), ``divisor`` a positive
    number (255), ``dtype`` the float dtype of X (the spec's). Equal, hashed
    and split like the :class:`Data` of its X.
    """

    raw: np.ndarray
    divisor: float
    dtype: np.dtype
    _X: np.ndarray | None

    def __init__(
        self,
        raw: np.ndarray,
        divisor: float,
        dtype: Any,
        y: np.ndarray,
        classes: tuple[str, ...] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(raw, np.ndarray) or not np.issubdtype(raw.dtype, np.integer) or raw.ndim != 2:
            kind = f"{raw.dtype} of shape {raw.shape}" if isinstance(raw, np.ndarray) else type(raw).__name__
            raise DataError(f"ScaledIntegerData needs a 2-D integer array of features, got {kind}")
        if not isinstance(y, np.ndarray) or len(raw) != len(y):
            rows = len(y) if isinstance(y, np.ndarray) else type(y).__name__
            raise DataError(f"ScaledIntegerData: {len(raw)} feature rows but {rows} targets")
        if not (isinstance(divisor, (int, float)) and np.isfinite(divisor) and divisor > 0):
            raise DataError(f"ScaledIntegerData: the divisor must be a positive number, got {divisor!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise DataError(f"ScaledIntegerData: X must be floating point, got dtype {dtype}")
        # A frozen dataclass's fields are set through object.__setattr__, as its own __init__ does.
        for name, value in (
            ("raw", raw),
            ("divisor", float(divisor)),
            ("dtype", dtype),
            ("y", y),
            ("classes", classes),
            ("extra", {} if extra is None else extra),
            ("_X", None),
        ):
            object.__setattr__(self, name, value)

    def scale(self, raw_rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``raw_rows / divisor`` in X's dtype: the one operation every reader of these features uses."""
        return scale_integers(raw_rows, self.divisor, self.dtype, out)

    @property
    def X(self) -> np.ndarray:
        """The float features, made on first use and kept (a backend training from ``raw`` never asks)."""
        X = self._X
        if X is None:
            X = self.scale(self.raw)
            object.__setattr__(self, "_X", X)
        return X

    @property
    def n_features(self) -> int:
        return int(self.raw.shape[1])

    def head(self, n: int) -> np.ndarray:
        return self.scale(self.raw[:n])

    def subset(self, rows: np.ndarray) -> ScaledIntegerData:
        return ScaledIntegerData(self.raw[rows], self.divisor, self.dtype, self.y[rows], self.classes)


def hash_features(data: Data, digest: Any) -> None:
    """Feed ``digest`` the dtype, shape and bytes of ``data.X``; compact data is scaled a few thousand
    rows at a time, which feeds exactly the same bytes without making X."""
    if not isinstance(data, ScaledIntegerData):
        hash_array(digest, data.X)
        return
    _hash_header(digest, data.dtype, data.raw.shape)
    for start in range(0, len(data.raw), HASH_ROWS):
        digest.update(data.scale(data.raw[start : start + HASH_ROWS]).data.cast("B"))
