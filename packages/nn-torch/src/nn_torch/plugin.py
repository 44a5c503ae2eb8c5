"""nn-torch's registration: the same ``nn`` entry point a third party uses.

Importing this module stays cheap (``nn plugins``, ``nn validate``): torch
itself is imported on the first tensor operation (see ``nn_torch._lazy``).
Quasi-Newton minimizers (bfgs, lbfgs) are backend-agnostic and come from
nn-numpy (scipy) when it is installed; the torch network hands them numpy
float64 vectors at the minimizer boundary.
"""

from __future__ import annotations

from nn_core.hookspecs import hookimpl
from nn_torch.activations import ACTIVATIONS
from nn_torch.backend import TorchBackend
from nn_torch.layers import LAYERS
from nn_torch.losses import LOSSES
from nn_torch.optimizers import OPTIMIZERS
from nn_torch.regularizers import REGULARIZERS


@hookimpl
def nn_components() -> list[type]:
    return [TorchBackend, *LAYERS, *ACTIVATIONS, *LOSSES, *REGULARIZERS, *OPTIMIZERS]


@hookimpl
def nn_contract_version() -> int:
    return 2


@hookimpl
def nn_exporters() -> list[object]:
    from nn_torch.export import TorchExporter

    return [TorchExporter()]
