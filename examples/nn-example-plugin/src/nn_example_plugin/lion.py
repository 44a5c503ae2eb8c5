"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms").

Per step, with gradient g and momentum m::

    update = sign(β₁·m + (1 − β₁)·g)
    θ ← θ − lr·(update + weight_decay·θ)
    m ← β₂·m + (1 − β₂)·g

Every coordinate moves by exactly ±lr (plus decay): Lion wants a learning
rate 3–10× smaller than Adam's, and a weight decay 3–10× larger.

A :class:`~nn_core.contracts.StepOptimizer` of the numpy backend (contract
v2): ``setup`` receives nn-numpy's flat parameter buffer, ``step`` updates
it in place, ``state_dict`` returns numpy arrays by name.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import OptimizerState, StepOptimizer

_DECAY = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}


class Lion(StepOptimizer):
    """Lion (Chen et al. 2023): the sign of an interpolated momentum, one state array.

    update = sign(β₁m + (1 − β₁)g);  θ ← θ − lr·(update + weight_decay·θ);
    m ← β₂m + (1 − β₂)g. Use a learning rate 3–10× smaller than Adam's.
    """

    name: ClassVar[str] = "lion"
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "exclusiveMinimum": 0, "default": 1e-4, "description": "learning rate"},
            "beta1": {**_DECAY, "default": 0.9, "description": "interpolation of momentum and gradient in the update"},
            "beta2": {**_DECAY, "default": 0.99, "description": "decay rate of the momentum"},
            "weight_decay": {
                "type": "number",
                "minimum": 0,
                "default": 0.0,
                "description": "decoupled weight decay, scaled by lr",
            },
        },
    }

    def __init__(self, *, lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.99, weight_decay: float = 0.0) -> None:
        # Python floats, so float32 buffers stay float32.
        self.lr, self.beta1, self.beta2 = float(lr), float(beta1), float(beta2)
        self.weight_decay = float(weight_decay)
        self.m: np.ndarray | None = None

    def setup(self, params: np.ndarray) -> None:
        self.m = np.zeros_like(params)
        self._scratch = np.empty_like(params)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        m, s = self.m, self._scratch
        assert m is not None, "setup() allocates the momentum"
        # s = β₁m + (1 − β₁)g, written m + (1 − β₁)(g − m): no temporary array
        np.subtract(grads, m, out=s)
        s *= 1 - self.beta1
        s += m
        np.sign(s, out=s)
        if self.weight_decay:
            params *= 1 - self.lr * self.weight_decay  # θ − lr·wd·θ, on the old θ
        s *= self.lr
        params -= s
        # m ← β₂m + (1 − β₂)g = m + (1 − β₂)(g − m)
        np.subtract(grads, m, out=s)
        s *= 1 - self.beta2
        m += s

    def state_dict(self) -> OptimizerState:
        """The momentum as a numpy array by name: what a checkpoint stores (contract v2)."""
        return {} if self.m is None else {"m": self.m.copy()}

    def load_state_dict(self, state: OptimizerState) -> None:
        if "m" in state and self.m is not None:
            self.m[...] = state["m"]
