"""nn-numpy's kernels: the arithmetic of layers and optimizers, behind one interface.

Layers and optimizers call a kernel set (``self.kernels.adam(...)``) instead
of computing inline, as thinc's ``Ops`` do, so the same network runs on:

- :class:`~nn_numpy.kernels.reference.ReferenceKernels` (``numpy``): each
  formula as written, in plain numpy. Always available.
- :class:`~nn_numpy.kernels.fused.NumbaKernels` (``numba``): the same
  formulas fused into single compiled loops, bit-identical to the reference.
  ``pip install 'nn-numpy[numba]'``; numba is imported only when chosen.

:func:`~nn_numpy.kernels.choice.kernels_for` picks one from ``NN_KERNELS``.
"""

from nn_numpy.kernels.choice import AUTO_MIN_PARAMETERS, ENV, KernelChoiceError, available, kernels_for, kernels_named
from nn_numpy.kernels.reference import ReferenceKernels

Kernels = ReferenceKernels
"""The kernel interface: every kernel set is a ReferenceKernels (subclasses override what they fuse)."""

__all__ = [
    "AUTO_MIN_PARAMETERS",
    "ENV",
    "KernelChoiceError",
    "Kernels",
    "ReferenceKernels",
    "available",
    "kernels_for",
    "kernels_named",
]
