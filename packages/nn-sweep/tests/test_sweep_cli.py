"""`nn sweep` end to end on an embedded LocalCluster: records, failures, resume, cv, --json, ensembles, plots."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import nn, write_sweep

from nn_core.model import load_model

SWEEP = """\
spec: spec.yaml
search: {type: grid}
params:
  optimizer.lr: [0.3, 1.0e+100]
  model.layers[0].units: [0, 3]
  model.layers[0].activation: [relu]
objective: {metric: dev.accuracy, mode: max}
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """One grid sweep shared by the tests below: 2 valid trials, 1 diverging, 2 invalid (units 0)."""
    root = tmp_path_factory.mktemp("sweep")
    sweep = write_sweep(root, SWEEP, epochs=60)
    done = nn("sweep", str(sweep), "-o", str(root / "runs"), "--workers", "2", "--json")
    assert done.returncode == 0, done.stderr
    return root, json.loads(done.stdout)


def _records(runs: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (runs / "trials.jsonl").read_text().splitlines()]


def test_every_trial_is_recorded_with_its_status_and_reason(swept: tuple[Path, dict[str, object]]) -> None:
    root, result = swept
    records = {
        (r["overrides"]["optimizer.lr"], r["overrides"]["model.layers[0].units"]): r for r in _records(root / "runs")
    }
    assert len(records) == 4
    ok = records[(0.3, 3)]
    assert ok["status"] == "ok" and ok["epochs"] == 60 and ok["worker"].startswith("tcp://127.0.0.1:")
    assert set(ok["metrics"]) == {"train", "dev"} and ok["seconds"] > 0
    assert (root / "runs" / ok["model"]).is_file()
    log = [
        json.loads(line) for line in (root / "runs" / "trials" / ok["key"] / "metrics.jsonl").read_text().splitlines()
    ]
    assert [row["epoch"] for row in log] == [0, 50, 60]
    assert log[-1]["dev.accuracy"] == ok["metrics"]["dev"]["accuracy"]
    diverged = records[(1.0e100, 3)]
    assert diverged["status"] == "failed"
    assert diverged["reason"].startswith("loss became NaN or infinite at epoch")
    for lr in (0.3, 1.0e100):  # found before anything was submitted: no worker, no time
        invalid = records[(lr, 0)]
        assert invalid["status"] == "invalid" and "worker" not in invalid
        expected = "params.model.layers[0].units = 0: model.layers[0].units: must be at least 1, got 0"
        assert invalid["reason"].endswith(expected)
    trials = result["trials"]
    assert trials[0]["status"] == "ok" and sorted(t["status"] for t in trials[1:]) == ["failed", "invalid", "invalid"]
    assert trials[0]["objective"] == ok["metrics"]["dev"]["accuracy"] and trials[0]["rank"] == 1


def test_the_trial_is_its_resolved_spec(swept: tuple[Path, dict[str, object]]) -> None:
    root, _ = swept
    record = next(r for r in _records(root / "runs") if r["status"] == "ok")
    model = load_model(root / "runs" / record["model"])
    assert model.spec.optimizer.params["lr"] == 0.3
    assert model.spec.model.layers[0].params["units"] == 3
    retrained = nn(
        "train",
        str(root / "spec.yaml"),
        "--set",
        "optimizer.lr=0.3",
        "--set",
        "model.layers[0].units=3",
        "--set",
        "model.layers[0].activation=relu",
        "--json",
    )
    assert retrained.returncode == 0, retrained.stderr
    assert json.loads(retrained.stdout.splitlines()[-1])["dev"] == record["metrics"]["dev"]


def test_resume_skips_finished_trials_and_a_second_sweep_is_refused(swept: tuple[Path, dict[str, object]]) -> None:
    root, _ = swept
    runs = root / "runs"
    again = nn("sweep", str(root / "sweep.yaml"), "-o", str(runs))
    assert again.returncode != 0 and "already holds a sweep" in again.stderr and "--resume" in again.stderr
    before = (runs / "trials.jsonl").read_text()
    resumed = nn("sweep", str(root / "sweep.yaml"), "-o", str(runs), "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["skipped"] == 4 and json.loads(resumed.stdout)["ran"] == 0
    assert (runs / "trials.jsonl").read_text() == before


def test_ensemble_of_the_best_trials_averages_their_probabilities(swept: tuple[Path, dict[str, object]]) -> None:
    root, _ = swept
    out = root / "ens.nn"
    made = nn("ensemble", str(root / "runs"), "--top", "3", "-o", str(out))
    assert made.returncode == 0, made.stderr
    assert "an ensemble of 1 models" in made.stdout  # only one trial finished
    ensemble = load_model(out)
    member = load_model(root / "runs" / next(r for r in _records(root / "runs") if r["status"] == "ok")["model"])
    X = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(ensemble.predict_proba(X), member.predict_proba(X))


def test_plot_sweep_draws_a_png(swept: tuple[Path, dict[str, object]]) -> None:
    pytest.importorskip("matplotlib")
    root, _ = swept
    done = nn("plot", "sweep", str(root / "runs"), "-o", str(root / "sweep.png"))
    assert done.returncode == 0, done.stderr
    assert (root / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


CV_SWEEP = """\
spec: spec.yaml
search: {type: random, trials: 2, seed: 3}
params:
  optimizer.lr: {loguniform: [0.05, 0.5]}
cv: {folds: 3, seed: 1}
objective: {metric: dev.loss, mode: min}
"""


def test_cross_validation_reports_mean_and_sd_over_folds(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, CV_SWEEP, epochs=30)
    done = nn("sweep", str(sweep), "-o", str(tmp_path / "runs"), "--workers", "1", "--json")
    assert done.returncode == 0, done.stderr
    records = _records(tmp_path / "runs")
    assert sorted((r["spec_hash"], r["fold"]) for r in records) == sorted(
        (h, k) for h in {r["spec_hash"] for r in records} for k in range(3)
    )
    for trial in json.loads(done.stdout)["trials"]:
        losses = [r["metrics"]["dev"]["loss"] for r in records if r["spec_hash"] == trial["spec_hash"]]
        assert trial["objective"] == pytest.approx(statistics.fmean(losses), rel=1e-12)
        assert trial["objective_sd"] == pytest.approx(statistics.stdev(losses), rel=1e-12)
        assert 0.05 <= trial["overrides"]["optimizer.lr"] <= 0.5
    table = nn("sweep", str(sweep), "-o", str(tmp_path / "runs"), "--resume")
    assert "dev.loss (mean ± sd)" in table.stdout and "±" in table.stdout.splitlines()[-2]


INTERRUPTIBLE = """\
spec: spec.yaml
search: {type: grid}
params:
  seed: {range: [0, 4]}
objective: {metric: dev.accuracy, mode: max}
"""


def test_ctrl_c_then_resume_runs_only_the_unfinished_trials(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    sweep = write_sweep(tmp_path, INTERRUPTIBLE, epochs=800)
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "nn_core.cli", "sweep", str(sweep), "-o", str(runs), "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if (runs / "trials.jsonl").exists() and (runs / "trials.jsonl").read_text().count("\n") >= 1:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    before = _records(runs)
    assert 1 <= len(before) < 4, "the sweep should have been interrupted after its first trial"
    assert process.returncode == 130
    assert f"continue with: nn sweep {sweep} -o {runs} --workers 1 --resume" in stderr
    resumed = nn("sweep", str(sweep), "-o", str(runs), "--workers", "1", "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["skipped"] == len(before) and result["ran"] == 4 - len(before)
    after = _records(runs)
    assert after[: len(before)] == before and sorted(r["overrides"]["seed"] for r in after) == [0, 1, 2, 3]


def test_resources_no_worker_offers_are_refused_before_submitting(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, INTERRUPTIBLE + "resources: {gpus: 1}\n", epochs=5)
    done = nn("sweep", str(sweep), "-o", str(tmp_path / "runs"), "--workers", "1")
    assert done.returncode == 1
    assert "nn: error: no worker offers resources {'gpus': 1.0} that each trial needs" in done.stderr
    assert '--resources "gpus=1"' in done.stderr
    assert not (tmp_path / "runs" / "trials.jsonl").read_text()


def test_errors_found_before_any_engine_starts_point_into_the_sweep_file(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, SWEEP.replace("optimizer.lr:", "optimizer.lrr:").replace("[0, 3]", "[3]"))
    done = nn("sweep", str(sweep), "-o", str(tmp_path / "runs"))
    assert done.returncode == 1 and not (tmp_path / "runs").exists()
    assert done.stderr == (
        f"nn: error: every trial's spec is invalid; the first: {sweep}:4:18: params.optimizer.lrr = 0.3: "
        "optimizer.lrr: unknown parameter 'lrr' for sgd; did you mean 'lr'? (allowed: lr, momentum, nesterov)\n"
    )
    (tmp_path / "other.yaml").write_text(SWEEP.replace("spec: spec.yaml", "spec: ../nowhere.yaml"))
    done = nn("sweep", str(tmp_path / "other.yaml"), "-o", str(tmp_path / "runs"))
    assert done.stderr == (
        f"nn: error: {tmp_path / 'other.yaml'}:1:7: spec: {tmp_path / '../nowhere.yaml'} not found "
        "(the path is relative to the sweep file)\n"
    )


def test_an_objective_no_trial_can_report_is_refused_before_running(tmp_path: Path) -> None:
    for metric, reason in [
        ("dev.f1", "the spec measures accuracy, loss, not f1 (add it to metrics)"),
        ("test.loss", "there is no test split (set data.split.test)"),
    ]:
        sweep = write_sweep(tmp_path, SWEEP.replace("dev.accuracy", metric).replace("[0, 3]", "[3]"))
        done = nn("sweep", str(sweep), "-o", str(tmp_path / "runs"))
        assert done.returncode == 1 and not (tmp_path / "runs").exists()
        assert done.stderr.strip().endswith(f"{sweep}:7:21: objective.metric {metric}: {reason}")
