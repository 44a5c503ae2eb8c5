"""Property tests of the file loaders: damaged Kaggle CSVs, parse caches, IDX files and CSVs.

Whatever the damage (truncation, bit flips, stray bytes, hostile fields, line
endings, headers claiming gigabytes), a loader returns well-formed data or
raises :class:`DataError` with one line naming the file. A damaged or planted
parse cache is never trusted: loading gives exactly what parsing the CSV gives.
No header makes a loader allocate more than the file can hold.

Deterministic: ``derandomize=True`` and no example database.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import shutil
import struct
import tempfile
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import nn_datasets._cache as cache_module
from nn_core.errors import DataError
from nn_datasets.csv_file import load_csv
from nn_datasets.idx import Idx, load_idx, read_idx
from nn_datasets.kaggle_mnist import PIXEL_COLUMNS, TRAIN_COLUMNS, load_kaggle_test, load_kaggle_train

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=100)

ROWS = 4
RNG = np.random.RandomState(0)
LABELS = [3, 0, 9, 7]
PIXELS = RNG.randint(0, 256, size=(ROWS, 784)) * (RNG.rand(ROWS, 784) < 0.3)
ROW_TEXT = [",".join(map(str, [lab, *row])) for lab, row in zip(LABELS, PIXELS, strict=True)]
TRAIN = "\n".join([",".join(TRAIN_COLUMNS), *ROW_TEXT]) + "\n"
IRIS = "a,b,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n6.2,2.9,virginica\n"
TEST = "\n".join([",".join(PIXEL_COLUMNS)] + [",".join(map(str, row)) for row in PIXELS]) + "\n"

FIELDS = [
    "", " ", "-1", "256", "255", "0", "1.5", "-0", "+3", "1e2", "1e999", "-1e999", "nan", "inf", "NaN", "0x10",
    "1_0", "١", "３", '"7"', "'7'", "7 ", " 7", "\t7", "7\r", "\x00", "\x0b7", "7\u2028", "\ufeff7", "10", "9.0",
    "9.5", "1" * 400, "a", "label", "pixel0", ",", ",,", "#", "1,2", "\\", "\xe9", "😀",
]  # fmt: skip


def one_line(error: Exception, path: Path | str) -> None:
    message = str(error)
    assert "\n" not in message and "\r" not in message, message
    assert str(path) in message, message


def note(label: str) -> None:
    """Count an outcome in hypothesis's statistics (``--hypothesis-show-statistics``)."""
    with contextlib.suppress(Exception):  # outside a hypothesis test
        event(label)


def loads_or_refuses(load: Callable[[], Any], path: Path | str) -> Any:
    try:
        result = load()
    except DataError as error:
        one_line(error, path)
        note("DataError: " + re.sub(r"[0-9]+", "N", str(error).replace(str(path), ""))[:45])
        return None
    note("loaded")
    return result


@pytest.fixture(scope="module")
def tmp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


# -- text damage ---------------------------------------------------------------------------------------------------


ACTIONS = ["field", "field", "field", "bytes", "cut", "flip", "newlines", "truncate", "line"]


@st.composite
def damaged_csv(draw: st.DrawFn, name: str) -> bytes:
    """CSV ``name`` after 1-3 edits: a field replaced, bytes inserted/cut/flipped, line endings changed..."""
    text = {"train": TRAIN, "test": TEST, "iris": IRIS}[name]
    lines = text.split("\n")
    raw = text.encode()
    body = len(lines[0]) + 1  # most edits go to the rows: a bad header is refused before anything else

    def offset() -> int:
        return draw(st.one_of(st.integers(0, len(raw)), st.integers(min(body, len(raw)), len(raw))))

    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(ACTIONS))
        if action in ("field", "line") and len(lines) < 2:
            continue
        if action == "field":
            row = draw(st.one_of(st.integers(0, len(lines) - 2), st.integers(min(1, len(lines) - 2), len(lines) - 2)))
            fields = lines[row].split(",")
            fields[draw(st.integers(0, len(fields) - 1))] = draw(st.sampled_from(FIELDS))
            lines[row] = ",".join(fields)
            raw = "\n".join(lines).encode()
        elif action == "line":
            row = draw(st.integers(0, len(lines) - 1))
            lines.insert(row, draw(st.sampled_from(["", " ", lines[row], lines[0], "#", ",", lines[-2][:50]])))
            raw = "\n".join(lines).encode()
        elif action == "newlines":
            raw = raw.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"\n\n", b"\n\r"])))
        elif action == "bytes":
            at = offset()
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=6)) + raw[at:]
        elif action == "cut":
            at = offset()
            raw = raw[:at] + raw[at + draw(st.integers(1, 50)) :]
        elif action == "flip" and raw:
            at = min(offset(), len(raw) - 1)
            raw = raw[:at] + bytes([raw[at] ^ (1 << draw(st.integers(0, 7)))]) + raw[at + 1 :]
        elif action == "truncate":
            raw = raw[: offset()]
        if action not in ("field", "line"):
            lines = raw.decode("utf-8", "replace").split("\n")
    return raw


def check_train(result: Any) -> None:
    if result is None:
        return
    X, y = result
    assert X.dtype == np.float64 and X.shape == (len(y), 784)
    assert np.isfinite(X).all() and X.min() >= 0 and X.max() <= 1
    assert y.dtype == np.int64 and set(y.tolist()) <= set(range(10))


@FUZZ
@given(damaged_csv("train"))
def test_damaged_kaggle_train(tmp_dir: Path, content: bytes) -> None:
    folder = tmp_dir / "train"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    path = folder / "train.csv"
    path.write_bytes(content)
    parsed = loads_or_refuses(lambda: load_kaggle_train(folder, cache=False), path)
    check_train(parsed)
    # the cache changes nothing: written on the first load, read on the second
    for _ in range(2):
        cached = loads_or_refuses(lambda: load_kaggle_train(folder), path)
        assert (cached is None) == (parsed is None)
        if parsed is not None:
            assert np.array_equal(cached[0], parsed[0]) and np.array_equal(cached[1], parsed[1])


@FUZZ
@given(damaged_csv("test"))
def test_damaged_kaggle_test(tmp_dir: Path, content: bytes) -> None:
    path = tmp_dir / "test.csv"
    path.write_bytes(content)
    X = loads_or_refuses(lambda: load_kaggle_test(path, cache=False), path)
    if X is not None:
        assert X.shape[1] == 784 and np.isfinite(X).all() and X.min() >= 0 and X.max() <= 1


# -- the parse cache -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kaggle(tmp_dir: Path) -> dict[str, Any]:
    folder = tmp_dir / "kaggle"
    folder.mkdir()
    source = folder / "train.csv"
    source.write_text(TRAIN)
    expected = load_kaggle_train(folder, cache=False)
    load_kaggle_train(folder)  # writes the cache
    cache = cache_module.cache_path(source)
    return {"folder": folder, "source": source, "cache": cache, "bytes": cache.read_bytes(), "expected": expected}


def same(result: tuple[np.ndarray, np.ndarray], expected: tuple[np.ndarray, np.ndarray]) -> bool:
    return bool(np.array_equal(result[0], expected[0]) and np.array_equal(result[1], expected[1]))


@FUZZ
@given(st.data())
def test_damaged_cache_is_never_trusted(kaggle: dict[str, Any], data: st.DataObject) -> None:
    raw = bytearray(kaggle["bytes"])
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["truncate", "flip", "overwrite", "insert"]))
        at = data.draw(st.integers(0, len(raw)))
        if action == "truncate":
            del raw[at:]
        elif action == "flip" and at < len(raw):
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "overwrite":
            raw[at : at + 8] = data.draw(st.binary(min_size=1, max_size=8))
        elif action == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    kaggle["cache"].write_bytes(bytes(raw))
    assert same(load_kaggle_train(kaggle["folder"]), kaggle["expected"])


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    padding = 64 - (10 + len(text) + 1) % 64
    body = text + b" " * padding + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body


class Marker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.path,))


def planted(kaggle: dict[str, Any], marker: Path) -> dict[str, list[tuple[str, bytes]]]:
    """Caches whose key matches the source, as someone with write access to the folder could plant."""
    key = ("__nncache__.npy", npy(cache_module._key(kaggle["source"])))
    X, y = kaggle["expected"]
    pixels = np.round(X * 255).astype(np.uint8)
    return {
        "labels out of range": [key, ("pixels.npy", npy(pixels)), ("labels.npy", npy(y * 1000))],
        "negative labels": [key, ("pixels.npy", npy(pixels)), ("labels.npy", npy(-y))],
        "NaN pixels": [key, ("pixels.npy", npy(np.full(pixels.shape, np.nan))), ("labels.npy", npy(y))],
        "pixels above 255": [key, ("pixels.npy", npy(pixels * 300.0)), ("labels.npy", npy(y))],
        "wrong width": [key, ("pixels.npy", npy(pixels[:, :10])), ("labels.npy", npy(y))],
        "fewer labels": [key, ("pixels.npy", npy(pixels)), ("labels.npy", npy(y[:2]))],
        "no rows": [key, ("pixels.npy", npy(pixels[:0])), ("labels.npy", npy(y[:0]))],
        "labels float": [key, ("pixels.npy", npy(pixels)), ("labels.npy", npy(y.astype(float)))],
        "pickled labels": [key, ("pixels.npy", npy(pixels)), ("labels.npy", npy(np.array([Marker(marker)])))],
        "huge header": [key, ("pixels.npy", npy_header("|u1", (1 << 20, 1 << 20)) + bytes(64)),
                        ("labels.npy", npy(y))],
        "large header": [key, ("pixels.npy", npy_header("|u1", (1 << 18, 784 * 4)) + bytes(64)),
                         ("labels.npy", npy(y))],
        "key only": [key],
        "wrong key": [("__nncache__.npy", npy(np.array([1, 2, 3]))), ("pixels.npy", npy(pixels)),
                      ("labels.npy", npy(y))],
        "key a string": [("__nncache__.npy", npy(np.array(["x"]))), ("pixels.npy", npy(pixels))],
        "not npy": [key, ("pixels", b"raw")],
    }  # fmt: skip


PLANTED = sorted(planted({"source": Path(__file__), "expected": (np.zeros((1, 784)), np.zeros(1, int))}, Path()))


@pytest.mark.parametrize("name", PLANTED)
def test_planted_caches_are_parsed_again(name: str, kaggle: dict[str, Any], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with zipfile.ZipFile(kaggle["cache"], "w") as archive:
        for member, content in planted(kaggle, marker)[name]:
            archive.writestr(member, content)
    tracemalloc.start()
    try:
        result = load_kaggle_train(kaggle["folder"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert same(result, kaggle["expected"])
    assert not marker.exists()
    assert peak < 64 * 2**20, f"loading allocated {peak:,} bytes"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_without_reading_forever(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    for load in (lambda: load_csv(device, "label"), lambda: load_kaggle_test(device), lambda: read_idx(device)):
        with pytest.raises(DataError) as err:
            load()
        one_line(err.value, device)


# -- IDX -----------------------------------------------------------------------------------------------------------

CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    kind = array.dtype.str[1:]
    header = bytes([0, 0, CODES[kind], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(">" + kind).tobytes()


IMAGES = idx_bytes(RNG.randint(0, 256, size=(3, 4, 4)).astype(np.uint8))
LABEL_FILE = idx_bytes(np.array([1, 0, 2], dtype=np.uint8))
FLOAT_IMAGES = idx_bytes(RNG.rand(3, 2, 2).astype(">f4").astype("f4"))


@st.composite
def damaged_idx(draw: st.DrawFn, name: str) -> bytes:
    """IDX file ``name`` after 1-3 edits of its magic number, dimensions or bytes."""
    data = bytearray({"images": IMAGES, "labels": LABEL_FILE, "floats": FLOAT_IMAGES}[name])
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["header", "dims", "truncate", "flip", "append", "overwrite"]))
        if action == "header" and len(data) >= 4:  # magic: zeros, type code, number of dimensions
            data[draw(st.integers(0, 3))] = draw(st.integers(0, 255))
        elif action == "dims" and len(data) >= 8:
            at = 4 + 4 * draw(st.integers(0, max(0, min(data[3], (len(data) - 8) // 4))))
            value = draw(st.sampled_from([0, 1, 2, 3, 4, 255, 2**16, 2**31 - 1, 2**31, 2**32 - 1]))
            data[at : at + 4] = struct.pack(">I", value)
        elif action == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif action == "flip" and data:
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        elif action == "append":
            data += draw(st.binary(min_size=1, max_size=16))
        elif action == "overwrite":
            at = draw(st.integers(0, len(data)))
            data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


def write_idx(path: Path, content: bytes, gz: bool) -> Path:
    path.write_bytes(gzip.compress(content, mtime=0) if gz else content)
    return path


@FUZZ
@given(damaged_idx("images"), damaged_idx("labels"), st.booleans(), st.booleans())
def test_damaged_idx(tmp_dir: Path, images: bytes, labels: bytes, gz_images: bool, gz_labels: bool) -> None:
    image_path = write_idx(tmp_dir / "images.idx", images, gz_images)
    label_path = write_idx(tmp_dir / "labels.idx", labels, gz_labels)
    array = loads_or_refuses(lambda: read_idx(image_path), image_path)
    if array is not None:
        assert array.nbytes <= len(images)
    try:
        data = Idx(images=str(image_path), labels=str(label_path), scale=True, limit=None).load()
    except DataError as error:
        message = str(error)
        assert "\n" not in message and (str(image_path) in message or str(label_path) in message), message
        return
    assert data.X.shape[0] == data.y.shape[0] > 0 and np.isfinite(data.X).all()
    assert data.classes is not None and len(data.classes) == int(data.y.max()) + 1 <= 1 << 16


@FEW
@given(damaged_idx("floats"), st.booleans())
def test_damaged_float_idx(tmp_dir: Path, images: bytes, gz: bool) -> None:
    path = write_idx(tmp_dir / "float.idx", images, gz)
    result = loads_or_refuses(lambda: load_idx(path, write_idx(tmp_dir / "l.idx", LABEL_FILE, False)), path)
    if result is not None:
        assert np.isfinite(result[0]).all()


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "dims",
    [(2**32 - 1,), (2**31, 2**31), (60000, 28, 28), (2**20, 2**10), (1,) * 255, (2,) * 40, (0, 2**32 - 1)],
    ids=["4G", "2^62", "mnist", "1G", "255 dims", "40 dims", "empty"],
)
def test_idx_headers_claiming_more_than_the_file(dims: tuple[int, ...], gz: bool, tmp_path: Path) -> None:
    header = bytes([0, 0, 0x08, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    path = write_idx(tmp_path / "claims.idx", header + bytes(1000), gz)
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as err:
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_line(err.value, path)
    assert peak < 16 * 2**20, f"reading allocated {peak:,} bytes"


@pytest.mark.parametrize("label", [2**31 - 1, 2**16, -1])
def test_idx_labels_far_beyond_the_classes(label: int, tmp_path: Path) -> None:
    """One bad label must not cost gigabytes of class names."""
    images = write_idx(tmp_path / "images", IMAGES, False)
    labels = write_idx(tmp_path / "labels", idx_bytes(np.array([0, 1, label], dtype=">i4").astype("i4")), False)
    with pytest.raises(DataError) as err:
        Idx(images=str(images), labels=str(labels), scale=True, limit=None).load()
    one_line(err.value, labels)


def test_idx_images_must_be_finite(tmp_path: Path) -> None:
    values = np.array([[[0.5, np.nan]], [[np.inf, 0.0]], [[0.1, 0.2]]], dtype="f4")
    images = write_idx(tmp_path / "images", idx_bytes(values), False)
    labels = write_idx(tmp_path / "labels", LABEL_FILE, False)
    with pytest.raises(DataError, match="not finite") as err:
        load_idx(images, labels)
    one_line(err.value, images)


def test_idx_gzip_bomb_is_bounded(tmp_path: Path) -> None:
    """A gzip of zeros claiming what it truly expands to is read chunk by chunk, up to what it declares."""
    header = bytes([0, 0, 0x08, 1]) + struct.pack(">I", 50_000_000)
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(gzip.compress(header + bytes(60_000_000), mtime=0))
    assert path.stat().st_size < 100_000
    with pytest.raises(DataError, match="trailing data"):
        read_idx(path)


# -- generic CSV ---------------------------------------------------------------------------------------------------


@FUZZ
@given(damaged_csv("iris"), st.sampled_from(["auto", "class", "number"]))
def test_damaged_generic_csv(tmp_dir: Path, content: bytes, label_type: str) -> None:
    path = tmp_dir / "data.csv"
    path.write_bytes(content)
    data = loads_or_refuses(lambda: load_csv(path, "species", None, label_type), path)
    if data is not None:
        assert data.X.dtype == np.float64 and data.X.shape[0] == len(data.y) > 0
        assert np.isfinite(data.X).all()


def test_the_suites_inputs_are_valid(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(TRAIN)
    check_train(load_kaggle_train(tmp_path, cache=False))
    (tmp_path / "test.csv").write_text(TEST)
    assert load_kaggle_test(tmp_path / "test.csv", cache=False).shape == (ROWS, 784)
    images, labels = write_idx(tmp_path / "i", IMAGES, True), write_idx(tmp_path / "l", LABEL_FILE, False)
    assert load_idx(images, labels)[0].shape == (3, 16)
    (tmp_path / "iris.csv").write_text(IRIS)
    assert load_csv(tmp_path / "iris.csv", "species").classes == ("setosa", "virginica")
