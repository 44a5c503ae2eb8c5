"""Faults end to end with nn-numpy and nn-datasets, through the ``nn`` command.

- ``nn`` writes only where a user asked: the model, the checkpoint directory,
  the submission, and the parse cache beside the data. A run of ``nn validate``,
  ``nn train``, ``nn evaluate`` and ``nn predict`` from a scratch working
  directory, with HOME and TMPDIR pointing at scratch folders, leaves nothing
  anywhere else and changes no file it was only asked to read.
- A diverging run stops with the epoch and the learning rate; every checkpoint
  it left is finite.
- A plugin whose hook raises stops ``nn train -o PATH`` with one line naming
  it, and no PATH.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn_core import cli, hookimpl, plugins
from nn_core.checkpoint import load_checkpoint
from nn_core.plugins import build_registry, get_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
PIXELS = ",".join(f"pixel{i}" for i in range(784))


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file and folder under ``roots``: path → content hash (or 'dir')."""
    seen: dict[str, str] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in dirs:
                seen[os.path.join(folder, name)] = "dir"
            for name in files:
                path = os.path.join(folder, name)
                seen[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return seen


def kaggle_csvs(folder: Path, rows: int = 300) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, rows)
    images = rng.integers(0, 256, (rows, 784)) * (rng.random((rows, 784)) < 0.2)
    np.savetxt(folder / "train.csv", np.column_stack([labels, images]), fmt="%d", delimiter=",",
               header=f"label,{PIXELS}", comments="")  # fmt: skip
    np.savetxt(folder / "test.csv", images[:50], fmt="%d", delimiter=",", header=PIXELS, comments="")


@pytest.fixture
def scratch(tmp_path: Path) -> dict[str, Path]:
    places = {name: tmp_path / name for name in ("cwd", "home", "tmp", "data", "out", "specs")}
    for path in places.values():
        path.mkdir()
    kaggle_csvs(places["data"])
    for name in ("mnist-kaggle.yaml", "spirals.yaml"):
        shutil.copy(ROOT / "specs" / name, places["specs"] / name)
    return places


def nn(places: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "MPL", "PYTHONSTARTUP", "PYTHONUSERBASE"))
    }
    env.update(
        HOME=str(places["home"]),
        TMPDIR=str(places["tmp"]),
        TEMP=str(places["tmp"]),
        TMP=str(places["tmp"]),
        XDG_CACHE_HOME=str(places["home"] / ".cache"),
        XDG_CONFIG_HOME=str(places["home"] / ".config"),
        XDG_DATA_HOME=str(places["home"] / ".local" / "share"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return subprocess.run(
        [sys.executable, "-m", "nn_core.cli", *args],
        capture_output=True,
        text=True,
        cwd=places["cwd"],
        env=env,
        timeout=300,
    )


def test_nn_writes_only_where_it_was_told(scratch: dict[str, Path]) -> None:
    data, out, specs = scratch["data"], scratch["out"], scratch["specs"]
    before = snapshot(*scratch.values())
    steps = [
        ["validate", str(specs / "mnist-kaggle.yaml"), "--set", f"data.dataset.path={data}"],
        ["train", str(specs / "mnist-kaggle.yaml"), "-q", "-o", str(out / "model.nn"),
         "--set", f"data.dataset.path={data}", "--set", "training.epochs=3",
         "--set", f"training.checkpoint.dir={out / 'ckpt'}"],
        ["evaluate", str(out / "model.nn")],
        ["predict", str(out / "model.nn"), str(data / "test.csv"), "-o", str(out / "submission.csv")],
        ["predict", str(out / "model.nn"), str(data / "test.csv"), "-o", str(out / "proba.csv"), "--proba"],
        ["train", str(specs / "spirals.yaml"), "-q", "-o", str(out / "spirals.nn"), "--set", "training.epochs=50"],
        ["evaluate", str(out / "spirals.nn"), "--json"],
    ]  # fmt: skip
    for argv in steps:
        result = nn(scratch, *argv)
        assert result.returncode == 0, (argv, result.stderr)
    after = snapshot(*scratch.values())
    for path, digest in before.items():
        assert after.get(path) == digest, f"nn changed or removed {path}"
    new = sorted(os.path.relpath(p, scratch["out"].parent) for p in set(after) - set(before))
    assert new == [
        "data/test.csv.nncache.npz",
        "data/train.csv.nncache.npz",
        "out/ckpt",
        "out/ckpt/epoch-000001.ckpt",
        "out/ckpt/epoch-000002.ckpt",
        "out/ckpt/epoch-000003.ckpt",
        "out/model.nn",
        "out/proba.csv",
        "out/spirals.nn",
        "out/submission.csv",
    ], new


def test_failed_commands_write_nothing(scratch: dict[str, Path]) -> None:
    data, out, specs = scratch["data"], scratch["out"], scratch["specs"]
    (data / "broken").mkdir()
    (data / "broken" / "train.csv").write_text("label,pixel0\n1,2\n")
    (out / "bad.nn").write_bytes(b"PK\x03\x04 not a model")
    before = snapshot(*scratch.values())
    failures = [
        ["validate", str(specs / "spirals.yaml"), "--set", "training.epochs=0"],
        ["train", str(specs / "mnist-kaggle.yaml"), "-q", "-o", str(out / "model.nn"),
         "--set", f"data.dataset.path={data / 'broken'}"],
        ["train", str(specs / "mnist-kaggle.yaml"), "-q", "-o", str(out / "nowhere" / "model.nn"),
         "--set", f"data.dataset.path={data}"],
        ["evaluate", str(out / "bad.nn")],
        ["predict", str(out / "bad.nn"), str(data / "test.csv"), "-o", str(out / "submission.csv")],
    ]  # fmt: skip
    for argv in failures:
        result = nn(scratch, *argv)
        assert result.returncode != 0, argv
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("nn: error:")]
        assert errors and len(errors) == len(result.stderr.splitlines()), result.stderr
    assert snapshot(*scratch.values()) == before


def test_divergence_through_the_cli(scratch: dict[str, Path]) -> None:
    ckpt, out = scratch["out"] / "ckpt", scratch["out"]
    result = nn(
        scratch, "train", str(ROOT / "specs" / "moons-ffnn.yaml"), "-q", "-o", str(out / "model.nn"),
        "--set", "optimizer.lr=1.5", "--set", "training.epochs=300", "--set", "training.log_every=1",
        "--set", "model.layers[0].activation=identity", "--set", "model.layers[1].activation=identity",
        "--set", "model.layers[1].units=1", "--set", "loss=mse",
        "--set", f"training.checkpoint={{dir: {ckpt}, keep: 1000}}",
    )  # fmt: skip
    assert result.returncode == 1
    last = ckpt / "epoch-000001.ckpt"
    [line] = result.stderr.splitlines()
    # a loss that grows by orders of magnitude is stopped before it turns NaN, with the same advice
    assert line.startswith("nn: error: loss diverged at epoch 2: the train loss grew from 0.8228 at epoch 0 to "), line
    assert line.endswith(
        " (optimizer lr is 1.5; try a smaller learning rate); "
        f"the last checkpoint, {last}, holds finite weights: resume it with a smaller learning rate "
        f"(--resume {last} --set optimizer.lr=...)"
    ), line
    assert not (out / "model.nn").exists()
    names = sorted(p.name for p in ckpt.iterdir())
    assert names == ["epoch-000001.ckpt"], names
    for name in names:
        arrays, _ = load_checkpoint(ckpt / name)
        assert all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")


class Boom:
    @staticmethod
    @hookimpl
    def nn_epoch_end(run: Any, epoch: int, metrics: Any) -> None:
        if epoch == 5:
            raise OSError("disk on fire\nand a second line")


def test_failing_plugin_with_the_real_plugins(scratch: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    pm = get_plugin_manager(plugins=[(Boom, "nn-boom")])
    monkeypatch.setattr(plugins, "load_plugins", lambda *a, **k: plugins.Plugins(pm, build_registry(pm)))
    out = scratch["out"]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["train", str(scratch["specs"] / "spirals.yaml"), "-q", "-o", str(out / "model.nn"),
                         "--set", "training.epochs=20"])  # fmt: skip
    assert code == 1
    assert err.getvalue().splitlines() == [
        "nn: error: plugin 'nn-boom:Boom' failed in nn_epoch_end: OSError: disk on fire"
    ]
    assert list(out.iterdir()) == []
