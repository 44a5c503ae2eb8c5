"""IDX files: the MNIST layout raw and gzipped, other value types, and every way a file can be wrong."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from nn_core.compact import ScaledIntegerData
from nn_core.errors import DataError
from nn_datasets.idx import Idx, load_idx, read_idx

CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    kind = array.dtype.str[1:]
    header = bytes([0, 0, CODES[kind], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(">" + kind).tobytes()


def write(path: Path, content: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(content, mtime=0) if gz else content)
    return path


@pytest.fixture
def mnist_like():
    rs = np.random.RandomState(3)
    images = rs.randint(0, 256, size=(5, 28, 28)).astype(np.uint8)
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    return images, labels


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_images_are_flattened_and_scaled(tmp_path, mnist_like, gz):
    images, labels = mnist_like
    suffix = ".gz" if gz else ""
    img = write(tmp_path / f"train-images-idx3-ubyte{suffix}", idx_bytes(images), gz)
    lab = write(tmp_path / f"train-labels-idx1-ubyte{suffix}", idx_bytes(labels), gz)
    data = Idx(images=str(img), labels=str(lab), scale=True, limit=None).load()
    assert data.X.shape == (5, 784) and data.X.dtype == np.float64
    assert np.array_equal(data.X, images.reshape(5, 784) / 255)
    assert data.y.tolist() == [5, 0, 4, 1, 9] and data.y.dtype == np.int64
    assert data.classes == tuple("0123456789")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scaled_bytes_stay_bytes_until_read(tmp_path, mnist_like, dtype):
    """scale: true on uint8 images: compact data (nn_core.compact) whose X is load_idx's, bit for bit."""
    images, labels = mnist_like
    img = write(tmp_path / "i", idx_bytes(images))
    lab = write(tmp_path / "l", idx_bytes(labels))
    dataset = Idx(images=str(img), labels=str(lab), scale=True, limit=4)
    dataset.feature_dtype = dtype
    data = dataset.load()
    assert isinstance(data, ScaledIntegerData) and data.raw.dtype == np.uint8 and data._X is None
    X, y = load_idx(img, lab, dtype=dtype, limit=4)
    assert data.X.dtype == X.dtype and data.X.tobytes() == X.tobytes()
    assert data.y.tolist() == y.tolist() == [5, 0, 4, 1]


def test_unscaled_or_wider_values_load_as_floats(tmp_path, mnist_like):
    images, labels = mnist_like
    lab = write(tmp_path / "l", idx_bytes(labels))
    wide = write(tmp_path / "w", idx_bytes(images.astype(">i2") * 3))
    for path, scale in ((write(tmp_path / "i", idx_bytes(images)), False), (wide, True)):
        data = Idx(images=str(path), labels=str(lab), scale=scale, limit=None).load()
        assert not isinstance(data, ScaledIntegerData) and data.X.dtype == np.float64


def test_gzip_is_recognised_by_content_not_name(tmp_path, mnist_like):
    images, labels = mnist_like
    img = write(tmp_path / "images.idx", idx_bytes(images), gz=True)
    lab = write(tmp_path / "labels.idx.gz", idx_bytes(labels), gz=False)
    X, y = load_idx(img, lab, scale=False)
    assert np.array_equal(X, images.reshape(5, -1).astype(float)) and y.tolist() == [5, 0, 4, 1, 9]


def test_limit_keeps_the_classes_of_the_whole_file(tmp_path, mnist_like):
    images, labels = mnist_like
    img = write(tmp_path / "i", idx_bytes(images))
    lab = write(tmp_path / "l", idx_bytes(labels))
    data = Idx(images=str(img), labels=str(lab), scale=False, limit=2).load()
    assert data.X.shape == (2, 784) and data.y.tolist() == [5, 0]
    assert len(data.classes) == 10


@pytest.mark.parametrize("kind", ["i1", "i2", "i4", "f4", "f8"])
def test_every_value_type_reads_big_endian(tmp_path, kind):
    array = (np.arange(24).reshape(2, 3, 4) * (-3 if kind[0] == "i" else 1.5)).astype(kind)
    path = write(tmp_path / "a.idx", idx_bytes(array))
    got = read_idx(path)
    assert got.shape == (2, 3, 4) and got.dtype == np.dtype(kind)
    assert np.array_equal(got, array)


def test_truncated_body_says_how_much_is_missing(tmp_path, mnist_like):
    images, _ = mnist_like
    path = write(tmp_path / "images", idx_bytes(images[:2])[:1016])
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == (
        f"{path} is truncated: its header declares 2x28x28 values of type uint8 (1,568 bytes) but 1,000 bytes follow it"
    )


def test_truncated_gzip_body(tmp_path, mnist_like):
    images, _ = mnist_like
    path = write(tmp_path / "images.gz", idx_bytes(images[:2])[:1016], gz=True)
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == (
        f"{path} is truncated: its header declares 2x28x28 values of type uint8 (1,568 bytes) but 1,000 bytes follow it"
    )


def test_cut_off_gzip_stream(tmp_path, mnist_like):
    images, _ = mnist_like
    whole = gzip.compress(idx_bytes(images), mtime=0)
    path = tmp_path / "images.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"images\.gz: corrupt or truncated gzip data"):
        read_idx(path)


def test_trailing_data_is_an_error(tmp_path, mnist_like):
    _, labels = mnist_like
    raw = write(tmp_path / "labels", idx_bytes(labels) + b"\0\0")
    with pytest.raises(
        DataError,
        match=r"labels has trailing data: its header declares 5 values of type uint8 \(5 bytes\) but 7 bytes",
    ):
        read_idx(raw)
    gz = write(tmp_path / "labels.gz", idx_bytes(labels) + b"\0\0", gz=True)
    with pytest.raises(DataError, match=r"labels\.gz has trailing data: .* but 6 or more bytes follow it"):
        read_idx(gz)


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_huge_declared_size_is_refused_before_allocating(tmp_path, gz):
    header = bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 4_000_000_000, 4_000_000_000, 4_000_000_000)
    path = write(tmp_path / "bomb", header + b"\0" * 64, gz)
    with pytest.raises(DataError) as err:
        read_idx(path)
    message = str(err.value)
    declared = "4000000000x4000000000x4000000000 values of type float64"
    assert f"{declared} (512,000,000,000,000,000,000,000,000,000 bytes)" in message
    assert ("is truncated: its header declares" in message) if not gz else ("gzip file can hold" in message)


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"\x00\x00", "not an IDX file (only 2 bytes; the magic number alone has 4)"),
        (b"PK\x03\x04rest", "not an IDX file (magic number 0x504b0304; expected 0x0000 then a type code"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "not an IDX file (magic number 0x00000701;"),
        (b"\x00\x00\x08\x00", "not an IDX file (magic number 0x00000800;"),
        (
            b"\x00\x00\x08\x03\x00\x00\x00\x02",
            "is truncated: its header declares 3 dimensions but ends before their sizes",
        ),
    ],
    ids=["short", "zip", "type-code", "zero-dims", "short-dims"],
)
def test_bad_headers(tmp_path, content, expected):
    path = write(tmp_path / "f.idx", content)
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert expected in str(err.value)
    assert str(err.value).startswith(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope-idx3-ubyte: no such file"):
        read_idx(tmp_path / "nope-idx3-ubyte")


def test_images_and_labels_must_agree(tmp_path, mnist_like):
    images, labels = mnist_like
    img = write(tmp_path / "images", idx_bytes(images))
    with pytest.raises(DataError) as err:
        load_idx(img, write(tmp_path / "labels", idx_bytes(labels[:4])))
    assert str(err.value) == f"{img} holds 5 images but {tmp_path / 'labels'} holds 4 labels"
    with pytest.raises(DataError, match=r"labels2: expected one label per image \(1 dimension\), got shape \(5, 1\)"):
        load_idx(img, write(tmp_path / "labels2", idx_bytes(labels.reshape(5, 1))))
    with pytest.raises(DataError, match=r"labels3: labels must be integers, got type float32"):
        load_idx(img, write(tmp_path / "labels3", idx_bytes(labels.astype("f4"))))
    with pytest.raises(DataError, match=r"labels4: labels must be class indices >= 0, found -1"):
        load_idx(img, write(tmp_path / "labels4", idx_bytes(np.array([1, 2, -1, 0, 0], dtype="i1"))))
    with pytest.raises(DataError, match=r"flat: expected images \(n, rows, cols\), got an array of shape \(5,\)"):
        load_idx(write(tmp_path / "flat", idx_bytes(labels)), write(tmp_path / "l", idx_bytes(labels)))


def test_a_fifo_is_refused_without_blocking(tmp_path):
    # Before: open() on a FIFO nobody writes to waited forever (nn train hung).
    import os
    import subprocess
    import sys

    fifo = tmp_path / "images.idx"
    os.mkfifo(fifo)
    code = f"from nn_datasets.idx import read_idx; read_idx({str(fifo)!r})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"nn_core.errors.DataError: {fifo} is a FIFO (named pipe), not a regular file"
    )
