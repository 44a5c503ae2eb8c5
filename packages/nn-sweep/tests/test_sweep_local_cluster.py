"""The embedded LocalCluster keeps out of the way of a Dask already running on this machine."""

from __future__ import annotations

import socket
from pathlib import Path

from sweep_helpers import nn, write_sweep

SWEEP = """\
spec: spec.yaml
params:
  seed: [0]
objective: {metric: dev.accuracy, mode: max}
"""


def test_a_busy_dashboard_port_earns_no_warning(tmp_path: Path) -> None:
    busy = socket.socket()
    try:
        try:  # stand in for a `dask scheduler` whose dashboard holds 8787 (if nothing else already does)
            busy.bind(("127.0.0.1", 8787))
            busy.listen()
        except OSError:
            pass
        done = nn("sweep", str(write_sweep(tmp_path, SWEEP, epochs=5)), "-o", str(tmp_path / "runs"), "--workers", "1")
    finally:
        busy.close()
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr and "8787" not in done.stderr, done.stderr
