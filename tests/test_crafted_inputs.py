"""Bounded memory from small inputs (issue 12, item 5) and no ``nn: internal error`` from ordinary or crafted
input (item 8): every case the audit found ends in one line naming the file and what is wrong.
"""

from __future__ import annotations

import copy
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn_core import cli
from nn_core.modelfile import read_archive, write_archive

ROOT = Path(__file__).resolve().parents[1]
MOONS = str(ROOT / "specs" / "moons-ffnn.yaml")
HEADER = ("format", "format_version", "kind")


def nn(capsys: Any, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().err.strip()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("trained")
    model, ckpt = folder / "m.nn", folder / "ck"
    sets = ["--set", "training.epochs=20", "--set", "data.scale=standard", "--set", "training.batch_size=16"]
    sets += ["--set", "optimizer={type: adam, lr: 0.01}", "--set", f"training.checkpoint={{dir: {ckpt}, every: 10}}"]
    assert cli.main(["train", MOONS, "-q", "-o", str(model), *sets]) == 0
    inputs = folder / "in.csv"
    inputs.write_text("x0,x1\n0.5,0.2\n-1,0.3\n")
    return {"model": model, "checkpoint": ckpt / "epoch-000010.ckpt", "inputs": inputs, "sets": sets}  # type: ignore[dict-item]


def crafted(tmp_path: Path, source: Path, kind: str, change: Any) -> Path:
    arrays, meta = read_archive(source, kind)
    meta = copy.deepcopy({k: v for k, v in meta.items() if k not in HEADER})
    arrays = dict(arrays)
    change(arrays, meta)
    path = tmp_path / f"crafted.{kind}"
    write_archive(path, kind, arrays, meta)
    return path


# -- item 5: bounded memory ---------------------------------------------------------------------------------------


def test_a_small_model_claiming_a_huge_input_is_refused_before_allocating(
    trained: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    def huge(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        meta["input_dim"] = 10**8

    path = crafted(tmp_path, trained["model"], "model", huge)
    assert path.stat().st_size < 64 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, err = nn(capsys, "evaluate", str(path))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert code == 1
    assert err == (
        f"nn: error: model file {path} is inconsistent: input_dim is 100,000,000 but the file stores only 22 weights"
    )
    assert grown_mb < 100, f"refusing the file cost {grown_mb:.0f} MB"


def test_a_spec_layer_wider_than_the_stored_weights_is_refused(
    trained: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    def wide(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        meta["spec"]["model"]["layers"][0]["units"] = 10**7

    path = crafted(tmp_path, trained["model"], "model", wide)
    code, err = nn(capsys, "predict", str(path), str(trained["inputs"]), "-o", str(tmp_path / "p.csv"))
    assert code == 1
    assert err == (
        f"nn: error: model file {path} is inconsistent: model.layers[0] (2 inputs × 10,000,000 units) needs more "
        "weights than the file stores (22)"
    )


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "directory"])
def test_predict_inputs_must_be_regular_files_checked_before_a_blocking_open(
    trained: dict[str, Path], tmp_path: Path, special: str
) -> None:
    target = special
    if special == "fifo":
        target = str(tmp_path / "in.fifo")
        os.mkfifo(target)  # opening it for reading would block forever without a writer
    elif special == "directory":
        target = str(tmp_path / "folder")
        os.mkdir(target)
    kind = {"/dev/zero": "a device", "fifo": "a FIFO (named pipe)", "directory": "a directory"}[special]
    result = subprocess.run(
        [sys.executable, "-m", "nn_core.cli", "predict", str(trained["model"]), target, "-o", str(tmp_path / "p.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"nn: error: input file {target} is {kind}, not a regular file"


def test_a_field_over_the_csv_limit_is_a_data_error(trained: dict[str, Path], tmp_path: Path, capsys: Any) -> None:
    big = tmp_path / "big.csv"
    big.write_text("x0,x1\n1," + "9" * 200_000 + "\n")
    code, err = nn(capsys, "predict", str(trained["model"]), str(big), "-o", str(tmp_path / "p.csv"))
    assert code == 1 and err == f"nn: error: {big} line 2: field larger than field limit (131072)"


# -- item 8: crafted model and checkpoint fields ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("classes", "x", "classes is 'x', expected null or a list of class names"),
        ("classes", ["a", "b", "c"], "it names 3 classes but its network has 2 output units"),
        ("components", [1], "components is [1], expected a list of component records"),
        ("input_dim", "2", "input_dim is '2', expected a positive integer"),
        ("task", 7, "task is 7, expected 'classification' or 'regression'"),
        ("scaling", "zscore", "ValueError: unknown scaling 'zscore'"),
        ("history", {"a": 1}, "history is {'a': 1}, expected a list of logged epochs"),
    ],
)
def test_crafted_model_metadata_is_a_one_line_error(
    trained: dict[str, Path], tmp_path: Path, capsys: Any, field: str, value: Any, message: str
) -> None:
    path = crafted(tmp_path, trained["model"], "model", lambda arrays, meta: meta.__setitem__(field, value))
    for command in (
        ["evaluate", str(path)],
        ["predict", str(path), str(trained["inputs"]), "-o", str(tmp_path / "p.csv")],
    ):
        code, err = nn(capsys, *command)
        assert code == 1 and err == f"nn: error: model file {path} is inconsistent: {message}", err


def test_nan_weights_in_a_model_file_are_refused(trained: dict[str, Path], tmp_path: Path, capsys: Any) -> None:
    def poison(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        arrays["weights/layers.1.weight"] = np.full_like(arrays["weights/layers.1.weight"], np.nan)

    path = crafted(tmp_path, trained["model"], "model", poison)
    code, err = nn(capsys, "predict", str(path), str(trained["inputs"]), "-o", str(tmp_path / "p.csv"))
    assert code == 1
    assert err == f"nn: error: model file {path} is unusable: weights layers.1.weight hold 8 NaN or infinite values"


def test_a_crafted_scaler_is_refused(trained: dict[str, Path], tmp_path: Path, capsys: Any) -> None:
    def zero_scale(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        arrays["preprocess/scaler.scale"] = np.zeros(2)

    path = crafted(tmp_path, trained["model"], "model", zero_scale)
    code, err = nn(capsys, "evaluate", str(path))
    assert code == 1
    assert (
        err
        == f"nn: error: model file {path} is inconsistent: ValueError: scaler.scale holds values that are not positive"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a, m: m["optimizer_scalars"].__setitem__("step", -1),
            "optimizer state step is -1, expected a count (0 or more)",
        ),
        (
            lambda a, m: m["shuffle_state"]["state"].__setitem__("inc", -1),
            "OverflowError: Python integer -1 out of bounds for uint64",
        ),
        (
            lambda a, m: a.__setitem__("rng/bogus", np.zeros(3)),
            "generator states ['bogus'] do not match the network's []",
        ),
        (
            lambda a, m: m.__setitem__("optimizer_scalars", {"a": 1}),
            "the optimizer state names ['a', 'm', 'v'], not ['m', 'step', 'v']",
        ),
        (
            lambda a, m: a.__setitem__("optimizer/m", np.zeros(3)),
            "optimizer state m does not fit this optimizer (shape (3,))",
        ),
        (
            lambda a, m: a.__setitem__("weights/layers.0.bias", np.full(4, np.inf)),
            "weights layers.0.bias hold NaN or infinite values",
        ),
    ],
)
def test_crafted_checkpoint_fields_are_a_one_line_error(
    trained: dict[str, Path], tmp_path: Path, capsys: Any, change: Any, message: str
) -> None:
    path = crafted(tmp_path, trained["checkpoint"], "checkpoint", change)
    code, err = nn(capsys, "train", MOONS, "-q", *trained["sets"], "--set", "training.epochs=30", "--resume", str(path))  # type: ignore[misc]
    assert code == 1
    assert err.startswith(f"nn: error: checkpoint {path} is inconsistent: ") and err.endswith(message), err


# -- item 8: ordinary input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "value"), [("--max-entries", "-5"), ("--samples", "0")])
def test_gradcheck_counts_must_be_positive(capsys: Any, option: str, value: str) -> None:
    code, err = nn(capsys, "gradcheck", MOONS, option, value)
    assert code == 1 and err == f"nn: error: {option} must be at least 1, got {value}"


def test_a_closed_pipe_on_stdout_is_not_an_internal_error(trained: dict[str, Path]) -> None:
    rows = trained["inputs"].parent / "many.csv"
    rows.write_text("x0,x1\n" + "0.5,0.2\n" * 100_000)  # more than a pipe buffer holds
    # `nn plugins` prints less than a pipe buffer holds: it may finish before the reader closes (exit 0)
    for command, codes in (
        (["plugins"], (0, 141)),
        (["predict", str(trained["model"]), str(rows), "-o", "-"], (141,)),
    ):
        process = subprocess.Popen(
            [sys.executable, "-m", "nn_core.cli", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()  # `| head -c 10`
        code = process.wait(timeout=60)
        err = process.stderr.read().decode()
        process.stderr.close()
        assert code in codes and err == "", (command, code, err)


def test_a_fifo_as_training_data_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        f"name: s\ndata: {{dataset: {{type: csv, path: '{fifo}', label: y}}}}\n"
        "model: {layers: [{type: dense, units: 2, activation: softmax}]}\n"
        "loss: categorical_cross_entropy\noptimizer: sgd\ntraining: {epochs: 2}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "nn_core.cli", "train", str(spec), "-q"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"nn: error: {fifo} is a FIFO (named pipe), not a regular file"
