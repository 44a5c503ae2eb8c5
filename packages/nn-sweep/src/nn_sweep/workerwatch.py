"""A notice when a sweep's scheduler has no workers: its trials then wait, and nothing else says why.

Dask keeps tasks queued while no worker is connected (workers may yet come,
as on an autoscaled cluster), so a sweep whose workers all died would sit
silent forever. :class:`WorkerWatch` polls the worker count in a daemon thread
and prints one line when it has been zero for ``after`` seconds (again only
after workers came back and left once more); the sweep itself goes on waiting.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

WORKERLESS_SECONDS = 10.0


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class WorkerWatch:
    """Calls ``say`` once per spell of ``count() == 0`` lasting ``after`` seconds, until stopped."""

    def __init__(
        self,
        count: Callable[[], int],
        where: str,
        *,
        after: float = WORKERLESS_SECONDS,
        poll: float = 1.0,
        say: Callable[[str], None] = _stderr,
    ) -> None:
        self.count, self.where, self.after, self.poll, self.say = count, where, after, poll, say
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nn-sweep-worker-watch", daemon=True)

    def start(self) -> None:
        if self._thread.ident is None:  # started at most once
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        empty_since: float | None = None
        warned = False
        while not self._stop.wait(self.poll):
            try:
                workers = self.count()
            except Exception:  # the client is closing: nothing left to watch
                return
            if workers:
                empty_since, warned = None, False
                continue
            now = time.monotonic()
            empty_since = now if empty_since is None else empty_since
            if not warned and now - empty_since >= self.after:
                warned = True
                self.say(
                    f"nn: warning: no Dask worker connected to {self.where} for {self.after:g}s; the trials wait "
                    "for one (start `dask worker SCHEDULER_ADDRESS`, or press Ctrl-C and continue later with --resume)"
                )
