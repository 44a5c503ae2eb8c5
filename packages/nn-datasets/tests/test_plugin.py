"""The plugin module: what it registers, its schemas, and how cheap it is to import."""

from __future__ import annotations

import subprocess
import sys

import pytest
from jsonschema import Draft202012Validator

import nn_datasets.plugin
from nn_core.contracts import Dataset
from nn_core.plugins import build_registry, get_plugin_manager
from nn_core.registry import check_component_class

EXPECTED = [
    "blobs",
    "circles",
    "csv",
    "digits",
    "idx",
    "iris",
    "kaggle_mnist",
    "moons",
    "spirals",
    "welch_sleep_study",
]

CLASSES = nn_datasets.plugin.nn_components()


def with_defaults(cls: type[Dataset], **given: object) -> dict:
    """Fill defaults the way nn-core does: from the schema's ``default`` keys."""
    props = cls.params_schema["properties"]
    params = {k: v["default"] for k, v in props.items() if "default" in v}
    params.update(given)
    return params


def test_registers_every_dataset_under_its_name():
    pm = get_plugin_manager(entry_point_group=None, plugins=[(nn_datasets.plugin, "nn-datasets")])
    registry = build_registry(pm)
    assert registry.problems == []
    assert registry.names("dataset") == EXPECTED
    assert all(info.distribution == "nn-datasets" for info in registry.all())


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_schema_is_closed_and_every_optional_parameter_has_a_valid_default(cls):
    check_component_class(cls)
    assert issubclass(cls, Dataset) and cls.kind == "dataset" and cls.backend is None
    schema = cls.params_schema
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    required = set(schema.get("required", []))
    assert required <= set(schema["properties"])
    for key, prop in schema["properties"].items():
        if key not in required:
            assert "default" in prop, f"{cls.name}.{key} has no default"
            Draft202012Validator(prop).validate(prop["default"])
    assert (cls.__doc__ or "").strip(), f"{cls.name} has no docstring"


@pytest.mark.parametrize("cls", [c for c in CLASSES if not c.params_schema.get("required")], ids=lambda c: c.name)
def test_datasets_without_required_parameters_load_with_defaults(cls):
    params = with_defaults(cls)
    Draft202012Validator(cls.params_schema).validate(params)
    data = cls(**params).load()
    assert data.X.ndim == 2 and data.X.dtype.kind == "f" and len(data.X) == len(data.y) > 0


def test_schema_rejects_out_of_range_values():
    from nn_datasets.circles import Circles

    validator = Draft202012Validator(Circles.params_schema)
    assert not validator.is_valid(with_defaults(Circles, factor=1.0))
    assert not validator.is_valid(with_defaults(Circles, noise=-0.1))
    assert not validator.is_valid(with_defaults(Circles, n_samples=0))
    assert not validator.is_valid(with_defaults(Circles, seed=2**32))
    assert not validator.is_valid(with_defaults(Circles, radius=2))
    assert validator.is_valid(with_defaults(Circles, factor=0.0))


def test_importing_the_plugin_pulls_in_no_heavy_library():
    code = (
        "import sys, nn_datasets.plugin as p; p.nn_components();"
        "heavy = [m for m in ('sklearn', 'pandas', 'scipy', 'matplotlib') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_nn_core_conformance_kit_accepts_every_dataset():
    testing = pytest.importorskip("nn_core.testing")
    checked = testing.check_distribution("nn-datasets")
    assert len(checked) == len(EXPECTED)
