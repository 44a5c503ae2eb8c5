"""Keeping subnormal floats out of the training loop.

x86 processors handle subnormal operands (below ~1.2e-38 in float32,
~2.2e-308 in float64) in microcode, tens of times slower than normal ones.
They appear naturally: a confident softmax gives e^-100 probabilities, and
Adam's or momentum's state for a parameter whose gradient is zero (a dead
ReLU unit) decays geometrically. A few thousand of them in a weight-gradient
GEMM or an optimizer pass can make a training step ten times slower, so the
numpy backend clips exponent arguments at the subnormal boundary and
periodically flushes negligible optimizer state to zero.
"""

from __future__ import annotations

import numpy as np

FLUSH_EVERY = 100
"""Optimizer steps between flushes of decaying state."""


def exp_floor(dtype: np.dtype) -> float:
    """The smallest x with exp(x) normal in ``dtype``: clip exponent arguments here."""
    return float(np.log(np.finfo(dtype).tiny))


def flush_negligible(array: np.ndarray) -> None:
    """Zero entries below tiny · 2⁶⁴: far from subnormal still, and each decays by at
    most 0.9¹⁰⁰ ≈ 2.7e-5 (> 2⁻⁶⁴) before the next flush, so none becomes subnormal.
    Such entries move a parameter by less than 1e-11 of its learning rate."""
    threshold = np.finfo(array.dtype).tiny * 2.0**64
    np.copyto(array, 0, where=np.abs(array) < threshold)
