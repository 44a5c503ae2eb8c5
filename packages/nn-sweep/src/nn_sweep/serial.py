"""The executor without an engine: trials run in this process, one after another.

``nn sweep --workers 0`` uses it: no cluster to start, tracebacks and
debuggers work as in ``nn train``, and it is the baseline the sweep benchmark
compares Dask against. A task runs when :meth:`SerialExecutor.as_completed`
reaches it, so trials added while iterating (tpe's proposals) run in turn.
A task that raises is run again up to ``retries`` times, as Dask does.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nn_core.errors import NNError


@dataclass(eq=False)  # hashed by identity, as the sweep keys its futures
class SerialFuture:
    """A task that has not run yet, then its value or its exception."""

    fn: Callable[[Any], Any]
    arg: Any
    retries: int
    cancelled: bool = False
    value: Any = None
    error: BaseException | None = None

    def run(self) -> None:
        for attempt in range(self.retries + 1):
            try:
                self.value = self.fn(self.arg)
                self.error = None
                return
            except Exception as exc:
                self.error = exc
                if attempt == self.retries:
                    return


@dataclass
class SerialCompletion:
    """Runs each future as iteration reaches it; ``add`` appends more."""

    queue: deque[SerialFuture] = field(default_factory=deque)

    def __iter__(self) -> Iterator[SerialFuture]:
        while self.queue:
            future = self.queue.popleft()
            if not future.cancelled:
                future.run()
                yield future

    def add(self, future: SerialFuture) -> None:
        self.queue.append(future)


class SerialExecutor:
    """Trials in this process, in submission order."""

    description = "this process, one trial after another"

    def __init__(self) -> None:
        self.startup_seconds = 0.0
        self.started = time.perf_counter()

    def submit(self, fn: Callable[..., Any], arg: Any, *, key: str, resources: dict[str, float], retries: int) -> Any:
        return SerialFuture(fn, arg, retries)

    def as_completed(self, futures: Iterable[Any]) -> SerialCompletion:
        return SerialCompletion(deque(futures))

    def result(self, future: SerialFuture) -> Any:
        if future.error is not None:
            raise future.error
        return future.value

    def cancel(self, futures: Iterable[SerialFuture]) -> None:
        for future in futures:
            future.cancelled = True

    def close(self) -> None:
        pass

    def capacity(self) -> int:
        return 1

    def check_resources(self, wanted: dict[str, float]) -> None:
        if wanted.get("gpus"):
            raise NNError("--workers 0 runs trials in this process, which offers no gpus resource; use Dask workers")
