"""nn-core's conformance kit over every nn-torch component: the kit reaches torch tensors only
through the backend's ``to_numpy``/``from_numpy``, so this also checks the kit assumes no numpy arrays."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from nn_core.testing import check_component, check_registration  # noqa: E402
from nn_core.testing.pytest_plugin import components_of  # noqa: E402


def test_registers_cleanly() -> None:
    check_registration("nn-torch")


@pytest.mark.parametrize("component", components_of("nn-torch"))
def test_component_conforms(component: type) -> None:
    check_component(component)
