"""scikit-learn's own estimator checks on NNClassifier and NNRegressor (needs scikit-learn)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from nn_core.sklearn import NNClassifier, NNRegressor, expected_failed_checks  # noqa: E402

# Few epochs keep the ~100 checks fast; the default network still separates the checks' blobs.
ESTIMATORS = [NNClassifier(training__epochs=60), NNRegressor(training__epochs=60)]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        check(estimator)
