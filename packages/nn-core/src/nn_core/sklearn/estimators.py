"""``NNClassifier`` and ``NNRegressor``: an nn spec where scikit-learn expects an estimator.

Design: the estimator logic lives in plain classes here (``_NNEstimator`` and
its two subclasses), which need nothing but numpy. :func:`estimator_classes`
turns them into the public classes on first use: with scikit-learn installed
they also inherit ``ClassifierMixin``/``RegressorMixin`` and ``BaseEstimator``
(so ``isinstance(est, BaseEstimator)``, tags, HTML repr and scikit-learn's
own ``NotFittedError`` work as its tools expect); without it they are the
plain classes, with the same behaviour. scikit-learn is imported only then,
never when nn_core or nn_core.sklearn is imported.

``fit`` runs exactly what ``nn train`` runs: the spec is validated against
the installed components (third-party plugins included), :func:`nn_core.build`
makes the experiment with the data section replaced by ``X, y``, and
:func:`nn_core.train` trains it; the spec's split, scaling, early stopping,
schedule and callbacks all apply. A fitted estimator is an nn model
(``model_``): ``save`` writes an ordinary model file, which ``nn predict``
reads, and pickling stores that same file's bytes (no pickled objects of nn).
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_core.errors import DataError, NNError
from nn_core.sklearn.inputs import as_targets, check_features, check_finite_targets
from nn_core.sklearn.spec_params import OutputSize, build_spec, seed_from
from nn_core.spec import SpecError

if TYPE_CHECKING:
    from nn_core.plugins import Plugins

PUBLIC_PARAMS = ("spec", "random_state")


class ParameterError(SpecError, ValueError):
    """An estimator parameter (or the spec it names) that nn rejects: one line per problem, naming the parameter."""


class FitDataError(DataError, ValueError):
    """X, y that the spec cannot train on (too few samples for its split, ...): a ValueError, as scikit-learn's
    tools expect of bad data (its checks, ``GridSearchCV(error_score=...)``), and still nn's one-line DataError."""


class NotFittedError(NNError, ValueError, AttributeError):
    """predict (or save) before fit; with scikit-learn installed, also its ``NotFittedError``."""


class ColumnVectorWarning(UserWarning):
    """y of shape (n, 1) where (n,) was expected; scikit-learn's ``DataConversionWarning`` when installed."""


@dataclass(frozen=True)
class _Flavour:
    """What the public classes take from scikit-learn when it is installed, or nn's stand-ins."""

    classifier_bases: tuple[type, ...] = ()
    regressor_bases: tuple[type, ...] = ()
    not_fitted: type[Exception] = NotFittedError
    column_warning: type[Warning] = ColumnVectorWarning


def _default_hidden() -> dict[str, Any]:
    return {"type": "dense", "units": 32, "activation": "relu", "init": "he_normal"}


def _default_spec(name: str, output: dict[str, Any], loss: str, metrics: list[str]) -> dict[str, Any]:
    """A small network that fits a few hundred tabular samples in well under a second."""
    return {
        "name": name,
        "seed": 0,
        "data": {"scale": "standard"},
        "model": {"layers": [_default_hidden(), output]},
        "loss": loss,
        "optimizer": {"type": "adam", "lr": 0.01},
        "training": {"epochs": 200, "batch_size": 32},
        "metrics": metrics,
    }


def _load_plugins() -> Plugins:
    """The installed plugins, loaded afresh as ``nn train`` loads them (nn keeps none process-wide)."""
    from nn_core.plugins import load_plugins

    return load_plugins()


class _NNEstimator:
    """Shared by both estimators: parameters, fit through nn's builder and loop, model files."""

    _flavour: ClassVar[_Flavour] = _Flavour()
    _task: ClassVar[str] = ""

    # Set by fit (scikit-learn's convention: fitted state ends with "_" and is absent before fit).
    model_: Any
    n_iter_: int
    n_features_in_: int
    feature_names_in_: np.ndarray

    def __init__(self, spec: Any = None, *, random_state: Any = None, **overrides: Any) -> None:
        # No validation here (scikit-learn's rule): fit validates, so clone and set_params never fail.
        self.spec = spec
        self.random_state = random_state
        self._overrides = overrides

    # -- parameters ---------------------------------------------------------------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """``spec``, ``random_state`` and every override, by the name it was given."""
        return {"spec": self.spec, "random_state": self.random_state, **self._overrides}

    def set_params(self, **params: Any) -> _NNEstimator:
        """Set ``spec``, ``random_state`` or overrides (``optimizer__lr=0.05``); checked at fit."""
        for key, value in params.items():
            if key in PUBLIC_PARAMS:
                setattr(self, key, value)
            else:
                self._overrides[key] = value
        return self

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.get_params().items() if not (k in PUBLIC_PARAMS and v is None)}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    # -- fitting ------------------------------------------------------------------

    def _targets(self, y: Any, n_samples: int) -> tuple[np.ndarray, tuple[str, ...] | None, dict[str, Any]]:
        """(targets for nn, class names for nn, the default spec's output layer and loss)."""
        raise NotImplementedError

    def _fitted_targets(self, metadata: dict[str, Any]) -> None:
        """Record what predict needs about the targets (``classes_``, ``n_outputs_``)."""
        raise NotImplementedError

    def fit(self, X: Any, y: Any) -> _NNEstimator:
        """Train the spec on X, y as ``nn train`` would train it on its own data section."""
        from nn_core.contracts import Data
        from nn_core.experiment import build
        from nn_core.model import model_from_run
        from nn_core.training import train

        name = type(self).__name__
        X = check_features(self, X, reset=True)
        targets, class_names, default = self._targets(y, len(X))
        names = getattr(self, "feature_names_in_", None)
        arrays: dict[str, Any] = {"samples": len(X), "features": X.shape[1], "source": f"{name}.fit(X, y)"}
        if names is not None:
            arrays["feature_names"] = [str(n) for n in names]
        plugins = _load_plugins()
        try:
            spec = build_spec(
                name,
                self.spec,
                self._overrides,
                default=default,
                arrays=arrays,
                seed=seed_from(self.random_state),
                registry=plugins.registry,
                outputs=self._output_size(),
            )
        except SpecError as exc:
            raise ParameterError(exc.issues) from None
        self._check_outputs(spec, plugins.registry)
        try:
            experiment = build(spec, data=Data(X, targets, class_names), plugins=plugins)
        except DataError as exc:
            if isinstance(exc, ValueError):
                raise
            raise FitDataError(str(exc)) from None
        run = train(experiment, plugins=plugins)
        model = model_from_run(run)
        extra = self._metadata()
        model.metadata["sklearn"] = extra
        self.model_ = model
        self.n_iter_ = run.epoch
        self._fitted_targets(extra)
        return self

    def _check_outputs(self, spec: Any, registry: Any) -> None:
        """The spec's output layer must fit the targets: say which parameter to set, before training."""
        from nn_core.experiment import build_network

        probe = build_network(spec, registry, self.n_features_in_)  # its own RandomState: no draw is shared
        outputs = np.asarray(probe.predict_proba(probe.to_backend(np.zeros((1, self.n_features_in_))))).shape[1]
        expected = self._expected_outputs()
        if outputs not in expected:
            want = " or ".join(str(e) for e in expected)
            raise ValueError(
                f"{type(self).__name__}: the spec's last layer has {outputs} units but the targets need {want} "
                f"(set model__layers__{len(spec.model.layers) - 1}__units)"
            )

    def _expected_outputs(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _output_size(self) -> OutputSize:
        """How a spec's dense output layer is sized to the targets (see :func:`size_output_layer`)."""
        raise NotImplementedError

    def _metadata(self) -> dict[str, Any]:
        names = getattr(self, "feature_names_in_", None)
        return {
            "estimator": type(self).__name__,
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": None if names is None else [str(n) for n in names],
        }

    # -- prediction ---------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise self._flavour.not_fitted(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments "
                "before using this estimator."
            )

    def _outputs(self, X: Any) -> np.ndarray:
        """Output-layer activations for validated X (the model applies the spec's scaling)."""
        self._check_fitted()
        X = check_features(self, X, reset=False)
        return np.asarray(self.model_.predict_proba(X), dtype=np.float64)

    # -- model files and pickling -----------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model as an nn model file (``nn predict``/``nn evaluate --data`` read it)."""
        self._check_fitted()
        self.model_.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Any:
        """A fitted estimator from an nn model file: one this class saved, or one ``nn train -o`` wrote."""
        from nn_core.model import load_model

        return cls._from_model(load_model(path, plugins=_load_plugins()), str(path))

    @classmethod
    def _from_model(cls, model: Any, what: str) -> Any:
        if model.task != cls._task:
            other = "NNClassifier" if model.task == "classification" else "NNRegressor"
            raise NNError(f"{what} holds a {model.task} model; load it with {other}.load (or nn_core.sklearn.load)")
        estimator = cls(spec={k: v for k, v in model.metadata["spec"].items() if k != "data"})
        extra = dict(model.metadata.get("sklearn") or {})
        estimator.model_ = model
        estimator.n_iter_ = int(model.metadata.get("epochs") or 0)
        estimator.n_features_in_ = int(extra.get("n_features_in", model.input_dim))
        if extra.get("feature_names_in"):
            estimator.feature_names_in_ = np.asarray(extra["feature_names_in"], dtype=object)
        estimator._fitted_targets(extra)
        return estimator

    def __getstate__(self) -> dict[str, Any]:
        """Parameters, plus the fitted model as nn model-file bytes: no nn object is pickled."""
        state: dict[str, Any] = {"params": self.get_params()}
        if hasattr(self, "model_"):
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.npz")
                self.model_.save(path)
                with open(path, "rb") as f:
                    state["model_file"] = f.read()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        params = dict(state["params"])
        self.spec = params.pop("spec", None)
        self.random_state = params.pop("random_state", None)
        self._overrides = params
        if "model_file" in state:
            from nn_core.model import load_model

            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.npz")
                with open(path, "wb") as f:
                    f.write(state["model_file"])
                fitted = self._from_model(load_model(path, plugins=_load_plugins()), "the pickled estimator")
            for key in ("model_", "n_iter_", "n_features_in_", "feature_names_in_", "classes_", "n_outputs_"):
                if hasattr(fitted, key):
                    setattr(self, key, getattr(fitted, key))
            for key in ("_targets_2d",):
                if hasattr(fitted, key):
                    setattr(self, key, getattr(fitted, key))


def _weighted_mean(values: np.ndarray, sample_weight: Any) -> float:
    if sample_weight is None:
        return float(np.mean(values))
    return float(np.average(values, weights=np.asarray(sample_weight, dtype=np.float64)))


class _Classifier(_NNEstimator):
    """A classifier whose network is an nn spec; ``predict_proba`` has one column per class."""

    _task = "classification"

    def _targets(self, y: Any, n_samples: int) -> tuple[np.ndarray, tuple[str, ...] | None, dict[str, Any]]:
        name = type(self).__name__
        y = as_targets(y, n_samples, name, self._flavour.column_warning)
        if y.ndim != 1:
            raise ValueError(f"{name} predicts one label per sample; y has shape {y.shape} (multi-output targets)")
        check_finite_targets(y, name)
        if y.dtype.kind in "fc" and not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"Unknown label type: continuous. {name} is a classifier; use NNRegressor for values")
        try:
            classes, indices = np.unique(y, return_inverse=True)
        except TypeError:
            raise ValueError(f"Unknown label type: {name} cannot sort labels of mixed types") from None
        if len(classes) < 2:
            raise ValueError(f"{name} needs at least two classes in y, got one class: {classes[0]!r}")
        self.classes_ = classes
        k = len(classes)
        output = {"type": "dense", "units": 1 if k == 2 else k, "activation": "sigmoid" if k == 2 else "softmax"}
        loss = "binary_cross_entropy" if k == 2 else "categorical_cross_entropy"
        default = _default_spec("nn-classifier", output, loss, ["accuracy"])
        return indices.astype(np.int64), tuple(str(c) for c in classes), default

    def _expected_outputs(self) -> tuple[int, ...]:
        k = len(self.classes_)
        return (1, 2) if k == 2 else (k,)

    def _output_size(self) -> OutputSize:
        k = len(self.classes_)
        return OutputSize(max(k, 2), self._expected_outputs(), frozenset({"softmax"}), sigmoid_to_softmax=k > 2)

    def _metadata(self) -> dict[str, Any]:
        classes = self.classes_
        storable = all(isinstance(c, (str, int, float, bool, np.generic)) for c in classes)
        if classes.dtype.kind not in "biufUO" or not storable:
            raise ValueError(f"{type(self).__name__}: class labels must be numbers or strings to be saved")
        return {**super()._metadata(), "classes": classes.tolist(), "classes_dtype": classes.dtype.str}

    def _fitted_targets(self, metadata: dict[str, Any]) -> None:
        if "classes" in metadata:
            dtype = np.dtype(metadata["classes_dtype"])
            self.classes_ = np.asarray(metadata["classes"], dtype=dtype)
        elif not hasattr(self, "classes_"):  # a model file from `nn train`: its labels, as Model.predict gives them
            names = self.model_.classes
            outputs = self.model_.network.predict_proba(np.zeros((1, self.n_features_in_))).shape[1]
            self.classes_ = np.asarray(self.model_.labels_of(np.arange(len(names) if names else max(outputs, 2))))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class in ``classes_`` order, one column per class (two for binary)."""
        proba = self._outputs(X)
        if proba.shape[1] == 1:  # one sigmoid unit: probability of the second class
            proba = np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
        return proba

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample, as a label from ``classes_``."""
        proba = self.predict_proba(X)  # first: an unfitted estimator has no classes_
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy (weighted by ``sample_weight``), as scikit-learn's classifiers score."""
        return _weighted_mean(self.predict(X) == np.asarray(y).reshape(-1), sample_weight)


class _Regressor(_NNEstimator):
    """A regressor whose network is an nn spec; several outputs when y has several columns."""

    _task = "regression"

    def _targets(self, y: Any, n_samples: int) -> tuple[np.ndarray, tuple[str, ...] | None, dict[str, Any]]:
        name = type(self).__name__
        raw = np.asarray(y) if y is not None else None
        self._targets_2d = raw is not None and raw.ndim == 2 and raw.shape[1] > 1
        y = as_targets(y, n_samples, name, self._flavour.column_warning)
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: y must hold numbers: {exc}") from None
        check_finite_targets(y, name)
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        output = {"type": "dense", "units": self.n_outputs_, "activation": "identity"}
        return y, None, _default_spec("nn-regressor", output, "mse", [])

    def _expected_outputs(self) -> tuple[int, ...]:
        return (self.n_outputs_,)

    def _output_size(self) -> OutputSize:
        return OutputSize(self.n_outputs_, self._expected_outputs(), None)

    def _metadata(self) -> dict[str, Any]:
        return {**super()._metadata(), "n_outputs": self.n_outputs_, "targets_2d": self._targets_2d}

    def _fitted_targets(self, metadata: dict[str, Any]) -> None:
        if "n_outputs" in metadata:
            self.n_outputs_ = int(metadata["n_outputs"])
            self._targets_2d = bool(metadata.get("targets_2d"))
        else:
            outputs = self.model_.network.predict_proba(np.zeros((1, self.n_features_in_))).shape[1]
            self.n_outputs_, self._targets_2d = outputs, outputs > 1

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values: shape (n,) for one target, (n, outputs) when fitted on several columns."""
        values = self._outputs(X)
        return values if self._targets_2d else values[:, 0]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² (coefficient of determination), averaged over outputs, as scikit-learn's regressors score."""
        predicted = self.predict(X).reshape(len(np.asarray(y)), -1)
        truth = np.asarray(y, dtype=np.float64).reshape(predicted.shape)
        weight = np.ones(len(truth)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        weight = weight.reshape(-1, 1)
        residual = (weight * (truth - predicted) ** 2).sum(axis=0)
        mean = np.average(truth, axis=0, weights=weight[:, 0])
        total = (weight * (truth - mean) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1), np.where(residual == 0, 1.0, 0.0))
        return float(np.mean(r2))


_DOC = """{summary}

Parameters
----------
spec : str, path or dict, optional
    A spec file or spec dict (its ``data`` section is replaced by the arrays
    passed to ``fit``; its split, scaling and early stopping still apply).
    None: a small default network ({default}).
random_state : int, RandomState or None
    The spec's ``seed`` (None keeps the spec's own seed): same seed, same data,
    bit-identical weights to ``nn train``.
**overrides
    ``--set``-style spec values with ``__`` for dots, e.g. ``optimizer__lr=0.05``,
    ``model__layers__0__units=64``, ``training__epochs=50``, or whole sections
    (``optimizer={{"type": "adam", "lr": 0.01}}``). Checked at ``fit``.

Attributes
----------
model_ : nn_core.model.Model
    The trained nn model (network, scaling, metadata with the history).
n_iter_ : int
    Epochs trained.
n_features_in_ : int
    Features seen during fit.
feature_names_in_ : ndarray of str
    Column names, when fit was given a DataFrame with string column names.
{attributes}
"""


@functools.cache
def _flavour() -> _Flavour:
    """scikit-learn's base classes and exception types when installed; nn's stand-ins otherwise."""
    try:
        from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
        from sklearn.exceptions import DataConversionWarning
        from sklearn.exceptions import NotFittedError as SklearnNotFitted
    except ImportError:
        return _Flavour()
    not_fitted = type("NotFittedError", (NotFittedError, SklearnNotFitted), {"__module__": __name__})
    # Its checks match the warning by class name: use scikit-learn's own.
    return _Flavour(
        (ClassifierMixin, BaseEstimator), (RegressorMixin, BaseEstimator), not_fitted, DataConversionWarning
    )


def _tags(self: Any) -> Any:
    """scikit-learn's tags: dense numeric input without NaN; regressors take several outputs."""
    tags = super(type(self), self).__sklearn_tags__()
    tags.input_tags.allow_nan = False
    tags.input_tags.sparse = False
    tags.target_tags.required = True
    tags.target_tags.multi_output = self._task == "regression"
    tags.non_deterministic = False
    return tags


@functools.cache
def estimator_classes() -> dict[str, type[_NNEstimator]]:
    """The public ``NNClassifier`` and ``NNRegressor``, made once per process (pickle finds them by name)."""
    flavour = _flavour()
    made: dict[str, type[_NNEstimator]] = {}
    choices: tuple[tuple[str, type[_NNEstimator], tuple[type, ...], str, str, str], ...] = (
        (
            "NNClassifier",
            _Classifier,
            flavour.classifier_bases,
            "A classifier trained by nn from a spec: nn's network where scikit-learn expects an estimator.",
            "32 relu units, then sigmoid or softmax; Adam, lr 0.01, 200 epochs of batches of 32, standard scaling",
            "classes_ : ndarray\n    The class labels, sorted; ``predict_proba`` columns follow them.\n",
        ),
        (
            "NNRegressor",
            _Regressor,
            flavour.regressor_bases,
            "A regressor trained by nn from a spec: nn's network where scikit-learn expects an estimator.",
            "32 relu units, then a linear output per target; Adam, lr 0.01, 200 epochs of batches of 32, "
            "mean squared error, standard scaling of X",
            "n_outputs_ : int\n    Targets per sample.\n",
        ),
    )
    for name, impl, bases, summary, default, attributes in choices:
        namespace: dict[str, Any] = {
            "__module__": "nn_core.sklearn",
            "__qualname__": name,
            "__doc__": _DOC.format(summary=summary, default=default, attributes=attributes),
            "_flavour": flavour,
        }
        if bases:
            namespace["__sklearn_tags__"] = _tags
        made[name] = type(name, (impl, *bases), namespace)
    return made
