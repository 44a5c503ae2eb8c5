"""Which kernel set runs: ``NN_KERNELS=auto|numpy|numba`` (default ``auto``).

- ``numpy``: the reference kernels, always.
- ``numba``: the fused kernels; without numba installed this is a one-line
  error naming the extra to install.
- ``auto``: numba's kernels for networks of at least :data:`AUTO_MIN_PARAMETERS`
  parameters when numba is installed, the reference kernels otherwise.

Why a parameter count: importing numba and loading its cached machine code
costs about half a second per process, once; the fused kernels save a fixed
fraction of each step's elementwise passes (Adam is most of it), which grows
with the parameter count. ``python benchmarks/run.py kernels`` measured
(see benchmarks/README or the closing note of issue 14) a fused Adam step at
1,000 parameters saving about 10 µs, i.e. 50,000 steps to pay the import
back, and at 100,000 parameters saving ~100 µs, paid back in a few thousand
steps (two Fashion-MNIST epochs). 50,000 parameters keeps every tutorial-sized
network (spirals has 17, tutorial 004's 3-layer net a few thousand) on the
reference path without importing numba, and MNIST-sized MLPs on numba.

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
