"""Activations: forward g(Z) and backward dL/dZ, each writing into ``out``.

Derivatives use the forward output where that is cheaper (tanh: 1 - A²,
sigmoid: A(1 - A)), as scikit-learn's MLP does.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Activation


class NumpyActivation(Activation):
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}


class Identity(NumpyActivation):
    """g(z) = z: linear output (regression, logits)."""

    name = "identity"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, Z)
        return out

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, dA)
        return out


class Sigmoid(NumpyActivation):
    """Logistic g(z) = 1 / (1 + e^-z); fused with binary_cross_entropy on output."""

    name = "sigmoid"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        from scipy.special import expit  # one stable ufunc; scipy loads on first use

        return expit(Z, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(1, A, out=out)
        out *= A
        out *= dA
        return out


class Tanh(NumpyActivation):
    """Hyperbolic tangent, the tutorials' hidden-layer default."""

    name = "tanh"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(Z, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(A, A, out=out)
        np.subtract(1, out, out=out)
        out *= dA
        return out


class Relu(NumpyActivation):
    """max(0, z); gradient 1 where z > 0, else 0."""

    name = "relu"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.maximum(Z, 0, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(dA, Z > 0, out=out)
        return out


class Softmax(NumpyActivation):
    """Row-wise softmax for class probabilities; fused with categorical_cross_entropy."""

    name = "softmax"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(Z, Z.max(axis=1, keepdims=True), out=out)  # log-sum-exp shift
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        # dZ = A ⊙ (dA − Σ_j dA_j A_j): the softmax Jacobian applied row by row.
        dot = np.einsum("ij,ij->i", dA, A)[:, None]
        np.subtract(dA, dot, out=out)
        out *= A
        return out


ACTIVATIONS = [Identity, Sigmoid, Tanh, Relu, Softmax]
