"""nn-sweep's commands reach `nn` through the hook, and no other command imports Dask."""

from __future__ import annotations

import subprocess
import sys

from sweep_helpers import nn

PROBE = """\
import contextlib, io, sys
from nn_core import cli
with contextlib.redirect_stdout(io.StringIO()):
    status = cli.main(["plugins"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed", "optuna", "matplotlib"))
print(status, heavy)
"""


def test_other_commands_never_import_dask() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "0 []", done.stderr


def test_sweep_ensemble_and_plot_sweep_are_nn_commands() -> None:
    listed = nn("--help").stdout
    assert "sweep " in listed and "ensemble " in listed
    assert "sweep: a sweep directory's objective against each parameter" in " ".join(
        nn("plot", "--help").stdout.split()
    )
