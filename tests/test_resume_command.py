"""The printed resume command is safe to paste (issue 12, item 9), and a resumed run says what it did (issue 17)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nn_core import cli
from nn_core.plugins import load_plugins
from nn_core.testing import CtrlCAt

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ctrl_c_at_3(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The installed plugins plus a Ctrl-C at epoch 3; what the CLI loads during the test."""
    import nn_core.plugins

    loaded = load_plugins()
    loaded.pm.register(CtrlCAt(3))
    monkeypatch.setattr(nn_core.plugins, "load_plugins", lambda *a, **k: loaded)


def test_the_resume_command_is_shell_quoted_and_resumes(tmp_path: Path, capsys: Any, ctrl_c_at_3: Any) -> None:
    spec = tmp_path / "spirals $(touch pwned).yaml"  # a hostile name: pasting must not run it
    spec.write_text((ROOT / "specs" / "spirals.yaml").read_text())
    ckpt = tmp_path / "ck dir"
    out = tmp_path / "my model.nn"
    overrides = ["training.epochs=8", f"training.checkpoint={{dir: '{ckpt}', every: 5}}", "training.log_every=1"]
    args = ["train", str(spec), *(w for o in overrides for w in ("--set", o)), "-q", "-o", str(out)]
    assert cli.main(args) == 130
    err = capsys.readouterr().err
    printed = err.strip().splitlines()[-1].split("nn: resume with: ", 1)[1]
    words = shlex.split(printed)
    assert words[:3] == ["nn", "train", str(spec)]
    assert words[3:9] == [w for o in overrides for w in ("--set", o)]
    assert words[9:11] == ["-o", str(out)] and words[11] == "--resume"
    assert Path(words[12]).parent == ckpt and Path(words[12]).exists(), words
    # pasted into a shell, the hostile file name stays a name
    subprocess.run(["sh", "-c", "echo " + printed], cwd=tmp_path, check=True, capture_output=True)
    assert not (tmp_path / "pwned").exists(), "the printed command ran code"


def test_a_resumed_run_reports_where_it_resumed_and_what_it_trained(tmp_path: Path, capsys: Any) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text((ROOT / "specs" / "spirals.yaml").read_text())
    ckpt = tmp_path / "ck"
    sets = ["--set", f"training.checkpoint={{dir: {ckpt}, every: 4}}", "--set", "data.dataset.points_per_class=20"]
    assert cli.main(["train", str(spec), *sets, "--set", "training.epochs=8", "-q"]) == 0
    capsys.readouterr()
    resume = ["--resume", str(ckpt / "epoch-000008.ckpt")]
    rarely = ["--set", "training.checkpoint.every=100000"]
    assert cli.main(["train", str(spec), *sets, *rarely, "--set", "training.epochs=2008", "-q", *resume]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("trained spirals: resumed at epoch 8; trained 2,000 more epochs in "), first
    assert re.search(r" in \d+\.\d\ds$", first), first  # "in 0.07s", as a fresh run writes its time


def test_ctrl_c_without_a_checkpoint_says_why_and_how(tmp_path: Path, capsys: Any, ctrl_c_at_3: Any) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text((ROOT / "specs" / "spirals.yaml").read_text())
    assert cli.main(["train", str(spec), "-q", "--set", "training.epochs=8", "--set", "training.batch_size=100"]) == 130
    assert capsys.readouterr().err.strip() == (
        "nn: interrupted in epoch 4; no checkpoint written (training.checkpoint is not set and there is no -o "
        "to write one beside: set either)"
    )
    out = tmp_path / "m.nn"
    assert cli.main(["train", str(spec), "-q", "--set", "training.epochs=8", "-o", str(out)]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    checkpoint = tmp_path / "m.nn.epoch-000004-step-000001.ckpt"  # full batch: epoch 4 is one step
    assert err[0] == (
        f"nn: interrupted in epoch 4; checkpoint written to {checkpoint} (beside -o, as training.checkpoint is not set)"
    )
    assert checkpoint.exists() and not out.exists()
