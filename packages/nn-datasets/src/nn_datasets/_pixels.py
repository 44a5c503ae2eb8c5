"""Byte images (``idx`` files, Kaggle's digit CSVs): their features, divided by 255 or not.

One place for both datasets, so the float X a model trains on, the compact
bytes nn-numpy scales batch by batch (nn_core.compact) and the inputs
``nn predict`` reads are made by the same operation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.compact import ScaledIntegerData, scale_integers
from nn_core.contracts import Data

PIXEL_MAX = 255.0
"""``scale: true`` divides the file's values by this."""


def pixel_features(pixels: np.ndarray, scale: bool, dtype: Any = np.float64) -> np.ndarray:
    """Float features, straight from the file's values to ``dtype``: a float32 run never holds a float64 copy."""
    return scale_integers(pixels, PIXEL_MAX, dtype) if scale else pixels.astype(dtype)


def pixel_data(
    pixels: np.ndarray,
    y: np.ndarray,
    *,
    scale: bool,
    dtype: Any,
    classes: tuple[str, ...] | None,
    extra: dict[str, Any] | None = None,
) -> Data:
    """The dataset's :class:`Data`: byte pixels scaled by /255 stay bytes until read (a quarter of
    float32's memory on nn-numpy); any other values become float features now."""
    if scale and pixels.dtype == np.uint8:
        return ScaledIntegerData(pixels, PIXEL_MAX, dtype, y, classes, extra)
    return Data(X=pixel_features(pixels, scale, dtype), y=y, classes=classes, extra={} if extra is None else extra)
