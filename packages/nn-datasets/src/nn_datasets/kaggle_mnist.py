"""Kaggle's digit-recognizer CSVs (tutorial 002): ``train.csv``, ``test.csv``, submissions.

``train.csv`` has the header ``label,pixel0,...,pixel783`` and one 28x28 image
per row; ``test.csv`` the same without ``label``. Parsing 42,000 rows takes
about a second, so a parsed copy is cached beside each file (see
:mod:`nn_datasets._cache`) and later loads take a fraction of that.

``load()`` does not parse ``test.csv``: training never needs it. Its path is in
``Data.extra["test_path"]`` when it exists, and :func:`load_kaggle_test` (or
:meth:`KaggleMnist.load_test`) reads it for predictions, which
:func:`write_kaggle_submission` writes in the form Kaggle accepts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_core.errors import DataError
from nn_datasets._cache import cached
from nn_datasets._numeric_csv import line_of_row, load_numeric_body, read_header
from nn_datasets._pixels import PIXEL_MAX, pixel_data, pixel_features
from nn_datasets._schema import class_names, object_schema

PIXELS = 784  # 28 x 28
PIXEL_COLUMNS = [f"pixel{i}" for i in range(PIXELS)]
TRAIN_COLUMNS = ["label", *PIXEL_COLUMNS]
CLASSES = class_names(10)


def _check_header(path: Path, expected: list[str], what: str) -> None:
    header = read_header(path)
    if header != expected:
        got = "".join(c if c.isprintable() else repr(c)[1:-1] for c in ",".join(header))  # one line, always
        got = got if len(got) <= 60 else got[:57] + "..."
        raise DataError(
            f"{path} line 1: expected the {what} header '{expected[0]},{expected[1]},...,{expected[-1]}' "
            f"({len(expected)} columns), got '{got}' ({len(header)} columns)"
        )


def _check_pixels(path: Path, pixels: np.ndarray, first_column: int) -> None:
    """Pixels parsed as floats (uint8 parsing failed) must still lie in 0..255."""
    if pixels.dtype == np.uint8:
        return
    bad = np.argwhere((pixels < 0) | (pixels > PIXEL_MAX))
    if bad.size:
        row, column = (int(i) for i in bad[0])
        raise DataError(
            f"{path} line {line_of_row(path, row)}: column {first_column + column + 1} (pixel{column}) "
            f"is {pixels[row, column]:g}, outside 0..255"
        )


def _parse_train(path: Path) -> dict[str, np.ndarray]:
    _check_header(path, TRAIN_COLUMNS, "Kaggle digit-recognizer train.csv")
    table = load_numeric_body(path, TRAIN_COLUMNS, (np.uint8, np.float64))
    labels = table[:, 0]
    bad = np.flatnonzero((labels != np.round(labels)) | (labels < 0) | (labels > 9))
    if bad.size:
        line = line_of_row(path, int(bad[0]))
        raise DataError(f"{path} line {line}: label {labels[bad[0]]:g} is not a digit 0..9")
    _check_pixels(path, table[:, 1:], 1)
    return {"pixels": np.ascontiguousarray(table[:, 1:]), "labels": labels.astype(np.int64)}


def _parse_test(path: Path) -> dict[str, np.ndarray]:
    _check_header(path, PIXEL_COLUMNS, "Kaggle digit-recognizer test.csv")
    pixels = load_numeric_body(path, PIXEL_COLUMNS, (np.uint8, np.float64))
    _check_pixels(path, pixels, 0)
    return {"pixels": pixels}


def _valid(arrays: dict[str, np.ndarray], with_labels: bool) -> bool:
    """Whether cached arrays are what parsing gives: a planted or damaged cache is parsed again."""
    pixels = arrays.get("pixels")
    if pixels is None or pixels.ndim != 2 or pixels.shape[1] != PIXELS or pixels.dtype.kind not in "uf":
        return False
    if len(pixels) == 0 or (pixels.dtype.kind == "f" and not bool(((pixels >= 0) & (pixels <= PIXEL_MAX)).all())):
        return False
    if not with_labels:
        return True
    labels = arrays.get("labels")
    if labels is None or labels.shape != (len(pixels),) or labels.dtype != np.int64:
        return False
    return bool(((labels >= 0) & (labels <= 9)).all())


def _csv_in(folder: str | os.PathLike[str], name: str) -> Path:
    folder = Path(folder).expanduser()
    path = folder / name
    if not path.is_file():
        where = "no such folder" if not folder.is_dir() else f"it holds no {name}"
        raise DataError(
            f"{path}: no such file ({where}); expected Kaggle digit-recognizer's {name} there"
            " (point a spec at its folder with --set data.dataset.path=DIR)"
        )
    return path


def load_kaggle_train(
    folder: str | os.PathLike[str],
    *,
    scale: bool = True,
    limit: int | None = None,
    cache: bool = True,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """``X (n, 784)`` in ``dtype`` (``/255`` if ``scale``) and digit labels ``y`` from ``folder/train.csv``."""
    pixels, labels = _train_arrays(folder, cache)
    return pixel_features(pixels[:limit], scale, dtype), labels[:limit]


def _train_arrays(folder: str | os.PathLike[str], cache: bool) -> tuple[np.ndarray, np.ndarray]:
    """train.csv's pixels as stored (uint8, or float64 when a value is not a byte) and its labels."""
    path = _csv_in(folder, "train.csv")
    arrays = cached(path, lambda: _parse_train(path), lambda a: _valid(a, True), cache)
    return arrays["pixels"], arrays["labels"]


def load_kaggle_test(folder: str | os.PathLike[str], *, scale: bool = True, cache: bool = True) -> np.ndarray:
    """``X (n, 784)`` float64 from ``folder/test.csv`` (or that file itself), scaled as the training data."""
    given = Path(folder).expanduser()
    path = given if given.is_file() else _csv_in(folder, "test.csv")
    arrays = cached(path, lambda: _parse_test(path), lambda a: _valid(a, False), cache)
    return pixel_features(arrays["pixels"], scale)


def write_kaggle_submission(path: str | os.PathLike[str], labels: np.ndarray, proba: np.ndarray | None = None) -> None:
    """Write predicted digits as Kaggle expects: ``ImageId,Label`` with ImageId from 1.

    With ``proba``, one ``proba_<digit>`` column per class follows (the
    ImageId stays, so rows can still be matched to test.csv). Written through
    :func:`nn_core.outputs.atomic_write` (an ``O_EXCL`` temporary file beside
    ``path``, renamed), so a failure never leaves half a submission and a
    symlink planted at a predictable name is never followed.
    """
    from nn_core.outputs import OutputError, atomic_write, check_output_path

    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    header = "ImageId,Label"
    if proba is None:
        rows = "".join(f"{i},{int(label)}\n" for i, label in enumerate(labels, start=1))
    else:
        header += "".join(f",proba_{c}" for c in CLASSES[: proba.shape[1]])
        rows = "".join(
            f"{i},{int(label)}," + ",".join(f"{p:.6g}" for p in row) + "\n"
            for i, (label, row) in enumerate(zip(labels, proba, strict=True), start=1)
        )
    path = Path(path).expanduser()
    data = (header + "\n" + rows).encode("utf-8")
    try:
        check_output_path(path, what="submission")
        atomic_write(path, lambda f: f.write(data))
    except OutputError as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot write the submission ({exc.strerror or exc})") from None


class KaggleMnist(Dataset):
    """Kaggle digit-recognizer MNIST CSVs (train.csv, 42,000 28x28 digits), cached after the first parse."""

    name: ClassVar[str] = "kaggle_mnist"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "path": {
                "type": "string",
                "minLength": 1,
                "description": "folder holding train.csv (and test.csv)",
                "examples": ["data/digit-recognizer"],
            },
            "scale": {
                "type": "boolean",
                "default": True,
                "description": "divide pixels by 255 to get [0, 1]",
            },
            "limit": {
                "type": ["integer", "null"],
                "minimum": 1,
                "default": None,
                "description": "use only the first rows of train.csv; null for all",
            },
            "cache": {
                "type": "boolean",
                "default": True,
                "description": "keep a parsed copy beside the CSV (train.csv.nncache.npz) for fast reloads",
            },
        },
        required=("path",),
    )

    def __init__(self, *, path: str, scale: bool, limit: int | None, cache: bool) -> None:
        super().__init__(path=path, scale=scale, limit=limit, cache=cache)

    def load(self) -> Data:
        p = self.params
        pixels, labels = _train_arrays(p["path"], p["cache"])
        pixels, y = pixels[: p["limit"]], labels[: p["limit"]]
        test = Path(p["path"]).expanduser() / "test.csv"
        extra = {"test_path": str(test)} if test.is_file() else {}
        return pixel_data(pixels, y, scale=p["scale"], dtype=self.feature_dtype, classes=CLASSES, extra=extra)

    def load_test(self) -> np.ndarray:
        """The test.csv features, scaled like the training data."""
        return load_kaggle_test(self.params["path"], scale=self.params["scale"], cache=self.params["cache"])

    def read_inputs(self, path: str) -> np.ndarray:
        """``nn predict``: a Kaggle test.csv (or a folder holding one), scaled like the training data."""
        return load_kaggle_test(path, scale=self.params["scale"], cache=self.params["cache"])

    def write_predictions(
        self, path: str, labels: np.ndarray, proba: np.ndarray | None, classes: list[str] | None
    ) -> bool:
        """Kaggle's submission format, ``ImageId,Label``, then ``proba_0 .. proba_9`` with probabilities."""
        write_kaggle_submission(path, np.asarray([int(label) for label in labels]), proba)
        return True
