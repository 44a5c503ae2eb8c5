"""The progress of a sweep on stderr: a bar on a terminal, one line per finished trial otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any

from nn_sweep.report import objective_value


class ProgressBar:
    """Trials done out of the total, on stderr: redrawn on a terminal, one line per trial otherwise."""

    def __init__(self, metric: str, quiet: bool) -> None:
        self.total, self.metric, self.quiet = 0, metric, quiet
        self.done = self.failed = 0
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()

    def start(self, total: int) -> None:
        """Called once the trials to run are known (resolved and validated)."""
        self.total = total
        self.started = time.perf_counter()

    def __call__(self, record: dict[str, Any]) -> None:
        self.done += 1
        self.failed += record.get("status") != "ok"
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        failed = f", {self.failed} failed" if self.failed else ""
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} trials{failed} {elapsed:6.1f}s"
            print(f"\r\033[K{bar}", end="" if self.done < self.total else "\n", file=sys.stderr, flush=True)
            return
        value = objective_value(record, self.metric)
        what = (
            f"{self.metric} {value:.4g}" if value is not None else f"{record.get('status')}: {record.get('reason', '')}"
        )
        print(f"trial {self.done}/{self.total} {record['key']}: {what} ({record.get('worker', '-')})", file=sys.stderr)
