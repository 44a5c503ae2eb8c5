"""Weight penalties, applied by the network to each layer's ``regularized``
parameters (a dense layer's ``weight``, never its ``bias``); a layer's own
``regularizer`` overrides the model's.

Scaling convention: the penalty is added to the loss of a batch as is, not
divided by the batch size, and the loss itself is usually a mean over the
batch. So ``l2`` adds (λ/2)·ΣW² to the loss and λ·W to the gradient (tutorial
003's ``dW += reg_lambda * W``), independent of the batch size.

Tutorial 003's data gradient is a *sum* over its m samples (its softmax
``diff`` is not divided by m), so its update ``W −= ε(Σᵢ gᵢ + λW)`` equals
ours with a mean loss (categorical_cross_entropy) when ``lr = ε·m`` and
``lambda = λ/m``: for its moons (m = 200, ε = 0.01, λ = 0.01) that is
``lr: 2.0`` and ``lambda: 5.0e-5``. With a summed loss (sum_squared_error)
``lambda`` means the same as the tutorial's λ. Unlike tutorial 003, the loss
nn reports includes the penalty.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Regularizer

_LAMBDA = {
    "type": "number",
    "minimum": 0,
    "default": 0.01,
    "description": "penalty strength λ (not divided by the batch size)",
}


class NumpyRegularizer(Regularizer):
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {"lambda": _LAMBDA}}

    def __init__(self, **params: float) -> None:
        # ``lambda`` is a Python keyword, so it cannot be a named argument.
        unknown = set(params) - {"lambda"}
        if unknown:
            raise TypeError(f"{self.name}: unknown parameters {sorted(unknown)}")
        self.lam = float(params.get("lambda", 0.01))
        self._scratch: dict[tuple[tuple[int, ...], np.dtype[Any]], np.ndarray] = {}

    def _buffer(self, W: np.ndarray) -> np.ndarray:
        """One scratch array per weight shape (one regularizer serves many layers)."""
        key = (W.shape, W.dtype)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = np.empty_like(W)
        return buf


class L2(NumpyRegularizer):
    """Weight decay: adds (λ/2)·ΣW² to the loss and λ·W to the gradient (tutorial 003)."""

    name = "l2"

    def penalty(self, W: np.ndarray) -> float:
        flat = W.reshape(-1)
        return 0.5 * self.lam * float(np.dot(flat, flat))

    def add_gradient(self, W: np.ndarray, dW: np.ndarray) -> None:
        dW += np.multiply(W, self.lam, out=self._buffer(W))


class L1(NumpyRegularizer):
    """Lasso penalty: adds λ·Σ|W| to the loss and λ·sign(W) to the gradient; drives weights to 0."""

    name = "l1"

    def penalty(self, W: np.ndarray) -> float:
        return self.lam * float(np.abs(W).sum())

    def add_gradient(self, W: np.ndarray, dW: np.ndarray) -> None:
        buf = np.sign(W, out=self._buffer(W))
        buf *= self.lam
        dW += buf


REGULARIZERS = [L2, L1]
