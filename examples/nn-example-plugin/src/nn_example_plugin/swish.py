"""Swish (Ramachandran, Zoph & Le 2017): g(z) = z·σ(βz); β = 1 is SiLU."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Activation


def _sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(x) = (1 + tanh(x/2)) / 2: one ufunc, no overflow for large |x|, no scipy."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


class Swish(Activation):
    """Swish, z·σ(βz) (Ramachandran et al. 2017): smooth and non-monotonic; beta 1 is SiLU.

    Backward needs σ(βz) again: g'(z) = σ(βz) + β·g(z)·(1 − σ(βz)). Forward
    keeps it, tied to the Z it came from, so an evaluation forward in between
    can never feed a stale value (it is recomputed then).
    """

    name: ClassVar[str] = "swish"
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "beta": {
                "type": "number",
                "minimum": 0,
                "default": 1.0,
                "description": "slope inside the sigmoid: 1 is SiLU, 0 is z/2, large values approach relu",
            },
        },
    }

    def __init__(self, *, beta: float = 1.0) -> None:
        self.beta = float(beta)  # a Python float: float32 arrays stay float32
        self._sig: np.ndarray | None = None
        self._sig_of: np.ndarray | None = None

    def _sigmoid_of(self, Z: np.ndarray) -> np.ndarray:
        sig = self._sig
        if sig is None or sig.shape != Z.shape or sig.dtype != Z.dtype:
            sig = self._sig = np.empty_like(Z)
        np.multiply(Z, self.beta, out=sig)
        self._sig_of = Z
        return _sigmoid(sig, out=sig)

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(Z, self._sigmoid_of(Z), out=out)
        return out

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        sig = self._sig if self._sig_of is Z and self._sig is not None else self._sigmoid_of(Z)
        # g'(z) = σ + β·z·σ·(1 − σ) = σ + β·A·(1 − σ), with A = z·σ from forward
        np.subtract(1, sig, out=out)
        out *= A
        out *= self.beta
        out += sig
        out *= dA
        return out
