"""nn-numpy's registration: the same ``nn`` entry point a third party uses.

Importing this module must stay cheap (``nn plugins``, ``nn validate``):
scipy is imported only inside the methods that need it. Initializers and
schedules are nn-core's (one set for every backend); bfgs and lbfgs are
registered here for every backend (``backend = None``), since they need scipy.
"""

from __future__ import annotations

from nn_core.contracts import CONTRACT_VERSION
from nn_core.hookspecs import hookimpl
from nn_numpy.activations import ACTIVATIONS
from nn_numpy.backend import NumpyBackend
from nn_numpy.layers import LAYERS
from nn_numpy.losses import LOSSES
from nn_numpy.optimizers import OPTIMIZERS
from nn_numpy.regularizers import REGULARIZERS


@hookimpl
def nn_contract_version() -> int:
    return CONTRACT_VERSION


@hookimpl
def nn_components() -> list[type]:
    return [NumpyBackend, *LAYERS, *ACTIVATIONS, *LOSSES, *REGULARIZERS, *OPTIMIZERS]
