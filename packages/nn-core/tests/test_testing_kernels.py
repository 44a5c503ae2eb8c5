"""nn_core.testing.kernels: kernel sets compared bit for bit, on a fake backend whose arrays are not numpy's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest

from nn_core.contracts import Backend
from nn_core.testing import ConformanceError, check_component, check_kernel_sets


class Box:
    """A backend array that is not an np.ndarray: the kit must convert it through to_numpy."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.shape = values.shape


class Plain:
    name = "plain"

    def axpy(self, y: Box, x: Box, *, a: float, scratch: Box) -> None:
        np.multiply(x.values, a, out=scratch.values)
        y.values += scratch.values  # y ← y + a·x, rounded twice


class Fused:
    name = "fused"

    def axpy(self, y: Box, x: Box, *, a: float, scratch: Box) -> None:
        y.values[:] = y.values + x.values * a  # the same two roundings in one expression


class Regrouped:
    name = "regrouped"

    def axpy(self, y: Box, x: Box, *, a: float, scratch: Box) -> None:
        y.values[:] = (y.values / a + x.values) * a  # equal in exact arithmetic only


@dataclass(frozen=True)
class Case:
    label: str
    kernel: str

    def make(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        rng = np.random.default_rng(0)
        return (Box(rng.normal(size=50)), Box(rng.normal(size=50))), {"a": 0.3, "scratch": Box(np.zeros(50))}


def to_numpy(array: Any) -> np.ndarray:
    return np.asarray(array.values)


def test_identical_sets_pass_and_count_the_cases() -> None:
    cases = [Case("axpy[1]", "axpy"), Case("axpy[2]", "axpy")]
    assert check_kernel_sets({"plain": Plain(), "fused": Fused()}, cases, to_numpy=to_numpy) == 2


def test_a_regrouped_kernel_is_named_with_its_first_difference() -> None:
    with pytest.raises(ConformanceError, match=r"kernel axpy\[1\]: regrouped differs from plain in array 0: \d+ of 50"):
        check_kernel_sets({"plain": Plain(), "regrouped": Regrouped()}, [Case("axpy[1]", "axpy")], to_numpy=to_numpy)


def test_arrays_that_cannot_be_seen_are_an_error_not_a_pass() -> None:
    with pytest.raises(ConformanceError, match="no array among its arguments or result"):
        check_kernel_sets({"plain": Plain(), "regrouped": Regrouped()}, [Case("axpy[1]", "axpy")])


class TwoKernelBackend(Backend):
    """A fake backend offering two kernel sets that round differently."""

    name: ClassVar[str] = "two_kernels"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def network(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("never built here")

    @staticmethod
    def kernel_sets() -> dict[str, Any]:
        return {"plain": Plain(), "regrouped": Regrouped()}

    @staticmethod
    def kernel_cases(dtype: str) -> list[Case]:
        return [Case(f"axpy[{dtype}]", "axpy")]

    to_numpy = staticmethod(to_numpy)


def test_check_component_compares_a_backends_kernel_sets() -> None:
    with pytest.raises(ConformanceError, match=r"backend 'two_kernels'.*kernel axpy\[float64\]: regrouped differs"):
        check_component(TwoKernelBackend)
