"""Losses. Cross-entropies are computed from logits (log-sum-exp stable) and
fuse with their output activation: dL/dZ = (A − Y) / m.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Loss
from nn_core.errors import DataError
from nn_core.targets import column_targets
from nn_numpy.kernels import Kernels, kernels_named


class NumpyLoss(Loss):
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    kernels: Kernels = kernels_named("numpy")
    """The network sets the kernel set it chose (nn_numpy.kernels); the reference kernels until then."""

    def _fused_gradient(self, A: np.ndarray, Y: np.ndarray, scale: float) -> np.ndarray:
        """(A − Y) · scale into a fresh array: a caller may keep it while the next step runs."""
        return self.kernels.cross_entropy_gradient(A, Y, scale, np.empty_like(A))

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> np.ndarray:
        return column_targets(y, outputs, dtype, self.name)


class ReducedLoss(NumpyLoss):
    """A per-sample loss averaged over the batch (``mean``) or summed (``sum``).

    ``sum`` is what tutorials 003 and 004 differentiate (their softmax gradient
    is ``probs − y`` with no 1/m), so their learning rates and L2 strengths
    carry over unchanged.
    """

    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "reduction": {
                "enum": ["mean", "sum"],
                "default": "mean",
                "description": "average the per-sample losses over the batch, or sum them",
            }
        },
    }

    def __init__(self, *, reduction: str = "mean") -> None:
        self.reduction = reduction

    def _count(self, Y: np.ndarray) -> int:
        """The divisor: the batch size for ``mean``, 1 for ``sum``."""
        return Y.shape[0] if self.reduction == "mean" else 1


class WeightedCrossEntropy(ReducedLoss):
    """A cross-entropy whose samples count ``class_weight[their class]`` times, for imbalanced data.

    As Keras's ``class_weight``: each sample's loss (and gradient) is scaled
    by its class's weight, and ``mean`` still divides by the number of
    samples, so weights of 1 are the plain loss.
    """

    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            **ReducedLoss.params_schema["properties"],
            "class_weight": {
                "type": ["array", "null"],
                "items": {"type": "number", "exclusiveMinimum": 0},
                "minItems": 2,
                "default": None,
                "description": "one weight per class, by class index (e.g. [1, 10] makes class 1 count ten "
                "times); null: every sample counts once",
            },
        },
    }

    def __init__(self, *, reduction: str = "mean", class_weight: list[float] | None = None) -> None:
        super().__init__(reduction=reduction)
        self.class_weight = None if class_weight is None else np.asarray(class_weight, dtype=np.float64)

    def _classes(self, outputs: int) -> int:
        return outputs

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> np.ndarray:
        if self.class_weight is not None and self.class_weight.size != self._classes(outputs):
            raise DataError(
                f"{self.name}: class_weight has {self.class_weight.size} weights but the model has "
                f"{self._classes(outputs)} classes; give one weight per class"
            )
        return super().prepare_targets(y, outputs, dtype)

    def _row_weights(self, Y: np.ndarray) -> np.ndarray | None:
        """Each sample's weight, shaped (n, 1); None without class weights."""
        if self.class_weight is None:
            return None
        w = self.class_weight.astype(Y.dtype)
        if Y.shape[1] == 1:  # one sigmoid unit: y is the probability of class 1
            return w[0] * (1 - Y) + w[1] * Y
        return Y @ w[:, None]

    def _weighted(self, per_element: np.ndarray, Y: np.ndarray) -> np.ndarray:
        weights = self._row_weights(Y)
        return per_element if weights is None else per_element * weights


class BinaryCrossEntropy(WeightedCrossEntropy):
    """Mean of −[y log a + (1 − y) log(1 − a)]; exact from logits when fused with sigmoid."""

    name = "binary_cross_entropy"
    fused_activation = "sigmoid"
    targets = "binary"

    def _classes(self, outputs: int) -> int:
        return 2 if outputs == 1 else outputs

    def value(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> float:
        m = self._count(Y)
        if fused:
            # log(1 + e^z) − y z  ==  −[y log σ(z) + (1 − y) log(1 − σ(z))], without overflow
            return float(self._weighted(np.logaddexp(0, Z) - Y * Z, Y).sum() / m)
        eps = np.finfo(A.dtype).tiny
        return float(-self._weighted(Y * np.log(A + eps) + (1 - Y) * np.log(1 - A + eps), Y).sum() / m)

    def gradient(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        m = self._count(Y)
        if fused:
            return self._weighted(self._fused_gradient(A, Y, 1 / m), Y)
        eps = np.finfo(A.dtype).eps
        return self._weighted((A - Y) / (np.maximum(A * (1 - A), eps) * m), Y)


class CategoricalCrossEntropy(WeightedCrossEntropy):
    """Mean over samples of −Σ y log a; labels as integers or one-hot."""

    name = "categorical_cross_entropy"
    fused_activation = "softmax"
    targets = "classes"

    def value(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> float:
        m = self._count(Y)
        if fused:
            shifted = Z - Z.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return float(-self._weighted(Y * log_probs, Y).sum() / m)
        return float(-self._weighted(Y * np.log(np.maximum(A, np.finfo(A.dtype).tiny)), Y).sum() / m)

    def gradient(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        m = self._count(Y)
        if fused:
            # softmax fused: d/dz of w_y·CE is w_y·(a − y) for one-hot y
            return self._weighted(self._fused_gradient(A, Y, 1 / m), Y)
        return self._weighted(-Y / (np.maximum(A, np.finfo(A.dtype).tiny) * m), Y)


class MeanSquaredError(NumpyLoss):
    """Mean over all elements of (a − y)²."""

    name = "mse"
    targets = "values"

    def value(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> float:
        return float(np.square(A - Y).mean())

    def gradient(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        return (A - Y) * (2 / A.size)


class SumSquaredError(NumpyLoss):
    """½ Σ (a − y)² over the whole batch, not averaged: Welch Labs' cost J (tutorial 001).

    Summed, so its scale grows with the batch: meant for full-batch training
    (BFGS on the tutorial's toy data), where it reproduces the reported cost.
    """

    name = "sum_squared_error"
    targets = "values"

    def value(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> float:
        return float(0.5 * np.square(A - Y).sum())

    def gradient(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        return A - Y


LOSSES: list[type[Loss]] = [BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError, SumSquaredError]
