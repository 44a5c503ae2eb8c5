"""numba stays unimported where it cannot pay: `nn validate` and tutorial 000's spirals run (NN_KERNELS=auto).

Meaningful with nn-numpy[numba] installed (tox's numba env); elsewhere numba is absent anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CODE = """
import sys
from nn_core.cli import main
assert main(["validate", "specs/spirals.yaml"]) == 0
assert main(["train", "specs/spirals.yaml", "--set", "training.epochs=300"]) == 0
print("numba modules:", sum(1 for m in sys.modules if m == "numba" or m.startswith("numba.")))
"""


def test_spirals_validate_and_train_never_import_numba() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NN_KERNELS"}  # the default, auto
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "numba modules: 0"
