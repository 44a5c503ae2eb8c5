"""Model files: named weight tensors plus JSON metadata in an ``.npz`` archive.

No pickle anywhere: arrays are stored as plain numeric ``.npy`` members and
metadata as UTF-8 JSON bytes, and loading uses ``allow_pickle=False``, so
opening an untrusted model file can never run code. Files are written to a
temporary name in the target directory and renamed, so a crash never leaves
a half-written model behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.errors import ModelFileError

FORMAT = "nn-model"
FORMAT_VERSION = 1
METADATA_KEY = "__nn_metadata__"


def atomic_write(path: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_model(path: str | os.PathLike[str], weights: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
    """Write weights and metadata to exactly ``path``."""
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **metadata}
    blob = np.frombuffer(json.dumps(meta, sort_keys=True, default=_json_default).encode("utf-8"), dtype=np.uint8)
    arrays = {f"weights/{name}": np.ascontiguousarray(value) for name, value in weights.items()}
    try:
        atomic_write(path, lambda f: np.savez(f, **{METADATA_KEY: blob}, **arrays))
    except OSError as exc:
        raise ModelFileError(f"cannot write model file {path}: {exc.strerror or exc}") from None


def load_model_file(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read (weights, metadata); refuse anything that is not an intact nn model file."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if METADATA_KEY not in archive.files:
                raise ModelFileError(f"{path} is not an nn model file (no nn metadata)")
            meta = json.loads(archive[METADATA_KEY].tobytes().decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ModelFileError(f"{path} is not an nn model file")
            weights = {k.split("/", 1)[1]: archive[k] for k in archive.files if k.startswith("weights/")}
    except ModelFileError:
        raise
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, UnicodeDecodeError, KeyError) as exc:
        raise ModelFileError(f"{path} is not a readable nn model file ({type(exc).__name__}: {exc})") from None
    return weights, meta


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in model metadata")
