"""Dask clusters: starting or attaching to one, running tasks with bounded payloads, and lscp's executor."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from planner.errors import InputError
from planner.optimize import Solution, solve

__all__ = [
    "CONNECT_TIMEOUT_S",
    "ENGINES",
    "INLINE_BYTES",
    "TASKS_PER_WORKER",
    "DaskExecutor",
    "dask_client",
    "n_workers",
    "run_tasks",
    "solve_dask",
]

log = logging.getLogger(__name__)

#: engines understood by :func:`planner.plan` and ``planner plan --engine``
ENGINES = ("local", "dask")
#: seconds to wait for a scheduler given by address
CONNECT_TIMEOUT_S = 10.0
#: default number of tiles (and lscp batches) aimed at per worker
TASKS_PER_WORKER = 4
#: payloads up to this size travel inside the task; larger ones are scattered first
INLINE_BYTES = 4 * 2**20


def _require_distributed() -> ModuleType:
    """Import ``distributed`` or say how to install it (:class:`InputError`)."""
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            "engine='dask' needs dask.distributed; install it with pip install 'station-planner[dask]'"
        ) from None
    return distributed


@contextmanager
def dask_client(
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    processes: bool = True,
    timeout: float = CONNECT_TIMEOUT_S,
) -> Iterator:
    """
    A ``distributed.Client``: attached to ``scheduler``, or on a LocalCluster it starts and stops.

    Parameters
    ----------
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``). ``None``: start
        a :class:`distributed.LocalCluster` for the duration of the ``with`` block.
    workers
        Worker processes of the LocalCluster (one thread each; default: the
        number of CPUs). Not used with ``scheduler`` (the cluster has its own).
    processes
        LocalCluster workers as processes (default) or as threads of this process.
    timeout
        Seconds to wait for ``scheduler`` to answer.

    Yields
    ------
    distributed.Client
        Closed on exit; a LocalCluster started here is shut down too, an
        existing scheduler is left running.

    Raises
    ------
    InputError
        If dask.distributed is missing, ``workers`` is not a whole number >= 1,
        or no scheduler answers at ``scheduler`` (one line, no traceback).
    """
    distributed = _require_distributed()
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers or workers < 1):
        raise InputError(f"workers={workers!r}: expected a whole number of workers >= 1")
    quiet = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.ERROR)
    try:
        if scheduler is not None:
            address = _check_address(scheduler, timeout)
            try:
                client = distributed.Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(
                    f"scheduler {address!r}: no Dask scheduler answered within {timeout:g} s ({reason}); "
                    "expected the address of a running scheduler, such as tcp://10.0.0.5:8786"
                ) from None
            try:
                yield client
            finally:
                client.close()
        else:
            n = int(workers) if workers is not None else (os.cpu_count() or 1)
            with (
                distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,
                    host="127.0.0.1" if processes else None,  # reachable from this machine only
                    # no dashboard; its HTTP endpoint (health, metrics) on a free port, not 8787
                    scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                    silence_logs=logging.ERROR,
                ) as cluster,
                distributed.Client(cluster, set_as_default=False) as client,
            ):
                yield client
    finally:
        for lg, level in zip(quiet, levels):
            lg.setLevel(level)


def _check_address(scheduler: str, timeout: float) -> str:
    """The scheduler address, checked: well formed and, for TCP, accepting connections.

    Fails fast with one line instead of letting the client retry until its timeout.
    """
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    address = str(scheduler).strip()
    expected = "expected the address of a running Dask scheduler, such as tcp://10.0.0.5:8786"
    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location) if scheme in ("tcp", "tls") else (None, None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"scheduler {address!r}: not an address ({exc}); {expected}") from None
    if scheme == "tcp":
        import socket

        try:
            socket.create_connection((host, int(port or 0)), timeout=min(timeout, 5.0)).close()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InputError(f"scheduler {address!r}: cannot connect ({reason}); {expected}") from None
    return address


def n_workers(client: Any) -> int:
    """Workers of a Dask client's cluster (at least 1)."""
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # pragma: no cover - a scheduler that does not answer is caught later
        return 1


def run_tasks(
    client: Any, fn: Callable, payloads: Iterator, n_tasks: int, window: int, done: Callable[[Any], None]
) -> None:
    """Run ``fn(payload)`` on the cluster, at most ``window`` payloads in flight.

    A payload goes with its task when it is small (:data:`INLINE_BYTES`), else it
    is scattered to one worker first; either way it is released when its task is
    done, so neither the client nor the workers hold more than ``window`` of them.
    """
    distributed = _require_distributed()
    pending = distributed.as_completed(loop=client.loop)
    held: dict = {}

    def submit() -> bool:
        payload = next(payloads, None)
        if payload is None:
            return False
        size = getattr(payload, "nbytes", None)
        if size is not None and size <= INLINE_BYTES:
            future = client.submit(fn, payload, pure=False)  # small: travels with the task, one round trip
        else:
            data = client.scatter(payload, hash=False)
            future = client.submit(fn, data, pure=False)
            held[future.key] = data
        pending.add(future)
        return True

    for _ in range(min(window, n_tasks)):
        submit()
    for future in pending:
        result = future.result()
        held.pop(future.key, None)
        future.release()
        done(result)
        submit()


class DaskExecutor:
    """
    An :class:`planner.optimize.Executor` on a Dask cluster: ``solve(..., executor=DaskExecutor(client))``.

    lscp's independent pieces are packed into about :data:`TASKS_PER_WORKER` tasks per
    worker (balanced by size) and solved on the workers, at most two per worker plus
    one in flight.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    """

    def __init__(self, client: object):
        self.client = client
        self.slots = TASKS_PER_WORKER * n_workers(client)

    def run(self, fn: Callable[[Any], Any], payloads: list[Any]) -> list[Any]:
        """``[fn(p) for p in payloads]`` computed on the cluster, in order."""
        out: list[Any] = [None] * len(payloads)
        indexed = iter(list(enumerate(payloads)))

        def done(result: tuple[int, Any]) -> None:
            out[result[0]] = result[1]

        run_tasks(self.client, _Indexed(fn), indexed, len(payloads), 2 * n_workers(self.client) + 1, done)
        return out


class _Indexed:
    """``fn`` applied to the payload of an ``(index, payload)`` pair, the index kept (results arrive out of order)."""

    def __init__(self, fn: Callable[[Any], Any]):
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "task")  # Dask names the task after it

    def __call__(self, item: tuple[int, Any]) -> tuple[int, Any]:
        return item[0], self.fn(item[1])


def solve_dask(coverage_or_cost: Any, *, client: object, model: str = "lscp", **kwargs: Any) -> Solution:
    """
    :func:`planner.solve` with lscp's independent components solved as Dask tasks.

    The same as ``planner.solve(coverage_or_cost, model=model, executor=DaskExecutor(client), **kwargs)``:
    the same selected sites, objective and figures as :func:`planner.solve`; the
    result's ``independent_components`` and ``tasks`` say how the work was spread.
    """
    return solve(coverage_or_cost, model=model, executor=DaskExecutor(client), **kwargs)
