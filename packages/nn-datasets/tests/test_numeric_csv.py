"""The numeric CSV reader behind kaggle_mnist: fallbacks and the error scan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nn_core.errors import DataError
from nn_datasets._numeric_csv import load_numeric_body, scan_numeric

COLUMNS = [f"c{i}" for i in range(40)]


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n")
    return path


def test_integers_parse_as_the_first_dtype(tmp_path):
    path = write(tmp_path, [",".join(["7"] * 40), ",".join(["255"] * 40)])
    table = load_numeric_body(path, COLUMNS, (np.uint8, np.float64))
    assert table.dtype == np.uint8 and table.shape == (2, 40) and table[1].tolist() == [255] * 40


def test_floats_and_spaces_fall_back_to_the_next_dtype(tmp_path):
    path = write(tmp_path, [",".join([" 1.5e1"] * 40), ",".join(["-.5 "] * 40)])
    table = load_numeric_body(path, COLUMNS, (np.uint8, np.float64))
    assert table.dtype == np.float64 and table[:, 0].tolist() == [15.0, -0.5]


def test_a_bad_end_of_a_long_float_line_is_found_quickly(tmp_path):
    # a regex with ambiguous digit runs would backtrack 2**40 ways here and never return
    path = write(tmp_path, [",".join(["12.5"] * 39 + ["12.5x"])])
    with pytest.raises(DataError, match=r"t\.csv line 2: column 40 \(c39\) is not a number: '12\.5x'"):
        scan_numeric(path, COLUMNS)


def test_empty_field_is_not_a_number(tmp_path):
    path = write(tmp_path, [",".join(["1"] * 40), "1,," + ",".join(["1"] * 38)])
    with pytest.raises(DataError, match=r"t\.csv line 3: column 2 \(c1\) is not a number: ''"):
        load_numeric_body(path, COLUMNS, (np.uint8, np.float64))


def test_non_utf8_line_is_named(tmp_path):
    path = write(tmp_path, [",".join(["1"] * 40)])
    with open(path, "ab") as f:
        f.write(b"\xff\xfe," + b",".join([b"1"] * 39) + b"\n")
    with pytest.raises(DataError, match=r"t\.csv line 3: not UTF-8 text"):
        load_numeric_body(path, COLUMNS, (np.uint8, np.float64))
