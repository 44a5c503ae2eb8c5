"""Optimizers of the numpy backend: vectorised steps over the flat buffer, or full-batch closures."""

from nn_numpy.optimizers.adaptive import Adagrad, Adam, AdamW, RMSprop
from nn_numpy.optimizers.quasi_newton import BFGS, LBFGS
from nn_numpy.optimizers.sgd import SGD

OPTIMIZERS = [SGD, Adagrad, RMSprop, Adam, AdamW, BFGS, LBFGS]

__all__ = ["BFGS", "LBFGS", "OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "RMSprop"]
