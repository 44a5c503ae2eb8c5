"""Checking what a program passes to ``fit``/``predict``: numpy only, scikit-learn's messages.

The estimators must work without scikit-learn, so this does not call
``sklearn.utils.validation``; it raises the same exception types with
messages containing what scikit-learn's estimator checks look for
("X has 1 features, but NNClassifier is expecting 4 features as input",
"Input X contains NaN"), so one code path serves both.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def _is_sparse(X: Any) -> bool:
    return hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse")


def feature_names(X: Any) -> np.ndarray | None:
    """Column names of a DataFrame-like X when all are strings (scikit-learn's rule), else None."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray(list(columns), dtype=object)
    strings = [isinstance(name, str) for name in names]
    if names.size and all(strings):
        return names
    if any(strings):
        raise TypeError(
            "Feature names are only supported if all input features have string names, but your input has "
            f"{sorted({type(n).__name__ for n in names})} as feature name / column name types; convert them all "
            "to strings, e.g. X.columns = X.columns.astype(str)"
        )
    return None


def as_features(X: Any, estimator: str, what: str = "X") -> np.ndarray:
    """A finite float64 (samples, features) array with at least one sample and one feature."""
    if X is None:
        raise ValueError(f"{estimator} requires {what} to be passed, but {what} is None")
    if _is_sparse(X):
        raise TypeError(f"{estimator}: sparse data was passed for {what}, but dense data is required; use X.toarray()")
    try:
        array = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{estimator}: {what} is not an array of numbers: {exc}") from None
    if np.iscomplexobj(array):
        raise ValueError(f"{estimator}: Complex data not supported in {what}")
    if array.dtype.kind in "OUS":
        try:
            array = array.astype(np.float64)
        except TypeError as exc:  # an object that is no number at all (a dict, None)
            raise TypeError(f"{estimator}: {what} must hold numbers: {exc}") from None
        except ValueError as exc:  # text that is no number
            raise ValueError(f"{estimator}: {what} must hold numbers: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{estimator}: {what} has dtype {array.dtype}; expected numbers")
    if array.ndim != 2:
        hint = " Reshape your data either using array.reshape(-1, 1) if your data has a single feature or "
        hint += "array.reshape(1, -1) if it contains a single sample."
        raise ValueError(f"{estimator}: expected a 2D array for {what}, got an array of shape {array.shape}.{hint}")
    if array.shape[0] == 0:
        raise ValueError(
            f"{estimator}: Found array with 0 sample(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    if array.shape[1] == 0:
        raise ValueError(
            f"{estimator}: Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    array = np.array(array, dtype=np.float64, order="C", copy=True)  # never a view of the caller's data
    if not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "infinity"
        raise ValueError(f"{estimator}: Input {what} contains {bad}; nn cannot train on or predict for it")
    return array


def check_features(estimator: Any, X: Any, reset: bool) -> np.ndarray:
    """Validate X; on fit (``reset``) record ``n_features_in_``/``feature_names_in_``, else compare with them."""
    name = type(estimator).__name__
    names = feature_names(X)
    array = as_features(X, name)
    if reset:
        estimator.n_features_in_ = array.shape[1]
        if names is not None:
            estimator.feature_names_in_ = names
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return array
    _compare_names(name, getattr(estimator, "feature_names_in_", None), names)
    expected = estimator.n_features_in_
    if array.shape[1] != expected:
        raise ValueError(f"X has {array.shape[1]} features, but {name} is expecting {expected} features as input.")
    return array


def _compare_names(estimator: str, fitted: np.ndarray | None, given: np.ndarray | None) -> None:
    """scikit-learn's feature-name rules, with its messages (its checks match them)."""
    if fitted is None and given is None:
        return
    if fitted is None and given is not None:
        warnings.warn(f"X has feature names, but {estimator} was fitted without feature names", stacklevel=4)
        return
    if given is None:
        warnings.warn(
            f"X does not have valid feature names, but {estimator} was fitted with feature names", stacklevel=4
        )
        return
    assert fitted is not None
    if len(fitted) == len(given) and np.all(fitted == given):
        return
    message = "The feature names should match those that were passed during fit.\n"
    unexpected = sorted(set(given) - set(fitted))
    missing = sorted(set(fitted) - set(given))

    def listed(names: list[str]) -> str:
        lines = [f"- {n}\n" for n in names[:5]]
        return "".join(lines) + ("- ...\n" if len(names) > 5 else "")

    if unexpected:
        message += "Feature names unseen at fit time:\n" + listed(unexpected)
    if missing:
        message += "Feature names seen at fit time, yet now missing:\n" + listed(missing)
    if not unexpected and not missing:
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ValueError(message)


def as_targets(y: Any, n_samples: int, estimator: str, column_warning: type[Warning]) -> np.ndarray:
    """y as an array of n_samples rows; a (n, 1) column becomes 1-D with scikit-learn's warning."""
    if y is None:
        raise ValueError(f"{estimator} requires y to be passed, but the target y is None")
    if _is_sparse(y):
        raise TypeError(f"{estimator}: sparse y is not supported; pass a dense array")
    array = np.asarray(y)
    if array.ndim == 0 or array.ndim > 2:
        raise ValueError(f"{estimator}: y should be a 1d array (or 2d for several outputs), got shape {array.shape}")
    if len(array) != n_samples:
        raise ValueError(
            f"{estimator}: Found input variables with inconsistent numbers of samples: X has {n_samples}, "
            f"y has {len(array)}"
        )
    if array.ndim == 2 and array.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y to "
            "(n_samples, ), for example using ravel().",
            column_warning,
            stacklevel=3,
        )
        array = array[:, 0]
    return array


def check_finite_targets(y: np.ndarray, estimator: str) -> None:
    if y.dtype.kind in "fc" and not np.isfinite(y).all():
        bad = "NaN" if np.isnan(y).any() else "infinity"
        raise ValueError(f"{estimator}: Input y contains {bad}")
