"""Stochastic gradient descent with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import StepOptimizer
from nn_numpy.kernels import Kernels, kernels_for
from nn_numpy.subnormal import FLUSH_EVERY, flush_negligible


class SGD(StepOptimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    v ← μ v − lr g;  θ ← θ + v   (Nesterov: θ ← θ + μ v − lr g)
    """

    name: ClassVar[str] = "sgd"
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.01},
            "momentum": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.0},
            "nesterov": {"type": "boolean", "default": False},
        },
    }

    def __init__(self, *, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.velocity: np.ndarray | None = None
        self.steps = 0

    kernels: Kernels

    def setup(self, params: np.ndarray) -> None:
        self._scratch = np.empty_like(params)
        self.kernels = kernels_for(params.size)
        self.kernels.prepare(params.dtype)
        if self.momentum:
            self.velocity = np.zeros_like(params)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        lr = float(self.lr)
        if self.velocity is None:
            self.kernels.sgd(params, grads, lr=lr, scratch=self._scratch)
            return
        self.steps += 1
        self.kernels.momentum(
            params, grads, self.velocity, lr=lr, momentum=self.momentum, nesterov=self.nesterov, scratch=self._scratch
        )
        if self.steps % FLUSH_EVERY == 0:  # not part of the update's formula: see nn_numpy.subnormal
            flush_negligible(self.velocity)

    def state_dict(self) -> dict[str, Any]:
        return {} if self.velocity is None else {"velocity": self.velocity.copy(), "step": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "velocity" in state and self.velocity is not None:
            self.velocity[...] = state["velocity"]
            self.steps = int(state.get("step", 0))
