"""scikit-learn's own estimator checks on NNClassifier and NNRegressor (needs scikit-learn)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from nn_core.sklearn import NNClassifier, NNRegressor, expected_failed_checks  # noqa: E402

# Few epochs keep the ~100 checks fast; the default network still separates the checks' blobs.
# From spec files too: the tutorials' 2-unit (moons-l2) and 3-unit (moons-3-class) softmax outputs must fit
# the checks' 2-, 3- and 4-class targets (the output layer takes the data's class count).
SPECS = Path(__file__).resolve().parents[1] / "specs"
ESTIMATORS = [
    NNClassifier(training__epochs=60),
    NNRegressor(training__epochs=60),
    NNClassifier(str(SPECS / "moons-l2.yaml"), training__epochs=300),
    NNClassifier(str(SPECS / "moons-3-class.yaml"), training__epochs=100),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        check(estimator)
