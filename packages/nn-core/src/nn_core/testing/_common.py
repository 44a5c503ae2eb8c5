"""What every check shares: how a component is named in a failure, how it is
constructed, and the central-difference gradient."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn_core.component import Component
from nn_core.gradcheck import relative_error
from nn_core.registry import ComponentInfo, Registry

THRESHOLD = 1e-6
"""Largest relative error (float64) a gradient may have against central differences."""

EPS = 1e-6
"""Step of the central differences."""

SEED = 1234
"""Seed of every random input, weight and generator the kit draws."""


class ConformanceError(AssertionError):
    """A component breaks its kind's contract.

    The message starts with the component (kind, name and, when known, the
    distribution that provides it) and says what is off, so a failing test
    needs no traceback to be understood.
    """


def sci(x: float) -> str:
    """1e-06 → '1e-6': thresholds as people write them."""
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def describe_error(error: float) -> str:
    return "nan" if math.isnan(error) else f"{error:.2g}"


def _provider_of(cls: type) -> str | None:
    """'dist version' of the installed distribution that holds ``cls``'s module, if any."""
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    top = cls.__module__.split(".", 1)[0]
    names = packages_distributions().get(top, [])
    if len(names) != 1:
        return None
    try:
        return f"{names[0]} {version(names[0])}"
    except PackageNotFoundError:
        return None


@dataclass
class Subject:
    """The component under test: its class, how failures name it, and what builds it."""

    cls: type[Component]
    label: str
    registry: Registry | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _registry_cache: Registry | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return self.cls.kind

    def lookup_registry(self) -> Registry:
        """The registry nested components (a layer's activation) are found in."""
        if self.registry is not None:
            return self.registry
        if self._registry_cache is None:
            from nn_core.plugins import build_registry, get_plugin_manager

            self._registry_cache = build_registry(get_plugin_manager())
        return self._registry_cache

    @property
    def arrays(self) -> Arrays:
        """Converts between numpy and the component's backend arrays."""
        return arrays_for(self.cls, self.lookup_registry() if self.cls.backend else None)

    def fail(self, what: str) -> ConformanceError:
        return ConformanceError(f"{self.label}: {what}")

    def new(self) -> Any:
        """A fresh instance, with the parameter schema's defaults filled in."""
        from nn_core.testing.schema import construct

        return construct(self)


class Arrays:
    """numpy ↔ a backend's arrays, through the backend's ``from_numpy``/``to_numpy``.

    The kit builds every input in numpy, hands the component backend arrays
    made with :meth:`to_backend`, and reads every result back with
    :meth:`to_numpy`: it never assumes a component's arrays are numpy arrays.
    """

    def __init__(self, backend: Any, device: str = "cpu") -> None:
        self.backend = backend
        self.device = device

    def to_backend(self, array: Any, dtype: Any = None) -> Any:
        array = np.array(array, copy=True)
        name = np.dtype(dtype if dtype is not None else array.dtype).name
        return self.backend.from_numpy(array, name, self.device)

    def to_numpy(self, array: Any) -> np.ndarray:
        result = self.backend.to_numpy(array)
        if not isinstance(result, np.ndarray):
            raise TypeError(f"{self.backend.__name__}.to_numpy returned {type(result).__name__}, not a numpy array")
        return result


def arrays_for(cls: type[Component], registry: Registry | None) -> Arrays:
    """The :class:`Arrays` of ``cls``'s backend (numpy's conversions for backend-agnostic kinds)."""
    from nn_core.contracts import Backend

    backend: Any = Backend
    if cls.backend and registry is not None:
        try:
            backend = registry.get("backend", cls.backend).cls
        except Exception:
            raise ConformanceError(
                f"{cls.kind} {cls.name!r} runs on backend {cls.backend!r}, which is not installed "
                "(the kit converts arrays with the backend's from_numpy/to_numpy)"
            ) from None
    return Arrays(backend, getattr(backend, "default_device", "cpu"))


def subject(
    target: type[Component] | ComponentInfo,
    registry: Registry | None,
    overrides: dict[str, Any],
    kind: str | None = None,
) -> Subject:
    """Resolve what a ``check_*`` function was given into a :class:`Subject`."""
    provider: str | None
    if isinstance(target, ComponentInfo):
        cls, provider = target.cls, target.provider
    elif isinstance(target, type) and issubclass(target, Component):
        cls, provider = target, _provider_of(target)
    else:
        raise TypeError(f"expected a component class or a registry ComponentInfo, got {target!r}")
    label = f"{cls.kind or 'component'} {cls.name!r}"
    if provider:
        label += f" ({provider})"
    if kind is not None and cls.kind != kind:
        raise TypeError(f"check_{kind} needs a {kind}; {label} is a {cls.kind or 'component without kind'}")
    return Subject(cls, label, registry, dict(overrides))


def call(subject: Subject, method: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a component's method; an exception becomes a failure naming component and method."""
    try:
        return fn(*args, **kwargs)
    except ConformanceError:
        raise
    except Exception as exc:
        raise subject.fail(f"{method} raised {type(exc).__name__}: {exc}") from exc


def numeric_gradient(f: Callable[[], float], x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """(f(x + εeⱼ) − f(x − εeⱼ)) / 2ε for every entry j of ``x``, which ``f`` reads in place."""
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numeric_gradient needs a contiguous array")
    grad = np.empty(flat.size, dtype=np.float64)
    for j in range(flat.size):
        original = float(flat[j])
        flat[j] = original + eps
        plus = f()
        flat[j] = original - eps
        minus = f()
        flat[j] = original
        grad[j] = (plus - minus) / (2 * eps)
    return grad.reshape(x.shape)


def gradient_error(analytic: Any, numeric: np.ndarray) -> float:
    """Relative error of an analytic gradient; inf when its shape is wrong."""
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        return math.inf
    return relative_error(analytic, numeric)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 2.0) -> np.ndarray:
    """Random entries with |x| in [low, high): central differences never straddle a kink at 0."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)
