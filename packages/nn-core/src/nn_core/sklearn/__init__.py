"""scikit-learn estimators for nn specs: ``NNClassifier`` and ``NNRegressor``.

::

    from nn_core.sklearn import NNClassifier
    clf = NNClassifier("specs/moons-l2.yaml", optimizer__lr=0.05, training__epochs=2000)
    clf.fit(X, y).score(X_test, y_test)

Importing this module never imports scikit-learn; the estimator classes are
made on first access (with scikit-learn's base classes when it is installed:
``pip install nn-core[sklearn]``) and work without it too.
``expected_failed_checks`` lists the scikit-learn estimator checks these
estimators are known not to pass, with the reason, in the shape
``parametrize_with_checks(..., expected_failed_checks=...)`` takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nn_core.sklearn.checks import expected_failed_checks

if TYPE_CHECKING:
    from nn_core.sklearn.estimators import _Classifier as NNClassifier
    from nn_core.sklearn.estimators import _Regressor as NNRegressor


def __getattr__(name: str) -> Any:
    if name in ("NNClassifier", "NNRegressor"):
        from nn_core.sklearn.estimators import estimator_classes

        return estimator_classes()[name]
    raise AttributeError(f"module 'nn_core.sklearn' has no attribute {name!r}")


def load(path: str) -> Any:
    """A fitted NNClassifier or NNRegressor from an nn model file, whichever its task is."""
    from nn_core.model import load_model
    from nn_core.sklearn.estimators import _load_plugins, estimator_classes

    model = load_model(path, plugins=_load_plugins())
    cls = estimator_classes()["NNClassifier" if model.task == "classification" else "NNRegressor"]
    return cls._from_model(model, str(path))


__all__ = ["NNClassifier", "NNRegressor", "expected_failed_checks", "load"]
