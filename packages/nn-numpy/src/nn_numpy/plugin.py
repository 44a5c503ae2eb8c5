"""nn-numpy's registration: the same ``nn`` entry point a third party uses."""

from __future__ import annotations

from nn_core.hookspecs import hookimpl
from nn_numpy.activations import ACTIVATIONS
from nn_numpy.backend import NumpyBackend
from nn_numpy.dense import Dense
from nn_numpy.initializers import INITIALIZERS
from nn_numpy.losses import LOSSES
from nn_numpy.optimizers import OPTIMIZERS


@hookimpl
def nn_components() -> list[type]:
    return [NumpyBackend, Dense, *ACTIVATIONS, *LOSSES, *INITIALIZERS, *OPTIMIZERS]
