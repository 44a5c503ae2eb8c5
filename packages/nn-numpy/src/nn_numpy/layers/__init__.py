"""Layers of the numpy backend, one module each."""

from nn_numpy.layers.batch_norm import BatchNorm
from nn_numpy.layers.dense import Dense
from nn_numpy.layers.dropout import Dropout

LAYERS = [Dense, Dropout, BatchNorm]

__all__ = ["LAYERS", "BatchNorm", "Dense", "Dropout"]
