"""A parsed copy of a slow-to-parse file, kept beside it as ``<name>.nncache.npz``.

The cache is keyed by the source's size and ``mtime_ns`` and never trusted
beyond that: a stale, unreadable or malformed cache is rebuilt. It is written
to a temporary file and renamed, so a crash never leaves half a cache; when
the folder is not writable we simply do without. Loading uses
``allow_pickle=False``, so a planted cache file cannot run code.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1  # bump when the layout of cached arrays changes
META = "__nncache__"

Arrays = dict[str, np.ndarray]


def cache_path(source: Path) -> Path:
    return source.with_name(source.name + ".nncache.npz")


def _key(source: Path) -> np.ndarray:
    st = source.stat()
    return np.array([FORMAT, st.st_size, st.st_mtime_ns], dtype=np.int64)


def read_cache(source: Path, key: np.ndarray) -> Arrays | None:
    """The cached arrays if the cache exists, loads and matches ``key``; else None."""
    try:
        # we own the handle: np.load leaks it when the zip directory is broken
        with open(cache_path(source), "rb") as f, np.load(f, allow_pickle=False) as npz:
            if META not in npz.files or not np.array_equal(npz[META], key):
                return None
            return {name: npz[name] for name in npz.files if name != META}
    except Exception:  # missing, truncated, not a zip, pickled, bad CRC...: rebuild
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
