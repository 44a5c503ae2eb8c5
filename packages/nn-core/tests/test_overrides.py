"""``--set`` overrides: applied before validation, errors name the override."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn_core.spec import SpecError, load_spec
from nn_core.spec.overrides import parse_path


def test_parse_path_forms() -> None:
    assert parse_path("model.layers[1].units") == ("model", "layers", 1, "units")
    assert parse_path("model.layers.1.units") == ("model", "layers", 1, "units")
    with pytest.raises(ValueError):
        parse_path("model..[x]")


def test_values_are_yaml_scalars(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    spec = load_spec(
        spec_file,
        ["training.epochs=7", "optimizer.lr=1e-2", "model.layers[0].activation=identity", "dtype=float32"],
        registry,
    )
    assert spec.training.epochs == 7
    assert spec.optimizer.params["lr"] == 0.01
    assert spec.model.layers[0].params["activation"].type == "identity"
    assert spec.dtype == "float32"


def test_parameter_of_bare_component_name(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    text = spec_file.read_text().replace("{type: descent, lr: 0.5}", "descent")
    spec_file.write_text(text)
    spec = load_spec(spec_file, ["optimizer.lr=0.3"], registry)
    assert spec.document["optimizer"] == {"type": "descent", "lr": 0.3, "momentum": 0.0}


def test_invalid_override_value_names_the_override(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as err:
        load_spec(spec_file, ["model.layers[1].units=-3"], registry)
    assert str(err.value) == ("(--set model.layers[1].units=-3): model.layers[1].units: must be at least 1, got -3")


@pytest.mark.parametrize("bad", ["noequals", "model.layers[9].units=3", "=3"])
def test_malformed_overrides(spec_file: Path, registry, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match="--set"):
        load_spec(spec_file, [bad], registry)
