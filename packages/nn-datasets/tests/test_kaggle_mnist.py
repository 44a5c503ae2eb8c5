"""Kaggle digit-recognizer CSVs: values, the parse cache, and error messages."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import nn_datasets._cache as cache_module
import nn_datasets.kaggle_mnist as km
from nn_core.compact import ScaledIntegerData
from nn_core.errors import DataError
from nn_datasets.kaggle_mnist import KaggleMnist, load_kaggle_test, load_kaggle_train, write_kaggle_submission

HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))
TEST_HEADER = ",".join(f"pixel{i}" for i in range(784))


def pixels(n: int, seed: int = 0) -> np.ndarray:
    rs = np.random.RandomState(seed)
    p = rs.randint(0, 256, size=(n, 784))
    p[rs.rand(n, 784) < 0.8] = 0
    return p


def write_train(folder: Path, labels, pix: np.ndarray, extra_lines: dict[int, str] | None = None) -> Path:
    lines = [HEADER] + [",".join(map(str, [lab, *row])) for lab, row in zip(labels, pix, strict=True)]
    for number, text in (extra_lines or {}).items():  # replace physical line `number` (1-based)
        lines[number - 1] = text
    path = folder / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def dataset(folder: Path, **params) -> KaggleMnist:
    return KaggleMnist(**{"path": str(folder), "scale": True, "limit": None, "cache": True, **params})


@pytest.fixture
def train(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    labels = np.array([3, 0, 9, 7, 1, 1])
    pix = pixels(6)
    write_train(tmp_path, labels, pix)
    return tmp_path, labels, pix


def test_load_scales_pixels_and_keeps_labels(train):
    folder, labels, pix = train
    data = dataset(folder).load()
    assert data.X.shape == (6, 784) and data.X.dtype == np.float64
    assert np.array_equal(data.X, pix / 255)
    assert data.X.max() <= 1.0 and data.X[pix == 255].tolist() == [1.0] * int((pix == 255).sum())
    assert data.y.tolist() == [3, 0, 9, 7, 1, 1] and data.y.dtype == np.int64
    assert data.classes == tuple("0123456789")
    assert data.extra == {}  # no test.csv


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scaled_bytes_stay_bytes_until_read(train, dtype):
    """The pixels stay uint8 (nn_core.compact); X is load_kaggle_train's, bit for bit, made on first read."""
    folder, labels, _ = train
    source = dataset(folder, limit=5)
    source.feature_dtype = dtype
    data = source.load()
    assert isinstance(data, ScaledIntegerData) and data.raw.dtype == np.uint8 and data._X is None
    X, y = load_kaggle_train(folder, limit=5, dtype=dtype)
    assert data.X.tobytes() == X.tobytes() and data.X.dtype == np.dtype(dtype)
    assert data.y.tolist() == y.tolist() == labels[:5].tolist()
    assert data.classes == tuple("0123456789")


def test_unscaled_and_limited(train):
    folder, _, pix = train
    data = dataset(folder, scale=False, limit=2).load()
    assert np.array_equal(data.X, pix[:2].astype(float))
    assert data.y.tolist() == [3, 0]
    assert dataset(folder, limit=100).load().X.shape == (6, 784)


def test_float_pixels_and_crlf_and_blank_lines_are_accepted(tmp_path):
    lines = [HEADER, "5," + ",".join(["0.0"] * 783 + ["255.0"]), "", "2," + ",".join(["128"] * 784)]
    (tmp_path / "train.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    data = dataset(tmp_path).load()
    assert data.y.tolist() == [5, 2]
    assert data.X[0, -1] == 1.0 and data.X[0, :-1].sum() == 0.0
    assert np.all(data.X[1] == 128 / 255)


def test_cache_is_written_beside_the_csv_and_used(train, monkeypatch):
    folder, labels, pix = train
    first = dataset(folder).load()
    cache = folder / "train.csv.nncache.npz"
    assert cache.is_file()
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []

    def no_parse(path):
        raise AssertionError("parsed although the cache is fresh")

    monkeypatch.setattr(km, "_parse_train", no_parse)
    again = dataset(folder).load()
    assert np.array_equal(again.X, first.X) and np.array_equal(again.y, first.y)
    with np.load(cache, allow_pickle=False) as npz:
        assert npz["pixels"].dtype == np.uint8 and npz["pixels"].shape == (6, 784)


def test_stale_cache_is_rebuilt_when_the_csv_changes(train):
    folder, labels, pix = train
    dataset(folder).load()
    path = write_train(folder, [4, 4], pixels(2, seed=5))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a different mtime, whatever the clock
    data = dataset(folder).load()
    assert data.y.tolist() == [4, 4]
    assert np.array_equal(data.X, pixels(2, seed=5) / 255)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip file", b"PK\x03\x04garbage"],
    ids=["empty", "garbage", "broken-zip"],
)
def test_unreadable_cache_is_rebuilt(train, content):
    folder, labels, pix = train
    cache = folder / "train.csv.nncache.npz"
    cache.write_bytes(content)
    data = dataset(folder).load()
    assert np.array_equal(data.X, pix / 255)
    with np.load(cache, allow_pickle=False) as npz:  # and replaced by a good one
        assert npz["labels"].tolist() == labels.tolist()


def test_cache_with_a_wrong_key_or_shape_or_pickle_is_not_trusted(train):
    folder, labels, pix = train
    path = folder / "train.csv"
    cache = folder / "train.csv.nncache.npz"
    key = cache_module._key(path)
    # right key, wrong shape
    np.savez(cache, __nncache__=key, pixels=np.zeros((6, 783), np.uint8), labels=np.zeros(6, np.int64))
    assert np.array_equal(dataset(folder).load().X, pix / 255)
    # right key, an object array that would need pickle
    np.savez(cache, __nncache__=key, pixels=np.array([None], dtype=object), labels=np.zeros(6, np.int64))
    assert np.array_equal(dataset(folder).load().X, pix / 255)
    # wrong key: cached for a file of another size
    bad_key = key.copy()
    bad_key[1] += 1
    np.savez(cache, __nncache__=bad_key, pixels=np.zeros((6, 784), np.uint8), labels=np.zeros(6, np.int64))
    assert dataset(folder).load().y.tolist() == labels.tolist()


def test_unwritable_folder_skips_the_cache(train, monkeypatch):
    folder, labels, pix = train

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache_module.tempfile, "mkstemp", refuse)
    data = dataset(folder).load()
    assert np.array_equal(data.X, pix / 255)
    assert sorted(p.name for p in folder.iterdir()) == ["train.csv"]


def test_failed_rename_leaves_no_temporary_file(train, monkeypatch):
    folder, _, pix = train

    def refuse(src, dst):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(cache_module.os, "replace", refuse)
    assert np.array_equal(dataset(folder).load().X, pix / 255)
    assert sorted(p.name for p in folder.iterdir()) == ["train.csv"]


def test_cache_false_writes_nothing(train):
    folder, _, _ = train
    dataset(folder, cache=False).load()
    assert sorted(p.name for p in folder.iterdir()) == ["train.csv"]


def test_test_csv_is_read_on_demand(train):
    folder, _, _ = train
    test_pix = pixels(3, seed=1)
    (folder / "test.csv").write_text(TEST_HEADER + "\n" + "\n".join(",".join(map(str, row)) for row in test_pix) + "\n")
    ds = dataset(folder)
    data = ds.load()
    assert data.extra == {"test_path": str(folder / "test.csv")}
    assert np.array_equal(ds.load_test(), test_pix / 255)
    assert np.array_equal(load_kaggle_test(folder, scale=False), test_pix.astype(float))
    assert (folder / "test.csv.nncache.npz").is_file()


def test_submission_file_has_kaggles_format(tmp_path):
    out = tmp_path / "submission.csv"
    write_kaggle_submission(out, np.array([3, 7, 0]))
    assert out.read_text() == "ImageId,Label\n1,3\n2,7\n3,0\n"


# -- errors ---------------------------------------------------------------------------------------


def test_missing_file_names_the_path_looked_for(tmp_path):
    with pytest.raises(DataError) as err:
        dataset(tmp_path / "mnist").load()
    assert str(err.value) == (
        f"{tmp_path / 'mnist' / 'train.csv'}: no such file (no such folder); "
        "expected Kaggle digit-recognizer's train.csv there"
        " (point a spec at its folder with --set data.dataset.path=DIR)"
    )
    with pytest.raises(DataError, match=r"test\.csv: no such file \(it holds no test\.csv\)"):
        load_kaggle_test(tmp_path)


def test_wrong_column_count_names_file_and_line(tmp_path):
    labels, pix = np.arange(20) % 10, pixels(20)
    short = "1," + ",".join(["0"] * 783)
    write_train(tmp_path, labels, pix, {17: short})
    with pytest.raises(DataError) as err:
        load_kaggle_train(tmp_path)
    assert str(err.value) == f"{tmp_path / 'train.csv'} line 17: expected 785 columns, got 784"
    assert not (tmp_path / "train.csv.nncache.npz").exists()


def test_non_numeric_value_names_line_and_column(tmp_path):
    bad = "1," + ",".join(["0"] * 10 + ["x7"] + ["0"] * 773)
    write_train(tmp_path, [1, 2, 3, 4], pixels(4), {4: bad})
    with pytest.raises(DataError) as err:
        load_kaggle_train(tmp_path)
    assert str(err.value) == f"{tmp_path / 'train.csv'} line 4: column 12 (pixel10) is not a number: 'x7'"


def test_non_finite_value_is_rejected(tmp_path):
    bad = "1," + ",".join(["0.5"] * 783 + ["nan"])
    write_train(tmp_path, [1, 2], pixels(2), {3: bad})
    with pytest.raises(DataError, match=r"train\.csv line 3: column 785 \(pixel783\) is not finite: 'nan'"):
        load_kaggle_train(tmp_path)


def test_bad_label_names_its_line_even_after_blank_lines(tmp_path):
    pix = pixels(3)
    lines = [HEADER, "1," + ",".join(map(str, pix[0])), "", "12," + ",".join(map(str, pix[1]))]
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        load_kaggle_train(tmp_path)
    assert str(err.value) == f"{tmp_path / 'train.csv'} line 4: label 12 is not a digit 0..9"


def test_wrong_header_says_what_was_expected(tmp_path):
    (tmp_path / "train.csv").write_text(TEST_HEADER + "\n" + ",".join(["0"] * 784) + "\n")
    with pytest.raises(DataError) as err:
        load_kaggle_train(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'train.csv'} line 1: expected the Kaggle digit-recognizer train.csv header")
    assert "'label,pixel0,...,pixel783' (785 columns), got 'pixel0,pixel1," in message
    assert message.endswith("...' (784 columns)")


def test_header_only_file_has_no_rows(tmp_path):
    (tmp_path / "train.csv").write_text(HEADER + "\n")
    with pytest.raises(DataError, match=r"train\.csv: no data rows after the header"):
        load_kaggle_train(tmp_path)


def test_empty_file_says_a_header_is_expected(tmp_path):
    (tmp_path / "train.csv").write_text("")
    with pytest.raises(DataError, match=r"train\.csv line 1: empty; expected a header row"):
        load_kaggle_train(tmp_path)


def test_pixel_outside_0_255_is_rejected(tmp_path):
    bad = "1," + ",".join(["0"] * 5 + ["300"] + ["0"] * 778)
    write_train(tmp_path, [1, 2, 3], pixels(3), {3: bad})
    with pytest.raises(DataError) as err:
        load_kaggle_train(tmp_path)
    assert str(err.value) == f"{tmp_path / 'train.csv'} line 3: column 7 (pixel5) is 300, outside 0..255"
    (tmp_path / "test.csv").write_text(TEST_HEADER + "\n" + ",".join(["-1"] + ["0"] * 783) + "\n")
    with pytest.raises(DataError, match=r"test\.csv line 2: column 1 \(pixel0\) is -1, outside 0\.\.255"):
        load_kaggle_test(tmp_path)


def test_submission_into_a_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match=r"nowhere/submission\.csv: directory .*/nowhere does not exist"):
        write_kaggle_submission(tmp_path / "nowhere" / "submission.csv", np.array([1]))
