"""No silent wrong results (issue 12, item 6).

- A loss that grows by orders of magnitude without turning NaN stops the run
  with the same message and resume advice as NaN does.
- Targets a loss cannot take are data errors before training.
- NaN and infinity are refused wherever the schema expects a number.
- The NaN hint names an output activation that does not suit the loss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn_core import build, cli, load_spec
from nn_core.contracts import Data
from nn_core.errors import DataError, TrainingError
from nn_core.targets import check_targets
from nn_core.training import Run, _check_outcome

ROOT = Path(__file__).resolve().parents[1]
SPIRALS = str(ROOT / "specs" / "spirals.yaml")
MOONS3 = str(ROOT / "specs" / "moons-3-class.yaml")


def nn(capsys: Any, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().err.strip()


# -- divergence without NaN ---------------------------------------------------------------------------------------


def test_spirals_at_lr_1e12_stop_as_diverged_not_with_exit_0(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "m.nn"
    code, err = nn(
        capsys, "train", SPIRALS, "-q", "-o", str(out), "--set", "optimizer.lr=1e12", "--set", "training.epochs=200"
    )
    assert code == 1 and not out.exists()
    assert err.startswith("nn: error: loss diverged at epoch 200: the train loss grew from 0.6931 at epoch 0 to "), err
    assert err.endswith("(optimizer lr is 1000000000000.0; try a smaller learning rate)"), err


def test_regression_at_lr_1_stops_with_the_resume_advice(tmp_path: Path, capsys: Any) -> None:
    spec = tmp_path / "line.yaml"
    spec.write_text(
        "name: line\n"
        "data: {dataset: {type: inline, features: [[0], [1], [2], [3], [4]], targets: [1.0, 4.0, 7.0, 10.0, 13.0]}}\n"
        "model: {layers: [{type: dense, units: 1, activation: identity}]}\n"
        "loss: mse\noptimizer: {type: sgd, lr: 1}\nmetrics: []\n"
        f"training: {{epochs: 100, log_every: 1, checkpoint: {{dir: '{tmp_path / 'ck dir'}', every: 1}}}}\n"
    )
    code, err = nn(capsys, "train", str(spec), "-q")
    assert code == 1
    assert err.startswith("nn: error: loss diverged at epoch "), err
    last = err.split("the last checkpoint, ")[1].split(", holds finite weights")[0]
    assert Path(last).exists()
    assert err.endswith(f"(--resume '{last}' --set optimizer.lr=...)"), err  # quoted: the folder has a space


def test_a_run_that_ends_far_worse_than_it_began_is_not_exit_0() -> None:
    experiment = build(load_spec(SPIRALS, ["training.epochs=1"]))
    run = Run(experiment, history=[{"epoch": 0, "train": {"loss": 0.69}}, {"epoch": 100, "train": {"loss": 354.2}}])
    with pytest.raises(TrainingError) as err:
        _check_outcome(run)
    assert str(err.value) == (
        "loss diverged: the train loss ended at 354.2 (epoch 100), 513 times its epoch-0 value 0.69 "
        "(optimizer lr is 1.2; try a smaller learning rate)"
    )
    _check_outcome(
        Run(experiment, history=[{"epoch": 0, "train": {"loss": 0.69}}, {"epoch": 9, "train": {"loss": 0.7}}])
    )


def test_nan_hint_names_an_output_activation_that_does_not_suit_the_loss(capsys: Any) -> None:
    code, err = nn(
        capsys, "train", SPIRALS, "-q", "--set", "model.layers[1].activation=tanh", "--set", "training.epochs=50"
    )
    assert code == 1
    assert err == (
        "nn: error: loss became NaN or infinite at epoch 0 (model.layers[1].activation is tanh, but "
        "binary_cross_entropy expects sigmoid outputs: use activation sigmoid in the last layer)"
    )


# -- targets the loss cannot take ---------------------------------------------------------------------------------


def test_binary_cross_entropy_refuses_three_classes(capsys: Any) -> None:
    code, err = nn(
        capsys, "train", MOONS3, "-q", "--set", "loss=binary_cross_entropy",
        "--set", "model.layers[1]={type: dense, units: 1, activation: sigmoid}",
    )  # fmt: skip
    assert code == 1
    assert err == (
        "nn: error: loss binary_cross_entropy takes labels 0 and 1, but the data has 3 classes (labels 0..2): "
        "use categorical_cross_entropy with 3 output units and softmax"
    )


@pytest.mark.parametrize("units", [2, 5])
def test_output_units_must_match_the_classes(capsys: Any, units: int) -> None:
    code, err = nn(capsys, "train", MOONS3, "-q", "--set", f"model.layers[1].units={units}")
    assert code == 1
    assert err == (
        f"nn: error: model.layers[1] has {units} output units but the data has 3 classes: "
        "give the last layer one unit per class (model.layers[1].units: 3)"
    )


def write_csv_spec(tmp_path: Path, labels: list[str]) -> Path:
    (tmp_path / "d.csv").write_text("a,y\n" + "".join(f"{i},{label}\n" for i, label in enumerate(labels)))
    spec = tmp_path / "s.yaml"
    spec.write_text(
        f"name: s\ndata: {{dataset: {{type: csv, path: '{tmp_path / 'd.csv'}', label: y}}}}\n"
        "model: {layers: [{type: dense, units: 2, activation: softmax}]}\n"
        "loss: categorical_cross_entropy\noptimizer: {type: sgd, lr: 0.1}\ntraining: {epochs: 2}\n"
    )
    return spec


def test_a_one_class_dataset_is_a_data_error(tmp_path: Path, capsys: Any) -> None:
    code, err = nn(capsys, "train", str(write_csv_spec(tmp_path, ["cat"] * 4)), "-q")
    assert (
        code == 1
        and err == "nn: error: the data holds a single class ('cat'): a classifier needs samples of at least two"
    )


def test_a_csv_label_beyond_int64_is_a_data_error(tmp_path: Path, capsys: Any) -> None:
    spec = write_csv_spec(tmp_path, ["0", "99999999999999999999999", "1"])
    code, err = nn(capsys, "train", str(spec), "-q")
    assert code == 1
    assert err == (
        f"nn: error: {tmp_path / 'd.csv'}: column 'y' holds 9.9999999999999992e+22, beyond the 64-bit range of "
        "class labels; for numeric targets set label_type: number"
    )


def test_class_names_shorter_than_the_labels_are_a_data_error() -> None:
    spec = load_spec(MOONS3)
    data = Data(np.zeros((4, 2)), np.array([0, 1, 2, 2]), ("a", "b"))
    with pytest.raises(DataError, match=r"^the dataset names 2 classes but its labels go up to 2; every label"):
        check_targets(spec, data, 3, "classes")


def test_categorical_cross_entropy_refuses_regression_targets() -> None:
    spec = load_spec(MOONS3)
    with pytest.raises(DataError, match="takes class labels, but the data's targets are float64 numbers"):
        check_targets(spec, Data(np.zeros((3, 2)), np.array([0.5, 1.5, 2.0])), 3, "classes")
    with pytest.raises(DataError, match=r"takes targets between 0 and 1, but the data's range over -1\.\.2"):
        check_targets(spec, Data(np.zeros((2, 2)), np.array([-1.0, 2.0])), 1, "binary")


# -- NaN and infinity in specs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("training.early_stopping={min_delta: .nan}", "training.early_stopping.min_delta"),
        ("data.split.dev=.nan", "data.split.dev"),
        ("optimizer.lr=.inf", "optimizer.lr"),
        ("model.layers[1]={type: dropout, rate: .nan}", "model.layers[1].rate"),
    ],
)
def test_nan_and_infinity_are_refused_where_a_number_is_expected(capsys: Any, override: str, path: str) -> None:
    code, err = nn(capsys, "validate", str(ROOT / "specs" / "moons-ffnn.yaml"), "--set", override)
    value = "inf" if "inf" in override else "nan"
    assert code == 2  # a spec error
    assert err == f"nn: error: (--set {override}): {path}: expected a finite number, got {value}"


def test_nan_in_a_json_spec_is_refused(tmp_path: Path, capsys: Any) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(
        '{"data": {"dataset": {"type": "inline", "features": [[0], [NaN]], "targets": [0.0, 1.0]}},'
        ' "model": {"layers": [{"type": "dense", "units": 1}]}, "loss": "mse", "optimizer": "sgd", "metrics": []}'
    )
    code, err = nn(capsys, "validate", str(spec))
    assert code == 2 and err.endswith("data.dataset.features[1][0]: expected a finite number, got nan"), err
