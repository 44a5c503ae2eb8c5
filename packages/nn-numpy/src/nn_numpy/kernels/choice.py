"""Which kernel set runs: ``NN_KERNELS=auto|numpy|numba`` (default ``auto``).

- ``numpy``: the reference kernels, always.
- ``numba``: the fused kernels; without numba installed this is a one-line
  error naming the extra to install.
- ``auto``: numba's kernels for networks of at least :data:`AUTO_MIN_PARAMETERS`
  parameters when numba is installed, the reference kernels otherwise.

Why a parameter count: choosing numba costs a process a fixed 0.4 s once
(importing numba and loading its cached machine code, paid while the network
is built), and saves a share of every step that grows with the parameters
(most of it in the optimizer's pass over the flat buffers).
``python benchmarks/run.py kernels`` measured, on an Intel Xeon with AVX-512
and nothing else running (float32, adam, relu/softmax; each figure the best
of 7 alternating epochs):

=========================  ==========  ==============  ==============
network                    parameters  numba / numpy   saved per step
=========================  ==========  ==============  ==============
[64, 32, 10], batch 32          2,410  0.75            0.009 ms
[784, 64, 10], batch 64        50,890  0.64            0.106 ms
[784, 128, 10], batch 64      101,770  0.61            0.201 ms
[784, 256, 128, 10], 128      235,146  0.66            0.523 ms
=========================  ==========  ==============  ==============

(An earlier session, with the machine shared, read 0.39-0.99 for the same
ratios.) At 50,000 parameters the load is paid back within about 3,700 steps
(four epochs of 60,000 samples at batch 64), at 100,000 within 2,000; below,
the saving per step shrinks towards numba's call overhead (spirals' 17
parameters run 1.16× slower with numba), and tutorial-sized runs would never
pay back the load.

Both sets give bit-identical results, so the choice changes speed only: a
checkpoint written under one resumes bit for bit under the other.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache

from nn_core.errors import NNError
from nn_numpy.kernels.reference import ReferenceKernels

ENV = "NN_KERNELS"
CHOICES = ("auto", "numpy", "numba")
AUTO_MIN_PARAMETERS = 50_000
"""``auto`` picks numba's kernels for networks with at least this many parameters."""


class KernelChoiceError(NNError):
    """NN_KERNELS names no kernel set, or one that is not installed."""


def requested() -> str:
    """The kernel set NN_KERNELS asks for (``auto`` when unset), checked."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in CHOICES:
        raise KernelChoiceError(f"{ENV}={os.environ[ENV]!r} is not a kernel set; choose one of {', '.join(CHOICES)}")
    return value


def numba_installed() -> bool:
    """Whether numba can be imported, without importing it."""
    return importlib.util.find_spec("numba") is not None


@cache
def _numba_kernels() -> ReferenceKernels:
    from nn_numpy.kernels.fused import NumbaKernels  # imports numba: only here

    return NumbaKernels()


_REFERENCE = ReferenceKernels()


def kernels_named(name: str) -> ReferenceKernels:
    """The kernel set ``name`` ("numpy" or "numba"); numba missing is a one-line error."""
    if name == "numpy":
        return _REFERENCE
    if name == "numba":
        if not numba_installed():
            raise KernelChoiceError(
                f"{ENV}=numba needs numba: pip install 'nn-numpy[numba]' (or set {ENV}=numpy or auto)"
            )
        return _numba_kernels()
    raise KernelChoiceError(f"no kernel set named {name!r}; choose one of numpy, numba")


def kernels_for(parameters: int) -> ReferenceKernels:
    """The kernel set for a network of ``parameters`` parameters, as NN_KERNELS asks."""
    choice = requested()
    if choice == "auto":
        choice = "numba" if parameters >= AUTO_MIN_PARAMETERS and numba_installed() else "numpy"
    return kernels_named(choice)


def available() -> dict[str, ReferenceKernels]:
    """Every kernel set this installation can run, by name (the conformance kit compares them)."""
    sets = {"numpy": _REFERENCE}
    if numba_installed():
        sets["numba"] = _numba_kernels()
    return sets
