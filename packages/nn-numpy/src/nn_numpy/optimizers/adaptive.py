"""Per-parameter adaptive methods: Adagrad, RMSprop, Adam, AdamW (cs231n's list).

Each keeps its state as arrays shaped like the flat parameter buffer,
allocated once in ``setup``, and hands the update to a kernel set
(:mod:`nn_numpy.kernels`): the reference kernels write each formula in
plain numpy, numba's fuse it into one loop with bit-identical results.
``eps`` is added outside the square root, as in the papers and PyTorch.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import StepOptimizer
from nn_numpy.kernels import Kernels, kernels_for
from nn_numpy.subnormal import FLUSH_EVERY, flush_negligible

_LR = {"type": "number", "exclusiveMinimum": 0, "description": "learning rate"}
_EPS = {
    "type": "number",
    "exclusiveMinimum": 0,
    "default": 1e-8,
    "description": "added to the root to avoid division by 0",
}
_DECAY = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}


class AdaptiveOptimizer(StepOptimizer):
    """Shared plumbing: named state arrays, scratch arrays, a step counter and the kernel set."""

    backend: ClassVar[str] = "numpy"
    state_names: ClassVar[tuple[str, ...]] = ()

    lr: float
    t: int = 0
    kernels: Kernels

    def setup(self, params: np.ndarray) -> None:
        self.state = {name: np.zeros_like(params) for name in self.state_names}
        self._scratch = np.empty_like(params)
        self.kernels = kernels_for(params.size)
        self.kernels.prepare(params.dtype)
        self.t = 0

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        self.t += 1
        self._update(params, grads)
        if self.t % FLUSH_EVERY == 0:  # not part of the update's formula: see nn_numpy.subnormal
            for array in self.state.values():
                flush_negligible(array)

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        """One update; ``self.t`` already counts this step."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"step": self.t, **{name: a.copy() for name, a in self.state.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state.get("step", 0))
        for name, array in self.state.items():
            if name in state:
                array[...] = state[name]


class Adagrad(AdaptiveOptimizer):
    """Adagrad (Duchi et al. 2011): G ← G + g²;  θ ← θ − lr · g / (√G + eps)."""

    name: ClassVar[str] = "adagrad"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"lr": {**_LR, "default": 0.01}, "eps": _EPS},
    }
    state_names = ("sum_squares",)

    def __init__(self, *, lr: float = 0.01, eps: float = 1e-8) -> None:
        self.lr, self.eps = lr, eps

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        self.kernels.adagrad(
            params, grads, self.state["sum_squares"], lr=float(self.lr), eps=self.eps, scratch=self._scratch
        )


class RMSprop(AdaptiveOptimizer):
    """RMSprop (Hinton): E ← ρE + (1 − ρ)g²;  θ ← θ − lr · g / (√E + eps)."""

    name: ClassVar[str] = "rmsprop"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {**_LR, "default": 0.001},
            "rho": {**_DECAY, "default": 0.9, "description": "decay rate of the mean square"},
            "eps": _EPS,
        },
    }
    state_names = ("mean_square",)

    def __init__(self, *, lr: float = 0.001, rho: float = 0.9, eps: float = 1e-8) -> None:
        self.lr, self.rho, self.eps = lr, rho, eps

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        self.kernels.rmsprop(
            params,
            grads,
            self.state["mean_square"],
            lr=float(self.lr),
            rho=self.rho,
            eps=self.eps,
            scratch=self._scratch,
        )


class Adam(AdaptiveOptimizer):
    """Adam (Kingma & Ba 2015) with bias correction.

    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    θ ← θ − lr · m̂ / (√v̂ + eps),  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
    """

    name: ClassVar[str] = "adam"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {**_LR, "default": 0.001},
            "beta1": {**_DECAY, "default": 0.9, "description": "decay rate of the first moment"},
            "beta2": {**_DECAY, "default": 0.999, "description": "decay rate of the second moment"},
            "eps": _EPS,
        },
    }
    state_names = ("m", "v")

    def __init__(self, *, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.decay = 0.0

    def setup(self, params: np.ndarray) -> None:
        super().setup(params)
        self._scratches = (self._scratch, np.empty_like(params))  # m̂ and v̂

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        self.kernels.adam(
            params,
            grads,
            self.state["m"],
            self.state["v"],
            lr=float(self.lr),
            beta1=self.beta1,
            beta2=self.beta2,
            eps=self.eps,
            t=self.t,
            weight_decay=self.decay,
            scratch=self._scratches,
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    θ ← θ − lr · weight_decay · θ, then the Adam step. The decay applies to
    every parameter, biases included (as PyTorch's AdamW), and is separate
    from any ``l2`` regularizer, which goes through the gradient instead.
    """

    name: ClassVar[str] = "adamw"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            **Adam.params_schema["properties"],
            "weight_decay": {
                "type": "number",
                "minimum": 0,
                "default": 0.01,
                "description": "decoupled decay rate",
            },
        },
    }

    def __init__(
        self,
        *,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        self.weight_decay = self.decay = weight_decay
