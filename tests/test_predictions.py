"""Predictions from Python and from `nn predict` agree, with labels of the data's type (issue 17)."""

from __future__ import annotations

import csv
import gzip
import struct
from pathlib import Path

import numpy as np

from nn_core.cli import main
from nn_core.model import load_model

ROOT = Path(__file__).resolve().parents[1]


def _train(tmp_path: Path, spec: str, *overrides: str) -> Path:
    path = tmp_path / f"{spec}.nn"
    sets = [a for o in overrides for a in ("--set", o)]
    assert main(["train", str(ROOT / "specs" / f"{spec}.yaml"), "-q", "-o", str(path), *sets]) == 0
    return path


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_binary_model_predicts_integers_and_two_probability_columns(tmp_path: Path) -> None:
    model = load_model(_train(tmp_path, "spirals", "training.epochs=300"))
    X = np.array([[0.5, -1.0], [-2.0, 1.0], [0.0, 0.0]])
    labels = model.predict(X)
    assert labels.dtype == np.int64 and set(labels.tolist()) <= {0, 1}
    proba = model.predict_proba(X)
    assert proba.shape == (3, 2)  # one column per class, as scikit-learn's predict_proba
    assert np.allclose(proba.sum(axis=1), 1)
    assert labels.tolist() == proba.argmax(axis=1).tolist()
    assert model.outputs(X).shape == (3, 1)  # the sigmoid unit itself is still reachable


def test_cli_and_python_probabilities_agree(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    model_path = _train(tmp_path, "spirals", "training.epochs=300")
    X = np.array([[0.5, -1.0], [-2.0, 1.0]])
    inputs = tmp_path / "in.csv"
    inputs.write_text("x1,x2\n" + "\n".join(",".join(str(float(v)) for v in row) for row in X) + "\n")
    out = tmp_path / "out.csv"
    assert main(["predict", str(model_path), str(inputs), "-o", str(out), "--proba"]) == 0
    assert "wrote 2 predictions" in capsys.readouterr().out
    rows = _rows(out)
    assert rows[0] == ["label", "proba_0", "proba_1"]
    model = load_model(model_path)
    assert [int(r[0]) for r in rows[1:]] == model.predict(X).tolist()
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in rows[1:]], model.predict_proba(X), rtol=1e-5)


def test_headerless_csv_keeps_its_first_row(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    model_path = _train(tmp_path, "spirals", "training.epochs=50")
    inputs = tmp_path / "in.csv"
    inputs.write_text("0.5,-1.0\n-2.0,1.0\n")
    out = tmp_path / "out.csv"
    assert main(["predict", str(model_path), str(inputs), "-o", str(out)]) == 0
    assert "wrote 2 predictions" in capsys.readouterr().out
    assert len(_rows(out)) == 3
    single = tmp_path / "one.csv"
    single.write_text("x1,x2\n0.5,-1.0\n")
    assert main(["predict", str(model_path), str(single), "-o", str(out)]) == 0
    assert "wrote 1 prediction to" in capsys.readouterr().out


def test_named_classes_come_back_as_names(tmp_path: Path) -> None:
    model = load_model(_train(tmp_path, "moons-3-class", "data.dataset=iris", "training.epochs=100"))
    labels = model.predict(np.array([[5.1, 3.5, 1.4, 0.2], [6.0, 2.2, 5.0, 1.5]]))
    assert labels.dtype == object and set(labels.tolist()) <= set(model.classes or [])
    assert model.classes and not model.classes[0].isdigit()


def test_integer_labels_that_are_not_0_to_k_come_back_as_those_integers(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, 7, -3)
    data.write_text("a,b,y\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y, strict=True)))
    model = load_model(
        _train(
            tmp_path,
            "moons-3-class",
            f"data.dataset={{type: csv, path: {data}, label: y}}",
            "model.layers[1].units=2",
            "training.epochs=300",
        )
    )
    predicted = model.predict(X)
    assert predicted.dtype == np.int64 and set(predicted.tolist()) <= {-3, 7}
    assert np.mean(predicted == y) > 0.9


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(">u1").tobytes()


def test_predict_reads_an_idx_images_file_for_an_idx_model(tmp_path: Path) -> None:
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 3, size=90).astype(np.uint8)
    images = (rng.randint(0, 60, size=(90, 4, 4)) + 60 * labels[:, None, None]).astype(np.uint8)
    (tmp_path / "img.gz").write_bytes(gzip.compress(_idx(images), mtime=0))
    (tmp_path / "lab").write_bytes(_idx(labels))
    test_images = images[:7]
    (tmp_path / "test-img").write_bytes(_idx(test_images))
    model_path = _train(
        tmp_path,
        "moons-3-class",
        f"data.dataset={{type: idx, images: {tmp_path / 'img.gz'}, labels: {tmp_path / 'lab'}}}",
        "data.scale=none",
        "training.epochs=200",
    )
    out = tmp_path / "out.csv"
    assert main(["predict", str(model_path), str(tmp_path / "test-img"), "-o", str(out), "--proba"]) == 0
    rows = _rows(out)
    assert len(rows) == 8 and rows[0][:2] == ["label", "proba_0"]
    model = load_model(model_path)
    expected = model.predict(test_images.reshape(7, -1) / 255.0)
    assert [int(r[0]) for r in rows[1:]] == expected.tolist()


def test_headerless_csv_for_a_csv_model_is_refused_with_the_column_names(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n" + "".join(f"{p},{q},{int(p > 0)}\n" for p, q in X))
    model = _train(tmp_path, "spirals", f"data.dataset={{type: csv, path: {data}, label: y}}", "training.epochs=20")
    inputs = tmp_path / "nohead.csv"
    inputs.write_text("".join(f"{p},{q}\n" for p, q in X[:3]))
    capsys.readouterr()
    assert main(["predict", str(model), str(inputs), "-o", str(tmp_path / "o.csv")]) != 0
    err = capsys.readouterr().err
    assert "the first row is numbers, not a header; add a header row naming the feature columns (a, b)" in err
    assert not (tmp_path / "o.csv").exists()
