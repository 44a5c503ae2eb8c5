"""Spec validation: every problem reported, with its path, line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import SPEC

from nn_core.spec import SpecError, load_spec


def issues_of(text: str, tmp_path: Path, registry, overrides=(), name: str = "spec.yaml"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_spec(path, list(overrides), registry)
    return err.value.issues, str(err.value)


def test_valid_spec_gets_defaults_and_normal_form(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    spec = load_spec(spec_file, registry=registry)
    assert spec.training.epochs == 200 and spec.training.batch_size is None
    assert spec.dtype == "float64" and spec.device == "cpu"  # the backend's defaults
    second = spec.document["model"]["layers"][1]
    assert second == {
        "type": "linear",
        "units": 1,
        "activation": {"type": "identity"},
        "init": {"type": "normal", "std": 0.1, "mean": 0.0},  # nn-core's initializer, for any backend
    }
    assert spec.model.layers[0].params["activation"].type == "tanh"
    assert spec.document["data"]["dataset"] == {"type": "line", "n": 20, "classify": False}


def test_out_of_range_value_has_path_and_line(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    issues, message = issues_of(SPEC.replace("units: 1}", "units: -3}"), tmp_path, registry)
    [issue] = issues
    assert str(issue).startswith(f"{tmp_path / 'spec.yaml'}:9:")
    assert "model.layers[1].units" in message
    assert "units: must be at least 1, got -3" in message


def test_unknown_name_offers_closest_installed(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    _, message = issues_of(SPEC.replace("activation: tanh", "activation: tahn"), tmp_path, registry)
    assert "model.layers[0].activation" in message
    assert "unknown activation 'tahn'; did you mean 'tanh'?" in message
    assert "Installed activations: identity, tanh" in message


def test_unknown_type_in_object_form(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    _, message = issues_of(SPEC.replace("{type: descent", "{type: decsent"), tmp_path, registry)
    assert "optimizer.type: unknown optimizer 'decsent'; did you mean 'descent'?" in message


def test_unknown_keys_are_errors_at_every_level(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    text = SPEC.replace("lr: 0.5}", "lr: 0.5, beta3: 1}").replace("metrics: []", "metrics: []\nepochs: 3")
    issues, message = issues_of(text, tmp_path, registry)
    assert len(issues) == 2  # both reported, not just the first
    assert "optimizer.beta3: unknown parameter 'beta3' for descent (allowed: lr, momentum)" in message
    assert "epochs: unknown key 'epochs'" in message
    assert [i.line for i in issues] == [11, 14]


def test_wrong_type_and_missing_required(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    text = SPEC.replace("{type: linear, units: 1}", "{type: linear}").replace("lr: 0.5", "lr: fast")
    issues, message = issues_of(text, tmp_path, registry)
    assert "model.layers[1]: missing required key 'units'" in message
    assert "optimizer.lr: expected a number, got 'fast'" in message


def test_batch_size_integer_or_full(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    _, message = issues_of(SPEC.replace("batch_size: full", "batch_size: all"), tmp_path, registry)
    assert "training.batch_size: expected a positive integer or 'full', got 'all'" in message


def test_yaml_syntax_error_has_line(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    issues, message = issues_of("name: x\nmodel: [unclosed\n", tmp_path, registry)
    assert "invalid YAML" in message and issues[0].line == 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: &x 1\nb: *x\n", "aliases"),
        ("name: x\nname: y\n", "duplicate key"),
        (
            "name: !!python/object/apply:os.system ['echo hi']\n",
            "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
        ),
    ],
)
def test_unsafe_or_ambiguous_yaml_refused(tmp_path: Path, registry, text: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    _, message = issues_of(text, tmp_path, registry)
    assert expected in message


def test_not_a_mapping(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    _, message = issues_of("- 1\n- 2\n", tmp_path, registry)
    assert "a spec must be a mapping" in message


def test_missing_file(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "nope.yaml", registry=registry)


def test_json_spec_errors_have_lines(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    import json

    import yaml

    doc = yaml.safe_load(SPEC)
    doc["model"]["layers"][1]["units"] = 0
    text = json.dumps(doc, indent=2)
    issues, message = issues_of(text, tmp_path, registry, name="spec.json")
    [issue] = issues
    assert issue.line == text.splitlines().index('        "units": 0') + 1
    assert "model.layers[1].units" in message


def test_invalid_json_has_line(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    issues, message = issues_of('{\n  "name": "x",\n}', tmp_path, registry, name="spec.json")
    # Python 3.13 reports the trailing comma itself (line 2), earlier ones the brace after it (line 3).
    assert "invalid JSON" in message and issues[0].line in (2, 3)
