"""The ``nn`` command: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from nn_core import plugins
from nn_core.cli import main
from nn_core.plugins import build_registry, get_plugin_manager


def test_validate_ok(spec_file: Path, installed, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(spec_file)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_error_is_one_line_per_problem_without_traceback(spec_file: Path, installed, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["validate", str(spec_file), "--set", "model.layers[1].units=-3", "--set", "loss=half_squarez"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("nn: error: ") for line in lines)
    assert "model.layers[1].units" in err and "did you mean 'half_squares'?" in err
    assert "Traceback" not in err


def test_train_json_last_line(spec_file: Path, installed, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out_path = tmp_path / "model.nnm"
    assert main(["train", str(spec_file), "-q", "--json", "-o", str(out_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["epochs"] == 200 and result["train_seconds"] > 0
    assert result["train"]["loss"] < 0.01
    assert out_path.exists() and not list(tmp_path.glob(".model.nnm.*"))  # exactly PATH, no temp left


def test_plugins_json(installed, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {(c["kind"], c["name"]): c for c in data["components"]}
    assert rows[("layer", "linear")]["distribution"] == "nn-fake"
    assert rows[("layer", "linear")]["backend"] == "fake"
    assert rows[("metric", "accuracy")]["distribution"] == "nn-core"


def test_schema_is_a_valid_json_schema(installed, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["schema", "--backend", "fake"]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["activation"]["then"]["enum"] == ["identity", "tanh"]


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pm = get_plugin_manager(entry_point_group=None)
    monkeypatch.setattr(plugins, "load_plugins", lambda *a, **k: plugins.Plugins(pm, build_registry(pm)))


def test_no_plugins_plugins_and_schema_work(nothing_installed, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["plugins"]) == 0
    assert "no components installed" in capsys.readouterr().out
    assert main(["schema"]) == 0
    Draft202012Validator.check_schema(json.loads(capsys.readouterr().out))


def test_no_plugins_train_says_no_backend(nothing_installed, spec_file: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["train", str(spec_file)]) == 1
    err = capsys.readouterr().err
    assert "no nn backend is installed" in err and "pip install -e packages/nn-numpy" in err


def test_internal_errors_are_reported_briefly(spec_file: Path, installed, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import nn_core.experiment

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(nn_core.experiment, "build", boom)
    assert main(["train", str(spec_file)]) == 3
    assert "internal error: ZeroDivisionError: oops" in capsys.readouterr().err
