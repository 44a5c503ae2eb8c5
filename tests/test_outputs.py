"""Writes never destroy what they should not (issue 12, item 1), through the ``nn`` command.

Every refusal happens before anything is written: the would-be victim keeps
its bytes, and no temporary file is left beside it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from nn_core import cli
from nn_core.outputs import OutputError, atomic_path, atomic_write, check_output_path, remove_stale_temporaries

SPEC = """\
name: tiny
seed: 1
data:
  dataset: {{type: csv, path: {data}, label: y}}
model:
  layers:
    - {{type: dense, units: 3, activation: tanh}}
    - {{type: dense, units: 1, activation: sigmoid}}
loss: binary_cross_entropy
optimizer: {{type: sgd, lr: 0.5}}
training: {{epochs: {epochs}, batch_size: full, log_every: 1{extra}}}
metrics: [accuracy]
"""


def write_data(path: Path, rows: int = 40) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    path.write_text("a,b,y\n" + "".join(f"{a:.6f},{b:.6f},{c}\n" for (a, b), c in zip(X, y, strict=True)))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data.csv"
    write_data(data)
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(data=data, epochs=3, extra=""))
    return {"spec": spec, "data": data, "dir": tmp_path}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith((".nntmp", ".tmp"))]


# -- the spec, the data, the model being read are never outputs -------------------------------------------------


def test_train_refuses_to_write_the_model_over_its_own_spec(files: dict[str, Path], capsys) -> None:
    before = digest(files["spec"])
    code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", str(files["spec"]))
    assert code == 1
    assert err.strip() == f"nn: error: -o {files['spec']} is one of this run's inputs; write somewhere else"
    assert digest(files["spec"]) == before


def test_train_refuses_the_training_data_as_output(files: dict[str, Path], capsys) -> None:
    before = digest(files["data"])
    code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", str(files["data"]))
    assert code == 1 and "is one of this run's inputs" in err
    assert digest(files["data"]) == before and no_temporaries(files["dir"])


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_an_input_is_the_input(files: dict[str, Path], capsys, link: str) -> None:
    alias = files["dir"] / "alias.nn"
    (os.symlink if link == "symlink" else os.link)(files["spec"], alias)
    before = digest(files["spec"])
    code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", str(alias))
    assert code == 1
    assert err.strip() == f"nn: error: -o {alias} is one of this run's inputs ({files['spec']}); write somewhere else"
    assert digest(files["spec"]) == before


def test_predict_refuses_to_write_over_the_model_or_its_inputs(files: dict[str, Path], capsys) -> None:
    model = files["dir"] / "m.nn"
    assert run(capsys, "train", str(files["spec"]), "-q", "-o", str(model))[0] == 0
    inputs = files["dir"] / "in.csv"
    inputs.write_text("a,b\n0.5,0.5\n-1,-1\n")
    for victim in (model, inputs, files["data"]):
        before = digest(victim)
        code, _, err = run(capsys, "predict", str(model), str(inputs), "-o", str(victim))
        assert code == 1 and f"-o {victim} is one of this run's inputs" in err, err
        assert digest(victim) == before


def test_training_log_pointing_at_the_dataset_is_refused(files: dict[str, Path], capsys) -> None:
    before = digest(files["data"])
    code, _, err = run(capsys, "train", str(files["spec"]), "-q", "--set", f"training.log={files['data']}")
    assert code == 1
    assert err.strip() == f"nn: error: training.log {files['data']} is one of this run's inputs; write somewhere else"
    assert digest(files["data"]) == before


def test_model_and_log_must_differ(files: dict[str, Path], capsys) -> None:
    out = files["dir"] / "both.csv"
    code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", str(out), "--set", f"training.log={out}")
    assert code == 1 and "is also training.log" in err and not out.exists()


# -- what is not a regular file is never replaced -----------------------------------------------------------------


def test_a_directory_fifo_or_device_is_not_an_output(files: dict[str, Path], capsys) -> None:
    folder = files["dir"] / "folder.nn"
    folder.mkdir()
    fifo = files["dir"] / "pipe.nn"
    os.mkfifo(fifo)
    for target, kind in ((folder, "a directory"), (fifo, "a FIFO (named pipe)"), (Path("/dev/null"), "a device")):
        code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", str(target))
        assert code == 1
        assert err.strip() == f"nn: error: -o {target} is {kind}, not a regular file; name a new or regular file"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null was replaced"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and folder.is_dir()


def test_atomic_write_never_replaces_a_device_that_appeared_after_the_check(tmp_path: Path) -> None:
    """The writer checks again at rename time: /dev/null as a model file stays a device."""
    with pytest.raises(OutputError, match="/dev/null is a device, not a regular file; not replacing it"):
        atomic_write("/dev/null", lambda f: f.write(b"zip"))
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_standard_output_is_explicit(files: dict[str, Path], capsys) -> None:
    model = files["dir"] / "m.nn"
    assert run(capsys, "train", str(files["spec"]), "-q", "-o", str(model))[0] == 0
    inputs = files["dir"] / "in.csv"
    inputs.write_text("a,b\n0.5,0.5\n-1,-1\n")
    code, out, err = run(capsys, "predict", str(model), str(inputs), "-o", "-", "--proba")
    written = out.splitlines()
    assert code == 0 and written[0] == "label,proba_0,proba_1" and len(written) == 3, (written, err)
    assert "wrote 2 predictions to standard output" in err
    assert not (files["dir"] / "-").exists()
    for name in ("-", "/dev/stdout"):  # a model is not text: train says so instead of writing a zip to a terminal
        code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", name)
        assert code == 1
        assert err.strip() == f"nn: error: -o {name}: this command cannot write to standard output; name a file"


# -- read-only files and empty names ------------------------------------------------------------------------------


def test_a_read_only_model_is_not_silently_replaced(files: dict[str, Path], capsys) -> None:
    model = files["dir"] / "m.nn"
    model.write_bytes(b"precious")
    model.chmod(0o444)
    code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", str(model))
    assert code == 1
    assert err.strip() == f"nn: error: -o {model} exists and is read-only; remove it or make it writable first"
    assert model.read_bytes() == b"precious"


def test_empty_output_and_resume_are_errors(files: dict[str, Path], capsys) -> None:
    code, _, err = run(capsys, "train", str(files["spec"]), "-q", "-o", "")
    assert code == 1 and err.strip() == "nn: error: -o is empty; name the file to write"
    code, out, err = run(capsys, "train", str(files["spec"]), "-q", "--resume", "")
    assert code == 1 and err.strip() == "nn: error: --resume is empty; name the checkpoint to continue from"
    assert "trained" not in out, "an empty --resume trained from scratch"


# -- temporary files ----------------------------------------------------------------------------------------------


def test_temporary_files_are_unpredictable_and_removed_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    # A symlink planted at the name the old Kaggle writer used is never followed.
    os.symlink(victim, tmp_path / f".out.csv.{os.getpid()}.tmp")
    seen: list[str] = []

    def fail(f) -> None:
        seen.append(f.name)
        f.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert victim.read_text() == "keep me" and not target.exists()
    assert seen and not os.path.exists(seen[0]), "the temporary file outlived the failure"
    assert os.path.basename(seen[0]).startswith(f".out.csv.{os.getpid()}.")
    atomic_write(target, lambda f: f.write(b"ok"))
    assert target.read_bytes() == b"ok" and victim.read_text() == "keep me"


def test_stale_temporaries_are_cleaned_on_the_next_write(tmp_path: Path) -> None:
    import subprocess

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    stale = tmp_path / f".model.nn.{dead}.k1ll3d.nntmp"
    live = tmp_path / f".model.nn.{os.getpid()}.l1v3ly.nntmp"
    mine = tmp_path / "model.nn.tmp"
    for path in (stale, live, mine):
        path.write_bytes(b"x")
    atomic_write(tmp_path / "model.nn", lambda f: f.write(b"model"))
    assert not stale.exists() and live.exists() and mine.exists()
    assert remove_stale_temporaries(tmp_path) == []


def test_atomic_path_keeps_the_suffix_for_name_based_writers(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "movie.gif", suffix=".gif") as tmp:
        assert tmp.name.endswith(".nntmp.gif") and tmp.parent == tmp_path
        tmp.write_bytes(b"GIF89a")
    assert (tmp_path / "movie.gif").read_bytes() == b"GIF89a" and no_temporaries(tmp_path)


def test_kaggle_submission_uses_the_safe_writer(tmp_path: Path) -> None:
    from nn_datasets.kaggle_mnist import write_kaggle_submission

    victim = tmp_path / "victim"
    victim.write_text("keep me")
    os.symlink(victim, tmp_path / f".submission.csv.{os.getpid()}.tmp")  # the old predictable name
    write_kaggle_submission(tmp_path / "submission.csv", np.array([3, 1]))
    assert (tmp_path / "submission.csv").read_text() == "ImageId,Label\n1,3\n2,1\n"
    assert victim.read_text() == "keep me"
    from nn_core.errors import DataError

    with pytest.raises(DataError, match="is a device, not a regular file"):
        write_kaggle_submission("/dev/null", np.array([1]))


def test_check_output_path_is_the_one_policy(tmp_path: Path) -> None:
    new = tmp_path / "new.nn"
    assert check_output_path(new) == str(new)
    assert check_output_path("-", stdout_ok=True) == "-"
    assert check_output_path("/dev/stdout", stdout_ok=True) == "-"
    with pytest.raises(OutputError, match=r"^export -o .*nowhere/x\.nn: directory .*nowhere does not exist$"):
        check_output_path(tmp_path / "nowhere" / "x.nn", what="export -o")
