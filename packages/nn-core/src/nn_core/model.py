"""Trained models: save after training, load anywhere, predict on numpy arrays.

A model file holds the network's named arrays (``weights/layers.0.weight``,
``weights/layers.1.running_mean``), the fitted scaling (``preprocess/``) and
metadata: the validated spec with defaults, the components used with the
distributions that provided them, a hash of the training data, class
labels, final metrics and the history. Loading re-validates the stored spec
against what is installed and rebuilds the network from it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from nn_core.contracts import Backend, Network
from nn_core.errors import ModelFileError, NNError
from nn_core.experiment import build_network
from nn_core.modelfile import prefixed, read_archive, section, write_archive
from nn_core.modelmeta import check_classes, check_finite_weights, check_metadata, check_sizes
from nn_core.provenance import check_installed, components_used, environment
from nn_core.registry import Registry
from nn_core.run import Run
from nn_core.scaling import Scaler
from nn_core.spec import Spec, SpecError, load_spec

if TYPE_CHECKING:
    from nn_core.plugins import Plugins


class Model:
    """A trained network with what prediction needs: spec, scaling, class labels."""

    def __init__(self, network: Network, spec: Spec, scaler: Scaler, metadata: dict[str, Any]) -> None:
        self.network = network
        self.spec = spec
        self.scaler = scaler
        self.metadata = metadata

    @property
    def classes(self) -> list[str] | None:
        return self.metadata.get("classes")

    @property
    def task(self) -> str:
        return str(self.metadata.get("task", "classification"))

    @property
    def input_dim(self) -> int:
        return int(self.metadata["input_dim"])

    def _inputs(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.input_dim:
            raise NNError(f"the model expects {self.input_dim} features per sample, got an array of shape {X.shape}")
        return self.scaler.transform(X)

    def outputs(self, X: Any) -> np.ndarray:
        """The output layer's activations as the network computes them (one column for a sigmoid unit)."""
        network = self.network
        return np.asarray(network.predict_proba(network.to_backend(self._inputs(X))), dtype=np.float64)

    def loss(self, X: Any, y: np.ndarray) -> float:
        """The training loss (with weight penalties) on raw features ``X`` and targets ``y``."""
        network = self.network
        return float(network.loss(network.to_backend(self._inputs(X)), network.prepare_targets(y)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class (also for a binary model's single sigmoid unit).

        Columns follow :attr:`classes`, as scikit-learn's ``predict_proba``
        follows ``classes_``. For regression, the outputs themselves.
        """
        outputs = self.outputs(X)
        if self.task == "regression":
            return outputs
        from nn_core.metrics import two_columns

        return two_columns(outputs)

    def predict(self, X: Any) -> np.ndarray:
        """Labels of the type the training data had: integers for integer labels, else the class names.

        Regression models return values (one column per output, or a vector
        for a single output).
        """
        outputs = self.outputs(X)
        if self.task == "regression":
            return outputs[:, 0] if outputs.shape[1] == 1 else outputs
        from nn_core.builtins import predicted_labels

        return self.labels_of(predicted_labels(outputs))

    def labels_of(self, indices: np.ndarray) -> np.ndarray:
        """Class indices to the data's labels: int64 when every class name is an integer, else the names."""
        names = self.classes
        if not names:
            return np.asarray(indices, dtype=np.int64)
        integers = _as_integers(names)
        if integers is not None:
            return integers[indices]
        return np.asarray(names, dtype=object)[indices]

    def summary(self, *, plugins: Plugins | None = None) -> str:
        """Each layer's output width, parameter count and activation, and the total (Keras's ``summary()``)."""
        from nn_core.plugins import resolve
        from nn_core.summary import summarize

        return summarize(self.spec, resolve(plugins).registry, self.input_dim).table()

    def save(self, path: str | os.PathLike[str]) -> None:
        arrays = {**prefixed("weights", self.network.state_arrays()), **prefixed("preprocess", self.scaler.arrays())}
        write_archive(path, "model", arrays, self.metadata)


def _as_integers(names: list[str]) -> np.ndarray | None:
    """``["0", "1", "7"]`` → ``array([0, 1, 7])``; None when any name is not an integer written plainly."""
    try:
        values = [int(name) for name in names]
    except (TypeError, ValueError):
        return None
    if [str(v) for v in values] != list(names):  # "007" or " 1" are names, not numbers
        return None
    return np.asarray(values, dtype=np.int64)


def model_from_run(run: Run) -> Model:
    """The model a finished (or stopped) run has trained, with its metadata."""
    experiment = run.experiment
    spec = experiment.spec
    metadata = {
        "spec": spec.document,
        "seed": spec.seed,
        "backend": spec.backend,
        "dtype": spec.dtype,
        "task": experiment.task,
        "classes": list(experiment.classes) if experiment.classes else None,
        "input_dim": experiment.splits["train"].data.n_features,
        "scaling": experiment.scaler.kind,
        "data_hash": experiment.data_hash,
        "metrics": run.final_metrics,
        "history": run.history,
        "epochs": run.epoch,
        "components": components_used(spec, experiment.registry),
        "environment": {**environment(), **run.blas},
    }
    return Model(experiment.network, spec, experiment.scaler, metadata)


def _provider_record(registry: Registry, kind: str, name: str, backend: str | None) -> dict[str, Any]:
    """The component record (as ``components_used`` writes it) of what is installed now."""
    info = registry.get(kind, name, backend)
    return {
        "kind": kind,
        "name": name,
        "backend": info.backend,
        "distribution": info.distribution,
        "version": info.version,
    }


def _on_present_device(meta: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """A model trained on a device this machine lacks (``cuda`` on a laptop) runs on the
    backend's default device instead; ``trained_on_device`` records the move."""
    spec = meta["spec"]
    device = spec.get("device")
    if not isinstance(device, str):
        return meta
    try:
        backend_cls = registry.get("backend", spec["backend"]).cls
    except LookupError:
        return meta
    if not (isinstance(backend_cls, type) and issubclass(backend_cls, Backend)):
        return meta
    present = backend_cls.devices()
    if device in present:
        return meta
    moved = {k: v for k, v in spec.items() if k != "device"}
    return {**meta, "spec": moved, "trained_on_device": device}


def _on_backend(meta: dict[str, Any], registry: Registry, backend: str | None) -> dict[str, Any]:
    """The file's metadata moved to ``backend`` (None: the recorded backend when it is
    installed, else the default installed one). Model files are backend-portable: the
    weights are numpy arrays by name, and every backend builds the same layers."""
    from nn_core.spec.schema import default_backend

    spec = meta.get("spec")
    if not isinstance(spec, dict):
        return meta
    recorded = spec.get("backend")
    installed = registry.names("backend")
    target = backend
    if target is not None and target not in installed:
        raise NNError(f"--backend {target!r} is not installed (installed backends: {', '.join(sorted(installed))})")
    if target is None:
        if recorded in installed or not isinstance(recorded, str):
            return _on_present_device(meta, registry)
        target = default_backend(registry)
        if target is None or target not in installed:
            return meta
    if target == recorded:
        return _on_present_device(meta, registry)
    moved = {k: v for k, v in spec.items() if k != "device"}
    moved["backend"] = target
    try:
        dtypes = getattr(registry.get("backend", target).cls, "dtypes", ())
    except LookupError:
        dtypes = ()
    if moved.get("dtype") not in dtypes:
        moved.pop("dtype", None)

    def moved_record(record: Any) -> Any:
        if not isinstance(record, dict):
            return record
        if record.get("kind") == "backend" and record.get("name") == recorded:
            return _provider_record(registry, "backend", target, None)  # the backend itself moves too
        return {**record, "backend": target} if record.get("backend") == recorded else record

    components = [moved_record(record) for record in meta.get("components") or []]
    return {**meta, "spec": moved, "components": components, "trained_on_backend": recorded}


def restore_model(
    arrays: dict[str, np.ndarray], meta: dict[str, Any], registry: Registry, what: str, backend: str | None = None
) -> Model:
    """Rebuild a Model from a file's arrays and metadata (models and checkpoints alike).

    ``backend`` picks the backend to run it on (default: the one that trained
    it, or the default installed backend when that one is not installed).
    """
    check_metadata(meta, what)
    meta = _on_backend(meta, registry, backend)
    check_installed(meta.get("components") or [], registry, what)
    try:
        spec = load_spec(meta["spec"], registry=registry)
        input_dim = int(meta["input_dim"])
        weights = section(arrays, "weights")
        check_sizes(spec, input_dim, weights, what)
        check_finite_weights(weights, what)
        network = build_network(spec, registry, input_dim)
        network.load_state_arrays(weights)
        scaler = Scaler.from_arrays(str(meta.get("scaling", "none")), section(arrays, "preprocess"), input_dim)
        outputs = int(np.asarray(network.predict_proba(network.to_backend(np.zeros((1, input_dim))))).shape[1])
        check_classes(meta, outputs, what)
    except SpecError as exc:
        raise ModelFileError(f"{what} holds a spec this installation rejects: {exc.issues[0]}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{what} is inconsistent: {type(exc).__name__}: {exc}") from None
    return Model(network, spec, scaler, meta)


def load_model(
    path: str | os.PathLike[str],
    registry: Registry | None = None,
    *,
    plugins: Plugins | None = None,
    backend: str | None = None,
) -> Model:
    """Load a model file written by ``nn train -o`` or :meth:`Model.save`.

    Components come from ``plugins`` (or an explicit ``registry``; with
    neither, the installed plugins are loaded afresh).
    """
    if registry is None:
        from nn_core.plugins import resolve

        registry = resolve(plugins).registry
    arrays, meta = read_archive(path, "model")
    if "ensemble" in meta:
        from nn_core.ensemble import restore_ensemble

        return restore_ensemble(arrays, meta, registry, f"model file {path}", backend)  # type: ignore[return-value]
    return restore_model(arrays, meta, registry, f"model file {path}", backend)
