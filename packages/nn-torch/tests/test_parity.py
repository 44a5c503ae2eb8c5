"""nn-torch keeps nn-numpy's catalogue: every numpy compute component has a torch twin with the same
parameters and defaults, so a spec runs on either backend by changing ``backend:`` alone. When
someone adds a component or a parameter to nn-numpy, this test names what nn-torch lacks."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from nn_core.plugins import load_plugins  # noqa: E402


def _by_backend(backend: str) -> dict[tuple[str, str], type]:
    registry = load_plugins().registry
    return {
        (kind, name): info.cls
        for (kind, name, owner), info in registry.components.items()
        if owner == backend and kind != "backend"
    }


def test_every_numpy_component_has_a_torch_twin_with_the_same_parameters() -> None:
    numpy_side, torch_side = _by_backend("numpy"), _by_backend("torch")
    assert len(numpy_side) >= 23  # 3 layers, 9 activations, 4 losses, 5 optimizers, 2 regularizers
    missing = sorted(f"{kind} {name}" for kind, name in set(numpy_side) - set(torch_side))
    assert not missing, f"nn-numpy has, nn-torch lacks: {missing}"
    for key, numpy_cls in numpy_side.items():
        numpy_params = numpy_cls.params_schema.get("properties", {})
        torch_params = torch_side[key].params_schema.get("properties", {})
        assert torch_params == numpy_params, f"{key[0]} {key[1]}: parameters differ"
