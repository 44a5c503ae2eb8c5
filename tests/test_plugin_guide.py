"""The plugin guide's examples work as written: docs/plugins.md is what third parties code against.

The softsign module (the guide's first Python block) is loaded as a plugin
exactly as printed, checked with the conformance kit and trained; the
``stop_at_loss`` callback block is added to it and stops a run.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from nn_core import build, load_plugins, load_spec, train
from nn_core.testing import check_component

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def guide_plugin() -> types.ModuleType:
    """The softsign module, plus the StopAtLoss callback class, as one plugin module."""
    softsign = next(b for b in BLOCKS if "class Softsign(Activation)" in b)
    callback = next(b for b in BLOCKS if "class StopAtLoss(Callback)" in b)
    module = types.ModuleType("nn_softsign_from_the_guide")
    exec(compile(softsign, str(GUIDE), "exec"), module.__dict__)  # noqa: S102 (our own documentation)
    exec(compile(callback, str(GUIDE), "exec"), module.__dict__)  # noqa: S102
    components = module.nn_components

    def with_callback() -> list[type]:
        return [*components(), module.StopAtLoss]

    module.nn_components = module.hookimpl(with_callback)
    return module


SPEC = {
    "seed": 1,
    "data": {"dataset": {"type": "moons", "n_samples": 200, "noise": 0.1}},
    "model": {
        "layers": [
            {"type": "dense", "units": 8, "activation": "softsign"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ]
    },
    "loss": "binary_cross_entropy",
    "optimizer": {"type": "adam", "lr": 0.05},
    "training": {"epochs": 400, "log_every": 1, "callbacks": [{"type": "stop_at_loss", "target": 0.2}]},
}


def test_the_guides_plugin_registers_conforms_and_trains() -> None:
    plugins = load_plugins(plugins=[(guide_plugin(), "nn-softsign")])
    assert not [p for p in plugins.problems if p.distribution == "nn-softsign"], plugins.problems
    info = plugins.registry.get("activation", "softsign", "numpy")
    check_component(info, registry=plugins.registry)
    check_component(plugins.registry.get("callback", "stop_at_loss"), registry=plugins.registry)
    if not plugins.registry.names("dataset"):
        pytest.skip("training the example needs nn-datasets")
    spec = load_spec(SPEC, plugins=plugins)
    run = train(build(spec, plugins=plugins), plugins=plugins)
    assert run.history[-1]["train"]["loss"] < 0.2 and run.epoch < 400  # the callback stopped it
