"""Inputs a second hostile audit tried after issue 12: each was a hang, a clobbered file or an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nn_core import cli

ROOT = Path(__file__).resolve().parents[1]
SMALL = (
    "name: s\nseed: 0\ndata: {dataset: {type: moons, n_samples: 60, noise: 0.2, seed: 0}}\n"
    "model: {layers: [{type: dense, units: 4, activation: tanh}, {type: dense, units: 2, activation: softmax}]}\n"
    "loss: categorical_cross_entropy\noptimizer: {type: sgd, lr: 0.1}\ntraining: {epochs: 4, batch_size: full}\n"
)


def nn_process(*args: str) -> subprocess.CompletedProcess[str]:
    """A separate process with a timeout: a blocking open must fail the test, not hang it."""
    return subprocess.run([sys.executable, "-m", "nn_core.cli", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("trained")
    spec, model = folder / "s.yaml", folder / "m.nn"
    spec.write_text(SMALL)
    assert cli.main(["train", str(spec), "-q", "-o", str(model)]) == 0
    return {"spec": spec, "model": model}


def test_resume_from_a_fifo_is_refused_without_blocking(trained: dict[str, Path], tmp_path: Path) -> None:
    fifo = tmp_path / "ck.fifo"
    os.mkfifo(fifo)
    result = nn_process("train", str(trained["spec"]), "-q", "-o", str(tmp_path / "r.nn"), "--resume", str(fifo))
    assert result.returncode == 1
    assert result.stderr.strip() == f"nn: error: {fifo} is not a readable nn checkpoint file (not a regular file)"


@pytest.mark.parametrize("command", ["evaluate", "summary"])
def test_a_fifo_as_model_file_is_refused_without_blocking(command: str, tmp_path: Path) -> None:
    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)
    result = nn_process(command, str(fifo))
    assert result.returncode in (1, 2)
    assert result.stderr.startswith(f"nn: error: {fifo}"), result.stderr


def test_a_spec_fifo_without_writer_reads_as_empty_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    result = nn_process("validate", str(fifo))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"nn: error: {fifo}: missing required key 'data'"


def test_a_spec_from_a_pipe_with_a_writer_is_still_read(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", "-c", f'{sys.executable} -m nn_core.cli validate <(printf %s "$SPEC")'],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SPEC": SMALL},
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


@pytest.mark.parametrize("minimizer", ["bfgs", "lbfgs"])
@pytest.mark.parametrize(
    "setting, message",
    [
        (
            "schedule={type: step, step_size: 2, gamma: 0.5}",
            "schedule: {m} chooses its own step lengths by line search, so a learning-rate schedule does not apply; "
            "use a step optimizer (sgd, adam, ...) or remove it",
        ),
        (
            "training.batch_size=16",
            "training.batch_size: {m} minimizes the full-batch loss, so batches of 16 (of 60 training samples) do "
            "not apply; use batch_size: full or a step optimizer (sgd, adam, ...)",
        ),
    ],
)
def test_quasi_newton_refuses_settings_it_would_silently_ignore(
    minimizer: str, setting: str, message: str, tmp_path: Path, capsys: Any
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL)
    code = cli.main(["train", str(spec), "-q", "-o", str(tmp_path / "m.nn"), "--set", f"optimizer={minimizer}",
                     "--set", setting])  # fmt: skip
    assert code == 1
    assert capsys.readouterr().err.strip() == "nn: error: " + message.format(m=minimizer)
    assert not (tmp_path / "m.nn").exists()


def test_quasi_newton_accepts_a_batch_as_large_as_the_training_set(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL)
    args = ["train", str(spec), "-q", "-o", str(tmp_path / "m.nn"), "--set", "optimizer=lbfgs"]
    assert cli.main([*args, "--set", "training.batch_size=60"]) == 0


def test_mse_on_more_classes_than_output_units_is_refused_before_writing_an_unloadable_model(
    tmp_path: Path, capsys: Any
) -> None:
    rows = ["a,b,y"] + [f"{i / 10},{-i / 10},{('0', '1', 'nan')[i % 3]}" for i in range(30)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    spec = tmp_path / "r.yaml"
    spec.write_text(
        f"name: r\ndata: {{dataset: {{type: csv, path: '{tmp_path / 'd.csv'}', label: y}}}}\n"
        "model: {layers: [{type: dense, units: 1, activation: identity}]}\n"
        "loss: mse\noptimizer: sgd\ntraining: {epochs: 2}\n"
    )
    code = cli.main(["train", str(spec), "-q", "-o", str(tmp_path / "m.nn")])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "nn: error: model.layers[0] has 1 output unit but the data has 3 classes, so loss mse would train a "
        "classifier nn cannot load: give the last layer one unit per class (model.layers[0].units: 3), or make "
        "the label column numbers (label_type: number)"
    )
    assert not (tmp_path / "m.nn").exists()
    # One unit per class trains a model that nn predict can load.
    model = tmp_path / "m3.nn"
    assert cli.main(["train", str(spec), "-q", "-o", str(model), "--set", "model.layers[0].units=3"]) == 0
    (tmp_path / "in.csv").write_text("a,b\n0.1,0.2\n")
    assert cli.main(["predict", str(model), str(tmp_path / "in.csv"), "-o", str(tmp_path / "p.csv")]) == 0
    assert (tmp_path / "p.csv").read_text().splitlines()[0] == "label"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("args", [["plugins"], ["schema"], ["--version"], ["evaluate", "MODEL", "--json"]])
def test_standard_output_on_a_full_disk_is_one_line_not_an_internal_error(
    args: list[str], trained: dict[str, Path]
) -> None:
    args = [str(trained["model"]) if a == "MODEL" else a for a in args]
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "nn_core.cli", *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert result.returncode == 1
    assert result.stderr == "nn: error: cannot write to standard output: No space left on device\n"


def test_version_into_a_closed_pipe_is_quiet() -> None:
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "nn_core.cli", "--version"], stdout=writer, stderr=subprocess.PIPE, timeout=60
        )
    finally:
        os.close(writer)
    assert result.returncode == 141
    assert result.stderr == b""


@pytest.mark.parametrize(
    "loss, last, expected",
    [
        ("binary_cross_entropy", "{type: dense, units: 1, activation: relu}", "sigmoid"),
        ("categorical_cross_entropy", "{type: dense, units: 2, activation: identity}", "softmax"),
        ("categorical_cross_entropy", "{type: dense, units: 2, activation: {type: leaky_relu}}", "softmax"),
    ],
)
def test_cross_entropy_of_outputs_that_are_not_probabilities_is_refused(
    loss: str, last: str, expected: str, tmp_path: Path, capsys: Any
) -> None:
    # Before: relu + binary cross-entropy ended at loss 354 and accuracy 0.5, identity + categorical at a
    # negative loss, both with exit 0.
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL)
    args = ["train", str(spec), "-q", "-o", str(tmp_path / "m.nn"), "--set", f"loss={loss}"]
    code = cli.main([*args, "--set", f"model.layers[1]={last}"])
    name = "leaky_relu" if "leaky" in last else last.split("activation: ")[1].rstrip("}")
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        f"nn: error: model.layers[1].activation is {name}, whose outputs are not probabilities, but {loss} takes "
        f"probabilities: use activation {expected} in the last layer"
    )
    assert not (tmp_path / "m.nn").exists()


def test_a_fresh_run_never_overwrites_an_earlier_runs_checkpoint_of_the_same_epoch(tmp_path: Path, capsys: Any) -> None:
    # Before: run C wrote epoch-000004.ckpt over run A's, then rotated it away as its own: A's file was gone.
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL)
    folder = tmp_path / "ck"
    first = ["train", str(spec), "-q", "-o", str(tmp_path / "a.nn")]
    assert cli.main([*first, "--set", f"training.checkpoint={{dir: {folder}, every: 2, keep: 5}}"]) == 0
    before = {p.name: p.read_bytes() for p in folder.glob("*.ckpt")}
    assert sorted(before) == ["epoch-000002.ckpt", "epoch-000004.ckpt"]
    capsys.readouterr()
    second = ["train", str(spec), "-q", "-o", str(tmp_path / "c.nn"), "--set", "seed=7", "--set", "training.epochs=6"]
    assert cli.main([*second, "--set", f"training.checkpoint={{dir: {folder}, every: 2, keep: 1}}"]) == 0
    err = capsys.readouterr().err
    assert f"nn: warning: checkpoint {folder}/epoch-000002.ckpt was written by an earlier run and is kept" in err
    after = {p.name: p.read_bytes() for p in folder.glob("*.ckpt")}
    assert {name: after[name] for name in before} == before  # the earlier run's files, byte for byte
    assert sorted(after) == ["epoch-000002.ckpt", "epoch-000004.ckpt", "epoch-000006.ckpt"]


@pytest.mark.parametrize("kind", ["file", "device"])
def test_a_checkpoint_dir_that_is_not_a_directory_is_an_error_before_training(
    kind: str, tmp_path: Path, capsys: Any
) -> None:
    # Before: a warning at every checkpoint, exit 0, and not one checkpoint written (Ctrl-C had none either).
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL)
    target = "/dev/null" if kind == "device" else str(tmp_path / "ck")
    if kind == "file":
        Path(target).write_text("mine\n")
    args = ["train", str(spec), "-q", "-o", str(tmp_path / "m.nn")]
    code = cli.main([*args, "--set", f"training.checkpoint={{dir: {target}, every: 2}}"])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        f"nn: error: training.checkpoint.dir {target} is not a directory; name a directory (new or existing)"
    )
    assert not (tmp_path / "m.nn").exists()
    if kind == "file":
        assert Path(target).read_text() == "mine\n"


def test_a_predict_line_far_longer_than_its_numbers_is_refused_before_csv_splits_it(
    trained: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    # Before: a 50 MB line of commas became a list of 50 million empty strings (500 MB) before any check.
    from nn_core.prediction import MAX_LINE_BASE

    limit = MAX_LINE_BASE + 128 * 2
    inputs = tmp_path / "in.csv"
    inputs.write_text("x0,x1\n0.1,0.2\n" + "," * (limit + 10) + "\n")
    code = cli.main(["predict", str(trained["model"]), str(inputs), "-o", str(tmp_path / "p.csv")])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        f"nn: error: {inputs} line 3: longer than {limit:,} characters, far more than 2 numbers"
    )
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink"])
def test_a_lock_path_that_is_not_a_regular_file_is_refused_without_blocking(kind: str, tmp_path: Path) -> None:
    # Before: a FIFO there hung the run (reading it blocked); a directory there let the run train unlocked.
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL)
    folder = tmp_path / "ck"
    folder.mkdir()
    lock = folder / ".nn-checkpoints.lock"
    if kind == "fifo":
        os.mkfifo(lock)
    elif kind == "directory":
        lock.mkdir()
    else:
        (tmp_path / "victim").write_text("keep me\n")
        lock.symlink_to(tmp_path / "victim")
    result = nn_process("train", str(spec), "-q", "-o", str(tmp_path / "m.nn"),
                        "--set", f"training.checkpoint={{dir: {folder}, every: 2}}")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"nn: error: checkpoint directory {folder}: {lock} is not a lock file nn wrote (not a regular file); remove it"
    )
    assert not (tmp_path / "m.nn").exists()
    if kind == "symlink":
        assert (tmp_path / "victim").read_text() == "keep me\n"


def test_dev_stderr_as_output_never_replaces_the_systems_link(trained: dict[str, Path], tmp_path: Path) -> None:
    # Before (as root, stderr redirected to a file): `nn predict M X -o /dev/stderr` renamed its temporary file
    # over the /dev/stderr symlink, replacing it with a regular file for the whole system.
    link = tmp_path / "out.csv"
    link.symlink_to("/proc/self/fd/2")  # what /dev/stderr is; testing on a link of our own leaves /dev alone
    inputs = tmp_path / "in.csv"
    inputs.write_text("x0,x1\n0.1,0.2\n")
    with open(tmp_path / "stderr.txt", "w") as err:
        result = subprocess.run(
            [sys.executable, "-m", "nn_core.cli", "predict", str(trained["model"]), str(inputs), "-o",
             str(link)], stdout=subprocess.PIPE, stderr=err, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    message = (tmp_path / "stderr.txt").read_text()
    assert message.startswith(f"nn: error: -o {link} is a process's file descriptor (/proc/"), message
    assert message.endswith("/fd/2), not a file: replacing it would break the system's link; name a file (or - for "
                            "standard output)\n")  # fmt: skip
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/2"
