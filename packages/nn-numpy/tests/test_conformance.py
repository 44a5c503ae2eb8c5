"""nn's plugin conformance kit (nn_core.testing) over every component nn-numpy registers.

The same checks a third-party plugin runs on itself: one test per component
(ids like ``activation-gelu``), found through the installed ``nn`` entry
point as a user's registry would find them, nested references (dense's
activation and initializers) resolved in this package's registry.
"""

from __future__ import annotations

import pytest

from nn_core.registry import ComponentInfo, Registry
from nn_core.testing import check_component, check_registration
from nn_core.testing.pytest_plugin import components_of


@pytest.mark.parametrize("component", components_of("nn-numpy"))
def test_component_conforms(component: ComponentInfo, registry: Registry) -> None:
    check_component(component, registry=registry)


def test_registers_cleanly() -> None:
    check_registration("nn-numpy")
