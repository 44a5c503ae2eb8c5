"""Checkpoint rotation deletes only this run's own checkpoints, oldest by (epoch, step) (issue 12, item 2).

Another run's files in the same directory, the checkpoint just written and
the Ctrl-C checkpoint survive; epochs past 999,999 (names one digit longer)
rotate in order; two live runs never share a checkpoint directory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes import SPEC, fake_registry

from nn_core import build, load_spec, train
from nn_core.checkpoint import LOCK_NAME, Checkpointer, load_checkpoint, restore
from nn_core.errors import NNError
from nn_core.testing import CtrlCAt
from nn_core.training import Interrupted

PM, REGISTRY = fake_registry()


def spec_with(tmp_path: Path, *overrides: str, registry: Any = REGISTRY) -> Any:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return load_spec(path, list(overrides), registry)


def other_runs_checkpoints(folder: Path, epochs: tuple[int, ...] = (50, 60, 70)) -> dict[Path, bytes]:
    """Files another (older, longer) run left: names that sort after this run's."""
    folder.mkdir(exist_ok=True)
    made = {}
    for epoch in epochs:
        path = folder / f"epoch-{epoch:06d}.ckpt"
        path.write_bytes(f"another run's epoch {epoch}".encode())
        made[path] = path.read_bytes()
    return made


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != LOCK_NAME)


def test_a_fresh_run_keeps_its_own_newest_checkpoints_beside_an_older_runs(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    others = other_runs_checkpoints(ckpt)
    spec = spec_with(tmp_path, "training.epochs=5", f"training.checkpoint={{dir: {ckpt}, every: 1, keep: 2}}")
    train(build(spec, REGISTRY), pm=PM)
    assert names(ckpt) == ["epoch-000004.ckpt", "epoch-000005.ckpt", *(p.name for p in others)]
    assert all(path.read_bytes() == content for path, content in others.items()), "another run's file changed"
    load_checkpoint(ckpt / "epoch-000005.ckpt")


def test_the_ctrl_c_checkpoint_is_never_deleted(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    others = other_runs_checkpoints(ckpt)
    pm, registry = fake_registry((CtrlCAt(3), "nn-ctrl-c"))
    spec = spec_with(
        tmp_path,
        "training.epochs=8",
        "training.batch_size=5",
        f"training.checkpoint={{dir: {ckpt}, every: 1, keep: 1}}",
        registry=registry,
    )
    with pytest.raises(Interrupted) as stop:
        train(build(spec, registry), pm=pm)
    written = Path(str(stop.value.checkpoint))
    assert written.name == "epoch-000004-step-000001.ckpt", written
    assert written.exists(), "the Ctrl-C checkpoint was deleted right after its name was printed"
    assert names(ckpt) == [written.name, *(p.name for p in others)]
    # and it resumes: (4, 1) is newer than epoch 3's end, (4, 0), though "-step-" sorts after ".ckpt"
    arrays, meta = load_checkpoint(written)
    state = restore(
        build(spec_with(tmp_path, "training.epochs=8", "training.batch_size=5"), REGISTRY), arrays, meta, str(written)
    )
    assert (state["next_epoch"], state["next_step"]) == (4, 1)


def test_the_fallback_checkpoint_beside_the_output_leaves_other_runs_alone(tmp_path: Path) -> None:
    others = other_runs_checkpoints(tmp_path, (1, 2, 3))
    (tmp_path / "other.nn.epoch-000001.ckpt").write_bytes(b"another run's fallback")
    pm, registry = fake_registry((CtrlCAt(2), "nn-ctrl-c"))
    spec = spec_with(tmp_path, "training.epochs=8", registry=registry)
    with pytest.raises(Interrupted) as stop:
        train(build(spec, registry), pm=pm, checkpoint_dir=str(tmp_path), checkpoint_prefix="model.nn.")
    written = Path(str(stop.value.checkpoint))
    assert written == tmp_path / "model.nn.epoch-000003-step-000001.ckpt" and written.exists()
    assert all(path.read_bytes() == content for path, content in others.items())
    assert (tmp_path / "other.nn.epoch-000001.ckpt").exists()


def fake_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nn_core.checkpoint.save_checkpoint", lambda path, run, state: Path(path).write_bytes(b"c"))


def test_rotation_orders_epochs_as_integers_past_999_999(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_writes(monkeypatch)
    keeper = Checkpointer(str(tmp_path), every=1, keep=2)
    for epoch in range(999_998, 1_000_004):
        newest = keeper.write(None, {"next_epoch": epoch + 1, "next_step": 0})
        assert newest.exists(), f"the checkpoint of epoch {epoch} was deleted as it was written"
    assert names(tmp_path) == ["epoch-1000002.ckpt", "epoch-1000003.ckpt"]


def test_rotation_ranks_mid_epoch_checkpoints_by_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_writes(monkeypatch)
    keeper = Checkpointer(str(tmp_path), every=1, keep=2)
    for state in [(5, 0), (5, 3), (6, 0), (6, 10), (6, 2)]:  # (6, 2) after (6, 10): a resumed run's replay
        keeper.write(None, {"next_epoch": state[0], "next_step": state[1]})
    # the newest two by (epoch, step) are (6, 10) and ... the just-written (6, 2), which is never deleted
    assert names(tmp_path) == ["epoch-000006-step-000002.ckpt", "epoch-000006-step-000010.ckpt"]


def test_a_second_run_on_a_checkpoint_directory_in_use_is_refused(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        (ckpt / LOCK_NAME).write_text(f"{sleeper.pid} {socket.gethostname()}\n")
        spec = spec_with(tmp_path, "training.epochs=2", f"training.checkpoint={{dir: {ckpt}}}")
        with pytest.raises(NNError) as err:
            train(build(spec, REGISTRY), pm=PM)
        assert str(err.value) == (
            f"checkpoint directory {ckpt} is in use by another nn run (process {sleeper.pid} on "
            f"{socket.gethostname()}); give this run its own training.checkpoint.dir "
            f"(or delete {ckpt / LOCK_NAME} if that run is gone)"
        )
        assert names(ckpt) == [], "the refused run wrote a checkpoint"
    finally:
        sleeper.kill()
        sleeper.wait()
    # its owner gone, the lock is stale: the next run takes it over and gives it back at the end
    train(build(spec, REGISTRY), pm=PM)
    assert names(ckpt) == ["epoch-000001.ckpt", "epoch-000002.ckpt"]
    assert not (ckpt / LOCK_NAME).exists()


def test_a_resumed_run_rotates_the_checkpoint_it_resumed_from(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    spec = spec_with(tmp_path, "training.epochs=4", f"training.checkpoint={{dir: {ckpt}, every: 2, keep: 1}}")
    train(build(spec, REGISTRY), pm=PM)
    assert names(ckpt) == ["epoch-000004.ckpt"]
    longer = spec_with(tmp_path, "training.epochs=8", f"training.checkpoint={{dir: {ckpt}, every: 2, keep: 1}}")
    experiment = build(longer, REGISTRY)
    arrays, meta = load_checkpoint(ckpt / "epoch-000004.ckpt")
    train(experiment, pm=PM, resume=restore(experiment, arrays, meta, str(ckpt / "epoch-000004.ckpt")))
    assert names(ckpt) == ["epoch-000008.ckpt"]
