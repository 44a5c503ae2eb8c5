"""Every check for a component, chosen by its kind; every component of a distribution.

``check_component`` runs :func:`~nn_core.testing.schema.check_schema` and
then the kind's own check: gradients for activations, layers, losses and
regularizers, a quadratic for optimizers, seeded draws for initializers,
finite rates for schedules, binary, softmax and regression inputs for metrics.
Backends, datasets and callbacks are
checked for identity and construction only (loading a dataset may need a
file or a download; a backend is exercised by its layers' tests).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from nn_core.component import Component
from nn_core.registry import ComponentInfo, Registry
from nn_core.testing._common import SEED, call, subject
from nn_core.testing.gradients import check_activation, check_layer, check_loss, check_regularizer
from nn_core.testing.kernels import check_backend
from nn_core.testing.metrics import check_metric
from nn_core.testing.optimizers import check_optimizer
from nn_core.testing.schema import check_schema


def check_initializer(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """``init(shape, rng)``: a float64 numpy array of the shape asked for (2-D weights and
    1-D biases), finite, drawn only from ``rng`` (the same seed draws the same values)."""
    subj = subject(component, registry, params, "initializer")
    draws = []
    for _ in range(2):
        init = subj.new()
        for shape in ((3, 4), (3,), (1, 1)):
            array = call(subj, "__call__", init, shape, np.random.RandomState(SEED))
            if not isinstance(array, np.ndarray) or array.shape != shape or array.dtype != np.float64:
                got = f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
                raise subj.fail(
                    f"asked for shape {shape}, returned {got}; initializers return float64 numpy arrays "
                    "(contract v2: the layer converts them to its dtype and device)"
                )
            if not np.isfinite(array).all():
                raise subj.fail(f"drew non-finite values for shape {shape}")
            draws.append(array)
    if not all(np.array_equal(a, b) for a, b in zip(draws[:3], draws[3:], strict=True)):
        raise subj.fail("is not deterministic under a seed: the same RandomState seed drew different values")


def check_schedule(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """``lr(base_lr, epoch)``: a finite, non-negative Python number, the same for the same arguments."""
    subj = subject(component, registry, params, "schedule")
    first, second = subj.new(), subj.new()
    for epoch in range(50):
        rate = call(subj, f"lr(0.1, {epoch})", first.lr, 0.1, epoch)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not np.isfinite(rate) or rate < 0:
            raise subj.fail(f"lr(0.1, {epoch}) returned {rate!r}; a learning rate is a finite number ≥ 0")
        if rate != second.lr(0.1, epoch):
            raise subj.fail(f"is not deterministic: lr(0.1, {epoch}) differs between two instances")


CHECKS = {
    "activation": check_activation,
    "layer": check_layer,
    "loss": check_loss,
    "optimizer": check_optimizer,
    "regularizer": check_regularizer,
    "initializer": check_initializer,
    "schedule": check_schedule,
    "backend": check_backend,
    "metric": check_metric,
}
"""The behavioural check of each kind; other kinds get :func:`check_schema` only."""


def check_component(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """Every check that applies to ``component``'s kind, with ``params`` over its defaults.

    ``component`` is a class or a :class:`~nn_core.registry.ComponentInfo`
    (what the registry and :func:`components_of` return; failures then name
    its distribution). Nested component references are looked up in
    ``registry`` (default: the installed plugins). Raises
    :class:`~nn_core.testing.ConformanceError`, an ``AssertionError``.
    """
    check_schema(component, registry=registry, **params)
    kind_check = CHECKS.get(getattr(component, "kind", ""))
    if kind_check is not None:
        kind_check(component, registry=registry, **params)


def canonical(distribution: str) -> str:
    """PEP 503 normalized name: 'NN_Example.plugin' and 'nn-example-plugin' compare equal."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def installed_registry() -> Registry:
    """A fresh registry of the installed entry points."""
    from nn_core.plugins import build_registry, get_plugin_manager

    return build_registry(get_plugin_manager())


def components_of_distribution(distribution: str, registry: Registry | None = None) -> list[ComponentInfo]:
    """What ``distribution`` registers (clashing components included), in ``nn plugins`` order.

    Raises ``LookupError`` naming the distributions that do register
    components when it registers none (not installed, or failing to import).
    """
    registry = installed_registry() if registry is None else registry
    wanted = canonical(distribution)
    found = [info for info in registry.all() if canonical(info.distribution) == wanted]
    if not found:
        problems = [str(p) for p in registry.problems if canonical(p.distribution) == wanted]
        others = sorted({info.distribution for info in registry.all()})
        detail = f"; its problems: {'; '.join(problems)}" if problems else ""
        raise LookupError(
            f"distribution {distribution!r} registers no nn component (is it installed, with an entry "
            f"point in group 'nn'?){detail}. Distributions that do: {', '.join(others) or 'none'}"
        )
    return found


def check_registration(distribution: str, registry: Registry | None = None) -> None:
    """``distribution`` imports, registers only valid classes, and clashes with nobody."""
    registry = installed_registry() if registry is None else registry
    wanted = canonical(distribution)
    problems = [str(p) for p in registry.problems if canonical(p.distribution) == wanted]
    for (kind, name, backend), infos in registry.clashes.items():
        if any(canonical(i.distribution) == wanted for i in infos):
            where = f" (backend {backend})" if backend else ""
            message = f"{kind} {name!r}{where} is provided by both {' and '.join(i.provider for i in infos)}"
            if not any(message in p for p in problems):
                problems.append(message)
    if problems:
        raise AssertionError(f"distribution {distribution!r} does not register cleanly: " + "; ".join(problems))


def check_distribution(distribution: str, registry: Registry | None = None) -> list[str]:
    """Registration and every applicable check for every component ``distribution`` registers.

    Runs them all and raises one ``AssertionError`` listing every failure,
    one per line. Returns the components checked, as failures name them.
    """
    registry = installed_registry() if registry is None else registry
    failures: list[str] = []
    try:
        check_registration(distribution, registry)
    except AssertionError as exc:
        failures.append(str(exc))
    infos = components_of_distribution(distribution, registry)
    checked = []
    for info in infos:
        checked.append(f"{info.kind} {info.name!r} ({info.provider})")
        try:
            check_component(info, registry=registry)
        except AssertionError as exc:
            failures.append(str(exc))
        except Exception as exc:  # a caller-side problem (a required parameter the kit cannot guess)
            message = str(exc)
            failures.append(message if message.startswith(checked[-1]) else f"{checked[-1]}: {message}")
    if failures:
        raise AssertionError(f"{len(failures)} conformance failure(s) in {distribution}:\n" + "\n".join(failures))
    return checked
