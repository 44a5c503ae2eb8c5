"""Feature scaling fitted on the train split only, and stored with the model.

Fitting on all data would leak dev/test statistics into training; storing
the fitted shift and scale lets predict and evaluate apply exactly the
transformation the network was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """``(X − shift) / scale`` per feature; ``kind`` is standard, minmax or none."""

    kind: str
    shift: np.ndarray
    scale: np.ndarray

    @classmethod
    def identity(cls, width: int) -> Scaler:
        """Scaling ``none`` for ``width`` features (fitting it needs no data)."""
        return cls("none", np.zeros(width), np.ones(width))

    @classmethod
    def fit(cls, kind: str, X: np.ndarray) -> Scaler:
        width = X.shape[1]
        if kind == "none":
            return cls.identity(width)
        if kind == "standard":
            shift, scale = X.mean(axis=0), X.std(axis=0)
        elif kind == "minmax":
            shift, scale = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
        else:
            raise ValueError(f"unknown scaling {kind!r}")
        # A constant feature carries no information: leave its spread alone.
        scale = np.where(scale > 0, scale, 1.0)
        return cls(kind, shift.astype(np.float64), scale.astype(np.float64))

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return X
        return (X - self.shift) / self.scale

    def arrays(self) -> dict[str, np.ndarray]:
        return {"scaler.shift": self.shift, "scaler.scale": self.scale}

    @classmethod
    def from_arrays(cls, kind: str, arrays: dict[str, np.ndarray], width: int) -> Scaler:
        """The scaler a file stored; ValueError for an unknown kind or arrays that cannot be one (a crafted file)."""
        if kind == "none":
            return cls.identity(width)
        if kind not in ("standard", "minmax"):
            raise ValueError(f"unknown scaling {kind!r}")
        shift, scale = np.asarray(arrays["scaler.shift"]), np.asarray(arrays["scaler.scale"])
        for name, array in (("shift", shift), ("scale", scale)):
            if array.shape != (width,) or array.dtype.kind not in "iuf" or not np.isfinite(array).all():
                raise ValueError(f"scaler.{name} is not {width} finite numbers")
        if not (scale > 0).all():
            raise ValueError("scaler.scale holds values that are not positive")
        return cls(kind, shift.astype(np.float64), scale.astype(np.float64))
