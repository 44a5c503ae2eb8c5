"""nn-torch's registration: the same ``nn`` entry point a third party uses.

Importing this module stays cheap (``nn plugins``, ``nn validate``): torch
itself is imported on the first tensor operation (see ``nn_torch._lazy``).
Quasi-Newton minimizers (bfgs, lbfgs) are backend-agnostic and come from
nn-numpy (scipy) when it is installed; the torch network hands them numpy
float64 vectors at the minimizer boundary.
"""

from __future__ import annotations

import importlib.util

from nn_core.errors import PluginError
from nn_core.hookspecs import hookimpl
from nn_torch.activations import ACTIVATIONS
from nn_torch.backend import TorchBackend
from nn_torch.layers import LAYERS
from nn_torch.losses import LOSSES
from nn_torch.optimizers import OPTIMIZERS
from nn_torch.regularizers import REGULARIZERS


def torch_importable() -> bool:
    """Whether ``import torch`` can work, without importing it (a second saved on every command)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["torch"] is None (import blocked)
        return False


@hookimpl
def nn_components() -> list[type]:
    if not torch_importable():
        # One problem line on every command, and no torch components: a model trained
        # on torch then loads on another installed backend (see nn_core.model).
        raise PluginError("torch is not importable here; pip install 'torch>=2.4' to use the torch backend")
    return [TorchBackend, *LAYERS, *ACTIVATIONS, *LOSSES, *REGULARIZERS, *OPTIMIZERS]


@hookimpl
def nn_contract_version() -> int:
    return 2


@hookimpl
def nn_exporters() -> list[object]:
    from nn_torch.export import TorchExporter

    return [TorchExporter()]
