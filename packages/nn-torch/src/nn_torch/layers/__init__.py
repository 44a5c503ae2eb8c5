"""Layers of the torch backend, one module each."""

from nn_torch.layers.batch_norm import BatchNorm
from nn_torch.layers.dense import Dense
from nn_torch.layers.dropout import Dropout

LAYERS = [Dense, Dropout, BatchNorm]

__all__ = ["LAYERS", "BatchNorm", "Dense", "Dropout"]
