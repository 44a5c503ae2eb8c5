"""nn-core: specs, plugin registry, training loop and CLI of the nn framework.

The public surface::

    from nn_core import load_plugins, load_spec, build, train, load_model, hookimpl, Component

    plugins = load_plugins()                      # the installed plugins: one explicit object
    spec = load_spec("spec.yaml", plugins=plugins)
    run = train(build(spec, plugins=plugins), plugins=plugins)

Names are imported on first use (PEP 562), so ``nn`` commands and plugins
that need only a few of them start quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from nn_core.component import Component, component_ref
from nn_core.errors import NNError
from nn_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from nn_core.experiment import Experiment, build
    from nn_core.model import Model, load_model
    from nn_core.plugins import Plugins, load_plugins
    from nn_core.spec import Spec, SpecError, load_spec
    from nn_core.training import Run, train

__version__ = "0.2.0"

_LAZY = {
    "Experiment": "nn_core.experiment",
    "build": "nn_core.experiment",
    "Spec": "nn_core.spec",
    "SpecError": "nn_core.spec",
    "load_spec": "nn_core.spec",
    "Model": "nn_core.model",
    "load_model": "nn_core.model",
    "Plugins": "nn_core.plugins",
    "load_plugins": "nn_core.plugins",
    "Run": "nn_core.training",
    "train": "nn_core.training",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nn_core' has no attribute {name!r}")


__all__ = [
    "Component",
    "Experiment",
    "Model",
    "NNError",
    "Plugins",
    "Run",
    "Spec",
    "SpecError",
    "build",
    "component_ref",
    "hookimpl",
    "load_model",
    "load_plugins",
    "load_spec",
    "train",
]
