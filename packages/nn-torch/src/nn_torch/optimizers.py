"""Step optimizers over the network's flat parameter tensor: nn-numpy's update
rules, op for op.

Why hand-written and not ``torch.optim``: nn's documented semantics differ
from torch's defaults in places (SGD's velocity holds ``−lr·g``, so momentum
under a changing learning rate follows nn-numpy, not torch's ``v ← μv + g``;
Nesterov is ``θ ← θ + μv − lr·g``; RMSprop's decay is ``rho``), and even where
the rule is the same, torch's fused Adam orders its arithmetic differently
(``lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps)``), so float64 results would drift
from nn-numpy's by rounding. Each update here is the same sequence of
elementwise IEEE operations as nn-numpy's reference kernels
(``nn_numpy.kernels.reference``), over one flat tensor: no ``alpha=``/``value=``
arguments, which torch may compute with a fused multiply-add, and square roots
through numpy on the CPU (``nn_torch.tensors.sqrt``). So the updates agree with
nn-numpy's to the last bit, float64 and float32, given the same gradients
(tested against nn-numpy itself). Decaying state is flushed every ``FLUSH_EVERY`` steps
like nn-numpy's. Learning-rate and other scalars stay Python floats; torch
rounds them to the tensor's dtype exactly as numpy does for float32.

State crosses checkpoints as numpy arrays by name (``m``, ``v``, ``velocity``,
``sum_squares``, ``mean_square``) plus the integer ``step``, the names
nn-numpy uses, so a checkpoint's optimizer state reads the same on both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_core.contracts import OptimizerState, StepOptimizer
from nn_torch.tensors import FLUSH_EVERY, flush_negligible, sqrt, to_numpy

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch

_LR = {"type": "number", "exclusiveMinimum": 0, "description": "learning rate"}
_EPS = {
    "type": "number",
    "exclusiveMinimum": 0,
    "default": 1e-8,
    "description": "added to the root to avoid division by 0",
}
_DECAY = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}


def _load(target: torch.Tensor, value: Any, name: str) -> None:
    array = np.asarray(value)
    if tuple(array.shape) != tuple(target.shape):
        raise ValueError(f"optimizer state {name} has shape {array.shape}, the network needs {tuple(target.shape)}")
    target.copy_(torch.from_numpy(np.ascontiguousarray(array)))


class SGD(StepOptimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    v ← μ v − lr g;  θ ← θ + v   (Nesterov: θ ← θ + μ v − lr g)
    """

    name: ClassVar[str] = "sgd"
    backend: ClassVar[str] = "torch"
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
        self.velocity: torch.Tensor | None = None
        self.steps = 0

    def setup(self, params: torch.Tensor) -> None:
        self._scratch = torch.empty_like(params)
        self.velocity = torch.zeros_like(params) if self.momentum else None
        self.steps = 0

    def step(self, params: torch.Tensor, grads: torch.Tensor) -> None:
        step = torch.mul(grads, -self.lr, out=self._scratch)  # −lr·g
        v = self.velocity
        if v is None:
            params += step
            return
        v *= self.momentum
        v += step
        self.steps += 1
        if self.steps % FLUSH_EVERY == 0:
            flush_negligible(v)
        if self.nesterov:
            params += step
            params += torch.mul(v, self.momentum, out=step)
        else:
            params += v

    def state_dict(self) -> OptimizerState:
        return {} if self.velocity is None else {"velocity": to_numpy(self.velocity), "step": self.steps}

    def load_state_dict(self, state: OptimizerState) -> None:
        if "velocity" in state and self.velocity is not None:
            _load(self.velocity, state["velocity"], "velocity")
            self.steps = int(state.get("step", 0))


class AdaptiveOptimizer(StepOptimizer):
    """Shared plumbing: named state tensors, one scratch tensor and a step counter."""

    backend: ClassVar[str] = "torch"
    state_names: ClassVar[tuple[str, ...]] = ()

    lr: float
    t: int = 0

    def setup(self, params: torch.Tensor) -> None:
        self.state = {name: torch.zeros_like(params) for name in self.state_names}
        self._scratch = torch.empty_like(params)
        self.t = 0

    def step(self, params: torch.Tensor, grads: torch.Tensor) -> None:
        self.t += 1
        self._update(params, grads)
        if self.t % FLUSH_EVERY == 0:
            for tensor in self.state.values():
                flush_negligible(tensor)

    def _update(self, params: torch.Tensor, grads: torch.Tensor) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    def state_dict(self) -> OptimizerState:
        return {"step": self.t, **{name: to_numpy(t) for name, t in self.state.items()}}

    def load_state_dict(self, state: OptimizerState) -> None:
        self.t = int(state.get("step", 0))
        for name, tensor in self.state.items():
            if name in state:
                _load(tensor, state[name], name)


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

    def _update(self, params: torch.Tensor, grads: torch.Tensor) -> None:
        G, s = self.state["sum_squares"], self._scratch
        torch.mul(grads, grads, out=s)
        G += s
        sqrt(G, s)
        s += self.eps
        torch.div(grads, s, out=s)
        s *= self.lr
        params -= s


class RMSprop(AdaptiveOptimizer):
    """RMSprop (Hinton): E ← ρE + (1 − ρ)g²;  θ ← θ − lr · g / (√E + eps).

    ``rho`` is torch's ``alpha``; the defaults are nn-numpy's (rho 0.9, eps 1e-8),
    not torch's (0.99).
    """

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

    def _update(self, params: torch.Tensor, grads: torch.Tensor) -> None:
        E, s = self.state["mean_square"], self._scratch
        E *= self.rho
        torch.mul(grads, grads, out=s)
        s *= 1 - self.rho
        E += s
        sqrt(E, s)
        s += self.eps
        torch.div(grads, s, out=s)
        s *= self.lr
        params -= s


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

    def setup(self, params: torch.Tensor) -> None:
        super().setup(params)
        self._v_hat = torch.empty_like(params)

    def _update(self, params: torch.Tensor, grads: torch.Tensor) -> None:
        # nn-numpy's reference kernel (nn_numpy.kernels.reference.adam), operation for operation.
        m, v, m_hat, v_hat = self.state["m"], self.state["v"], self._scratch, self._v_hat
        b1, b2 = self.beta1, self.beta2
        m *= b1
        m += torch.mul(grads, 1 - b1, out=m_hat)  # m ← β₁m + (1 − β₁)g
        v *= b2
        g2 = torch.mul(grads, grads, out=v_hat)
        g2 *= 1 - b2
        v += g2  # v ← β₂v + (1 − β₂)g²
        torch.mul(m, 1 / (1 - b1**self.t), out=m_hat)  # m̂ = m / (1 − β₁ᵗ), by the reciprocal
        torch.mul(v, 1 / (1 - b2**self.t), out=v_hat)  # v̂ = v / (1 − β₂ᵗ)
        denom = sqrt(v_hat, v_hat)
        denom += self.eps
        step = torch.mul(m_hat, self.lr, out=m_hat)
        step /= denom
        params -= step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    θ ← θ − lr · weight_decay · θ, then the Adam step; every parameter decays,
    biases included (as torch's AdamW), separately from any ``l2`` regularizer.
    """

    name: ClassVar[str] = "adamw"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            **Adam.params_schema["properties"],
            "weight_decay": {"type": "number", "minimum": 0, "default": 0.01, "description": "decoupled decay rate"},
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
        self.weight_decay = weight_decay

    def step(self, params: torch.Tensor, grads: torch.Tensor) -> None:
        if self.weight_decay:
            params *= 1 - self.lr * self.weight_decay
        super().step(params, grads)


OPTIMIZERS = [SGD, Adagrad, RMSprop, Adam, AdamW]
