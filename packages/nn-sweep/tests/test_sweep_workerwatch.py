"""A sweep whose scheduler has lost every worker says so, once per spell, instead of waiting in silence."""

from __future__ import annotations

import time

from nn_sweep.workerwatch import WorkerWatch


def test_one_notice_per_spell_without_workers() -> None:
    counts = iter([2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    said: list[str] = []
    watch = WorkerWatch(lambda: next(counts, 1), "Dask scheduler (tcp://h:1)", after=0.02, poll=0.005, say=said.append)
    watch.start()
    deadline = time.monotonic() + 3
    while len(said) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # the workers are back for good (count 1): no third notice
    watch.stop()
    assert len(said) == 2
    assert said[0] == (
        "nn: warning: no Dask worker connected to Dask scheduler (tcp://h:1) for 0.02s; the trials wait for one "
        "(start `dask worker SCHEDULER_ADDRESS`, or press Ctrl-C and continue later with --resume)"
    )


def test_a_failing_count_ends_the_watch_quietly() -> None:
    def closed() -> int:
        raise RuntimeError("client closed")

    said: list[str] = []
    watch = WorkerWatch(closed, "here", after=0.0, poll=0.005, say=said.append)
    watch.start()
    time.sleep(0.05)
    assert not watch._thread.is_alive() and said == []
    watch.stop()
