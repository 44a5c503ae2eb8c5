"""Activations: forward g(Z) and backward dL/dZ, each writing into ``out``.

Derivatives use the forward output where that is cheaper (tanh: 1 - A²,
sigmoid: A(1 - A)), as scikit-learn's MLP does.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Activation
from nn_numpy.subnormal import exp_floor

# Python floats, not numpy float64 scalars: those would upcast float32 arithmetic.
_INV_SQRT2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


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

        if out.dtype == np.float32:  # keeps σ(z) out of the subnormal range (float64's is at z < −708)
            floor = exp_floor(out.dtype)
            return expit(np.clip(Z, floor, -floor, out=out), out=out)
        return expit(Z, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        # σ'(z) = σ(z)(1 − σ(z)), from the forward output
        np.subtract(1, A, out=out)
        out *= A
        out *= dA
        return out


class Tanh(NumpyActivation):
    """Hyperbolic tangent, the tutorials' hidden-layer default; g'(z) = 1 − tanh²(z)."""

    name = "tanh"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(Z, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        # from the forward output: 1 − A²
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
        return np.multiply(dA, Z > 0, out=out)


class Softmax(NumpyActivation):
    """Row-wise softmax for class probabilities; fused with categorical_cross_entropy."""

    name = "softmax"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(Z, Z.max(axis=1, keepdims=True), out=out)  # log-sum-exp shift
        np.maximum(out, exp_floor(out.dtype), out=out)  # no subnormal probabilities (see subnormal.py)
        return self.exp_normalize(out)

    @staticmethod
    def exp_normalize(shifted: np.ndarray) -> np.ndarray:
        """e^s / Σ_j e^s_j row by row, in place: softmax after its shift (a fused kernel shifts, then calls this)."""
        np.exp(shifted, out=shifted)
        shifted /= shifted.sum(axis=1, keepdims=True)
        return shifted

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        # dZ = A ⊙ (dA − Σ_j dA_j A_j): the softmax Jacobian applied row by row.
        dot = np.einsum("ij,ij->i", dA, A)[:, None]
        np.subtract(dA, dot, out=out)
        out *= A
        return out


class LeakyRelu(NumpyActivation):
    """max(z, alpha·z): relu with a small slope for z < 0, so no unit dies."""

    name = "leaky_relu"
    params_schema = {
        "type": "object",
        "properties": {
            "alpha": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "default": 0.01,
                "description": "slope for z < 0",
            },
        },
    }

    def __init__(self, *, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(Z, self.alpha, out=out)
        return np.maximum(Z, out, out=out)  # max(z, αz) is leaky relu for 0 ≤ α ≤ 1

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(dA, self.alpha, out=out)
        np.copyto(out, dA, where=Z > 0)
        return out


class Elu(NumpyActivation):
    """z for z > 0, alpha·(eᶻ − 1) otherwise (Clevert et al. 2016): smooth, mean closer to 0."""

    name = "elu"
    params_schema = {
        "type": "object",
        "properties": {
            "alpha": {
                "type": "number",
                "exclusiveMinimum": 0,
                "default": 1.0,
                "description": "saturation value −alpha for z → −∞",
            },
        },
    }

    def __init__(self, *, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.minimum(Z, 0, out=out)  # expm1 of min(z, 0): no overflow for large z
        np.expm1(out, out=out)
        out *= self.alpha
        np.copyto(out, Z, where=Z > 0)
        return out

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        # g'(z) = α eᶻ = A + α for z ≤ 0, 1 for z > 0.
        np.add(A, self.alpha, out=out)
        np.copyto(out, 1, where=Z > 0)
        out *= dA
        return out


class Softplus(NumpyActivation):
    """log(1 + eᶻ), a smooth relu; its derivative is the sigmoid."""

    name = "softplus"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.logaddexp(0, Z, out=out)  # stable for large |z|

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        expit(Z, out=out)
        out *= dA
        return out


class Gelu(NumpyActivation):
    """Exact GELU, z·Φ(z) with Φ the standard normal CDF (erf form, not the tanh approximation).

    Forward keeps Φ(z) for backward, which needs it again:
    g'(z) = Φ(z) + z·φ(z). The cache is tied to the Z array it was computed
    from, so an evaluation forward in between can never feed a stale Φ.
    """

    name = "gelu"

    def __init__(self) -> None:
        self._cdf: np.ndarray | None = None
        self._cdf_of: np.ndarray | None = None

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        from scipy.special import erf

        cdf = self._cdf
        if cdf is None or cdf.shape != Z.shape or cdf.dtype != Z.dtype:
            cdf = self._cdf = np.empty_like(Z)
        np.multiply(Z, _INV_SQRT2, out=cdf)
        erf(cdf, out=cdf)
        cdf += 1
        cdf *= 0.5
        self._cdf_of = Z
        return np.multiply(Z, cdf, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self._cdf_of is not Z or self._cdf is None:
            self.forward(Z, out)  # recompute Φ(z); out is overwritten below
        assert self._cdf is not None
        # z·φ(z) = z · exp(−z²/2) / √(2π)
        np.multiply(Z, Z, out=out)
        out *= -0.5
        np.exp(out, out=out)
        out *= Z
        out *= _INV_SQRT_2PI
        out += self._cdf
        out *= dA
        return out


ACTIVATIONS = [Identity, Sigmoid, Tanh, Relu, Softmax, LeakyRelu, Elu, Softplus, Gelu]
