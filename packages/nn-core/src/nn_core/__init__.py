"""nn-core: specs, plugin registry, training loop and CLI of the nn framework.

The public surface::

    from nn_core import load_spec, build, train, hookimpl, Component
"""

from __future__ import annotations

from nn_core.component import Component, component_ref
from nn_core.errors import NNError
from nn_core.experiment import Experiment, build
from nn_core.hookspecs import hookimpl
from nn_core.spec import Spec, SpecError, load_spec
from nn_core.training import Run, train

__version__ = "0.1.0"

__all__ = [
    "Component",
    "Experiment",
    "NNError",
    "Run",
    "Spec",
    "SpecError",
    "build",
    "component_ref",
    "hookimpl",
    "load_spec",
    "train",
]
