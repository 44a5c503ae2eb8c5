"""A sweep on a real Dask cluster (a scheduler and two worker processes), one worker killed mid-trial."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sweep_helpers import Cluster, write_sweep

from nn_core.modelfile import read_archive

SWEEP = """\
spec: spec.yaml
search: {type: grid}
params:
  optimizer.lr: [0.1, 0.4]
  seed: [1, 2]
objective: {metric: dev.accuracy, mode: max}
checkpoint_every: 25
"""
EPOCHS = 600


def _sweep_command(sweep: Path, out: Path, cluster: Cluster) -> list[str]:
    return [
        sys.executable,
        "-m",
        "nn_core.cli",
        "sweep",
        str(sweep),
        "-o",
        str(out),
        "--scheduler-file",
        str(cluster.scheduler_file),
        "--json",
    ]


def _results(out: Path) -> dict[str, tuple[dict[str, object], dict[str, np.ndarray]]]:
    records = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    results = {}
    for record in records:
        assert record["status"] == "ok", record
        arrays, _ = read_archive(out / record["model"], "model")
        results[record["key"]] = (record["metrics"], arrays)
    return results


def _kill_a_worker_mid_trial(out: Path, cluster: Cluster, sweep: subprocess.Popen[str]) -> int:
    """SIGKILL the worker running a trial that has written a checkpoint; return the epochs it had done."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and sweep.poll() is None:
        for trial in sorted((out / "trials").glob("*")):
            running, checkpoints = trial / "running.json", list((trial / "checkpoints").glob("epoch-*.ckpt"))
            if not (running.exists() and checkpoints):
                continue
            try:
                pid = json.loads(running.read_text())["pid"]
            except (OSError, ValueError):
                continue
            if pid in [w.pid for w in cluster.workers]:
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.02)
    raise AssertionError("no trial wrote a checkpoint while running: the trials are too short to interrupt")


def test_killed_worker_mid_trial_gives_the_undisturbed_results(tmp_path: Path, cluster: Cluster) -> None:
    sweep = write_sweep(tmp_path, SWEEP, epochs=EPOCHS)
    undisturbed = subprocess.run(
        _sweep_command(sweep, tmp_path / "calm", cluster), capture_output=True, text=True, timeout=120
    )
    assert undisturbed.returncode == 0, undisturbed.stderr
    calm = json.loads(undisturbed.stdout)
    assert [t["status"] for t in calm["trials"]] == ["ok"] * 4

    out = tmp_path / "stormy"
    process = subprocess.Popen(
        _sweep_command(sweep, out, cluster), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        killed = _kill_a_worker_mid_trial(out, cluster, process)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert [w.poll() for w in cluster.workers if w.pid == killed] == [-signal.SIGKILL]

    records = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    resumed = [r for r in records if r["resumed_from_epoch"] > 0]
    assert resumed, "the interrupted trial should have continued from its checkpoint"
    assert all(0 < r["resumed_from_epoch"] < EPOCHS for r in resumed)

    calm_results, stormy_results = _results(tmp_path / "calm"), _results(out)
    assert calm_results.keys() == stormy_results.keys() and len(calm_results) == 4
    for key, (metrics, arrays) in calm_results.items():
        other_metrics, other_arrays = stormy_results[key]
        assert other_metrics == metrics
        assert arrays.keys() == other_arrays.keys()
        for name, array in arrays.items():
            np.testing.assert_array_equal(other_arrays[name], array, err_msg=f"{key}: {name}")
    ranked = json.loads(stdout)["trials"]
    assert [t["spec_hash"] for t in ranked] == [t["spec_hash"] for t in calm["trials"]]


def test_embedded_cluster_with_a_killed_worker_equals_the_sweep_run_in_process(tmp_path: Path) -> None:
    """`nn sweep --workers 2` (LocalCluster: a nanny restarts the killed worker) against `--workers 0`."""
    sweep = write_sweep(tmp_path, SWEEP, epochs=EPOCHS)
    serial = subprocess.run(
        [sys.executable, "-m", "nn_core.cli", "sweep", str(sweep), "-o", str(tmp_path / "serial"), "--workers", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert serial.returncode == 0, serial.stderr
    out = tmp_path / "local"
    command = [sys.executable, "-m", "nn_core.cli", "sweep", str(sweep), "-o", str(out), "--workers", "2", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        killed = None
        while killed is None and time.monotonic() < deadline and process.poll() is None:
            for trial in sorted((out / "trials").glob("*")):
                if (trial / "running.json").exists() and list((trial / "checkpoints").glob("epoch-*.ckpt")):
                    try:
                        killed = json.loads((trial / "running.json").read_text())["pid"]
                    except (OSError, ValueError):
                        continue
                    os.kill(killed, signal.SIGKILL)
                    break
            time.sleep(0.02)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert killed is not None and process.returncode == 0, stderr
    assert any(json.loads(line)["resumed_from_epoch"] > 0 for line in (out / "trials.jsonl").read_text().splitlines())
    local, in_process = _results(out), _results(tmp_path / "serial")
    assert local.keys() == in_process.keys()
    for key, (metrics, arrays) in in_process.items():
        assert local[key][0] == metrics
        for name, array in arrays.items():
            np.testing.assert_array_equal(local[key][1][name], array, err_msg=f"{key}: {name}")
