"""Inputs on which every kernel set must agree bit for bit (the conformance kit runs them).

Each case is a kernel name and a function building fresh arguments: random
values of both signs and several scales, plus the edge values where
implementations usually part ways: ±0, the smallest normal and subnormal
numbers, values near overflow, ±inf and nan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


def mixed(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, edges: bool = True) -> np.ndarray:
    """Normal draws at scales 1e-3..1e3, with the edge values scattered in when ``edges``."""
    a = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, size=shape)
    a = a.astype(dtype)
    if edges:
        flat = a.reshape(-1)
        values = edge_values(dtype)
        where = rng.choice(flat.size, size=min(flat.size // 4, 3 * len(values)), replace=False)
        flat[where] = np.resize(values, len(where))
    return a


def kernel_cases(dtype: Any, seed: int = 0) -> list[KernelCase]:
    """Every kernel of :class:`~nn_numpy.kernels.reference.ReferenceKernels`, on ``dtype`` arrays."""
    dtype = np.dtype(dtype)
    cases: list[KernelCase] = []

    def add(label: str, kernel: str, make: Callable[[np.random.Generator], tuple[tuple[Any, ...], dict[str, Any]]]):
        def fresh() -> tuple[tuple[Any, ...], dict[str, Any]]:
            return make(np.random.default_rng([seed, len(label), sum(map(ord, label))]))

        cases.append(KernelCase(f"{kernel}[{label}, {dtype}]", kernel, fresh))

    n = 1000
    for edges in (False, True):
        tag = "edges" if edges else "finite"

        def flat(rng: np.random.Generator, positive: bool = False, e: bool = edges) -> np.ndarray:
            a = mixed(rng, (n,), dtype, e)
            return np.abs(a) if positive else a

        add(tag, "sgd", lambda r: ((flat(r), flat(r)), {"lr": 0.01, "scratch": np.empty(n, dtype)}))
        for nesterov in (False, True):
            add(
                f"{tag}, nesterov={nesterov}",
                "momentum",
                lambda r, nv=nesterov: (
                    (flat(r), flat(r), flat(r)),
                    {"lr": 0.05, "momentum": 0.9, "nesterov": nv, "scratch": np.empty(n, dtype)},
                ),
            )
        add(
            tag,
            "adagrad",
            lambda r: ((flat(r), flat(r), flat(r, True)), {"lr": 0.01, "eps": 1e-8, "scratch": np.empty(n, dtype)}),
        )
        add(
            tag,
            "rmsprop",
            lambda r: (
                (flat(r), flat(r), flat(r, True)),
                {"lr": 0.001, "rho": 0.9, "eps": 1e-8, "scratch": np.empty(n, dtype)},
            ),
        )
        for t, decay in ((1, 0.0), (7, 0.0), (1000, 0.0), (3, 0.01)):
            add(
                f"{tag}, t={t}, weight_decay={decay}",
                "adam",
                lambda r, t=t, decay=decay: (
                    (flat(r), flat(r), flat(r), flat(r, True)),
                    {
                        "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "t": t, "weight_decay": decay,
                        "scratch": (np.empty(n, dtype), np.empty(n, dtype)),
                    },
                ),
            )

        def grid(rng: np.random.Generator, shape: tuple[int, int] = (37, 23), e: bool = edges) -> np.ndarray:
            return mixed(rng, shape, dtype, e)

        for activation in (Identity(), Relu(), Tanh(), Sigmoid(), Softmax()):
            add(
                f"{tag}, {activation.name}",
                "bias_activation",
                lambda r, a=activation: ((grid(r), mixed(r, (23,), dtype, edges), a, np.empty((37, 23), dtype)), {}),
            )
            add(
                f"{tag}, {activation.name}",
                "activation_backward",
                lambda r, a=activation: ((a, grid(r), grid(r), grid(r), np.empty((37, 23), dtype)), {}),
            )
        for scale in (1 / 37, 1.0):
            add(
                f"{tag}, scale={scale:.3g}",
                "cross_entropy_gradient",
                lambda r, s=scale: ((grid(r), grid(r), s, np.empty((37, 23), dtype)), {}),
            )
    return cases
