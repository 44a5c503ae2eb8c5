"""The generic CSV dataset: feature selection, label encoding, and errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nn_core.errors import DataError
from nn_datasets.csv_file import Csv, encode_labels
from nn_datasets.iris import Iris


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load(path: Path, label: str, features=None, label_type: str = "auto"):
    return Csv(path=str(path), label=label, features=features, label_type=label_type).load()


def test_numeric_file_with_integer_labels(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2.5,0\n-3,4e-1,2\n\n5,6,1\n")
    data = load(path, "label")
    assert data.X.tolist() == [[1.0, 2.5], [-3.0, 0.4], [5.0, 6.0]] and data.X.dtype == np.float64
    assert data.y.tolist() == [0, 2, 1] and data.y.dtype == np.int64
    assert data.classes == ("0", "1", "2")
    assert data.extra == {"feature_names": ("a", "b")}


def test_text_labels_map_to_sorted_classes_and_features_follow_the_list(tmp_path):
    path = write(tmp_path, "x,species,y,z\n1,virginica,2,3\n4,setosa,5,6\n7,versicolor,8,9\n10,setosa,11,12\n")
    data = load(path, "species", features=["z", "x"])
    assert data.classes == ("setosa", "versicolor", "virginica")
    assert data.y.tolist() == [2, 0, 1, 0]
    assert data.X.tolist() == [[3, 1], [6, 4], [9, 7], [12, 10]]
    assert data.extra["feature_names"] == ("z", "x")


def test_quotes_bom_and_crlf(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes('\ufeff"height","kind"\r\n"1.5","tall, very"\r\n2,short\r\n'.encode())
    data = load(path, "kind")
    assert data.X.tolist() == [[1.5], [2.0]]
    assert data.classes == ("short", "tall, very") and data.y.tolist() == [1, 0]


def test_iris_round_trips_through_csv(tmp_path):
    iris = Iris().load()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    rows = [",".join([*map(repr, x.tolist()), iris.classes[c]]) for x, c in zip(iris.X, iris.y, strict=True)]
    path = write(tmp_path, ",".join([*names, "species"]) + "\n" + "\n".join(rows) + "\n")
    data = load(path, "species")
    assert np.array_equal(data.X, iris.X) and np.array_equal(data.y, iris.y)
    assert data.classes == iris.classes


@pytest.mark.parametrize(
    "values,label_type,y,classes",
    [
        (np.array([1, 3, 2, 3]), "auto", [0, 2, 1, 2], ("1", "2", "3")),
        (np.array([-1.0, 1.0, 1.0]), "auto", [0, 1, 1], ("-1", "1")),
        (np.array([0.75, 0.82, 0.93]), "auto", [0.75, 0.82, 0.93], None),
        (np.array([2, 0, 1]), "number", [2.0, 0.0, 1.0], None),
        (np.array([1.5, 0.5, 1.5]), "class", [1, 0, 1], ("0.5", "1.5")),
        (["b", "a", "nan"], "auto", [1, 0, 2], ("a", "b", "nan")),
        (["2", "10", "2"], "auto", [0, 1, 0], ("2", "10")),
    ],
)
def test_label_encoding(values, label_type, y, classes):
    got_y, got_classes = encode_labels(values, label_type)
    assert got_y.tolist() == y and got_classes == classes
    assert got_y.dtype == (np.float64 if classes is None else np.int64)


def test_fractional_labels_are_regression_targets(tmp_path):
    path = write(tmp_path, "sleep,study,score\n3,5,0.75\n5,1,0.82\n10,2,0.93\n")
    data = load(path, "score")
    assert data.classes is None and data.y.tolist() == [0.75, 0.82, 0.93]


# -- errors ---------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as err:
        load(tmp_path / "nope.csv", "y")
    assert str(err.value) == f"{tmp_path / 'nope.csv'}: no such file"


def test_unknown_label_column_suggests_the_closest(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2,0\n")
    with pytest.raises(DataError) as err:
        load(path, "lable")
    assert (
        str(err.value) == f"{path}: no label column 'lable' in the header (did you mean 'label'?); columns: a, b, label"
    )
    with pytest.raises(DataError, match=r"no feature column 'c' in the header; columns: a, b, label"):
        load(path, "label", features=["a", "c"])
    with pytest.raises(DataError, match=r"column 'label' is the label and cannot also be a feature"):
        load(path, "label", features=["a", "label"])


@pytest.mark.parametrize("labels", ["0,1", "x,y"], ids=["numeric", "text"])
def test_wrong_column_count_names_the_line(tmp_path, labels):
    first, second = labels.split(",")
    path = write(tmp_path, f"a,b,label\n1,2,{first}\n\n3,{second}\n")
    with pytest.raises(DataError) as err:
        load(path, "label")
    assert str(err.value) == f"{path} line 4: expected 3 columns, got 2"


def test_non_numeric_feature_names_line_and_column(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2,cat\n3,four,dog\n")
    with pytest.raises(DataError) as err:
        load(path, "label")
    assert str(err.value) == f"{path} line 3: column 2 (b) is not a number: 'four'"
    path = write(tmp_path, "a,b,label\n1,2,0\n3,inf,1\n", "inf.csv")
    with pytest.raises(DataError, match=r"inf\.csv line 3: column 2 \(b\) is not finite: 'inf'"):
        load(path, "label")


def test_header_problems(tmp_path):
    with pytest.raises(DataError, match=r"empty\.csv line 1: expected a header row"):
        load(write(tmp_path, "", "empty.csv"), "y")
    with pytest.raises(DataError, match=r"dup\.csv line 1: column name 'a' appears twice \(again as column 3\)"):
        load(write(tmp_path, "a,b,a\n1,2,3\n", "dup.csv"), "b")
    with pytest.raises(DataError, match=r"rows\.csv: no data rows after the header"):
        load(write(tmp_path, "a,b\n", "rows.csv"), "b")


def test_number_label_type_rejects_text(tmp_path):
    path = write(tmp_path, "a,y\n1,0.5\n2,high\n")
    with pytest.raises(DataError) as err:
        load(path, "y", label_type="number")
    assert str(err.value) == f"{path}: label_type is 'number' but column 'y' holds 'high'"
