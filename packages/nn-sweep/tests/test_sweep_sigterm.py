"""SIGTERM stops a sweep as Ctrl-C does: one line saying how to resume, nothing else on stderr."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from sweep_helpers import write_sweep

SWEEP = """\
spec: spec.yaml
params:
  seed: [0, 1]
objective: {metric: dev.accuracy, mode: max}
"""


def test_sigterm_interrupts_the_sweep_with_the_resume_hint(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, SWEEP, epochs=100000)
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "nn_core.cli", "sweep", str(sweep), "-o", str(runs), "--workers", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(runs.glob("trials/*/running.json")):
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert stderr == (
        "nn: sweep interrupted; finished trials are in trials.jsonl; continue with: "
        f"nn sweep {sweep} -o {runs} --workers 0 --resume\n"
    )
