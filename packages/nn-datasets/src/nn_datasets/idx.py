"""IDX files (the original MNIST format, LeCun et al.), raw or gzipped.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the
number of dimensions), one big-endian uint32 per dimension, then the values,
big-endian, row-major. The header is untrusted: the size it declares is
checked against the file before anything that large is allocated.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_core.errors import DataError
from nn_core.inputs import refuse_special_file
from nn_datasets._pixels import pixel_data, pixel_features
from nn_datasets._schema import class_names, object_schema

TYPES = {0x08: "u1", 0x09: "i1", 0x0B: "i2", 0x0C: "i4", 0x0D: "f4", 0x0E: "f8"}
GZIP_MAGIC = b"\x1f\x8b"
MAX_GZIP_RATIO = 1032  # DEFLATE cannot expand more than this: a bound on a .gz file's content
CHUNK = 1 << 20
MAX_DIMS = 32  # numpy 1.x's limit; MNIST files have 1 (labels) or 3 (images)
MAX_CLASSES = 1 << 16
"""Labels are class indices below this: each class gets a name, so the bound keeps a bad label from
costing gigabytes of names."""


def _read_header(f: io.BufferedIOBase, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = f.read(4)
    if len(magic) < 4:
        raise DataError(f"{path}: not an IDX file (only {len(magic)} bytes; the magic number alone has 4)")
    if magic[:2] != b"\0\0" or magic[2] not in TYPES or magic[3] == 0:
        raise DataError(
            f"{path}: not an IDX file (magic number 0x{magic.hex()}; expected 0x0000 then a type code "
            f"{'/'.join(f'{c:02x}' for c in TYPES)} and the number of dimensions)"
        )
    ndim = magic[3]
    if ndim > MAX_DIMS:
        raise DataError(f"{path}: not an IDX file this reader supports ({ndim} dimensions; at most {MAX_DIMS})")
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path} is truncated: its header declares {ndim} dimensions but ends before their sizes")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    return np.dtype(">" + TYPES[magic[2]]), dims


def _read_body(f: io.BufferedIOBase, nbytes: int) -> np.ndarray:
    """Up to ``nbytes`` plus one (to detect trailing data) into one byte array, in chunks: the file's
    body is held once, never as chunks and their join besides (47 MB for Fashion-MNIST's images).
    The buffer's pages are committed as they are written, so a truncated file that declares more
    (at most ``MAX_GZIP_RATIO`` times its size) costs only what it holds."""
    body = np.empty(nbytes + 1, dtype=np.uint8)
    view, have = body.data, 0
    while have <= nbytes:
        got = f.readinto(view[have : min(have + CHUNK, nbytes + 1)])
        if not got:
            break
        have += got
    return body[:have]


def _read(f: io.BufferedIOBase, path: Path, size: int, gzipped: bool) -> np.ndarray:
    dtype, dims = _read_header(f, path)
    header = 4 + 4 * len(dims)
    nbytes = math.prod(dims) * dtype.itemsize
    declared = f"{'x'.join(map(str, dims))} values of type {dtype.name} ({nbytes:,} bytes)"
    if gzipped:
        if nbytes > size * MAX_GZIP_RATIO:
            raise DataError(
                f"{path} is truncated or corrupt: its header declares {declared}, "
                f"more than a {size:,}-byte gzip file can hold"
            )
    elif size - header != nbytes:
        problem = "is truncated" if size - header < nbytes else "has trailing data"
        raise DataError(f"{path} {problem}: its header declares {declared} but {size - header:,} bytes follow it")
    body = _read_body(f, nbytes)
    if len(body) != nbytes:
        problem = "is truncated" if len(body) < nbytes else "has trailing data"
        more = "" if len(body) < nbytes else " or more"
        raise DataError(f"{path} {problem}: its header declares {declared} but {len(body):,}{more} bytes follow it")
    # the file's byte order to the machine's: a copy for multi-byte types only
    return body.view(dtype).reshape(dims).astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """The array stored in an IDX file (gzip detected from its first bytes), in native byte order."""
    path = Path(path).expanduser()
    refuse_special_file(path)  # before open: a FIFO would block it forever
    try:
        with open(path, "rb") as raw:
            size = os.fstat(raw.fileno()).st_size
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            if not gzipped:
                return _read(raw, path, size, gzipped)
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                return _read(f, path, size, gzipped)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _read_pair(images: str | os.PathLike[str], labels: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Images flattened to ``(n, rows*cols)`` in their stored type, and their checked labels."""
    X = read_idx(images)
    if X.ndim < 2 or X.shape[0] == 0 or math.prod(X.shape[1:]) == 0:
        raise DataError(f"{images}: expected images (n, rows, cols), got an array of shape {X.shape}")
    y = read_idx(labels)
    if y.ndim != 1:
        raise DataError(f"{labels}: expected one label per image (1 dimension), got shape {y.shape}")
    if y.dtype.kind not in "iu":
        raise DataError(f"{labels}: labels must be integers, got type {y.dtype.name}")
    if len(y) != len(X):
        raise DataError(f"{images} holds {len(X):,} images but {labels} holds {len(y):,} labels")
    if y.min() < 0:
        raise DataError(f"{labels}: labels must be class indices >= 0, found {y.min()}")
    if y.max() >= MAX_CLASSES:
        raise DataError(f"{labels}: labels must be class indices below {MAX_CLASSES}, found {y.max()}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        where = np.unravel_index(int(np.argmin(np.isfinite(X))), X.shape)
        raise DataError(f"{images}: image {where[0]} holds a value that is not finite ({X[where]})")
    return X.reshape(len(X), -1), y.astype(np.int64)


def load_idx(
    images: str | os.PathLike[str],
    labels: str | os.PathLike[str],
    *,
    scale: bool = True,
    limit: int | None = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """``X (n, rows*cols)`` in ``dtype`` (``/255`` if ``scale``) and integer labels ``y`` from two IDX files."""
    X, y = _read_pair(images, labels)
    return pixel_features(X[:limit], scale, dtype), y[:limit]


class Idx(Dataset):
    """Images and labels in IDX files, raw or .gz: the original MNIST / Fashion-MNIST downloads."""

    name: ClassVar[str] = "idx"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "images": {
                "type": "string",
                "minLength": 1,
                "description": "IDX file of images",
                "examples": ["data/mnist/train-images-idx3-ubyte.gz"],
            },
            "labels": {
                "type": "string",
                "minLength": 1,
                "description": "IDX file of labels",
                "examples": ["data/mnist/train-labels-idx1-ubyte.gz"],
            },
            "scale": {"type": "boolean", "default": True, "description": "divide pixel values by 255"},
            "limit": {
                "type": ["integer", "null"],
                "minimum": 1,
                "default": None,
                "description": "use only the first images; null for all",
            },
        },
        required=("images", "labels"),
    )

    def __init__(self, *, images: str, labels: str, scale: bool, limit: int | None) -> None:
        super().__init__(images=images, labels=labels, scale=scale, limit=limit)

    def load(self) -> Data:
        p = self.params
        X, y = _read_pair(p["images"], p["labels"])
        classes = class_names(int(y.max()) + 1)  # from all labels, so a limit keeps the classes
        limit = p["limit"]
        return pixel_data(X[:limit], y[:limit], scale=p["scale"], dtype=self.feature_dtype, classes=classes)

    def read_inputs(self, path: str) -> np.ndarray | None:
        """``nn predict``: an IDX images file (``t10k-images-idx3-ubyte.gz``), scaled as in training.

        A ``.csv`` path falls back to nn's generic numeric CSV.
        """
        if str(path).lower().endswith(".csv"):
            return None
        X = read_idx(path)
        if X.ndim < 2 or X.shape[0] == 0 or math.prod(X.shape[1:]) == 0:
            raise DataError(f"{path}: expected images (n, rows, cols), got an array of shape {X.shape}")
        if X.dtype.kind == "f" and not np.isfinite(X).all():
            raise DataError(f"{path}: holds a value that is not finite")
        return pixel_features(X.reshape(len(X), -1), self.params["scale"])
