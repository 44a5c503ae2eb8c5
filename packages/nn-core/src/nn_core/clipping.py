"""Gradient clipping (``training.clip_norm``, ``training.clip_value``), for any backend's step optimizer.

Keras's ``clipnorm``/``clipvalue`` and PyTorch's ``clip_grad_norm_`` /
``clip_grad_value_``: before each step, the gradient is rescaled so that its
global L2 norm (over every parameter together) is at most ``clip_norm``,
and/or each entry is clamped to ``[-clip_value, clip_value]`` (value first,
then norm, as Keras applies them).

The spec's optimizer is wrapped, not changed: :class:`ClippedOptimizer`
clips in place, then delegates ``step``, ``setup``, ``lr`` and the state a
checkpoint stores to it. Gradients are the backend's own arrays: a single
array (nn-numpy's flat buffer) or a list/tuple/dict of arrays (one per
parameter), numpy arrays or anything with ``clip_`` / ``*=`` and ``sum``
(torch tensors).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from nn_core.contracts import OptimizerState, StepOptimizer


def _arrays(grads: Any) -> Iterable[Any]:
    if isinstance(grads, dict):
        return list(grads.values())
    if isinstance(grads, (list, tuple)):
        return list(grads)
    return [grads]


def _clamp(array: Any, limit: float) -> None:
    if isinstance(array, np.ndarray):
        np.clip(array, -limit, limit, out=array)
    else:  # torch.Tensor and friends
        array.clip_(-limit, limit)


def global_norm(grads: Any) -> float:
    """L2 norm of every gradient entry together."""
    return math.sqrt(sum(float((a * a).sum()) for a in _arrays(grads)))


def clip_gradients(grads: Any, *, norm: float | None = None, value: float | None = None) -> float:
    """Clip ``grads`` in place; returns the global norm before norm clipping (after value clipping)."""
    arrays = _arrays(grads)
    if value is not None:
        for array in arrays:
            _clamp(array, value)
    total = global_norm(arrays)
    if norm is not None and total > norm:
        scale = norm / (total + 1e-12)  # torch's clip_grad_norm_ adds the same epsilon
        for array in arrays:
            array *= scale
    return total


class ClippedOptimizer(StepOptimizer):
    """A step optimizer whose gradients are clipped before each step."""

    name = "clipped"

    def __init__(self, inner: StepOptimizer, *, norm: float | None = None, value: float | None = None) -> None:
        self.inner, self.norm, self.value = inner, norm, value

    @property
    def lr(self) -> float:
        return self.inner.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.inner.lr = value

    def setup(self, params: Any) -> None:
        self.inner.setup(params)

    def step(self, params: Any, grads: Any) -> None:
        clip_gradients(grads, norm=self.norm, value=self.value)
        self.inner.step(params, grads)

    def state_dict(self) -> OptimizerState:
        return self.inner.state_dict()

    def load_state_dict(self, state: OptimizerState) -> None:
        self.inner.load_state_dict(state)

    def __repr__(self) -> str:
        return f"ClippedOptimizer({self.inner!r}, norm={self.norm}, value={self.value})"
