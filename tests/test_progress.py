"""nn train's live progress: inside long epochs, with throughput and ETA, only on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nn_core.cli import main
from nn_core.progress import Progress, format_duration, progress_every

ROOT = Path(__file__).resolve().parents[1]
SPEC = str(ROOT / "specs" / "moons-3-class.yaml")


def test_the_loop_reports_about_50_times_an_epoch_without_plugin_dispatch() -> None:
    from nn_core import build, load_spec, train

    spec = load_spec(SPEC, overrides=["training.epochs=3", "training.batch_size=2", "training.log_every=3"])
    calls: list[tuple[int, int, int]] = []
    train(build(spec), on_progress=lambda *a: calls.append(a))
    steps = 150  # 300 samples in batches of 2
    every = progress_every(steps)
    assert every == 3
    assert calls[:2] == [(1, 3, steps), (1, 6, steps)]
    assert len(calls) == 3 * (steps // every)
    assert [c[0] for c in calls[:: steps // every]] == [1, 2, 3]


def test_full_batch_epochs_make_no_step_calls() -> None:
    from nn_core import build, load_spec, train

    calls: list[tuple[int, int, int]] = []
    train(build(load_spec(SPEC, overrides=["training.epochs=5"])), on_progress=lambda *a: calls.append(a))
    assert calls == []


def test_bar_shows_steps_throughput_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 0.0, 10.0])  # constructed, epoch 2 starts, 100 of 400 steps done 10 s later
    monkeypatch.setattr("nn_core.progress.time.perf_counter", lambda: next(clock))
    stream = io.StringIO()
    progress = Progress(4, quiet=False, batch_size=32, stream=stream, tty=True)
    progress.step(2, 1, 400)  # first call of an epoch: starts its clock (redraw throttled)
    progress.step(2, 100, 400)
    text = stream.getvalue()
    assert "epoch 2/4 [#######.......................] 100/400 steps" in text
    assert "320 samples/s" in text  # 10 steps/s × 32
    assert "epoch ETA 30s, run ETA 1m50s" in text  # 300 steps left, then 2 epochs of 400 at 10 steps/s


def test_quiet_or_not_a_terminal_draws_no_bar(capsys) -> None:  # type: ignore[no-untyped-def]
    assert not Progress(10, quiet=True, tty=True).live
    assert not Progress(10, quiet=False, stream=io.StringIO(), tty=False).live
    assert main(["train", SPEC, "--set", "training.epochs=4", "--set", "training.batch_size=2"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "steps" not in err and "epoch 4/4" in err
    assert main(["train", SPEC, "-q", "--set", "training.epochs=4"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("seconds", "text"), [(7.2, "7s"), (185, "3m05s"), (7260, "2h01m")])
def test_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
