"""nn-numpy's registration: the same ``nn`` entry point a third party uses.

Importing this module must stay cheap (``nn plugins``, ``nn validate``):
scipy is imported only inside the methods that need it.
"""

from __future__ import annotations

from nn_core.hookspecs import hookimpl
from nn_numpy.activations import ACTIVATIONS
from nn_numpy.backend import NumpyBackend
from nn_numpy.initializers import INITIALIZERS
from nn_numpy.layers import LAYERS
from nn_numpy.losses import LOSSES
from nn_numpy.optimizers import OPTIMIZERS
from nn_numpy.regularizers import REGULARIZERS
from nn_numpy.schedules import SCHEDULES


@hookimpl
def nn_components() -> list[type]:
    return [
        NumpyBackend,
        *LAYERS,
        *ACTIVATIONS,
        *LOSSES,
        *INITIALIZERS,
        *REGULARIZERS,
        *OPTIMIZERS,
        *SCHEDULES,
    ]
