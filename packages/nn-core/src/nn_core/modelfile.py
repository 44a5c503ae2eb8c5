"""Model and checkpoint files: named arrays plus JSON metadata in an ``.npz`` archive.

No pickle anywhere: arrays are stored as plain numeric ``.npy`` members and
metadata as UTF-8 JSON bytes, and loading uses ``allow_pickle=False``, so
opening an untrusted file can never run code. Files are written to a
temporary name in the target directory, synced and renamed, so a crash (or
SIGKILL) never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.errors import ModelFileError

FORMAT = "nn"
FORMAT_VERSION = 1
METADATA_KEY = "__nn_metadata__"
MAX_METADATA_BYTES = 256 * 1024 * 1024


def atomic_write(path: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a plain open() would honour the umask
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_archive(
    path: str | os.PathLike[str], kind: str, arrays: dict[str, np.ndarray], metadata: dict[str, Any]
) -> None:
    """Write ``arrays`` (names may hold ``/``) and metadata to exactly ``path``."""
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, **metadata}
    text = json.dumps(meta, sort_keys=True, default=_json_default, allow_nan=True)
    blob = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    members: dict[str, Any] = {METADATA_KEY: blob, **{name: np.ascontiguousarray(a) for name, a in arrays.items()}}
    try:
        atomic_write(path, lambda f: np.savez(f, **members))
    except OSError as exc:
        raise ModelFileError(f"cannot write {kind} file {path}: {exc.strerror or exc}") from None


def read_archive(path: str | os.PathLike[str], kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read (arrays, metadata); refuse anything that is not an intact nn file of ``kind``."""
    label = f"{kind} file {path}"
    try:
        # Our own handle: numpy leaks its handle when a truncated zip fails to open.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile) or METADATA_KEY not in archive.files:
                raise ModelFileError(f"{path} is not an nn {kind} file")
            blob = archive[METADATA_KEY]
            if blob.dtype != np.uint8 or blob.ndim != 1 or blob.size > MAX_METADATA_BYTES:
                raise ModelFileError(f"{label} has malformed metadata")
            meta = json.loads(blob.tobytes().decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ModelFileError(f"{path} is not an nn {kind} file")
            if meta.get("kind") != kind:
                raise ModelFileError(f"{path} is an nn {meta.get('kind')} file, not a {kind} file")
            if meta.get("format_version") != FORMAT_VERSION:
                raise ModelFileError(
                    f"{label} has format version {meta.get('format_version')}; this nn reads {FORMAT_VERSION}"
                )
            arrays = {name: archive[name] for name in archive.files if name != METADATA_KEY}
    except ModelFileError:
        raise
    except FileNotFoundError:
        raise ModelFileError(f"{kind} file not found: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a directory, not a {kind} file") from None
    except PermissionError:
        raise ModelFileError(f"cannot read {label}: permission denied") from None
    except Exception as exc:  # truncated zip, bit flips, pickled members, bad JSON: all refused
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path} is not a readable nn {kind} file ({type(exc).__name__}: {reason})") from None
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise ModelFileError(f"{label}: array {name!r} has non-numeric dtype {array.dtype}")
    return arrays, meta


def section(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays under ``prefix/``, with the prefix removed."""
    start = prefix + "/"
    return {name[len(start) :]: a for name, a in arrays.items() if name.startswith(start)}


def prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{prefix}/{name}": a for name, a in arrays.items()}


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in nn file metadata")
