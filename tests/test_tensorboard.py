"""training.log: DIR/ writes TensorBoard event files holding exactly the run's history."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

from nn_core import build, load_spec, train
from nn_core.errors import NNError

ROOT = Path(__file__).resolve().parents[1]
SPIRALS = str(ROOT / "specs" / "spirals.yaml")


def read_scalars(logdir: Path) -> dict[str, dict[int, float]]:
    """Every scalar in the event files of ``logdir``, read with the TFRecord framing and Event protos."""
    from tensorboardX.proto import event_pb2

    scalars: dict[str, dict[int, float]] = {}
    for path in sorted(logdir.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        at = 0
        while at < len(data):
            (length,) = struct.unpack("<Q", data[at : at + 8])
            record = data[at + 12 : at + 12 + length]
            at += 12 + length + 4  # length, its crc, the record, its crc
            event = event_pb2.Event()
            event.ParseFromString(record)
            for value in event.summary.value:
                scalars.setdefault(value.tag, {})[event.step] = value.simple_value
    return scalars


def test_event_files_hold_every_logged_metric(tmp_path: Path) -> None:
    pytest.importorskip("tensorboardX")
    logdir = tmp_path / "runs" / "spirals"
    overrides = ["training.epochs=300", "training.log_every=100", "data.split.dev=0.1", f"training.log={logdir}/"]
    run = train(build(load_spec(SPIRALS, overrides=overrides)))
    scalars = read_scalars(logdir)
    assert set(scalars) == {"loss/train", "accuracy/train", "loss/dev", "accuracy/dev", "lr"}
    for row in run.history:
        for split in ("train", "dev"):
            for metric in ("loss", "accuracy"):
                assert scalars[f"{metric}/{split}"][row["epoch"]] == pytest.approx(row[split][metric], rel=1e-6)
    assert sorted(scalars["loss/train"]) == [0, 100, 200, 300]
    assert list(scalars["lr"].values()) == pytest.approx([1.2] * 4)


def test_missing_tensorboardx_is_one_line_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails as if not installed
    experiment = build(load_spec(SPIRALS, overrides=["training.epochs=5", f"training.log={tmp_path}/tb/"]))
    with pytest.raises(NNError, match=r"needs tensorboardX: pip install tensorboardX \(or nn-core\[tensorboard\]\)"):
        train(experiment)
    assert not (tmp_path / "tb").exists()


def test_a_file_where_the_directory_should_be_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("tensorboardX")
    (tmp_path / "tb").write_text("not a directory")
    experiment = build(load_spec(SPIRALS, overrides=["training.epochs=5", f"training.log={tmp_path}/tb/"]))
    with pytest.raises(NNError, match="is a file"):
        train(experiment)
