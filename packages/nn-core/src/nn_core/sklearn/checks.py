"""scikit-learn estimator checks that NNClassifier and NNRegressor are known not to pass, and why.

Pass it on when running the checks::

    @parametrize_with_checks([NNClassifier(...)], expected_failed_checks=expected_failed_checks)
"""

from __future__ import annotations

from typing import Any

_FAILING: dict[str, dict[str, str]] = {"NNClassifier": {}, "NNRegressor": {}}


def expected_failed_checks(estimator: Any) -> dict[str, str]:
    """``{check name: reason}`` for ``estimator`` (empty for anything that is not an nn estimator)."""
    return dict(_FAILING.get(type(estimator).__name__, {}))
