"""Every component this distribution registers keeps its kind's contract (nn_core.testing)."""

from __future__ import annotations

import pytest
from nn_example_plugin import Lion, Swish

from nn_core.registry import ComponentInfo, Registry
from nn_core.testing import check_activation, check_component, check_distribution, check_optimizer
from nn_core.testing.pytest_plugin import components_of

DISTRIBUTION = "nn-example-plugin"


@pytest.mark.parametrize("component", components_of(DISTRIBUTION))
def test_component_conforms(component: ComponentInfo, nn_registry: Registry) -> None:
    check_component(component, registry=nn_registry)


def test_distribution_conforms() -> None:
    # Registration (imports, valid classes, no clash) and every component, in one report.
    checked = check_distribution(DISTRIBUTION)
    assert checked == [
        "activation 'swish' (nn-example-plugin 0.2.0)",
        "optimizer 'lion' (nn-example-plugin 0.2.0)",
    ]


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0, 10.0])
def test_swish_conforms_for_other_betas(beta: float) -> None:
    check_activation(Swish, beta=beta)


@pytest.mark.parametrize("params", [{"weight_decay": 0.1}, {"lr": 0.01, "beta1": 0.5, "beta2": 0.9}])
def test_lion_conforms_with_other_parameters(params: dict[str, float]) -> None:
    check_optimizer(Lion, **params)
