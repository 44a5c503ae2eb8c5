"""From a validated spec to an experiment: data splits, network, optimizer.

Every component is looked up by (kind, name, backend) and constructed with
its parameters; nested references (a layer's activation) are constructed
first. Random streams all derive from the spec's seed: initial weights from
``RandomState(seed)`` (so the tutorials' ``np.random.seed(s); randn(...)``
draws reproduce), splits, shuffling and dropout from ``default_rng([seed, k])``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn_core.contracts import Data, Metric, Network, Optimizer, Schedule
from nn_core.registry import Registry
from nn_core.spec.model import ComponentSpec, Spec
from nn_core.splits import split_data


def instantiate(ref: ComponentSpec, registry: Registry, backend: str) -> Any:
    """Construct a component, its nested component parameters first."""
    params = {}
    for key, value in ref.params.items():
        if isinstance(value, ComponentSpec):
            value = instantiate(value, registry, backend)
        elif isinstance(value, tuple) and value and isinstance(value[0], ComponentSpec):
            value = [instantiate(v, registry, backend) for v in value]
        params[key] = value
    return registry.create(ref.kind, ref.type, backend, **params)


@dataclass
class Split:
    """One split's data: raw labels for metrics, backend arrays for the network."""

    data: Data
    X: Any
    Y: Any


@dataclass
class Experiment:
    """Everything training needs, built from one spec."""

    spec: Spec
    registry: Registry
    network: Network
    optimizer: Optimizer
    schedule: Schedule | None
    metrics: dict[str, Metric]
    splits: dict[str, Split]
    classes: tuple[str, ...] | None = None
    components: list[ComponentSpec] = field(default_factory=list)


def load_data(spec: Spec, registry: Registry) -> Data:
    dataset = instantiate(spec.data.dataset, registry, spec.backend)
    return dataset.load()


def build(spec: Spec, registry: Registry | None = None, data: Data | None = None) -> Experiment:
    """Load the data and construct every component of ``spec``."""
    if registry is None:
        from nn_core.plugins import default_registry

        registry = default_registry()
    if data is None:
        data = load_data(spec, registry)
    parts = split_data(data, spec.data.split.dev, spec.data.split.test, spec.seed)

    backend = registry.create("backend", spec.backend)
    layers = [instantiate(layer, registry, spec.backend) for layer in spec.model.layers]
    loss = instantiate(spec.loss, registry, spec.backend)
    regularizer = instantiate(spec.model.regularizer, registry, spec.backend) if spec.model.regularizer else None
    network = backend.network(
        layers,
        loss,
        regularizer,
        input_dim=data.X.shape[1],
        dtype=spec.dtype,
        rng=np.random.RandomState(spec.seed),
    )
    optimizer = instantiate(spec.optimizer, registry, spec.backend)
    optimizer.setup(network.flat_params)
    schedule = instantiate(spec.schedule, registry, spec.backend) if spec.schedule else None
    metrics = {m.type: instantiate(m, registry, spec.backend) for m in spec.metrics}
    splits = {
        name: Split(part, network.to_backend(part.X), network.prepare_targets(part.y))
        for name, part in parts.items()
    }
    return Experiment(spec, registry, network, optimizer, schedule, metrics, splits, data.classes)
