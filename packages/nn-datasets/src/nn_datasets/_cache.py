"""A parsed copy of a slow-to-parse file, kept beside it as ``<name>.nncache.npz``.

The cache is keyed by the source's size and ``mtime_ns`` and never trusted
beyond that: a stale, unreadable or malformed cache is rebuilt. It is written
to a temporary file and renamed, so a crash never leaves half a cache; when
the folder is not writable we simply do without. Loading goes through
:class:`nn_core.modelfile.NpzReader`, never ``np.load``: numeric arrays only
(a planted cache file cannot run code), each member's header checked against
its size before anything is allocated, and at most :data:`MAX_EXPANSION`
times the source's size read in all.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.modelfile import NpzReader

FORMAT = 1  # bump when the layout of cached arrays changes
META = "__nncache__"
MAX_EXPANSION = 16
"""A cache holds at most this many bytes per byte of its source (float64 values parsed from text)."""

Arrays = dict[str, np.ndarray]


def cache_path(source: Path) -> Path:
    return source.with_name(source.name + ".nncache.npz")


def _key(source: Path) -> np.ndarray:
    st = source.stat()
    return np.array([FORMAT, st.st_size, st.st_mtime_ns], dtype=np.int64)


def read_cache(source: Path, key: np.ndarray) -> Arrays | None:
    """The cached arrays if the cache exists, loads and matches ``key``; else None."""
    limit = MAX_EXPANSION * int(key[1]) + (1 << 20)
    try:
        with NpzReader(cache_path(source), max_bytes=limit, max_members=64, allow_compressed=False) as npz:
            if META not in npz.members or not np.array_equal(npz.read(META), key):
                return None
            return {name: npz.read(name) for name in npz.members if name != META}
    except Exception:  # missing, truncated, not a zip, pickled, bad CRC, huge header...: rebuild
        return None


def write_cache(source: Path, key: np.ndarray, arrays: Arrays) -> bool:
    """Write the cache atomically; False (and no file left behind) when that is not possible."""
    target = cache_path(source)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{source.name}.", suffix=".tmp", dir=source.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            payload: dict[str, Any] = {META: key, **arrays}
            np.savez(f, **payload)
        os.chmod(tmp, source.stat().st_mode & 0o666)  # as readable as the source, not mkstemp's 0600
        os.replace(tmp, target)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


def cached(
    source: Path,
    build: Callable[[], Arrays],
    valid: Callable[[Arrays], bool] = lambda arrays: True,
    use_cache: bool = True,
) -> Arrays:
    """``build()``'s arrays for ``source``, from the cache when it is fresh and ``valid``.

    A cache is written only if the source did not change while it was parsed.
    """
    if not use_cache:
        return build()
    key = _key(source)
    arrays = read_cache(source, key)
    if arrays is not None and valid(arrays):
        return arrays
    arrays = build()
    if np.array_equal(_key(source), key):
        write_cache(source, key, arrays)
    return arrays
