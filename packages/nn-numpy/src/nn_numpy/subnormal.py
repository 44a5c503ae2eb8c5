"""Keeping subnormal floats out of the activations' exponentials.

x86 processors handle subnormal operands (below ~1.2e-38 in float32,
~2.2e-308 in float64) in microcode, tens of times slower than normal ones.
A confident softmax gives e^-100 probabilities, and those then enter the
weight-gradient GEMM of every later step; so softmax clips its exponent
arguments at the subnormal boundary (and float32 sigmoid its input), which
changes no probability by more than float's ``tiny``.

The optimizers do no flushing: a parameter whose gradient is exactly zero
(a dead ReLU unit) sees Adam's or momentum's state decay geometrically, but
through the subnormal range in ~150 steps for a decay of 0.9, after which it
is exactly 0. ``python benchmarks/run.py kernels`` measures the cost.
"""

from __future__ import annotations

import numpy as np


def exp_floor(dtype: np.dtype) -> float:
    """The smallest x with exp(x) normal in ``dtype``: clip exponent arguments here."""
    return float(np.log(np.finfo(dtype).tiny))
