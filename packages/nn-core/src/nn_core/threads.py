"""BLAS threads: weights depend on how many threads the BLAS library splits a product over.

A matrix product summed over 1 thread and over 2 threads rounds differently
(1.4e-2 apart in float32 after a run), so "the same spec and seed give the
same weights" holds for the same BLAS library and thread count. Training
records both in the model file (``environment.blas``,
``environment.blas_threads``), and ``NN_BLAS_THREADS=N`` pins the count for
the run (through threadpoolctl), so a run can be reproduced on a machine with
more or fewer cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nn_core.errors import NNError

ENV = "NN_BLAS_THREADS"


def blas_info() -> dict[str, Any]:
    """The BLAS library numpy uses and its current thread count (empty when threadpoolctl sees none)."""
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return {
                "blas": f"{pool.get('internal_api', '?')} {pool.get('version') or ''}".strip(),
                "blas_threads": int(pool.get("num_threads", 0)),
            }
    return {}


def requested_threads() -> int | None:
    """``NN_BLAS_THREADS`` as a positive integer, None when unset; a one-line error otherwise."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise NNError(f"{ENV} must be a positive integer (BLAS threads for training), got {text!r}")
    return int(text)


@contextmanager
def pinned_blas_threads() -> Iterator[dict[str, Any]]:
    """Pin BLAS to ``NN_BLAS_THREADS`` threads (if set) while training; yield what the run uses."""
    threads = requested_threads()
    if threads is None:
        yield blas_info()
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):
        yield blas_info()
