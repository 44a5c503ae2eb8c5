"""Faults during training, with the fake backend: divergence, full or read-only disks, SIGKILL, broken plugins.

- A NaN/inf loss stops the run naming the epoch and the learning rate; every
  checkpoint on disk is finite and the newest one loads.
- A disk-full or permission error while checkpointing is a warning; training
  goes on with its state intact (the same final weights as a run that never
  checkpointed) and leaves no partial files.
- A process killed while writing a checkpoint leaves the previous file intact.
- A plugin whose lifecycle hook raises is named in a one-line error, the run
  stops as ``hookspecs`` documents, and ``nn train -o PATH`` writes no PATH.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from fakes import SPEC, V2, fake_plugins, fake_registry, install

from nn_core import build, cli, hookimpl, load_spec, train
from nn_core.checkpoint import Checkpointer, load_checkpoint, restore
from nn_core.contracts import Callback
from nn_core.errors import NNError, PluginError, TrainingError
from nn_core.modelfile import read_archive, write_archive
from nn_core.plugins import call_hook

PM, REGISTRY = fake_registry()
DIVERGES = ["optimizer.lr=5", "model.layers[0].activation=identity"]  # NaN at epoch 7


def spec_with(tmp_path: Path, *overrides: str, registry: Any = REGISTRY) -> Any:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return load_spec(path, list(overrides), registry)


def checkpoint_files(folder: Path) -> list[Path]:
    """The folder's files, but for the run lock (held only while a run trains)."""
    return sorted(p for p in folder.iterdir() if p.name != ".nn-checkpoints.lock") if folder.exists() else []


def all_finite(arrays: dict[str, np.ndarray]) -> bool:
    return all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")


# -- divergence ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("log_every", [1, 3, 1000])
def test_divergence_stops_with_epoch_and_lr_and_keeps_the_last_finite_checkpoint(
    tmp_path: Path, log_every: int
) -> None:
    ckpt = tmp_path / "ckpt"
    spec = spec_with(
        tmp_path, *DIVERGES, f"training.log_every={log_every}", f"training.checkpoint={{dir: {ckpt}, keep: 100}}"
    )
    with pytest.raises(TrainingError) as err:
        train(build(spec, REGISTRY), pm=PM)
    message = str(err.value)
    assert "\n" not in message
    # the loss grows by orders of magnitude first (log_every 1, 3), or turns NaN between two logs (1000)
    assert message.startswith(("loss became NaN or infinite at epoch", "loss diverged at epoch")), message
    assert "lr is 5" in message
    failed_at = int(message.split("at epoch ")[1].split()[0].rstrip(":"))
    files = checkpoint_files(ckpt)
    assert files, "the epochs before the divergence were checkpointed"
    assert all(p.suffix == ".ckpt" and not p.name.startswith(".") for p in files), files  # no temp files
    for path in files:
        arrays, _ = load_checkpoint(path)
        assert all_finite(arrays), f"{path.name} holds NaN or inf"
    arrays, meta = load_checkpoint(files[-1])
    assert meta["next_epoch"] <= failed_at
    restore(build(spec, REGISTRY), arrays, meta, str(files[-1]))  # and it can be resumed from


def test_a_non_finite_state_is_never_checkpointed(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    run = train(build(spec_with(tmp_path, "training.epochs=2"), REGISTRY), pm=PM)
    run.experiment.network.params["layers.0.weight"].a[0, 0] = np.nan  # the fake backend's own storage
    writer = Checkpointer(str(ckpt), every=1, keep=3)
    state = {"next_epoch": 3, "next_step": 0, "shuffle_state": np.random.default_rng().bit_generator.state}
    with pytest.raises(TrainingError, match="NaN or infinite"):
        writer.write(run, state)
    assert checkpoint_files(ckpt) == []


# -- disk full, permissions ----------------------------------------------------------------------------------------


def reference_weights(tmp_path: Path) -> dict[str, np.ndarray]:
    run = train(build(spec_with(tmp_path, "training.epochs=12"), REGISTRY), pm=PM)
    return run.experiment.network.state_arrays()


def failing_savez(fail_on: set[int], error: OSError) -> Any:
    """``np.savez`` that writes some bytes then raises ``error`` on the given calls (1-based)."""
    real = np.savez
    calls = {"n": 0}

    def savez(file: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] in fail_on:
            file.write(b"PK\x03\x04 half a checkpoint")
            raise error
        real(file, *args, **kwargs)

    return savez


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), PermissionError(errno.EACCES, "Permission denied")],
    ids=["ENOSPC", "EACCES"],
)
def test_checkpoint_write_errors_warn_and_training_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: OSError
) -> None:
    expected = reference_weights(tmp_path)
    ckpt = tmp_path / "ckpt"
    spec = spec_with(tmp_path, "training.epochs=12", f"training.checkpoint={{dir: {ckpt}, every: 2, keep: 10}}")
    monkeypatch.setattr(np, "savez", failing_savez({3, 4}, error))  # epochs 6 and 8 fail, 2, 4, 10, 12 do not
    run = train(build(spec, REGISTRY), pm=PM)
    assert run.epoch == 12
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nn: warning:")]
    assert len(warnings) == 2 and all(error.strerror in line and "training continues" in line for line in warnings)
    weights = run.experiment.network.state_arrays()
    assert all(np.array_equal(weights[k], expected[k]) for k in expected), "checkpoint failures changed training"
    names = [p.name for p in checkpoint_files(ckpt)]
    assert names == [f"epoch-{e:06d}.ckpt" for e in (2, 4, 10, 12)], names  # no partial or temp files
    for path in checkpoint_files(ckpt):
        load_checkpoint(path)


def test_checkpoint_directory_made_read_only_mid_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = tmp_path / "ckpt"

    class LockAtEpoch4:
        @staticmethod
        @hookimpl
        def nn_epoch_end(run: Any, epoch: int, metrics: Any) -> None:
            if epoch == 4:
                ckpt.chmod(0o555)

    pm, registry = fake_registry((LockAtEpoch4, "nn-locker"))
    spec = spec_with(tmp_path, "training.epochs=12", f"training.checkpoint={{dir: {ckpt}, every: 2, keep: 10}}")
    if os.geteuid() == 0:  # root writes anywhere: make the directory's files refuse creation instead
        import nn_core.outputs as modelfile

        real = modelfile.tempfile.mkstemp

        def mkstemp(*args: Any, **kwargs: Any) -> Any:
            if (ckpt.stat().st_mode & 0o222) == 0:
                raise PermissionError(errno.EACCES, "Permission denied")
            return real(*args, **kwargs)

        monkeypatch.setattr(modelfile.tempfile, "mkstemp", mkstemp)
    try:
        run = train(build(spec, registry), pm=pm)
    finally:
        ckpt.chmod(0o755)
    assert run.epoch == 12
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nn: warning:")]
    # nn_epoch_end runs before the epoch's checkpoint: epochs 4, 6, ..., 12 fail, epoch 2's stays
    assert len(warnings) == 5 and all("Permission denied" in line for line in warnings), warnings
    assert [p.name for p in checkpoint_files(ckpt)] == ["epoch-000002.ckpt"]
    assert all_finite(load_checkpoint(ckpt / "epoch-000002.ckpt")[0])


def test_unlistable_checkpoint_directory_keeps_checkpointing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rotation needs no directory listing: it deletes the checkpoints this run remembers writing."""
    ckpt = tmp_path / "ckpt"
    real = Path.iterdir

    def iterdir(self: Path) -> Any:
        if self == ckpt:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    spec = spec_with(tmp_path, "training.epochs=6", f"training.checkpoint={{dir: {ckpt}, every: 1, keep: 2}}")
    assert train(build(spec, REGISTRY), pm=PM).epoch == 6
    monkeypatch.setattr(Path, "iterdir", real)
    assert [p.name for p in checkpoint_files(ckpt)] == ["epoch-000005.ckpt", "epoch-000006.ckpt"]


def test_checkpoint_directory_cannot_be_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    spec = spec_with(tmp_path, "training.epochs=4", f"training.checkpoint={{dir: {blocker / 'ckpt'}, every: 2}}")
    assert train(build(spec, REGISTRY), pm=PM).epoch == 4
    assert "cannot create checkpoint directory" in capsys.readouterr().err


# -- SIGKILL while writing -----------------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from nn_core.modelfile import write_archive

    path = sys.argv[1]
    big = np.random.default_rng(0).standard_normal(2_000_000)  # 16 MB a write
    print("writing", flush=True)
    n = 0
    while True:
        n += 1
        big[0] = n
        write_archive(path, "checkpoint", {"weights/big": big}, {"spec": {}, "n": n})
        print("wrote", n, flush=True)
    """
)


def test_sigkill_while_writing_leaves_the_previous_checkpoint_intact(tmp_path: Path) -> None:
    path = tmp_path / "epoch-000001.ckpt"
    big = np.random.default_rng(0).standard_normal(2_000_000)
    big[0] = 0
    write_archive(path, "checkpoint", {"weights/big": big}, {"spec": {}, "n": 0})
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    moments = random.Random(20240601)
    seen = set()
    for attempt in range(8):
        child = subprocess.Popen(
            [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True, cwd=tmp_path
        )
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "writing"
            if attempt % 2:  # let one write finish first, so the file changes between rounds
                assert child.stdout.readline().startswith("wrote")
            time.sleep(moments.uniform(0.0, 0.3))  # somewhere in a write, or between two
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=60)
            if child.stdout is not None:
                child.stdout.close()
        arrays, meta = read_archive(path, "checkpoint")  # always a whole checkpoint
        n = meta["n"]
        seen.add(n)
        assert arrays["weights/big"][0] == n and np.array_equal(arrays["weights/big"][1:], big[1:])
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in {path.name, script.name}]
    assert all(name.startswith(f".{path.name}.") and name.endswith(".nntmp") for name in leftovers), leftovers
    assert len(seen) > 1, "the writer never finished a write: the test proves nothing"


# -- plugins whose hooks raise -------------------------------------------------------------------------------------


def failing_plugin(hook: str, message: str = "boom") -> type:
    def raiser(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(message)

    signatures = {
        "nn_train_start": lambda run: raiser(),
        "nn_epoch_end": lambda run, epoch, metrics: raiser() if epoch >= 3 else None,
        "nn_train_end": lambda run: raiser(),
    }
    return type(f"Fail_{hook}", (), {hook: staticmethod(hookimpl(signatures[hook]))})


def run_cli(argv: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, err.getvalue().splitlines()


@pytest.mark.parametrize("hook", ["nn_train_start", "nn_epoch_end", "nn_train_end"])
def test_nn_train_with_a_failing_plugin(hook: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = failing_plugin(hook, "boom\nsecond line of the plugin's message")
    install(monkeypatch, fake_plugins((plugin, "nn-broken")))
    out = tmp_path / "out"
    out.mkdir()
    ckpt = tmp_path / "ckpt"
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    checkpoints = f"training.checkpoint={{dir: {ckpt}, every: 2}}"
    code, lines = run_cli(["train", "-q", str(spec), "-o", str(out / "model.nn"), "--set", checkpoints])
    assert code == PluginError.exit_code == 1
    assert lines == [f"nn: error: plugin 'nn-broken:{plugin.__name__}' failed in {hook}: RuntimeError: boom"], lines
    assert list(out.iterdir()) == [], "a model file (or a temporary one) was written"
    written = checkpoint_files(ckpt)
    assert all(not p.name.startswith(".") for p in written)
    if hook == "nn_train_start":
        assert written == []  # the run stopped before training started
    if hook == "nn_epoch_end":
        assert [p.name for p in written] == ["epoch-000002.ckpt"]  # stopped at epoch 3, before its checkpoint


def test_call_hook_names_the_plugin_and_chains_the_error() -> None:
    plugin = failing_plugin("nn_train_start")
    pm, _ = fake_registry((plugin, "nn-broken"))
    with pytest.raises(PluginError) as err:
        call_hook(pm, "nn_train_start", run=None)
    assert str(err.value) == f"plugin 'nn-broken:{plugin.__name__}' failed in nn_train_start: RuntimeError: boom"
    assert isinstance(err.value.__cause__, RuntimeError)


class Explode(Callback):
    """A callback component that fails at epoch 2."""

    name: ClassVar[str] = "explode"

    @hookimpl
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> None:
        if epoch == 2:
            raise ValueError("exploded")


class ExplodePlugin(V2):
    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return [Explode]


def test_a_failing_spec_callback_is_named(tmp_path: Path) -> None:
    pm, registry = fake_registry((ExplodePlugin, "nn-explode"))
    spec = spec_with(tmp_path, "training.callbacks=[explode]", registry=registry)
    with pytest.raises(PluginError) as err:
        train(build(spec, registry), pm=pm)
    assert str(err.value) == ("plugin 'nn-explode:callback explode' failed in nn_epoch_end: ValueError: exploded")
    assert all(not isinstance(p, Explode) for p in pm.get_plugins()), "the callback stayed registered"


def test_built_in_callback_errors_are_not_blamed_on_a_plugin(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.mkdir()  # a directory where the log file should go
    spec = spec_with(tmp_path, f"training.log={log}")
    with pytest.raises(NNError) as err:
        train(build(spec, REGISTRY), pm=PM)
    assert not isinstance(err.value, PluginError)
    assert str(err.value) == f"training.log {log} is a directory, not a regular file; name a new or regular file"


def test_temporary_files_of_killed_writers_are_cleaned_up(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # that process has exited: its temporary file is stale
    stale = ckpt / f".epoch-000003.ckpt.{dead_pid}.ab12cd.nntmp"
    old = ckpt / f".epoch-000002.ckpt.{os.getpid()}.zz99yy.nntmp"  # a live pid, but untouched for two hours
    fresh = ckpt / f".epoch-000004.ckpt.{os.getpid()}.ef34gh.nntmp"  # a live writer's
    foreign = ckpt / "x.tmp"
    for path in (stale, old, fresh, foreign):
        path.write_bytes(b"half a checkpoint")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(foreign, (two_hours_ago, two_hours_ago))
    spec = spec_with(tmp_path, "training.epochs=2", f"training.checkpoint={{dir: {ckpt}}}")
    train(build(spec, REGISTRY), pm=PM)
    assert not stale.exists() and not old.exists(), "a killed writer's temporary file was left behind"
    assert fresh.exists() and foreign.exists(), "a file that may be in use (or not ours) was removed"
