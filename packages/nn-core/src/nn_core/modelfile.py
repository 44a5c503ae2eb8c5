"""Model and checkpoint files: named arrays plus JSON metadata in an ``.npz`` archive.

No pickle anywhere: arrays are stored as plain numeric ``.npy`` members and
metadata as UTF-8 JSON bytes. Reading never calls ``np.load``: each member's
``.npy`` header is checked against the member's size in the zip directory
(numpy would allocate whatever shape a header claims before reading a byte),
object and structured dtypes are refused, and the number of members and their
total size are bounded, so an untrusted file can neither run code nor make
nn allocate more memory than the file can hold. Files are written to a
temporary name in the target directory, synced and renamed (:mod:`nn_core.outputs`), so a crash (or
SIGKILL) never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import json
import math
import os
import stat
import zipfile
from typing import IO, Any

import numpy as np

from nn_core.errors import ModelFileError
from nn_core.outputs import OutputError, atomic_write

FORMAT = "nn"
FORMAT_VERSION = 1
METADATA_KEY = "__nn_metadata__"
MAX_METADATA_BYTES = 256 * 1024 * 1024
MAX_METADATA_DEPTH = 100
MAX_MEMBERS = 100_000
MAX_ARCHIVE_BYTES = 64 * 1024**3
"""Total uncompressed size of an archive's arrays (a bound for zip bombs; nn writes them uncompressed)."""
MAX_DEFLATE_RATIO = 1032  # DEFLATE cannot expand data more than this
MAX_NPY_HEADER = 10_000  # numpy's own default limit
_CHUNK = 1 << 20


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
    except OutputError:
        raise
    except OSError as exc:
        raise ModelFileError(f"cannot write {kind} file {path}: {exc.strerror or exc}") from None


class ArchiveError(ValueError):
    """An ``.npz`` file that :func:`read_npz` refuses; the message says why."""


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One ``.npy`` member, its header checked against the member's size before anything is allocated."""
    name = info.filename
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=MAX_NPY_HEADER)
        else:
            raise ArchiveError(f"member {name!r} has .npy format version {version}")
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "biuf":
            raise ArchiveError(f"member {name!r} has non-numeric dtype {dtype}")
        nbytes = math.prod(shape) * dtype.itemsize
        held = info.file_size - member.tell()
        if nbytes != held:
            raise ArchiveError(
                f"member {name!r} declares shape {shape} of {dtype} ({nbytes:,} bytes) but holds {held:,} bytes"
            )
        data = bytearray()
        while len(data) < nbytes:  # memory follows the bytes actually there
            chunk = member.read(min(_CHUNK, nbytes - len(data)))
            if not chunk:
                raise ArchiveError(f"member {name!r} is truncated")
            data += chunk
        member.read(1)  # at the end: zipfile checks the CRC
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")


class NpzReader:
    """An ``.npz`` file whose zip directory has been checked; :meth:`read` checks each member's header.

    Raises :class:`ArchiveError` for a file that is not such an archive, or
    claims more than it can hold; ``OSError``, ``zipfile.BadZipFile`` (bad
    CRC, truncation) and ``ValueError`` (a malformed ``.npy`` header) pass through.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = MAX_ARCHIVE_BYTES,
        max_members: int = MAX_MEMBERS,
        allow_compressed: bool = True,
    ) -> None:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            self.handle: IO[bytes] = open(fd, "rb")  # noqa: SIM115 (closed by close())
        except BaseException:
            os.close(fd)
            raise
        try:
            status = os.fstat(self.handle.fileno())
            if not stat.S_ISREG(status.st_mode):  # zipfile reads /dev/zero to its (non-existent) end
                raise ArchiveError("not a regular file")
            size = status.st_size
            os.set_blocking(fd, True)
            self.archive = zipfile.ZipFile(self.handle)
            self.members = self._check(self.archive.infolist(), size, max_bytes, max_members, allow_compressed)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _check(
        infos: list[zipfile.ZipInfo], size: int, max_bytes: int, max_members: int, allow_compressed: bool
    ) -> dict[str, zipfile.ZipInfo]:
        if len(infos) > max_members:
            raise ArchiveError(f"{len(infos):,} members; at most {max_members:,} are read")
        members: dict[str, zipfile.ZipInfo] = {}
        total = stored = 0
        for info in infos:
            name = info.filename
            if not name.endswith(".npy"):
                raise ArchiveError(f"member {name!r} is not a .npy array")
            if name[:-4] in members:
                raise ArchiveError(f"member {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise ArchiveError(f"member {name!r} is encrypted")
            if info.compress_type == zipfile.ZIP_STORED:
                if info.file_size != info.compress_size:
                    raise ArchiveError(f"member {name!r} has inconsistent sizes")
            elif info.compress_type == zipfile.ZIP_DEFLATED and allow_compressed:
                if info.file_size > MAX_DEFLATE_RATIO * info.compress_size + 1024:
                    raise ArchiveError(f"member {name!r} claims to expand beyond what DEFLATE can")
            else:
                raise ArchiveError(f"member {name!r} uses compression method {info.compress_type}")
            members[name[:-4]] = info
            total += info.file_size
            stored += info.compress_size
        if stored > size:
            raise ArchiveError(f"its directory claims {stored:,} bytes of data in a {size:,}-byte file")
        if total > max_bytes:
            raise ArchiveError(f"it would expand to {total:,} bytes; at most {max_bytes:,} are read")
        return members

    def read(self, name: str) -> np.ndarray:
        return _read_member(self.archive, self.members[name])

    def close(self) -> None:
        archive = getattr(self, "archive", None)
        if archive is not None:
            archive.close()
        self.handle.close()

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_npz(path: str | os.PathLike[str], **limits: Any) -> dict[str, np.ndarray]:
    """Every member of an ``.npz`` file as a numeric array (see :class:`NpzReader` for ``limits``)."""
    with NpzReader(path, **limits) as npz:
        return {name: npz.read(name) for name in npz.members}


def _depth(value: Any) -> int:
    """Nesting depth of JSON data, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest


def read_archive(path: str | os.PathLike[str], kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read (arrays, metadata); refuse anything that is not an intact nn file of ``kind``."""
    label = f"{kind} file {path}"
    try:
        with NpzReader(path) as npz:
            if METADATA_KEY not in npz.members:
                raise ModelFileError(f"{path} is not an nn {kind} file")
            meta = _read_metadata(npz, path, kind)
            arrays = {name: npz.read(name) for name in npz.members if name != METADATA_KEY}
    except ModelFileError:
        raise
    except FileNotFoundError:
        raise ModelFileError(f"{kind} file not found: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a directory, not a {kind} file") from None
    except PermissionError:
        raise ModelFileError(f"cannot read {label}: permission denied") from None
    except ArchiveError as exc:
        raise ModelFileError(f"{path} is not a readable nn {kind} file ({exc})") from None
    except Exception as exc:  # truncated zip, bit flips, bad .npy headers, bad JSON: all refused
        if _is_spec_file(path):
            raise ModelFileError(
                f"{path} is a spec, not a {kind} file; train it first: nn train {path} -o model.nn"
            ) from None
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path} is not a readable nn {kind} file ({type(exc).__name__}: {reason})") from None
    return arrays, meta


def _is_spec_file(path: str | os.PathLike[str]) -> bool:
    """A YAML or JSON spec handed where a model or checkpoint belongs (``nn evaluate specs/x.yaml``)."""
    if not str(path).lower().endswith((".yaml", ".yml", ".json")):
        return False
    try:
        with open(path, "rb") as f:
            return not f.read(2).startswith(b"PK")
    except OSError:
        return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _read_metadata(npz: NpzReader, path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    label = f"{kind} file {path}"
    if npz.members[METADATA_KEY].file_size > MAX_METADATA_BYTES + 1024:
        raise ModelFileError(f"{label} has malformed metadata (too large)")
    blob = npz.read(METADATA_KEY)
    if blob.dtype != np.uint8 or blob.ndim != 1 or blob.size > MAX_METADATA_BYTES:
        raise ModelFileError(f"{label} has malformed metadata")
    meta = json.loads(blob.tobytes().decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an nn {kind} file")
    if meta.get("kind") != kind:
        if meta.get("kind") in ("model", "checkpoint"):
            raise ModelFileError(f"{path} is an nn {meta['kind']} file, not a {kind} file")
        raise ModelFileError(f"{path} is not an nn {kind} file (its kind is {_short(meta.get('kind'))})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{label} has format version {_short(meta.get('format_version'))}; this nn reads {FORMAT_VERSION}"
        )
    if _depth(meta) > MAX_METADATA_DEPTH:
        raise ModelFileError(f"{label} has malformed metadata (nested deeper than {MAX_METADATA_DEPTH} levels)")
    if not isinstance(meta.get("spec"), dict):
        raise ModelFileError(f"{label} has malformed metadata (no spec)")
    return meta


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
