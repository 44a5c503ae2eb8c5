"""Where trials run: a small executor interface, and its Dask distributed implementation.

The sweep only submits importable functions, waits for them as they finish
and cancels what is left; any engine offering those three operations can run
a sweep (:class:`Executor`). :class:`DaskExecutor` starts a ``LocalCluster``
in this process (``--workers N``: N worker processes, one thread each) or
connects to a running scheduler (``--address``, ``--scheduler-file``);
:class:`nn_sweep.serial.SerialExecutor` runs trials in this process
(``--workers 0``). Dask itself is imported only here, only when a sweep runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from nn_core.errors import NNError
from nn_sweep.workerwatch import WorkerWatch

CONNECT_TIMEOUT = "10s"


class Completion(Protocol):
    """Futures in the order they finish; more may be added while iterating."""

    def __iter__(self) -> Iterator[Any]: ...

    def add(self, future: Any) -> None: ...


class Executor(Protocol):
    """What a sweep needs from an engine."""

    startup_seconds: float
    description: str
    """Where trials run, in words: "local Dask cluster, 2 worker processes"."""

    def submit(self, fn: Callable[..., Any], arg: Any, *, key: str, resources: dict[str, float], retries: int) -> Any:
        """Schedule ``fn(arg)``; return a future."""

    def as_completed(self, futures: Iterable[Any]) -> Completion:
        """The futures in the order they finish (and those added to it while iterating)."""

    def result(self, future: Any) -> Any:
        """The future's value; raises the task's exception (after its retries)."""

    def cancel(self, futures: Iterable[Any]) -> None: ...

    def close(self) -> None: ...

    def capacity(self) -> int:
        """How many trials can run at once (tpe keeps that many proposals in flight)."""

    def check_resources(self, wanted: dict[str, float]) -> None:
        """Raise NNError when no worker could ever run a task needing ``wanted``."""


def _install_hint() -> str:
    return "nn sweep needs Dask distributed: pip install 'dask[distributed]' (nn-sweep depends on it)"


class DaskExecutor:
    """Trials as Dask tasks: on an embedded LocalCluster, or on a cluster's scheduler."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        address: str | None = None,
        scheduler_file: str | None = None,
        allowed_failures: int = 3,
        resources: dict[str, float] | None = None,
    ) -> None:
        try:
            import dask
            import distributed
        except ImportError:
            raise NNError(_install_hint()) from None
        self.distributed = distributed
        self.cluster: Any = None
        started = time.perf_counter()
        try:
            if address or scheduler_file:
                self.client = distributed.Client(
                    address=address, scheduler_file=scheduler_file, timeout=CONNECT_TIMEOUT, set_as_default=False
                )
                where = address or f"scheduler file {scheduler_file}"
                self.description = f"Dask scheduler ({where})"
            else:
                count = workers or 1
                # A trial whose worker dies is rescheduled on another; after this many deaths it is given
                # up. The embedded scheduler reads this when it starts (a cluster's scheduler has its own).
                with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
                    self.cluster = distributed.LocalCluster(
                        n_workers=count,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        # no dashboard, and its HTTP server (which starts even so) on a free port: a
                        # scheduler already on 8787 would otherwise earn a "Port 8787 is already in use" warning
                        dashboard_address="127.0.0.1:0",
                        scheduler_kwargs={"dashboard": False},
                        resources=resources or None,
                        silence_logs=40,  # logging.ERROR: worker chatter does not interleave with the progress bar
                    )
                self.client = distributed.Client(self.cluster, set_as_default=False)
                self.description = f"local Dask cluster, {count} worker process{'es' if count > 1 else ''}"
        except (OSError, TimeoutError) as exc:
            self.close()
            target = address or scheduler_file or "a local cluster"
            raise NNError(f"cannot reach the Dask scheduler ({target}): {exc}") from None
        self._check_workers()
        self.watch = WorkerWatch(lambda: len(self.client.scheduler_info()["workers"]), self.description)
        self.startup_seconds = time.perf_counter() - started

    def _check_workers(self) -> None:
        """Load nn's plugins on every connected worker; refuse workers without nn or with other versions."""
        from importlib.metadata import version

        from nn_sweep.task import worker_ready

        try:
            answers = self.client.run(worker_ready)
        except Exception as exc:
            self.close()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NNError(
                f"a Dask worker cannot run nn trials ({type(exc).__name__}: {reason}); install nn-core, nn-sweep "
                "and the plugins the spec needs on every worker"
            ) from None
        for distribution in ("nn-core", "nn-sweep"):
            here = version(distribution)
            for worker, found in answers.items():
                if found.get(distribution) != here:
                    self.close()
                    raise NNError(
                        f"worker {worker} has {distribution} {found.get(distribution)}, this machine {here}: "
                        "install the same versions everywhere (results would differ)"
                    )

    def workers(self) -> dict[str, dict[str, float]]:
        """Each worker's address and the resources it offers."""
        info = self.client.scheduler_info()["workers"]
        return {address: dict(w.get("resources") or {}) for address, w in info.items()}

    def capacity(self) -> int:
        info = self.client.scheduler_info()["workers"]
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))

    def check_resources(self, wanted: dict[str, float]) -> None:
        """Refuse, before submitting, resources no worker offers (the trials would wait forever)."""
        if not wanted:
            return
        offered = self.workers()
        if any(all(res.get(k, 0) >= v for k, v in wanted.items()) for res in offered.values()):
            return
        have = "; ".join(f"{a}: {r or 'none'}" for a, r in offered.items()) or "no workers"
        flags = ",".join(f"{k}={v:g}" for k, v in wanted.items())
        raise NNError(
            f"no worker offers resources {wanted} that each trial needs (workers: {have}); "
            f'start workers with `dask worker ... --resources "{flags}"`'
        )

    def submit(self, fn: Callable[..., Any], arg: Any, *, key: str, resources: dict[str, float], retries: int) -> Any:
        return self.client.submit(fn, arg, key=key, resources=resources or None, retries=retries, pure=False)

    def as_completed(self, futures: Iterable[Any]) -> Completion:
        completion: Completion = self.distributed.as_completed(list(futures), loop=self.client.loop)
        self.watch.start()
        return completion

    def result(self, future: Any) -> Any:
        return future.result()

    def cancel(self, futures: Iterable[Any]) -> None:
        self.client.cancel(list(futures))

    def close(self) -> None:
        watch = getattr(self, "watch", None)
        if watch is not None:
            watch.stop()
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
