"""From a validated spec to an experiment: data splits, network, optimizer.

Every component is looked up by (kind, name, backend) and constructed with
its parameters; nested references (a layer's activation) are constructed
first. Random streams all derive from the spec's seed: initial weights from
``RandomState(seed)`` (so the tutorials' ``np.random.seed(s); randn(...)``
draws reproduce; a layer needing randomness of its own, like dropout, seeds
its generator with a draw from it), splits and shuffling from
``default_rng([seed, k])``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nn_core.builtins import is_classification
from nn_core.compact import ScaledIntegerData, hash_array, hash_features
from nn_core.contracts import Data, Metric, Network, Optimizer, Schedule, StepOptimizer, TakesScaledIntegers
from nn_core.errors import DataError, NNError
from nn_core.registry import Registry
from nn_core.scaling import Scaler
from nn_core.spec.model import ComponentSpec, Spec
from nn_core.splits import split_data
from nn_core.targets import check_targets

if TYPE_CHECKING:
    from nn_core.plugins import Plugins


def instantiate(ref: ComponentSpec, registry: Registry, backend: str) -> Any:
    """Construct a component, its nested component parameters first."""
    params = {}
    for key, value in ref.params.items():
        if isinstance(value, ComponentSpec):
            value = instantiate(value, registry, backend)
        elif isinstance(value, tuple) and value and isinstance(value[0], ComponentSpec):
            value = [instantiate(v, registry, backend) for v in value]
        params[key] = value
    info = registry.get(ref.kind, ref.type, backend)
    component: Any = info.cls(**params)
    if ref.kind == "initializer":
        from nn_core.initializers import CheckedInitializer

        return CheckedInitializer(component, info.provider)
    return component


def components_of(spec: Spec) -> list[ComponentSpec]:
    """Every component reference in a spec, nested ones included."""
    top = [spec.data.dataset, *spec.model.layers, spec.loss, spec.optimizer, *spec.metrics, *spec.training.callbacks]
    top += [ref for ref in (spec.model.regularizer, spec.schedule) if ref is not None]
    found: list[ComponentSpec] = []

    def walk(ref: ComponentSpec) -> None:
        found.append(ref)
        for value in ref.params.values():
            for sub in value if isinstance(value, tuple) else (value,):
                if isinstance(sub, ComponentSpec):
                    walk(sub)

    for ref in top:
        walk(ref)
    return found


def build_network(spec: Spec, registry: Registry, input_dim: int) -> Network:
    """The spec's network with freshly initialized weights, on the spec's device."""
    backend = registry.create("backend", spec.backend)
    present = type(backend).devices()
    if spec.device not in present:
        raise NNError(
            f"{spec.device_location}device: {spec.device!r} is not available on this machine "
            f"for backend {spec.backend!r} "
            f"(available: {', '.join(present)})"
        )
    layers = [instantiate(layer, registry, spec.backend) for layer in spec.model.layers]
    loss = instantiate(spec.loss, registry, spec.backend)
    regularizer = instantiate(spec.model.regularizer, registry, spec.backend) if spec.model.regularizer else None
    return backend.network(
        layers,
        loss,
        regularizer,
        input_dim=input_dim,
        dtype=spec.dtype,
        device=spec.device,
        rng=np.random.RandomState(spec.seed),
    )


@dataclass
class Split:
    """One split's data (scaled): raw labels for metrics, backend arrays for the network."""

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
    scaler: Scaler
    classes: tuple[str, ...] | None = None
    data_hash: str = ""

    @property
    def task(self) -> str:
        return "classification" if is_classification(self.splits["train"].data.y) else "regression"


def build_metrics(spec: Spec, registry: Registry, y: np.ndarray) -> dict[str, Metric]:
    """The spec's metrics for targets ``y``. On regression targets the default
    ``accuracy`` is left out (the schema's default is written for classifiers,
    and an accuracy of regression values is a number that means nothing)."""
    return {
        m.type: instantiate(m, registry, spec.backend)
        for m in spec.metrics
        if is_classification(y) or m.type != "accuracy"
    }


def load_data(spec: Spec, registry: Registry) -> Data:
    dataset = instantiate(spec.data.dataset, registry, spec.backend)
    dataset.feature_dtype = spec.dtype
    name = spec.data.dataset.type
    data = dataset.load()
    check_loaded(data, name)
    return data


def check_loaded(data: Data, name: str) -> None:
    """What every dataset promises (docs/plugins.md, datasets), checked once per load: a
    third-party dataset's slip becomes one line at ``data.dataset``, not a misleading
    error later (NaN features read as "try a smaller learning rate") or a silent one
    (boolean labels trained as regression)."""
    where = f"data.dataset ({name})"
    if not isinstance(data, Data):
        raise DataError(f"{where}: load() returned {type(data).__name__}, not nn_core.contracts.Data")
    # compact data is checked on its integers: every integer is finite, and X is made only when used
    X, y = (data.raw if isinstance(data, ScaledIntegerData) else data.X), data.y
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise DataError(f"{where}: features must be numbers, got dtype {X.dtype}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():  # integers are finite: no dataset-sized mask for them
        row, col = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise DataError(f"{where}: features must be finite, got {X[row, col]} at row {row}, column {col}")
    if y.dtype == np.bool_:
        raise DataError(f"{where}: labels are booleans; give integer labels 0/1 (y.astype(np.int64))")
    if not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)):
        raise DataError(f"{where}: targets must be integer labels or float values, got dtype {y.dtype}")
    if not is_classification(y):
        if data.classes is not None:
            raise DataError(
                f"{where}: class names are given but the targets are {y.dtype} of shape {y.shape}, which mark "
                "regression; give integer labels (samples,) for classification"
            )
        if not np.isfinite(y).all():
            raise DataError(f"{where}: regression targets must be finite")
    elif len(y) and (y.min() < 0 or (data.classes is not None and y.max() >= len(data.classes))):
        names = f" for {len(data.classes)} class names" if data.classes is not None else ""
        raise DataError(f"{where}: labels must be 0 .. classes-1{names}, got {y.min()} .. {y.max()}")


def data_hash(data: Data) -> str:
    """sha256 of features and targets: which data a model was trained on."""
    digest = hashlib.sha256()
    hash_features(data, digest)
    hash_array(digest, data.y)
    return "sha256:" + digest.hexdigest()


def make_splits(
    spec: Spec, data: Data, network: Network, scaler: Scaler | None = None
) -> tuple[dict[str, Split], Scaler]:
    parts = split_data(data, spec.data.split.dev, spec.data.split.test, spec.seed)
    if scaler is None:
        train, kind = parts["train"], spec.data.scale
        scaler = Scaler.identity(train.n_features) if kind == "none" else Scaler.fit(kind, train.X)
    splits = {}
    for name, part in parts.items():
        if _compact(spec, part, network, scaler, name):
            assert isinstance(part, ScaledIntegerData) and isinstance(network, TakesScaledIntegers)
            X = network.to_backend_scaled(part.raw, part.divisor)
            splits[name] = Split(part, X, network.prepare_targets(part.y))
            continue
        scaled = Data(scaler.transform(part.X), part.y, part.classes)
        splits[name] = Split(scaled, network.to_backend(scaled.X), network.prepare_targets(scaled.y))
    return splits, scaler


def _compact(spec: Spec, part: Data, network: Network, scaler: Scaler, name: str) -> bool:
    """Whether ``part`` goes to the network as its integers (nn_core.compact): compact data, nothing else
    to scale, a network that takes them in the spec's dtype, and, for the training split, minibatches
    (a full batch is read whole at every step, which would scale all of it every time)."""
    if not (isinstance(part, ScaledIntegerData) and isinstance(network, TakesScaledIntegers)):
        return False
    if scaler.kind != "none" or part.dtype != np.dtype(spec.dtype):
        return False
    batch = spec.training.batch_size
    return name != "train" or (batch is not None and batch < len(part.y))


def build(
    spec: Spec, registry: Registry | None = None, data: Data | None = None, *, plugins: Plugins | None = None
) -> Experiment:
    """Load the data and construct every component of ``spec``.

    Components come from ``plugins`` (a :class:`nn_core.plugins.Plugins`) or
    an explicit ``registry``; with neither, the installed plugins are loaded
    afresh.
    """
    if registry is None:
        from nn_core.plugins import resolve

        registry = resolve(plugins).registry
    if data is None:
        data = load_data(spec, registry)
    network = build_network(spec, registry, data.n_features)
    if len(data.y):
        outputs = int(np.asarray(network.predict_proba(network.to_backend(data.head(1)))).shape[1])
        targets = getattr(registry.get("loss", spec.loss.type, spec.backend).cls, "targets", None)
        check_targets(spec, data, outputs, targets)
        _refuse_unbounded_outputs(spec, registry)
    splits, scaler = make_splits(spec, data, network)
    optimizer = instantiate(spec.optimizer, registry, spec.backend)
    clip_norm, clip_value = spec.training.clip_norm, spec.training.clip_value
    if clip_norm is not None or clip_value is not None:
        if not isinstance(optimizer, StepOptimizer):
            which = "training.clip_norm" if clip_norm is not None else "training.clip_value"
            raise NNError(
                f"{which}: {spec.optimizer.type} minimizes the full-batch loss with line searches, where clipping "
                "does not apply; use a step optimizer (sgd, adam, ...) or remove it"
            )
        from nn_core.clipping import ClippedOptimizer

        optimizer = ClippedOptimizer(optimizer, norm=clip_norm, value=clip_value)
    if isinstance(optimizer, StepOptimizer):
        network.setup_optimizer(optimizer)
    else:
        _refuse_step_only_settings(spec, len(splits["train"].data.y))
    schedule = instantiate(spec.schedule, registry, spec.backend) if spec.schedule else None
    metrics = build_metrics(spec, registry, data.y)
    return Experiment(
        spec, registry, network, optimizer, schedule, metrics, splits, scaler, data.classes, data_hash(data)
    )


def _refuse_step_only_settings(spec: Spec, n_train: int) -> None:
    """A closure minimizer (bfgs, lbfgs) would silently ignore a schedule or mini-batches: refuse them."""
    kind = spec.optimizer.type
    if spec.schedule is not None:
        raise NNError(
            f"schedule: {kind} chooses its own step lengths by line search, so a learning-rate schedule does not "
            "apply; use a step optimizer (sgd, adam, ...) or remove it"
        )
    batch = spec.training.batch_size
    if batch is not None and batch < n_train:
        raise NNError(
            f"training.batch_size: {kind} minimizes the full-batch loss, so batches of {batch} (of {n_train} "
            "training samples) do not apply; use batch_size: full or a step optimizer (sgd, adam, ...)"
        )


UNBOUNDED_ACTIVATIONS = frozenset({"identity", "relu", "leaky_relu", "elu", "gelu", "softplus"})
"""Built-in activations whose outputs leave [0, 1]: a cross-entropy of them is no loss at all (it goes negative)."""


def _refuse_unbounded_outputs(spec: Spec, registry: Registry) -> None:
    """Cross-entropy on outputs that are not probabilities trains silently to nonsense (a negative loss, exit 0)."""
    loss = registry.get("loss", spec.loss.type, spec.backend).cls
    expected = getattr(loss, "fused_activation", None)
    if expected is None or getattr(loss, "targets", None) not in ("binary", "classes"):
        return
    last = len(spec.model.layers) - 1
    activation = spec.model.layers[last].params.get("activation")
    name = getattr(activation, "type", activation)
    if name in UNBOUNDED_ACTIVATIONS:
        raise NNError(
            f"model.layers[{last}].activation is {name}, whose outputs are not probabilities, but "
            f"{spec.loss.type} takes probabilities: use activation {expected} in the last layer"
        )
