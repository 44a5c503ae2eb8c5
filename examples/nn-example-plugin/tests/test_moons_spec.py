"""The example spec: installed components resolve by name, the gradients check, it trains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nn_core import build, load_spec, train
from nn_core.cli import main
from nn_core.gradcheck import check_gradients
from nn_core.plugins import build_registry, get_plugin_manager
from nn_core.registry import Registry

SPEC = Path(__file__).resolve().parents[1] / "specs" / "moons-swish-lion.yaml"


@pytest.fixture
def registry(nn_registry: Registry) -> Registry:
    if not nn_registry.names("dataset"):
        pytest.fail("these tests need nn-datasets installed (pip install './examples/nn-example-plugin[test]')")
    return nn_registry


def test_registered_through_the_entry_point(nn_registry: Registry) -> None:
    for kind, name in (("activation", "swish"), ("optimizer", "lion")):
        info = nn_registry.get(kind, name, "numpy")
        assert (info.distribution, info.version) == ("nn-example-plugin", "0.2.0")
        assert info.plugin == "nn-example-plugin:nn-example-plugin"


def test_written_for_plugin_contract_v2() -> None:
    from nn_example_plugin import Lion, plugin

    from nn_core.contracts import CONTRACT_VERSION, StepOptimizer

    assert plugin.nn_contract_version() == CONTRACT_VERSION == 2
    assert issubclass(Lion, StepOptimizer)


def test_resumes_bit_identically_with_lions_momentum_in_the_checkpoint(registry: Registry, tmp_path: Path) -> None:
    from nn_core.checkpoint import load_checkpoint, restore
    from nn_core.modelfile import section

    ckpt = tmp_path / "ckpt"
    overrides = ["training.epochs=6", "training.log_every=3", f"training.checkpoint={{dir: {ckpt}, every: 3}}"]
    spec = load_spec(SPEC, overrides, registry)
    straight = train(build(spec, registry))
    arrays, meta = load_checkpoint(ckpt / "epoch-000003.ckpt")
    assert set(section(arrays, "optimizer")) == {"m"}  # Lion's momentum, a numpy array by name
    experiment = build(spec, registry)
    resumed = train(experiment, resume=restore(experiment, arrays, meta, str(ckpt / "epoch-000003.ckpt")))
    a, b = straight.experiment.network.state_arrays(), resumed.experiment.network.state_arrays()
    assert all((a[name] == b[name]).all() for name in a)


def test_nn_plugins_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out.splitlines()[-1])
    ours = {(c["kind"], c["name"]) for c in listing["components"] if c["distribution"] == "nn-example-plugin"}
    assert ours == {("activation", "swish"), ("optimizer", "lion")}
    assert not [p for p in listing["problems"] if "nn-example-plugin" in p]


def test_schema_offers_the_parameters(registry: Registry) -> None:
    from nn_core.spec.schema import compose_schema

    composed = compose_schema(registry)
    assert composed.params["activation"]["swish"]["properties"]["beta"]["default"] == 1.0
    assert set(composed.params["optimizer"]["lion"]["properties"]) == {"lr", "beta1", "beta2", "weight_decay"}


def test_spec_passes_gradient_check(registry: Registry) -> None:
    experiment = build(load_spec(SPEC, registry=registry), registry)
    result = check_gradients(experiment, samples=8)
    assert result.passed, result.parameters


def test_spec_trains(registry: Registry) -> None:
    experiment = build(load_spec(SPEC, registry=registry), registry)
    pm = get_plugin_manager()  # a fresh manager: lifecycle hooks of the installed plugins
    run = train(experiment, pm=pm)
    first, last = run.history[0], run.final_metrics
    assert last["train"]["loss"] < first["train"]["loss"] / 4
    assert last["dev"]["accuracy"] >= 0.95


def test_validation_fails_without_the_plugin() -> None:
    # What a user without nn-example-plugin sees: the installed names, not a traceback.
    from nn_core.spec import SpecError

    pm = get_plugin_manager()
    pm.unregister(name="nn-example-plugin:nn-example-plugin")
    without = build_registry(pm)
    with pytest.raises(SpecError, match="unknown activation 'swish'.*Installed activations: .*tanh"):
        load_spec(SPEC, registry=without)
