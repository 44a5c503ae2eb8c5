"""Kernel sets against each other: a backend with several must get the same bits from each.

A backend may offer interchangeable implementations of its arithmetic (nn-numpy:
plain numpy, or numba-compiled fused loops). If it declares them, with
``kernel_sets() -> {name: kernels}`` and ``kernel_cases(dtype) -> [case]``
(each case a ``label``, a ``kernel`` method name and a ``make()`` building
fresh ``(args, kwargs)``), this check runs every case through every set and
requires every array argument and the return value to match the first set's
bit for bit: the same signed zeros, the same infinities, nan in the same
places (a nan's payload bits are not compared). Then a checkpoint written
under one set resumes identically under another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from nn_core.component import Component
from nn_core.registry import ComponentInfo, Registry
from nn_core.testing._common import ConformanceError, subject


def _arrays(value: Any, to_numpy: Callable[[Any], np.ndarray] | None) -> list[np.ndarray]:
    """The arrays in an argument, a return value or a tuple of them, as numpy arrays.

    With ``to_numpy`` (the backend's converter), anything with a ``shape`` counts as an array.
    """
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple | list):
        return [a for v in value for a in _arrays(v, to_numpy)]
    if to_numpy is not None and hasattr(value, "shape"):
        return [np.asarray(to_numpy(value))]
    return []


def first_difference(a: np.ndarray, b: np.ndarray) -> str | None:
    """Where two arrays differ bitwise (nan payloads aside), or None when identical."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"shape/dtype {a.shape} {a.dtype} vs {b.shape} {b.dtype}"
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    bits = np.dtype(f"u{a.dtype.itemsize}")
    differ = (nan_a != nan_b) | (~nan_a & ~nan_b & (a.view(bits) != b.view(bits)))
    if not differ.any():
        return None
    at = tuple(int(i) for i in np.argwhere(differ)[0])
    return f"{int(differ.sum())} of {a.size} entries differ, first at {at}: {a[at]!r} vs {b[at]!r}"


def check_kernel_sets(
    sets: Mapping[str, Any],
    cases: Iterable[Any],
    *,
    to_numpy: Callable[[Any], np.ndarray] | None = None,
    scratch_names: tuple[str, ...] = ("scratch",),
) -> int:
    """Run each case through every kernel set; raise ConformanceError on the first bitwise difference.

    Keyword arguments named in ``scratch_names`` are working memory, not results, and are not compared.
    ``to_numpy`` converts a backend's own arrays. A case with no array to compare is an error, never a
    silent pass. Returns the number of cases checked.
    """
    names = list(sets)
    checked = 0
    for case in cases:
        results = []
        for name in names:
            args, kwargs = case.make()
            with np.errstate(all="ignore"):  # edge values overflow on purpose, alike in every set
                returned = getattr(sets[name], case.kernel)(*args, **kwargs)
            compared = [*args, *(v for k, v in kwargs.items() if k not in scratch_names), returned]
            results.append([a for v in compared for a in _arrays(v, to_numpy)])
        if not results[0]:
            raise ConformanceError(f"kernel {case.label}: no array among its arguments or result to compare")
        reference = results[0]
        for name, arrays in zip(names[1:], results[1:], strict=True):
            for index, (a, b) in enumerate(zip(reference, arrays, strict=True)):
                where = first_difference(a, b)
                if where is not None:
                    raise ConformanceError(
                        f"kernel {case.label}: {name} differs from {names[0]} in array {index}: {where}"
                    )
        checked += 1
    return checked


def check_backend_kernels(backend: Any, dtypes: Iterable[str] | None = None) -> int:
    """Run :func:`check_kernel_sets` for a backend class that declares ``kernel_sets`` and ``kernel_cases``.

    A backend that declares none, or only one set installed, has nothing to compare: returns 0.
    """
    if not hasattr(backend, "kernel_sets") or not hasattr(backend, "kernel_cases"):
        return 0
    sets = backend.kernel_sets()
    if len(sets) < 2:
        return 0
    declared: Iterable[str] = getattr(backend, "dtypes", ("float64", "float32"))
    chosen = tuple(dtypes) if dtypes is not None else tuple(declared)
    to_numpy = getattr(backend, "to_numpy", None)
    checked = 0
    for dtype in chosen:
        checked += check_kernel_sets(sets, backend.kernel_cases(dtype), to_numpy=to_numpy)
    return checked


def check_backend(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """The conformance kit's check for backends: their kernel sets agree bit for bit, if they declare several.

    Failures name the backend and its distribution.
    """
    subj = subject(component, registry, params, "backend")
    try:
        check_backend_kernels(subj.cls)
    except ConformanceError as exc:
        raise subj.fail(str(exc)) from exc
