"""Inputs on which every kernel set must agree bit for bit (the conformance kit runs them).

Each case is a kernel name and a function building fresh arguments: random
values of both signs and several scales, plus the edge values where
implementations usually part ways: ±0, the smallest normal and subnormal
numbers, values near overflow, ±inf and nan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from nn_numpy.activations import Identity, Relu, Sigmoid, Softmax, Tanh


@dataclass(frozen=True)
class KernelCase:
    """``kernel(*args, **kwargs)`` on fresh arrays from ``make``; every array argument is compared afterwards."""

    label: str
    kernel: str
    make: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]


def edge_values(dtype: Any) -> np.ndarray:
    info = np.finfo(dtype)
    tiny, big = float(info.tiny), float(info.max)
    sub = tiny * float(info.eps)  # the smallest subnormal
    values = [0.0, -0.0, 1.0, -1.0, tiny, -tiny, sub, -sub, tiny * 3, big, -big, big / 4, np.inf, -np.inf, np.nan]
    return np.array(values, dtype=dtype)


def mixed(rng: np.random.Generator, *, shape: tuple[int, ...], dtype: Any, edges: bool = True) -> np.ndarray:
    """Normal draws at scales 1e-3..1e3, with the edge values scattered in when ``edges``."""
    a = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, size=shape)
    a = a.astype(dtype)
    if edges:
        flat = a.reshape(-1)
        values = edge_values(dtype)
        where = rng.choice(flat.size, size=min(flat.size // 4, 3 * len(values)), replace=False)
        flat[where] = np.resize(values, len(where))
    return a


Arrays = Callable[[np.random.Generator], tuple[Any, ...]]


def kernel_cases(dtype: Any, seed: int = 0) -> list[KernelCase]:
    """Every kernel of :class:`~nn_numpy.kernels.reference.ReferenceKernels`, on ``dtype`` arrays."""
    dtype = np.dtype(dtype)
    cases: list[KernelCase] = []
    n, rows, units = 1000, 37, 23

    def add(label: str, kernel: str, arrays: Arrays, scratch: int = 0, **settings: Any) -> None:
        """A case calling ``kernel(*arrays(rng), **settings)``, with ``scratch`` fresh scratch arrays."""
        full = f"{kernel}[{label}, {dtype}]"

        def make() -> tuple[tuple[Any, ...], dict[str, Any]]:
            rng = np.random.default_rng([seed, sum(map(ord, full))])
            extra: dict[str, Any] = {}
            if scratch:
                buffers = tuple(np.empty(n, dtype) for _ in range(scratch))
                extra["scratch"] = buffers if scratch > 1 else buffers[0]
            return arrays(rng), {**settings, **extra}

        cases.append(KernelCase(full, kernel, make))

    for edges in (False, True):
        tag = "edges" if edges else "finite"
        flat = partial(mixed, shape=(n,), dtype=dtype, edges=edges)
        grid = partial(mixed, shape=(rows, units), dtype=dtype, edges=edges)

        def positive(rng: np.random.Generator, flat: Callable[..., np.ndarray] = flat) -> np.ndarray:
            return np.abs(flat(rng))

        def flat_arrays(*parts: Callable[..., np.ndarray]) -> Arrays:
            return lambda rng: tuple(part(rng) for part in parts)

        add(tag, "sgd", flat_arrays(flat, flat), scratch=1, lr=0.01)
        for nesterov in (False, True):
            momentum_settings = {"lr": 0.05, "momentum": 0.9, "nesterov": nesterov}
            add(f"{tag}, nesterov={nesterov}", "momentum", flat_arrays(flat, flat, flat), 1, **momentum_settings)
        add(tag, "adagrad", flat_arrays(flat, flat, positive), scratch=1, lr=0.01, eps=1e-8)
        add(tag, "rmsprop", flat_arrays(flat, flat, positive), scratch=1, lr=0.001, rho=0.9, eps=1e-8)
        for t, decay in ((1, 0.0), (7, 0.0), (1000, 0.0), (3, 0.01)):
            adam_settings = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "t": t, "weight_decay": decay}
            add(
                f"{tag}, t={t}, weight_decay={decay}",
                "adam",
                flat_arrays(flat, flat, flat, positive),
                2,
                **adam_settings,
            )

        def out(rng: np.random.Generator) -> np.ndarray:
            return np.full((rows, units), np.nan, dtype)  # every entry must be written

        bias = partial(mixed, shape=(units,), dtype=dtype, edges=edges)
        for activation in (Identity(), Relu(), Tanh(), Sigmoid(), Softmax()):
            given = (lambda rng, a=activation: a,)  # the activation object, not an array
            add(f"{tag}, {activation.name}", "bias_activation", flat_arrays(grid, bias, *given, out))
            add(f"{tag}, {activation.name}", "activation_backward", flat_arrays(*given, grid, grid, grid, out))
        for scale in (1 / rows, 1.0):
            add(
                f"{tag}, scale={scale:.3g}",
                "cross_entropy_gradient",
                flat_arrays(grid, grid, lambda rng, s=scale: s, out),
            )
    return cases
