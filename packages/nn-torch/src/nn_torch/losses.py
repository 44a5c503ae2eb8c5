"""Losses on torch tensors, nn-numpy's formulas: cross-entropies from logits
(log-sum-exp stable) fused with their output activation, dL/dZ = (A − Y) / m.

Targets are prepared on the host in numpy (one-hot for integer labels, as
nn-numpy does, with the same one-line errors), handed over as a CPU tensor,
and moved to the device once by the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_core.contracts import Loss
from nn_core.errors import DataError
from nn_core.targets import column_targets
from nn_torch.tensors import numpy_dtype, torch_dtype

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch


class TorchLoss(Loss):
    backend: ClassVar[str] = "torch"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> torch.Tensor:
        """Targets as a CPU tensor of ``dtype`` (built in numpy, shared memory); the network
        moves them to its device."""
        return torch.from_numpy(column_targets(y, outputs, numpy_dtype(torch_dtype(dtype)), self.name))


class ReducedLoss(TorchLoss):
    """A per-sample loss averaged over the batch (``mean``) or summed (``sum``)."""

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

    def _count(self, Y: torch.Tensor) -> int:
        return Y.shape[0] if self.reduction == "mean" else 1


class WeightedCrossEntropy(ReducedLoss):
    """A cross-entropy whose samples count ``class_weight[their class]`` times (nn-numpy's,
    Keras's ``class_weight``): each sample's loss and gradient scale by its class's weight,
    and ``mean`` still divides by the number of samples."""

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
        self._weights: dict[tuple[Any, Any], torch.Tensor] = {}

    def _classes(self, outputs: int) -> int:
        return outputs

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> torch.Tensor:
        if self.class_weight is not None and self.class_weight.size != self._classes(outputs):
            raise DataError(
                f"{self.name}: class_weight has {self.class_weight.size} weights but the model has "
                f"{self._classes(outputs)} classes; give one weight per class"
            )
        return super().prepare_targets(y, outputs, dtype)

    def _row_weights(self, Y: torch.Tensor) -> torch.Tensor | None:
        """Each sample's weight, shaped (n, 1); None without class weights."""
        if self.class_weight is None:
            return None
        key = (Y.dtype, Y.device)
        w = self._weights.get(key)
        if w is None:  # the float64 weights rounded once to Y's dtype, as nn-numpy's astype
            w = self._weights[key] = torch.from_numpy(self.class_weight).to(dtype=Y.dtype, device=Y.device)
        if Y.shape[1] == 1:  # one sigmoid unit: y is the probability of class 1
            return w[0] * (1 - Y) + w[1] * Y
        return Y @ w[:, None]

    def _weighted(self, per_element: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        weights = self._row_weights(Y)
        return per_element if weights is None else per_element * weights


class BinaryCrossEntropy(WeightedCrossEntropy):
    """Mean of −[y log a + (1 − y) log(1 − a)]; exact from logits when fused with sigmoid."""

    name = "binary_cross_entropy"
    fused_activation = "sigmoid"

    def _classes(self, outputs: int) -> int:
        return 2 if outputs == 1 else outputs

    def value(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> float:
        m = self._count(Y)
        if fused:
            # log(1 + e^z) − y z  ==  −[y log σ(z) + (1 − y) log(1 − σ(z))], without overflow
            zero = torch.zeros((), dtype=Z.dtype, device=Z.device)
            return float(self._weighted(torch.logaddexp(zero, Z) - Y * Z, Y).sum() / m)
        eps = torch.finfo(A.dtype).tiny
        return float(-self._weighted(Y * torch.log(A + eps) + (1 - Y) * torch.log(1 - A + eps), Y).sum() / m)

    def gradient(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> torch.Tensor:
        m = self._count(Y)
        if fused:
            return self._weighted((A - Y) * (1 / m), Y)
        eps = torch.finfo(A.dtype).eps
        return self._weighted((A - Y) / (torch.clamp_min(A * (1 - A), eps) * m), Y)


class CategoricalCrossEntropy(WeightedCrossEntropy):
    """Mean over samples of −Σ y log a; labels as integers or one-hot."""

    name = "categorical_cross_entropy"
    fused_activation = "softmax"

    def value(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> float:
        m = self._count(Y)
        if fused:
            shifted = Z - Z.amax(dim=1, keepdim=True)
            log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
            return float(-self._weighted(Y * log_probs, Y).sum() / m)
        return float(-self._weighted(Y * torch.log(torch.clamp_min(A, torch.finfo(A.dtype).tiny)), Y).sum() / m)

    def gradient(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> torch.Tensor:
        m = self._count(Y)
        if fused:
            return self._weighted((A - Y) * (1 / m), Y)  # w_y·(a − y) for one-hot y
        return self._weighted(-Y / (torch.clamp_min(A, torch.finfo(A.dtype).tiny) * m), Y)


class MeanSquaredError(TorchLoss):
    """Mean over all elements of (a − y)²."""

    name = "mse"

    def value(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> float:
        return float(torch.square(A - Y).mean())

    def gradient(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> torch.Tensor:
        return (A - Y) * (2 / A.numel())


class SumSquaredError(TorchLoss):
    """½ Σ (a − y)² over the whole batch, not averaged: Welch Labs' cost J (tutorial 001)."""

    name = "sum_squared_error"

    def value(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> float:
        return float(0.5 * torch.square(A - Y).sum())

    def gradient(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, fused: bool) -> torch.Tensor:
        return A - Y


LOSSES: list[type[Loss]] = [BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError, SumSquaredError]
